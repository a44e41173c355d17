"""The common lines of a schema read in one pass: a field (`name Type? @attribute(arguments) ...`), an enum value
(`NAME @map("name")`) and a block attribute (`@@index([a, b])`), when they are written the common way.

Most lines of a large schema are fields of a handful of shapes, and reading them token by token is most of the
parse. The tokenizer (tokenizer.py) hands such a line over whole, as one token; a `CommonLineReader` builds the node
the token-by-token reading would build from it, or answers None at the first thing it does not know, and the parser
then reads the line token by token after all. The reader only returns nodes, built by their constructors (and
`moved`, for attributes already read on an earlier line): it knows nothing of the parser. It accepts only what the
token-by-token reading takes without an error (plain strings, lists of names, `f()`, arguments without a trailing
comma...), so it never has one to report; tests/test_schema_common_lines.py holds both readings equal on every
corpus schema and on random text.
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
    each_moved,
)

if TYPE_CHECKING:
    from re import Match

    from prisma_doctor.schema.syntax import Expression, LineIndex

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
_HEAD = re.compile(
    r"[ \t]*+(?P<name>[A-Za-z][A-Za-z0-9_]*+)[ \t]++(?P<type>[A-Za-z][A-Za-z0-9_]*+)(?P<list>\[\])?+(?P<optional>\?)?+"
)
_VALUE = re.compile(r"[ \t]*+(?P<name>[A-Za-z][A-Za-z0-9_]*+)")
_BLANK = re.compile(r"[ \t]*+")
_STRING = r'"[^"\\\x00-\x1f]*+"'  # a string without escapes or control characters
_NUMBER = r"-?[0-9]++(?:\.[0-9]++)?+"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*+"
# A value of one token, or `name()`: the groups `_one_value_argument` reads.
_ONE_VALUE = rf"(?P<string>{_STRING})|(?P<word>{_DOTTED})(?:[ \t]*+\([ \t]*+(?P<call_end>\)))?+|(?P<number>{_NUMBER})"
# An attribute, with its arguments when they are none or one value (most are): up to their `closing` parenthesis;
# else the `opening` one of the arguments that `_read_arguments` reads.
_ATTRIBUTE_REST = rf"""(?P<attribute>{_DOTTED})
    (?:\([ \t]*+(?:{_ONE_VALUE})?+[ \t]*+(?P<closing>\)))?+
    (?P<opening>\()?+
"""
_FIELD_ATTRIBUTE = re.compile(rf"[ \t]*+(?P<marker>@){_ATTRIBUTE_REST}", re.VERBOSE)
_BLOCK_ATTRIBUTE = re.compile(rf"[ \t]*+(?P<marker>@@){_ATTRIBUTE_REST}", re.VERBOSE)
_NO_ARGUMENTS = re.compile(r"[ \t]*+\)")
# One argument, perhaps `name:`, and the `,` when `more` follow, else the closing `)`.
_ARGUMENT = re.compile(
    rf"""[ \t]*+(?:(?P<name>{_NAME})[ \t]*+:[ \t]*+)?+
    (?:(?P<list>\[)[ \t]*+(?P<names>{_NAME}(?:[ \t]*+,[ \t]*+{_NAME})*+)?+[ \t]*+(?P<list_end>\])
      |{_ONE_VALUE}
    )[ \t]*+(?:(?P<more>,)|\))
    """,
    re.VERBOSE,
)
_NAME_ONLY = re.compile(_NAME)


class CommonLineReader:
    """Reads the common lines of one text into the nodes the token-by-token reading would make of them.

    Each method takes a common line, `text[start:end]` as the tokenizer found it, and answers its node, or None when
    the line is not of a shape read here. The reader keeps the attributes it has read, by their text: most lines
    repeat a few dozen attribute lists (`@id @default(cuid())`, `@db.ObjectId`...), and moving nodes to a new offset
    is cheaper than reading them.
    """

    __slots__ = ("_known", "_lines", "_text")

    def __init__(self, lines: LineIndex) -> None:
        self._text = lines.text
        self._lines = lines
        # The text of a line's attributes (from the first `@`) to what it was read into: the attributes, and where
        # they started and ended.
        self._known: dict[str, tuple[tuple[Attribute, ...], int, int]] = {}

    def field(self, start: int, end: int, documentation: str | None) -> FieldDeclaration | None:
        """The field declared on the line, with the `documentation` written above it."""
        text, lines = self._text, self._lines
        head = _HEAD.match(text, start, end)  # (it cannot reach the line's break, or a comment)
        if head is None:
            return None
        name, type_name, list_marker, optional_marker = head["name"], head["type"], head["list"], head["optional"]
        if type_name == "Unsupported" or (list_marker and optional_marker):
            return None  # `Unsupported(...)` and the error of an optional list are the general path's
        head_end = head.end()
        field_type = FieldType(
            type_name, optional_marker is not None, list_marker is not None, None, head.start("type"), head_end, lines
        )
        attributes: tuple[Attribute, ...] = ()
        field_end = head_end
        if text[head_end] not in "\r\n":  # (most fields end with their type, as the tokenizer found)
            end = _content_end(text, head_end, end)
            if head_end != end and _BLANK.fullmatch(text, head_end, end) is None:
                read = self._attributes_after(head_end, end)
                if read is None:
                    return None
                attributes, field_end = read
        name_start, name_end = head.span("name")
        return FieldDeclaration(name, field_type, attributes, documentation, name_end, name_start, field_end, lines)

    def enum_value(self, start: int, end: int, documentation: str | None) -> EnumValueDeclaration | None:
        """The enum value declared on the line, with the `documentation` written above it."""
        text = self._text
        found = _VALUE.match(text, start, end)  # (it cannot reach the line's break, or a comment)
        if found is None:
            return None
        name_start, name_end = found.span("name")
        attributes: tuple[Attribute, ...] = ()
        value_end = name_end
        if text[name_end] not in "\r\n":  # (most values are a name alone, as the tokenizer found)
            end = _content_end(text, name_end, end)
            if name_end != end and _BLANK.fullmatch(text, name_end, end) is None:
                read = self._attributes_after(name_end, end)
                if read is None:
                    return None
                attributes, value_end = read
        name, lines = found["name"], self._lines
        return EnumValueDeclaration(name, attributes, documentation, name_end, name_start, value_end, lines)

    def block_attribute(self, start: int, end: int) -> Attribute | None:
        """The block attribute (`@@name(...)`) on the line."""
        text = self._text
        end = _content_end(text, start, end)
        found = _BLOCK_ATTRIBUTE.match(text, start, end)
        if found is None:
            return None
        read = self._attribute(found, end, is_block=True)
        if read is None:
            return None
        attribute, attribute_end = read
        if attribute_end != end and _BLANK.fullmatch(text, attribute_end, end) is None:
            return None
        return attribute

    def _attributes_after(self, at: int, end: int) -> tuple[tuple[Attribute, ...], int] | None:
        """The attributes from `at` to `end`, and where the last ends: moved from an earlier line that had the same,
        else read."""
        text = self._text
        first = text.find("@", at, end)
        if first < 0 or _BLANK.fullmatch(text, at, first) is None:
            return None  # a second name where none belongs (`A B @map("a")` in an enum): the general path's error
        written = text[first:end]
        known = self._known.get(written)
        if known is not None:
            attributes, known_first, known_end = known
            by = first - known_first
            return each_moved(attributes, by), known_end + by
        read = self._read_attributes(at, end)
        if read is not None:
            self._known[written] = (read[0], first, read[1])
        return read

    def _read_attributes(self, at: int, end: int) -> tuple[tuple[Attribute, ...], int] | None:
        """`@a @b(...)` from `at` up to `end`, and where the last ends; None unless all of it is of a shape read
        here."""
        text = self._text
        attributes: list[Attribute] = []
        while True:
            found = _FIELD_ATTRIBUTE.match(text, at, end)
            if found is None or (found.start("marker") == at and attributes):
                return None  # attributes written without a space between them are the general path's
            read = self._attribute(found, end, is_block=False)
            if read is None:
                return None
            attribute, at = read
            attributes.append(attribute)
            if at == end or _BLANK.fullmatch(text, at, end) is not None:
                return tuple(attributes), at

    def _attribute(self, found: Match[str], end: int, is_block: bool) -> tuple[Attribute, int] | None:
        """The attribute `_FIELD_ATTRIBUTE` or `_BLOCK_ATTRIBUTE` found, its other arguments read up to `end`; and
        where it ends."""
        lines = self._lines
        name_end = found.end("attribute")
        arguments: tuple[Argument, ...] = ()
        at = found.end("closing")
        if at >= 0:
            argument = _one_value_argument(found, None, 0, lines)
            if argument is not None:
                arguments = (argument,)
        elif found.start("opening") >= 0:
            read = self._read_arguments(found.end(), end)
            if read is None:
                return None
            arguments, at = read
        else:
            at = name_end
        return Attribute(found["attribute"], is_block, arguments, name_end, found.start("marker"), at, lines), at

    def _read_arguments(self, at: int, end: int) -> tuple[tuple[Argument, ...], int] | None:
        """The arguments after `(` at `at`, and the end of the closing `)`."""
        text, lines = self._text, self._lines
        empty = _NO_ARGUMENTS.match(text, at, end)
        if empty is not None:
            return (), empty.end()
        arguments: list[Argument] = []
        while True:
            found = _ARGUMENT.match(text, at, end)
            if found is None:
                return None
            name, name_start = found["name"], found.start("name")
            list_start = found.start("list")
            if list_start >= 0:
                names, list_end = found["names"], found.end("list_end")
                items = () if names is None else _names(names, *found.span("names"), lines)
                value = ArrayValue(items, list_start, list_end, lines)
                arguments.append(Argument(name, value, list_start if name is None else name_start, list_end, lines))
            else:
                argument = _one_value_argument(found, name, name_start, lines)
                if argument is None:  # (never: without a list, `_ARGUMENT` matched one value)
                    return None
                arguments.append(argument)
            at = found.end()
            if found.start("more") < 0:
                return tuple(arguments), at


def _one_value_argument(found: Match[str], name: str | None, name_start: int, lines: LineIndex) -> Argument | None:
    """The argument whose value `_ONE_VALUE` matched in `found`, named `name` (and then starting at `name_start`) or
    not; None when no value took part."""
    string = found["string"]
    if string is not None:
        start, end = found.span("string")
        value: Expression = StringValue(string[1:-1], start, end, lines)
    elif (word := found["word"]) is not None:
        start, end = found.span("word")
        call_end = found.end("call_end")
        if call_end < 0:
            value = ConstantValue(word, start, end, lines)
        else:
            end = call_end
            value = FunctionValue(word, (), start, end, lines)
    elif (number := found["number"]) is not None:
        start, end = found.span("number")
        value = ConstantValue(number, start, end, lines)
    else:
        return None
    return Argument(name, value, start if name is None else name_start, end, lines)


def _content_end(text: str, start: int, end: int) -> int:
    """Where a common line's text ends: before its line break, and before a `//` comment."""
    line_break = text.find("\n", start, end)
    carriage_return = text.find("\r", start, end if line_break < 0 else line_break)
    end = line_break if carriage_return < 0 else carriage_return
    comment = text.find("//", start, end)
    # A `//` inside a string leaves that string unterminated here: it is not read, the general path reads the line.
    return end if comment < 0 else comment


def _names(written: str, start: int, end: int, lines: LineIndex) -> tuple[ConstantValue, ...]:
    """The names of a list, `written` from `start` to `end` of the text of `lines`."""
    if "," not in written:
        return (ConstantValue(written, start, end, lines),)  # most lists hold one name
    found = _NAME_ONLY.finditer(lines.text, start, end)
    return tuple(ConstantValue(name.group(), *name.span(), lines) for name in found)
