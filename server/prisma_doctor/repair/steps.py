"""The steps a repair is made of. Each knows how to preview itself (for `--dry-run`) and how to run.

A step returns a `StepOutcome` ("done", "failed" or "skipped") and never raises for an expected failure; it
raises `Cancelled` when the token is set. Steps are idempotent, so that an interrupted repair can run again.
"""

from __future__ import annotations

import errno
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import psutil

from prisma_doctor import run_control
from prisma_doctor.check import inspect_project
from prisma_doctor.clients.engine import engine_findings
from prisma_doctor.findings import Finding, Report, Severity
from prisma_doctor.full_check import database_gaps, running_dev_servers, stale_dev_servers
from prisma_doctor.installed import missing_packages
from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.masking import shown_command
from prisma_doctor.repair import app_check, devserver, gone_servers, listeners, next_routes, tree_servers, watchers
from prisma_doctor.repair.context import SetAsidePath, StepContext
from prisma_doctor.repair.devserver import DevServer
from prisma_doctor.repair.locks import LockedFile
from prisma_doctor.repair.ownership import not_a_generated_client
from prisma_doctor.repair.package_manager import PackageManager
from prisma_doctor.repair.processes import ProjectProcess, ServingProcess, stop_processes
from prisma_doctor.repair.relocation import moved, moved_server
from prisma_doctor.repair.run_command import run_command
from prisma_doctor.repair.safe_fs import (
    CrossesMount,
    NotPermitted,
    OutsideProject,
    links_under,
    move_aside,
    remove_tree,
    size_of,
)
from prisma_doctor.repair.statuses import StepStatus
from prisma_doctor.repair.targets import ClientFolder
from prisma_doctor.state_folder import StateFolder, UnsafeStateFolder
from prisma_doctor.status import DATABASE_BEHIND_CODES
from prisma_doctor.workspace import folder_of

# What stops a removal or a move, each named in the step's message.
FS_REFUSALS = (OutsideProject, CrossesMount, NotPermitted, LockedFile, UnsafeStateFolder)


@dataclass(frozen=True)
class StepOutcome:
    status: StepStatus
    message: str
    details: tuple[str, ...] = ()
    bytes_freed: int = 0


class Step:
    name = "step"
    title = "Step"
    # Run even after an earlier step failed or the repair was cancelled (restarting what the repair stopped).
    runs_after_failure = False

    def preview(self) -> list[str]:
        return []

    def identity(self) -> list[str]:
        """What this step would act on, without what changes by itself (sizes): two plans that agree here are one."""
        return self.preview()

    def run(self, ctx: StepContext) -> StepOutcome:
        raise NotImplementedError

    def relocate(self, old: Path, new: Path) -> None:
        """The project moved from `old` to `new` while the repair ran: what this step still has to do is there."""


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


# Said when the stop finds nothing: a process the repair does not know as a dev server or a holder of the client (a
# plain `node server.js`) may still run, so "no process runs" would be false.
NOTHING_TO_STOP = (
    "nothing to stop: no dev server or client-holding process of this project was found (any other is left alone)"
)


@dataclass
class StopProcesses(Step):
    processes: list[ProjectProcess]
    # The dev servers among them: one that `prisma-doctor run` runs is held there, to be started again in its terminal.
    servers: list[DevServer] = field(default_factory=list)
    name = "stop"
    title = "Stop the project's processes that hold the client"

    def preview(self) -> list[str]:
        if not self.processes:
            return [NOTHING_TO_STOP]
        return [f"pid {p.pid}: {p.command} (in {p.cwd}; {p.reason})" for p in self.processes]

    def run(self, ctx: StepContext) -> StepOutcome:
        if not self.processes:
            return StepOutcome(
                "skipped",
                NOTHING_TO_STOP,
            )
        ctx.token.raise_if_cancelled()
        for server in self.servers:
            if server.run is not None:
                # Before its child stops, so that `run` waits for the repair rather than exiting with it.
                run_control.ask(StateFolder(Path(server.run_folder)), run_control.HOLD, [server.run])
        result = stop_processes(self.processes)
        ctx.stopped.extend(result.stopped)
        details = [f"stopped pid {p.pid}: {p.command} (in {p.cwd})" for p in result.stopped]
        details += [
            f"pid {p.pid} had ended before its turn (with its parent, or by itself): {p.command}" for p in result.ended
        ]
        details += [f"had to kill pid {p.pid}" for p in result.killed]
        if result.survivors:
            names = ", ".join(f"pid {p.pid} ({p.command})" for p in result.survivors)
            return StepOutcome("failed", f"could not stop {names}", tuple(details))
        return StepOutcome("done", f"stopped {len(result.stopped)} process(es)", tuple(details))


@dataclass
class SetAside(Step):
    """Move the stale clients and caches out of the way, kept until the new client is in place.

    A rename in the same filesystem, so it is instant and can be undone: when a later step fails or the repair is
    cancelled, `undo` puts every folder back (removing a half-written new client first, when it is provably one).
    """

    paths: list[SetAsidePath]
    outside: list[ClientFolder] = field(default_factory=list)
    not_ours: list[str] = field(default_factory=list)
    # Caches left in place, each with why (`build_cache.py`).
    kept: list[str] = field(default_factory=list)
    name = "set-aside"
    title = "Set the stale generated clients and caches aside"

    def preview(self) -> list[str]:
        lines = [
            f"{p.path} ({human_size(size_of(p.path))}): " + (f"{p.why}; " if p.why else "")
            for p in self.paths
            if os.path.lexists(p.path)
        ]
        lines = [f"{line}kept aside until the new client is in place" for line in lines]
        lines += self._links()
        lines += [f"{c.path}: generator `{c.generator}` outputs outside the project; NOT touched" for c in self.outside]
        lines += [f"NOT touched: {reason}" for reason in self.not_ours]
        lines += self.kept
        return lines or ["nothing to set aside"]

    def identity(self) -> list[str]:
        return [str(p.path) for p in self.paths if os.path.lexists(p.path)] + self.not_ours + self._links()

    def _links(self) -> list[str]:
        """The links inside what is set aside, named: removed with it as links once the new client is in place,
        never followed (a link planted in a generated client, `internal/evil -> /tmp/decoy`, is not news to find
        gone)."""
        said = ", removed with it as links"
        return [f"{item.path} holds {links}" for item in self.paths if (links := _links_in(item.path, said))]

    def run(self, ctx: StepContext) -> StepOutcome:
        details: list[str] = [f"not touched: {reason}" for reason in self.not_ours]
        details += [f"not touched: {c.path} (generator `{c.generator}`) is outside the project" for c in self.outside]
        moved = 0
        for item in self.paths:
            ctx.token.raise_if_cancelled()
            if not os.path.lexists(item.path):
                continue
            ctx.say(f"setting {item.path} aside")
            try:
                aside = _aside_place(ctx.root, item.path, moved)
                try:
                    ctx.remember_aside(item, aside)
                    move_aside(item.path, ctx.root, aside)
                except OSError as error:
                    if error.errno != errno.EXDEV:
                        raise
                    # A bind mount of the same filesystem (same device, so not foreseen): beside the folder itself.
                    aside = _beside(item.path)
                    ctx.remember_aside(item, aside)
                    move_aside(item.path, ctx.root, aside)
            except FS_REFUSALS as error:
                return StepOutcome("failed", str(error), tuple(details))
            except OSError as error:
                return StepOutcome("failed", f"{item.path} could not be set aside: {error.strerror}", tuple(details))
            moved += 1
            ctx.set_aside.append((item, aside))
            details.append(f"set aside {item.path}")
        return StepOutcome("done", f"set {moved} folder(s) aside", tuple(details))


def _aside_place(root: Path, path: Path, number: int) -> Path:
    """Inside `.prisma-doctor/aside/` when it shares the folder's filesystem, else beside the folder itself."""
    folder = StateFolder(root).make_folder("aside")
    name = _aside_name(path, number, os.getpid())
    try:
        same_device = os.stat(folder).st_dev == os.lstat(path.parent).st_dev
    except OSError:
        same_device = False
    return folder / name if same_device else _beside(path)


def _beside(path: Path, pid: int | None = None) -> Path:
    return path.parent / f".{path.name}.prisma-doctor-aside-{pid or os.getpid()}"


def _aside_name(path: Path, number: int, pid: int) -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{pid}-{number}-{path.name}"


# The longest a process id is written (Linux's pid_max is at most 2^22; other systems' are shorter).
_LONGEST_PID = 9_999_999


def aside_name_refusals(root: Path, paths: list[Path]) -> list[str]:
    """Why a folder cannot be set aside under the name the step would give it, said in the plan, before a server is
    stopped: each name (in `.prisma-doctor/aside/`, or beside the folder when that is another filesystem) within the
    filesystem's NAME_MAX, each path within its PATH_MAX. A generator `output` named with 240 characters is one
    Prisma accepts, and its aside name, longer by a time stamp, is not."""
    refusals: list[str] = []
    state = StateFolder(root).path
    for number, path in enumerate(paths):
        for place in (state / "aside" / _aside_name(path, number, _LONGEST_PID), _beside(path, _LONGEST_PID)):
            too_long = _too_long(place)
            if too_long:
                refusals.append(f"{path} cannot be set aside: {too_long}; rename the generator's `output` shorter")
                break
    return refusals


def _too_long(place: Path) -> str:
    """What of `place` the filesystem would refuse as too long ("" when it fits), asked of its nearest folder."""
    folder = place.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
        path_max = os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):  # (no pathconf on Windows: its own limits refuse at the move)
        return ""
    name = len(os.fsencode(place.name))
    if name > name_max:
        return (
            f"the name it would be set aside under, {place.name}, is {name} bytes, more than the {name_max} its "
            "filesystem allows"
        )
    whole = len(os.fsencode(str(place)))
    if whole >= path_max:
        return f"the path it would be set aside at is {whole} bytes, more than the {path_max - 1} its filesystem allows"
    return ""


def _links_in(folder: Path, said: str) -> str:
    """`N link(s){said}, never followed: a -> b, ...` for the links below `folder`; "" when it holds none."""
    shown, count = links_under(folder)
    if not count:
        return ""
    more = f" and {count - len(shown)} more" if count > len(shown) else ""
    return f"{count} link(s){said}, never followed: {', '.join(shown)}{more}"


def put_back(ctx: StepContext) -> list[str]:
    """Undo `SetAside`: each folder back at its place; a new client written there meanwhile is removed first."""
    details: list[str] = []
    for item, aside in reversed(ctx.set_aside):
        try:
            if not os.path.lexists(aside):
                # Nothing complete to put back: whatever stands at the place now stays.
                details.append(f"could not put back {item.path}: its old copy at {aside} is gone")
                continue
            if os.path.lexists(item.path):
                reason = (
                    not_a_generated_client(item.path, item.provider, file_extension=item.file_extension)
                    if item.provider
                    else None
                )
                if item.provider is None or reason is not None:
                    details.append(f"kept the old {item.path.name} at {aside}: {item.path} holds new files")
                    continue
                remove_tree(item.path, ctx.root)
            move_aside(aside, ctx.root, item.path)
            details.append(f"put back {item.path}")
        except (*FS_REFUSALS, OSError) as error:
            details.append(f"could not put back {item.path} (it is at {aside}): {error}")
    ctx.set_aside.clear()
    return details


@dataclass
class DiscardSetAside(Step):
    """Remove what `SetAside` kept, once the new client is in place."""

    # Old copies in `.prisma-doctor/aside` that no record accounts for: removed with the rest.
    leftovers: list[Path] = field(default_factory=list)
    name = "discard"
    title = "Remove the old clients and caches set aside"

    def preview(self) -> list[str]:
        lines = ["after a successful generate, what was set aside is removed"]
        return lines + [f"and the old copy {path}, left by an earlier repair" for path in self.leftovers]

    def run(self, ctx: StepContext) -> StepOutcome:
        freed = 0
        details: list[str] = []
        for path in self.leftovers:
            try:
                freed += remove_tree(path, ctx.root).bytes_freed
                details.append(f"removed the old copy {path}")
            except (*FS_REFUSALS, OSError) as error:
                details.append(f"left at {path}: {error}")
        # Not cancellable: the new client is in place, and an old copy half removed could no longer be put back. Each
        # copy leaves the list before its removal starts, so that a rollback never touches it.
        for item, aside in list(ctx.set_aside):
            ctx.set_aside.remove((item, aside))
            links = _links_in(aside, " in it, removed as links")
            try:
                # A process that loaded a file before it was set aside may hold it under its old name.
                removal = remove_tree(aside, ctx.root, was=item.path)
            except FS_REFUSALS as error:
                # The repair itself is done; what could not be removed is named for the user to remove.
                details.append(f"left at {aside} (was {item.path}): {error}")
                continue
            freed += removal.bytes_freed
            details.append(f"removed the old {item.path} ({human_size(removal.bytes_freed)})")
            if links:
                details.append(f"with {links}")
        ctx.set_aside.clear()
        left = sum(1 for detail in details if detail.startswith("left at"))
        message = f"freed {human_size(freed)}" + (f"; {left} old folder(s) partly left, named below" if left else "")
        return StepOutcome("done", message, tuple(details), freed)


@dataclass
class Reinstall(Step):
    manager: PackageManager
    missing: list[str]
    # The registry cannot be reached, and the cache holds what the install needs (`install_reach.py`).
    offline: bool = False
    name = "reinstall"
    title = "Reinstall the removed packages"

    def preview(self) -> list[str]:
        command = " ".join(self.manager.install_command(offline=self.offline))
        return [f"missing: {', '.join(self.missing)}", f"run: {command} (in {self.manager.workspace_root})"]

    def run(self, ctx: StepContext) -> StepOutcome:
        still_missing = missing_packages(self.manager.project)
        if not still_missing:
            return StepOutcome("skipped", "every Prisma package is installed")
        command = self.manager.install_command(offline=self.offline)
        result = run_command(ctx, self.name, command, self.manager.workspace_root)
        after = missing_packages(self.manager.project)
        if result.returncode != 0 or after:
            failed = f"the install failed (exit {result.returncode})" if result.returncode != 0 else "the install ran"
            lacking = f": {', '.join(after)} still missing" if after else ""
            # Read by the verdict: a dev server started again after this cannot load what is missing.
            ctx.extra["still_missing"] = after
            return StepOutcome("failed", failed + lacking, (result.tail(),))
        return StepOutcome("done", f"reinstalled {', '.join(still_missing)}")


@dataclass
class PrismaCommand(Step):
    """A step that runs the project's own Prisma CLI with `prisma_args()` (and `--schema` when not the default)."""

    manager: PackageManager
    schema_argument: str | None = None
    done_message = "done"

    def prisma_args(self) -> tuple[str, ...]:
        raise NotImplementedError

    def command(self) -> list[str]:
        schema = ["--schema", self.schema_argument] if self.schema_argument else []
        return self.manager.prisma(*self.prisma_args(), *schema)

    def preview(self) -> list[str]:
        return [f"run: {' '.join(self.command())} (in {self.manager.project})"]

    def run(self, ctx: StepContext) -> StepOutcome:
        result = run_command(ctx, self.name, self.command(), self.manager.project, self.manager.prisma_environment())
        if result.returncode != 0:
            what = " ".join(("prisma", *self.prisma_args()))
            causes = tuple(f"{f.code}: {f.message}" for f in _causes(result.output, ctx.root))
            return StepOutcome("failed", f"{what} failed (exit {result.returncode})", (*causes, result.tail()))
        # Every one of these regenerates the client (`migrate dev` and `db push` too, on Prisma 5 and 6): an editor
        # then reads its types again. After a failure the old client is all there is, with the types it had.
        ctx.restart_ts_server = True
        ctx.extra["client_written_at"] = time.time()  # a server whose listener started since runs the new client
        return self.succeeded(result.output)

    def succeeded(self, output: str) -> StepOutcome:
        last_line = output.strip().splitlines()[-1:] if output.strip() else []
        return StepOutcome("done", self.done_message, tuple(last_line))


def _causes(output: str, root: Path) -> list[Finding]:
    """Why a Prisma command failed, read from its output as `explain` reads it (an engine it could not download, a
    migration that failed), so that the repair names the cause and not only the output."""
    from prisma_doctor.diagnosis import diagnose_output, project_facts

    try:
        facts = project_facts(root)
    except (OSError, ValueError):
        facts = None
    return diagnose_output(output, facts)


@dataclass
class Generate(PrismaCommand):
    name = "generate"
    title = "Regenerate Prisma Client with the project's own Prisma"

    def prisma_args(self) -> tuple[str, ...]:
        return ("generate",)

    def succeeded(self, output: str) -> StepOutcome:
        generated = [line.strip() for line in output.splitlines() if "Generated" in line]
        return StepOutcome("done", "generated", tuple(generated))


# The database repairs, each a Prisma command run only when asked. None is destructive: `db push` is never given
# `--accept-data-loss` and `migrate dev` never `--force`, so Prisma refuses, and says why, rather than reset data.
DATABASE_COMMANDS = {
    "migrate-deploy": (("migrate", "deploy"), "Apply pending migrations (prisma migrate deploy)"),
    "migrate-dev": (("migrate", "dev"), "Create and apply a migration (prisma migrate dev)"),
    "db-push": (("db", "push"), "Push the schema to the database (prisma db push)"),
}


@dataclass
class DatabaseCommand(PrismaCommand):
    kind: str = "migrate-deploy"  # a key of DATABASE_COMMANDS
    # `migrate dev --name`: the migration's name in the user's history (migration_name.py, or the user's own).
    migration_name: str = ""
    name = "database"
    done_message = "the database is up to date"

    def __post_init__(self) -> None:
        self.title = DATABASE_COMMANDS[self.kind][1]

    def prisma_args(self) -> tuple[str, ...]:
        named = ("--name", self.migration_name) if self.kind == "migrate-dev" and self.migration_name else ()
        return (*DATABASE_COMMANDS[self.kind][0], *named)


# What bringing one server back said, how it ended, and the restart it made (None when it started nothing).
# "down": something else started it again, and it serves nothing now.
_BroughtBack = tuple[str, Literal["back", "not back", "down", "kept"], devserver.Restarted | None]


@dataclass
class RestartDevServers(Step):
    servers: list[DevServer]
    # True for the targeted `restart-dev`: with no server to restart, that repair has failed to do its one job.
    required: bool = False
    # The folders the servers were found in (the project and the workspace's apps that use it): each server is looked
    # for and started again in its own, where its output and Next's lock are.
    folders: list[Path] = field(default_factory=list)
    # The project's processes the repair left running that served on a port (`listening_processes`): one gone
    # afterwards was ended by something the stop set off (a supervisor that ends every task with one): named, never
    # a silent loss.
    left_serving: list[ServingProcess] = field(default_factory=list)
    # The GETs that failed (`VerifyApp`'s): asked before `/` while a restarted server is awaited, so that a `/` that
    # never answers does not keep a server that serves them "not back" (devserver._wait_until_answering).
    routes: list[str] = field(default_factory=list)
    name = "restart-dev"
    title = "Restart the dev server"
    runs_after_failure = True

    def preview(self) -> list[str]:
        if not self.servers:
            return ["no dev server is running"]
        return [server.label for server in self.servers]

    def relocate(self, old: Path, new: Path) -> None:
        self.servers = [moved_server(server, old, new) for server in self.servers]
        self.folders = [moved(folder, old, new) for folder in self.folders]

    def _lost(self, ctx: StepContext, details: list[str]) -> StepOutcome | None:
        gone = [serving for serving in self.left_serving if not serving.still_runs()]
        if not gone:
            return None
        # Kept in the journal, so that `check` says it too while it does not run (`gone_servers.py`).
        ctx.extra["gone"] = [gone_servers.record(serving) for serving in gone]
        names = "; ".join(serving.label for serving in gone)
        message = f"a server of the project that this repair left running does not run now: {names}; start it again"
        return StepOutcome("failed", message, tuple(details))

    def run(self, ctx: StepContext) -> StepOutcome:
        lost = self._lost(ctx, []) if not self.servers else None
        if lost is not None:
            return lost
        if not self.servers:
            if self.required:
                return StepOutcome("failed", "no dev server of this project is running; start it yourself")
            return StepOutcome("skipped", "no dev server was running")
        details: list[str] = []
        not_back: list[DevServer] = []
        # Why each server this repair started again is not back, in its own words (a crash, a route that hangs).
        why_not: list[str] = []
        down: list[DevServer] = []
        # What this repair started: a server found under one of these is its own restart (two servers of one folder,
        # the first already started again), never one that came back by other means.
        started: set[int] = set()
        kept = 0
        for server, (detail, ended, restarted) in zip(self.servers, self._bring_all_back(ctx, started), strict=True):
            details.append(detail)
            if restarted is not None:
                ctx.extra.setdefault("restarted", []).append(restarted)
            if ended == "kept":
                kept += 1
            elif ended in ("not back", "down"):
                not_back.append(server)
                down += [server] if ended == "down" else []
                why_not += [f"{server.label}: {restarted.message}"] if restarted is not None else []
        lost = self._lost(ctx, details)
        if lost is not None:
            return lost
        if down:
            names = "; ".join(server.label for server in down)
            message = (
                f"the app is down: something else started the dev server again while the repair ran, and it serves "
                f"nothing now ({names}); restart it yourself"
            )
            return StepOutcome("failed", message, tuple(details))
        if why_not and len(why_not) == len(not_back):
            # What the restart itself saw: the crash's own words, or the routes it asked and the port it listens on.
            message = f"the dev server is not back: {'; '.join(why_not)}; restart it yourself once that is fixed"
            return StepOutcome("failed", message, tuple(details))
        if not_back:
            # Named as the user started them, so that they know what to start (or look at) themselves.
            names = "; ".join(server.label for server in not_back)
            message = f"the dev server did not come back, or came back by other means: {names}; restart it yourself"
            return StepOutcome("failed", message, tuple(details))
        if kept:
            # Nothing was restarted there: saying it "runs again" would claim a restart that never happened.
            message = "a dev server was not stopped, so it still runs what it loaded before; restart it yourself"
            return StepOutcome("failed", message, tuple(details))
        return StepOutcome("done", "the dev server runs again", tuple(details))

    def _bring_all_back(self, ctx: StepContext, started: set[int]) -> list[_BroughtBack]:
        """Each server brought back, in the order of `self.servers`. The servers of different folders start and are
        waited for at once: one slow to answer (or never answering) keeps no other app down meanwhile. Those of one
        folder go one after another, so that each finds the ones before it among this repair's own (`started`)."""
        by_folder: dict[str, list[int]] = {}
        for index, server in enumerate(self.servers):
            by_folder.setdefault(server.cwd, []).append(index)
        results: dict[int, _BroughtBack] = {}

        def bring_folder_back(indexes: list[int]) -> None:
            for index in indexes:
                results[index] = self._bring_back(ctx, self.servers[index], started)

        with ThreadPoolExecutor(max_workers=len(by_folder)) as pool:
            for future in [pool.submit(bring_folder_back, indexes) for indexes in by_folder.values()]:
                future.result()  # a cancellation raised in one is raised here
        return [results[index] for index in range(len(self.servers))]

    def _bring_back(self, ctx: StepContext, server: DevServer, started: set[int]) -> _BroughtBack:
        """Start one stopped server again, unless it still runs or something else started it: what to say of it, how
        it ended, and the restart. `started` gathers the pids this repair started."""
        if devserver.still_running(server):
            if server.run is not None:
                # Nor a hold left behind: when that server ends by itself, `run` exits with it as usual.
                run_control.clear(StateFolder(Path(server.run_folder)), server.run.pid)
            # Never a second copy: a server this repair did not manage to stop keeps running as it is.
            return f"pid {server.pid} was not stopped and still runs as it was: not started again", "kept", None
        home = folder_of(Path(server.cwd), self.folders) or ctx.root
        others = [
            s
            for s in devserver.find_dev_servers(home)
            if Path(s.cwd) == Path(server.cwd) and not devserver.started_by(s, started)
        ]
        if others:
            # Started again by something else while the repair ran (a supervisor, a person): it may have loaded the
            # client while it was set aside, and a second copy would only fight it for the port.
            states = [_other_start(other, ctx, listened=server.port is not None) for other in others]
            said = f"{'; '.join(text for text, _ in states)}: not started twice (in place of {server.label})"
            # Down only when none of them serves: one that listens may be the app.
            return said, "down" if all(serving_nothing for _, serving_nothing in states) else "not back", None
        restarted, gone = None, ""
        if server.run_pid is not None:
            ctx.say(f"asking `prisma-doctor run` (pid {server.run_pid}) to start {server.shown_run_command} again")
            restarted = devserver.restart_in_run(
                server, Path(server.run_folder), should_stop=ctx.should_stop, routes=self.routes
            )
            # Its `run` exited (ended, or never took the hold): the app is not left down for that.
            if restarted is None:
                gone = f"its `prisma-doctor run` (pid {server.run_pid}) exited, so it was started here, detached: "
        if restarted is None:
            ctx.say(f"starting {server.shown_command}")
            restarted = devserver.restart(server, home, should_stop=ctx.should_stop, routes=self.routes)
        if restarted.pid:
            started.add(restarted.pid)
        ctx.token.raise_if_cancelled()
        folder = Path(server.run_folder) if server.run_pid is not None and not gone else home
        restarted = replace(restarted, folder=str(folder), tool=server.tool)
        said = f"pid {restarted.pid}: {gone}{restarted.message}; output in {restarted.log}"
        return said, "back" if restarted.answered else "not back", restarted


# How long a server that something else started during the repair is given to listen before it is said down.
OTHER_START_SECONDS = 10.0


def _other_start(other: DevServer, ctx: StepContext, *, listened: bool = True) -> tuple[str, bool]:
    """What a server something else started while the repair ran does now: one started while the client was set
    aside (an outside loop `while true; do tsx watch server.ts; done`) may have failed to load it and listen on no
    port, leaving the app down (attacker's trial 12): said so, with what started it. With whether it serves nothing.
    `listened`: whether the server it replaces listened on a port (a worker that never did is not down for it)."""
    said = f"pid {other.pid} ({other.shown_command}) started while the repair ran, not by it"
    deadline = time.monotonic() + OTHER_START_SECONDS
    while True:
        processes = listeners.tree(other.pid)
        serving = listeners.listeners(processes)
        if not processes or serving or time.monotonic() >= deadline or ctx.should_stop():
            break
        time.sleep(0.2)
    if not processes:
        return f"{said}, and has ended since: the app is down until the dev server is started again", True
    if not serving and not listened:
        return (
            f"{said}, and runs (it listens on no port, as the one it replaces did not): restart it{_parent_of(other)}",
            False,
        )
    if not serving:
        return (
            f"{said}, and listens on no port {OTHER_START_SECONDS:.0f} s later: the app is down (it may have started "
            f"while the client was set aside, and failed to load it); restart it, or what starts it{_parent_of(other)}"
        ), True
    ports = ", ".join(str(port) for port in sorted(serving))
    return (
        f"{said}, and listens on port {ports}; it may have loaded the client while it was set aside: restart it, or "
        f"what starts it{_parent_of(other)}"
    ), False


def _parent_of(server: DevServer) -> str:
    """` (pid 12, `bash loop.sh`)`: the process that started the server, for the person to restart or stop."""
    try:
        parent = psutil.Process(server.launcher_pids[0] if server.launcher_pids else server.pid).parent()
        if parent is None:
            return ""
        return f" (pid {parent.pid}, `{shown_command(tuple(parent.cmdline()))}`)"
    except (psutil.Error, OSError):
        return ""


@dataclass
class Verify(Step):
    name = "verify"
    title = "Check that the client matches the schema"

    def preview(self) -> list[str]:
        return [
            "run the check again: every client must match the schema, nothing found before may remain, and the "
            "database (when it answers, within seconds) must have what the client expects"
        ]

    def run(self, ctx: StepContext) -> StepOutcome:
        state = inspect_project(ctx.root)
        after = state.report
        ctx.extra["after"] = after
        remaining = unresolved(ctx.before, after)
        if remaining:
            return StepOutcome("failed", "not verified", tuple(f"{f.code}: {f.message}" for f in remaining))
        # A client that matches the schema but cannot load its engine (none of this machine's, a file of zeros that
        # generate copied) fails at its first query: not verified.
        engines = engine_findings(state)
        if engines:
            message = "the clients match the schema, but a client cannot load its query engine"
            return StepOutcome("failed", message, tuple(f"{f.code}: {f.message}" for f in engines))
        # A new client on a database that lacks its columns fails as before: the repair did not make the app work.
        behind = [f for f in database_gaps(state) if f.code in DATABASE_BEHIND_CODES and f.severity in SERIOUS]
        if behind:
            message = "the clients match the schema, but the database is behind them (a repair of the database is next)"
            return StepOutcome("failed", message, tuple(f"{f.code}: {f.message}" for f in behind))
        return StepOutcome("done", f"the clients match the schema ({after.state.value})")


SERIOUS = (Severity.ERROR, Severity.WARNING)


def unresolved(before: Report | None, after: Report) -> list[Finding]:
    """Problems after the repair: a client still wrong, or an error or warning that was already there before."""
    earlier: set[tuple[Any, ...]] = {f.key for f in before.findings} if before else set()
    return [
        f
        for f in after.findings
        if f.severity in SERIOUS and (f.code.startswith("client-") or f.code == "schema-unreadable" or f.key in earlier)
    ]


# Why the app was not asked, as the verdict tells them apart.
NO_DEV_SERVER = "no dev server runs, so the app was not asked"


def _no_dev_server(root: Path) -> str:
    """Why no server was asked: none runs, or those of the project that serve are no dev server this tool knows (a
    plain `tsx server.ts`, one under a loop of the user's): left running on their old client, and not asked
    (attacker's trial 13b: "no dev server runs" while one answered 500)."""
    from prisma_doctor.repair.processes import find_project_processes, serving_processes

    serving = serving_processes(find_project_processes(root))
    if not serving:
        return NO_DEV_SERVER
    labels = "; ".join(item.label for item in serving)
    return (
        f"the app was not asked: no dev server this repair knows how to restart runs, but {labels} serves, left "
        "running as it was (it may hold the old client): restart it, then request the page that failed"
    )


PORT_UNKNOWN = "the app was not asked: the port of the dev server that runs could not be read"
# With no failed request on record, `/` answering shows the app runs, not that what failed works again.
ROUTE_UNKNOWN = "the route that failed is not known: request it to confirm"
# A tree running several servers (`concurrently`) whose failed request no line ties to one of them.
NOT_TOLD_APART = "the server that failed could not be told apart"
# How long a server restarted with others (`concurrently`) is awaited until each of them listens.
TREE_SERVERS_SECONDS = 60.0

# A server the repair left running may be a watcher that restarts by itself for the new client (node --watch sees
# the client's files change): before it is asked, its re-run is awaited (`watchers.await_rerun`), so that the answer
# is not the old process's; and a failed answer from it is asked again once, this much later.
WATCHER_GRACE_SECONDS = watchers.GRACE_SECONDS
# Servers that do not restart their process for a new client: asking them at once is asking the server that stays.
IN_PLACE_TOOLS = ("next", "vite", "react-router", "remix", "astro", "nuxt", "svelte-kit")


@dataclass(frozen=True)
class AppTarget:
    """A dev server that runs after the repair, as the app check asks it."""

    port: int
    tree_root: int  # the pid atop the server's process tree: only a listener in it is the server
    kept: bool  # left running by the repair (not started again by it)
    folder: Path  # where its output is recorded
    tool: str
    server: DevServer | None = None  # the server as found before the repair, for one it kept


@dataclass
class VerifyApp(Step):
    """Ask the app itself: the requests that failed (or `/`) on each dev server that runs after the repair.

    `servers` are those the repair leaves running as they were (regenerate, the database repairs); those it started
    again are read from what `RestartDevServers` learned. Only what reads is sent again: a failed GET is asked as it
    was; a failed POST, PUT, PATCH or DELETE is not sent (it could change data), except that Next's server actions
    post to their page, whose GET is asked and must answer 2xx/3xx. With no failed request known, `/` is asked and
    must answer 2xx/3xx (a 404 there shows nothing of the code that failed), and even then the step is not `done`:
    the app runs, but what failed was not asked again (`ROUTE_UNKNOWN`)."""

    servers: list[DevServer]
    requests: list[FailedRequest]
    # The failed GETs a Next route handler answers or may answer (path -> why: `<file> is a route handler`): code that
    # may change data, not sent again.
    handlers: dict[str, str] = field(default_factory=dict)
    # Call sites of failures the output shows with no request line (app_check.failures_without_request).
    unasked: list[str] = field(default_factory=list)
    # The process that printed each failed request (`[web] GET /users 500`: `web`), where a runner names it.
    sources: dict[FailedRequest, str] = field(default_factory=dict)
    name = "verify-app"
    title = "Check that the app answers"

    def preview(self) -> list[str]:
        unasked = [self._unasked_reason(site) for site in self.unasked]
        if not self.requests:
            ask = "request GET / on each dev server that runs afterwards (localhost only): 2xx or 3xx, no error back"
            return [ask, *unasked]
        lines: list[str] = []
        asked = ", ".join(f"GET {r.path}" for r in self.requests if r.reads_only and r.path not in self.handlers)
        if asked:
            lines.append(
                f"request {asked} on each dev server that runs afterwards (localhost only): no 5xx, no error back"
            )
        lines += [
            f"{r} failed: not sent again (it could change data); only where the server is Next's (a server action "
            f"posts to its page) is GET {r.path} asked, which shows the page renders, not that the action works"
            for r in self.requests
            if not r.reads_only
        ]
        lines += [self._handler_reason(r) for r in self.requests if r.reads_only and r.path in self.handlers]
        return lines + unasked

    @staticmethod
    def _unasked_reason(site: str) -> str:
        return f"the failure at {site}: not asked again (the dev server's output names no request for it)"

    def _handler_reason(self, request: FailedRequest) -> str:
        return (
            f"{request} failed: not sent again, since {self.handlers[request.path]}, whose GET may change data (a "
            "cron job's, a link's)"
        )

    def identity(self) -> list[str]:
        return [*(str(r) for r in self.requests), *self.unasked]

    def routes_asked(self) -> list[str]:
        """The failed GETs this step sends again (none that could change data)."""
        return [r.path for r in self.requests if r.reads_only and r.path not in self.handlers]

    def run(self, ctx: StepContext) -> StepOutcome:
        crashed = _crashed(self.servers, ctx)
        if crashed:
            return StepOutcome("failed", crashed)
        targets = _servers_to_ask(self.servers, ctx)
        split = [self._each_server(target, ctx) for target in targets]
        if any(found is None for found in split):
            return StepOutcome("skipped", f"not verified: {NOT_TOLD_APART}")
        targets = list({t.port: t for found in split for t in found or ()}.values())
        if not targets:
            unknown = [s for s in self.servers if s.port is None and devserver.still_running(s)]
            if unknown:
                # Running, but its sockets could not be read (Wine lists none as a process's own): not asked.
                who = ", ".join(f"pid {s.pid} ({s.shown_command})" for s in unknown)
                return StepOutcome("skipped", f"{PORT_UNKNOWN}: {who}")
            portless = [r for r in ctx.extra.get("restarted", []) if r.answered and r.port is None]
            if portless:
                # Started again, but listening on nothing (a worker): there is no app of it to ask.
                who = ", ".join(f"pid {r.pid}" for r in portless)
                return StepOutcome(
                    "skipped", f"the app was not asked: the dev server started again listens on no port: {who}"
                )
            return StepOutcome("skipped", _no_dev_server(ctx.root))
        answers: list[app_check.AppAnswer] = []
        unsure: list[str] = []
        for target in targets:
            # Why its re-run is not asked (it did not listen again in time), when it was waited for in vain.
            rerun = _await_watcher(target, ctx) if target.kept and target.tool not in IN_PLACE_TOOLS else None
            grace = WATCHER_GRACE_SECONDS if target.kept else 0.0
            # Next logs a request without the app's basePath: it is asked with it, as the browser asked it.
            base = next_routes.base_path(target.folder) if target.tool == "next" else ""
            for logged, strict in self._asks(target.tool, unsure):
                route = base + logged if base and not logged.startswith(base + "/") and logged != base else logged
                # Asked again for each route: the server's tree may have restarted the process that listens.
                listener = listeners.listener_on(target.tree_root, target.port)
                if listener is None and not target.kept:
                    # Wine ties no socket to a process: the port the restarted server announced, unowned.
                    listener = devserver.unowned_listener(target.folder, target.tree_root, target.port)
                if listener is None:
                    problem = "no process of the dev server listens on it" + (f": {rerun}" if rerun else "")
                    answers.append(app_check.AppAnswer(route, target.port, None, problem))
                    continue
                ctx.say(f"requesting GET {route} on localhost:{target.port}")
                answer = app_check.ask_app(
                    target.folder,
                    listener,
                    route,
                    say=ctx.say,
                    should_stop=ctx.should_stop,
                    watcher_grace=grace,
                    tree_root=target.tree_root,
                )
                ctx.token.raise_if_cancelled()
                answers.append(answer)
                if not answer.ok:
                    grace = 0.0  # waited once for this server to restart: its next routes are asked as they are
                if answer.ok and _shows_nothing(answer, strict):
                    unsure.append(f"{answer.describe()}, which shows nothing of the code that failed{_login(answer)}")
                elif answer.ok and strict and self.requests:
                    # A page standing in for its server action: it renders, but the action's code did not run.
                    unsure.append(
                        f"{answer.describe()}: the page answers, but the action that failed was not run again: try it"
                    )
        ctx.extra["app_answers"] = answers
        failed = [answer for answer in answers if not answer.ok]
        if failed:
            return self._failed(ctx, targets, failed)
        where = " at /" if not self.requests else ""
        answered = (
            f"the app answers{where}: " + "; ".join(a.describe() for a in answers) if answers else "nothing was asked"
        )
        if not self.requests:
            # Not "verified": the app runs, but the request that failed, whatever it was, was not asked again.
            shown = "".join(f"; not shown: {u}" for u in dict.fromkeys(unsure))
            return StepOutcome("skipped", f"{answered}{shown}; {ROUTE_UNKNOWN}")
        if unsure:
            # Not a failure, and not a proof either: say what was not shown, and how the user can show it.
            shown = "; ".join(dict.fromkeys(unsure))
            return StepOutcome("skipped", f"{answered}; not shown: {shown}: try the page that failed yourself")
        return StepOutcome("done", answered)

    def _each_server(self, target: AppTarget, ctx: StepContext) -> list[AppTarget] | None:
        """`target` as the servers to ask: itself when its tree runs one server; else (`concurrently` running two)
        the server whose request failed, told by the name its lines carry, or with no failed request known each of
        them; None when the one that failed cannot be told apart (asking another proves nothing of it)."""
        servers = _tree_servers(target, ctx)
        if len(servers) < 2:
            return [target]
        if not self.requests:
            return [replace(target, port=s.ports[0]) for s in servers if s.ports]
        tags = {s.tag: s for s in servers if s.tag is not None}
        named = [self.sources.get(r) for r in self.requests]
        if not all(source in tags for source in named):
            return None
        chosen = [tags[source] for source in named if source is not None]
        if any(len(s.ports) != 1 for s in chosen):
            return None  # a server that listens on no port yet, or on several: which one answers is not known
        return [replace(target, port=s.ports[0]) for s in chosen]

    def _asks(self, tool: str, unsure: list[str]) -> list[tuple[str, bool]]:
        """(route, whether it must answer 2xx/3xx to show anything) to GET on a server of `tool`; what cannot be
        asked is added to `unsure`."""
        unsure += [self._unasked_reason(site) for site in self.unasked]
        if not self.requests:
            return [("/", True)]
        asks: list[tuple[str, bool]] = []
        for request in self.requests:
            if request.reads_only and request.path in self.handlers:
                unsure.append(self._handler_reason(request))
            elif request.reads_only:
                asks.append((request.path, False))
            elif tool == "next" and not request.path.startswith("/api/"):
                asks.append((request.path, True))  # a server action posts to its page
            else:
                unsure.append(f"{request} failed and is not sent again (it could change data)")
        return list(dict.fromkeys(asks))

    def _failed(self, ctx: StepContext, targets: list[AppTarget], failed: list[app_check.AppAnswer]) -> StepOutcome:
        details = [answer.describe() for answer in failed]
        failed_ports = {answer.port for answer in failed}
        kept = [t.server for t in targets if t.kept and t.server is not None and t.port in failed_ports]
        written = ctx.extra.get("client_written_at")
        fresh_servers = [s for s in kept if _serves_since(s, written)]
        if ctx.restart_ts_server and len(fresh_servers) < len(kept):
            # This repair rewrote the client under a server it left running: that server may still hold the old one.
            details.append(
                "the dev server on that port was running before this repair's Prisma command and was left running: "
                "it may still hold the old client; restart it (`prisma-doctor restart-dev`)"
            )
        details += [
            f"the dev server on port {s.port} started its process again by itself after the new client was written "
            "(its watcher): it runs the new client, so the failure is not an old client's"
            for s in fresh_servers
        ]
        # Each once: the same error printed for two routes (or at two frames of one call) is one line of the verdict.
        came_back = {(f.code, f.message): f for answer in failed for f in answer.came_back}
        details += [f"{f.code}: {f.message}" for f in came_back.values()]
        state = inspect_project(ctx.root)
        details += [f"check: {f.code}: {f.message}" for f in state.report.findings if f.severity == Severity.ERROR]
        # The dev servers as `check` judges them now (stale, crashed): a check run right after must not find what
        # this verdict said was not there (user's trial 13, C5: a regenerate under a running `next dev`).
        servers = stale_dev_servers(state, running_dev_servers(ctx.root)) if state.schema is not None else []
        details += [f"check: {f.code}: {f.message}" for f in servers if f.severity != Severity.INFO]
        if not came_back and not state.report.findings and not servers:
            details.append(
                "a fresh check finds nothing wrong with the schema, the clients and the dev servers: read the dev "
                "server's output"
            )
        return StepOutcome("failed", "the app still fails: " + "; ".join(a.describe() for a in failed), tuple(details))


def _shows_nothing(answer: app_check.AppAnswer, strict: bool) -> bool:
    """Whether an answer without a 5xx shows nothing of the code that failed: a 4xx (a record not found, a login
    required: the doctor sends no cookies), and for a failed GET a redirect too (never followed: its target may be a
    login elsewhere, or a route handler not to be asked). `strict` routes (`/`, a page standing in for its action)
    pass with a redirect, as a browser's first visit often gets one."""
    status = answer.status
    return status is not None and (status >= 400 or (not strict and status >= 300))


def _login(answer: app_check.AppAnswer) -> str:
    """What a redirect, a 401 or a 403 most often means for a page that failed: the doctor's GET has no session."""
    status = answer.status or 0
    return " (it may need a login: open it yourself)" if 300 <= status < 400 or status in (401, 403) else ""


def _serves_since(server: DevServer, moment: object) -> bool:
    """Whether the process that answers for `server` started after `moment` (epoch seconds), as a watcher's does."""
    since = devserver.serving_since(server)
    return isinstance(moment, float) and since is not None and since >= moment


def _await_watcher(target: AppTarget, ctx: StepContext) -> str | None:
    """Wait for a watcher the repair left running (tsx, node --watch, nodemon) to serve from the process it starts
    again for the new client, as a restarted server is awaited; one that does not re-run (tsx ignores node_modules) is
    asked as it is. Why it does not listen, when its re-run was waited for in vain."""
    output = target.folder / app_check.OUTPUTS[0]
    return watchers.await_rerun(target.tree_root, target.port, ctx.started_at, output, ctx.should_stop)


def _crashed(kept: list[DevServer], ctx: StepContext) -> str:
    """What to say of the servers the repair left running whose app had crashed and still has after a watcher's
    grace to run it again (`crash.py`): a watcher waiting for a change never loads the new client by itself, and
    its port, read from nothing that listens, says nothing of why."""
    from prisma_doctor.crash import crash_of

    running = [server for server in kept if devserver.still_running(server)]
    if not any(crash_of(server) for server in running):
        return ""
    deadline = time.monotonic() + WATCHER_GRACE_SECONDS
    while time.monotonic() < deadline and not ctx.should_stop():
        time.sleep(0.2)
    crashes = [(server, crash_of(server)) for server in running]
    said = [
        f"pid {server.pid} ({server.shown_command}, in {server.cwd}) crashed ({crash.error}) and waits for a change"
        for server, crash in crashes
        if crash is not None
    ]
    if not said:
        return ""
    return f"the dev server runs no app: {'; '.join(said)}: restart it (`prisma-doctor restart-dev`)"


def _tree_servers(target: AppTarget, ctx: StepContext) -> list[tree_servers.TreeServer]:
    """The servers `target`'s tree runs side by side; for one the repair started again, once each listens (they
    start together, and the restart waited for one port only), or the wait ends."""
    deadline = time.monotonic() + (0.0 if target.kept else TREE_SERVERS_SECONDS)
    while True:
        servers = tree_servers.servers_in_tree(target.tree_root)
        if len(servers) < 2 or all(s.ports for s in servers) or time.monotonic() >= deadline or ctx.should_stop():
            return servers
        time.sleep(0.2)


def _servers_to_ask(kept: list[DevServer], ctx: StepContext) -> list[AppTarget]:
    """Each server that runs now (by port, each once): those restarted, then the others."""
    targets: dict[int, AppTarget] = {}
    for restarted in ctx.extra.get("restarted", []):
        if restarted.answered and restarted.port is not None:
            folder = Path(restarted.folder) if restarted.folder else ctx.root
            targets[restarted.port] = AppTarget(restarted.port, restarted.pid, False, folder, restarted.tool)
    for server in kept:
        if server.port is not None and devserver.still_running(server):
            folder = Path(server.run_folder) if server.run_folder else ctx.root
            target = AppTarget(server.port, server.launcher_pids[0], True, folder, server.tool, server)
            targets.setdefault(server.port, target)
    return list(targets.values())
