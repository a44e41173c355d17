"""Removal that can never reach outside the project.

Every path is resolved before it is trusted; symbolic links and Windows junctions are unlinked, never followed
(pnpm's node_modules are full of them, and some point into the global store or another project). A project root
that is a filesystem root or a home folder is refused outright, and a path that resolves outside the root is
reported to the caller instead of being deleted.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.repair import locks


class RefusedRoot(Exception):
    """The directory is too broad to be a project root (a filesystem root, a home folder)."""


class OutsideProject(Exception):
    """A path resolves outside the project root."""


def checked_root(path: str | os.PathLike[str]) -> Path:
    """The resolved project root, or `RefusedRoot` when it is a filesystem root, a home folder or not a folder."""
    root = Path(path).expanduser().resolve()
    if not root.is_dir():
        raise RefusedRoot(f"{root} is not a folder")
    if root.parent == root:
        raise RefusedRoot(f"{root} is a filesystem root, not a project")
    if root in _home_folders():
        raise RefusedRoot(f"{root} is a home folder, not a project")
    return root


def _home_folders() -> set[Path]:
    homes = {Path.home().resolve()}
    for variable in ("HOME", "USERPROFILE"):
        value = os.environ.get(variable)
        if value:
            homes.add(Path(value).resolve())
    # The parent of every home folder (/home, /Users, C:\Users) is no project either.
    return homes | {home.parent for home in homes}


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, taken literally (not resolved), lies in `root` or is `root`."""
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def inside_project(path: str | os.PathLike[str], root: Path) -> Path:
    """`path` made absolute with its parent folders resolved, but not its last part (which may be a link).

    Raises `OutsideProject` when that lands outside `root`. Resolving the parent folders catches `..` and linked
    folders on the way; keeping the last part literal lets a link itself be removed rather than its target.
    """
    absolute = Path(os.path.abspath(Path(root, path)))
    located = absolute.parent.resolve() / absolute.name
    if located == root or not is_inside(located, root):
        raise OutsideProject(f"{located} is outside the project {root}")
    return located


def is_link(path: Path) -> bool:
    """A symbolic link or, on Windows, a junction: both are removed as links and never descended into."""
    if path.is_symlink():
        return True
    is_junction = getattr(os.path, "isjunction", None)  # Python 3.12+
    if is_junction is not None and is_junction(path):
        return True
    try:
        attributes = getattr(os.lstat(path), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))


def size_of(path: Path) -> int:
    """Bytes under `path` without following links (a link counts as itself)."""
    try:
        info = os.lstat(path)
    except OSError:
        return 0
    if is_link(path) or not stat.S_ISDIR(info.st_mode):
        return info.st_size if not is_link(path) else 0
    total = 0
    for folder, dirs, files in os.walk(path, followlinks=False):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            try:
                entry = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            if not stat.S_ISLNK(entry.st_mode):
                total += entry.st_size
    return total


@dataclass(frozen=True)
class Removal:
    path: str
    bytes_freed: int
    existed: bool


def remove_tree(
    path: str | os.PathLike[str],
    root: Path,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> Removal:
    """Remove `path` (a file, a link or a folder) inside `root`, links unlinked and never followed.

    `should_stop` is asked between entries so that a long removal can be cancelled; it raises
    `locks.Interrupted` when it says yes. Locked files are retried and then named by `locks.LockedFile`.
    """
    target = inside_project(path, root)
    if not os.path.lexists(target):
        return Removal(str(target), 0, existed=False)
    freed = size_of(target)
    _remove(target, root, should_stop)
    return Removal(str(target), freed, existed=True)


def _remove(path: Path, root: Path, should_stop: Callable[[], bool]) -> None:
    if should_stop():
        raise locks.Interrupted(str(path))
    if is_link(path):
        locks.retry_while_locked(lambda: _unlink_link(path), path)
        return
    if not path.is_dir():
        locks.retry_while_locked(lambda: os.unlink(path), path)
        return
    with os.scandir(path) as entries:
        children = [Path(entry.path) for entry in entries]
    for child in children:
        # A child of a resolved folder is inside it by construction; check anyway, cheaply, as a last guard.
        if not is_inside(child, root):
            raise OutsideProject(f"{child} is outside the project {root}")
        _remove(child, root, should_stop)
    locks.retry_while_locked(lambda: os.rmdir(path), path)


def _unlink_link(path: Path) -> None:
    # A junction or a directory symlink on Windows is removed with rmdir; elsewhere a link is a file.
    try:
        os.unlink(path)
    except (IsADirectoryError, PermissionError):
        if os.name != "nt":
            raise
        os.rmdir(path)
