"""The checks of meaning that the doctor's answers rest on, a small part of Prisma's own validation.

A schema can be whole as text and still be refused by Prisma. These checks cover what changes the datamodel the
doctor compares (a type that names nothing, two blocks or fields of one name, an unknown attribute that was
probably meant to be a known one, a model Prisma cannot identify rows of, a relation without its opposite field,
which `generate` refuses with P1012), and through attribute_rules.py what attributes say (defaults, field lists,
ids, native types, database names); Prisma's other rules (referential actions, preview features, most native types
of connectors other than SQLite) are left to `prisma validate`.
"""

from __future__ import annotations

from collections.abc import Iterator

from prisma_doctor.schema.attribute_rules import (
    Connector,
    Names,
    composite_type_problem,
    enum_attribute_problems,
    model_attribute_problems,
    relation_name,
    table_name_problems,
)
from prisma_doctor.schema.datamodel import SCALAR_TYPES
from prisma_doctor.schema.syntax import (
    TYPE_CHECKING,
    ArrayValue,
    Attribute,
    Block,
    ConstantValue,
    FieldDeclaration,
    SchemaFile,
    SyntaxError_,
)

if TYPE_CHECKING:  # see syntax.py: `findings` is left out of start-up
    from collections.abc import Iterable

    from prisma_doctor.findings import Span

FIELD_ATTRIBUTES = frozenset({"id", "unique", "default", "map", "relation", "updatedAt", "ignore", "shardKey"})
BLOCK_ATTRIBUTES = frozenset({"id", "unique", "index", "fulltext", "map", "ignore", "schema", "shardKey"})
ENUM_VALUE_ATTRIBUTES = frozenset({"map"})
ENUM_ATTRIBUTES = frozenset({"map", "schema"})
_TYPE_BLOCKS = ("model", "view", "enum", "type")


def validate_schema(files: Iterable[SchemaFile]) -> list[tuple[str, SyntaxError_]]:
    """Problems of meaning across every file of one schema, each with its file and range."""
    files = list(files)
    problems: list[tuple[str, SyntaxError_]] = []
    declared: dict[str, Block] = {}
    for schema_file in files:
        for block in schema_file.blocks:
            if block.kind not in _TYPE_BLOCKS:
                continue
            first = declared.get(block.name)
            if first is not None:
                problems.append(
                    _problem(
                        schema_file.path,
                        f"the {block.kind} `{block.name}` cannot be defined: a {first.kind} of that name exists",
                        block.name_span,
                    )
                )
            else:
                declared[block.name] = block
    pointing_back: dict[str, frozenset[tuple[str, str | None]]] = {}
    ambiguous_pairs: set[frozenset[str]] = set()
    connector = Connector.of(block for schema_file in files for block in schema_file.blocks)
    names = Names(declared)
    for schema_file in files:
        path = schema_file.path
        for block in schema_file.blocks:
            problems.extend((path, p) for p in _block_problems(block, declared))
            problems.extend((path, p) for p in _missing_opposites(block, declared, pointing_back))
            problems.extend((path, p) for p in _ambiguous_relations(block, declared, ambiguous_pairs))
            if block.kind in ("model", "view"):
                problems.extend((path, p) for p in model_attribute_problems(block, names, connector))
            elif block.kind == "enum":
                problems.extend((path, p) for p in enum_attribute_problems(block))
            elif (composite := composite_type_problem(block, connector)) is not None:
                problems.append((path, composite))
    problems.extend(table_name_problems((f.path, b) for f in files for b in f.blocks))
    return problems


def _problem(path: str, message: str, span: Span) -> tuple[str, SyntaxError_]:
    return path, SyntaxError_(message, span)


def _block_problems(block: Block, declared: dict[str, Block]) -> list[SyntaxError_]:
    problems: list[SyntaxError_] = []
    if block.kind == "enum":
        problems.extend(_unknown_attributes(block.attributes, ENUM_ATTRIBUTES, "@@", block.name))
        seen: set[str] = set()
        for value in block.values:
            if value.name in seen:
                problems.append(
                    SyntaxError_(f"value `{value.name}` is already defined on enum `{block.name}`", value.name_span)
                )
            seen.add(value.name)
            problems.extend(_unknown_attributes(value.attributes, ENUM_VALUE_ATTRIBUTES, "@", value.name))
        if not block.values:
            problems.append(SyntaxError_(f"enum `{block.name}` must have at least one value", block.name_span))
        return problems
    if block.kind not in ("model", "view", "type"):
        return problems
    problems.extend(_unknown_attributes(block.attributes, BLOCK_ATTRIBUTES, "@@", block.name))
    seen = set()
    for declaration in block.fields:
        if declaration.name in seen:
            problems.append(
                SyntaxError_(
                    f"field `{declaration.name}` is already defined on {block.kind} `{block.name}`",
                    declaration.name_span,
                )
            )
        seen.add(declaration.name)
        problems.extend(_unknown_attributes(declaration.attributes, FIELD_ATTRIBUTES, "@", declaration.name))
        field_type = declaration.type
        if field_type is None or field_type.unsupported is not None:
            continue
        if field_type.name not in SCALAR_TYPES and field_type.name not in declared:
            problems.append(
                SyntaxError_(
                    f"type `{field_type.name}` is neither a built-in type nor a model, view, enum or composite type",
                    field_type.span,
                )
            )
    if block.kind == "model" and block.attribute("ignore") is None and not _identifies_rows(block):
        problems.append(
            SyntaxError_(
                f"model `{block.name}` needs a unique criterion of required fields "
                "(`@id`, `@unique`, `@@id` or `@@unique`)",
                block.name_span,
            )
        )
    return problems


def _relations_to_other_models(block: Block, declared: dict[str, Block]) -> Iterator[tuple[FieldDeclaration, Block]]:
    """The fields of `block` that point at another model, neither ignored: the relations the rules below judge."""
    for declaration in block.fields:
        field_type = declaration.type
        if field_type is None or field_type.unsupported is not None or declaration.attribute("ignore") is not None:
            continue
        target = declared.get(field_type.name)
        if target is None or target.kind != "model" or target.name == block.name or target.attribute("ignore"):
            continue
        yield declaration, target


def _missing_opposites(
    block: Block, declared: dict[str, Block], pointing_back: dict[str, frozenset[tuple[str, str | None]]]
) -> list[SyntaxError_]:
    """A relation field between two models needs a field on the other model that points back, with the same
    relation name. (Self-relations and ignored models or fields are left to Prisma: their rules have exceptions.)
    `pointing_back`: each model's fields as (type, relation name), made at a model's first look (the fields of the
    model pointed at were read again for every field that points at it: a tenth of a large schema's check)."""
    if block.kind != "model" or block.attribute("ignore") is not None:
        return []
    problems: list[SyntaxError_] = []
    for declaration, target in _relations_to_other_models(block, declared):
        back = pointing_back.get(target.name)
        if back is None:
            back = pointing_back[target.name] = frozenset(
                (f.type.name, relation_name(f)) for f in target.fields if f.type is not None
            )
        if (block.name, relation_name(declaration)) not in back:
            problems.append(
                SyntaxError_(
                    f"the relation field `{declaration.name}` on model `{block.name}` is missing an opposite "
                    f"relation field on the model `{target.name}` (add one of type `{block.name}`)",
                    declaration.name_span,
                )
            )
    return problems


def _ambiguous_relations(block: Block, declared: dict[str, Block], said: set[frozenset[str]]) -> list[SyntaxError_]:
    """Two relation fields of one model that point at the same other model under one relation name (both without
    one, or both with the same) leave Prisma unable to tell which relation each is: `prisma validate` refuses the
    first such pair ("Ambiguous relation detected"). Said once for each pair of models (`said`), on the first field
    of the first model, as Prisma does; self-relations and ignored models or fields are left to Prisma (their rules
    differ)."""
    if block.kind != "model" or block.attribute("ignore") is not None:
        return []
    groups: dict[tuple[str, str | None], list[FieldDeclaration]] = {}
    for declaration, target in _relations_to_other_models(block, declared):
        groups.setdefault((target.name, relation_name(declaration)), []).append(declaration)
    problems: list[SyntaxError_] = []
    for (target, name), fields in groups.items():
        pair = frozenset((block.name, target))
        if len(fields) < 2 or pair in said:
            continue
        said.add(pair)
        both = f"`{fields[0].name}` and `{fields[1].name}`"
        how = "without a relation name" if name is None else f'under the same relation name "{name}"'
        problems.append(
            SyntaxError_(
                f"ambiguous relation: the fields {both} of model `{block.name}` both refer to `{target}` {how}: give "
                'each its own name with `@relation("...")`, the same on its opposite field',
                fields[0].name_span,
            )
        )
    return problems


def _unknown_attributes(
    attributes: tuple[Attribute, ...], known: frozenset[str], marker: str, owner: str
) -> list[SyntaxError_]:
    # `@db.VarChar` and the like are native types, checked per connector by Prisma; any namespace is let through.
    return [
        SyntaxError_(f"attribute `{marker}{a.name}` on `{owner}` is not known", a.name_span)
        for a in attributes
        if "." not in a.name and a.name not in known
    ]


def _identifies_rows(block: Block) -> bool:
    # An `@id` or `@@id` that Prisma refuses (optional, naming no field) is reported by the rules of attributes.
    if block.attribute("id") is not None or any(f.attribute("id") is not None for f in block.fields):
        return True
    required = {f.name for f in block.fields if f.type is not None and not f.type.optional and not f.type.is_list}
    for declaration in block.fields:
        if declaration.name in required and (declaration.attribute("id") or declaration.attribute("unique")):
            return True
    for attribute in block.attributes:
        if attribute.name not in ("id", "unique"):
            continue
        columns = attribute.argument("fields")
        if isinstance(columns, ArrayValue):
            names = [_column_name(item) for item in columns.items]
            if names and all(name in required for name in names):
                return True
    return False


def _column_name(item: object) -> str | None:
    if isinstance(item, ConstantValue):
        return item.text
    name = getattr(item, "name", None)  # `a(sort: Desc)`, `a(length: 10)`
    return name if isinstance(name, str) else None
