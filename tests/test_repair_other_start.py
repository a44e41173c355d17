"""A dev server that something else started while a repair ran (a supervisor loop, a person) is not started twice;
the repair says what that server does now, with real processes: one that serves, one that listens on no port (a
watcher whose app crashed on the client set aside: the app is down), one that ended (attacker's trial 12)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair import steps
from prisma_doctor.repair.context import CancellationToken, StepContext
from prisma_doctor.repair.devserver import DevServer
from tests.dev_server import free_port
from tests.helpers import doctor_json
from tests.repair_fixtures import repair_environment
from tests.watch_servers import add_nickname, project_copy

SERVE = (
    "import http.server as h, sys; "
    "h.HTTPServer(('127.0.0.1', int(sys.argv[1])), h.BaseHTTPRequestHandler).serve_forever()"
)
WAIT = "import time; time.sleep(600)"


def _server(process: subprocess.Popen[bytes], folder: Path) -> DevServer:
    command = tuple(str(arg) for arg in process.args)  # type: ignore[union-attr]
    return DevServer(process.pid, command, str(folder), None, (process.pid,), "process", "tsx")


def _context(folder: Path) -> StepContext:
    return StepContext(folder, CancellationToken(), lambda message: None)


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(steps, "OTHER_START_SECONDS", 1.5)


def test_one_that_listens_on_no_port_leaves_the_app_down(tmp_path: Path, short_wait: None) -> None:
    process = subprocess.Popen([sys.executable, "-c", WAIT], cwd=tmp_path)
    try:
        said, down = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    finally:
        process.kill()
        process.wait()
    assert down
    assert f"pid {process.pid} (" in said and "listens on no port" in said and "the app is down" in said, said
    # What started it is named, for the person to restart or stop (here: this test's own process).
    assert "restart it, or what starts it (pid " in said, said


def test_one_that_serves_is_named_with_its_port(tmp_path: Path, short_wait: None) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=tmp_path)
    try:
        said, down = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    finally:
        process.kill()
        process.wait()
    assert not down
    assert f"listens on port {port}" in said and "app is down" not in said, said


def test_one_that_ended_is_said_ended(tmp_path: Path, short_wait: None) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], cwd=tmp_path)
    process.wait()
    said, down = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    assert down
    assert "has ended since: the app is down" in said, said


def _loop_project(template: Path, folder: Path) -> tuple[Path, int]:
    project = project_copy(template, folder / "app", "tsx")
    add_nickname(project)  # before the server starts: a watcher's own restart would race the repair
    # What the loop starts after the first time crashes at once, as an app that loaded no client does.
    (project / "crash.js").write_text("throw new Error('Cannot find module .prisma/client/default');\n")
    return project, free_port()


TSX_WATCH = "node_modules/.bin/tsx watch"
SHELL_LOOP = (
    f"while :; do if [ -e .served-once ]; then {TSX_WATCH} crash.js; else touch .served-once; {TSX_WATCH} server.js; "
    "fi; sleep 0.3; done"
)
# A supervisor of another language, which the doctor cannot read as one (honcho, a script of the user's own).
PYTHON_LOOP = f"""
import os, subprocess, time
while True:
    script = "crash.js" if os.path.exists(".served-once") else "server.js"
    open(".served-once", "a").close()
    subprocess.run("{TSX_WATCH} " + script, shell=True)
    time.sleep(0.3)
"""


@pytest.mark.node
@pytest.mark.parametrize("how", ["bash -c", "bash loop.sh", "bash for-loop.sh"])
def test_a_reset_refuses_under_a_shell_loop_that_would_start_the_server_again(
    how: str, watch_template: Path, tmp_path: Path
) -> None:
    project, port = _loop_project(watch_template, tmp_path)
    if how == "bash -c":
        command = ["bash", "-c", SHELL_LOOP]
    elif how == "bash loop.sh":
        (project / "loop.sh").write_text(f"#!/bin/bash\n{SHELL_LOOP}\n")
        command = ["bash", "loop.sh"]
    else:
        # Attacker's trial 13b: the loop hidden in a function and an endless `for`.
        body = SHELL_LOOP.replace("while :; do ", "go() { ").replace("sleep 0.3; done", "}")
        (project / "for-loop.sh").write_text(f"#!/bin/bash\n{body}\nfor ((;;)); do go; sleep 0.3; done\n")
        command = ["bash", "for-loop.sh"]
    env = {**os.environ, **repair_environment(), "PORT": str(port)}
    supervisor = subprocess.Popen(command, cwd=project, env=env, start_new_session=True)
    try:
        assert _wait_for_port(port, 60), "the first server never listened"
        pids = {p.pid for p in psutil.Process(supervisor.pid).children(recursive=True)}

        code, result = doctor_json("reset", "--project", str(project), env=env)

        assert code == 2, result
        (refusal,) = result["refusals"]
        assert f"(pid {supervisor.pid}, in {project}), a loop that starts it again whenever it ends" in refusal
        assert "Stop the loop yourself" in refusal
        # Nothing was stopped: the same processes serve.
        assert pids <= {p.pid for p in psutil.Process(supervisor.pid).children(recursive=True)}
        assert _wait_for_port(port, 5)
    finally:
        _end(supervisor, project)


@pytest.mark.node
def test_a_supervisor_that_starts_a_server_serving_nothing_makes_the_verdict_say_the_app_is_down(
    watch_template: Path, tmp_path: Path
) -> None:
    """The attacker's outside supervisor, of a kind the doctor cannot read (a Python loop): after the repair stops
    the server, the loop starts it again, and what it starts crashes (tsx watch then waits for a change, serving
    nothing). The repair cannot prevent it; it must not hide it."""
    project, port = _loop_project(watch_template, tmp_path)
    env = {**os.environ, **repair_environment(), "PORT": str(port)}
    supervisor = subprocess.Popen([sys.executable, "-c", PYTHON_LOOP], cwd=project, env=env, start_new_session=True)
    try:
        assert _wait_for_port(port, 60), "the first server never listened"

        code, result = doctor_json("reset", "--project", str(project), env=env)

        assert code == 1, result
        verdict = result["verdict"]
        assert verdict.startswith("repair NOT complete: the app is down"), json.dumps(result["steps"], indent=1)
        restart = next(step for step in result["steps"] if step["name"] == "restart-dev")
        details = " ".join(restart["details"])
        assert "tsx watch crash.js" in details and "listens on no port" in details, restart
        # What started it is named, for the person to stop or restart.
        assert "restart it, or what starts it (pid " in details, restart
    finally:
        _end(supervisor, project)


def _end(supervisor: subprocess.Popen[bytes], project: Path) -> None:
    os.killpg(supervisor.pid, signal.SIGKILL)
    supervisor.wait()
    for process in psutil.process_iter(["cwd"]):
        if process.info["cwd"] and process.info["cwd"].startswith(str(project)):
            with contextlib.suppress(psutil.Error):
                process.kill()


def _wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.node
def test_a_server_of_no_known_kind_left_running_is_said_serving_not_absent(
    watch_template: Path, tmp_path: Path
) -> None:
    """Attacker's trial 13b: a plain `node server.js` (no watcher: no dev server this tool restarts) is left running
    by a regenerate, on its old client; the app check said "no dev server runs" while it answered 500."""
    from tests.watch_servers import NpmRunDev

    project = project_copy(watch_template, tmp_path / "app", "node")
    add_nickname(project)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        assert server.wait_for_status(500) == 500, server.output

        code, result = doctor_json("regenerate", "--project", str(project), env=server.environment)

        app = next(step for step in result["steps"] if step["name"] == "verify-app")
        assert "no dev server runs" not in app["message"], app
        assert f"port {server.port}) serves, left running as it was" in app["message"], app
        assert "no dev server runs" not in result["verdict"], result["verdict"]
        assert code in (0, 1), result
    finally:
        server.stop()


def test_a_worker_that_listened_on_no_port_before_is_not_said_down(tmp_path: Path, short_wait: None) -> None:
    # The server it replaces was a worker (no port): one that listens on none now runs as that one did.
    process = subprocess.Popen([sys.executable, "-c", WAIT], cwd=tmp_path)
    try:
        said, down = steps._other_start(_server(process, tmp_path), _context(tmp_path), listened=False)
    finally:
        process.kill()
        process.wait()
    assert not down and "app is down" not in said and "runs (it listens on no port" in said, said
