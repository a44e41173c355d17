"""The handshake between `prisma-doctor run` and a repair that restarts the dev server `run` owns.

`run` says in `.prisma-doctor/run.json` which command it runs (its own pid and its child's). A repair that stops
that child first asks `run` to hold (`run-request.json`: `hold`, with the repair's pid), so that `run` waits instead
of exiting with its child; when the repair is done it asks `run` to start: `run` starts its own command again, in
the same terminal, its output flowing on as before. The request names no command: `run` only ever runs the one it
was given. A hold whose repair is gone (crashed, killed) is over: `run` starts its command again by itself. The request
names the runs it is for (their pids): another `run` in the same folder (two servers of one folder) neither holds
nor starts its command again for it (attacker's trial 4: the second run's START had the first start a copy too).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass

import psutil

from prisma_doctor.json_values import JsonObject, is_object
from prisma_doctor.process_names import is_prisma_doctor
from prisma_doctor.process_start import now_key, same_start, start_key
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder

RUN_FILE = "run.json"
REQUEST_FILE = "run-request.json"
HOLD = "hold"
START = "start"


@dataclass(frozen=True)
class RunOwner:
    """A live `prisma-doctor run` and the child it runs."""

    pid: int
    child: int


def announce(folder: StateFolder, child: int) -> None:
    """`run`: the child it runs now (after every start)."""
    _write(folder, RUN_FILE, {"pid": os.getpid(), "created": start_key(psutil.Process()), "child": child})


def withdraw(folder: StateFolder) -> None:
    """`run`: it runs nothing any more (it exits)."""
    owner = _read(folder, RUN_FILE)
    if owner is not None and owner.get("pid") == os.getpid():
        _write(folder, RUN_FILE, {})


def owner_of(folder: StateFolder, launcher: int) -> RunOwner | None:
    """The live `run` whose child is `launcher`: the file's word is taken only when the processes agree (the pid is
    `launcher`'s parent, started when the file says), since anything in a project's folder may have been planted."""
    data = _read(folder, RUN_FILE)
    if not data or not isinstance(data.get("pid"), int) or data.get("child") != launcher:
        return None
    try:
        run = psutil.Process(data["pid"])
        if not same_start(start_key(run), float(data.get("created", 0))):
            return None
        if psutil.Process(launcher).ppid() != run.pid:
            return None
    except (psutil.Error, TypeError, ValueError):
        return None
    return RunOwner(run.pid, launcher)


def running_child(folder: StateFolder) -> RunOwner | None:
    """The live `run` of this folder and the child it runs now, when the processes agree with its file."""
    data = _read(folder, RUN_FILE)
    child = data.get("child") if data else None
    return owner_of(folder, child) if isinstance(child, int) else None


def current_child(folder: StateFolder, owner: RunOwner) -> int | None:
    """The child `owner` runs now, per its file (None while it holds or once it is gone)."""
    data = _read(folder, RUN_FILE)
    if not data or data.get("pid") != owner.pid or not isinstance(data.get("child"), int):
        return None
    return int(data["child"])


def ask(folder: StateFolder, action: str, runs: list[int]) -> None:
    """A repair: ask the `run`s `runs` (their pids) to hold (before their children are stopped) or to start their
    command again. The request says when the repair's process started and when it was written, so that `run` can
    tell it from a planted one."""
    created = start_key(psutil.Process())
    request: dict[str, object] = {
        "action": action,
        "repair": os.getpid(),
        "created": created,
        "written": now_key(),
        "runs": runs,
    }
    _write(folder, REQUEST_FILE, request)


def held_by(folder: StateFolder) -> int | None:
    """`run`: the pid of the live repair that asked it to hold, or None (no hold, a start asked, the repair gone)."""
    data = _live_request(folder)
    return data["repair"] if data is not None and data.get("action") == HOLD else None


def asked_to_start(folder: StateFolder, since: float) -> bool:
    """`run`, once its child ended: whether a live repair asked it to start its command again after `since` (its
    child's start, on `process_start.now_key`'s clock). The repair's stop and its start may both come before `run`
    sees the child end (its output pipe stays open until the last of the tree exits, and under load that takes a
    while): the hold is over by then, and the start stands for it."""
    data = _live_request(folder)
    written = data.get("written") if data is not None else None
    return data is not None and data.get("action") == START and isinstance(written, (int, float)) and written >= since


def _live_request(folder: StateFolder) -> JsonObject | None:
    """The request for this `run`, when the process that wrote it agrees: anything in a project's folder may have
    been planted, so the pid must be a live prisma-doctor, started when the request says and before it was
    written."""
    data = _read(folder, REQUEST_FILE)
    if not data or not isinstance(data.get("repair"), int):
        return None
    runs = data.get("runs")
    if not isinstance(runs, list) or os.getpid() not in runs:
        return None
    created, written = data.get("created"), data.get("written")
    if not isinstance(created, (int, float)) or not isinstance(written, (int, float)) or created > written:
        return None
    try:
        repair = psutil.Process(data["repair"])
        if not same_start(start_key(repair), created) or repair.status() == psutil.STATUS_ZOMBIE:
            return None
        if not is_prisma_doctor(repair.cmdline()):
            return None
    except (psutil.Error, OSError):
        return None
    return data


def clear(folder: StateFolder) -> None:
    """No request stands: after a hold ends, and when `run` starts (a request from before it is none of its own)."""
    _write(folder, REQUEST_FILE, {})


def _write(folder: StateFolder, name: str, data: dict[str, object]) -> None:
    # Without its state folder, `run` simply exits with its child as it always did.
    with contextlib.suppress(OSError, UnsafeStateFolder):
        folder.write_text(name, json.dumps(data))


def _read(folder: StateFolder, name: str) -> JsonObject | None:
    text = folder.read_text(name)
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if is_object(data) else None
