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
from bisect import bisect_right
from functools import partial
from itertools import accumulate, chain
from operator import itemgetter

from prisma_doctor.schema.common_lines import (
    ATTRIBUTE_LINE,
    LINE_AHEAD,
    MEMBER_LINE,
    read_attribute_line,
    read_field_line,
    read_value_line,
)
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

# Whitespace is what Prisma's grammar calls whitespace (Unicode space separators and tabs), plus a stray BOM. It is
# matched in front of each token rather than as a token of its own: half as many matches on an indented file.
# `findall` hands back (whitespace, token) pairs without a match object per token; the offsets are the running sum
# of their lengths, and a token's kind follows from its text (see `_kind`).
_WHITESPACE = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]"
_TOKEN_ALTERNATIVES = rf"""
      (?:\r\n|\n|\r)(?:[ \t]*+(?:\r\n|\n|\r))*+  # newline, with the blank lines after it
    | [A-Za-z][A-Za-z0-9_\-]*+(?![^\W_])  # ident, when ASCII (faster to match than the Unicode classes)
    | [^\W\d_][\w\-]*                     # ident
    | [{{}}()\[\],:=?.!]|@(?!@)           # punct
    | "(?:[^"\\\r\n]|\\[^\r\n]?)*"?       # string, perhaps unterminated
    | ///[^\r\n]*                        # doc
    | -?[0-9]+(?:\.[0-9]+)?               # number
    | @@                                  # atat
    | (?!{_WHITESPACE}).                  # other
"""
# Comments go with the whitespace before a token: the parser never sees them. What precedes a token is taken whole
# (`*+`: a comment that ends the file must not give back its last characters as a token), so the end of the text
# is a last, empty token.
_COMMENT = r"//(?!/)[^\r\n]*|/\*.*?(?:\*/|\Z)"
_TRIVIA = rf"{_WHITESPACE}*+(?:(?:{_COMMENT}){_WHITESPACE}*+)*+"
# `findall` gives (what precedes, a member line, a token) for each: the middle is always empty here.
_TOKEN = re.compile(rf"({_TRIVIA})()({_TOKEN_ALTERNATIVES}|\Z)", re.VERBOSE | re.DOTALL)
# The same, and a common line whole as one token where it looks like one (see common_lines.py): a field's or an enum
# value's line (`member_line`) or a block attribute's (`attribute_line`). They are most of the tokens of a large
# schema, and their nodes are built without walking them. Member lines come in a group of their own: their kind is
# known without a look at each (they are mostly all different), and their text is not kept (the parser reads them
# from the text by their offsets).
_TOKEN_OR_LINE = re.compile(
    rf"({LINE_AHEAD}|{_TRIVIA})(?:({MEMBER_LINE})|({ATTRIBUTE_LINE}|{_TOKEN_ALTERNATIVES}|\Z))",
    re.VERBOSE | re.DOTALL,
)
_COMMON_LINES = frozenset({"member_line", "attribute_line"})
# The blocks whose lines are fields.
_FIELD_BLOCKS = frozenset({"model", "view", "type"})
_ONE_LINE_BREAK = ("\n", "\r\n", "\r")
# The kinds of token after which a new line starts: a common line ends with its line break.
_LINE_ENDS = frozenset({"newline", "doc", *_COMMON_LINES})
_COMMENT_IN_TRIVIA = re.compile(_COMMENT, re.DOTALL)
_IDENT_START = re.compile(r"[^\W\d_]")
_FIXED_KINDS: dict[str, str] = {
    "": "member_line",  # (its text is in the middle group, not kept)
    **{newline: "newline" for newline in _ONE_LINE_BREAK},
    **{punct: "punct" for punct in "{}()[],:=?.!@"},
    "@@": "atat",
}

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0", "'": "'", "/": "/", "b": "\b", "f": "\f"}
_CONTROL = re.compile(r"[\x00-\x1f]")
# What may follow a type name and make it more than a bare `Type` (a list, optional, `!`, `Unsupported(...)`).
_TYPE_SUFFIXES = frozenset({"[", "?", "!", "("})
# The kinds of token that are a whole value on their own (a name, unless a `.`, `(` or `:` follows it).
_ONE_TOKEN_VALUES = frozenset({"ident", "number", "string"})


MAX_NESTING = 64
# A token costs about 150 bytes while the parse lasts (a tuple and two offsets), and 300 while it is made: a file of
# one-character tokens would take 300 times its size. Past these bounds what is left is not read, with an error
# saying so. A file: a real schema has a token for each 30 characters or so (6 when read token by token), so only a
# schema of 3 to 15 MB meets the bound (the largest real ones are a few hundred KB), or garbage. A line longer than
# a megabyte is no declaration (a common line is one token however long): it is left out whole, rather than spend
# the file's budget on it.
MAX_LINE_CHARS = 1 << 20
MAX_TOKENS = 500_000
# Errors past this many in a file are counted, not listed: nobody reads the ten-thousandth, and garbage gives one a
# line.
MAX_ERRORS = 1_000
if TYPE_CHECKING:  # see syntax.py: `typing` is left out of start-up
    from collections.abc import Callable
    from typing import TypeVar

    from prisma_doctor.schema.common_lines import AttributeMemo

    _T = TypeVar("_T")

# A token is a tuple (kind, text, start, end): tuples are built by `zip` in C, far cheaper than an object per token.
_Token = tuple[str, str, int, int]
KIND, TEXT, START, END = 0, 1, 2, 3


class _TooDeep(Exception):
    """Values nested past MAX_NESTING: unwinds the descent to the attribute or property that holds them."""

    def __init__(self, token: _Token) -> None:
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


def _kind(text: str) -> str:
    """The kind of a token from its text: which alternative of `_TOKEN` matched it."""
    first = text[0]
    if first in "\r\n":
        return "newline"  # several: a line break and blank lines (one alone is in _FIXED_KINDS)
    if text[-1] in "\r\n":
        return "attribute_line"  # (member lines are told apart by the tokenizer)
    if first == '"':
        return "string"
    if first == "/":
        return "doc" if len(text) > 1 else "other"
    if "0" <= first <= "9" or (first == "-" and len(text) > 1):
        return "number"
    return "ident" if _IDENT_START.match(first) else "other"


def _tokens(
    text: str, common_lines: bool = True, start: int = 0, end: int | None = None
) -> tuple[list[_Token], list[tuple[str, int, int]]]:
    """The tokens of `text[start:end]`, and the block comments apart: each with its offset and the index of the
    token that follows it. With `common_lines`, a common line may be one token, its line break included."""
    tokens, comments, _ = _scan(text, common_lines, start, len(text) if end is None else end, None)
    return tokens, comments


def _scan(
    text: str, common_lines: bool, start: int, end: int, budget: int | None
) -> tuple[list[_Token], list[tuple[str, int, int]], int | None]:
    """`_tokens`, stopping after `budget` tokens: the third item is where it stopped, None when it reached `end`."""
    comments_possible = text.find("/*", start, end) >= 0
    pattern = _TOKEN_OR_LINE if common_lines else _TOKEN
    stopped = None
    if budget is None or end - start < budget:  # (fewer characters than the budget: fewer tokens too)
        triples = pattern.findall(text, start, end)
    else:
        triples, stopped = _at_most(pattern, text, start, end, budget)
    offsets = list(accumulate(map(len, chain.from_iterable(triples)), initial=start))
    comments = _block_comments(text, triples, offsets, end) if comments_possible else []
    while triples and not triples[-1][1] and not triples[-1][2]:
        triples.pop()  # the empty matches at the end: after what ends the text, and at its very end
    texts = list(map(itemgetter(2), triples))  # empty for a member line
    kinds_by_text = dict(_FIXED_KINDS)
    for new in set(texts).difference(kinds_by_text):
        kinds_by_text[new] = _kind(new)
    kinds = list(map(kinds_by_text.__getitem__, texts))
    # What precedes token i ends where the token starts: offsets[3i + 1]; the token ends at offsets[3i + 3].
    count = len(triples)
    tokens = list(zip(kinds, texts, offsets[1 : 3 * count : 3], offsets[3 : 3 * count + 1 : 3], strict=True))
    return tokens, comments, stopped


def _at_most(
    pattern: re.Pattern[str], text: str, start: int, end: int, budget: int
) -> tuple[list[tuple[str, str, str]], int | None]:
    """What `findall` gives, but no more than `budget` matches, and where it stopped (None: at `end`). One match
    object per token: slower than `findall`, and only for a text longer than the budget."""
    triples: list[tuple[str, str, str]] = []
    append = triples.append
    for match in pattern.finditer(text, start, end):
        groups = match.groups("")  # (`findall` gives "" for a group that took no part, as `groups("")` does)
        if len(triples) == budget and (groups[1] or groups[2]):  # (not the empty match at the very end)
            return triples, match.start()
        append(groups)
    return triples, None


def _long_lines(text: str) -> list[tuple[int, int]]:
    """The lines longer than MAX_LINE_CHARS, each as (start, end) without its line break.

    A line at least that long holds a whole one of the windows of half that length laid end to end from the start,
    and no line break in it: a few hundred `find` calls on the largest file, instead of a look at every line.
    """
    half, length = MAX_LINE_CHARS // 2, len(text)
    if length <= MAX_LINE_CHARS:
        return []
    found: list[tuple[int, int]] = []
    past = 0  # the end of the last long line found: windows before it lie inside it
    for window in range(0, length - half + 1, half):
        window_end = window + half
        if window < past or text.find("\n", window, window_end) >= 0 or text.find("\r", window, window_end) >= 0:
            continue
        start = max(text.rfind("\n", 0, window), text.rfind("\r", 0, window)) + 1
        ends = [at for at in (text.find("\n", window_end), text.find("\r", window_end)) if at >= 0]
        end = min(ends, default=length)
        if end - start > MAX_LINE_CHARS:
            found.append((start, end))
        past = end
    return found


def _file_tokens(
    text: str, common_lines: bool, start: int, long_lines: list[tuple[int, int]], budget: int
) -> tuple[list[_Token], list[tuple[str, int, int]], int | None]:
    """The tokens from `start` to the end, the long lines left out, at most `budget` of them; and where they stopped
    (None: at the end). What is left out of a line is its text: its line break is a token as always."""
    tokens: list[_Token] = []
    comments: list[tuple[str, int, int]] = []
    for line_start, line_end in [*long_lines, (len(text), len(text))]:
        if line_end <= start:
            continue
        part, part_comments, stopped = _scan(text, common_lines, start, line_start, budget - len(tokens))
        comments.extend((comment, at, following + len(tokens)) for comment, at, following in part_comments)
        if tokens:
            tokens.extend(part)
        else:
            tokens = part  # (most files: one part, not copied)
        if stopped is not None:
            return tokens, comments, stopped
        start = line_end
    return tokens, comments, None


def _block_comments(
    text: str, triples: list[tuple[str, str, str]], offsets: list[int], end: int
) -> list[tuple[str, int, int]]:
    """`/* */` comments in what precedes each token (the only comments with rules of their own)."""
    found: list[tuple[str, int, int]] = []
    searched: set[int] = set()
    at = text.find("/*", offsets[0], end)
    while at >= 0:
        # offsets[3i] to offsets[3i + 1] is what precedes token i; a `/*` elsewhere is inside a token (a string).
        slot = bisect_right(offsets, at) - 1
        index = slot // 3
        if slot % 3 == 0 and index not in searched:
            searched.add(index)
            for match in _COMMENT_IN_TRIVIA.finditer(triples[index][0]):
                if match.group().startswith("/*"):
                    found.append((match.group(), offsets[slot] + match.start(), index))
        at = text.find("/*", at + 1, end)
    return found


class _Parser:
    def __init__(self, text: str, path: str, common_lines: bool = True) -> None:
        self.text = text
        self.path = path
        self.long_lines = _long_lines(text)
        self.tokens, comments, stopped = _file_tokens(text, common_lines, 0, self.long_lines, MAX_TOKENS)
        self.count = len(self.tokens)
        # A sentinel past the end, of no kind and no text, so that hot paths may look at the next token unguarded;
        # `peek` and every bound below still stop at `count`.
        self.tokens.append(("end", "", len(text), len(text)))
        self.index = 0
        self.lines = LineIndex(text)
        self.errors: list[SyntaxError_] = []
        self.depth = 0  # of values inside values: `[[...]]`, `f(g(...))`
        self.attribute_memo: AttributeMemo = {}
        self.stopped = False  # at MAX_TOKENS
        self.errors_left_out, self.first_left_out = 0, 0  # past MAX_ERRORS
        for start, end in self.long_lines:
            if stopped is None or start < stopped:
                self.error(
                    f"this line is {end - start:,} characters long, more than a schema line may be "
                    f"({MAX_LINE_CHARS:,}); it was not read",
                    start,
                    end,
                )
        if stopped is not None:
            self._stop_reading(stopped)
        for comment, start, following in comments:
            if not comment[2:].endswith("*/"):
                self.error("unterminated block comment: `/*` has no closing `*/`", start, start + 2)
            elif ("\n" in comment or "\r" in comment) and self._inside_a_line(following):
                # Prisma reads declarations line by line: a comment over several lines cannot join two halves.
                self.error("a block comment over several lines cannot sit inside a line", start, start + 2)

    def _stop_reading(self, at: int) -> None:
        self.stopped = True
        self.error(
            f"the file holds more than {MAX_TOKENS:,} words and symbols, far more than any schema: the rest of it "
            "was not read",
            at,
            at,
        )

    def _inside_a_line(self, following: int) -> bool:
        """Whether significant tokens stand on both sides of the position `following` with no line break between."""
        if not 0 < following < self.count:
            return False
        return self.tokens[following - 1][KIND] not in _LINE_ENDS and self.tokens[following][KIND] != "newline"

    # -- token helpers -------------------------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> _Token | None:
        i = self.index + ahead
        return self.tokens[i] if i < self.count else None

    def at(self, text: str) -> bool:
        """Whether the next token is the punctuation `text` (no other kind of token can have that text)."""
        return self.tokens[self.index][TEXT] == text

    def advance(self) -> _Token:
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
        return self.index == 0 or self.tokens[self.index - 1][KIND] in _LINE_ENDS

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
                if token[TEXT] not in _ONE_LINE_BREAK or (
                    (following := self.peek()) is not None and following[KIND] == "newline"
                ):
                    doc_lines = []  # a blank line (or one of only a comment) parts a `///` comment from what follows
                continue
            if token[KIND] == "doc":
                doc_lines.append(_doc_text(token[TEXT]))
                self.index += 1
                continue
            if token[KIND] in _COMMON_LINES:
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
            if token[KIND] in _COMMON_LINES:
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
        tokens, text, lines, memo = self.tokens, self.text, self.lines, self.attribute_memo
        # How this block's member lines are read: in one pass, else token by token (fields or enum values).
        members: list[FieldDeclaration] | list[EnumValueDeclaration] | None = None
        if kind in _FIELD_BLOCKS:
            members, read_member, read_tokens = fields, read_field_line, self.parse_field
        elif kind == "enum":
            members, read_member, read_tokens = values, read_value_line, self.parse_enum_value  # type: ignore[assignment]
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
                    member = read_member(text, start, end, lines, member_doc, memo)
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

    def _attribute_line(self, token: _Token) -> Attribute | None:
        """A block attribute's common line: read in one pass, or else from the line's tokens."""
        self.index += 1
        start, end = token[START], token[END]
        attribute = read_attribute_line(self.text, start, end, self.lines)
        return attribute if attribute is not None else self._from_line_tokens(start, end, self._block_attribute)

    def _block_attribute(self) -> Attribute | None:
        """`@@name(...)` and the end of its line, as the block's loop reads them."""
        attribute = self.parse_attribute()
        self.expect_line_end()
        return attribute

    def _from_line_tokens(self, start: int, end: int, read: Callable[[], _T]) -> _T:
        """What `read` makes of the line `text[start:end]` (a common line) tokenized the general way."""
        outer = self.tokens, self.index, self.count
        line, _ = _tokens(self.text, False, start, end)
        self.count = len(line)
        line.append(("end", "", end, end))
        self.tokens, self.index = line, 0
        try:
            return read()
        finally:
            self.tokens, self.index, self.count = outer

    def _tokens_from_here(self) -> None:
        """Make the tokens from the current one on plain tokens, without common lines (once per parse at most)."""
        start = self.tokens[self.index][START]
        rest, _, stopped = _file_tokens(self.text, False, start, self.long_lines, MAX_TOKENS - self.index)
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

    def parse_field_type(self, name: _Token) -> FieldType | None:
        tokens, i = self.tokens, self.index
        kind, type_name, start, end = tokens[i]
        if kind == "ident" and type_name != "Unsupported" and tokens[i + 1][TEXT] not in _TYPE_SUFFIXES:
            # The common case, a bare `Type`.
            self.index = i + 1
            return FieldType(type_name, False, False, None, start, end, self.lines)
        token = self.peek()
        legacy_list: _Token | None = None
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

    def _dotted_path(self, first: _Token) -> tuple[str, int]:
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

    def _delimited(self, closer: str, items: str, read_item: Callable[[_Token], bool]) -> None:
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

        def read_argument(token: _Token) -> bool:
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

    def _parse_expression(self, token: _Token) -> Expression | None:
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

        def read_value(token: _Token) -> bool:
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

        def read_member(token: _Token) -> bool:
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


def _unexpected_top_level(token: _Token) -> str:
    if token[KIND] == "ident" and token[TEXT] in BLOCK_KINDS:
        return f"`{token[TEXT]}` must be followed by a name and `{{`"
    if token[KIND] == "ident":
        kinds = ", ".join(f"`{k}`" for k in sorted(BLOCK_KINDS))
        return f"`{_shown(token[TEXT])}` is not a block type; expected one of {kinds}"
    return f"unexpected `{_shown(token[TEXT])}` outside of a block"
