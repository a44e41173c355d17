"""End to end with a real `next dev`: a schema change breaks the running server, `reset` brings it back."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.repair_fixtures import add_field, next_project_copy, repair_environment, run_query, write_page

pytestmark = pytest.mark.node
SERVER = Path(__file__).resolve().parents[1] / "server"
ALTER = """
const { createClient } = require('@libsql/client');
const db = createClient({ url: 'file:./dev.db' });
db.executeMultiple(process.argv[2]).then(() => db.close(), (e) => { console.error(e); process.exit(1); });
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def wait_for_answer(port: int, process: subprocess.Popen[bytes] | None = None, limit: float = 180) -> tuple[int, str]:
    deadline = time.monotonic() + limit
    while True:
        try:
            return fetch(port)
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise
            time.sleep(0.5)


def stop_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def cleanup() -> Iterator[list[int]]:
    groups: list[int] = []
    yield groups
    for pid in groups:
        stop_group(pid)


def test_reset_restarts_next_dev_with_the_same_command_and_the_page_answers(
    tmp_path: Path,
    cleanup: list[int],
) -> None:
    project = next_project_copy(tmp_path / "app")
    (project / "alter.js").write_text(ALTER)
    port = free_port()
    env = {
        **os.environ,
        **repair_environment(),
        "DATABASE_URL": f"file:{project / 'dev.db'}",
        "PORT": str(port),
        "NEXT_TELEMETRY_DISABLED": "1",
    }
    assert run_query(project).returncode == 0  # creates the table with one user
    log = open(tmp_path / "next.log", "wb")  # noqa: SIM115 - the server writes to it until the test ends
    dev = subprocess.Popen(
        ["npm", "run", "dev"], cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    cleanup.append(dev.pid)
    status, body = wait_for_answer(port, dev)
    assert status == 200, (tmp_path / "next.log").read_text()
    original_command = psutil.Process(dev.pid).cmdline()

    # The schema gains a field, the database gets the column, the page asks for it: the running server fails.
    add_field(project, "email")
    alter = subprocess.run(
        [
            "node",
            "alter.js",
            """ALTER TABLE "User" ADD COLUMN email TEXT; UPDATE "User" SET email = 'ada@example.com';""",
        ],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert alter.returncode == 0, alter.stderr
    write_page(project, ["id", "name", "email"])
    status, body = fetch(port)
    assert status == 500 and "email" in body

    done = subprocess.run(
        [sys.executable, "-m", "prisma_doctor", "reset", "--project", str(project), "--yes", "--json"],
        env={**env, "PYTHONPATH": str(SERVER)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    result = json.loads(done.stdout) if done.stdout.startswith("{") else {}
    cleanup.extend(server["pid"] for server in result.get("devServers", []))
    assert done.returncode == 0, done.stdout + done.stderr

    assert dev.wait(timeout=30) is not None  # the old server was stopped
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == port
    status, body = fetch(port)
    assert status == 200, body[-2000:]
    assert "ada@example.com" in body
    new_server = psutil.Process(restarted["pid"])
    assert new_server.cmdline() == original_command
    assert Path(new_server.cwd()) == project
    assert "prisma-doctor restarted" in (project / ".prisma-doctor" / "dev-output.log").read_text()

    # The targeted repair: restart only the dev server, found this time through Next's own lock file.
    again = subprocess.run(
        [sys.executable, "-m", "prisma_doctor", "restart-dev", "--project", str(project), "--yes", "--json"],
        env={**env, "PYTHONPATH": str(SERVER)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    second = json.loads(again.stdout) if again.stdout.startswith("{") else {}
    cleanup.extend(server["pid"] for server in second.get("devServers", []))
    assert again.returncode == 0, again.stdout + again.stderr
    assert not new_server.is_running() or new_server.status() == psutil.STATUS_ZOMBIE
    (third,) = second["devServers"]
    assert psutil.Process(third["pid"]).cmdline() == original_command
    assert fetch(port)[0] == 200
