"""The syntax tree of a Prisma schema file: what was written, where, and nothing inferred.

Reading a schema is on the hot path of `check` and of the language server on every keystroke, so the nodes are
plain slotted classes rather than dataclasses (cheaper to build and to import), and they keep offsets into the text
rather than ranges: a range (`span`, `name_span`...) is computed when it is asked for, which for most nodes is
never. The nodes behave as frozen dataclasses otherwise: equal when their fields are equal, hashable, and with a
readable `repr`. `FIELDS` of each class names its fields in order, ranges included (for code that walks the tree).
`moved(by)` of a value, an argument or an attribute is the same node `by` characters further on in the same text:
the parser builds a line's attributes that way when an earlier line had the very same (common_lines.py).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right

# `typing` and `findings` (with `dataclasses`, `inspect`, `enum`) are a fifth of `prisma-doctor schema`'s start-up:
# this module needs them only for annotations, and `Position` and `Span` once a range is first asked for.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, TypeVar

    from prisma_doctor.findings import Position, Span

    _Movable = TypeVar("_Movable", "Expression", "Argument", "Attribute", "ObjectMember")

BLOCK_KINDS = frozenset({"model", "view", "enum", "type", "datasource", "generator"})

_LINE_BREAK = re.compile(r"\r\n|\n|\r")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class LineIndex:
    """Offsets in one text to LSP positions: zero-based lines, columns in UTF-16 code units.

    One index is shared by every node of a parse and built on the first range asked for. Characters outside the
    Basic Multilingual Plane (emoji, rare CJK) count twice in UTF-16; their offsets are found once, so that a
    column costs two binary searches however long its line (a one-line file of garbage must not take quadratic
    time).
    """

    __slots__ = ("_astral", "_cache", "_line_starts", "_new_position", "_new_span", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: array[int] | None = None
        self._astral: list[int] = []
        # Many ranges share an offset (a field and its name, an attribute and its `@`): build each position once.
        self._cache: dict[int, Position] = {}

    def _build(self) -> array[int]:
        from prisma_doctor.findings import Position, Span  # late: see the imports above

        self._new_position, self._new_span = Position, Span
        text = self.text
        # An array of machine integers, not a list of int objects: 8 bytes a line rather than 36, which on a file of
        # millions of short lines (garbage) is the largest thing a parse keeps.
        starts = array("q", [0])
        if "\r" in text:
            starts.extend(match.end() for match in _LINE_BREAK.finditer(text))
        else:
            find = text.find
            at = find("\n")
            while at >= 0:
                starts.append(at + 1)
                at = find("\n", at + 1)
        if not text.isascii():
            self._astral = [match.start() for match in _ASTRAL.finditer(text)]
        self._line_starts = starts
        return starts

    def position(self, offset: int) -> Position:
        cached = self._cache.get(offset)
        if cached is not None:
            return cached
        line_starts = self._line_starts if self._line_starts is not None else self._build()
        line = bisect_right(line_starts, offset) - 1
        start = line_starts[line]
        column = offset - start
        if self._astral:
            column += bisect_left(self._astral, offset) - bisect_left(self._astral, start)
        position = self._cache[offset] = self._new_position(line, column)
        return position

    def span(self, start: int, end: int) -> Span:
        start_position = self.position(start)  # first: it makes the index, and with it `_new_span`
        return self._new_span(start_position, self.position(end))


class Record:
    """Equality, hashing and `repr` from `FIELDS`, as a frozen dataclass would have them (without its import cost)."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.FIELDS)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Record):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({shown})"


class _Ranged(Record):
    """A node with a range (`span`): offsets into the text, made into a range on demand by the text's `LineIndex`.

    The offsets are slots of their own rather than a tuple: a large schema has some ten thousand nodes, and each
    tuple would be one more object to allocate, for the garbage collector to walk, and to free.
    """

    __slots__ = ("_end", "_lines", "_start")
    _start: int
    _end: int
    _lines: LineIndex

    @property
    def span(self) -> Span:
        return self._lines.span(self._start, self._end)

    def _span_to(self, end: int) -> Span:
        """From the node's start to `end` (for the ranges of names: `name_span`, `key_span`)."""
        return self._lines.span(self._start, end)


class StringValue(_Ranged):
    __slots__ = ("value",)
    FIELDS = ("value", "span")

    def __init__(self, value: str, start: int, end: int, lines: LineIndex) -> None:
        self.value = value
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> StringValue:
        return StringValue(self.value, self._start + by, self._end + by, self._lines)


class ConstantValue(_Ranged):
    """A bare word or number: `true`, `Desc`, `42`, `cuid`, a field name in `fields: [id]`."""

    __slots__ = ("text",)
    FIELDS = ("text", "span")

    def __init__(self, text: str, start: int, end: int, lines: LineIndex) -> None:
        self.text = text
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> ConstantValue:
        return ConstantValue(self.text, self._start + by, self._end + by, self._lines)


class ArrayValue(_Ranged):
    __slots__ = ("items",)
    FIELDS = ("items", "span")

    def __init__(self, items: tuple[Expression, ...], start: int, end: int, lines: LineIndex) -> None:
        self.items = items
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> ArrayValue:
        items = each_moved(self.items, by)
        return ArrayValue(items, self._start + by, self._end + by, self._lines)


class FunctionValue(_Ranged):
    """`now()`, `env("DATABASE_URL")`, `dbgenerated("...")`, and `a(sort: Desc)` inside index lists."""

    __slots__ = ("arguments", "name")
    FIELDS = ("name", "arguments", "span")

    def __init__(self, name: str, arguments: tuple[Argument, ...], start: int, end: int, lines: LineIndex) -> None:
        self.name = name
        self.arguments = arguments
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> FunctionValue:
        arguments = each_moved(self.arguments, by) if self.arguments else ()
        return FunctionValue(self.name, arguments, self._start + by, self._end + by, self._lines)


class ObjectMember(_Ranged):
    __slots__ = ("key", "value")
    FIELDS = ("key", "value", "span")

    def __init__(self, key: str, value: Expression, start: int, end: int, lines: LineIndex) -> None:
        self.key = key
        self.value = value
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> ObjectMember:
        return ObjectMember(self.key, self.value.moved(by), self._start + by, self._end + by, self._lines)


class ObjectValue(_Ranged):
    """`{published: {not: false}}`, as in the `where` argument of a partial index."""

    __slots__ = ("members",)
    FIELDS = ("members", "span")

    def __init__(self, members: tuple[ObjectMember, ...], start: int, end: int, lines: LineIndex) -> None:
        self.members = members
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> ObjectValue:
        members = each_moved(self.members, by)
        return ObjectValue(members, self._start + by, self._end + by, self._lines)

    def member(self, key: str) -> Expression | None:
        return next((m.value for m in self.members if m.key == key), None)


Expression = StringValue | ConstantValue | ArrayValue | FunctionValue | ObjectValue


class Argument(_Ranged):
    __slots__ = ("name", "value")
    FIELDS = ("name", "value", "span")

    def __init__(self, name: str | None, value: Expression, start: int, end: int, lines: LineIndex) -> None:
        self.name = name
        self.value = value
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> Argument:
        return Argument(self.name, self.value.moved(by), self._start + by, self._end + by, self._lines)


class _Named(_Ranged):
    """A node whose name starts its range (an attribute from its `@`): `name_span` runs to `_name_end`."""

    __slots__ = ("_name_end", "name")

    @property
    def name_span(self) -> Span:
        return self._span_to(self._name_end)


class Attribute(_Named):
    """`@id`, `@db.VarChar(255)`, `@@index([a, b])`; `name` has no `@` and keeps its namespace (`db.VarChar`)."""

    __slots__ = ("arguments", "is_block")
    FIELDS = ("name", "is_block", "arguments", "span", "name_span")

    def __init__(
        self,
        name: str,
        is_block: bool,
        arguments: tuple[Argument, ...],
        name_end: int,
        start: int,
        end: int,
        lines: LineIndex,
    ) -> None:
        self.name = name
        self.is_block = is_block
        self.arguments = arguments
        self._name_end = name_end
        self._start, self._end, self._lines = start, end, lines

    def moved(self, by: int) -> Attribute:
        arguments = each_moved(self.arguments, by) if self.arguments else ()
        start, end, name_end = self._start + by, self._end + by, self._name_end + by
        return Attribute(self.name, self.is_block, arguments, name_end, start, end, self._lines)

    def argument(self, name: str, position: int | None = 0) -> Expression | None:
        """The named argument, else the positional one at `position` (Prisma's first argument is unnamed)."""
        found: Expression | None = None
        seen = 0
        for arg in self.arguments:
            if arg.name == name:
                return arg.value
            if arg.name is None and found is None and position is not None:
                if seen == position:
                    found = arg.value
                seen += 1
        return found

    def string_argument(self, name: str, position: int | None = 0) -> str | None:
        value = self.argument(name, position)
        return value.value if isinstance(value, StringValue) else None


class FieldType(_Ranged):
    # For `Unsupported("circle")`, `unsupported` is the database type in quotes.
    __slots__ = ("is_list", "name", "optional", "unsupported")
    FIELDS = ("name", "span", "optional", "is_list", "unsupported")

    def __init__(
        self, name: str, optional: bool, is_list: bool, unsupported: str | None, start: int, end: int, lines: LineIndex
    ) -> None:
        self.name = name
        self.optional = optional
        self.is_list = is_list
        self.unsupported = unsupported
        self._start, self._end, self._lines = start, end, lines


class _Attributed(_Named):
    """A declaration that carries attributes: finding one by name (`map`, `relation`, `@@map`...)."""

    __slots__ = ("attributes", "documentation")
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None


class FieldDeclaration(_Attributed):
    """A field; `documentation` joins the `///` lines above it and a trailing `///` on its own line."""

    __slots__ = ("type",)
    FIELDS = ("name", "name_span", "type", "attributes", "span", "documentation")

    def __init__(
        self,
        name: str,
        type: FieldType | None,
        attributes: tuple[Attribute, ...],
        documentation: str | None,
        name_end: int,
        start: int,
        end: int,
        lines: LineIndex,
    ) -> None:
        self.name = name
        self.type = type
        self.attributes = attributes
        self.documentation = documentation
        self._name_end = name_end
        self._start, self._end, self._lines = start, end, lines


class EnumValueDeclaration(_Attributed):
    __slots__ = ()
    FIELDS = ("name", "name_span", "attributes", "span", "documentation")

    def __init__(
        self,
        name: str,
        attributes: tuple[Attribute, ...],
        documentation: str | None,
        name_end: int,
        start: int,
        end: int,
        lines: LineIndex,
    ) -> None:
        self.name = name
        self.attributes = attributes
        self.documentation = documentation
        self._name_end = name_end
        self._start, self._end, self._lines = start, end, lines


class ConfigProperty(_Ranged):
    __slots__ = ("_key_end", "key", "value")
    FIELDS = ("key", "key_span", "value", "span")

    def __init__(
        self, key: str, value: Expression | None, key_end: int, start: int, end: int, lines: LineIndex
    ) -> None:
        self.key = key
        self.value = value
        self._key_end = key_end
        self._start, self._end, self._lines = start, end, lines

    @property
    def key_span(self) -> Span:
        return self._span_to(self._key_end)


class Block(_Attributed):
    """A block, ranged from its keyword on; its name stands from `_name_start` to `_name_end`."""

    __slots__ = ("_keyword_end", "_name_start", "fields", "kind", "properties", "values")
    FIELDS = (
        "kind",
        "name",
        "name_span",
        "span",
        "keyword_span",
        "fields",
        "values",
        "properties",
        "attributes",
        "documentation",
    )

    def __init__(
        self,
        kind: str,
        name: str,
        members: tuple[tuple[FieldDeclaration, ...], tuple[EnumValueDeclaration, ...], tuple[ConfigProperty, ...]],
        attributes: tuple[Attribute, ...],
        documentation: str | None,
        keyword_end: int,
        name_start: int,
        name_end: int,
        start: int,
        end: int,
        lines: LineIndex,
    ) -> None:
        self.kind = kind
        self.name = name
        self.fields, self.values, self.properties = members
        self.attributes = attributes
        self.documentation = documentation
        self._keyword_end = keyword_end
        self._name_start, self._name_end = name_start, name_end
        self._start, self._end, self._lines = start, end, lines

    @property
    def name_span(self) -> Span:
        return self._lines.span(self._name_start, self._name_end)

    @property
    def keyword_span(self) -> Span:
        return self._span_to(self._keyword_end)

    @property
    def end_offset(self) -> int:
        """Where the block's text ends in its file: after its closing `}` (schema/edited.py reuses what ends
        before an edit)."""
        return self._end

    def property(self, key: str) -> ConfigProperty | None:
        return next((p for p in self.properties if p.key == key), None)


def each_moved(nodes: tuple[_Movable, ...], by: int) -> tuple[_Movable, ...]:
    """The nodes, each `moved(by)`."""
    # One node (most attributes have one argument, most lines one attribute) without a loop, and a loop rather than a
    # comprehension (a call of its own in Python 3.11): a large schema moves thousands of attributes (common_lines.py).
    if len(nodes) == 1:
        return (nodes[0].moved(by),)
    moved: list[_Movable] = []
    for node in nodes:
        moved.append(node.moved(by))
    return tuple(moved)


class SyntaxError_(Record):
    """A problem in the text, with the range it concerns. Named so as not to shadow Python's SyntaxError."""

    __slots__ = ("message", "span")
    FIELDS = ("message", "span")

    def __init__(self, message: str, span: Span) -> None:
        self.message = message
        self.span = span


class SchemaFile(Record):
    __slots__ = ("blocks", "errors", "path", "text")
    FIELDS = ("path", "blocks", "errors", "text")

    def __init__(
        self, path: str, blocks: tuple[Block, ...], errors: tuple[SyntaxError_, ...] = (), text: str = ""
    ) -> None:
        self.path = path
        self.blocks = blocks
        self.errors = errors
        # The text as read, kept so that adapters can map ranges back without reading the file again.
        self.text = text

    def __repr__(self) -> str:
        # As the dataclass had it: the text is left out, it can be long.
        return f"SchemaFile(path={self.path!r}, blocks={self.blocks!r}, errors={self.errors!r})"

    def blocks_of(self, kind: str) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind]
