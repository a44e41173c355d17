"""`prisma-doctor explain [FILE|-] [--project DIR] [--json]`: name the causes of the Prisma errors in a finished log.

FILE is raw terminal output (ANSI kept or not) or Next 16's `.next/dev/logs/next-development.log` (JSON lines);
`-` or nothing reads standard input, or, when nothing is piped in, the project's Next dev log.
Exit codes: 0 nothing wrong found, 1 findings, 2 bad usage (binary data that holds no Prisma error among them).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from prisma_doctor.cli import UsageError
from prisma_doctor.cli.render import escaped

if TYPE_CHECKING:
    from prisma_doctor.logs.events import Event

CHUNK = 64 * 1024
# Whether the log's input is being waited for: a Ctrl+C then ends the wait at once (`_ctrl_c_ends_the_input`).
_READING = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", help="the log to read (default: standard input)")
    parser.add_argument("--project", type=Path, help="the project the log came from (default: .)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.cli.render import print_findings, print_report
    from prisma_doctor.diagnosis import diagnose_report
    from prisma_doctor.diagnosis.facts import facts_for_folder
    from prisma_doctor.findings import SyncState

    root = (args.project or Path(".")).resolve()
    if args.project is not None and not root.is_dir():
        raise UsageError(f"{args.project} is not a folder")
    facts = facts_for_folder(root)
    events = read_log_events(*_open(args.file, root))
    report = diagnose_report(events, facts, str(root))
    if not report.findings and not args.json:
        # Not the project's sync state: this command speaks of the output it was given (`check` speaks of the rest).
        print("no Prisma error in this output")
        return 0
    if report.state is SyncState.IN_SYNC and not args.json:
        # Only earlier errors (resolved since, or before a restart): the output says nothing of the project now, and
        # "in sync" is `check`'s word for the whole project, which this output never saw (user's trial 13, L2).
        print_findings(report.findings, sys.stdout)
        print(
            "no current Prisma error in this output (those above are earlier ones); `prisma-doctor check` says "
            "whether the project is in sync"
        )
        return 0
    print_report(report, args.json)
    return 1 if any(f.severity.value in ("error", "warning") for f in report.findings) else 0


def _open(name: str, root: Path) -> tuple[BinaryIO, str]:
    """The log and the name to call it by."""
    if name == "-":
        if not sys.stdin.isatty():
            if _live_pipe() and sys.stderr.isatty():
                # Said at once: a person watching a live pipe would otherwise see nothing until the command ends.
                print(
                    "prisma-doctor explain: reading standard input until it ends (Ctrl+C: the findings so far); to "
                    "see each finding as your dev server prints it, run it as `prisma-doctor run -- <command>`",
                    file=sys.stderr,
                    flush=True,
                )
            return sys.stdin.buffer, "standard input"
        # Nothing piped in: the log of the project's Next dev server, wherever it was started.
        from prisma_doctor.logs.nextlog import LOG

        if (root / LOG).is_file():
            name = str(root / LOG)
        else:
            raise UsageError("give a log file, or pipe the output into `prisma-doctor explain -`")
    try:
        return open(name, "rb"), name
    except OSError as error:
        raise UsageError(f"cannot read {name}: {error.strerror or error}") from error


@contextlib.contextmanager
def _ctrl_c_ends_the_input() -> Iterator[list[bool]]:
    """While the log is read, a first Ctrl+C ends the input rather than the command (its list becomes [True]): it
    breaks a wait for input at once, and otherwise takes effect before the next read, so that an event being
    diagnosed is not lost. Afterwards Ctrl+C is Python's again: a second one ends the command."""
    pressed: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def first_press(_number: int, _frame: object) -> None:
        pressed.append(True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if _READING:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, first_press)
    try:
        yield pressed
    finally:
        if not pressed:
            signal.signal(signal.SIGINT, previous)


def _live_pipe() -> bool:
    """Standard input is a pipe (or socket) another command is still writing into, not a file."""
    import os
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def read_log_events(stream: BinaryIO, name: str = "the input") -> Iterator[Event]:
    """Every event of a log, as it is read (a log of any size in bounded memory). The bytes go to the reader as they
    are: it tells UTF-16 and UTF-32 from UTF-8, and reads a JSON log record (Next 16's dev log, pino) through its
    message and error."""
    from prisma_doctor.logs.recognize import LogReader

    seen = 0
    with stream:
        reader = LogReader()
        with _ctrl_c_ends_the_input() as pressed:
            try:
                for chunk in _chunks(stream):
                    for event in reader.feed(chunk):
                        seen += 1
                        yield event
                    if pressed:
                        break
            except KeyboardInterrupt:
                pass
            if pressed:
                # Ctrl+C on a live pipe (`npm run dev | prisma-doctor explain -`): what was read so far is the log.
                print("prisma-doctor explain: interrupted: the findings of what was read so far", file=sys.stderr)
        for event in reader.close():
            seen += 1
            yield event
    if reader.mostly_binary:
        # Said rather than a quiet "nothing found": an executable or an archive given by mistake is no clean log.
        problem = f"{name} does not look like a log: most of its lines are binary data"
        if not seen:
            raise UsageError(problem)
        print(f"prisma-doctor explain: {escaped(problem)}", file=sys.stderr)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := _read(stream):
        yield chunk


def _read(stream: BinaryIO) -> bytes:
    """What the stream has now, up to `CHUNK` (at its end, b""): from a live pipe, without waiting for a whole chunk,
    so that what was read is in hand when Ctrl+C comes."""
    global _READING
    read1 = getattr(stream, "read1", None)
    _READING = True
    try:
        return read1(CHUNK) if read1 is not None else stream.read(CHUNK)
    finally:
        _READING = False
