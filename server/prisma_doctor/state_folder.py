"""The project's state folder `.prisma-doctor/`: the one place the doctor writes in a project of its own accord.

A repository can carry anything, links included, so nothing found there is trusted. The folder is created with
mode 0700 and refused when it is a link or belongs to another user; its files are opened relative to the folder's
descriptor without following links (`O_NOFOLLOW`), created 0600, and a file with a second hard link is replaced,
never written through. A file rewritten whole goes to a fresh name first (`O_EXCL`) and is renamed over the old
one, which replaces a planted link rather than its target.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Generator
from pathlib import Path
from typing import BinaryIO

from prisma_doctor import project_files

STATE_DIR = ".prisma-doctor"
IGNORE_TEXT = "# Written by prisma-doctor: its repair journal and logs stay out of git.\n*\n"
# A record the doctor wrote is small; anything larger was not written by it.
MAX_READ_BYTES = 4 * 1024 * 1024

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# Where the system cannot open relative to a folder (Windows), paths are checked with lstat instead.
_RELATIVE = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd and bool(_NOFOLLOW)


class UnsafeStateFolder(Exception):
    """The state folder or one of its entries is a link, is not ours, or is not what it should be."""


class StateFolder:
    """`<root>/.prisma-doctor`, opened safely for each use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / STATE_DIR

    @contextlib.contextmanager
    def _folder(self, create: bool = True) -> Generator[int | None, None, None]:
        """The folder's descriptor (None on systems without `dir_fd`), created and checked first."""
        if not create and not os.path.lexists(self.path):
            raise FileNotFoundError(self.path)
        if not _RELATIVE:
            self._ensure_by_path()
            yield None
            return
        root_fd = os.open(self.root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(STATE_DIR, 0o700, dir_fd=root_fd)
            try:
                fd = os.open(STATE_DIR, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=root_fd)
            except OSError as error:
                raise UnsafeStateFolder(f"{self.path} is not a plain folder ({error.strerror}): not used") from None
        finally:
            os.close(root_fd)
        try:
            self._check_folder(os.fstat(fd), fd, mend=create)
            if create:
                self._write_ignore(fd)
            yield fd
        finally:
            os.close(fd)

    def _check_folder(self, info: os.stat_result, fd: int | None, *, mend: bool = True) -> None:
        """Refuses another user's folder; one of ours readable by others is made private when `mend` (a use that
        writes), and left as it is by a read (`check` writes nothing)."""
        if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            raise UnsafeStateFolder(f"{self.path} belongs to another user (uid {info.st_uid}): not used")
        if mend and stat.S_IMODE(info.st_mode) & 0o077:
            # Ours, but readable by others (an older version made it 0755): logs can hold secrets.
            if fd is not None:
                os.fchmod(fd, 0o700)
            else:
                os.chmod(self.path, 0o700)

    def _ensure_by_path(self) -> None:
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.path, 0o700)
        info = os.lstat(self.path)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or _is_reparse_point(info):
            raise UnsafeStateFolder(f"{self.path} is not a plain folder: not used")
        self._check_folder(info, None)
        if not os.path.lexists(self.path / ".gitignore"):
            self._create_ignore(None)

    def _write_ignore(self, fd: int) -> None:
        try:
            os.stat(".gitignore", dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            self._create_ignore(fd)

    def _create_ignore(self, fd: int | None) -> None:
        # Two first uses at once (two repairs started together) both find it missing: the one whose exclusive create
        # loses leaves it to the other, instead of refusing the repair lock over a `.gitignore`.
        with contextlib.suppress(FileExistsError), self._open_new(fd, ".gitignore") as file:
            file.write(IGNORE_TEXT.encode())

    def _open_new(self, fd: int | None, name: str) -> BinaryIO:
        """A new file `name`, 0600; whatever was there (a link, a hard link to elsewhere) is unlinked, not followed."""
        _check_name(name)
        with contextlib.suppress(FileNotFoundError):
            if fd is None:
                os.unlink(self.path / name)
            else:
                os.unlink(name, dir_fd=fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY
        descriptor = os.open(self.path / name, flags, 0o600) if fd is None else os.open(name, flags, 0o600, dir_fd=fd)
        return os.fdopen(descriptor, "wb")

    def create(self, name: str) -> BinaryIO:
        """`name` written anew (a log of one command)."""
        with self._folder() as fd:
            return self._open_new(fd, name)

    def append(self, name: str) -> BinaryIO:
        """`name` opened to append; a link or a file with other hard links is replaced by a new file."""
        _check_name(name)
        with self._folder() as fd:
            # O_NONBLOCK: a FIFO planted under the name fails to open (no reader) instead of waiting for one.
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY
            try:
                if fd is None:
                    if os.path.islink(self.path / name):
                        raise OSError("a link")
                    descriptor = os.open(self.path / name, flags, 0o600)
                else:
                    descriptor = os.open(name, flags, 0o600, dir_fd=fd)
            except OSError:
                return self._open_new(fd, name)
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                os.close(descriptor)
                return self._open_new(fd, name)
            if _NONBLOCK:
                os.set_blocking(descriptor, True)
            return os.fdopen(descriptor, "ab")

    def write_text(self, name: str, text: str) -> None:
        """Replace `name` whole: written to a new file, then renamed over the old one."""
        temporary = f"{name}.{os.getpid()}.tmp"
        with self._folder() as fd:
            with self._open_new(fd, temporary) as file:
                file.write(text.encode("utf-8"))
            if fd is None:
                os.replace(self.path / temporary, self.path / name)
            else:
                os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)

    def read_text(self, name: str, *, private: bool = False) -> str | None:
        """The text of `name`, or None when it is missing, a link, not a plain file, or too large to be ours. With
        `private`, also None unless it is as only the doctor writes it: a file 0600 of this user, with no other hard
        link, in this folder 0700 of this user (a record that says what to believe: a clone, or another user, could
        have left it)."""
        _check_name(name)
        try:
            with self._folder(create=False) as fd:
                if private and not _private(os.fstat(fd) if fd is not None else os.lstat(self.path)):
                    return None
                # Without waiting: a FIFO planted under the name would block a plain open forever.
                if fd is None:
                    if os.path.islink(self.path / name):
                        return None
                    descriptor = project_files.open_descriptor(self.path / name, follow_links=False)
                else:
                    descriptor = project_files.open_descriptor(name, follow_links=False, dir_fd=fd)
        except (OSError, UnsafeStateFolder):
            return None
        with os.fdopen(descriptor, "rb") as file:
            info = os.fstat(file.fileno())
            if private and (not _private(info) or info.st_nlink != 1):
                return None
            data = file.read(MAX_READ_BYTES + 1)
        if len(data) > MAX_READ_BYTES:
            return None
        return data.decode("utf-8", errors="replace")

    def names(self) -> list[str]:
        """The names of the folder's entries (none when it is missing or not ours)."""
        try:
            with self._folder(create=False) as fd:
                return os.listdir(fd if fd is not None else self.path)
        except (OSError, UnsafeStateFolder):
            return []

    def links(self) -> list[tuple[Path, str]]:
        """The links a repair would otherwise write through or replace, each with where it leads: the folder itself,
        or an entry of it (`aside -> elsewhere`, `journal.json -> elsewhere`). Read without following any."""
        found = [self.path] if _is_link(self.path) else []
        if not found:
            with contextlib.suppress(OSError):
                found = [self.path / entry.name for entry in os.scandir(self.path) if _is_link(self.path / entry.name)]
        return [(path, _target(path)) for path in found]

    def remove(self, name: str) -> None:
        """Remove the entry `name` (a link as a link, never its target); nothing when it is missing."""
        _check_name(name)
        with contextlib.suppress(FileNotFoundError), self._folder(create=False) as fd:
            if fd is None:
                os.unlink(self.path / name)
            else:
                os.unlink(name, dir_fd=fd)

    def open_lock(self, name: str, *, create: bool = True) -> int:
        """A descriptor of the lock file `name` (created 0600), for `fcntl.flock` or `msvcrt.locking`. Without
        `create`, an existing lock opened to be tried only: nothing is made or written (a dry run's look)."""
        _check_name(name)
        with self._folder(create=create) as fd:
            opened = os.O_RDWR | os.O_CREAT if create else os.O_RDONLY
            flags = opened | _NOFOLLOW | _NONBLOCK | _CLOEXEC | _BINARY
            try:
                descriptor = (
                    os.open(self.path / name, flags, 0o600) if fd is None else os.open(name, flags, 0o600, dir_fd=fd)
                )
            except OSError as error:
                raise UnsafeStateFolder(f"{self.path / name} cannot be used as a lock ({error.strerror})") from None
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                os.close(descriptor)
                raise UnsafeStateFolder(f"{self.path / name} is not a plain file of ours: not used")
            return descriptor

    def make_folder(self, name: str) -> Path:
        """A sub-folder `name` (0700) that is a plain folder, for what a repair sets aside."""
        _check_name(name)
        with self._folder() as fd:
            with contextlib.suppress(FileExistsError):
                if fd is None:
                    os.mkdir(self.path / name, 0o700)
                else:
                    os.mkdir(name, 0o700, dir_fd=fd)
            info = os.stat(name, dir_fd=fd, follow_symlinks=False) if fd is not None else os.lstat(self.path / name)
            if not stat.S_ISDIR(info.st_mode) or _is_reparse_point(info):
                raise UnsafeStateFolder(f"{self.path / name} is not a plain folder: not used")
        return self.path / name


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")


def _private(info: os.stat_result) -> bool:
    """Whether an entry is this user's and no one else's (0700 folder, 0600 file). Where the system has no owners
    or modes (Windows), the folder's own checks are all there is."""
    if not hasattr(os, "geteuid"):
        return True
    return info.st_uid == os.geteuid() and not stat.S_IMODE(info.st_mode) & 0o077


def _is_link(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISLNK(info.st_mode) or _is_reparse_point(info)


def _target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "(unreadable)"


def _is_reparse_point(info: os.stat_result) -> bool:
    return bool(getattr(info, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))
