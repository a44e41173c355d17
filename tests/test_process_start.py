"""A process's start as every process reads it: the identity `run` and a repair compare must agree exactly."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from prisma_doctor.process_start import now_key, same_start, start_key, started_at


def test_another_process_reads_the_same_start_and_an_epoch_time_that_psutil_agrees_with() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        process = psutil.Process(child.pid)
        code = "import sys, psutil; from prisma_doctor.process_start import start_key as k; "
        code += f"print(k(psutil.Process({child.pid})))"
        read_there = float(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        )
        assert same_start(read_there, start_key(process))
        assert start_key(process) <= now_key()
        # The child was started a moment ago, not at another time (a wrong field of /proc/PID/stat would say so).
        assert now_key() - start_key(process) < 30
        assert abs(started_at(process) - process.create_time()) < 1.5
        assert abs(started_at(process) - time.time()) < 30
        # Another process's start is not this one's.
        assert not same_start(start_key(psutil.Process(1)), start_key(process))
    finally:
        child.kill()
        child.wait()
