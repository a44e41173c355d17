"""`prisma-doctor run` holds its command only for a live repair of ours: a planted `run-request.json` is no hold."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from prisma_doctor.logs.events import DevServerReady
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.process_start import now_key, start_key
from prisma_doctor.run_control import REQUEST_FILE
from prisma_doctor.state_folder import StateFolder
from tests.helpers import DOCTOR, doctor, doctor_environment

# The command `run` wraps: it ends (exit 3) once the test says so, by creating `go`.
WAIT_THEN_EXIT = "while [ ! -e go ]; do sleep 0.05; done; exit 3"
LIMIT = 60


def _hold(root: Path, request: dict[str, object]) -> None:
    StateFolder(root).write_text(REQUEST_FILE, json.dumps({"action": "hold", **request}))


def _run(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*DOCTOR, "run", "--", "sh", "-c", WAIT_THEN_EXIT],
        cwd=root,
        env=doctor_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_announced(root: Path) -> None:
    for _ in range(LIMIT * 20):
        if '"child"' in (StateFolder(root).read_text("run.json") or ""):
            return
        time.sleep(0.05)
    raise AssertionError("run never announced its child")


def test_a_hold_planted_before_run_started_is_ignored(tmp_path: Path) -> None:
    _hold(tmp_path, {"repair": 1})  # the trial's file: pid 1 is alive, and no repair
    (tmp_path / "go").touch()
    done = doctor("run", "--", "sh", "-c", WAIT_THEN_EXIT, cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)
    assert done.returncode == 3
    assert "a repair stopped" not in done.stderr


def test_a_hold_naming_a_live_process_that_is_no_repair_of_ours_is_ignored(tmp_path: Path) -> None:
    run = _run(tmp_path)
    _wait_announced(tmp_path)
    # This test's own process, with its true start time: alive, but not prisma-doctor.
    me = psutil.Process()
    _hold(tmp_path, {"repair": me.pid, "created": start_key(me), "written": now_key()})
    (tmp_path / "go").touch()
    _, stderr = run.communicate(timeout=LIMIT)
    assert run.returncode == 3
    assert "a repair stopped" not in stderr


@contextlib.contextmanager
def _live_repair(root: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A live prisma-doctor process that stands for the repair (its command line names prisma_doctor); ended after."""
    repair = subprocess.Popen([*DOCTOR, "run", "--", "sleep", "60"], cwd=root / "..", env=doctor_environment())
    try:
        for _ in range(200):
            if "prisma_doctor" in psutil.Process(repair.pid).cmdline():
                break
            time.sleep(0.05)
        yield repair
    finally:
        repair.terminate()
        repair.wait(timeout=LIMIT)


def _request(root: Path, action: str, repair: subprocess.Popen[bytes], runs: list[int]) -> None:
    created = start_key(psutil.Process(repair.pid))
    request = {"action": action, "repair": repair.pid, "created": created, "written": now_key(), "runs": runs}
    StateFolder(root).write_text(REQUEST_FILE, json.dumps(request))


@pytest.mark.parametrize("action", ["hold", "start"])
def test_a_live_repairs_request_has_the_command_started_again(tmp_path: Path, action: str) -> None:
    """hold: `run` holds while the repair lives, then starts its command again. start (issue 2): the repair's stop
    and its start both came before `run` saw its child end (its output pipe stays open until the last of the tree
    exits; under load that takes a while); the hold is over by then, the start stands for it, and `run` must not
    exit 143 with the app down."""
    run = _run(tmp_path)
    _wait_announced(tmp_path)
    # A live prisma-doctor process stands for the repair.
    with _live_repair(tmp_path) as repair:
        _request(tmp_path, action, repair, [run.pid])
        (tmp_path / "go").touch()
        if action == "hold":
            time.sleep(2)
            assert run.poll() is None, "run holds while the repair lives"
        _, stderr = run.communicate(timeout=LIMIT) if action == "start" else ("", "")
    if action == "hold":
        _, stderr = run.communicate(timeout=LIMIT)
        assert "a repair stopped the dev server" in stderr
    assert "starting `sh -c" in stderr and "again" in stderr, stderr
    assert run.returncode == 3  # started again once; the command ended at once, and with no request `run` exits
    # The recorded output says where the new process begins: what the old one printed is history to a later reader
    # (explain, the editor's follower), read as a restart.
    recorded = StateFolder(tmp_path).read_text("dev-output.log") or ""
    (marker,) = [line for line in recorded.splitlines() if line.startswith("--- prisma-doctor restarted: ")]
    assert "sh -c" in marker and f"(in {tmp_path})" in marker, recorded
    (restart,) = [e for e in read_events([recorded]) if isinstance(e, DevServerReady)]
    assert restart.text == marker
    # And in the terminal, where a person (or the editor, reading the terminal) sees `run` start it again.
    (said,) = [e for e in read_events([stderr]) if isinstance(e, DevServerReady)]
    assert said.text.startswith("prisma-doctor: starting `sh -c") and said.text.endswith("` again"), said


def test_a_request_for_another_run_of_the_folder_is_not_this_runs(tmp_path: Path) -> None:
    # Attacker's trial 4: two `prisma-doctor run` in one folder; the repair's START for the second made the first
    # start its command again too, and the repair then found a copy started "not by it".
    run = _run(tmp_path)
    _wait_announced(tmp_path)
    with _live_repair(tmp_path) as repair:
        _request(tmp_path, "start", repair, [repair.pid])  # another run's pid: a live prisma-doctor, not this run
        (tmp_path / "go").touch()
        _, stderr = run.communicate(timeout=LIMIT)
    assert run.returncode == 3
    assert "again" not in stderr, stderr
