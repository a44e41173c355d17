"""What a repair that did not finish left (`repair/interruption.py`), read from its journal against the project now,
and what the next check and plan make of it. Records are written by the real journal and their run really died (a
process that ended); the whole story on a real dev server killed mid-repair is in test_repair_kill.py."""

from __future__ import annotations

import json
from pathlib import Path

from prisma_doctor.repair.context import CancellationToken, SetAsidePath, StepContext
from prisma_doctor.repair.interruption import aside_record, left_by_last_repair
from prisma_doctor.repair.journal import Journal
from prisma_doctor.repair.package_manager import program
from prisma_doctor.repair.plan import build_plan
from prisma_doctor.repair.recover import Recover
from tests.helpers import check_json, dead_repair, finding, set_aside_as_repair

SCHEMA = """datasource db {
  provider = "sqlite"
  url      = "file:./dev.db"
}

generator client {
  provider = "prisma-client-js"
}

model User {
  id   Int    @id
  name String
}
"""


def _project(tmp_path: Path, scripts: dict[str, str]) -> Path:
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    (project / "prisma" / "schema.prisma").write_text(SCHEMA)
    (project / "package.json").write_text(json.dumps({"name": "app", "scripts": scripts}))
    return project


NPM_RUN_DEV = {"pid": 0, "command": ["/usr/bin/node", "/usr/lib/npm-cli.js", "run", "dev"], "port": 3107}


def test_a_killed_reset_is_a_finding_naming_the_server_it_stopped_and_what_it_set_aside(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    (project / ".next" / "cache").mkdir(parents=True)
    journal = dead_repair(project, {"stop": "done", "set-aside": "running"}, [{**NPM_RUN_DEV, "cwd": str(project)}])
    aside = set_aside_as_repair(project, journal, ".next")

    code, report = check_json(project)

    assert code == 1
    found = finding(report, "repair-interrupted")
    assert found["severity"] == "error"
    assert found["fixes"][0]["id"] == "full-reset" and "restart-dev-server" in [f["id"] for f in found["fixes"]]
    assert "did not finish" in found["message"] and "run dev" in found["message"], found["message"]
    assert found["data"]["stopped"][0]["script"] == "dev" and found["data"]["stopped"][0]["port"] == 3107
    assert found["data"]["setAside"] == [{"path": str(project / ".next"), "aside": str(aside), "replaced": False}]


def test_a_client_set_aside_is_said_as_such_not_as_never_generated(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(SCHEMA.replace('"prisma-client-js"', '"prisma-client-js"\n  output   = "../generated/client"'))
    (project / "generated" / "client").mkdir(parents=True)
    journal = dead_repair(project, {"stop": "done", "set-aside": "running"}, [])
    aside = set_aside_as_repair(project, journal, "generated/client", provider="prisma-client-js")

    code, report = check_json(project)

    assert code == 1
    assert "client-not-generated" not in [f["code"] for f in report["findings"]], report
    found = finding(report, "client-set-aside")
    assert found["severity"] == "error" and [f["id"] for f in found["fixes"]] == ["full-reset"], found
    assert found["data"]["aside"] == str(aside) and found["data"]["generator"] == "client"
    assert f"set it aside to {aside}" in found["message"] and "(`recover`): run the reset again" in found["message"]
    assert finding(report, "repair-interrupted")["severity"] == "error"
    # Once the copy is back (what `recover` does), the check says nothing of a repair: only what the client is.
    aside.rename(project / "generated" / "client")
    codes = [f["code"] for f in check_json(project)[1]["findings"]]
    assert "client-set-aside" not in codes and "repair-interrupted" not in codes, codes


def test_the_next_plan_takes_it_over_and_starts_the_server_as_its_script(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    (project / ".next").mkdir()
    journal = dead_repair(project, {"stop": "done", "set-aside": "running"}, [{**NPM_RUN_DEV, "cwd": str(project)}])
    aside = set_aside_as_repair(project, journal, ".next")

    plan = build_plan(project, "restart-dev")

    assert [step.name for step in plan.steps][:1] == ["recover"]
    lines = "\n".join(plan.describe())
    assert f"{aside}: put back at {project / '.next'}" in lines
    restart = next(step for step in plan.steps if step.name == "restart-dev")
    (server,) = restart.servers  # pyright: ignore[reportAttributeAccessIssue]
    # The project's own script, by its package manager: not the record's program path.
    assert server.command == (*program("npm"), "run", "dev") and server.cwd == str(project)
    assert server.environ["PORT"] == "3107" and server.source == "record"
    # Said once, in the step it bears on: no note repeats it.
    assert not any("reset" in note for note in plan.notes), plan.notes

    # The step itself puts back what nothing replaced.
    recover = plan.steps[0]
    assert isinstance(recover, Recover)
    outcome = recover.run(StepContext(project, CancellationToken(), lambda message: None))
    assert outcome.status == "done", outcome
    assert (project / ".next").is_dir() and not aside.exists()


def test_a_reset_takes_over_the_copies_to_remove_once_its_client_is_in_place(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    (project / ".next").mkdir()
    journal = dead_repair(project, {"stop": "done", "set-aside": "running"}, [])
    aside = set_aside_as_repair(project, journal, ".next")
    (project / ".next").mkdir()  # the server started since made a new one

    recover = build_plan(project, "reset").steps[0]
    ctx = StepContext(project, CancellationToken(), lambda message: None)
    assert isinstance(recover, Recover) and recover.run(ctx).status == "done"

    # Nothing moved yet: the copy is this repair's now, removed by its discard or put back by its rollback.
    assert aside.is_dir() and [(item.path, where) for item, where in ctx.set_aside] == [(project / ".next", aside)]


def test_a_run_that_left_nothing_says_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    # Cancelled, and its rollback put everything back and started its server again: nothing bears on the next plan.
    journal = dead_repair(project, {"stop": "done", "set-aside": "done", "generate": "cancelled"}, [], "cancelled")
    journal.record_aside(aside_record(SetAsidePath(project / ".next", None), project / ".prisma-doctor/aside/x"))
    assert left_by_last_repair(project) is None
    plan = build_plan(project, "reset")
    assert plan.notes == [] and "recover" not in [step.name for step in plan.steps]
    assert "repair-interrupted" not in [f["code"] for f in check_json(project)[1]["findings"]]


def test_a_repair_still_running_or_finished_is_no_interruption(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    (project / ".next").mkdir()
    journal = Journal.start(project, "reset", ["stop", "set-aside"])  # this process: alive
    journal.mark("stop", "done")
    set_aside_as_repair(project, journal, ".next")
    assert left_by_last_repair(project) is None
    journal.finish("done")
    assert left_by_last_repair(project) is None


def test_a_planted_record_starts_nothing_and_moves_nothing_from_outside(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev", "wipe": "echo ran > wiped", "both": "next dev && rm -rf ~"})
    outside = tmp_path / "outside"
    outside.mkdir()
    journal = dead_repair(
        project,
        {"stop": "done"},
        [
            {"command": ["sh", "-c", "touch pwned"], "cwd": str(outside)},  # not the project: not even named
            {"command": ["npm", "run", "wipe"], "cwd": str(project)},  # no dev server
            {"command": ["npm", "run", "both"], "cwd": str(project)},  # shell syntax
            {"command": ["npm", "run", "dev", "--", "$(touch x)"], "cwd": str(project)},  # more than a port
            {"command": ["npm", "run", "dev"], "cwd": "\u0000"},
        ],
    )
    for source, target in (
        (outside, project / ".next"),  # from outside the aside places
        (project / ".prisma-doctor" / "aside" / "x", project / ".prisma-doctor" / "journal.json"),  # into its own
        (project / ".prisma-doctor" / "aside" / "y", project / ".." / "elsewhere"),  # out of the project
    ):
        journal.record_aside({"from": str(target), "to": str(source), "provider": None, "extension": "ts"})

    left = left_by_last_repair(project)

    assert left is not None and left.aside == ()
    assert [(s.recorded, s.script) for s in left.stopped] == [
        ("npm run wipe", None),
        ("npm run both", None),
        ("npm run dev -- $(touch x)", None),
    ]
    plan = build_plan(project, "restart-dev")
    restart = next(step for step in plan.steps if step.name == "restart-dev")
    assert restart.servers == []  # pyright: ignore[reportAttributeAccessIssue]
    assert "not started again from its record" in "\n".join(plan.describe())


def test_old_copies_no_record_accounts_for_are_named_once_and_go_with_the_next_discard(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    old = project / ".prisma-doctor" / "aside" / "20250101-000000-99-0-client"
    (old / "nested").mkdir(parents=True)

    assert "a reset or regenerate removes them" in build_plan(project, "restart-dev").notes[0]
    plan = build_plan(project, "reset")
    # Said where it happens, in the discard step, not as a note besides.
    assert plan.notes == []
    discard = next(step for step in plan.steps if step.name == "discard")
    assert f"and the old copy {old}, left by an earlier repair" in discard.preview()
    outcome = discard.run(StepContext(project, CancellationToken(), lambda message: None))
    assert outcome.status == "done" and not old.exists(), outcome


def test_a_record_whose_folder_leads_out_through_a_link_starts_nothing_there(tmp_path: Path) -> None:
    # Attacker's trial 4: a journal and a link carried by a repository (`app -> /elsewhere`) made a reset start
    # `npm run dev` in the folder outside, with that folder's own package.json's script.
    project = _project(tmp_path, {"dev": "next dev"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "package.json").write_text(json.dumps({"scripts": {"dev": "node --watch evil.js"}}))
    (project / "app").symlink_to(outside)
    # And a folder of the project whose package.json is a link to the outside one: its script is not the project's.
    (project / "web").mkdir()
    (project / "web" / "package.json").symlink_to(outside / "package.json")
    servers = [{**NPM_RUN_DEV, "cwd": str(project / "app")}, {**NPM_RUN_DEV, "cwd": str(project / "web")}]
    dead_repair(project, {"stop": "done"}, servers)

    left = left_by_last_repair(project)

    assert left is not None
    assert [(s.cwd, s.script) for s in left.stopped] == [(project / "web", None)]  # the link's: not even named
    plan = build_plan(project, "reset")
    restart = next(step for step in plan.steps if step.name == "restart-dev")
    assert restart.servers == []  # pyright: ignore[reportAttributeAccessIssue]
    assert str(project / "app") not in "\n".join(plan.describe())


def test_a_record_whose_copy_is_reached_through_a_link_is_no_copy_of_the_project(tmp_path: Path) -> None:
    # Probed with each field of a planted journal: the copy's folder a link out (`.prisma-doctor/aside -> outside`),
    # the copy itself a link, the client's own folder a link out (a copy "beside itself" there). `check` said each
    # as the project's client set aside, and the next reset took it over to remove it.
    project = _project(tmp_path, {"dev": "next dev"})
    outside = tmp_path / "outside"
    for name in ("client", "linked", ".client.prisma-doctor-aside-1"):
        (outside / name).mkdir(parents=True)
        (outside / name / "index.js").write_text("the user's own")
    client = project / "node_modules" / ".prisma" / "client"
    journal = dead_repair(project, {"stop": "done", "set-aside": "done"}, [])
    state = project / ".prisma-doctor"
    (state / "aside").symlink_to(outside)
    (project / "node_modules").mkdir()
    (project / "node_modules" / ".prisma").symlink_to(outside)
    generated = project / "generated"
    generated.mkdir()
    (generated / ".client.prisma-doctor-aside-2").symlink_to(outside / "linked")
    for original, copy in (
        (client, state / "aside" / "client"),
        (client, project / "node_modules" / ".prisma" / ".client.prisma-doctor-aside-1"),
        (generated / "client", generated / ".client.prisma-doctor-aside-2"),
    ):
        journal.record_aside(aside_record(SetAsidePath(original, "prisma-client-js"), copy))
    before = {p: p.read_text() for p in outside.rglob("*") if p.is_file()}

    assert left_by_last_repair(project) is None
    _, report = check_json(project)
    assert {"repair-interrupted", "client-set-aside"}.isdisjoint(f["code"] for f in report["findings"]), report
    for kind in ("reset", "restart-dev"):
        assert "recover" not in [step.name for step in build_plan(project, kind).steps], kind
    assert before == {p: p.read_text() for p in outside.rglob("*") if p.is_file()}


def test_files_written_where_a_client_was_set_aside_are_said_as_what_they_are(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    client = project / "node_modules" / ".prisma" / "client"
    client.mkdir(parents=True)
    journal = dead_repair(project, {"stop": "done", "set-aside": "done"}, [])
    set_aside_as_repair(project, journal, "node_modules/.prisma/client", "prisma-client-js")
    client.mkdir()
    (client / "notes.txt").write_text("the user's own")

    left = left_by_last_repair(project)

    assert left is not None and "files stand there now that are not a client Prisma generated" in left.describe()


def test_the_plan_says_plainly_it_starts_a_server_that_does_not_run_now_and_why(tmp_path: Path) -> None:
    project = _project(tmp_path, {"dev": "next dev"})
    dead_repair(project, {"stop": "done"}, [{**NPM_RUN_DEV, "cwd": str(project)}])

    plan = build_plan(project, "reset")
    # (The plan refuses here, no `prisma` being installed: its text lists no steps, their previews say it.)
    lines = "\n".join([*plan.describe(), *(line for step in plan.steps for line in step.preview())])

    assert (
        f"`npm run dev` (in {project}, port 3107) does not run now; the restart-dev step starts it, because the "
        "unfinished reset's journal (.prisma-doctor/journal.json) says it stopped it: if you did not run it there, "
        "answer no and remove that journal"
    ) in lines, lines


def test_a_client_set_aside_is_said_as_such_at_run_time_too(tmp_path: Path) -> None:
    """The dev server that cannot load the client a killed repair set aside (`Cannot find module
    '.prisma/client/default'`, `did not initialize yet`: real captures) is told the same as `check` tells it: the
    client is aside, and the repair that set it aside finishes the job, not `never generated`."""
    from tests.helpers import doctor

    project = _project(tmp_path, {"dev": "node main.js"})
    # `@prisma/client` installed: the default output is beside it, in `node_modules/.prisma/client`.
    (project / "node_modules" / "@prisma" / "client").mkdir(parents=True)
    (project / "node_modules" / "@prisma" / "client" / "package.json").write_text('{"name": "@prisma/client"}')
    (project / "node_modules" / ".prisma" / "client").mkdir(parents=True)
    journal = dead_repair(project, {"stop": "done", "set-aside": "running"}, [])
    aside = set_aside_as_repair(project, journal, "node_modules/.prisma/client", provider="prisma-client-js")
    fixtures = Path(__file__).parent / "fixtures" / "logs"

    for log in ("node-5-default-client-missing.log", "sqlite-client-not-initialized.log"):
        done = doctor("explain", str(fixtures / log), "--project", str(project), "--json")
        findings = json.loads(done.stdout)["findings"]
        codes = [f["code"] for f in findings]
        assert "client-set-aside" in codes and "client-not-generated" not in codes, (log, findings)
        found = finding({"findings": findings}, "client-set-aside")
        assert found["data"]["aside"] == str(aside) and f"set it aside to {aside}" in found["message"], found
        assert [f["id"] for f in found["fixes"]] == ["full-reset"], found
