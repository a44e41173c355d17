"""Output files the server follows as they grow: `prisma-doctor run`'s capture and Next 16's own dev log.

Each follower returns only what was appended since its last poll, in bounded pieces, and starts over when the file
is replaced or truncated (a new `prisma-doctor run`, a new `next dev`).
"""

from __future__ import annotations

from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.logs.nextlog import NextLogFollower

DEV_OUTPUT = Path(".prisma-doctor") / "dev-output.log"
# Read at most this much per poll, so that a huge backlog never stalls the server; the rest comes next poll.
MAX_READ = 4 << 20


class FileFollower:
    """Raw chunks appended to one file. Starts at the file's end: output from before the server started is old news."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._inode: int | None = None
        try:
            stat = path.stat()
        except OSError:
            return
        self._offset, self._inode = stat.st_size, stat.st_ino

    def poll(self) -> bytes:
        try:
            stat = self.path.stat()
        except OSError:
            return b""
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            self._offset, self._inode = 0, stat.st_ino
        if stat.st_size == self._offset:
            return b""
        try:
            with project_files.open_regular(self.path) as handle:
                handle.seek(self._offset)
                data = handle.read(min(stat.st_size - self._offset, MAX_READ))
        except OSError:
            return b""
        self._offset += len(data)
        return data


class ProjectOutputFollowers:
    """Both followed outputs of one folder (a project, or an app of its workspace), as text chunks ready for a
    `LogReader`."""

    def __init__(self, root: Path) -> None:
        self.folder = root
        self.dev_output = FileFollower(root / DEV_OUTPUT)
        self.next_log = NextLogFollower(root)

    def poll(self) -> dict[str, bytes | str]:
        """New output by stream name; a stream with nothing new is left out."""
        chunks: dict[str, bytes | str] = {}
        data = self.dev_output.poll()
        if data:
            chunks["dev-output.log"] = data
        lines = self.next_log.poll()
        if lines:
            chunks["next-development.log"] = "\n".join(lines) + "\n"
        return chunks
