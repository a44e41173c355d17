"""A repair killed with -9 half-way, on a real project under a real dev server (`npm run dev` running `tsx watch`):
the next `check` says what the dead run left (the server it stopped, the client it set aside), and the next repair
takes that over and starts the server again, which answers with the new field; nothing of the user's is lost.

The doctor and the `prisma generate` it started are killed together, as a machine that loses power would end them,
while generate runs: after the dev server was stopped and the client set aside."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.plan import VALIDATE_WHEN_RUN
from tests.helpers import (
    DOCTOR,
    check_json,
    doctor_environment,
    dry_run_plan,
    finding,
    previews,
    repair_json,
    step,
    tree_contents,
)
from tests.repair_fixtures import add_field, repair_environment
from tests.repair_fixtures import project_copy as repair_project
from tests.watch_servers import NpmRunDev, add_nickname, project_copy

pytestmark = pytest.mark.node

# The user's own files (the database's data is shown by the answer: its row comes back).
USER_FILES = ("app.js", "server.js", "package.json", "prisma")


def _journal_steps(project: Path) -> dict[str, str]:
    with contextlib.suppress(OSError, ValueError):
        data = json.loads((project / ".prisma-doctor" / "journal.json").read_text())
        return {step["name"]: step["status"] for step in data["steps"]}
    return {}


def _kill_while_generating(project: Path, env: dict[str, str], output: Path) -> None:
    """`prisma-doctor reset --yes`, killed (-9, with everything it started) once its generate is running."""
    with output.open("wb") as log:
        repair = subprocess.Popen(
            [*DOCTOR, "reset", "--yes", "--project", str(project)],
            env=doctor_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180
    while _journal_steps(project).get("generate") != "running":
        assert repair.poll() is None and time.monotonic() < deadline, output.read_text()
        time.sleep(0.05)
    family = [psutil.Process(repair.pid), *psutil.Process(repair.pid).children(recursive=True)]
    for process in family:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(family, timeout=30)
    repair.wait()
    # A generate the doctor was starting as it died (its own session, not yet among its children) ends too.
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if Path(process.cwd()) == project and "generate" in process.cmdline():
                process.send_signal(signal.SIGKILL)


def test_a_repair_killed_mid_way_is_found_by_check_and_finished_by_the_next(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output
        before = {name: tree_contents(project / name) if (project / name).is_dir() else None for name in USER_FILES}
        before_files = {name: (project / name).read_bytes() for name in USER_FILES if (project / name).is_file()}

        _kill_while_generating(project, server.environment, tmp_path / "killed-repair.log")

        # The dead run had stopped the server: nothing answers.
        assert server.process is not None and server.process.wait(timeout=30) is not None
        assert _journal_steps(project)["stop"] == "done"

        code, report = check_json(project)
        assert code == 1
        left = finding(report, "repair-interrupted")
        assert left["severity"] == "error" and left["fixes"][0]["id"] == "full-reset", left
        (stopped,) = left["data"]["stopped"]
        assert stopped["script"] == "dev" and stopped["port"] == server.port and stopped["cwd"] == str(project)
        assert "npm" in stopped["command"] and "run dev" in stopped["command"], stopped
        client = project / "node_modules" / ".prisma" / "client"
        assert str(client) in [copy["path"] for copy in left["data"]["setAside"]], left
        assert f"port {server.port}" in left["message"] and "did not finish" in left["message"], left["message"]
        # The client the dead run set aside is said as such, with what puts it back: not as one never generated.
        assert "client-not-generated" not in [f["code"] for f in report["findings"]], report
        aside_client = finding(report, "client-set-aside")
        assert aside_client["data"]["output"] == str(client) and aside_client["fixes"][0]["id"] == "full-reset"
        assert "set it aside to" in aside_client["message"] and "(`recover`)" in aside_client["message"]

        plan = dry_run_plan("reset", project=project, env=server.environment)
        assert plan["steps"][0]["name"] == "recover", plan
        restart = previews(plan)["restart-dev"]
        assert any("run dev" in line and str(project) in line for line in restart), restart
        # Said once: the step that takes it over, not a note besides (a preview says only that Prisma is asked later).
        assert plan["notes"] == [VALIDATE_WHEN_RUN], plan["notes"]

        code, result = repair_json("reset", project, restarted=restarted_groups, env=server.environment)

        assert code == 0, json.dumps(result, indent=2)
        # No failed request on record to ask again: the app answering at / is said as that, not "verified".
        assert result["verdict"].startswith("repair done: ") and "answers 200" in result["verdict"], result["verdict"]
        recover = step(result, "recover")
        assert recover["status"] == "done" and any("took over" in d for d in recover["details"]), recover
        (restarted,) = result["devServers"]
        assert restarted["answered"] and restarted["port"] == server.port
        # Started again as the user's own script, by npm, with the port it had.
        assert psutil.Process(restarted["pid"]).environ().get("PORT") == str(server.port)
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body, answer

        # Nothing lost, nothing left over: the user's files as they were, no copy set aside, no finding.
        after = {name: tree_contents(project / name) if (project / name).is_dir() else None for name in USER_FILES}
        assert after == before
        assert before_files == {name: (project / name).read_bytes() for name in before_files}
        aside = project / ".prisma-doctor" / "aside"
        assert not aside.exists() or not os.listdir(aside)
        assert "repair-interrupted" not in [f["code"] for f in check_json(project)[1]["findings"]]
    finally:
        server.stop()


def _generate_of(project: Path, repair: int) -> psutil.Process | None:
    """The `prisma generate` the repair started (its own session, so not the repair's child once the repair died)."""
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.pid != repair and Path(process.cwd()) == project and "generate" in process.cmdline():
                return process
    return None


def test_a_repair_whose_leader_alone_is_killed_names_the_generate_it_left_running(
    tmp_path: Path, restarted_groups: list[int]
) -> None:
    # As a closed terminal ends it: -9 to the repair's process only. Its `prisma generate` runs in a session of its
    # own and goes on writing the client it set aside: `check` said only "did not finish" and offered the reset again,
    # which would have raced it for the same folder.
    project = repair_project("npm", tmp_path / "app")
    add_field(project, "email")
    with (tmp_path / "repair.log").open("wb") as log:
        repair = subprocess.Popen(
            [*DOCTOR, "reset", "--yes", "--project", str(project)],
            env=doctor_environment(repair=True),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 180
    while (generate := _generate_of(project, repair.pid)) is None:
        assert repair.poll() is None and time.monotonic() < deadline, (tmp_path / "repair.log").read_text()
        time.sleep(0.02)
    os.kill(repair.pid, signal.SIGKILL)
    repair.wait()
    # Held still (a slow generate), so that what is said while it runs is not a race with its end.
    os.killpg(generate.pid, signal.SIGSTOP)
    try:
        assert generate.is_running()
        code, report = check_json(project)
        assert code == 1
        left = finding(report, "repair-interrupted")
        assert left["data"]["running"] == {"pid": generate.pid, "step": "generate"}, left
        assert f"`prisma generate` it started (pid {generate.pid}) still runs" in left["message"], left["message"]
        assert f"wait until `prisma generate` (pid {generate.pid}) ends" in left["message"], left["message"]
        assert "wait until it ends" in finding(report, "client-set-aside")["message"]
        plan = dry_run_plan("reset", project=project, env=repair_environment(), refused=True)
        assert any("still runs in the project" in reason for reason in plan["refusals"]), plan
    finally:
        os.killpg(generate.pid, signal.SIGCONT)
    psutil.wait_procs([generate], timeout=120)

    _, report = check_json(project)
    left = finding(report, "repair-interrupted")
    assert left["data"]["running"] is None and "still runs" not in left["message"], left
    # What its generate wrote after it died is said as what it is, not as "something else".
    assert "Prisma's generated files stand there now, written since" in left["message"], left["message"]
    code, result = repair_json("reset", project, restarted=restarted_groups, env=repair_environment())
    assert code == 0 and step(result, "recover")["status"] == "done", json.dumps(result, indent=2)
    _, report = check_json(project)
    assert {"repair-interrupted", "client-set-aside", "client-out-of-sync"}.isdisjoint(
        f["code"] for f in report["findings"]
    ), report
    aside = project / ".prisma-doctor" / "aside"
    assert not aside.exists() or not os.listdir(aside)
