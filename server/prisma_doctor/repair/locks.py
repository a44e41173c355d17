"""Files that a running process holds: retry with backoff, then name the holder.

On Windows a loaded engine library (`query_engine-windows.dll.node`) or an open file cannot be deleted or renamed
(EPERM, EACCES, EBUSY); elsewhere the same shape appears as EBUSY on a busy mount or ETXTBSY on a running binary,
and EPERM/EACCES are permission errors, named as such by `safe_fs` rather than retried.
The platform-specific part is `_clear_read_only` and the set of error numbers; finding the holder uses psutil,
which works the same on every system.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")

# On Windows a file in use refuses with EPERM or EACCES (winerror 5, 32, 33); elsewhere those mean "not allowed",
# which no waiting changes, and only a busy mount or a running binary (EBUSY, ETXTBSY) is a lock.
if os.name == "nt":
    LOCKED_ERRNOS = frozenset({errno.EPERM, errno.EACCES, errno.EBUSY})
else:
    LOCKED_ERRNOS = frozenset({errno.EBUSY, getattr(errno, "ETXTBSY", errno.EBUSY)})
# Seconds to wait between attempts: about three seconds in all, long enough for a process that is exiting.
BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.8, 1.5)


class Interrupted(Exception):
    """The repair was cancelled while this path was being handled."""


@dataclass(frozen=True)
class Holder:
    pid: int
    name: str
    cmdline: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.cmdline or self.name})"


class LockedFile(Exception):
    """A file stayed locked after every retry."""

    def __init__(self, path: str, holders: list[Holder], error: OSError) -> None:
        self.path = path
        self.holders = holders
        self.error = error
        if holders:
            who = ", ".join(holder.describe() for holder in holders)
            message = f"{path} is locked by {who}; stop it and run the repair again"
        else:
            message = f"{path} stayed locked ({error.strerror}); no process was found holding it"
        super().__init__(message)


def retry_while_locked(action: Callable[[], T], path: Path, backoff: tuple[float, ...] = BACKOFF) -> T:
    """Run `action`; while it fails with a locked-file error, wait and try again, then raise `LockedFile`."""
    last: OSError | None = None
    for delay in (0.0, *backoff):
        if delay:
            time.sleep(delay)
        try:
            return action()
        except FileNotFoundError:
            raise
        except OSError as error:
            if error.errno not in LOCKED_ERRNOS and getattr(error, "winerror", None) not in (5, 32, 33):
                raise
            last = error
            _clear_read_only(path)
    assert last is not None
    raise LockedFile(str(path), holders_of(path), last)


def _clear_read_only(path: Path) -> None:
    # Windows refuses to delete a read-only file (EACCES); npm caches sometimes leave such files behind.
    if os.name != "nt":
        return
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IWRITE | os.lstat(path).st_mode)


def holders_of(path: Path) -> list[Holder]:
    """Processes that have `path` (or a file under it) open or mapped, as far as this user may see."""
    target = os.path.normcase(os.path.abspath(path))
    found: list[Holder] = []
    for process in psutil.process_iter(["pid", "name"]):
        try:
            names = [f.path for f in process.open_files()]
            if hasattr(process, "memory_maps"):
                names += [m.path for m in process.memory_maps(grouped=True)]
            if any(_covers(target, name) for name in names):
                found.append(Holder(process.pid, process.info["name"] or "", " ".join(process.cmdline())))
        except (psutil.Error, OSError):
            continue
    return found


def _covers(target: str, name: str) -> bool:
    name = os.path.normcase(name)
    return name == target or name.startswith(target.rstrip(os.sep) + os.sep)
