"""Inputs far larger than any real one, as whole commands: memory and time stay modest, and the output says why.

Memory is the peak resident size of the command's own process (`wait4`), which is run under an address-space limit
so that a regression fails here rather than exhausting the machine.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

SERVER = str(Path(__file__).resolve().parents[1] / "server")
ADDRESS_SPACE_LIMIT = 2 * 1024**3


def run_measured(args: list[str], cwd: Path, timeout: float = 120) -> tuple[int, str, int, float]:
    """Exit code, stderr, peak RSS in MB and seconds of `prisma-doctor ARGS`."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "prisma_doctor", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": SERVER},
        preexec_fn=limit,
    )
    assert process.stderr is not None
    try:
        stderr = process.stderr.read().decode(errors="replace")  # (read to the end: the process may write a lot)
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if process.poll() is None:
            process.kill()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, stderr, usage.ru_maxrss // 1024, time.monotonic() - started


def garbage(size: int, alphabet: bytes) -> bytes:
    """`size` bytes drawn from `alphabet` (one-character tokens, the costliest text for a tokenizer)."""
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    return random.Random(20).randbytes(size).translate(table)


@pytest.mark.parametrize(
    ("alphabet", "says"),
    [
        # One line: a line this long is no declaration.
        (b"{}()[]@=,.:?!ab1 ", "characters long, more than a schema line may be (1,048,576); it was not read"),
        # Short lines: the file has far more tokens than any schema.
        (b"{}()[]@=,.:?!ab1 \n", "words and symbols, far more than any schema: the rest of it was not read"),
    ],
)
def test_schema_of_20_mb_of_garbage_ends_quickly_with_a_reason(tmp_path: Path, alphabet: bytes, says: str) -> None:
    path = tmp_path / "garbage.prisma"
    path.write_bytes(garbage(20 * 1024 * 1024, alphabet))
    code, stderr, peak_mb, seconds = run_measured(["schema", str(path)], tmp_path)
    assert code == 1, stderr[-2000:]
    assert "Traceback" not in stderr and "MemoryError" not in stderr
    assert "is larger than 16 MiB; only the start was read" in stderr
    assert says in stderr
    # Unbounded, the same files took 4 to 5 GB and 20 to 30 s.
    assert peak_mb < 400, peak_mb
    assert seconds < 60
