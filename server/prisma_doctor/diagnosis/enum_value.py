"""PostgreSQL's 22P02 on an enum (`invalid input value for enum "Role": "EDITOR"`): the client sent a value its
schema has and the database's type lacks (a push or migration made before the value was added). The client
checks a value against its own enum before it sends it, so a value the client lacks never gets this far
(`Invalid value for argument`, diagnosis/client.py).

The database decides: its `pg_enum` read (the probe, read-only) says whether the type lacks the value now. Not
asked, the cause is the likely one and the finding says what decides.
"""

from __future__ import annotations

from collections.abc import Iterator

from prisma_doctor.database.catalog import Catalog, InspectionFailed
from prisma_doctor.diagnosis.context import Context, make_finding
from prisma_doctor.findings import Finding, Severity
from prisma_doctor.logs import events as ev
from prisma_doctor.offers import drift_remedy

FIXES = ("migrate-dev", "db-push")
_ADD = (
    "Add it to the database: a migration (`prisma migrate dev` writes `ALTER TYPE ... ADD VALUE`), or "
    "`prisma db push` without migrations."
)
# The client's actions that write their arguments' values; any other sends them as a filter (`where`).
_WRITES = frozenset(
    {"create", "createMany", "createManyAndReturn", "update", "updateMany", "updateManyAndReturn", "upsert"}
)


def invalid_enum_value(event: ev.InvalidEnumValue, context: Context) -> Iterator[Finding]:
    type_name = event.enum.rpartition(".")[2]
    schema_enum = next(
        (e for e in (context.schema.enums if context.schema else ()) if (e.db_name or e.name) == type_name), None
    )
    where = context.resolve(event.source) or (schema_enum.location if schema_enum else None)
    shown = f"`{schema_enum.name}`" if schema_enum else f"`{type_name}`"
    data: dict[str, object] = {"type": type_name, "missing": [event.value], "reported": event.text}
    if schema_enum is not None:
        data["enum"] = schema_enum.name
    probe = context.facts.database if context.facts is not None else None
    answer = None
    if probe is not None and not context.database_pending:
        answer = probe.inspection(wait=context.wait_for_database)
    if isinstance(answer, Catalog) and answer.enums is not None:
        asked = {"asked": True, "url": probe.shown if probe else None, "server": answer.server}
        found = answer.enum(type_name)
        if found is not None and event.value not in found.values:
            remedy, fixes = _remedy(context, type_name, event.value, answer)
            yield make_finding(
                "db-missing-enum-value",
                f"The database's enum type `{type_name}` lacks `{event.value}` (the database was asked, "
                f"{answer.server}: it has {', '.join(f'`{v}`' for v in found.values) or 'no value'}), and the app "
                f"{_how_used(event)} it: the enum {shown} gained it after the database's type was made. {remedy}",
                where,
                fixes,
                {**data, "values": list(found.values), "database": asked},
            )
            return
        now = "has it now" if found is not None else f"has no enum type `{type_name}` in `{answer.default_schema}`"
        yield make_finding(
            "db-missing-enum-value",
            f"The database rejected `{event.value}` for the enum type `{type_name}`, but the database read "
            f"({answer.server}) {now}: either it changed since the error, or the app opened another database than "
            "this one. What decides: request the page again; if it still fails, the app's database is not the one "
            "read.",
            where,
            (),
            {**data, "database": asked},
            severity=Severity.WARNING,
        )
        return
    why = answer.reason if isinstance(answer, InspectionFailed) else "it was not asked"
    remedy, fixes = _remedy(context, type_name, event.value, None)
    yield make_finding(
        "db-missing-enum-value",
        f"The database rejected `{event.value}` for its enum type `{type_name}` (22P02): likely its type was made "
        f"before {shown} gained the value (a push or migration run earlier). The database was not read ({why}); "
        f'what decides is its type\'s values (`SELECT enum_range(NULL::"{type_name}")`, or `prisma-doctor check`). '
        f"{remedy}",
        where,
        fixes,
        data,
    )


def _how_used(event: ev.InvalidEnumValue) -> str:
    """`wrote` only where the error shows a write (the call's action); a filter sends the value as well."""
    action = event.invocation.action if event.invocation else None
    return "wrote" if action in _WRITES else "used (in a query or a write)"


def _remedy(context: Context, type_name: str, value: str, catalog: Catalog | None) -> tuple[str, tuple[str, ...]]:
    """A migration of the project that adds the value is what brings it: apply it where the database has not run it
    (`catalog`: the database asked; None: not asked, so whether it ran is not known)."""
    facts = context.facts
    migration = facts.migration_adding(type_name, value) if facts is not None else None
    if migration is None:
        return _ADD, FIXES
    if catalog is None:
        return f"The migration `{migration}` adds it: apply it (`prisma migrate deploy`).", (
            "migrate-deploy",
            "migrate-dev",
        )
    if not catalog.applied(migration):
        return f"The pending migration `{migration}` adds it; apply it (`prisma migrate deploy`).", ("migrate-deploy",)
    remedy, fixes = drift_remedy(migration)
    return remedy[:1].upper() + remedy[1:], fixes
