"""Dev servers run by a workspace supervisor: `turbo dev`, `pnpm -r/--parallel/--filter run dev`, `npm run dev
--workspaces`, `yarn workspaces foreach`, `bun --filter`, nx, lerna, concurrently.

A supervisor runs each app's dev script as its task, and ends EVERY task when one of them is stopped from outside
(turbo: "external process killed a task"): stopping one app's server takes the other apps' servers and the
supervisor itself (the user's terminal) down with it, and a repair that starts only the one it stopped leaves the
rest down. So the server's supervisor is found, by the command lines of the processes above the server's launcher,
for a repair to refuse before it stops anything. A package manager is one while it runs the script of more than
one package at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from prisma_doctor.masking import shown_command
from prisma_doctor.process_names import process_ancestors
from prisma_doctor.repair.devserver_kinds import (
    MANAGER_ENTRIES,
    SHELLS,
    launchable,
    program_stem,
    runs_shell_command,
    runtime_script,
    script_package,
)
from prisma_doctor.repair.processes import same_user

# Supervisors whatever their arguments: each runs the workspace's tasks (`turbo run dev`, `nx run-many -t dev`,
# `lerna run dev`, `concurrently "pnpm:dev:*"`).
_ALWAYS = ("turbo", "nx", "lerna", "concurrently")
# A package manager is one only with the arguments that make it run the script in several packages.
_MANAGER_FLAGS = {
    "pnpm": ("-r", "--recursive", "--parallel", "--filter", "-F", "--workspace-concurrency"),
    "npm": ("--workspaces", "-ws", "--workspace", "-w"),
    "bun": ("--filter", "-F"),
}


@dataclass(frozen=True)
class Supervisor:
    pid: int
    name: str  # "turbo", "pnpm -r", "npm --workspaces"...
    command: tuple[str, ...]
    cwd: str

    @property
    def shown_command(self) -> str:
        return shown_command(self.command)


# A shell's loop that may run a dev server again whenever it ends (`while :; do tsx watch server.ts; done`).
_RESTART_LOOP = re.compile(r"(?:^|[;&|({\s])(?:(?:while|until)\s.+?[;\n\s]do\b|for\s*\(\(\s*;\s*;\s*\)\))", re.DOTALL)
# A loop script read to tell, at most this much of it: a supervisor script is a few lines.
_LOOP_SCRIPT_BYTES = 64 * 1024
SHELL_LOOP = "a shell loop"


def is_shell_loop(cmdline: Sequence[str], cwd: str | None = None) -> bool:
    """Whether the command is a shell running a `while`/`until` loop (given with `-c`, or in a script file in `cwd`):
    a supervisor of the user's own that starts the server again whenever it ends, while the client is set aside."""
    if len(cmdline) < 2 or program_stem(cmdline[0]) not in SHELLS:
        return False
    if runs_shell_command(cmdline):
        return bool(_RESTART_LOOP.search(cmdline[2]))
    script = next((arg for arg in cmdline[1:] if not arg.startswith("-")), None)
    if script is None or cwd is None:
        return False
    try:
        # A regular file only (never a FIFO that would block the read), read in part.
        path = Path(cwd, script)
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            text = handle.read(_LOOP_SCRIPT_BYTES).decode("utf-8", "replace")
    except OSError:
        return False
    return bool(_RESTART_LOOP.search(text))


def supervisor_name(cmdline: Sequence[str], cwd: str | None = None) -> str | None:
    """The supervisor this command line runs (`"turbo"`, `"pnpm -r"`, `"a shell loop"`...), or None. `cwd`: where it
    runs, to read a loop script it names."""
    if is_shell_loop(cmdline, cwd):
        return SHELL_LOOP
    args = launchable(cmdline)
    if args and program_stem(args[0]) == "bun" and any(arg.split("=", 1)[0] in _MANAGER_FLAGS["bun"] for arg in args):
        return "bun --filter"  # bun is a runtime too: its `--filter` takes a value, no script
    script = runtime_script(args)
    rest: Sequence[str]
    if script:
        rest = args[args.index(script) + 1 :]
        # A runtime runs a package's script (`node .../turbo/bin/turbo`, `node .../pnpm/bin/pnpm.cjs`), read through
        # pnpm's `.bin/..`.
        script = os.path.normpath(script) if ".." in script else script
        package = script_package(script).rsplit("/", 1)[-1]
        tool = MANAGER_ENTRIES.get(os.path.basename(script).lower()) or package or program_stem(script)
    elif args:
        tool, rest = program_stem(args[0]), args[1:]  # turbo's native binary, npm retitled (`npm run dev -ws`)
    else:
        return None
    if tool in _ALWAYS:
        return tool
    flags = _MANAGER_FLAGS.get(tool, ())
    found = next((arg.split("=", 1)[0] for arg in rest if arg.split("=", 1)[0] in flags), None)
    if found is not None:
        return f"{tool} {found}"
    if tool == "yarn" and "workspaces" in rest and "foreach" in rest:
        return "yarn workspaces foreach"
    return None


def supervisor_above(launcher: psutil.Process, protected: set[int]) -> Supervisor | None:
    """The supervisor among the ancestors of a server's `launcher`: the nearest one of this user, below this tool and
    its own ancestors. One inside the launcher chain (`pnpm dev` -> `concurrently "next dev" "tsx watch w.ts"`, all in
    the project) is no harm: the whole chain is stopped and started again from its top."""
    try:
        above = process_ancestors(launcher)
    except (psutil.Error, OSError):
        return None
    found: Supervisor | None = None
    for process in above:
        if process.pid in protected:
            break
        try:
            if not same_user(process):
                break
            cmdline = process.cmdline()
            name = supervisor_name(cmdline, _cwd(process))
            if found is not None and name != found.name:
                break
            if name == SHELL_LOOP:
                # The nearest loop is the one that starts the server again.
                return Supervisor(process.pid, name, tuple(cmdline), process.cwd())
            if name is not None and name.split()[0] not in _ALWAYS and len(process.children()) < 2:
                # A package manager that runs one package's script (`pnpm --filter web dev`) only exits with it: it
                # is that server's launcher, started again as any other.
                name = None
            if name is not None:
                # The outermost of one supervisor's own processes is the command the user ran: turbo's launcher
                # (`node .../.bin/turbo run dev`), not the native binary it runs.
                found = Supervisor(process.pid, name, launchable(cmdline), process.cwd())
        except (psutil.Error, OSError):
            continue
    return found


def _cwd(process: psutil.Process) -> str | None:
    try:
        return process.cwd()
    except (psutil.Error, OSError):
        return None
