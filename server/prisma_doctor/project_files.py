"""Reading a file of the project, which anyone may have planted: never waiting on it, never reading what is not a
regular file.

A FIFO (or a device) where a file is expected makes a plain `open()` wait for a writer forever, and every reader of
the project (check, a repair's preview, the language server) would hang on it. Here a file is opened with
`O_NONBLOCK` (a FIFO then opens at once), checked with `fstat` on the open descriptor (no race with a swap), and
refused with `NotRegularFile`, an `OSError`, so that every caller's existing "cannot read it" path takes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
READ_FLAGS = os.O_RDONLY | _NONBLOCK | _NOCTTY | _CLOEXEC | _BINARY


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: not read."""


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def open_descriptor(path: str | Path, *, follow_links: bool = True, dir_fd: int | None = None) -> int:
    """A descriptor of the regular file `path` (relative to `dir_fd` when given), opened without waiting."""
    flags = READ_FLAGS | (0 if follow_links else _NOFOLLOW)
    descriptor = os.open(path, flags) if dir_fd is None else os.open(path, flags, dir_fd=dir_fd)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(f"{path} is not a regular file but {kind_of(mode)}")
        if _NONBLOCK and hasattr(os, "set_blocking"):
            os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def open_regular(path: str | Path, *, follow_links: bool = True) -> BinaryIO:
    """`path` opened for reading in binary, or `NotRegularFile` / another `OSError`."""
    return os.fdopen(open_descriptor(path, follow_links=follow_links), "rb")


def read_bytes(path: str | Path, limit: int | None = None, *, follow_links: bool = True) -> bytes:
    """The bytes of `path` (its first `limit` bytes when given)."""
    with open_regular(path, follow_links=follow_links) as handle:
        return handle.read() if limit is None else handle.read(limit)


def read_tail(path: str | Path, limit: int) -> tuple[bytes, float]:
    """The last `limit` bytes of `path`, and when it was last written (epoch seconds)."""
    with open_regular(path) as handle:
        status = os.fstat(handle.fileno())
        handle.seek(max(0, status.st_size - limit))
        return handle.read(limit), status.st_mtime


def read_text(
    path: str | Path,
    limit: int | None = None,
    *,
    encoding: str = "utf-8",
    errors: str = "replace",
    follow_links: bool = True,
) -> str:
    """The text of `path` (of its first `limit` bytes when given)."""
    return read_bytes(path, limit, follow_links=follow_links).decode(encoding, errors)


def read_text_if_any(path: str | Path, limit: int | None = None) -> str:
    """The text of `path`, or "" when it is not there or cannot be read (as no file at all)."""
    try:
        return read_text(path, limit)
    except OSError:
        return ""
