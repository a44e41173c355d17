"""Read a SQLite database's catalog (tables, views, triggers) through Python's sqlite3, opened read-only."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Generator
from pathlib import Path
from urllib.parse import quote

from prisma_doctor import project_files
from prisma_doctor.database.catalog import (
    MIGRATIONS_TABLE,
    READ_FAILED,
    AppliedMigration,
    Catalog,
    InspectionFailed,
    Relation,
    Trigger,
    cut_reason,
)
from prisma_doctor.database.target import DatabaseTarget, sqlite_path

BUSY_TIMEOUT_SECONDS = 2
# A WAL database whose `-wal` has no `-shm` beside it is read from a private copy; above this much, not at all.
MAX_COPY_BYTES = 64 * 1024 * 1024
MAX_OBJECTS = 5000
_TRIGGER_HEAD = re.compile(
    r"\b(?P<timing>BEFORE|AFTER|INSTEAD\s+OF)?\s*(?P<event>INSERT|UPDATE|DELETE)\b(?:\s+OF\s+[^\n]*?)?\s+ON\b", re.I
)


def database_file(target: DatabaseTarget) -> Path | None:
    """The file the app opens (`chosen_file`), when it exists."""
    return chosen_file(target)[0]


def chosen_file(target: DatabaseTarget) -> tuple[Path | None, str]:
    """The SQLite file the app opens, and which one that is as a message says it. A relative path is the app's:
    from the schema's folder with Prisma's own engine, from the app's working folder with a driver adapter
    (`readers.py`); where that is not decided and both files exist, the likelier is read and the message says so."""
    path = sqlite_path(target.url)
    if path is None:
        return None, "no file"
    if path.is_absolute():
        return (path if path.is_file() else None), str(path)
    app = target.app
    root = target.search_dirs[-1] if target.search_dirs else Path.cwd()
    if app is not None and app.sqlite_base is not None:
        # Normalized: a workspace app names the db package's file from its own folder (`../../packages/db/dev.db`).
        chosen = Path(os.path.normpath(app.sqlite_base / path))
        shown = f"{_relative(chosen, root)}, the file {app.who} opens ({app.sqlite_why})"
        fallback = Path(os.path.normpath(app.sqlite_fallback / path)) if app.sqlite_fallback else None
        if not chosen.is_file() and fallback is not None and fallback.is_file():
            return fallback, (
                f"{_relative(fallback, root)}, likely the file {app.who} opens: {_relative(chosen, root)}, where its "
                f"driver adapter opens the URL as written, does not exist, so its code passes another one (what "
                f"decides: the URL the code passes to the adapter)"
            )
        return (chosen if chosen.is_file() else None), shown
    bases = app.sqlite_candidates if app is not None else target.search_dirs
    existing = list(dict.fromkeys(p for base in bases if (p := base / path).is_file()))
    if not existing:
        return None, " or ".join(_relative(base / path, root) for base in bases)
    if len(existing) > 1 and len({p.resolve() for p in existing}) > 1:
        others = ", ".join(_relative(p, root) for p in existing[1:])
        why = f": {app.sqlite_why}" if app is not None else ""
        return existing[0], (
            f"{_relative(existing[0], root)}; which file the app opens is not decided, and {others} exists too{why}"
        )
    return existing[0], _relative(existing[0], root)


def not_a_file(target: DatabaseTarget) -> tuple[str, str] | None:
    """Where the app's SQLite file should be, something that is not a regular file (a FIFO, a folder, a device, a
    link to nothing), and what it is in words; None when no such thing lies at any path the app may open. Such a path
    is neither a database to read nor an absent one to create: a push there would write into it (attacker's trial 13:
    a FIFO at `dev.db` was said "no SQLite database", with `db push` offered)."""
    path = sqlite_path(target.url)
    if path is None:
        return None
    app = target.app
    root = target.search_dirs[-1] if target.search_dirs else Path.cwd()
    if path.is_absolute():
        candidates = [path]
    elif app is not None and app.sqlite_base is not None:
        candidates = [Path(os.path.normpath(app.sqlite_base / path))]
        candidates += [Path(os.path.normpath(app.sqlite_fallback / path))] if app.sqlite_fallback else []
    else:
        candidates = [base / path for base in (app.sqlite_candidates if app is not None else target.search_dirs)]
    for candidate in candidates:
        try:
            mode = candidate.stat().st_mode
        except OSError:
            if candidate.is_symlink():
                return _relative(candidate, root), "a link to nothing"
            continue
        if not stat.S_ISREG(mode):
            return _relative(candidate, root), project_files.kind_of(mode)
    return None


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def inspect_sqlite(target: DatabaseTarget) -> Catalog | InspectionFailed:
    path, which = chosen_file(target)
    if path is None:
        return InspectionFailed(f"the SQLite file of {target.shown} does not exist ({which})")
    with _read_only_uri(path) as uri:
        if isinstance(uri, InspectionFailed):
            return uri
        return _read_catalog(uri, path, which)


def _read_catalog(uri: str, path: Path, which: str) -> Catalog | InspectionFailed:
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        return InspectionFailed(f"cannot open {path} read-only: {error}", kind=READ_FAILED)
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
        return InspectionFailed(f"cannot read {path}: {error}", kind=READ_FAILED)
    finally:
        connection.close()
    # The server's name says which file was read: the app's, as `chosen_file` decided it.
    server = f"SQLite {sqlite3.sqlite_version}, {which}"
    cut = cut_reason(("tables, views and triggers", len(rows), MAX_OBJECTS))
    return Catalog("sqlite", relations, triggers, None, server, migrations=migrations, cut=cut)


@contextlib.contextmanager
def _read_only_uri(path: Path) -> Generator[str | InspectionFailed]:
    """A URI that reads `path` without creating or writing any file beside it. `mode=ro` alone is not that: SQLite
    creates `-wal` and `-shm` beside a WAL database (beside the link's target, when the file is a link) when they
    are not there. So a WAL database without a `-wal` is opened `immutable` (nothing waits in a WAL that does not
    exist), and one with a `-wal` but no `-shm` is read from a private copy of both, bounded in size."""
    real = Path(os.path.realpath(path))
    plain = f"file:{quote(str(path))}?mode=ro"
    if not _is_wal(real):
        # A rollback-journal database: read-only, SQLite creates nothing beside it.
        yield plain
        return
    wal, shm = Path(f"{real}-wal"), Path(f"{real}-shm")
    if not wal.exists():
        yield f"file:{quote(str(path))}?mode=ro&immutable=1"
        return
    if shm.exists():
        # A writer keeps both: reading takes part in its shared memory as any reader does, and creates nothing.
        yield plain
        return
    try:
        size = real.stat().st_size + wal.stat().st_size
    except OSError as error:
        yield InspectionFailed(f"cannot read {path}: {error}", kind=READ_FAILED)
        return
    if size > MAX_COPY_BYTES:
        yield InspectionFailed(
            f"the database {path} was not compared: it is in WAL mode with a -wal file but no -shm beside it, "
            f"and reading it in place would create one; a private copy would be {size // (1024 * 1024)} MB, more "
            f"than the {MAX_COPY_BYTES // (1024 * 1024)} MB a check copies",
            kind=READ_FAILED,
        )
        return
    with tempfile.TemporaryDirectory(prefix="prisma-doctor-sqlite-") as folder:
        copy = Path(folder) / "copy.db"
        try:
            shutil.copyfile(real, copy)
            shutil.copyfile(wal, f"{copy}-wal")
        except OSError as error:
            yield InspectionFailed(f"cannot read {path}: {error}", kind=READ_FAILED)
            return
        # The copy is ours: SQLite may create its `-shm` there, and the folder goes with it.
        yield f"file:{quote(str(copy))}"


def _is_wal(path: Path) -> bool:
    """SQLite's header says WAL mode by its read and write versions (bytes 18 and 19) being 2."""
    try:
        with path.open("rb") as file:
            header = file.read(20)
    except OSError:
        return False
    return len(header) == 20 and header.startswith(b"SQLite format 3\x00") and 2 in (header[18], header[19])


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
