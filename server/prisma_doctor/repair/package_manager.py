"""Which package manager a project uses, the commands that run its own, local Prisma, and the one that starts its
dev server in a terminal (the language server hands that to the editor: no other place guesses it).

Detected from the `packageManager` field of package.json, then from lock files, in the project and then in the
workspace root above it (a monorepo keeps one lock file at the top). Prisma always runs from the project's
`node_modules` (`npx --no-install`, `pnpm exec`, `yarn`, `bunx`), never a global or a freshly downloaded one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.json_values import is_object
from prisma_doctor.package_json import read_package_json
from prisma_doctor.workspace import declaring_root, folders_above

LOCK_FILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)

# How each package manager runs a binary of the project and installs. None of their cache commands is here: a
# package manager's cache or store is shared by every project of the user (`yarn cache clean` wipes them all).
EXEC = {"npm": ["npx", "--no-install"], "pnpm": ["pnpm", "exec"], "yarn": ["yarn"], "bun": ["bunx"]}
INSTALL = {
    "npm": ["npm", "install"],
    "pnpm": ["pnpm", "install"],
    "yarn": ["yarn", "install"],
    "bun": ["bun", "install"],
}


@dataclass(frozen=True)
class PackageManager:
    name: str  # npm, pnpm, yarn or bun
    project: Path  # the folder with the package.json that depends on Prisma
    workspace_root: Path  # where the lock file lives (the same folder outside a monorepo)

    def exec_command(self, *args: str) -> list[str]:
        return [*_program(EXEC[self.name]), *args]

    def prisma(self, *args: str) -> list[str]:
        """The project's own Prisma CLI: through the package manager, or, when that is not installed here (yarn run
        through npx or corepack), with node straight from the installed `prisma` package."""
        if shutil.which(EXEC[self.name][0]) is None:
            local = local_prisma(self.project)
            if local is not None:
                return [*local, *args]
        return self.exec_command("prisma", *args)

    def install_command(self, *, offline: bool = False) -> list[str]:
        """The install; `offline` (npm, pnpm): from the cache alone, when the registry cannot be reached but the
        cache holds what it needs (`install_reach.py`), so that no request waits on the network."""
        return _program(INSTALL[self.name]) + (["--offline"] if offline and self.name in ("npm", "pnpm") else [])


def program(name: str) -> list[str]:
    """A package manager's own program (`npm`), as subprocess finds it."""
    return _program([name])


def _program(command: list[str]) -> list[str]:
    # On Windows `npx`, `pnpm` and `yarn` are .cmd files that subprocess finds only by their full name.
    found = shutil.which(command[0])
    return [found or command[0], *command[1:]]


def local_prisma(project: Path) -> list[str] | None:
    """`node <prisma>/build/index.js` for the `prisma` package Node resolves from `project`, when node is here."""
    from prisma_doctor.clients.locate import find_package

    node = shutil.which("node")
    folder = find_package("prisma", project)
    if node is None or folder is None:
        return None
    package = read_package_json(folder) or {}
    binary = package.get("bin")
    entry = binary.get("prisma") if is_object(binary) else binary
    if not isinstance(entry, str):
        return None
    script = (folder / entry).resolve()
    return [node, str(script)] if script.is_file() else None


def workspace_root(project: Path) -> Path:
    """The workspace that declares `project` as one of its packages (see `workspace.declaring_root`), or `project`
    itself: the place to install in."""
    return declaring_root(project) or project


def detect(project: Path, override: str | None = None) -> PackageManager:
    """The project's package manager; `override` (the editor's `prismaDoctor.packageManager`) wins when valid."""
    root = workspace_root(project)
    if override in EXEC:
        return PackageManager(override, project, root)
    for folder in dict.fromkeys((project, root)):
        package = read_package_json(folder) or {}
        declared = str(package.get("packageManager", "")).split("@", 1)[0]
        if declared in EXEC:
            return PackageManager(declared, project, root)
    found = _lock_file_manager((project, root))
    if found is not None:
        return PackageManager(found, project, root)
    if any((folder / "node_modules" / ".pnpm").is_dir() for folder in (project, root)):
        return PackageManager("pnpm", project, root)
    if (root / "pnpm-workspace.yaml").exists():
        return PackageManager("pnpm", project, root)
    # The nearest lock file above names the manager the user runs, though it never makes that folder the place to
    # install in (see `workspace_root`).
    return PackageManager(_lock_file_manager(folders_above(project)) or "npm", project, root)


def _lock_file_manager(folders: Iterable[Path]) -> str | None:
    for folder in dict.fromkeys(folders):
        for name, manager in LOCK_FILES:
            if (folder / name).exists():
                return manager
    return None


def dev_command(project: Path, configured: str | None = None, override: str | None = None) -> str:
    """The command line that starts the project's dev server in a terminal: the editor's `prismaDoctor.devCommand`
    (`configured`) when set, else the project's `dev` script run by its package manager (`override` as in `detect`).
    A shell runs it, so the package manager is named as a person would type it."""
    return configured or f"{detect(project, override).name} run dev"


def subprocess_env() -> dict[str, str]:
    """The environment for package-manager commands: ours, without colours that would clutter the journal."""
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    env.setdefault("CI", "1")  # no interactive prompts from pnpm or yarn
    return env
