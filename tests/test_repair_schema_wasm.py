"""The repair's quick check of a schema with Prisma's own Wasm module (`repair/schema_wasm.js`, run by
`repair/schema_wasm.py`), on the real modules of Prisma 5.22, 6.17 and 7.10 from the tests' npm cache.

Its "valid" stands for `prisma validate`'s, so it must never say valid where Prisma's CLI refuses: each schema Prisma
rejects here is refused by the plan in the CLI's own words, and a module it does not know is never guessed at."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from prisma_doctor.repair.package_manager import detect
from prisma_doctor.repair.prisma_validate import PrismaAnswer, PrismaValidation
from prisma_doctor.repair.schema_wasm import SCRIPT, WASM, wasm_check
from prisma_doctor.schema.locate import locate_schema
from tests.npm_cache import tool_environment
from tests.test_repair_prisma_validate import REJECTED, REJECTED_BY_BOTH, USER
from tests.test_schema_validate_prisma import ACCEPTED, CASES, STAGES, base_schema, prisma_validate
from tests.toolchain import PRISMA_VERSIONS, PrismaProject, ProjectFactory, schema_text, toolchain

pytestmark = pytest.mark.node

MODELS = (
    USER + "  posts Post[]\n}\nmodel Post {\n  id Int @id\n  uid Int\n"
    "  user User @relation(fields: [uid], references: [id])\n}\n"
)
# Where the CLI's output and the module's name a schema's error: `  -->  /path/file.prisma:LINE`.
_AT = re.compile(r"-->\s+(?P<file>\S+?):(?P<line>\d+)")


def _wasm(version: str) -> Path:
    return toolchain("npm", version) / "node_modules" / "prisma" / WASM


def _ask(wasm: Path, schema: Path) -> tuple[int, dict[str, object]]:
    """The script's exit code and answer for `schema` (a file or a folder)."""
    done = subprocess.run(
        ["node", str(SCRIPT), str(wasm), str(schema)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def _validation(project: PrismaProject) -> PrismaValidation:
    checked = locate_schema(project.package)
    return PrismaValidation(detect(project.package), None, checked)


def _trip_the_cli(project: PrismaProject) -> Path:
    """The project's Prisma CLI made a tripwire (its own file replaced: the package's files are links into the
    cache): it leaves a mark and fails. Returns the mark's path."""
    cli = project.package / "node_modules" / "prisma" / "build" / "index.js"
    mark = project.root / "cli-ran"
    cli.unlink()
    cli.write_text(f"require('fs').writeFileSync({json.dumps(str(mark))}, 'ran');\nprocess.exit(1);\n")
    return mark


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in tool_environment().items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("version", PRISMA_VERSIONS)
def test_a_valid_schema_is_answered_by_the_module_without_the_cli(version: str, prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text(version, MODELS + "\n"), version=version)
    mark = _trip_the_cli(project)
    assert wasm_check(project.package, None, locate_schema(project.package)) is not None
    validation = _validation(project)
    assert validation.answer() == PrismaAnswer()
    assert not mark.exists()


@pytest.mark.parametrize("version", PRISMA_VERSIONS)
def test_a_schema_prisma_rejects_is_refused_in_the_cli_s_words(version: str, prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text(version, MODELS), version=version)
    for case, (words, change) in {**REJECTED, **REJECTED_BY_BOTH}.items():
        project.write_schema(schema_text(version, USER + change + "}\n"))
        code, said = _ask(_wasm(version), project.schema_file)
        assert (code, said["answer"]) == (1, "invalid") and words in str(said["message"]), (case, said)
        answer = _validation(project).answer()
        assert answer.refusal is not None, (case, answer)
        assert answer.refusal.startswith("Prisma's own `prisma validate` rejects") and words in answer.refusal, case


@pytest.mark.parametrize("version", ["6.17.1", "7.10.0"])
def test_a_schema_folder_named_by_the_config_is_read_whole(version: str, prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text(version, ""), version=version)
    folder = project.package / "prisma" / "schema"
    folder.mkdir()
    project.schema_file.rename(folder / "main.prisma")
    (folder / "models").mkdir()
    (folder / "models" / "user.prisma").write_text(MODELS)
    (project.package / "prisma.config.ts").write_text(
        'import { defineConfig } from "prisma/config";\n\nexport default defineConfig({ schema: "prisma/schema" });\n'
    )
    assert project.prisma("validate").count("valid") >= 1  # Prisma's CLI reads the folder from the config
    check = wasm_check(project.package, None, locate_schema(project.package))
    assert check is not None and Path(check.command[-1]) == folder
    code, said = _ask(_wasm(version), folder)
    assert code == 0 and check.says_valid(json.dumps(said), code), said
    assert _validation(project).answer() == PrismaAnswer()

    # An error in one file of the folder: the module says so, and the plan refuses in the CLI's words.
    (folder / "models" / "user.prisma").write_text(MODELS.replace("references: [id]", "references: [nah]"))
    code, said = _ask(_wasm(version), folder)
    assert code == 1 and "user.prisma" in str(said["message"]), said
    answer = _validation(project).answer()
    assert answer.refusal is not None and "references" in answer.refusal, answer


def test_a_folder_prisma_5_reads_only_with_a_preview_feature_is_left_to_the_cli(prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text("5.22.0", MODELS), version="5.22.0")
    folder = project.package / "prisma" / "schema"
    folder.mkdir()
    project.schema_file.rename(folder / "main.prisma")
    package_json = project.package / "package.json"
    package_json.write_text(json.dumps({**json.loads(package_json.read_text()), "prisma": {"schema": "prisma/schema"}}))
    assert wasm_check(project.package, None, locate_schema(project.package)) is None


def _module(*imports: tuple[str, str]) -> bytes:
    """A Wasm module (its bytes, written out by hand) that imports these functions, of no parameters, and does
    nothing."""

    def name(text: str) -> bytes:
        return bytes([len(text)]) + text.encode()

    def section(number: int, body: bytes) -> bytes:
        return bytes([number, len(body)]) + body

    types = section(1, bytes([1, 0x60, 0, 0]))
    entries = b"".join(name(module) + name(field) + bytes([0, 0]) for module, field in imports)
    return b"\0asm" + bytes([1, 0, 0, 0]) + types + section(2, bytes([len(imports)]) + entries)


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(_module(("env", "abort")), id="not-prisma-s"),
        pytest.param(
            _module(("__wbindgen_placeholder__", "__wbindgen_throw"), ("__wbindgen_placeholder__", "__wbg_now_0a1b2c")),
            id="an-import-not-known",
        ),
        pytest.param(_module(), id="no-exports"),
        pytest.param(_wasm("6.17.1").read_bytes()[:100_000], id="truncated"),
    ],
)
def test_a_module_not_known_cannot_tell(module: bytes, tmp_path: Path) -> None:
    wasm = tmp_path / "prisma_schema_build_bg.wasm"
    wasm.write_bytes(module)
    schema = tmp_path / "schema.prisma"
    schema.write_text(schema_text("6.17.1", MODELS))
    code, said = _ask(wasm, schema)
    assert (code, said["answer"]) == (3, "cannot-tell"), said


def test_with_a_module_not_known_the_cli_answers(prisma_project: ProjectFactory) -> None:
    """The project's module replaced by one not Prisma's: the CLI, which loads the same module, is asked, and cannot
    tell either. The plan says so in a note and claims nothing."""
    project = prisma_project(schema_text("6.17.1", MODELS), version="6.17.1")
    wasm = project.package / "node_modules" / "prisma" / WASM
    wasm.unlink()  # (a link into the cache: replaced, not written through)
    wasm.write_bytes(_module(("env", "abort")))
    answer = _validation(project).answer()
    assert answer.refusal is None and answer.note is not None, answer
    assert answer.note.startswith("`prisma validate` could not tell"), answer


@pytest.mark.parametrize("version", ["6.17.1", "7.10.0"])
def test_the_module_agrees_with_prisma_s_cli_on_every_schema_of_the_table(version: str, tmp_path: Path) -> None:
    """Every schema `prisma validate` is run on in tests/test_schema_validate_prisma.py (a folder per stage, and the
    accepted ones): valid from the module iff the CLI exits 0; and every case file the CLI refuses there, read alone
    with the base, is refused by the module at the line Prisma names."""
    wasm = _wasm(version)
    folders: list[Path] = []
    for stage, provider in STAGES:
        folder = tmp_path / f"stage-{stage}-{provider}" / "schema"
        folder.mkdir(parents=True)
        (folder / "base.prisma").write_text(base_schema(version, provider))
        for case in CASES:
            if (case.stage, case.provider) == (stage, provider):
                (folder / case.file).write_text(case.models)
        folders.append(folder)
    accepted = tmp_path / "accepted" / "schema"
    accepted.mkdir(parents=True)
    (accepted / "base.prisma").write_text(base_schema(version, "sqlite"))
    for i, text in enumerate(ACCEPTED):
        (accepted / f"accepted_{i}.prisma").write_text(text)
    folders.append(accepted)

    refused: dict[str, set[int]] = {}
    for folder in folders:
        cli_code, output = prisma_validate(version, folder)
        code, said = _ask(wasm, folder)
        assert (said["answer"] == "valid") == (cli_code == 0), (folder, output, said)
        assert said["answer"] in ("valid", "invalid"), said
        for at in _AT.finditer(output):
            refused.setdefault(Path(at["file"]).name, set()).add(int(at["line"]))
    assert all(case.file in refused for case in CASES), sorted(refused)

    for case in CASES:
        alone = tmp_path / "alone" / case.id
        alone.mkdir(parents=True)
        (alone / "base.prisma").write_text(base_schema(version, case.provider))
        (alone / case.file).write_text(case.models)
        code, said = _ask(wasm, alone)
        assert (code, said["answer"]) == (1, "invalid"), (case.id, said)
        lines = {int(at["line"]) for at in _AT.finditer(str(said["message"])) if at["file"].endswith(case.file)}
        assert lines & refused[case.file], (case.id, lines, refused[case.file], said)


def test_the_script_ships_in_the_package() -> None:
    """An installed wheel has the script beside the module that runs it."""
    import tomllib

    data = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert SCRIPT.name in data["tool"]["setuptools"]["package-data"]["prisma_doctor.repair"]
    assert SCRIPT.is_file()
