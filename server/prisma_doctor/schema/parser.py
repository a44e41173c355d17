"""Text of a Prisma schema file to its syntax tree, with exact ranges, for any input.

The parser never raises on bad input: a missing brace, a truncated file or binary garbage gives every block that
can be read plus errors with ranges. It reads the file's tokens (tokenizer.py, the hot path of `check` and of the
language server on every keystroke) block by block; the declaration on each line of a block is read by
declarations.py and values.py. Speed is kept the plain way: a tuple per token, offsets rather than ranges in the
nodes (syntax.py), a common line (a field, an enum value, a block attribute written the common way) taken whole as
one token and read in one pass (common_lines.py), and single passes for the common shapes (a bare type, a list of
names, `(value)`, `(f())`); each builds exactly what the general path would, and falls back to it at the first thing
it does not expect. A common line that pass does not take, or that stands where no block reads such lines, is read
from tokens of its own: the file's tokens are never rewritten.

It follows Prisma's own grammar where that grammar is strict about lines: a declaration ends at its line's end, so
attribute arguments and lists never span lines; whatever follows `{` on a block's opening line is ignored (Prisma
ignores it too, so it is reported); identifiers may hold any Unicode letter; `//`, `///` and `/* */` are comments,
and `///` lines are kept as documentation of what follows them (a trailing `///` documents its own line).
"""

from __future__ import annotations

import gc

from prisma_doctor.schema.common_lines import CommonLineReader
from prisma_doctor.schema.declarations import DeclarationReader
from prisma_doctor.schema.syntax import (
    BLOCK_KINDS,
    TYPE_CHECKING,
    Attribute,
    Block,
    ConfigProperty,
    EnumValueDeclaration,
    FieldDeclaration,
    LineIndex,
    SchemaFile,
)
from prisma_doctor.schema.token_reader import SyntaxErrors, doc_text, shown
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

if TYPE_CHECKING:  # see syntax.py: `typing` is left out of start-up
    from collections.abc import Callable
    from typing import TypeVar

    _Member = TypeVar("_Member", FieldDeclaration, EnumValueDeclaration)

# Errors past this many in a file are counted, not listed (a module constant read on each parse: the tests lower it).
MAX_ERRORS = 1_000
# The blocks whose lines are fields.
_FIELD_BLOCKS = frozenset({"model", "view", "type"})


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


class _BlockContents:
    """What a block's lines have declared so far, and the `///` lines read since its last declaration."""

    __slots__ = ("attributes", "doc_lines", "fields", "kind", "properties", "values")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.fields: list[FieldDeclaration] = []
        self.values: list[EnumValueDeclaration] = []
        self.properties: list[ConfigProperty] = []
        self.attributes: list[Attribute] = []
        self.doc_lines: list[str] = []

    def take_documentation(self) -> str | None:
        """The `///` lines read since the last declaration, joined: they document the next one, and no other."""
        if not self.doc_lines:
            return None
        documentation = "\n".join(self.doc_lines)
        self.doc_lines = []
        return documentation


class _Parser(DeclarationReader):
    """Reads the blocks of a file, and what lies between them, into a `SchemaFile`."""

    def __init__(self, text: str, path: str, common_lines: bool = True) -> None:
        tokens, problems = file_tokens(text, common_lines)
        lines = LineIndex(text)
        super().__init__(tokens, lines, SyntaxErrors(lines, MAX_ERRORS))
        self.path = path
        self.common_lines = CommonLineReader(lines)
        for message, start, end in problems:
            self.error(message, start, end)

    # -- top level -----------------------------------------------------------------------------------------------
    def parse(self) -> SchemaFile:
        """The file's blocks, and the errors met on the way."""
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
                doc_lines.append(doc_text(token[TEXT]))
                self.index += 1
                continue
            if token[KIND] in COMMON_LINES:
                block = self._common_line_outside_blocks(token, _join_doc(doc_lines))
                if block is not None:
                    blocks.append(block)
                doc_lines = []
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
        return SchemaFile(self.path, tuple(blocks), self.errors.all(), self.text)

    def _common_line_outside_blocks(self, line: Token, documentation: str | None) -> Block | None:
        """A common line at the top level: read as the top level reads its tokens, which ends on the line (it holds
        no brace), but for `model A` with its `{` on a later line."""
        self.index += 1
        first, second, third = self._line_reader(line, at_most=3).tokens[:3]
        if first[KIND] == "ident" and first[TEXT] in BLOCK_KINDS and second[KIND] == "ident":
            if third[KIND] == "newline" and self._brace_on_a_later_line(first, second):
                return self._block_after_brace(first, second, documentation)
            end = second[END] if third[KIND] == "newline" else third[END]
            self.error(f"expected `{{` after `{first[TEXT]} {second[TEXT]}`", second[START], end)
            return None
        self.error(_unexpected_top_level(first), first[START], first[END])
        return None

    def _names_block(self) -> bool:
        """`model Name`: a keyword followed by a name (a field called `view` inside a block is not a block)."""
        following = self.peek(1)
        return following is not None and following[KIND] == "ident"

    def _is_type_alias(self) -> bool:
        """`type Name = ...`, which Prisma has no such thing as."""
        name, equals = self.peek(1), self.peek(2)
        return name is not None and name[KIND] == "ident" and equals is not None and equals[TEXT] == "="

    def _line_end_offset(self) -> int:
        """Where the last token of the cursor's line ends."""
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
            # (A common line is met only inside braces here, and skipped whole: it holds no brace, nor any block.)
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

    def _starts_line(self) -> bool:
        """Whether the token at the cursor is the first of its line."""
        return self.index == 0 or self.tokens[self.index - 1][KIND] in LINE_ENDS

    # -- blocks --------------------------------------------------------------------------------------------------
    def parse_block(self, documentation: str | None) -> Block | None:
        """The block at the cursor, `model Name {` and on; None when no `{` follows its name."""
        keyword, name = self.advance(), self.advance()
        if self.tokens[self.index][KIND] == "newline":
            self._brace_on_a_later_line(keyword, name)
        if not self.at("{"):
            token = self.tokens[self.index]
            self.error(
                f"expected `{{` after `{keyword[TEXT]} {name[TEXT]}`",
                name[START],
                token[END] if self.index < self.count and token[KIND] != "newline" else name[END],
            )
            self.recover_top_level()
            return None
        return self._block_after_brace(keyword, name, documentation)

    def _brace_on_a_later_line(self, keyword: Token, name: Token) -> bool:
        """`model A` with `{` on a later line: Prisma rejects it; move to the `{`, to read the block all the same."""
        ahead = self.index
        while ahead < self.count and self.tokens[ahead][KIND] == "newline":
            ahead += 1
        if ahead < self.count and self.tokens[ahead][TEXT] == "{":
            self.error(f"`{{` must be on the same line as `{keyword[TEXT]} {name[TEXT]}`", keyword[START], name[END])
            self.index = ahead
            return True
        return False

    def _block_after_brace(self, keyword: Token, name: Token, documentation: str | None) -> Block:
        """The block from its `{` on: its lines up to its closing `}`, or to where it is seen to have lost it."""
        kind = keyword[TEXT]
        self.index += 1
        block = _BlockContents(kind)
        closed = self._skip_rest_of_opening_line(kind, name[TEXT]) or self._block_lines(block)
        end = self.end_of_previous()
        if not closed:
            self.error(f"`{kind} {name[TEXT]}` is missing its closing `}}`", keyword[START], name[END])
        return Block(
            kind,
            name[TEXT],
            (tuple(block.fields), tuple(block.values), tuple(block.properties)),
            tuple(block.attributes),
            documentation,
            keyword[END],
            name[START],
            name[END],
            keyword[START],
            end,
            self.lines,
        )

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

    def _block_lines(self, block: _BlockContents) -> bool:
        """The lines of a block, each by what starts it, up to its closing `}`; False when the block ends without
        one (at the end of the file, or where a new block starts)."""
        tokens = self.tokens
        while self.index < self.count:
            token = tokens[self.index]
            kind = token[KIND]
            if kind == "member_line":  # the most common line of all, first
                self._member_lines(block)
            elif kind == "newline":
                self.index += 1
            elif token[TEXT] == "}":
                self.index += 1
                return True
            elif kind == "doc":
                block.doc_lines.append(doc_text(token[TEXT]))
                self.index += 1
            elif kind == "attribute_line":
                self._attribute_line(block, token)
            elif kind == "ident" and token[TEXT] in BLOCK_KINDS and self._starts_new_block():
                return False  # a new block starts at the left margin: this one lost its closing brace
            else:
                self._declaration(block)
        return False

    def _member_lines(self, block: _BlockContents) -> None:
        """The member lines at the cursor, fields or enum values by the block's kind."""
        if block.kind in _FIELD_BLOCKS:
            self._run_of_member_lines(block.fields, self.common_lines.field, DeclarationReader.parse_field, block)
        elif block.kind == "enum":
            self._run_of_member_lines(
                block.values, self.common_lines.enum_value, DeclarationReader.parse_enum_value, block
            )
        else:
            self._property_line(block)

    def _run_of_member_lines(
        self,
        members: list[_Member],
        read_line: Callable[[int, int, str | None], _Member | None],
        read_tokens: Callable[[DeclarationReader, str | None], _Member | None],
        block: _BlockContents,
    ) -> None:
        """The member line at the cursor and those that follow it, in one go (the hot path): each read in one pass
        by `read_line`, else from its own tokens by `read_tokens`."""
        tokens, index = self.tokens, self.index
        token = tokens[index]
        documentation = block.take_documentation()  # (only the first line can have any: the others follow it)
        while True:
            index += 1
            member = read_line(token[START], token[END], documentation)
            if member is None:
                member = read_tokens(self._line_reader(token), documentation)
            if member is not None:
                members.append(member)
            token = tokens[index]
            if token[KIND] != "member_line":
                break
            documentation = None
        self.index = index

    def _property_line(self, block: _BlockContents) -> None:
        """A member line in a block that has no members (a datasource, a generator): read as a property, for the
        errors it holds."""
        line = self.advance()
        block.take_documentation()  # (a property keeps none)
        prop = self._line_reader(line).parse_property()
        if prop is not None:
            block.properties.append(prop)

    def _attribute_line(self, block: _BlockContents, line: Token) -> None:
        """A block attribute's common line: read in one pass, or else from the line's tokens."""
        self.index += 1
        block.take_documentation()  # (documentation above a block attribute documents nothing)
        attribute = self.common_lines.block_attribute(line[START], line[END])
        if attribute is None:
            attribute = self._line_reader(line).parse_block_attribute()
        if attribute is not None:
            block.attributes.append(attribute)

    def _declaration(self, block: _BlockContents) -> None:
        """A line that is no common line, read token by token: a block attribute, or a member of the block."""
        documentation = block.take_documentation()
        if self.tokens[self.index][KIND] == "atat":
            attribute = self.parse_block_attribute()
            if attribute is not None:
                block.attributes.append(attribute)
        elif block.kind in ("datasource", "generator"):
            prop = self.parse_property()
            if prop is not None:
                block.properties.append(prop)
        elif block.kind == "enum":
            value = self.parse_enum_value(documentation)
            if value is not None:
                block.values.append(value)
        else:
            field = self.parse_field(documentation)
            if field is not None:
                block.fields.append(field)

    def _line_reader(self, line: Token, at_most: int | None = None) -> DeclarationReader:
        """A reader of the common line `line` token by token, the general way (the errors go with the file's);
        `at_most` tokens of it, when only the first few matter."""
        tokens = line_tokens(self.text, line[START], line[END], at_most)
        return DeclarationReader(tokens, self.lines, self.errors)


def _join_doc(lines: list[str]) -> str | None:
    """The `///` lines of a block's documentation, joined; None for none."""
    return "\n".join(lines) if lines else None


def _unexpected_top_level(token: Token) -> str:
    """What to say of a token that starts no block at the top level."""
    if token[KIND] == "ident" and token[TEXT] in BLOCK_KINDS:
        return f"`{token[TEXT]}` must be followed by a name and `{{`"
    if token[KIND] == "ident":
        kinds = ", ".join(f"`{k}`" for k in sorted(BLOCK_KINDS))
        return f"`{shown(token[TEXT])}` is not a block type; expected one of {kinds}"
    return f"unexpected `{shown(token[TEXT])}` outside of a block"
