"""Every range of every node, on real schemas, against the text it must cover.

The parser keeps offsets and makes ranges when they are asked for; these tests turn each range back into text with
a conversion of their own (lines split by hand, columns counted in UTF-16 code units) and check that it covers what
the node says it is: a name its name, a string its literal, a list its brackets.
"""

from __future__ import annotations

import functools
import re

import pytest

from prisma_doctor.findings import Span
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import (
    Argument,
    ArrayValue,
    Attribute,
    Block,
    ConfigProperty,
    ConstantValue,
    EnumValueDeclaration,
    FieldDeclaration,
    FieldType,
    FunctionValue,
    ObjectMember,
    ObjectValue,
    SchemaFile,
    StringValue,
)
from tests.schema_corpus import corpus_schemas, read_text


@functools.cache
def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer(r"\r\n|\n|\r", text)]


def _offset(text: str, line: int, character: int) -> int:
    """A position back to an offset: the line's start, then `character` UTF-16 code units along it."""
    offset = _line_starts(text)[line]
    units = 0
    while units < character:
        units += 2 if ord(text[offset]) > 0xFFFF else 1
        offset += 1
    assert units == character, "a column in the middle of a character"
    return offset


def covered(text: str, span: Span) -> str:
    return text[_offset(text, span.start.line, span.start.character) : _offset(text, span.end.line, span.end.character)]


def _nodes(schema: SchemaFile) -> list[object]:
    found: list[object] = []
    stack: list[object] = list(schema.blocks)
    while stack:
        node = stack.pop()
        found.append(node)
        for name in type(node).FIELDS:  # type: ignore[attr-defined]
            value = getattr(node, name)
            if isinstance(value, tuple):
                stack.extend(value)
            elif hasattr(type(value), "FIELDS"):
                stack.append(value)
    return found


def check_ranges(text: str, schema: SchemaFile) -> int:
    """Assert that each node's ranges cover its own text; return how many ranges were checked."""
    checked = 0

    def at(span: Span) -> str:
        nonlocal checked
        checked += 1
        return covered(text, span)

    for node in _nodes(schema):
        whole = at(node.span)  # type: ignore[attr-defined]
        if isinstance(node, Block):
            assert at(node.keyword_span) == node.kind and whole.startswith(node.kind)
            assert at(node.name_span) == node.name
        elif isinstance(node, FieldDeclaration | EnumValueDeclaration):
            assert at(node.name_span) == node.name and whole.startswith(node.name)
        elif isinstance(node, ConfigProperty):
            assert at(node.key_span) == node.key and whole.startswith(node.key)
        elif isinstance(node, FieldType):
            assert whole.lstrip("[").startswith(node.name)
        elif isinstance(node, Attribute):
            marker = "@@" if node.is_block else "@"
            assert at(node.name_span) == marker + node.name and whole.startswith(marker + node.name)
            assert whole.endswith(")") or not node.arguments
        elif isinstance(node, Argument):
            assert node.name is None or whole.startswith(node.name)
            assert whole.endswith(covered(text, node.value.span))
        elif isinstance(node, StringValue):
            assert "\\" in whole or whole == f'"{node.value}"'
        elif isinstance(node, ConstantValue):
            assert whole == node.text
        elif isinstance(node, FunctionValue):
            assert whole.startswith(node.name) and whole.endswith(")")
        elif isinstance(node, ArrayValue):
            assert whole.startswith("[") and whole.endswith("]")
        elif isinstance(node, ObjectValue):
            assert whole.startswith("{") and whole.endswith("}")
        elif isinstance(node, ObjectMember):
            assert whole.endswith(covered(text, node.value.span))
    return checked


@functools.cache
def _largest(count: int) -> list[str]:
    texts = [read_text(path) for schema in corpus_schemas() for path in schema.files()]
    return sorted(texts, key=len, reverse=True)[:count]


@pytest.mark.parametrize("index", range(6))
def test_every_range_of_a_large_schema_covers_its_text(index: int) -> None:
    text = _largest(6)[index]
    schema = parse_schema(text)
    assert check_ranges(text, schema) > 1000


def test_ranges_in_crlf_text_with_wide_characters() -> None:
    text = (
        '/// 名前 😀\r\nmodel Ünïcode {\r\n  id  Int    @id @map("😀") @default(autoincrement())\r\n'
        '  名前  String @map("名前😀") @db.VarChar(255)\r\n  tags String[] /* a\r\nb */\r\n'
        '  @@index([名前, tags], map: "i😀")\r\n}\r\nenum É {\r\n  A @map("😀")\r\n}\r\n'
        'datasource db {\r\n  provider = "postgresql"\r\n  extensions = [postgis(version: "3")]\r\n}\r\n'
    )
    schema = parse_schema(text)
    assert check_ranges(text, schema) > 40


def test_ranges_do_not_depend_on_other_parses() -> None:
    """Ranges are made late, from the text of their own parse, whatever was parsed in between."""
    first_text, second_text = _largest(2)
    first = parse_schema(first_text)
    second = parse_schema("\n\n\n" + second_text.replace("\n", "\r\n"))
    assert check_ranges(first_text, first) > 1000
    assert check_ranges("\n\n\n" + second_text.replace("\n", "\r\n"), second) > 1000
