"""Property tests of the schema parser: no exception escapes on any input, and every range lies inside the text.

The default run tries a few hundred inputs per property. The reliability suite runs a million:

    PRISMA_DOCTOR_CORPUS=... /work/venv/bin/pytest -m slow tests/test_schema_fuzz.py

(`PRISMA_DOCTOR_FUZZ_EXAMPLES` changes the count of that run.)
"""

from __future__ import annotations

import dataclasses
import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prisma_doctor.findings import Span
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.format import format_schema
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import SchemaFile
from tests.schema_corpus import corpus_schemas, read_text

CORPUS_TEXTS = [read_text(path) for schema in corpus_schemas() for path in schema.files()]
MILLION = int(os.environ.get("PRISMA_DOCTOR_FUZZ_EXAMPLES", "1000000"))

# Pieces of the language, so that random text reaches deep into the parser rather than failing on line one.
_PIECES = [
    "model",
    "view",
    "enum",
    "type",
    "datasource",
    "generator",
    "A",
    "id",
    "Int",
    "String?",
    "Post[]",
    "Int[]?",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "@",
    "@@",
    "@id",
    "@map",
    "@@index",
    "@db.VarChar",
    "Unsupported",
    ":",
    ",",
    "=",
    "?",
    "!",
    ".",
    '"',
    '"text"',
    '"\\"',
    "\\",
    "///",
    "//",
    "/*",
    "*/",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "\ufeff",
    "\u00a0",
    "é",
    "名",
    "😀",
    "\x00",
    "\udc80",
    "-1.5",
    "42",
    "sort: Desc",
    'env("X")',
    "{a: {b: 1}}",
]
schema_like_text = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=60).map("".join)
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)


@st.composite
def mutated_corpus_schema(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 200)))
        choice = draw(st.sampled_from(["truncate", "delete", "insert", "insert-bytes", "duplicate"]))
        if choice == "truncate":
            text = text[:start]
        elif choice == "delete":
            text = text[:start] + text[end:]
        elif choice == "insert":
            text = text[:start] + draw(schema_like_text) + text[start:]
        elif choice == "insert-bytes":
            garbage = draw(st.binary(max_size=40)).decode("utf-8", errors="surrogateescape")
            text = text[:start] + garbage + text[start:]
        else:
            text = text[:start] + text[start:end] + text[start:]
    return text


def utf16_line_lengths(text: str) -> list[int]:
    return [len(line.encode("utf-16-le", "surrogatepass")) // 2 for line in re.split(r"\r\n|\n|\r", text)]


def spans_of(node: object) -> list[Span]:
    found: list[Span] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Span):
            found.append(item)
        elif isinstance(item, tuple | list):
            stack.extend(item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "text")
    return found


def check_any_input(text: str) -> SchemaFile:
    schema = parse_schema(text, "/fuzz/schema.prisma")
    lengths = utf16_line_lengths(text)
    for span in spans_of(schema):
        assert span.start <= span.end, span
        for position in (span.start, span.end):
            assert 0 <= position.line < len(lengths), (position, len(lengths))
            assert 0 <= position.character <= lengths[position.line], (position, lengths[position.line])
    json.dumps(build_datamodel([schema]).to_dmmf())
    return schema


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(any_text)
def test_any_text_is_read_without_exception(text: str) -> None:
    check_any_input(text)


@FAST
@given(schema_like_text)
def test_schema_like_text_is_read_without_exception(text: str) -> None:
    check_any_input(text)


@FAST
@given(mutated_corpus_schema())
def test_mutated_corpus_schemas_are_read_without_exception(text: str) -> None:
    check_any_input(text)


def _shape(schema: SchemaFile) -> object:
    """The tree without its ranges (which move when the text is laid out anew)."""

    def strip(node: object) -> object:
        if isinstance(node, Span):
            return None
        if isinstance(node, tuple | list):
            return tuple(strip(item) for item in node)
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            return (
                type(node).__name__,
                *(strip(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "text"),
            )
        return node

    return strip(schema.blocks)


# Formatting makes sense for schemas that are whole as text: for a broken one it drops what could not be read.
WHOLE_TEXTS = [text for text in CORPUS_TEXTS if not parse_schema(text).errors]


def test_most_of_the_corpus_is_whole_as_text() -> None:
    assert len(WHOLE_TEXTS) > 0.9 * len(CORPUS_TEXTS)


@pytest.mark.parametrize("index", range(len(WHOLE_TEXTS)))
def test_formatting_a_corpus_schema_reads_back_the_same(index: int) -> None:
    schema = parse_schema(WHOLE_TEXTS[index])
    formatted = format_schema(schema)
    again = parse_schema(formatted)
    assert again.errors == ()
    assert _shape(again) == _shape(schema)
    assert format_schema(again) == formatted
    assert build_datamodel([again]) == build_datamodel([schema])


@pytest.mark.slow
@settings(max_examples=MILLION, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(any_text, schema_like_text, mutated_corpus_schema()))
def test_a_million_inputs(text: str) -> None:
    check_any_input(text)
