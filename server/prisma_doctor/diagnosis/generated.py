"""A generated client that is missing, or lacks a model or field the code uses: TypeScript on Prisma's types, a model
delegate that is undefined at run time, a client module that cannot be resolved.

The project decides when it is at hand: is the name in the schema (else the code is wrong: a typo), is it in the
generated client on disk (else the client is behind the schema), and was the client there when the tool ran (else
the process that printed the error ran an older one). Without the project the likeliest cause is named with the
question that decides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from prisma_doctor.diagnosis.context import Context, make_finding, related_to, stale_dev_server
from prisma_doctor.findings import Finding, Location
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.tool_errors import delegate_accessor
from prisma_doctor.schema.datamodel import Model

# The words Prisma puts after a model's name in the types it generates for it (`UserUncheckedUpdateInput`).
_TYPE_WORDS = frozenset(
    {"Unchecked", "Create", "Update", "Upsert", "Where", "Select", "Include", "Omit", "Order", "Count", "Aggregate"}
    | {"Group", "Min", "Max", "Avg", "Sum", "Scalar", "Delete", "Find", "Nullable", "List", "Relation", "Payload"}
    | {"Delegate", "Args", "Default"}
)
_CAMEL_WORD = re.compile(r"[A-Z][a-z0-9]*")
_DRIVE = re.compile(r"[A-Za-z]:/")
# Actions that are Prisma's alone: with them, an undefined delegate is Prisma's even when the model is not known.
_PRISMA_ONLY_ACTIONS = frozenset(
    {"findMany", "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "createMany", "upsert"}
    | {"createManyAndReturn", "updateMany", "updateManyAndReturn", "deleteMany", "groupBy", "findRaw", "aggregateRaw"}
)


@dataclass(frozen=True)
class _Verdict:
    """Where a model (and a field of it) is: in the schema, in the generated clients on disk."""

    model: Model | None  # the schema's model, None when the schema lacks it or cannot be read
    in_schema: bool | None  # None: no schema to ask
    lacking_client: str | None = None  # a generated client without it
    in_clients: bool = False  # every generated client on disk has it
    schema_place: Location | None = None


def _verdict(context: Context, model_name: str | None, field: str | None) -> _Verdict:
    schema = context.schema
    if schema is None or model_name is None:
        return _Verdict(None, None)
    model = schema.model(model_name)
    found = model.field(field) if model is not None and field is not None else None
    if model is None or (field is not None and found is None):
        return _Verdict(model, False, schema_place=model.location if model else None)
    place = found.location if found is not None else model.location
    if not context.clients():
        return _Verdict(model, True, "its output (no client is generated)", schema_place=place)
    for client in context.clients():
        known = client.datamodel.model(model.name)
        if known is None or (field is not None and known.field(field) is None):
            return _Verdict(model, True, client.path, schema_place=place)
    return _Verdict(model, True, in_clients=True, schema_place=place)


def type_check_error(event: ev.TypeCheckError, context: Context) -> Finding:
    where = context.resolve(event.location)
    if event.on_client:
        said = (
            f"TypeScript ({event.ts_code}{', which suggests `' + event.suggestion + '`' if event.suggestion else ''})"
        )
        return _missing_model(event.name, said, where, context, at_run_time=False)
    model_name = _model_of_type(event.type_name, context)
    verdict = _verdict(context, model_name, event.name)
    said = f"TypeScript ({event.ts_code}) rejects `{event.name}` on Prisma's `{event.type_name}`"
    data = {"argument": event.name, "model": model_name, "ts_code": event.ts_code}
    name = f"`{model_name}.{event.name}`" if model_name else f"`{event.name}`"
    if verdict.in_schema is None:
        return make_finding(
            "unknown-argument",
            f"{said}: the generated client is older than a schema that has {name} (regenerate), or the code "
            f"misspells it. Decides: is {name} in the schema, and in the generated client?",
            where,
            ("regenerate", "restart-ts-server"),
            data,
        )
    if not verdict.in_schema:
        return make_finding(
            "code-ahead-of-schema",
            f"{said}, and the schema's `{model_name}` has no `{event.name}` either: a typo"
            f"{_suggests(event.suggestion)}, or a field still to add to the schema (then migrate and generate).",
            where,
            ("edit-schema",),
            data,
            related_to(verdict.schema_place),
        )
    if verdict.lacking_client is not None:
        return make_finding(
            "client-out-of-sync",
            f"{said}: {name} is in the schema but not in the generated client at {verdict.lacking_client}, whose "
            "types TypeScript read: regenerate it (the editor then needs its TypeScript server restarted).",
            where,
            ("regenerate", "restart-ts-server"),
            data,
            related_to(verdict.schema_place),
        )
    return make_finding(
        "unknown-argument",
        f"{said}, yet {name} is in the schema and in the generated client on disk: the check ran against an older "
        "client. Run it again (in the editor, restart the TypeScript server).",
        where,
        ("restart-ts-server",),
        data,
        related_to(verdict.schema_place),
    )


def delegate_missing(event: ev.ModelDelegateMissing, context: Context) -> Finding | None:
    where = context.resolve(event.source)
    accessor = event.accessor
    if accessor is None and (code := context.source_line(event.source)) is not None:
        accessor = delegate_accessor(code, event.action)
    if accessor is None and event.action not in _PRISMA_ONLY_ACTIONS:
        return None  # `undefined.create()` is anybody's code
    return _missing_model(accessor, f"`{event.action}` of an undefined model", where, context, at_run_time=True)


def _missing_model(
    accessor: str | None, said: str, where: Location | None, context: Context, *, at_run_time: bool
) -> Finding:
    """`prisma.<accessor>` is not a model of the client that ran (or whose types were read)."""
    model_name = _model_of_accessor(accessor, context)
    verdict = _verdict(context, model_name, None)
    shown = f"`prisma.{accessor}`" if accessor else "a model delegate"
    data = {"accessor": accessor, "model": model_name}
    after = ("regenerate", "restart-dev-server") if at_run_time else ("regenerate", "restart-ts-server")
    if verdict.in_schema is None:
        older = "the process holds a client it loaded earlier (restart it), " if at_run_time else ""
        return make_finding(
            "unknown-argument",
            f"{said}: {shown} is not a model of the client. The client is older than the schema (regenerate), "
            f"{older}or the code names a model the schema lacks. Decides: is the model in the schema, and in the "
            "generated client on disk?",
            where,
            after,
            data,
        )
    if not verdict.in_schema:
        return make_finding(
            "code-ahead-of-schema",
            f"{said}: {shown} names no model of the schema: a typo, or a model still to add to the schema.",
            where,
            ("edit-schema",),
            data,
        )
    if verdict.lacking_client is not None:
        return make_finding(
            "client-out-of-sync",
            f"{said}: `{model_name}` is in the schema but not in the generated client at {verdict.lacking_client}: "
            f"regenerate it{', then restart the dev server' if at_run_time else ''}.",
            where,
            after,
            data,
            related_to(verdict.schema_place),
        )
    if at_run_time:
        return stale_dev_server(
            where, data, f"`{model_name}` is in the schema and the client on disk, not in the one that ran"
        )
    return make_finding(
        "unknown-argument",
        f"{said}, yet `{model_name}` is in the schema and the generated client on disk: the check ran against an "
        "older client. Run it again (in the editor, restart the TypeScript server).",
        where,
        ("restart-ts-server",),
        data,
        related_to(verdict.schema_place),
    )


def module_missing(event: ev.ClientModuleMissing, context: Context) -> Finding:
    where = context.resolve(event.location)
    said = f"`{event.specifier}` cannot be resolved ({event.tool})"
    data = {"specifier": event.specifier, "tool": event.tool}
    facts = context.facts
    if facts is None or facts.schema is None or not facts.outputs:
        return make_finding(
            "client-unresolvable",
            f"{said}: most likely `prisma generate` has not run here, else the import does not name the generator's "
            "output. Decides: does the schema's generator `output` name this folder, and does it hold a client?",
            where,
            ("regenerate", "restart-dev-server"),
            data,
        )
    named = [output for output in facts.outputs if _names_output(event.specifier, output)]
    if not named:
        return make_finding(
            "client-unresolvable",
            f"{said}, and it names no generator's output (the schema's generators write to "
            f"{', '.join(facts.outputs)}): correct the import, or the generator's `output`.",
            where,
            ("edit-schema",),
            data,
        )
    present = [output for output in named if any(_inside(client.path, output) for client in context.clients())]
    if not present:
        return make_finding(
            "client-not-generated",
            f"{said}: the generator's output {named[0]} holds no generated client. Run `prisma generate`"
            f"{' (then restart the dev server)' if event.tool == 'bundler' else ''}.",
            where,
            ("regenerate", "restart-dev-server"),
            {**data, "output": named[0]},
        )
    return make_finding(
        "client-unresolvable",
        f"{said}, yet the generated client at {present[0]} is there now: the command ran before it was generated. "
        "Run it again (a dev server keeps a failed resolution: restart it).",
        where,
        ("restart-dev-server",),
        {**data, "output": present[0]},
    )


def _suggests(suggestion: str | None) -> str:
    return f" (TypeScript suggests `{suggestion}`)" if suggestion else ""


def _model_of_type(type_name: str, context: Context) -> str | None:
    """`UserUncheckedUpdateInput` -> `User`: the schema's longest model name the type starts with, else the words
    before the first word Prisma adds."""
    schema = context.schema
    if schema is not None:
        starts = [m.name for m in schema.models if type_name.startswith(m.name)]
        exact = [n for n in starts if type_name[len(n) : len(n) + 1].isupper()]
        if exact:
            return max(exact, key=len)
    words = _CAMEL_WORD.findall(type_name)
    cut = next((i for i, word in enumerate(words) if i > 0 and word in _TYPE_WORDS), None)
    return "".join(words[:cut]) if cut is not None else None


def _model_of_accessor(accessor: str | None, context: Context) -> str | None:
    """`post` -> `Post`: the delegate of a model is its name with a lowercase first letter."""
    if accessor is None:
        return None
    schema = context.schema
    if schema is not None:
        found = next((m.name for m in schema.queryable if m.name[:1].lower() + m.name[1:] == accessor), None)
        if found is not None:
            return found
    return accessor[:1].upper() + accessor[1:]


def _names_output(specifier: str, output: str) -> bool:
    """Whether an import names a generator's output: a path inside it, Prisma's default (`.prisma/client`,
    `@prisma/client`), or a relative path whose last folders are the output's (`../generated/client`)."""
    spec, out = specifier.replace("\\", "/"), output.replace("\\", "/").rstrip("/")
    if spec.startswith(("/", "file:")) or _DRIVE.match(spec):
        return _inside(spec.removeprefix("file://"), out)
    if spec.startswith((".prisma/client", "@prisma/client")):
        return out.endswith("node_modules/.prisma/client")
    parts = [p for p in PurePosixPath(spec).parts if p not in (".", "..")]
    # `./generated/prisma/client` names the module `client` inside the output `generated/prisma`.
    tails = {"/".join(parts), "/".join(parts[:-1])} - {""}
    return any(out.endswith("/" + tail) for tail in tails)


def _inside(path: str, folder: str) -> bool:
    path, folder = path.replace("\\", "/").rstrip("/"), folder.replace("\\", "/").rstrip("/")
    return path == folder or path.startswith(folder + "/")
