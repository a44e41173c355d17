"""The one-pass reading of common lines (schema/common_lines.py) against the token-by-token reading it stands for.

`parse_schema(text)` reads most field, enum value and block attribute lines in one pass;
`parse_schema(text, common_lines=False)` reads every line token by token. Both must give the same tree, ranges and
errors included, on any text: the corpus, text made of the pieces such lines are made of, and corpus schemas with
lines changed. The slow suite runs many more examples:

    PRISMA_DOCTOR_COMMON_LINES_EXAMPLES=100000 /work/venv/bin/pytest -m slow tests/test_schema_common_lines.py
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prisma_doctor.schema import tokenizer
from prisma_doctor.schema.common_lines import CommonLineReader
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import LineIndex
from tests.schema_corpus import corpus_schemas, read_text

CORPUS_TEXTS = [read_text(path) for schema in corpus_schemas() for path in schema.files()]


def assert_same_reading(text: str) -> None:
    fast = parse_schema(text, "/t/schema.prisma")
    plain = parse_schema(text, "/t/schema.prisma", common_lines=False)
    assert fast.errors == plain.errors
    assert fast.blocks == plain.blocks
    assert fast == plain


def test_every_corpus_schema_reads_the_same_both_ways() -> None:
    for text in CORPUS_TEXTS:
        assert_same_reading(text)


def test_the_common_lines_are_read_in_one_pass() -> None:
    """Guards the speed-up itself: the corpus's common lines come as one token each and are read without tokens."""
    counts = {"member_line": 0, "attribute_line": 0}
    read = 0
    for text in CORPUS_TEXTS:
        tokens, _ = tokenizer.file_tokens(text)
        reader = CommonLineReader(LineIndex(text))
        for kind, _, start, end in tokens:
            if kind == "member_line":
                read += reader.field(start, end, None) is not None or reader.enum_value(start, end, None) is not None
            elif kind == "attribute_line":
                read += reader.block_attribute(start, end) is not None
            counts[kind] = counts.get(kind, 0) + 1
    assert counts["member_line"] > 10_000 and counts["attribute_line"] > 1_000, counts
    lines_read = counts["member_line"] + counts["attribute_line"]
    assert read / lines_read > 0.95, (read, lines_read)


def test_a_typical_model_is_all_common_lines() -> None:
    text = (
        "model User {\n"
        '  id        String   @id @default(auto()) @map("_id") @db.ObjectId\n'
        "  email     String?  @unique // the login\n"
        '  posts     Post[]   @relation("author", fields: [a, b], references: [id], onDelete: Cascade)\n'
        "  score     Float    @default(-1.5)\r\n"
        "  tags      String[] @default([])\n"
        "  @@index([email])\n"
        "}\n"
        "enum Role {\n"
        "  USER\n"
        '  ADMIN @map("admin") // the boss\n'
        "}\n"
    )
    tokens, _ = tokenizer.file_tokens(text)
    kinds = [kind for kind, *_ in tokens]
    assert (kinds.count("member_line"), kinds.count("attribute_line")) == (7, 1)
    assert_same_reading(text)
    user = parse_schema(text).blocks[0]
    posts = user.fields[2]
    relation = posts.attributes[0]
    assert relation.argument("fields").items[1].text == "b"  # type: ignore[union-attr]
    line = text.splitlines()[3]
    assert (relation.span.start.character, relation.span.end.character) == (line.index("@"), len(line))
    assert user.fields[1].span.end.character == text.splitlines()[2].index(" //")  # the comment is not the field's


def test_a_field_shaped_line_in_an_enum_is_not_read_as_a_value_with_known_attributes() -> None:
    """`b Float @x` in an enum after a field with `@x`: the attributes are known, the `Float` before them is wrong."""
    text = "model A {\n  a  BigInt   @test.BinData\n}\nenum E {\n  b  Float    @test.BinData\n}\n"
    assert_same_reading(text)
    assert [error.message for error in parse_schema(text).errors] == ["unexpected text at the end of the line"]


def test_a_string_holding_two_slashes_does_not_hide_the_closing_brace_after_it() -> None:
    """`"a//b")}`: what follows `//` is not a comment, and the `}` closes the model."""
    text = 'model A {\n  id Int @id\n  aId Int? @uniq("a//b")}\n'
    assert_same_reading(text)
    assert not any("missing its closing" in error.message for error in parse_schema(text).errors)


def test_a_string_holding_two_slashes_does_not_hide_a_block_comment_after_it() -> None:
    """`"a//b") /*`: the block comment after the string runs over the next line, which is no field."""
    text = 'model A {\n  id Int @id\n  b Int @uniq("a//b") /* from here\n  c Int\n  */\n}\n'
    assert_same_reading(text)
    assert [field.name for field in parse_schema(text).blocks[0].fields] == ["id", "b"]


@pytest.mark.parametrize(
    "text",
    [
        "model A\n{\n  id Int @id\n}\n",
        "model A // c\n\n// x\n\n{\n  id Int @id\n}\n",
        "/// doc\nview A\r\n\r\n{\r\n  a Int\r\n}\r\n",
        "model A\nmodel B {\n  id Int\n}\n",
        "model A @x\n  id Int\n",
        "type A[]\n",
        "enum\n",
        '/// doc\n\nid Int @id\n@@map("x")\nenum E {\n  A\n}\n',
        'datasource db {\n  provider "x"\n  url\n  a b @c\n  @@map("x")\n}\n',
        "generator g {\n  previewFeatures\n}\n",
        "{\n  a Int\n  b\n}\nmodel A {\n  id Int\n}\n",
        "model {\n  id Int @id\n  model B\n}\nenum E {\n  A\n}\n",
        "enum A\n  B\n}\n",
    ],
)
def test_common_lines_where_no_block_reads_them_read_the_same_both_ways(text: str) -> None:
    """Outside any block, in a datasource, inside a region skipped for an error: read from the line's own tokens."""
    assert_same_reading(text)


# Pieces of field lines and of what surrounds them, so that random text lands on the edges of the one-pass shapes.
_PIECES = [
    "model M {\n",
    "enum E {\n",
    "  A\n",
    '  B @map("b")\n',
    "type T {\n",
    "datasource db {\n",
    "}\n",
    "\n",
    "\r\n",
    "\r",
    "  ",
    "\t",
    " ",
    "\u00a0",
    "id",
    "name",
    "model",
    "String",
    "Int",
    "Unsupported",
    "Post",
    "é",
    "a-b",
    "[]",
    "?",
    "[]?",
    "!",
    "@id",
    "@@id",
    "  @@index([a, b])\n",
    '@@map("m")',
    '@@unique([a], map: "u")',
    "@",
    "@map",
    "@db.VarChar",
    "@db.",
    "@default",
    "@relation",
    "(",
    ")",
    "()",
    '("x")',
    '("a//b")',
    '("a\\"b")',
    '"',
    "(now())",
    '(dbgenerated("x"))',
    "(0)",
    "(-1.5)",
    "(1.)",
    "(a.b)",
    "(a, b)",
    "(a,)",
    "([a, b])",
    "([])",
    "([a,])",
    "([a.b])",
    "fields: [a]",
    "name: ",
    ", ",
    ":",
    "{",
    "// note",
    "/// doc",
    "/* c */",
    '("a//b")',
    '("a//b") /* c',
    "/*\n*/",
    "\x00",
]
field_line_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=2)), max_size=50).map("".join)


@st.composite
def corpus_with_changed_lines(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS_TEXTS))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        cut = draw(st.integers(0, len(line)))
        lines[at] = line[:cut] + draw(st.sampled_from(_PIECES)) + line[cut + draw(st.integers(0, 3)) :]
    return "".join(lines)


EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(field_line_text)
def test_pieces_of_field_lines_read_the_same_both_ways(text: str) -> None:
    assert_same_reading(text)


@EXAMPLES
@given(field_line_text)
def test_pieces_inside_a_model_read_the_same_both_ways(text: str) -> None:
    assert_same_reading("model M {\n" + text + "\n}\n")


@EXAMPLES
@given(corpus_with_changed_lines())
def test_corpus_schemas_with_changed_lines_read_the_same_both_ways(text: str) -> None:
    assert_same_reading(text)


MANY = int(os.environ.get("PRISMA_DOCTOR_COMMON_LINES_EXAMPLES", "100000"))


@pytest.mark.slow
@settings(max_examples=MANY, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(field_line_text.map(lambda text: "model M {\n" + text + "\n}\n"), corpus_with_changed_lines()))
def test_many_texts_read_the_same_both_ways(text: str) -> None:
    assert_same_reading(text)
