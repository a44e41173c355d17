"""Prisma errors inside JSON log records (pino, Fastify, bunyan, winston's json format): the real Fastify capture,
and every error the plain-text reader knows, read the same when a JSON record carries it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from prisma_doctor.logs import events as ev
from prisma_doctor.logs import json_record
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.logs.routes import FailedRequest, failed_requests
from prisma_doctor.logs.stream import read_lines
from tests.captures.loading import FIXTURES, load, names, project_from_capture
from tests.helpers import doctor

CAPTURE = "fastify-pino-driver-adapter-error"
# The captures whose output is JSON records already.
JSON_CAPTURES = (CAPTURE, "node-http-bunyan-driver-adapter-error", "node-http-winston-driver-adapter-error")


def _shape(event: ev.Event) -> tuple[object, ...]:
    """What an event says, without where in the stream it was."""
    fields = {k: v for k, v in vars(event).items() if k not in ("line", "route")}
    return type(event).__name__, tuple(sorted(fields.items(), key=lambda kv: kv[0]))


def test_the_fastify_capture_gives_the_driver_adapter_errors_with_their_requests() -> None:
    events = read_events([load(CAPTURE).output])
    assert [type(e).__name__ for e in events] == ["MissingColumn", "MissingTable", "UniqueConstraintFailed"]
    column, table, unique = events
    assert isinstance(column, ev.MissingColumn) and isinstance(table, ev.MissingTable)
    assert (column.schema, column.table, column.column) == ("main", "User", "nickname")
    assert (table.schema, table.table) == ("main", "Post")
    assert column.error_class == table.error_class == "DriverAdapterError"
    assert column.client_version == "6.17.1"
    # Fastify logs the error with the request that failed: the route a repair asks again.
    assert (column.route, table.route, unique.route) == ("/users", "/posts", "/users")
    # Each error once: pino's `msg` repeats the error's message, which is not read twice.
    assert (column.line, table.line, unique.line) == (3, 6, 9)


@pytest.mark.parametrize(
    ("logger", "routes", "client_version"),
    [
        # bunyan's serializers keep the request and the 500 beside the error, but of the error only its message,
        # name, stack and code: no `clientVersion`.
        ("bunyan", ("/users", "/posts", "/users"), None),
        # winston logs the error itself, with its own properties and no request.
        ("winston", (None, None, None), "6.17.1"),
    ],
)
def test_bunyan_and_winston_records_give_the_same_errors(
    logger: str, routes: tuple[str | None, ...], client_version: str | None
) -> None:
    events = read_events([load(f"node-http-{logger}-driver-adapter-error").output])
    assert [type(e).__name__ for e in events] == ["MissingColumn", "MissingTable", "UniqueConstraintFailed"]
    column, table, unique = events
    assert isinstance(column, ev.MissingColumn) and isinstance(table, ev.MissingTable)
    assert isinstance(unique, ev.UniqueConstraintFailed)
    assert (column.table, column.column, table.table, unique.fields) == ("User", "nickname", "Post", ("email",))
    assert column.error_class == table.error_class == "DriverAdapterError" and unique.code == "P2002"
    assert tuple(e.route for e in events) == routes
    assert column.client_version == client_version


def test_a_known_request_errors_own_properties_are_read_as_node_prints_them() -> None:
    """P2002 as pino records it: a `PrismaClientKnownRequestError` whose message holds a code frame of the client's
    minified runtime (the record is 107 KB on one line), with `code`, `meta` and `clientVersion` beside it."""
    unique = read_events([load(CAPTURE).output])[2]
    assert isinstance(unique, ev.UniqueConstraintFailed)
    assert (unique.code, unique.model, unique.client_version) == ("P2002", "User", "6.17.1")
    assert unique.fields == ("email",) and unique.error_class == "PrismaClientKnownRequestError"
    assert max(len(line) for line in load(CAPTURE).output.splitlines()) > 100_000


def test_the_same_error_printed_and_logged_as_json_is_the_same_event() -> None:
    (printed,) = read_events([load("sqlite-p2022-missing-column").output])
    logged = read_events([load(CAPTURE).output])[0]
    assert isinstance(printed, ev.MissingColumn) and isinstance(logged, ev.MissingColumn)
    assert (printed.schema, printed.table, printed.column, printed.code, printed.error_class) == (
        logged.schema,
        logged.table,
        logged.column,
        logged.code,
        logged.error_class,
    )


def test_the_failed_requests_of_the_capture() -> None:
    assert failed_requests([load(CAPTURE).output]) == [
        FailedRequest("GET", "/users"),
        FailedRequest("POST", "/posts"),
        FailedRequest("POST", "/users"),
    ]


def _plain_captures() -> list[str]:
    return [n for n in names() if n not in JSON_CAPTURES and read_events([load(n).output])]


@pytest.mark.parametrize("name", _plain_captures())
@pytest.mark.parametrize("field", ["msg", "message", "error", "stack"])
def test_every_capture_read_from_a_json_record_gives_its_events(name: str, field: str) -> None:
    """A whole captured output as one record's text (pino's `msg`, winston's `message` or `stack`, a string
    `error`): the events the plain reader finds in it, in the same order, but a restart: a tool prints its restart line
    (`✓ Ready in 2.4s`) as a line of its own, and the same words in a record are what the app logged."""
    text = "\n".join(read_lines([load(name).output]))
    record = {"level": 50, "time": 1, "pid": 7, "hostname": "vm", field: text}
    line = json.dumps(record, ensure_ascii=False) + "\n"
    printed = [_shape(e) for e in read_events([text + "\n"]) if not isinstance(e, ev.DevServerReady)]
    assert [_shape(e) for e in read_events([line.encode()])] == printed


def _error_record(name: str) -> dict[str, object]:
    """The Fastify capture's first record with an error."""
    for line in load(name).output.decode().splitlines():
        record = json.loads(line)
        if "err" in record:
            return record
    raise AssertionError("no error record")


def test_an_error_wrapped_by_the_application_is_found_in_its_cause() -> None:
    record = _error_record(CAPTURE)
    prisma_error = record["err"]
    record["err"] = {
        "type": "Error",
        "message": "loading the users failed",
        "stack": "Error: loading the users failed\n    at loadUsers (/app/server.js:9:11)",
        "cause": {"type": "Error", "message": "retry 1 failed", "cause": prisma_error},
    }
    record["msg"] = "loading the users failed"
    (event,) = read_events([json.dumps(record) + "\n"])
    assert isinstance(event, ev.MissingColumn) and event.column == "nickname" and event.route == "/users"


def test_records_that_are_not_errors_say_nothing() -> None:
    lines = [
        '{"level":30,"msg":"Server listening at http://127.0.0.1:3000"}',
        '{"level":30,"reqId":"req-1","res":{"statusCode":500},"msg":"request completed"}',
        '{"level":30,"msg":"the column `x` does not exist in this report"}',  # no Prisma wording
        '{"not json": ',  # cut
        "[1, 2]",
    ]
    assert read_events(["\n".join(lines) + "\n"]) == []
    assert json_record.parse('{"a": 1} trailing') is None
    assert json_record.parse("[1]") is None
    assert json_record.parse("{" * 100_000 + "}" * 100_000) is None  # too deep for json: no record, no crash


def test_explain_names_the_causes_and_the_requests(tmp_path: Path) -> None:
    root = project_from_capture(CAPTURE, tmp_path / "app")
    done = doctor("explain", str(FIXTURES / f"{CAPTURE}.log"), "--project", str(root), "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert [(f["code"], f["data"]["route"]) for f in findings] == [
        ("db-missing-column", "/users"),
        ("db-missing-table", "/posts"),
        ("unique-constraint-failed", "/users"),
    ]
    assert "`User.nickname`" in findings[0]["message"] and "no migration creates it" in findings[0]["message"]


def test_explain_with_the_database_at_hand_asks_it(tmp_path: Path) -> None:
    """The capture's database as it was: the first migration applied (real SQLite), nothing since."""
    capture = load(CAPTURE)
    root = project_from_capture(CAPTURE, tmp_path / "app")
    with sqlite3.connect(root / "dev.db") as database:
        database.executescript(capture.sidecar["project"]["migrations"]["0001_init"])
    (root / ".env").write_text('DATABASE_URL="file:./dev.db"\n')
    done = doctor("explain", str(FIXTURES / f"{CAPTURE}.log"), "--project", str(root), "--json", cwd=tmp_path)
    findings = json.loads(done.stdout)["findings"]
    assert [f["code"] for f in findings] == ["db-missing-column", "db-missing-table", "unique-constraint-failed"]
    assert all(f["data"]["database"]["asked"] for f in findings[:2]), done.stdout


def test_run_reports_the_errors_of_a_server_that_logs_json(tmp_path: Path) -> None:
    """`prisma-doctor run -- <a server printing pino lines>`: the lines pass through untouched, each error named."""
    root = project_from_capture(CAPTURE, tmp_path / "app")
    log = FIXTURES / f"{CAPTURE}.log"
    done = doctor("run", "--project", str(root), "--", "sh", "-c", f"cat '{log}'", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == log.read_text()
    assert "[db-missing-column]" in done.stderr and "[db-missing-table]" in done.stderr
    assert "[unique-constraint-failed]" in done.stderr
