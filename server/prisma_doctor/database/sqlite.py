"""Read a SQLite database's catalog (tables, views, triggers) through Python's sqlite3, opened read-only."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote, unquote

from prisma_doctor.database.catalog import (
    MIGRATIONS_TABLE,
    AppliedMigration,
    Catalog,
    InspectionFailed,
    Relation,
    Trigger,
    cut_reason,
)
from prisma_doctor.database.target import DatabaseTarget

BUSY_TIMEOUT_SECONDS = 2
MAX_OBJECTS = 5000
_TRIGGER_HEAD = re.compile(
    r"\b(?P<timing>BEFORE|AFTER|INSTEAD\s+OF)?\s*(?P<event>INSERT|UPDATE|DELETE)\b(?:\s+OF\s+[^\n]*?)?\s+ON\b", re.I
)


def database_file(target: DatabaseTarget) -> Path | None:
    """The file a `file:` URL names: relative to the schema's folder as Prisma resolves it, else to the project
    (where a driver adapter started from the project's folder finds it)."""
    path_text = unquote(target.url[len("file:") :].split("?", 1)[0])
    if path_text.startswith("//"):
        path_text = path_text[2:]
    path = Path(path_text)
    if path.is_absolute():
        return path if path.is_file() else None
    return next((d / path for d in target.search_dirs if (d / path).is_file()), None)


def inspect_sqlite(target: DatabaseTarget) -> Catalog | InspectionFailed:
    path = database_file(target)
    if path is None:
        places = " or ".join(str(d) for d in target.search_dirs) or "the project"
        return InspectionFailed(f"the SQLite file of {target.shown} does not exist (looked in {places})")
    try:
        # mode=ro: the file is never written, nor created; query_only guards the session as well.
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        return InspectionFailed(f"cannot open {path} read-only: {error}")
    try:
        connection.execute("PRAGMA query_only = ON")
        rows = connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('table', 'view', 'trigger') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' LIMIT ?",
            (MAX_OBJECTS,),
        ).fetchall()
        relations = tuple(_relation(connection, kind, name) for kind, name, _, _ in rows if kind != "trigger")
        triggers = tuple(_trigger(name, table, sql or "") for kind, name, table, sql in rows if kind == "trigger")
        # Asked on its own: a list cut at its bound may not reach it.
        has_migrations = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
        ).fetchone()
        migrations = _migrations(connection) if has_migrations else None
    except sqlite3.Error as error:
        return InspectionFailed(f"cannot read {path}: {error}")
    finally:
        connection.close()
    cut = cut_reason(("tables, views and triggers", len(rows), MAX_OBJECTS))
    return Catalog(
        "sqlite", relations, triggers, None, f"SQLite {sqlite3.sqlite_version}", migrations=migrations, cut=cut
    )


def _migrations(connection: sqlite3.Connection) -> tuple[AppliedMigration, ...]:
    rows = connection.execute(
        f"SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM {MIGRATIONS_TABLE} "
        "ORDER BY started_at LIMIT ?",
        (MAX_OBJECTS,),
    ).fetchall()
    return tuple(AppliedMigration(str(name), bool(finished), bool(rolled)) for name, finished, rolled in rows)


def _relation(connection: sqlite3.Connection, kind: str, name: str) -> Relation:
    quoted = name.replace('"', '""')
    try:
        columns = tuple(row[1] for row in connection.execute(f'PRAGMA table_info("{quoted}")'))
        broken = None
    except sqlite3.Error as error:
        # A view whose definition names a column or table that is gone cannot even be described.
        columns, broken = (), str(error)
    return Relation(name, kind, columns, None, broken)


def _trigger(name: str, table: str, sql: str) -> Trigger:
    head = _TRIGGER_HEAD.search(re.split(r"\bBEGIN\b", sql, maxsplit=1, flags=re.I)[0])
    timing = " ".join((head.group("timing") or "BEFORE").upper().split()) if head else "BEFORE"
    event = head.group("event").upper() if head else ""
    return Trigger(name, table, (event,) if event else (), timing, "", sql)
