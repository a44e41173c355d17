"""What the database itself says about its relations and triggers: the facts that decide a runtime error's cause."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

# Where Prisma Migrate records what it applied.
MIGRATIONS_TABLE = "_prisma_migrations"


@dataclass(frozen=True)
class ColumnType:
    """A column's type as the database declares it (PostgreSQL's `pg_type`): `name` is the type's own name (of its
    element for an array: `int4`, `text`, `timestamptz`, an enum's name); `kind` is `pg_type.typtype` (`b` base,
    `e` enum, `d` domain, ...)."""

    name: str
    kind: str
    array: bool
    not_null: bool


@dataclass(frozen=True)
class DatabaseEnum:
    """An enum type of the database (PostgreSQL's `pg_enum`) with its values in their order."""

    name: str
    values: tuple[str, ...]
    schema: str | None = None


@dataclass(frozen=True)
class Relation:
    name: str
    # "table" or "view" (a materialized view counts as a view).
    kind: str
    columns: tuple[str, ...]
    schema: str | None = None
    # Why describing a view failed (its definition may name what no longer exists): SQLite's error, MariaDB's 1356.
    broken: str | None = None
    # A view's definition as the database stores it (MySQL and MariaDB: every name qualified), "" when not read.
    definition: str = ""
    # Each column's type, in the order of `columns`; empty when the database's reader does not read types.
    types: tuple[ColumnType, ...] = ()

    def column_type(self, column: str) -> ColumnType | None:
        return self.types[self.columns.index(column)] if column in self.columns and self.types else None

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    def has_column(self, name: str, case_sensitive: bool = True) -> bool:
        return self.column_named(name, case_sensitive) is not None

    def column_named(self, name: str, case_sensitive: bool = True) -> str | None:
        if name in self.columns:
            return name
        if not case_sensitive:
            return next((c for c in self.columns if c.lower() == name.lower()), None)
        return None


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    # "INSERT", "UPDATE", "DELETE" (and "TRUNCATE" on PostgreSQL).
    events: tuple[str, ...]
    timing: str
    # The function it calls (PostgreSQL) or "" (SQLite, MySQL and MariaDB, whose trigger body is its own source).
    function: str
    source: str
    schema: str | None = None
    enabled: bool = True
    language: str = "sql"

    @property
    def shown(self) -> str:
        return f"trigger `{self.name}` (function `{self.function}()`)" if self.function else f"trigger `{self.name}`"


@dataclass(frozen=True)
class AppliedMigration:
    """A row of Prisma's `_prisma_migrations`: a migration the database was given, and how that ended."""

    name: str
    finished: bool
    rolled_back: bool

    @property
    def failed(self) -> bool:
        # What `prisma migrate deploy` refuses to go past (P3009) until the row is resolved.
        return not self.finished and not self.rolled_back


@dataclass(frozen=True)
class Catalog:
    """The relations and triggers of one database, read at `taken_at`."""

    provider: str
    relations: tuple[Relation, ...]
    triggers: tuple[Trigger, ...]
    # The schema unqualified names resolve to first (PostgreSQL's current schema, MySQL's database; None for SQLite).
    default_schema: str | None = None
    server: str = ""
    # The language of the server's messages to the application (PostgreSQL's and MySQL's lc_messages), as it was
    # before we asked for English.
    messages_language: str | None = None
    # The rows of `_prisma_migrations` (None: the database has no such table, it was never migrated).
    migrations: tuple[AppliedMigration, ...] | None = None
    # Whether table names differ by case where column names do not (MySQL's `lower_case_table_names = 0`, its
    # default on Linux: `User` is not `user` there, while both are one table on Windows and macOS).
    table_case_sensitive: bool | None = None
    # Why the lists may lack what the database has (a bound on what is read was reached), or None when they are
    # whole. A cut catalog decides nothing from what it lacks: a table past the cut is not a missing table.
    cut: str | None = None
    # The enum types with their values (PostgreSQL); None where enums are not types of their own (MySQL, SQLite).
    enums: tuple[DatabaseEnum, ...] | None = None
    taken_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def applied(self, migration: str) -> bool:
        """Whether `_prisma_migrations` records the migration as run to its end (and not rolled back)."""
        return any(m.name == migration and m.finished and not m.rolled_back for m in self.migrations or ())

    @property
    def case_sensitive(self) -> bool:
        """Whether column names differ by case: PostgreSQL compares identifiers exactly once folded; SQLite, MySQL
        and MariaDB compare them without regard to case."""
        return self.provider == "postgresql"

    @property
    def english_messages(self) -> bool:
        language = (self.messages_language or "").lower()
        return self.provider in ("postgresql", "mysql") and language.startswith(("c", "posix", "en"))

    def relation(self, name: str, schema: str | None = None) -> Relation | None:
        if self.provider == "sqlite" and schema is not None and schema.lower() in ("main", "temp"):
            # SQLite's own schema names: `main.User.nickname` (libSQL, better-sqlite3, Prisma 7) is the table `User`
            # of the one database file, not a table `main`.
            schema = None
        wanted = schema or self.default_schema
        # The name as written first: where names are compared without case, `User` and `user` may still both exist.
        same = sorted((r for r in self.relations if self._same_table(r.name, name)), key=lambda r: r.name != name)
        found = next((r for r in same if r.schema == wanted), None)
        if found is not None or schema is not None:
            return found
        if self.provider == "mysql" and self.default_schema is not None:
            # An unqualified name is the current database's: another database's table of that name is not it.
            return None
        return same[0] if same else None

    def enum(self, name: str) -> DatabaseEnum | None:
        """The enum type `name` of the default schema (where Prisma creates a schema's enums)."""
        return next((e for e in self.enums or () if e.name == name and e.schema == self.default_schema), None)

    def differing_in_case(self, name: str) -> Relation | None:
        """Where table names differ by case, the relation of the default schema whose name is `name` but for case."""
        if not self.table_case_sensitive:
            return None
        return next(
            (
                r
                for r in self.relations
                if r.name != name and r.name.lower() == name.lower() and r.schema == self.default_schema
            ),
            None,
        )

    def triggers_on(self, relation: Relation) -> list[Trigger]:
        return [
            t
            for t in self.triggers
            if self._same_table(t.table, relation.name) and t.schema == relation.schema and t.enabled
        ]

    def _same_table(self, a: str, b: str) -> bool:
        exact = self.case_sensitive if self.table_case_sensitive is None else self.table_case_sensitive
        return a == b if exact else a.lower() == b.lower()


def differs_in_case(table: str, near: str) -> str:
    """What to do when the database has `near` where the client wants `table` (see `Catalog.differing_in_case`)."""
    return (
        f"it has no table `{table}` but it has `{near}`: on this server table names differ by case "
        "(`lower_case_table_names = 0`, MySQL's default on Linux), and a database made on Windows or macOS stores them "
        f"in lower case. Rename the table (`RENAME TABLE {near} TO {table}`) or map the model to it "
        f'(`@@map("{near}")`); do not migrate, which would make a second, empty table.'
    )


# Why the database could not be asked, each said apart (database_state.py): no connection (refused, no such host,
# no server at the socket); connected, but no whole answer within the inspection's deadline; the server answered
# and refused or failed the read (a password, a permission, an error); a question under way, its answer not come.
UNREACHABLE = "unreachable"
NO_ANSWER = "no-answer"
READ_FAILED = "read-failed"
PENDING = "pending"


def cut_reason(*counts: tuple[str, int, int]) -> str | None:
    """`Catalog.cut` of lists read under bounds: the first `(what, how many were read, its bound)` that reached it."""
    for what, read, bound in counts:
        if read >= bound:
            return f"it has {bound} {what} or more, and only that many were read"
    return None


@dataclass(frozen=True)
class InspectionFailed:
    """The database could not be asked; `reason` is safe to show (no password)."""

    reason: str
    taken_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    kind: str = UNREACHABLE


Inspection = Catalog | InspectionFailed
