// Prisma's own schema parser (@prisma/prisma-schema-wasm) on one schema file.
//   node wasm_parse.js MODULE_DIR FILE                 one get_datamodel call, as a whole process (JSON to stdout)
//   node wasm_parse.js MODULE_DIR FILE --loop N FN     N calls of FN (get_datamodel | get_datamodel+parse |
//                                                      validate) in process;
//                                                      prints {"fn", "samples_s": [...], "cpu_s": [...]}
'use strict';
const fs = require('fs');
const path = require('path');

const [, , moduleDir, file, flag, count, fn] = process.argv;
const wasm = require(path.resolve(moduleDir));
// Both builds take `{prismaSchema: [[path, text], ...], noColor}` (SchemaFileInput) for get_datamodel and validate.
const params = (text) => JSON.stringify({ prismaSchema: [[file, text]], noColor: true });

if (flag !== '--loop') {
  process.stdout.write(wasm.get_datamodel(params(fs.readFileSync(file, 'utf8'))));
  process.stdout.write('\n');
} else {
  const text = fs.readFileSync(file, 'utf8');
  // get_datamodel+parse: the datamodel as objects a JS caller can use, as ours are Python objects.
  const calls = {
    validate: (p) => wasm.validate(p),
    get_datamodel: (p) => wasm.get_datamodel(p),
    'get_datamodel+parse': (p) => JSON.parse(wasm.get_datamodel(p)),
  };
  const call = calls[fn || 'get_datamodel'];
  const samples = [];
  const cpu = [];
  for (let i = 0; i < Number(count); i++) {
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    // Building the params is part of the work: the caller has the text, the wasm needs it as JSON.
    call(params(text));
    const usedCpu = process.cpuUsage(startCpu);
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
    cpu.push((usedCpu.user + usedCpu.system) / 1e6);
  }
  process.stdout.write(JSON.stringify({ fn: fn || 'get_datamodel', samples_s: samples, cpu_s: cpu }) + '\n');
}
