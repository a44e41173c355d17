"""The common lines of a schema read in one pass: a field (`name Type? @attribute(arguments) ...`), an enum value
(`NAME @map("name")`) and a block attribute (`@@index([a, b])`), when they are written the common way.

Most lines of a large schema are fields of a handful of shapes, and reading them token by token is most of the
parse. The tokenizer (parser.py) hands such a line over whole, as one token; `read_field_line`, `read_value_line`
and `read_attribute_line` build the node the token-by-token reading would build from it, or answer None at the first
thing they do not know, and the line is then read token by token after all. They accept only what that reading
takes without an error (plain strings, lists of names, `f()`, arguments without a trailing comma...), so they never
have one to report; tests/test_schema_common_lines.py holds both readings equal on every corpus schema and on random
text.
"""

from __future__ import annotations

import re

from prisma_doctor.schema.syntax import (
    TYPE_CHECKING,
    Argument,
    ArrayValue,
    Attribute,
    ConstantValue,
    EnumValueDeclaration,
    FieldDeclaration,
    FieldType,
    FunctionValue,
    StringValue,
)

if TYPE_CHECKING:
    from re import Match

    from prisma_doctor.schema.syntax import Expression, LineIndex

    # What the attributes after a field's type were read into, by their text: the attributes and where they start.
    AttributeMemo = dict[str, tuple[tuple[Attribute, ...], int]]

# An ASCII name that the tokenizer would end in the same place: not followed by a letter, a digit or `-` (which the
# tokenizer's identifiers take in).
_NAME = r"[A-Za-z][A-Za-z0-9_]*+(?![\w\-])"
_FIELD_HEAD = rf"{_NAME}[ \t]++{_NAME}(?:\[\])?+\??+"

# For the tokenizer. A common line is a whole line, from its indentation to its line break included: a name, perhaps
# a type, perhaps text starting with `@` (a member: a field, an enum value), or `@@name` and more (a block
# attribute); then perhaps a `//` comment. No other `/` (a `/*` comment is the general path's), no braces (a `}`
# there would close the block), no `///` documentation (read by the general path). The tokenizer's whitespace would
# swallow the indentation, so LINE_AHEAD stands in for it, empty, where a line starts with a letter or `@` (a cheap
# test: where the line is not a common one after all, the tokenizer takes the whitespace as usual).
LINE_AHEAD = r"(?<![^\r\n])(?=[ \t]*+[A-Za-z@])"
# (The line break takes the blank lines after it along, as the tokenizer's line breaks do. What looks like a comment
# may be the inside of a string followed by code (`@default("a//b")}`, `@default("a//b") /* ...`): no brace and no
# `/*` there either, so that whatever the line is read as, nothing in it reaches another line.)
_LINE_END = r"[ \t]*+(?://(?!/)(?:[^\r\n{}/]++|/(?!\*))*+)?+(?:\r\n|\n|\r)(?:[ \t]*+(?:\r\n|\n|\r))*+"
MEMBER_LINE = rf"(?<![^\r\n])[ \t]*+(?:{_FIELD_HEAD}|{_NAME})(?:[ \t]++@[^\r\n/{{}}]*+)?+{_LINE_END}"
ATTRIBUTE_LINE = rf"(?<![^\r\n])[ \t]*+@@{_NAME}[^\r\n/{{}}]*+{_LINE_END}"

# A field line's start, for a line the tokenizer took as one: the names were checked there (`_NAME`), so a name is
# just the ASCII letters here.
_HEAD = re.compile(r"[ \t]*+([A-Za-z][A-Za-z0-9_]*+)[ \t]++([A-Za-z][A-Za-z0-9_]*+)(\[\])?+(\?)?+")
_VALUE = re.compile(r"[ \t]*+([A-Za-z][A-Za-z0-9_]*+)")
_BLANK = re.compile(r"[ \t]*+")
_STRING = r'"[^"\\\x00-\x1f]*+"'  # a string without escapes or control characters
_NUMBER = r"-?[0-9]++(?:\.[0-9]++)?+"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*+"
# An attribute, with its arguments when they are none or one value of one token or `name()` (most are), else the `(`
# of the arguments that `_read_arguments` reads.
_ATTRIBUTE_REST = rf"""({_DOTTED})                        # 2 name
    (?:\([ \t]*+(?:({_STRING})|({_DOTTED})(?:[ \t]*+\([ \t]*+(\)))?+|({_NUMBER}))?+[ \t]*+(\)))?+
                                                   # 3 string 4 name 5 the `)` of `name()` 6 number 7 `)`
    (\()?+                                         # 8 other arguments
"""
_FIELD_ATTRIBUTE = re.compile(rf"[ \t]*+(@){_ATTRIBUTE_REST}", re.VERBOSE)  # 1 the `@`
_BLOCK_ATTRIBUTE = re.compile(rf"[ \t]*+(@@){_ATTRIBUTE_REST}", re.VERBOSE)
_NO_ARGUMENTS = re.compile(r"[ \t]*+\)")
_ARGUMENT = re.compile(
    rf"""[ \t]*+(?:({_NAME})[ \t]*+:[ \t]*+)?+            # 1 name
    (?:({_STRING})                                         # 2 a string
      |(\[)[ \t]*+({_NAME}(?:[ \t]*+,[ \t]*+{_NAME})*+)?+[ \t]*+(\])  # 3 [ 4 names 5 ]
      |({_DOTTED})(?:[ \t]*+\([ \t]*+(\)))?+               # 6 a name, 7 the `)` of `name()`
      |({_NUMBER})                                          # 8 a number
    )[ \t]*+(?:(,)|\))                                     # 9 more to come
    """,
    re.VERBOSE,
)
_NAME_ONLY = re.compile(_NAME)


def read_field_line(
    text: str, start: int, end: int, lines: LineIndex, documentation: str | None, memo: AttributeMemo
) -> FieldDeclaration | None:
    """The field declared by `text[start:end]` (a common line), or None when it is not of a shape read here.

    `memo` keeps the attributes read on earlier lines of the same text: most lines repeat a few dozen attribute
    lists (`@id @default(cuid())`, `@db.ObjectId`...), and moving nodes to a new offset is cheaper than reading them.
    """
    end = _content_end(text, start, end)
    head = _HEAD.match(text, start, end)
    if head is None:
        return None
    name, type_name, list_marker, optional_marker = head.groups()
    if type_name == "Unsupported" or (list_marker and optional_marker):
        return None  # `Unsupported(...)` and the error of an optional list are the general path's
    head_end = head.end()
    field_type = FieldType(
        type_name, optional_marker is not None, list_marker is not None, None, head.start(2), head_end, lines
    )
    attributes: tuple[Attribute, ...] = ()
    field_end = head_end
    if head_end != end and _BLANK.fullmatch(text, head_end, end) is None:
        read = _attributes_after(text, head_end, end, lines, memo)
        if read is None:
            return None
        attributes = read
        field_end = attributes[-1]._end
    name_start, name_end = head.span(1)
    return FieldDeclaration(name, field_type, attributes, documentation, name_end, name_start, field_end, lines)


def read_value_line(
    text: str, start: int, end: int, lines: LineIndex, documentation: str | None, memo: AttributeMemo
) -> EnumValueDeclaration | None:
    """The enum value declared by `text[start:end]` (a common line), or None when it is not of a shape read here."""
    end = _content_end(text, start, end)
    found = _VALUE.match(text, start, end)
    if found is None:
        return None
    name_start, name_end = found.span(1)
    attributes: tuple[Attribute, ...] = ()
    if name_end != end and _BLANK.fullmatch(text, name_end, end) is None:
        read = _attributes_after(text, name_end, end, lines, memo)
        if read is None:
            return None
        attributes = read
    value_end = attributes[-1]._end if attributes else name_end
    return EnumValueDeclaration(found.group(1), attributes, documentation, name_end, name_start, value_end, lines)


def read_attribute_line(text: str, start: int, end: int, lines: LineIndex) -> Attribute | None:
    """The block attribute on `text[start:end]` (a common line), or None when it is not of a shape read here."""
    end = _content_end(text, start, end)
    found = _BLOCK_ATTRIBUTE.match(text, start, end)
    if found is None:
        return None
    attribute = _attribute(found, text, end, lines, is_block=True)
    if attribute is None or (attribute._end != end and _BLANK.fullmatch(text, attribute._end, end) is None):
        return None
    return attribute


def _attributes_after(
    text: str, at: int, end: int, lines: LineIndex, memo: AttributeMemo
) -> tuple[Attribute, ...] | None:
    """The attributes from `at` to `end`: moved from an earlier line that had the same, else read."""
    first = text.find("@", at, end)
    if first < 0 or _BLANK.fullmatch(text, at, first) is None:
        return None  # a second name where none belongs (`A B @map("a")` in an enum): the general path's error
    written = text[first:end]
    known = memo.get(written)
    if known is not None:
        return _moved(known[0], first - known[1], lines)
    read = _read_attributes(text, at, end, lines)
    if read is not None:
        memo[written] = (read, first)
    return read


def _content_end(text: str, start: int, end: int) -> int:
    """Where a common line's text ends: before its line break, and before a `//` comment."""
    line_break = text.find("\n", start, end)
    carriage_return = text.find("\r", start, end if line_break < 0 else line_break)
    end = line_break if carriage_return < 0 else carriage_return
    comment = text.find("//", start, end)
    # A `//` inside a string leaves that string unterminated here: it is not read, the general path reads the line.
    return end if comment < 0 else comment


def _read_attributes(text: str, at: int, end: int, lines: LineIndex) -> tuple[Attribute, ...] | None:
    """`@a @b(...)` from `at` up to `end`; None unless all of it is of a shape read here."""
    attributes: list[Attribute] = []
    while True:
        found = _FIELD_ATTRIBUTE.match(text, at, end)
        if found is None or (found.start(1) == at and attributes):
            return None  # attributes written without a space between them are the general path's
        attribute = _attribute(found, text, end, lines, is_block=False)
        if attribute is None:
            return None
        attributes.append(attribute)
        at = attribute._end
        if at == end or _BLANK.fullmatch(text, at, end) is not None:
            return tuple(attributes)


def _attribute(found: Match[str], text: str, end: int, lines: LineIndex, is_block: bool) -> Attribute | None:
    """The attribute `_FIELD_ATTRIBUTE` or `_BLOCK_ATTRIBUTE` found, its other arguments read up to `end`."""
    _, name, string, word, call_end, number, closing, opening = found.groups()
    name_end = found.end(2)
    arguments: tuple[Argument, ...] = ()
    if closing is not None:
        at = found.end(7)
        value: Expression | None = None
        if string is not None:
            value = StringValue(string[1:-1], *found.span(3), lines)
        elif word is not None:
            if call_end is None:
                value = ConstantValue(word, *found.span(4), lines)
            else:
                value = FunctionValue(word, (), found.start(4), found.end(5), lines)
        elif number is not None:
            value = ConstantValue(number, *found.span(6), lines)
        if value is not None:
            arguments = (Argument(None, value, value._start, value._end, lines),)
    elif opening is not None:
        read = _read_arguments(text, found.end(), end, lines)
        if read is None:
            return None
        arguments, at = read
    else:
        at = name_end
    return Attribute(name, is_block, arguments, name_end, found.start(1), at, lines)


def _read_arguments(text: str, at: int, end: int, lines: LineIndex) -> tuple[tuple[Argument, ...], int] | None:
    """The arguments after `(` at `at`, and the end of the closing `)`."""
    empty = _NO_ARGUMENTS.match(text, at, end)
    if empty is not None:
        return (), empty.end()
    arguments: list[Argument] = []
    while True:
        found = _ARGUMENT.match(text, at, end)
        if found is None:
            return None
        name, string, opening, names, _, word, call_end, number, more = found.groups()
        value: Expression
        if string is not None:
            value_start, value_end = found.span(2)
            value = StringValue(string[1:-1], value_start, value_end, lines)
        elif opening is not None:
            value_start, value_end = found.start(3), found.end(5)
            items = () if names is None else _names(names, *found.span(4), lines)
            value = ArrayValue(items, value_start, value_end, lines)
        elif word is not None:
            value_start = found.start(6)
            if call_end is None:
                value_end = found.end(6)
                value = ConstantValue(word, value_start, value_end, lines)
            else:
                value_end = found.end(7)
                value = FunctionValue(word, (), value_start, value_end, lines)
        else:
            value_start, value_end = found.span(8)
            value = ConstantValue(number, value_start, value_end, lines)
        argument_start = value_start if name is None else found.start(1)
        arguments.append(Argument(name, value, argument_start, value_end, lines))
        at = found.end()
        if more is None:
            return tuple(arguments), at


def _names(written: str, start: int, end: int, lines: LineIndex) -> tuple[ConstantValue, ...]:
    """The names of a list, `written` from `start` to `end` of the text of `lines`."""
    if "," not in written:
        return (ConstantValue(written, start, end, lines),)  # most lists hold one name
    found = _NAME_ONLY.finditer(lines.text, start, end)
    return tuple(ConstantValue(name.group(), *name.span(), lines) for name in found)


def _moved(attributes: tuple[Attribute, ...], by: int, lines: LineIndex) -> tuple[Attribute, ...]:
    """The same attributes `by` characters further on: only the shapes read here (no objects, no nested calls)."""
    moved: list[Attribute] = []
    for attribute in attributes:
        arguments = attribute.arguments
        if arguments:
            moved_arguments = []
            for argument in arguments:
                value = _moved_value(argument.value, by, lines)
                moved_arguments.append(Argument(argument.name, value, argument._start + by, argument._end + by, lines))
            arguments = tuple(moved_arguments)
        start, end, name_end = attribute._start + by, attribute._end + by, attribute._name_end + by
        moved.append(Attribute(attribute.name, attribute.is_block, arguments, name_end, start, end, lines))
    return tuple(moved)


def _moved_value(value: Expression, by: int, lines: LineIndex) -> Expression:
    start, end = value._start + by, value._end + by
    kind = value.__class__
    if kind is ConstantValue:
        return ConstantValue(value.text, start, end, lines)  # type: ignore[union-attr]
    if kind is StringValue:
        return StringValue(value.value, start, end, lines)  # type: ignore[union-attr]
    if kind is FunctionValue:
        return FunctionValue(value.name, (), start, end, lines)  # type: ignore[union-attr]
    items = tuple(_moved_value(item, by, lines) for item in value.items)  # type: ignore[union-attr]
    return ArrayValue(items, start, end, lines)
