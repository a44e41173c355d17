"""The checks of meaning: what Prisma refuses that changes the datamodel the doctor compares."""

from __future__ import annotations

import time

from prisma_doctor.findings import Position, Span
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.validate import validate_schema


def problems(*texts: str) -> list[tuple[str, str, Span]]:
    files = [parse_schema(text, f"/p/{i}.prisma") for i, text in enumerate(texts)]
    assert all(f.errors == () for f in files)
    return [(path, error.message, error.span) for path, error in validate_schema(files)]


def test_a_sound_schema_has_no_problem() -> None:
    assert (
        problems(
            "model A {\n  id Int @id @db.Integer\n  b B? @relation(fields: [bId], references: [x])\n  bId Int?\n"
            '  e E @default(X)\n  u Unsupported("circle")?\n  @@index([bId(sort: Desc)])\n}\n',
            "model B {\n  x Int @unique\n  y Int\n  a A[]\n  @@id([x, y])\n}\n"
            'enum E {\n  X @map("x")\n  @@map("e")\n}\n',
            'type T {\n  s String @map("_s")\n}\nmodel C {\n  id Int @unique\n  t T\n  @@map("c")\n}\n',
        )
        == []
    )


def test_a_type_that_names_nothing() -> None:
    assert problems("model A {\n  id Int @id\n  b Missing?\n}\n") == [
        (
            "/p/0.prisma",
            "type `Missing` is neither a built-in type nor a model, view, enum or composite type",
            Span(Position(2, 4), Position(2, 12)),
        )
    ]


def test_names_defined_twice_across_files() -> None:
    found = problems("model A {\n  id Int @id\n  id String\n}\n", "enum A {\n  X\n  X\n}\n")
    assert [(path, message) for path, message, _ in found] == [
        ("/p/1.prisma", "the enum `A` cannot be defined: a model of that name exists"),
        ("/p/0.prisma", "field `id` is already defined on model `A`"),
        ("/p/1.prisma", "value `X` is already defined on enum `A`"),
    ]


def test_unknown_attributes_and_models_without_identity() -> None:
    found = problems('model A {\n  id Int @namespace\n  b Int? @unique\n  @@allow("all")\n}\n')
    assert [(message, span.start) for _, message, span in found] == [
        ("attribute `@@allow` on `A` is not known", Position(3, 2)),
        ("attribute `@namespace` on `id` is not known", Position(1, 9)),
        (
            "model `A` needs a unique criterion of required fields (`@id`, `@unique`, `@@id` or `@@unique`)",
            Position(0, 6),
        ),
    ]
    assert problems("model Legacy {\n  x Int?\n  @@ignore\n}\n") == []


def test_a_relation_needs_its_opposite_field_with_the_same_name() -> None:
    relation = "@relation({name}fields: [bId], references: [id])"
    base = "model B {\n  id Int @id\n  %s\n}\nmodel A {\n  id Int @id\n  bId Int\n  b B %s\n}\n"
    found = problems(base % ("", relation.format(name="")))
    assert [message for _, message, _ in found] == [
        "the relation field `b` on model `A` is missing an opposite relation field on the model `B` "
        "(add one of type `A`)"
    ]
    assert problems(base % ("a A[]", relation.format(name=""))) == []
    assert problems(base % ('a A[] @relation("ab")', relation.format(name='"ab", '))) == []
    assert len(problems(base % ('a A[] @relation("other")', relation.format(name='"ab", ')))) == 2  # both sides
    # A self-relation and an ignored model are Prisma's to judge: their rules have exceptions.
    assert problems("model A {\n  id Int @id\n  pId Int?\n  p A? @relation(fields: [pId], references: [id])\n}\n") == []
    assert problems((base % ("", relation.format(name=""))).replace("model B {", "model B {\n  @@ignore")) == []


def _hub_schema(children: int) -> str:
    """A model that `children` models point at, each with a default of a `children`-value enum: every rule that read
    the model or the enum pointed at once per field pointing at it would be quadratic here."""
    hub = "".join(f"  c{i} C{i}[]\n" for i in range(children))
    models = "".join(
        f"model C{i} {{\n  id Int @id\n  hubId Int\n  hub Hub @relation(fields: [hubId], references: [id])\n"
        f"  level Level @default(V{i})\n}}\n"
        for i in range(children)
    )
    values = "".join(f"  V{i}\n" for i in range(children))
    return f"model Hub {{\n  id Int @id\n{hub}}}\n{models}enum Level {{\n{values}}}\n"


def test_the_checks_stay_linear_in_the_schema_size() -> None:
    def best_time(children: int) -> float:
        files = [parse_schema(_hub_schema(children), "/p/hub.prisma")]
        assert validate_schema(files) == []
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            validate_schema(files)
            runs.append(time.perf_counter() - started)
        return min(runs)

    small, large = best_time(500), best_time(2000)
    # Four times the schema: linear is about 4, quadratic 16; the margin is for a busy machine.
    assert large / small < 8, (small, large)
