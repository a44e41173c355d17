"""Next 16's own record of a running dev server: `.next/dev/lock` and `.next/dev/logs/next-development.log`.

`next dev` writes `{"pid","port","hostname","appUrl","startedAt"}` to the lock while it runs and a JSON line per
message to the log, so a dev server started in any terminal can be read without owning that terminal.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.json_values import is_object
from prisma_doctor.logs import json_record
from prisma_doctor.logs.stream import DEFAULT_MAX_LINE

LOCK = Path(".next") / "dev" / "lock"
LOG = Path(".next") / "dev" / "logs" / "next-development.log"
# A JSON line longer than this is cut: the log is read in bounded memory like any other stream.
MAX_RECORD = DEFAULT_MAX_LINE


@dataclass(frozen=True)
class DevServerLock:
    pid: int
    port: int | None
    app_url: str | None
    started_at: datetime | None


def read_lock(project_root: str | Path) -> DevServerLock | None:
    """The lock of a `next dev` that runs (or was killed) in this project, or None when there is none or it is
    unreadable."""
    try:
        data = json.loads(project_files.read_text(Path(project_root) / LOCK, MAX_RECORD, errors="strict"))
    except (OSError, ValueError):
        return None
    if not is_object(data) or not isinstance(data.get("pid"), int):
        return None
    started = data.get("startedAt")
    return DevServerLock(
        pid=data["pid"],
        port=data.get("port") if isinstance(data.get("port"), int) else None,
        app_url=data.get("appUrl") if isinstance(data.get("appUrl"), str) else None,
        started_at=datetime.fromtimestamp(started / 1000, tz=timezone.utc)
        if isinstance(started, (int, float))
        else None,
    )


def message_lines(record: str) -> list[str]:
    """The text lines of one JSON line of the log (its `message`), or the line itself if it is not JSON."""
    data = json_record.parse(record)
    return [record] if data is None else json_record.texts(data)


class NextLogFollower:
    """Reads what was appended to the dev log since the last call; starts over when Next truncates or replaces it."""

    def __init__(self, project_root: str | Path, from_start: bool = False) -> None:
        self.path = Path(project_root) / LOG
        self._offset = 0
        self._inode: int | None = None
        self._partial = b""
        if not from_start:
            self._skip_existing()

    def _skip_existing(self) -> None:
        try:
            stat = self.path.stat()
        except OSError:
            return
        self._offset, self._inode = stat.st_size, stat.st_ino

    def poll(self) -> list[str]:
        """New message lines; [] when the log does not exist (yet)."""
        try:
            stat = self.path.stat()
        except OSError:
            return []
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            # A new dev server run (Next recreates the log) or a truncation: read the new file from its start.
            self._offset, self._inode, self._partial = 0, stat.st_ino, b""
        if stat.st_size == self._offset:
            return []
        with project_files.open_regular(self.path) as handle:
            handle.seek(self._offset)
            data = handle.read(max(0, min(stat.st_size - self._offset, 16 * MAX_RECORD)))
        self._offset += len(data)
        records = (self._partial + data).split(b"\n")
        self._partial = records.pop()[:MAX_RECORD]
        lines: list[str] = []
        for record in records:
            lines.extend(message_lines(record[:MAX_RECORD].decode("utf-8", errors="replace")))
        return lines


def log_exists(project_root: str | Path) -> bool:
    return os.path.exists(Path(project_root) / LOG)
