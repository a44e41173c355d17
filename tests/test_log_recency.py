"""A log is a history: `explain` says the failure the server is in now as current, and what came before a restart of
the server, or before the request that failed answered again, as earlier in the log (user trial 4, items 15 and 27).

Each log is a real dev server's (`tests/watch_servers.py`: plain node http under `tsx watch` or `node --watch`,
through `npm run dev`), broken and mended by hand the way a user does: a column renamed in the database and back, a
field added to the schema and the code, the generated client moved away.
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest

from prisma_doctor.diagnosis import Diagnoser
from prisma_doctor.diagnosis.facts import facts_for_folder
from prisma_doctor.diagnosis.runtime_findings import RuntimeFindings
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import read_events
from tests.helpers import doctor
from tests.watch_servers import NpmRunDev, add_nickname, project_copy

pytestmark = pytest.mark.node


def _explained(log: Path, project: Path) -> list[dict]:
    done = doctor("explain", str(log), "--project", str(project), "--json")
    return json.loads(done.stdout)["findings"]


def _wait_until(done: Callable[[], bool], timeout: float = 10.0) -> None:
    """The server logs a request just after it answers it: wait for its line."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


def _rename_column(project: Path, old: str, new: str) -> None:
    with sqlite3.connect(project / "dev.db") as db:
        db.execute(f'ALTER TABLE "User" RENAME COLUMN "{old}" TO "{new}"')


def test_a_failure_whose_request_answers_again_later_is_earlier_in_the_log(
    watch_template: Path, tmp_path: Path
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "node --watch")
    server = NpmRunDev(project, tmp_path / "dev.log").start()
    try:
        assert server.users().status == 200
        _rename_column(project, "name", "name_gone")
        assert server.users().status == 500
        _rename_column(project, "name_gone", "name")
        assert server.users().status == 200
        _wait_until(lambda: "GET /users 200" in server.output.rsplit("GET /users 500", 1)[-1])
    finally:
        server.stop()
    assert "GET /users 500" in server.output

    findings = _explained(server.log_file, project)

    # The same server, not restarted: the column came back and the route answers; the failure is over.
    assert findings, server.output
    for finding in findings:
        assert finding["severity"] == "info" and finding["fixes"] == [], finding
        assert finding["message"].startswith("Earlier in the log, resolved since (GET /users answered later): ")
        assert finding["data"]["resolved"]["text"].startswith("GET /users 200"), finding

    # The editor's rules: the runtime finding the failure gave is retired once the request answers.
    kept = RuntimeFindings()
    diagnoser = Diagnoser(facts_for_folder(project))
    for event in read_events([server.log_file.read_bytes()]):
        if isinstance(event, ev.RequestSucceeded):
            assert kept.request_answered(event.method, event.path)
        for finding in diagnoser.findings_for(event):
            kept.add(finding, datetime.now(timezone.utc))
    assert kept.findings() == []

    # `run`: the same failure after the request answered again is news, said again (the log, twice over).
    (tmp_path / "twice.log").write_bytes(server.log_file.read_bytes() * 2)
    ran = doctor("run", "--project", str(project), "--", "cat", str(tmp_path / "twice.log"), cwd=project)
    assert ran.stderr.count("[db-missing-column]") == 2, ran.stderr


# A server whose health check and favicon answer without the database, as most apps' do.
ROUTED_SERVER = """
const http = require('node:http');
const users = require('./app.js')(['id', 'name']);
http.createServer((req, res) => {
  if (req.url === '/favicon.ico' || req.url === '/api/health') {
    res.writeHead(200);
    res.end('ok');
    console.log(`${req.method} ${req.url} 200 in 0ms`);
    return;
  }
  users(req, res);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`Local: http://localhost:${process.env.PORT}`));
"""


def _post(url: str) -> int:
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def test_only_the_same_method_and_path_answering_ends_a_failure(watch_template: Path, tmp_path: Path) -> None:
    """Another route's success (a favicon, a health check) and the same path's POST say nothing of a failed `GET
    /users`; `GET /users?page=2` answering does (the query aside)."""
    project = project_copy(watch_template, tmp_path / "app", "node")
    (project / "server.js").write_text(ROUTED_SERVER)
    server = NpmRunDev(project, tmp_path / "dev.log").start()
    try:
        _rename_column(project, "name", "name_gone")
        assert server.users().status == 500
        assert server.get("/favicon.ico").status == 200 and server.get("/api/health").status == 200
        _rename_column(project, "name_gone", "name")
        assert _post(server.url + "/users") == 200
        _wait_until(lambda: "POST /users 200" in server.output)
        others_answered = tmp_path / "others.log"
        others_answered.write_bytes(server.log_file.read_bytes())
        assert server.get("/users?page=2").status == 200
        _wait_until(lambda: "GET /users?page=2 200" in server.output)
    finally:
        server.stop()

    findings = _explained(others_answered, project)
    current = [f for f in findings if f["code"] == "db-missing-column"]
    # Still the app's state as far as the log shows (not history), whatever the database says of it now.
    assert current and all(f["severity"] in ("error", "warning") for f in current), findings
    assert not any(f["data"].get("history") for f in findings), findings
    assert all(f["data"]["route"] == "/users" and f["data"]["method"] == "GET" for f in current), current
    # The editor's and `run`'s rule: nothing in that log answered the request that failed.
    assert not [e for e in read_events([others_answered.read_bytes()]) if isinstance(e, ev.RequestSucceeded)]
    kept = RuntimeFindings()
    diagnoser = Diagnoser(facts_for_folder(project))
    for event in read_events([others_answered.read_bytes()]):
        for finding in diagnoser.findings_for(event):
            kept.add(finding, datetime.now(timezone.utc))
    assert kept.findings()
    assert not kept.request_answered("POST", "/users") and not kept.request_answered("GET", "/favicon.ico")

    findings = _explained(server.log_file, project)
    assert findings and all(f["severity"] == "info" for f in findings), findings
    assert all(
        f["message"].startswith("Earlier in the log, resolved since (GET /users?page=2 answered later): ")
        for f in findings
    ), findings
    assert kept.request_answered("GET", "/users?page=2") and kept.findings() == []


def test_the_crash_after_a_watchers_restart_is_current_and_the_failure_before_it_is_not(
    watch_template: Path, tmp_path: Path
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "dev.log").start()
    try:
        assert server.users().status == 200
        # The code and the schema gain `nickname`, no generate: tsx restarts for the code, the client rejects it.
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output
        # The generated client is moved away, then the code is touched: tsx restarts, and the new process cannot
        # load the client at all (tsx does not watch node_modules: the move alone restarts nothing).
        (project / "node_modules" / ".prisma" / "client").rename(project / "client-moved")
        (project / "server.js").write_text((project / "server.js").read_text() + "\n")
        server.wait_for_output("Cannot find module", timeout=30)
    finally:
        server.stop()
    assert server.output.count("Restarting...") >= 2, server.output

    findings = _explained(server.log_file, project)

    current = [f for f in findings if f["severity"] == "error"]
    assert [f["code"] for f in current] == ["client-not-generated"], findings
    earlier = [f for f in findings if f["severity"] != "error"]
    assert earlier and all(f["data"].get("history") for f in earlier), findings
    assert all(f["message"].startswith("Earlier in the log, before a restart of the dev server: ") for f in earlier)
    # The client that rejected `nickname` is gone from disk: nothing claims the client on disk has it.
    (rejected,) = [f for f in earlier if "nickname" in f["message"]]
    assert "no generated client is on disk now" in rejected["message"], rejected


def test_vites_start_is_read_as_a_restart(watch_template: Path, tmp_path: Path) -> None:
    project = project_copy(watch_template, tmp_path / "app", "vite")
    server = NpmRunDev(project, tmp_path / "dev.log").start()
    try:
        assert server.users().status == 200
    finally:
        server.stop()
    (ready,) = [e for e in read_events([server.log_file.read_bytes()]) if isinstance(e, ev.DevServerReady)]
    assert ready.text.startswith("VITE v") and " ready in " in ready.text, server.output


def test_a_success_printed_by_another_process_ends_nothing(watch_template: Path, tmp_path: Path) -> None:
    """`concurrently` names each process at its lines' start: `[web] GET /users 200` is another server answering,
    not the failed `[api] GET /users 500` (attacker's trial 6, LIE 4: said resolved)."""
    project = project_copy(watch_template, tmp_path / "app", "node --watch")
    server = NpmRunDev(project, tmp_path / "dev.log").start()
    try:
        assert server.users().status == 200
        _rename_column(project, "name", "name_gone")
        assert server.users().status == 500
        _wait_until(lambda: "GET /users 500" in server.output)
    finally:
        server.stop()
    failed = server.output[: server.output.index("GET /users 500") + len("GET /users 500")]
    api = "".join(f"[api] {line}\n" for line in failed.splitlines())
    log = tmp_path / "concurrently.log"

    log.write_text(api + "[web] GET /users 200 in 3ms\n")
    current = _explained(log, project)
    assert current and all(f["severity"] != "info" and not f["data"].get("history") for f in current), current

    log.write_text(api + "[web] GET /users 200 in 3ms\n[api] GET /users 200 in 4ms\n")
    later = _explained(log, project)
    assert later and all(f["data"].get("history") for f in later), later
    assert all(f["data"]["resolved"]["text"].startswith("[api] GET /users 200") for f in later), later
