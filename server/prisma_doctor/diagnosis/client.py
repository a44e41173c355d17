"""Unknown argument / Unknown field, and a value the client rejects for an enum: a client older than the schema, a dev
server older than the client, or code ahead of the schema."""

from __future__ import annotations

from collections.abc import Iterator

from prisma_doctor.diagnosis.context import Context, make_finding, named, related_to, stale_dev_server
from prisma_doctor.findings import Finding
from prisma_doctor.logs import events as ev
from prisma_doctor.schema.datamodel import Datamodel, Model


# Unknown argument / Unknown field.
def unknown_argument(event: ev.UnknownArgument | ev.UnknownField, context: Context) -> Iterator[Finding]:
    name = event.argument if isinstance(event, ev.UnknownArgument) else event.field
    where = context.resolve(event.source)
    data = {"argument": name, "model": event.model}
    schema = context.schema
    if schema is None:
        yield make_finding(
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
        yield make_finding(
            "code-ahead-of-schema",
            f"The code uses `{name}`, which no model{named(models)} of the schema has: add it to the schema "
            "(then migrate and generate) or fix the code.",
            where,
            ("edit-schema",),
            data,
            related_to(models[0].location if len(models) == 1 else None),
        )
        return
    model, schema_field = in_schema[0]
    data["model"] = model.name
    lacking = [c for c in context.clients() if (cm := c.datamodel.model(model.name)) is None or cm.field(name) is None]
    if lacking:
        # The process that printed this loaded the old client: only regenerating and restarting it together (the
        # full reset) makes the app answer, in one repair (a bare regenerate leaves it on the old client).
        yield make_finding(
            "client-out-of-sync",
            f"`{model.name}.{name}` is in the schema but not in the generated client at {lacking[0].path}: "
            "regenerate it and restart the dev server.",
            where,
            ("full-reset", "regenerate", "restart-dev-server", "restart-ts-server"),
            data,
            related_to(schema_field.location),
        )
    elif context.clients() and context.dev_server_stale():
        yield stale_dev_server(where, data, f"`{model.name}.{name}` is in the schema and the client on disk")
    elif not context.clients():
        # The client that ran is gone from disk since (removed, or set aside by a repair): none is there to compare.
        outputs = context.facts.outputs if context.facts is not None else ()
        yield make_finding(
            "client-not-generated",
            f"`{model.name}.{name}` is in the schema, the client that ran rejected it, and no generated client is on "
            "disk now: generate it, then restart the dev server.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, **({"output": outputs[0]} if len(outputs) == 1 else {})},
            related_to(schema_field.location),
        )
    else:
        yield make_finding(
            "unknown-argument",
            f"`{model.name}.{name}` is in the schema and the generated client, yet the client rejected it: the "
            "process that printed this runs an older client; restart it.",
            where,
            ("restart-dev-server", "regenerate"),
            data,
            related_to(schema_field.location),
        )


# A value the client rejected for an enum argument.
def invalid_value(event: ev.InvalidValue, context: Context) -> Iterator[Finding]:
    """Only an enum among the expected types is this tool's business: its values in the schema against the client's.
    Another rejected value (a string for a date) is the code's own mistake, not drift."""
    schema = context.schema
    enums = [e for e in schema.enums if e.name in event.expected] if schema is not None else []
    if not enums:
        return
    enum = enums[0]
    where = context.resolve(event.source)
    values = [v.name for v in enum.values]
    data: dict[str, object] = {"argument": event.argument, "enum": enum.name, "model": event.model}
    for client in context.clients():
        theirs = next((e for e in client.datamodel.enums if e.name == enum.name), None)
        lacking = [v for v in values if theirs is None or v not in {t.name for t in theirs.values}]
        if lacking:
            data["values"] = lacking
            yield make_finding(
                "client-out-of-sync",
                f"The client rejected the value of `{event.argument}` (a `{enum.name}`), and the generated client at "
                f"{client.path} lacks `{enum.name}`'s {', '.join(f'`{v}`' for v in lacking)}, which the schema has: "
                "regenerate it and restart the dev server.",
                where,
                ("full-reset", "regenerate", "restart-dev-server", "restart-ts-server"),
                data,
                related_to(enum.location),
            )
            return
    if context.clients() and context.dev_server_stale():
        yield stale_dev_server(where, data, f"every value of `{enum.name}` in the schema is in the client on disk")
        return
    yield make_finding(
        "code-ahead-of-schema",
        f"The client rejected the value of `{event.argument}`: a `{enum.name}` is one of "
        f"{', '.join(f'`{v}`' for v in values)}, in the schema{' and the client alike' if context.clients() else ''}: "
        "the code passes another value; "
        f"add it to `enum {enum.name}` (then migrate and generate) or fix the code.",
        where,
        ("edit-schema",),
        data,
        related_to(enum.location),
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
        matching = [m for m in schema.queryable if available <= {f.name for f in m.fields}]
        if matching:
            return matching
    return list(schema.queryable)
