"""A repair plan: the ordered steps of one repair, built by looking at the project, previewable before it runs.

Kinds: "reset" (stop, set aside the clients and caches, reinstall when packages are missing, generate, discard
what was set aside, restart the dev server, verify), "regenerate" (the same without stop and restart) and
"restart-dev" (stop the dev server's process chain, start it again); and the database commands. When the last repair
did not finish, every plan begins by taking over what it left (`recover.py`), and starts the servers it stopped.
Restarting the editor's TypeScript server is no step: it is the editor's, told by `RepairResult.restart_ts_server`.
A plan that cannot succeed says so in `refusals` before anything runs: the schema does not validate (as far as
validate.py knows Prisma's rules), the config reads an `env()` nothing sets, Prisma or the package manager is
missing, a folder to set aside holds a mount point or may not be changed by this user, a `migrate dev` on a database
that its own `_prisma_migrations` shows drifted (Prisma would ask to reset it, which a repair never does), an install
whose registry cannot be reached and whose cache lacks what it must download (`install_reach.py`), a process to stop
that holds the only copy of a deleted database of the project (`held_data.py`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from prisma_doctor.clients.locate import find_package
from prisma_doctor.findings import Report, Severity
from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.offers import SCHEMA_BROKEN
from prisma_doctor.repair import journal
from prisma_doctor.repair.app_check import (
    failures_without_request,
    latest_failure,
    request_sources,
    requests_that_failed,
)
from prisma_doctor.repair.build_cache import NEXT_CACHE, reason_to_set_aside
from prisma_doctor.repair.context import SetAsidePath
from prisma_doctor.repair.devserver import DevServer, find_dev_servers
from prisma_doctor.repair.install_reach import install_reach
from prisma_doctor.repair.interruption import Interruption, left_by_last_repair, shown
from prisma_doctor.repair.mounts import MountTable
from prisma_doctor.repair.next_routes import rerouted, route_handler
from prisma_doctor.repair.ownership import not_a_generated_client
from prisma_doctor.repair.package_manager import PackageManager, detect, program
from prisma_doctor.repair.prisma_validate import PrismaValidation, a_plan_s_validate
from prisma_doctor.repair.processes import (
    ProjectProcess,
    ServingProcess,
    find_project_processes,
    launcher_process,
    serving_processes,
)
from prisma_doctor.repair.roots import checked_root
from prisma_doctor.repair.safe_fs import removal_problems
from prisma_doctor.repair.steps import (
    DATABASE_COMMANDS,
    DatabaseCommand,
    DiscardSetAside,
    Generate,
    Reinstall,
    RestartDevServers,
    SetAside,
    Step,
    StopProcesses,
    Verify,
    VerifyApp,
    aside_name_refusals,
    missing_packages,
)
from prisma_doctor.repair.supervisors import SHELL_LOOP
from prisma_doctor.repair.targets import ClientFolder, Targets, find_targets
from prisma_doctor.state_folder import STATE_DIR, StateFolder
from prisma_doctor.workspace import app_folders, folder_of

# Said by a preview instead of Prisma's answer: asking runs the project's own code.
VALIDATE_WHEN_RUN = (
    "Prisma's own `prisma validate` is asked when the repair runs, before anything changes (it loads "
    "prisma.config.ts, the project's code, which a preview never runs)"
)
KINDS = ("reset", "regenerate", "restart-dev", *DATABASE_COMMANDS)
DEEP_CACHES = (".turbo", "node_modules/.cache")


@dataclass
class RepairPlan:
    root: Path
    kind: str
    steps: list[Step]
    before: Report | None
    dev_servers: list[DevServer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why this repair cannot succeed; a refused plan runs nothing.
    refusals: list[str] = field(default_factory=list)
    # What the last repair left when it did not finish: this one takes it over (its `recover` step).
    interruption: Interruption | None = None

    def journal_record(self) -> dict[str, Any]:
        """What the journal of this run starts with: the servers it may stop or start, and what an earlier repair
        left set aside, so that a kill before this run takes it over still leaves it known."""
        aside = self.interruption.aside if self.interruption is not None else ()
        return {
            "dev_servers": [server.to_json() for server in self.dev_servers],
            "aside": [copy.record() for copy in aside],
        }

    def describe(self) -> list[str]:
        lines = [f"{self.kind} of {self.root}:"]
        lines += [f"refused: {reason}" for reason in self.refusals]
        lines += [f"note: {note}" for note in self.notes]
        if self.refusals:
            # A refused plan runs nothing: its steps are not shown as a numbered plan that reads as if it will run
            # (user's trial 13, C4), only named as what follows once the refusals are resolved.
            lines.append("nothing will run: the repair refuses for the reasons above")
            if self.steps:
                titles = "; ".join(step.title[0].lower() + step.title[1:] for step in self.steps)
                lines.append(f"once they are resolved, it would: {titles} (--json lists each step in full)")
            return lines
        for number, step in enumerate(self.steps, 1):
            lines.append(f"{number}. {step.title} [{step.name}]")
            lines += [f"     {line}" for line in step.preview()]
        return lines

    def identity(self) -> tuple[Any, ...]:
        """What the plan would do, to tell whether the project changed since it was shown."""
        return (self.kind, tuple(self.refusals), tuple((s.name, tuple(s.identity())) for s in self.steps))

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.root),
            "kind": self.kind,
            "notes": self.notes,
            "refusals": self.refusals,
            "steps": [{"name": s.name, "title": s.title, "preview": s.preview()} for s in self.steps],
        }


def build_plan(
    root: Path | str,
    kind: str,
    *,
    deep: bool = False,
    package_manager: str | None = None,
    migration_name: str | None = None,
    preview: bool = False,
) -> RepairPlan:
    """Look at the project and decide the steps. Raises `roots.RefusedRoot` for a folder that is no project.
    `migration_name`: the name `migrate-dev` gives its migration (else one said by the change, migration_name.py).
    `preview`: the plan is only shown (a dry run, a plan to confirm): it runs none of the project's code (Prisma's
    validate loads `prisma.config.ts`) and writes nothing; Prisma is asked by the plan of the run itself."""
    if kind not in KINDS:
        raise ValueError(f"unknown repair kind {kind!r}; expected one of {', '.join(KINDS)}")
    project = checked_root(root)
    links = journal.link_refusals(project)
    refused = links or [r for r in [journal.lock_refusal(project, write=not preview)] if r is not None]
    if refused:
        # Before anything else is looked at: another repair's own processes (its `npm`, its `prisma generate`) would
        # be named as the project's, and nothing of its journal or what it set aside is this plan's.
        return RepairPlan(project, kind, [], None, refusals=refused)
    # In a workspace the dev servers that load this project's client run in the apps that use it (`apps/web`).
    apps = app_folders(project)
    notes, interruption, unaccounted = _notes_and_leftovers(Path(root).resolve(), project, apps)
    servers = _dev_servers(apps)
    if kind not in DATABASE_COMMANDS:
        notes += _unfixable_failure_notes(apps, kind)
    # What the unfinished repair stopped is started again with the others (as the project's own script).
    recovered = _recovered_servers(interruption)
    if kind in ("restart-dev", *DATABASE_COMMANDS) and unaccounted:
        notes.append(_unaccounted_note(unaccounted))
    if kind == "restart-dev":
        # Asked for one app of the workspace (`--project apps/api`), it restarts that app's server, not every app's.
        app = folder_of(Path(root).resolve(), apps[1:])
        everyone = servers
        if app is not None:
            servers = [server for server in servers if folder_of(Path(server.cwd), apps) == app]
            notes.append(f"only the dev server of {app} is restarted: the other apps' are left running")
        asked = [app] if app is not None else apps
        chain = _server_pids(servers)
        everything = _processes(apps, servers=servers)
        processes = [p for p in everything if p.pid in chain or p.ppid in chain]
        left = serving_processes(p for p in everything if p not in processes)
        verify_app = _verify_app([], asked)
        steps: list[Step] = [
            *_recover(interruption, project, takes_over=False),
            StopProcesses(processes, servers),
            RestartDevServers(
                [*servers, *recovered], required=True, folders=apps, left_serving=left, routes=verify_app.routes_asked()
            ),
            verify_app,
        ]
        refusals = _supervisor_refusals(servers, everyone, kind) + _still_running(interruption)
        refusals += _held_data_refusals(project, apps, processes, servers, kind)
        return RepairPlan(project, kind, steps, None, [*servers, *recovered], notes, refusals, interruption)

    targets = find_targets(project)
    manager = detect(project, package_manager)
    missing = missing_packages(project)
    refusals = _schema_refusals(targets) + _tool_refusals(project, manager, missing) + _still_running(interruption)
    if kind in DATABASE_COMMANDS:
        # Prisma's own exit status is the verification: the client check would judge the client, not the database.
        name = (migration_name or _migration_name(targets)) if kind == "migrate-dev" else ""
        refusals += _drift_refusals(targets) if kind == "migrate-dev" else []
        database = DatabaseCommand(manager, targets.schema_argument, kind, name)
        refusals += _other_database(project, targets, servers, notes)
        if kind == "migrate-deploy":
            refusals += _failed_migrations(targets)
        steps = [
            *_recover(interruption, project, takes_over=False),
            database,
            *_restart_recovered(recovered, apps),
            _verify_app(servers, apps),
        ]
        return RepairPlan(project, kind, steps, targets.state.report, recovered, notes, refusals, interruption)
    # Prisma's own answer on the schema is asked now and read last: its second (Node, Prisma's Wasm) runs while the
    # rest of the plan is read, on the other core. Not while the plan refuses already, nor with packages to install
    # (there is no Prisma to ask yet).
    checked = targets.state.schema.source if targets.state.schema is not None else None
    asks_prisma = not refusals and not missing
    validation = PrismaValidation(manager, targets.schema_argument, checked) if asks_prisma and not preview else None
    if asks_prisma and preview:
        notes.append(VALIDATE_WHEN_RUN)
    try:
        refusals += _engine_refusals(project, targets)
        if kind == "reset":
            refusals += _supervisor_refusals(servers, servers, kind)
        aside, not_ours, caches_kept, cannot = _to_set_aside(project, targets, kind == "reset", deep)
        refusals += cannot
        refusals += aside_name_refusals(project, [item.path for item in aside if os.path.lexists(item.path)])
        steps = [*_recover(interruption, project, takes_over=True)]
        left: list[ServingProcess] = []
        if kind == "reset":
            clients = [item.path for item in aside if item.provider is not None]
            everything = _processes(apps, clients, servers)
            stopped = _must_stop(everything, servers, notes)
            refusals += _held_data_refusals(project, apps, stopped, servers, kind)
            left = serving_processes(p for p in everything if p not in stopped)
            steps.append(StopProcesses(stopped, servers))
        steps.append(SetAside(aside, targets.outside, not_ours, caches_kept))
        if missing:
            # Packages are gone (the incident's script deletes node_modules/@prisma): generate cannot run without them.
            # Whether the install can get them is decided now, before anything is stopped (`install_reach.py`).
            linked = _linked_node_modules(project, manager)
            if linked is not None:
                refusals.append(linked)
            elif manager.installed():
                reach = install_reach(manager, missing)
                refusals += [reach.refusal] if reach.refusal else []
                notes += [reach.note] if reach.note else []
                steps.append(Reinstall(manager, missing, offline=reach.offline))
            else:
                refusals.append(
                    f"the project's package manager is {manager.name} (its `packageManager` field or lock file in "
                    f"{manager.workspace_root}) and `{manager.name}` is not on the PATH here, so {', '.join(missing)} "
                    f"cannot be installed again: install {manager.name} (or run `{manager.name} install` where it is), "
                    "then the repair"
                )
                steps.append(Reinstall(manager, missing))
        # Old copies no record accounts for (a discard that could not remove one, an older version's run) go with the
        # rest once the new client is in place: said in the plan's discard step, and not again.
        steps += [Generate(manager, targets.schema_argument), DiscardSetAside(unaccounted)]
        # A reset asks the servers it started again; a regenerate asks those it leaves running, which may still hold the
        # old client.
        verify_app = _verify_app([] if kind == "reset" else servers, apps)
        if kind == "reset":
            routes = verify_app.routes_asked()
            steps.append(RestartDevServers([*servers, *recovered], folders=apps, left_serving=left, routes=routes))
        else:
            steps += _restart_recovered(recovered, apps)
        steps += [Verify(), verify_app]
        if validation is not None and refusals:
            validation.abandon()  # the plan refuses already: Prisma's answer would add nothing
        elif validation is not None:
            answer = validation.answer()
            refusals += [answer.refusal] if answer.refusal else []
            notes += [answer.note] if answer.note else []
        plan_servers = [*servers, *recovered] if kind == "reset" else recovered
        return RepairPlan(project, kind, steps, targets.state.report, plan_servers, notes, refusals, interruption)
    except BaseException:
        # A plan that could not be made leaves no `prisma validate` behind in the project.
        if validation is not None:
            validation.abandon()
        raise


def _other_database(project: Path, targets: Targets, servers: list[DevServer], notes: list[str]) -> list[str]:
    """Why a database command must not run: Prisma's CLI, run with this process's environment, would change another
    database than the running dev server reads (its own environment sets another URL, or the servers disagree), or
    the SQLite path holds something that is no database file (a FIFO, a folder), which the command would write into.
    A difference the env files alone make is a note: it was the same before any server ran, and the check says it."""
    from prisma_doctor.database.readers import app_runs
    from prisma_doctor.database.sqlite import database_file, not_a_file
    from prisma_doctor.database.target import NoDatabase, locate_database

    runs = app_runs(project, servers)
    try:
        target = locate_database(project, targets.state.schema, apps=runs)
    except NoDatabase:
        return []
    odd = not_a_file(target) if target.provider == "sqlite" and database_file(target) is None else None
    if odd is not None:
        return [
            f"the SQLite database path {odd[0]} holds {odd[1]}, not a database file: Prisma would write there. Move "
            "it away (or point the URL at the database file), then run it again"
        ]
    if target.differs is None:
        return []
    if target.cli_unset is not None:
        return [
            f"Prisma's CLI would run without the database URL: {target.differs}. Load the env file in "
            'prisma.config.ts (`import "dotenv/config";`) or export the variable in this shell, then run it again'
        ]
    if not any(run.server for run in runs):
        notes.append(f"beware: {target.differs}")
        return []
    return [
        f"Prisma's CLI would change another database than the running app reads: {target.differs}. Run this "
        "command with the same database URL the app has (exported in this shell), or restart the app without its "
        "own, then run it again"
    ]


def _failed_migrations(targets: Targets) -> list[str]:
    """Why `migrate deploy` cannot succeed: a migration failed part-way in the database, and Prisma refuses to go on
    (P3009) until it is resolved. Refused before anything runs, and before the app's failed requests are asked."""
    from prisma_doctor.full_check import database_gaps

    return [f.message for f in database_gaps(targets.state) if f.code == "migration-failed"]


# Findings of the database's own objects: no client or dev server change fixes them.
UNFIXED_BY_CLIENT = frozenset({"db-object-error"})


def _unfixable_failure_notes(folders: list[Path], kind: str) -> list[str]:
    """Said before anything changes: the dev server's latest failure is the database's own (a trigger, view or
    function using what its table lacks), which regenerating the client and restarting the server cannot fix."""
    found = {f.message: f for folder in folders for f in latest_failure(folder) if f.code in UNFIXED_BY_CLIENT}
    return [
        f"the dev server's latest failure is {f.code}: {f.message.rstrip('.')}; {kind} does not change the "
        "database, so it cannot fix that one"
        for f in found.values()
    ]


def _notes_and_leftovers(
    given: Path, project: Path, apps: list[Path]
) -> tuple[list[str], Interruption | None, list[Path]]:
    """What the plan says before its steps (the project acted on, the apps whose servers it restarts, a repair
    running now), and what the last repair left: how it was interrupted, and copies no record accounts for."""
    notes: list[str] = []
    if given != project:
        notes.append(f"{given} has no schema of its own: the repair acts on the Prisma project {project}")
    if len(apps) > 1:
        notes.append("apps that use its client, whose dev servers are restarted: " + ", ".join(map(str, apps[1:])))
    interruption = left_by_last_repair(project, find_dev_servers)
    return notes, interruption, _left_aside(project, interruption)


class _SetAside(NamedTuple):
    paths: list[SetAsidePath]
    # The user's own folders among the generators' outputs, each with why.
    not_ours: list[str]
    # Why each cache a reset could set aside is kept.
    caches_kept: list[str]
    refusals: list[str]


def _to_set_aside(project: Path, targets: Targets, reset: bool, deep: bool) -> _SetAside:
    """What a regenerate or a reset sets aside (the clients, and a reset's caches that could serve the old one),
    and why the repair must refuse: a generate that would write outside the project or over the user's files, a
    folder that cannot be removed safely."""
    # Generate writes where each generator's output leads: a repair that would write outside refuses.
    refusals = [_outside_refusal(c, project) for c in targets.outside if c.is_output]
    aside, not_ours = _clients_to_set_aside(targets, project)
    # A folder of the user's files that a generator writes into: generate itself would overwrite them.
    refusals += [
        f"{reason}: `prisma generate` would write over them; give the generator a folder of its own"
        for reason in not_ours
    ]
    caches_kept: list[str] = []
    mounts = MountTable()
    if reset:
        aside += _caches_to_set_aside(project, targets, deep, mounts, caches_kept)
    for item in aside:
        refusals += removal_problems(item.path, project, mounts)
    return _SetAside(aside, not_ours, caches_kept, refusals)


def _outside_refusal(client: ClientFolder, project: Path) -> str:
    """Why a generate into a folder that is not inside the project is refused. The project root itself counts as
    not inside (a client there cannot be set aside), but it is the project's own files that generate would write
    over, not a place outside it (attacker's trial 13, L7)."""
    with contextlib.suppress(OSError, RuntimeError):
        if client.path.resolve() == project.resolve():
            return (
                f"generator `{client.generator}` writes to {client.path}, the project's own folder: `prisma generate` "
                "would write over the project's own files (package.json among them); give the generator a folder "
                "of its own"
            )
    return (
        f"generator `{client.generator}` writes to {client.path}, outside the project {project} (or through a link "
        "to outside it): run the repair where that folder belongs, or point `output` inside the project"
    )


def _dev_servers(folders: list[Path]) -> list[DevServer]:
    """The dev servers running in the project and in each app that uses it, each once."""
    found: dict[int, DevServer] = {}
    for folder in folders:
        for server in find_dev_servers(folder):
            found.setdefault(server.pid, server)
    return list(found.values())


def _linked_node_modules(project: Path, manager: PackageManager) -> str | None:
    """Why the install cannot run when the `node_modules` it installs into is a link (`node_modules ->
    ../shared_nm`): the package manager replaces the link with a folder of its own (attacker's trial 12, #4), and a
    repair never touches `node_modules` itself."""
    for folder in dict.fromkeys((project, manager.workspace_root)):
        link = folder / "node_modules"
        if link.is_symlink():
            target = os.readlink(link)
            return (
                f"{link} is a link to {target}: `{manager.name} install` would replace the link with a folder of its "
                "own, and a repair never touches node_modules itself. Make node_modules a real folder of the "
                f"project (`rm {link} && {manager.name} install`), or mend the packages where it leads yourself, "
                "then run the repair"
            )
    return None


def _verify_app(servers: list[DevServer], folders: list[Path]) -> VerifyApp:
    """The app check of the requests that failed, knowing which of them a Next route handler answers."""
    requests = _requests_that_failed(folders)
    handlers: dict[str, str] = {}
    for request in requests:
        if not request.reads_only:
            continue
        found = next(filter(None, (route_handler(folder, request.path) for folder in folders)), None)
        why = f"{found} is a route handler" if found is not None else None
        why = why or next(filter(None, (rerouted(folder, request.path) for folder in folders)), None)
        if why is not None:
            handlers[request.path] = why
    unasked = list(dict.fromkeys(site for folder in folders for site in failures_without_request(folder)))
    sources = {request: source for folder in folders for request, source in request_sources(folder).items()}
    return VerifyApp(servers, requests, handlers, unasked, sources)


def _requests_that_failed(folders: list[Path]) -> list[FailedRequest]:
    """The requests the outputs of the project and its apps show failing, each once."""
    requests = [request for folder in folders for request in requests_that_failed(folder)]
    return list(dict.fromkeys(requests))


def _processes(
    folders: list[Path],
    clients: list[Path] | None = None,
    servers: Sequence[DevServer] = (),
) -> list[ProjectProcess]:
    """The processes of the project and of its apps (which may hold its client), each once, oldest first; with the
    launchers of `servers` that work outside them (the workspace root's `pnpm --filter api dev` under `prisma-doctor
    run`): stopping only the app's part of the tree would make pnpm fail and its `run` end with it. A plan's `prisma
    validate` (this one's, running in the project as they are read, or another repair's) is none of them."""
    found: dict[int, ProjectProcess] = {}
    for folder in folders:
        for process in find_project_processes(folder, clients or ()):
            # A plan asks Prisma now (marked with its doctor's pid): a repair's child, not the project's.
            if not a_plan_s_validate(process.pid):
                found.setdefault(process.pid, process)
    for server in servers:
        if not server.run_home or server.run is None:
            continue
        reason = f"launches the dev server of {server.cwd} for its `prisma-doctor run` (pid {server.run.pid})"
        for pid in server.launcher_pids:
            if pid not in found and (process := launcher_process(pid, reason)) is not None:
                found[pid] = process
    return sorted(found.values(), key=lambda p: p.started)


def _must_stop(processes: list[ProjectProcess], servers: list[DevServer], notes: list[str]) -> list[ProjectProcess]:
    """The processes a reset stops: a dev server it will start again (its whole chain), and on Windows a process
    that holds a file to be moved. Any other process of the project is named and left running: stopping what the
    repair cannot start again would leave the app down."""
    chain = _server_pids(servers)
    kept: list[ProjectProcess] = []
    for process in processes:
        if process.pid in chain or process.ppid in chain or (os.name == "nt" and "blocks" in process.reason):
            kept.append(process)
            chain.add(process.pid)
        else:
            notes.append(
                f"pid {process.pid} ({process.command}) runs in the project but is no dev server this repair can "
                "start again: left running; restart it yourself so that it loads the new client"
            )
    return kept


def _held_data_refusals(
    project: Path, apps: list[Path], stopped: list[ProjectProcess], servers: list[DevServer], kind: str
) -> list[str]:
    """Why stopping `stopped` would destroy data: one holds the only copy of a deleted database (`held_data.py`)."""
    from prisma_doctor.repair.held_data import held_data_refusals, project_databases

    if not stopped:
        return []
    return held_data_refusals(apps, stopped, project_databases(project, apps, servers), kind)


def _supervisor_refusals(servers: list[DevServer], everyone: list[DevServer], kind: str) -> list[str]:
    """Why a repair that stops `servers` must not: one runs as a task of a workspace supervisor (`turbo dev`), which
    ends every task, the other apps' servers (of `everyone`) and itself, once one is stopped from outside, and which
    this repair cannot start again in the user's terminal."""
    refusals: dict[int, str] = {}
    for server in servers:
        supervisor = server.supervisor
        if supervisor is None or supervisor.pid in refusals:
            continue
        served = ", ".join(s.cwd for s in everyone if s.supervisor is not None and s.supervisor.pid == supervisor.pid)
        if supervisor.name == SHELL_LOOP:
            # The attacker's outside loop: the server it starts while the client is set aside cannot load it.
            head = (
                f"the dev server of {served} runs under `{supervisor.shown_command}` (pid {supervisor.pid}, in "
                f"{supervisor.cwd}), a loop that starts it again whenever it ends"
            )
            refusals[supervisor.pid] = (
                f"{head}: the loop restarts it, not this repair. Stop the server's own process and the loop starts "
                "it again"
                if kind == "restart-dev"
                else f"{head}: stopped by this repair, it would be started again at once, while the client is set "
                "aside, and could not load it. Stop the loop yourself (Ctrl-C in its terminal), run this repair "
                "again, then start the loop again"
            )
            continue
        then = (
            "then start it again"
            if kind == "restart-dev"
            else "run this repair again (it then stops nothing), then start it again"
        )
        refusals[supervisor.pid] = (
            f"the dev server of {served} runs under `{supervisor.shown_command}` (pid {supervisor.pid}, in "
            f"{supervisor.cwd}): stopping it makes {supervisor.name} end every task it runs, the other apps' dev "
            f"servers with it, and this repair cannot start {supervisor.name} again in your terminal. Stop "
            f"`{supervisor.shown_command}` yourself (Ctrl-C in its terminal), {then}"
        )
    return list(refusals.values())


def _server_pids(servers: list[DevServer]) -> set[int]:
    """Every process of the servers' trees: stopping a server stops all of it, so that no `next-server` or tsx child
    is left serving the old client."""
    return {pid for server in servers for pid in (*server.launcher_pids, *server.tree_pids)}


def _caches_to_set_aside(
    project: Path, targets: Targets, deep: bool, mounts: MountTable, kept: list[str]
) -> list[SetAsidePath]:
    """The build caches a reset sets aside, each with why; a `.next` it keeps is said in `kept`, with why."""
    caches: list[SetAsidePath] = []
    next_cache = project / NEXT_CACHE
    if next_cache.exists():
        clients = [client.path for client in targets.clients]
        why = reason_to_set_aside(next_cache, clients, deep=deep, mounts=mounts)
        if why is None:
            kept.append(
                f"{next_cache}: left in place: it holds no generated client, and Next compiles again what the new "
                "client changes (`--deep` sets it aside)"
            )
        else:
            caches.append(SetAsidePath(next_cache, None, why=why))
    deep_caches = [project / cache for cache in DEEP_CACHES if deep]
    caches += [SetAsidePath(cache, None, why="`--deep` asks for it") for cache in deep_caches if cache.exists()]
    return caches


def _clients_to_set_aside(targets: Targets, project: Path) -> tuple[list[SetAsidePath], list[str]]:
    """The client folders that are provably Prisma's, and why each other one is left alone."""
    schema = targets.state.schema
    protected = [Path(f.path) for f in (schema.files if schema else ())] + [
        project / name for name in ("package.json", "prisma.config.ts", "prisma.config.js", "prisma.config.mjs")
    ]
    generators = {client.generator.name: client.generator for client in targets.state.clients}
    aside: list[SetAsidePath] = []
    not_ours: list[str] = []
    for client in targets.inside:
        generator = generators.get(client.generator)
        provider, extension = (generator.provider, generator.file_extension) if generator else ("", "ts")
        reason = not_a_generated_client(client.path, provider, protected, extension)
        if reason is None:
            aside.append(SetAsidePath(client.path, provider, extension))
        elif client.is_output:
            not_ours.append(f"{reason} (generator `{client.generator}`)")
    return aside, not_ours


def _migration_name(targets: Targets) -> str:
    from prisma_doctor.diagnosis.facts import migrated_columns, read_migrations
    from prisma_doctor.migration_name import FALLBACK, migration_name

    schema = targets.state.schema
    if schema is None:
        return FALLBACK
    return migration_name(schema.datamodel, migrated_columns(read_migrations(schema.source.migrations_dir)))


def _drift_refusals(targets: Targets) -> list[str]:
    """`migrate dev` cannot succeed on a database that lacks what a migration it records as applied made: Prisma
    sees the drift and asks to reset the database (every row lost), which a repair never does. Asked read-only and
    bounded, as `check` asks it; a database that does not answer refuses nothing (Prisma will say)."""
    from prisma_doctor.full_check import database_gaps

    drifted = [f for f in database_gaps(targets.state) if f.data.get("drift")]
    if not drifted:
        return []
    lacking = ", ".join(
        f"`{f.data['table']}.{f.data['column']}`" if f.data.get("column") else f"`{f.data.get('table')}`"
        for f in drifted[:5]
    )
    return [
        f"the database has drifted from its migrations: it lacks {lacking}, which a migration its "
        "`_prisma_migrations` records as applied creates; `prisma migrate dev` would ask to reset the database "
        "(losing its data), which a repair never does. `prisma-doctor migrate push` adds what is missing and keeps "
        "the data"
    ]


def _schema_refusals(targets: Targets) -> list[str]:
    from prisma_doctor.config_env import config_env_findings

    state = targets.state
    broken = [f for f in state.report.findings if f.code in SCHEMA_BROKEN]
    refusals = [f"the schema does not validate: {f.message}; fix it, then repair" for f in broken[:3]]
    # Prisma would fail loading its config before it changed anything, and the repair would have set the client
    # aside for nothing.
    unset = config_env_findings(state.root, state.schema.source) if state.schema is not None else []
    # Only a decided one: a config that imports a module of its own may load the .env itself.
    return refusals + [f"Prisma cannot load its config: {f.message}" for f in unset if f.severity is Severity.ERROR]


# What lets a generate that could not download an engine succeed without the network.
ENGINE_OVERRIDES = (
    "PRISMA_QUERY_ENGINE_LIBRARY",
    "PRISMA_QUERY_ENGINE_BINARY",
    "PRISMA_SCHEMA_ENGINE_BINARY",
    "PRISMA_MIGRATION_ENGINE_BINARY",
    "PRISMA_ENGINES_MIRROR",
)


def _engine_refusals(project: Path, targets: Targets) -> list[str]:
    """A generate that could not get its engine here fails again the same way: said before anything is stopped or
    set aside, from what the last generate printed (`.prisma-doctor/generate.log`), unless something changed
    since: a client generated after it (the user ran `prisma generate`), or an engine variable set now."""
    from prisma_doctor.diagnosis import diagnose_output

    log = StateFolder(project).path / "generate.log"
    text = StateFolder(project).read_text("generate.log")
    try:
        written = log.stat().st_mtime
    except OSError:
        return []
    generated = [c.client.generated_at.timestamp() for c in targets.state.clients if c.client is not None]
    if not text or any(at > written for at in generated) or any(os.environ.get(name) for name in ENGINE_OVERRIDES):
        return []
    found = [f for f in diagnose_output(text, None) if f.code == "engine-unavailable"]
    return [
        f"the last `prisma generate` here ({log}) failed: {f.message.rstrip('.')}. It would fail the same way; once "
        "the engine can be had, run `prisma generate` yourself, then the repair"
        for f in found[:1]
    ]


def _tool_refusals(project: Path, manager: PackageManager, missing: list[str]) -> list[str]:
    refusals: list[str] = []
    program = manager.prisma()[0]
    if not shutil.which(program) and not Path(program).is_file():
        refusals.append(f"`{program}` ({manager.name}) is not on the PATH and node cannot run the project's own Prisma")
    if find_package("prisma", project) is None and "prisma" not in missing:
        refusals.append("the `prisma` package is neither installed nor declared in package.json: add it first")
    return refusals


def _still_running(interruption: Interruption | None) -> list[str]:
    """A repair killed while its `prisma generate` ran (its own session: it outlives the repair) left it writing the
    client: a repair now would set aside or generate into the folder it writes."""
    if interruption is None or interruption.running is None:
        return []
    running = interruption.running
    return [
        f"{running.label} (pid {running.pid}), started by the {interruption.kind} that did not finish, still runs in "
        "the project: wait until it ends (or stop it), then repair"
    ]


def _recover(interruption: Interruption | None, project: Path, *, takes_over: bool) -> list[Step]:
    """The `recover` step, when the last repair left something: a reset or regenerate takes over its copies."""
    if interruption is None:
        return []
    from prisma_doctor.repair.recover import Recover

    places: set[Path] = set()
    if not takes_over and interruption.aside:
        places = {client.path for client in find_targets(project).inside}
        places |= {project / cache for cache in (NEXT_CACHE, *DEEP_CACHES)}
    return [Recover(interruption, takes_over, places)]


def _recovered_servers(interruption: Interruption | None) -> list[DevServer]:
    """The servers the unfinished repair stopped that can be started again as the project's own scripts."""
    stopped = interruption.stopped if interruption is not None else ()
    return [server for server in (s.dev_server(program) for s in stopped) if server is not None]


def _restart_recovered(recovered: list[DevServer], apps: list[Path]) -> list[Step]:
    return [RestartDevServers(recovered, folders=apps)] if recovered else []


def _left_aside(project: Path, interruption: Interruption | None) -> list[Path]:
    """Copies in `.prisma-doctor/aside` that no record accounts for (a discard that failed, an older version's)."""
    folder = project / STATE_DIR / "aside"
    known: set[str] = {copy.aside.name for copy in interruption.aside} if interruption is not None else set()
    try:
        return sorted(folder / entry.name for entry in os.scandir(folder) if entry.name not in known)
    except OSError:
        return []


def _unaccounted_note(paths: list[Path]) -> str:
    names = [shown(path.name) for path in paths]
    listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"old copies left set aside in {paths[0].parent}: {listed}; a reset or regenerate removes them"
