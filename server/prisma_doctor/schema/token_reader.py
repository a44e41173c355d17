"""A cursor over a list of tokens, and the errors of one parse: what every reader of the tokens shares.

The parser reads a file's tokens, and a common line that the one-pass reading does not take is read from tokens of
its own (parser.py): each with a reader of its own over its list, all adding to the one list of errors.
"""

from __future__ import annotations

from prisma_doctor.schema.syntax import LineIndex, SyntaxError_
from prisma_doctor.schema.tokenizer import END, KIND, START, TEXT, Token


class SyntaxErrors:
    """The errors of one parse. Past `limit` they are counted, not listed: nobody reads the ten-thousandth, and
    garbage gives one a line."""

    __slots__ = ("_first_left_out", "_left_out", "_limit", "_lines", "_listed")

    def __init__(self, lines: LineIndex, limit: int) -> None:
        self._lines = lines
        self._limit = limit
        self._listed: list[SyntaxError_] = []
        self._left_out, self._first_left_out = 0, 0

    def add(self, message: str, start: int, end: int) -> None:
        if len(self._listed) < self._limit:
            self._listed.append(SyntaxError_(message, self._lines.span(start, max(end, start))))
        elif self._left_out == 0:
            self._left_out, self._first_left_out = 1, start
        else:
            self._left_out += 1

    def all(self) -> tuple[SyntaxError_, ...]:
        """The errors listed, then what says how many more there were."""
        if not self._left_out:
            return tuple(self._listed)
        note = SyntaxError_(
            f"{self._left_out:,} more errors from here on are not listed (only the first {self._limit:,})",
            self._lines.span(self._first_left_out, self._first_left_out),
        )
        return (*self._listed, note)


class TokenReader:
    """A position in a list of tokens that ends with the tokenizer's `end` sentinel (tokenizer.py), so that hot
    paths may look at the next token unguarded; `peek` and every bound still stop at `count`."""

    def __init__(self, tokens: list[Token], lines: LineIndex, errors: SyntaxErrors) -> None:
        self.tokens = tokens
        self.count = len(tokens) - 1
        # Declared: the readers move it by expressions of itself, which a checker cannot infer a type from.
        self.index: int = 0
        self.lines = lines
        self.text = lines.text
        self.errors = errors

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
        self.errors.add(message, start, end)

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

    def adjacent(self, ahead: int = 0) -> bool:
        """Whether the token `ahead` follows the one before it with nothing in between (Prisma's dotted paths)."""
        i = self.index + ahead
        return 0 < i < self.count and self.tokens[i - 1][END] == self.tokens[i][START]

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
        text = doc_text(token[TEXT])
        return f"{documentation}\n{text}" if documentation is not None else text


def doc_text(comment: str) -> str:
    # Prisma trims each `///` line on both sides.
    return comment[3:].strip()


def shown(text: str) -> str:
    """`text` as an error message quotes it: unprintable characters escaped, and no more than 40."""
    printable = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return printable[:40]
