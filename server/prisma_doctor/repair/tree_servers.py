"""The dev servers one process tree runs side by side (`npm run dev` -> `concurrently "tsx watch server.ts" "tsx watch
web.ts"`), each with the ports it listens on and, under `concurrently`, the name it prefixes its lines with (`[web]
GET /users 500`): which port a failed request's server answers on.

A tree that runs one server (whatever number of ports it listens on) is not this module's: it has one server to ask.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import psutil

from prisma_doctor.repair import inspectors, listeners
from prisma_doctor.repair.devserver_kinds import dev_server_tool, launchable
from prisma_doctor.repair.processes import is_runtime
from prisma_doctor.repair.supervisors import supervisor_name

# concurrently's options that name its tasks, and the one that may make its prefix something else than the name.
_NAMES = ("-n", "--names")
_PREFIX = ("-p", "--prefix")


@dataclass(frozen=True)
class TreeServer:
    pid: int  # the topmost process of the tree that runs the server's tool
    ports: tuple[int, ...]  # the app's ports its own processes listen on (Node's inspector aside)
    tag: str | None  # what concurrently prefixes its lines with (`web` for `[web] `); None when not known


def servers_in_tree(root_pid: int) -> list[TreeServer]:
    """The dev servers under `root_pid`, each outermost one once: one for a tree that runs one server."""
    processes = listeners.tree(root_pid)
    pids = {p.pid for p in processes}
    tops: list[psutil.Process] = []
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):
            if not is_runtime(process) or dev_server_tool(process.cmdline()) is None:
                continue
            # A server's own children (tsx's runner, Next's `next-server`) are that server, not another one.
            above = {p.pid for p in process.parents()} & pids
            if not any(top.pid in above for top in tops):
                tops.append(process)
    tags = _concurrently_tags(processes)
    found: list[TreeServer] = []
    for top in tops:
        ports = tuple(sorted(inspectors.apps(listeners.listeners(listeners.tree(top.pid)))))
        tag = next((name for pid, name in tags.items() if pid == top.pid or _is_below(top, pid)), None)
        found.append(TreeServer(top.pid, ports, tag))
    return found


def _is_below(process: psutil.Process, pid: int) -> bool:
    try:
        return any(parent.pid == pid for parent in process.parents())
    except (psutil.Error, OSError):
        return False


def _concurrently_tags(processes: list[psutil.Process]) -> dict[int, str]:
    """Each task process of a `concurrently` in the tree, by the name it prefixes its lines with: `-n api,web`'s name
    of the command it runs, else its index (`[0]`). A task whose command is not found among concurrently's own
    arguments (its `npm:dev:*` shorthand expanded), or a prefix of the user's own (`-p "{time}"`), tags nothing."""
    tags: dict[int, str] = {}
    for process in processes:
        with contextlib.suppress(psutil.Error, OSError):
            arguments = launchable(process.cmdline())
            if supervisor_name(arguments) != "concurrently":
                continue
            names, prefix = _option(arguments, _NAMES), _option(arguments, _PREFIX)
            if prefix not in (None, "name", "index"):
                continue
            children = process.children()
            commands = [_task_command(child.cmdline()) for child in children]
            # Each task's index is its command's place among concurrently's arguments (they are its last ones).
            positions = sorted(arguments.index(c) for c in commands if c in arguments)
            for child, command in zip(children, commands, strict=True):
                if command not in arguments:
                    continue
                index = positions.index(arguments.index(command))
                named = (names or "").split(",")
                use_name = prefix != "index" and index < len(named) and named[index]
                tags[child.pid] = named[index] if use_name else str(index)
    return tags


def _task_command(cmdline: Sequence[str]) -> str:
    """The command a task runs, as concurrently was given it: it runs each through a shell (`sh -c "<command>"`)."""
    if len(cmdline) >= 3 and cmdline[1] == "-c":
        return cmdline[2]
    return " ".join(cmdline)


def _option(arguments: Sequence[str], flags: tuple[str, ...]) -> str | None:
    for index, argument in enumerate(arguments):
        flag, _, value = argument.partition("=")
        if flag in flags:
            return value if value else (arguments[index + 1] if index + 1 < len(arguments) else None)
    return None
