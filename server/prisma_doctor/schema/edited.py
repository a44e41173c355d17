"""An edited schema file read again from its first changed block on: the blocks before it are the earlier reading's
own. A person types in one place, and a language server checks the whole file after each keystroke; on a schema of
thousands of lines the blocks above the edit are most of the parse.

The result is the plain reading's (`parse_schema` of the whole text), node for node and error for error (the tests
hold the two equal over the corpus and random edits). It holds because the parser's state where a block has closed
at the end of its line is the state it starts a file in (at the top level, no documentation pending), and because
the text before that line, the same in both texts, says nothing the parser keeps past it. So the rest of the file is
read by `parse_schema` itself, from a copy of the text whose reused part is blanked (every character but line
breaks a space): the offsets, lines and columns of what follows are the whole text's. Nothing is reused when the
earlier reading met an error before that line (what the parser said there may reach further), or when the file is
long enough for the tokenizer's bound to matter (it counts the blanked part's tokens differently).
"""

from __future__ import annotations

import re

from prisma_doctor.schema import tokenizer
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import Block, SchemaFile

_NOT_A_LINE_BREAK = re.compile(r"[^\r\n]+")
# Every byte but a line break's to a space: ASCII text is blanked in C (a callback a line costs ~2 ms on 3,000 lines).
_BLANK_BYTES = bytes(byte if byte in b"\r\n" else 32 for byte in range(256))
# What may follow a block's closing `}` on its line for the next line to start afresh: blanks, then the line break.
_REST_OF_LINE = re.compile(r"[ \t]*(?:\r\n|\n|\r)")


def parse_edited(text: str, path: str, earlier: SchemaFile | None) -> SchemaFile:
    """`parse_schema(text, path)`, reusing the blocks of `earlier` (the same file's reading before an edit) that
    stand, closed, before the first character that changed."""
    if earlier is None or earlier.path != path or len(text) >= tokenizer.MAX_TOKENS:
        return parse_schema(text, path)
    kept, resume = _unchanged_blocks(earlier, text)
    if not kept:
        return parse_schema(text, path)
    blanked = _blanked(text[:resume]) + text[resume:]
    rest = parse_schema(blanked, path)
    return SchemaFile(path, (*kept, *rest.blocks), rest.errors, text)


def _unchanged_blocks(earlier: SchemaFile, text: str) -> tuple[tuple[Block, ...], int]:
    """The leading blocks of `earlier` whose text and closing line `text` has unchanged, before any error of
    `earlier`; and where the line after the last of them starts."""
    same = _common_prefix(earlier.text, text)
    first_error_line = min((e.span.start.line for e in earlier.errors), default=None)
    kept: list[Block] = []
    resume = 0
    for block in earlier.blocks:
        end = block.end_offset
        if end > same or text[end - 1 : end] != "}":
            break
        line_end = _REST_OF_LINE.match(text, end)
        if line_end is None or line_end.end() > same:
            break
        if first_error_line is not None and block.span.end.line >= first_error_line:
            break
        kept.append(block)
        resume = line_end.end()
    return tuple(kept), resume


def _common_prefix(a: str, b: str) -> int:
    """How many characters `a` and `b` share from their start: halving, each comparison in C."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[low:middle] == b[low:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _blanked(text: str) -> str:
    """`text` with every character but line breaks a space."""
    if text.isascii():
        return text.encode("ascii").translate(_BLANK_BYTES).decode("ascii")
    return _NOT_A_LINE_BREAK.sub(_spaces, text)


def _spaces(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())
