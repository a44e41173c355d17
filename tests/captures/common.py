"""What every capture script shares: a throw-away project, a terminal to run commands in, and the fixture writer.

A capture is the raw output of a real command run under a pseudo-terminal (so colours and CRLF are what a person
sees), saved byte for byte as `tests/fixtures/logs/<name>.log`, with a sidecar `<name>.json` that says which
command, which versions and which scenario produced it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import pty
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from postgres import free_port

from toolchain import ROOT, ensure_node_modules, versions

# Where captures are written: the committed fixtures, unless a test asks for a scratch folder.
FIXTURES = Path(os.environ.get("PRISMA_DOCTOR_CAPTURE_DIR") or ROOT / "tests" / "fixtures" / "logs")


class Project:
    """A temporary Node project whose `node_modules` is the shared, cached install."""

    def __init__(self, label: str, inside_install: bool = False, modules: Path | None = None) -> None:
        """`inside_install` puts the project under the install folder, for tools that will not follow a
        `node_modules` link out of the project (Turbopack resolves only inside the folder of the lockfile).
        `modules`: another install to link (a folder with `node_modules`: tests/npm_cache.py's Prisma 5.22 or 7.10
        toolchain) instead of the captures' own."""
        self.modules = modules or ensure_node_modules()
        if inside_install:
            parent = self.modules / "projects"
            parent.mkdir(exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=parent))
        else:
            self.root = Path(tempfile.mkdtemp(prefix=f"pd-capture-{label}-"))
            (self.root / "node_modules").symlink_to(self.modules / "node_modules", target_is_directory=True)
        (self.root / "package.json").write_text(json.dumps({"name": label, "private": True}))
        # The project's own code as written (not its schema or migrations, which `project_state` reads), so that a
        # test can put the project back on disk.
        self.sources: dict[str, str] = {}
        if not os.environ.get("PRISMA_DOCTOR_KEEP_CAPTURE_PROJECTS"):
            atexit.register(shutil.rmtree, self.root, True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if not relative.startswith("prisma/"):
            self.sources[relative] = text
        return path

    def bin(self, name: str) -> str:
        return str(self.modules / "node_modules" / ".bin" / name)

    @staticmethod
    def shared_bin(name: str) -> str:
        """A tool of the captures' own install (TypeScript, Next), for a project linked to another install."""
        return str(ensure_node_modules() / "node_modules" / ".bin" / name)

    def run(
        self, cmd: Sequence[str], env: Mapping[str, str] | None = None, check: bool = True, stdout_only: bool = False
    ) -> str:
        """Run a set-up step (not captured); its output is returned for the script's own checks."""
        done = subprocess.run(
            list(cmd), cwd=self.root, env=environment(env), capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout if stdout_only else done.stdout + done.stderr


def environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL"))}
    env.update({"PRISMA_HIDE_UPDATE_MESSAGE": "1", "CHECKPOINT_DISABLE": "1", "NEXT_TELEMETRY_DISABLED": "1"})
    env.update(extra or {})
    return env


class Terminal:
    """A command running under a pseudo-terminal; a thread collects everything it prints."""

    def __init__(self, cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> None:
        self.cmd = list(cmd)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.process = subprocess.Popen(
            self.cmd,
            cwd=cwd,
            env=environment({"TERM": "xterm-256color", **(env or {})}),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self._output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:  # EIO: every process holding the terminal is gone
                return
            if not data:
                return
            with self._lock:
                self._output += data

    @property
    def output(self) -> bytes:
        with self._lock:
            return bytes(self._output)

    def wait_for(self, text: bytes, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or (self.process.poll() is not None and not self._reader.is_alive()):
                shown = self.output.decode(errors="replace")
                raise TimeoutError(f"{' '.join(self.cmd)}: {text!r} did not appear:\n{shown}")
            time.sleep(0.1)

    def settle(self, quiet: float = 2.0, timeout: float = 60) -> None:
        """Wait until nothing new has been printed for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        size, since = len(self.output), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet:
            time.sleep(0.1)
            if len(self.output) != size:
                size, since = len(self.output), time.monotonic()

    def finish(self, timeout: float = 120, interrupt: bool = False) -> tuple[bytes, int]:
        """Wait for the command to end (after Ctrl-C with `interrupt`); stop its process group if it does not."""
        if interrupt and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # children left behind by the command
        self._reader.join(timeout=5)
        os.close(self._master)
        return self.output, code


def run_in_terminal(
    cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120
) -> tuple[bytes, int]:
    """Run `cmd` under a pseudo-terminal to its end; return everything it printed and its exit code."""
    return Terminal(cmd, cwd, env).finish(timeout=timeout)


def iso_time(timestamp: float) -> str:
    """A file's or a lock's time as the sidecars keep it (`dev_server_started_at`, `client_generated_at`)."""
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


def project_state(root: Path, built_from: Mapping[str, str] | None = None) -> dict[str, object]:
    """The project as it was when the output was captured, so tests can diagnose the capture with its facts:
    the schema on disk, the schema each generated client was built from, the migrations folder, prisma.config.ts."""
    schema = root / "prisma" / "schema.prisma"
    clients = {}
    for folder in ("generated/client", "node_modules/.prisma/client"):
        copy = root / folder / "schema.prisma"
        # A linked `node_modules` is the shared install, whose default client belongs to no capture.
        shared = folder.startswith("node_modules") and (root / "node_modules").is_symlink()
        if copy.is_file() and not shared:
            clients[folder] = copy.read_text()
    clients.update(built_from or {})
    migrations = root / "prisma" / "migrations"
    config = root / "prisma.config.ts"
    return {
        "schema": schema.read_text() if schema.is_file() else None,
        "clients": clients,
        "migrations": {sql.parent.name: sql.read_text() for sql in sorted(migrations.glob("*/migration.sql"))},
        # Prisma 7 reads the database's URL from here.
        **({"config": config.read_text()} if config.is_file() else {}),
    }


def save_capture(
    name: str,
    output: bytes,
    *,
    command: Sequence[str],
    exit_code: int,
    project: Project,
    scenario: str,
    notes: str = "",
    extra: Mapping[str, object] | None = None,
    built_from: Mapping[str, str] | None = None,
    said: str = "",
) -> Path:
    """`built_from`: client folder -> the schema it was generated from, for a client that keeps no copy of it
    (Prisma 7's `prisma-client`), as the script that generated it knows. `said`: what the script adds to the line
    it prints for the capture (`, HTTP 500`)."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    log = FIXTURES / f"{name}.log"
    log.write_bytes(output)
    sidecar = {
        "command": list(command),
        "exit_code": exit_code,
        "versions": versions(project.modules),
        "scenario": scenario,
        "notes": notes,
        "project_root": str(project.root),
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "project": {**project_state(project.root, built_from), "sources": project.sources},
        **(extra or {}),
    }
    (FIXTURES / f"{name}.json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
    print(f"{name}: exit {exit_code}, {len(output)} bytes{said}")
    return log


def capture_in_terminal(
    project: Project,
    name: str,
    cmd: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    scenario: str,
    notes: str = "",
    extra: Mapping[str, object] | None = None,
    built_from: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> bytes:
    """Run `cmd` in the project under a pseudo-terminal to its end, and save what it printed as the capture `name`."""
    output, code = run_in_terminal(cmd, project.root, env=env, timeout=timeout)
    save_capture(
        name,
        output,
        command=cmd,
        exit_code=code,
        project=project,
        scenario=scenario,
        notes=notes,
        extra=extra,
        built_from=built_from,
    )
    return output


@dataclass(frozen=True)
class NextDevRun:
    """A `next dev` that a capture drove to its error and stopped."""

    command: list[str]
    output: bytes
    exit_code: int
    # The HTTP status of the request that failed.
    status: int
    # `.next/dev/lock` as Next wrote it.
    lock: str
    # What the sidecar keeps beyond the project: `dev_server_started_at`, and what the steps added.
    extra: dict[str, object]


def run_next_dev(
    project: Project,
    flags: Sequence[str],
    env: Mapping[str, str],
    steps: Callable[[Terminal, int, dict[str, object]], int],
    expected: bytes,
) -> NextDevRun:
    """`next dev` on a free port in a terminal (FORCE_COLOR=1, as a person's terminal has it). Once it is ready,
    `steps(terminal, port, extra)` drives it and returns the status of the request that fails; once `expected` has
    been printed and the output has settled, the server is stopped with Ctrl-C."""
    port = free_port()
    cmd = [project.bin("next"), "dev", *flags, "--port", str(port)]
    terminal = Terminal(cmd, project.root, env={**env, "FORCE_COLOR": "1"})
    extra: dict[str, object] = {}
    try:
        terminal.wait_for(b"Ready in", timeout=180)
        status = steps(terminal, port, extra)
        terminal.wait_for(expected, timeout=120)
        terminal.settle(quiet=3)
        lock = (project.root / ".next" / "dev" / "lock").read_text()
        extra["dev_server_started_at"] = iso_time(json.loads(lock)["startedAt"] / 1000)
    except BaseException:
        sys.stderr.write(terminal.output.decode(errors="replace"))
        raise
    finally:
        output, code = terminal.finish(interrupt=True, timeout=30)
    return NextDevRun(cmd, output, code, status, lock, extra)
