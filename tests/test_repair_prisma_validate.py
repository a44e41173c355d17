"""A schema Prisma rejects but our validator accepts: the repair asks the project's own `prisma validate` and refuses
before it stops a dev server or sets a client aside (a reset used to stop the server, fail in generate, roll back).

Each schema here is checked against the real Prisma CLI (6.17, from npm): `prisma validate` must reject it and
`prisma-doctor schema` must accept it, else the case proves nothing about the preflight."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.helpers import doctor, doctor_json, dry_run_plan, refused_plan, tree_contents
from tests.repair_fixtures import SCHEMA, project_copy, repair_environment
from tests.watch_servers import NpmRunDev
from tests.watch_servers import project_copy as watch_copy

pytestmark = pytest.mark.node

USER = "model User {\n  id   Int    @id @default(autoincrement())\n  name String\n"
# Prisma's words for each (what its message holds), and the change that makes the schema one it rejects.
REJECTED = {
    "an unknown referential action": (
        "Invalid referential action",
        "  posts Post[]\n}\nmodel Post {\n  id Int @id\n  uid Int\n"
        "  user User @relation(fields: [uid], references: [id], onDelete: Explode)\n",
    ),
}
# Rejected by Prisma and, since its rules were taught to ours, by our validator too: refused before Node is asked.
REJECTED_BY_BOTH = {
    "two models mapped to one table": (
        "could not be defined because another model",
        '}\nmodel Other {\n  id Int @id\n  @@map("User")\n',
    ),
    "a relation naming a field that does not exist": (
        "do not exist in this model: authorId",
        "  posts Post[]\n}\nmodel Post {\n  id Int @id\n  user User @relation(fields: [authorId], references: [id])\n",
    ),
    "a native type of another provider": (
        "Native type VarChar is not supported for sqlite",
        "  nick String @db.VarChar(9)\n",
    ),
    "a default of the wrong type": ('Expected a Int value, but found `"x"`', '  age Int @default("x")\n'),
}


def _rejected_schema(change: str) -> str:
    assert USER in SCHEMA
    return SCHEMA.replace(USER, USER + change)


def _prisma_validate(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", "node_modules/prisma/build/index.js", "validate"],
        cwd=project,
        env={**os.environ, **repair_environment()},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_a_schema_only_prisma_rejects_refuses_the_plan_with_prisma_s_words(case: str, tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    words, change = REJECTED[case]
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(_rejected_schema(change))
    # The case is real: Prisma rejects it, our validator accepts it.
    validated = _prisma_validate(project)
    assert validated.returncode == 1 and words in validated.stdout + validated.stderr, validated
    assert doctor("schema", str(schema)).returncode == 0

    for kind in ("reset", "regenerate"):
        plan = refused_plan(kind, project=project, env=repair_environment())
        (refusal,) = plan["refusals"]
        assert refusal.startswith("Prisma's own `prisma validate` rejects the schema") and words in refusal, plan


@pytest.mark.parametrize("case", sorted(REJECTED_BY_BOTH))
def test_a_schema_both_reject_refuses_the_plan(case: str, tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    words, change = REJECTED_BY_BOTH[case]
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(_rejected_schema(change))
    validated = _prisma_validate(project)
    assert validated.returncode == 1 and words in validated.stdout + validated.stderr, validated
    assert doctor("schema", str(schema)).returncode == 1
    for kind in ("reset", "regenerate"):
        plan = dry_run_plan(kind, project=project, env=repair_environment(), refused=True)
        assert plan["refusals"], plan


def test_a_valid_schema_is_asked_and_not_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prisma_doctor.repair.plan import build_plan

    project = project_copy("npm", tmp_path / "app")
    for name, value in repair_environment().items():
        monkeypatch.setenv(name, value)
    plan = build_plan(project, "reset")
    assert not plan.refusals and not any("prisma validate" in note for note in plan.notes), plan


def test_a_dry_run_runs_none_of_the_project_s_code_and_writes_nothing(tmp_path: Path) -> None:
    """Attacker's trial 13, H3: `reset --dry-run` ran `prisma validate`, which loads `prisma.config.ts` (here it
    writes a file outside the project), and rewrote `.prisma-doctor/repair.lock`."""
    project = project_copy("npm", tmp_path / "app")
    ran = tmp_path / "outside" / "CONFIG_RAN"
    ran.parent.mkdir()
    (project / "prisma.config.ts").write_text(
        'import { writeFileSync } from "node:fs";\n'
        f"writeFileSync({str(ran)!r}, process.argv.slice(2).join(' '));\n"
        'export default { schema: "prisma/schema.prisma" };\n'
    )
    # The case is real: Prisma's own validate runs the config.
    assert _prisma_validate(project).returncode == 0 and ran.read_text() == "validate"
    ran.unlink()
    # What an earlier repair left: its folder and lock.
    done = doctor("regenerate", "--project", str(project), "--yes", repair=True)
    assert done.returncode == 0, done.stdout + done.stderr
    ran.unlink()
    state = project / ".prisma-doctor"
    assert (state / "repair.lock").is_file()
    before = tree_contents(project, file_modes=True), {p.name: p.stat().st_mtime_ns for p in state.iterdir()}

    plans = [dry_run_plan(kind, project=project, env=repair_environment()) for kind in ("reset", "regenerate")]

    assert not ran.exists()
    assert (tree_contents(project, file_modes=True), {p.name: p.stat().st_mtime_ns for p in state.iterdir()}) == before
    for plan in plans:
        assert not plan["refusals"], plan
        # Said instead: Prisma is asked by the run, before it changes anything.
        assert any(
            note.startswith("Prisma's own `prisma validate` is asked when the repair runs") for note in plan["notes"]
        ), plan


def test_a_reset_refuses_before_it_stops_the_dev_server(watch_template: Path, tmp_path: Path) -> None:
    project = watch_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        assert server.wait_for_status(200) == 200, server.output
        assert server.process is not None
        pids = {p.pid for p in psutil.Process(server.process.pid).children(recursive=True)}
        client = project / "node_modules" / ".prisma" / "client"
        before = tree_contents(client)
        schema = project / "prisma" / "schema.prisma"
        schema.write_text(schema.read_text() + 'model Other {\n  id Int @id\n  @@map("User")\n}\n')

        status, plan = doctor_json("reset", "--project", str(project), env=server.environment)

        assert status == 2, plan
        (refusal,) = plan["refusals"]
        assert "could not be defined because another model" in refusal, refusal
        # Nothing was stopped, set aside or recorded: the server answers as before, from the same processes.
        assert server.users().status == 200
        assert pids <= {p.pid for p in psutil.Process(server.process.pid).children(recursive=True)}
        assert tree_contents(client) == before
        assert not (project / ".prisma-doctor" / "journal.json").exists()
        assert not (project / ".prisma-doctor" / "aside").exists()
    finally:
        server.stop()


def test_the_plan_s_own_validate_is_no_process_of_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`prisma validate` now runs while the plan reads the project's processes: a node process working in the
    project's folder, which a reset would otherwise list to stop (and wait for)."""
    from prisma_doctor.repair.package_manager import detect
    from prisma_doctor.repair.plan import _processes
    from prisma_doctor.repair.prisma_validate import PrismaValidation
    from prisma_doctor.repair.processes import find_project_processes

    project = project_copy("npm", tmp_path / "app")
    for name, value in repair_environment().items():
        monkeypatch.setenv(name, value)
    validation = PrismaValidation(detect(project), None)
    assert validation.pid is not None
    # Held still while the processes are read: a quick `validate` must not make the test pass by being gone.
    os.kill(validation.pid, signal.SIGSTOP)
    try:
        assert validation.pid in {p.pid for p in find_project_processes(project)}
        assert validation.pid not in {p.pid for p in _processes([project])}
    finally:
        os.kill(validation.pid, signal.SIGCONT)
    answer = validation.answer()
    assert answer.refusal is None and answer.note is None, answer


def test_a_validate_the_plan_no_longer_needs_is_ended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from prisma_doctor.repair.package_manager import detect
    from prisma_doctor.repair.prisma_validate import PrismaValidation

    project = project_copy("npm", tmp_path / "app")
    for name, value in repair_environment().items():
        monkeypatch.setenv(name, value)
    validation = PrismaValidation(detect(project), None)
    assert validation.pid is not None
    validation.abandon()
    assert not psutil.pid_exists(validation.pid) or psutil.Process(validation.pid).status() == psutil.STATUS_ZOMBIE


def test_another_repair_s_validate_is_not_named_as_the_project_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attacker's trial 13, C2: two repairs at once; the second's plan, read while the first's asked Prisma, told the
    user to restart the first's `prisma validate` ("runs in the project but is no dev server ...")."""
    from prisma_doctor.repair.package_manager import detect
    from prisma_doctor.repair.plan import build_plan
    from prisma_doctor.repair.prisma_validate import PrismaValidation
    from prisma_doctor.repair.processes import find_project_processes

    project = project_copy("npm", tmp_path / "app")
    for name, value in repair_environment().items():
        monkeypatch.setenv(name, value)
    first = PrismaValidation(detect(project), None)  # the first repair's plan, asking Prisma
    assert first.pid is not None
    os.kill(first.pid, signal.SIGSTOP)  # still asking while the second plan is read
    try:
        assert first.pid in {p.pid for p in find_project_processes(project)}
        plan = build_plan(project, "reset")
        assert not plan.refusals, plan.refusals
        assert not any(f"pid {first.pid} " in note for note in plan.notes), plan.notes
    finally:
        os.kill(first.pid, signal.SIGCONT)
        first.abandon()
