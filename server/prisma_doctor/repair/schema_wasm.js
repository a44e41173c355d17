// Prisma's own schema rules, asked of the Wasm module the project's `prisma` package ships
// (build/prisma_schema_build_bg.wasm), without loading Prisma's CLI: `validate`, then `get_config`, the two checks
// `prisma generate` makes of a schema before it writes anything.
//
//   node schema_wasm.js <prisma_schema_build_bg.wasm> <schema file or folder>
//
// Prints one JSON line and exits:
//   0  {"answer": "valid", "files": [...]}         both accept the schema (read from these files)
//   1  {"answer": "invalid", "message": "..."}     Prisma's error text
//   3  {"answer": "cannot-tell", "why": "..."}     a module or a folder this script does not know how to read
// Anything else (a crash of Node) is no answer either. Only a "valid" is trusted by its caller; any other answer is
// given to the project's own `prisma validate`.
//
// Our own glue for wasm-bindgen's calling conventions, as Prisma 5.22, 6.17 and 7.10 build the module: the module's
// imports are recognised by what their names say they are, and a module that imports anything else is not guessed at.
"use strict";

const fs = require("fs");
const path = require("path");

const VALID = 0;
const INVALID = 1;
const CANNOT_TELL = 3;

function answer(code, fields) {
  // (A write that cannot be cut short by the exit: stdout is a pipe, asynchronous on Windows.)
  fs.writeSync(1, JSON.stringify(fields) + "\n");
  process.exit(code);
}

function cannotTell(why) {
  answer(CANNOT_TELL, { answer: "cannot-tell", why });
}

// wasm-bindgen keeps the first slots of its JS-side heap for a stack of borrowed values and four constants; handles
// of owned values start after them (the stack-pointer convention of Prisma 5 passes errors as such handles).
const FIRST_HANDLE = 132;

class Glue {
  constructor(module) {
    this.exports = null;
    this.heap = new Map();
    // The errors the module made to say a schema is wrong, as opposed to one it threw because it failed itself.
    this.made = new WeakSet();
    this.nextHandle = FIRST_HANDLE;
    this.panic = null;
    this.decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
    this.encoder = new TextEncoder();
    this.usesHandles = !WebAssembly.Module.imports(module).some((i) => i.name === "__wbindgen_init_externref_table");
    this.imports = this.importsFor(module);
  }

  // Each import by what it is; null when one is not known.
  importsFor(module) {
    const supplied = {};
    for (const wanted of WebAssembly.Module.imports(module)) {
      const make = wanted.kind === "function" ? this.importNamed(wanted.name) : null;
      if (make === null) {
        return { unknown: `${wanted.module}.${wanted.name} (${wanted.kind})` };
      }
      supplied[wanted.module] = supplied[wanted.module] || {};
      supplied[wanted.module][wanted.name] = make;
    }
    return { supplied };
  }

  importNamed(name) {
    // A new JS Error from a Rust string: how the module hands back an error.
    if (name === "__wbindgen_error_new" || /^__wbg_Error_[0-9a-f]+$/.test(name)) {
      return (ptr, len) => {
        const error = new Error(this.text(ptr, len));
        this.made.add(error);
        return this.own(error);
      };
    }
    // Prisma's panic hook records the panic's message before the module traps.
    if (/^__wbg_set_?message_[0-9a-f]+$/.test(name)) {
      return (ptr, len) => {
        this.panic = this.text(ptr, len);
      };
    }
    if (name === "__wbindgen_throw" || /^__wbg___wbindgen_throw_[0-9a-f]+$/.test(name)) {
      return (ptr, len) => {
        throw new Error(this.text(ptr, len));
      };
    }
    // The table of JS values the module holds: its first slots are the constants wasm-bindgen's glue puts there.
    if (name === "__wbindgen_init_externref_table") {
      return () => {
        const table = this.table();
        const base = table.grow(4);
        table.set(0, undefined);
        table.set(base + 0, undefined);
        table.set(base + 1, null);
        table.set(base + 2, true);
        table.set(base + 3, false);
      };
    }
    return null;
  }

  table() {
    const tables = Object.values(this.exports).filter((e) => e instanceof WebAssembly.Table);
    if (tables.length !== 1) {
      throw new Unknown(`the module exports ${tables.length} tables, not one`);
    }
    return tables[0];
  }

  own(value) {
    if (!this.usesHandles) {
      return value;
    }
    const handle = this.nextHandle++;
    this.heap.set(handle, value);
    return handle;
  }

  take(reference) {
    if (this.usesHandles) {
      const value = this.heap.get(reference);
      this.heap.delete(reference);
      return value;
    }
    const value = this.table().get(reference);
    this.exports.__externref_table_dealloc(reference);
    return value;
  }

  bytes() {
    return new Uint8Array(this.exports.memory.buffer);
  }

  text(ptr, len) {
    return this.decoder.decode(this.bytes().subarray(ptr >>> 0, (ptr >>> 0) + len));
  }

  // A string copied into the module's memory: its pointer and length in bytes.
  pass(string) {
    const encoded = this.encoder.encode(string);
    const malloc = this.exports.__wbindgen_malloc;
    const ptr = (malloc.length >= 2 ? malloc(encoded.length, 1) : malloc(encoded.length)) >>> 0;
    this.bytes().set(encoded, ptr);
    return [ptr, encoded.length];
  }

  free(ptr, len) {
    const free = this.exports.__wbindgen_free;
    if (free.length >= 3) {
      free(ptr, len, 1);
    } else {
      free(ptr, len);
    }
  }

  // A call of one of the module's functions that takes a string and returns a string or throws, in the module's
  // convention: Prisma 5 writes its results through a pointer it is given on a shadow stack; 6 and 7 return them.
  call(name, argument, returnsText) {
    const exports = this.exports;
    const [ptr, len] = this.pass(argument);
    if (this.usesHandles) {
      const slot = exports.__wbindgen_add_to_stack_pointer(-16);
      try {
        exports[name](slot, ptr, len);
        const words = new DataView(exports.memory.buffer);
        const first = words.getInt32(slot, true);
        const second = words.getInt32(slot + 4, true);
        if (!returnsText) {
          if (second !== 0) {
            throw this.take(first);
          }
          return null;
        }
        const result = this.text(first, second);
        this.free(first, second);
        return result;
      } finally {
        exports.__wbindgen_add_to_stack_pointer(16);
      }
    }
    const returned = exports[name](ptr, len);
    if (!returnsText) {
      if (returned[1] !== 0) {
        throw this.take(returned[0]);
      }
      return null;
    }
    const result = this.text(returned[0], returned[1]);
    this.free(returned[0], returned[1]);
    return result;
  }
}

class Unknown extends Error {}

// The convention the module was built with, from its exports and imports; a message when it is neither.
function convention(exports, glue) {
  const needed = ["memory", "validate", "get_config", "__wbindgen_malloc", "__wbindgen_free"];
  const missing = needed.filter((name) => !(name in exports));
  if (missing.length > 0) {
    return `the module has no ${missing.join(", ")}`;
  }
  if (glue.usesHandles) {
    const ok =
      typeof exports.__wbindgen_add_to_stack_pointer === "function" &&
      exports.validate.length === 3 &&
      exports.get_config.length === 3;
    return ok ? null : "the module neither returns through a stack pointer nor through a table of values";
  }
  const ok =
    typeof exports.__externref_table_dealloc === "function" &&
    exports.validate.length === 2 &&
    exports.get_config.length === 2;
  return ok ? null : "the module's functions do not take and return values as Prisma 6 and 7 build them";
}

// The schema as Prisma's CLI reads a path: a file alone; a folder, every `.prisma` file below it, links followed to
// where they lead, in the order the folder lists them.
function readSchema(target) {
  const files = [];
  const seen = new Set();
  function walk(where) {
    const entry = fs.lstatSync(where);
    if (entry.isSymbolicLink()) {
      walk(fs.realpathSync(where));
    } else if (entry.isFile()) {
      if (path.extname(where) === ".prisma") {
        files.push([where, fs.readFileSync(where, "utf8")]);
      }
    } else if (entry.isDirectory()) {
      const real = fs.realpathSync(where);
      if (seen.has(real)) {
        // Prisma's CLI would walk this loop until it fails: whatever it says, it is not what is read here.
        throw new Unknown(`${where} leads back to a folder above it`);
      }
      seen.add(real);
      for (const name of fs.readdirSync(where)) {
        walk(path.join(where, name));
      }
      seen.delete(real);
    }
  }
  if (fs.statSync(target).isFile()) {
    return [[target, fs.readFileSync(target, "utf8")]];
  }
  walk(target);
  if (files.length === 0) {
    throw new Unknown(`${target} holds no .prisma file`);
  }
  return files;
}

// Prisma's error text: the module says it as JSON, `{"error_code": "P1012", "message": "..."}`.
function prismaWords(said) {
  try {
    const parsed = JSON.parse(said);
    return typeof parsed.message === "string" ? parsed.message : said;
  } catch {
    return said;
  }
}

function main() {
  const [wasmPath, schemaPath] = process.argv.slice(2);
  let schemas;
  let module;
  try {
    schemas = readSchema(path.resolve(schemaPath));
    module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  } catch (error) {
    cannotTell(String(error && error.message ? error.message : error));
  }
  const glue = new Glue(module);
  if (glue.imports.unknown !== undefined) {
    cannotTell(`the module imports ${glue.imports.unknown}, which this script does not know`);
  }
  let instance;
  try {
    instance = new WebAssembly.Instance(module, glue.imports.supplied);
  } catch (error) {
    cannotTell(`the module did not start: ${error.message}`);
  }
  glue.exports = instance.exports;
  const unknown = convention(instance.exports, glue);
  if (unknown !== null) {
    cannotTell(unknown);
  }
  try {
    if (typeof instance.exports.__wbindgen_start === "function") {
      instance.exports.__wbindgen_start();
    }
  } catch (error) {
    cannotTell(`the module did not start: ${error.message}`);
  }

  try {
    glue.call("validate", JSON.stringify({ prismaSchema: schemas, noColor: true }), false);
  } catch (error) {
    if (error instanceof Error && glue.made.has(error) && glue.panic === null) {
      answer(INVALID, { answer: "invalid", message: prismaWords(error.message) });
    }
    cannotTell(`validate failed: ${glue.panic || (error && error.message) || error}`);
  }

  // What generate asks next: the generators and datasources, with the environment's variables not yet required.
  let config;
  try {
    const request = { prismaSchema: schemas, datasourceOverrides: {}, ignoreEnvVarErrors: true, env: {} };
    config = JSON.parse(glue.call("get_config", JSON.stringify(request), true));
  } catch (error) {
    cannotTell(`get_config failed: ${glue.panic || (error && error.message) || error}`);
  }
  if (config === null || typeof config !== "object" || !Array.isArray(config.errors)) {
    cannotTell("get_config answered in a shape this script does not know");
  }
  if (config.errors.length > 0) {
    const message = config.errors.map((e) => (e && e.message) || JSON.stringify(e)).join("\n");
    answer(INVALID, { answer: "invalid", message });
  }
  const generators = config.config && Array.isArray(config.config.generators) ? config.config.generators : null;
  if (generators === null) {
    cannotTell("get_config answered in a shape this script does not know");
  }
  // Generate reads a binary target named by an environment variable as JSON, which may fail: its CLI tells.
  const fromEnv = generators.some((g) => Array.isArray(g.binaryTargets) && g.binaryTargets.some((t) => t.fromEnvVar));
  if (fromEnv) {
    cannotTell("a generator's binaryTargets come from an environment variable");
  }
  answer(VALID, { answer: "valid", files: schemas.map(([file]) => file) });
}

main();
