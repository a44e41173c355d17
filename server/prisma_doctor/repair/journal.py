"""The repair's state folder `.prisma-doctor/` in the project: one repair at a time, and a journal of its steps.

The folder carries its own `.gitignore` (`*`), so it never shows up in the project's git status.
The lock file names the pid and start time of the process that holds it; a lock whose process has exited (or
whose pid now belongs to a process started at another time) is stale and taken over, so a crashed run never
blocks the project forever. The journal (`journal.json`) records each step as it starts and ends, and what was
stopped, so that the next run can say what an interrupted repair left undone and finish it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

STATE_DIR = ".prisma-doctor"


class RepairBusy(Exception):
    """Another repair of the same project is running."""


def state_dir(root: Path) -> Path:
    folder = root / STATE_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Written by prisma-doctor: its repair journal and logs stay out of git.\n*\n")
    return folder


def _process_start(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


class RepairLock:
    """An exclusive, crash-tolerant lock on one project's repairs. Use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.path = state_dir(root) / "repair.lock"

    def holder(self) -> dict[str, Any] | None:
        """The live process that holds the lock, or None when it is free or stale."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            pid, started = int(data["pid"]), float(data["started"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        actual = _process_start(pid)
        if actual is None or abs(actual - started) > 1.0:
            return None
        return data

    def acquire(self) -> None:
        record = json.dumps({"pid": os.getpid(), "started": _process_start(os.getpid()), "at": time.time()})
        for _ in range(2):
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder is not None:
                    raise RepairBusy(f"another repair of this project is running (pid {holder['pid']})") from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(record)
            return
        raise RepairBusy("could not take the repair lock")

    def release(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> RepairLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class Journal:
    """What one repair did, step by step, saved after every change."""

    path: Path
    data: dict[str, Any]

    @classmethod
    def start(cls, root: Path, kind: str, steps: list[str], carried: dict[str, Any] | None = None) -> Journal:
        data = {
            "kind": kind,
            "pid": os.getpid(),
            "started": time.time(),
            "finished": None,
            "outcome": None,
            "steps": [{"name": name, "status": "pending", "detail": ""} for name in steps],
            "stopped": [],
            "dev_servers": [],
            "packages_removed": False,
        }
        data.update(carried or {})
        journal = cls(state_dir(root) / "journal.json", data)
        journal.save()
        return journal

    @staticmethod
    def previous(root: Path) -> dict[str, Any] | None:
        try:
            data = json.loads((root / STATE_DIR / "journal.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def save(self) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        os.replace(temporary, self.path)

    def mark(self, name: str, status: str, detail: str = "") -> None:
        for step in self.data["steps"]:
            if step["name"] == name:
                step["status"] = status
                step["detail"] = detail
        self.save()

    def finish(self, outcome: str) -> None:
        self.data["finished"] = time.time()
        self.data["outcome"] = outcome
        self.save()


def interrupted(previous: dict[str, Any] | None) -> bool:
    """Whether the previous repair stopped before its end: it crashed, was cancelled, or a step failed."""
    return previous is not None and previous.get("outcome") != "done" and bool(unfinished_steps(previous))


def unfinished_steps(previous: dict[str, Any]) -> list[str]:
    return [step["name"] for step in previous.get("steps", []) if step.get("status") not in ("done", "skipped")]


def describe_interruption(previous: dict[str, Any]) -> str:
    done = [step["name"] for step in previous.get("steps", []) if step.get("status") in ("done", "skipped")]
    left = unfinished_steps(previous)
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(previous.get("started", 0)))
    how = "was interrupted" if previous.get("outcome") in (None, "cancelled") else "failed"
    return (
        f"a {previous.get('kind', 'repair')} started at {when} (pid {previous.get('pid')}) {how}: "
        f"done {', '.join(done) or 'nothing'}; left {', '.join(left) or 'nothing'}"
    )
