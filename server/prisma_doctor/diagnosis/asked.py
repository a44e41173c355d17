"""The database's own answer decides between the causes that the same error text allows.

Today's ranking (from the schema, the clients, the migrations' SQL and the kind of call) is computed first. When
the project's database could be asked (`ProjectFacts.database`), its catalog decides for database-side causes: a
trigger named with its function and the name its code refers to, a column the table really lacks with the
migration that adds it, a view that lacks a column, a table that is not there. When it could not be asked, today's
ranking stands and says why. Client-side causes (a client older than the schema) are left as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace

from prisma_doctor.database.catalog import Catalog, InspectionFailed, Relation, differs_in_case
from prisma_doctor.database.triggers import TriggerProblem, trigger_problems
from prisma_doctor.database.views import view_problems
from prisma_doctor.diagnosis.context import (
    DB_SIDE_FIXES,
    VIEW_REMEDY,
    Context,
    asked_remedy,
    field_for_column,
    make_finding,
    migration_remedy,
    model_for_table,
    model_of,
    ranked,
)
from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.logs import events as ev
from prisma_doctor.schema.datamodel import Model

DATABASE_SIDE = frozenset({"db-missing-column", "db-missing-table", "db-object-error"})
# What fires triggers: a read fires none.
TRIGGER_EVENTS = {
    "create": {"INSERT"},
    "createMany": {"INSERT"},
    "createManyAndReturn": {"INSERT"},
    "update": {"UPDATE"},
    "updateMany": {"UPDATE"},
    "updateManyAndReturn": {"UPDATE"},
    "upsert": {"INSERT", "UPDATE"},
    "delete": {"DELETE"},
    "deleteMany": {"DELETE"},
}
READ_ACTIONS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "count",
        "aggregate",
        "groupBy",
    }
)
# Names that come from a trigger's record in the database's message (`record "new" has no field`), not a column.
RECORD_NAMES = frozenset({"new", "old"})
# Names that say nothing of which column failed: the adapter's placeholder, or the second word of a localized
# message (`la colonne « nickname » n'existe pas` and `l'enregistrement « new » ...` both give `«`). Only the
# database can tell a missing column from a trigger then, whatever the message's language.
UNREAD_NAMES = frozenset({"(not available)", "«", "»", ""})
ASKED = "The database was asked ({server}): "
# Findings that say the database lacks something: the database's own answer can contradict them.
ABSENCES = frozenset({"db-missing-column", "db-missing-table"})
_CALL = re.compile(r"\.\s*([A-Za-z]+)\s*\(")


def decided_by_database(event: ev.ClientError, context: Context, today: list[Finding]) -> list[Finding]:
    if not any(f.code in DATABASE_SIDE for f in today):
        return today
    probe = context.facts.database if context.facts is not None else None
    if probe is None:
        return today
    if context.database_pending:
        return _undecided(today)
    answer = probe.inspection(wait=context.wait_for_database)
    if isinstance(answer, InspectionFailed):
        return [_not_asked(f, answer.reason) for f in today]
    if answer.cut is not None:
        # What a catalog read in part lacks may lie past the cut, and the rules below decide from absence too.
        return [_not_asked(f, answer.cut, "was asked, but its catalog was read only in part") for f in today]
    decided = _decide(event, context, answer)
    shown = {"asked": True, "url": probe.shown, "server": answer.server}
    if decided:
        # A fix through Prisma's CLI would reach another database than the one that failed: said with it.
        differs = probe.target.differs if probe.target is not None else None
        also = f" Beware: {differs}." if differs and any(f.code in ABSENCES for f in decided) else ""
        return [replace(f, message=f.message + also, data={**f.data, "database": shown}) for f in decided]
    if all(f.code == "db-object-error" for f in today):
        # A name nothing maps to (no field, no model), and the database has no trigger or view that refers to it now:
        # not a trigger the database shows, so not named as one; an older client, or an object changed since.
        return [_older_client(f, answer.server, shown) for f in today]
    if isinstance(event, ev.MissingColumn) and event.column in UNREAD_NAMES:
        # No column named, none lacking, no trigger that refers to a missing one: neither cause is shown now.
        return _nothing_explains(today, answer.server, shown)
    note = f" The database was asked ({answer.server}) and shows nothing that explains it now."
    return [
        _contradicted(f, answer.server, shown)
        if f.code in ABSENCES
        else replace(f, message=f.message + note, data={**f.data, "database": shown})
        for f in today
    ]


def _contradicted(finding: Finding, server: str, shown: Mapping[str, object]) -> Finding:
    """The error says the database lacks a column or table, and the database read has it: the claim is not made
    again. Either it was added since, or the app opened another database than the one read (which one is said)."""
    column, table = finding.data.get("column"), finding.data.get("table") or finding.data.get("model")
    name = f"the column `{column}`" if column else f"the table `{table}`"
    message = (
        f"The error says the database lacks {name}, but the database read ({server}) has it now: either it was "
        "added since the error, or the app opened another database than this one. What decides: request the page "
        "again; if it still fails, the app's database is not the one read."
    )
    return make_finding(
        finding.code,
        message,
        finding.location,
        finding.fixes,
        {**finding.data, "database": shown, "decided": False},
        finding.related,
        severity=Severity.WARNING,
    )


def _older_client(finding: Finding, server: str, shown: Mapping[str, object]) -> Finding:
    """The name is in neither the schema nor the client on disk, and nothing in the database refers to it now: two
    causes remain, and only what happens next tells them apart."""
    column, table = finding.data.get("column"), finding.data.get("table")
    name = f"the column `{column}`" if column else f"the table `{table}`"
    message = (
        f"Neither the schema nor the generated client on disk has {name}, and the database was asked ({server}) and "
        "shows nothing that explains it now: either the process that sent the query runs an older client (a dev "
        "server started before the last generate), or the trigger, view or function that failed was changed since. "
        "What decides: restart the dev server; if the error comes back, look in the database as it is then."
    )
    return make_finding(
        finding.code,
        message,
        finding.location,
        ("restart-dev-server", *DB_SIDE_FIXES),
        {**finding.data, "database": shown, "decided": False},
        severity=Severity.WARNING,
    )


def _nothing_explains(today: list[Finding], server: str, shown: Mapping[str, object]) -> list[Finding]:
    """An error that names no column, and a database that now has every column the client expects and no trigger
    that refers to a missing one: one undecided finding in place of the database-side causes (the trigger the
    ranking named first is not shown by the database, user trial 7, item 4)."""
    side = [f for f in today if f.code in DATABASE_SIDE]
    first = side[0]
    table = first.data.get("table") or first.data.get("model") or "the table"
    message = (
        f"The error names no column, and the database was asked ({server}): `{table}` has every column the client "
        "expects, and no trigger or view on it refers to a missing one. Either the column was added since the error, "
        "or the app opened another database than the one read. What decides: request the page again; if it still "
        "fails, the app's database is not the one read."
    )
    data = {**first.data, "decided": False, "database": shown}
    undecided = make_finding(first.code, message, first.location, (), data, first.related, Severity.WARNING)
    at = today.index(first)
    rest = [f for f in today if f.code not in DATABASE_SIDE]
    return [*rest[:at], undecided, *rest[at:]]


# What each database-side cause is, as one possibility among others.
_POSSIBLY = {
    "db-missing-column": "a column the table lacks",
    "db-missing-table": "a table the database lacks",
    "db-object-error": "a trigger, view or function in the database that refers to a name it lacks",
}


def _undecided(today: list[Finding]) -> list[Finding]:
    """While the database's answer is awaited: one finding, in place of the database-side causes, that says the
    cause is undecided and what decides it (the answer then takes its place), instead of naming one it cannot know."""
    side = [f for f in today if f.code in DATABASE_SIDE]
    if not side:
        return today
    first = side[0]
    possible = " or ".join(dict.fromkeys(_POSSIBLY[f.code] for f in side))
    table = first.data.get("table") or first.data.get("model") or "the table"
    message = (
        f"The cause is undecided until the database answers (it is being asked now): {possible}. What decides: the "
        f"columns of `{table}` and the code of the triggers on it."
    )
    data = {**first.data, "decided": False, "database": {"asked": False, "pending": True}}
    undecided = make_finding(first.code, message, first.location, (), data, first.related, Severity.WARNING)
    at = today.index(first)
    rest = [f for f in today if f.code not in DATABASE_SIDE]
    return [*rest[:at], undecided, *rest[at:]]


def not_checked(finding: Finding) -> bool:
    """A database-side cause the database could not confirm (it did not answer, or was not asked): named from the
    migrations, the schema and the client alone."""
    database = finding.data.get("database")
    return (
        finding.code in DATABASE_SIDE
        and isinstance(database, dict)
        and database.get("asked") is False  # pyright: ignore[reportUnknownMemberType]
        and not database.get("pending")  # pyright: ignore[reportUnknownMemberType]
    )


def _not_asked(finding: Finding, reason: str, what: str = "could not be asked") -> Finding:
    if finding.code not in DATABASE_SIDE:
        return finding
    note = (
        f" The database {what} ({reason}), so this comes from the migrations, the schema and the client;"
        " what would decide is the database's answer: the table's columns and the code of the triggers on it."
    )
    return replace(
        finding, message=finding.message + note, data={**finding.data, "database": {"asked": False, "reason": reason}}
    )


def _decide(event: ev.ClientError, context: Context, catalog: Catalog) -> list[Finding]:
    if isinstance(event, ev.MissingColumn):
        return _column(event, context, catalog)
    if isinstance(event, ev.MissingTable):
        return _table(event, context, catalog)
    if isinstance(event, ev.BrokenView):
        return _broken_view(event, context, catalog)
    if isinstance(event, ev.DatabaseObjectError):
        model = model_of(event, context.schema)
        relation = catalog.relation(_table_name(model, event.model) or "")
        problems = [p for p in _all_problems(catalog, relation) if p.column and p.column.lower() == event.field.lower()]
        return _trigger_findings(problems, context, event, catalog)
    return []


def _column(event: ev.MissingColumn, context: Context, catalog: Catalog) -> list[Finding]:
    model = model_of(event, context.schema)
    relation = catalog.relation(event.table or _table_name(model, event.model) or "", event.schema)
    if relation is None:
        return _missing_relation(event, context, catalog, event.table or _table_name(model, event.model))
    action = _action(event, context)
    # The trigger events the call fires (none for a read); every trigger when the call is not known.
    fires = TRIGGER_EVENTS.get(action, set()) if action in TRIGGER_EVENTS or action in READ_ACTIONS else None
    problems = trigger_problems(catalog, relation, fires)
    reported = event.column.split(".")[-1] if event.column not in RECORD_NAMES else event.column
    expected = _expected_columns(context, model)
    if event.column in RECORD_NAMES:
        # The message named a trigger's record: the trigger is the cause, whatever else the table lacks.
        lacking, triggers_first = [], True
    elif event.column in UNREAD_NAMES:
        # Both causes are looked for, in any language and through any adapter (an English trigger error reaches
        # the adapter as `column T.c does not exist` too); a write runs its triggers before it reads back.
        lacking = [c for c in expected if not relation.has_column(c, catalog.case_sensitive)]
        triggers_first = bool(problems) and (not lacking or action in TRIGGER_EVENTS)
    else:
        # The error names the column: only a trigger that uses it can have raised it (one that names another column
        # fails with that column's name), so a trigger changed since the log was written is not blamed.
        problems = [p for p in problems if p.mentions(reported)]
        # A name that no field maps to is not a column the client asked for: only a trigger's code can name it.
        asked_for = not expected or any(_same(c, reported, catalog) for c in expected)
        lacking = [reported] if asked_for and not relation.has_column(reported, catalog.case_sensitive) else []
        triggers_first = bool(problems)
    columns = _lacking_findings(catalog, relation, lacking, event, context, model)
    triggers = _trigger_findings(problems, context, event, catalog)
    found = triggers + columns if triggers_first else columns + triggers
    return list(ranked(found)) if len(found) > 1 else found


def _broken_view(event: ev.BrokenView, context: Context, catalog: Catalog) -> list[Finding]:
    # The message qualifies the view with the database it ran on; a log replayed against the project's database
    # under another name (a colleague's, CI's) still means the project's own view.
    view = catalog.relation(event.table, event.schema) or catalog.relation(event.table)
    if view is None or view.kind != "view":
        return []
    problems = view_problems(catalog, view)
    if not problems:
        if view.broken is None:
            return []  # the view reads now: not decided here (it was fixed since, or something else failed)
        said = f"`{view.qualified}` is a view, and its definition fails ({view.broken})"
    else:
        said = "; ".join(p.describe() for p in problems)
    first = problems[0] if problems else None
    return [
        make_finding(
            "db-object-error",
            ASKED.format(server=catalog.server)
            + f"{said}. Change the view's definition (`CREATE OR REPLACE VIEW` in a migration) or bring back what it "
            "uses; the schema and the client are not the cause.",
            context.resolve(event.source),
            DB_SIDE_FIXES,
            {
                "model": event.model,
                "view": view.qualified,
                "missing_table": first.table if first is not None and first.column is None else None,
                "missing_column": f"{first.table}.{first.column}" if first is not None and first.column else None,
            },
        )
    ]


def _table(event: ev.MissingTable, context: Context, catalog: Catalog) -> list[Finding]:
    if catalog.relation(event.table, event.schema) is None:
        referring = [
            p
            for p in _all_problems(catalog, None)
            if p.column is None and p.table.split(".")[-1].lower() == event.table.lower()
        ]
        if referring:
            return _trigger_findings(referring, context, event, catalog)
        schema = context.schema
        if schema is not None and model_for_table(schema, event.table) is None:
            return []  # no model maps it and nothing the database holds refers to it: not decided here
        return _missing_relation(event, context, catalog, event.table)
    return []


def _missing_relation(event: ev.ClientError, context: Context, catalog: Catalog, table: str | None) -> list[Finding]:
    if not table:
        return []
    near = catalog.differing_in_case(table)
    if near is not None:
        return [
            make_finding(
                "db-missing-table",
                ASKED.format(server=catalog.server) + differs_in_case(table, near.name),
                context.resolve(event.source),
                ("edit-schema",),
                {"table": table, "model": event.model, "differs_in_case": near.name},
            )
        ]
    model = model_of(event, context.schema)
    view = model is not None and context.schema is not None and context.schema.is_view(model)
    remedy, fixes, drift = (VIEW_REMEDY, ("migrate-dev",), False) if view else asked_remedy(context, catalog, table)
    data = {"table": table, "model": event.model, "view": view or None}
    return [
        make_finding(
            "db-missing-table",
            ASKED.format(server=catalog.server) + f"it has no table or view `{table}`: {remedy}.",
            context.resolve(event.source),
            fixes,
            {**data, "drift": True} if drift else data,
        )
    ]


def _lacking_findings(
    catalog: Catalog,
    relation: Relation,
    lacking: list[str],
    event: ev.MissingColumn,
    context: Context,
    model: Model | None,
) -> list[Finding]:
    if relation.broken:
        lacking = lacking or [c for c in _expected_columns(context, model)]
    if not lacking:
        return []
    where = context.resolve(event.source)
    names = ", ".join(f"`{c}`" for c in lacking)
    related = tuple(loc for loc in (_field_location(model, c) for c in lacking) if loc is not None)
    named = model.name if model else event.model
    data: dict[str, object] = {"table": relation.name, "columns": lacking, "model": named}
    if relation.kind == "view":
        return [
            make_finding(
                "db-object-error",
                ASKED.format(server=catalog.server)
                + f"`{relation.qualified}` is a view, and "
                + (f"its definition fails ({relation.broken})" if relation.broken else f"it has no column {names}")
                + ": change the view's definition (in a migration) or the model; the client is not the cause.",
                where,
                DB_SIDE_FIXES,
                {**data, "view": relation.qualified},
                related,
            )
        ]
    remedies = [(c, *asked_remedy(context, catalog, relation.name, c)) for c in lacking]
    said = remedies[0][1] if len(remedies) == 1 else "; ".join(f"`{c}`: {remedy}" for c, remedy, _, _ in remedies)
    fixes = tuple(dict.fromkeys(f for _, _, fs, _ in remedies for f in fs))
    if any(drift for *_, drift in remedies):
        data["drift"] = True
    return [
        make_finding(
            "db-missing-column",
            ASKED.format(server=catalog.server)
            + f"the table `{relation.qualified}` has no column {names} that the client queries: {said}.",
            where,
            fixes,
            data,
            related,
        )
    ]


def _trigger_findings(
    problems: list[TriggerProblem], context: Context, event: ev.ClientError, catalog: Catalog
) -> list[Finding]:
    if not problems:
        return []
    first = problems[0]
    others = "".join(f"; also {p.describe()}" for p in problems[1:4])
    fix = (
        f"fix the function `{first.trigger.function}()` (`CREATE OR REPLACE FUNCTION` in a migration)"
        if first.trigger.function
        else f"recreate the trigger `{first.trigger.name}` (in a migration)"
    )
    fixes: tuple[str, ...] = DB_SIDE_FIXES
    field = _schema_field(context, first.table, first.column)
    if field is not None:
        # The schema wants the column the trigger uses: the migration that adds it satisfies the trigger too.
        remedy, more = migration_remedy(context, first.table, first.column or "")
        fix += f", or add the column: the schema has `{field}`, and {remedy}"
        fixes = (*DB_SIDE_FIXES, *more)
    return [
        make_finding(
            "db-object-error",
            ASKED.format(server=catalog.server)
            + f"the {first.describe()}{others}. The schema and the client are not the cause: {fix}.",
            context.resolve(event.source),
            fixes,
            {
                "model": event.model,
                "trigger": first.trigger.name,
                "function": first.trigger.function or None,
                "table": first.trigger.table,
                "refers_to": first.reference,
                "missing_table": first.table if first.column is None else None,
                "missing_column": f"{first.table}.{first.column}" if first.column else None,
                "triggers": [p.trigger.name for p in problems],
            },
        )
    ]


def _schema_field(context: Context, table: str, column: str | None) -> str | None:
    """`User.score` when the schema maps a field of the model of `table` to `column`."""
    schema = context.schema
    model = model_for_table(schema, table) if schema is not None and column else None
    found = field_for_column(model, column) if model is not None and column else None
    return f"{model.name}.{found.name}" if model is not None and found is not None else None


def _all_problems(catalog: Catalog, relation: Relation | None) -> Iterable[TriggerProblem]:
    relations = [relation] if relation is not None else list(catalog.relations)
    return [p for r in relations for p in trigger_problems(catalog, r)]


def _expected_columns(context: Context, model: Model | None) -> list[str]:
    """The columns the running client queries: the generated client's model, else the schema's."""
    if model is None:
        return []
    for client in context.clients():
        if (known := client.datamodel.model(model.name)) is not None:
            model = known
            break
    return [f.db_name or f.name for f in model.fields if f.kind != "object"]


def _action(event: ev.ClientError, context: Context) -> str | None:
    """The client method called: from the invocation line, else from the call site's own source line (a minified
    runtime can hide the expression, as `t=Object.create()` in Prisma 6's client with a driver adapter)."""
    if event.invocation is not None and event.invocation.action:
        return event.invocation.action
    line = context.source_line(event.call_site) or ""
    called = [m for m in _CALL.findall(line) if m in TRIGGER_EVENTS or m in READ_ACTIONS]
    return called[-1] if called else None


def _same(a: str, b: str, catalog: Catalog) -> bool:
    return a == b if catalog.case_sensitive else a.lower() == b.lower()


def _table_name(model: Model | None, fallback: str | None) -> str | None:
    return (model.db_name or model.name) if model is not None else fallback


def _field_location(model: Model | None, column: str) -> Location | None:
    if model is None:
        return None
    found = next((f for f in model.fields if (f.db_name or f.name) == column), None)
    return found.location if found is not None else None
