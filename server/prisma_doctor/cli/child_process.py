"""Starting the command `run` wraps, and stopping it with everything it started, so that nothing outlives us.

The command gets a process group of its own when our standard input is not a terminal: then a stop can reach every
process it started, even one whose parent has already exited. On Linux `run` is also the command's subreaper, so a
daemon that leaves the group (setsid) and its parent (double fork) is handed to us and stopped with the rest. With a
terminal on standard input it stays in ours, as a shell would leave it: a process outside the terminal's foreground
group that reads a key (Vite's "press h") is stopped by SIGTTIN. Its descendants are then found by walking the
process tree.

Being the subreaper also makes us the parent of the command's orphans: when a repair stops the command's tree, its
watcher's children (tsx's node, esbuild) are handed to us, and each stays `<defunct>` until we wait for it.
`Orphans` reaps them, and only them: a child of our own (the psql that asks the database) is its caller's to wait for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

# How long the command has to exit after SIGTERM before the rest is killed.
STOP_GRACE_SECONDS = 3.0
_POLL_SECONDS = 0.05
# How often the command's descendants are read again (a walk of every process, so not on every idle tick).
REMEMBER_SECONDS = 2.0


def spawn(
    command: Sequence[str], cwd: Path, stdout: int | IO[Any], stderr: int | IO[Any]
) -> tuple[subprocess.Popen[bytes], bool]:
    """The command started, and whether it leads a process group of its own."""
    own_group = os.name == "posix" and not sys.stdin.isatty()
    _become_subreaper()
    # `start_new_session` (setsid in the child, before exec) rather than `process_group`, which needs Python 3.11.
    process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd, start_new_session=own_group)
    return process, own_group


def send_signal(process: subprocess.Popen[bytes], number: int, own_group: bool) -> None:
    """A signal for the command, to its whole group when it has one (as the terminal sends Ctrl-C to a job)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if own_group:
            os.killpg(process.pid, number)
        else:
            process.send_signal(number)


def stop(process: subprocess.Popen[bytes], own_group: bool, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to the command, its descendants and its group; after `grace`, SIGKILL to whatever is left.

    The command is reaped last: until then its pid stays a zombie, so its process group's id cannot be given to
    another group and the final `killpg` cannot reach anyone else's processes.
    """
    import psutil

    try:
        root = psutil.Process(process.pid)
        tree = [root, *root.children(recursive=True)]
        # A daemon that left the command (setsid and a double fork) was handed to us, its subreaper: it is ours too.
        tree += [p for p in psutil.Process().children(recursive=True) if p not in tree]
    except psutil.Error:
        tree = []
    for number, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        if own_group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, number)
        for member in tree:
            with contextlib.suppress(psutil.Error):
                member.send_signal(number)
        deadline = time.monotonic() + wait
        while (tree := [m for m in tree if _running(m)]) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        if not tree:
            break
    if own_group:
        # Members that left the tree (their parent exited) but not the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _become_subreaper() -> None:
    """On Linux, ask that the command's orphans be handed to this process rather than to init, so that a daemon the
    command detached (setsid, double fork) is still among our descendants when the command is stopped."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _running(process: Any) -> bool:
    import psutil

    try:
        # `is_running` also tells a reused pid apart (by its start time).
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class Orphans:
    """The command's descendants, remembered while they run, so that those handed to us when their parent ended are
    reaped once they end too. A descendant that lives less than `REMEMBER_SECONDS` may be missed: it stays
    `<defunct>` until we exit, which is all it costs."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._read_at = 0.0

    def remember(self, command: int) -> None:
        """Read the descendants of the command (pid `command`) again, at most every `REMEMBER_SECONDS`."""
        import psutil

        if os.name != "posix" or time.monotonic() - self._read_at < REMEMBER_SECONDS:
            return
        self._read_at = time.monotonic()
        # A pid that no longer exists was reaped (by us or its parent); one that exists may be a zombie to reap.
        self._seen = {pid for pid in self._seen if psutil.pid_exists(pid)}
        with contextlib.suppress(psutil.Error):
            self._seen.update(p.pid for p in psutil.Process(command).children(recursive=True))

    def reap(self) -> None:
        """Wait for every remembered descendant that is now our child and has ended."""
        import psutil

        if os.name != "posix" or not self._seen:
            return
        try:
            children = psutil.Process().children()
        except psutil.Error:
            return
        for child in children:
            if child.pid not in self._seen:
                continue
            with contextlib.suppress(psutil.Error, ChildProcessError):
                if child.status() == psutil.STATUS_ZOMBIE:
                    os.waitpid(child.pid, os.WNOHANG)
                    self._seen.discard(child.pid)
