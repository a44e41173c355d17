"""The database against the project, before any runtime error: migrations of the folder it has not applied or
failed to apply, the tables, views and columns (by their `@@map`/`@map` names) the generated clients and the schema
use and it lacks, and the views whose definition names what it no longer has.

A field the schema has and the client lacks is also looked for in the database: regenerating does not make the
column, so both findings are said at once (client-out-of-sync from the static check, db-missing-column here).
A view is never created by Prisma Migrate (it writes no `CREATE VIEW`): one the database lacks needs its SQL in a
migration.

The database's answer comes from its probe (database/probe.py: read-only, bounded); this module only compares. A
missing column that a pending migration creates is said twice, on purpose: the migration is pending (apply it) and
the column is missing (what the app fails on); without such a migration the column needs a new one, or a push.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import replace

from prisma_doctor.database.catalog import (
    READ_FAILED,
    Catalog,
    Inspection,
    InspectionFailed,
    Relation,
    differs_in_case,
)
from prisma_doctor.database.views import view_problems
from prisma_doctor.database_types import enum_findings, type_findings
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.offers import drift_remedy
from prisma_doctor.schema.datamodel import COLUMN_KINDS, Datamodel, Model


def database_findings(
    inspection: Inspection,
    shown: str,
    migrations: list[str],
    migrated: Mapping[str, Mapping[str, str]],
    clients: Iterable[Datamodel],
    schema: Datamodel | None,
    where: Location | None,
    enum_values: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Finding]:
    """`shown`: the database as a message may name it (no password); `migrated`: table -> column -> the migration
    that creates it (diagnosis/facts.py reads the migrations' SQL); `where`: the datasource in the schema;
    `enum_values`: enum type -> value -> the migration that adds it, read from the same SQL."""
    if isinstance(inspection, InspectionFailed):
        read_failed = inspection.kind == READ_FAILED
        return [
            Finding(
                "db-read-failed" if read_failed else "db-unreachable",
                Severity.INFO,
                f"The database {shown} {'refused or failed the read' if read_failed else 'could not be asked'} "
                f"({inspection.reason}), so its migrations, tables and columns were not compared with the project.",
                where,
                ("fix-database-access",) if read_failed else (),
                data={"reason": inspection.reason, "kind": inspection.kind},
            )
        ]
    pending = _pending(inspection, migrations)
    findings = [*_migration_findings(inspection, pending, where)]
    if inspection.cut is not None:
        # A table past the cut is not a missing one: nothing is said of what the database seems to lack.
        findings.append(_cut(inspection.cut, shown, where))
        return findings
    clients = list(clients)
    missing = _missing(inspection, set(pending), migrated, clients, schema, where)
    # What runs now (the clients), then what runs after the next generate (the schema).
    sources = [*((c, "client") for c in clients), *([(schema, "schema")] if schema is not None else [])]
    fixes = _remedy(None, set())[1]
    missing += enum_findings(inspection, sources, fixes, where, enum_values or {}, set(pending))
    missing += type_findings(inspection, sources, fixes, where)
    # Which database was read, where the app may open another one (a SQLite file relative to another folder).
    findings.extend(replace(f, message=f"{f.message} The database read: {shown}.") for f in missing)
    return findings


# The findings that say the database named by the project was not compared with it (or only in part).
NOT_COMPARED = frozenset({"db-unreachable", "db-read-failed", "db-not-asked", "db-catalog-cut"})


def not_compared(findings: Iterable[Finding]) -> Finding | None:
    """Why the project's database was not compared with it, when it was not."""
    return next((f for f in findings if f.code in NOT_COMPARED), None)


def may_answer_later(findings: Iterable[Finding]) -> bool:
    """Whether the database did not answer (not reached, or not in time): it may once its server is up, with no
    file of the project changing, so a watcher asks again (a refused read or a URL that cannot be used waits for
    the user to change something)."""
    return any(f.code == "db-unreachable" for f in findings)


def database_differs(differs: str, where: Location | None) -> Finding:
    """The app and Prisma's CLI reach different databases (`DatabaseTarget.differs`): the CLI's migrations go where
    the app does not read, so a check of one says nothing of the other."""
    return Finding(
        "db-differs",
        Severity.WARNING,
        f"The app and Prisma's CLI use different databases: {differs}. Give both the same one (one env file, an "
        "absolute SQLite path).",
        where,
        data={"differs": differs},
    )


def missing_file(which: str, migrations: list[str], tables: list[str], where: Location | None) -> Finding:
    """The SQLite file the app opens does not exist (`which`: the file, as `sqlite.chosen_file` says it): its first
    query creates it empty and fails on the first table it asks. The migrations (when the folder has some) create it
    with its tables, else a push of the schema."""
    if migrations:
        many = len(migrations) != 1
        create = (
            f"`prisma migrate deploy` creates it and applies the {len(migrations)} migration{'s' * many} of the "
            "migrations folder."
        )
        fixes: tuple[str, ...] = ("migrate-deploy",)
    else:
        create = "`prisma db push` creates it with the schema's tables (the project has no migrations)."
        fixes = ("db-push",)
    return Finding(
        "db-missing",
        Severity.ERROR,
        f"No SQLite database at {which}: the app's first query creates it empty and fails on its first table "
        f"(`main.{tables[0]}` does not exist). {create}",
        where,
        fixes,
        data={"file": which, "migrations": migrations, "tables": tables},
    )


def odd_file(which: str, kind: str, where: Location | None) -> Finding:
    """Something that is not a regular file lies where the app's SQLite file should be (`sqlite.not_a_file`): not a
    database, and not an absent one either. It is not read, and nothing is offered that would write there."""
    return Finding(
        "db-read-failed",
        Severity.ERROR,
        f"The SQLite database path {which} holds {kind}, not a regular file: it was not read, and the app cannot "
        "open it as a database. Nothing is offered that would write there: move it away and put the database file "
        "at that path (or point the URL at the database file).",
        where,
        (),
        data={"file": which, "kind": kind, "reason": f"{which} is {kind}"},
    )


def deleted_but_held(which: str, held: list[tuple[int, int, str]], where: Location | None) -> Finding:
    """The SQLite file was deleted while a process of the project holds it open (`held`: pid, descriptor, path):
    the app still reads and writes that file, and its data ends with the process. Creating the file anew (a push)
    would hide it behind an empty one, so no fix is offered but the copy."""
    pid, fd, path = held[0]
    return Finding(
        "db-missing",
        Severity.ERROR,
        f"No SQLite database at {which}, but pid {pid} still holds {path} open, deleted since: the app reads and "
        f"writes that deleted file, and its data is lost when the process ends (a repair that would stop it "
        f"refuses). Copy it out while it runs (`cp /proc/{pid}/fd/{fd} {shlex.quote(path + '-rescued')}`), put the "
        "copy back at its name, then restart the server.",
        where,
        (),
        data={"file": which, "heldBy": [{"pid": p, "fd": f, "path": name} for p, f, name in held]},
    )


def not_asked(reason: str, where: Location | None) -> Finding:
    """The database was not asked: the workspace is not trusted, or the URL the project names cannot be used."""
    return Finding(
        "db-not-asked",
        Severity.INFO,
        f"The database was not asked ({reason}), so its migrations, tables and columns were not compared with the "
        "project.",
        where,
        data={"reason": reason},
    )


def _cut(reason: str, shown: str, where: Location | None) -> Finding:
    return Finding(
        "db-catalog-cut",
        Severity.INFO,
        f"The database {shown} was asked, but its catalog was read only in part ({reason}), so its tables and "
        "columns were not compared with the project: what it seems to lack may lie past the cut.",
        where,
        data={"reason": reason},
    )


def _pending(catalog: Catalog, migrations: list[str]) -> list[str]:
    return [name for name in migrations if not catalog.applied(name)]


def _migration_findings(catalog: Catalog, pending: list[str], where: Location | None) -> list[Finding]:
    findings = [
        Finding(
            "migration-failed",
            Severity.ERROR,
            f"The migration `{row.name}` failed part-way in the database and was never marked rolled back: "
            "`prisma migrate deploy` refuses to go on (P3009). Undo what it did, then run "
            f"`prisma migrate resolve --rolled-back {row.name}` and deploy again.",
            where,
            data={"migration": row.name},
        )
        for row in catalog.migrations or ()
        if row.failed
    ]
    if pending:
        listed = ", ".join(f"`{name}`" for name in pending[:5]) + (f" and {len(pending) - 5} more" * (len(pending) > 5))
        # While one failed, `migrate deploy` refuses (P3009): it is no fix to offer until that one is resolved.
        blocked = " `prisma migrate deploy` applies them once the failed one is resolved." if findings else ""
        findings.append(
            Finding(
                "migrations-pending",
                Severity.WARNING,
                f"{len(pending)} migration{'s' * (len(pending) != 1)} of the migrations folder "
                f"{'are' if len(pending) != 1 else 'is'} not applied to the database: {listed}.{blocked}",
                where,
                () if findings else ("migrate-deploy",),
                data={"migrations": pending},
            )
        )
    return findings


def _missing(
    catalog: Catalog,
    pending: set[str],
    migrated: Mapping[str, Mapping[str, str]],
    clients: Iterable[Datamodel],
    schema: Datamodel | None,
    where: Location | None,
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    # The clients first (what runs now), then the schema (what runs after the next generate).
    sources = [(datamodel, "client") for datamodel in clients]
    sources += [(schema, "schema")] if schema is not None else []
    for datamodel, source in sources:
        for model in datamodel.queryable:
            table = model.db_name or model.name
            relation = catalog.relation(table)
            at = _location(schema, model.name, None) or where
            view = datamodel.is_view(model)
            if (table, "") in seen:
                continue
            if relation is None:
                seen.add((table, ""))
                near = catalog.differing_in_case(table)
                if view and near is None:
                    findings.append(_missing_view(model, table, source, at))
                else:
                    findings.append(
                        _missing_table(model, table, migrated, pending, at, near.name if near else None, source)
                    )
                continue
            if relation.kind == "view" and (broken := _broken_view(catalog, relation, model, at)) is not None:
                seen.add((table, ""))
                findings.append(broken)
                continue
            for field in model.fields:
                column = field.db_name or field.name
                if field.kind not in COLUMN_KINDS or (table, column) in seen:
                    continue
                if not relation.has_column(column, catalog.case_sensitive):
                    seen.add((table, column))
                    at = _location(schema, model.name, field.name) or where
                    findings.append(
                        _missing_column(model.name, field.name, table, column, migrated, pending, at, source)
                    )
    return findings


def _missing_view(model: Model, table: str, source: str, at: Location | None) -> Finding:
    return Finding(
        "db-missing-table",
        Severity.ERROR,
        f"The {source} has the view `{model.name}`, and the database has no view `{table}`: Prisma Migrate does not "
        "create views, so its `CREATE VIEW` belongs in a migration (`prisma migrate dev --create-only`, then write "
        "the SQL into it).",
        at,
        ("migrate-dev",),
        data={"model": model.name, "table": table, "view": True},
    )


def _broken_view(catalog: Catalog, relation: Relation, model: Model, at: Location | None) -> Finding | None:
    problems = view_problems(catalog, relation)
    if not problems and relation.broken is None:
        return None
    said = "; ".join(p.describe() for p in problems) if problems else f"its definition fails ({relation.broken})"
    return Finding(
        "db-object-error",
        Severity.ERROR,
        f"The view `{relation.qualified}` (model `{model.name}`) cannot be read: {said}. Every query on it fails; "
        "change its definition (`CREATE OR REPLACE VIEW` in a migration) or bring back what it uses.",
        at,
        ("inspect-database-objects",),
        data={"model": model.name, "view": relation.qualified, "problems": [p.describe() for p in problems]},
    )


def _missing_table(
    model: Model,
    table: str,
    migrated: Mapping[str, Mapping[str, str]],
    pending: set[str],
    at: Location | None,
    near: str | None,
    source: str = "client",
) -> Finding:
    creator = migrated.get(table, {}).get("")
    because, fixes = _remedy(creator, pending)
    if near is not None:
        because, fixes = differs_in_case(table, near), ("edit-schema",)
    expects = _expects(source, f"the table `{table}`", table != model.name and f"model `{model.name}`")
    return Finding(
        "db-missing-table",
        Severity.ERROR,
        f"{expects}, and the database has none: {because}",
        at,
        fixes,
        data={
            "model": model.name,
            "table": table,
            "migration": creator,
            "differs_in_case": near,
            **_drift(near is None and _drifted(creator, pending)),
        },
    )


def _missing_column(
    model: str,
    field: str,
    table: str,
    column: str,
    migrated: Mapping[str, Mapping[str, str]],
    pending: set[str],
    at: Location | None,
    source: str = "client",
) -> Finding:
    creator = migrated.get(table, {}).get(column)
    because, fixes = _remedy(creator, pending)
    expects = _expects(
        source, f"the column `{table}.{column}`", (table, column) != (model, field) and f"`{model}.{field}`"
    )
    return Finding(
        "db-missing-column",
        Severity.ERROR,
        f"{expects}, and the database lacks it: {because}",
        at,
        fixes,
        data={
            "model": model,
            "field": field,
            "table": table,
            "column": column,
            "migration": creator,
            **_drift(_drifted(creator, pending)),
        },
    )


def _expects(source: str, what: str, also: str | bool) -> str:
    """`The client expects the column `User.nickname``, naming the model's own name only when the map differs."""
    named = f" ({also})" if also else ""
    if source == "schema":
        return f"The schema has {what}{named} (the generated client does not yet)"
    return f"The client expects {what}{named}"


def _remedy(creator: str | None, pending: set[str]) -> tuple[str, tuple[str, ...]]:
    """Why the database lacks it and what fixes that. Not pending is applied here: the pending ones are those that
    `_prisma_migrations` does not record as finished (`_pending`)."""
    if creator is not None and creator in pending:
        return f"the pending migration `{creator}` creates it; apply it.", ("migrate-deploy",)
    if creator is not None:
        return drift_remedy(creator)
    return "no migration creates it; create one (or push the schema).", ("migrate-dev", "db-push")


def _drifted(creator: str | None, pending: set[str]) -> bool:
    return creator is not None and creator not in pending


def _drift(drifted: bool) -> dict[str, bool]:
    """`data["drift"]`, said only when true (offers.py offers `db push` first then)."""
    return {"drift": True} if drifted else {}


def _location(schema: Datamodel | None, model_name: str, field_name: str | None) -> Location | None:
    """Where the schema on disk declares the model or field (the client's own copy has no place in the schema)."""
    model = schema.model(model_name) if schema is not None else None
    if model is None:
        return None
    if field_name is None:
        return model.location
    field = next((f for f in model.fields if f.name == field_name), None)
    return field.location if field is not None else model.location
