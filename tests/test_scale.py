"""Inputs far larger than any real one, as whole commands: memory and time stay modest, and the output says why.

Memory and CPU time are those of the command's own process (`wait4`), which runs under an address-space limit so
that a regression fails here rather than exhausting the machine.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from prisma_doctor.schema.locate import MAX_SCHEMA_BYTES
from tests.helpers import DOCTOR, doctor_environment

ADDRESS_SPACE_LIMIT = 2 * 1024**3


class Measured:
    def __init__(self, code: int, stdout: bytes, stderr: str, usage: resource.struct_rusage, seconds: float) -> None:
        self.code, self.stdout, self.stderr, self.seconds = code, stdout, stderr, seconds
        self.peak_mb = usage.ru_maxrss // 1024
        self.cpu_seconds = usage.ru_utime + usage.ru_stime


def run_measured(args: list[str], cwd: Path) -> Measured:
    """`prisma-doctor ARGS`, with its peak RSS and CPU time (of its own process: `wait4`) and its wall time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))

    started = time.monotonic()
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [*DOCTOR, *args],
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            env=doctor_environment(),
            preexec_fn=limit,
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            raise
        process.returncode = code = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        stdout.seek(0)
        stderr.seek(0)
        return Measured(code, stdout.read(), stderr.read().decode(errors="replace"), usage, seconds)


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
    run = run_measured(["schema", str(path)], tmp_path)
    assert run.code == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr and "MemoryError" not in run.stderr
    assert f"is larger than {MAX_SCHEMA_BYTES // (1024 * 1024)} MiB; only the start was read" in run.stderr
    assert says in run.stderr
    # Unbounded, the same files took 4 to 5 GB and 20 to 30 s.
    assert run.peak_mb < 400, run.peak_mb
    assert run.seconds < 60


SCHEMA = """generator client {
  provider = "prisma-client-js"
}

datasource db {
  provider = "sqlite"
  url      = "file:./dev.db"
}

model User {
  id Int @id
}
"""


def project(folder: Path) -> None:
    (folder / "prisma").mkdir(parents=True)
    (folder / "prisma" / "schema.prisma").write_text(SCHEMA)
    (folder / "package.json").write_text('{"name": "app"}')


def test_check_of_projects_nested_in_one_another_costs_about_as_much_as_side_by_side(tmp_path: Path) -> None:
    count = 200
    nested = tmp_path / "nested"
    for depth in range(1, count + 1):
        project(nested.joinpath(*["p"] * depth))
    for index in range(count):
        project(tmp_path / "side" / f"p{index}")

    runs = {layout: run_measured(["check", "--json", layout], tmp_path) for layout in ("side", "nested")}
    for layout, run in runs.items():
        assert run.code == 1, run.stderr  # (no client is generated anywhere)
        reports = json.loads(run.stdout)
        assert len(reports) == count, layout
        assert all(r["state"] == "out-of-sync" for r in reports)
    # Compared in CPU time, which a busy machine disturbs least. Each nested project used to search all those below
    # it and climb all those above it, several times: 23 s for 200 against 1 s side by side, 116 s for 500.
    assert runs["nested"].cpu_seconds < 4 * runs["side"].cpu_seconds, {k: r.cpu_seconds for k, r in runs.items()}
