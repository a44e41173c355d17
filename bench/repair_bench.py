"""Time the doctor's repairs against the incident's cleanup script, on throwaway copies of the bundled example.

    /work/venv/bin/python bench/repair_bench.py [--rounds N]

Rows: a bare `prisma generate`; `prisma-doctor regenerate`; `prisma-doctor reset` with `next dev` running (it
includes waiting until the restarted server answers); the incident's script (FIELD-NOTES section 1) adapted to
Linux, as written and with the reinstall that makes it work. The incident script here only kills node processes
whose working directory or command line lies inside the temporary copy, never anything else on the machine, and
its `pnpm store prune` runs against a store inside the copy. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "server"), str(REPO)]

from tests.example_app import EXAMPLE, NOT_SOURCES, installed_example_packages  # noqa: E402
from tests.npm_cache import pnpm_command  # noqa: E402

from prisma_doctor.repair.processes import find_project_processes, stop_processes  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def page_status(port: int, timeout: float = 120) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def wait_for_page(port: int, limit: float = 180) -> int | None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        status = page_status(port)
        if status is not None:
            return status
        time.sleep(0.25)
    return None


class Copy:
    """A temporary copy of the example (packages copied, not linked: the incident script reinstalls into them)
    with its own database and, when asked, a running `next dev`."""

    def __init__(self, base: Path, name: str) -> None:
        self.project = base / name
        shutil.copytree(EXAMPLE, self.project, ignore=NOT_SOURCES)
        shutil.copytree(installed_example_packages() / "node_modules", self.project / "node_modules", symlinks=True)
        self.port = free_port()
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "NEXT_TELEMETRY_DISABLED": "1",
            "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        }
        self.run("bash", "scripts/setup.sh")

    def start_dev(self) -> None:
        log = open(self.project / "next.log", "ab")  # noqa: SIM115 - kept by the server
        subprocess.Popen(
            ["npm", "run", "dev"],
            cwd=self.project,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_page(self.port)

    def run(self, *command: str) -> bool:
        try:
            done = subprocess.run(list(command), cwd=self.project, env=self.env, capture_output=True, timeout=900)
        except OSError:
            return False
        return done.returncode == 0

    def doctor(self, *args: str) -> bool:
        env = {**self.env, "PYTHONPATH": str(REPO / "server")}
        command = [sys.executable, "-m", "prisma_doctor", *args, "--project", str(self.project), "--yes"]
        return subprocess.run(command, env=env, capture_output=True, timeout=900).returncode == 0

    def stop_everything(self) -> None:
        stop_processes(find_project_processes(self.project))


def incident_script(copy: Copy, reinstall: bool) -> bool:
    """FIELD-NOTES section 1, on Linux and confined to the copy; `reinstall` adds the step that makes it work."""
    copy.stop_everything()  # "kill every node.exe", narrowed to the copy's own processes
    for folder in (".next", ".turbo", "node_modules/.cache"):
        shutil.rmtree(copy.project / folder, ignore_errors=True)
    store = copy.project / ".bench-pnpm-store"
    copy.run(*pnpm_command(), "store", "prune", "--store-dir", str(store))
    shutil.rmtree(copy.project / "node_modules" / "@prisma", ignore_errors=True)
    for folder in (copy.project / "node_modules" / ".pnpm").glob("@prisma*"):
        shutil.rmtree(folder, ignore_errors=True)
    if reinstall:
        copy.run("npm", "install", "--no-audit", "--no-fund", "--prefer-offline")
    generated = copy.run("npx", "--no-install", "prisma", "generate")
    copy.start_dev()
    return generated


def timed(base: Path, name: str, action: Callable[[Copy], bool], dev: bool) -> tuple[str, float, bool, int | None]:
    copy = Copy(base, name)
    try:
        if dev:
            copy.start_dev()
        copy.run("bash", "scripts/break.sh", "--db")  # every case then has a stale client to fix
        started = time.perf_counter()
        ok = action(copy)
        elapsed = time.perf_counter() - started
        status = page_status(copy.port) if dev else None
        return name, elapsed, ok, status
    finally:
        copy.stop_everything()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    cases: list[tuple[str, Callable[[Copy], bool], bool]] = [
        ("bare prisma generate", lambda c: c.run("npx", "--no-install", "prisma", "generate"), False),
        ("prisma-doctor regenerate", lambda c: c.doctor("regenerate"), False),
        ("prisma-doctor reset (next dev running)", lambda c: c.doctor("reset"), True),
        ("incident script, as written", lambda c: incident_script(c, reinstall=False), True),
        ("incident script + reinstall", lambda c: incident_script(c, reinstall=True), True),
    ]
    rows: list[tuple[str, float, bool, int | None]] = []
    with tempfile.TemporaryDirectory(prefix="repair-bench-") as temporary:
        for round_number in range(args.rounds):
            for name, action, dev in cases:
                base = Path(temporary) / f"round-{round_number}"
                base.mkdir(exist_ok=True)
                rows.append(timed(base, name, action, dev))
                with contextlib.suppress(OSError):
                    shutil.rmtree(base / name)
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'seconds':>8}  {'succeeded':>9}  {'page after':>10}")
    for name, elapsed, ok, status in rows:
        shown = "-" if status is None else str(status)
        print(f"{name:<{width}}  {elapsed:>8.1f}  {('yes' if ok else 'NO'):>9}  {shown:>10}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise SystemExit(main())
