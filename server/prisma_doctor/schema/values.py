"""Attributes and the values in them, from their tokens: `@db.VarChar(255)`, `@@index([a, b(sort: Desc)])`,
`env("URL")`, `{not: false}`, and a property's value.

Single passes read the common shapes (a list of names, `(value)`, `(f())`) and build exactly what the general path
would, falling back to it at the first thing they do not expect. Values nest (a list in a call in a list...):
past MAX_NESTING the line is reported and skipped rather than met with a recursion error.
"""

from __future__ import annotations

import re

from prisma_doctor.schema.syntax import (
    TYPE_CHECKING,
    Argument,
    ArrayValue,
    Attribute,
    ConstantValue,
    Expression,
    FunctionValue,
    ObjectMember,
    ObjectValue,
    StringValue,
)
from prisma_doctor.schema.token_reader import TokenReader, shown
from prisma_doctor.schema.tokenizer import END, KIND, START, TEXT, Token

if TYPE_CHECKING:  # see syntax.py: `typing` is left out of start-up
    from collections.abc import Callable
    from typing import TypeVar

    from prisma_doctor.schema.syntax import LineIndex
    from prisma_doctor.schema.token_reader import SyntaxErrors

    _T = TypeVar("_T")

MAX_NESTING = 64
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0", "'": "'", "/": "/", "b": "\b", "f": "\f"}
_CONTROL = re.compile(r"[\x00-\x1f]")
# The kinds of token that are a whole value on their own (a name, unless a `.`, `(` or `:` follows it).
_ONE_TOKEN_VALUES = frozenset({"ident", "number", "string"})


class _TooDeep(Exception):
    """Values nested past MAX_NESTING: unwinds the descent to the attribute or property that holds them."""

    def __init__(self, token: Token) -> None:
        super().__init__(token[TEXT])
        self.token = token


class ValueReader(TokenReader):
    """Reads attributes and values at the cursor."""

    def __init__(self, tokens: list[Token], lines: LineIndex, errors: SyntaxErrors) -> None:
        super().__init__(tokens, lines, errors)
        self.depth = 0  # of values inside values: `[[...]]`, `f(g(...))`

    def parse_attributes(self) -> list[Attribute]:
        """Field attributes: `@` only (a `@@` on a field's line is an error, reported by the line's end)."""
        attributes: list[Attribute] = []
        tokens = self.tokens
        while tokens[self.index][TEXT] == "@":
            attribute = self.parse_attribute()
            if attribute is None:
                break
            attributes.append(attribute)
        return attributes

    def parse_attribute(self) -> Attribute | None:
        """`@name` or `@@name`, and its arguments; None when no name follows the `@`."""
        tokens, i = self.tokens, self.index
        marker, name_token = tokens[i], tokens[i + 1]
        if name_token[KIND] != "ident":
            self.index = i + 1
            self.error("expected an attribute name", marker[START], marker[END])
            return None
        self.index = i + 2
        name, name_end = self._dotted_path(name_token)
        arguments: tuple[Argument, ...] = ()
        if tokens[self.index][TEXT] == "(":
            try:  # `guarded`, inline: every attribute with arguments comes here
                arguments = self.parse_arguments()
            except _TooDeep as deep:
                arguments = self._too_deep(deep, ())
        end = tokens[self.index - 1][END]
        return Attribute(name, marker[TEXT] == "@@", arguments, name_end, marker[START], end, self.lines)

    def _dotted_path(self, first: Token) -> tuple[str, int]:
        """`db.VarChar`: the dots and parts must touch, as in Prisma's grammar."""
        text, end = first[TEXT], first[END]
        if self.tokens[self.index][TEXT] != ".":
            return text, end
        while (
            self.at(".")
            and self.adjacent()
            and (part := self.peek(1)) is not None
            and part[KIND] == "ident"
            and self.adjacent(1)
        ):
            self.index += 2
            text += "." + part[TEXT]
            end = part[END]
        return text, end

    def _delimited(self, closer: str, items: str, read_item: Callable[[Token], bool]) -> None:
        """A comma-separated list on one line, from the opening bracket at the cursor to `closer`.

        `read_item` reads one item starting at the given token and says whether it read one; when it cannot, it
        reports why and steps over at least one token.
        """
        opening = self.advance()
        expect_separator = False
        tokens = self.tokens
        while True:
            token = tokens[self.index]
            kind, text = token[:2]
            if kind in ("newline", "doc", "end"):
                self.error(
                    f"expected `{closer}`: {items} must close on the line they open", opening[START], opening[END]
                )
                return
            if text == closer:
                self.index += 1
                return
            if text == ",":
                if not expect_separator:
                    self.error(f"expected one of the {items} before `,`", token[START], token[END])
                elif self.index + 1 < self.count and self.tokens[self.index + 1][TEXT] == closer:
                    self.error("Prisma allows no trailing comma here", token[START], token[END])
                self.index += 1
                expect_separator = False
                continue
            if kind == "punct" and text in ")]}":
                # Someone else's closing bracket: ours is missing.
                self.error(f"expected `{closer}`", opening[START], opening[END])
                return
            if expect_separator:
                self.error(f"expected `,` between {items}", token[START], token[END])
            expect_separator = read_item(token)

    def parse_arguments(self) -> tuple[Argument, ...]:
        """`(a, name: b)` from its `(`."""
        tokens, i = self.tokens, self.index
        first = tokens[i + 1]
        if first[TEXT] == ")":
            # `now()`: what the loop below would read, without it.
            self.index = i + 2
            return ()
        if first[KIND] in _ONE_TOKEN_VALUES and self.depth < MAX_NESTING:
            after = tokens[i + 2][TEXT]
            if after == ")":
                # `@map("x")`, `@default(0)`, `@db.VarChar(255)`: one unnamed value of one token.
                self.index = i + 1
                value = self._parse_expression(first)
                assert value is not None  # (a token of a kind in _ONE_TOKEN_VALUES is always a value)
                self.index = i + 3
                return (Argument(None, value, first[START], first[END], self.lines),)
            if after == "(" and first[KIND] == "ident" and tokens[i + 3][TEXT] == ")" and tokens[i + 4][TEXT] == ")":
                # `@default(now())`, `@default(cuid())`: a function of no arguments.
                self.index = i + 5
                start, end = first[START], tokens[i + 3][END]
                return (Argument(None, FunctionValue(first[TEXT], (), start, end, self.lines), start, end, self.lines),)
        arguments: list[Argument] = []

        def read_argument(token: Token) -> bool:
            name: str | None = None
            if token[KIND] == "ident" and (colon := self.peek(1)) is not None and colon[TEXT] == ":":
                name = token[TEXT]
                self.index += 2
                following = self.peek()
                if following is not None and following[KIND] == "punct" and following[TEXT] in ",)":
                    # `fields: ` with nothing after it: valid syntax in Prisma, an error of meaning.
                    self.error(f"argument `{name}` has no value", token[START], colon[END])
                    return True
            value = self.parse_expression()
            if value is None:
                bad = self.peek()
                if bad is not None and bad[KIND] not in ("newline", "doc") and bad[TEXT] not in ")]}":
                    self.error(f"unexpected `{shown(bad[TEXT])}` in arguments", bad[START], bad[END])
                    self.index += 1
                return False
            arguments.append(Argument(name, value, token[START], self.end_of_previous(), self.lines))
            return True

        self._delimited(")", "arguments", read_argument)
        return tuple(arguments)

    def guarded(self, read: Callable[[], _T], fallback: _T) -> _T:
        """Read a value; one nested past all reason is reported and its line skipped (no recursion error)."""
        try:
            return read()
        except _TooDeep as deep:
            return self._too_deep(deep, fallback)

    def _too_deep(self, deep: _TooDeep, fallback: _T) -> _T:
        self.error(f"values nested more than {MAX_NESTING} deep", deep.token[START], deep.token[END])
        self.depth = 0
        while (token := self.peek()) is not None and token[KIND] != "newline":
            self.index += 1
        return fallback

    def parse_expression(self) -> Expression | None:
        """The value at the cursor; None when none starts there."""
        token = self.tokens[self.index]
        if token[KIND] == "end":
            return None
        if self.depth >= MAX_NESTING:
            raise _TooDeep(token)
        self.depth += 1
        try:
            return self._parse_expression(token)
        finally:
            self.depth -= 1

    def _parse_expression(self, token: Token) -> Expression | None:
        kind = token[KIND]
        if kind == "ident":
            self.index += 1
            text, _ = self._dotted_path(token)
            if self.tokens[self.index][TEXT] == "(":
                arguments = self.parse_arguments()
                return FunctionValue(text, arguments, token[START], self.end_of_previous(), self.lines)
            return ConstantValue(text, token[START], self.end_of_previous(), self.lines)
        if kind == "string":
            self.index += 1
            value = unquote(token[TEXT])
            if len(token[TEXT]) < 2 or not token[TEXT].endswith('"') or _escaped_quote_at_end(token[TEXT]):
                self.error("unterminated string", token[START], token[END])
            elif "\ufffd" in value and "\ufffd" not in token[TEXT]:
                self.error("a `\\u` escape in this string is half of a UTF-16 pair", token[START], token[END])
            elif _CONTROL.search(token[TEXT]):
                self.error(
                    "a string cannot hold a control character such as a tab: write it as `\\t`",
                    token[START],
                    token[END],
                )
            return StringValue(value, token[START], token[END], self.lines)
        if token[KIND] == "number":
            self.index += 1
            return ConstantValue(token[TEXT], token[START], token[END], self.lines)
        if token[KIND] == "punct" and token[TEXT] == "[":
            return self.parse_array()
        if token[KIND] == "punct" and token[TEXT] == "{":
            return self.parse_object()
        return None

    def parse_array(self) -> ArrayValue:
        """`[a, b]` from its `[`."""
        start = self.tokens[self.index][START]
        if self.depth < MAX_NESTING and (plain := self._plain_list(start)) is not None:
            return plain
        values: list[Expression] = []

        def read_value(token: Token) -> bool:
            value = self.parse_expression()
            if value is None:
                self.error(f"unexpected `{shown(token[TEXT])}` in a list", token[START], token[END])
                self.index += 1
                return False
            values.append(value)
            return True

        self._delimited("]", "list items", read_value)
        return ArrayValue(tuple(values), start, self.end_of_previous(), self.lines)

    def _plain_list(self, start: int) -> ArrayValue | None:
        """`[a, b]`, a list of bare names (most lists in schemas), read in one pass; None for any other list."""
        tokens, lines = self.tokens, self.lines
        j = self.index + 1
        items: list[Expression] = []
        while True:
            kind, text, item_start, item_end = tokens[j]
            if kind != "ident":
                return None
            following = tokens[j + 1]
            if following[TEXT] not in (",", "]"):
                return None
            items.append(ConstantValue(text, item_start, item_end, lines))
            j += 2
            if following[TEXT] == "]":
                self.index = j
                return ArrayValue(tuple(items), start, following[END], lines)

    def parse_object(self) -> ObjectValue:
        """`{key: value, ...}` on one line (the `where` of partial indexes)."""
        start = self.tokens[self.index][START]
        members: list[ObjectMember] = []

        def read_member(token: Token) -> bool:
            colon = self.peek(1)
            if token[KIND] not in ("ident", "string") or colon is None or colon[TEXT] != ":":
                self.error(
                    f"expected `key: value` in an object, found `{shown(token[TEXT])}`", token[START], token[END]
                )
                self.index += 1
                return False
            self.index += 2
            value = self.parse_expression()
            if value is None:
                self.error("expected a value after `:`", token[START], colon[END])
                return True
            key = unquote(token[TEXT]) if token[KIND] == "string" else token[TEXT]
            members.append(ObjectMember(key, value, token[START], self.end_of_previous(), self.lines))
            return True

        self._delimited("}", "object members", read_member)
        return ObjectValue(tuple(members), start, self.end_of_previous(), self.lines)


def _escaped_quote_at_end(literal: str) -> bool:
    """`"abc\\"` ends with an escaped quote, not a closing one, when an odd number of backslashes precede it."""
    backslashes = len(literal) - 1 - len(literal[:-1].rstrip("\\"))
    return backslashes % 2 == 1


def unquote(literal: str) -> str:
    """The text a string literal stands for, its escapes read as Prisma reads them."""
    closed = len(literal) >= 2 and literal.endswith('"') and not _escaped_quote_at_end(literal)
    body = literal[1:-1] if closed else literal[1:]
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            following = body[i + 1]
            if following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(following, "\\" + following))
            i += 2
            continue
        out.append(char)
        i += 1
    # `\ud83d\ude00` is one character written as a UTF-16 pair, as in JSON; a lone half is no character at all.
    return "".join(out).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
