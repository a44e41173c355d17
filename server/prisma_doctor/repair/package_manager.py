"""Which package manager a project uses, the commands that run its own, local Prisma, and the one that starts its
dev server in a terminal (the language server hands that to the editor: no other place guesses it).

Detected from the `packageManager` field of package.json, then from lock files, in the project and then in the
workspace root above it (a monorepo keeps one lock file at the top). Prisma always runs from the project's
`node_modules` (`npx --no-install`, `pnpm exec`, `yarn`, `bunx`), never a global or a freshly downloaded one.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.json_values import is_object
from prisma_doctor.package_json import read_package_json
from prisma_doctor.repair.devserver_kinds import runs_a_dev_server
from prisma_doctor.workspace import app_folders, declaring_root, folders_above

LOCK_FILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)

# pnpm 9.7+ switches itself to the version a `packageManager` field names, downloading it into the user's pnpm home
# first (`manage-package-manager-versions`): a repair's pnpm runs as the one installed, changing nothing outside the
# project. Older pnpm takes the unknown setting and ignores it.
PNPM_AS_INSTALLED = "--config.manage-package-manager-versions=false"

# How each package manager runs a binary of the project and installs. None of their cache commands is here: a
# package manager's cache or store is shared by every project of the user (`yarn cache clean` wipes them all).
EXEC = {
    "npm": ["npx", "--no-install"],
    "pnpm": ["pnpm", PNPM_AS_INSTALLED, "exec"],
    "yarn": ["yarn"],
    "bun": ["bunx"],
}
INSTALL = {
    "npm": ["npm", "install"],
    "pnpm": ["pnpm", PNPM_AS_INSTALLED, "install"],
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
        """The project's own Prisma CLI: node straight at the installed `prisma` package (what `npx prisma` runs,
        without the package manager's own start: 0.3 s of every repair's time to green on a quiet machine, more on a
        busy one), else through the package manager (Yarn's Plug'n'Play has no `node_modules` to find it in). Run it
        with `prisma_environment()`."""
        local = local_prisma(self.project)
        if local is not None:
            return [*local, *args]
        return self.exec_command("prisma", *args)

    def prisma_environment(self) -> dict[str, str]:
        """The environment `prisma()` runs in: each `node_modules/.bin` from the project up to its workspace root
        first on PATH, as `npm exec` puts them, so that a generator named by its bin (`provider =
        "zod-prisma-types"`) is found as under `npx prisma generate`."""
        env = subprocess_env()
        bins: list[str] = []
        folder = self.project
        while True:
            candidate = folder / "node_modules" / ".bin"
            # A folder whose path holds PATH's separator would be read as two folders: left out (Prisma's own
            # generators need none of it).
            if candidate.is_dir() and os.pathsep not in str(candidate):
                bins.append(str(candidate))
            if folder == self.workspace_root or folder.parent == folder:
                break
            folder = folder.parent
        path = env.get("PATH", "")
        env["PATH"] = os.pathsep.join([*bins, path] if path else bins)
        return env

    def install_command(self, *, offline: bool = False) -> list[str]:
        """The install; `offline` (npm, pnpm): from the cache alone, when the registry cannot be reached but the
        cache holds what it needs (`install_reach.py`), so that no request waits on the network."""
        return _program(INSTALL[self.name]) + (["--offline"] if offline and self.name in ("npm", "pnpm") else [])

    def installed(self) -> bool:
        """Whether the package manager's own program is here to install with (on the PATH)."""
        return shutil.which(INSTALL[self.name][0]) is not None


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


# How each package manager runs a script of another folder, so that the command works from the project's folder
# (where the editor opens its terminal) and again when a restart replays it in the same terminal.
IN_FOLDER = {"npm": "--prefix", "pnpm": "--dir", "yarn": "--cwd", "bun": "--cwd"}
_SHELL_WORD = re.compile(r"^[\w@%+,./:=\\-]+$")


def dev_command(project: Path, configured: str | None = None, override: str | None = None) -> str:
    """The command line that starts the project's dev server in a terminal opened in `project`: the editor's
    `prismaDoctor.devCommand` (`configured`) when set; else the `dev` script of the folder whose dev server loads the
    project's client, run there by the project's package manager (`override` as in `detect`). That folder is the
    project, else the first workspace app that uses its client (`workspace.app_folders`: `apps/web` for
    `packages/db`), whose `dev` script runs a dev server in plain words (`devserver_kinds.runs_a_dev_server`, the
    rule by which a restart runs a script again); else the first of them, then the workspace root (`turbo dev`),
    that has a `dev` script at all; else the project's own `run dev`. A shell runs it, so the package manager is
    named as a person would type it."""
    if configured:
        return configured
    manager = detect(project, override).name
    home = project.resolve()
    folders = app_folders(home)
    scripts = {folder: _dev_script(folder) for folder in [*folders, workspace_root(home).resolve()]}
    chosen = next((f for f in folders if (script := scripts[f]) is not None and runs_a_dev_server(script)), None)
    chosen = chosen or next((f for f, script in scripts.items() if script is not None), home)
    if chosen == home:
        return f"{manager} run dev"
    where = os.path.relpath(chosen, home)
    quoted = where if _SHELL_WORD.match(where) else f'"{where}"'
    return f"{manager} {IN_FOLDER[manager]} {quoted} run dev"


def _dev_script(folder: Path) -> str | None:
    scripts = (read_package_json(folder) or {}).get("scripts")
    script = scripts.get("dev") if is_object(scripts) else None
    return script if isinstance(script, str) else None


def subprocess_env() -> dict[str, str]:
    """The environment for package-manager commands: ours, without colours that would clutter the journal."""
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    env.setdefault("CI", "1")  # no interactive prompts from pnpm or yarn
    return env
