"""Lines to events, on the committed captures (real output of real failures) and on forms we cannot produce here."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import Recognizer, parse_invocation, read_events, recognize
from prisma_doctor.logs.stream import read_lines
from tests.captures.loading import load, names


def kinds(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events]


# Capture -> the events it must give, in order (repeated errors are repeated events; diagnosis counts them).
EXPECTED_KINDS = {
    "sqlite-generate-ok": ["ClientGenerated"],
    "sqlite-p2022-missing-column": ["MissingColumn"],
    # The same driver adapter errors as JSON records (Fastify's pino), each with the request that failed.
    "fastify-pino-driver-adapter-error": ["MissingColumn", "MissingTable", "UniqueConstraintFailed"],
    # ...and as bunyan's and winston's records (tests/captures/node_loggers.py).
    "node-http-bunyan-driver-adapter-error": ["MissingColumn", "MissingTable", "UniqueConstraintFailed"],
    "node-http-winston-driver-adapter-error": ["MissingColumn", "MissingTable", "UniqueConstraintFailed"],
    "sqlite-p2021-missing-table": ["MissingTable"],
    "sqlite-migrate-status-pending": ["MigrationsPending"],
    "sqlite-engine-download-failed": ["EngineDownloadFailed"],
    "wine-generate-eperm-engine-locked": ["EngineLocked"],
    "sqlite-env-missing": ["EnvVarMissing"],
    "sqlite-client-not-initialized": ["ClientNotInitialized"],
    "sqlite-unknown-argument-stale-client": ["UnknownArgument"],
    "sqlite-enum-value-stale-client": ["InvalidValue"],
    "sqlite-enum-list-stale-client": ["InvalidValue"],
    # tests/captures/nested_arguments.py: a field inside a relation's own arguments.
    "sqlite-nested-where-stale-client": ["UnknownArgument"],
    "sqlite-nested-some-stale-client": ["UnknownArgument"],
    "sqlite-nested-select-stale-client": ["UnknownField"],
    "sqlite-nested-orderby-stale-client": ["UnknownArgument"],
    "sqlite-nested-create-stale-client": ["UnknownArgument"],
    "node-7-nested-where-stale-client": ["UnknownArgument"],
    "node-7-nested-some-stale-client": ["UnknownArgument"],
    "node-7-nested-select-stale-client": ["UnknownField"],
    "node-7-nested-orderby-stale-client": ["UnknownArgument"],
    "node-7-nested-create-stale-client": ["UnknownArgument"],
    "sqlite-enum-create-stale-client": ["InvalidValue"],
    "sqlite-p2002-unique": ["UniqueConstraintFailed"],
    "sqlite-p2025-not-found": ["RecordNotFound"],
    "sqlite-migrate-deploy-failed": ["MigrationFailed"],
    "sqlite-migrate-status-failed": ["MigrationFailed"],
    "sqlite-p1012-generate-broken-schema": ["SchemaInvalid"],
    "pg-fr-trigger-missing-field": ["MissingColumn"],
    "pg-en-trigger-missing-field": ["MissingColumn"],
    "pg-en-p2022-missing-column": ["MissingColumn"],
    "pg-fr-p2022-missing-column": ["MissingColumn"],
    "pg-en-p2021-missing-table": ["MissingTable"],
    "pg-en-enum-value-missing": ["InvalidEnumValue"],
    "pg-en-enum-value-missing-read": ["InvalidEnumValue"],
    "pg-p1001-unreachable": ["DatabaseUnreachable"],
    # tests/captures/mariadb_objects.py: the database's own objects and its reachability through the adapter.
    "mysql-p7-view-broken": ["BrokenView"],
    "mysql-p7-view-missing": ["MissingTable"],
    "mysql-p7-trigger-on-schema-field": ["MissingColumn"],
    "mysql-p7-pool-timeout": ["DatabaseUnreachable"],
    # (The server action's `POST / 500` right after the error's `}`: the request that failed with it.)
    "next-dev-p2022-server-action-bundled": ["DevServerReady", "MissingColumn", "MissingColumn", "ErrorRequest"],
    "next-dev-p2022-server-action-external": ["DevServerReady", "MissingColumn", "MissingColumn"],
    "next-dev-unknown-argument-stale-server-stale": ["DevServerReady", "UnknownArgument", "UnknownArgument"],
    **{
        f"mysql-{prisma}-{case}": [kind]
        for prisma in ("p6", "p7")
        for case, kind in {
            "p2022-missing-column": "MissingColumn",
            "trigger-dropped-column": "MissingColumn",
            "p2021-missing-table": "MissingTable",
            "p2002-unique": "UniqueConstraintFailed",
        }.items()
    },
    **{
        f"mysql-fr-{prisma}-{case}": ["MissingColumn"]
        for prisma in ("p6", "p7")
        for case in ("p2022-missing-column", "trigger-dropped-column")
    },
    # Beyond the codes (tests/captures/beyond_codes.py, windows_framing.py; tests/test_beyond_codes.py).
    "tsc-stale-client-types": ["TypeCheckError", "TypeCheckError"],
    "tsc-7-client-not-generated": ["ClientModuleMissing"],
    "tsc-7-stale-client-types": ["TypeCheckError", "TypeCheckError"],
    "tsc-typo-field-and-model": ["TypeCheckError", "TypeCheckError"],
    "next-build-stale-client-types": ["TypeCheckError"],
    "next-build-turbopack-client-not-generated": ["ClientModuleMissing"],
    "next-build-webpack-client-not-generated": ["ClientModuleMissing"],
    "node-5-default-client-missing": ["ClientModuleMissing"],
    "node-7-esm-client-not-generated": ["ClientModuleMissing"],
    "node-5-engine-not-found": ["EngineNotFound"],
    "node-5-engine-library-invalid": ["EngineLibraryInvalid"],
    "node-undefined-delegate-stale-client": ["ModelDelegateMissing"],
    "next-dev-undefined-delegate-stale-singleton": ["DevServerReady", "ModelDelegateMissing", "ErrorRequest"],
    "next-dev-turbopack-client-not-generated": ["DevServerReady", "ClientModuleMissing"],
    "next-dev-webpack-client-not-generated": ["DevServerReady", "ClientModuleMissing", "ClientModuleMissing"],
    "sqlite-migrate-deploy-p3009": ["MigrationFailed"],
    "sqlite-db-push-data-loss": ["DataLossRefused"],
    "sqlite-migrate-dev-drift-reset": ["DatabaseDrift"],
    "sqlite-migrate-dev-p3006-shadow": ["MigrationFailed"],
    "windows-node-undefined-delegate-utf16": ["ModelDelegateMissing"],
    "windows-node-5-engine-library-invalid-crlf": ["EngineLibraryInvalid"],
    "windows-next-build-stale-client-types-utf16": ["TypeCheckError"],
}


def test_every_capture_has_expectations() -> None:
    assert sorted(EXPECTED_KINDS) == names()


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_capture_gives_its_events(name: str) -> None:
    assert kinds(read_events([load(name).output])) == EXPECTED_KINDS[name]


def test_sqlite_adapter_error_names_schema_table_and_column() -> None:
    (event,) = read_events([load("sqlite-p2022-missing-column").output])
    assert isinstance(event, ev.MissingColumn)
    assert (event.schema, event.table, event.column) == ("main", "User", "nickname")
    assert event.error_class == "DriverAdapterError"
    assert event.client_version == "6.17.1"


def test_the_incident_column_names_are_kept_as_printed() -> None:
    french = read_events([load("pg-fr-trigger-missing-field").output])[0]
    english = read_events([load("pg-en-trigger-missing-field").output])[0]
    assert isinstance(french, ev.MissingColumn) and isinstance(english, ev.MissingColumn)
    assert french.column == "(not available)"
    assert english.column == "new"
    assert english.code == "P2022" and english.model == "User"
    # The client's own call-site guess points into its bundle; the real call is the first frame of our script.
    assert english.invocation is not None and english.invocation.model_accessor is None
    assert english.call_site is not None and english.call_site.file.endswith("update-user.js")
    assert (english.call_site.line, english.call_site.function) == (5, "main")


def test_turbopack_invocation_and_next_frame_give_the_real_source() -> None:
    event = read_events([load("next-dev-p2022-server-action-external").output])[1]
    assert isinstance(event, ev.MissingColumn)
    assert event.invocation is not None
    assert event.invocation.expression.startswith("{imported module ")
    assert (event.invocation.model_accessor, event.invocation.action) == ("user", "update")
    assert event.invocation.location is not None and event.invocation.location.is_build_output
    assert event.source == ev.SourceLocation("app/actions.ts", 8, 3, "renameUser")
    assert (event.code, event.model, event.client_version) == ("P2022", "User", "6.17.1")


def test_invocation_without_call_site() -> None:
    event = read_events([load("next-dev-p2022-server-action-bundled").output])[1]
    assert isinstance(event, ev.MissingColumn)
    assert event.invocation == ev.Invocation("prisma.user.update()", "update", "user", None)
    assert event.source == ev.SourceLocation("app/actions.ts", 8, 3, "renameUser")


def test_unknown_argument_lists_the_available_options() -> None:
    (event,) = read_events([load("sqlite-unknown-argument-stale-client").output])
    assert isinstance(event, ev.UnknownArgument)
    assert event.argument == "nickname"
    assert event.available == ("email", "name")


def test_p1012_block_keeps_every_problem_and_its_pointer() -> None:
    (event,) = read_events([load("sqlite-p1012-generate-broken-schema").output])
    assert isinstance(event, ev.SchemaInvalid)
    assert [(p.location.file, p.location.line) for p in event.problems if p.location] == [
        ("prisma/schema.prisma", 14),
        ("prisma/schema.prisma", 15),
    ]
    assert event.problems[0].message.startswith('Type "Strin" is neither')


def test_env_var_inside_a_p1012_block_is_an_env_event_with_its_schema_line() -> None:
    (event,) = read_events([load("sqlite-env-missing").output])
    assert isinstance(event, ev.EnvVarMissing)
    assert event.name == "DATABASE_URL"
    assert event.schema_location == ev.SourceLocation("prisma/schema.prisma", 9)


def test_migration_names() -> None:
    (pending,) = read_events([load("sqlite-migrate-status-pending").output])
    (failed,) = read_events([load("sqlite-migrate-status-failed").output])
    (deploy,) = read_events([load("sqlite-migrate-deploy-failed").output])
    assert isinstance(pending, ev.MigrationsPending) and pending.names == ("0002_add_nickname_post",)
    assert isinstance(failed, ev.MigrationFailed) and failed.names == ("0003_broken",)
    assert isinstance(deploy, ev.MigrationFailed) and deploy.names == ("0003_broken",)


def _mojibake(data: bytes, codec: str) -> bytes:
    """The same output after a hop that decoded UTF-8 as `codec` and encoded the result as UTF-8 again."""
    return data.decode(codec, errors="replace").encode("utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED_KINDS))
def test_random_chunks_and_mojibake_give_the_same_events(name: str) -> None:
    data = load(name).output
    expected = read_events([data])
    rng = random.Random(name)
    # A hop that reads UTF-8 as another codec: only UTF-8 output (not a UTF-16 log PowerShell saved) goes through it.
    hops = () if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ("cp1252", "latin-1", "mac_roman")
    for variant in (data, *(_mojibake(data, codec) for codec in hops)):
        chunks, position = [], 0
        while position < len(variant):
            size = rng.choice([1, 2, 3, 7, 64, 500, 4096])
            chunks.append(variant[position : position + size])
            position += size
        assert read_events(chunks) == expected, name


# Forms that cannot be produced on this machine (Windows locks, the native engine), as Prisma prints them.
def test_windows_engine_lock() -> None:
    line = (
        "Error: EPERM: operation not permitted, rename 'C:\\app\\node_modules\\.prisma\\client\\"
        "query_engine-windows.dll.node.tmp43516' -> 'C:\\app\\node_modules\\.prisma\\client\\"
        "query_engine-windows.dll.node'"
    )
    (event,) = recognize([line])
    assert isinstance(event, ev.EngineLocked)
    assert event.error == "EPERM"
    assert event.path.endswith("query_engine-windows.dll.node.tmp43516")


def test_native_engine_messages() -> None:
    found = recognize(
        [
            'Prisma Client could not locate the Query Engine for runtime "debian-openssl-3.0.x".',
            "Can't reach database server at `localhost:5432`",
            "Drift detected: Your database schema is not in sync with your migration history.",
        ]
    )
    assert kinds(found) == ["EngineNotFound", "DatabaseUnreachable", "DatabaseDrift"]
    assert found[0].runtime == "debian-openssl-3.0.x"


@pytest.mark.parametrize(
    ("printed", "schema", "table", "column"),
    [
        ("User.nickname", None, "User", "nickname"),
        ("public.User.nickname", "public", "User", "nickname"),
        ("nickname", None, None, "nickname"),
        ("«", None, None, "«"),
    ],
)
def test_native_p2022_column_forms(printed: str, schema: str | None, table: str | None, column: str) -> None:
    lines = [
        "",
        "Invalid `prisma.user.update()` invocation in",
        "/app/src/users.ts:12:21",
        "",
        "  11 export async function rename() {",
        "→ 12   await prisma.user.update(",
        f"The column `{printed}` does not exist in the current database.",
        "  code: 'P2022',",
    ]
    (event,) = recognize(lines)
    assert isinstance(event, ev.MissingColumn)
    assert (event.schema, event.table, event.column) == (schema, table, column)
    assert event.invocation is not None and event.invocation.location == ev.SourceLocation("/app/src/users.ts", 12, 21)
    assert event.source == event.invocation.location


def test_unknown_field_on_select() -> None:
    (event,) = recognize(["Unknown field `nickname` for select statement on model `User`. Available options..."])
    assert isinstance(event, ev.UnknownField)
    assert (event.field, event.on_model) == ("nickname", "User")


def test_flush_ends_an_open_block() -> None:
    recognizer = Recognizer()
    assert recognizer.feed_line("Invalid `prisma.post.create()` invocation:") == []
    assert recognizer.feed_line("The table `main.Post` does not exist in the current database.") == []
    (event,) = recognizer.flush()
    assert isinstance(event, ev.MissingTable) and event.table == "Post"


def test_invocation_expressions() -> None:
    assert parse_invocation("this.prisma.user.findMany()", None).model_accessor == "user"
    assert parse_invocation('{imported module ./lib/db.ts}["db"].post.create()', None).model_accessor == "post"
    assert parse_invocation("prisma.$queryRaw()", None).action == "$queryRaw"
    assert parse_invocation("t=Object.create()", None).action is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=60))
def test_any_text_gives_events_or_nothing_but_never_fails(lines: list[str]) -> None:
    for event in recognize(lines):
        assert isinstance(event, ev.Event)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(load("next-dev-p2022-server-action-external").output.decode().splitlines()), max_size=80)
)
def test_shuffled_pieces_of_real_output_never_fail(lines: list[str]) -> None:
    recognize(lines)


@pytest.mark.parametrize(
    ("message", "table", "column"),
    [
        # PostgreSQL's own words (checked with psql 15), as a driver error carries them.
        ("column User.nickname does not exist", "User", "nickname"),
        ('column "nickname" does not exist', None, "nickname"),
        ('column "nickname" of relation "User" does not exist', "User", "nickname"),
        ("la colonne User.nickname n'existe pas", "User", "nickname"),
        ("la colonne « nickname » n'existe pas", None, "nickname"),
    ],
)
def test_postgres_missing_column_messages_inside_a_driver_error(message: str, table: str | None, column: str) -> None:
    (event,) = recognize([f"DriverAdapterError: {message}"])
    assert isinstance(event, ev.MissingColumn)
    assert (event.table, event.column) == (table, column)


def test_postgres_trigger_messages_inside_a_driver_error() -> None:
    for message in (
        'record "new" has no field "emailverified"',
        "l'enregistrement « new » n'a pas de champs « emailverified »",
    ):
        (event,) = recognize([f"DriverAdapterError: {message}"])
        assert isinstance(event, ev.DatabaseObjectError)
        assert (event.record, event.field) == ("new", "emailverified")


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("It depends on one or more records that were required but not found.", "RecordNotFound"),
        ("Record to update not found.", "RecordNotFound"),
        ("Record to delete not found.", "RecordNotFound"),
        ("No record was found for an update.", "RecordNotFound"),
        ("Can't reach database server at `db:5432`", "DatabaseUnreachable"),
        ('relation "User" does not exist', "MissingTable"),
        ("la relation « User » n'existe pas", "MissingTable"),
    ],
)
def test_messages_inside_a_client_error(message: str, kind: str) -> None:
    """Each wording the recognizer knows, as the line after an invocation header (where a code frame may be long)."""
    (event,) = recognize(["Invalid `prisma.user.update()` invocation:", "x" * 4000, message])
    assert type(event).__name__ == kind


@pytest.mark.parametrize("name", [n for n in sorted(EXPECTED_KINDS) if load(n).output.rstrip().endswith(b"}")])
def test_a_client_error_ends_with_its_properties(name: str) -> None:
    """Node prints the error's `{ code, meta, clientVersion }` last: the event comes with its closing brace, not when
    more output or a quiet stream shows that the block is over."""
    recognizer = Recognizer()
    events = [event for line in read_lines([load(name).output]) for event in recognizer.feed_line(line)]
    assert kinds(events) == EXPECTED_KINDS[name]
    assert recognizer.flush() == []


UNKNOWN_FIELD_THEN_REQUEST = """
Invalid `prisma.user.findMany()` invocation in
/app/server.js:13:45

  12 try {
→ 13   body = JSON.stringify(await prisma.user.findMany({
         select: {
           nickname: true
           ~~~~~~~~
         }
       })

Unknown field `nickname` for select statement on model `User`. Available options are marked with ?.
{request}
"""


@pytest.mark.parametrize(
    ("request_line", "route"),
    [
        ("GET /users?page=2 500 in 3ms", "/users?page=2"),  # as Next and most servers print it
        (" POST /posts/7 500 in 1.2s", "/posts/7"),
        ("GET /users 200 in 3ms", None),  # an answer that did not fail is not this error's request
        ("ready", None),
    ],
)
def test_the_failed_request_that_ends_an_error_is_its_route(request_line: str, route: str | None) -> None:
    events = read_events([UNKNOWN_FIELD_THEN_REQUEST.replace("{request}", request_line)])
    (error,) = [e for e in events if isinstance(e, ev.ClientError)]
    assert error.route == route


def test_a_runtime_finding_carries_the_route_that_failed() -> None:
    from prisma_doctor.diagnosis import diagnose

    events = read_events([UNKNOWN_FIELD_THEN_REQUEST.replace("{request}", "GET /users 500 in 3ms")])
    (finding,) = diagnose(events)
    assert finding.data["route"] == "/users"


# An app's own log lines that quote a tool's or Prisma's words, printed by a real node (`console.log`, and a JSON
# record as pino writes one: `{"level":30,"time":...,"msg":...}`), then the tools' own lines around them.
QUOTING_APP = r"""
const pino = (msg) => console.log(JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg }));
console.log("user typed: [nodemon] restarting due to changes...");
console.log("[nodemon] restarting due to changes in the schedule, says the user");
console.log("✓ Ready in the kitchen");
pino("[nodemon] restarting due to changes...");
pino("Restarting 'server.js'");
pino("chat:\n✓ Ready in 12ms");
console.log("docs say: Can't reach database server at `db:5432`");
console.log('FAQ: "Environment variable not found: DATABASE_URL" means your .env is missing');
console.log("tip: Drift detected: Your database schema is not in sync is what migrate says");
console.log("searching for: The column `User.nickname` does not exist in the current database");
pino("docs say: Can't reach database server at `db:5432`");
"""
TOOLS_OWN = [
    "[nodemon] restarting due to changes...",
    "[0] 12:00:01 [nodemon] restarting due to changes...",
    "2:22:53 AM [tsx] change in ./src/index.ts Restarting...",
    "Restarting 'server.js'",
    "✓ Ready in 470ms",
    "VITE v7.2.6  ready in 2683 ms",
    "Error: P1001: Can't reach database server at `db:5432`",
    "[12:00:01] ERROR: Can't reach database server at `db:5432`",
    "[Nest] 4242  - 12/07/2026, 2:31:05 PM   ERROR [ExceptionsHandler] Can't reach database server at `db:5432`",
    "[Nest] 4242  - 07.12.2026, 14:31:05   ERROR [ExceptionsHandler] Can't reach database server at `db:5432`",
    '{"level":50,"msg":"Can\'t reach database server at `db:5432`"}',
]


@pytest.mark.node
def test_an_apps_text_that_quotes_a_tool_or_prisma_is_no_event() -> None:
    import subprocess

    printed = subprocess.run(["node", "-e", QUOTING_APP], capture_output=True, check=True).stdout
    assert printed.count(b"\n") == 11, printed
    assert read_events([printed]) == [], printed.decode()
    found = recognize(TOOLS_OWN)
    assert kinds(found) == ["DevServerReady"] * 6 + ["DatabaseUnreachable"] * 5, found
    # ...and the tools' own lines still count after the app's.
    assert kinds(read_events([printed + "\n".join(TOOLS_OWN).encode() + b"\n"])) == kinds(found)


# Attack trial s13, item L4: an app's line quoting Prisma right after a real error, exactly as the attacker wrote it
# (`q4.log`), and after an error class whose message has not come yet (`r1.out`, `q6.log`).
QUOTED = (
    'app says: "Invalid `prisma.user.update()` invocation: The table `main.Ghost` does not exist in the current '
    'database."'
)
REAL_ERROR = [
    "Invalid `prisma.user.findMany()` invocation:",
    "",
    "The column `main.User.secret` does not exist in the current database.",
]


@pytest.mark.parametrize(
    "lines",
    [
        [*REAL_ERROR, QUOTED],
        [*REAL_ERROR, "PrismaClientKnownRequestError: P2022", QUOTED],
        ["PrismaClientKnownRequestError: P2022", QUOTED],
        ["[worker] echo: Invalid `prisma.user.update()` invocation:", QUOTED],
    ],
)
def test_prisma_text_quoted_after_an_error_is_no_error_of_its_own(lines: list[str]) -> None:
    found = [e for e in read_events(["\n".join(lines) + "\n"]) if isinstance(e, ev.ClientError)]
    assert [getattr(e, "table", None) for e in found] == (["User"] if lines[0] == REAL_ERROR[0] else []), found


def test_a_message_past_its_lines_start_still_counts_in_the_error_it_belongs_to() -> None:
    """Prisma's own P2025 sentence holds its pattern mid-line: unquoted, it is the block's message."""
    (event,) = read_events([load("sqlite-p2025-not-found").output])
    assert isinstance(event, ev.RecordNotFound)
