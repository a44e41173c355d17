"""The project's running dev server: find it, and start it again the way it was started.

Next 16 writes `.next/dev/lock` (`{"pid", "port", "hostname", "appUrl", "startedAt"}`) while `next dev` runs.
Without it, a process of the project whose command line runs a dev server (`devserver_kinds`: next, Vite and its
frameworks, nest, tsx watch, node --watch, nodemon, ts-node-dev) is the server. The child that `prisma-doctor run`
runs in the folder (`run_control`, checked against the processes) is the server too, whatever its command (`node
server.js`, `tsx src/server.ts`): the user said so by running it under `run`. Either way the command to restart
is the top of its launcher chain inside the project (`pnpm dev` -> `sh -c "next dev"` -> `node next dev`), taken
with its working directory and environment, and the server is that whole tree: the launcher and every process
under it (Next's `next-server`, tsx's child that runs the code), all stopped together. A package manager rewrites
its own title (`npm run dev -- -p 3101` reads back as `npm run dev -p 3101`), so its command is rebuilt from what it
handed its child: `npm_execpath`, `npm_lifecycle_event`, and the script line with the arguments it appended.
A restart is detached (it outlives the repair), writes its output to `.prisma-doctor/dev-output.log`, and counts
as done once a process of the new server's own tree listens and answers HTTP.
A server read back from a journal (an unfinished repair's record) is never restarted with its recorded command: a
record is not a source of commands, since a repository can carry one. It is started again only as one of the
project's own dev scripts, by the project's package manager (`interruption.StoppedServer.dev_server`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from prisma_doctor import project_files, run_control
from prisma_doctor.json_values import is_object
from prisma_doctor.logs.nextlog import LOCK, DevServerLock, read_lock
from prisma_doctor.masking import mask_command, shown_command
from prisma_doctor.package_json import read_package_json
from prisma_doctor.process_names import process_ancestors, process_parent
from prisma_doctor.process_start import started_at
from prisma_doctor.repair import inspectors, listeners
from prisma_doctor.repair.devserver_kinds import (
    MANAGER_ENTRIES,
    dev_server_tool,
    is_plain_script,
    launchable,
    reruns_child,
    runs_shell_command,
)
from prisma_doctor.repair.locks import LockedFile
from prisma_doctor.repair.processes import (
    in_other_project,
    is_editor,
    is_runtime,
    process_environment,
    protected_pids,
    same_user,
)
from prisma_doctor.repair.safe_fs import CrossesMount, NotPermitted, OutsideProject, is_inside, remove_tree
from prisma_doctor.repair.supervisors import Supervisor, is_shell_loop, supervisor_above
from prisma_doctor.state_folder import StateFolder
from prisma_doctor.workspace import find_workspace_root

_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|\[::1?\]|0\.0\.0\.0|[\w.-]+):(\d{2,5})")
_PORT_FLAG = re.compile(r"^(?:-p|--port)(?:=(\d+))?$")
# A lock's `startedAt` against its process's start: Next writes it after the process started (its clock and psutil's
# may differ by a second), and within minutes even on a slow machine. A pid reused since started after it.
LOCK_CLOCK_SLACK = 2.0
LOCK_WRITTEN_WITHIN = 300.0
# A restarted server's own process group on Windows (Popen takes creationflags everywhere; elsewhere only 0).
_DETACHED_ON_WINDOWS: int = (
    subprocess.CREATE_NEW_PROCESS_GROUP | getattr(subprocess, "DETACHED_PROCESS", 0) if os.name == "nt" else 0
)


@dataclass(frozen=True)
class DevServer:
    pid: int  # the process that serves (from the lock, or the `next dev` process)
    command: tuple[str, ...]  # the launcher's command line, to run again
    cwd: str
    port: int | None
    launcher_pids: tuple[int, ...]  # the chain from the launcher down to the server
    source: str  # "next-lock", "process", "run" (the child `prisma-doctor run` runs) or "record"
    tool: str = "next"  # what serves: "next", "vite", "tsx", "node --watch"... (devserver_kinds)
    # The launcher and every process under it when it was found: what stopping the server stops.
    tree_pids: tuple[int, ...] = ()
    # The `prisma-doctor run` whose child the launcher is: it starts the server again itself, in its terminal.
    run: run_control.RunOwner | None = None
    # What that `run` starts again: its child's own command line (`pnpm dev`), not the one rebuilt from the script.
    run_command: tuple[str, ...] = ()
    # The folder it was found for (the project, or an app of a workspace): where `run`'s handshake files live.
    home: str = ""
    # Where they live instead when its `run` was started at the workspace's root (`prisma-doctor run -- pnpm --filter
    # api dev`): that root, whose `.prisma-doctor` holds the run's record and output.
    run_home: str = ""
    environ: dict[str, str] | None = field(default=None, repr=False, compare=False)
    # The workspace supervisor that runs it as one of its tasks (`turbo dev`), which ends them all when it is stopped.
    supervisor: Supervisor | None = field(default=None, compare=False)
    # When it was found running: a process with one of its pids started later is another process.
    seen_at: float = field(default_factory=time.time, compare=False)

    @property
    def run_pid(self) -> int | None:
        return self.run.pid if self.run is not None else None

    @property
    def run_folder(self) -> str:
        """The folder of its `run`'s record, requests and recorded output."""
        return self.run_home or self.home

    @property
    def shown_command(self) -> str:
        """The command line as it may be shown (a password in it masked)."""
        return shown_command(self.command)

    @property
    def label(self) -> str:
        """The server as a user knows it: what is started again, and where."""
        where = f"in {self.cwd}, port {self.port or 'unknown'}"
        if self.run_pid is not None and self.run_command and self.run_home:
            return (
                f"{self.shown_run_command} (by its `prisma-doctor run`, pid {self.run_pid}, in {self.run_home}; the "
                f"server {where})"
            )
        if self.run_pid is not None and self.run_command:
            return f"{self.shown_run_command} (by its `prisma-doctor run`, pid {self.run_pid}; {where})"
        return f"{self.shown_command} ({where})"

    @property
    def shown_run_command(self) -> str:
        """What its `prisma-doctor run` starts again (as it may be shown), else the command this repair would run."""
        return shown_command(self.run_command) if self.run_command else self.shown_command

    def to_json(self) -> dict[str, Any]:
        """What a record keeps: no environment (a server's variables hold secrets)."""
        return {
            "pid": self.pid,
            "command": mask_command(self.command),
            "cwd": self.cwd,
            "port": self.port,
            "launcherPids": list(self.launcher_pids),
            "source": self.source,
            "tool": self.tool,
            "runPid": self.run_pid,
        }


def find_dev_servers(root: Path) -> list[DevServer]:
    protected = protected_pids()
    servers: list[DevServer] = []
    lock = read_lock(root)
    if lock is not None and _serves_project(lock, root, protected):
        server = _describe(psutil.Process(lock.pid), root, protected, lock.port, "next-lock", "next")
        if server is not None:
            servers.append(server)
    claimed = {pid for server in servers for pid in server.launcher_pids}
    nested: dict[Path, bool] = {}
    for process in psutil.process_iter():
        if process.pid in claimed or process.pid in protected:
            continue
        try:
            # The working folder first: one read rules out nearly every process on the machine, where the user and
            # the program cost three (this runs on every check, so on every edit a person types).
            cwd = process.cwd()
            if not _cwd_inside(cwd, root) or not same_user(process) or not is_runtime(process):
                continue
            if cwd != str(root) and in_other_project(Path(cwd), root, nested):
                continue  # a project of its own nested here (its own client): not this project's server
            tool = dev_server_tool(process.cmdline())
            if tool is None or is_editor(process, root):
                continue
            server = _describe(process, root, protected, None, "process", tool)
        except (psutil.Error, OSError):
            continue
        if server is not None and not claimed.intersection(server.launcher_pids):
            servers.append(server)
            claimed.update(server.launcher_pids)
    for owned in _run_children(root, claimed, protected):
        servers.append(owned)
    return servers


def _cwd_inside(cwd: str, root: Path) -> bool:
    """`is_inside` for a working folder as the system gives it (absolute, no `..`): on POSIX by its text, since this
    runs for every process on the machine and a `Path` and a `relative_to` each cost more than reading the folder."""
    if os.name == "nt":  # (Windows compares paths without case: `is_inside` knows how)
        return is_inside(Path(cwd), root)
    prefix = str(root)
    return cwd == prefix or cwd.startswith(prefix.rstrip("/") + "/")


def startup_environment(server: DevServer) -> tuple[int, dict[str, str]] | None:
    """The environment the server's own program started with, and that process's pid: the topmost process of its
    chain that runs the dev server tool (a variable a wrapper above it set, `dotenv -e .env.test -- next dev`, is in
    it), else its launcher. A process's environment as /proc shows it is the one it started with: what the server
    later loads from its env files is not in it, so a variable found here is one that wins over them. None when it
    cannot be read (another user's process, one gone or a zombie): no evidence."""
    chain = [*server.launcher_pids]
    for pid in sorted(chain, key=lambda p: dev_server_tool(_command_of(p)) is None):  # stable: launcher first
        try:
            process = psutil.Process(pid)
            if not same_user(process):
                return None
            environ = process.environ()
        except (psutil.Error, OSError):
            return None
        return pid, dict(environ)
    return None


def _command_of(pid: int) -> list[str]:
    try:
        return psutil.Process(pid).cmdline()
    except (psutil.Error, OSError):
        return []


def _run_children(root: Path, claimed: set[int], protected: set[int]) -> list[DevServer]:
    """The child each `prisma-doctor run` runs in `root`, when no dev server found by its command is it."""
    found: list[DevServer] = []
    for owner in run_control.runs(StateFolder(root)):
        if owner.child in claimed or owner.child in protected:
            continue
        try:
            process = psutil.Process(owner.child)
            if not same_user(process):
                continue
            tool = dev_server_tool(process.cmdline()) or "run"
            server = _describe(process, root, protected, None, "run", tool)
        except (psutil.Error, OSError):
            continue
        if server is not None:
            found.append(server)
    return found


def started_by(server: DevServer, pids: set[int]) -> bool:
    """Whether `server` is one of `pids` or runs under one of them (a server a repair started, found again)."""
    if pids.intersection(server.launcher_pids):
        return True
    try:
        top = psutil.Process(server.launcher_pids[0])
        return any(parent.pid in pids for parent in process_ancestors(top))
    except (psutil.Error, OSError, IndexError):
        return False


def _serves_project(lock: DevServerLock, root: Path, protected: set[int]) -> bool:
    """The lock's pid is still this project's `next dev`: after a kill the lock stays and the pid may be reused, and
    a lock can be written by anyone. So the process must be a runtime of this user in the project, no editor's, run
    a dev server (itself, or the parent that launched it: Next's lock names its `next-server` child), and have
    started when the lock says it did."""
    if lock.pid in protected or lock.started_at is None:
        return False
    try:
        process = psutil.Process(lock.pid)
        if not same_user(process) or not is_runtime(process) or not is_inside(Path(process.cwd()), root):
            return False
        if is_editor(process, root):
            return False
        parent = process_parent(process)
        commands = [process.cmdline(), *([parent.cmdline()] if parent is not None else [])]
        if not any(dev_server_tool(command) for command in commands):
            return False
        # Next writes the lock once its bundler is set up: after the process started, within a few minutes.
        started = started_at(process)
        written = lock.started_at.timestamp()
        return started - LOCK_CLOCK_SLACK <= written <= started + LOCK_WRITTEN_WITHIN
    except (psutil.Error, OSError):
        return False


def _describe(
    server: psutil.Process, root: Path, protected: set[int], port: int | None, source: str, tool: str
) -> DevServer | None:
    chain = [server]
    for parent in process_ancestors(server):
        if parent.pid in protected or not _launcher(parent, root):
            break
        chain.append(parent)
    try:
        command, cwd, environ = _how_launched(chain)
        launched = launchable(chain[-1].cmdline())
    except (psutil.Error, OSError):
        return None
    run = run_control.owner_of(StateFolder(root), chain[-1].pid)
    run_home, top, above = root, chain[-1], list[psutil.Process]()
    if run is None:
        enclosing = _workspace_run(chain[-1], root)
        if enclosing is not None:
            run, run_home, above, launched = enclosing
            top = above[-1]
    tree = listeners.tree(chain[-1].pid)
    if port is None:
        # The process that listens may be below the one that names the tool (tsx's child, nodemon's).
        listening = listeners.listeners(tree)
        log = StateFolder(run_home).path / "dev-output.log"
        port = _app_port(listening, command, environ, lambda: _announced_port(run_home, log))
    if top is not chain[-1]:
        # Stopping the server stops what its `run` runs (pnpm's whole tree), which that `run` then starts again.
        tree = listeners.tree(top.pid)
    return DevServer(
        pid=server.pid,
        command=command,
        cwd=cwd,
        port=port,
        launcher_pids=tuple(p.pid for p in reversed([*chain, *above])),
        source=source,
        tool=tool,
        tree_pids=tuple(p.pid for p in tree if p.pid not in protected),
        run=run,
        run_command=launched if run is not None else (),
        home=str(root),
        run_home=str(run_home) if run_home != root else "",
        environ=environ,
        supervisor=supervisor_above(chain[-1], protected),
    )


def _workspace_run(
    top: psutil.Process, app: Path
) -> tuple[run_control.RunOwner, Path, list[psutil.Process], tuple[str, ...]] | None:
    """The `prisma-doctor run` at the root of the workspace `app` lies in whose command (`pnpm --filter api dev`,
    `pnpm dev`) runs this app's server `top`: that run, the root, the processes from `top`'s parent up to the run's
    child, and the child's command. Its record lies at the root, not in
    the app; it counts only when the root is the workspace that declares the app as one of its packages and the
    run's child is an ancestor of the server, so that a copied folder's records never name another project's server.
    """
    workspace = find_workspace_root(app)
    if workspace is None or workspace == Path(os.path.realpath(app)):
        return None
    owners = run_control.runs(StateFolder(workspace))
    if not owners:
        return None
    ancestors = process_ancestors(top)
    for index, ancestor in enumerate(ancestors):
        owner = next((o for o in owners if o.child == ancestor.pid), None)
        if owner is not None:
            try:
                return owner, workspace, ancestors[: index + 1], launchable(ancestor.cmdline())
            except (psutil.Error, OSError):
                return None
    return None


def _how_launched(chain: list[psutil.Process]) -> tuple[tuple[str, ...], str, dict[str, str] | None]:
    """The command, folder and environment that start the chain again; `chain` runs from the server upwards."""
    launcher = chain[-1]
    cwd = launcher.cwd()
    environ = process_environment(launcher)
    # The topmost process a package manager started for one of the project's scripts carries that script; its parent
    # is the manager. Variables a process merely inherited (`npx yarn dev` leaves `npm_lifecycle_event=npx` to
    # yarn) name no script of the project: the search goes on below them.
    for index in range(len(chain) - 2, -1, -1):
        child_environ = process_environment(chain[index])
        if child_environ and child_environ.get("npm_lifecycle_event") and child_environ.get("npm_execpath"):
            script = child_environ.get("npm_lifecycle_script", "")
            event = child_environ["npm_lifecycle_event"]
            # Only the project's own script counts (`npx yarn dev` leaves npm's `npx` event to yarn).
            own = bool(script) and not is_plain_script(script) and _is_project_script(chain[index], event, script)
            if own and not _serves_others(chain):
                # The script does more than serve (`node seed.js && node --watch server.js`): the server's own
                # command, in its folder and with its environment, not the script again. Not when it runs other
                # servers beside this one (`concurrently "tsx watch server.ts" "tsx watch web.ts"`): the whole tree
                # is stopped, so the whole script is started again, or the others stay down (attacker's trial 12).
                server = chain[0]
                return launchable(server.cmdline()), server.cwd(), process_environment(server)
            rebuilt = _package_manager_command(chain[index], child_environ)
            if rebuilt is not None:
                return rebuilt, cwd, environ
    return launchable(launcher.cmdline()), cwd, environ


def _serves_others(chain: list[psutil.Process]) -> bool:
    """Whether the launcher's tree runs a dev server besides the one `chain` leads to (a sibling task of
    `concurrently`): stopping the tree stops it too."""
    mine = {p.pid for p in chain}
    with contextlib.suppress(psutil.Error, OSError):
        mine.update(p.pid for p in chain[0].children(recursive=True))
    for process in listeners.tree(chain[-1].pid):
        if process.pid in mine:
            continue
        with contextlib.suppress(psutil.Error, OSError):
            if is_runtime(process) and dev_server_tool(process.cmdline()) is not None:
                return True
    return False


def _package_manager_command(child: psutil.Process, environ: dict[str, str]) -> tuple[str, ...] | None:
    event = environ["npm_lifecycle_event"]
    script = environ.get("npm_lifecycle_script", "")
    execpath = environ["npm_execpath"]
    cmdline = child.cmdline()
    # `sh -c "<script> <arguments the manager appended, quoted>"`; a manager that runs the script without a shell
    # hands its arguments over as they are.
    line = cmdline[2] if len(cmdline) >= 3 and cmdline[1] == "-c" else " ".join(cmdline)
    if not script or not line.startswith(script) or not _is_project_script(child, event, script):
        return None
    try:
        extra = shlex.split(line[len(script) :])
    except ValueError:
        return None
    # The manager that ran the script is the script's parent; `npm_execpath` may be inherited from another one
    # (yarn classic under `npx` keeps npm's).
    runner = _manager_of(child) or _manager_from(environ, execpath)
    name = os.path.basename(runner[-1]).lower()
    # npm passes arguments after `--` only; pnpm, yarn and bun pass those after the script's name.
    separator = ["--"] if extra and "npm" in name and "pnpm" not in name else []
    return (*runner, "run", event, *separator, *extra)


def _manager_of(child: psutil.Process) -> list[str] | None:
    """`[node, <manager's entry>]` or `[bun]` from the process that started `child`, when it is a package manager."""
    try:
        parent = process_parent(child)
        cmdline = parent.cmdline() if parent is not None else []
    except (psutil.Error, OSError):
        return None
    if len(cmdline) >= 2 and os.path.basename(cmdline[1]).lower() in MANAGER_ENTRIES:
        return cmdline[:2]
    if cmdline and os.path.basename(cmdline[0]).lower().removesuffix(".exe") == "bun":
        return cmdline[:1]
    return None


def _manager_from(environ: dict[str, str], execpath: str) -> list[str]:
    if execpath.lower().endswith((".js", ".cjs", ".mjs")):
        return [environ.get("npm_node_execpath") or environ.get("NODE") or "node", execpath]
    return [execpath]


def _is_project_script(process: psutil.Process, event: str, script: str) -> bool:
    """Whether `event` is a script of the package.json where it ran, with the text the manager ran."""
    try:
        folder = Path(process.cwd())
    except (psutil.Error, OSError):
        return False
    scripts = (read_package_json(folder) or {}).get("scripts")
    return is_object(scripts) and scripts.get(event) == script


def _launcher(process: psutil.Process, root: Path) -> bool:
    """A parent that is part of how the server was launched: a runtime in the project or `sh -c` between them."""
    try:
        if not same_user(process) or not is_inside(Path(process.cwd()), root):
            return False
        cmdline = process.cmdline()
        if is_editor(process, root):
            return False
        if is_shell_loop(cmdline, process.cwd()):
            return False  # the user's own supervisor (`while :; do tsx watch server.ts; done`), never run again by us
        # A shell between them (`sh -c "next dev"`); never another program's `-c` (a `python -c` supervisor loop).
        return is_runtime(process) or runs_shell_command(cmdline)
    except (psutil.Error, OSError):
        return False


def unowned_listener(root: Path, pid: int, port: int) -> listeners.Listener | None:
    """On Windows, the server restarted in `root` when it announced `port` and a socket no process owns listens
    there (Wine): the listener to ask, which `listeners.listener_on` cannot see."""
    return _announced_without_owner(root, StateFolder(root).path / "dev-output.log", pid).get(port)


def _announced_without_owner(root: Path, log_path: Path, pid: int) -> dict[int, listeners.Listener]:
    """The port the restarted server's own output announced, when a socket listens there that no process owns.

    Wine lists every socket with pid 0, so no process's own listening sockets can be read; on Windows itself pid 0
    (the idle process) never listens, and elsewhere this is not asked. A port that another program already held
    would not have been announced: the server would have failed to bind it, or taken another one.
    """
    if os.name != "nt":
        return {}
    announced = _announced_port(root, log_path)
    if announced is None:
        return {}
    try:
        unowned = {
            int(c.laddr.port)
            for c in psutil.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN and c.laddr and not c.pid
        }
        started = started_at(psutil.Process(pid))
    except (psutil.Error, OSError):
        return {}
    if announced not in unowned:
        return {}
    return {announced: listeners.Listener(announced, "127.0.0.1", pid, started)}


def _port_from_command(command: tuple[str, ...]) -> int | None:
    for index, arg in enumerate(command):
        match = _PORT_FLAG.match(arg)
        if match:
            value = match.group(1) or (command[index + 1] if index + 1 < len(command) else "")
            if value.isdigit():
                return int(value)
    return None


def serving_since(server: DevServer) -> float | None:
    """When the process that answers for `server` started (epoch seconds): the one of its tree that listens on its
    port, else the child a watcher runs when it has no port (a worker that listens nowhere), else the server process.
    A watcher (`tsx watch`, `node --watch`, nodemon) starts that process again when a file it watches changes: its
    start, not the watcher's, says which client it loaded."""
    listener = listeners.listener_on(server.pid, server.port) if server.port is not None else None
    if listener is not None:
        return listener.started
    try:
        process = psutil.Process(server.pid)
        # A server with a port that nothing listens on is between two children: the new one does not answer yet.
        child = _running_child(process) if server.port is None and reruns_child(server.tool) else None
        return started_at(child or process)
    except psutil.Error:
        return None


def _running_child(watcher: psutil.Process) -> psutil.Process | None:
    """The child a watcher runs now: its newest live child that is a runtime or a shell (nodemon runs `sh -c`), not
    a helper of the watcher's own."""
    children: list[tuple[float, psutil.Process]] = []
    for child in watcher.children():
        with contextlib.suppress(psutil.Error, OSError):
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
            cmdline = child.cmdline()
            if is_runtime(child) or (len(cmdline) >= 2 and cmdline[1] == "-c"):
                children.append((started_at(child), child))
    return max(children, key=lambda pair: pair[0])[1] if children else None


def still_running(server: DevServer) -> bool:
    """Whether a process of the server's launcher chain is still alive (the same process, not a reused pid)."""
    for pid in (*server.launcher_pids, server.pid):
        if pid <= 0:
            continue
        try:
            process = psutil.Process(pid)
            if process.status() != psutil.STATUS_ZOMBIE and started_at(process) <= server.seen_at:
                return True
        except psutil.Error:
            continue
    return False


@dataclass(frozen=True)
class Restarted:
    pid: int
    port: int | None
    log: str
    answered: bool
    message: str
    folder: str = ""  # where its output is recorded (the project, or the app it runs in)
    tool: str = ""  # what serves, as the server it replaces was told (devserver_kinds)


# How the line a restart adds to a server's recorded output begins.
RESTART_MARK = "--- prisma-doctor restarted: "


def restart_marker(command: str, cwd: str) -> bytes:
    """The line a server's recorded output gets where it was started again (by a repair, or by `run` for one): what
    came before it is the old process's (`logs.recognize` reads it as a restart), and what follows, the new one's."""
    return f"\n{RESTART_MARK}{command} (in {cwd})\n".encode()


# How long a server started again is waited for until it answers: a first start through a cold cache, on a busy machine.
RESTART_SECONDS = 180.0


def restart(
    server: DevServer,
    root: Path,
    *,
    timeout: float = RESTART_SECONDS,
    should_stop: Callable[[], bool] = lambda: False,
    routes: Sequence[str] = (),
) -> Restarted:
    """Start `server.command` again, detached, and wait until its port answers (or it exits or crashes, or time runs
    out). `routes`: the failed GETs, asked before `/` (`_wait_until_answering`)."""
    _remove_stale_next_lock(root)
    folder = StateFolder(root)
    log_path = folder.path / "dev-output.log"
    log = folder.append("dev-output.log")
    log.write(restart_marker(server.shown_command, server.cwd))
    log.flush()
    try:
        child = subprocess.Popen(
            list(server.command),
            cwd=server.cwd,
            env=server.environ or dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session (POSIX) or process group (Windows): it outlives the doctor, and is stopped as a tree.
            start_new_session=os.name != "nt",
            creationflags=_DETACHED_ON_WINDOWS,
        )
    except OSError as error:
        return Restarted(0, None, str(log_path), False, f"could not start {server.command[0]}: {error}")
    finally:
        log.close()
    return _wait_until_answering(child.pid, child.poll, server, root, log_path, timeout, should_stop, routes)


def restart_in_run(
    server: DevServer,
    root: Path,
    *,
    timeout: float = RESTART_SECONDS,
    should_stop: Callable[[], bool] = lambda: False,
    routes: Sequence[str] = (),
) -> Restarted | None:
    """Ask the `prisma-doctor run` that ran the server to start its command again, in its own terminal, and wait
    until the new server answers. Its output goes on into `run`'s terminal and record. None when that `run` is gone
    and started nothing: the server is then the caller's to start (`restart`), not left down."""
    folder = StateFolder(root)
    log_path = folder.path / "dev-output.log"
    owner = server.run
    assert owner is not None
    if not run_control.alive(owner):
        return None
    run_control.ask(folder, run_control.START, [owner])
    deadline = time.monotonic() + timeout
    child = None
    while time.monotonic() < deadline and not should_stop():
        child = run_control.current_child(folder, owner)
        if child is not None and child != owner.child:
            break
        if not run_control.alive(owner):
            return None
        time.sleep(0.2)
    if child is None or child == owner.child:
        return Restarted(0, None, str(log_path), False, "`prisma-doctor run` did not start the dev server again")
    return _wait_until_answering(child, lambda: _exit_code(child), server, root, log_path, timeout, should_stop, routes)


def _exit_code(pid: int) -> int | None:
    """For a process that is not ours to wait for: None while it runs, else -1 (its code is its parent's to read)."""
    try:
        return -1 if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else None
    except psutil.Error:
        return -1


def _remove_stale_next_lock(root: Path) -> None:
    # After a kill Next leaves its lock behind; a new `next dev` may take it for a running server. Removed as any
    # other path of the project: never through a link (`.next` may lead elsewhere).
    lock = read_lock(root)
    if lock is not None and not psutil.pid_exists(lock.pid):
        with contextlib.suppress(OutsideProject, CrossesMount, NotPermitted, LockedFile, OSError):
            remove_tree(root / LOCK, root)


# How often a restarted server is looked at until it listens (a look reads the process table and the sockets of its
# few processes), unless its output grows first: a server says when it listens (`Local: http://...`, `✓ Ready`), and
# is looked at then. A poll alone would lose half its interval, on average, of every repair's time to green
# (bench/green_bench.py).
RESTART_POLL_SECONDS = 0.2
# How long a restarted server that listens on no port (a worker) must run without exiting to count as back.
PORTLESS_SECONDS = 5.0


# Each GET while a restarted server is awaited gets this long for its headers, then the next route is asked: a route
# that never answers (a handler that hangs on `/`) held the whole wait, and the repair said the server "did not come
# back" while it served its other routes (attacker's trial 13, L6). A page still compiling is asked again, and the
# compile the first GET set off goes on meanwhile.
ASK_SECONDS = 15.0
# Asked last, when neither the failed routes nor `/` answer: every browser asks it, and any answer (a 404) shows the
# server serves HTTP.
ANY_ROUTE = "/favicon.ico"


def _wait_until_answering(
    pid: int,
    exit_code: Callable[[], int | None],
    server: DevServer,
    root: Path,
    log_path: Path,
    timeout: float,
    should_stop: Callable[[], bool],
    routes: Sequence[str] = (),
) -> Restarted:
    """Wait until the new server's own listener gives any HTTP answer to one of `routes` (the GETs that failed), `/`
    or `ANY_ROUTE`, each asked in turn for at most `ASK_SECONDS`; or until it exits, or its output ends in a crash
    while nothing of it listens (its watcher, alive, waits for a change: `crash.recorded_crash`)."""
    deadline = time.monotonic() + timeout
    asked = list(dict.fromkeys([*routes, "/", ANY_ROUTE]))
    turn = 0
    listened_on: int | None = None
    port = server.port
    # A port the server chose itself (`PORT=0`, or the tool's default, which it leaves when taken) may differ with
    # each start: it is read again from what the new tree listens on. A port its command or PORT names is awaited.
    pinned = _pinned_port(server)
    # A server that listened on no port when it was found (a queue worker or a bot under `tsx watch`) is back once
    # its process has run a while without exiting: waiting for an HTTP answer it never gives held the repair, and
    # every server after it, for the whole timeout (attacker's trial 4). Not on Windows, whose sockets may be read
    # as no process's own (Wine): there a port none was read for is still awaited.
    portless = server.port is None and pinned is None and os.name != "nt"
    started = time.monotonic()
    while time.monotonic() < deadline:
        if should_stop():
            return Restarted(pid, port, str(log_path), False, "cancelled while waiting for the dev server")
        code = exit_code()
        if code is not None:
            return Restarted(pid, port, str(log_path), False, f"the dev server exited with code {code}")
        if pinned is not None and os.name != "nt" and not listeners.accepts(pinned):
            # Nothing listens on the port yet: the server's processes and sockets need no look (a look costs what
            # the server's own start-up needs, on a machine of two cores). Not on Windows, where a refused
            # connection is retried for about a second before it fails.
            crashed = _crash_since_restart(log_path)
            if crashed:
                return Restarted(pid, port, str(log_path), False, crashed)
            listeners.output_grew(log_path, RESTART_POLL_SECONDS)
            continue
        # The port is one this server's own processes listen on, asked on the address they listen on: another
        # server answering on the recorded port (a second copy, an older one, another address) proves nothing.
        listening = listeners.listeners(listeners.tree(pid)) or _announced_without_owner(root, log_path, pid)
        if not listening:
            # Its app died at once (`EADDRINUSE`: another process took the port meanwhile) under a watcher that
            # stays alive: nothing of it will listen until a file changes, so the wait ends with the crash's words.
            crashed = _crash_since_restart(log_path)
            if crashed:
                return Restarted(pid, port, str(log_path), False, crashed)
        if pinned is not None:
            port = pinned
        elif listening:
            port = _app_port(listening, server.command, None, lambda: _announced_port(root, log_path), port)
        listener = listening.get(port) if port is not None else None
        if listener is not None:
            listened_on = port
            route = asked[turn % len(asked)]
            ask = max(1.0, min(ASK_SECONDS, deadline - time.monotonic()))
            if listeners.answers(listener, route, timeout=ask):
                moved = f" (it listened on {server.port} before)" if server.port not in (None, port) else ""
                which = "" if route == "/" else f" (GET {route})"
                return Restarted(pid, port, str(log_path), True, f"the dev server answers on port {port}{which}{moved}")
            turn += 1
            continue
        if portless and not listening and time.monotonic() - started >= PORTLESS_SECONDS:
            said = (
                f"it runs again ({PORTLESS_SECONDS:.0f}s without exiting; it listened on no port before: none awaited)"
            )
            return Restarted(pid, None, str(log_path), True, said)
        listeners.output_grew(log_path, RESTART_POLL_SECONDS)
    if listened_on is not None:
        gets = ", ".join(f"GET {route}" for route in asked)
        said = (
            f"the dev server runs again and listens on port {listened_on}, but gave no HTTP answer to {gets} within "
            f"{timeout:.0f}s (each asked for up to {ASK_SECONDS:.0f}s): it hangs, or is still starting"
        )
        return Restarted(pid, port, str(log_path), False, said)
    return Restarted(pid, port, str(log_path), False, f"the dev server did not answer within {timeout:.0f}s")


# A server that failed to bind its port: Node's `listen EADDRINUSE: address already in use 127.0.0.1:3000`.
_PORT_TAKEN = re.compile(r"EADDRINUSE\b.*:(\d{1,5})\b")


def _crash_since_restart(log_path: Path) -> str:
    """`it crashed: <the error>` when the restarted server's output, since its restart mark, ends in a crash; for a
    port taken, with the process that holds it. Empty otherwise."""
    # Imported here: `crash` reads this module's restart mark and servers.
    from prisma_doctor.crash import recorded_crash

    crash = recorded_crash(log_path)
    if crash is None:
        return ""
    taken = _PORT_TAKEN.search(crash.error)
    holder = listeners.port_holder(int(taken[1])) if taken else None
    held = ""
    if taken and holder is not None:
        with contextlib.suppress(psutil.Error, OSError):
            held = f" (pid {holder.pid} of `{shown_command(tuple(holder.cmdline()))}` holds that port)"
    return f"it crashed: {crash.error}{held}"


def _announced_port(root: Path, log_path: Path) -> int | None:
    lock = read_lock(root)
    if lock is not None and lock.port is not None:
        return lock.port
    try:
        with project_files.open_regular(log_path) as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - 20000))
            tail = handle.read(20000).decode("utf-8", "replace")
    except OSError:
        return None
    return _app_url_port(tail.rsplit(RESTART_MARK, 1)[-1])


# The line a dev server announces its own address on (Vite's and Next's `Local:`).
_LOCAL_LINE = re.compile(r"\bLocal:\s")


def _app_url_port(output: str) -> int | None:
    """The port of the URL a server's output gives as the app's: on a `Local:` line, else the site's root (no path,
    or `/`), else any; the last of that kind. A server may print others after its own: a Prometheus exporter's
    `http://localhost:9464/metrics`, which answers 200 to any path and was taken for the app as the last URL."""
    ranked: tuple[list[int], list[int], list[int]] = ([], [], [])
    for line in output.splitlines():
        for match in _URL.finditer(line):
            rest = line[match.end() :]
            kind = 0 if _LOCAL_LINE.search(line) else (1 if not rest.startswith("/") or rest[1:2] in ("", " ") else 2)
            ranked[kind].append(int(match[1]))
    return next((ports[-1] for ports in ranked if ports), None)


def _pinned_port(server: DevServer) -> int | None:
    """The port the restarted server must come back on: the one its command names (`-p 3101`), or its `PORT` where it
    listened before. `PORT` is a convention, not the server's word: a workspace's shell may export it for one app (the
    web) while another reads its own variable (`API_PORT`)."""
    flagged = _port_from_command(server.command)
    if flagged:
        return flagged
    named = _named_port(server.command, server.environ)
    return named if named is not None and named == server.port else None


def _named_port(command: tuple[str, ...], environ: dict[str, str] | None) -> int | None:
    """The port the server's command (`-p 3101`, `--port=5174`) or its `PORT` names; None when it picks its own."""
    flagged = _port_from_command(command)
    if flagged:
        return flagged
    named = (environ or {}).get("PORT", "")
    return int(named) if named.isdigit() and 0 < int(named) < 65536 else None


def _app_port(
    listening: dict[int, listeners.Listener],
    command: tuple[str, ...],
    environ: dict[str, str] | None,
    announced: Callable[[], int | None],
    previous: int | None = None,
) -> int | None:
    """The app's port among those its tree listens on: the one its command or `PORT` names, else the one its output
    or Next's lock announced, else the one it had, else the lowest. Never Node's inspector (`--inspect`: its own
    listener in the server's tree, answering 400 to any path), which a lowest-port rule took for the app (attacker's
    trial 4: "verified" on the inspector's 400 while the app answered 500). None when only the inspector listens."""
    if not listening:
        return _port_from_command(command)
    apps = inspectors.apps(listening)
    named = _named_port(command, environ)
    if named in apps:
        return named
    if len(apps) > 1:
        said = announced()
        if said in apps:
            return said
        if previous in apps:
            return previous
    return min(apps, default=None)
