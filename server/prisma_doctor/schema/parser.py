"""Text of a Prisma schema file to its syntax tree, with exact ranges, for any input.

The parser never raises on bad input: a missing brace, a truncated file or binary garbage gives every block that
can be read plus errors with ranges. It tokenizes with one regular expression (the hot path of `check` and of the
language server on every keystroke) and then descends over the tokens. Speed is kept the plain way: a tuple per
token, offsets rather than ranges in the nodes (syntax.py), a common line (a field, an enum value, a block
attribute written the common way) taken whole as one token and read in one pass (common_lines.py), and single
passes for the common shapes (a bare type, a list of names, `(value)`, `(f())`); each builds exactly what the
general path would, and falls back to it at the first thing it does not expect.

It follows Prisma's own grammar where that grammar is strict about lines: a declaration ends at its line's end, so
attribute arguments and lists never span lines; whatever follows `{` on a block's opening line is ignored (Prisma
ignores it too, so it is reported); identifiers may hold any Unicode letter; `//`, `///` and `/* */` are comments,
and `///` lines are kept as documentation of what follows them (a trailing `///` documents its own line).
"""

from __future__ import annotations

import gc
import re
from functools import partial

from prisma_doctor.schema import tokenizer
from prisma_doctor.schema.common_lines import CommonLineReader
from prisma_doctor.schema.syntax import (
    BLOCK_KINDS,
    TYPE_CHECKING,
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
    LineIndex,
    ObjectMember,
    ObjectValue,
    SchemaFile,
    StringValue,
    SyntaxError_,
)
from prisma_doctor.schema.tokenizer import (
    COMMON_LINES,
    END,
    KIND,
    LINE_ENDS,
    ONE_LINE_BREAK,
    START,
    TEXT,
    Token,
    file_tokens,
    line_tokens,
)

# The blocks whose lines are fields.
_FIELD_BLOCKS = frozenset({"model", "view", "type"})
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0", "'": "'", "/": "/", "b": "\b", "f": "\f"}
_CONTROL = re.compile(r"[\x00-\x1f]")
# What may follow a type name and make it more than a bare `Type` (a list, optional, `!`, `Unsupported(...)`).
_TYPE_SUFFIXES = frozenset({"[", "?", "!", "("})
# The kinds of token that are a whole value on their own (a name, unless a `.`, `(` or `:` follows it).
_ONE_TOKEN_VALUES = frozenset({"ident", "number", "string"})


MAX_NESTING = 64
# Errors past this many in a file are counted, not listed: nobody reads the ten-thousandth, and garbage gives one a
# line.
MAX_ERRORS = 1_000
if TYPE_CHECKING:  # see syntax.py: `typing` is left out of start-up
    from collections.abc import Callable
    from typing import TypeVar

    _T = TypeVar("_T")


class _TooDeep(Exception):
    """Values nested past MAX_NESTING: unwinds the descent to the attribute or property that holds them."""

    def __init__(self, token: Token) -> None:
        super().__init__(token[TEXT])
        self.token = token


def parse_schema(text: str, path: str = "schema.prisma", *, common_lines: bool = True) -> SchemaFile:
    """Parse one schema file. Never raises for any `str` input.

    `common_lines=False` reads every line token by token: the same tree, slower (the tests compare the two).
    """
    # A parse makes tens of thousands of tuples and nodes that all live until it ends and hold no cycles: the
    # collector's passes over them (one per 700 new objects) are a sixth of the parse and free nothing.
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        return _Parser(text, path, common_lines).parse()
    finally:
        if collecting:
            gc.enable()


class _Parser:
    def __init__(self, text: str, path: str, common_lines: bool = True) -> None:
        self.text = text
        self.path = path
        # The list ends with a sentinel of no kind and no text, so that hot paths may look at the next token
        # unguarded; `peek` and every bound below still stop at `count`.
        self.tokens, problems = file_tokens(text, common_lines)
        self.count = len(self.tokens) - 1
        self.index = 0
        self.lines = LineIndex(text)
        self.errors: list[SyntaxError_] = []
        self.depth = 0  # of values inside values: `[[...]]`, `f(g(...))`
        self.common_lines = CommonLineReader(self.lines)
        self.stopped = False  # at MAX_TOKENS
        self.errors_left_out, self.first_left_out = 0, 0  # past MAX_ERRORS
        for message, start, end in problems:
            self.error(message, start, end)
            self.stopped = self.stopped or message.startswith("the file holds more than")

    def _stop_reading(self, at: int) -> None:
        self.stopped = True
        self.error(
            f"the file holds more than {tokenizer.MAX_TOKENS:,} words and symbols, far more than any schema: the rest "
            "of it was not read",
            at,
            at,
        )

    # -- token helpers -------------------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token | None:
        i = self.index + ahead
        return self.tokens[i] if i < self.count else None

    def at(self, text: str) -> bool:
        """Whether the next token is the punctuation `text` (no other kind of token can have that text)."""
        return self.tokens[self.index][TEXT] == text

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, message: str, start: int, end: int) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(SyntaxError_(message, self.lines.span(start, max(end, start))))
        elif self.errors_left_out == 0:
            self.errors_left_out, self.first_left_out = 1, start
        else:
            self.errors_left_out += 1

    def skip_line(self) -> None:
        """Skip to the end of the line, but never past a `}` that closes the enclosing block."""
        depth = 0
        while (token := self.peek()) is not None:
            kind, text = token[KIND], token[TEXT]
            if kind == "newline":
                return
            if kind == "punct":
                if text in "([{":
                    depth += 1
                elif text in ")]":
                    depth -= 1
                elif text == "}":
                    if depth <= 0:
                        return
                    depth -= 1
            self.index += 1

    def end_of_previous(self) -> int:
        return self.tokens[self.index - 1][END] if self.index else 0

    def _starts_line(self) -> bool:
        return self.index == 0 or self.tokens[self.index - 1][KIND] in LINE_ENDS

    def _adjacent(self, ahead: int = 0) -> bool:
        """Whether the token `ahead` follows the one before it with nothing in between (Prisma's dotted paths)."""
        i = self.index + ahead
        return 0 < i < self.count and self.tokens[i - 1][END] == self.tokens[i][START]

    # -- top level -----------------------------------------------------------------------------------------------
    def parse(self) -> SchemaFile:
        blocks: list[Block] = []
        doc_lines: list[str] = []
        while (token := self.peek()) is not None:
            if token[KIND] == "newline":
                self.index += 1
                if token[TEXT] not in ONE_LINE_BREAK or (
                    (following := self.peek()) is not None and following[KIND] == "newline"
                ):
                    doc_lines = []  # a blank line (or one of only a comment) parts a `///` comment from what follows
                continue
            if token[KIND] == "doc":
                doc_lines.append(_doc_text(token[TEXT]))
                self.index += 1
                continue
            if token[KIND] in COMMON_LINES:
                self._tokens_from_here()  # a common line outside a block: an error, read token by token
                continue
            if token[KIND] == "ident" and token[TEXT] == "type" and self._is_type_alias():
                self.error(
                    "type aliases (`type Name = Type`) are not supported by Prisma; use a composite type "
                    "`type Name { ... }` (MongoDB) or the type itself",
                    token[START],
                    self._line_end_offset(),
                )
                self.skip_line()
                doc_lines = []
                continue
            if token[KIND] == "ident" and token[TEXT] in BLOCK_KINDS and self._names_block():
                block = self.parse_block(_join_doc(doc_lines))
                if block is not None:
                    blocks.append(block)
                doc_lines = []
                continue
            self.error(_unexpected_top_level(token), token[START], token[END])
            self.recover_top_level()
            doc_lines = []
        if self.errors_left_out:
            self.errors.append(
                SyntaxError_(
                    f"{self.errors_left_out:,} more errors from here on are not listed (only the first {MAX_ERRORS:,})",
                    self.lines.span(self.first_left_out, self.first_left_out),
                )
            )
        return SchemaFile(self.path, tuple(blocks), tuple(self.errors), self.text)

    def _names_block(self) -> bool:
        """`model Name`: a keyword followed by a name (a field called `view` inside a block is not a block)."""
        following = self.peek(1)
        return following is not None and following[KIND] == "ident"

    def _is_type_alias(self) -> bool:
        name, equals = self.peek(1), self.peek(2)
        return name is not None and name[KIND] == "ident" and equals is not None and equals[TEXT] == "="

    def _line_end_offset(self) -> int:
        i = self.index
        end = self.tokens[i][END] if i < self.count else len(self.text)
        while i < self.count and self.tokens[i][KIND] != "newline":
            end = self.tokens[i][END]
            i += 1
        return end

    def recover_top_level(self) -> None:
        """Skip what cannot be read: a braced region whole (as Prisma does), else the rest of the line."""
        depth = 0
        while (token := self.peek()) is not None:
            if token[KIND] in COMMON_LINES:
                self._tokens_from_here()
                continue
            if token[KIND] == "punct" and token[TEXT] == "{":
                depth += 1
            elif token[KIND] == "punct" and token[TEXT] == "}":
                depth -= 1
                if depth <= 0:
                    self.index += 1
                    return
            elif (token[KIND] == "newline" and depth <= 0) or (
                depth > 0 and token[KIND] == "ident" and token[TEXT] in BLOCK_KINDS and self._starts_new_block()
            ):
                return
            self.index += 1

    def _starts_new_block(self) -> bool:
        """A block keyword at the start of a line, then a name and `{`: a new block, whatever came before."""
        following, after = self.peek(1), self.peek(2)
        return (
            self._starts_line()
            and following is not None
            and following[KIND] == "ident"
            and after is not None
            and after[KIND] == "punct"
            and after[TEXT] == "{"
        )

    # -- blocks --------------------------------------------------------------------------------------------------
    def parse_block(self, documentation: str | None) -> Block | None:
        keyword = self.advance()
        name_token = self.advance()
        kind = keyword[TEXT]
        opening = self.peek()
        if opening is not None and opening[KIND] == "newline":
            # `model A` with `{` on the next line: Prisma rejects it; read the block all the same.
            ahead = self.index
            while ahead < self.count and self.tokens[ahead][KIND] == "newline":
                ahead += 1
            if ahead < self.count and self.tokens[ahead][TEXT] == "{":
                self.error(
                    f"`{{` must be on the same line as `{kind} {name_token[TEXT]}`", keyword[START], name_token[END]
                )
                self.index = ahead
        if not self.at("{"):
            token = self.peek()
            self.error(
                f"expected `{{` after `{kind} {name_token[TEXT]}`",
                name_token[START],
                token[END] if token is not None and token[KIND] != "newline" else name_token[END],
            )
            self.recover_top_level()
            return None
        self.index += 1
        closed = self._skip_rest_of_opening_line(kind, name_token[TEXT])
        fields: list[FieldDeclaration] = []
        values: list[EnumValueDeclaration] = []
        properties: list[ConfigProperty] = []
        attributes: list[Attribute] = []
        doc_lines: list[str] = []
        tokens = self.tokens
        # How this block's member lines are read: in one pass, else token by token (fields or enum values).
        members: list[FieldDeclaration] | list[EnumValueDeclaration] | None = None
        if kind in _FIELD_BLOCKS:
            members, read_member, read_tokens = fields, self.common_lines.field, self.parse_field
        elif kind == "enum":
            members, read_member, read_tokens = values, self.common_lines.enum_value, self.parse_enum_value  # type: ignore[assignment]
        while not closed and self.index < self.count:
            token = tokens[self.index]
            token_kind, token_text = token[KIND], token[TEXT]
            if token_kind == "member_line" and members is not None:
                # The most common line of all, first, and the member lines that follow it in one go (the hot path).
                member_doc = _join_doc(doc_lines) if doc_lines else None
                doc_lines = []
                index = self.index
                while True:
                    index += 1
                    start, end = token[START], token[END]
                    member = read_member(start, end, member_doc)
                    if member is None:
                        self.index = index
                        member = self._from_line_tokens(start, end, partial(read_tokens, member_doc))
                    if member is not None:
                        members.append(member)  # type: ignore[arg-type]
                    token = tokens[index]
                    if token[KIND] != "member_line":
                        break
                    member_doc = None
                self.index = index
                continue
            if token_kind == "newline":
                self.index += 1
                continue
            if token_text == "}":
                self.index += 1
                closed = True
                break
            if token_kind == "doc":
                doc_lines.append(_doc_text(token_text))
                self.index += 1
                continue
            if token_kind == "attribute_line":
                attribute = self._attribute_line(token)
                if attribute is not None:
                    attributes.append(attribute)
                doc_lines = []  # (documentation above a block attribute documents nothing)
                continue
            if token_kind == "member_line":
                self._tokens_from_here()  # no member of this block: read the line (and the rest) token by token
                continue
            if token_kind == "ident" and token_text in BLOCK_KINDS and self._starts_new_block():
                # A new block starts at the left margin: the previous one lost its closing brace.
                break
            doc = None
            if doc_lines:
                doc = _join_doc(doc_lines)
                doc_lines = []
            if token_kind == "atat":
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
            self.error(f"`{kind} {name_token[TEXT]}` is missing its closing `}}`", keyword[START], name_token[END])
        return Block(
            kind,
            name_token[TEXT],
            (tuple(fields), tuple(values), tuple(properties)),
            tuple(attributes),
            documentation,
            keyword[END],
            name_token[START],
            name_token[END],
            keyword[START],
            end,
            self.lines,
        )

    def _attribute_line(self, token: Token) -> Attribute | None:
        """A block attribute's common line: read in one pass, or else from the line's tokens."""
        self.index += 1
        start, end = token[START], token[END]
        attribute = self.common_lines.block_attribute(start, end)
        return attribute if attribute is not None else self._from_line_tokens(start, end, self._block_attribute)

    def _block_attribute(self) -> Attribute | None:
        """`@@name(...)` and the end of its line, as the block's loop reads them."""
        attribute = self.parse_attribute()
        self.expect_line_end()
        return attribute

    def _from_line_tokens(self, start: int, end: int, read: Callable[[], _T]) -> _T:
        """What `read` makes of the line `text[start:end]` (a common line) tokenized the general way."""
        outer = self.tokens, self.index, self.count
        line = line_tokens(self.text, start, end)
        self.count = len(line) - 1
        self.tokens, self.index = line, 0
        try:
            return read()
        finally:
            self.tokens, self.index, self.count = outer

    def _tokens_from_here(self) -> None:
        """Make the tokens from the current one on plain tokens, without common lines (once per parse at most)."""
        start = self.tokens[self.index][START]
        rest, _, stopped = tokenizer._file_tokens(
            self.text, False, start, tokenizer._long_lines(self.text), tokenizer.MAX_TOKENS - self.index
        )
        if stopped is not None and not self.stopped:
            self._stop_reading(stopped)
        rest.append(("end", "", len(self.text), len(self.text)))
        self.tokens[self.index :] = rest
        self.count = len(self.tokens) - 1

    def _skip_rest_of_opening_line(self, kind: str, name: str) -> bool:
        """Prisma ignores what follows `{` on its line; say so. True when that text closed the block."""
        start = self.index
        while (token := self.peek()) is not None and token[KIND] != "newline":
            if token[KIND] == "punct" and token[TEXT] == "}":
                self.error(
                    f"`{kind} {name}` opens and closes on one line; Prisma needs `}}` on a line of its own",
                    token[START],
                    token[END],
                )
                self.index += 1
                return True
            self.index += 1
        if self.index > start:
            first, last = self.tokens[start], self.tokens[self.index - 1]
            if not (first[KIND] == "doc" and self.index - start == 1):
                self.error(
                    f"Prisma ignores text after `{{` on the line that opens `{kind} {name}`; start it on the next line",
                    first[START],
                    last[END],
                )
        return False

    def expect_line_end(self) -> None:
        token = self.peek()
        if token is None or token[KIND] in ("newline", "doc") or (token[KIND] == "punct" and token[TEXT] == "}"):
            if token is not None and token[KIND] == "punct" and token[TEXT] == "}":
                self.error("`}` must be on a line of its own", token[START], token[END])
            return
        start = token[START]
        self.skip_line()
        self.error("unexpected text at the end of the line", start, self.end_of_previous())

    def trailing_doc(self, documentation: str | None) -> str | None:
        """A `///` comment at the end of a declaration's line documents that declaration."""
        token = self.peek()
        if token is None or token[KIND] != "doc":
            return documentation
        self.index += 1
        text = _doc_text(token[TEXT])
        return f"{documentation}\n{text}" if documentation is not None else text

    # -- members -------------------------------------------------------------------------------------------------
    def parse_field(self, documentation: str | None) -> FieldDeclaration | None:
        tokens = self.tokens
        name = tokens[self.index]
        if name[KIND] != "ident":
            self.error(f"expected a field name, found `{_shown(name[TEXT])}`", name[START], name[END])
            self.skip_line()
            return None
        self.index += 1
        if tokens[self.index][TEXT] == ":":
            colon = self.advance()
            self.error("field declarations take no `:` between the name and the type", colon[START], colon[END])
        field_type = self.parse_field_type(name)
        attributes = tuple(self.parse_attributes()) if tokens[self.index][TEXT] == "@" else ()
        end = tokens[self.index - 1][END]
        following = tokens[self.index][KIND]
        if following == "doc":
            documentation = self.trailing_doc(documentation)
        if following != "newline":
            self.expect_line_end()
        return FieldDeclaration(
            name[TEXT], field_type, attributes, documentation, name[END], name[START], end, self.lines
        )

    def parse_field_type(self, name: Token) -> FieldType | None:
        tokens, i = self.tokens, self.index
        kind, type_name, start, end = tokens[i]
        if kind == "ident" and type_name != "Unsupported" and tokens[i + 1][TEXT] not in _TYPE_SUFFIXES:
            # The common case, a bare `Type`.
            self.index = i + 1
            return FieldType(type_name, False, False, None, start, end, self.lines)
        token = self.peek()
        legacy_list: Token | None = None
        if token is not None and token[KIND] == "punct" and token[TEXT] == "[":
            # `[Int]`, the list syntax of Prisma 1.
            legacy_list = token
            self.index += 1
            token = self.peek()
        if token is None or token[KIND] != "ident":
            self.error(f"field `{name[TEXT]}` has no type", name[START], name[END])
            return None
        self.index += 1
        start, type_name, unsupported = token[START], token[TEXT], None
        if type_name == "Unsupported" and self.at("("):
            self.index += 1
            literal = self.peek()
            if literal is not None and literal[KIND] == "string":
                unsupported = _unquote(literal[TEXT])
                self.index += 1
            else:
                self.error("`Unsupported` takes the database type as a string", token[START], token[END])
            if self.at(")"):
                self.index += 1
            else:
                self.error("expected `)` after `Unsupported(...`", token[START], self.end_of_previous())
        optional = is_list = False
        if legacy_list is not None:
            is_list = True
            if self.at("]"):
                self.index += 1
            self.error(
                f"write a list as `{type_name}[]`, not `[{type_name}]`", legacy_list[START], self.end_of_previous()
            )
        elif self.at("[") and (closing := self.peek(1)) is not None and closing[TEXT] == "]" and self._adjacent(1):
            self.index += 2
            is_list = True
        if self.at("?"):
            self.index += 1
            optional = True
            if is_list:
                self.error("a list cannot be optional: use `Type[]` or `Type?`", start, self.end_of_previous())
        if self.at("!"):
            bang = self.advance()
            self.error("fields are required by default: `!` is not valid in a field type", start, bang[END])
        return FieldType(type_name, optional, is_list, unsupported, start, self.end_of_previous(), self.lines)

    def parse_enum_value(self, documentation: str | None) -> EnumValueDeclaration | None:
        name = self.advance()
        if name[KIND] != "ident":
            self.error(f"expected an enum value, found `{_shown(name[TEXT])}`", name[START], name[END])
            self.index -= 1
            self.skip_line()
            return None
        attributes = self.parse_attributes() if self.tokens[self.index][TEXT] == "@" else ()
        end = self.end_of_previous()
        documentation = self.trailing_doc(documentation)
        self.expect_line_end()
        return EnumValueDeclaration(
            name[TEXT], tuple(attributes), documentation, name[END], name[START], end, self.lines
        )

    def parse_property(self) -> ConfigProperty | None:
        key = self.advance()
        if key[KIND] != "ident":
            self.error(f"expected a property name, found `{_shown(key[TEXT])}`", key[START], key[END])
            self.index -= 1
            self.skip_line()
            return None
        value: Expression | None = None
        if self.at("="):
            self.index += 1
            value = self.guarded(self.parse_expression, None)
            if value is None:
                self.error(f"`{key[TEXT]}` has no value", key[START], self.end_of_previous())
        else:
            self.error(f"expected `=` after `{key[TEXT]}`", key[START], key[END])
        end = self.end_of_previous()
        self.trailing_doc(None)
        self.expect_line_end()
        return ConfigProperty(key[TEXT], value, key[END], key[START], end, self.lines)

    # -- attributes and expressions -----------------------------------------------------------------------------
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
            and self._adjacent()
            and (part := self.peek(1)) is not None
            and part[KIND] == "ident"
            and self._adjacent(1)
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
                self.index = i + 3
                return (Argument(None, value, first[START], first[END], self.lines),)  # type: ignore[arg-type]
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
                    self.error(f"unexpected `{_shown(bad[TEXT])}` in arguments", bad[START], bad[END])
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
            value = _unquote(token[TEXT])
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
        start = self.tokens[self.index][START]
        if self.depth < MAX_NESTING and (plain := self._plain_list(start)) is not None:
            return plain
        values: list[Expression] = []

        def read_value(token: Token) -> bool:
            value = self.parse_expression()
            if value is None:
                self.error(f"unexpected `{_shown(token[TEXT])}` in a list", token[START], token[END])
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
                    f"expected `key: value` in an object, found `{_shown(token[TEXT])}`", token[START], token[END]
                )
                self.index += 1
                return False
            self.index += 2
            value = self.parse_expression()
            if value is None:
                self.error("expected a value after `:`", token[START], colon[END])
                return True
            key = _unquote(token[TEXT]) if token[KIND] == "string" else token[TEXT]
            members.append(ObjectMember(key, value, token[START], self.end_of_previous(), self.lines))
            return True

        self._delimited("}", "object members", read_member)
        return ObjectValue(tuple(members), start, self.end_of_previous(), self.lines)


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


def _unexpected_top_level(token: Token) -> str:
    if token[KIND] == "ident" and token[TEXT] in BLOCK_KINDS:
        return f"`{token[TEXT]}` must be followed by a name and `{{`"
    if token[KIND] == "ident":
        kinds = ", ".join(f"`{k}`" for k in sorted(BLOCK_KINDS))
        return f"`{_shown(token[TEXT])}` is not a block type; expected one of {kinds}"
    return f"unexpected `{_shown(token[TEXT])}` outside of a block"
