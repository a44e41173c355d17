"""The repair runs the project's own Prisma with node, straight at its `prisma` package (not through `npx`, whose own
start is a third of a second of every repair), in the environment `npx` would give it: each `node_modules/.bin` on
PATH, so that a generator named by its bin runs as under `npx prisma generate`. Real Prisma 6.17 (tests/.cache)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers import doctor_json, dry_run_plan
from tests.repair_fixtures import add_field, project_copy, repair_environment

pytestmark = pytest.mark.node

# A generator of the user's own, in Prisma's protocol (JSON-RPC lines on stdin, answers on stderr): writes the names
# of the models it is given.
GENERATOR = """#!/usr/bin/env node
const fs = require('fs');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const request = JSON.parse(line);
  let result = null;
  if (request.method === 'getManifest') result = { manifest: { prettyName: 'Model list', defaultOutput: './models' } };
  if (request.method === 'generate') {
    const output = request.params.generator.output.value;
    fs.mkdirSync(output, { recursive: true });
    fs.writeFileSync(output + '/models.txt', request.params.dmmf.datamodel.models.map((m) => m.name).join('\\n'));
  }
  process.stderr.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }) + '\\n');
});
"""


def _with_generator_bin(project: Path) -> None:
    script = project / "model-list.js"
    script.write_text(GENERATOR)
    script.chmod(0o755)
    (project / "node_modules" / ".bin" / "model-list").symlink_to("../../model-list.js")
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(
        schema.read_text() + '\ngenerator models {\n  provider = "model-list"\n  output = "../models"\n}\n'
    )


def test_generate_runs_prisma_with_node_and_finds_a_generator_by_its_bin(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    _with_generator_bin(project)
    add_field(project, "email")

    plan = dry_run_plan("regenerate", project=project, env=repair_environment())
    (generate,) = [step for step in plan["steps"] if step["name"] == "generate"]
    run = generate["preview"][0]
    assert "npx" not in run and "node_modules/prisma/build/index.js generate" in run, run

    code, result = doctor_json("regenerate", "--project", str(project), env=repair_environment())

    assert code in (0, 1), result  # (the app is not asked: no dev server runs)
    generated = next(step for step in result["steps"] if step["name"] == "generate")
    assert generated["status"] == "done", json.dumps(generated, indent=1)
    assert (project / "models" / "models.txt").read_text() == "User"


def test_a_project_whose_path_holds_path_s_separator_generates(tmp_path: Path) -> None:
    # `npx` puts `<project>/node_modules/.bin` on PATH, which a `:` in the path splits in two: "prisma: not found"
    # (attacker's trial 13). Prisma's own generators need nothing from PATH.
    project = project_copy("npm", tmp_path / f"a{os.pathsep}b")
    add_field(project, "email")

    code, result = doctor_json("regenerate", "--project", str(project), env=repair_environment())

    generated = next(step for step in result["steps"] if step["name"] == "generate")
    assert generated["status"] == "done", json.dumps(result, indent=1)
    assert code in (0, 1), result
