#!/usr/bin/env node
// Prisma's own reading of schemas: the oracle of tests/test_schema_oracle.py.
//
// Input on stdin: a JSON list of {"id": string, "files": [[path, text], ...], "build": "6" | "7" | "auto"}.
// Output on stdout: a JSON list of {"id", "build", "datamodel"} or {"id", "build", "error", "panic"}, one per input.
// "auto" follows Prisma's own history: a datasource with a `url` needs a 6.x build (7 rejects it), one without
// needs 7+ (6 requires it).
"use strict";

const packages = { 6: "prisma-schema-wasm-6", 7: "prisma-schema-wasm-7" };
const builds = { 6: require(packages[6]), 7: require(packages[7]) };

// A panic inside the wasm module can leave its memory unusable: load a fresh instance for the next schema.
function reload(build) {
  for (const key of Object.keys(require.cache)) {
    if (key.includes(`${packages[build]}`)) delete require.cache[key];
  }
  builds[build] = require(packages[build]);
}

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

// Prisma's own refusals come as JSON with a message; anything else is a panic of the module.
function errorMessage(error) {
  const text = String(error && error.message !== undefined ? error.message : error);
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed.message === "string") return { message: parsed.message.replace(ANSI, ""), panic: false };
  } catch {
    // Not JSON: see below.
  }
  return { message: text.replace(ANSI, ""), panic: true };
}

function read(unit) {
  const build = unit.build && unit.build !== "auto" ? String(unit.build) : chooseBuild(unit.files);
  try {
    const dmmf = JSON.parse(builds[build].get_dmmf(JSON.stringify({ prismaSchema: unit.files })));
    return { id: unit.id, build, datamodel: dmmf.datamodel };
  } catch (error) {
    const { message, panic } = errorMessage(error);
    if (panic) reload(build);
    return { id: unit.id, build, error: message, panic };
  }
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const units = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  process.stdout.write(JSON.stringify(units.map(read)));
});
