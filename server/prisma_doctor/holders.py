"""Which processes hold a file open or mapped: the owner of a locked query engine, or of a folder being removed.

A native engine (`query_engine-*.node`) is loaded as a shared library inside the dev server's node process, so it
shows among the process's memory maps (Linux, macOS) or open files (Windows). Best effort: processes this user may
not inspect are skipped. Both the diagnosis (a log's `EPERM ... query_engine-windows.dll.node`) and the repair (a
file that stays locked) ask here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from prisma_doctor.masking import shown_command
from prisma_doctor.process_names import process_name

# A command line is shown up to this many characters: enough to tell `node --watch dev.js` from `next dev`.
SHOWN_COMMAND = 300


@dataclass(frozen=True)
class Holder:
    pid: int
    name: str
    cmdline: str = ""

    def describe(self) -> str:
        """`node.exe (pid 4242: node --watch server.js)`: what a person needs to find the process and know it."""
        cmdline = shown_command(self.cmdline)
        command = cmdline if len(cmdline) <= SHOWN_COMMAND else cmdline[:SHOWN_COMMAND] + "…"
        return f"{self.name} (pid {self.pid}{': ' + command if command else ''})"

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "name": self.name, "cmdline": shown_command(self.cmdline)}


def processes_holding(path: str | Path, *, also: Sequence[str | Path] = (), below: bool = False) -> list[Holder]:
    """Processes that have `path` (or one of `also`) open or mapped; with `below`, any file under it. Only that very
    file counts (compared by its real path): a file of the same name elsewhere is another project's, and a process
    named here may be stopped."""
    targets = {t for p in (path, *also) for t in _forms(p)}
    holders: list[Holder] = []
    for process in psutil.process_iter(["pid"]):
        try:
            paths = _mapped_paths(process) + [f.path for f in process.open_files()]
            if any(_matches(os.path.normcase(p), t, below) for p in paths for t in targets):
                holders.append(Holder(process.pid, process_name(process) or "?", " ".join(process.cmdline())))
        except (psutil.Error, OSError):
            continue
    return holders


def _forms(path: str | Path) -> tuple[str, str]:
    # Maps and open files name the real file, and the project may be reached through a link (pnpm's store, a
    # symlinked checkout, macOS's /tmp): the path as given and its real path.
    text = str(path).strip("'\"")
    return os.path.normcase(os.path.abspath(text)), os.path.normcase(os.path.realpath(text))


def _matches(candidate: str, target: str, below: bool) -> bool:
    return candidate == target or (below and candidate.startswith(target.rstrip(os.sep) + os.sep))


def _mapped_paths(process: psutil.Process) -> list[str]:
    if sys.platform.startswith("linux"):
        # /proc/<pid>/maps is cheap; psutil's memory_maps parses smaps, which is slow for big processes.
        with open(f"/proc/{process.pid}/maps", encoding="utf-8", errors="replace") as maps:
            return [parts[5].strip() for line in maps if len(parts := line.split(None, 5)) == 6]
    if hasattr(process, "memory_maps"):
        return [m.path for m in process.memory_maps(grouped=True)]
    return []


DELETED = " (deleted)"


def deleted_files_open(pid: int) -> list[tuple[int, str]]:
    """The files `pid` holds open that were deleted since (or replaced by another file of the name), each with its
    descriptor and the path it had: on Linux, where `/proc/PID/fd/N` names it `PATH (deleted)`. While that descriptor
    is open the file's data can still be copied out through it; once the process ends it is gone. Elsewhere the
    system does not say: nothing is guessed."""
    if not sys.platform.startswith("linux"):
        return []
    folder = f"/proc/{pid}/fd"
    found: list[tuple[int, str]] = []
    try:
        descriptors = os.listdir(folder)
    except OSError:
        return []
    for name in descriptors:
        try:
            target = os.readlink(f"{folder}/{name}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("/") and target.endswith(DELETED) and name.isdigit():
            found.append((int(name), target[: -len(DELETED)]))
    return found
