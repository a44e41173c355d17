"""The repair's record in `.prisma-doctor/` (see `prisma_doctor.state_folder`): one repair at a time, and a journal.

The lock is an operating-system lock on `repair.lock` (`flock`, `msvcrt.locking` on Windows): it is taken
atomically, and it is released by the system when its process ends, so a crashed run never blocks the project
and two runs can never both take over a stale lock. The file names the holder's pid for the message.
The journal (`journal.json`, 0600) records each step as it starts and ends, the dev servers it stops and each folder
it sets aside (before the move), so that the next check and repair can tell what an unfinished one left
(`interruption.py`). It is a record, never a source of commands: a repository can
carry one. It keeps no environment: a stopped server's variables hold secrets.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prisma_doctor.json_values import is_object
from prisma_doctor.repair.statuses import JournalStatus
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder

JOURNAL = "journal.json"
LOCK = "repair.lock"


class RepairBusy(Exception):
    """Another repair of the same project is running (or the lock cannot be used safely)."""


class UnusableLock(RepairBusy):
    """The lock cannot be used safely (a planted link, a hard link): no repair runs, and none can."""


class RepairLock:
    """An exclusive lock on one project's repairs, held by the operating system. Use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.folder = StateFolder(root)
        self._descriptor: int | None = None

    def acquire(self) -> None:
        try:
            descriptor = self.folder.open_lock(LOCK)
        except (UnsafeStateFolder, OSError) as error:
            raise UnusableLock(f"the repair lock cannot be used: {error}") from None
        if not _try_lock(descriptor):
            holder = _read_holder(descriptor)
            os.close(descriptor)
            who = f" (pid {holder})" if holder else ""
            raise RepairBusy(f"another repair of this project is running{who}")
        os.ftruncate(descriptor, 0)
        os.lseek(descriptor, 0, os.SEEK_SET)
        os.write(descriptor, json.dumps({"pid": os.getpid(), "at": time.time()}).encode())
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor is not None:
            # Closing the descriptor releases the lock; the file stays, empty of meaning, for the next run.
            os.close(self._descriptor)
            self._descriptor = None

    def __enter__(self) -> RepairLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_refusal(root: Path, *, write: bool = True) -> str | None:
    """Why no repair of the project may start now, tried on its lock and let go at once: another repair holds it, or
    the lock cannot be used safely (`.prisma-doctor` a link, `repair.lock` a hard link to a file elsewhere). None
    when a repair may take it (a lock file not made yet is made by the repair that takes it). Without `write` (a
    preview) the lock is only tried: its holder's pid and time are left as they are."""
    folder = StateFolder(root).path
    plain_folder = folder.is_dir() and not folder.is_symlink()
    if not os.path.lexists(folder) or (plain_folder and not os.path.lexists(folder / LOCK)):
        # Nothing to try without making it, and a plan (a dry run) makes nothing.
        return None
    if not write and os.name != "nt":
        return _tried_lock(root)
    lock = RepairLock(root)
    try:
        lock.acquire()
    except RepairBusy as error:
        return f"{error}: nothing was changed"
    lock.release()
    return None


def link_refusals(root: Path) -> list[str]:
    """Why no repair may start: `.prisma-doctor`, or an entry of it the repair writes (its `aside` folder, its
    journal, its logs), is a link. Said in the plan, before anything is stopped; a run that found it later could
    only stop half-way (an `aside` link) or replace the link without a word (a journal)."""
    return [
        f"{path} is a link to {target}: a repair writes there and never through a link, nor replaces one unasked. "
        f"Remove the link (`rm {path}`: the link only, not where it leads), then repair: nothing was changed"
        for path, target in StateFolder(root).links()
    ]


def _tried_lock(root: Path) -> str | None:
    """`lock_refusal` of a preview: the lock opened read-only and tried, nothing written."""
    folder = StateFolder(root)
    try:
        descriptor = folder.open_lock(LOCK, create=False)
    except (UnsafeStateFolder, OSError) as error:
        return f"the repair lock cannot be used: {error}: nothing was changed"
    try:
        if _try_lock(descriptor):
            return None
        holder = _read_holder(descriptor)
        who = f" (pid {holder})" if holder else ""
        return f"another repair of this project is running{who}: nothing was changed"
    finally:
        os.close(descriptor)  # closing lets go of a lock it took


def _try_lock(descriptor: int) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(descriptor: int) -> int | None:
    try:
        os.lseek(descriptor, 0, os.SEEK_SET)
        data = json.loads(os.read(descriptor, 4096) or b"{}")
        return int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass
class Journal:
    """What one repair did, step by step, saved after every change."""

    folder: StateFolder
    data: dict[str, Any]
    # Why the journal could not be written while the repair ran (its folder renamed or removed): the pipeline
    # undoes what it did rather than go on unrecorded. None while every write succeeds.
    lost: str | None = None

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
            # Each folder moved out of the way, recorded before the move: `{"from", "to", "provider", "extension"}`.
            "aside": [],
        }
        data.update(carried or {})
        journal = cls(StateFolder(root), data)
        # At the start a journal that cannot be written stops the repair before it changes anything.
        journal.folder.write_text(JOURNAL, json.dumps(journal.data, indent=2))
        return journal

    @staticmethod
    def previous(root: Path) -> dict[str, Any] | None:
        """The last repair's record, when it is one a repair of this user could have written (`private`): a journal
        0644 in a folder 0755, as a clone of a repository that carries one leaves it, is no record of a repair here
        (attacker's trial 13, L8: it made `check` report a repair that never happened)."""
        text = StateFolder(root).read_text(JOURNAL, private=True)
        if text is None:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return data if is_object(data) else None

    def save(self) -> None:
        """Write the journal; a write that fails is kept in `lost` (never raised half-way through a repair)."""
        try:
            self.folder.write_text(JOURNAL, json.dumps(self.data, indent=2))
        except (UnsafeStateFolder, OSError) as error:
            self.lost = f"its journal could not be written in {self.folder.path} ({error})"

    def move_to(self, root: Path) -> None:
        """The project now lives at `root`: the journal is written there from now on."""
        self.folder = StateFolder(root)
        self.save()

    def mark(self, name: str, status: JournalStatus, detail: str = "", seconds: float | None = None) -> None:
        for step in self.data["steps"]:
            if step["name"] == name:
                step["status"] = status
                step["detail"] = detail
                if seconds is not None:
                    step["seconds"] = round(seconds, 3)
        self.save()

    def record_aside(self, entry: dict[str, Any]) -> None:
        self.data["aside"].append(entry)
        self.save()

    def finish(self, outcome: str) -> None:
        self.data["finished"] = time.time()
        self.data["outcome"] = outcome
        self.save()
