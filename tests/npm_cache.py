"""The npm packages the tests install once and keep in `tests/.cache/`, and the tools they run them with.

One lock serialises the install of each cache entry between test processes (several checkouts may share a cache),
and an entry is complete once its marker file exists, so an interrupted install is never taken for a finished one.
The package managers besides the machine's npm are installed with npm into `tests/.cache/toolchains/`: pnpm at
one version (`PNPM_VERSION`, the one that made the pnpm store there; pnpm 10 runs on Node 20), yarn classic, bun,
and Turborepo.

Every node, npm, pnpm and prisma command of the tests runs with `tool_environment()`: offline as far as Prisma is
concerned (see `tests/toolchain.py` for why each variable is there), quiet, and without the machine's DATABASE_URL.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

# Resolved: a checkout's tests/.cache may be a link to another checkout's, and pnpm compares the store path it is
# given with the real path it recorded at install time.
CACHE = (Path(__file__).parent / ".cache").resolve()
TOOLCHAINS = CACHE / "toolchains"
PNPM_VERSION = "10.33.0"
YARN_VERSION = "1.22.22"
BUN_VERSION = "1.4.5"
TURBO_VERSION = "2.6.1"
INSTALL_TIMEOUT = 600


class ToolchainError(Exception):
    """An install or a `prisma` command failed; the message carries its output."""


def tool_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every node, npm, pnpm and prisma command of the tests runs with, then `extra`."""
    env = dict(os.environ)
    stand_in = _engine_stand_in()
    env.update(
        {
            "PRISMA_SCHEMA_ENGINE_BINARY": str(stand_in),
            "PRISMA_QUERY_ENGINE_LIBRARY": str(stand_in),
            "CHECKPOINT_DISABLE": "1",
            "PRISMA_HIDE_UPDATE_MESSAGE": "1",
            "PRISMA_GENERATE_SKIP_AUTOINSTALL": "1",
            "NO_COLOR": "1",
            "BUN_INSTALL_CACHE_DIR": str(TOOLCHAINS / "bun-cache"),
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
        }
    )
    env.pop("DATABASE_URL", None)
    env.update(extra or {})
    return env


def _engine_stand_in() -> Path:
    stand_in = TOOLCHAINS / "engine-stand-in"
    if not stand_in.is_file():
        TOOLCHAINS.mkdir(parents=True, exist_ok=True)
        stand_in.write_text("#!/bin/sh\necho 'prisma-doctor tests: no schema engine here' >&2\nexit 1\n")
        stand_in.chmod(0o755)
    return stand_in


def run(command: list[str], cwd: Path, timeout: float = INSTALL_TIMEOUT, env: Mapping[str, str] | None = None) -> str:
    """Run a tool with `tool_environment(env)`; its output, or ToolchainError with that output."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=tool_environment(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise ToolchainError(f"{command[0]} is not installed: {error}") from error
    except subprocess.TimeoutExpired as error:
        raise ToolchainError(f"`{' '.join(command)}` in {cwd} took more than {timeout}s") from error
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise ToolchainError(f"`{' '.join(command)}` in {cwd} exited with {done.returncode}:\n{output}")
    return output


@contextmanager
def cache_lock(folder: Path) -> Iterator[None]:
    """Hold the install lock of the cache entry `folder` (a file beside it) against every other test process."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def cached(folder: Path, install: Callable[[Path], None], marker: str = ".complete") -> Path:
    """`folder`, made by `install(folder)` (into an empty folder, under the lock) unless it is complete already."""
    if (folder / marker).is_file():
        return folder
    with cache_lock(folder):
        if (folder / marker).is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        install(folder)
        (folder / marker).write_text("ok\n")
    return folder


def _npm_tool(package: str, version: str) -> Path:
    """A package manager installed with npm into the cache: the folder whose node_modules holds it."""

    def install(folder: Path) -> None:
        (folder / "package.json").write_text(f'{{"name": "{package}-tool", "private": true}}\n')
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", f"{package}@{version}"], folder)

    return cached(TOOLCHAINS / f"{package}-{version}", install)


def pnpm_command() -> list[str]:
    """pnpm `PNPM_VERSION`, installed on first use."""
    return ["node", str(_npm_tool("pnpm", PNPM_VERSION) / "node_modules" / "pnpm" / "bin" / "pnpm.cjs")]


def pnpm_bin() -> Path:
    """The folder of pnpm's `pnpm` command, for a PATH (installed by `pnpm_command()`, not here)."""
    return TOOLCHAINS / f"pnpm-{PNPM_VERSION}" / "node_modules" / ".bin"


def pnpm_store() -> Path:
    return TOOLCHAINS / "pnpm-store"


def pnpm_folders() -> list[str]:
    """pnpm's options for the two folders in the cache: the store (package files) and the metadata cache that
    offline resolution reads."""
    return [f"--store-dir={pnpm_store()}", f"--cache-dir={TOOLCHAINS / 'pnpm-cache'}"]


def turbo_command() -> list[str]:
    """Turborepo `TURBO_VERSION` (its launcher runs the platform binary of its optional dependency), installed on
    first use."""
    return ["node", str(_npm_tool("turbo", TURBO_VERSION) / "node_modules" / "turbo" / "bin" / "turbo")]


def yarn_command() -> list[str]:
    return ["node", str(_npm_tool("yarn", YARN_VERSION) / "node_modules" / "yarn" / "bin" / "yarn.js")]


def bun_command() -> list[str]:
    """Bun from npm: the `bun` package's launcher is set up by an install script, so run the platform binary."""
    folder = _npm_tool("bun", BUN_VERSION)
    arch = {"x86_64": "x64", "aarch64": "aarch64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())
    binary = folder / "node_modules" / "@oven" / f"bun-linux-{arch}" / "bin" / "bun"
    if not binary.is_file():
        raise ToolchainError(f"the bun package from npm has no binary for this platform at {binary}")
    return [str(binary)]


def link_packages(installed: Path, destination: Path, *, link: bool = True) -> None:
    """`installed/node_modules` into `destination`, hard-linked (cheap), except the generated client
    `node_modules/.prisma`, which is a real copy because `prisma generate` rewrites it (in place, it would write into
    the cache). `link=False` copies every file: for what reinstalls packages, which would write into the cache too."""
    source = installed / "node_modules"
    shutil.copytree(
        source,
        destination / "node_modules",
        symlinks=True,
        copy_function=os.link if link else shutil.copy2,
        ignore=lambda folder, names: [".prisma"] if Path(folder) == source else [],
    )
    shutil.copytree(source / ".prisma", destination / "node_modules" / ".prisma", symlinks=True)
