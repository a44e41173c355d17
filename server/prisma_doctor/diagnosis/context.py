"""What every cause rule shares: the facts and the stream's memory, and how a finding is built and ranked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PureWindowsPath
from typing import TYPE_CHECKING

from prisma_doctor import project_files
from prisma_doctor.diagnosis.facts import ClientFacts, ProjectFacts
from prisma_doctor.findings import Finding, Location, Severity, Span
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.sourcemap import original_position
from prisma_doctor.offers import drift_remedy
from prisma_doctor.schema.datamodel import Datamodel, Field, Model

if TYPE_CHECKING:
    from prisma_doctor.database.catalog import Catalog

# How to look into the database by hand, by the datasource's provider (PostgreSQL's when it is not known).
SEE_DATABASE_MESSAGE = {
    "postgresql": (
        "To see the database's own message, run the statement in psql after `SET lc_messages = 'C';` and list the "
        'table\'s triggers (`\\d "{table}"`), views and functions that mention the name.'
    ),
    "mysql": (
        "To see the database's own message, run the statement in the mysql or mariadb client and list the table's "
        "triggers (`SHOW TRIGGERS LIKE '{table}'`) and the views that mention the name "
        "(`information_schema.VIEWS`)."
    ),
    "sqlite": (
        "To see the database's own message, run the statement in sqlite3 and list the triggers and views that "
        "mention the name (`SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')`)."
    ),
}
DB_SIDE_FIXES = ("inspect-database-objects",)
# What to do about a view the database lacks: `migrate dev` writes no `CREATE VIEW`, whatever the schema says.
VIEW_REMEDY = (
    "Prisma Migrate does not create views: write its `CREATE VIEW` into a migration (`prisma migrate dev "
    "--create-only`, then add the SQL) and apply it"
)
# A source file is read this far for the line an error points at.
MAX_SOURCE_BYTES = 1024 * 1024


@dataclass
class StreamState:
    """What earlier lines of the same stream said (a generate after the dev server's start)."""

    dev_server_ready_line: int | None = None
    generated_after_ready: bool = False


@dataclass(frozen=True)
class Context:
    facts: ProjectFacts | None
    stream: StreamState
    wait_for_database: bool = True
    # The database's answer is awaited (the language server shows the cause as undecided meanwhile).
    database_pending: bool = False

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
        # A Windows path (`C:\\app\\page.tsx`) is absolute wherever the log is read.
        if not path.is_absolute() and not PureWindowsPath(location.file).is_absolute() and self.facts is not None:
            path = Path(self.facts.source_root or self.facts.root) / path
        line, column = location.line, location.column or 1
        if location.is_build_output and (source := original_position(path, line, column)) is not None:
            # Next's own log names only the bundle: its source map says which line of the app's code that is.
            path, line, column = source
        return Location(str(path), Span.at(max(line - 1, 0), max(column - 1, 0)))

    def source_line(self, location: ev.SourceLocation | None) -> str | None:
        """The line of code a location points at, read from the project's file (None when it cannot be read)."""
        where = self.resolve(location)
        if where is None or where.span is None:
            return None
        try:
            lines = project_files.read_text(where.file, MAX_SOURCE_BYTES).splitlines()
        except OSError:
            return None
        return lines[where.span.start.line] if where.span.start.line < len(lines) else None


# Building blocks.
def make_finding(
    code: str,
    message: str,
    location: Location | None,
    fixes: tuple[str, ...],
    data: Mapping[str, object],
    related: tuple[Location, ...] = (),
    severity: Severity = Severity.ERROR,
) -> Finding:
    clean = {k: v for k, v in data.items() if v is not None}
    return Finding(code, severity, message, location, fixes, related, 1, clean)


def see_database_message(context: Context, table: str) -> str:
    provider = context.facts.provider if context.facts is not None else None
    return SEE_DATABASE_MESSAGE.get(provider or "", SEE_DATABASE_MESSAGE["postgresql"]).format(table=table)


def db_object(event: ev.ClientError, context: Context, reason: str) -> Finding:
    table = getattr(event, "table", None) or event.model or "the table"
    model = event.model
    return make_finding(
        "db-object-error",
        f"A trigger, view or function in the database refers to something missing ({reason}); the schema and "
        f"client are not the cause. {see_database_message(context, table)}",
        context.resolve(event.source),
        DB_SIDE_FIXES,
        {"column": getattr(event, "column", None), "model": model, "reported": event.text},
    )


def stale_dev_server(where: Location | None, data: Mapping[str, object], reason: str) -> Finding:
    return make_finding(
        "dev-server-stale",
        f"The running dev server loaded a client older than the one on disk ({reason}): restart the dev server.",
        where,
        ("restart-dev-server",),
        data,
    )


def ranked(findings: list[Finding]) -> Iterator[Finding]:
    for rank, finding in enumerate(findings, start=1):
        others = [f.code for f in findings if f is not finding]
        prefix = "Most likely: " if rank == 1 else f"Otherwise ({rank} of {len(findings)}): "
        yield replace(
            finding,
            message=prefix + finding.message,
            data={**finding.data, "rank": rank, "alternatives": others},
        )


def migration_remedy(context: Context, table: str, column: str = "") -> tuple[str, tuple[str, ...]]:
    """What to do about a table or column the database lacks, from whether a migration already creates it."""
    facts = context.facts
    if facts is None or not facts.migrations:
        # No migrations folder: nothing to deploy, and a first `migrate dev` on a database with tables wants a reset.
        return "push the schema (`prisma db push`; the project has no migrations)", ("db-push",)
    migration = facts.migration_creating(table, column)
    if migration is not None:
        return f"the migration `{migration}` creates it: apply it (`prisma migrate deploy`)", (
            "migrate-deploy",
            "migrate-dev",
        )
    return "no migration creates it: create one (`prisma migrate dev`)", ("migrate-dev",)


def asked_remedy(context: Context, catalog: Catalog, table: str, column: str = "") -> tuple[str, tuple[str, ...], bool]:
    """`migration_remedy`, once the database was asked, and whether it has drifted: a migration that creates what
    it lacks and that its `_prisma_migrations` records as applied is drift, not a migration to apply (offers.py)."""
    facts = context.facts
    migration = facts.migration_creating(table, column) if facts is not None and facts.migrations else None
    if migration is not None and catalog.applied(migration):
        remedy, fixes = drift_remedy(migration)
        return remedy.removesuffix("."), fixes, True
    return (*migration_remedy(context, table, column), False)


def related_to(location: Location | None) -> tuple[Location, ...]:
    return (location,) if location is not None else ()


def on_model(model: str | None) -> str:
    return f" on `{model}`" if model else ""


def model_of(event: ev.ClientError, schema: Datamodel | None) -> Model | None:
    if schema is None:
        return None
    if event.model and (model := schema.model(event.model)):
        return model
    table = getattr(event, "table", None)
    if table and (model := model_for_table(schema, table)):
        return model
    accessor = event.invocation.model_accessor if event.invocation else None
    if accessor:
        return schema.model(accessor[:1].upper() + accessor[1:])
    return None


def model_for_table(datamodel: Datamodel, table: str) -> Model | None:
    exact = next((m for m in datamodel.queryable if (m.db_name or m.name) == table), None)
    return exact or next((m for m in datamodel.queryable if (m.db_name or m.name).lower() == table.lower()), None)


def field_for_column(model: Model, column: str) -> Field | None:
    return next((f for f in model.fields if f.kind != "object" and (f.db_name or f.name) == column), None)


def client_field(client: ClientFacts, model_name: str, column: str) -> Field | None:
    model = client.datamodel.model(model_name)
    return field_for_column(model, column) if model else None
