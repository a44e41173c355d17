"""Output of several dev servers in one stream, as a workspace runner prints it: Turborepo puts `web:dev: ` before
every line of the `dev` task of the package `web` (`@acme/web:dev: ` for a scoped one), and the tasks' lines
interleave. Each task's lines are read by a recognizer of their own, so that an error block of one is not cut by a
line of another, and its request line is its own.

A task's folder is known when its package manager's banner names it (`> web@ dev /repo/apps/web`, as pnpm prints
it): the frames a task printed relative to its folder (Next's `app/page.tsx`) are made absolute from there, since
the folder the stream is read for (the workspace root) is not theirs. Without a banner they stay as printed.
"""

from __future__ import annotations

import ntpath
import posixpath
import re
from dataclasses import fields, replace
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import Recognizer

# `web:dev: `, `@acme/web:dev: `, `api:dev:watch: `; the line may be only the prefix (`web:dev:`, an empty line).
_TASK_PREFIX = re.compile(r"^(?P<task>(?:@[\w.-]+/)?[\w.-]+(?::[\w.-]+)+):(?: |$)")
# The most tasks read apart: a workspace runs a few dozen; past this (a log that is all prefixes, hostile or not), the
# other tasks' lines are read as one stream, without their prefixes, so that memory stays bounded.
MAX_TASKS = 64
# The package manager's banner of a script: `> web@ dev /repo/apps/web`, `> @acme/web@1.0.0 dev C:\repo\apps\web`.
_BANNER = re.compile(r"^> (?:@[\w.-]+/)?[\w.-]+@\S* \S+ (?P<folder>/.*|[A-Za-z]:\\.*)$")


class TaskRecognizer:
    """A `Recognizer` for each task prefix of the stream (and one for the lines without one), behind the
    `Recognizer`'s own interface. Line numbers are the stream's."""

    def __init__(self) -> None:
        self._untasked = Recognizer()
        self._overflow = Recognizer()
        self._tasks: dict[str, Recognizer] = {}
        self._folders: dict[str, str] = {}
        self._line_number = 0

    def feed_line(self, line: str) -> list[ev.Event]:
        match = _TASK_PREFIX.match(line)
        if match is None:
            return self._fed(self._untasked, line)
        task = match["task"]
        text = line[match.end() :]
        recognizer = self._tasks.get(task)
        if recognizer is None:
            if len(self._tasks) >= MAX_TASKS:
                return self._fed(self._overflow, text)
            recognizer = self._tasks[task] = Recognizer()
        banner = _BANNER.match(text)
        if banner is not None:
            self._folders[task] = banner["folder"]
        out = self._fed(recognizer, text)
        folder = self._folders.get(task)
        return [_from_folder(event, folder) for event in out] if folder is not None else out

    def _fed(self, recognizer: Recognizer, line: str) -> list[ev.Event]:
        # Its previous line stays the task's own: lines of other tasks came between, not within.
        recognizer.continue_at(self._line_number)
        out = recognizer.feed_line(line)
        self._line_number = recognizer.lines_read
        return out

    @property
    def task_count(self) -> int:
        return len(self._tasks)

    @property
    def reading_block(self) -> bool:
        return (
            self._untasked.reading_block
            or self._overflow.reading_block
            or any(r.reading_block for r in self._tasks.values())
        )

    @property
    def watched_paths(self) -> frozenset[str]:
        watched = self._untasked.watched_paths | self._overflow.watched_paths
        return watched.union(*(r.watched_paths for r in self._tasks.values()))

    @property
    def lines_read(self) -> int:
        return self._line_number

    def skip_lines(self, count: int) -> None:
        self._line_number += count

    def flush(self) -> list[ev.Event]:
        out = self._untasked.flush() + self._overflow.flush()
        for task, recognizer in self._tasks.items():
            folder = self._folders.get(task)
            out += [_from_folder(e, folder) if folder is not None else e for e in recognizer.flush()]
        return sorted(out, key=lambda event: event.line)


def _from_folder(event: ev.Event, folder: str) -> ev.Event:
    """`event` with every relative source location in it made absolute from `folder`."""
    changes: dict[str, Any] = {}
    for item in fields(event):
        value = getattr(event, item.name)
        moved = _moved(value, folder)
        if moved is not value:
            changes[item.name] = moved
    return replace(event, **changes) if changes else event


def _moved(value: object, folder: str) -> Any:
    if isinstance(value, ev.SourceLocation):
        file = value.file
        if file.startswith(("node:", "file:", "<", "[", "webpack")) or _absolute(file):
            return value
        # `../../packages/db/src/index.ts` from `apps/web`: the path as the file system would read it.
        windows = "\\" in folder
        joined = ntpath.join(folder, file) if windows else posixpath.join(folder, file)
        return replace(value, file=ntpath.normpath(joined) if windows else posixpath.normpath(joined))
    if isinstance(value, ev.Invocation) and value.location is not None:
        location = _moved(value.location, folder)
        return value if location is value.location else replace(value, location=location)
    return value


def _absolute(file: str) -> bool:
    return PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute()
