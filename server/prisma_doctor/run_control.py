"""The handshake between `prisma-doctor run` and a repair that restarts the dev server `run` owns.

Each `run` says which command it runs in a record of its own, `.prisma-doctor/run-<pid>.json` (its pid, its start
and its child's pid), so that two `run`s in one folder (two servers of one folder) are each known: one file for the
folder let the second overwrite the first's (attacker's trial 4, case 16). A repair that stops a run's child first
asks that run to hold (`run-<pid>-request.json`: `hold`, with the repair's pid), so that `run` waits instead of
exiting with its child; when the repair is done it asks it to start: `run` starts its own command again, in the same
terminal, its output flowing on as before. A request is the run's own file and names the run it is for (its pid and
start): a run obeys only a request that names it, so another `run` of the folder neither holds nor starts its
command again for it. The request names no command: `run` only ever runs the one it was given. A hold whose repair
is gone (crashed, killed) is over: `run` starts its command again by itself.

Anything in a project's folder may have been planted, so every word of these files is taken only when the processes
agree with it. A record or request left by a run that was killed is ignored, and removed by the next `run` of the
folder only when it is provably that of a dead run: written in our form, naming the pid of its own file name, and
that pid runs no process now or one that started at another time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import psutil

from prisma_doctor.json_values import JsonObject, is_object
from prisma_doctor.process_names import is_prisma_doctor
from prisma_doctor.process_start import now_key, same_start, start_key
from prisma_doctor.repair.safe_fs import is_inside
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder

HOLD = "hold"
START = "start"
_RECORD = re.compile(r"^run-(\d+)\.json$")
_REQUEST = re.compile(r"^run-(\d+)-request\.json$")


def record_name(pid: int) -> str:
    """The file in which the `run` of pid `pid` names the child it runs."""
    return f"run-{pid}.json"


def request_name(pid: int) -> str:
    """The file in which a repair asks the `run` of pid `pid` to hold or to start its command again."""
    return f"run-{pid}-request.json"


@dataclass(frozen=True)
class RunOwner:
    """A live `prisma-doctor run` (its pid and `process_start.start_key`) and the child it runs."""

    pid: int
    created: float
    child: int


def announce(folder: StateFolder, child: int) -> None:
    """`run`: the child it runs now (after every start). The records of runs provably dead are removed first."""
    _forget_dead(folder)
    _write(folder, record_name(os.getpid()), {"pid": os.getpid(), "created": _own_start(), "child": child})


def withdraw(folder: StateFolder) -> None:
    """`run`: it runs nothing any more (it exits): its record and any request to it go."""
    for name in (record_name(os.getpid()), request_name(os.getpid())):
        _remove(folder, name)


def runs(folder: StateFolder) -> list[RunOwner]:
    """Every live `run` of this folder with the child it runs now, each taken only when the processes agree with its
    record: the run started when it says, the child is its own, and the child works in this folder. A folder copied
    whole (`cp -a app app-copy`) carries the records of the runs serving the original: live, agreeing, and another
    folder's, whose server a repair of the copy must never hold, stop or start."""
    found: list[RunOwner] = []
    for name in sorted(folder.names()):
        matched = _RECORD.match(name)
        data = _read(folder, name) if matched else None
        if matched is None or data is None:
            continue
        run, child = _named_run(int(matched.group(1)), data), data.get("child")
        if run is None or not isinstance(child, int):
            continue
        owner = RunOwner(*run, child)
        if _agrees(owner) and _works_in(owner.child, folder.root):
            found.append(owner)
    return found


def owner_of(folder: StateFolder, launcher: int) -> RunOwner | None:
    """The live `run` whose child is `launcher`."""
    return next((owner for owner in runs(folder) if owner.child == launcher), None)


def current_child(folder: StateFolder, owner: RunOwner) -> int | None:
    """The child `owner` runs now, per its record (None once it is gone, or its record is another run's)."""
    data = _read(folder, record_name(owner.pid))
    if not data or data.get("pid") != owner.pid or not isinstance(data.get("child"), int):
        return None
    created = data.get("created")
    if not isinstance(created, (int, float)) or not same_start(float(created), owner.created):
        return None
    return int(data["child"])


def ask(folder: StateFolder, action: str, owners: list[RunOwner]) -> None:
    """A repair: ask each of `owners` to hold (before its child is stopped) or to start its command again. Each
    request names its run (pid and start), and says when the repair's process started and when it was written, so
    that `run` can tell it from a planted one."""
    repair: dict[str, object] = {"action": action, "repair": os.getpid(), "created": _own_start(), "written": now_key()}
    for owner in owners:
        _write(folder, request_name(owner.pid), {**repair, "run": {"pid": owner.pid, "created": owner.created}})


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


def clear(folder: StateFolder, run: int) -> None:
    """No request to the `run` of pid `run` stands: after its hold ends, when it starts (a request from before it is
    none of its own), and when a repair leaves its server running as it was."""
    _remove(folder, request_name(run))


def _live_request(folder: StateFolder) -> JsonObject | None:
    """The request to this `run`, when it names this run and the process that wrote it agrees: anything in a
    project's folder may have been planted, so the pid must be a live prisma-doctor, started when the request says
    and before it was written."""
    data = _read(folder, request_name(os.getpid()))
    if not data or not isinstance(data.get("repair"), int):
        return None
    run = data.get("run")
    if not is_object(run) or run.get("pid") != os.getpid():
        return None
    run_created = run.get("created")
    if not isinstance(run_created, (int, float)) or not same_start(float(run_created), _own_start()):
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


def alive(owner: RunOwner) -> bool:
    """The run still runs: the process of its pid started when it did, and has not exited."""
    try:
        run = psutil.Process(owner.pid)
        return same_start(start_key(run), owner.created) and run.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, OSError):
        return False


def _agrees(owner: RunOwner) -> bool:
    """The run lives, started when its record says, and the child it names is its own."""
    try:
        run = psutil.Process(owner.pid)
        return same_start(start_key(run), owner.created) and psutil.Process(owner.child).ppid() == run.pid
    except (psutil.Error, OSError):
        return False


def _works_in(pid: int, root: Path) -> bool:
    """The process's working folder is `root` or lies in it, as the project's processes are told
    (`repair.processes`); one whose folder cannot be read is no evidence."""
    try:
        cwd = psutil.Process(pid).cwd()
    except (psutil.Error, OSError):
        return False
    return bool(cwd) and is_inside(Path(cwd), Path(os.path.realpath(root)))


def _forget_dead(folder: StateFolder) -> None:
    """Remove the records and requests of runs that provably ended: in our form, naming the pid of their own file
    name, and that pid runs nothing now or a process started at another time. Anything else is left as it is."""
    for name in folder.names():
        matched = _RECORD.match(name) or _REQUEST.match(name)
        data = _read(folder, name) if matched else None
        if matched is None or data is None:
            continue
        run = _named_run(int(matched.group(1)), data if _RECORD.match(name) else data.get("run"))
        if run is not None and _ended(*run):
            _remove(folder, name)


def _named_run(pid: int, run: object) -> tuple[int, float] | None:
    """The run (pid and start) that a record, or a request's `run`, names, when it is in our form and the pid is
    that of its own file's name."""
    if not is_object(run):
        return None
    named, created = run.get("pid"), run.get("created")
    if named != pid or not isinstance(created, (int, float)):
        return None
    return pid, float(created)


def _ended(pid: int, created: float) -> bool:
    try:
        return not same_start(start_key(psutil.Process(pid)), created)
    except psutil.NoSuchProcess:
        return True
    except (psutil.Error, OSError):
        return False  # not ours to read (another user's): not provably ended


def _own_start() -> float:
    return start_key(psutil.Process())


def _write(folder: StateFolder, name: str, data: dict[str, object]) -> None:
    # Without its state folder, `run` simply exits with its child as it always did.
    with contextlib.suppress(OSError, UnsafeStateFolder):
        folder.write_text(name, json.dumps(data))


def _remove(folder: StateFolder, name: str) -> None:
    with contextlib.suppress(OSError, UnsafeStateFolder):
        folder.remove(name)


def _read(folder: StateFolder, name: str) -> JsonObject | None:
    text = folder.read_text(name)
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if is_object(data) else None
