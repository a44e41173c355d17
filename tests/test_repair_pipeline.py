"""The repair pipeline on real Prisma 6.17 projects (npm and pnpm 10 layouts)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from prisma_doctor.findings import SyncState
from prisma_doctor.repair.context import ProgressEvent
from prisma_doctor.repair.journal import Journal, RepairLock
from prisma_doctor.repair.pipeline import CancellationToken, run_plan
from prisma_doctor.repair.plan import build_plan
from tests.helpers import doctor, tree_times
from tests.repair_fixtures import add_field, project_copy, repair_environment, run_query

pytestmark = pytest.mark.node


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in repair_environment().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["npm", "pnpm"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return project_copy(request.param, tmp_path / f"app-{request.param}")


def client_schema_copies(project: Path) -> list[Path]:
    return [p for p in project.rglob("node_modules/**/.prisma/client/schema.prisma")]


def test_reset_regenerates_a_changed_schema_and_verifies(project: Path) -> None:
    add_field(project, "email")
    plan = build_plan(project, "reset")
    assert plan.before is not None and plan.before.state is SyncState.OUT_OF_SYNC
    events: list[ProgressEvent] = []

    result = run_plan(plan, progress=events.append)

    assert result.ok, result.to_json()
    assert result.after is not None and result.after.state is SyncState.IN_SYNC
    assert result.restart_ts_server
    assert [e.step for e in events if e.status == "started"] == [s.name for s in plan.steps]
    assert all("email" in p.read_text() for p in client_schema_copies(project))
    assert run_query(project, "email").returncode == 0
    journal = Journal.previous(project)
    assert journal is not None and journal["outcome"] == "done"
    # Where the repair's time went, step by step (bench/green_bench.py reads it): the generate is never free.
    timed = {step["name"]: step["seconds"] for step in journal["steps"]}
    assert timed["generate"] > 0 and all(seconds >= 0 for seconds in timed.values()), journal
    assert [s["seconds"] for s in result.to_json()["steps"]] == [round(s.seconds, 3) for s in result.steps]
    assert (project / ".prisma-doctor" / ".gitignore").read_text().strip().endswith("*")


def test_dry_run_lists_paths_with_sizes_and_changes_nothing(project: Path) -> None:
    (project / ".next" / "cache").mkdir(parents=True)
    (project / ".next" / "cache" / "blob").write_bytes(b"x" * 4096)
    before = sorted(p.name for p in project.iterdir())

    done = doctor("reset", "--project", str(project), "--dry-run", repair=True)
    deep = doctor("reset", "--project", str(project), "--dry-run", "--deep", repair=True)

    assert done.returncode == 0, done.stderr
    assert ".prisma/client (" in done.stdout and "B): kept aside until the new client is in place" in done.stdout
    # A build cache that holds no client is kept (build_cache.py); `--deep` sets it aside, and says why.
    assert f"{project / '.next'}: left in place: it holds no generated client" in done.stdout
    assert f"{project / '.next'} (4.0 KB): `--deep` asks for every build cache; kept aside" in deep.stdout
    assert sorted(p.name for p in project.iterdir()) == before
    assert (project / ".next" / "cache" / "blob").exists()


def test_incident_deletion_then_reset_leaves_a_working_project(project: Path) -> None:
    # The incident's script: delete the Prisma packages themselves, then expect generate to work.
    shutil.rmtree(project / "node_modules" / "@prisma")
    for folder in (project / "node_modules" / ".pnpm").glob("@prisma*"):
        shutil.rmtree(folder)
    add_field(project, "email")

    done = doctor("reset", "--project", str(project), "--yes", "--json", repair=True)

    result = json.loads(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [s["name"] for s in result["steps"] if s["status"] == "done"][:2] == ["set-aside", "reinstall"]
    assert result["after"]["state"] == "in-sync"
    query = run_query(project, "email")
    assert query.returncode == 0, query.stderr
    assert "users: 1" in query.stdout


def test_generator_output_outside_the_project_is_reported_not_deleted(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "workspace" / "app")
    outside = tmp_path / "workspace" / "shared-client"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the project's")
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace('engineType = "client"', 'engineType = "client"\n  output = "../../"'))

    plan = build_plan(project, "regenerate")
    # (The plan refuses, so its text lists no steps: their previews say what each would do.)
    text = "\n".join(line for step in plan.steps for line in step.preview())

    assert f"{tmp_path / 'workspace'}: generator `client` outputs outside the project; NOT touched" in text
    remove = next(s for s in plan.steps if s.name == "set-aside")
    result = run_plan(type(plan)(plan.root, plan.kind, [remove], plan.before))
    assert result.ok
    assert (outside / "keep.txt").read_text() == "not the project's"
    assert any("outside the project" in d for s in result.steps for d in s.details)


def test_links_out_of_the_project_survive_with_their_targets(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "data.txt").write_text("precious")
    (project / ".next" / "dev").mkdir(parents=True)
    (project / ".next" / "dev" / "linked-folder").symlink_to(elsewhere, target_is_directory=True)
    (project / ".next" / "linked-file").symlink_to(elsewhere / "data.txt")
    (project / "node_modules" / ".prisma" / "client" / "linked").symlink_to(elsewhere)

    result = run_plan(build_plan(project, "reset", deep=True))

    assert result.ok, result.to_json()
    assert not (project / ".next").exists()
    assert (elsewhere / "data.txt").read_text() == "precious"


def test_a_cancelled_repair_puts_the_client_back_and_the_next_run_completes_it(project: Path) -> None:
    add_field(project, "email")
    old_copies = {p: p.read_text() for p in client_schema_copies(project)}
    token = CancellationToken()

    def cancel_after_set_aside(event: ProgressEvent) -> None:
        if event.step == "set-aside" and event.status == "done":
            token.cancel()

    first = run_plan(build_plan(project, "reset"), progress=cancel_after_set_aside, token=token)

    assert first.cancelled and not first.ok
    assert [s.status for s in first.steps][:3] == ["skipped", "done", "cancelled"]
    rollback = next(s for s in first.steps if s.name == "rollback")
    assert rollback.status == "done", rollback
    # The old client is back where it was, as it was: a cancelled repair leaves the project as it found it.
    assert {p: p.read_text() for p in client_schema_copies(project)} == old_copies
    second_plan = build_plan(project, "reset")
    # Everything is back: nothing of the cancelled run bears on the next plan, which says nothing of it.
    assert second_plan.notes == [] and second_plan.steps[0].name == "stop"
    second = run_plan(second_plan)
    assert second.ok, second.to_json()
    assert all("email" in p.read_text() for p in client_schema_copies(project))
    assert build_plan(project, "reset").notes == []


def test_a_crashed_repairs_lock_file_does_not_block_the_next(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    crashed = subprocess.Popen([sys.executable, "-c", "pass"])
    crashed.wait()
    (project / ".prisma-doctor").mkdir(mode=0o700)
    (project / ".prisma-doctor" / "repair.lock").write_text(json.dumps({"pid": crashed.pid}))

    result = run_plan(build_plan(project, "regenerate"))

    assert result.ok, result.to_json()


def test_refused_roots_exit_2() -> None:
    for root in ("/", str(Path.home())):
        done = doctor("reset", "--project", root, "--yes", repair=True)
        assert done.returncode == 2
        assert "refused" in done.stderr


def test_an_invalid_schema_is_refused_before_anything_changes(project: Path) -> None:
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("model User {", "model User {\n  broken Strin"))
    before = tree_times(project)

    done = doctor("regenerate", "--project", str(project), "--yes", repair=True)

    assert done.returncode == 2, done.stdout + done.stderr
    assert "refused, nothing was changed" in done.stderr and "schema does not validate" in done.stderr
    assert tree_times(project) == before
    assert run_query(project).returncode == 0


def test_a_generate_that_fails_puts_the_old_client_back(project: Path) -> None:
    # Valid for the schema's reader, but Prisma cannot run this generator: generate fails after the set-aside.
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text() + '\ngenerator broken {\n  provider = "node ./no-such-generator.js"\n}\n')
    old_copies = {p: p.read_text() for p in client_schema_copies(project)}

    done = doctor("regenerate", "--project", str(project), "--yes", "--json", repair=True)

    result = json.loads(done.stdout)
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [s for s in result["steps"] if s["status"] == "failed"]
    assert failed and failed[0]["name"] == "generate"
    assert next(s for s in result["steps"] if s["name"] == "rollback")["status"] == "done"
    assert {p: p.read_text() for p in client_schema_copies(project)} == old_copies
    assert run_query(project).returncode == 0
    # The old client is all there is: the editor has no new types to read.
    assert result["restartTsServer"] is False


def test_deep_dry_run_names_processes_and_local_caches_and_nothing_global(tmp_path: Path) -> None:
    project = project_copy("pnpm", tmp_path / "app")
    for cache in (".turbo", "node_modules/.cache"):
        (project / cache).mkdir(parents=True, exist_ok=True)
        (project / cache / "entry").write_bytes(b"z" * 2048)
    idle = subprocess.Popen(["node", "-e", "setInterval(() => {}, 1000)"], cwd=project)
    try:
        done = doctor("reset", "--project", str(project), "--dry-run", "--deep", repair=True)
    finally:
        idle.kill()
        idle.wait()

    assert done.returncode == 0, done.stderr
    # An idle node in the project is no dev server the repair could start again: named, and left running.
    assert f"note: pid {idle.pid} (node -e setInterval(() => {{}}, 1000)) runs in the project" in done.stdout
    assert f"{project / '.turbo'} (2.0 KB)" in done.stdout
    assert f"{project / 'node_modules/.cache'} (2.0 KB)" in done.stdout
    # A package manager's cache or store is every project's: --deep never cleans it.
    assert "store prune" not in done.stdout and "cache clean" not in done.stdout and "cache rm" not in done.stdout
    assert (project / ".turbo" / "entry").exists()


def test_restart_dev_without_a_running_server_exits_1(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")

    done = doctor("restart-dev", "--project", str(project), "--yes", repair=True)

    assert done.returncode == 1
    assert "no dev server of this project is running" in done.stdout


def test_a_second_repair_of_the_same_project_is_refused_while_one_runs(tmp_path: Path, spawn) -> None:
    project = project_copy("npm", tmp_path / "app")
    running = RepairLock(project)
    running.acquire()  # held by this live process, as a repair in the language server would hold it
    (project / ".prisma-doctor" / "aside" / "client-1").mkdir(parents=True)  # what the running repair set aside
    # The running repair's `prisma generate`: a process of the project that this repair would name and leave running.
    spawn(["node", "-e", "setTimeout(() => {}, 60000)", "prisma", "generate"], project)
    try:
        plan = build_plan(project, "reset")
        result = run_plan(plan)
        done = doctor("reset", "--yes", "--project", str(project), repair=True)
    finally:
        running.release()

    refusal = f"another repair of this project is running (pid {os.getpid()}): nothing was changed"
    # A refusal before anything, and only that: nothing about the other run's processes (its child is no server
    # left running), nor its backup, which is its own and never offered for removal as an earlier repair's leftover.
    assert plan.refusals == [refusal] and plan.steps == [] and plan.notes == []
    assert result.refused == [refusal] and not result.ok and result.steps == []
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"refused: {refusal}" in done.stderr and "NOT complete" not in done.stdout + done.stderr
    assert "note:" not in done.stdout + done.stderr
    assert (project / ".prisma-doctor" / "aside" / "client-1").is_dir()


@pytest.mark.parametrize("planted", ["fifo", "link"])
def test_a_lock_file_that_is_not_a_plain_file_refuses_the_plan(tmp_path: Path, planted: str) -> None:
    project = project_copy("npm", tmp_path / "app")
    state = project / ".prisma-doctor"
    state.mkdir(mode=0o700)
    if planted == "fifo":
        os.mkfifo(state / "repair.lock")
    else:
        (tmp_path / "elsewhere").write_text("precious\n")
        (state / "repair.lock").symlink_to(tmp_path / "elsewhere")
    plan = build_plan(project, "regenerate")
    assert plan.steps == [] and len(plan.refusals) == 1, plan.refusals
    # A link is named as one, with where it leads (journal.link_refusals); a FIFO cannot be used as a lock.
    expected = (
        f"{state / 'repair.lock'} is a link to {tmp_path / 'elsewhere'}"
        if planted == "link"
        else "the repair lock cannot be used"
    )
    assert plan.refusals[0].startswith(expected), plan.refusals
    assert plan.refusals[0].endswith(": nothing was changed")


def test_a_lock_taken_after_the_plan_was_read_refuses_the_run(tmp_path: Path) -> None:
    project = project_copy("npm", tmp_path / "app")
    plan = build_plan(project, "regenerate")
    assert not plan.refusals and plan.steps
    running = RepairLock(project)
    running.acquire()
    try:
        result = run_plan(plan)
    finally:
        running.release()
    assert result.busy and result.steps == [] and result.notes == []
    assert result.refused == [f"another repair of this project is running (pid {os.getpid()}): nothing was changed"]
    # A lock made unusable since (a hard link to a file elsewhere) refuses too, and is not called another repair.
    lock = project / ".prisma-doctor" / "repair.lock"
    lock.unlink()
    (tmp_path / "elsewhere").write_text("precious\n")
    os.link(tmp_path / "elsewhere", lock)
    unusable = run_plan(plan)
    assert not unusable.busy and unusable.steps == [] and not unusable.ok
    assert "the repair lock cannot be used" in unusable.refused[0], unusable.refused
    assert (tmp_path / "elsewhere").read_text() == "precious\n"


def test_a_generate_that_could_not_get_its_engine_is_refused_before_anything_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The trial: offline, a reset stopped the server, set the client aside, failed at generate and put it all back.
    project = project_copy("npm", tmp_path / "app")
    log = project / ".prisma-doctor" / "generate.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text(
        "Prisma schema loaded from prisma/schema.prisma\n"
        "Error: request to https://binaries.prisma.sh/all_commits/0000/debian-openssl-3.0.x/libquery_engine.so.node.gz"
        ".sha256 failed, reason: getaddrinfo ENOTFOUND binaries.prisma.sh\n"
    )
    before = tree_times(project)

    # (Without the repair tests' schema engine stand-in: with it, generate would succeed.)
    monkeypatch.delenv("PRISMA_SCHEMA_ENGINE_BINARY")
    done = doctor("reset", "--project", str(project), "--yes")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "the last `prisma generate` here" in done.stderr and "fail the same way" in done.stderr, done.stderr
    assert tree_times(project) == before
    # What would let it succeed: an engine variable set now, or a client generated since (the user's own generate).
    # (Prisma 6.17's generate fetches the schema engine as well: its variable is one that lets it succeed.)
    for variable in ("PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_SCHEMA_ENGINE_BINARY"):
        plan = doctor("reset", "--project", str(project), "--dry-run", env={**os.environ, variable: "x"})
        assert "the last `prisma generate`" not in plan.stdout + plan.stderr, variable
    os.utime(log, (1, 1))
    before = tree_times(project)
    plan = doctor("reset", "--project", str(project), "--yes")
    assert "the last `prisma generate`" not in plan.stdout + plan.stderr
    # An old log decides nothing then; Prisma's own CLI, asked now, cannot get its engine for `validate` here, the
    # same it fetches for `generate` (test_repair_engine_download.py): refused, with nothing changed.
    said = plan.stdout + plan.stderr
    assert plan.returncode == 2 and "Prisma's CLI cannot download the engine it needs here" in said, said
    assert tree_times(project) == before


@pytest.mark.parametrize(
    ("status", "delay"),
    [
        ("progress", 0.3),  # while `prisma generate` runs (it takes seconds), which then fails in the renamed folder
        ("done", 0.0),  # once it succeeded: the next step's journal write fails, and the step is not run
    ],
)
def test_a_project_renamed_during_generate_is_put_back_where_it_now_is(
    tmp_path: Path, status: str, delay: float
) -> None:
    # An attacker's trial: the folder renamed during generate gave a FileNotFoundError traceback from the journal's
    # write, and left the old client set aside and the project without one.
    project = project_copy("npm", tmp_path / "app")
    add_field(project, "email")
    old_copies = {p.relative_to(project): p.read_text() for p in client_schema_copies(project)}
    moved = tmp_path / "renamed"
    renames: list[threading.Timer] = []

    def rename_during_generate(event: ProgressEvent) -> None:
        if event.step == "generate" and event.status == status and not renames:
            renames.append(threading.Timer(delay, os.rename, (project, moved)))
            if delay:
                renames[0].start()
            else:
                renames[0].run()  # here and now: before the next step's first journal write

    result = run_plan(build_plan(project, "reset"), progress=rename_during_generate)
    if delay:
        renames[0].join()

    assert not project.exists() and moved.is_dir()
    assert not result.ok, result.to_json()
    said = next(note for note in result.notes if "moved from" in note)
    assert f"moved from {project} to {moved}" in said and "journal could not be written" in said, said
    rollback = next((s for s in result.steps if s.name == "rollback"), None)
    assert rollback is not None, json.dumps([result.to_json()["steps"], result.notes])
    assert rollback.status == "done" and rollback.details == (f"put back {moved}/node_modules/.prisma/client",), (
        rollback
    )
    # The old client is back in the renamed project, nothing is left aside, and the journal is there too.
    assert {p.relative_to(moved): p.read_text() for p in client_schema_copies(moved)} == old_copies
    assert not any((moved / ".prisma-doctor" / "aside").iterdir())
    journal = Journal.previous(moved)
    assert journal is not None and journal["outcome"] == "failed", journal
    assert result.verdict() == "repair NOT complete"
