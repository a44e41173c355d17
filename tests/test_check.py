"""The static check (`check_project`, `inspect_project`) on small real projects on disk, called directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_doctor.check import CheckSuperseded, check_project, inspect_project
from prisma_doctor.findings import Location, Position, Severity, Span, SyncState
from prisma_doctor.full_check import full_check, inspect_whole
from tests.toolchain import JS_GENERATOR, ProjectFactory, schema_text

MODELS = "model User {\n  id   Int    @id\n  name String\n}\n"
GENERATOR = 'generator client {{\n  provider = "prisma-client-js"{output}\n}}\n\n'


def project(root: Path, schema: str | bytes | None, package_json: str = '{"name": "app"}') -> Path:
    """`root` with a package.json and, unless `schema` is None, `prisma/schema.prisma`."""
    root.mkdir(parents=True)
    (root / "package.json").write_text(package_json)
    if schema is not None:
        (root / "prisma").mkdir()
        data = schema if isinstance(schema, bytes) else schema.encode()
        (root / "prisma" / "schema.prisma").write_bytes(data)
    return root


def js_schema(output: str | None = None) -> str:
    return GENERATOR.format(output=f'\n  output   = "{output}"' if output else "") + MODELS


def test_without_a_schema_the_state_is_unknown_and_the_finding_says_where_it_looked(tmp_path: Path) -> None:
    root = project(tmp_path / "app", None)
    state = inspect_project(root)
    assert (state.schema, state.clients, state.installed_prisma) == (None, (), None)
    assert state.report.state is SyncState.UNKNOWN
    (finding,) = state.report.findings
    assert (finding.code, finding.severity, finding.location, finding.fixes) == (
        "schema-unreadable",
        Severity.ERROR,
        None,
        ("edit-schema",),
    )
    assert finding.message == (
        f"no Prisma schema in {root}: looked for prisma.config.ts, package.json `prisma.schema`, schema.prisma, "
        "prisma/schema.prisma and prisma/schema/."
    )


def test_a_schema_path_that_does_not_exist_is_named_as_given(tmp_path: Path) -> None:
    root = project(tmp_path / "app", js_schema())
    report = check_project(root, root / "nope.prisma")
    assert report.state is SyncState.UNKNOWN
    assert [(f.code, f.message) for f in report.findings] == [
        ("schema-unreadable", f"{root / 'nope.prisma'} (--schema) does not exist.")
    ]


def test_a_schema_that_is_not_utf8_is_read_with_a_warning_and_the_state_stays_unknown(tmp_path: Path) -> None:
    root = project(tmp_path / "app", b"model U\xff {\n  id Int @id\n}\n")
    report = check_project(root)
    schema = str(root / "prisma" / "schema.prisma")
    assert report.state is SyncState.UNKNOWN
    assert [(f.code, f.severity) for f in report.findings] == [
        ("schema-invalid", Severity.ERROR),
        ("schema-unreadable", Severity.WARNING),
    ]
    assert report.findings[0].location == Location(schema, Span(Position(0, 6), Position(0, 8)))
    assert report.findings[1].message == f"{schema} is not valid UTF-8 (byte 7); undecodable bytes were replaced."


def test_a_type_that_names_nothing_is_schema_invalid_at_its_line(tmp_path: Path) -> None:
    root = project(tmp_path / "app", None)
    (root / "schema.prisma").write_text(
        'generator client {\n  provider = "prisma-client-js"\n  output = "./client"\n}\n\n'
        "model User {\n  id   Int  @id\n  role Rolee\n}\n"
    )
    report = check_project(root)
    invalid = [f for f in report.findings if f.code == "schema-invalid"]
    assert len(invalid) == 1 and "Rolee" in invalid[0].message
    assert invalid[0].location is not None and invalid[0].location.span is not None
    assert invalid[0].location.span.start.line == 7


def test_an_invalid_package_json_is_located_and_the_schema_is_still_checked(tmp_path: Path) -> None:
    root = project(tmp_path / "app", js_schema("../generated"), package_json='{\n  "name": "app",\n}\n')
    report = check_project(root)
    assert report.state is SyncState.OUT_OF_SYNC
    assert [f.code for f in report.findings] == ["package-json-invalid", "client-not-generated"]
    invalid = report.findings[0]
    assert invalid.severity is Severity.WARNING
    assert invalid.location == Location(str(root / "package.json"), Span(Position(2, 0), Position(2, 1)))
    assert invalid.message.startswith(
        "package.json is not valid JSON: Expecting property name enclosed in double quotes at line 3, column 1. "
    )


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (None, "`@prisma/client` is not installed, so the default output of prisma-client-js is unknown"),
        ("../generated", "nothing has been generated at {root}/generated"),
    ],
)
def test_a_generator_whose_client_was_never_generated(tmp_path: Path, output: str | None, problem: str) -> None:
    root = project(tmp_path / "app", js_schema(output))
    state = inspect_project(root)
    problem = problem.format(root=root)
    assert state.report.state is SyncState.OUT_OF_SYNC
    (client,) = state.clients
    assert (client.generator.name, client.client, client.problem) == ("client", None, problem)
    (finding,) = state.report.findings
    assert finding.code == "client-not-generated" and finding.severity is Severity.ERROR
    assert finding.message == f"Generator `client` (prisma-client-js) has no client: {problem}. Run `prisma generate`."
    assert finding.location == Location(str(root / "prisma" / "schema.prisma"), Span(Position(0, 10), Position(0, 16)))
    assert finding.fixes == ("regenerate", "full-reset")
    assert finding.data == {"generator": "client", "output": str(root / "generated") if output else ""}


@pytest.mark.node
def test_a_real_generate_brings_the_project_in_sync_and_an_edit_takes_it_out(prisma_project: ProjectFactory) -> None:
    version = "6.17.1"
    app = prisma_project(schema_text(version, MODELS, JS_GENERATOR), version=version)
    assert [f.code for f in check_project(app.root).findings] == ["client-not-generated"]

    app.generate()
    state = inspect_project(app.root)
    assert state.report.state is SyncState.IN_SYNC and state.report.findings == ()
    (client,) = state.clients
    assert client.client is not None and client.problem is None
    assert state.installed_prisma == client.client.version == version
    assert state.schema is not None and client.client.datamodel.model("User") == state.schema.datamodel.model("User")

    app.edit_schema("  name String\n", "  name String\n  email String?\n")
    report = check_project(app.root)
    assert report.state is SyncState.OUT_OF_SYNC
    assert [f.code for f in report.findings] == ["client-out-of-sync"]
    assert "email" in report.findings[0].message


def test_an_invalid_schema_offers_no_repair_that_runs_prisma_on_it(tmp_path: Path) -> None:
    # Every repair but a restart refuses while the schema does not validate (repair/plan.py): a user trial saw
    # regenerate and full-reset offered beside `schema-invalid` (user4 #16).
    root = project(tmp_path / "app", js_schema("../generated").replace("  name String\n", "  bio Strin?\n"))
    report = check_project(root)
    assert [(f.code, f.fixes) for f in report.findings] == [
        ("schema-invalid", ("edit-schema",)),
        ("client-not-generated", ("edit-schema",)),
    ]


@pytest.mark.node
def test_an_invalid_schema_says_only_what_holds_of_the_client(prisma_project: ProjectFactory) -> None:
    # user4 #16: `bio Strin?` gave schema-invalid AND "Field User.bio has type Strin in the schema but String in the
    # generated client. Regenerate" with fixes that cannot succeed.
    version = "6.17.1"
    models = MODELS + "model Post {\n  id Int @id\n}\n"
    app = prisma_project(schema_text(version, models, JS_GENERATOR), version=version)
    app.edit_schema("  name String\n", "  name String\n  bio  String?\n")
    app.generate()
    app.edit_schema("  bio  String?\n", "  bio  Strin?\n  nick String?\n")
    app.edit_schema("  id Int @id\n}", "  id Int @id\n  title String @default(\n}")  # a syntax error in Post
    report = check_project(app.root)
    findings = [(f.code, f.data.get("subject"), f.fixes) for f in report.findings]
    assert findings == [
        ("schema-invalid", None, ("edit-schema",)),
        ("schema-invalid", None, ("edit-schema",)),
        ("client-out-of-sync", "User.nick", ("edit-schema",)),
    ], findings
    assert report.findings[2].message.endswith("Regenerate the client once the schema validates.")
    # Through the whole check too (where the fixes are ordered for the dev servers and the migrations folder).
    whole = full_check(app.root, database=False)
    assert [(f.code, f.fixes) for f in whole.findings if f.code == "client-out-of-sync"] == [
        ("client-out-of-sync", ("edit-schema",))
    ]


def test_a_check_told_to_stop_stops_at_its_next_stage_and_only_then(tmp_path: Path) -> None:
    """A language server's check of text already edited again stops between stages (`CheckSuperseded`): at any of
    them, and nowhere while `stop` says false, which changes nothing of the result."""
    root = project(tmp_path / "app", js_schema("./client"))
    asked: list[int] = []

    def never() -> bool:
        asked.append(1)
        return False

    assert inspect_whole(root, stop=never).report.to_json() == inspect_whole(root).report.to_json()
    stages = len(asked)
    assert stages >= 3  # the schema read, each generator's client, the surroundings
    for stage in range(stages):
        calls = iter(range(stages))
        with pytest.raises(CheckSuperseded):
            inspect_whole(root, stop=lambda stage=stage, calls=calls: next(calls) == stage)
