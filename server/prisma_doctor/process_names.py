"""A process's name and parent as psutil reads them, where Wine's psutil differs from Windows'.

Under Wine, psutil's `name()`, `exe()` and `parent()` raise a plain `OSError` with WinError 87 (invalid parameter,
from NtQuerySystemInformation) for every process, where Windows answers. Only that error is taken here: the name
then comes from the command line's first word, the parent from `ppid()`. Any other error goes to the caller as
before (psutil's own errors for a process that is gone or not ours, any other `OSError`).
"""

from __future__ import annotations

import ntpath
import os
from collections.abc import Callable

import psutil

from prisma_doctor.process_start import start_key

# ERROR_INVALID_PARAMETER: what Wine's NtQuerySystemInformation answers where Windows gives a process's image name.
_WINE_INVALID_PARAMETER = 87


def _is_wine_gap(error: OSError) -> bool:
    return getattr(error, "winerror", None) == _WINE_INVALID_PARAMETER and not isinstance(error, psutil.Error)


def _or_command_line(process: psutil.Process, read: Callable[[], str]) -> str:
    try:
        return read()
    except OSError as error:
        if not _is_wine_gap(error):
            raise
    cmdline = process.cmdline()
    return ntpath.basename(cmdline[0]) if cmdline else ""


def process_name(process: psutil.Process) -> str:
    """`process.name()`, or under Wine the file name of its command line's program (`node.exe`)."""
    return _or_command_line(process, process.name)


def process_program(process: psutil.Process) -> str:
    """The file name of `process.exe()`, or under Wine that of its command line's program."""
    return _or_command_line(process, lambda: os.path.basename(process.exe()))


def process_parent(process: psutil.Process) -> psutil.Process | None:
    """`process.parent()`, or under Wine the process of its `ppid()` when that started before it (else the pid was
    reused by another process, and it has no parent left)."""
    try:
        return process.parent()
    except OSError as error:
        if not _is_wine_gap(error):
            raise
    ppid = process.ppid()
    if not ppid:
        return None
    try:
        parent = psutil.Process(ppid)
        return parent if start_key(parent) <= start_key(process) else None
    except psutil.NoSuchProcess:
        return None


def process_ancestors(process: psutil.Process) -> list[psutil.Process]:
    """`process.parents()`, nearest first, read through `process_parent` (psutil's own walk calls `parent()`)."""
    ancestors: list[psutil.Process] = []
    current = process_parent(process)
    while current is not None and current.pid not in {p.pid for p in ancestors} and current.pid != process.pid:
        ancestors.append(current)
        current = process_parent(current)
    return ancestors


def is_prisma_doctor(cmdline: list[str]) -> bool:
    """Whether a command line runs this tool: its script (`prisma-doctor`, `prisma-doctor.exe`, under a Python or
    not) or `python -m prisma_doctor`, as the CLI, the language server and the extension start it."""
    if cmdline[1:3] == ["-m", "prisma_doctor"]:
        return True
    programs = [ntpath.basename(arg).lower().removesuffix(".exe") for arg in cmdline[:2]]
    return "prisma-doctor" in programs
