"""Removal that can never reach outside the project, cross a mount point, or follow a link.

On POSIX the walk holds a descriptor for every folder it is in and names entries relative to it (`dir_fd`,
`O_NOFOLLOW`), the way `shutil.rmtree`'s fd-based path does: the path to the target is opened one folder at a
time from the project root, so no link on the way is followed, and a folder swapped for a link while the removal
runs is found (the open fails, or the folder opened is not the one listed) and left alone. No folder on another
device and no mount point (a bind mount has the same device: `mounts.MountTable`) is entered. Where the system has
no `dir_fd` (Windows) the same checks run on paths, and links and junctions are unlinked, never descended into.
Before anything is removed, `removal_problems` says what would stop the removal (a mount point, a folder this user
may not change), so that a repair can refuse before it changes anything.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.repair import locks
from prisma_doctor.repair.mounts import MountTable

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_FD_WALK = (
    os.open in os.supports_dir_fd
    and os.unlink in os.supports_dir_fd
    and os.rmdir in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and os.scandir in os.supports_fd
    and bool(_NOFOLLOW)
)
# Deeper than this is no generated client or cache; a folder that deep is left for a person to look at.
MAX_DEPTH = 256


class OutsideProject(Exception):
    """A path resolves outside the project root, or changed into something else while it was handled."""


class CrossesMount(Exception):
    """A path is, or holds, a mount point: what it shows belongs to another filesystem."""


class NotPermitted(Exception):
    """This user may not remove a path (a permission error, not a lock)."""


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, taken literally (not resolved), lies in `root` or is `root`."""
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def inside_project(path: str | os.PathLike[str], root: Path) -> Path:
    """`path` made absolute with its parent folders resolved, but not its last part (which may be a link).

    Raises `OutsideProject` when that lands outside `root` or is `root` itself.
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
    """Bytes under `path` without following links (a link counts as nothing)."""
    try:
        info = os.lstat(path)
    except OSError:
        return 0
    if is_link(path):
        return 0
    if not stat.S_ISDIR(info.st_mode):
        return info.st_size
    total = 0
    for folder, dirs, files in os.walk(path, followlinks=False):
        for name in files:
            with contextlib.suppress(OSError):
                entry = os.lstat(os.path.join(folder, name))
                if stat.S_ISREG(entry.st_mode):
                    total += entry.st_size
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
    return total


def links_under(path: Path, most: int = 10) -> tuple[list[str], int]:
    """The links below the folder `path` (each `relative -> target`, the first `most`) and how many there are, found
    without following any: a repair that removes the folder removes them as links, and its plan names them."""
    if is_link(path) or not path.is_dir():
        return [], 0
    shown: list[str] = []
    count = 0
    for folder, dirs, files in os.walk(path, followlinks=False):
        for name in [*dirs, *files]:
            entry = Path(folder, name)
            if not is_link(entry):
                continue
            count += 1
            if len(shown) < most:
                try:
                    target = os.readlink(entry)
                except OSError:
                    target = "?"
                shown.append(f"{entry.relative_to(path)} -> {target}")
        dirs[:] = [d for d in dirs if not is_link(Path(folder, d))]
    return shown, count


def removal_problems(path: Path, root: Path, mounts: MountTable | None = None) -> list[str]:
    """What would stop the removal of `path`, found without changing anything (empty when it can go)."""
    mounts = mounts or MountTable()
    try:
        target = inside_project(path, root)
    except OutsideProject as error:
        return [str(error)]
    if not os.path.lexists(target):
        return []
    problems = [f"{m} is a mount point: what it shows is not the project's" for m in mounts.under(target)]
    # The device of the folder that holds the target: a project may well keep node_modules on a volume of its
    # own (dev containers do), but nothing below the target may lie on another one.
    root_device = os.stat(target.parent).st_dev
    folders = [target.parent]
    if not is_link(target) and target.is_dir():
        for folder, dirs, _ in os.walk(target, followlinks=False):
            here = Path(folder)
            folders.append(here)
            if os.lstat(here).st_dev != root_device:
                problems.append(f"{here} is on another device: not the project's to remove")
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(folder, d))]
            if len(problems) > 20:
                break
    for folder in folders:
        if not os.access(folder, os.W_OK | os.X_OK):
            problems.append(f"permission denied: this user may not remove entries of {folder} ({_owner(folder)})")
            if len(problems) > 20:
                break
    return problems


def _owner(path: Path) -> str:
    try:
        info = os.lstat(path)
    except OSError as error:
        return error.strerror or "unreadable"
    mode = stat.filemode(info.st_mode)
    try:
        import pwd

        return f"owned by {pwd.getpwuid(info.st_uid).pw_name}, {mode}"
    except (ImportError, KeyError):
        return f"owned by uid {info.st_uid}, {mode}"


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
    mounts: MountTable | None = None,
    was: Path | None = None,
) -> Removal:
    """Remove `path` (a file, a link or a folder) inside `root`, links unlinked and never followed. `was` is where a
    folder set aside stood before: a file that stays locked is looked for under that name too.

    Raises `OutsideProject`, `CrossesMount`, `NotPermitted`, `locks.LockedFile` (a file that stays locked, named
    with its holders) or `locks.Interrupted` (when `should_stop` says yes between entries).
    """
    target = inside_project(path, root)
    if not os.path.lexists(target):
        return Removal(str(target), 0, existed=False)
    mounts = mounts or MountTable()
    freed = size_of(target)
    earlier = _EarlierNames(target, was)
    walk = _FdWalk(root, mounts, should_stop, earlier) if _FD_WALK else _PathWalk(root, mounts, should_stop, earlier)
    walk.remove(target)
    return Removal(str(target), freed, existed=True)


@contextlib.contextmanager
def parent_descriptor(target: Path, root: Path) -> Generator[int, None, None]:
    """A descriptor of `target`'s parent folder, reached from `root` one folder at a time, no link followed."""
    relative = target.relative_to(root)
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for part in relative.parts[:-1]:
            try:
                child = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise OutsideProject(f"{target}: a folder on the way is a link; not followed") from None
                raise
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


@dataclass(frozen=True)
class _EarlierNames:
    """Where each entry of a folder being removed stood before it was set aside, when it was."""

    target: Path
    was: Path | None = None

    def of(self, shown: Path) -> Path | None:
        return self.was / shown.relative_to(self.target) if self.was is not None else None

    def retry(self, action: Callable[[], object], shown: Path) -> None:
        locks.retry_while_locked(action, shown, was=self.of(shown))


class _FdWalk:
    def __init__(self, root: Path, mounts: MountTable, should_stop: Callable[[], bool], earlier: _EarlierNames) -> None:
        self.root = root
        self.mounts = mounts
        self.should_stop = should_stop
        self.device = 0
        self.earlier = earlier

    def remove(self, target: Path) -> None:
        with parent_descriptor(target, self.root) as parent:
            self.device = os.fstat(parent).st_dev
            self._entry(parent, target.name, target, 0)

    def _entry(self, parent: int, name: str, shown: Path, depth: int) -> None:
        if self.should_stop():
            raise locks.Interrupted(str(shown))
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(info.st_mode):
            _permitted(lambda: self.earlier.retry(lambda: os.unlink(name, dir_fd=parent), shown), shown)
            return
        if info.st_dev != self.device or self.mounts.is_mount(shown):
            raise CrossesMount(f"{shown} is a mount point: not removed")
        if depth > MAX_DEPTH:
            raise OutsideProject(f"{shown} is nested more than {MAX_DEPTH} folders deep: not removed")
        try:
            fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=parent)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise OutsideProject(f"{shown} was replaced by a link while it was removed; not followed") from None
            _raise_named(error, shown)
            raise
        try:
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                raise OutsideProject(f"{shown} was replaced while it was removed; left alone")
            with os.scandir(fd) as entries:
                names = [entry.name for entry in entries]
            for child in names:
                self._entry(fd, child, shown / child, depth + 1)
        finally:
            os.close(fd)
        _permitted(lambda: self.earlier.retry(lambda: os.rmdir(name, dir_fd=parent), shown), shown)


class _PathWalk:
    """The walk for systems without `dir_fd`: paths checked with lstat before each use."""

    def __init__(self, root: Path, mounts: MountTable, should_stop: Callable[[], bool], earlier: _EarlierNames) -> None:
        self.root = root
        self.mounts = mounts
        self.should_stop = should_stop
        self.device: int | None = None
        self.earlier = earlier

    def remove(self, target: Path, depth: int = 0) -> None:
        if self.device is None:
            self.device = os.stat(target.parent).st_dev
        if self.should_stop():
            raise locks.Interrupted(str(target))
        if not is_inside(target, self.root) or target == self.root:
            raise OutsideProject(f"{target} is outside the project {self.root}")
        if is_link(target):
            _permitted(lambda: self.earlier.retry(lambda: _unlink_link(target), target), target)
            return
        info = os.lstat(target)
        if not stat.S_ISDIR(info.st_mode):
            _permitted(lambda: self.earlier.retry(lambda: os.unlink(target), target), target)
            return
        if info.st_dev != self.device or self.mounts.is_mount(target):
            raise CrossesMount(f"{target} is a mount point: not removed")
        if depth > MAX_DEPTH:
            raise OutsideProject(f"{target} is nested more than {MAX_DEPTH} folders deep: not removed")
        with os.scandir(target) as entries:
            children = [Path(entry.path) for entry in entries]
        for child in children:
            self.remove(child, depth + 1)
        _permitted(lambda: self.earlier.retry(lambda: os.rmdir(target), target), target)


def _unlink_link(path: Path) -> None:
    # A junction or a directory symlink on Windows is removed with rmdir; elsewhere a link is a file.
    try:
        os.unlink(path)
    except (IsADirectoryError, PermissionError):
        if os.name != "nt":
            raise
        os.rmdir(path)


def _permitted(action: Callable[[], object], shown: Path) -> None:
    try:
        action()
    except FileNotFoundError:
        return
    except NotADirectoryError:
        # The folder emptied a moment ago is now something else (a link put in its place): left alone.
        raise OutsideProject(f"{shown} was replaced while it was removed; left alone") from None
    except PermissionError as error:
        _raise_named(error, shown)
        raise
    except OSError as error:
        if error.errno == errno.ENOTEMPTY:
            raise OutsideProject(f"{shown} gained entries while it was removed; left alone") from None
        raise


def _raise_named(error: OSError, shown: Path) -> None:
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise NotPermitted(f"permission denied: {shown} ({_owner(shown.parent)}); not a lock") from None


def move_aside(path: Path, root: Path, destination: Path) -> None:
    """Rename `path` (inside `root`) to `destination` (inside `root`), atomically, no link on the way followed.

    Raises `OSError` with `errno.EXDEV` when the two lie on different filesystems.
    """
    source = inside_project(path, root)
    target = inside_project(destination, root)
    if not _FD_WALK:
        locks.retry_while_locked(lambda: os.rename(source, target), source)
        return
    with parent_descriptor(source, root) as source_parent, parent_descriptor(target, root) as target_parent:
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "already exists", str(target))

        def rename() -> None:
            os.rename(source.name, target.name, src_dir_fd=source_parent, dst_dir_fd=target_parent)

        _permitted(lambda: locks.retry_while_locked(rename, source), source)
