"""Unknown argument / Unknown field, and a value the client rejects for an enum: a client older than the schema, a dev
server older than the client, or code ahead of the schema."""

from __future__ import annotations

from collections.abc import Iterator

from prisma_doctor.diagnosis.context import Context, make_finding, related_to, stale_dev_server
from prisma_doctor.diagnosis.facts import ClientFacts
from prisma_doctor.findings import Finding
from prisma_doctor.logs import events as ev
from prisma_doctor.schema.datamodel import Datamodel, Model


# Unknown argument / Unknown field.
def unknown_argument(event: ev.UnknownArgument | ev.UnknownField, context: Context) -> Iterator[Finding]:
    name = event.argument if isinstance(event, ev.UnknownArgument) else event.field
    where = context.resolve(event.source)
    data: dict[str, object] = {"argument": name, "model": event.model}
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
            f"The code uses `{name}`, which no model{_among(models, schema)} of the schema has: add it to the schema "
            "(then migrate and generate) or fix the code.",
            where,
            ("edit-schema",),
            data,
            related_to(models[0].location if len(models) == 1 else None),
        )
        return
    if len(in_schema) > 1:
        # The client rejected it, so the model it was looked up on is one whose client lacks it.
        in_schema = [(m, f) for m, f in in_schema if _lacking(context, m.name, name)] or in_schema
    model, schema_field = in_schema[0]
    data["model"] = model.name
    if len(in_schema) > 1:
        # Prisma's message does not tell which: say so rather than pick one as if it did.
        data["models"] = [m.name for m, _ in in_schema]
        yield make_finding(
            "unknown-argument",
            f"The client rejected `{name}`, a field of {' or '.join(f'`{m.name}`' for m, _ in in_schema)} in the "
            "schema; the options Prisma listed fit each, and the generated client lacks it on each: the path of "
            "the rejected argument in Prisma's message (the relation it is nested in) tells which. Regenerate the "
            "client and restart the dev server.",
            where,
            ("full-reset", "regenerate", "restart-dev-server"),
            data,
            tuple(f.location for _, f in in_schema if f.location is not None),
        )
        return
    lacking = _lacking(context, model.name, name)
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


def _lacking(context: Context, model: str, field: str) -> list[ClientFacts]:
    """The generated clients on disk without `model.field`."""
    return [c for c in context.clients() if (m := c.datamodel.model(model)) is None or m.field(field) is None]


def _among(models: list[Model], schema: Datamodel) -> str:
    """Which models a name was looked up on: the one, or those that take every option Prisma listed."""
    if len(models) == 1:
        return f" (`{models[0].name}`)"
    if len(models) < len(schema.queryable):
        return f" that takes the options Prisma listed ({', '.join(f'`{m.name}`' for m in models)})"
    return ""


# Options Prisma lists for every filter's input type, which are no field of its model.
_LOGICAL_OPTIONS = frozenset({"AND", "OR", "NOT"})


def _candidate_models(event: ev.UnknownArgument | ev.UnknownField, schema: Datamodel) -> list[Model]:
    """The models the rejected name was looked up on: the one Prisma names; else the one the call's arguments lead
    to (inside a relation's own arguments, `posts: { where: ... }`, it is the relation's model, not the one called),
    unless the options Prisma listed are not all its fields; else every model that has them all."""
    for name in (getattr(event, "on_model", None), event.model):
        if name and (model := schema.model(name)) is not None:
            return [model]
    accessor = event.invocation.model_accessor if event.invocation else None
    called = schema.model(accessor[:1].upper() + accessor[1:]) if accessor else None
    reached = _follow_relations(called, getattr(event, "path", ()), schema) if called is not None else None
    listed = set(getattr(event, "available", ())) - _LOGICAL_OPTIONS
    # The client lists the other fields of the input type that holds the argument (a top-level argument's options,
    # `where` or `take`, are no model's fields: then none has them all).
    holding = [m for m in schema.queryable if listed <= {f.name for f in m.fields}] if listed else []
    if reached is not None and (not holding or reached in holding):
        return [reached]
    return holding or list(schema.queryable)


def _follow_relations(model: Model, path: tuple[str, ...], schema: Datamodel) -> Model | None:
    """The model whose arguments the end of `path` is: each relation field on the way moves to its model (`select`,
    `posts`, `where` from `User` is `Post`'s filter); None where a step leaves the models (a composite type)."""
    for key in path:
        relation = model.field(key)
        if relation is not None and relation.kind == "object":
            reached = schema.model(relation.type)
            if reached is None:
                return None
            model = reached
    return model
