"""What the last repair left behind when it did not finish (killed with -9, a machine that lost power, a failure whose
rollback could not put everything back): the folders it set aside that are still aside, and the dev servers it
stopped that do not run now. Read from its journal, checked against the project as it is now, and said as one
finding (`repair-interrupted`) with its fix: the next repair's plan puts back or takes over what was set aside and
starts those servers again.

A journal is a record, never a source of commands (a repository can carry one): a folder is put back only from the
doctor's own aside places to a place a repair sets aside (a generated client's folder or a cache), a client only when
it is provably Prisma's; a dev server is started again only as one of the project's own `package.json` scripts that
runs a dev server (plain words, no shell syntax), by the project's package manager, with at most a port flag after
it. Anything else is named for the user to start.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psutil

from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.json_values import is_array, is_object
from prisma_doctor.masking import shown_command
from prisma_doctor.package_json import read_package_json
from prisma_doctor.process_start import same_start, start_key, started_at
from prisma_doctor.repair import journal
from prisma_doctor.repair.context import SetAsidePath
from prisma_doctor.repair.devserver import DevServer
from prisma_doctor.repair.devserver_kinds import runs_a_dev_server
from prisma_doctor.repair.safe_fs import is_inside
from prisma_doctor.state_folder import STATE_DIR

# The fix each kind of repair is offered under: running it again completes what the dead one began.
FIX_FOR_KIND = {"reset": "full-reset", "regenerate": "regenerate", "restart-dev": "restart-dev-server"}
_PORT_ARGUMENTS = re.compile(r"^(?:-p|--port)(?:=\d{1,5})?$|^\d{1,5}$")
# The most of a record that is read: a journal the doctor wrote holds a handful of each.
_MOST = 16


@dataclass(frozen=True)
class AsideCopy:
    """A folder the dead repair moved out of the way and that is still there."""

    original: Path  # where it was
    aside: Path  # where it is
    provider: str | None  # the generator of a client folder, None for a cache
    file_extension: str
    replaced: bool  # something stands at `original` now (a client generated since, or a half-written one)

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.original), "aside": str(self.aside), "replaced": self.replaced}

    def record(self) -> dict[str, Any]:
        """As the journal keeps it (`aside_record`)."""
        item = SetAsidePath(self.original, self.provider, self.file_extension)
        return aside_record(item, self.aside)


def aside_record(item: SetAsidePath, aside: Path) -> dict[str, Any]:
    """A journal's entry for a folder set aside: where it was, where it went, and how to tell it is Prisma's."""
    return {"from": str(item.path), "to": str(aside), "provider": item.provider, "extension": item.file_extension}


@dataclass(frozen=True)
class StoppedServer:
    """A dev server the dead repair stopped, which does not run now."""

    recorded: str  # its command as the record says, for the user to read (escaped)
    cwd: Path
    port: int | None
    tool: str
    script: str | None  # the project's own script that starts it again, or None: named for the user to start
    arguments: tuple[str, ...] = ()  # the port flag the user gave the script, if any
    manager: str = "npm"

    def _run_words(self) -> tuple[str, ...]:
        """`run <script> [-- <port flag>]`: npm passes arguments after `--` only; pnpm, yarn and bun pass those after
        the script's name."""
        assert self.script is not None
        separator = ("--",) if self.arguments and self.manager == "npm" else ()
        return ("run", self.script, *separator, *self.arguments)

    @property
    def label(self) -> str:
        """As the user starts it (`npm run dev`) when it is a project script; else as recorded."""
        return shown(" ".join((self.manager, *self._run_words()))) if self.script is not None else self.recorded

    def to_json(self) -> dict[str, Any]:
        return {"command": self.recorded, "cwd": str(self.cwd), "port": self.port, "script": self.script}

    def dev_server(self, manager_program: Callable[[str], list[str]]) -> DevServer | None:
        """The server as `RestartDevServers` starts it: `<manager> run <script>` in its folder, on its port."""
        if self.script is None:
            return None
        command = (*manager_program(self.manager), *self._run_words())
        # The environment is the repair's own (the record keeps none: a server's variables hold secrets); the port
        # it had is handed on as `PORT`, as a user's terminal would have it.
        environ = {**os.environ, **({"PORT": str(self.port)} if self.port else {})}
        return DevServer(0, command, str(self.cwd), self.port, (), "record", self.tool, home="", environ=environ)


@dataclass(frozen=True)
class RunningCommand:
    """A command the dead repair started that still runs (in its own session, it outlived the repair): a `prisma
    generate` still writing the client it set aside."""

    pid: int
    step: str

    @property
    def label(self) -> str:
        return "`prisma generate`" if self.step == "generate" else f"the command of its `{shown(self.step)[:40]}` step"


def _what_stands(copy: AsideCopy) -> str:
    """What is at a place the dead repair emptied: written since (its own generate that ran on, or one run later)."""
    if copy.provider is None:
        return "something else stands there now"
    from prisma_doctor.repair.ownership import not_a_generated_client

    problem = not_a_generated_client(copy.original, copy.provider, file_extension=copy.file_extension)
    if problem is None:
        return "Prisma's generated files stand there now, written since (whether they match the schema is said apart)"
    return f"files stand there now that are not a client Prisma generated ({shown(problem)})"


def child_record(pid: int, step: str) -> dict[str, Any]:
    """The journal's entry for a command a step started: its pid, its start (a pid used again is not it), its step."""
    try:
        start: float | None = start_key(psutil.Process(pid))
    except (psutil.Error, OSError, ValueError):
        start = None
    return {"pid": pid, "start": start, "step": step}


@dataclass(frozen=True)
class Interruption:
    """The last repair, which did not finish, and what it left that is still so."""

    kind: str
    pid: int | None
    started: float | None
    # How it ended by itself ("failed", "cancelled": its rollback or discard could not do everything), or None: killed.
    outcome: str | None
    aside: tuple[AsideCopy, ...]
    stopped: tuple[StoppedServer, ...]
    # What it started that runs still: until it ends, a repair would race it for the same folder.
    running: RunningCommand | None = None

    @property
    def fix(self) -> str:
        return FIX_FOR_KIND.get(self.kind, "full-reset")

    def describe(self) -> str:
        """One line: which repair, and what it left."""
        when = _when(self.started)
        how = (
            f"ended ({self.outcome}) without putting everything back or removing it"
            if self.outcome
            else "did not finish (killed, or the machine stopped)"
        )
        parts = [f"a {self.kind} (pid {self.pid or '?'}, started {when}) {how}"]
        if self.running is not None:
            parts.append(f"{self.running.label} it started (pid {self.running.pid}) still runs in the project")
        if self.stopped:
            servers = "; ".join(
                f"`{s.label}` (in {shown(str(s.cwd))}" + (f", port {s.port})" if s.port else ")") for s in self.stopped
            )
            verb = "does" if len(self.stopped) == 1 else "do"
            parts.append(f"it stopped {servers}, which {verb} not run now")
        for copy in self.aside:
            state = (
                _what_stands(copy)
                if copy.replaced
                else "nothing replaced it" + (": the project has no client there" if copy.provider else "")
            )
            parts.append(f"it set {shown(str(copy.original))} aside ({state}; the copy is {shown(str(copy.aside))})")
        return "; ".join(parts)

    def client_aside(self, finding: Finding) -> Finding:
        """A `client-not-generated` whose client this repair set aside (and nothing replaced) as what it is:
        `client-set-aside`, where the copy is, and what puts it back. Any other finding as it is."""
        output = finding.data.get("output") if finding.code == "client-not-generated" else None
        copy = next(
            (c for c in self.aside if output and c.provider and not c.replaced and _same_path(c.original, output)),
            None,
        )
        if copy is None:
            return finding
        generator = finding.data.get("generator")
        # A runtime error names the module, not the generator.
        whose = f"Generator `{shown(str(generator))}` has no client" if generator else "There is no generated client"
        then = f"run the {self.kind} again; or move the copy back yourself"
        if self.running is not None:
            then = (
                f"{self.running.label} it started (pid {self.running.pid}) still runs and may write a new one there: "
                f"wait until it ends, then run the {self.kind} again"
            )
        return replace(
            finding,
            code="client-set-aside",
            message=(
                f"{whose} at {shown(str(copy.original))}: it was generated, and the "
                f"{self.kind} that did not finish set it aside to {shown(str(copy.aside))}. The next repair puts it "
                f"back or takes it over in its first step (`recover`): {then}."
            ),
            fixes=(self.fix,),
            data={**finding.data, "aside": str(copy.aside)},
        )

    def finding(self, where: Location | None = None) -> Finding:
        # Down until recovered: a server stopped, or a client folder empty. Old copies beside a new client are only
        # disk space.
        down = bool(self.stopped) or any(c.provider and not c.replaced for c in self.aside)
        fixes = [self.fix, *(["restart-dev-server"] if self.stopped and self.fix != "restart-dev-server" else [])]
        restart = [s for s in self.stopped if s.script is None]
        advice = f"; run the {self.kind} again: its plan first puts back or takes over what was set aside"
        if self.running is not None:
            advice = f"; wait until {self.running.label} (pid {self.running.pid}) ends, then" + advice[1:]
        advice += " and starts the dev server again with its own script" if any(s.script for s in self.stopped) else ""
        if restart:
            # Never a command read from the record: only a project script (restarted by the repair) is one to run.
            folders = ", ".join(dict.fromkeys(shown(str(s.cwd)) for s in restart))
            advice += (
                f"; start your dev server in {folders} yourself (the command recorded is no script of the project)"
            )
        return Finding(
            "repair-interrupted",
            Severity.ERROR if down else Severity.WARNING,
            self.describe() + advice,
            where,
            fixes=tuple(fixes),
            data={
                "kind": self.kind,
                "pid": self.pid,
                "running": {"pid": self.running.pid, "step": self.running.step} if self.running else None,
                "stopped": [s.to_json() for s in self.stopped],
                "setAside": [c.to_json() for c in self.aside],
            },
        )


def left_by_last_repair(
    root: Path, running: Callable[[Path], Sequence[DevServer]] | None = None
) -> Interruption | None:
    """What the last repair of `root` left, when it did not finish and left something; None otherwise (no record,
    it finished, it still runs, or everything it touched is back). `running`: the dev servers of a folder now
    (`devserver.find_dev_servers`), asked only when the record names a stopped server."""
    record = journal.Journal.previous(root)
    if record is None or record.get("outcome") == "done":
        return None
    finished = record.get("outcome") is not None
    if not finished and _still_running(record):
        return None
    aside = tuple(_still_aside(root, record))
    stopped = tuple(_still_stopped(root, record, running)) if not finished or _restart_failed(record) else ()
    writing = _still_writing(root, record) if not finished else None
    if not aside and not stopped and writing is None:
        return None
    kind = str(record.get("kind", "repair"))[:40]
    pid = record.get("pid") if isinstance(record.get("pid"), int) else None
    started = record.get("started") if isinstance(record.get("started"), (int, float)) else None
    outcome = shown(str(record["outcome"]))[:20] if finished else None
    return Interruption(shown(kind), pid, started, outcome, aside, stopped, writing)


def _same_path(a: Path, b: object) -> bool:
    """Whether two spellings name one place (a folder set aside is not there: its parents are resolved)."""
    return a.resolve() == Path(str(b)).resolve()


def _still_running(record: dict[str, Any]) -> bool:
    """Whether the process that wrote the record is alive and is that process (not a pid used again since)."""
    pid, started = record.get("pid"), record.get("started")
    if not isinstance(pid, int) or pid <= 0 or not isinstance(started, (int, float)):
        return False
    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and started_at(process) <= float(started) + 1.0
    except (psutil.Error, OSError, ValueError, OverflowError):
        return False


def _still_writing(root: Path, record: dict[str, Any]) -> RunningCommand | None:
    """The command the record says the repair started, when that process (the same start) still runs in the project:
    a record names a pid, and only a process of the project working in its folder is taken for it."""
    child = record.get("child")
    if not is_object(child):
        return None
    pid, start, step = child.get("pid"), child.get("start"), child.get("step")
    if not isinstance(pid, int) or pid <= 0 or not isinstance(start, (int, float)) or not isinstance(step, str):
        return None
    try:
        process = psutil.Process(pid)
        alive = process.status() != psutil.STATUS_ZOMBIE and same_start(start_key(process), float(start))
        cwd = Path(process.cwd()) if alive else None
    except (psutil.Error, OSError, ValueError, OverflowError):
        return None
    return RunningCommand(pid, step) if cwd is not None and is_inside(cwd, root) else None


def _restart_failed(record: dict[str, Any]) -> bool:
    return any(s.get("name") == "restart-dev" and s.get("status") != "done" for s in _objects(record.get("steps")))


def _still_aside(root: Path, record: dict[str, Any]) -> list[AsideCopy]:
    copies: list[AsideCopy] = []
    for entry in _objects(record.get("aside"))[:_MOST]:
        original, aside = entry.get("from"), entry.get("to")
        if not isinstance(original, str) or not isinstance(aside, str):
            continue
        original_path, aside_path = Path(original), Path(aside)
        if not _aside_place(root, original_path, aside_path) or not _real_copy(aside_path):
            continue
        provider = entry.get("provider") if isinstance(entry.get("provider"), str) else None
        extension = entry.get("extension") if isinstance(entry.get("extension"), str) else "ts"
        replaced = os.path.lexists(original_path)
        copies.append(AsideCopy(original_path, aside_path, provider, str(extension), replaced))
    return copies


def _aside_place(root: Path, original: Path, aside: Path) -> bool:
    """Whether the record's pair is one a repair makes: a place in the project outside the doctor's own folder, set
    aside into `.prisma-doctor/aside/` or beside itself under the doctor's name (`steps._aside_place`)."""
    state = root / STATE_DIR
    if not original.is_absolute() or ".." in original.parts or ".." in aside.parts:
        return False
    if not is_inside(original, root) or original == root or is_inside(original, state):
        return False
    if aside.parent == state / "aside":
        return True
    return (
        aside.parent == original.parent
        and re.fullmatch(re.escape(f".{original.name}.prisma-doctor-aside-") + r"\d+", aside.name) is not None
    )


def _real_copy(aside: Path) -> bool:
    """Whether `aside` is a folder a repair moved there: one, not a link, in a folder named as it really is. A repair
    renames real folders inside the project, so a record whose copy is a link, or lies in a folder a link leads to
    (`.prisma-doctor/aside -> /`, `node_modules/.prisma -> /elsewhere`), was planted: said as a copy of the project,
    it would be taken over, moved back or removed."""
    try:
        return aside.parent.resolve(strict=True) == aside.parent and not aside.is_symlink() and aside.is_dir()
    except (OSError, RuntimeError):
        return False


def _still_stopped(
    root: Path, record: dict[str, Any], running: Callable[[Path], Sequence[DevServer]] | None
) -> list[StoppedServer]:
    steps = {str(s.get("name")): s.get("status") for s in _objects(record.get("steps"))}
    stop_began = steps.get("stop") not in (None, "pending", "skipped")
    if steps.get("restart-dev") == "done":
        return []
    started = record.get("started") if isinstance(record.get("started"), (int, float)) else None
    stopped: list[StoppedServer] = []
    for data in _objects(record.get("dev_servers"))[:_MOST]:
        # A server this repair took over from an earlier one (`source` "record") was already stopped.
        if not (stop_began or data.get("source") == "record"):
            continue
        server = _recorded_server(root, data)
        if server is None or _alive(data, started):
            continue
        if running is not None and any(Path(s.cwd) == server.cwd for s in running(server.cwd)):
            continue  # started again since, by the user or by something else
        stopped.append(server)
    return stopped


def _recorded_server(root: Path, data: dict[str, Any]) -> StoppedServer | None:
    command, cwd = data.get("command"), data.get("cwd")
    if not is_array(command) or not isinstance(cwd, str) or "\x00" in cwd:
        return None
    words = [str(word) for word in command[:40]]
    folder = Path(cwd)
    if not folder.is_absolute() or ".." in folder.parts or not _real_folder(folder):
        return None
    from prisma_doctor.workspace import app_folders

    # The project, or an app of its workspace that uses its client (both resolved): a record naming anything else
    # is not ours.
    if not any(is_inside(folder, home) for home in app_folders(root)):
        return None
    port = data.get("port")
    port = port if isinstance(port, int) and 0 < port < 65536 else None
    tool = str(data.get("tool", ""))[:40]
    # A record of an older version may hold a password in a command line (a record of this one has it masked).
    recorded = shown(shown_command(words))
    from prisma_doctor.repair.package_manager import detect

    manager = detect(folder if folder.is_dir() else root).name
    script, arguments = _project_script(folder, words)
    return StoppedServer(recorded, folder, port, shown(tool), script, arguments, manager)


def _real_folder(folder: Path) -> bool:
    """Whether `folder` is a folder named as it really is: no link in it or on its way. A process's working folder is
    recorded as the system reports it, every link resolved, so a record whose folder resolves elsewhere was not
    written by a repair: a link planted with it (`app -> /elsewhere`) would make a restart run there (attacker's
    trial 4)."""
    try:
        return folder.resolve(strict=True) == folder and folder.is_dir()
    except (OSError, RuntimeError):
        return False


def _project_script(folder: Path, words: list[str]) -> tuple[str | None, tuple[str, ...]]:
    """The script of `folder`'s package.json that `words` ran (`... run dev`, with at most a port flag after it) and
    that flag, when the script runs a dev server in plain words; else (None, ())."""
    if "run" not in words:
        return None, ()
    at = words.index("run")
    if at + 1 >= len(words):
        return None, ()
    name, rest = words[at + 1], tuple(w for w in words[at + 2 :] if w != "--")
    if len(rest) > 2 or not all(_PORT_ARGUMENTS.match(word) for word in rest):
        return None, ()
    # Its own package.json, not one a link there leads to: the script is what the restart runs.
    scripts = (read_package_json(folder, follow_links=False) or {}).get("scripts") if folder.is_dir() else None
    script = scripts.get(name) if is_object(scripts) else None
    return (name, rest) if isinstance(script, str) and runs_a_dev_server(script) else (None, ())


def _alive(data: dict[str, Any], started: float | None) -> bool:
    """Whether a process of the recorded server still runs (the same one: started before the repair began)."""
    launchers = data.get("launcherPids")
    pids: list[object] = [data.get("pid"), *(launchers if is_array(launchers) else [])]
    for pid in pids[:_MOST]:
        if not isinstance(pid, int) or pid <= 0:
            continue
        try:
            process = psutil.Process(pid)
            if process.status() != psutil.STATUS_ZOMBIE and (started is None or started_at(process) <= started):
                return True
        except (psutil.Error, OSError):
            continue
    return False


def _objects(value: Any) -> list[dict[str, Any]]:
    # A record can be anything a repository carries: read only what has the expected shape.
    return [v for v in value if is_object(v)] if is_array(value) else []


def _when(started: float | None) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(started))) if started else "at an unknown time"
    except (TypeError, ValueError, OverflowError, OSError):
        return "at an unknown time"


def shown(text: str) -> str:
    """A recorded text made safe to print on one line: control characters escaped, length bounded."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return line if len(line) <= 200 else line[:200] + "…"
