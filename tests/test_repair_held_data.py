"""First, do no harm: a dev server that holds the only copy of the project's SQLite data. The user deleted `dev.db`
while the server ran; the server's process still has it open (`/proc/PID/fd/N -> .../dev.db (deleted)`), and the
data lives as long as that descriptor. A repair that would stop the process refuses before it changes anything, and
says how to copy the data out. Real `npm run dev` of a real server (`tsx watch`, Prisma 6 + libsql), real files.
"""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.helpers import check_json, doctor, dry_run_plan, tree_contents
from tests.watch_servers import NpmRunDev, project_copy

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux says a deleted file is still open"),
]


def _tree(pid: int) -> list[tuple[int, float]]:
    top = psutil.Process(pid)
    return sorted((p.pid, p.create_time()) for p in [top, *top.children(recursive=True)])


def _holder(pid: int, path: Path) -> tuple[int, int]:
    """The process of `pid`'s tree and its descriptor that hold `path`, deleted."""
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for fd in Path(f"/proc/{process.pid}/fd").iterdir():
            try:
                if fd.readlink() == Path(f"{path} (deleted)"):
                    return process.pid, int(fd.name)
            except OSError:
                continue
    raise AssertionError(f"no process of {pid}'s tree holds {path} deleted")


@pytest.mark.parametrize("kind", ["reset", "restart-dev"])
def test_a_server_holding_the_deleted_database_is_never_stopped(
    watch_template: Path, tmp_path: Path, kind: str
) -> None:
    # (`tsx watch`: `node --watch` restarts the server when a file beside its code is deleted, losing the data itself.)
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "server.log")
    server.start()
    try:
        # The server has its database open from its first query on.
        assert server.users().status == 200, server.output
        assert server.process is not None
        npm = server.process.pid
        database = project / "dev.db"
        database.unlink()
        holder, fd = _holder(npm, database)
        tree = _tree(npm)
        before = tree_contents(project)
        # The check says the file is gone but held, not that the app's next query makes it empty (attacker's
        # trial 6: it offered a push, which would hide the data behind an empty file).
        code, report = check_json(project)
        missing = next(f for f in report["findings"] if f["code"] == "db-missing")
        assert code == 1 and missing["fixes"] == [] and f"pid {holder} still holds" in missing["message"], missing
        assert {"pid": holder, "fd": fd, "path": str(database)} in missing["data"]["heldBy"], missing

        plan = dry_run_plan(kind, project=project, env=server.environment, refused=True)
        done = doctor(kind, "--project", str(project), "--yes", "--json", env=server.environment)

        refusal = next((r for r in plan["refusals"] if f"pid {holder} " in r), None)
        assert refusal is not None, json.dumps(plan, indent=2)
        assert str(database) in refusal and "node" in refusal, refusal
        assert done.returncode == 2, done.stdout + done.stderr
        assert refusal in json.loads(done.stdout)["refusals"], done.stdout
        # Nothing stopped, nothing changed: the very same processes serve, still from the deleted file.
        assert _tree(npm) == tree
        answer = server.users()
        assert answer.status == 200 and '"name":"ada"' in answer.body, answer.body
        assert tree_contents(project) == before

        # The way out it names is true: run as written, it saves the data while the server runs.
        rescue = re.search(r"`cp /proc/(\d+)/fd/(\d+) ([^`]+)`(?: \(it is open as fd ([\d, ]+) too\))?", refusal)
        assert rescue is not None and int(rescue.group(1)) == holder, refusal
        named = [rescue.group(2), *(rescue.group(4) or "").replace(",", " ").split()]
        assert str(fd) in named, refusal
        copy = ["cp", f"/proc/{holder}/fd/{{}}", *shlex.split(rescue.group(3))]
        copies = [subprocess.run([a.format(n) for a in copy], capture_output=True, text=True) for n in named]
        assert all(done.returncode == 0 for done in copies), [(done.args, done.stderr) for done in copies]
        with sqlite3.connect(project / "dev.db-rescued") as rescued:
            assert rescued.execute('SELECT name FROM "User"').fetchall() == [("ada",)]
    finally:
        server.stop()


def test_a_deleted_file_outside_the_project_refuses_nothing(watch_template: Path, tmp_path: Path) -> None:
    """Only the project's data counts: a server holding some other deleted file (a log elsewhere) is stopped and
    started again as any other."""
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    elsewhere = tmp_path / "elsewhere.db"
    entry = project / "server.js"
    entry.write_text(f"require('node:fs').openSync({json.dumps(str(elsewhere))}, 'a');\n" + entry.read_text())
    server = NpmRunDev(project, tmp_path / "server.log")
    server.start()
    try:
        assert server.users().status == 200, server.output
        elsewhere.unlink()
        assert server.process is not None
        _holder(server.process.pid, elsewhere)

        plan = dry_run_plan("restart-dev", project=project, env=server.environment)

        assert plan["refusals"] == [], plan["refusals"]
    finally:
        server.stop()


def test_what_a_deleted_file_holds_decides_not_its_name(watch_template: Path, tmp_path: Path) -> None:
    """A SQLite database named without a suffix (`state/cache`) is data as much as `dev.db` (attacker's trial 6: its
    server was stopped and the data lost); a deleted log of the project is not, and stops nothing."""
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    (project / "state").mkdir()
    cache, log = project / "state" / "cache", project / "state" / "server-log"
    with sqlite3.connect(cache) as connection:
        connection.execute("CREATE TABLE kept (value TEXT)")
        connection.execute("INSERT INTO kept VALUES ('precious')")
    log.write_text("started\n")
    entry = project / "server.js"
    opens = "".join(f"require('node:fs').openSync({json.dumps(str(f))}, 'r+');\n" for f in (cache, log))
    entry.write_text(opens + entry.read_text())
    server = NpmRunDev(project, tmp_path / "server.log")
    server.start()
    try:
        assert server.users().status == 200, server.output
        assert server.process is not None
        cache.unlink()
        log.unlink()
        holder, _ = _holder(server.process.pid, cache)

        plan = dry_run_plan("restart-dev", project=project, env=server.environment, refused=True)

        (refusal,) = plan["refusals"]
        assert f"pid {holder} " in refusal and str(cache) in refusal and "server-log" not in refusal, refusal
    finally:
        server.stop()
