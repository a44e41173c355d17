"""What the project says, gathered once for the diagnosis: schema, generated clients, dev server, migrations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor import project_files
from prisma_doctor.schema.datamodel import Datamodel

if TYPE_CHECKING:
    from prisma_doctor.check import ProjectState
    from prisma_doctor.database.probe import DatabaseProbe
    from prisma_doctor.logs.nextlog import DevServerLock
    from prisma_doctor.repair.interruption import Interruption


@dataclass(frozen=True)
class ClientFacts:
    path: str
    datamodel: Datamodel
    generated_at: datetime | None = None


@dataclass(frozen=True)
class ProjectFacts:
    """What the project says, gathered once: the schema's datamodel, each generated client, the dev server, the
    migrations folder. Every part is optional; a missing part only narrows what can be concluded."""

    root: str
    schema: Datamodel | None = None
    # The folder the dev server ran in, against which its relative frames (`app/actions.ts`) resolve: in a workspace
    # the app (`apps/web`), not the schema's package. None: the project itself.
    source_root: str | None = None
    clients: tuple[ClientFacts, ...] = ()
    # Where each generator writes its client (resolved folders), whether or not a client is there.
    outputs: tuple[str, ...] = ()
    dev_server_started_at: datetime | None = None
    dev_server_pid: int | None = None
    # Whether a dev server of the project runs (any kind, found by its process tree): what `project_facts` saw.
    dev_server_running: bool = False
    # Whether every dev server found reloads a new client by itself (`staleness.reloads_by_itself`: tsx watch with a
    # client outside node_modules): a regenerate is then the repair, with no restart.
    dev_server_reloads_client: bool = False
    migrations: tuple[str, ...] = ()
    # table -> column -> the migration that creates it, read from the migrations' SQL ("" stands for the table).
    migrated: Mapping[str, Mapping[str, str]] = field(default_factory=dict[str, Mapping[str, str]])
    # enum type -> value -> the migration that adds it (PostgreSQL), read from the same SQL.
    enum_values_migrated: Mapping[str, Mapping[str, str]] = field(default_factory=dict[str, Mapping[str, str]])
    # The database the datasource names ("postgresql", "mysql", "sqlite", ...): how to look into it by hand.
    provider: str | None = None
    # The project's database, asked in the background (None: no project to find it from).
    database: DatabaseProbe | None = field(default=None, compare=False, repr=False)
    # The `prisma` CLI installed for the schema, as Node resolves it (None: not installed, or unreadable).
    prisma_version: str | None = None
    # Each generator's `engineType` ("" when unset): whether the query engine is native or the client's own.
    engine_types: tuple[str, ...] = ()
    # The last repair, when it did not finish and left something (a client set aside): a client missing because of it
    # is said as set aside, at run time as in the static check (`Interruption.client_aside`).
    unfinished: Interruption | None = field(default=None, compare=False, repr=False)

    def migration_creating(self, table: str, column: str = "") -> str | None:
        return self.migrated.get(table, {}).get(column)

    def migration_adding(self, enum_type: str, value: str) -> str | None:
        return self.enum_values_migrated.get(enum_type, {}).get(value)


def project_facts(root: Path, schema_path: Path | None = None) -> ProjectFacts:
    """Gather the facts from the project on disk (schema, clients, migrations folder, Next's dev server lock)."""
    from dataclasses import replace

    from prisma_doctor.check import inspect_project
    from prisma_doctor.database.readers import app_runs
    from prisma_doctor.full_check import running_dev_servers
    from prisma_doctor.staleness import reloads_by_itself

    state = inspect_project(root, schema_path)
    servers = running_dev_servers(root) if state.schema is not None else []
    # The servers' own environments say which database the app that printed the error reads.
    running = tuple(app_runs(state.root, servers)) if servers else ()
    outputs = [c.generator.output for c in state.clients if c.generator.output is not None]
    reloads = bool(servers) and all(reloads_by_itself(server, outputs) for server in servers)
    facts = facts_from_state(replace(state, running=running))
    return replace(facts, dev_server_running=bool(servers), dev_server_reloads_client=reloads)


def facts_for_folder(folder: Path, ran_in: Path | None = None) -> ProjectFacts | None:
    """The facts of the Prisma project a folder stands for, or None when it holds no readable one (a log alone still
    speaks). A workspace's app (`apps/web`) stands for the one Prisma project it uses: its own folder has no schema.
    Frames printed relative to the folder the dev server ran in resolve against `ran_in` (by default `folder`)."""
    from dataclasses import replace

    from prisma_doctor.workspace import prisma_projects_for

    projects = prisma_projects_for(folder)
    project = projects[0] if len(projects) == 1 else folder
    try:
        facts = project_facts(project)
    except (OSError, ValueError):
        return None
    return replace(facts, source_root=str(ran_in or folder)) if facts.schema is not None else None


def running_dev_server(root: Path) -> DevServerLock | None:
    """The lock of the project's `next dev` while its process lives (a killed one leaves its lock behind)."""
    import psutil

    from prisma_doctor.logs.nextlog import read_lock

    lock = read_lock(root)
    return lock if lock is not None and psutil.pid_exists(lock.pid) else None


def facts_from_state(state: ProjectState, *, may_ask: bool = True) -> ProjectFacts:
    """The facts of a project already inspected (the language server keeps each project's last state). `may_ask`
    False (an untrusted workspace): the database is never asked, and the findings it would decide say why. The
    database is the one the app reads: that of the running dev servers' own environments (`state.running`)."""
    from prisma_doctor.database.probe import probe_for
    from prisma_doctor.database.target import datasource_provider
    from prisma_doctor.installed import CLI, installed_version

    clients = tuple(
        ClientFacts(str(c.client.path), c.client.datamodel, c.client.generated_at) for c in state.clients if c.client
    )
    sql = read_migrations(state.schema.source.migrations_dir) if state.schema is not None else {}
    from prisma_doctor.repair.devserver import find_dev_servers
    from prisma_doctor.repair.interruption import left_by_last_repair

    lock = running_dev_server(state.root)
    return ProjectFacts(
        root=str(state.root),
        schema=state.schema.datamodel if state.schema else None,
        clients=clients,
        outputs=tuple(str(c.generator.output) for c in state.clients if c.generator.output is not None),
        dev_server_started_at=lock.started_at if lock else None,
        dev_server_pid=lock.pid if lock else None,
        migrations=tuple(sql),
        migrated=migrated_columns(sql),
        enum_values_migrated=migrated_enum_values(sql),
        provider=datasource_provider(state.schema.files) if state.schema else None,
        # Asked when a runtime error needs its answer (probe.py).
        database=probe_for(state.root, state.schema, may_ask=may_ask, apps=state.running or None),
        prisma_version=installed_version(
            CLI, state.schema.source.schema_dir if state.schema else state.root, state.root
        ),
        engine_types=tuple(c.generator.engine_type or "" for c in state.clients),
        unfinished=left_by_last_repair(state.root, find_dev_servers),
    )


MAX_MIGRATION_CHARS = 4 * 1024 * 1024


def read_migrations(folder: Path) -> dict[str, str]:
    """A migrations folder (`SchemaSource.migrations_dir`): each migration's name and SQL, in the order Prisma
    applies them."""
    sql: dict[str, str] = {}
    for path in sorted(folder.glob("*/migration.sql")) if folder.is_dir() else []:
        try:
            sql[path.parent.name] = project_files.read_text(path)[:MAX_MIGRATION_CHARS]
        except OSError:
            continue
    return sql


_IDENT = r"[`\"\[]?(?P<{name}>[^`\"\]\s.(]+)[`\"\]]?"
_QUALIFIED = r"(?:[`\"\[]?[^`\"\]\s.(]+[`\"\]]?\.)?"
# Statement heads only: where a head's body or rest ends is found with `str.find`. In one pattern, `.*?\n\)` or
# `[^;]*;` would scan to the end of the text again from every head that has no end.
_CREATE_TABLE = re.compile(
    r"CREATE TABLE\s+(?:IF NOT EXISTS\s+)?" + _QUALIFIED + _IDENT.format(name="table") + r"\s*\(", re.I
)
_ALTER_TABLE = re.compile(r"ALTER TABLE\s+" + _QUALIFIED + _IDENT.format(name="table") + r"\s+", re.I)
# A quoted identifier holds no quote, opening ones included: the next `[` ends a name that is not closed instead of
# every `[` scanning to the end. `[^\S\n]*`, not `\s*`: from every line start, `\s*` would cross the blank lines below.
_NAME = r"[`\"\[](?P<{name}>[^`\"\[\]]+)[`\"\]]"
_COLUMN_LINE = re.compile(r"^[^\S\n]*" + _NAME.format(name="column") + r"\s", re.M)
_ADD_COLUMN = re.compile(r"ADD(?: COLUMN)?\s+" + _NAME.format(name="column"), re.I)
_RENAME_COLUMN = re.compile(
    r"RENAME COLUMN\s+" + _NAME.format(name="old") + r"\s+TO\s+[`\"\[](?P<new>[^`\"\[\]]+)", re.I
)
_RENAME_TABLE = re.compile(r"RENAME TO\s+[`\"\[](?P<new>[^`\"\[\]]+)", re.I)
_STATEMENT_END = re.compile(r";\s*\n")
# PostgreSQL's enum types as `prisma migrate` writes them: `CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');` and
# `ALTER TYPE "Role" ADD VALUE 'EDITOR';`. A label is quoted, its own quotes doubled.
_CREATE_ENUM = re.compile(r"CREATE TYPE\s+" + _QUALIFIED + _IDENT.format(name="type") + r"\s+AS ENUM\s*\(", re.I)
_ADD_ENUM_VALUE = re.compile(
    r"ALTER TYPE\s+"
    + _QUALIFIED
    + _IDENT.format(name="type")
    + r"\s+ADD VALUE\s+(?:IF NOT EXISTS\s+)?'(?P<value>(?:[^']|'')*)'",
    re.I,
)
_ENUM_LABEL = re.compile(r"'((?:[^']|'')*)'")


def migrated_enum_values(sql_by_migration: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Enum type -> value -> the first migration whose SQL adds it (PostgreSQL's `CREATE TYPE ... AS ENUM` and
    `ALTER TYPE ... ADD VALUE`): which migration brings a value the database's type lacks."""
    types: dict[str, dict[str, str]] = {}
    for name, sql in sql_by_migration.items():
        for created in _CREATE_ENUM.finditer(sql):
            end = sql.find(")", created.end())
            values = types.setdefault(created.group("type"), {})
            for label in _ENUM_LABEL.finditer(sql, created.end(), end if end >= 0 else created.end()):
                values.setdefault(label.group(1).replace("''", "'"), name)
        for added in _ADD_ENUM_VALUE.finditer(sql):
            types.setdefault(added.group("type"), {}).setdefault(added.group("value").replace("''", "'"), name)
    return types


def migrated_columns(sql_by_migration: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Table -> column -> the first migration whose SQL creates it, for the SQL that `prisma migrate` writes
    (quoted identifiers; SQLite's redefine-and-rename of tables)."""
    tables: dict[str, dict[str, str]] = {}
    for name, sql in sql_by_migration.items():
        for statement in _STATEMENT_END.split(sql):
            statement = statement.strip() + ";"
            created = _CREATE_TABLE.search(statement)
            body_end = statement.find("\n)", created.end()) if created else -1
            altered = _ALTER_TABLE.search(statement) if body_end < 0 else None
            if created and body_end >= 0:
                columns = tables.setdefault(created.group("table"), {"": name})
                for column in _COLUMN_LINE.finditer(statement[created.end() : body_end]):
                    columns.setdefault(column.group("column"), name)
            elif altered:
                table, rest = altered.group("table"), statement[altered.end() : statement.index(";", altered.end())]
                if renamed := _RENAME_TABLE.search(rest):
                    tables[renamed.group("new")] = {
                        **tables.get(renamed.group("new"), {}),
                        **tables.pop(table, {}),
                        "": name,
                    }
                    continue
                columns = tables.setdefault(table, {})
                for column in _ADD_COLUMN.finditer(rest):
                    columns.setdefault(column.group("column"), name)
                for column in _RENAME_COLUMN.finditer(rest):
                    columns[column.group("new")] = name
    return tables
