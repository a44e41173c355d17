"""Text of a Prisma schema file to its syntax tree, with exact ranges, for any input.

The parser never raises on bad input: a missing brace, a truncated file or binary garbage gives every block that
can be read plus errors with ranges. It tokenizes with one regular expression (the hot path of `check` and of the
language server on every keystroke) and then descends over the tokens.

It follows Prisma's own grammar where that grammar is strict about lines: a declaration ends at its line's end, so
attribute arguments and lists never span lines; whatever follows `{` on a block's opening line is ignored (Prisma
ignores it too, so it is reported); identifiers may hold any Unicode letter; `//`, `///` and `/* */` are comments,
and `///` lines are kept as documentation of what follows them (a trailing `///` documents its own line).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from prisma_doctor.findings import Position, Span
from prisma_doctor.schema.syntax import (
    BLOCK_KINDS,
    Argument,
    ArrayValue,
    Attribute,
    Block,
    ConfigProperty,
    ConstantValue,
    EnumValueDeclaration,
    Expression,
    FieldDeclaration,
    FieldType,
    FunctionValue,
    ObjectMember,
    ObjectValue,
    SchemaFile,
    StringValue,
    SyntaxError_,
)

# Whitespace is what Prisma's grammar calls whitespace (Unicode space separators and tabs), plus a stray BOM. It is
# matched in front of each token rather than as a token of its own: half as many matches on an indented file.
_TOKEN = re.compile(
    r"""
    [ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]*
    (?:
      (?P<newline>\r\n|\n|\r)
    | (?P<ident>[^\W\d_][\w\-]*)
    | (?P<punct>[{}()\[\],:=?.!]|@(?!@))
    | (?P<string>"(?:[^"\\\r\n]|\\[^\r\n]?)*"?)
    | (?P<doc>///[^\r\n]*)
    | (?P<comment>//[^\r\n]*|/\*.*?(?:\*/|\Z))
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
    | (?P<atat>@@)
    | (?P<other>[^ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff])
    )
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0", "'": "'", "/": "/", "b": "\b", "f": "\f"}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CONTROL = re.compile(r"[\x00-\x1f]")


MAX_NESTING = 64
_T = TypeVar("_T")


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


class _TooDeep(Exception):
    """Values nested past MAX_NESTING: unwinds the descent to the attribute or property that holds them."""

    def __init__(self, token: _Token) -> None:
        super().__init__(token.text)
        self.token = token


class _Positions:
    """Offsets to LSP positions: zero-based lines, columns in UTF-16 code units.

    Characters outside the Basic Multilingual Plane (emoji, rare CJK) count twice in UTF-16; their offsets are
    found once, so that a column costs two binary searches however long its line (a one-line file of garbage
    must not take quadratic time).
    """

    def __init__(self, text: str) -> None:
        self._line_starts = [0]
        self._line_starts.extend(match.end() for match in re.finditer(r"\r\n|\n|\r", text))
        self._astral = [] if text.isascii() else [match.start() for match in _ASTRAL.finditer(text)]
        # Many ranges share an offset (a field and its name, an attribute and its `@`): build each position once.
        self._cache: dict[int, Position] = {}

    def position(self, offset: int) -> Position:
        cached = self._cache.get(offset)
        if cached is not None:
            return cached
        line = bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        column = offset - start
        if self._astral:
            column += bisect_left(self._astral, offset) - bisect_left(self._astral, start)
        position = self._cache[offset] = Position(line, column)
        return position

    def span(self, start: int, end: int) -> Span:
        return Span(self.position(start), self.position(end))


def parse_schema(text: str, path: str = "schema.prisma") -> SchemaFile:
    """Parse one schema file. Never raises for any `str` input."""
    return _Parser(text, path).parse()


def _tokens(text: str) -> tuple[list[_Token], list[tuple[_Token, int]]]:
    """The significant tokens, and the comments apart, each with the index of the token that follows it."""
    tokens: list[_Token] = []
    comments: list[tuple[_Token, int]] = []
    append = tokens.append
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        start = match.start(kind)
        token = _Token(kind, text[start : match.end()], start, match.end())
        if kind == "comment":
            comments.append((token, len(tokens)))
        else:
            append(token)
    return tokens, comments


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.tokens, comments = _tokens(text)
        self.index = 0
        self.positions = _Positions(text)
        self.errors: list[SyntaxError_] = []
        self.depth = 0  # of values inside values: `[[...]]`, `f(g(...))`
        for comment, following in comments:
            if not comment.text.startswith("/*"):
                continue
            if not comment.text[2:].endswith("*/"):
                self.error("unterminated block comment: `/*` has no closing `*/`", comment.start, comment.start + 2)
            elif ("\n" in comment.text or "\r" in comment.text) and self._inside_a_line(following):
                # Prisma reads declarations line by line: a comment over several lines cannot join two halves.
                self.error(
                    "a block comment over several lines cannot sit inside a line", comment.start, comment.start + 2
                )

    def _inside_a_line(self, following: int) -> bool:
        """Whether significant tokens stand on both sides of the position `following` with no line break between."""
        if not 0 < following < len(self.tokens):
            return False
        return self.tokens[following - 1].kind not in ("newline", "doc") and self.tokens[following].kind != "newline"

    # -- token helpers -------------------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token | None:
        i = self.index + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, text: str) -> bool:
        """Whether the next token is the punctuation `text` (no other kind of token can have that text)."""
        return self.index < len(self.tokens) and self.tokens[self.index].text == text

    def at_line_end(self) -> bool:
        token = self.peek()
        return token is None or token.kind == "newline"

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def span(self, start: int, end: int) -> Span:
        return self.positions.span(start, end)

    def error(self, message: str, start: int, end: int) -> None:
        self.errors.append(SyntaxError_(message, self.span(start, max(end, start))))

    def skip_line(self) -> None:
        """Skip to the end of the line, but never past a `}` that closes the enclosing block."""
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind == "newline":
                return
            if token.kind == "punct":
                if token.text in "([{":
                    depth += 1
                elif token.text in ")]":
                    depth -= 1
                elif token.text == "}":
                    if depth <= 0:
                        return
                    depth -= 1
            self.index += 1

    def end_of_previous(self) -> int:
        return self.tokens[self.index - 1].end if self.index > 0 else 0

    def _starts_line(self) -> bool:
        previous = self.tokens[self.index - 1] if self.index > 0 else None
        return previous is None or previous.kind in ("newline", "doc")

    def _adjacent(self, ahead: int = 0) -> bool:
        """Whether the token `ahead` follows the one before it with nothing in between (Prisma's dotted paths)."""
        i = self.index + ahead
        return 0 < i < len(self.tokens) and self.tokens[i - 1].end == self.tokens[i].start

    # -- top level -----------------------------------------------------------------------------------------------
    def parse(self) -> SchemaFile:
        blocks: list[Block] = []
        doc_lines: list[str] = []
        while (token := self.peek()) is not None:
            if token.kind == "newline":
                self.index += 1
                if (following := self.peek()) is not None and following.kind == "newline":
                    doc_lines = []  # a blank line parts a `///` comment from the block below it
                continue
            if token.kind == "doc":
                doc_lines.append(_doc_text(token.text))
                self.index += 1
                continue
            if token.kind == "ident" and token.text == "type" and self._is_type_alias():
                self.error(
                    "type aliases (`type Name = Type`) are not supported by Prisma; use a composite type "
                    "`type Name { ... }` (MongoDB) or the type itself",
                    token.start,
                    self._line_end_offset(),
                )
                self.skip_line()
                doc_lines = []
                continue
            if token.kind == "ident" and token.text in BLOCK_KINDS and self._names_block():
                block = self.parse_block(_join_doc(doc_lines))
                if block is not None:
                    blocks.append(block)
                doc_lines = []
                continue
            self.error(_unexpected_top_level(token), token.start, token.end)
            self.recover_top_level()
            doc_lines = []
        return SchemaFile(self.path, tuple(blocks), tuple(self.errors), self.text)

    def _names_block(self) -> bool:
        """`model Name`: a keyword followed by a name (a field called `view` inside a block is not a block)."""
        following = self.peek(1)
        return following is not None and following.kind == "ident"

    def _is_type_alias(self) -> bool:
        name, equals = self.peek(1), self.peek(2)
        return name is not None and name.kind == "ident" and equals is not None and equals.text == "="

    def _line_end_offset(self) -> int:
        i = self.index
        end = self.tokens[i].end if i < len(self.tokens) else len(self.text)
        while i < len(self.tokens) and self.tokens[i].kind != "newline":
            end = self.tokens[i].end
            i += 1
        return end

    def recover_top_level(self) -> None:
        """Skip what cannot be read: a braced region whole (as Prisma does), else the rest of the line."""
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind == "punct" and token.text == "{":
                depth += 1
            elif token.kind == "punct" and token.text == "}":
                depth -= 1
                if depth <= 0:
                    self.index += 1
                    return
            elif (token.kind == "newline" and depth <= 0) or (
                depth > 0 and token.kind == "ident" and token.text in BLOCK_KINDS and self._starts_new_block()
            ):
                return
            self.index += 1

    def _starts_new_block(self) -> bool:
        """A block keyword at the start of a line, then a name and `{`: a new block, whatever came before."""
        following, after = self.peek(1), self.peek(2)
        return (
            self._starts_line()
            and following is not None
            and following.kind == "ident"
            and after is not None
            and after.kind == "punct"
            and after.text == "{"
        )

    # -- blocks --------------------------------------------------------------------------------------------------
    def parse_block(self, documentation: str | None) -> Block | None:
        keyword = self.advance()
        name_token = self.advance()
        kind = keyword.text
        opening = self.peek()
        if opening is not None and opening.kind == "newline":
            # `model A` with `{` on the next line: Prisma rejects it; read the block all the same.
            ahead = self.index
            while ahead < len(self.tokens) and self.tokens[ahead].kind == "newline":
                ahead += 1
            if ahead < len(self.tokens) and self.tokens[ahead].text == "{":
                self.error(
                    f"`{{` must be on the same line as `{kind} {name_token.text}`", keyword.start, name_token.end
                )
                self.index = ahead
        if not self.at("{"):
            token = self.peek()
            self.error(
                f"expected `{{` after `{kind} {name_token.text}`",
                name_token.start,
                token.end if token is not None and token.kind != "newline" else name_token.end,
            )
            self.recover_top_level()
            return None
        self.index += 1
        closed = self._skip_rest_of_opening_line(kind, name_token.text)
        fields: list[FieldDeclaration] = []
        values: list[EnumValueDeclaration] = []
        properties: list[ConfigProperty] = []
        attributes: list[Attribute] = []
        doc_lines: list[str] = []
        while not closed and (token := self.peek()) is not None:
            if token.kind == "newline":
                self.index += 1
                continue
            if token.kind == "punct" and token.text == "}":
                self.index += 1
                closed = True
                break
            if token.kind == "doc":
                doc_lines.append(_doc_text(token.text))
                self.index += 1
                continue
            if token.kind == "ident" and token.text in BLOCK_KINDS and self._starts_new_block():
                # A new block starts at the left margin: the previous one lost its closing brace.
                break
            doc = _join_doc(doc_lines)
            doc_lines = []
            if token.kind == "atat":
                attribute = self.parse_attribute()
                if attribute is not None:
                    attributes.append(attribute)
                self.expect_line_end()
            elif kind in ("datasource", "generator"):
                prop = self.parse_property()
                if prop is not None:
                    properties.append(prop)
            elif kind == "enum":
                value = self.parse_enum_value(doc)
                if value is not None:
                    values.append(value)
            else:
                declaration = self.parse_field(doc)
                if declaration is not None:
                    fields.append(declaration)
        end = self.end_of_previous()
        if not closed:
            self.error(f"`{kind} {name_token.text}` is missing its closing `}}`", keyword.start, name_token.end)
        return Block(
            kind=kind,
            name=name_token.text,
            name_span=self.span(name_token.start, name_token.end),
            span=self.span(keyword.start, end),
            keyword_span=self.span(keyword.start, keyword.end),
            fields=tuple(fields),
            values=tuple(values),
            properties=tuple(properties),
            attributes=tuple(attributes),
            documentation=documentation,
        )

    def _skip_rest_of_opening_line(self, kind: str, name: str) -> bool:
        """Prisma ignores what follows `{` on its line; say so. True when that text closed the block."""
        start = self.index
        while (token := self.peek()) is not None and token.kind != "newline":
            if token.kind == "punct" and token.text == "}":
                self.error(
                    f"`{kind} {name}` opens and closes on one line; Prisma needs `}}` on a line of its own",
                    token.start,
                    token.end,
                )
                self.index += 1
                return True
            self.index += 1
        if self.index > start:
            first, last = self.tokens[start], self.tokens[self.index - 1]
            if not (first.kind == "doc" and self.index - start == 1):
                self.error(
                    f"Prisma ignores text after `{{` on the line that opens `{kind} {name}`; start it on the next line",
                    first.start,
                    last.end,
                )
        return False

    def expect_line_end(self) -> None:
        token = self.peek()
        if token is None or token.kind in ("newline", "doc") or (token.kind == "punct" and token.text == "}"):
            if token is not None and token.kind == "punct" and token.text == "}":
                self.error("`}` must be on a line of its own", token.start, token.end)
            return
        start = token.start
        self.skip_line()
        self.error("unexpected text at the end of the line", start, self.end_of_previous())

    def trailing_doc(self, documentation: str | None) -> str | None:
        """A `///` comment at the end of a declaration's line documents that declaration."""
        token = self.peek()
        if token is None or token.kind != "doc":
            return documentation
        self.index += 1
        text = _doc_text(token.text)
        return f"{documentation}\n{text}" if documentation is not None else text

    # -- members -------------------------------------------------------------------------------------------------
    def parse_field(self, documentation: str | None) -> FieldDeclaration | None:
        name = self.advance()
        if name.kind != "ident":
            self.error(f"expected a field name, found `{_shown(name.text)}`", name.start, name.end)
            self.index -= 1
            self.skip_line()
            return None
        if self.at(":"):
            colon = self.advance()
            self.error("field declarations take no `:` between the name and the type", colon.start, colon.end)
        field_type = self.parse_field_type(name)
        attributes = self.parse_attributes()
        end = self.end_of_previous()
        documentation = self.trailing_doc(documentation)
        self.expect_line_end()
        return FieldDeclaration(
            name=name.text,
            name_span=self.span(name.start, name.end),
            type=field_type,
            attributes=tuple(attributes),
            span=self.span(name.start, end),
            documentation=documentation,
        )

    def parse_field_type(self, name: _Token) -> FieldType | None:
        token = self.peek()
        legacy_list: _Token | None = None
        if token is not None and token.kind == "punct" and token.text == "[":
            # `[Int]`, the list syntax of Prisma 1.
            legacy_list = token
            self.index += 1
            token = self.peek()
        if token is None or token.kind != "ident":
            self.error(f"field `{name.text}` has no type", name.start, name.end)
            return None
        self.index += 1
        start, type_name, unsupported = token.start, token.text, None
        if type_name == "Unsupported" and self.at("("):
            self.index += 1
            literal = self.peek()
            if literal is not None and literal.kind == "string":
                unsupported = _unquote(literal.text)
                self.index += 1
            else:
                self.error("`Unsupported` takes the database type as a string", token.start, token.end)
            if self.at(")"):
                self.index += 1
            else:
                self.error("expected `)` after `Unsupported(...`", token.start, self.end_of_previous())
        optional = is_list = False
        if legacy_list is not None:
            is_list = True
            if self.at("]"):
                self.index += 1
            self.error(
                f"write a list as `{type_name}[]`, not `[{type_name}]`", legacy_list.start, self.end_of_previous()
            )
        elif self.at("[") and (closing := self.peek(1)) is not None and closing.text == "]" and self._adjacent(1):
            self.index += 2
            is_list = True
        if self.at("?"):
            self.index += 1
            optional = True
            if is_list:
                self.error("a list cannot be optional: use `Type[]` or `Type?`", start, self.end_of_previous())
        if self.at("!"):
            bang = self.advance()
            self.error("fields are required by default: `!` is not valid in a field type", start, bang.end)
        return FieldType(type_name, self.span(start, self.end_of_previous()), optional, is_list, unsupported)

    def parse_enum_value(self, documentation: str | None) -> EnumValueDeclaration | None:
        name = self.advance()
        if name.kind != "ident":
            self.error(f"expected an enum value, found `{_shown(name.text)}`", name.start, name.end)
            self.index -= 1
            self.skip_line()
            return None
        attributes = self.parse_attributes()
        end = self.end_of_previous()
        documentation = self.trailing_doc(documentation)
        self.expect_line_end()
        return EnumValueDeclaration(
            name=name.text,
            name_span=self.span(name.start, name.end),
            attributes=tuple(attributes),
            span=self.span(name.start, end),
            documentation=documentation,
        )

    def parse_property(self) -> ConfigProperty | None:
        key = self.advance()
        if key.kind != "ident":
            self.error(f"expected a property name, found `{_shown(key.text)}`", key.start, key.end)
            self.index -= 1
            self.skip_line()
            return None
        value: Expression | None = None
        if self.at("="):
            self.index += 1
            value = self.guarded(self.parse_expression, None)
            if value is None:
                self.error(f"`{key.text}` has no value", key.start, self.end_of_previous())
        else:
            self.error(f"expected `=` after `{key.text}`", key.start, key.end)
        end = self.end_of_previous()
        self.trailing_doc(None)
        self.expect_line_end()
        return ConfigProperty(key.text, self.span(key.start, key.end), value, self.span(key.start, end))

    # -- attributes and expressions -----------------------------------------------------------------------------
    def parse_attributes(self) -> list[Attribute]:
        """Field attributes: `@` only (a `@@` on a field's line is an error, reported by the line's end)."""
        attributes: list[Attribute] = []
        while (token := self.peek()) is not None and token.kind == "punct" and token.text == "@":
            attribute = self.parse_attribute()
            if attribute is None:
                break
            attributes.append(attribute)
        return attributes

    def parse_attribute(self) -> Attribute | None:
        marker = self.advance()
        is_block = marker.text == "@@"
        name_token = self.peek()
        if name_token is None or name_token.kind != "ident":
            self.error("expected an attribute name", marker.start, marker.end)
            return None
        self.index += 1
        name, name_end = self._dotted_path(name_token)
        arguments: tuple[Argument, ...] = ()
        if self.at("("):
            arguments = self.guarded(self.parse_arguments, ())
        return Attribute(
            name=name,
            is_block=is_block,
            arguments=arguments,
            span=self.span(marker.start, self.end_of_previous()),
            name_span=self.span(marker.start, name_end),
        )

    def _dotted_path(self, first: _Token) -> tuple[str, int]:
        """`db.VarChar`: the dots and parts must touch, as in Prisma's grammar."""
        text, end = first.text, first.end
        while (
            self.at(".")
            and self._adjacent()
            and (part := self.peek(1)) is not None
            and part.kind == "ident"
            and self._adjacent(1)
        ):
            self.index += 2
            text += "." + part.text
            end = part.end
        return text, end

    def _delimited(self, closer: str, items: str, read_item: Callable[[_Token], bool]) -> None:
        """A comma-separated list on one line, from the opening bracket at the cursor to `closer`.

        `read_item` reads one item starting at the given token and says whether it read one; when it cannot, it
        reports why and steps over at least one token.
        """
        opening = self.advance()
        expect_separator = False
        while True:
            token = self.peek()
            if token is None or token.kind in ("newline", "doc"):
                self.error(f"expected `{closer}`: {items} must close on the line they open", opening.start, opening.end)
                return
            if token.kind == "punct" and token.text == closer:
                self.index += 1
                return
            if token.kind == "punct" and token.text == ",":
                if not expect_separator:
                    self.error(f"expected one of the {items} before `,`", token.start, token.end)
                elif self.index + 1 < len(self.tokens) and self.tokens[self.index + 1].text == closer:
                    self.error("Prisma allows no trailing comma here", token.start, token.end)
                self.index += 1
                expect_separator = False
                continue
            if token.kind == "punct" and token.text in ")]}":
                # Someone else's closing bracket: ours is missing.
                self.error(f"expected `{closer}`", opening.start, opening.end)
                return
            if expect_separator:
                self.error(f"expected `,` between {items}", token.start, token.end)
            expect_separator = read_item(token)

    def parse_arguments(self) -> tuple[Argument, ...]:
        arguments: list[Argument] = []

        def read_argument(token: _Token) -> bool:
            name: str | None = None
            if token.kind == "ident" and (colon := self.peek(1)) is not None and colon.text == ":":
                name = token.text
                self.index += 2
                following = self.peek()
                if following is not None and following.kind == "punct" and following.text in ",)":
                    # `fields: ` with nothing after it: valid syntax in Prisma, an error of meaning.
                    self.error(f"argument `{name}` has no value", token.start, colon.end)
                    return True
            value = self.parse_expression()
            if value is None:
                bad = self.peek()
                if bad is not None and bad.kind not in ("newline", "doc") and bad.text not in ")]}":
                    self.error(f"unexpected `{_shown(bad.text)}` in arguments", bad.start, bad.end)
                    self.index += 1
                return False
            arguments.append(Argument(name, value, self.span(token.start, self.end_of_previous())))
            return True

        self._delimited(")", "arguments", read_argument)
        return tuple(arguments)

    def guarded(self, read: Callable[[], _T], fallback: _T) -> _T:
        """Read a value; one nested past all reason is reported and its line skipped (no recursion error)."""
        try:
            return read()
        except _TooDeep as deep:
            self.error(f"values nested more than {MAX_NESTING} deep", deep.token.start, deep.token.end)
            self.depth = 0
            while (token := self.peek()) is not None and token.kind != "newline":
                self.index += 1
            return fallback

    def parse_expression(self) -> Expression | None:
        token = self.peek()
        if token is None:
            return None
        if self.depth >= MAX_NESTING:
            raise _TooDeep(token)
        self.depth += 1
        try:
            return self._parse_expression(token)
        finally:
            self.depth -= 1

    def _parse_expression(self, token: _Token) -> Expression | None:
        if token.kind == "string":
            self.index += 1
            value = _unquote(token.text)
            if len(token.text) < 2 or not token.text.endswith('"') or _escaped_quote_at_end(token.text):
                self.error("unterminated string", token.start, token.end)
            elif "\ufffd" in value and "\ufffd" not in token.text:
                self.error("a `\\u` escape in this string is half of a UTF-16 pair", token.start, token.end)
            elif _CONTROL.search(token.text):
                self.error(
                    "a string cannot hold a control character such as a tab: write it as `\\t`", token.start, token.end
                )
            return StringValue(value, self.span(token.start, token.end))
        if token.kind == "number":
            self.index += 1
            return ConstantValue(token.text, self.span(token.start, token.end))
        if token.kind == "ident":
            self.index += 1
            text, _ = self._dotted_path(token)
            if self.at("("):
                arguments = self.parse_arguments()
                return FunctionValue(text, arguments, self.span(token.start, self.end_of_previous()))
            return ConstantValue(text, self.span(token.start, self.end_of_previous()))
        if token.kind == "punct" and token.text == "[":
            return self.parse_array()
        if token.kind == "punct" and token.text == "{":
            return self.parse_object()
        return None

    def parse_array(self) -> ArrayValue:
        start = self.tokens[self.index].start
        values: list[Expression] = []

        def read_value(token: _Token) -> bool:
            value = self.parse_expression()
            if value is None:
                self.error(f"unexpected `{_shown(token.text)}` in a list", token.start, token.end)
                self.index += 1
                return False
            values.append(value)
            return True

        self._delimited("]", "list items", read_value)
        return ArrayValue(tuple(values), self.span(start, self.end_of_previous()))

    def parse_object(self) -> ObjectValue:
        """`{key: value, ...}` on one line (the `where` of partial indexes)."""
        start = self.tokens[self.index].start
        members: list[ObjectMember] = []

        def read_member(token: _Token) -> bool:
            colon = self.peek(1)
            if token.kind not in ("ident", "string") or colon is None or colon.text != ":":
                self.error(f"expected `key: value` in an object, found `{_shown(token.text)}`", token.start, token.end)
                self.index += 1
                return False
            self.index += 2
            value = self.parse_expression()
            if value is None:
                self.error("expected a value after `:`", token.start, colon.end)
                return True
            key = _unquote(token.text) if token.kind == "string" else token.text
            members.append(ObjectMember(key, value, self.span(token.start, self.end_of_previous())))
            return True

        self._delimited("}", "object members", read_member)
        return ObjectValue(tuple(members), self.span(start, self.end_of_previous()))


def _escaped_quote_at_end(literal: str) -> bool:
    """`"abc\\"` ends with an escaped quote, not a closing one, when an odd number of backslashes precede it."""
    backslashes = len(literal) - 1 - len(literal[:-1].rstrip("\\"))
    return backslashes % 2 == 1


def _unquote(literal: str) -> str:
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


def _doc_text(comment: str) -> str:
    # Prisma trims each `///` line on both sides.
    return comment[3:].strip()


def _join_doc(lines: list[str]) -> str | None:
    return "\n".join(lines) if lines else None


def _shown(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return printable[:40]


def _unexpected_top_level(token: _Token) -> str:
    if token.kind == "ident" and token.text in BLOCK_KINDS:
        return f"`{token.text}` must be followed by a name and `{{`"
    if token.kind == "ident":
        kinds = ", ".join(f"`{k}`" for k in sorted(BLOCK_KINDS))
        return f"`{_shown(token.text)}` is not a block type; expected one of {kinds}"
    return f"unexpected `{_shown(token.text)}` outside of a block"
