"""Events + project facts to findings: every finding code against the captures, and the causes that compete."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from prisma_doctor.diagnosis import ClientFacts, Diagnoser, ProjectFacts, diagnose, diagnose_report
from prisma_doctor.findings import Finding
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.events import ClientError
from prisma_doctor.logs.recognize import read_events, recognize
from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.parser import parse_schema
from tests.captures.loading import load, names

DB_SIDE = {
    "db-object-error",
    "db-missing-column",
    "db-missing-table",
    "db-missing-enum-value",
    "db-unreachable",
    "migration-failed",
}
CACHE_FIXES = {"full-reset", "regenerate"}

# Capture -> the findings its output and its project give: (code, rank or None, count).
EXPECTED = {
    "sqlite-generate-ok": [],
    "sqlite-p2022-missing-column": [("db-missing-column", None, 1)],
    "fastify-pino-driver-adapter-error": [
        ("db-missing-column", None, 1),
        ("db-missing-table", None, 1),
        ("unique-constraint-failed", None, 1),
    ],
    "node-http-bunyan-driver-adapter-error": [
        ("db-missing-column", None, 1),
        ("db-missing-table", None, 1),
        ("unique-constraint-failed", None, 1),
    ],
    "node-http-winston-driver-adapter-error": [
        ("db-missing-column", None, 1),
        ("db-missing-table", None, 1),
        ("unique-constraint-failed", None, 1),
    ],
    "sqlite-p2021-missing-table": [("db-missing-table", None, 1)],
    "sqlite-migrate-status-pending": [("migrations-pending", None, 1)],
    "sqlite-engine-download-failed": [("engine-unavailable", None, 1)],
    "wine-generate-eperm-engine-locked": [("engine-locked", None, 1)],
    "sqlite-env-missing": [("env-missing", None, 1)],
    "sqlite-client-not-initialized": [("client-not-generated", None, 1)],
    "sqlite-unknown-argument-stale-client": [("client-out-of-sync", None, 1)],
    # tests/captures/enum_values.py: a value of `Role` the schema has and the client lacks.
    "sqlite-enum-value-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-enum-list-stale-client": [("client-out-of-sync", None, 1)],
    # tests/captures/nested_arguments.py: `Post.views` in the schema, not in the client, used inside `posts: {...}`.
    "sqlite-nested-where-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-nested-some-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-nested-select-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-nested-orderby-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-nested-create-stale-client": [("client-out-of-sync", None, 1)],
    # The same on Prisma 7.10, whose invocation names the outer model's call (`prisma.user.findMany()`).
    "node-7-nested-where-stale-client": [("client-out-of-sync", None, 1)],
    "node-7-nested-some-stale-client": [("client-out-of-sync", None, 1)],
    "node-7-nested-select-stale-client": [("client-out-of-sync", None, 1)],
    "node-7-nested-orderby-stale-client": [("client-out-of-sync", None, 1)],
    "node-7-nested-create-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-enum-create-stale-client": [("client-out-of-sync", None, 1)],
    "sqlite-p2002-unique": [("unique-constraint-failed", None, 1)],
    "sqlite-p2025-not-found": [("record-not-found", None, 1)],
    "sqlite-migrate-deploy-failed": [("migration-failed", None, 1)],
    "sqlite-migrate-status-failed": [("migration-failed", None, 1)],
    "sqlite-p1012-generate-broken-schema": [("schema-invalid", None, 1)],
    "pg-en-trigger-missing-field": [("db-object-error", None, 1)],
    "pg-fr-trigger-missing-field": [("db-missing-column", 1, 1), ("db-object-error", 2, 1)],
    "pg-en-p2022-missing-column": [("db-missing-column", 1, 1), ("db-object-error", 2, 1)],
    "pg-fr-p2022-missing-column": [("db-missing-column", 1, 1), ("db-object-error", 2, 1)],
    "pg-en-p2021-missing-table": [("db-missing-table", None, 1)],
    "pg-en-enum-value-missing": [("db-missing-enum-value", None, 1)],
    "pg-en-enum-value-missing-read": [("db-missing-enum-value", None, 1)],
    "pg-p1001-unreachable": [("db-unreachable", None, 1)],
    # tests/captures/mariadb_objects.py (tests/test_diagnosis_objects.py says what each names).
    "mysql-p7-view-broken": [("db-object-error", None, 1)],
    "mysql-p7-view-missing": [("db-missing-table", None, 1)],
    "mysql-p7-trigger-on-schema-field": [("db-object-error", None, 1)],
    "mysql-p7-pool-timeout": [("db-unreachable", None, 1)],
    "next-dev-p2022-server-action-bundled": [("db-missing-column", 1, 2), ("db-object-error", 2, 2)],
    "next-dev-p2022-server-action-external": [("db-missing-column", 1, 2), ("db-object-error", 2, 2)],
    "next-dev-unknown-argument-stale-server-stale": [("dev-server-stale", None, 2)],
    # MariaDB through @prisma/adapter-mariadb, Prisma 6.17 and 7.10: the adapter names the column the server's
    # message names, table-qualified for the client's own query, bare for a trigger's `NEW.touchedAt`.
    **{
        f"mysql-{prisma}-{case}": expected
        for prisma in ("p6", "p7")
        for case, expected in {
            "p2022-missing-column": [("db-missing-column", None, 1)],
            "trigger-dropped-column": [("db-object-error", None, 1)],
            "p2021-missing-table": [("db-missing-table", None, 1)],
            "p2002-unique": [("unique-constraint-failed", None, 1)],
        }.items()
    },
    # French server messages: the adapter cannot read the column's name, and prints `(not available)`.
    **{
        f"mysql-fr-{prisma}-{case}": [("db-missing-column", 1, 1), ("db-object-error", 2, 1)]
        for prisma in ("p6", "p7")
        for case in ("p2022-missing-column", "trigger-dropped-column")
    },
    # The sidecar's facts hold no generator outputs and no source files: what only they decide stays undecided here;
    # tests/test_beyond_codes.py puts the project back on disk and decides.
    "tsc-stale-client-types": [("client-out-of-sync", None, 1), ("client-out-of-sync", None, 1)],
    "tsc-7-client-not-generated": [("client-unresolvable", None, 1)],
    "tsc-7-stale-client-types": [("client-out-of-sync", None, 1), ("client-out-of-sync", None, 1)],
    "tsc-typo-field-and-model": [("code-ahead-of-schema", None, 1), ("code-ahead-of-schema", None, 1)],
    "next-build-stale-client-types": [("client-out-of-sync", None, 1)],
    "next-build-turbopack-client-not-generated": [("client-unresolvable", None, 1)],
    "next-build-webpack-client-not-generated": [("client-unresolvable", None, 1)],
    "node-5-default-client-missing": [("client-unresolvable", None, 1)],
    "node-7-esm-client-not-generated": [("client-unresolvable", None, 1)],
    "node-5-engine-not-found": [("engine-unavailable", None, 1)],
    "node-5-engine-library-invalid": [("engine-unavailable", None, 1)],
    "node-undefined-delegate-stale-client": [("unknown-argument", None, 1)],
    "next-dev-undefined-delegate-stale-singleton": [("dev-server-stale", None, 1)],
    "next-dev-turbopack-client-not-generated": [("client-unresolvable", None, 1)],
    "next-dev-webpack-client-not-generated": [("client-unresolvable", None, 2)],
    "sqlite-migrate-deploy-p3009": [("migration-failed", None, 1)],
    "sqlite-db-push-data-loss": [("data-loss-refused", None, 1)],
    "sqlite-migrate-dev-drift-reset": [("db-drift", None, 1)],
    "sqlite-migrate-dev-p3006-shadow": [("migration-failed", None, 1)],
    "windows-node-undefined-delegate-utf16": [("unknown-argument", None, 1)],
    "windows-node-5-engine-library-invalid-crlf": [("engine-unavailable", None, 1)],
    "windows-next-build-stale-client-types-utf16": [("client-out-of-sync", None, 1)],
}


def report_of(name: str, facts: ProjectFacts | None = None) -> list[Finding]:
    capture = load(name)
    events = read_events([capture.output])
    return list(diagnose_report(events, facts or capture.facts(), "/project").findings)


def summary(findings: list[Finding]) -> list[tuple[str, int | None, int]]:
    return [(f.code, f.data.get("rank"), f.count) for f in findings]


@pytest.mark.parametrize("name", ["pg-fr-p2022-missing-column", "next-dev-unknown-argument-stale-server-stale"])
def test_a_repeated_error_is_diagnosed_once_and_counted_every_time(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log of one error repeated (a crash loop) costs one diagnosis per distinct event and state, not one per
    line: the work is counted, not timed. The report is the one each copy alone gives, its counts multiplied."""
    capture = load(name)
    calls: list[str] = []
    diagnose_one = Diagnoser.findings_for

    def counted(self: Diagnoser, event: ev.Event) -> list[Finding]:
        calls.append(type(event).__name__)
        return diagnose_one(self, event)

    monkeypatch.setattr(Diagnoser, "findings_for", counted)
    once = read_events([capture.output])
    repeated = read_events([capture.output] * 200)
    assert len(repeated) == 200 * len(once)
    calls.clear()
    findings = list(diagnose_report(repeated, capture.facts(), "/project").findings)
    # Each distinct event once in each of the stream's states (before and after a `Ready` line); the events that
    # change the state every time.
    distinct = len({replace(e, line=0) for e in once})
    changes = sum(isinstance(e, (ev.DevServerReady, ev.ClientGenerated)) for e in repeated)
    assert len(calls) <= 2 * distinct + changes
    if not any(isinstance(e, ev.DevServerReady) for e in once):
        assert summary(findings) == [(code, rank, 200 * count) for code, rank, count in EXPECTED[name]]
        return
    # Each copy starts with the server's `Ready`: what every copy but the last printed is history (issue 8), the
    # same findings told as such and counted together; the last copy's are the current ones.
    history = [f for f in findings if f.data.get("history")]
    current = [f for f in findings if not f.data.get("history")]
    assert summary(current) == EXPECTED[name]
    assert summary(history) == [(code, rank, 199 * count) for code, rank, count in EXPECTED[name]]


def test_every_capture_has_expectations() -> None:
    assert sorted(EXPECTED) == names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_capture_gives_its_findings(name: str) -> None:
    findings = report_of(name)
    assert summary(findings) == EXPECTED[name]
    for finding in findings:
        if finding.code in DB_SIDE:
            assert not CACHE_FIXES & set(finding.fixes), finding


def test_incident_in_english_is_a_database_object_with_the_way_to_read_its_message() -> None:
    (finding,) = report_of("pg-en-trigger-missing-field")
    assert finding.fixes == ("inspect-database-objects",)
    assert "SET lc_messages = 'C'" in finding.message
    assert finding.location is not None and finding.location.file.endswith("update-user.js")


def test_next_finding_points_at_the_server_action_not_the_bundle() -> None:
    finding = report_of("next-dev-p2022-server-action-external")[0]
    assert finding.location is not None
    assert finding.location.to_json()["file"] == "/project/app/actions.ts"
    assert (finding.location.to_json()["line"], finding.location.to_json()["column"]) == (8, 3)


def test_stale_dev_server_needs_the_start_time() -> None:
    capture = load("next-dev-unknown-argument-stale-server-stale")
    facts = capture.facts()
    assert facts.dev_server_started_at is not None and facts.clients[0].generated_at is not None
    assert facts.dev_server_started_at < facts.clients[0].generated_at
    unknown_start = replace(facts, dev_server_started_at=None)
    assert [f.code for f in report_of(capture.name, unknown_start)] == ["unknown-argument"]


def test_column_in_schema_and_migration_but_not_in_database_says_deploy() -> None:
    (finding,) = report_of("sqlite-p2022-missing-column")
    assert finding.fixes == ("migrate-dev",)
    assert "no migration creates it" in finding.message
    capture = load("sqlite-p2022-missing-column")
    facts = capture.facts()
    with_migration = replace(
        facts,
        migrations=(*facts.migrations, "0002_nickname"),
        migrated={**facts.migrated, "User": {**facts.migrated["User"], "nickname": "0002_nickname"}},
    )
    (finding,) = report_of(capture.name, with_migration)
    assert finding.code == "db-missing-column"
    assert finding.fixes[0] == "migrate-deploy" and "`0002_nickname`" in finding.message


# The same text, other project states.
SCHEMA = """
model User {
  id            Int       @id
  email         String
  emailVerified DateTime? @map("email_verified")
}
"""
SCHEMA_WITH_NICKNAME = SCHEMA.replace("  email         String\n", "  email         String\n  nickname String?\n")
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def facts(schema: str, client: str | None = None, started: datetime | None = None, **extra: object) -> ProjectFacts:
    def model(text: str) -> Datamodel:
        return build_datamodel([parse_schema(text, "/p/prisma/schema.prisma")])

    clients = (ClientFacts("/p/node_modules/.prisma/client", model(client), NOW),) if client is not None else ()
    return ProjectFacts(root="/p", schema=model(schema), clients=clients, dev_server_started_at=started, **extra)


def p2022(column: str, action: str = "update") -> list:
    return recognize(
        [
            f"Invalid `prisma.user.{action}()` invocation in",
            "/p/app/actions.ts:9:3",
            f"The column `{column}` does not exist in the current database.",
            "  code: 'P2022',",
            "  meta: { modelName: 'User' },",
            "  clientVersion: '6.17.1'",
            "}",
        ]
    )


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


@pytest.mark.parametrize("column", ["new", "old"])
def test_a_triggers_record_is_a_database_object_whatever_the_project(column: str) -> None:
    for state in (None, facts(SCHEMA, SCHEMA)):
        (finding,) = diagnose(p2022(column), state)
        assert finding.code == "db-object-error"
        assert finding.fixes == ("inspect-database-objects",)
        assert "lc_messages" in finding.message


@pytest.mark.parametrize("column", ["«", "»", "(not available)"])
def test_a_name_nobody_could_read_is_ranked_not_decided(column: str) -> None:
    # `la colonne « nickname » n'existe pas` and `l'enregistrement « new » n'a pas de champs` both read as `«`:
    # without the database, both causes are said, ranked, with what would decide.
    for state in (None, facts(SCHEMA, SCHEMA)):
        findings = diagnose(p2022(column), state)
        assert sorted(codes(findings)) == ["db-missing-column", "db-object-error"]
        assert [f.data["rank"] for f in findings] == [1, 2]


def test_column_matching_no_field_or_map_is_a_database_object() -> None:
    assert codes(diagnose(p2022("emailverified"), facts(SCHEMA, SCHEMA))) == ["db-object-error"]


def test_column_named_by_its_map_is_missing_from_the_database() -> None:
    (finding,) = diagnose(p2022("User.email_verified"), facts(SCHEMA, SCHEMA))
    assert finding.code == "db-missing-column"
    assert finding.related and finding.related[0].file == "/p/prisma/schema.prisma"


def test_column_in_schema_but_in_no_client_was_not_queried_by_the_client() -> None:
    # A client without `nickname` cannot have asked for it (user trial 3, finding 6): the database's own code
    # (a trigger using the column the schema adds) did; the migration that adds the column satisfies it.
    (finding,) = diagnose(p2022("nickname"), facts(SCHEMA_WITH_NICKNAME, SCHEMA))
    assert finding.code == "db-object-error"
    # No migrations folder: the column comes by a push (offers.py).
    assert finding.fixes == ("inspect-database-objects", "db-push")
    assert "`User.nickname` is in the schema but not in the generated client" in finding.message


def test_column_only_the_client_has_is_an_old_client() -> None:
    assert codes(diagnose(p2022("nickname"), facts(SCHEMA, SCHEMA_WITH_NICKNAME))) == ["client-out-of-sync"]


def test_renamed_column_while_the_dev_server_ran_ranks_the_stale_server_first() -> None:
    # The database and the client on disk both moved on; the server started before that client was generated.
    state = facts(SCHEMA, SCHEMA, started=NOW - timedelta(minutes=5))
    first, second = diagnose(p2022("nickname"), state)
    assert (first.code, first.data["rank"], second.code, second.data["rank"]) == (
        "dev-server-stale",
        1,
        "db-object-error",
        2,
    )
    assert first.message.startswith("Most likely")


def test_not_available_with_every_column_migrated_and_a_write_ranks_the_trigger_first() -> None:
    migrated = {"User": {"": "0001", "id": "0001", "email": "0001", "email_verified": "0001"}}
    state = facts(SCHEMA, SCHEMA, migrations=("0001",), migrated=migrated)
    assert codes(diagnose(p2022("(not available)", "update"), state)) == ["db-object-error", "db-missing-column"]
    assert codes(diagnose(p2022("(not available)", "findMany"), state)) == ["db-missing-column", "db-object-error"]
    unmigrated = facts(SCHEMA, SCHEMA, migrations=("0001",), migrated={"User": {"": "0001", "id": "0001"}})
    first = diagnose(p2022("(not available)", "update"), unmigrated)[0]
    assert first.code == "db-missing-column" and first.data["candidates"] == ["email", "email_verified"]


def test_unknown_argument_for_a_field_the_schema_lacks_is_code_ahead_of_schema() -> None:
    capture = load("sqlite-unknown-argument-stale-client")
    state = facts(SCHEMA, SCHEMA)
    (finding,) = diagnose(read_events([capture.output]), state)
    assert finding.code == "code-ahead-of-schema"
    assert finding.fixes == ("edit-schema",)


def test_unknown_argument_without_a_project_stays_unknown() -> None:
    capture = load("sqlite-unknown-argument-stale-client")
    assert codes(diagnose(read_events([capture.output]), None)) == ["unknown-argument"]


def test_generate_after_the_dev_server_started_in_the_same_stream_means_a_stale_server() -> None:
    lines = [
        " ✓ Ready in 463ms",
        "✔ Generated Prisma Client (v6.17.1) to ./node_modules/@prisma/client in 62ms",
        "Invalid `prisma.user.update()` invocation:",
        "Unknown argument `nickname`. Available options are marked with ?.",
    ]
    state = facts(SCHEMA_WITH_NICKNAME, SCHEMA_WITH_NICKNAME)
    assert codes(diagnose(recognize(lines), state)) == ["dev-server-stale"]


def test_missing_table_that_no_model_maps_is_a_database_object() -> None:
    events = recognize(
        [
            "Invalid `prisma.user.findMany()` invocation:",
            "The table `audit_log` does not exist in the current database.",
        ]
    )
    assert codes(diagnose(events, facts(SCHEMA, SCHEMA))) == ["db-object-error"]


def test_locked_engine_names_the_process_that_holds_it(tmp_path: Path) -> None:
    engine = tmp_path / "query_engine-windows.dll.node"
    engine.write_bytes(b"\0")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"f = open({str(engine)!r}, 'rb'); print('ready', flush=True); import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        line = f"Error: EPERM: operation not permitted, rename '{engine}.tmp4242' -> '{engine}'"
        (finding,) = diagnose(recognize([line]), None)
        assert finding.code == "engine-locked"
        # Ours by its pid, not by its place: on a shared machine other processes may hold the same file too.
        names = {h["pid"]: h["name"] for h in finding.data["holders"]}
        assert names.get(holder.pid)
        assert f"pid {holder.pid}" in finding.message
        assert finding.fixes[0] == "stop-locking-process"
    finally:
        holder.kill()
        holder.wait()


def test_the_databases_own_trigger_message_is_a_database_object() -> None:
    events = recognize(["DriverAdapterError: l'enregistrement « new » n'a pas de champs « emailverified »"])
    (finding,) = diagnose(events, facts(SCHEMA, SCHEMA))
    assert finding.code == "db-object-error"
    assert "`new` has no field `emailverified`" in finding.message


@pytest.mark.parametrize(
    ("version", "engine_type", "advice"),
    [
        # 5.22 has no `engineType = "client"`: only the engines themselves or the network help (user trial 3, #10).
        ("5.22.0", "", 'Prisma 5 runs only native engines (it has no `engineType = "client"`)'),
        # 6.17 with `engineType = "client"` already: its CLI still fetches the engine library for `generate`.
        ("6.17.1", "client", "Prisma 6's CLI still fetches the native engines for `generate`"),
        ("6.17.1", "", "spares the app the native query engine, not the CLI"),
        (None, "", "The Prisma CLI could not download an engine"),
        ("7.10.0", "", "no driver adapter stands in for it on Prisma 7"),
    ],
)
def test_an_engine_download_is_advised_by_the_installed_prisma(
    version: str | None, engine_type: str, advice: str
) -> None:
    events = read_events([load("sqlite-engine-download-failed").output])

    (finding,) = diagnose(events, facts(SCHEMA, prisma_version=version, engine_types=(engine_type,)))

    assert finding.code == "engine-unavailable" and advice in finding.message, finding.message
    assert "PRISMA_SCHEMA_ENGINE_BINARY" in finding.message
    assert ("PRISMA_QUERY_ENGINE_LIBRARY" in finding.message) == (version != "7.10.0")
    if version is not None:
        assert f"The Prisma CLI {version}" in finding.message
    assert "prisma.config.ts" not in finding.message


def test_a_failed_schema_engine_download_names_its_variable_first() -> None:
    """Prisma 6.17's `generate` fetches the schema engine too (attacker's trial 6: the advice named only the query
    engine's variable for `generate`, which alone does not help)."""
    # (The real capture: Prisma 6.17.1's generate, offline, failing on `.../schema-engine.gz.sha256`.)
    events = read_events([load("sqlite-engine-download-failed").output])

    (finding,) = diagnose(events, facts(SCHEMA, prisma_version="6.17.1", engine_types=("client",)))

    assert "set PRISMA_SCHEMA_ENGINE_BINARY (the engine whose download failed here" in finding.message, finding.message


@pytest.mark.node
def test_a_node_esm_frame_lands_on_the_real_file(tmp_path: Path) -> None:
    # Node prints an ES module's frames as percent-encoded file URLs: `at async GET (file:///p/my%20app/route.mjs:3:9)`.
    route = tmp_path / "my app" / "route.mjs"
    route.parent.mkdir()
    route.write_text(
        "export async function GET() {\n  await Promise.resolve();\n  throw new Error('boom');\n}\n"
        "try { await GET(); } catch (e) { console.log(e.stack.split('\\n').slice(1).join('\\n')); }\n"
    )
    frames = subprocess.run(["node", str(route)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert frames[0].strip().startswith("at GET (file:///"), frames
    lines = [
        "PrismaClientKnownRequestError: ",
        "Invalid `prisma.user.findMany()` invocation:",
        "The column `User.nickname` does not exist in the current database.",
        *frames,
    ]
    project = facts(SCHEMA_WITH_NICKNAME, SCHEMA_WITH_NICKNAME)
    finding = diagnose(recognize(lines), replace(project, root=str(tmp_path)))[0]
    assert finding.location is not None and (finding.location.file, finding.location.span.start.line) == (str(route), 2)


@pytest.mark.parametrize(
    ("frame", "file"),
    [
        ("    at async GET (file:///C:/app/route.ts:5:3)", "C:/app/route.ts"),
        ("    at file:///C:/My%20App/route.mjs:5:3", "C:/My App/route.mjs"),
        ("    at async GET (file:///srv/app/route.ts:5:3)", "/srv/app/route.ts"),
    ],
)
def test_a_file_url_frame_is_read_as_its_path(frame: str, file: str) -> None:
    lines = [
        "Invalid `prisma.user.findMany()` invocation:",
        "The table `main.User` does not exist in the current database.",
    ]
    (event,) = recognize([*lines, frame])
    assert isinstance(event, ClientError) and event.call_site is not None and event.call_site.file == file


def _mapping(engine: Path) -> subprocess.Popen[bytes]:
    """A real process that maps `engine` as a loaded library is mapped (it shows in /proc/<pid>/maps)."""
    engine.parent.mkdir(parents=True, exist_ok=True)
    engine.write_bytes(b"\0" * 4096)
    code = f"import mmap, time; f = open({str(engine)!r}, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)"
    holder = subprocess.Popen(
        [sys.executable, "-c", code + "; print('ready', flush=True); time.sleep(60)"], stdout=subprocess.PIPE
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
    return holder


def test_a_locked_engine_of_the_same_name_in_another_project_names_no_process(tmp_path: Path) -> None:
    name = "libquery_engine-debian-openssl-3.0.x.so.node"
    ours = tmp_path / "app" / "node_modules" / ".prisma" / "client" / name
    elsewhere = tmp_path / "other" / "node_modules" / ".prisma" / "client" / name
    theirs = _mapping(elsewhere)
    try:
        ours.parent.mkdir(parents=True)
        ours.write_bytes(b"\0")
        line = f"Error: EPERM: operation not permitted, unlink '{ours}'"
        project = replace(facts(SCHEMA, SCHEMA), root=str(tmp_path / "app"))
        (finding,) = diagnose(recognize([line]), project)
        assert finding.code == "engine-locked" and finding.data["holders"] == []
        assert f"pid {theirs.pid}" not in finding.message
        # The same process mapping this project's file is named (relative to the project, as the log may print it).
        mine = _mapping(ours)
        try:
            line = f"Error: EPERM: operation not permitted, rename '{ours}.tmp77' -> '{ours}'"
            (finding,) = diagnose(recognize([line]), project)
            assert [h["pid"] for h in finding.data["holders"]] == [mine.pid]
            relative = "Error: EPERM: operation not permitted, unlink 'node_modules/.prisma/client/" + name + "'"
            (finding,) = diagnose(recognize([relative]), project)
            assert [h["pid"] for h in finding.data["holders"]] == [mine.pid]
        finally:
            mine.kill()
            mine.wait()
        # A file outside the project is another project's, even named exactly.
        line = f"Error: EPERM: operation not permitted, unlink '{elsewhere}'"
        (finding,) = diagnose(recognize([line]), project)
        assert finding.data["holders"] == []
    finally:
        theirs.kill()
        theirs.wait()


def test_an_enum_value_neither_schema_nor_client_has_is_the_codes() -> None:
    """User trial 4, item 12: the client rejects `MODERATOR` for a `Role`. With the client lacking what the schema has,
    the client is behind (above); with both agreeing, the code passes a value that is no `Role`."""
    capture = load("sqlite-enum-value-stale-client")
    facts = capture.facts()
    assert facts.schema is not None and facts.clients
    in_sync = replace(facts, clients=tuple(ClientFacts(c.path, facts.schema, c.generated_at) for c in facts.clients))
    (finding,) = diagnose(read_events([capture.output]), in_sync)
    assert finding.code == "code-ahead-of-schema", finding
    assert "`USER`, `ADMIN`, `MODERATOR`" in finding.message and finding.data["enum"] == "Role"
