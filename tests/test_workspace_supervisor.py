"""Dev servers run as tasks of a workspace supervisor (trial 4 #1, #6): `turbo run dev` at a pnpm workspace's root
runs `pnpm run dev` in apps/web and apps/api, and ends every task when one is stopped from outside. A repair that
would stop them refuses before it stops anything, naming the supervisor and what to do; nothing is stopped.

`pnpm -r --parallel run dev` is one too, `pnpm --filter api run dev` is not. Without a supervisor, `restart-dev
--project apps/api` restarts the api's server only (trial 4 #11): the web's keeps running untouched.

Real processes: Turborepo, pnpm and tsx from npm (tests/npm_cache.py, installed once), the api under `tsx watch`,
the web under `node --watch`, each on a port of its own.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.devserver import DevServer, find_dev_servers
from tests.helpers import doctor, repair_json
from tests.npm_cache import (
    PNPM_VERSION,
    TOOLCHAINS,
    cached,
    pnpm_bin,
    pnpm_command,
    pnpm_store,
    run,
    tool_environment,
    turbo_command,
)
from tests.pnpm_next_app import npmrc
from tests.toolchain import link_copy

pytestmark = pytest.mark.node

TSX = "4.21.0"
DEV_SCRIPTS = {"api": "tsx watch server.ts", "web": "node --watch server.ts"}
APPS = tuple(DEV_SCRIPTS)
# Plain JavaScript, so that `node --watch` runs it as well as tsx (Node 20 reads `.ts` as CommonJS JavaScript).
SERVER = """require("http").createServer((req, res) => res.end("%s ok")).listen(0, "127.0.0.1", function () {
  console.log(`%s on http://localhost:${this.address().port}`);
});
"""
SCHEMA = (
    'generator client {\n  provider = "prisma-client-js"\n}\n\n'
    'datasource db {\n  provider = "sqlite"\n  url      = "file:./dev.db"\n}\n\nmodel User {\n  id Int @id\n}\n'
)
STARTED_WITHIN = 60.0


def _manifests(folder: Path) -> None:
    """A pnpm workspace whose root runs `turbo run dev`; the apps depend on packages/db, the Prisma project. The api
    runs `tsx watch` as the trial's did (through pnpm's bin shim: `node .bin/../tsx/dist/cli.mjs watch`)."""
    files: dict[str, object] = {
        "package.json": {"name": "mono", "private": True, "packageManager": f"pnpm@{PNPM_VERSION}"},
        "turbo.json": {"tasks": {"dev": {"cache": False, "persistent": True}}},
        "packages/db/package.json": {"name": "@mono/db", "private": True},
    }
    for app, dev in DEV_SCRIPTS.items():
        manifest = {"name": app, "scripts": {"dev": dev}, "dependencies": {"@mono/db": "workspace:*"}}
        files[f"apps/{app}/package.json"] = manifest | ({"devDependencies": {"tsx": TSX}} if "tsx" in dev else {})
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(content))
    (folder / "pnpm-workspace.yaml").write_text("packages:\n  - apps/*\n  - packages/*\n")
    (folder / ".npmrc").write_text(npmrc())


def _installed() -> Path:
    """The workspace's pnpm install (tsx in apps/api), made once in the tests' cache."""

    def install(folder: Path) -> None:
        _manifests(folder)
        pnpm_store().mkdir(parents=True, exist_ok=True)
        run([*pnpm_command(), "install", "--ignore-scripts", "--no-frozen-lockfile"], folder, env=tool_environment())

    return cached(TOOLCHAINS / f"pnpm-workspace-turbo-tsx-{TSX}", install)


def _workspace(root: Path) -> Path:
    link_copy(_installed(), root)
    (root / "packages/db/prisma").mkdir()
    (root / "packages/db/prisma/schema.prisma").write_text(SCHEMA)
    for app in APPS:
        (root / "apps" / app / "server.ts").write_text(SERVER % (app, app))
    return root


def _serving(root: Path, apps: tuple[str, ...] = APPS) -> dict[str, DevServer]:
    """Each app's dev server once it listens."""
    deadline = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < deadline:
        found = {app: [s for s in find_dev_servers(root / "apps" / app) if s.port] for app in apps}
        if all(found.values()):
            return {app: servers[0] for app, servers in found.items()}
        time.sleep(0.3)
    raise AssertionError(f"turbo's dev tasks did not listen within {STARTED_WITHIN:.0f}s")


def test_a_repair_refuses_to_stop_dev_servers_that_turbo_runs_and_names_it(
    tmp_path: Path, spawn: Callable[..., object]
) -> None:
    root = _workspace(tmp_path / "mono")
    pnpm_command()  # installed, so that turbo finds `pnpm` on the PATH
    env = tool_environment({"PATH": f"{pnpm_bin()}{os.pathsep}{os.environ['PATH']}", "TURBO_TELEMETRY_DISABLED": "1"})
    spawn([*turbo_command(), "run", "dev"], root, env=env)
    servers = _serving(root)
    assert servers["api"].tool == "tsx", servers  # run by pnpm's shim under turbo: a dev server (trial 4 #2)
    for server in servers.values():
        assert server.supervisor is not None and server.supervisor.name == "turbo", server
        assert server.supervisor.cwd == str(root)
    before = {pid for server in servers.values() for pid in server.tree_pids}

    for command in ("restart-dev", "reset"):
        done = doctor(command, "--project", str(root / "apps" / "web"), "--yes", repair=True)

        assert done.returncode == 2, done.stdout + done.stderr
        refusal = next(line for line in done.stderr.splitlines() if "runs under" in line)
        assert f"{root / 'apps' / 'api'}, {root / 'apps' / 'web'}" in refusal
        assert f"`{' '.join(turbo_command())} run dev`" in refusal  # the command that was run, not turbo's binary
        assert "turbo end every task it runs" in refusal and "Ctrl-C" in refusal
        # Nothing was stopped: every process of both servers still runs.
        assert all(psutil.pid_exists(pid) for pid in before), done.stdout


def test_restart_dev_of_one_app_restarts_that_apps_server_only(
    tmp_path: Path, spawn: Callable[..., object], restarted_groups: list[int]
) -> None:
    root = _workspace(tmp_path / "mono")
    for app in APPS:  # each started in its own terminal: `cd apps/X && pnpm dev`
        spawn([*pnpm_command(), "run", "dev"], root / "apps" / app, env=tool_environment())
    servers = _serving(root)
    assert servers["api"].tool == "tsx", servers  # `cd apps/api && pnpm dev`: found (trial 4 #11)
    assert all(server.supervisor is None for server in servers.values()), servers
    web_before = set(servers["web"].tree_pids)

    code, result = repair_json("restart-dev", root / "apps" / "api", restarted=restarted_groups)

    assert code == 0, result
    (restarted,) = result["devServers"]
    assert restarted["answered"] and Path(restarted["log"]).is_relative_to(root / "apps" / "api"), result
    assert _ended(servers["api"].pid), "the api's old server was stopped"
    assert all(psutil.pid_exists(pid) for pid in web_before), "the web's server was left running as it was"


@pytest.mark.parametrize(
    ("arguments", "apps", "supervisor"),
    [
        (["-r", "--parallel", "run", "dev"], APPS, "pnpm -r"),
        # One package's script: pnpm only exits with it, and is its launcher (started again as any other).
        (["--filter", "api", "run", "dev"], ("api",), None),
    ],
)
def test_pnpm_is_a_supervisor_while_it_runs_several_packages_scripts(
    tmp_path: Path, spawn: Callable[..., object], arguments: list[str], apps: tuple[str, ...], supervisor: str | None
) -> None:
    root = _workspace(tmp_path / "mono")
    spawn([*pnpm_command(), *arguments], root, env=tool_environment())

    servers = _serving(root, apps)

    assert {app: s.supervisor and s.supervisor.name for app, s in servers.items()} == dict.fromkeys(apps, supervisor)


def _ended(pid: int) -> bool:
    """Whether `pid` runs no more: gone, or a zombie its parent (this test's process) has not reaped yet."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
