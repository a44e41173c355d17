"""A field's line read in one pass: `name Type? @attribute(arguments) ...`, when it is written the common way.

Most lines of a large schema are fields of a handful of shapes, and reading them token by token is most of the
parse. The tokenizer (parser.py) hands such a line over whole, as one `member` token; `read_field_line` builds the
`FieldDeclaration` the token-by-token reading would build from it, or answers None at the first thing it does not
know, and the line is then read token by token after all. It accepts only what that reading takes without an error
(plain strings, lists of names, `f()`, single-line arguments without a trailing comma...), so it never has one to
report, and tests/test_schema_field_lines.py holds both readings equal on every corpus schema and on random text.
"""

from __future__ import annotations

import re

from prisma_doctor.schema.syntax import (
    TYPE_CHECKING,
    Argument,
    ArrayValue,
    Attribute,
    ConstantValue,
    FieldDeclaration,
    FieldType,
    FunctionValue,
    StringValue,
)

if TYPE_CHECKING:
    from prisma_doctor.schema.syntax import Expression, LineIndex

# An ASCII name that the tokenizer would end in the same place: not followed by a letter, a digit or `-` (which the
# tokenizer's identifiers take in).
_NAME = r"[A-Za-z][A-Za-z0-9_]*+(?![\w\-])"
_FIELD_HEAD = rf"{_NAME}[ \t]++{_NAME}(?:\[\])?+\??+"

# For the tokenizer. A member line is a whole line, from its indentation to its line break included: a name, a
# type, perhaps text starting with `@`, perhaps a `//` comment. No other `/` (a `/*` comment is the general path's),
# no braces (a `}` there would close the block), no `///` documentation (read by the general path). The tokenizer's
# whitespace would swallow the indentation, so MEMBER_AHEAD stands in for it, empty, where a member line follows.
MEMBER_AHEAD = rf"(?<![^\r\n])(?=[ \t]*+{_FIELD_HEAD}[ \t\r\n@/])"
MEMBER_LINE = (
    rf"(?<![^\r\n])[ \t]*+{_FIELD_HEAD}(?:[ \t]++@[^\r\n/{{}}]*+)?+[ \t]*+(?://(?!/)[^\r\n]*+)?+(?:\r\n|\n|\r)"
)

_HEAD = re.compile(rf"[ \t]*+({_NAME})[ \t]++({_NAME})(\[\])?+(\?)?+")
_BLANK = re.compile(r"[ \t]*+")
_STRING = r'"[^"\\\x00-\x1f]*+"'  # a string without escapes or control characters
_NUMBER = r"-?[0-9]++(?:\.[0-9]++)?+"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*+"
# An attribute, with its arguments when they are none or one value of one token or `name()` (most are), else the `(`
# of the arguments that `_read_arguments` reads.
_ATTRIBUTE = re.compile(
    rf"""[ \t]++(@)({_DOTTED})                                      # 1 @ 2 name
    (?:\([ \t]*+(?:({_STRING})|({_DOTTED})(?:[ \t]*+\([ \t]*+(\)))?+|({_NUMBER}))?+[ \t]*+(\)))?+
                                                   # 3 string 4 name 5 the `)` of `name()` 6 number 7 `)`
    (\()?+                                         # 8 other arguments
    """,
    re.VERBOSE,
)
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
    text: str, start: int, end: int, lines: LineIndex, documentation: str | None
) -> FieldDeclaration | None:
    """The field declared by `text[start:end]` (a member token), or None when it is not of a shape read here."""
    end -= 2 if text.startswith("\r\n", end - 2) else 1
    comment = text.find("//", start, end)
    if comment >= 0:
        end = comment  # where the comment starts; a `//` inside a string makes that string unterminated: not read
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
        read = _read_attributes(text, head_end, end, lines)
        if read is None:
            return None
        attributes, field_end = read
    name_start, name_end = head.span(1)
    return FieldDeclaration(name, field_type, attributes, documentation, name_end, name_start, field_end, lines)


def _read_attributes(text: str, at: int, end: int, lines: LineIndex) -> tuple[tuple[Attribute, ...], int] | None:
    """`@a @b(...)` up to `end`, and where the last one ends; None unless all of it is of a shape read here."""
    attributes: list[Attribute] = []
    while True:
        found = _ATTRIBUTE.match(text, at, end)
        if found is None:
            return None
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
        attributes.append(Attribute(name, False, arguments, name_end, found.start(1), at, lines))
        if at == end or _BLANK.fullmatch(text, at, end) is not None:
            return tuple(attributes), at


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
            items = () if names is None else _names(text, found.start(4), found.end(4), lines)
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


def _names(text: str, start: int, end: int, lines: LineIndex) -> tuple[ConstantValue, ...]:
    return tuple(ConstantValue(found.group(), *found.span(), lines) for found in _NAME_ONLY.finditer(text, start, end))
