"""The syntax tree of a Prisma schema file: what was written, where, and nothing inferred."""

from __future__ import annotations

from dataclasses import dataclass, field

from prisma_doctor.findings import Span

BLOCK_KINDS = frozenset({"model", "view", "enum", "type", "datasource", "generator"})


@dataclass(frozen=True, slots=True)
class StringValue:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class ConstantValue:
    """A bare word or number: `true`, `Desc`, `42`, `cuid`, a field name in `fields: [id]`."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class ArrayValue:
    items: tuple[Expression, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class FunctionValue:
    """`now()`, `env("DATABASE_URL")`, `dbgenerated("...")`, and `a(sort: Desc)` inside index lists."""

    name: str
    arguments: tuple[Argument, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectMember:
    key: str
    value: Expression
    span: Span


@dataclass(frozen=True, slots=True)
class ObjectValue:
    """`{published: {not: false}}`, as in the `where` argument of a partial index."""

    members: tuple[ObjectMember, ...]
    span: Span

    def member(self, key: str) -> Expression | None:
        return next((m.value for m in self.members if m.key == key), None)


Expression = StringValue | ConstantValue | ArrayValue | FunctionValue | ObjectValue


@dataclass(frozen=True, slots=True)
class Argument:
    name: str | None
    value: Expression
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute:
    """`@id`, `@db.VarChar(255)`, `@@index([a, b])`; `name` has no `@` and keeps its namespace (`db.VarChar`)."""

    name: str
    is_block: bool
    arguments: tuple[Argument, ...]
    span: Span
    name_span: Span

    def argument(self, name: str, position: int | None = 0) -> Expression | None:
        """The named argument, else the positional one at `position` (Prisma's first argument is unnamed)."""
        for arg in self.arguments:
            if arg.name == name:
                return arg.value
        if position is not None:
            positional = [arg for arg in self.arguments if arg.name is None]
            if len(positional) > position:
                return positional[position].value
        return None

    def string_argument(self, name: str, position: int | None = 0) -> str | None:
        value = self.argument(name, position)
        return value.value if isinstance(value, StringValue) else None


@dataclass(frozen=True, slots=True)
class FieldType:
    name: str
    span: Span
    optional: bool = False
    is_list: bool = False
    # For `Unsupported("circle")`: the database type in quotes.
    unsupported: str | None = None


class _Attributed:
    """What declarations that carry attributes share: finding one by name (`map`, `relation`, `@@map`...)."""

    __slots__ = ()
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True, slots=True)
class FieldDeclaration(_Attributed):
    """A field; `documentation` joins the `///` lines above it and a trailing `///` on its own line."""

    name: str
    name_span: Span
    type: FieldType | None
    attributes: tuple[Attribute, ...]
    span: Span
    documentation: str | None = None


@dataclass(frozen=True, slots=True)
class EnumValueDeclaration(_Attributed):
    name: str
    name_span: Span
    attributes: tuple[Attribute, ...]
    span: Span
    documentation: str | None = None


@dataclass(frozen=True, slots=True)
class ConfigProperty:
    key: str
    key_span: Span
    value: Expression | None
    span: Span


@dataclass(frozen=True, slots=True)
class Block(_Attributed):
    kind: str
    name: str
    name_span: Span
    span: Span
    keyword_span: Span
    fields: tuple[FieldDeclaration, ...] = ()
    values: tuple[EnumValueDeclaration, ...] = ()
    properties: tuple[ConfigProperty, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    documentation: str | None = None

    def property(self, key: str) -> ConfigProperty | None:
        return next((p for p in self.properties if p.key == key), None)


@dataclass(frozen=True, slots=True)
class SyntaxError_:
    """A problem in the text, with the range it concerns. Named so as not to shadow Python's SyntaxError."""

    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class SchemaFile:
    path: str
    blocks: tuple[Block, ...]
    errors: tuple[SyntaxError_, ...] = ()
    # The text as read, kept so that adapters can map ranges back without reading the file again.
    text: str = field(default="", repr=False)

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]
