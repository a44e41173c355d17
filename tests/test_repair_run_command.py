"""A step's command (`prisma generate`, `npm install`): its end ends the wait, its output is kept, and a cancel stops
it with everything it started."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.context import CancellationToken, Cancelled, StepContext
from prisma_doctor.repair.run_command import run_command

# Starts a child of its own, says its pid, then waits: a command still running when the repair is cancelled.
WAITS = (
    "import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print('started', child.pid, flush=True); time.sleep(60)"
)


def _context(root: Path) -> StepContext:
    return StepContext(root, CancellationToken(), lambda message: None)


def test_a_command_that_ends_is_its_result_with_its_output(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('Generated Prisma Client'); raise SystemExit(3)"]
    result = run_command(_context(tmp_path), "generate", command, tmp_path)
    assert result.returncode == 3
    assert "Generated Prisma Client" in result.output
    assert result.log == tmp_path / ".prisma-doctor" / "generate.log"


def test_a_cancel_stops_the_running_command_and_what_it_started(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    log = tmp_path / ".prisma-doctor" / "generate.log"
    started: list[psutil.Process] = []

    def cancel_once_started() -> None:
        while not (log.exists() and "started" in log.read_text()):
            threading.Event().wait(0.02)
        its_child = psutil.Process(int(log.read_text().split()[-1]))
        started.extend([its_child.parent(), its_child])
        ctx.token.cancel()

    canceller = threading.Thread(target=cancel_once_started, daemon=True)
    canceller.start()
    with pytest.raises(Cancelled, match="cancelled while running"):
        run_command(ctx, "generate", [sys.executable, "-c", WAITS], tmp_path)
    canceller.join(timeout=30)
    assert len(started) == 2
    _, alive = psutil.wait_procs(started, timeout=10)
    assert not alive, [p.cmdline() for p in alive]
