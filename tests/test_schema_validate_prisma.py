"""Our checks of meaning against the real `prisma validate` (Prisma 6.17 and 7.10 from the tests' npm cache).

Every case is a schema Prisma refuses with P1012 and our validator must refuse too, at the line Prisma names and at
the column of the offending token (marked `// here`), with the field named in our message. The cases run through
the real CLI once per session: each is a file of one multi-file schema folder, so one `prisma validate` answers for
many (Prisma names the file and line of each error). Prisma stops after some kinds of error (a name that is not
known, a name defined twice) before it checks the rest, so the cases are grouped in stages, one folder each.

The converse, that we refuse nothing Prisma accepts, is tests/test_schema_oracle.py over the whole corpus.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.validate import validate_schema
from tests.helpers import check_json, finding
from tests.npm_cache import tool_environment
from tests.toolchain import EXAMPLE_URLS, TS_GENERATOR, ProjectFactory, major, schema_text, toolchain

pytestmark = pytest.mark.node

VERSIONS = ("6.17.1", "7.10.0")
MARK = "// here"


@dataclass(frozen=True)
class Case:
    id: str
    models: str
    token: str  # where our diagnostic starts: its last occurrence on the line marked `// here`
    named: str  # the field, block or attribute our message must name
    stage: int = 1
    prisma_at: str | None = None  # the text of the line Prisma reports, when it is not the marked one
    provider: str = "sqlite"

    @property
    def file(self) -> str:
        return f"{self.id}.prisma"

    def marked_line(self) -> int:
        return next(i for i, line in enumerate(self.models.splitlines()) if MARK in line)

    def prisma_line(self) -> int:
        if self.prisma_at is None:
            return self.marked_line()
        return next(i for i, line in enumerate(self.models.splitlines()) if self.prisma_at in line)


CASES = (
    Case("index_unknown", "model IxA {\n  id Int @id\n  @@index([nope]) // here\n}\n", "nope", "nope"),
    Case("unique_unknown", "model UqA {\n  id Int @id\n  @@unique([id, nope]) // here\n}\n", "nope", "nope"),
    Case(
        "index_relation",
        "model IrA {\n  id Int @id\n  bId Int\n  b IrB @relation(fields: [bId], references: [id])\n"
        "  @@index([b]) // here\n}\nmodel IrB {\n  id Int @id\n  a IrA[]\n}\n",
        "b",
        "b",
    ),
    Case(
        "id_twice",
        "model IdA {\n  id Int @id\n  title String\n  @@id([id, title]) // here\n}\n",
        "@@id",
        "IdA",
        prisma_at="model IdA",
    ),
    Case(
        "two_field_ids",
        "model IdB {\n  id Int @id\n  other Int @id // here\n}\n",
        "@id",
        "IdB",
        prisma_at="model IdB",
    ),
    Case("id_optional", "model IdC {\n  id Int? @id // here\n}\n", "@id", "id"),
    Case("id_list", "model IdD {\n  id Int[] @id // here\n  k Int @unique\n}\n", "@id", "id"),
    Case("id_unknown", "model IdE {\n  a Int\n  @@id([a, nope]) // here\n}\n", "nope", "nope"),
    Case("default_int_string", 'model DfA {\n  id Int @id\n  n Int @default("high") // here\n}\n', '"high"', "n"),
    Case("default_bool_number", "model DfB {\n  id Int @id\n  b Boolean @default(1) // here\n}\n", "1", "b"),
    Case("default_string_number", "model DfC {\n  id Int @id\n  s String @default(5) // here\n}\n", "5", "s"),
    Case("default_string_true", "model DfD {\n  id Int @id\n  s String @default(true) // here\n}\n", "true", "s"),
    Case("default_float_string", 'model DfE {\n  id Int @id\n  f Float @default("x") // here\n}\n', '"x"', "f"),
    Case(
        "default_autoincrement_string",
        "model DfF {\n  id String @id @default(autoincrement()) // here\n}\n",
        "autoincrement",
        "id",
    ),
    Case("default_now_bigint", "model DfG {\n  id Int @id\n  z BigInt @default(now()) // here\n}\n", "now", "z"),
    Case("default_uuid_int", "model DfH {\n  id Int @id @default(uuid()) // here\n}\n", "uuid", "id"),
    Case("default_now_string", "model DfJ {\n  id Int @id\n  s String @default(now()) // here\n}\n", "now", "s"),
    Case("default_uuid_bytes", "model DfK {\n  id Int @id\n  b Bytes @default(uuid()) // here\n}\n", "uuid", "b"),
    Case(
        "default_autoincrement_decimal",
        "model DfL {\n  id Int @id\n  d Decimal @default(autoincrement()) // here\n}\n",
        "autoincrement",
        "d",
    ),
    Case("default_bool_string", 'model DfM {\n  id Int @id\n  b Boolean @default("true") // here\n}\n', '"true"', "b"),
    Case("default_bigint_string", 'model DfN {\n  id Int @id\n  n BigInt @default("1") // here\n}\n', '"1"', "n"),
    Case("default_int_fraction", "model DfO {\n  id Int @id\n  n Int @default(1.5) // here\n}\n", "1.5", "n", 2),
    Case("default_float_word", "model DfP {\n  id Int @id\n  f Float @default(high) // here\n}\n", "high", "f"),
    Case(
        "default_enum_value",
        "model DfI {\n  id Int @id\n  e DfLevel @default(NOPE) // here\n}\nenum DfLevel {\n  LOW\n}\n",
        "NOPE",
        "e",
    ),
    Case("updated_at_int", "model UpA {\n  id Int @id\n  u Int @updatedAt // here\n}\n", "@updatedAt", "u"),
    Case("unique_twice", "model TwA {\n  id Int @id\n  s String @unique @unique // here\n}\n", "@unique", "@unique"),
    Case("map_twice", 'model TwB {\n  id Int @id\n  @@map("a")\n  @@map("b") // here\n}\n', "@@map", "@@map"),
    Case(
        "relation_fields_unknown",
        "model RfA {\n  id Int @id\n  bId Int\n  b RfB @relation(fields: [nope], references: [id]) // here\n}\n"
        "model RfB {\n  id Int @id\n  a RfA[]\n}\n",
        "nope",
        "nope",
    ),
    Case(
        "relation_references_unknown",
        "model RrA {\n  id Int @id\n  bId Int\n  b RrB @relation(fields: [bId], references: [nah]) // here\n}\n"
        "model RrB {\n  id Int @id\n  a RrA[]\n}\n",
        "nah",
        "nah",
    ),
    Case(
        "relation_without_opposite",
        "model OpA {\n  id Int @id\n  bId Int\n  b OpB @relation(fields: [bId], references: [id]) // here\n}\n"
        "model OpB {\n  id Int @id\n}\n",
        "b OpB",
        "b",
        2,
    ),
    Case(
        "relation_count",
        "model RcA {\n  id Int @id\n  bId Int\n  b RcB @relation(fields: [bId], references: [id, k]) // here\n}\n"
        "model RcB {\n  id Int @id\n  k Int\n  a RcA[]\n}\n",
        "[id, k]",
        "b",
        2,
    ),
    Case(
        "references_not_unique",
        "model RuA {\n  id Int @id\n  bK Int\n  b RuB @relation(fields: [bK], references: [k]) // here\n}\n"
        "model RuB {\n  id Int @id\n  k Int\n  a RuA[]\n}\n",
        "[k]",
        "RuB",
        2,
    ),
    Case(
        "one_to_one_not_unique",
        "model OoA {\n  id Int @id\n  bId Int\n  b OoB @relation(fields: [bId], references: [id]) // here\n}\n"
        "model OoB {\n  id Int @id\n  a OoA?\n}\n",
        "[bId]",
        "one-to-one",
        2,
    ),
    Case(
        "native_type_postgresql",
        "model NpA {\n  id Int @id\n  s String @db.TinyText // here\n}\n",
        "@db.TinyText",
        "postgresql",
        provider="postgresql",
    ),
    Case(
        "native_type_mysql",
        "model NmA {\n  id Int @id\n  s String @db.JsonB // here\n}\n",
        "@db.JsonB",
        "mysql",
        provider="mysql",
    ),
    Case(
        "native_type_sqlite", "model NtA {\n  id Int @id\n  s String @db.VarChar(3) // here\n}\n", "@db.VarChar", "s", 2
    ),
    Case("composite_type_sqlite", "type CtA { // here\n  a Int\n}\n", "CtA", "CtA", 2),
    Case(
        "table_name_collision",
        'model TnA {\n  id Int @id\n  @@map("tn")\n}\nmodel TnB {\n  id Int @id\n  @@map("tn") // here\n}\n',
        '"tn"',
        "TnB",
        2,
    ),
    Case(
        "column_name_collision",
        'model CnA {\n  id Int @id\n  y Int @map("z") // here\n  z Int\n}\n',
        '"z"',
        "y",
        3,
    ),
    Case("model_twice", "model DupA {\n  id Int @id\n}\nmodel DupA { // here\n  id Int @id\n}\n", "DupA", "DupA", 3),
    Case("enum_and_model", "model DupB {\n  id Int @id\n}\nenum DupB { // here\n  X\n}\n", "DupB", "DupB", 3),
    Case("unknown_block_attribute", "model UnA {\n  id Int @id\n  @@foo // here\n}\n", "@@foo", "@@foo", 4),
    # The user's trial 13 (C3): a second relation between the same two models, no name on either. Prisma stops at
    # the first ambiguous pair of the whole schema, so each case is a stage of its own.
    Case(
        "relation_ambiguous",
        "model AmA {\n  id Int @id\n  memos AmB[] // here\n  edited AmB[]\n}\n"
        "model AmB {\n  id Int @id\n  ownerId Int\n  owner AmA @relation(fields: [ownerId], references: [id])\n"
        "  editorId Int?\n  editor AmA? @relation(fields: [editorId], references: [id])\n}\n",
        "memos",
        "memos",
        5,
    ),
    Case(
        "relation_same_name",
        'model SnA {\n  id Int @id\n  memos SnB[] @relation("x") // here\n  edited SnB[] @relation("x")\n}\n'
        'model SnB {\n  id Int @id\n  ownerId Int\n  owner SnA @relation("x", fields: [ownerId], references: [id])\n'
        '  editorId Int?\n  editor SnA? @relation(name: "x", fields: [editorId], references: [id])\n}\n',
        "memos",
        "edited",
        6,
    ),
)
# What Prisma's message on the case's line says, so that it refuses the line for the rule the case is about.
PRISMA_SAYS = {
    "index_unknown": "index definition refers to the unknown fields",
    "unique_unknown": "unique index definition refers to the unknown fields",
    "index_relation": "refers to the relation fields",
    "id_twice": "You can't have `@id` and `@@id` at the same time",
    "two_field_ids": "At most one field must be marked as the id field",
    "id_optional": "Fields that are marked as id must be required",
    "id_list": "Fields that are marked as id must be required",
    "id_unknown": "multi field id declaration refers to the unknown field",
    "default_int_string": "Expected a Int value",
    "default_bool_number": "Expected a Boolean value",
    "default_string_number": "Expected a String value",
    "default_string_true": "Expected a String value",
    "default_float_string": "Expected a Float value",
    "default_autoincrement_string": "`autoincrement()` cannot be used on fields of type `String`",
    "default_now_bigint": "`now()` cannot be used on fields of type `BigInt`",
    "default_uuid_int": "`uuid()` cannot be used on fields of type `Int`",
    "default_now_string": "`now()` cannot be used on fields of type `String`",
    "default_uuid_bytes": "`uuid()` cannot be used on fields of type `Bytes`",
    "default_autoincrement_decimal": "`autoincrement()` cannot be used on fields of type `Decimal`",
    "default_bool_string": "Expected a Boolean value",
    "default_bigint_string": "Expected a BigInt value",
    "default_int_fraction": "is not a valid integer",
    "default_float_word": "Expected a Float value",
    "default_enum_value": "is not a valid value of the enum",
    "updated_at_int": "must be of type DateTime",
    "unique_twice": "can only be defined once",
    "map_twice": "can only be defined once",
    "relation_fields_unknown": "The argument fields must refer only to existing fields",
    "relation_references_unknown": "The argument `references` must refer only to existing fields",
    "relation_without_opposite": "is missing an opposite relation field",
    "relation_count": "the same number of fields in `fields` and `references`",
    "references_not_unique": "must refer to a unique criterion in the related model",
    "one_to_one_not_unique": "A one-to-one relation must use unique fields on the defining side",
    "native_type_postgresql": "Native type TinyText is not supported for postgresql connector",
    "native_type_mysql": "Native type JsonB is not supported for mysql connector",
    "native_type_sqlite": "Native type VarChar is not supported for sqlite connector",
    "composite_type_sqlite": "Composite types are not supported on sqlite",
    "table_name_collision": "another model or view with this name exists",
    "column_name_collision": 'Field "y" is already defined',
    "model_twice": "cannot be defined because a model with that name already exists",
    "enum_and_model": "cannot be defined because a model with that name already exists",
    "unknown_block_attribute": "Attribute not known",
    "relation_ambiguous": "Ambiguous relation detected. The fields `memos` and `edited` in model `AmA` both refer",
    "relation_same_name": "Wrongly named relation detected. The fields `memos` and `edited` in model `SnA`",
}


# Schemas beside the rules that Prisma accepts (one file of one folder each, like the cases): we must accept them too.
ACCEPTED = (
    "model AcA {\n  id BigInt @id @default(autoincrement())\n  n Int @default(-3)\n  f Float @default(2)\n"
    '  d Decimal @default("1.50")\n  t DateTime @default("2024-01-01T00:00:00Z")\n'
    '  s String @default(dbgenerated("x"))\n  e AcLevel @default(dbgenerated("\'LOW\'"))\n'
    "  u String @default(uuid(7))\n  c String @default(cuid(2))\n}\nenum AcLevel {\n  LOW\n}\n",
    "model AcB {\n  x Int\n  y Int\n  c AcC[]\n  @@unique([x, y])\n  @@id([x, y])\n}\n"
    "model AcC {\n  id Int @id\n  bx Int\n  by Int\n  b AcB @relation(fields: [by, bx], references: [y, x])\n}\n",
    "model AcD {\n  id Int @id\n  e AcE?\n}\n"
    "model AcE {\n  id Int @id\n  dId Int @unique\n  d AcD @relation(fields: [dId], references: [id])\n}\n",
    'model AcF {\n  id Int @id @map("key")\n  key2 Int @map("id")\n  @@map("AcG")\n}\n'
    'model AcG {\n  id Int @id\n  @@map("AcF")\n}\n',
    # Two relations between the same models, told apart by a name on one of them (the same on its opposite field),
    # and a self-relation whose two fields share one name, which makes them one relation.
    'model AcH {\n  id Int @id\n  memos AcI[]\n  edited AcI[] @relation("edits")\n}\n'
    "model AcI {\n  id Int @id\n  ownerId Int\n  owner AcH @relation(fields: [ownerId], references: [id])\n"
    '  editorId Int?\n  editor AcH? @relation("edits", fields: [editorId], references: [id])\n}\n',
    "model AcJ {\n  id Int @id\n  parentId Int?\n"
    '  parent AcJ? @relation("tree", fields: [parentId], references: [id])\n  children AcJ[] @relation("tree")\n}\n',
)
STAGES = sorted({(case.stage, case.provider) for case in CASES})


def base_schema(version: str, provider: str) -> str:
    url = f'\n  url = "{EXAMPLE_URLS.get(provider, "file:./dev.db")}"' if major(version) < 7 else ""
    return (
        f'datasource db {{\n  provider = "{provider}"{url}\n}}\n\n'
        'generator client {\n  provider = "prisma-client"\n  output = "../generated"\n}\n'
    )


_ERROR = re.compile(r"^error: (?P<message>.*)\n\s*-->\s+(?P<file>\S+?):(?P<line>\d+)", re.MULTILINE)


def prisma_validate(version: str, folder: Path) -> tuple[int, str]:
    cli = toolchain("npm", version) / "node_modules" / "prisma" / "build" / "index.js"
    done = subprocess.run(
        ["node", str(cli), "validate", f"--schema={folder}"],
        cwd=folder.parent,
        env=tool_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def prisma_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[int, list[str]]]:
    """Per (version, case file): Prisma's errors by zero-based line. One `prisma validate` per version, stage and
    provider."""
    found: dict[tuple[str, str], dict[int, list[str]]] = {}
    for version in VERSIONS:
        for stage, provider in STAGES:
            folder = tmp_path_factory.mktemp(f"prisma-{version}-stage-{stage}-{provider}") / "schema"
            folder.mkdir()
            (folder / "base.prisma").write_text(base_schema(version, provider), encoding="utf-8")
            for case in CASES:
                if (case.stage, case.provider) == (stage, provider):
                    (folder / case.file).write_text(case.models, encoding="utf-8")
            code, output = prisma_validate(version, folder)
            assert code != 0 and "P1012" in output, output
            for match in _ERROR.finditer(output):
                by_line = found.setdefault((version, Path(match["file"]).name), {})
                by_line.setdefault(int(match["line"]) - 1, []).append(match["message"])
    return found


def test_every_case_says_what_prisma_says() -> None:
    assert sorted(PRISMA_SAYS) == sorted(case.id for case in CASES)


def test_we_accept_what_prisma_accepts(tmp_path: Path) -> None:
    for version in VERSIONS:
        folder = tmp_path / version / "schema"
        folder.mkdir(parents=True)
        files = [(folder / "base.prisma", base_schema(version, "sqlite"))]
        files += [(folder / f"accepted_{i}.prisma", text) for i, text in enumerate(ACCEPTED)]
        for path, text in files:
            path.write_text(text, encoding="utf-8")
        code, output = prisma_validate(version, folder)
        assert code == 0, output
        assert validate_schema([parse_schema(text, str(path)) for path, text in files]) == []


def our_problems(version: str, case: Case) -> list[tuple[str, int, int]]:
    files = [
        parse_schema(base_schema(version, case.provider), "/p/base.prisma"),
        parse_schema(case.models, f"/p/{case.file}"),
    ]
    assert all(f.errors == () for f in files), [f.errors for f in files]
    return [(error.message, error.span.start.line, error.span.start.character) for _, error in validate_schema(files)]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_we_refuse_what_prisma_refuses(
    case: Case, version: str, prisma_errors: dict[tuple[str, str], dict[int, list[str]]]
) -> None:
    theirs = prisma_errors.get((version, case.file), {})
    assert case.prisma_line() in theirs, f"Prisma {version} did not refuse line {case.prisma_line() + 1}: {theirs}"
    said = PRISMA_SAYS[case.id]
    assert any(said in message for message in theirs[case.prisma_line()]), (said, theirs)
    ours = our_problems(version, case)
    line = case.marked_line()
    column = case.models.splitlines()[line].rindex(case.token)
    assert ours, f"Prisma {version} refuses {case.id} ({theirs}), we do not"
    assert all((at_line, at_column) == (line, column) for _, at_line, at_column in ours), (ours, theirs)
    assert all(case.named in message for message, _, _ in ours), ours


TRIAL_MODELS = (
    "model Post {\n  id    Int    @id @default(autoincrement())\n  title String @unique\n"
    "  rank  Int    @default(1)\n  level Level  @default(LOW)\n  @@index([title])\n}\n\n"
    "enum Level {\n  LOW\n  HIGH\n}\n"
)
# The user trial's edits (Prisma 7.10, `prisma-client`, SQLite): none changes the datamodel the client was generated
# from, so drift alone said "in sync". That Prisma refuses each is shown by the CASES of the same rules above.
TRIAL_EDITS = (
    ("@@index([title])", "@@index([nope])", "nope"),
    ("@@index([title])", "@@unique([nope])", "nope"),
    ("@@index([title])", "@@id([id, title])", "@@id"),
    ("@default(1)", '@default("high")', '"high"'),
    ("@default(LOW)", "@default(NOPE)", "NOPE"),
    ("String @unique", "String @unique @unique", "@unique"),
)


def test_the_user_trial_is_schema_invalid_not_in_sync(prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text("7.10.0", TRIAL_MODELS, TS_GENERATOR), version="7.10.0")
    project.generate()
    code, report = check_json(project.root)
    assert (code, report["state"]) == (0, "in-sync"), report
    for old, new, token in TRIAL_EDITS:
        project.write_schema(schema_text("7.10.0", TRIAL_MODELS.replace(old, new), TS_GENERATOR))
        code, report = check_json(project.root)
        assert code != 0 and report["state"] != "in-sync", (new, report)
        invalid = finding(report, "schema-invalid")
        line = next(i for i, text in enumerate(project.schema().splitlines()) if new in text)
        column = project.schema().splitlines()[line].rindex(token)
        at = invalid["location"]
        assert (at["line"], at["column"]) == (line + 1, column + 1), (new, invalid)  # (one-based in JSON)
