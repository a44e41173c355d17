"""A linked `src/` or `node_modules` (attacker's trial 12, #4). Node resolves a file's imports from its real path:
a generated client under `src -> ../outside/src` cannot reach the project's `@prisma/client`, and the CLI under
`node_modules -> ../shared_nm` (a folder of another name) cannot reach its own `@prisma/engines`. `check` says so,
not "installed incompletely" (each package.json is there, with its version); and a repair refuses the install that
would replace the linked `node_modules` with a folder of its own.

Real Prisma 7 installs from the tests' npm cache (tests/toolchain.py); Node itself shows the failure.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.helpers import check_json, doctor, dry_run_plan
from tests.toolchain import TS_GENERATOR, ProjectFactory, schema_text

pytestmark = pytest.mark.node

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"


def _messages(report: dict[str, object]) -> list[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return [f"{f['code']}: {f['message']}" for f in findings if isinstance(f, dict)]


def test_a_client_under_a_linked_src_cannot_reach_the_projects_client_package(prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text("7.10.0", MODELS, TS_GENERATOR), version="7.10.0")
    project.generate()
    outside = project.root.parent / "outside1"
    outside.mkdir()
    shutil.move(project.root / "src", outside / "src")
    (project.root / "src").symlink_to("../outside1/src")
    # Node's own answer, from the client's real folder.
    resolved = subprocess.run(
        ["node", "-e", "require.resolve('@prisma/client/runtime/client')"],
        cwd=outside / "src" / "generated" / "prisma",
        capture_output=True,
        text=True,
    )
    assert "Cannot find module" in resolved.stderr

    _, report = check_json(project.root)

    messages = _messages(report)
    said = next(m for m in messages if "@prisma/client" in m)
    assert "cannot reach it from" in said and str(outside / "src" / "generated" / "prisma") in said, messages
    assert not any("installed incompletely" in m for m in messages), messages


def test_a_node_modules_linked_to_a_folder_of_another_name_is_said_and_never_replaced(
    prisma_project: ProjectFactory,
) -> None:
    project = prisma_project(schema_text("7.10.0", MODELS, TS_GENERATOR), version="7.10.0")
    project.generate()
    shared = project.root.parent / "shared_nm"
    shutil.move(project.root / "node_modules", shared)
    (project.root / "node_modules").symlink_to("../shared_nm")
    cli = subprocess.run(["node", "node_modules/prisma/build/index.js", "-v"], cwd=project.root, capture_output=True)
    assert cli.returncode != 0 and b"Cannot find module" in cli.stderr  # Node's own answer

    _, report = check_json(project.root)

    messages = _messages(report)
    said = next(m for m in messages if "@prisma/engines" in m)
    assert "cannot reach it from" in said and str(shared / "prisma") in said, messages
    assert not any("installed incompletely" in m for m in messages), messages
    plan = dry_run_plan("reset", project=project.root, refused=True)
    assert any("is a link to ../shared_nm" in r for r in plan["refusals"]), plan
    done = doctor("reset", "--yes", "--project", str(project.root), repair=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (project.root / "node_modules").is_symlink()
