"""Differences between the schema's datamodel and a generated client's, as findings on the schema.

One difference, one finding, said as a person would ("field `User.name` is required in the schema but optional in
the generated client") and located on the part of the schema it concerns: the type for a type, optionality or list
change, the `@map`/`@@map` attribute for a mapping change, the name for something added or renamed. What the client
has and the schema lost is located on the enclosing block (or, for a whole block, on the generator that produced
the client). A field or model that disappeared while another appeared with the same column or table and type is a
rename, reported once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.schema.datamodel import Datamodel, Enum, Field, Model
from prisma_doctor.schema.syntax import Block, FieldDeclaration, SchemaFile, StringValue

FIXES_FOR_DRIFT = ("regenerate", "full-reset")


@dataclass(frozen=True)
class SchemaDrift:
    """One difference. `subject` names it (`User`, `User.email`, `Role.ADMIN`)."""

    kind: str  # e.g. "model-added", "field-removed", "field-type-changed"
    subject: str
    description: str
    location: Location | None


class _Syntax:
    """Where each block, field and attribute was written, to place a finding on the exact part that changed."""

    def __init__(self, files: Iterable[SchemaFile]) -> None:
        self.blocks: dict[str, tuple[str, Block]] = {}
        for schema_file in files:
            for block in schema_file.blocks:
                if block.kind in ("model", "view", "type", "enum"):
                    self.blocks.setdefault(block.name, (schema_file.path, block))

    def field(self, model: str, name: str) -> tuple[str, FieldDeclaration] | None:
        found = self.blocks.get(model)
        if found is None:
            return None
        path, block = found
        declaration = next((f for f in block.fields if f.name == name), None)
        return (path, declaration) if declaration is not None else None

    def field_type(self, model: str, field: Field) -> Location | None:
        found = self.field(model, field.name)
        if found is None or found[1].type is None:
            return field.location
        return Location(found[0], found[1].type.span)

    def field_map(self, model: str, field: Field) -> Location | None:
        found = self.field(model, field.name)
        attribute = found[1].attribute("map") if found else None
        if found is None or attribute is None:
            return field.location
        return Location(found[0], attribute.span)

    def block_map(self, name: str, fallback: Location | None) -> Location | None:
        found = self.blocks.get(name)
        attribute = found[1].attribute("map") if found else None
        if found is None or attribute is None:
            return fallback
        return Location(found[0], attribute.span)


def compare(
    schema: Datamodel, client: Datamodel, fallback: Location | None, files: Sequence[SchemaFile] = ()
) -> list[SchemaDrift]:
    """Every difference between `schema` (on disk) and `client` (what a client was generated from).

    `fallback` locates what exists only in the client; `files` (the schema's syntax trees) refine locations.
    """
    syntax = _Syntax(files)
    drifts: list[SchemaDrift] = []
    for label, ours, theirs in (
        ("model", schema.models, client.models),
        ("view", schema.views, client.views),
        ("composite type", schema.types, client.types),
    ):
        drifts.extend(_compare_models(label, ours, theirs, fallback, syntax))
    drifts.extend(_compare_enums(schema.enums, client.enums, fallback, syntax))
    return drifts


def compare_datasource(files: Sequence[SchemaFile], client_provider: str | None) -> list[SchemaDrift]:
    """The datasource's provider in the schema against the one the client was built for: `prisma generate` bakes it
    into the client (`activeProvider`, its SQL dialect and types), so a client built for `sqlite` under a schema that
    now says `postgresql` is out of sync though every model matches (attacker's trial 13, L2)."""
    found = next(
        ((schema_file.path, block) for schema_file in files for block in schema_file.blocks_of("datasource")), None
    )
    if found is None or client_provider is None:
        return []
    path, block = found
    prop = block.property("provider")
    value = prop.value if prop is not None else None
    if not isinstance(value, StringValue) or value.value == client_provider:
        return []
    return [
        SchemaDrift(
            "datasource-provider-changed",
            f"datasource {block.name}",
            f"the datasource `{block.name}` uses provider `{value.value}` in the schema, but the generated client was "
            f"built for `{client_provider}`",
            Location(path, value.span),
        )
    ]


def _compare_models(
    label: str, ours: Sequence[Model], theirs: Sequence[Model], fallback: Location | None, syntax: _Syntax
) -> Iterator[SchemaDrift]:
    slug = label.replace(" ", "-")
    client_models = {m.name: m for m in theirs}
    schema_names = {m.name for m in ours}
    gone = [m for m in theirs if m.name not in schema_names]
    renamed_from: dict[str, Model] = {}
    for model in ours:
        if model.name in client_models:
            continue
        # A block renamed in the schema but kept on the same table (`@@map`) is one change, not two.
        previous = next((m for m in gone if _table(m) == _table(model) and label != "composite type"), None)
        if previous is not None:
            gone.remove(previous)
            renamed_from[model.name] = previous
    for model in ours:
        old = client_models.get(model.name) or renamed_from.get(model.name)
        if old is None:
            yield SchemaDrift(
                f"{slug}-added",
                model.name,
                f"{label} `{model.name}` is in the schema but not in the generated client",
                model.location,
            )
            continue
        if old.name != model.name:
            yield SchemaDrift(
                f"{slug}-renamed",
                model.name,
                f"{label} `{old.name}` was renamed to `{model.name}` (same table `{_table(model)}`), "
                f"but the generated client still calls it `{old.name}`",
                model.location,
            )
        elif model.db_name != old.db_name:
            yield SchemaDrift(
                f"{slug}-mapped",
                model.name,
                f"{label} `{model.name}` maps to table `{_table(model)}` in the schema, "
                f"but the generated client still uses `{_table(old)}`",
                syntax.block_map(model.name, model.location),
            )
        yield from _compare_fields(model, old, syntax)
    for old in gone:
        yield SchemaDrift(
            f"{slug}-removed",
            old.name,
            f"{label} `{old.name}` is still in the generated client but no longer in the schema",
            fallback,
        )


def _compare_fields(model: Model, old: Model, syntax: _Syntax) -> Iterator[SchemaDrift]:
    client_fields = {f.name: f for f in old.fields}
    schema_names = {f.name for f in model.fields}
    gone = [f for f in old.fields if f.name not in schema_names]
    renamed_from: dict[str, Field] = {}
    for current in model.fields:
        if current.name in client_fields:
            continue
        previous = next((f for f in gone if _column(f) == _column(current) and _same_type(f, current)), None)
        if previous is not None:
            gone.remove(previous)
            renamed_from[current.name] = previous
    for current in model.fields:
        subject = f"{model.name}.{current.name}"
        previous = client_fields.get(current.name)
        if previous is None and current.name in renamed_from:
            before = renamed_from[current.name]
            yield SchemaDrift(
                "field-renamed",
                subject,
                f"field `{model.name}.{before.name}` was renamed to `{current.name}` (same column "
                f"`{_column(current)}`), but the generated client still calls it `{before.name}`",
                current.location,
            )
            # The column is the same by construction; optionality or list-ness may still have changed.
            yield from (d for d in _field_changes(model.name, current, before, syntax) if d.kind != "field-mapped")
            continue
        if previous is None:
            yield SchemaDrift(
                "field-added",
                subject,
                f"field `{subject}` is in the schema but not in the generated client",
                current.location,
            )
            continue
        yield from _field_changes(model.name, current, previous, syntax)
    for previous in gone:
        subject = f"{model.name}.{previous.name}"
        yield SchemaDrift(
            "field-removed",
            subject,
            f"field `{subject}` is still in the generated client but no longer in the schema",
            model.location,
        )


def _field_changes(model: str, current: Field, previous: Field, syntax: _Syntax) -> Iterator[SchemaDrift]:
    subject = f"{model}.{current.name}"
    if not _same_type(current, previous):
        yield SchemaDrift(
            "field-type-changed",
            subject,
            f"field `{subject}` has type `{current.type}` in the schema but `{previous.type}` in the generated client",
            syntax.field_type(model, current),
        )
    shape: tuple[str, str, str] | None = None
    if current.is_list != previous.is_list:
        shape = ("field-list-changed", "a list", "a single value")
        if not current.is_list:
            shape = ("field-list-changed", "a single value", "a list")
    elif current.is_required != previous.is_required and not current.is_list:
        shape = ("field-optionality-changed", "required", "optional")
        if not current.is_required:
            shape = ("field-optionality-changed", "optional", "required")
    if shape is not None:
        kind, now, before = shape
        yield SchemaDrift(
            kind,
            subject,
            f"field `{subject}` is {now} in the schema but {before} in the generated client",
            syntax.field_type(model, current),
        )
    if current.db_name != previous.db_name:
        yield SchemaDrift(
            "field-mapped",
            subject,
            f"field `{subject}` maps to column `{_column(current)}` in the schema, "
            f"but the generated client still uses `{_column(previous)}`",
            syntax.field_map(model, current),
        )


def _compare_enums(
    ours: Sequence[Enum], theirs: Sequence[Enum], fallback: Location | None, syntax: _Syntax
) -> Iterator[SchemaDrift]:
    client_enums = {e.name: e for e in theirs}
    schema_names = {e.name for e in ours}
    for enum in ours:
        old = client_enums.get(enum.name)
        if old is None:
            yield SchemaDrift(
                "enum-added",
                enum.name,
                f"enum `{enum.name}` is in the schema but not in the generated client",
                enum.location,
            )
            continue
        if enum.db_name != old.db_name:
            yield SchemaDrift(
                "enum-mapped",
                enum.name,
                f"enum `{enum.name}` maps to `{enum.db_name or enum.name}` in the schema, "
                f"but the generated client still uses `{old.db_name or old.name}`",
                syntax.block_map(enum.name, enum.location),
            )
        yield from _compare_enum_values(enum, old)
    for old in theirs:
        if old.name not in schema_names:
            yield SchemaDrift(
                "enum-removed",
                old.name,
                f"enum `{old.name}` is still in the generated client but no longer in the schema",
                fallback,
            )


def _compare_enum_values(enum: Enum, old: Enum) -> Iterator[SchemaDrift]:
    old_values = {v.name: v for v in old.values}
    names = {v.name for v in enum.values}
    for value in enum.values:
        before = old_values.get(value.name)
        subject = f"{enum.name}.{value.name}"
        if before is None:
            yield SchemaDrift(
                "enum-value-added",
                subject,
                f"enum value `{subject}` is in the schema but not in the generated client",
                value.location,
            )
        elif before.db_name != value.db_name:
            yield SchemaDrift(
                "enum-value-mapped",
                subject,
                f"enum value `{subject}` maps to `{value.db_name or value.name}` in the schema, "
                f"but the generated client still uses `{before.db_name or before.name}`",
                value.location,
            )
    for value in old.values:
        if value.name not in names:
            subject = f"{enum.name}.{value.name}"
            yield SchemaDrift(
                "enum-value-removed",
                subject,
                f"enum value `{subject}` is still in the generated client but no longer in the schema",
                enum.location,
            )


def drift_findings(
    drifts: list[SchemaDrift], client_label: str, generator: str | None = None, once_valid: bool = False
) -> list[Finding]:
    """Findings for one client. `generator` names it in each message, for schemas with several client generators;
    `once_valid`: the schema does not validate, so the client can be regenerated only once it does."""
    which = f" of generator `{generator}`" if generator else ""
    remedy = "Regenerate the client once the schema validates." if once_valid else "Regenerate the client."
    return [
        Finding(
            code="client-out-of-sync",
            severity=Severity.ERROR,
            message=f"{_capitalized(d.description).replace('the generated client', 'the generated client' + which)}. "
            f"{remedy}",
            location=d.location,
            fixes=FIXES_FOR_DRIFT,
            data={"drift": d.kind, "subject": d.subject, "client": client_label},
        )
        for d in drifts
    ]


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _same_type(a: Field, b: Field) -> bool:
    return a.type == b.type and a.kind == b.kind


def _table(model: Model) -> str:
    return model.db_name or model.name


def _column(field: Field) -> str:
    return field.db_name or field.name
