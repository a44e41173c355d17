"""Folders that are nobody's project: system and shared folders (`/tmp`, `/usr`, `C:\\Users`...), and this user's
home with the folder that holds it. A repair refuses them as roots (repair/roots.py); a search upwards for a
workspace stops at them (workspace.py), so that a `package.json` planted in `/tmp` never makes `/tmp` a workspace
to install into.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

POSIX_SHARED = (
    "/tmp", "/var/tmp", "/var", "/usr", "/usr/local", "/usr/src", "/etc", "/opt", "/srv", "/home", "/root",
    "/mnt", "/media", "/run", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/snap",
    "/Users", "/Volumes", "/Applications", "/Library", "/System", "/private", "/private/tmp", "/private/var",
)  # fmt: skip
# Everything below these is the system's, whatever its name.
POSIX_SYSTEM_TREES = ("/usr", "/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib", "/lib64", "/System")


def shared_folders() -> frozenset[Path]:
    return frozenset({_temporary_folder(tempfile.gettempdir()), *_system_shared_folders()})


# By the name `tempfile` gives now (it may be set while a process runs): resolving it again for every folder above
# every project cost more than the rest of the judgement.
@functools.lru_cache(maxsize=8)
def _temporary_folder(name: str) -> Path:
    return Path(name).resolve()


# Read once per process: a check asks for every folder above the project, and resolving thirty system folders each
# time was a quarter of a check's CPU. They do not move while a process runs (the temporary folder is read each time:
# `tempfile` keeps it, and it may be set).
@functools.cache
def _system_shared_folders() -> frozenset[Path]:
    folders: set[Path] = set()
    if os.name == "nt":
        for variable in ("SystemRoot", "ProgramFiles", "ProgramFiles(x86)", "ProgramData", "PUBLIC", "TEMP"):
            value = os.environ.get(variable)
            if value:
                folders.add(Path(value).resolve())
        return frozenset(folders)
    for name in POSIX_SHARED:
        folders.add(Path(name))
        if os.path.exists(name):
            folders.add(Path(name).resolve())
    return frozenset(folders)


@functools.cache
def home_folders() -> frozenset[Path]:
    """This user's home from the password database (and the Windows profile), with each home's parent."""
    return frozenset(_home_folders())


def _home_folders() -> set[Path]:
    homes: set[Path] = set()
    try:
        import pwd

        homes.add(Path(pwd.getpwuid(os.getuid()).pw_dir).resolve())
    except (ImportError, KeyError):
        profile = os.environ.get("USERPROFILE")
        if profile:
            homes.add(Path(profile).resolve())
    with_parents = set(homes)
    for home in homes:
        # The parent of a home folder (/home, /Users, C:\Users) holds other people's homes.
        if home.parent != home:
            with_parents.add(home.parent)
    return with_parents


# The system trees as paths, made once: a check asks about every folder above the project.
_SYSTEM_TREES = frozenset(Path(tree) for tree in POSIX_SYSTEM_TREES)


def is_common_folder(folder: Path) -> bool:
    """Whether `folder` (resolved) is shared, the system's, a home folder or the folder of homes."""
    from prisma_doctor.snapshot import kept

    # Asked for every folder above every project: inside a snapshot each folder is judged once (projects nested in
    # one another would cost as much each as the nesting is deep).
    memory = kept("common_folders")
    if memory is not None and folder in memory:
        return bool(memory[folder])
    common = (
        folder in _system_shared_folders()
        or folder == _temporary_folder(tempfile.gettempdir())
        or folder in home_folders()
        or (os.name != "nt" and (folder in _SYSTEM_TREES or not _SYSTEM_TREES.isdisjoint(folder.parents)))
    )
    if memory is not None:
        memory[folder] = common
    return common
