"""`prisma-doctor run [--project DIR] -- CMD ARGS...`: run a dev command and report Prisma problems as they appear.

The command's output passes through unchanged: under a terminal the command gets a pseudo-terminal of its own, so
it keeps its colours; otherwise its stdout and stderr are passed to ours as they are. Its exit code is ours (127
and 126 when it cannot be started, as in a shell; 141 when our output's reader went away, after the command and all
it started were stopped), and SIGINT, SIGTERM and SIGHUP sent to us are sent on to it. Each new finding is printed
on stderr as `prisma-doctor: ...` once its evidence is complete, diagnosed beside the output, never holding it
(live_findings.py). The raw output is also written to
`<project>/.prisma-doctor/dev-output.log` (in a workspace, that of the app the command runs in), which the language
server follows. The command runs in the current folder, whatever `--project` names: in a workspace that is the
schema's package, while the dev server is the app's.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from prisma_doctor import run_control
from prisma_doctor.cli import UsageError
from prisma_doctor.cli.child_process import Orphans
from prisma_doctor.cli.live_findings import LiveFindings
from prisma_doctor.cli.render import escaped
from prisma_doctor.process_start import now_key
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder

if TYPE_CHECKING:
    from prisma_doctor.diagnosis import Diagnoser, ProjectFacts
    from prisma_doctor.logs.events import Event

RECORD = Path(".prisma-doctor") / "dev-output.log"
# The record starts over past this size; the language server's follower notices the truncation.
MAX_RECORD_BYTES = 8 * 1024 * 1024
# Output quiet for this long ends any error block still open (its stack trace has surely been printed).
IDLE_FLUSH_SECONDS = 0.5
# Chunks read but not yet written out; past this the readers wait, and so does the command.
ARRIVALS_WAITING = 16
# Project facts are read again at most this often, when an event needs them (a generate may have run since).
FACTS_MAX_AGE_SECONDS = 2.0
# While a repair holds the command (it stopped it to start it again), how often `run` looks whether it may start.
HOLD_POLL_SECONDS = 0.2
FORWARDED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, help="the project folder (default: .)")
    # Not `command`: the dispatcher keeps the subcommand's name there.
    parser.add_argument("cmd", metavar="COMMAND", nargs=argparse.REMAINDER, help="the command to run, after --")


def run(args: argparse.Namespace) -> int:
    command = list(args.cmd)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("give the command to run after --, e.g. `prisma-doctor run -- npm run dev`")
    root = (args.project or Path(".")).resolve()
    if not root.is_dir():
        raise UsageError(f"{args.project} is not a folder")
    # The command runs where the user is (`--project packages/db` names the schema's package, not the app's).
    return DevCommand(command, root, Path.cwd()).run()


class _Record:
    """The output as it came, for the language server to follow."""

    def __init__(self, root: Path) -> None:
        self.handle: BinaryIO | None = None
        folder = StateFolder(root)
        shown = escaped(str(root / RECORD))
        try:
            # Through the state folder: never written through a link a repository planted there.
            self.handle = folder.create(RECORD.name)
            return
        except UnsafeStateFolder as error:
            reason = str(error)
        except OSError as error:
            reason = error.strerror or str(error)
            # On Windows a file another process holds open (the dev server a repair restarted writes there) cannot
            # be removed to start anew, yet may be added to: the language server follows it all the same.
            try:
                self.handle = folder.append(RECORD.name)
            except (OSError, UnsafeStateFolder):
                pass
            else:
                print(
                    f"prisma-doctor: adding the output to {shown} (could not start it anew: {reason})", file=sys.stderr
                )
                return
        print(f"prisma-doctor: cannot record the output at {shown}: {reason}", file=sys.stderr)

    def write(self, data: bytes) -> None:
        if self.handle is None:
            return
        if self.handle.tell() + len(data) > MAX_RECORD_BYTES:
            self.handle.seek(0)
            self.handle.truncate()
        self.handle.write(data)
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


class DevCommand:
    def __init__(self, command: list[str], root: Path, cwd: Path) -> None:
        self.command = command
        self.root = root
        self.cwd = cwd
        self.started_at = datetime.now(timezone.utc)
        self._facts: ProjectFacts | None = None
        self._facts_read_at = 0.0
        self._diagnoser: Diagnoser | None = None
        # Each finding said, with the request that failed with it (None: no request known).
        # Each finding shown, with the request that failed with it (method, route): its success makes it news again.
        self._shown: dict[tuple, tuple[object, object]] = {}
        # The keys of the latest client error's findings: an `ErrorRequest` after it names their request.
        self._last_error: list[tuple] = []
        self._interrupted = False
        # The command's children that a repair's stop left to us, the subreaper: reaped, never left `<defunct>`.
        self._orphans = Orphans()
        self._findings = LiveFindings(self._report)
        # One writer at a time on stderr: the command's output and our findings.
        self._stderr_lock = threading.Lock()

    def run(self) -> int:
        from prisma_doctor.cli import BROKEN_PIPE, silence_stdout
        from prisma_doctor.cli.child_process import send_signal, stop
        from prisma_doctor.repair.devserver import restart_marker

        use_pty = os.name == "posix" and sys.stdout.isatty()
        # The app the command runs in: where its output is recorded and where a repair asks it to hold.
        state = StateFolder(self._record_folder())
        record = _Record(self._record_folder())
        facts = self._diagnoser_for(needs_facts=True).facts
        if facts is not None and facts.database is not None:
            facts.database.refresh()  # ask the database now, so that no later error waits for its answer
        running: list[tuple[subprocess.Popen[bytes], bool]] = []
        # A request older than this `run` asks nothing of it: no repair can have seen its child yet.
        run_control.clear(state, os.getpid())

        def forward(number: int, _frame: object) -> None:
            if running and running[-1][0].poll() is None:
                send_signal(running[-1][0], number, running[-1][1])
            else:
                self._interrupted = True  # while a repair holds the command: the user ends `run`

        previous = {sig: signal.signal(sig, forward) for sig in FORWARDED_SIGNALS}
        try:
            while True:
                try:
                    process, own_group, streams = self._spawn(use_pty)
                except OSError as error:
                    return _not_started(self.command[0], self.cwd, error)
                running.append((process, own_group))
                child_started = now_key()
                run_control.announce(state, process.pid)
                try:
                    self._pump(streams, record, process.pid)
                except BrokenPipeError:
                    # Whoever read our output is gone (`| head`): the command's output has nowhere to go, as
                    # `seq | head` ends `seq`. Stop it and all it started, then exit as a command SIGPIPE ended.
                    stop(process, own_group)
                    silence_stdout()
                    return BROKEN_PIPE
                code = process.wait()
                if not self._held(state, child_started):
                    return 128 - code if code < 0 else code
                # In the recorded output too: what the old process printed is history to whoever reads it later.
                record.write(restart_marker(escaped(" ".join(self.command)), str(self.cwd)))
        finally:
            run_control.withdraw(state)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            record.close()
            self._findings.close()

    def _held(self, state: StateFolder, child_started: float) -> bool:
        """After the command ended: whether a repair stopped it to start it again here, once the repair is done
        (or gone). True when it is to be started again."""
        if not self._interrupted and run_control.asked_to_start(state, child_started):
            # The repair was done before we saw the command end: no hold to wait out.
            return self._start_again(state)
        if run_control.held_by(state) is None:
            return False
        print(
            "prisma-doctor: a repair stopped the dev server; it starts again here when the repair is done",
            file=sys.stderr,
            flush=True,
        )
        while run_control.held_by(state) is not None:
            if self._interrupted:
                return False
            # The repair stopped the command's tree: what was handed to us is reaped as it ends.
            self._orphans.reap()
            time.sleep(HOLD_POLL_SECONDS)
        return self._start_again(state)

    def _start_again(self, state: StateFolder) -> bool:
        run_control.clear(state, os.getpid())
        print(f"prisma-doctor: starting `{escaped(' '.join(self.command))}` again", file=sys.stderr, flush=True)
        self.started_at = datetime.now(timezone.utc)
        self._shown.clear()  # what the new server prints is news, even a failure the old one printed
        self._facts_read_at = 0.0  # read again: the facts say when the server started
        return True

    def _record_folder(self) -> Path:
        """Where the output is recorded for the language server: the app the command runs in (which it follows for
        the project the app uses), else the project."""
        from prisma_doctor.workspace import app_folders, folder_of, prisma_projects_for

        projects = prisma_projects_for(self.root)
        if len(projects) != 1:
            return self.root
        return folder_of(self.cwd.resolve(), app_folders(projects[0])) or self.root

    def _spawn(self, use_pty: bool) -> tuple[subprocess.Popen[bytes], bool, dict[int, BinaryIO]]:
        from prisma_doctor.cli.child_process import spawn

        if use_pty:
            import pty

            master, slave = pty.openpty()
            _copy_window_size(sys.stdout.fileno(), slave)
            # stdin stays ours (a dev server may read keys); stdout and stderr go to the new terminal.
            try:
                process, own_group = spawn(self.command, self.cwd, slave, slave)
            except OSError:
                os.close(master)
                raise
            finally:
                os.close(slave)
            return process, own_group, {master: sys.stdout.buffer}
        process, own_group = spawn(self.command, self.cwd, subprocess.PIPE, subprocess.PIPE)
        assert process.stdout is not None and process.stderr is not None
        streams = {process.stdout.fileno(): sys.stdout.buffer, process.stderr.fileno(): sys.stderr.buffer}
        return process, own_group, streams

    def _pump(self, streams: dict[int, BinaryIO], record: _Record, command: int) -> None:
        from prisma_doctor.logs.recognize import LogReader

        readers = {fd: LogReader() for fd in streams}
        try:
            self._pump_through(streams, readers, record, command)
        finally:
            for reader in readers.values():
                self._findings.submit(reader.close())

    def _pump_through(self, streams: dict[int, BinaryIO], readers: dict, record: _Record, command: int) -> None:
        # A reader thread per stream, not select(): on Windows select() takes only sockets, never pipes.
        arrivals: queue.Queue[tuple[int, bytes]] = queue.Queue(maxsize=ARRIVALS_WAITING)
        for fd in streams:
            threading.Thread(
                target=_read_until_closed, args=(fd, arrivals), name=f"run-output-{fd}", daemon=True
            ).start()
        open_fds = set(streams)
        last_output = time.monotonic()
        flushed = True
        while open_fds:
            try:
                fd, data = arrivals.get(timeout=IDLE_FLUSH_SECONDS)
            except queue.Empty:
                self._orphans.remember(command)
                self._orphans.reap()
                if not flushed and time.monotonic() - last_output >= IDLE_FLUSH_SECONDS:
                    for reader in readers.values():
                        self._findings.submit(reader.flush())
                    flushed = True
                continue
            if not data:
                open_fds.discard(fd)
                continue
            out = streams[fd]
            with self._stderr_lock:
                out.write(data)
                out.flush()
            record.write(data)
            self._findings.submit(readers[fd].feed(data))
            last_output, flushed = time.monotonic(), False

    def _report(self, events: list[Event]) -> None:
        from prisma_doctor.cli.render import finding_line
        from prisma_doctor.logs.events import (
            DECIDED_BY_PROJECT,
            ClientError,
            DevServerReady,
            ErrorRequest,
            RequestSucceeded,
        )
        from prisma_doctor.logs.routes import same_route

        for event in events:
            if isinstance(event, DevServerReady):
                # A new server process: the same failure from it is news, said again.
                self._shown.clear()
            elif isinstance(event, ErrorRequest):
                # The request the latest error failed with: its success later makes the same failure news again.
                for key in self._last_error:
                    if key in self._shown and self._shown[key][1] is None:
                        self._shown[key] = (event.method, event.path)
                continue
            elif isinstance(event, RequestSucceeded):
                # The request answers now: if it fails again, that is news too.
                self._shown = {
                    key: request
                    for key, request in self._shown.items()
                    if not same_route(*request, event.method, event.path)
                }
            diagnoser = self._diagnoser_for(needs_facts=isinstance(event, DECIDED_BY_PROJECT))
            found = diagnoser.findings_for(event)
            if isinstance(event, ClientError):
                self._last_error = [finding.key for finding in found]
            for finding in found:
                if finding.key in self._shown:
                    continue
                self._shown[finding.key] = (finding.data.get("method"), finding.data.get("route"))
                text = finding_line(finding).replace("\n", "\n    ")
                with self._stderr_lock:
                    print(f"prisma-doctor: {text}", file=sys.stderr, flush=True)

    def _diagnoser_for(self, needs_facts: bool) -> Diagnoser:
        from dataclasses import replace

        from prisma_doctor.diagnosis import Diagnoser
        from prisma_doctor.diagnosis.facts import facts_for_folder

        if self._diagnoser is None:
            self._diagnoser = Diagnoser(None)
        if needs_facts and time.monotonic() - self._facts_read_at > FACTS_MAX_AGE_SECONDS:
            facts = facts_for_folder(self.root, ran_in=self.cwd)
            if facts is not None and facts.dev_server_started_at is None:
                # The command we run is the dev server: it loaded the client when we started it.
                facts = replace(facts, dev_server_started_at=self.started_at)
            self._facts, self._facts_read_at = facts, time.monotonic()
            self._diagnoser.facts = facts
        return self._diagnoser


def _read_until_closed(fd: int, arrivals: queue.Queue[tuple[int, bytes]]) -> None:
    """Each chunk read from `fd`, then b"" once it is closed. The bounded queue holds the command back while our
    own output is slow, as a pipe would."""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO from a pseudo-terminal whose last writer closed it
            data = b""
        arrivals.put((fd, data))
        if not data:
            return


def _not_started(name: str, root: Path, error: OSError) -> int:
    """A command that could not be started, reported in one line with a shell's exit code: 127 for one that does
    not exist, 126 for one that exists but cannot be run (not executable, a folder, a missing interpreter)."""
    import errno

    shown = escaped(name)
    if error.errno == errno.ENOENT:
        if "/" not in name:
            print(f"prisma-doctor run: {shown}: command not found", file=sys.stderr)
            return 127
        if not (root / name).exists():
            print(f"prisma-doctor run: {shown}: no such file", file=sys.stderr)
            return 127
        # The file is there: what exec could not find is the interpreter its `#!` line names.
        print(
            f"prisma-doctor run: {shown}: bad interpreter (its #! line names a program that does not exist)",
            file=sys.stderr,
        )
        return 126
    print(f"prisma-doctor run: {shown}: cannot run it: {error.strerror or error}", file=sys.stderr)
    return 126


def _copy_window_size(source: int, target: int) -> None:
    import fcntl
    import struct
    import termios

    try:
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, struct.pack("HHHH", 0, 0, 0, 0))
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)
    except OSError:
        pass
