"""Whether a running dev server still serves an older client (`staleness.py`), judged on real servers after a
`prisma generate` while they run, and checked against what the app answers.

- Vite's SSR (as SvelteKit and React Router load their routes) with the client generated outside node_modules:
  Vite reloads it, and the route that uses the new field answers. Under `prisma-doctor run` its output shows the
  reload: not stale. In a terminal the doctor cannot read: nothing decides, and the finding says so.
- Vite with the client in node_modules (which it never watches), and tsx watch (which ignores node_modules): the app
  still rejects the new field: stale, decided.
- A tsx watch worker that listens nowhere: stale until tsx runs its child again, then not.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.logs.stream import strip_ansi
from tests.helpers import doctor
from tests.watch_servers import NpmRunDev, add_nickname, generate, project_copy, run_by_doctor, vite_ssr_copy

pytestmark = pytest.mark.node


def stale_servers(project: Path, server: NpmRunDev) -> tuple[int, list[dict[str, Any]], list[str]]:
    """`check --json`'s exit code and its `dev-server-stale` findings; it says every problem it found."""
    checked = doctor("check", str(project), "--json", env=server.environment)
    report = json.loads(checked.stdout)
    problems = [f"{f['code']}: {f['message']}" for f in report["findings"] if f["severity"] in ("error", "warning")]
    return checked.returncode, [f for f in report["findings"] if f["code"] == "dev-server-stale"], problems


@contextlib.contextmanager
def in_a_terminal(server: NpmRunDev) -> Iterator[None]:
    """The server run as a user runs it, its output where the doctor does not read it."""
    server.start()
    try:
        yield
    finally:
        server.stop()


@pytest.mark.parametrize("under_run", [True, False], ids=["under-run", "in-a-terminal"])
def test_vite_that_reloaded_the_new_client_is_not_called_stale(
    watch_template: Path, tmp_path: Path, under_run: bool
) -> None:
    project = vite_ssr_copy(watch_template, tmp_path / "app")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) if under_run else in_a_terminal(server):
        assert server.wait_for_status(200) == 200, server.output + (terminal.read_text() if under_run else "")
        add_nickname(project)
        assert server.wait_for_status(500) == 500, "the old client rejects the new field"
        generate(project)
        # Vite reloaded the client's files: the route that uses the new field answers with it.
        assert server.wait_for_status(200) == 200
        assert '"nickname":"countess"' in server.users().body

        code, stale, problems = stale_servers(project, server)

    if under_run:
        # `run` recorded Vite's `(ssr) page reload src/generated/prisma/...` after the generation.
        # (Vite colours it where `CI` is set, as on CI machines: picocolors' rule.)
        recorded = strip_ansi((project / ".prisma-doctor" / "dev-output.log").read_text())
        assert "(ssr) page reload src/generated/prisma/" in recorded
        # (The template's app opens `./dev.db` from its folder, its schema names one beside itself: `db-differs`.)
        assert [p for p in problems if not p.startswith("db-differs:")] == [], problems
    else:
        # Vite reloads what it serves, but nothing the doctor can read shows it did: it may be stale, not "is".
        (finding,) = stale
        assert code == 1 and finding["severity"] == "warning" and finding["data"]["decided"] is False, finding
        assert "may be stale; what decides: request a route that uses the new field" in finding["message"]
        assert "no output of this server is recorded" in finding["message"]


@pytest.mark.parametrize("tool", ["vite", "tsx"])
def test_a_server_that_keeps_the_old_client_is_stale(watch_template: Path, tmp_path: Path, tool: str) -> None:
    project = project_copy(watch_template, tmp_path / "app", tool)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    with in_a_terminal(server):
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output
        generate(project)
        time.sleep(2)  # what a watcher would have done by now
        assert server.users().status == 500, "the server still runs the old client"

        code, stale, _ = stale_servers(project, server)

    (finding,) = stale
    assert code == 1 and finding["data"]["decided"] is True and finding["data"]["tool"] == tool, finding
    assert "still uses the one it loaded at start" in finding["message"]
    if tool == "vite":
        assert "Vite does not watch node_modules" in finding["message"]


def test_a_watcher_whose_child_ran_again_is_not_stale(watch_template: Path, tmp_path: Path) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx worker")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start(wait=False)
    try:
        server.wait_for_output("worker up")
        # `nickname` in the schema, generated: tsx ignores node_modules, so its child keeps the old client.
        schema = project / "prisma" / "schema.prisma"
        schema.write_text(schema.read_text().replace("  name String\n", "  name String\n  nickname String?\n"))
        generate(project)
        _, stale, _ = stale_servers(project, server)
        (finding,) = stale
        assert finding["data"]["decided"] is True and finding["data"]["tool"] == "tsx", finding

        # A change to the worker's own code: tsx runs its child again, which loads the new client.
        worker = project / "worker.js"
        worker.write_text(worker.read_text().replace("['id', 'name']", "['id', 'name', 'nickname']"))
        server.wait_for_output('"nickname":"countess"')

        _, stale, problems = stale_servers(project, server)
        assert stale == [], stale
        assert [p for p in problems if not p.startswith("db-differs:")] == [], problems
    finally:
        server.stop()
