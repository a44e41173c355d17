"""Which processes hold a file open or mapped: the owner of a locked query engine.

A native engine (`query_engine-*.node`) is loaded as a shared library inside the dev server's node process, so it
shows among the process's memory maps (Linux, macOS) or open files (Windows). Best effort: processes we may not
inspect are skipped.
"""

from __future__ import annotations

import os
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


def processes_holding(path: str) -> list[Holder]:
    target = path.strip("'\"")
    holders: list[Holder] = []
    for process in psutil.process_iter(["pid", "name"]):
        try:
            paths = [m.path for m in process.memory_maps(grouped=True)] if hasattr(process, "memory_maps") else []
            paths += [f.path for f in process.open_files()]
        except (psutil.Error, OSError):
            continue
        if any(_same_file(p, target) for p in paths):
            holders.append(Holder(process.info["pid"], process.info["name"] or "?"))
    return holders
