"""Pytest plugin: fresh, ready copies of the bundled example (examples/next-prisma-app) and its `next dev`.

The example's packages are installed once into `tests/.cache/example-<hash of package-lock.json>/` (by
`tests/npm_cache.py`, under its lock) and reused across runs. Each copy hard-links that `node_modules` (cheap),
except the generated client folder `node_modules/.prisma`, which is a real copy because `prisma generate` rewrites
it. Whatever rewrites another hard-linked file in place writes into the cache: a test that reinstalls packages
should delete them first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.dev_server import DevServer
from tests.npm_cache import CACHE, cached, link_packages

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "next-prisma-app"
# What a run of the example leaves behind and a copy must not inherit.
NOT_SOURCES = shutil.ignore_patterns(
    "node_modules", ".next", "dev.db", "dev.db-journal", "next-env.d.ts", "*.tsbuildinfo", ".clean"
)
INSTALLED_MARKER = ".installed"
# scripts/setup.sh skips `npm ci` when node_modules holds this copy of the lock file it was installed from.
SETUP_MARKER = Path("node_modules") / ".package-lock.json.setup"
QUIET_ENV = {"PRISMA_HIDE_UPDATE_MESSAGE": "1", "NEXT_TELEMETRY_DISABLED": "1"}


def run_checked(command: list[str], cwd: Path, what: str) -> None:
    """Run a setup command; a failure fails the test with the command's own output."""
    if shutil.which(command[0]) is None:
        pytest.fail(f"{what} needs `{command[0]}` on PATH (Node.js 20 and npm)")
    done = subprocess.run(
        command, cwd=cwd, env={**os.environ, **QUIET_ENV}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({' '.join(command)}, exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def _lock_hash() -> str:
    return hashlib.sha256((EXAMPLE / "package-lock.json").read_bytes()).hexdigest()[:12]


def installed_example_packages() -> Path:
    """The cache folder whose `node_modules` holds the example's packages, installing them on first use."""

    def install(folder: Path) -> None:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(EXAMPLE / name, folder / name)
        run_checked(["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"], folder, "Installing the example")
        shutil.copy2(EXAMPLE / "package-lock.json", folder / SETUP_MARKER)

    return cached(CACHE / f"example-{_lock_hash()}", install, marker=INSTALLED_MARKER)


def copy_example(destination: Path, packages: Path, *, link: bool = True) -> Path:
    """A copy of the example's sources with the cached packages hard-linked in (the generated client copied; every
    file copied when not `link`)."""
    shutil.copytree(EXAMPLE, destination, ignore=NOT_SOURCES)
    link_packages(packages, destination, link=link)
    return destination


def run_script(project: Path, script: str, *args: str) -> None:
    """Run one of the example's scripts (`setup.sh`, `break.sh`, `restore.sh`) in `project`."""
    run_checked(["bash", str(project / "scripts" / script), *args], project, f"scripts/{script}")


@pytest.fixture(scope="session")
def example_packages() -> Path:
    return installed_example_packages()


@pytest.fixture
def example_app(tmp_path: Path, example_packages: Path) -> Path:
    """A fresh copy of the example: Prisma Client generated, migrations applied, users seeded."""
    project = copy_example(tmp_path / "next-prisma-app", example_packages)
    run_script(project, "setup.sh")
    return project


@pytest.fixture
def start_dev_server(tmp_path: Path) -> Iterator[Callable[..., DevServer]]:
    """Starts `next dev` in a project (with `next_bin`, a workspace's hoisted Next, for an app that has no
    node_modules of its own; Turbopack, or webpack as `bundler`) and answers once it serves; every server started is
    stopped at teardown. `kind`: a server started by another command (`pnpm_next_app.PnpmDev`).

    Each server's output goes to its own `next-dev-<n>.log` under the test's tmp_path (`server.output`).
    """
    started: list[DevServer] = []

    def start(
        project: Path, next_bin: Path | None = None, bundler: str = "turbopack", kind: type[DevServer] = DevServer
    ) -> DevServer:
        log = tmp_path / f"next-dev-{len(started) + 1}.log"
        server = kind(project, log, next_bin=next_bin, bundler=bundler)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def restarted_groups() -> Iterator[list[int]]:
    """Process groups of the servers a repair started (detached, so the dev-server fixture does not own them)."""
    groups: list[int] = []
    yield groups
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
