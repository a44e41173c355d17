"""A dev server that watches nothing (`tsx server.js`, `node server.js`), run by `prisma-doctor run`: no known kind
of dev server, yet the project's, because `run` runs it. A repair finds it, asks it, stops its tree and has `run`
start it again; `run` reaps what the stop left to it; a server that does not come back is named for the user."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from tests.helpers import DOCTOR, doctor, doctor_environment
from tests.watch_servers import NpmRunDev, add_nickname, project_copy, run_by_doctor

pytestmark = pytest.mark.node


def _defunct_children(pid: int, timeout: float) -> list[psutil.Process]:
    """The children of `pid` that ended and were not waited for, once there are none or `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        zombies = [p for p in psutil.Process(pid).children() if p.status() == psutil.STATUS_ZOMBIE]
        if not zombies or time.monotonic() > deadline:
            return zombies
        time.sleep(0.3)


def test_a_server_run_by_run_is_found_asked_and_restarted_whatever_its_command(
    watch_template: Path, tmp_path: Path
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx without watch")
    # The code uses the new field before any generate: the server loads the old client and answers 500.
    add_nickname(project)
    server = NpmRunDev(project, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) as run:
        assert server.wait_for_status(500) == 500, terminal.read_text()

        plan = doctor("restart-dev", "--dry-run", "--project", str(project), env=server.environment)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        # What `run` starts again, as it runs it (trial 4 #9: not a command rebuilt from the script).
        label = f"npm run dev (by its `prisma-doctor run`, pid {run.pid}; in {project}, port {server.port})"
        assert label in plan.stdout, plan.stdout

        regenerated = doctor("regenerate", "--yes", "--project", str(project), env=server.environment)
        # The server it left running was asked, and still fails: not "no dev server runs".
        assert regenerated.returncode == 1, regenerated.stdout + regenerated.stderr
        assert f"GET /users on localhost:{server.port} answers 500" in regenerated.stdout, regenerated.stdout
        assert "restart it (`prisma-doctor restart-dev`)" in regenerated.stdout

        done = doctor("restart-dev", "--yes", "--project", str(project), env=server.environment)

        assert done.returncode == 0, done.stdout + done.stderr + terminal.read_text()
        closing = done.stdout.strip().splitlines()[-1]
        assert closing == f"repair verified: the app answers: GET /users on localhost:{server.port} answers 200"
        assert run.poll() is None, "run keeps running: it started its command again itself"
        assert "starting `npm run dev` again" in terminal.read_text()
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body
        # The stopped tree's orphans were handed to run (its subreaper): none is left <defunct>.
        assert _defunct_children(run.pid, timeout=10.0) == []


def test_a_server_that_does_not_come_back_is_named(watch_template: Path, tmp_path: Path) -> None:
    project = project_copy(watch_template, tmp_path / "app", "node")
    entry = project / "server.js"
    # Started again, it finds this file and exits at once, as a server with a broken start does.
    entry.write_text("if (require('node:fs').existsSync('refuse')) process.exit(3);\n" + entry.read_text())
    server = NpmRunDev(project, tmp_path / "unused.log")
    with run_by_doctor(server, tmp_path / "terminal.log") as run:
        assert server.wait_for_status(200) == 200, (tmp_path / "terminal.log").read_text()
        (project / "refuse").write_text("")

        done = doctor("restart-dev", "--yes", "--project", str(project), env=server.environment)

        assert done.returncode == 1, done.stdout + done.stderr
        label = f"npm run dev (by its `prisma-doctor run`, pid {run.pid}; in {project}, port {server.port})"
        # Named as the user started it, with why it is not back.
        assert f"the dev server is not back: {label}: the dev server exited" in done.stdout, done.stdout
        assert "restart it yourself" in done.stdout, done.stdout


def test_a_server_whose_run_ended_during_the_repair_is_started_by_the_repair(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    """The user's `prisma-doctor run` ends while the repair holds it (closed, killed, or it never took the hold):
    the repair starts the server itself rather than leave the app down."""
    project = project_copy(watch_template, tmp_path / "app", "node")
    server = NpmRunDev(project, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) as run:
        assert server.wait_for_status(200) == 200, terminal.read_text()
        repair = subprocess.Popen(
            [*DOCTOR, "restart-dev", "--project", str(project), "--yes", "--json"],
            env=doctor_environment(server.environment),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while "a repair stopped the dev server" not in terminal.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        run.kill()
        run.wait(timeout=30)
        stdout, stderr = repair.communicate(timeout=300)
        result = json.loads(stdout)
        restarted_groups.extend(s["pid"] for s in result.get("devServers", []))

        assert repair.returncode == 0, stdout + stderr + terminal.read_text()
        # No failed request on record to ask again: the app answering at / is said as that, not "verified".
        assert result["verdict"].startswith("repair done: ") and "answers 200" in result["verdict"], result["verdict"]
        restart = next(step for step in result["steps"] if step["name"] == "restart-dev")
        assert "exited, so it was started here, detached" in json.dumps(restart), restart
        assert server.users().status == 200


def test_two_runs_in_one_folder_each_start_their_own_server_again(watch_template: Path, tmp_path: Path) -> None:
    """Attacker's trial 4, case 16: two `prisma-doctor run` in one folder, each serving on its own port. Each has a
    record of its own, so the repair finds both servers as run's, holds each and asks each to start its command
    again; a request names the run it is for, so neither starts a copy for the other's."""
    project = project_copy(watch_template, tmp_path / "app", "node")
    first, second = NpmRunDev(project, tmp_path / "unused-1.log"), NpmRunDev(project, tmp_path / "unused-2.log")
    terminals = [tmp_path / "terminal-1.log", tmp_path / "terminal-2.log"]
    with run_by_doctor(first, terminals[0]) as run_1, run_by_doctor(second, terminals[1]) as run_2:
        for server, terminal in zip((first, second), terminals, strict=True):
            assert server.wait_for_status(200, timeout=60) == 200, terminal.read_text()

        plan = doctor("restart-dev", "--dry-run", "--project", str(project), env=first.environment)
        for run, server in ((run_1, first), (run_2, second)):
            label = f"npm run dev (by its `prisma-doctor run`, pid {run.pid}; in {project}, port {server.port})"
            assert label in plan.stdout, plan.stdout

        done = doctor("restart-dev", "--yes", "--project", str(project), env=first.environment)

        output = done.stdout + done.stderr
        assert done.returncode == 0, output + "".join(t.read_text() for t in terminals)
        assert "not by it" not in output and "detached" not in output, output
        for run, server, terminal in zip((run_1, run_2), (first, second), terminals, strict=True):
            assert run.poll() is None, "run keeps running: it started its command again itself"
            assert terminal.read_text().count("starting `npm run dev` again") == 1, terminal.read_text()
            assert server.users().status == 200
        # One server per port, as before: no copy started for the other run.
        servers = [p for p in psutil.process_iter(["cmdline", "cwd"]) if p.info["cmdline"] == ["node", "server.js"]]
        assert len([p for p in servers if p.info["cwd"] == str(project)]) == 2, servers
