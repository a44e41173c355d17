"""Differences between the schema's datamodel and a generated client's, as findings on the schema.

Each difference is reported as a person would say it ("field `User.nickname` is in the schema but not in the
client"), located on the schema element it concerns; what the client has and the schema lost is located on the
enclosing model (or, for a whole model, on the generator block that produced the client).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prisma_doctor.findings import Finding, Location, Severity
from prisma_doctor.schema.datamodel import Datamodel, Enum, Field, Model

FIXES_FOR_DRIFT = ("regenerate", "full-reset")


@dataclass(frozen=True)
class SchemaDrift:
    """One difference. `subject` names it (`User`, `User.email`, `Role.ADMIN`)."""

    kind: str  # e.g. "model-added", "field-removed", "field-changed"
    subject: str
    description: str
    location: Location | None


def compare(schema: Datamodel, client: Datamodel, fallback: Location | None) -> list[SchemaDrift]:
    return list(_compare(schema, client, fallback))


def _compare(schema: Datamodel, client: Datamodel, fallback: Location | None) -> Iterator[SchemaDrift]:
    for label, ours, theirs in (
        ("model", schema.models, client.models),
        ("view", schema.views, client.views),
        ("composite type", schema.types, client.types),
    ):
        yield from _compare_models(label, ours, theirs, fallback)
    yield from _compare_enums(schema.enums, client.enums, fallback)


def _compare_models(
    label: str, ours: tuple[Model, ...], theirs: tuple[Model, ...], fallback: Location | None
) -> Iterator[SchemaDrift]:
    client_models = {m.name: m for m in theirs}
    schema_names = {m.name for m in ours}
    for model in ours:
        old = client_models.get(model.name)
        if old is None:
            yield SchemaDrift(
                f"{_slug(label)}-added",
                model.name,
                f"{label} `{model.name}` is in the schema but not in the generated client",
                model.location,
            )
            continue
        if model.db_name != old.db_name:
            yield SchemaDrift(
                f"{_slug(label)}-mapped",
                model.name,
                f"{label} `{model.name}` maps to table {_table(model)} in the schema "
                f"but to {_table(old)} in the generated client",
                model.location,
            )
        yield from _compare_fields(model, old)
    for old in theirs:
        if old.name not in schema_names:
            yield SchemaDrift(
                f"{_slug(label)}-removed",
                old.name,
                f"{label} `{old.name}` is still in the generated client but no longer in the schema",
                fallback,
            )


def _compare_fields(model: Model, old: Model) -> Iterator[SchemaDrift]:
    client_fields = {f.name: f for f in old.fields}
    schema_fields = {f.name for f in model.fields}
    for current in model.fields:
        previous = client_fields.get(current.name)
        subject = f"{model.name}.{current.name}"
        if previous is None:
            yield SchemaDrift(
                "field-added",
                subject,
                f"field `{subject}` is in the schema but not in the generated client",
                current.location,
            )
            continue
        changes = _field_changes(current, previous)
        if changes:
            yield SchemaDrift(
                "field-changed",
                subject,
                f"field `{subject}` differs from the generated client: {'; '.join(changes)}",
                current.location,
            )
    for previous in old.fields:
        if previous.name not in schema_fields:
            subject = f"{model.name}.{previous.name}"
            yield SchemaDrift(
                "field-removed",
                subject,
                f"field `{subject}` is still in the generated client but no longer in the schema",
                model.location,
            )


def _field_changes(current: Field, previous: Field) -> list[str]:
    changes: list[str] = []
    if current.type != previous.type or current.kind != previous.kind:
        changes.append(f"type {previous.type} → {current.type}")
    if current.is_list != previous.is_list:
        changes.append("now a list" if current.is_list else "no longer a list")
    elif current.is_required != previous.is_required and not current.is_list:
        changes.append("now required" if current.is_required else "now optional")
    if current.db_name != previous.db_name:
        changes.append(f"column {_column(previous)} → {_column(current)}")
    return changes


def _compare_enums(
    ours: tuple[Enum, ...], theirs: tuple[Enum, ...], fallback: Location | None
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
                f"enum `{enum.name}` maps to {enum.db_name or enum.name} in the schema but to "
                f"{old.db_name or old.name} in the generated client",
                enum.location,
            )
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
                    f"enum value `{subject}` maps to {value.db_name or value.name} in the schema but to "
                    f"{before.db_name or before.name} in the generated client",
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
    for old in theirs:
        if old.name not in schema_names:
            yield SchemaDrift(
                "enum-removed",
                old.name,
                f"enum `{old.name}` is still in the generated client but no longer in the schema",
                fallback,
            )


def drift_findings(drifts: list[SchemaDrift], client_label: str) -> list[Finding]:
    return [
        Finding(
            code="client-out-of-sync",
            severity=Severity.ERROR,
            message=f"{_capitalized(d.description)} ({client_label}). Regenerate the client.",
            location=d.location,
            fixes=FIXES_FOR_DRIFT,
            data={"drift": d.kind, "subject": d.subject, "client": client_label},
        )
        for d in drifts
    ]


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _slug(label: str) -> str:
    return label.replace(" ", "-")


def _table(model: Model) -> str:
    return f"`{model.db_name or model.name}`"


def _column(field: Field) -> str:
    return f"`{field.db_name or field.name}`"
