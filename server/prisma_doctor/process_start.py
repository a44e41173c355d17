"""When a process started: the one home for a process's identity across processes (a pid plus its start).

psutil's `create_time()` on Linux is the process's start in clock ticks since boot plus `/proc/stat`'s btime read
at call time, and the kernel recomputes btime (whole seconds) on every read: when the clock is slewed or stepped it
moves by a second, so two processes that ask about the same process can disagree by a second (psutil #2526, #2541).
A repair and `prisma-doctor run` that compare such times with a 0.01 s tolerance then each take the other for a
reused pid. On Linux the key here is the raw start since boot, which never changes, and the epoch time is derived
from the boot clock at full precision; elsewhere psutil's time is the kernel's own and is compared with a tolerance
that covers a step of the clock.
"""

from __future__ import annotations

import os
import sys
import time

import psutil

_LINUX = sys.platform.startswith("linux")
# Linux: keys are exact clock ticks. Elsewhere: a start read twice may differ by a step of the clock.
_TOLERANCE = 0.01 if _LINUX else 1.0


def start_key(process: psutil.Process) -> float:
    """A stamp of the process's start that every process reading it agrees on, on the clock of `now_key`."""
    if _LINUX:
        return _ticks_since_boot(process.pid) / _clock_ticks()
    return process.create_time()


def now_key() -> float:
    """The current time on the clock of `start_key` (seconds since boot on Linux, epoch seconds elsewhere)."""
    return time.clock_gettime(time.CLOCK_BOOTTIME) if _LINUX else time.time()


def same_start(first: float, second: float) -> bool:
    """Whether two `start_key`s name the same start (one process, not a pid used again)."""
    return abs(first - second) <= _TOLERANCE


def started_at(process: psutil.Process) -> float:
    """When the process started, in epoch seconds (to compare with `time.time()` moments): on Linux from the boot
    clock at full precision rather than btime's whole seconds."""
    if _LINUX:
        return time.time() - (now_key() - start_key(process))
    return process.create_time()


def _ticks_since_boot(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            data = file.read()
    except (FileNotFoundError, ProcessLookupError) as error:
        raise psutil.NoSuchProcess(pid) from error
    except PermissionError as error:
        raise psutil.AccessDenied(pid) from error
    # The command name (field 2) may hold spaces and parentheses: the fields after it start past the last ")".
    fields = data[data.rindex(b")") + 2 :].split()
    return int(fields[19])  # field 22, starttime


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")
