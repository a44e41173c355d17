"""Property tests of the schema parser: no exception escapes on any input, and every range lies inside the text.

The default run tries a few hundred inputs per property. The reliability suite runs a million:

    PRISMA_DOCTOR_CORPUS=... /work/venv/bin/pytest -m slow tests/test_schema_fuzz.py

(`PRISMA_DOCTOR_FUZZ_EXAMPLES` changes the count of that run; each hypothesis example there checks 100 inputs.)
"""

from __future__ import annotations

import functools
import json
import os
import random
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from prisma_doctor.findings import Span
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.format import format_schema
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import SchemaFile
from prisma_doctor.schema.validate import validate_schema
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


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf16_line_lengths(text: str) -> list[int]:
    return [len(line.encode("utf-16-le", "surrogatepass")) // 2 for line in re.split(r"\r\n|\n|\r", text)]


@functools.cache
def _child_names(cls: type) -> tuple[str, ...]:
    """A syntax node's fields, ranges included (`FIELDS`); `Span` and `Position` are walked as leaves."""
    return tuple(name for name in getattr(cls, "FIELDS", ()) if name != "text")


def spans_of(node: object) -> list[Span]:
    found: list[Span] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Span):
            found.append(item)
        elif isinstance(item, tuple | list):
            stack.extend(item)
        else:
            stack.extend(getattr(item, name) for name in _child_names(type(item)))
    return found


def check_any_input(text: str) -> SchemaFile:
    schema = parse_schema(text, "/fuzz/schema.prisma")
    lengths = utf16_line_lengths(text)
    for span in spans_of(schema):
        assert span.start <= span.end, span
        for position in (span.start, span.end):
            assert 0 <= position.line < len(lengths), (position, len(lengths))
            assert 0 <= position.character <= lengths[position.line], (position, lengths[position.line])
    validate_schema([schema])
    dmmf = json.dumps(build_datamodel([schema]).to_dmmf(), ensure_ascii=False)
    if not _SURROGATE.search(text):
        # What a file can hold never turns into a lone surrogate (which no UTF-8 output could print).
        dmmf.encode("utf-8")
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
        if _child_names(type(node)):
            return (type(node).__name__, *(strip(getattr(node, name)) for name in _child_names(type(node))))
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


def _mutate(text: str, rng: random.Random) -> str:
    """The mutations of `mutated_corpus_schema`, drawn from a seeded generator (for the million-input run)."""
    for _ in range(rng.randint(1, 4)):
        start = rng.randint(0, len(text))
        end = rng.randint(start, min(len(text), start + 200))
        choice = rng.randrange(5)
        if choice == 0:
            text = text[:start]
        elif choice == 1:
            text = text[:start] + text[end:]
        elif choice == 2:
            text = text[:start] + "".join(rng.choices(_PIECES, k=rng.randint(1, 20))) + text[start:]
        elif choice == 3:
            garbage = rng.randbytes(rng.randint(1, 40)).decode("utf-8", errors="surrogateescape")
            text = text[:start] + garbage + text[start:]
        else:
            text = text[:start] + text[start:end] + text[start:]
    return text


INPUTS_PER_EXAMPLE = 100


@pytest.mark.slow
@pytest.mark.timeout(4 * 3600)  # about 35 CPU minutes on one core: far past the suite's default timeout
@settings(
    max_examples=max(1, MILLION // INPUTS_PER_EXAMPLE),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # The inputs derived from the random generator do not shrink; a failure names its input whole instead.
    phases=(Phase.generate,),
)
@given(st.randoms(use_true_random=False), st.one_of(any_text, schema_like_text, mutated_corpus_schema()))
def test_a_million_inputs(rng: random.Random, text: str) -> None:
    """Each example is one input drawn by hypothesis and 99 more derived from it and from the corpus."""
    check_any_input(text)
    for _ in range(INPUTS_PER_EXAMPLE - 1):
        base = text if rng.random() < 0.3 else rng.choice(CORPUS_TEXTS)
        derived = _mutate(base, rng)
        try:
            check_any_input(derived)
        except Exception as error:
            raise AssertionError(f"failing input: {derived!r}") from error
