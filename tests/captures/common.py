"""What every capture script shares: a throw-away project, a terminal to run commands in, and the fixture writer.

A capture is the raw output of a real command run under a pseudo-terminal (so colours and CRLF are what a person
sees), saved byte for byte as `tests/fixtures/logs/<name>.log`, with a sidecar `<name>.json` that says which
command, which versions and which scenario produced it.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import tempfile
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from toolchain import ROOT, ensure_node_modules, versions

FIXTURES = ROOT / "tests" / "fixtures" / "logs"


class Project:
    """A temporary Node project whose `node_modules` is the shared, cached install."""

    def __init__(self, label: str) -> None:
        self.modules = ensure_node_modules()
        self.root = Path(tempfile.mkdtemp(prefix=f"pd-capture-{label}-"))
        (self.root / "node_modules").symlink_to(self.modules / "node_modules", target_is_directory=True)
        (self.root / "package.json").write_text(json.dumps({"name": label, "private": True}))

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def bin(self, name: str) -> str:
        return str(self.modules / "node_modules" / ".bin" / name)

    def run(
        self, cmd: Sequence[str], env: Mapping[str, str] | None = None, check: bool = True, stdout_only: bool = False
    ) -> str:
        """Run a set-up step (not captured); its output is returned for the script's own checks."""
        done = subprocess.run(
            list(cmd), cwd=self.root, env=_env(env), capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout if stdout_only else done.stdout + done.stderr


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL"))}
    env.update({"PRISMA_HIDE_UPDATE_MESSAGE": "1", "CHECKPOINT_DISABLE": "1", "NEXT_TELEMETRY_DISABLED": "1"})
    env.update(extra or {})
    return env


def run_in_terminal(
    cmd: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    stop_when: bytes | None = None,
) -> tuple[bytes, int]:
    """Run `cmd` under a pseudo-terminal, return everything it printed and its exit code.

    With `stop_when`, the process group is interrupted once that text has appeared and output has settled
    (for servers that never exit on their own).
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=_env({"TERM": "xterm-256color", **(env or {})}),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    seen_at: float | None = None
    try:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{' '.join(cmd)} did not finish in {timeout}s:\n{output.decode(errors='replace')}")
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the terminal closed, the process is done
                    break
                if not data:
                    break
                output += data
                if stop_when and seen_at is None and stop_when in output:
                    seen_at = time.monotonic()
            elif seen_at is not None and time.monotonic() - seen_at > 2:
                os.killpg(process.pid, signal.SIGINT)
                seen_at = float("inf")
            elif process.poll() is not None and not ready:
                break
    finally:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        code = process.wait(timeout=30)
        os.close(master)
    return bytes(output), code


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
) -> Path:
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
        **(extra or {}),
    }
    (FIXTURES / f"{name}.json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
    return log
