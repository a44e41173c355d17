"""Run a package-manager command for a step: output kept in a log, cancellable while it runs."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil

from prisma_doctor.database.probe import forget_answers
from prisma_doctor.repair.context import Cancelled, StepContext
from prisma_doctor.repair.package_manager import subprocess_env
from prisma_doctor.state_folder import StateFolder


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    output: str
    log: Path

    def tail(self, lines: int = 12) -> str:
        return "\n".join(self.output.strip().splitlines()[-lines:])


def run_command(
    ctx: StepContext, name: str, command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> CommandResult:
    """Run `command` in `cwd` (with `env`, else `subprocess_env()`); on cancellation stop it (and its children) and
    raise `Cancelled`."""
    folder = StateFolder(ctx.root)
    log = folder.path / f"{name}.log"
    ctx.say(" ".join(command))
    with folder.create(f"{name}.log") as out:
        try:
            child = subprocess.Popen(
                command,
                cwd=cwd,
                env=env if env is not None else subprocess_env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=os.name != "nt",  # (Windows has no sessions, and Popen ignores it there)
            )
        except OSError as error:
            out.write(f"could not run {command[0]}: {error}\n".encode())
            return CommandResult(127, f"could not run {command[0]}: {error}", log)
        ctx.remember_child(child.pid)
        try:
            while not _exited(child, CANCEL_LOOK_SECONDS):
                if ctx.should_stop():
                    _stop_tree(child)
                    raise Cancelled(f"cancelled while running {' '.join(command)}")
        finally:
            # A push, a migration or a reset may have changed the database: an answer read before it is not used.
            forget_answers()
    return CommandResult(child.returncode, folder.read_text(f"{name}.log") or "", log)


# How often a cancel is looked for while a command runs. The command's end is not polled for: the wait ends with it
# (a sleep between polls would add half of it, on average, to every repair's time: bench/green_bench.py).
CANCEL_LOOK_SECONDS = 0.1


def _exited(child: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait up to `seconds` for `child` to exit; whether it has. On Linux the wait ends when it exits (a pidfd becomes
    readable); elsewhere `Popen.wait` looks every few milliseconds."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None and child.poll() is None:
        try:
            descriptor = pidfd_open(child.pid)
        except OSError:  # a kernel before 5.3
            pass
        else:
            try:
                select.select([descriptor], [], [], seconds)
            finally:
                os.close(descriptor)
            return child.poll() is not None
    try:
        child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _stop_tree(child: subprocess.Popen[bytes]) -> None:
    try:
        children = psutil.Process(child.pid).children(recursive=True)
    except psutil.Error:
        children = []
    if os.name != "nt":
        with contextlib.suppress(OSError):
            os.killpg(child.pid, signal.SIGTERM)
    for process in [psutil.Process(child.pid), *children] if psutil.pid_exists(child.pid) else children:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
