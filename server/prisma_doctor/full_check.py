"""The whole state of a project, as `check` and the language server see it: the static check (schema against
clients, check.py) and what surrounds it, each gap its own finding: a config `env()` nothing sets (config_env.py),
the installed Prisma packages (installed.py), a client's native query engine this machine lacks (clients/engine.py),
the database when it can be reached (database_state.py, asked through its probe: read-only and bounded), and
running dev servers that started before the client they should use, and what the last repair left when it did not
finish (repair/interruption.py).

The repair's own verification keeps to the static check (`check.check_project`): it must not wait on a database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.check import ProjectState, checkpoint, inspect_project
from prisma_doctor.database.readers import AppRun, app_runs
from prisma_doctor.database.target import PROVIDERS
from prisma_doctor.findings import Finding, Location, Report, Severity, SyncState
from prisma_doctor.masking import mask_command
from prisma_doctor.offers import has_migrations, schema_broken, with_offers
from prisma_doctor.schema.locate import LoadedSchema
from prisma_doctor.schema.syntax import Block

if TYPE_CHECKING:
    from prisma_doctor.repair.devserver import DevServer
    from prisma_doctor.repair.processes import ProjectProcess

# How long a check waits for the database's answer: an unreachable one is said (info), never waited out.
DATABASE_WAIT_SECONDS = 3.0


def full_check(root: Path, schema_path: Path | None = None, *, wait: bool = True, database: bool = True) -> Report:
    return inspect_whole(root, schema_path, wait=wait, database=database).report


def inspect_whole(
    root: Path,
    schema_path: Path | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    wait: bool = True,
    may_ask: bool = True,
    database: bool = True,
    around: Callable[[], Surroundings] | None = None,
    earlier: LoadedSchema | None = None,
    stop: Callable[[], bool] | None = None,
) -> ProjectState:
    """`inspect_project`, with the findings of the packages, the database and the dev servers added to its report.
    `wait`: whether the database's answer may be waited for (at most `DATABASE_WAIT_SECONDS`); never on an event
    loop. `may_ask` False (an untrusted workspace): the database is not asked, and a finding says so. `database`
    False (`check --no-database`): the database is left out, and nothing is said of it here. `around`: the
    project's running servers and apps (`Surroundings`) as its caller keeps them (a language server, between edits);
    by default read now (`read_surroundings`). `earlier`: the schema as the last check read it, reused up to each
    file's first change (`inspect_project`). `stop`: asked between stages, `check.CheckSuperseded` when it says
    true."""
    state = inspect_project(root, schema_path, overrides, earlier, stop)
    if state.schema is None or state.report.state is SyncState.UNKNOWN:
        findings = with_unfinished_repair(state.root, state.report.findings)
        known = state.report.state is not SyncState.UNKNOWN
        return replace(state, report=Report.from_findings(state.report.project, findings, known=known))
    # Only a server that may hold a client matters, and looking for servers climbs the workspace: with no client on
    # disk, none is looked for (a check of hundreds of nested projects stays linear).
    migrations = has_migrations(state.schema.source.migrations_dir)
    generated = _newest_generation(state) is not None
    nearby = (around or (lambda: read_surroundings(state.root)))() if generated else None
    servers = list(nearby.servers) if nearby is not None else []
    others = list(nearby.others) if nearby is not None else []
    # A running server's own environment decides which database the app reads, else each app folder's env files
    # (`readers.app_runs`). Finding the apps climbs the workspace too: with no client on disk, no app runs one, and
    # the project's own files stand for them.
    running = nearby.running if nearby is not None else (AppRun(state.root, os.environ),)
    state = replace(state, running=running)
    checkpoint(stop)
    # On the generator, where the editor offers the repair-interrupted's fix (the repair to run again) as a quick fix.
    found = with_unfinished_repair(
        state.root,
        [*state.report.findings, *surroundings(state, servers, wait, may_ask, database, others)],
        _generator_location(state),
    )
    valid = not schema_broken(state.report.findings)
    holding = _servers_holding_client(state, servers)
    findings = with_offers(found, dev_server_running=holding, migrations=migrations, schema_valid=valid)
    return replace(state, report=Report.from_findings(state.report.project, findings))


def surroundings(
    state: ProjectState,
    servers: list[DevServer],
    wait: bool,
    may_ask: bool = True,
    database: bool = True,
    others: Sequence[ProjectProcess] = (),
) -> list[Finding]:
    from prisma_doctor.clients.engine import engine_findings
    from prisma_doctor.config_env import config_env_findings
    from prisma_doctor.installed import imports_runtime_package, package_findings

    assert state.schema is not None
    schema_dir = state.schema.source.schema_dir
    # A generated client imports @prisma/client from its own folder, unless it carries its runtime (a missing client
    # is its own finding already).
    starts = [c.client.path for c in state.clients if c.client is not None and imports_runtime_package(c.client.path)]
    findings = config_env_findings(state.root, state.schema.source)
    unloadable = any(f.severity is Severity.ERROR for f in findings)
    findings += package_findings(state.root, schema_dir, starts, _generator_location(state))
    findings += engine_findings(state)
    if database:
        # (No server found may mean none was looked for: then the held-file check looks itself.)
        gaps = database_gaps(state, wait, may_ask, servers or None)
        # A config that cannot load, or may not (`env-missing`, said undecided when a module of its own may load
        # .env), says why the CLI has no URL already; one that cannot load, why the database was not asked.
        env_said = any(f.code == "env-missing" for f in findings)
        findings.extend(
            f
            for f in gaps
            if not (env_said and f.data.get("cli_unset")) and not (unloadable and f.code == "db-not-asked")
        )
    findings.extend(stale_dev_servers(state, servers))
    generated = _newest_generation(state)
    if generated is not None and others:
        from prisma_doctor.stale_processes import stale_processes

        clients = [c.client.path for c in state.clients if c.client is not None]
        findings.extend(stale_processes(others, generated, clients, _generator_location(state)))
    return findings


def with_unfinished_repair(root: Path, findings: Sequence[Finding], where: Location | None = None) -> list[Finding]:
    """`findings`, and `repair-interrupted` when the last repair did not finish and left a server stopped or a
    folder set aside; a client it set aside is said as such (`client-set-aside`), not as one never generated; and
    `dev-server-gone` for a server the last repair saw end that does not run again."""
    from prisma_doctor.repair.devserver import find_dev_servers
    from prisma_doctor.repair.gone_servers import gone_findings
    from prisma_doctor.repair.interruption import left_by_last_repair

    left = left_by_last_repair(root, find_dev_servers)
    gone = gone_findings(root, where)
    if left is None:
        return [*findings, *gone]
    return [*(left.client_aside(f) for f in findings), left.finding(where), *gone]


def database_gaps(
    state: ProjectState, wait: bool = True, may_ask: bool = True, servers: Sequence[DevServer] | None = None
) -> list[Finding]:
    """What the database lacks or holds back against the project (read-only, bounded): none when it is not named.
    The database is the one the app reads: that of the running dev servers' own environments (`state.running`)."""
    return _database(state, state.schema, wait, may_ask, servers) if state.schema is not None else []


@dataclass(frozen=True, eq=False)
class Surroundings:
    """What a check reads around the project that its schema's text does not change: the running dev servers of
    the project and of the workspace apps that use its client, and where the app runs (`readers.AppRun`: each such
    server with the environment it started with, else each app folder)."""

    servers: tuple[DevServer, ...]
    running: tuple[AppRun, ...]
    # The project's other runtime processes (a worker, a script): they may run an older client too.
    others: tuple[ProjectProcess, ...] = ()

    def __eq__(self, other: object) -> bool:
        # The same servers in the same places: a server's process tree grows and shrinks as it works (what stopping
        # it stops is read again when a repair plans), and that changes no finding.
        return isinstance(other, Surroundings) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def _identity(self) -> tuple[object, ...]:
        servers = tuple((s.pid, s.cwd, s.command, s.home, s.port, s.tool) for s in self.servers)
        return servers, self.running, tuple((p.pid, p.started) for p in self.others)


def read_surroundings(root: Path) -> Surroundings:
    from prisma_doctor.stale_processes import other_processes

    servers = running_dev_servers(root)
    return Surroundings(tuple(servers), tuple(app_runs(root, servers)), tuple(other_processes(root, servers)))


def running_dev_servers(root: Path) -> list[DevServer]:
    """The project's own dev servers, and in a workspace those of the apps that use its client (`apps/web`), each
    once."""
    from prisma_doctor.repair.devserver import find_dev_servers
    from prisma_doctor.workspace import app_folders

    return list({s.pid: s for folder in app_folders(root) for s in find_dev_servers(folder)}.values())


def _held_deleted(root: Path, servers: Sequence[DevServer] | None) -> list[tuple[int, int, str]]:
    """The project's SQLite file, deleted while a dev server of the project holds it open (`held_data`); `servers`:
    the project's running dev servers when the caller has read them, else they are read now."""
    from prisma_doctor.repair.held_data import held_deleted, project_databases

    servers = running_dev_servers(root) if servers is None else servers
    return held_deleted(project_databases(root, [], servers), servers) if servers else []


def _database(
    state: ProjectState, schema: LoadedSchema, wait: bool, may_ask: bool, servers: Sequence[DevServer] | None
) -> list[Finding]:
    from prisma_doctor.database.probe import probe_for
    from prisma_doctor.database.sqlite import chosen_file, database_file, not_a_file
    from prisma_doctor.database_state import (
        database_differs,
        database_findings,
        deleted_but_held,
        missing_file,
        not_asked,
        odd_file,
    )
    from prisma_doctor.diagnosis.facts import migrated_columns, migrated_enum_values, read_migrations

    datasource = next(iter(schema.blocks_of("datasource")), None)
    if datasource is None:
        return []
    path, block = datasource
    provider = _provider(block)
    if provider not in PROVIDERS:  # the datasource providers whose catalog the probe reads
        return []
    probe = probe_for(state.root, schema, may_ask=may_ask, apps=state.running or None)
    where = Location(path, block.name_span)
    if probe.target is None:
        # No URL to ask: nothing is said of a database the project has not named; one that may not be asked, or
        # whose URL cannot be used, is said.
        return [not_asked(probe.unavailable, where)] if probe.said and probe.unavailable else []
    sql = read_migrations(schema.source.migrations_dir)
    if probe.target.provider == "sqlite" and database_file(probe.target) is None:
        # The app's first query creates the file empty and fails on its first table: said before that happens,
        # with what creates it (attack4 #6: a fresh clone, `git clean -fdx`, a deleted dev.db).
        tables = [model.db_name or model.name for model in schema.datamodel.queryable]
        odd = not_a_file(probe.target)
        if odd is not None:
            return [odd_file(*odd, where)]
        held = _held_deleted(state.root, servers)
        if held:
            return [deleted_but_held(chosen_file(probe.target)[1], held, where)]
        return [missing_file(chosen_file(probe.target)[1], list(sql), tables, where)] if tables else []
    inspection = probe.inspection(wait, DATABASE_WAIT_SECONDS)
    clients = [c.client.datamodel for c in state.clients if c.client is not None]
    shown = probe.target.shown
    chosen = chosen_file(probe.target)[1] if probe.target.provider == "sqlite" else None
    if chosen is not None and chosen not in shown:
        # A relative path, said as the file it is (an absolute one the URL says already).
        shown = f"{shown}, {chosen}"
    findings = database_findings(
        inspection, shown, list(sql), migrated_columns(sql), clients, schema.datamodel, where, migrated_enum_values(sql)
    )
    if probe.target.differs is not None:
        differs = database_differs(probe.target.differs, where)
        unset = {"cli_unset": True} if probe.target.cli_unset is not None else {}
        findings.append(replace(differs, data={**differs.data, **unset}))
    return findings


def _provider(block: Block) -> str | None:
    from prisma_doctor.clients.locate import string_property

    return string_property(block, "provider")


def stale_dev_servers(state: ProjectState, servers: list[DevServer]) -> list[Finding]:
    """`dev-server-stale` for each of the running dev `servers` that still serves a client older than the project's
    newest one (`staleness.judge`: decided, or said as undecided); `dev-server-crashed` for one whose app crashed
    (`crash.py`), which loaded nothing since."""

    from prisma_doctor.crash import crash_of, crashed_dev_server
    from prisma_doctor.diagnosis.runtime_findings import generation_location, newest_generation, stale_dev_server
    from prisma_doctor.repair.devserver import serving_since
    from prisma_doctor.staleness import judge

    generated = newest_generation(state)
    if generated is None:
        return []
    clients = [c.client.path for c in state.clients if c.client is not None]
    findings: list[Finding] = []
    for server in servers:
        crash = crash_of(server)
        if crash is not None:
            # It loaded nothing since it crashed: neither stale nor fresh, and down.
            which = f"in {server.cwd} (pid {server.pid})"
            findings.append(crashed_dev_server(generation_location(state), which, crash))
            continue
        stale = judge(server, generated, clients)
        started = serving_since(server)
        if stale is None or started is None:
            continue
        which = f"in {server.cwd} (pid {server.pid})"
        finding = stale_dev_server(generation_location(state), which=which, why=stale.why, decided=stale.decided)
        data = {
            "pid": server.pid,
            "command": mask_command(server.command),
            "cwd": server.cwd,
            "tool": server.tool,
            "startedAt": datetime.fromtimestamp(started).astimezone().isoformat(),
            "generatedAt": generated.isoformat(),
            "decided": stale.decided,
        }
        findings.append(replace(finding, data=data))
    return findings


def _servers_holding_client(state: ProjectState, servers: Sequence[DevServer]) -> bool:
    """Whether a running dev server keeps the client it loaded until it is restarted: any but a watcher that runs its
    app again when the client, generated outside node_modules, changes (`staleness.reloads_by_itself`)."""
    from prisma_doctor.staleness import reloads_by_itself

    outputs = [c.generator.output for c in state.clients if c.generator.output is not None]
    return any(not reloads_by_itself(server, outputs) for server in servers)


def _newest_generation(state: ProjectState) -> datetime | None:
    from prisma_doctor.diagnosis.runtime_findings import newest_generation

    return newest_generation(state)


def _generator_location(state: ProjectState) -> Location | None:
    from prisma_doctor.diagnosis.runtime_findings import generation_location

    return generation_location(state)
