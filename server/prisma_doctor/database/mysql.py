"""Read a MySQL or MariaDB database's catalog: tables and views with their columns (a relation's schema is its
database), triggers with their statements, and `_prisma_migrations`, through the pure-Python driver PyMySQL.

The session never writes: it is made read-only (`SET SESSION TRANSACTION READ ONLY`) and the reads run in a
`START TRANSACTION READ ONLY` that is rolled back. Timeouts bound the connection, every read and write on the
socket, and each statement (MariaDB's `max_statement_time`, MySQL's `max_execution_time`).

URLs as Prisma reads them (`mysql://user:password@host:3306/db?socket=(/run/mysqld.sock)&sslaccept=strict`, the SSL
parameters `sslcert`, `sslidentity`, `sslpassword`, `sslaccept` turning TLS on) and as @prisma/adapter-mariadb's
driver does (`mariadb://...`, `socketPath=`, `ssl=true`).
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass, replace
from typing import Any

from prisma_doctor.database.catalog import (
    MIGRATIONS_TABLE,
    NO_ANSWER,
    READ_FAILED,
    UNREACHABLE,
    AppliedMigration,
    Catalog,
    InspectionFailed,
    Relation,
    Trigger,
    cut_reason,
)
from prisma_doctor.database.deadline import Deadline
from prisma_doctor.database.target import DatabaseTarget, read_authority, tls_context, url_parts

DEFAULT_PORT = 3306
CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_SECONDS = 5
# A read that waits longer on the socket than a statement may run has lost its server.
SOCKET_TIMEOUT_SECONDS = STATEMENT_TIMEOUT_SECONDS + 1
MAX_RELATIONS = 5000
MAX_COLUMNS = 200_000
MAX_TRIGGERS = 1000
MAX_SOURCE_CHARS = 16384
_SSL_PARAMETERS = ("sslcert", "sslidentity", "sslpassword", "sslaccept")
_SYSTEM = "('mysql', 'information_schema', 'performance_schema', 'sys')"
# Each bounded; the current database's relations first, so that a cut keeps the project's own.
RELATIONS_QUERY = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_COMMENT FROM information_schema.TABLES "
    f"WHERE TABLE_SCHEMA NOT IN {_SYSTEM} "
    f"ORDER BY TABLE_SCHEMA = DATABASE() DESC, TABLE_SCHEMA, TABLE_NAME LIMIT {MAX_RELATIONS}"
)
COLUMNS_QUERY = (
    "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
    f"WHERE TABLE_SCHEMA NOT IN {_SYSTEM} "
    f"ORDER BY TABLE_SCHEMA = DATABASE() DESC, TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION LIMIT {MAX_COLUMNS}"
)
TRIGGERS_QUERY = (
    "SELECT TRIGGER_NAME, EVENT_OBJECT_SCHEMA, EVENT_OBJECT_TABLE, EVENT_MANIPULATION, ACTION_TIMING, "
    f"LEFT(ACTION_STATEMENT, {MAX_SOURCE_CHARS}) FROM information_schema.TRIGGERS "
    f"WHERE TRIGGER_SCHEMA NOT IN {_SYSTEM} ORDER BY EVENT_OBJECT_SCHEMA = DATABASE() DESC LIMIT {MAX_TRIGGERS}"
)
VIEWS_QUERY = (
    f"SELECT TABLE_SCHEMA, TABLE_NAME, LEFT(VIEW_DEFINITION, {MAX_SOURCE_CHARS}) FROM information_schema.VIEWS "
    f"WHERE TABLE_SCHEMA NOT IN {_SYSTEM} ORDER BY TABLE_SCHEMA = DATABASE() DESC LIMIT {MAX_RELATIONS}"
)
# Asked on its own, not found in the (bounded) list of relations, where it sorts last.
HAS_MIGRATIONS_QUERY = (
    "SELECT COUNT(*) FROM information_schema.TABLES "
    f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{MIGRATIONS_TABLE}'"
)
MIGRATIONS_QUERY = (
    f"SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM `{MIGRATIONS_TABLE}` "
    f"ORDER BY started_at LIMIT {MAX_RELATIONS}"
)


@dataclass(frozen=True)
class ConnectionParams:
    host: str
    port: int
    user: str
    password: str | None
    # "" when the URL names none: every schema is read, none is the default.
    database: str
    socket: str | None
    tls: bool
    # Whether TLS verifies the server's certificate (`UrlParts.verify`).
    verify: bool
    # `sslcert`: the certificate authority to verify with, relative to the schema's folder as Prisma reads it.
    authority: str | None = None


def connection_params(url: str) -> ConnectionParams:
    parts = url_parts(url)
    query = parts.query
    # Prisma strips the parentheses of `socket=(/tmp/mysql.sock)`; the mariadb driver calls it socketPath.
    socket_path = (query.get("socket") or query.get("socketPath") or "").strip("()") or None
    return ConnectionParams(
        host=parts.host or "localhost",
        port=parts.port or DEFAULT_PORT,
        user=parts.user or "root",
        password=parts.password,
        database=parts.database,
        socket=socket_path,
        tls=socket_path is None
        and (any(k in query for k in _SSL_PARAMETERS) or query.get("ssl", "").lower() in ("true", "1")),
        verify=parts.verify,
        authority=query.get("sslcert"),
    )


def inspect_mysql(target: DatabaseTarget, deadline: Deadline | None = None) -> Catalog | InspectionFailed:
    deadline = deadline or Deadline(CONNECT_TIMEOUT_SECONDS + STATEMENT_TIMEOUT_SECONDS + 2)
    try:
        params = connection_params(target.url)
    except ValueError as error:
        return InspectionFailed(f"the URL {target.shown} cannot be read: {target.mask(str(error))}")
    try:
        # PyMySQL ships no types: `_read` below is the one place that calls it, and takes it as Any.
        import pymysql  # pyright: ignore[reportMissingTypeStubs]
    except ImportError:
        return InspectionFailed("the Python driver PyMySQL is not available to ask the database")
    try:
        authority = read_authority(target, params.authority) if params.verify else None
    except OSError as error:
        return InspectionFailed(f"the certificate authority `sslcert` cannot be read: {error.strerror or error}")
    try:
        return _read(pymysql, params, authority, deadline)
    except (OSError, pymysql.MySQLError) as error:
        return _failed(target, error, deadline)
    except RuntimeError as error:
        if "cryptography" not in str(error) or params.tls or params.socket is not None:
            return _failed(target, error, deadline)
    # MySQL 8's caching_sha2_password, on plain TCP, sends the password encrypted with the server's RSA key, which
    # PyMySQL does only with the `cryptography` package; over TLS, which MySQL 8 offers by default, it needs nothing
    # more. So plain TCP first, as Prisma connects, then TLS as Prisma's default takes it (any certificate).
    try:
        return _read(pymysql, replace(params, tls=True), authority, deadline)
    except (OSError, pymysql.MySQLError, RuntimeError) as error:
        return _failed(target, error, deadline)


def _failed(target: DatabaseTarget, error: Exception, deadline: Deadline) -> InspectionFailed:
    if deadline.passed:
        return InspectionFailed(
            target.mask(f"no whole answer within {deadline.seconds:.0f} s ({target.shown})"), kind=NO_ANSWER
        )
    message = _driver_message(error)
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    # PyMySQL's codes under 2000 are the server's own (a password, a permission, an unknown database): it answered.
    kind = READ_FAILED if code is not None and code < 2000 else NO_ANSWER if "no answer" in message else UNREACHABLE
    return InspectionFailed(target.mask(f"{message} ({target.shown})"), kind=kind)


class _NotInClear:
    """The handler of the authentication plugins that send the password as it is (`mysql_clear_password`, and
    MariaDB's `dialog` that prompts for it): the password is sent only inside TLS that verified the server's
    certificate (`sslaccept=strict`). A server the project names (any host, over plain TCP) asking for it would
    otherwise get whatever the URL's `${VAR}` expanded to, in clear; and TLS that accepts any certificate (Prisma's
    default) hides nothing from whoever sits in the middle with one of their own. Prisma's own driver refuses the
    first unless told otherwise, and knows no `dialog`."""

    plugin = ""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def _refuse_unless_verified(self) -> None:
        sock = self._connection._sock  # pyright: ignore[reportUnknownMemberType]
        if isinstance(sock, ssl.SSLSocket) and sock.context.verify_mode == ssl.CERT_REQUIRED:
            return
        import pymysql  # pyright: ignore[reportMissingTypeStubs]

        where = (
            "a TLS connection whose certificate was not verified (`sslaccept=strict` verifies it)"
            if isinstance(sock, ssl.SSLSocket)
            else "a connection without TLS"
        )
        raise pymysql.err.OperationalError(
            2059, f"the server asked for the password in clear text ({self.plugin}) on {where}; it was not sent"
        )


class _ClearPassword(_NotInClear):
    plugin = "mysql_clear_password"

    def authenticate(self, packet: Any) -> Any:
        self._refuse_unless_verified()
        # What PyMySQL does for it without a handler, now inside TLS.
        self._connection.write_packet(self._connection.password + b"\0")
        answer = self._connection._read_packet()  # pyright: ignore[reportUnknownMemberType]
        answer.check_error()
        return answer


class _Dialog(_NotInClear):
    plugin = "dialog"

    def authenticate(self, packet: Any) -> Any:
        self._refuse_unless_verified()
        # Inside TLS, PyMySQL's own dialog answers the password prompt: it takes an AttributeError as "no handler".
        raise AttributeError("authenticate")


AUTH_PLUGINS = {"mysql_clear_password": _ClearPassword, "dialog": _Dialog}


def _read(driver: Any, params: ConnectionParams, authority: str | None, deadline: Deadline) -> Catalog:
    connection = driver.connect(
        host=params.host,
        port=params.port,
        user=params.user,
        password=params.password or "",
        database=params.database or None,
        unix_socket=params.socket,
        ssl=tls_context(params.verify, authority) if params.tls else None,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=SOCKET_TIMEOUT_SECONDS,
        write_timeout=SOCKET_TIMEOUT_SECONDS,
        charset="utf8mb4",
        autocommit=True,
        program_name="prisma-doctor",
        # Connected below, under the deadline that cuts its socket.
        defer_connect=True,
        auth_plugin_map=AUTH_PLUGINS,
    )
    try:
        with deadline.cutting(lambda: _cut(connection)):
            connection.connect()
            with connection.cursor() as cursor:
                begin_read_only(driver, cursor)
                catalog = _read_catalog(cursor)
                cursor.execute("ROLLBACK")
    finally:
        connection.close()
    return catalog


def _cut(connection: Any) -> None:
    sock = getattr(connection, "_sock", None)
    if sock is not None:
        sock.shutdown(socket.SHUT_RDWR)


def _read_catalog(cursor: Any) -> Catalog:
    """The catalog, read in the read-only transaction `cursor` is in."""
    cursor.execute("SELECT DATABASE(), VERSION(), @@lc_messages, @@lower_case_table_names")
    database, version, language, lower_case_table_names = cursor.fetchone()
    # The application's language is kept (it tells why the adapter could not name a column); ours is English, so
    # that a reason shown from here on is readable.
    cursor.execute("SET SESSION lc_messages = 'en_US'")
    cursor.execute(RELATIONS_QUERY)
    tables = cursor.fetchall()
    cursor.execute(COLUMNS_QUERY)
    columns = cursor.fetchall()
    # A view whose definition names what no longer exists lists no columns; the server says so in a warning (1356)
    # that names the view, the way SQLite's failing PRAGMA does.
    cursor.execute("SHOW WARNINGS")
    broken = {_broken_view(str(message)): str(message) for _, code, message in cursor.fetchall() if code == 1356}
    # What each view selects (every name qualified): what a broken one misses (database/views.py).
    cursor.execute(VIEWS_QUERY)
    definitions = {(str(schema), str(name)): str(text or "") for schema, name, text in cursor.fetchall()}
    cursor.execute(TRIGGERS_QUERY)
    triggers = tuple(_trigger(*row) for row in cursor.fetchall())
    migrations = None
    cursor.execute(HAS_MIGRATIONS_QUERY)
    if database and cursor.fetchone()[0]:
        cursor.execute(MIGRATIONS_QUERY)
        migrations = tuple(
            AppliedMigration(str(name), bool(finished), bool(rolled)) for name, finished, rolled in cursor.fetchall()
        )
    return Catalog(
        "mysql",
        _relations(tables, columns, broken, definitions),
        triggers,
        database or None,
        _server(str(version)),
        str(language) if language else None,
        migrations,
        # 0: names as written, compared exactly; 1 and 2 (Windows, macOS): compared without case.
        table_case_sensitive=int(lower_case_table_names or 0) == 0,
        cut=cut_reason(
            ("tables and views", len(tables), MAX_RELATIONS),
            ("columns", len(columns), MAX_COLUMNS),
            ("triggers", len(triggers), MAX_TRIGGERS),
        ),
    )


def begin_read_only(driver: Any, cursor: Any) -> None:
    """The session writes nothing and waits for nothing long, then a read-only transaction starts."""
    cursor.execute("SET SESSION TRANSACTION READ ONLY")
    # Each statement ends within the timeout: MariaDB counts seconds, MySQL milliseconds (and only for SELECT).
    try:
        cursor.execute(f"SET SESSION max_statement_time = {STATEMENT_TIMEOUT_SECONDS}")
    except driver.MySQLError:
        cursor.execute(f"SET SESSION max_execution_time = {STATEMENT_TIMEOUT_SECONDS * 1000}")
    # The catalog reads take no row locks, but a metadata lock held by a running migration would make them wait.
    cursor.execute("SET SESSION lock_wait_timeout = 2")
    cursor.execute("START TRANSACTION READ ONLY")


def _relations(
    tables: Any, columns: Any, broken: dict[tuple[str, str] | None, str], definitions: dict[tuple[str, str], str]
) -> tuple[Relation, ...]:
    by_relation: dict[tuple[str, str], list[str]] = {}
    for schema, name, column in columns:
        by_relation.setdefault((str(schema), str(name)), []).append(str(column))
    relations: list[Relation] = []
    for schema, name, kind, comment in tables:
        key = (str(schema), str(name))
        view = "VIEW" in str(kind).upper()
        # MySQL says it in the view's comment instead of a warning.
        said = str(comment) if view and comment and str(comment).upper() != "VIEW" else None
        relations.append(
            Relation(
                str(name),
                "view" if view else "table",
                tuple(by_relation.get(key, ())),
                key[0],
                broken.get(key) or said,
                definitions.get(key, ""),
            )
        )
    return tuple(relations)


def _broken_view(message: str) -> tuple[str, str] | None:
    """`View 'app.UserSummary' references invalid table(s) or column(s) ...` -> ("app", "UserSummary")."""
    match = re.match(r"View '(?P<schema>[^'.]+)\.(?P<name>[^']+)'", message)
    return (match["schema"], match["name"]) if match else None


def _trigger(name: Any, schema: Any, table: Any, event: Any, timing: Any, statement: Any) -> Trigger:
    return Trigger(
        str(name), str(table), (str(event).upper(),), str(timing).upper(), "", str(statement or ""), str(schema)
    )


def _server(version: str) -> str:
    """`10.11.19-MariaDB-0+deb12u1` -> `MariaDB 10.11.19`; `8.0.36` -> `MySQL 8.0.36`."""
    number = version.split("-", 1)[0]
    return f"MariaDB {number}" if "mariadb" in version.lower() else f"MySQL {number}"


def _driver_message(error: BaseException) -> str:
    """PyMySQL's errors carry `(code, message)`; a socket error its own words."""
    arguments = error.args
    if len(arguments) >= 2 and isinstance(arguments[0], int):
        message = str(arguments[1])
        if "timed out" in message:
            return f"no answer within the timeout: {message}"
        return message
    if isinstance(error, TimeoutError):
        return "no answer within the timeout"
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect: {error.strerror}"
    return str(error) or type(error).__name__
