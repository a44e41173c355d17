"""An engine Prisma's CLI cannot download refuses the repair before it changes anything (attacker's trial 13, H1: a
reset noted that `prisma validate` could not get an engine, stopped the dev server, failed in generate and started
the server again detached).

Prisma's CLI makes sure of the same engines before `validate` and `generate`, so the real `prisma generate` of each
case is the oracle: the plan refuses exactly when it fails, and names the engine it failed on. Each case runs the
real CLI (Prisma 6.17 and 7.10 from the tests' npm cache) with no engine variable set and every download failing:
the engines' mirror is a closed local port, and Prisma's engine cache is an empty folder of the test's.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers import doctor_json, tree_contents
from tests.npm_cache import tool_environment
from tests.toolchain import JS_GENERATOR, TS_GENERATOR, ProjectFactory, schema_text

pytestmark = pytest.mark.node

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"
ENGINE_VARIABLES = (
    "PRISMA_SCHEMA_ENGINE_BINARY",
    "PRISMA_QUERY_ENGINE_LIBRARY",
    "PRISMA_QUERY_ENGINE_BINARY",
    "PRISMA_MIGRATION_ENGINE_BINARY",
)
# (Prisma, generator, engineType or None for the generator's default)
# Two run in the default suite (a native engine on 6, the engine-less client on 7); the others in the slow one
# (scripts/test-slow.sh): each runs the real CLI twice, and CI's time is bounded.
_SLOW = pytest.mark.slow
CASES = [
    ("6.17.1", JS_GENERATOR, None),
    pytest.param("6.17.1", JS_GENERATOR, "library", marks=_SLOW),
    pytest.param("6.17.1", JS_GENERATOR, "client", marks=_SLOW),
    pytest.param("6.17.1", TS_GENERATOR, "client", marks=_SLOW),
    pytest.param("7.10.0", JS_GENERATOR, None, marks=_SLOW),
    pytest.param("7.10.0", TS_GENERATOR, None, marks=_SLOW),
    ("7.10.0", TS_GENERATOR, "client"),
]
# The engines named on this machine: none, or only the schema engine (the query engine library is still fetched
# for a native engine).
NAMED = {"no engine": (), "the schema engine": ("PRISMA_SCHEMA_ENGINE_BINARY",)}


def _schema(version: str, generator: str, engine_type: str | None) -> str:
    text = schema_text(version, MODELS, provider=generator, output="../generated/client")
    if engine_type is not None:
        text = text.replace(f'provider = "{generator}"', f'provider = "{generator}"\n  engineType = "{engine_type}"')
    return text


def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, named: tuple[str, ...]) -> dict[str, str]:
    """This process's environment as a machine without Prisma's engines and network has it; also returned."""
    stand_in = tool_environment()["PRISMA_SCHEMA_ENGINE_BINARY"]
    for name in ENGINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in named:
        monkeypatch.setenv(name, stand_in)
    monkeypatch.setenv("PRISMA_ENGINES_MIRROR", "http://127.0.0.1:9")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "engine-cache"))
    monkeypatch.setenv("CHECKPOINT_DISABLE", "1")
    monkeypatch.setenv("PRISMA_HIDE_UPDATE_MESSAGE", "1")
    return dict(os.environ)


@pytest.mark.parametrize("named", sorted(NAMED))
@pytest.mark.parametrize(("version", "generator", "engine_type"), CASES)
def test_the_plan_refuses_exactly_when_generate_cannot_get_its_engine(
    version: str,
    generator: str,
    engine_type: str | None,
    named: str,
    prisma_project: ProjectFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prisma_doctor.repair.plan import build_plan

    project = prisma_project(_schema(version, generator, engine_type), version=version)
    env = _offline(monkeypatch, tmp_path, NAMED[named])

    plan = build_plan(project.root, "regenerate")
    # The oracle, after the plan (it writes the client): Prisma's own generate, as the repair would run it.
    generate = subprocess.run(
        ["node", "node_modules/prisma/build/index.js", "generate"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    said = generate.stdout + generate.stderr
    if generate.returncode == 0:
        assert not plan.refusals, plan.refusals
        return
    failed = next(line.strip() for line in said.splitlines() if "request to http://127.0.0.1:9/" in line)
    (refusal,) = plan.refusals
    assert refusal.startswith("Prisma's CLI cannot download the engine it needs here"), refusal
    # Prisma's words for the very download generate failed on, and the variable that names that engine.
    assert failed in refusal, (failed, refusal)
    variable = "PRISMA_SCHEMA_ENGINE_BINARY" if "schema-engine" in failed else "PRISMA_QUERY_ENGINE_LIBRARY"
    assert f"Set {variable} to the path of" in refusal, refusal
    # Not said as a note as well: the refusal is the whole answer.
    assert not any("prisma validate" in note for note in plan.notes), plan.notes


def test_a_reset_that_cannot_get_the_engine_changes_nothing(
    prisma_project: ProjectFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = "7.10.0"
    project = prisma_project(_schema(version, TS_GENERATOR, None), version=version)
    subprocess.run(
        ["node", "node_modules/prisma/build/index.js", "generate"],
        cwd=project.root,
        env=tool_environment(),
        check=True,
        capture_output=True,
        timeout=180,
    )
    project.edit_schema("email String @unique", "email String @unique\n  nickname String?")
    client = project.root / "generated" / "client"
    before = tree_contents(client)
    _offline(monkeypatch, tmp_path, ())

    status, plan = doctor_json("reset", "--project", str(project.root))

    assert status == 2, plan
    (refusal,) = plan["refusals"]
    assert "schema-engine" in refusal and "Set PRISMA_SCHEMA_ENGINE_BINARY" in refusal, refusal
    assert tree_contents(client) == before
    state = project.root / ".prisma-doctor"
    assert not (state / "journal.json").exists() and not (state / "aside").exists()
