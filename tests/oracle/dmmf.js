#!/usr/bin/env node
// Prisma's own reading of schemas: the oracle of tests/test_schema_oracle.py.
//
// Input on stdin: a JSON list of {"id": string, "files": [[path, text], ...], "build": "6" | "7" | "auto"}.
// Output on stdout: a JSON list of {"id", "build", "datamodel"} or {"id", "build", "error"}, one per input.
// "auto" follows Prisma's own history: a datasource with a `url` needs a 6.x build (7 rejects it), one without
// needs 7+ (6 requires it).
"use strict";

const builds = {
  6: require("prisma-schema-wasm-6"),
  7: require("prisma-schema-wasm-7"),
};

const ANSI = /\u001b\[[0-9;]*m/g;
const DATASOURCE = /^[ \t]*datasource\s+\w+\s*\{([^}]*)\}/gm;

function stripComments(text) {
  return text.replace(/\/\/[^\r\n]*/g, "");
}

function chooseBuild(files) {
  for (const [, text] of files) {
    for (const match of stripComments(text).matchAll(DATASOURCE)) {
      if (/^\s*url\s*=/m.test(match[1])) return "6";
    }
  }
  return "7";
}

function errorMessage(error) {
  let text = String(error && error.message !== undefined ? error.message : error);
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.message === "string") text = parsed.message;
  } catch {
    // Not JSON: a panic or a plain message, kept as it is.
  }
  return text.replace(ANSI, "");
}

function read(unit) {
  const build = unit.build && unit.build !== "auto" ? String(unit.build) : chooseBuild(unit.files);
  try {
    const dmmf = JSON.parse(builds[build].get_dmmf(JSON.stringify({ prismaSchema: unit.files })));
    return { id: unit.id, build, datamodel: dmmf.datamodel };
  } catch (error) {
    return { id: unit.id, build, error: errorMessage(error) };
  }
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const units = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(units.map(read)));
});
