"""Trial 7: a pnpm workspace on Prisma 7 whose dev server is started from the workspace's root, `prisma-doctor run --
pnpm --filter api dev` (tests/pnpm_workspace_api.py: the schema, prisma.config.ts and .env in packages/database, the
app's adapter URL in code, the server under `tsx watch` in apps/api).

- A repair stops pnpm's whole tree and hands the restart to that `run`, which starts `pnpm --filter api dev` again in
  its own terminal; the plan says so. Before, only the tsx processes were stopped, pnpm exited 143, `run` with it,
  and the server came back detached.
- `check` at the root compares the database Prisma's CLI uses (the schema package's .env, loaded by `dotenv/config`)
  when the app's own URL cannot be read: a dropped column and a moved database file were said "in sync", exit 0.

Real processes: pnpm 10, tsx and Prisma 7 from npm (tests/npm_cache.py), SQLite through libSQL.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests import pnpm_next_app as single
from tests import pnpm_workspace_api as workspace
from tests.helpers import doctor
from tests.toolchain import link_copy
from tests.watch_servers import doctor_run

pytestmark = pytest.mark.node

STARTED_WITHIN = 90.0


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace.build(tmp_path_factory.mktemp("template") / "mono")


def _copy(template: Path, destination: Path) -> Path:
    """A copy of the built workspace, its database's absolute URL in code pointing into the copy."""
    link_copy(template, destination)
    index = destination / workspace.DATABASE / "src" / "index.ts"
    index.write_text(index.read_text().replace(str(template), str(destination)))
    return destination


@contextlib.contextmanager
def _run_at_root(root: Path, terminal: Path) -> Iterator[subprocess.Popen[bytes]]:
    with doctor_run(["--", "pnpm", "--filter", "api", "dev"], root, single.environment(), terminal) as run:
        try:
            yield run
        finally:
            # A server a failed repair started detached would outlive the run's session.
            for process in psutil.process_iter():
                with contextlib.suppress(psutil.Error):
                    if str(root) in " ".join(process.cmdline()):
                        process.kill()


def _port(terminal: Path, count: int) -> int:
    """The port of the `count`th start the app announced in the terminal."""
    deadline = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < deadline:
        starts = [line for line in terminal.read_text().splitlines() if "api on http://localhost:" in line]
        if len(starts) >= count:
            return int(starts[count - 1].rsplit(":", 1)[1])
        time.sleep(0.3)
    raise AssertionError(terminal.read_text())


def _get(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
        return answer.status


def test_a_repair_hands_the_restart_to_the_run_at_the_workspace_root(template: Path, tmp_path: Path) -> None:
    root = _copy(template, tmp_path / "mono")
    terminal = tmp_path / "terminal.log"
    with _run_at_root(root, terminal) as run:
        port = _port(terminal, 1)
        pnpm = psutil.Process(run.pid).children()[0]

        plan = doctor("restart-dev", "--dry-run", cwd=root, env=single.environment())

        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert f"(by its `prisma-doctor run`, pid {run.pid}, in {root}; the server in {root / workspace.API}" in (
            plan.stdout
        ), plan.stdout
        assert f"pid {pnpm.pid}: " in plan.stdout  # pnpm's tree is stopped, not only tsx's

        done = doctor("restart-dev", "--yes", cwd=root, env=single.environment())

        output = done.stdout + done.stderr + terminal.read_text()
        assert done.returncode == 0, output
        assert run.poll() is None, "run keeps running: it started its command again itself"
        assert "detached" not in done.stdout, output
        assert "starting `pnpm --filter api dev` again" in terminal.read_text()
        again = _port(terminal, 2)  # its output flows on in the same terminal
        assert _get(again) == 200
        assert not pnpm.is_running() and port > 0


def test_check_at_the_root_compares_the_database_the_cli_uses(template: Path, tmp_path: Path) -> None:
    root = _copy(template, tmp_path / "mono")
    database = root / workspace.DATABASE

    with sqlite3.connect(database / "dev.db") as connection:
        connection.execute('ALTER TABLE "User" DROP COLUMN "role"')
    dropped = doctor("check", str(root), env=single.environment())

    assert dropped.returncode == 1, dropped.stdout + dropped.stderr
    assert "[db-missing-column]" in dropped.stdout and "in sync" not in dropped.stdout, dropped.stdout

    (database / "dev.db").rename(tmp_path / "dev.db")
    moved = doctor("check", str(root), env=single.environment())

    assert moved.returncode == 1 and "[db-missing]" in moved.stdout, moved.stdout + moved.stderr

    # Neither the CLI's nor the app's URL known: not compared, and which files were read is said.
    (database / ".env").unlink()
    (database / "prisma.config.ts").write_text(
        workspace.PRISMA_CONFIG.replace('env("DATABASE_URL")', 'process.env.DATABASE_URL ?? ""')
    )
    unknown = doctor("check", str(root), env=single.environment())

    assert unknown.returncode == 3, unknown.stdout + unknown.stderr
    assert "[db-not-asked]" in unknown.stdout and "nor in apps/api/.env" in unknown.stdout, unknown.stdout


def test_a_crashed_server_is_said_crashed_and_restart_brings_it_back(template: Path, tmp_path: Path) -> None:
    """The generated folder removed under `tsx watch`: the app crashes (`ERR_MODULE_NOT_FOUND`) and tsx waits for a
    change. A regenerate does not bring it back, and says so; `check` says crashed (not stale: it loaded nothing)
    and offers the restart, which brings it back."""
    root = _copy(template, tmp_path / "mono")
    terminal = tmp_path / "terminal.log"
    with _run_at_root(root, terminal):
        _port(terminal, 1)
        shutil.rmtree(root / workspace.DATABASE / "src" / "generated")
        deadline = time.monotonic() + STARTED_WITHIN
        while "ERR_MODULE_NOT_FOUND" not in terminal.read_text() and time.monotonic() < deadline:
            time.sleep(0.3)

        regenerated = doctor("regenerate", "--yes", cwd=root, env=single.environment())

        assert regenerated.returncode == 1, regenerated.stdout + regenerated.stderr
        verdict = regenerated.stdout.strip().splitlines()[-1]
        assert verdict.startswith("repair NOT verified: the dev server runs no app: pid "), verdict
        assert "crashed (Error [ERR_MODULE_NOT_FOUND]: Cannot find module" in verdict
        assert "restart it (`prisma-doctor restart-dev`)" in verdict and "could not be read" not in verdict

        crashed = doctor("check", str(root), env=single.environment())

        assert crashed.returncode == 1, crashed.stdout + crashed.stderr
        assert "[dev-server-crashed]" in crashed.stdout and "dev-server-stale" not in crashed.stdout, crashed.stdout
        assert "fixes: restart-dev-server (prisma-doctor restart-dev)" in crashed.stdout
        assert crashed.stdout.strip().endswith("a dev server crashed (1 problem)"), crashed.stdout

        restarted = doctor("restart-dev", "--yes", cwd=root, env=single.environment())

        assert restarted.returncode == 0, restarted.stdout + restarted.stderr + terminal.read_text()
        assert _get(_port(terminal, 2)) == 200
        after = doctor("check", str(root), env=single.environment())
        assert after.returncode == 0 and after.stdout.strip().endswith("in sync"), after.stdout
