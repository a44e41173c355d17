"""The capture scripts still reproduce what the committed fixtures hold: the French trigger capture, the MariaDB
trigger capture (Prisma 7 and @prisma/adapter-mariadb) and two of the captures beyond the codes, end to end.

Installs the npm packages into `tests/.cache/` once, and PostgreSQL with the fr_FR.UTF-8 locale through apt when
they are missing; starts its own cluster (and MariaDB server) on a free port and stops it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prisma_doctor.diagnosis import diagnose
from prisma_doctor.logs.recognize import read_events
from tests.captures.loading import FIXTURES, Capture, load
from tests.captures.mariadb_server import missing_binaries

SCRIPTS = Path(__file__).resolve().parent / "captures"


def capture_into(folder: Path, script: str, *arguments: str) -> None:
    """Run a capture script with its fixtures written into `folder` instead of the committed ones."""
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *arguments],
        cwd=SCRIPTS,
        env={**os.environ, "PRISMA_DOCTOR_CAPTURE_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def recapture(script: str, arguments: list[str], name: str, folder: Path) -> tuple[Capture, Capture]:
    """Run a capture script into `folder`; the fresh capture `name`, and the committed one, whose first events must
    be the same error (same code, model and column)."""
    capture_into(folder, script, *arguments)
    fresh = Capture(name, (folder / f"{name}.log").read_bytes(), json.loads((folder / f"{name}.json").read_text()))
    committed = load(name)
    assert fresh.sidecar["versions"]["prisma"] == committed.sidecar["versions"]["prisma"]
    assert b"read ok: ada@example.com" in fresh.output
    (fresh_event,) = read_events([fresh.output])
    (committed_event,) = read_events([committed.output])
    assert (fresh_event.column, fresh_event.code, fresh_event.model) == (  # type: ignore[attr-defined]
        committed_event.column,  # type: ignore[attr-defined]
        committed_event.code,
        committed_event.model,
    )
    return fresh, committed


@pytest.mark.postgres
@pytest.mark.node
@pytest.mark.timeout(900)
def test_french_trigger_capture_reproduces_the_fixture(tmp_path: Path) -> None:
    fresh, committed = recapture("postgres_trigger.py", ["--only-fr"], "pg-fr-trigger-missing-field", tmp_path)
    (fresh_event,) = read_events([fresh.output])
    (committed_event,) = read_events([committed.output])
    fresh_codes = [f.code for f in diagnose([fresh_event], fresh.facts())]
    assert fresh_codes == [f.code for f in diagnose([committed_event], committed.facts())]
    assert "db-object-error" in fresh_codes


@pytest.mark.mariadb
@pytest.mark.node
@pytest.mark.timeout(900)
def test_mariadb_trigger_capture_reproduces_the_fixture(tmp_path: Path) -> None:
    reason = missing_binaries()
    if reason:
        pytest.skip(reason)
    name = "mysql-p7-trigger-dropped-column"
    fresh, _ = recapture("mariadb_node.py", [name], name, tmp_path)
    assert [f.code for f in diagnose(read_events([fresh.output]), fresh.facts())] == ["db-object-error"]


@pytest.mark.mariadb
@pytest.mark.node
@pytest.mark.timeout(900)
def test_mariadb_objects_capture_reproduces_the_fixture(tmp_path: Path) -> None:
    """The trigger on a field the schema gained after generate, captured again: the same event, the same diagnosis
    (the capture's project is generated, then its schema changed, by the helper the MariaDB captures share)."""
    reason = missing_binaries()
    if reason:
        pytest.skip(reason)
    name = "mysql-p7-trigger-on-schema-field"
    capture_into(tmp_path, "mariadb_objects.py", name)
    fresh = Capture(name, (tmp_path / f"{name}.log").read_bytes(), json.loads((tmp_path / f"{name}.json").read_text()))
    committed = load(name)
    assert fresh.sidecar["versions"]["prisma"] == committed.sidecar["versions"]["prisma"]
    assert fresh.sidecar["project"] == committed.sidecar["project"] | {"sources": fresh.sidecar["project"]["sources"]}
    fresh_events, committed_events = read_events([fresh.output]), read_events([committed.output])
    in_place = (fresh.sidecar["project_root"], committed.sidecar["project_root"])
    assert [repr(e).replace(*in_place) for e in fresh_events] == [repr(e) for e in committed_events]
    codes = [f.code for f in diagnose(fresh_events, fresh.facts())]
    assert codes == [f.code for f in diagnose(committed_events, committed.facts())]
    assert "db-object-error" in codes


@pytest.mark.node
@pytest.mark.timeout(900)
def test_beyond_the_codes_captures_reproduce_their_fixtures(tmp_path: Path) -> None:
    """tsc on a stale client's types and Node on a model the client lacks, captured again: the same events."""
    names = ("tsc-stale-client-types", "node-undefined-delegate-stale-client")
    capture_into(tmp_path, "beyond_codes.py", *names)
    for name in names:
        fresh, committed = (read_events([(folder / f"{name}.log").read_bytes()]) for folder in (tmp_path, FIXTURES))
        assert [(type(e).__name__, getattr(e, "name", None), getattr(e, "action", None)) for e in fresh] == [
            (type(e).__name__, getattr(e, "name", None), getattr(e, "action", None)) for e in committed
        ]


@pytest.mark.node
@pytest.mark.timeout(900)
def test_the_fastify_json_log_capture_reproduces_its_fixture(tmp_path: Path) -> None:
    """A real Fastify server's pino records, captured again: the same errors with the same requests."""
    name = "fastify-pino-driver-adapter-error"
    capture_into(tmp_path, "json_logs.py")
    fresh, committed = (read_events([(folder / f"{name}.log").read_bytes()]) for folder in (tmp_path, FIXTURES))
    assert [(type(e).__name__, e.route) for e in fresh] == [(type(e).__name__, e.route) for e in committed]  # type: ignore[attr-defined]


@pytest.mark.node
@pytest.mark.timeout(900)
def test_the_bunyan_and_winston_captures_reproduce_their_fixtures(tmp_path: Path) -> None:
    """A real node:http server's bunyan and winston records, captured again: the same errors with the same
    requests."""
    capture_into(tmp_path, "node_loggers.py")
    for logger in ("bunyan", "winston"):
        name = f"node-http-{logger}-driver-adapter-error"
        fresh, committed = (read_events([(folder / f"{name}.log").read_bytes()]) for folder in (tmp_path, FIXTURES))
        assert [(type(e).__name__, e.route) for e in fresh] == [(type(e).__name__, e.route) for e in committed]  # type: ignore[attr-defined]
