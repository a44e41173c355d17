"""An edited file read again from its first change (schema/edited.py) against the plain reading of the whole text.

`parse_edited(new, path, parse_schema(old))` must give exactly `parse_schema(new)`, ranges and errors included, for
every schema of the corpus and edits of every kind: a block added or removed, a line deleted, a character that
opens or closes a block, a comment or a string put anywhere, line breaks changed; and along a chain of edits, each
reading reusing the last.
"""

from __future__ import annotations

import random

from prisma_doctor.schema import tokenizer
from prisma_doctor.schema.edited import parse_edited
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import SchemaFile
from tests.schema_corpus import corpus_schemas, read_text

PATH = "/t/schema.prisma"
CORPUS_TEXTS = [read_text(path) for schema in corpus_schemas() for path in schema.files()]
# What a person's keystroke may put anywhere, the pieces that change how the rest of a file reads among them.
PIECES = ["{", "}", "}\n", "\n", "\r\n", "\r", "/*", "*/", "//", "///", '"', "@", "@@", " ", "x", "model A {", "\t"]
PIECES += ["é", "😀"]


def assert_same_as_plain(text: str, earlier: SchemaFile) -> SchemaFile:
    edited = parse_edited(text, PATH, earlier)
    plain = parse_schema(text, PATH)
    assert edited.errors == plain.errors
    assert edited.blocks == plain.blocks
    assert edited == plain
    return edited


def edits_of(text: str, rng: random.Random) -> list[str]:
    """Edits of `text` at random places, each of a kind a person makes."""
    lines = text.splitlines(keepends=True)
    at = rng.randrange(len(text) + 1)
    line = rng.randrange(len(lines)) if lines else 0
    new_model = "\nmodel Edited {\n  id Int @id\n  name String?\n}\n"
    return [
        text + new_model,
        text[:at] + rng.choice(PIECES) + text[at:],
        text[:at] + text[at + 1 :],
        "".join([*lines[:line], new_model, *lines[line:]]),
        "".join(lines[:line] + lines[line + 1 :]),
        "".join([*lines[:line], rng.choice(PIECES) + "\n", *lines[line + 1 :]]),
        text.replace("\n", "\r\n", 1) if rng.random() < 0.5 else text[: len(text) // 2],
    ]


def test_every_corpus_schema_edited_reads_as_the_whole_text_does() -> None:
    rng = random.Random(13)
    for text in CORPUS_TEXTS:
        earlier = parse_schema(text, PATH)
        for edited in edits_of(text, rng):
            assert_same_as_plain(edited, earlier)


def test_a_chain_of_edits_reuses_each_reading_in_turn() -> None:
    rng = random.Random(5)
    for text in sorted(CORPUS_TEXTS, key=len)[-10:]:
        reading = parse_schema(text, PATH)
        for _ in range(10):
            text = rng.choice(edits_of(text, rng))
            reading = assert_same_as_plain(text, reading)


def test_the_blocks_above_an_edit_are_the_earlier_readings_own() -> None:
    """Guards the speed-up itself: what stands before the change is not read again."""
    text = max(CORPUS_TEXTS, key=len)
    earlier = parse_schema(text, PATH)
    middle = earlier.blocks[len(earlier.blocks) // 2]
    cut = middle.span.start.line
    lines = text.splitlines(keepends=True)
    edited = parse_edited("".join([*lines[:cut], "model Typed {\n  id Int @id\n}\n", *lines[cut:]]), PATH, earlier)
    reused = [b for b in edited.blocks if any(b is e for e in earlier.blocks)]
    assert len(reused) >= len(earlier.blocks) // 2 - 1
    assert all(b is e for b, e in zip(edited.blocks[: len(reused)], earlier.blocks, strict=False))


def test_nothing_is_reused_past_an_error_or_from_another_file() -> None:
    text = "model A {\n  id Int @id\n}\nmodel B {\n  id Int @id\n  oops\n}\nmodel C {\n  id Int @id\n}\n"
    earlier = parse_schema(text, PATH)
    assert earlier.errors
    edited = parse_edited(text + "\n", PATH, earlier)
    assert edited.blocks[1] is not earlier.blocks[1] and edited.blocks[0] is earlier.blocks[0]
    assert_same_as_plain(text + "\n", earlier)
    other = parse_edited(text, "/t/other.prisma", earlier)
    assert all(b is not e for b, e in zip(other.blocks, earlier.blocks, strict=True))


def test_a_file_near_the_token_bound_is_read_whole(monkeypatch) -> None:
    monkeypatch.setattr(tokenizer, "MAX_TOKENS", 40)
    text = "model A {\n  id Int @id\n}\n" * 3
    earlier = parse_schema(text, PATH)
    edited = assert_same_as_plain(text + "model B {\n}\n", earlier)
    assert edited.blocks[0] is not earlier.blocks[0]


def test_text_beyond_ascii_and_crlf_line_breaks_before_the_edit() -> None:
    """The reused part blanked character by character (not byte by byte): the columns after it are UTF-16's."""
    text = "// café 😀\r\nmodel A {\r\n  id Int @id // é\r\n}\r\n\r\n"
    text += "/// doc 😀\r\nmodel B {\r\n  id Int @id\r\n  x Strin\r\n}\r\n"
    earlier = parse_schema(text, PATH)
    edited = assert_same_as_plain(text + "model C {\r\n  😀 Int\r\n}\r\n", earlier)
    assert edited.blocks[0] is earlier.blocks[0]
