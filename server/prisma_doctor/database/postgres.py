"""Read a PostgreSQL database's catalog: relations with their columns, whether each is a view, triggers with their
functions' source. One read-only query, through `psql` when it is on PATH, else the pure-Python driver pg8000.

The session never writes: the connection starts with `default_transaction_read_only=on` and the query runs in a
`READ ONLY` transaction that is rolled back. Timeouts bound the connection and the statement. Server messages are
asked in English (`lc_messages = 'C'`) when the role may set it, so that the reasons shown are readable.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prisma_doctor.database.catalog import (
    MIGRATIONS_TABLE,
    NO_ANSWER,
    READ_FAILED,
    UNREACHABLE,
    AppliedMigration,
    Catalog,
    ColumnType,
    DatabaseEnum,
    InspectionFailed,
    Relation,
    Trigger,
    cut_reason,
)
from prisma_doctor.database.deadline import Deadline
from prisma_doctor.database.target import DatabaseTarget, read_authority, tls_context, url_parts
from prisma_doctor.json_values import is_object

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 5000
# psql's whole run: connect, one query, the answer.
RUN_TIMEOUT_SECONDS = CONNECT_TIMEOUT_SECONDS + STATEMENT_TIMEOUT_MS / 1000 + 2
# Bounds on the answer's size (a few MB at worst): real projects have far fewer relations and triggers.
MAX_RELATIONS = 5000
MAX_TRIGGERS = 1000
MAX_ENUMS = 1000
MAX_SOURCE_CHARS = 16384
SESSION_OPTIONS = (
    f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout=1000 "
    "-c idle_in_transaction_session_timeout=10000"
)
# The language the application's sessions get is kept first (it tells how Prisma misread a message), then ours is
# set to English. Only a role allowed to set lc_messages can; for the others the server keeps its language.
ENGLISH_MESSAGES = (
    "DO $$ BEGIN PERFORM set_config('prisma_doctor.lc_messages', current_setting('lc_messages'), false); "
    "BEGIN PERFORM set_config('lc_messages', 'C', false); "
    "EXCEPTION WHEN insufficient_privilege THEN NULL; END; END $$"
)
_SYSTEM = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_to%' AND n.nspname NOT LIKE 'pg\\_temp%'"
)
# `_prisma_migrations` of the schema Prisma uses, when it has one: a query that names a missing table fails as a
# whole, so the rows are read through query_to_xml, which runs its text only when CASE reaches it.
_MIGRATIONS = (
    f"CASE WHEN to_regclass(format('%I.{MIGRATIONS_TABLE}', current_schema())) IS NULL THEN NULL "
    "ELSE query_to_xml(format('SELECT migration_name, finished_at IS NOT NULL AS finished, "
    f"rolled_back_at IS NOT NULL AS rolled_back FROM %I.{MIGRATIONS_TABLE} ORDER BY started_at "
    f"LIMIT {MAX_RELATIONS}', current_schema()), false, false, '')::text END"
)
CATALOG_QUERY = f"""
SELECT json_build_object(
  'schema', current_schema(),
  'server', current_setting('server_version'),
  'lc_messages', current_setting('prisma_doctor.lc_messages', true),
  'relations', (SELECT coalesce(json_agg(r), '[]') FROM (
    SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
      (SELECT coalesce(json_agg(a.attname ORDER BY a.attnum), '[]') FROM pg_attribute a
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
      (SELECT coalesce(json_agg(json_build_array(coalesce(e.typname, t.typname), coalesce(e.typtype, t.typtype),
          e.oid IS NOT NULL, a.attnotnull) ORDER BY a.attnum), '[]')
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS types
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {_SYSTEM}
    ORDER BY n.nspname = current_schema() DESC, c.relname LIMIT {MAX_RELATIONS}) r),
  'triggers', (SELECT coalesce(json_agg(t), '[]') FROM (
    SELECT n.nspname AS schema, c.relname AS table, g.tgname AS name, g.tgtype AS type, g.tgenabled <> 'D' AS enabled,
      p.proname AS function, l.lanname AS language, left(p.prosrc, {MAX_SOURCE_CHARS}) AS source
    FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_proc p ON p.oid = g.tgfoid JOIN pg_language l ON l.oid = p.prolang
    WHERE NOT g.tgisinternal AND {_SYSTEM} LIMIT {MAX_TRIGGERS}) t),
  'migrations', {_MIGRATIONS},
  'enums', (SELECT coalesce(json_agg(y), '[]') FROM (
    SELECT n.nspname AS schema, t.typname AS name,
      (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE t.typtype = 'e' AND {_SYSTEM} LIMIT {MAX_ENUMS}) y)
)
"""
# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h).
_BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5, 1 << 6
_EVENT_BITS = ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE"), (_TRUNCATE, "TRUNCATE"))


@dataclass(frozen=True)
class ConnectionParams:
    host: str
    port: int
    user: str
    password: str | None
    database: str
    sslmode: str
    schema: str
    # Whether TLS verifies the server's certificate.
    verify: bool
    # The certificate authority to verify it with (`sslcert` as Prisma's URL names it, `sslrootcert` as
    # node-postgres's does), relative to the schema's folder; None: the system's.
    authority: str | None = None


def connection_params(url: str) -> ConnectionParams:
    parts = url_parts(url)
    query = parts.query
    return ConnectionParams(
        host=query.get("host") or parts.host or "localhost",
        port=parts.port or 5432,
        user=parts.user or os.environ.get("PGUSER", "postgres"),
        password=parts.password,
        database=parts.database or parts.user or "postgres",
        sslmode=query.get("sslmode", "prefer"),
        schema=query.get("schema", "public"),
        verify=parts.verify or query.get("sslmode") in ("verify-ca", "verify-full"),
        authority=query.get("sslcert") or query.get("sslrootcert") or None,
    )


def inspect_postgres(
    target: DatabaseTarget, use_psql: bool | None = None, deadline: Deadline | None = None
) -> Catalog | InspectionFailed:
    """`use_psql` None: psql when it is on PATH, else pg8000. The whole inspection is bounded by `deadline`: psql's
    run, or pg8000's connection (its socket is cut past it)."""
    try:
        params = connection_params(target.url)
    except ValueError as error:
        return InspectionFailed(f"the URL {target.shown} cannot be read: {target.mask(str(error))}")
    try:
        authority = read_authority(target, params.authority) if params.verify else None
    except OSError as error:
        return InspectionFailed(
            f"the certificate authority `{params.authority}` cannot be read: {error.strerror or error}"
        )
    psql = shutil.which("psql") if use_psql is not False else None
    if psql is not None and params.verify and authority is None and psql_major(psql) < 16:
        # libpq before 16 verifies only against a file (~/.postgresql/root.crt); pg8000 uses the system's, as Prisma.
        if use_psql:
            return InspectionFailed(
                "psql's libpq (before PostgreSQL 16) cannot verify against the system's authorities"
            )
        psql = None
    if use_psql and psql is None:
        return InspectionFailed("psql is not on PATH")
    if psql is not None and not _psql_may_send(psql, params):
        if use_psql:
            return InspectionFailed(
                "psql's libpq (before PostgreSQL 16) would send the password in clear text to a server that asks for "
                "it, and this connection's TLS does not verify the server (`sslmode=verify-full` does)"
            )
        psql = None  # pg8000 refuses to (`_RefusingClearText`)
    try:
        seconds = min(RUN_TIMEOUT_SECONDS, deadline.remaining()) if deadline else RUN_TIMEOUT_SECONDS
        if psql:
            answer = _with_psql(psql, params, authority, seconds)
        else:
            answer = _with_pg8000(params, authority, deadline or Deadline(seconds))
    except _Failed as failure:
        return InspectionFailed(target.mask(f"{failure} ({target.shown})"), kind=failure.kind)
    return _catalog(answer, params.schema)


class _Failed(Exception):
    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _kind(message: str) -> str:
    """The server's own FATAL or ERROR (a password, a permission, a database that does not exist) is an answer; a
    timeout is none; anything else kept libpq or the driver from a connection."""
    if "FATAL" in message or "ERROR" in message or "authentication" in message or "does not exist" in message:
        return READ_FAILED
    return NO_ANSWER if "timeout" in message or "no answer" in message else UNREACHABLE


# A server the project names (any host) that asks for the password in clear text would get whatever the URL's
# `${VAR}` expanded to: it is sent only inside TLS that verified the server (`verify-ca`, `verify-full`,
# `sslaccept=strict`); `require` encrypts for whoever answers, one in the middle too. libpq 16 refuses it when told
# (`require_auth`); an older one is not given a password to send.


def _psql_may_send(psql: str, params: ConnectionParams) -> bool:
    """Whether psql may be handed this connection's password: there is none, TLS verifies the server, or its libpq
    (16 and newer) refuses a request for the password in clear text."""
    return params.password is None or params.verify or psql_major(psql) >= 16


@functools.lru_cache(maxsize=4)
def psql_major(psql: str) -> int:
    """`psql (PostgreSQL) 15.18 (Debian ...)` -> 15; 0 when it cannot be told."""
    try:
        done = subprocess.run([psql, "--version"], capture_output=True, text=True, timeout=5, errors="replace")
    except (OSError, subprocess.SubprocessError):
        return 0
    match = re.search(r"(\d+)(?:\.\d+)?", done.stdout)
    return int(match[1]) if match else 0


def _with_psql(psql: str, params: ConnectionParams, authority: str | None, seconds: float) -> dict[str, Any]:
    if not params.verify:
        return _run_psql(psql, params, None, seconds)
    if authority is None:
        # libpq verifies against ~/.postgresql/root.crt unless told the system's (16 and newer), as Prisma does.
        return _run_psql(psql, params, "system", seconds)
    # libpq reads the authority's file itself: it is handed a private copy of the text read safely, not the path.
    with tempfile.TemporaryDirectory(prefix="prisma-doctor-ca-") as folder:
        copy = Path(folder) / "root.crt"
        copy.write_text(authority, encoding="ascii")
        return _run_psql(psql, params, str(copy), seconds)


def _run_psql(psql: str, params: ConnectionParams, root_certificate: str | None, seconds: float) -> dict[str, Any]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PG")},
        "PGHOST": params.host,
        "PGPORT": str(params.port),
        "PGUSER": params.user,
        "PGDATABASE": params.database,
        "PGSSLMODE": params.sslmode if params.sslmode in ("disable", "allow", "prefer", "require") else "require",
        "PGCONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        "PGOPTIONS": SESSION_OPTIONS,
        "PGAPPNAME": "prisma-doctor",
        # Prisma reads no ~/.pgpass: a password it holds for another server is not offered to the one the URL names.
        "PGPASSFILE": os.devnull,
        # libpq's own messages (connection refused, timeout) follow the client's locale: English.
        "LC_ALL": "C",
        "LANG": "C",
    }
    if params.verify:
        env["PGSSLMODE"] = "verify-full"
        env["PGSSLROOTCERT"] = root_certificate or "system"
    if params.password is not None:
        env["PGPASSWORD"] = params.password
        if not params.verify:
            env["PGREQUIREAUTH"] = "!password"
    script = "".join(
        f"{statement};\n"
        for statement in (
            ENGLISH_MESSAGES,
            _search_path(params),
            "BEGIN TRANSACTION READ ONLY",
            CATALOG_QUERY,
            "ROLLBACK",
        )
    )
    try:
        done = subprocess.run(
            [psql, "-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1", "-f", "-"],
            input=script,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            timeout=seconds,
        )
    except subprocess.TimeoutExpired as error:
        raise _Failed(f"no whole answer within {seconds:.0f} s", NO_ANSWER) from error
    except OSError as error:
        raise _Failed(f"psql could not run: {error.strerror or error}", UNREACHABLE) from error
    if done.returncode != 0:
        first = _first_error(done.stderr)
        raise _Failed(first or f"psql exited with code {done.returncode}", _kind(done.stderr))
    try:
        return json.loads(done.stdout.strip())
    except (ValueError, IndexError) as error:
        raise _Failed("psql's answer could not be read", READ_FAILED) from error


def _search_path(params: ConnectionParams) -> str:
    """Prisma's `?schema=` names the schema its tables live in."""
    quoted = params.schema.replace('"', '""')
    return f'SET search_path TO "{quoted}", public'


def _first_error(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("psql:", "psql: error:")) or "FATAL" in line or "ERROR" in line:
            return line.removeprefix("psql: error: ").split(": ERROR:  ", 1)[-1]
    return lines[0] if lines else ""


def _with_pg8000(params: ConnectionParams, authority: str | None, deadline: Deadline) -> dict[str, Any]:
    try:
        # pg8000 ships no types: `_pg8000_query` below is the one place that calls it, and takes it as Any.
        import pg8000.native  # pyright: ignore[reportMissingTypeStubs]
    except ImportError as error:
        raise _Failed(
            "neither psql nor the Python driver pg8000 is available to ask the database", UNREACHABLE
        ) from error
    attempts = [_ssl_context(params, authority)]
    if params.sslmode == "prefer":
        attempts.append(None)
    failure: Exception | None = None
    for context in attempts:
        try:
            return _pg8000_query(_refusing_clear_text(pg8000.native), params, context, deadline)
        except (OSError, pg8000.native.InterfaceError, pg8000.native.DatabaseError) as error:
            if deadline.passed:
                raise _Failed(f"no whole answer within {deadline.seconds:.0f} s", NO_ANSWER) from error
            failure = error
            if "SSL" not in str(error):
                break
    message = _driver_message(failure)
    server_said = isinstance(failure, pg8000.native.DatabaseError)
    raise _Failed(message, READ_FAILED if server_said else _kind(message))


def _verified(sock: object) -> bool:
    return isinstance(sock, ssl.SSLSocket) and sock.context.verify_mode == ssl.CERT_REQUIRED


def _refusing_clear_text(driver: Any) -> Any:
    """pg8000's module with a `Connection` that refuses a request for the password in clear text (authentication
    code 3) outside TLS that verified the server, as libpq's `require_auth=!password` does."""

    class Connection(driver.Connection):
        def handle_AUTHENTICATION_REQUEST(self, data: bytes, context: Any) -> None:
            if int.from_bytes(data[:4], "big") == 3 and not _verified(self._usock):
                raise driver.InterfaceError(
                    "the server asked for the password in clear text on a connection whose TLS did not verify it "
                    "(`sslmode=verify-full` does); it was not sent"
                )
            # pg8000 ships no types (see `_with_pg8000`).
            super().handle_AUTHENTICATION_REQUEST(data, context)  # pyright: ignore[reportUnknownMemberType]

    return SimpleNamespace(Connection=Connection)


def _pg8000_query(
    driver: Any, params: ConnectionParams, context: ssl.SSLContext | None, deadline: Deadline
) -> dict[str, Any]:
    socket_path = params.host if params.host.startswith("/") else None
    # Our own socket, so that the deadline can cut it while pg8000 connects, as well as after.
    raw = _open_socket(params, socket_path)
    descriptor = raw.fileno()
    try:
        with deadline.cutting(lambda: _shut(descriptor)):
            connection = driver.Connection(
                params.user,
                host=params.host if socket_path is None else "localhost",
                sock=raw,
                database=params.database,
                port=params.port,
                password=params.password,
                ssl_context=context,
                timeout=CONNECT_TIMEOUT_SECONDS + STATEMENT_TIMEOUT_MS / 1000,
                application_name="prisma-doctor",
                startup_params={"options": SESSION_OPTIONS},
            )
            try:
                connection.run(ENGLISH_MESSAGES)
                connection.run(_search_path(params))
                connection.run("BEGIN TRANSACTION READ ONLY")
                (row,) = connection.run(CATALOG_QUERY)
                connection.run("ROLLBACK")
            finally:
                connection.close()
    finally:
        raw.close()  # (a no-op once TLS took the socket over: the connection closed that one)
    value = row[0]
    return json.loads(value) if isinstance(value, str) else value


def _open_socket(params: ConnectionParams, socket_path: str | None) -> socket.socket:
    if socket_path is None:
        raw = socket.create_connection((params.host, params.port), CONNECT_TIMEOUT_SECONDS)
    else:
        raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        raw.settimeout(CONNECT_TIMEOUT_SECONDS)
        try:
            raw.connect(f"{socket_path}/.s.PGSQL.{params.port}")
        except OSError:
            raw.close()
            raise
    raw.settimeout(CONNECT_TIMEOUT_SECONDS + STATEMENT_TIMEOUT_MS / 1000)
    return raw


def _shut(descriptor: int) -> None:
    """Shut the connection down through a duplicate of its descriptor: TLS may have taken its socket object over."""
    with socket.socket(fileno=os.dup(descriptor)) as duplicate:
        duplicate.shutdown(socket.SHUT_RDWR)


def _ssl_context(params: ConnectionParams, authority: str | None) -> ssl.SSLContext | None:
    # libpq's `require` encrypts without verifying, as Prisma's default does.
    return None if params.sslmode == "disable" else tls_context(params.verify, authority)


def _driver_message(error: Exception | None) -> str:
    if error is None:
        return "the database could not be asked"
    cause = error.__cause__ or error.__context__
    if isinstance(error, TimeoutError) or isinstance(cause, TimeoutError):
        return "no answer within the timeout"
    if isinstance(cause, OSError) and cause.strerror:
        return f"cannot connect: {cause.strerror}"
    arguments = error.args[0] if error.args else error
    if is_object(arguments):  # pg8000's server error: PostgreSQL's fields by their one-letter codes
        return str(arguments.get("M") or arguments)
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect: {error.strerror}"
    return str(arguments)


def _catalog(answer: dict[str, Any], wanted_schema: str) -> Catalog:
    relations = tuple(
        Relation(
            name=r["name"],
            kind="view" if r["kind"] in ("v", "m") else "table",
            columns=tuple(r["columns"]),
            schema=r["schema"],
            types=tuple(ColumnType(*t) for t in r.get("types") or ()),
        )
        for r in answer.get("relations", [])
    )
    triggers = tuple(
        Trigger(
            name=t["name"],
            table=t["table"],
            events=tuple(name for bit, name in _EVENT_BITS if t["type"] & bit),
            timing="INSTEAD OF" if t["type"] & _INSTEAD else ("BEFORE" if t["type"] & _BEFORE else "AFTER"),
            function=t["function"],
            source=t["source"] or "",
            schema=t["schema"],
            enabled=bool(t["enabled"]),
            language=t["language"],
        )
        for t in answer.get("triggers", [])
    )
    enums = tuple(DatabaseEnum(e["name"], tuple(e["labels"] or ()), e["schema"]) for e in answer.get("enums") or ())
    return Catalog(
        "postgresql",
        relations,
        triggers,
        answer.get("schema") or wanted_schema,
        f"PostgreSQL {(answer.get('server') or '').split(' ')[0]}".strip(),
        answer.get("lc_messages") or None,
        _migrations(answer.get("migrations")),
        cut=cut_reason(
            ("relations", len(relations), MAX_RELATIONS),
            ("triggers", len(triggers), MAX_TRIGGERS),
            ("enums", len(enums), MAX_ENUMS),
        ),
        enums=enums,
    )


def _migrations(xml: str | None) -> tuple[AppliedMigration, ...] | None:
    """The rows query_to_xml wrote: `<table><row><migration_name>...</migration_name><finished>true</finished>...`."""
    if xml is None:
        return None
    from xml.etree import ElementTree

    rows = ElementTree.fromstring(xml).iter("row")
    return tuple(
        AppliedMigration(
            row.findtext("migration_name") or "",
            row.findtext("finished") == "true",
            row.findtext("rolled_back") == "true",
        )
        for row in rows
    )
