"""A project folder that is renamed, moved or removed while a repair runs: where it is now, and a repair's paths
moved with it.

The repair holds a descriptor on the project's folder from its start. A rename keeps the folder (the same inode),
and on Linux `/proc/self/fd/N` names its new path; a removed one reads `... (deleted)`. Elsewhere only "it is no
longer where it was" can be told.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from prisma_doctor.repair.devserver import DevServer

_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
PathLike = TypeVar("PathLike", str, Path)


class ProjectAnchor:
    """A hold on the project's folder itself, whatever its name becomes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._fd: int | None = None
        if os.name == "posix":
            try:
                self._fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
            except OSError:
                self._fd = None

    def where_now(self) -> Path | None:
        """The folder's path now (the same as before when it did not move), or None when it is gone or cannot be
        found."""
        if self._fd is None:
            return self.root if self.root.is_dir() else None
        try:
            held = os.fstat(self._fd)
            here = os.stat(self.root)
            if (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino):
                return self.root
        except OSError:
            pass
        if not sys.platform.startswith("linux"):
            return None
        try:
            link = os.readlink(f"/proc/self/fd/{self._fd}")
        except OSError:
            return None
        return None if link.endswith(" (deleted)") or not os.path.isdir(link) else Path(link)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def moved(value: PathLike, old: Path, new: Path) -> PathLike:
    """`value` (a path or a command-line word) under `old`, as it is under `new`; anything else as it is."""
    text = str(value)
    prefix = str(old)
    if text != prefix and not text.startswith(prefix.rstrip(os.sep) + os.sep):
        return value
    result = str(new) + text[len(prefix) :]
    return Path(result) if isinstance(value, Path) else result  # pyright: ignore[reportReturnType] (the TypeVar's own type)


def moved_server(server: DevServer, old: Path, new: Path) -> DevServer:
    """A stopped dev server, to be started again where its project now is."""
    return replace(
        server,
        cwd=moved(server.cwd, old, new),
        home=moved(server.home, old, new) if server.home else server.home,
        run_home=moved(server.run_home, old, new) if server.run_home else server.run_home,
        command=tuple(moved(word, old, new) for word in server.command),
    )
