"""Beyond Prisma's codes, on real captures (tests/captures/beyond_codes.py, windows_framing.py): TypeScript on a stale
client's types, a client that cannot be resolved, an undefined model delegate, an engine that cannot be loaded, the
CLI's P3009 and data-loss refusals. Each with the project at hand (its sidecar's facts, or the project put back on
disk and read by the doctor itself) and without it, where the finding must say what would decide.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_doctor.diagnosis import ClientFacts, ProjectFacts, diagnose, project_facts
from prisma_doctor.findings import Finding
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.schema.datamodel import Datamodel
from tests.captures.loading import FIXTURES, Capture, load, project_from_capture
from tests.helpers import doctor
from tests.toolchain import ProjectFactory, toolchain

STALE_TYPES = (
    "tsc-stale-client-types",
    "tsc-7-stale-client-types",
    "next-build-stale-client-types",
    "windows-next-build-stale-client-types-utf16",
)
NOT_GENERATED = (
    "next-build-turbopack-client-not-generated",
    "next-build-webpack-client-not-generated",
    "next-dev-turbopack-client-not-generated",
    "next-dev-webpack-client-not-generated",
    "tsc-7-client-not-generated",
    "node-7-esm-client-not-generated",
)


def findings(capture: Capture, facts: ProjectFacts | None, output: bytes | None = None) -> list[Finding]:
    return diagnose(read_events([output if output is not None else capture.output]), facts)


def with_client_as(facts: ProjectFacts, datamodel_of: ProjectFacts) -> ProjectFacts:
    """The same project with its generated client built from another project's schema."""
    assert datamodel_of.schema is not None
    return ProjectFacts(
        root=facts.root,
        schema=facts.schema,
        clients=tuple(ClientFacts(c.path, datamodel_of.schema) for c in facts.clients),
    )


def moved(capture: Capture, root: Path) -> bytes:
    """The capture's output as if it had run in `root`: the project's folder, where the sidecar says it was, moved."""
    return capture.output.replace(capture.sidecar["project_root"].encode(), str(root).encode())


@pytest.mark.parametrize("name", STALE_TYPES)
def test_a_type_error_on_a_field_the_schema_has_is_a_stale_client_at_the_call_site(name: str) -> None:
    capture = load(name)
    event = read_events([capture.output])[0]
    assert isinstance(event, ev.TypeCheckError)
    assert (event.name, event.type_name, event.ts_code) == ("nickname", "UserUpdateInput", "TS2353")
    finding = findings(capture, capture.facts())[0]
    assert finding.code == "client-out-of-sync"
    assert "regenerate" in finding.fixes and "restart-ts-server" in finding.fixes
    # The call site as tsc printed it, and the schema's field it names.
    assert finding.location is not None and finding.location.span is not None
    line, column = (5, 52) if name.startswith("tsc") else (5, 55)
    assert (finding.location.span.start.line, finding.location.span.start.character) == (line, column)
    assert finding.location.file.replace("\\", "/").endswith(("app.ts", "app/page.tsx"))
    (schema_field,) = finding.related
    assert schema_field.file.endswith("schema.prisma") and schema_field.span is not None
    schema_lines = capture.sidecar["project"]["schema"].splitlines()
    assert schema_lines[schema_field.span.start.line].split() == ["nickname", "String?"]


@pytest.mark.parametrize("name", ["tsc-stale-client-types", "tsc-7-stale-client-types"])
def test_a_model_the_client_lacks_is_named_from_the_delegate_type_check(name: str) -> None:
    capture = load(name)
    event = read_events([capture.output])[1]
    assert isinstance(event, ev.TypeCheckError) and event.on_client and event.name == "post"
    finding = findings(capture, capture.facts())[1]
    assert finding.code == "client-out-of-sync" and finding.data["model"] == "Post"
    assert finding.location is not None and finding.location.span is not None
    assert finding.location.span.start.line == 6


@pytest.mark.parametrize("name", STALE_TYPES)
def test_a_name_the_schema_lacks_is_a_typo_not_a_stale_client(name: str) -> None:
    capture = load(name)
    facts = capture.facts()
    # The schema as the client was generated from: no `nickname`, no `Post`.
    typo = ProjectFacts(root=facts.root, schema=facts.clients[0].datamodel, clients=facts.clients)
    assert {f.code for f in findings(capture, typo)} == {"code-ahead-of-schema"}
    assert all(not {"regenerate", "full-reset"} & set(f.fixes) for f in findings(capture, typo))


def test_a_real_typo_is_a_typo_with_typescripts_own_suggestion() -> None:
    """The client is generated from the schema; the code misspells a field (TS2561) and a model (TS2551)."""
    capture = load("tsc-typo-field-and-model")
    field, model = read_events([capture.output])
    assert isinstance(field, ev.TypeCheckError) and (field.name, field.suggestion) == ("nicknam", "nickname")
    assert isinstance(model, ev.TypeCheckError) and model.on_client
    assert (model.name, model.suggestion) == ("posts", "post")
    for finding, suggested in zip(findings(capture, capture.facts()), ("nickname", "post"), strict=True):
        assert finding.code == "code-ahead-of-schema" and finding.fixes == ("edit-schema",)
        assert f"suggests `{suggested}`" in finding.message


def test_a_client_on_disk_that_has_the_name_means_the_check_ran_before_the_generate() -> None:
    capture = load("tsc-stale-client-types")
    facts = capture.facts()
    fresh = with_client_as(facts, facts)
    for finding in findings(capture, fresh):
        assert finding.code == "unknown-argument" and finding.fixes == ("restart-ts-server",)
        assert "older" in finding.message


@pytest.mark.parametrize("name", STALE_TYPES)
def test_a_type_error_without_the_project_says_what_decides(name: str) -> None:
    for finding in findings(load(name), None):
        assert finding.code == "unknown-argument"
        assert "Decides:" in finding.message


@pytest.mark.parametrize("name", NOT_GENERATED)
def test_an_unresolvable_client_in_the_project_at_hand_is_one_never_generated(name: str, tmp_path: Path) -> None:
    capture = load(name)
    root = project_from_capture(name, tmp_path / "app")
    events = [e for e in read_events([moved(capture, root)]) if not isinstance(e, ev.DevServerReady)]
    assert events and all(isinstance(e, ev.ClientModuleMissing) and "generated" in e.specifier for e in events)
    # The importing file, as each tool names it (Turbopack relative to its root: the install folder here).
    importer = {"tsc": "app.ts", "node": str(root / "main.mjs")}.get(name.split("-")[0], "lib/prisma.ts")
    assert all(e.location is not None and e.location.file.endswith(importer) for e in events), events
    for finding in findings(capture, project_facts(root), moved(capture, root)):
        assert finding.code == "client-not-generated", finding.message
        assert finding.fixes[0] == "regenerate"
        assert finding.data["output"] == str(root / ("generated/client" if "next-" in name else "generated/prisma"))


@pytest.mark.parametrize("name", NOT_GENERATED)
def test_an_unresolvable_client_without_the_project_says_what_decides(name: str) -> None:
    for finding in findings(load(name), None):
        assert finding.code == "client-unresolvable" and "Decides:" in finding.message


def test_an_import_that_names_no_generator_output_is_the_imports_fault() -> None:
    capture = load("next-build-turbopack-client-not-generated")
    facts = capture.facts()
    elsewhere = ProjectFacts(root="/project", schema=facts.schema, outputs=("/project/src/db",))
    (finding,) = findings(capture, elsewhere)
    assert finding.code == "client-unresolvable" and "names no generator's output" in finding.message
    assert finding.fixes == ("edit-schema",)


def test_an_unresolvable_client_that_is_there_now_ran_before_the_generate() -> None:
    capture = load("tsc-7-client-not-generated")
    schema = capture.facts().schema
    assert schema is not None
    output = "/project/generated/prisma"
    generated = ProjectFacts(root="/project", schema=schema, outputs=(output,), clients=(ClientFacts(output, schema),))
    (finding,) = findings(capture, generated)
    assert finding.code == "client-unresolvable" and "there now" in finding.message


@pytest.mark.node
def test_prisma_7_stale_types_decided_by_the_real_client_on_disk(prisma_project: ProjectFactory) -> None:
    """The project put back with its Prisma 7.10 client really generated from the schema it had: the doctor reads
    that client (no schema copy in it) and finds `nickname` and `Post` missing from it."""
    capture = load("tsc-7-stale-client-types")
    state = capture.sidecar["project"]
    project = prisma_project(state["clients"]["generated/prisma"], version="7.10.0")
    project.generate()
    project.write_schema(state["schema"])
    (project.root / "app.ts").write_text(state["sources"]["app.ts"])
    fields, models = findings(capture, project_facts(project.root))
    assert fields.code == "client-out-of-sync" and str(project.root / "generated" / "prisma") in fields.message
    assert fields.location is not None and fields.location.file == str(project.root / "app.ts")
    assert models.code == "client-out-of-sync" and models.data["model"] == "Post"


@pytest.mark.node
def test_prismas_default_client_missing_in_a_real_install(tmp_path: Path) -> None:

    capture = load("node-5-default-client-missing")
    root = project_from_capture("node-5-default-client-missing", tmp_path / "app")
    (root / "node_modules").symlink_to(toolchain("npm", "5.22.0") / "node_modules", target_is_directory=True)
    (event,) = read_events([capture.output])
    assert isinstance(event, ev.ClientModuleMissing) and event.specifier == ".prisma/client/default"
    (finding,) = findings(capture, project_facts(root))
    assert finding.code == "client-not-generated", finding.message
    assert finding.data["output"].endswith("node_modules/.prisma/client")


def test_an_undefined_delegate_in_the_project_at_hand_is_a_model_the_client_lacks(tmp_path: Path) -> None:
    name = "node-undefined-delegate-stale-client"
    capture = load(name)
    root = project_from_capture(name, tmp_path / "app")
    output = moved(capture, root)
    (event,) = read_events([output])
    assert isinstance(event, ev.ModelDelegateMissing) and event.action == "findMany"
    # The output names only `findMany`: the model is read from the line of main.js it points at.
    facts = capture.facts(str(root))
    (finding,) = findings(capture, facts, output)
    assert finding.code == "client-out-of-sync" and finding.data["model"] == "Post"
    assert finding.fixes == ("regenerate", "restart-dev-server")
    assert finding.location is not None and finding.location.file == str(root / "main.js")
    # The client on disk has `Post`: the process that ran holds an older one.
    (stale,) = findings(capture, with_client_as(facts, facts), output)
    assert stale.code == "dev-server-stale"
    # The schema lacks it too: the code is wrong.
    (typo,) = findings(capture, ProjectFacts(root=str(root), schema=facts.clients[0].datamodel), output)
    assert typo.code == "code-ahead-of-schema"


def test_a_dev_servers_stale_singleton_is_told_from_the_client_on_disk() -> None:
    """The real case: `next dev` holds the client it created on `globalThis`; the one on disk has `Post`."""
    capture = load("next-dev-undefined-delegate-stale-singleton")
    _, event, *_ = read_events([capture.output])  # (then the request that failed with it)
    assert isinstance(event, ev.ModelDelegateMissing) and event.accessor == "post"  # from Next's code frame
    (finding,) = findings(capture, capture.facts())
    assert finding.code == "dev-server-stale" and finding.fixes == ("restart-dev-server",)
    assert finding.location is not None and finding.location.file == "/project/app/posts/page.tsx"
    # Had the generate not happened, the client on disk would lack `Post`: regenerate first.
    facts = capture.facts()
    older = ProjectFacts(
        root=facts.root, schema=facts.schema, clients=(ClientFacts(facts.clients[0].path, typo_schema()),)
    )
    (behind,) = findings(capture, older)
    assert behind.code == "client-out-of-sync" and behind.fixes == ("regenerate", "restart-dev-server")
    # Without the project, every cause stays open and the question is said.
    (open_question,) = findings(capture, None)
    assert open_question.code == "unknown-argument" and "Decides:" in open_question.message


def typo_schema() -> Datamodel:
    """The schema before Post was added: the one the first client of the singleton capture was built from."""
    schema = load("node-undefined-delegate-stale-client").facts().clients[0].datamodel
    assert schema.model("Post") is None
    return schema


@pytest.mark.parametrize("name", ["node-undefined-delegate-stale-client", "windows-node-undefined-delegate-utf16"])
def test_an_undefined_delegate_without_the_code_says_what_decides(name: str) -> None:
    (finding,) = findings(load(name), None)
    assert finding.code == "unknown-argument" and "Decides:" in finding.message
    assert finding.location is not None and finding.location.file.endswith("main.js")


def test_windows_frames_keep_their_drive_letter() -> None:
    capture = load("windows-node-undefined-delegate-utf16")
    (event,) = read_events([capture.output])
    assert isinstance(event, ev.ModelDelegateMissing) and event.call_site is not None
    assert event.call_site.file == "C:\\Users\\ada\\app\\main.js"
    (finding,) = findings(capture, capture.facts("/elsewhere"))
    assert finding.location is not None and finding.location.file == "C:\\Users\\ada\\app\\main.js"


@pytest.mark.parametrize("name", ["node-5-engine-library-invalid", "windows-node-5-engine-library-invalid-crlf"])
def test_an_engine_library_that_cannot_load_is_named_with_its_call(name: str) -> None:
    capture = load(name)
    (event,) = read_events([capture.output])
    assert isinstance(event, ev.EngineLibraryInvalid)
    assert event.path.endswith("libquery_engine-debian-openssl-3.0.x.so.node")
    (finding,) = findings(capture, None)
    assert finding.code == "engine-unavailable" and finding.fixes == ("regenerate",)
    # The invocation's own path line, a drive letter and backslashes included.
    assert finding.location is not None and finding.location.span is not None
    assert finding.location.file.replace("\\", "/").endswith("/main.js") and finding.location.span.start.line == 2
    if name.startswith("windows"):
        assert finding.location.file == "C:\\Users\\ada\\app\\main.js"


def test_migrate_deploy_p3009_names_the_failed_migration() -> None:
    (event,) = read_events([load("sqlite-migrate-deploy-p3009").output])
    assert isinstance(event, ev.MigrationFailed) and event.names == ("0002_broken",)


def test_migrate_dev_p3006_names_the_migration_that_fails_on_the_shadow_database() -> None:
    capture = load("sqlite-migrate-dev-p3006-shadow")
    (event,) = read_events([capture.output])
    assert isinstance(event, ev.MigrationFailed) and event.names == ("0002_broken",)
    assert event.reason == ev.SHADOW_DATABASE
    (finding,) = findings(capture, capture.facts())
    assert finding.code == "migration-failed" and "shadow database" in finding.message and finding.fixes == ()


def test_migrate_dev_drift_says_a_reset_loses_the_data() -> None:
    (finding,) = findings(load("sqlite-migrate-dev-drift-reset"), None)
    assert finding.code == "db-drift" and "data is lost" in finding.message


def test_db_push_data_loss_is_a_warning_that_names_the_column_and_offers_no_cache_fix() -> None:
    capture = load("sqlite-db-push-data-loss")
    (event,) = read_events([capture.output])
    assert isinstance(event, ev.DataLossRefused)
    assert (event.table, event.column, event.rows) == ("User", "nickname", 1)
    (finding,) = findings(capture, capture.facts())
    assert finding.code == "data-loss-refused" and finding.fixes == ()
    assert "--accept-data-loss" in finding.message


def test_run_wrapping_a_build_decides_module_not_found_with_the_project(tmp_path: Path) -> None:
    """`prisma-doctor run -- next build` replayed: a non-client event still reads the project (its generator output)."""
    name = "next-build-webpack-client-not-generated"
    root = project_from_capture(name, tmp_path / "app")
    log = FIXTURES / f"{name}.log"
    done = doctor("run", "--project", str(root), "--", "sh", "-c", f"cat '{log}'; exit 1", cwd=tmp_path, text=False)
    assert done.returncode == 1
    assert b"[client-not-generated]" in done.stderr, done.stderr
