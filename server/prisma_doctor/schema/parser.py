"""Text of a Prisma schema file to its syntax tree, with exact ranges, for any input.

The parser never raises on bad input: a missing brace, a truncated file or binary garbage gives every block that
can be read plus errors with ranges. It tokenizes with one regular expression (the hot path of `check` and of the
language server on every keystroke) and then descends over the tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

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
    SchemaFile,
    StringValue,
    SyntaxError_,
)

_TOKEN = re.compile(
    r"""
    (?P<doc>///[^\r\n]*)
  | (?P<comment>//[^\r\n]*|/\*.*?(?:\*/|\Z))
  | (?P<newline>\r\n|\n|\r)
  | (?P<space>[ \t\f\v\ufeff]+)
  | (?P<string>"(?:[^"\\\r\n]|\\.)*"?)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<atat>@@)
  | (?P<punct>[{}()\[\],:=?@.!])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0", "'": "'"}


@dataclass(slots=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


class _Positions:
    """Offsets to LSP positions: zero-based lines, columns in UTF-16 code units."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0]
        for match in re.finditer(r"\r\n|\n|\r", text):
            self._line_starts.append(match.end())
        self._ascii = text.isascii()

    def position(self, offset: int) -> Position:
        import bisect

        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        if self._ascii:
            return Position(line, offset - start)
        prefix = self._text[start:offset]
        return Position(line, len(prefix.encode("utf-16-le")) // 2)

    def span(self, start: int, end: int) -> Span:
        return Span(self.position(start), self.position(end))


def parse_schema(text: str, path: str = "schema.prisma") -> SchemaFile:
    """Parse one schema file. Never raises for any `str` input."""
    return _Parser(text, path).parse()


def _tokens(text: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind == "space":
            continue
        yield _Token(kind, match.group(), match.start(), match.end())


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.tokens = [t for t in _tokens(text) if t.kind != "comment"]
        self.index = 0
        self.positions = _Positions(text)
        self.errors: list[SyntaxError_] = []

    # -- token helpers -------------------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token | None:
        i = self.index + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.text == text and token.kind in ("punct", "atat")

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def span(self, start: int, end: int) -> Span:
        return self.positions.span(start, end)

    def error(self, message: str, start: int, end: int) -> None:
        self.errors.append(SyntaxError_(message, self.span(start, max(end, start))))

    def skip_newlines(self) -> None:
        while (token := self.peek()) is not None and token.kind == "newline":
            self.index += 1

    def skip_line(self) -> None:
        """Skip to the end of the line, but never past a bracket that closes the enclosing block."""
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind == "newline" and depth <= 0:
                return
            if token.kind == "punct":
                if token.text in "([":
                    depth += 1
                elif token.text in ")]":
                    depth -= 1
                elif token.text == "}" and depth <= 0:
                    return
            self.index += 1

    def end_of_previous(self) -> int:
        return self.tokens[self.index - 1].end if self.index > 0 else 0

    # -- top level -----------------------------------------------------------------------------------------------
    def parse(self) -> SchemaFile:
        blocks: list[Block] = []
        doc_lines: list[str] = []
        while (token := self.peek()) is not None:
            if token.kind == "newline":
                self.index += 1
                if self._blank_line_follows():
                    doc_lines = []
                continue
            if token.kind == "doc":
                doc_lines.append(token.text[3:].strip() if token.text[3:4] == " " else token.text[3:])
                self.index += 1
                continue
            if token.kind == "ident" and token.text in BLOCK_KINDS:
                block = self.parse_block(_join_doc(doc_lines))
                if block is not None:
                    blocks.append(block)
                doc_lines = []
                continue
            self.error(_unexpected_top_level(token), token.start, token.end)
            self.recover_top_level()
            doc_lines = []
        return SchemaFile(self.path, tuple(blocks), tuple(self.errors), self.text)

    def _blank_line_follows(self) -> bool:
        token = self.peek()
        return token is not None and token.kind == "newline"

    def recover_top_level(self) -> None:
        """Skip a line we cannot read; if it opens a brace, skip the whole braced region."""
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
                depth > 0 and token.kind == "ident" and token.text in BLOCK_KINDS and self._starts_line()
            ):
                return
            self.index += 1

    def _starts_line(self) -> bool:
        previous = self.tokens[self.index - 1] if self.index > 0 else None
        return previous is None or previous.kind == "newline"

    # -- blocks --------------------------------------------------------------------------------------------------
    def parse_block(self, documentation: str | None) -> Block | None:
        keyword = self.advance()
        name_token = self.peek()
        if name_token is None or name_token.kind != "ident":
            end = name_token.end if name_token is not None else keyword.end
            self.error(f"`{keyword.text}` must be followed by a name", keyword.start, end)
            self.recover_top_level()
            return None
        self.index += 1
        if not self.at("{"):
            token = self.peek()
            self.error(
                f"expected `{{` after `{keyword.text} {name_token.text}`",
                name_token.start,
                token.end if token is not None and token.kind != "newline" else name_token.end,
            )
            self.recover_top_level()
            return None
        self.index += 1
        kind = keyword.text
        fields: list[FieldDeclaration] = []
        values: list[EnumValueDeclaration] = []
        properties: list[ConfigProperty] = []
        attributes: list[Attribute] = []
        doc_lines: list[str] = []
        closed = False
        while (token := self.peek()) is not None:
            if token.kind == "newline":
                self.index += 1
                continue
            if token.kind == "punct" and token.text == "}":
                self.index += 1
                closed = True
                break
            if token.kind == "doc":
                doc_lines.append(token.text[3:].strip())
                self.index += 1
                continue
            if token.kind == "ident" and token.text in BLOCK_KINDS and self._starts_line() and self._opens_block():
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

    def _opens_block(self) -> bool:
        following = self.peek(1)
        after = self.peek(2)
        return (
            following is not None
            and following.kind == "ident"
            and after is not None
            and after.kind == "punct"
            and after.text == "{"
        )

    def expect_line_end(self) -> None:
        token = self.peek()
        if token is None or token.kind in ("newline", "doc") or (token.kind == "punct" and token.text == "}"):
            return
        start = token.start
        self.skip_line()
        self.error("unexpected text at the end of the line", start, self.end_of_previous())

    # -- members -------------------------------------------------------------------------------------------------
    def parse_field(self, documentation: str | None) -> FieldDeclaration | None:
        name = self.peek()
        assert name is not None
        if name.kind != "ident":
            self.error(f"expected a field name, found `{_shown(name.text)}`", name.start, name.end)
            self.skip_line()
            return None
        self.index += 1
        field_type = self.parse_field_type(name)
        attributes = self.parse_attributes()
        self.expect_line_end()
        return FieldDeclaration(
            name=name.text,
            name_span=self.span(name.start, name.end),
            type=field_type,
            attributes=tuple(attributes),
            span=self.span(name.start, self.end_of_previous()),
            documentation=documentation,
        )

    def parse_field_type(self, name: _Token) -> FieldType | None:
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
        if self.at("[") and (closing := self.peek(1)) is not None and closing.text == "]":
            self.index += 2
            is_list = True
        if self.at("?"):
            self.index += 1
            optional = True
            if is_list:
                self.error("a list field cannot be optional", start, self.end_of_previous())
        if self.at("!"):
            # Legacy required marker from Prisma 1; Prisma rejects it, so do we, but keep reading.
            self.error("`!` is not valid in a field type", start, self.end_of_previous())
            self.index += 1
        return FieldType(type_name, self.span(start, self.end_of_previous()), optional, is_list, unsupported)

    def parse_enum_value(self, documentation: str | None) -> EnumValueDeclaration | None:
        name = self.peek()
        assert name is not None
        if name.kind != "ident":
            self.error(f"expected an enum value, found `{_shown(name.text)}`", name.start, name.end)
            self.skip_line()
            return None
        self.index += 1
        attributes = self.parse_attributes()
        self.expect_line_end()
        return EnumValueDeclaration(
            name=name.text,
            name_span=self.span(name.start, name.end),
            attributes=tuple(attributes),
            span=self.span(name.start, self.end_of_previous()),
            documentation=documentation,
        )

    def parse_property(self) -> ConfigProperty | None:
        key = self.peek()
        assert key is not None
        if key.kind != "ident":
            self.error(f"expected a property name, found `{_shown(key.text)}`", key.start, key.end)
            self.skip_line()
            return None
        self.index += 1
        value: Expression | None = None
        if self.at("="):
            self.index += 1
            value = self.parse_expression()
            if value is None:
                self.error(f"`{key.text}` has no value", key.start, self.end_of_previous())
        else:
            self.error(f"expected `=` after `{key.text}`", key.start, key.end)
        self.expect_line_end()
        return ConfigProperty(
            key.text, self.span(key.start, key.end), value, self.span(key.start, self.end_of_previous())
        )

    # -- attributes and expressions -----------------------------------------------------------------------------
    def parse_attributes(self) -> list[Attribute]:
        attributes: list[Attribute] = []
        while (token := self.peek()) is not None and token.kind in ("punct", "atat") and token.text in ("@", "@@"):
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
        name = name_token.text
        name_end = name_token.end
        while self.at(".") and (part := self.peek(1)) is not None and part.kind == "ident":
            self.index += 2
            name += "." + part.text
            name_end = part.end
        arguments: tuple[Argument, ...] = ()
        if self.at("("):
            arguments = self.parse_arguments()
        return Attribute(
            name=name,
            is_block=is_block,
            arguments=arguments,
            span=self.span(marker.start, self.end_of_previous()),
            name_span=self.span(marker.start, name_end),
        )

    def parse_arguments(self) -> tuple[Argument, ...]:
        opening = self.advance()
        arguments: list[Argument] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None:
                self.error("expected `)`", opening.start, opening.end)
                break
            if token.kind == "punct" and token.text == ")":
                self.index += 1
                break
            if token.kind == "punct" and token.text == ",":
                self.index += 1
                continue
            name: str | None = None
            if token.kind == "ident" and (colon := self.peek(1)) is not None and colon.text == ":":
                name = token.text
                self.index += 2
                self.skip_newlines()
            value = self.parse_expression()
            if value is None:
                bad = self.peek()
                if bad is None or (bad.kind == "punct" and bad.text == "}"):
                    self.error("expected `)`", opening.start, opening.end)
                    break
                self.error(f"unexpected `{_shown(bad.text)}` in arguments", bad.start, bad.end)
                self.index += 1
                continue
            arguments.append(Argument(name, value, self.span(token.start, self.end_of_previous())))
        return tuple(arguments)

    def parse_expression(self) -> Expression | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "string":
            self.index += 1
            if len(token.text) < 2 or not token.text.endswith('"') or token.text.endswith('\\"'):
                self.error("unterminated string", token.start, token.end)
            return StringValue(_unquote(token.text), self.span(token.start, token.end))
        if token.kind == "number":
            self.index += 1
            return ConstantValue(token.text, self.span(token.start, token.end))
        if token.kind == "ident":
            self.index += 1
            text = token.text
            while self.at(".") and (part := self.peek(1)) is not None and part.kind == "ident":
                self.index += 2
                text += "." + part.text
            if self.at("("):
                arguments = self.parse_arguments()
                return FunctionValue(text, arguments, self.span(token.start, self.end_of_previous()))
            return ConstantValue(text, self.span(token.start, self.end_of_previous()))
        if token.kind == "punct" and token.text == "[":
            return self.parse_array()
        return None

    def parse_array(self) -> ArrayValue:
        opening = self.advance()
        items: list[Expression] = []
        while True:
            self.skip_newlines()
            token = self.peek()
            if token is None:
                self.error("expected `]`", opening.start, opening.end)
                break
            if token.kind == "punct" and token.text == "]":
                self.index += 1
                break
            if token.kind == "punct" and token.text == ",":
                self.index += 1
                continue
            value = self.parse_expression()
            if value is None:
                if token.kind == "punct" and token.text in "})":
                    self.error("expected `]`", opening.start, opening.end)
                    break
                self.error(f"unexpected `{_shown(token.text)}` in a list", token.start, token.end)
                self.index += 1
                continue
            items.append(value)
        return ArrayValue(tuple(items), self.span(opening.start, self.end_of_previous()))


def _unquote(literal: str) -> str:
    body = literal[1:-1] if len(literal) >= 2 and literal.endswith('"') else literal[1:]
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
    return "".join(out)


def _join_doc(lines: list[str]) -> str | None:
    return "\n".join(lines) if lines else None


def _shown(text: str) -> str:
    printable = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return printable[:40]


def _unexpected_top_level(token: _Token) -> str:
    if token.kind == "ident":
        kinds = ", ".join(f"`{k}`" for k in sorted(BLOCK_KINDS))
        return f"`{_shown(token.text)}` is not a block type; expected one of {kinds}"
    return f"unexpected `{_shown(token.text)}` outside of a block"
