"""A dev server that something else started while a repair ran (a supervisor loop, a person) is not started twice;
the repair says what that server does now, with real processes: one that serves, one that listens on no port (a
watcher whose app crashed on the client set aside: the app is down), one that ended (attacker's trial 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from prisma_doctor.repair import steps
from prisma_doctor.repair.context import CancellationToken, StepContext
from prisma_doctor.repair.devserver import DevServer
from tests.dev_server import free_port

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
        said = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    finally:
        process.kill()
        process.wait()
    assert f"pid {process.pid} (" in said and "listens on no port" in said and "the app is down" in said, said
    # What started it is named, for the person to restart or stop (here: this test's own process).
    assert "restart it, or what starts it (pid " in said, said


def test_one_that_serves_is_named_with_its_port(tmp_path: Path, short_wait: None) -> None:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=tmp_path)
    try:
        said = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    finally:
        process.kill()
        process.wait()
    assert f"listens on port {port}" in said and "app is down" not in said, said


def test_one_that_ended_is_said_ended(tmp_path: Path, short_wait: None) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"], cwd=tmp_path)
    process.wait()
    said = steps._other_start(_server(process, tmp_path), _context(tmp_path))
    assert "has ended since: the app is down" in said, said
