"""P2022 and P2021: a column or a table the database lacks, or a name Prisma misread from the database's message;
and a view whose definition names what the database no longer has (MySQL's 1356, passed on as P2039)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from prisma_doctor.diagnosis.context import (
    DB_SIDE_FIXES,
    VIEW_REMEDY,
    Context,
    client_field,
    db_object,
    field_for_column,
    make_finding,
    migration_remedy,
    model_for_table,
    model_of,
    ranked,
    related_to,
    see_database_message,
    stale_dev_server,
)
from prisma_doctor.findings import Finding, Location
from prisma_doctor.logs import events as ev
from prisma_doctor.schema.datamodel import Model

# Column names that Prisma reports when it misread the database's message rather than named a column: the second
# word of a localized message (`«`, `»`), a trigger's record (`new`, `old`), or the adapter's placeholder.
MISREAD_COLUMN_NAMES = frozenset({"«", "»", "new", "old", "(not available)", ""})
# Only a trigger's record is `new` or `old` (`record "new" has no field`); `«` is the second word of a localized
# message about a missing column and about a trigger's record alike, so it decides nothing.
TRIGGER_RECORDS = frozenset({"new", "old"})
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


# P2022 and P2021.
def missing_column(event: ev.MissingColumn, context: Context) -> Iterator[Finding]:
    schema = context.schema
    model = model_of(event, schema)
    column = event.column
    where = context.resolve(event.source)
    data = {"column": column, "table": event.table, "model": model.name if model else event.model}
    if column in MISREAD_COLUMN_NAMES:
        yield from _misread_column(event, context, model, where, data)
        return
    if schema is None or model is None:
        yield make_finding(
            "db-missing-column",
            f"The database lacks the column `{column}` that the client queries; apply the schema's migrations.",
            where,
            ("migrate-dev", "migrate-deploy"),
            data,
        )
        return
    in_schema = field_for_column(model, column)
    in_clients = [c for c in context.clients() if client_field(c, model.name, column) is not None]
    lacking = [c for c in context.clients() if client_field(c, model.name, column) is None]
    related = related_to(in_schema.location if in_schema else model.location)
    if in_schema is not None and lacking and not in_clients:
        # No client has the field, so no client asked for its column: the database's own code named it.
        remedy, fixes = migration_remedy(context, model.db_name or model.name, column)
        yield make_finding(
            "db-object-error",
            f"`{model.name}.{in_schema.name}` is in the schema but not in the generated client at {lacking[0].path}, "
            f"so the client did not query `{column}`: a trigger, view or function in the database uses it. A "
            f"migration that adds the column satisfies it ({remedy}). "
            + see_database_message(context, model.db_name or model.name),
            where,
            (*DB_SIDE_FIXES, *fixes),
            {**data, "client": lacking[0].path},
            related,
        )
    elif in_schema is not None and lacking:
        yield make_finding(
            "client-out-of-sync",
            f"`{model.name}.{in_schema.name}` is in the schema but not in the generated client at {lacking[0].path}; "
            "regenerate it and restart the dev server.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, "client": lacking[0].path},
            related,
        )
    elif in_schema is not None:
        remedy, fixes = migration_remedy(context, model.db_name or model.name, column)
        yield make_finding(
            "db-missing-column",
            f"`{model.name}.{in_schema.name}` is in the schema and the client, but the database lacks its column "
            f"`{column}`: {remedy}.",
            where,
            fixes,
            data,
            related,
        )
    elif in_clients:
        yield make_finding(
            "client-out-of-sync",
            f"The generated client at {in_clients[0].path} still has the column `{column}`, which the schema no "
            "longer has; regenerate it and restart the dev server.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, "client": in_clients[0].path},
            related,
        )
    elif context.dev_server_stale():
        yield from ranked(
            [
                stale_dev_server(where, data, f"the column `{column}` is in neither the schema nor the client"),
                db_object(event, context, f"no field of `{model.name}` maps to `{column}`"),
            ]
        )
    else:
        yield db_object(event, context, f"no field of `{model.name}` maps to the column `{column}`")


def _misread_column(
    event: ev.MissingColumn, context: Context, model: Model | None, where: Location | None, data: Mapping[str, object]
) -> Iterator[Finding]:
    column = event.column
    if column in TRIGGER_RECORDS:
        yield db_object(event, context, f"Prisma read `{column}` from the database's message as a column name")
        return
    # No name could be read (an adapter's placeholder, a localized message): a trigger, or a column that is really
    # missing. The migrations tell which columns the database should have; a column no migration creates is the
    # likely one.
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
        else "the error does not say which"
    )
    missing = make_finding(
        "db-missing-column",
        f"The database lacks a column of {'`' + model.name + '`' if model else 'the model'} that the client "
        f"expects ({which}): compare the database with the schema and apply its migrations. The table's columns "
        "and the code of the triggers on it decide between this and a trigger.",
        where,
        ("migrate-dev", "migrate-deploy"),
        {**data, "candidates": unmigrated or None},
        related_to(model.location if model else None),
    )
    trigger = db_object(event, context, "the error does not name the column")
    every_column_migrated = bool(facts and facts.migrated and model is not None and not unmigrated)
    trigger_first = every_column_migrated and action in WRITE_ACTIONS
    yield from ranked([trigger, missing] if trigger_first else [missing, trigger])


def missing_table(event: ev.MissingTable, context: Context) -> Iterator[Finding]:
    schema = context.schema
    where = context.resolve(event.source)
    data = {"table": event.table, "schema": event.schema, "model": event.model}
    model = model_for_table(schema, event.table) if schema else None
    if schema is None:
        yield make_finding(
            "db-missing-table",
            f"The database lacks the table `{event.table}`; apply the schema's migrations.",
            where,
            ("migrate-dev", "migrate-deploy"),
            data,
        )
        return
    in_clients = [c for c in context.clients() if model_for_table(c.datamodel, event.table)]
    lacking = [c for c in context.clients() if not model_for_table(c.datamodel, event.table)]
    if model is not None and lacking:
        yield make_finding(
            "client-out-of-sync",
            f"Model `{model.name}` is in the schema but not in the generated client at {lacking[0].path}; "
            "regenerate it.",
            where,
            ("regenerate", "restart-dev-server"),
            data,
            related_to(model.location),
        )
    elif model is not None and schema.is_view(model):
        yield make_finding(
            "db-missing-table",
            f"The view `{model.name}` is in the schema and the client, but the database has no view "
            f"`{event.table}`: {VIEW_REMEDY}.",
            where,
            ("migrate-dev",),
            {**data, "view": True},
            related_to(model.location),
        )
    elif model is not None:
        remedy, fixes = migration_remedy(context, model.db_name or model.name)
        yield make_finding(
            "db-missing-table",
            f"Model `{model.name}` is in the schema and the client, but the database lacks its table "
            f"`{event.table}`: {remedy}.",
            where,
            fixes,
            data,
            related_to(model.location),
        )
    elif in_clients:
        yield make_finding(
            "client-out-of-sync",
            f"The generated client still has the table `{event.table}`, which the schema no longer has; regenerate it.",
            where,
            ("regenerate", "restart-dev-server"),
            data,
        )
    elif context.dev_server_stale():
        yield stale_dev_server(where, data, f"the table `{event.table}` is in neither the schema nor the client")
    else:
        yield make_finding(
            "db-object-error",
            f"No model maps to the table `{event.table}`: a view, trigger or function in the database refers to it. "
            + see_database_message(context, event.table),
            where,
            DB_SIDE_FIXES,
            data,
        )


def broken_view(event: ev.BrokenView, context: Context) -> Finding:
    """The message names the view but not what it misses: only the database's catalog can (`asked.py`)."""
    view = f"{event.schema}.{event.table}" if event.schema else event.table
    return make_finding(
        "db-object-error",
        f"The view `{view}` names a table, column or function the database no longer has (MySQL/MariaDB "
        "error 1356): change its definition (`CREATE OR REPLACE VIEW` in a migration); the schema and the client "
        f"are not the cause. {see_database_message(context, event.table)}",
        context.resolve(event.source),
        DB_SIDE_FIXES,
        {"view": view, "model": event.model, "reported": event.text},
    )
