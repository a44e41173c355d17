"""Which package manager a project uses, and the commands that run its own, local Prisma.

Detected from the `packageManager` field of package.json, then from lock files, in the project and then in the
workspace root above it (a monorepo keeps one lock file at the top). Prisma always runs from the project's
`node_modules` (`npx --no-install`, `pnpm exec`, `yarn`, `bunx`), never a global or a freshly downloaded one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.package_json import read_package_json

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
        return self.exec_command("prisma", *args)

    def install_command(self) -> list[str]:
        return _program(INSTALL[self.name])

    def run_script(self, script: str, arguments: list[str]) -> list[str]:
        """`<manager> run <script> <arguments>`: npm passes arguments on only after `--`."""
        separator = ["--"] if arguments and self.name == "npm" else []
        return [*_program([self.name]), "run", script, *separator, *arguments]


def _program(command: list[str]) -> list[str]:
    # On Windows `npx`, `pnpm` and `yarn` are .cmd files that subprocess finds only by their full name.
    found = shutil.which(command[0])
    return [found or command[0], *command[1:]]


def workspace_root(project: Path) -> Path:
    """The nearest folder at or above `project` that holds a lock file or declares workspaces."""
    home = Path.home().resolve()
    for folder in (project, *project.parents):
        if folder == home or folder.parent == folder:
            break
        if any((folder / name).exists() for name, _ in LOCK_FILES) or (folder / "pnpm-workspace.yaml").exists():
            return folder
        package = read_package_json(folder)
        if package is not None and "workspaces" in package:
            return folder
    return project


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
    for folder in dict.fromkeys((project, root)):
        for name, manager in LOCK_FILES:
            if (folder / name).exists():
                return PackageManager(manager, project, root)
    if (root / "pnpm-workspace.yaml").exists() or (root / "node_modules" / ".pnpm").is_dir():
        return PackageManager("pnpm", project, root)
    return PackageManager("npm", project, root)


def subprocess_env() -> dict[str, str]:
    """The environment for package-manager commands: ours, without colours that would clutter the journal."""
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    env.setdefault("CI", "1")  # no interactive prompts from pnpm or yarn
    return env
