"""Which processes hold a file open or mapped: the owner of a locked query engine.

A native engine (`query_engine-*.node`) is loaded as a shared library inside the dev server's node process, so it
shows among the process's memory maps (Linux, macOS) or open files (Windows). Best effort: processes we may not
inspect are skipped.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Holder:
    pid: int
    name: str


def _same_file(candidate: str, target: str) -> bool:
    if os.path.normcase(candidate) == os.path.normcase(target):
        return True
    # A log names the file as the process saw it; compare the engine's file name when the folders differ
    # (a `.tmp1234` suffix from copy-then-rename is not part of the file that is held).
    return os.path.basename(candidate) == os.path.basename(target.split(".tmp")[0])


def _mapped_paths(process: psutil.Process) -> list[str]:
    if sys.platform.startswith("linux"):
        # /proc/<pid>/maps is cheap; psutil's memory_maps parses smaps, which is slow for big processes.
        with open(f"/proc/{process.pid}/maps", encoding="utf-8", errors="replace") as maps:
            return [parts[5].strip() for line in maps if len(parts := line.split(None, 5)) == 6]
    if hasattr(process, "memory_maps"):
        return [m.path for m in process.memory_maps(grouped=True)]
    return []


def processes_holding(path: str) -> list[Holder]:
    target = path.strip("'\"")
    holders: list[Holder] = []
    for process in psutil.process_iter(["pid", "name"]):
        try:
            paths = _mapped_paths(process) + [f.path for f in process.open_files()]
        except (psutil.Error, OSError):
            continue
        if any(_same_file(p, target) for p in paths):
            holders.append(Holder(process.info["pid"], process.info["name"] or "?"))
    return holders
