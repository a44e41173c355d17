"""Events from terminal output + what the project says = findings with a root cause.

The same error text has different causes. ``The column `X` does not exist`` can mean a client generated from another
schema, a database that was never migrated, a dev server that still runs an older client, or a trigger, view or
function inside the database that refers to something missing. Which one is decided by comparing the reported
name with the schema, the generated clients and the dev server's start time (`ProjectFacts`). When the evidence
allows two causes, both are reported, ranked (`data["rank"]`, 1 is the likeliest). A database-side cause never
offers a cache reset or a regeneration: they cannot help.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from prisma_doctor.findings import Finding, Location, Report, Severity, Span
from prisma_doctor.logs import events as ev
from prisma_doctor.schema.datamodel import Datamodel, Model

# Column names that Prisma reports when it misread the database's message rather than named a column: the second
# word of a localized message (`«`, `»`), a trigger's record (`new`, `old`), or the adapter's placeholder.
MISREAD_COLUMN_NAMES = frozenset({"«", "»", "new", "old", "(not available)", ""})
WRITE_ACTIONS = frozenset(
    {
        "create",
        "createMany",
        "createManyAndReturn",
        "update",
        "updateMany",
        "updateManyAndReturn",
        "upsert",
        "delete",
        "deleteMany",
    }
)
SEE_DATABASE_MESSAGE = (
    "To see the database's own message, run the statement in psql after `SET lc_messages = 'C';` and list the "
    'table\'s triggers (`\\d "{table}"`), views and functions that mention the name.'
)
DB_SIDE_FIXES = ("inspect-database-objects",)


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
    clients: tuple[ClientFacts, ...] = ()
    dev_server_started_at: datetime | None = None
    dev_server_pid: int | None = None
    migrations: tuple[str, ...] = ()
    # table -> column -> the migration that creates it, read from the migrations' SQL ("" stands for the table).
    migrated: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def migration_creating(self, table: str, column: str = "") -> str | None:
        return self.migrated.get(table, {}).get(column)


@dataclass
class _StreamState:
    """What earlier lines of the same stream said (a generate after the dev server's start)."""

    dev_server_ready_line: int | None = None
    generated_after_ready: bool = False


@dataclass
class Diagnoser:
    """Turns events into findings one at a time, remembering what the stream said before."""

    facts: ProjectFacts | None = None
    state: _StreamState = field(default_factory=_StreamState)

    def findings_for(self, event: ev.Event) -> list[Finding]:
        if isinstance(event, ev.DevServerReady):
            self.state = _StreamState(dev_server_ready_line=event.line)
        elif isinstance(event, ev.ClientGenerated) and self.state.dev_server_ready_line is not None:
            self.state.generated_after_ready = True
        return list(_findings(event, _Context(self.facts, self.state)))


def diagnose(events: Iterable[ev.Event], facts: ProjectFacts | None = None) -> list[Finding]:
    diagnoser = Diagnoser(facts)
    return [finding for event in events for finding in diagnoser.findings_for(event)]


def diagnose_report(events: Iterable[ev.Event], facts: ProjectFacts | None, project: str) -> Report:
    return Report.from_findings(project, diagnose(events, facts), known=facts is not None and facts.schema is not None)


@dataclass(frozen=True)
class _Context:
    facts: ProjectFacts | None
    stream: _StreamState

    @property
    def schema(self) -> Datamodel | None:
        return self.facts.schema if self.facts else None

    def clients(self) -> tuple[ClientFacts, ...]:
        return self.facts.clients if self.facts else ()

    def dev_server_stale(self) -> bool:
        """The running dev server started before the newest client was generated (so it runs an older one)."""
        if self.stream.generated_after_ready:
            return True
        if self.facts is None or self.facts.dev_server_started_at is None:
            return False
        times = [c.generated_at for c in self.facts.clients if c.generated_at is not None]
        return bool(times) and self.facts.dev_server_started_at < max(times)

    def resolve(self, location: ev.SourceLocation | None) -> Location | None:
        if location is None:
            return None
        path = Path(location.file)
        if not path.is_absolute() and self.facts is not None:
            path = Path(self.facts.root) / path
        column = max((location.column or 1) - 1, 0)
        return Location(str(path), Span.at(max(location.line - 1, 0), column))


def _findings(event: ev.Event, context: _Context) -> Iterator[Finding]:
    if isinstance(event, ev.MissingColumn):
        yield from _missing_column(event, context)
    elif isinstance(event, ev.MissingTable):
        yield from _missing_table(event, context)
    elif isinstance(event, ev.DatabaseObjectError):
        yield _db_object(event, context, f"`{event.record}` has no field `{event.field}`", rank=None)
    elif isinstance(event, (ev.UnknownArgument, ev.UnknownField)):
        yield from _unknown_argument(event, context)
    else:
        finding = _simple_finding(event, context)
        if finding is not None:
            yield finding


# P2022 and P2021.
def _missing_column(event: ev.MissingColumn, context: _Context) -> Iterator[Finding]:
    schema = context.schema
    model = _model_of(event, schema)
    column = event.column
    where = context.resolve(event.source)
    data = {"column": column, "table": event.table, "model": model.name if model else event.model}
    if column in MISREAD_COLUMN_NAMES:
        yield from _misread_column(event, context, model, where, data)
        return
    if schema is None or model is None:
        yield _finding(
            "db-missing-column",
            f"The database lacks the column `{column}` that the client queries; apply the schema's migrations.",
            where,
            ("migrate-dev", "migrate-deploy"),
            data,
        )
        return
    in_schema = _field_for_column(model, column)
    in_clients = [c for c in context.clients() if _client_field(c, model.name, column) is not None]
    lacking = [c for c in context.clients() if _client_field(c, model.name, column) is None]
    related = _related(in_schema.location if in_schema else model.location)
    if in_schema is not None and lacking:
        yield _finding(
            "client-out-of-sync",
            f"`{model.name}.{in_schema.name}` is in the schema but not in the generated client at {lacking[0].path}; "
            "regenerate it and restart the dev server.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, "client": lacking[0].path},
            related,
        )
    elif in_schema is not None:
        remedy, fixes = _migration_remedy(context, model.db_name or model.name, column)
        yield _finding(
            "db-missing-column",
            f"`{model.name}.{in_schema.name}` is in the schema and the client, but the database lacks its column "
            f"`{column}`: {remedy}.",
            where,
            fixes,
            data,
            related,
        )
    elif in_clients:
        yield _finding(
            "client-out-of-sync",
            f"The generated client at {in_clients[0].path} still has the column `{column}`, which the schema no "
            "longer has; regenerate it and restart the dev server.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, "client": in_clients[0].path},
            related,
        )
    elif context.dev_server_stale():
        yield from _ranked(
            [
                _stale_dev_server(where, data, f"the column `{column}` is in neither the schema nor the client"),
                _db_object(event, context, f"no field of `{model.name}` maps to `{column}`", rank=None),
            ]
        )
    else:
        yield _db_object(event, context, f"no field of `{model.name}` maps to the column `{column}`", rank=None)


def _misread_column(
    event: ev.MissingColumn, context: _Context, model: Model | None, where: Location | None, data: dict
) -> Iterator[Finding]:
    column = event.column
    if column != "(not available)":
        yield _db_object(event, context, f"Prisma read `{column}` from the database's message as a column name", None)
        return
    # The driver adapter could not read a name at all: a trigger, or a column that is really missing. The
    # migrations tell which columns the database should have; a column no migration creates is the likely one.
    action = event.invocation.action if event.invocation else None
    facts = context.facts
    unmigrated: list[str] = []
    if model is not None and facts is not None and facts.migrated:
        table = model.db_name or model.name
        unmigrated = [
            f.db_name or f.name
            for f in model.fields
            if f.kind != "object" and facts.migration_creating(table, f.db_name or f.name) is None
        ]
    which = (
        f"probably {', '.join(f'`{c}`' for c in unmigrated)}, which no migration creates"
        if unmigrated
        else ("the adapter did not say which")
    )
    missing = _finding(
        "db-missing-column",
        f"The database lacks a column of {'`' + model.name + '`' if model else 'the model'} that the client "
        f"expects ({which}): compare the database with the schema and apply its migrations.",
        where,
        ("migrate-dev", "migrate-deploy"),
        {**data, "candidates": unmigrated or None},
        _related(model.location if model else None),
    )
    trigger = _db_object(event, context, "the adapter could not name the column", rank=None)
    every_column_migrated = bool(facts and facts.migrated and model is not None and not unmigrated)
    trigger_first = every_column_migrated and action in WRITE_ACTIONS
    yield from _ranked([trigger, missing] if trigger_first else [missing, trigger])


def _missing_table(event: ev.MissingTable, context: _Context) -> Iterator[Finding]:
    schema = context.schema
    where = context.resolve(event.source)
    data = {"table": event.table, "schema": event.schema, "model": event.model}
    model = _model_for_table(schema, event.table) if schema else None
    if schema is None:
        yield _finding(
            "db-missing-table",
            f"The database lacks the table `{event.table}`; apply the schema's migrations.",
            where,
            ("migrate-dev", "migrate-deploy"),
            data,
        )
        return
    in_clients = [c for c in context.clients() if _model_for_table(c.datamodel, event.table)]
    lacking = [c for c in context.clients() if not _model_for_table(c.datamodel, event.table)]
    if model is not None and lacking:
        yield _finding(
            "client-out-of-sync",
            f"Model `{model.name}` is in the schema but not in the generated client at {lacking[0].path}; "
            "regenerate it.",
            where,
            ("regenerate", "restart-dev-server"),
            data,
            _related(model.location),
        )
    elif model is not None:
        remedy, fixes = _migration_remedy(context, model.db_name or model.name)
        yield _finding(
            "db-missing-table",
            f"Model `{model.name}` is in the schema and the client, but the database lacks its table "
            f"`{event.table}`: {remedy}.",
            where,
            fixes,
            data,
            _related(model.location),
        )
    elif in_clients:
        yield _finding(
            "client-out-of-sync",
            f"The generated client still has the table `{event.table}`, which the schema no longer has; regenerate it.",
            where,
            ("regenerate", "restart-dev-server"),
            data,
        )
    elif context.dev_server_stale():
        yield _stale_dev_server(where, data, f"the table `{event.table}` is in neither the schema nor the client")
    else:
        yield _finding(
            "db-object-error",
            f"No model maps to the table `{event.table}`: a view, trigger or function in the database refers to it. "
            + SEE_DATABASE_MESSAGE.format(table=event.table),
            where,
            DB_SIDE_FIXES,
            data,
        )


# Unknown argument / Unknown field.
def _unknown_argument(event: ev.UnknownArgument | ev.UnknownField, context: _Context) -> Iterator[Finding]:
    name = event.argument if isinstance(event, ev.UnknownArgument) else event.field
    where = context.resolve(event.source)
    data = {"argument": name, "model": event.model}
    schema = context.schema
    if schema is None:
        yield _finding(
            "unknown-argument",
            f"The client rejected `{name}`; the schema could not be read to tell whether the client or the code is "
            "behind.",
            where,
            ("regenerate", "restart-dev-server"),
            data,
        )
        return
    models = _candidate_models(event, schema)
    in_schema = [(m, f) for m in models if (f := m.field(name)) is not None]
    if not in_schema:
        yield _finding(
            "code-ahead-of-schema",
            f"The code uses `{name}`, which no model{_named(models)} of the schema has: add it to the schema "
            "(then migrate and generate) or fix the code.",
            where,
            ("edit-schema",),
            data,
            _related(models[0].location if len(models) == 1 else None),
        )
        return
    model, schema_field = in_schema[0]
    data["model"] = model.name
    lacking = [c for c in context.clients() if (cm := c.datamodel.model(model.name)) is None or cm.field(name) is None]
    if lacking:
        yield _finding(
            "client-out-of-sync",
            f"`{model.name}.{name}` is in the schema but not in the generated client at {lacking[0].path}: "
            "regenerate it and restart the dev server.",
            where,
            ("regenerate", "restart-dev-server", "restart-ts-server"),
            data,
            _related(schema_field.location),
        )
    elif context.clients() and context.dev_server_stale():
        yield _stale_dev_server(where, data, f"`{model.name}.{name}` is in the schema and the client on disk")
    else:
        yield _finding(
            "unknown-argument",
            f"`{model.name}.{name}` is in the schema and the generated client, yet the client rejected it: the "
            "process that printed this runs an older client; restart it.",
            where,
            ("restart-dev-server", "regenerate"),
            data,
            _related(schema_field.location),
        )


def _candidate_models(event: ev.UnknownArgument | ev.UnknownField, schema: Datamodel) -> list[Model]:
    names = [event.model, getattr(event, "on_model", None)]
    accessor = event.invocation.model_accessor if event.invocation else None
    if accessor:
        names.append(accessor[:1].upper() + accessor[1:])
    found = [m for n in names if n and (m := schema.model(n)) is not None]
    if found:
        return found[:1]
    available = set(getattr(event, "available", ()))
    if available:
        # The client lists the arguments it knows: the model whose fields include them all is the one called.
        matching = [m for m in schema.models if available <= {f.name for f in m.fields}]
        if matching:
            return matching
    return list(schema.models)


# Everything with one cause.
def _simple_finding(event: ev.Event, context: _Context) -> Finding | None:
    where = context.resolve(getattr(event, "source", None)) if isinstance(event, ev.ClientError) else None
    if isinstance(event, ev.UniqueConstraintFailed):
        fields = ", ".join(event.fields)
        return _finding(
            "unique-constraint-failed",
            f"A write broke the unique constraint on ({fields}){_on(event.model)}: the data, not the setup, is the "
            "problem.",
            where,
            (),
            {"fields": list(event.fields), "model": event.model},
            severity=Severity.INFO,
        )
    if isinstance(event, ev.RecordNotFound):
        return _finding(
            "record-not-found",
            f"A record that the operation needed was not found{_on(event.model)}: the data, not the setup, is the "
            "problem.",
            where,
            (),
            {"model": event.model},
            severity=Severity.INFO,
        )
    if isinstance(event, ev.DatabaseUnreachable):
        return _finding(
            "db-unreachable",
            f"The database server{' at ' + event.address if event.address else ''} cannot be reached: start it or "
            "check the connection string.",
            where,
            (),
            {"address": event.address},
        )
    if isinstance(event, ev.ClientNotInitialized):
        return _finding(
            "client-not-generated",
            "`@prisma/client` was imported but never generated: run `prisma generate`.",
            None,
            ("regenerate", "restart-dev-server"),
            {},
        )
    if isinstance(event, ev.EngineNotFound):
        return _finding(
            "engine-unavailable",
            f"The client could not find its query engine{' for ' + event.runtime if event.runtime else ''}: "
            "regenerate it on this machine.",
            None,
            ("regenerate",),
            {"runtime": event.runtime},
        )
    if isinstance(event, ev.EngineDownloadFailed):
        return _finding(
            "engine-unavailable",
            "The Prisma CLI could not download an engine"
            f'{" (" + event.reason + ")" if event.reason else ""}: use `engineType = "client"` with a driver '
            "adapter and prisma.config.ts, or give the CLI network access (a broken schema can cause this too).",
            None,
            (),
            {"url": event.url, "reason": event.reason},
        )
    if isinstance(event, ev.EnvVarMissing):
        return _finding(
            "env-missing",
            f"The environment variable `{event.name}` is not set (with prisma.config.ts present, Prisma does not "
            "load .env): set it.",
            context.resolve(event.schema_location),
            ("set-env-var",),
            {"name": event.name},
        )
    if isinstance(event, ev.EngineLocked):
        from prisma_doctor.logs.holders import processes_holding

        holders = processes_holding(event.path)
        who = ", ".join(f"{h.name} (pid {h.pid})" for h in holders)
        return _finding(
            "engine-locked",
            f"{event.error}: the query engine {event.path} is in use"
            f"{' by ' + who if who else ' by a running process (usually the dev server)'}; stop it, then "
            "regenerate.",
            None,
            ("stop-locking-process", "regenerate"),
            {"path": event.path, "error": event.error, "holders": [{"pid": h.pid, "name": h.name} for h in holders]},
        )
    if isinstance(event, ev.SchemaInvalid):
        first = event.problems[0] if event.problems else None
        count = len(event.problems)
        return _finding(
            "schema-invalid",
            f"The schema does not validate ({count} error{'s' if count != 1 else ''})"
            f"{': ' + first.message if first else ''}",
            context.resolve(first.location) if first else None,
            ("edit-schema",),
            {"problems": [p.message for p in event.problems]},
            tuple(loc for p in event.problems[1:] if (loc := context.resolve(p.location)) is not None),
        )
    if isinstance(event, ev.MigrationsPending):
        return _finding(
            "migrations-pending",
            f"{len(event.names)} migration(s) have not been applied to the database: {', '.join(event.names)}.",
            None,
            ("migrate-deploy", "migrate-dev"),
            {"migrations": list(event.names)},
        )
    if isinstance(event, ev.MigrationFailed):
        names = ", ".join(event.names) or "a migration"
        return _finding(
            "migration-failed",
            f"The migration {names} failed to apply: fix its SQL, then mark it with `prisma migrate resolve`.",
            None,
            (),
            {"migrations": list(event.names)},
        )
    if isinstance(event, ev.DatabaseDrift):
        return _finding(
            "db-drift",
            "The database schema differs from what the migrations describe: create a migration for the difference.",
            None,
            ("migrate-dev",),
            {},
        )
    return None


# Building blocks.
def _finding(
    code: str,
    message: str,
    location: Location | None,
    fixes: tuple[str, ...],
    data: dict,
    related: tuple[Location, ...] = (),
    severity: Severity = Severity.ERROR,
) -> Finding:
    clean = {k: v for k, v in data.items() if v is not None}
    return Finding(code, severity, message, location, fixes, related, 1, clean)


def _db_object(event: ev.ClientError, context: _Context, reason: str, rank: int | None) -> Finding:
    table = getattr(event, "table", None) or event.model or "the table"
    model = event.model
    return _finding(
        "db-object-error",
        f"A trigger, view or function in the database refers to something missing ({reason}); the schema and "
        f"client are not the cause. {SEE_DATABASE_MESSAGE.format(table=table)}",
        context.resolve(event.source),
        DB_SIDE_FIXES,
        {"column": getattr(event, "column", None), "model": model, "reported": event.text},
    )


def _stale_dev_server(where: Location | None, data: dict, reason: str) -> Finding:
    return _finding(
        "dev-server-stale",
        f"The running dev server loaded a client older than the one on disk ({reason}): restart the dev server.",
        where,
        ("restart-dev-server",),
        data,
    )


def _ranked(findings: list[Finding]) -> Iterator[Finding]:
    for rank, finding in enumerate(findings, start=1):
        others = [f.code for f in findings if f is not finding]
        prefix = "Most likely: " if rank == 1 else f"Otherwise ({rank} of {len(findings)}): "
        yield replace(
            finding,
            message=prefix + finding.message,
            data={**finding.data, "rank": rank, "alternatives": others},
        )


def _migration_remedy(context: _Context, table: str, column: str = "") -> tuple[str, tuple[str, ...]]:
    """What to do about a table or column the database lacks, from whether a migration already creates it."""
    facts = context.facts
    if facts is None or not facts.migrations:
        return "create and apply a migration (`prisma migrate dev`)", ("migrate-dev", "migrate-deploy")
    migration = facts.migration_creating(table, column)
    if migration is not None:
        return f"the migration `{migration}` creates it: apply it (`prisma migrate deploy`)", (
            "migrate-deploy",
            "migrate-dev",
        )
    return "no migration creates it: create one (`prisma migrate dev`)", ("migrate-dev",)


def _related(location: Location | None) -> tuple[Location, ...]:
    return (location,) if location is not None else ()


def _on(model: str | None) -> str:
    return f" on `{model}`" if model else ""


def _named(models: list[Model]) -> str:
    return f" (`{models[0].name}`)" if len(models) == 1 else ""


def _model_of(event: ev.ClientError, schema: Datamodel | None) -> Model | None:
    if schema is None:
        return None
    if event.model and (model := schema.model(event.model)):
        return model
    table = getattr(event, "table", None)
    if table and (model := _model_for_table(schema, table)):
        return model
    accessor = event.invocation.model_accessor if event.invocation else None
    if accessor:
        return schema.model(accessor[:1].upper() + accessor[1:])
    return None


def _model_for_table(datamodel: Datamodel, table: str) -> Model | None:
    exact = next((m for m in datamodel.models if (m.db_name or m.name) == table), None)
    return exact or next((m for m in datamodel.models if (m.db_name or m.name).lower() == table.lower()), None)


def _field_for_column(model: Model, column: str):
    return next((f for f in model.fields if f.kind != "object" and (f.db_name or f.name) == column), None)


def _client_field(client: ClientFacts, model_name: str, column: str):
    model = client.datamodel.model(model_name)
    return _field_for_column(model, column) if model else None


def project_facts(root: Path, schema_path: Path | None = None) -> ProjectFacts:
    """Gather the facts from the project on disk (schema, clients, migrations folder, Next's dev server lock)."""
    import psutil

    from prisma_doctor.check import inspect_project
    from prisma_doctor.logs.nextlog import read_lock

    state = inspect_project(root, schema_path)
    clients = tuple(
        ClientFacts(str(c.client.path), c.client.datamodel, c.client.generated_at) for c in state.clients if c.client
    )
    sql: dict[str, str] = {}
    if state.schema is not None:
        folder = state.schema.source.schema_dir / "migrations"
        for path in sorted(folder.glob("*/migration.sql")) if folder.is_dir() else []:
            try:
                sql[path.parent.name] = path.read_text(encoding="utf-8", errors="replace")[:MAX_MIGRATION_CHARS]
            except OSError:
                continue
    lock = read_lock(root)
    # A killed `next dev` leaves its lock behind: only a live process's start time counts.
    running = lock is not None and psutil.pid_exists(lock.pid)
    return ProjectFacts(
        root=str(state.root),
        schema=state.schema.datamodel if state.schema else None,
        clients=clients,
        dev_server_started_at=lock.started_at if running and lock else None,
        dev_server_pid=lock.pid if running and lock else None,
        migrations=tuple(sql),
        migrated=migrated_columns(sql),
    )


MAX_MIGRATION_CHARS = 4 * 1024 * 1024
_IDENT = r"[`\"\[]?(?P<{name}>[^`\"\]\s.(]+)[`\"\]]?"
_QUALIFIED = r"(?:[`\"\[]?[^`\"\]\s.(]+[`\"\]]?\.)?"
_CREATE_TABLE = re.compile(
    r"CREATE TABLE\s+(?:IF NOT EXISTS\s+)?" + _QUALIFIED + _IDENT.format(name="table") + r"\s*\((?P<body>.*?)\n\)",
    re.S | re.I,
)
_ALTER_TABLE = re.compile(
    r"ALTER TABLE\s+" + _QUALIFIED + _IDENT.format(name="table") + r"\s+(?P<rest>[^;]*);", re.S | re.I
)
_COLUMN_LINE = re.compile(r"^\s*[`\"\[](?P<column>[^`\"\]]+)[`\"\]]\s", re.M)
_ADD_COLUMN = re.compile(r"ADD(?: COLUMN)?\s+[`\"\[](?P<column>[^`\"\]]+)[`\"\]]", re.I)
_RENAME_COLUMN = re.compile(r"RENAME COLUMN\s+[`\"\[](?P<old>[^`\"\]]+)[`\"\]]\s+TO\s+[`\"\[](?P<new>[^`\"\]]+)", re.I)
_RENAME_TABLE = re.compile(r"RENAME TO\s+[`\"\[](?P<new>[^`\"\]]+)", re.I)


def migrated_columns(sql_by_migration: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Table -> column -> the first migration whose SQL creates it, for the SQL that `prisma migrate` writes
    (quoted identifiers; SQLite's redefine-and-rename of tables)."""
    tables: dict[str, dict[str, str]] = {}
    for name, sql in sql_by_migration.items():
        for statement in re.split(r";\s*\n", sql):
            statement = statement.strip() + ";"
            if created := _CREATE_TABLE.search(statement):
                columns = tables.setdefault(created.group("table"), {"": name})
                for column in _COLUMN_LINE.finditer(created.group("body")):
                    columns.setdefault(column.group("column"), name)
            elif altered := _ALTER_TABLE.search(statement):
                table, rest = altered.group("table"), altered.group("rest")
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
