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
from pathlib import Path
from typing import TypeVar

from prisma_doctor.holders import Holder, processes_holding

T = TypeVar("T")

# On Windows a file in use refuses with EPERM or EACCES (winerror 5, 32, 33); elsewhere those mean "not allowed",
# which no waiting changes, and only a busy mount or a running binary (EBUSY, ETXTBSY) is a lock.
LOCKED_ERRNOS = (
    frozenset({errno.EPERM, errno.EACCES, errno.EBUSY})
    if os.name == "nt"
    else frozenset({errno.EBUSY, getattr(errno, "ETXTBSY", errno.EBUSY)})
)
# Seconds to wait between attempts: about three seconds in all, long enough for a process that is exiting.
BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.8, 1.5)


class Interrupted(Exception):
    """The repair was cancelled while this path was being handled."""


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


def retry_while_locked(
    action: Callable[[], T], path: Path, backoff: tuple[float, ...] = BACKOFF, *, was: Path | None = None
) -> T:
    """Run `action`; while it fails with a locked-file error, wait and try again, then raise `LockedFile`. `was` is
    where the file stood before the repair moved it (see `holders_of`)."""
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
    raise LockedFile(str(path), holders_of(path, was), last)


def _clear_read_only(path: Path) -> None:
    # Windows refuses to delete a read-only file (EACCES); npm caches sometimes leave such files behind.
    if os.name != "nt":
        return
    with contextlib.suppress(OSError):
        os.chmod(path, stat.S_IWRITE | os.lstat(path).st_mode)


def holders_of(path: Path, was: Path | None = None) -> list[Holder]:
    """Processes that have `path` (or a file under it) open or mapped, as far as this user may see; with `was`, also
    those that hold it under that earlier name. A library loaded before its folder was set aside stays listed under
    the name it was loaded from (Wine lists a moved mapped file so; Windows may too), and it is that process which
    keeps the set-aside copy locked."""
    return processes_holding(path, also=(was,) if was is not None else (), below=True)
