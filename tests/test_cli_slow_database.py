"""A database that trickles its answer, under `run` and `explain` as a person runs them: the dev server's output is
never held behind a diagnosis, and a burst of errors costs one deadline and one connection, not one per error. The
server is real (tests/fake_databases.py), the errors are MariaDB captures (tests/fixtures/logs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.captures.loading import FIXTURES, project_from_capture
from tests.fake_databases import FakeDatabase, trickling_mysql
from tests.helpers import doctor

CAPTURE = "mysql-fr-p6-p2022-missing-column"


def _project(tmp_path: Path, server: FakeDatabase) -> Path:
    root = project_from_capture(CAPTURE, tmp_path / "app")
    (root / ".env").write_text(f'DATABASE_URL="{server.url()}"\n')
    return root


def test_run_passes_the_output_through_while_the_database_is_asked(tmp_path: Path) -> None:
    log = FIXTURES / f"{CAPTURE}.log"
    # The error, then (once its block has ended) a line of the dev server's own.
    script = (
        f"import sys, time; sys.stderr.write(open({str(log)!r}).read()); sys.stderr.flush(); time.sleep(1.5); "
        "print('a line after the error', file=sys.stderr, flush=True)"
    )
    with FakeDatabase(trickling_mysql(0.5)) as server:
        root = _project(tmp_path, server)
        done = doctor("run", "--", sys.executable, "-c", script, cwd=root, text=False)
        assert server.connections == 1
    err = done.stderr.decode()
    assert done.returncode == 0, err
    assert "a line after the error" in err and "prisma-doctor: " in err
    assert err.index("a line after the error") < err.index("prisma-doctor: "), err[-2000:]
    assert "did not answer within" in err or "no whole answer" in err


def test_explain_of_a_burst_waits_for_the_database_once(tmp_path: Path) -> None:
    burst = tmp_path / "burst.log"
    burst.write_bytes((FIXTURES / f"{CAPTURE}.log").read_bytes() * 5)
    with FakeDatabase(trickling_mysql(0.5)) as server:
        root = _project(tmp_path, server)
        done = doctor("explain", str(burst), "--project", str(root), "--json", cwd=root, text=False)
        assert server.connections == 1
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert findings and all(f["data"]["database"]["asked"] is False for f in findings if "database" in f["data"])
    assert sum(f["count"] for f in findings if f["code"] == "db-missing-column") == 5
