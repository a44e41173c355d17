"""Prisma's rules for what attributes say, checked as `prisma validate` checks them (P1012): a default of the
field's type, index, id and relation field lists that name fields which exist, relations on unique criteria, one id
per model, an attribute written once, native types of the datasource's connector, and database names that do not
collide.

Each rule is one pass over a block's fields or attributes (the language server runs them on every keystroke), and
each is held to the real CLI's answer by tests/test_schema_validate_prisma.py. Where Prisma's rule has exceptions
this module does not know (list defaults, composite field paths, other connectors' native types), it says nothing:
a false rejection would hide every other finding behind `schema-invalid`.
"""

from __future__ import annotations

import re

from prisma_doctor.schema.datamodel import SCALAR_TYPES
from prisma_doctor.schema.syntax import (
    TYPE_CHECKING,
    ArrayValue,
    Attribute,
    Block,
    ConstantValue,
    FieldDeclaration,
    FunctionValue,
    StringValue,
    SyntaxError_,
)

if TYPE_CHECKING:  # see syntax.py: `findings` is left out of start-up
    from collections.abc import Iterable

    from prisma_doctor.schema.syntax import Expression

_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# Field and block attributes Prisma accepts more than once; any other written twice is refused.
_REPEATABLE_BLOCK_ATTRIBUTES = frozenset({"index", "unique", "fulltext"})
# The default functions bound to one kind of field, by the types that accept them.
_FUNCTION_TYPES = {
    "autoincrement": ("Int", "BigInt"),
    "now": ("DateTime",),
    "uuid": ("String",),
    "cuid": ("String",),
    "nanoid": ("String",),
    "ulid": ("String",),
}
# The native types (`@db.X`) of the connectors whose lists are known here; another connector's are let through.
NATIVE_TYPES: dict[str, frozenset[str]] = {
    "sqlite": frozenset(),
    "postgresql": frozenset(
        [
            "SmallInt",
            "Integer",
            "BigInt",
            "Decimal",
            "Money",
            "Inet",
            "Oid",
            "Citext",
            "Real",
            "DoublePrecision",
            "VarChar",
            "Char",
            "Text",
            "ByteA",
            "Timestamp",
            "Timestamptz",
            "Date",
            "Time",
            "Timetz",
            "Boolean",
            "Bit",
            "VarBit",
            "Uuid",
            "Xml",
            "Json",
            "JsonB",
        ]
    ),
    "mysql": frozenset(
        [
            "Int",
            "UnsignedInt",
            "SmallInt",
            "UnsignedSmallInt",
            "TinyInt",
            "UnsignedTinyInt",
            "MediumInt",
            "UnsignedMediumInt",
            "BigInt",
            "UnsignedBigInt",
            "Decimal",
            "Float",
            "Double",
            "Bit",
            "Char",
            "VarChar",
            "Binary",
            "VarBinary",
            "TinyBlob",
            "Blob",
            "MediumBlob",
            "LongBlob",
            "TinyText",
            "Text",
            "MediumText",
            "LongText",
            "Date",
            "Time",
            "DateTime",
            "Timestamp",
            "Year",
            "Json",
        ]
    ),
}
# How Prisma names each kind of field list in its messages.
_LIST_NAMES = {"index": "index definition", "unique": "unique index definition", "fulltext": "fulltext index"}


class Connector:
    """The datasource's name (the namespace of native types, `@db.VarChar`) and provider, when one is written."""

    __slots__ = ("name", "provider")

    def __init__(self, name: str | None, provider: str | None) -> None:
        self.name = name
        self.provider = provider

    @classmethod
    def of(cls, blocks: Iterable[Block]) -> Connector:
        for block in blocks:
            if block.kind == "datasource":
                provider = block.property("provider")
                value = provider.value if provider is not None else None
                return cls(block.name, value.value if isinstance(value, StringValue) else None)
        return cls(None, None)


class Names:
    """The blocks by name, and each block's member names (its fields, or an enum's values) made at its first look:
    a rule that reads another block (a relation's `references`, an enum default) costs one look per block, not one
    per field that points at it, which keeps the rules linear in the schema's size."""

    __slots__ = ("_criteria", "_members", "_relations", "declared")

    def __init__(self, declared: dict[str, Block]) -> None:
        self.declared = declared
        self._members: dict[str, frozenset[str]] = {}
        self._criteria: dict[str, frozenset[frozenset[str]]] = {}
        self._relations: dict[str, dict[tuple[str, str | None], bool]] = {}

    def unique_criteria(self, block: Block) -> frozenset[frozenset[str]]:
        """The sets of fields that identify a row of the model `block`: `@id`, `@unique`, `@@id`, `@@unique`."""
        found = self._criteria.get(block.name)
        if found is None:
            criteria = [
                frozenset((f.name,))
                for f in block.fields
                if f.attribute("id") is not None or f.attribute("unique") is not None
            ]
            for attribute in block.attributes:
                if attribute.name in ("id", "unique"):
                    criteria.append(frozenset(name for name, _ in _names(attribute.argument("fields"))))
            found = self._criteria[block.name] = frozenset(criteria)
        return found

    def single_relations(self, block: Block) -> dict[tuple[str, str | None], bool]:
        """Per (type, relation name) of the fields of `block`, whether the first such field is a single one (not a
        list): the opposite side of a relation, found without reading the block again."""
        found = self._relations.get(block.name)
        if found is None:
            found = self._relations[block.name] = {}
            for field in block.fields:
                if field.type is not None:
                    found.setdefault((field.type.name, relation_name(field)), not field.type.is_list)
        return found

    def members(self, block: Block) -> frozenset[str]:
        found = self._members.get(block.name)
        if found is None:
            found = self._members[block.name] = frozenset(
                [v.name for v in block.values] if block.kind == "enum" else [f.name for f in block.fields]
            )
        return found


def model_attribute_problems(block: Block, names: Names, connector: Connector) -> list[SyntaxError_]:
    """What Prisma refuses in the attributes of the model or view `block`."""
    declared = names.declared
    problems: list[SyntaxError_] = []
    fields = {f.name: f for f in block.fields}
    field_ids: list[Attribute] = []
    mapped: list[tuple[FieldDeclaration, Attribute]] = []
    known = NATIVE_TYPES.get(connector.provider or "")
    native = f"{connector.name}." if known is not None else None
    known = known or frozenset()
    for declaration in block.fields:
        _once_each(declaration.attributes, frozenset(), problems)
        for attribute in declaration.attributes:
            name = attribute.name
            if name == "map":
                mapped.append((declaration, attribute))
            elif name == "default":
                _default_problems(declaration, attribute, names, problems)
            elif name == "id":
                field_ids.append(attribute)
                if declaration.type is not None and (declaration.type.optional or declaration.type.is_list):
                    problems.append(
                        SyntaxError_(
                            f"`@id` on `{declaration.name}`: fields that are marked as id must be required",
                            attribute.name_span,
                        )
                    )
            elif name == "updatedAt":
                if declaration.type is not None and declaration.type.name != "DateTime":
                    problems.append(
                        SyntaxError_(
                            f"`@updatedAt` on `{declaration.name}`: fields that are marked with @updatedAt must be "
                            "of type DateTime",
                            attribute.name_span,
                        )
                    )
            elif name == "relation":
                _relation_problems(block, attribute, fields, names, declaration, problems)
            elif native is not None and name.startswith(native) and name[len(native) :] not in known:
                problems.append(
                    SyntaxError_(
                        f"native type {name[len(native) :]} on `{declaration.name}` is not supported for "
                        f"{connector.provider} connector",
                        attribute.name_span,
                    )
                )
    _once_each(block.attributes, _REPEATABLE_BLOCK_ATTRIBUTES, problems)
    for attribute in block.attributes:
        if attribute.name in ("index", "unique", "fulltext", "id"):
            _field_list_problems(block, attribute, fields, declared, problems)
        if attribute.name == "id" and field_ids:
            problems.append(
                SyntaxError_(
                    f"model `{block.name}` has `@@id` and an `@id` field: each model must have at most one id criteria",
                    attribute.name_span,
                )
            )
    for attribute in field_ids[1:]:
        problems.append(
            SyntaxError_(
                f"model `{block.name}` has a second `@id` field: at most one field must be marked as the id field "
                "with the `@id` attribute",
                attribute.name_span,
            )
        )
    if mapped:
        _column_name_problems(block, mapped, declared, problems)
    return problems


def enum_attribute_problems(block: Block) -> list[SyntaxError_]:
    problems: list[SyntaxError_] = []
    _once_each(block.attributes, frozenset(), problems)
    for value in block.values:
        _once_each(value.attributes, frozenset(), problems)
    return problems


def _once_each(attributes: tuple[Attribute, ...], repeatable: frozenset[str], problems: list[SyntaxError_]) -> None:
    if len(attributes) < 2:
        return
    seen: set[str] = set()
    for attribute in attributes:
        name = attribute.name
        if name in seen and name not in repeatable and "." not in name:
            marker = "@@" if attribute.is_block else "@"
            problems.append(SyntaxError_(f'attribute "{marker}{name}" can only be defined once', attribute.name_span))
        seen.add(name)


def _default_problems(
    declaration: FieldDeclaration, attribute: Attribute, names: Names, problems: list[SyntaxError_]
) -> None:
    field_type = declaration.type
    value = attribute.argument("value")
    if field_type is None or field_type.is_list or field_type.unsupported is not None or value is None:
        return
    type_name = field_type.name
    message: str | None = None
    if isinstance(value, FunctionValue):
        accepted = _FUNCTION_TYPES.get(value.name)
        if accepted is not None and type_name not in accepted and type_name in SCALAR_TYPES:
            message = f"the function `{value.name}()` cannot be used on fields of type `{type_name}`"
    elif type_name in _SCALARS:
        shown = _shown(value)
        if shown is not None and not _fits(type_name, value):
            message = f"expected a {type_name} value, but found `{shown}`"
            if type_name in ("Int", "BigInt") and _NUMBER.fullmatch(shown):
                message = f"`{shown}` is not a valid integer"  # (as Prisma says it)
    else:
        enum = names.declared.get(type_name)
        if (
            enum is not None
            and enum.kind == "enum"
            and isinstance(value, ConstantValue)
            and value.text not in names.members(enum)
        ):
            message = f"the default value `{value.text}` is not a value of the enum `{type_name}`"
    if message is not None:
        problems.append(SyntaxError_(f"`@default` of `{declaration.name}`: {message}", value.span))


# The scalar types whose literal defaults are checked here (Decimal, DateTime, Json and Bytes take strings of their
# own formats, which Prisma parses; they are left to it).
_SCALARS = frozenset({"String", "Boolean", "Int", "BigInt", "Float"})


def _shown(value: Expression) -> str | None:
    if isinstance(value, StringValue):
        return '"' + value.value + '"'
    if isinstance(value, ConstantValue):
        return value.text
    return None


def _fits(type_name: str, value: Expression) -> bool:
    if isinstance(value, StringValue):
        return type_name == "String"
    assert isinstance(value, ConstantValue)
    if type_name == "Boolean":
        return value.text in ("true", "false")
    if type_name == "String":
        return False
    if type_name in ("Int", "BigInt"):
        return _NUMBER.fullmatch(value.text) is not None and "." not in value.text
    return _NUMBER.fullmatch(value.text) is not None


def _names(value: Expression | None) -> list[tuple[str, Expression]]:
    """The field names of a list argument, `[a, b(sort: Desc)]`, each with where it was written."""
    if not isinstance(value, ArrayValue):
        return []
    found: list[tuple[str, Expression]] = []
    for item in value.items:
        if isinstance(item, ConstantValue):
            found.append((item.text, item))
        elif isinstance(item, FunctionValue):
            found.append((item.name, item))
    return found


def _field_list_problems(
    block: Block,
    attribute: Attribute,
    fields: dict[str, FieldDeclaration],
    declared: dict[str, Block],
    problems: list[SyntaxError_],
) -> None:
    what = _LIST_NAMES.get(attribute.name, "multi field id declaration")
    for name, item in _names(attribute.argument("fields")):
        if "." in name:  # a composite type's field (MongoDB): its own rules
            continue
        declaration = fields.get(name)
        if declaration is None:
            problems.append(
                SyntaxError_(
                    f"model `{block.name}`: the {what} refers to the unknown field `{name}`",
                    item.span,
                )
            )
        elif _is_relation(declaration, declared):
            problems.append(
                SyntaxError_(
                    f"model `{block.name}`: the {what} refers to the relation field `{name}`; it must reference only "
                    "scalar fields",
                    item.span,
                )
            )


def _is_relation(declaration: FieldDeclaration, declared: dict[str, Block]) -> bool:
    target = declaration.type and declared.get(declaration.type.name)
    return target is not None and target.kind in ("model", "view")


def _relation_problems(
    block: Block,
    attribute: Attribute,
    fields: dict[str, FieldDeclaration],
    names: Names,
    declaration: FieldDeclaration,
    problems: list[SyntaxError_],
) -> None:
    said = len(problems)
    local = attribute.argument("fields", None)
    local_names = _names(local)
    for name, item in local_names:
        if name not in fields:
            problems.append(
                SyntaxError_(
                    f"`@relation` of `{declaration.name}`: the argument `fields` must refer only to existing fields; "
                    f"`{name}` does not exist in model `{block.name}`",
                    item.span,
                )
            )
    target = names.declared.get(declaration.type.name) if declaration.type is not None else None
    if target is None or target.kind not in ("model", "view"):
        return
    remote = attribute.argument("references", None)
    remote_names = _names(remote)
    for name, item in remote_names:
        if name not in names.members(target):
            problems.append(
                SyntaxError_(
                    f"`@relation` of `{declaration.name}`: the argument `references` must refer only to existing "
                    f"fields in the related model `{target.name}`; `{name}` does not exist there",
                    item.span,
                )
            )
    if len(problems) > said or not isinstance(local, ArrayValue) or not isinstance(remote, ArrayValue):
        return
    if len(local_names) != len(remote_names):
        problems.append(
            SyntaxError_(
                f"`@relation` of `{declaration.name}`: you must specify the same number of fields in `fields` and "
                "`references`",
                remote.span,
            )
        )
        return
    # Prisma wants the very criterion (`references: [id, k]` is refused beside `id @id`), in any order here.
    if frozenset(n for n, _ in remote_names) not in names.unique_criteria(target):
        problems.append(
            SyntaxError_(
                f"`@relation` of `{declaration.name}`: the argument `references` must refer to a unique criterion in "
                f"the related model `{target.name}` (an `@id`, `@unique`, `@@id` or `@@unique` of these fields)",
                remote.span,
            )
        )
    elif (
        declaration.type is not None
        and not declaration.type.is_list
        and target is not block
        and _one_to_one(block, declaration, target, names)
        and not any(criterion <= {n for n, _ in local_names} for criterion in names.unique_criteria(block))
    ):
        problems.append(
            SyntaxError_(
                f"`@relation` of `{declaration.name}`: a one-to-one relation must use unique fields on the defining "
                "side; add `@unique` to its fields, or make the relation one-to-many",
                local.span,
            )
        )


def _one_to_one(block: Block, declaration: FieldDeclaration, target: Block, names: Names) -> bool:
    """Whether the opposite field of `declaration` (on `target`, of the same relation name) is a single one."""
    return names.single_relations(target).get((block.name, relation_name(declaration)), False)


def relation_name(declaration: FieldDeclaration) -> str | None:
    relation = declaration.attribute("relation")
    return relation.string_argument("name") if relation is not None else None


def _column_name_problems(
    block: Block,
    mapped: list[tuple[FieldDeclaration, Attribute]],
    declared: dict[str, Block],
    problems: list[SyntaxError_],
) -> None:
    """A field's `@map` naming a column that another field of the model has already. (Only a model with a `@map`
    on a field is read for it: most have none.)"""
    renamed: dict[str, StringValue] = {}
    for declaration, attribute in mapped:
        value = attribute.argument("name")
        if isinstance(value, StringValue) and not _is_relation(declaration, declared):
            renamed.setdefault(declaration.name, value)
    columns: dict[str, str] = {}
    for declaration in block.fields:
        if declaration.name not in renamed and declaration.type is not None and not _is_relation(declaration, declared):
            columns.setdefault(declaration.name, declaration.name)
    for name, value in renamed.items():
        other = columns.get(value.value)
        if other is not None:
            problems.append(
                SyntaxError_(
                    f"field `{name}` on model `{block.name}` is mapped to the column `{value.value}`, "
                    f"which the field `{other}` has already",
                    value.span,
                )
            )
        else:
            columns[value.value] = name


def table_name_problems(blocks: Iterable[tuple[str, Block]]) -> list[tuple[str, SyntaxError_]]:
    """Models and views of every file whose database names (`@@map`, else the name, within one `@@schema`) collide:
    the block that comes second is the one reported, with its file."""
    problems: list[tuple[str, SyntaxError_]] = []
    tables: dict[tuple[str | None, str], str] = {}
    for path, block in blocks:
        if block.kind not in ("model", "view"):
            continue
        mapped = block.attribute("map")
        value = mapped.argument("name") if mapped is not None else None
        name = value.value if isinstance(value, StringValue) else block.name
        schema = block.attribute("schema")
        key = (schema.string_argument("name") if schema is not None else None, name)
        first = tables.get(key)
        if first is None:
            tables[key] = block.name
        elif first != block.name:  # (two blocks of one name are reported as such)
            problems.append(
                (
                    path,
                    SyntaxError_(
                        f'the {block.kind} `{block.name}` with database name "{name}" could not be defined because '
                        f"another model or view with this name exists: `{first}`",
                        value.span if isinstance(value, StringValue) else block.name_span,
                    ),
                )
            )
    return problems


def composite_type_problem(block: Block, connector: Connector) -> SyntaxError_ | None:
    """Composite types (`type T {}`) exist for MongoDB only."""
    if block.kind != "type" or connector.provider is None or connector.provider == "mongodb":
        return None
    return SyntaxError_(
        f"the composite type `{block.name}`: composite types are not supported on {connector.provider}",
        block.name_span,
    )
