"""Data that only a running process still holds: a SQLite database of the project deleted (`rm prisma/dev.db`) while
a process had it open. The system keeps a deleted file while a descriptor names it, so that process's descriptor is
the last copy of the data, and stopping the process destroys it for good. A repair that would stop such a process
refuses before it changes anything, naming the process, the file and how to copy the data out while it runs.

Which files count: the database the project's URL names, wherever the app or Prisma's CLI would open it
(`database.target`), and any SQLite file in the project or its apps (`*.db`, `*.sqlite`, `*.sqlite3`, or any file
whose first bytes are SQLite's, read through the descriptor), with its write-ahead log (`-wal`), which holds what was
not yet written back. Only where the system says a file is deleted and still open (Linux `/proc`,
`holders.deleted_files_open`); elsewhere nothing is said rather than guessed.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterable, Sequence
from pathlib import Path

import psutil

from prisma_doctor.holders import deleted_files_open
from prisma_doctor.masking import shown_command
from prisma_doctor.process_start import same_start, start_key
from prisma_doctor.repair.devserver import DevServer
from prisma_doctor.repair.processes import ProjectProcess
from prisma_doctor.repair.safe_fs import is_inside

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
# SQLite's write-ahead log holds committed data not yet written back into the database file.
WAL = "-wal"


def held_data_refusals(
    folders: Sequence[Path], processes: Iterable[ProjectProcess], databases: Iterable[Path], kind: str
) -> list[str]:
    """Why a repair that stops `processes` (and what runs under them, which ends with them) must not: one holds
    open a deleted SQLite file of the project (in `folders`, or one of `databases`), the only copy of its data."""
    homes = [Path(os.path.realpath(folder)) for folder in folders]
    named = {os.path.realpath(path) for path in databases}
    refusals: list[str] = []
    for pid, command in _stopped_with(processes):
        held = [(fd, path) for fd, path in deleted_files_open(pid) if _projects_data(pid, fd, path, homes, named)]
        if not held:
            continue
        # A file open more than once (each connection of a pool) is copied through any of its descriptors.
        descriptors: dict[str, list[int]] = {}
        for fd, path in held:
            descriptors.setdefault(path, []).append(fd)
        rescue = "; ".join(_rescue(pid, path, fds) for path, fds in descriptors.items())
        files = ", ".join(descriptors)
        refusals.append(
            f"pid {pid} ({command}) holds {files} open, deleted since: that open file is now the only copy of its "
            f"data, and the {kind} would stop the process, which destroys it for good. Copy it out while the "
            f"process runs ({rescue}), put the copy back in place (`mv` it to the deleted name, after moving aside "
            "any new file that has that name now) if it is the data you want, stop the process yourself, then repair"
        )
    return refusals


def held_deleted(databases: Iterable[Path], servers: Sequence[DevServer]) -> list[tuple[int, int, str]]:
    """Which of `servers`' processes still hold one of `databases` (or its write-ahead log) open, deleted since: each
    as its pid, descriptor and path. The file is missing to a check, yet the app reads and writes it still."""
    wanted = {os.path.realpath(path) for path in databases}
    pids: dict[int, None] = {}
    for server in servers:
        for pid in (server.pid, *server.tree_pids):
            pids.setdefault(pid, None)
    return [
        (pid, fd, path)
        for pid in pids
        for fd, path in deleted_files_open(pid)
        if (path[: -len(WAL)] if path.endswith(WAL) else path) in wanted
    ]


def _rescue(pid: int, path: str, fds: list[int]) -> str:
    command = f"`cp /proc/{pid}/fd/{fds[0]} {shlex.quote(path + '-rescued')}`"
    also = ", ".join(str(fd) for fd in fds[1:])
    return f"{command} (it is open as fd {also} too)" if also else command


def _projects_data(pid: int, fd: int, path: str, homes: Sequence[Path], named: set[str]) -> bool:
    database = path[: -len(WAL)] if path.endswith(WAL) else path
    if database in named:
        return True
    if not any(is_inside(Path(database), home) for home in homes):
        return False
    # A name says little (`data`, `cache` hold SQLite databases as well): what the file holds decides.
    return database.lower().endswith(SQLITE_SUFFIXES) or _holds_sqlite(pid, fd)


# The first bytes of a SQLite database, and of its write-ahead log (either byte order of its checksums).
SQLITE_HEADER = b"SQLite format 3\x00"
WAL_MAGICS = (b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


def _holds_sqlite(pid: int, fd: int) -> bool:
    """Whether the deleted file open as `fd` in `pid` is a SQLite database or write-ahead log, read through the
    descriptor's `/proc` entry (the only way left to its data)."""
    try:
        with open(f"/proc/{pid}/fd/{fd}", "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:
        return False
    return head == SQLITE_HEADER or head[:4] in WAL_MAGICS


def _stopped_with(processes: Iterable[ProjectProcess]) -> list[tuple[int, str]]:
    """Each process a stop ends (the same process, not a pid used again), and every one under it, with its command."""
    found: dict[int, str] = {}
    for item in processes:
        try:
            process = psutil.Process(item.pid)
            if not same_start(start_key(process), item.started):
                continue
            found.setdefault(item.pid, item.command)
            for child in process.children(recursive=True):
                with contextlib.suppress(psutil.Error, OSError):
                    found.setdefault(child.pid, shown_command(child.cmdline()) or child.name())
        except (psutil.Error, OSError):
            continue
    return list(found.items())


def project_databases(project: Path, apps: Sequence[Path], servers: Sequence[DevServer]) -> list[Path]:
    """Every file the project's SQLite URL may name: where its app opens it (from each base the reader may use) and
    where Prisma's CLI does. Empty for another provider, or when the URL cannot be read."""
    from prisma_doctor.database.readers import app_runs
    from prisma_doctor.database.target import NoDatabase, locate_database, sqlite_path
    from prisma_doctor.schema.locate import SchemaNotFound, load_schema, locate_schema

    try:
        schema = load_schema(locate_schema(project))
        runs = app_runs(project, servers)
        target = locate_database(project, schema, apps=runs)
    except (NoDatabase, SchemaNotFound, OSError, ValueError):
        return []
    path = sqlite_path(target.url)
    if path is None:
        return []
    if path.is_absolute():
        return [path]
    reader = target.app
    bases = [*target.search_dirs, *apps]
    if reader is not None:
        bases += [base for base in (reader.sqlite_base, reader.sqlite_fallback) if base is not None]
        bases += reader.sqlite_candidates
    return list(dict.fromkeys(Path(os.path.normpath(base / path)) for base in bases))
