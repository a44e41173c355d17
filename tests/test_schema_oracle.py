"""`prisma-doctor schema FILE --json` against Prisma's own parser on every schema of the corpus.

Where Prisma accepts a schema, our datamodel must equal Prisma's DMMF datamodel on models, views, enums, composite
types and, per field, name, dbName, kind, type, isList and isRequired (enum values: name and dbName). Where Prisma
rejects a schema, our command must still answer (no traceback) and, for a schema that is broken as text, say so.

Two differences of shape are Prisma's own and are bridged here, not hidden: the DMMF lists views among the models
(after every model), and it leaves `Unsupported(...)` fields out, which our datamodel keeps with kind "unsupported".
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.cli import main
from tests.schema_corpus import CorpusSchema, corpus_schemas, install_oracle, read_text, run_oracle

pytestmark = pytest.mark.node

SCHEMAS = corpus_schemas()
# Prisma's messages for schemas broken as text (not merely invalid): for these our parser must report errors too.
SYNTAX_ERRORS = (
    "does not start with any known Prisma schema keyword",
    "is not a valid field or attribute definition",
    "This field declaration is invalid",
    "Optional lists are not supported",
    "must not start with a number",
    "Invalid type definition",
    "This block is invalid",
    "Unexpected token",
    "This line is not an enum value definition",
    "Field declarations don't require a `:`",
    "please use `Type[]` instead of `[Type]`",
)


def _fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": f["name"],
            "dbName": f.get("dbName"),
            "kind": f["kind"],
            "type": f["type"],
            "isList": f["isList"],
            "isRequired": f["isRequired"],
        }
        for f in fields
        if f["kind"] != "unsupported"
    ]


def _blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": b["name"], "dbName": b.get("dbName"), "fields": _fields(b["fields"])} for b in blocks]


def _enums(enums: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": e["name"],
            "dbName": e.get("dbName"),
            "values": [{"name": v["name"], "dbName": v.get("dbName")} for v in e["values"]],
        }
        for e in enums
    ]


def prisma_view(datamodel: dict[str, Any]) -> dict[str, Any]:
    return {
        "models": _blocks(datamodel["models"]),
        "enums": _enums(datamodel["enums"]),
        "types": _blocks(datamodel["types"]),
    }


def our_view(datamodel: dict[str, Any]) -> dict[str, Any]:
    return {
        "models": _blocks(datamodel["models"] + datamodel["views"]),
        "enums": _enums(datamodel["enums"]),
        "types": _blocks(datamodel["types"]),
    }


def run_schema_command(path: Path) -> tuple[int, dict[str, Any] | None, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["schema", str(path), "--json"])
    output = stdout.getvalue()
    return code, (json.loads(output) if output.strip() else None), stderr.getvalue()


@pytest.fixture(scope="module")
def oracle() -> dict[str, dict[str, Any]]:
    script = install_oracle()
    units = [
        {"id": schema.id, "files": [[schema.relative(p), read_text(p)] for p in schema.files()], "build": "auto"}
        for schema in SCHEMAS
    ]
    return {answer["id"]: answer for answer in run_oracle(script, units)}


@pytest.fixture(scope="module")
def comparison(oracle: dict[str, dict[str, Any]]) -> dict[str, tuple[bool, str]]:
    """For every schema Prisma accepts: whether we agree, and the first difference when we do not."""
    results: dict[str, tuple[bool, str]] = {}
    for schema in SCHEMAS:
        answer = oracle[schema.id]
        if "datamodel" not in answer:
            continue
        code, ours, stderr = run_schema_command(schema.path)
        if ours is None:
            results[schema.id] = (False, f"no JSON from prisma-doctor schema: {stderr}")
            continue
        if code != 0:
            results[schema.id] = (False, f"Prisma accepts it, but we reported (exit {code}): {stderr}")
            continue
        results[schema.id] = _compare(our_view(ours), prisma_view(answer["datamodel"]))
    return results


def _compare(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[bool, str]:
    if ours == theirs:
        return True, ""
    for section in ("models", "enums", "types"):
        mine = {b["name"]: b for b in ours[section]}
        prisma = {b["name"]: b for b in theirs[section]}
        if list(mine) != list(prisma):
            return False, f"{section}: ours {list(mine)} != Prisma's {list(prisma)}"
        for name, block in prisma.items():
            if mine[name] != block:
                return False, f"{section} {name}: ours {mine[name]} != Prisma's {block}"
    return False, "differs"


def test_the_corpus_is_there_and_whole() -> None:
    kinds = {schema.id.split("/")[0] for schema in SCHEMAS}
    assert {"real", "psl-validation", "psl-reformatter", "generated-pairs"} <= kinds
    assert any(schema.is_folder for schema in SCHEMAS), "the multi-file schema folders are missing"
    assert len(SCHEMAS) > 250


@pytest.mark.parametrize("schema", SCHEMAS, ids=[s.id for s in SCHEMAS])
def test_schema_command_agrees_with_prisma(
    schema: CorpusSchema, oracle: dict[str, dict[str, Any]], comparison: dict[str, tuple[bool, str]]
) -> None:
    answer = oracle[schema.id]
    if "datamodel" in answer:
        agrees, difference = comparison[schema.id]
        assert agrees, f"{schema.id} (Prisma {answer['build']} build): {difference}"
        return
    # Prisma rejects it: we must still answer with JSON and no traceback.
    code, ours, stderr = run_schema_command(schema.path)
    assert ours is not None, stderr
    assert "Traceback" not in stderr
    assert code in (0, 1)
    if any(message in answer["error"] for message in SYNTAX_ERRORS):
        assert code == 1, f"Prisma found a syntax error that we did not report: {answer['error']}"


def test_agreement_count(
    oracle: dict[str, dict[str, Any]], comparison: dict[str, tuple[bool, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    agreeing = sum(1 for agrees, _ in comparison.values() if agrees)
    rejected = [schema for schema in SCHEMAS if "datamodel" not in oracle[schema.id]]
    flagged = sum(1 for schema in rejected if run_schema_command(schema.path)[0] == 1)
    with capsys.disabled():
        print(
            f"\nschema oracle: {agreeing} of {len(comparison)} schemas that Prisma accepts agree; "
            f"of the {len(rejected)} it rejects we report errors on {flagged} ({len(SCHEMAS)} corpus schemas in all)"
        )
    assert agreeing == len(comparison)
