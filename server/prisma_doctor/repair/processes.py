"""The project's own processes that hold its generated client, and how to stop them.

A process is stopped only when it is this user's (its real uid, or its user name on Windows) and either a
JavaScript runtime (node, bun, deno) whose working directory really lies in the project, or, on Windows only, a
process that has a file to be removed open or loaded, which is what blocks the removal there. Elsewhere an open
file blocks nothing, so a `tail -f` on a client file or a node whose argument merely names a project file is left
alone. Never this tool, its ancestors (the editor that started the language server, the shell that ran the
command), the editor's own helpers (extension host, tsserver), nor anything outside the project.
Stopping asks first (terminate), waits, then kills; what was stopped is reported with its command line and
working directory, and its environment is kept in memory only, so that it can be started again.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from prisma_doctor.masking import shown_command
from prisma_doctor.process_names import is_prisma_doctor, process_ancestors, process_name, process_program
from prisma_doctor.process_start import same_start, start_key
from prisma_doctor.repair.devserver_kinds import runtime_script, script_package
from prisma_doctor.repair.safe_fs import is_inside

RUNTIMES = ("node", "bun", "deno")
# An editor is told by its program, never by a word anywhere in its arguments (a dev server's `--app=electron-shop`,
# a `vscode-tools` folder): its own binaries (Electron apps; macOS names the extension host `Code Helper (Plugin)`)
# or this tool,
EDITOR_PROGRAMS = frozenset(
    (
        "code",
        "code-insiders",
        "code - insiders",
        "code-oss",
        "codium",
        "vscodium",
        "code-server",
        "cursor",
        "windsurf",
        "electron",
        "code helper",
        "code helper (plugin)",
        "cursor helper",
        "cursor helper (plugin)",
    )
)
# the scripts an editor runs under a JavaScript runtime (the TypeScript server and its typings installer, the
# extension host),
EDITOR_SCRIPTS = frozenset(("tsserver", "typingsinstaller", "extensionhostprocess", "bootstrap-fork"))
# and a script of an editor's own folders: its extensions (a language server one of them launched) and its remote
# server, and code-server's install (`code-server-4.100.3-linux-amd64/`). Each a folder of its own name.
EDITOR_FOLDERS = re.compile(
    r"[/\\](?:\.(?:vscode|vscode-insiders|vscode-oss|vscode-server|vscode-server-insiders|cursor|cursor-server"
    r"|windsurf|windsurf-server)|code-server[^/\\]*)[/\\]"
)
# Packages that are language servers, whoever launched them (an editor other than VS Code: Neovim, Helix).
_LANGUAGE_SERVER = re.compile(r"language-?server", re.IGNORECASE)


@dataclass(frozen=True)
class ProjectProcess:
    pid: int
    ppid: int
    name: str
    cmdline: tuple[str, ...]
    cwd: str | None
    started: float  # process_start.start_key: its identity with the pid
    reason: str
    environ: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def command(self) -> str:
        """The command line as it may be shown: retitled processes (`npm run dev`, `next-server (v16)`) pad it with
        spaces, and a password in it (`--db=mysql://root:pw@...`) is masked."""
        return shown_command(arg.strip() for arg in self.cmdline if arg.strip()) or self.name

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "command": self.command, "cwd": self.cwd, "reason": self.reason}


def protected_pids() -> set[int]:
    """This process and every ancestor: stopping any of them would stop the repair itself or its editor."""
    pids = {os.getpid()}
    with contextlib.suppress(psutil.Error):
        pids.update(parent.pid for parent in process_ancestors(psutil.Process()))
    return pids


def is_runtime(process: psutil.Process) -> bool:
    names: list[str] = []
    with contextlib.suppress(psutil.Error, OSError):
        names.append(process_name(process))
    with contextlib.suppress(psutil.Error, OSError):
        names.append(process_program(process))
    return any(_stem(name) in RUNTIMES for name in names)


def _stem(name: str) -> str:
    base = name.lower()
    return base[:-4] if base.endswith(".exe") else base


def is_editor(process: psutil.Process, root: Path) -> bool:
    """An editor's process or one of its helpers: never the project's to stop, nor its dev server."""
    cmdline = process.cmdline()
    programs = [os.path.basename(cmdline[0])] if cmdline else []
    with contextlib.suppress(psutil.Error, OSError):
        programs.append(process_program(process))
    if any(_stem(program) in EDITOR_PROGRAMS for program in programs):
        return True
    if is_prisma_doctor(cmdline):
        return True  # this tool's own language server
    script = runtime_script(cmdline) if is_runtime(process) else None
    if script is None:
        return False
    if os.path.basename(script).lower().split(".", 1)[0] in EDITOR_SCRIPTS:
        return True
    # The project's own path may be anything (`~/.vscode-demo/app`): only the part outside it is read.
    outside = script.replace(str(root), "<project>")
    return bool(EDITOR_FOLDERS.search(outside) or _LANGUAGE_SERVER.search(script_package(outside)))


def find_project_processes(root: Path, client_paths: Iterable[Path] = ()) -> list[ProjectProcess]:
    """Every process of this project that may hold its client, parents before children."""
    protected = protected_pids()
    held = [Path(p) for p in client_paths]
    # Only a native engine library (`*.node`) is mapped into a process; reading memory maps is slow, so skip it
    # when there is none (engineType "client" and Prisma 7 have none).
    maps = any(True for folder in held if folder.is_dir() for _ in folder.glob("*.node"))
    found: list[ProjectProcess] = []
    seen: dict[Path, bool] = {}
    # Not "name": Wine's psutil raises a plain OSError for it, which would end the whole iteration.
    for process in psutil.process_iter(["pid", "ppid"]):
        if process.pid in protected:
            continue
        try:
            reason = _belongs(process, root, held, maps, seen)
            if reason is None:
                continue
            cmdline = tuple(process.cmdline())
            if is_editor(process, root):
                continue
            found.append(
                ProjectProcess(
                    pid=process.pid,
                    ppid=process.info["ppid"] or 0,
                    name=process_name(process),
                    cmdline=cmdline,
                    cwd=_cwd(process),
                    started=start_key(process),
                    reason=reason,
                    environ=process_environment(process),
                )
            )
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return sorted(found, key=lambda p: p.started)


def launcher_process(pid: int, reason: str) -> ProjectProcess | None:
    """A process that launches one of the project's dev servers from outside its folders (the `pnpm --filter api dev`
    a `prisma-doctor run` at the workspace's root runs), to be stopped with it; None once gone or not this user's."""
    try:
        process = psutil.Process(pid)
        if not same_user(process):
            return None
        return ProjectProcess(
            pid=pid,
            ppid=process.ppid(),
            name=process_name(process),
            cmdline=tuple(process.cmdline()),
            cwd=_cwd(process),
            started=start_key(process),
            reason=reason,
            environ=process_environment(process),
        )
    except (psutil.Error, OSError):
        return None


def in_other_project(cwd: Path, root: Path, seen: dict[Path, bool]) -> bool:
    """Whether `cwd`, inside `root`, lies in a project of its own nested there (`examples/app` with its own
    package.json and its own `node_modules` or Prisma schema) that does not use `root`'s client (`workspace.
    uses_project`): its processes load its own client, and are not `root`'s to stop, restart or ask (attacker's trial
    12, #2). `seen` keeps each folder's answer for one search."""
    from prisma_doctor.project import is_project_root
    from prisma_doctor.workspace import uses_project

    try:
        parts = cwd.relative_to(root).parts
    except ValueError:
        return False
    folder = root
    for part in parts:
        folder = folder / part
        if folder not in seen:
            manifest = (folder / "package.json").is_file()
            own = manifest and ((folder / "node_modules").is_dir() or is_project_root(folder))
            seen[folder] = own and not uses_project(folder, root)
        if seen[folder]:
            return True
    return False


def _belongs(
    process: psutil.Process, root: Path, held: list[Path], maps: bool, seen: dict[Path, bool] | None = None
) -> str | None:
    # The working folder first: one link read rules out nearly every process of the machine, before its user and
    # program are read (as `devserver.find_dev_servers` does). On Windows a process elsewhere may hold a client file.
    cwd = _cwd(process)
    in_project = is_inside(Path(cwd), root) if cwd else False
    if in_project and cwd and in_other_project(Path(cwd), root, {} if seen is None else seen):
        in_project = False
    if not (in_project or (os.name == "nt" and held)) or not same_user(process):
        return None
    if in_project and is_runtime(process):
        return "working directory in the project"
    if os.name == "nt" and held and _holds(process, held, maps):
        return "has a file of the generated client open, which blocks its removal"
    return None


def same_user(process: psutil.Process) -> bool:
    """Whether `process` runs as the user running this tool (as root too: root stops no one else's process)."""
    try:
        if hasattr(os, "getuid"):
            return bool(process.uids().real == os.getuid())
        return bool(process.username() == psutil.Process().username())
    except (psutil.Error, OSError):
        return False


def _holds(process: psutil.Process, held: list[Path], maps: bool) -> bool:
    names = [f.path for f in process.open_files()]
    if maps and hasattr(process, "memory_maps"):
        names += [m.path for m in process.memory_maps(grouped=True)]
    return any(is_inside(Path(name), path) for name in names for path in held)


def maps_engine(pid: int, folders: Iterable[Path]) -> bool:
    """Whether process `pid` has a native query engine (`*.node`) of one of the client `folders` mapped: it loaded
    that client (its library stays mapped, even once the file is replaced)."""
    held = [Path(f) for f in folders]
    if not any(True for folder in held if folder.is_dir() for _ in folder.glob("*.node")):
        return False
    try:
        process = psutil.Process(pid)
        if not hasattr(process, "memory_maps"):
            return False
        names = [m.path.removesuffix(" (deleted)") for m in process.memory_maps(grouped=True)]
    except (psutil.Error, OSError):
        return False
    return any(name.endswith(".node") and is_inside(Path(name), path) for name in names for path in held)


def _cwd(process: psutil.Process) -> str | None:
    try:
        return process.cwd()
    except (psutil.Error, OSError):
        return None


def process_environment(process: psutil.Process) -> dict[str, str] | None:
    """A process's environment, or None where this user may not read it."""
    try:
        return dict(process.environ())
    except (psutil.Error, OSError):
        return None


def _wait_gone(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited; return those still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    alive = processes
    while True:
        # A zombie has stopped; it only waits for its parent (a shell, a test) to reap it.
        alive = [p for p in alive if p.is_running() and not _is_zombie(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def _is_zombie(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


@dataclass(frozen=True)
class StopResult:
    stopped: list[ProjectProcess]
    killed: list[ProjectProcess]
    survivors: list[ProjectProcess]
    # Gone before their turn came: a child ends with its parent (Node on Windows keeps its children in a job that
    # ends with it), or it exited by itself.
    ended: list[ProjectProcess] = field(default_factory=list)


def stop_processes(processes: Sequence[ProjectProcess], grace: float = 5.0) -> StopResult:
    """Terminate, wait `grace` seconds, then kill what is left. A pid reused by another process is left alone."""
    live: dict[psutil.Process, ProjectProcess] = {}
    ended: list[ProjectProcess] = []
    for item in processes:
        try:
            process = psutil.Process(item.pid)
            if not same_start(start_key(process), item.started):
                ended.append(item)  # the pid now names another process
                continue
            process.terminate()
            live[process] = item
        except psutil.NoSuchProcess:
            ended.append(item)
            continue
        except psutil.AccessDenied:
            live[psutil.Process(item.pid)] = item
    remaining = _wait_gone(list(live), grace)
    killed: list[ProjectProcess] = []
    for process in remaining:
        try:
            process.kill()
            killed.append(live[process])
        except psutil.NoSuchProcess:
            pass
        except psutil.AccessDenied:
            continue
    survivors = _wait_gone(remaining, grace)
    return StopResult(
        stopped=[live[p] for p in live if p not in survivors],
        killed=killed,
        survivors=[live[p] for p in survivors],
        ended=ended,
    )


@dataclass(frozen=True)
class ServingProcess:
    """A process of the project that listened on a port when the repair was planned."""

    process: ProjectProcess
    port: int

    @property
    def label(self) -> str:
        return f"pid {self.process.pid}, {self.process.command} (in {self.process.cwd}, port {self.port})"

    def still_runs(self) -> bool:
        """The same process (not a pid used again since), not a zombie."""
        try:
            running = psutil.Process(self.process.pid)
            return same_start(start_key(running), self.process.started) and not _is_zombie(running)
        except psutil.Error:
            return False


def serving_processes(processes: Iterable[ProjectProcess]) -> list[ServingProcess]:
    """Those of `processes` that listen on a port now, each with its lowest one."""
    from prisma_doctor.repair import listeners

    found: list[ServingProcess] = []
    for item in processes:
        try:
            ports = listeners.listeners([psutil.Process(item.pid)])
        except psutil.Error:
            continue
        if ports:
            found.append(ServingProcess(item, min(ports)))
    return found
