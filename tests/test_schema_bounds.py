"""The parser's bounds on hostile input: a line too long to be a declaration, too many tokens, too many errors.

Each is met by garbage only; past it the parser stops spending memory and says what it left out. The bounds are
lowered here (they are module constants read on each parse) so that small texts reach them.
"""

from __future__ import annotations

import random
import re

import pytest

from prisma_doctor.findings import Position, Span
from prisma_doctor.schema import parser, tokenizer
from prisma_doctor.schema.parser import parse_schema


def test_long_lines_are_found_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The search probes windows of half the limit; a plain scan of every line is the reference.
    rng = random.Random(7)
    for limit in (8, 9, 16):
        monkeypatch.setattr(tokenizer, "MAX_LINE_CHARS", limit)
        for _ in range(300):
            text = "".join(rng.choice(["a" * rng.randint(0, 3 * limit), "\n", "\r", "\r\n"]) for _ in range(12))
            expected = [m.span() for m in re.finditer(r"[^\r\n]+", text) if m.end() - m.start() > limit]
            assert tokenizer._long_lines(text) == expected, (limit, text)


def test_a_line_too_long_is_left_out_and_the_rest_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenizer, "MAX_LINE_CHARS", 100)
    long_line = "{" * 101
    schema = parse_schema(f"model A {{\n  id Int @id\n{long_line}\n  b Int\n}}\n/// B\nenum B {{\n  x\n}}\n")
    assert [(e.message, e.span) for e in schema.errors] == [
        (
            "this line is 101 characters long, more than a schema line may be (100); it was not read",
            Span(Position(2, 0), Position(2, 101)),
        )
    ]
    assert [f.name for f in schema.blocks[0].fields] == ["id", "b"]
    assert schema.blocks[1].documentation == "B"
    # Not a character more: a line at the limit is read as any other.
    line = '  id Int @id @map("' + "x" * 79 + '")'
    assert len(line) == 100
    assert parse_schema("model A {\n" + line + "\n}\n").errors == ()


@pytest.mark.parametrize("common_lines", [True, False])
def test_reading_stops_after_the_token_budget_and_says_where(
    monkeypatch: pytest.MonkeyPatch, common_lines: bool
) -> None:
    monkeypatch.setattr(tokenizer, "MAX_TOKENS", 40)
    text = "model A {\n  id Int @id\n}\n" + "{\n" * 100
    schema = parse_schema(text, common_lines=common_lines)
    stop = schema.errors[0]
    assert stop.message == (
        "the file holds more than 40 words and symbols, far more than any schema: the rest of it was not read"
    )
    assert 3 < stop.span.start.line < 100
    assert [b.name for b in schema.blocks] == ["A"]


def test_errors_past_the_limit_are_counted_not_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parser, "MAX_ERRORS", 5)
    schema = parse_schema("a b\n" * 20)
    assert [e.message for e in schema.errors][:5] == [
        "`a` is not a block type; expected one of `datasource`, `enum`, `generator`, `model`, `type`, `view`"
    ] * 5
    assert schema.errors[5].message == "15 more errors from here on are not listed (only the first 5)"
    assert schema.errors[5].span.start == Position(5, 0)
    assert len(schema.errors) == 6
