"""`prisma-doctor run` holds its command only for a live repair of ours: a planted request is no hold; each run has a
record of its own, and a record left by a dead run is removed by the next run only when it provably is one."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from prisma_doctor.logs.events import DevServerReady
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.process_start import now_key, start_key
from prisma_doctor.run_control import record_name, request_name
from prisma_doctor.state_folder import StateFolder
from tests.helpers import DOCTOR, doctor, doctor_environment

# The command `run` wraps: it ends (exit 3) once the test says so, by creating `go`.
WAIT_THEN_EXIT = "while [ ! -e go ]; do sleep 0.05; done; exit 3"
LIMIT = 60


def _hold(root: Path, run: int, request: dict[str, object]) -> None:
    StateFolder(root).write_text(request_name(run), json.dumps({"action": "hold", **request}))


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


def _wait_announced(root: Path, run: subprocess.Popen[str]) -> None:
    for _ in range(LIMIT * 20):
        if '"child"' in (StateFolder(root).read_text(record_name(run.pid)) or ""):
            return
        time.sleep(0.05)
    raise AssertionError("run never announced its child")


def test_a_hold_that_names_no_repair_is_ignored(tmp_path: Path) -> None:
    # The trial's file (pid 1 is alive, and no repair), in the run's own request file once it runs.
    run = _run(tmp_path)
    _wait_announced(tmp_path, run)
    _hold(tmp_path, run.pid, {"repair": 1, "run": {"pid": run.pid, "created": start_key(psutil.Process(run.pid))}})
    (tmp_path / "go").touch()
    _, stderr = run.communicate(timeout=LIMIT)
    assert run.returncode == 3
    assert "a repair stopped" not in stderr


def test_a_hold_naming_a_live_process_that_is_no_repair_of_ours_is_ignored(tmp_path: Path) -> None:
    run = _run(tmp_path)
    _wait_announced(tmp_path, run)
    # This test's own process, with its true start time: alive, but not prisma-doctor.
    me = psutil.Process()
    run_itself = {"pid": run.pid, "created": start_key(psutil.Process(run.pid))}
    _hold(tmp_path, run.pid, {"repair": me.pid, "created": start_key(me), "written": now_key(), "run": run_itself})
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


def _request(root: Path, action: str, repair: subprocess.Popen[bytes], to: int, named: int) -> None:
    """A live repair's request in the file of the run `to`, naming the run `named` (its pid and true start)."""
    created = start_key(psutil.Process(repair.pid))
    run = {"pid": named, "created": start_key(psutil.Process(named))}
    request = {"action": action, "repair": repair.pid, "created": created, "written": now_key(), "run": run}
    StateFolder(root).write_text(request_name(to), json.dumps(request))


@pytest.mark.parametrize("action", ["hold", "start"])
def test_a_live_repairs_request_has_the_command_started_again(tmp_path: Path, action: str) -> None:
    """hold: `run` holds while the repair lives, then starts its command again. start (issue 2): the repair's stop
    and its start both came before `run` saw its child end (its output pipe stays open until the last of the tree
    exits; under load that takes a while); the hold is over by then, the start stands for it, and `run` must not
    exit 143 with the app down."""
    run = _run(tmp_path)
    _wait_announced(tmp_path, run)
    # A live prisma-doctor process stands for the repair.
    with _live_repair(tmp_path) as repair:
        _request(tmp_path, action, repair, run.pid, run.pid)
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
    _wait_announced(tmp_path, run)
    with _live_repair(tmp_path) as repair:
        # In this run's file, yet naming another run: a live prisma-doctor, not this run.
        _request(tmp_path, "start", repair, run.pid, repair.pid)
        (tmp_path / "go").touch()
        _, stderr = run.communicate(timeout=LIMIT)
    assert run.returncode == 3
    assert "again" not in stderr, stderr


def test_the_next_run_removes_only_the_records_of_runs_provably_dead(tmp_path: Path) -> None:
    """Each run has its own record; one left by a run that was killed is removed by the next run of the folder only
    when it is in our form and its pid runs nothing now, or a process that started at another time."""
    state = StateFolder(tmp_path)
    ended = subprocess.Popen(["true"])
    ended.wait()
    me = psutil.Process()
    dead = {"pid": ended.pid, "created": 1.0, "child": 2}
    reused = {"pid": 1, "created": start_key(psutil.Process(1)) + 100, "child": 2}  # pid 1 runs, started otherwise
    live = {"pid": me.pid, "created": start_key(me), "child": 2}  # this test: a live process, started as it says
    records = {record_name(ended.pid): dead, record_name(1): reused, record_name(me.pid): live}
    records[request_name(ended.pid)] = {"action": "hold", "repair": 1, "run": {"pid": ended.pid, "created": 1.0}}
    records["run-5.json"] = {"pid": ended.pid, "created": 1.0, "child": 2}  # not the pid of its own name: not ours
    for name, data in records.items():
        state.write_text(name, json.dumps(data))
    os.mkfifo(state.path / "run-7.json", 0o600)

    done = doctor("run", "--", "true", cwd=tmp_path, stdin=subprocess.DEVNULL, timeout=LIMIT)

    assert done.returncode == 0, done.stderr
    left = set(state.names())
    assert {record_name(ended.pid), record_name(1), request_name(ended.pid)}.isdisjoint(left), left
    assert {record_name(me.pid), "run-5.json", "run-7.json"} <= left, left
    # The run's own record went with it.
    assert {name for name in left if name.startswith("run-")} == {record_name(me.pid), "run-5.json", "run-7.json"}
