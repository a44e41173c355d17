"""The database decides: the captured logs diagnosed against a live database in the state that printed them, the
same text against other states, and the fallback (with its reason) when the database cannot be asked."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from prisma_doctor.database import DatabaseProbe, DatabaseTarget
from prisma_doctor.diagnosis import ProjectFacts, diagnose
from prisma_doctor.findings import Finding
from prisma_doctor.logs.recognize import read_events, recognize
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.parser import parse_schema
from tests.captures.loading import FIXTURES, load, project_from_capture
from tests.captures.postgres import free_port
from tests.database_fixtures import INCIDENT_DATABASE, INCIDENT_SCRIPTS, PostgresServer, with_password
from tests.helpers import check_json, doctor
from tests.helpers import finding as first_finding

PASSWORD = "hunter2-s3cret"


def summary(findings: list[dict] | list[Finding]) -> list[tuple[str, int | None]]:
    return [
        (f["code"], f["data"].get("rank")) if isinstance(f, dict) else (f.code, f.data.get("rank")) for f in findings
    ]


def incident_database(postgres: PostgresServer, capture: str, extra: str = "") -> str:
    """A database in the state the capture ran against, in the capture's language (its sidecar names it)."""
    french = load(capture).sidecar["database_url"].endswith("app_fr")
    return postgres.database(INCIDENT_DATABASE + extra, "fr_FR.UTF-8" if french else "C")


# The captures, through `prisma-doctor explain` as a person runs it, with the URL (and its password) in .env.
LIVE = {
    "pg-en-trigger-missing-field": [("db-object-error", None)],
    "pg-fr-trigger-missing-field": [("db-object-error", 1), ("db-missing-column", 2)],
    "pg-en-p2022-missing-column": [("db-missing-column", None)],
    "pg-fr-p2022-missing-column": [("db-missing-column", None)],
    "pg-en-p2021-missing-table": [("db-missing-table", None)],
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(LIVE))
def test_capture_against_the_live_database_that_printed_it(postgres: PostgresServer, tmp_path: Path, name: str) -> None:
    root = project_from_capture(name, tmp_path / "app")
    for script, text in INCIDENT_SCRIPTS.items():
        (root / script).write_text(text)
    url = with_password(incident_database(postgres, name), PASSWORD)
    (root / ".env").write_text(f'DATABASE_URL="{url}"\n')
    # The log as this project would print it: the capture's paths moved here (the call site's line gives the call).
    log = load(name).output_in(root)
    done = doctor("explain", "-", "--project", str(root), "--json", cwd=root, text=False, input=log)
    assert PASSWORD not in (done.stdout + done.stderr).decode(), "the password never reaches the output"
    findings = json.loads(done.stdout)["findings"]
    assert summary(findings) == LIVE[name], [f["message"] for f in findings]
    for finding in findings:
        assert finding["data"]["database"]["asked"] is True
        assert finding["data"]["database"]["url"].startswith("postgresql://postgres:****@")
        assert "The database was asked (PostgreSQL " in finding["message"]
    by_code = {f["code"]: f for f in findings}
    if "db-object-error" in by_code:
        trigger = by_code["db-object-error"]
        assert (trigger["data"]["trigger"], trigger["data"]["function"]) == ("user_touch", "user_touch")
        assert trigger["data"]["missing_column"] == "User.emailverified"
        assert 'quote it as "emailVerified"' in trigger["message"]
    if "db-missing-column" in by_code:
        assert by_code["db-missing-column"]["data"]["columns"] == ["nickname"]
        assert by_code["db-missing-column"]["location"]["file"].endswith(".js")


def facts_with_database(name: str, target: DatabaseTarget) -> ProjectFacts:
    return replace(load(name).facts(), database=DatabaseProbe(target))


def pg(url: str) -> DatabaseTarget:
    return DatabaseTarget("postgresql", url, "test")


def findings_of(name: str, facts: ProjectFacts) -> list[Finding]:
    return diagnose(read_events([load(name).output]), facts)


@pytest.mark.postgres
def test_the_same_french_text_follows_the_databases_state(postgres: PostgresServer) -> None:
    name = "pg-fr-trigger-missing-field"
    fixed_trigger = incident_database(
        postgres,
        name,
        "CREATE OR REPLACE FUNCTION user_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        'NEW."emailVerified" := now(); RETURN NEW; END $$;',
    )
    (missing,) = findings_of(name, facts_with_database(name, pg(fixed_trigger)))
    assert missing.code == "db-missing-column" and missing.data["columns"] == ["nickname"]
    assert "no migration" in missing.message or "migrate" in missing.message
    migrated = incident_database(postgres, name, 'ALTER TABLE "User" ADD COLUMN nickname text;')
    (trigger,) = findings_of(name, facts_with_database(name, pg(migrated)))
    assert trigger.code == "db-object-error" and trigger.data["trigger"] == "user_touch"
    assert "function `user_touch()`" in trigger.message and "`NEW.emailverified`" in trigger.message


@pytest.mark.postgres
def test_unreachable_database_keeps_the_ranking_and_says_why() -> None:
    name = "pg-fr-trigger-missing-field"
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/app_fr"
    findings = findings_of(name, facts_with_database(name, pg(url)))
    assert summary(findings) == [("db-missing-column", 1), ("db-object-error", 2)]
    for finding in findings:
        assert "The database could not be asked (" in finding.message and "refused" in finding.message.lower()
        assert PASSWORD not in finding.message and PASSWORD not in json.dumps(finding.data)
        assert finding.data["database"]["asked"] is False


def test_no_database_url_keeps_the_ranking_and_says_why(tmp_path: Path) -> None:
    root = project_from_capture("pg-en-p2022-missing-column", tmp_path / "app")
    done = doctor(
        "explain",
        str(FIXTURES / "pg-en-p2022-missing-column.log"),
        "--project",
        str(root),
        "--json",
        cwd=root,
        text=False,
    )
    findings = json.loads(done.stdout)["findings"]
    assert summary(findings) == [("db-missing-column", 1), ("db-object-error", 2)]
    assert all("DATABASE_URL is not set" in f["data"]["database"]["reason"] for f in findings)


# Text the captures do not cover, on live databases: a trigger writing to another table, a model mapped to a view.
SCHEMA = """
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    Int     @id
  email String
  name  String?
}

model UserSummary {
  id    Int     @id
  email String
  name  String?

  @@map("user_summary")
}
"""
AUDIT = """
CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE "Audit" (id serial PRIMARY KEY, at timestamp);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "Audit" (at, who) VALUES (now(), NEW.email);
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION audit();
CREATE VIEW user_summary AS SELECT id, email FROM "User";
"""


def p2022(column: str, accessor: str, action: str, model: str) -> list:
    return recognize(
        [
            f"Invalid `prisma.{accessor}.{action}()` invocation in",
            "/p/app/actions.ts:9:3",
            f"The column `{column}` does not exist in the current database.",
            "  code: 'P2022',",
            f"  meta: {{ modelName: '{model}' }},",
            "}",
        ]
    )


def schema_facts(target: DatabaseTarget, schema: str = SCHEMA) -> ProjectFacts:
    datamodel = build_datamodel([parse_schema(schema, "/p/prisma/schema.prisma")])
    return ProjectFacts(root="/p", schema=datamodel, database=DatabaseProbe(target))


@pytest.mark.postgres
def test_a_trigger_writing_a_column_another_table_lacks_is_named(postgres: PostgresServer) -> None:
    facts = schema_facts(pg(postgres.database(AUDIT)))
    # PostgreSQL: `column "who" of relation "Audit" does not exist`, which the adapter reads as `who`.
    (finding,) = diagnose(p2022("who", "user", "update", "User"), facts)
    assert finding.code == "db-object-error"
    assert (finding.data["trigger"], finding.data["function"], finding.data["missing_column"]) == (
        "audit",
        "audit",
        "Audit.who",
    )
    assert "`Audit` has no column `who`" in finding.message
    assert not {"regenerate", "full-reset"} & set(finding.fixes)


@pytest.mark.postgres
def test_a_model_mapped_to_a_view_that_lacks_a_column_is_the_view(postgres: PostgresServer) -> None:
    facts = schema_facts(pg(postgres.database(AUDIT)))
    (finding,) = diagnose(p2022("(not available)", "userSummary", "findMany", "UserSummary"), facts)
    assert finding.code == "db-object-error" and finding.data["view"] == "public.user_summary"
    assert "is a view, and it has no column `name`" in finding.message


# SQLite, read-only, through the CLI's own project reading.
SQLITE_SCHEMA = SCHEMA.replace('"postgresql"', '"sqlite"')


def sqlite_project(root: Path, statements: str) -> Path:
    (root / "prisma").mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text(SQLITE_SCHEMA)
    (root / "package.json").write_text('{"name": "app"}')
    (root / ".env").write_text('DATABASE_URL="file:./dev.db"\n')
    with sqlite3.connect(root / "prisma" / "dev.db") as connection:
        connection.executescript(statements)
    connection.close()
    return root


def explain_text(root: Path, lines: list[str]) -> list[dict]:
    done = doctor(
        "explain", "-", "--project", str(root), "--json", cwd=root, text=False, input="\n".join(lines).encode()
    )
    return json.loads(done.stdout)["findings"]


def p2022_lines(column: str, action: str) -> list[str]:
    return [
        f"Invalid `prisma.user.{action}()` invocation in",
        "/p/app/actions.ts:9:3",
        f"The column `{column}` does not exist in the current database.",
        "  code: 'P2022',",
        "  meta: { modelName: 'User' },",
        "}",
    ]


def test_sqlite_trigger_on_another_table_and_a_really_missing_column(tmp_path: Path) -> None:
    root = sqlite_project(
        tmp_path / "app",
        """
        CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
        CREATE TABLE "Audit" (id INTEGER PRIMARY KEY, at TEXT);
        CREATE TRIGGER audit AFTER UPDATE ON "User" BEGIN
          INSERT INTO "Audit" (at, who) VALUES (datetime('now'), NEW.email);
        END;
        CREATE VIEW user_summary AS SELECT id, email FROM "User";
        """,
    )
    (trigger,) = explain_text(root, p2022_lines("(not available)", "update"))
    assert (trigger["code"], trigger["data"]["trigger"], trigger["data"]["missing_column"]) == (
        "db-object-error",
        "audit",
        "Audit.who",
    )
    with sqlite3.connect(root / "prisma" / "dev.db") as connection:
        connection.execute("DROP TRIGGER audit")
        connection.execute('ALTER TABLE "User" DROP COLUMN name')
    connection.close()
    (missing,) = explain_text(root, p2022_lines("(not available)", "findMany"))
    assert (missing["code"], missing["data"]["columns"]) == ("db-missing-column", ["name"])
    assert missing["data"]["database"]["server"].startswith("SQLite")


def test_a_column_lost_after_its_migration_ran_offers_the_push_in_explain_and_check_alike(tmp_path: Path) -> None:
    """Drift, decided by the database's own `_prisma_migrations`: the migration that creates `name` ran, and the
    table lacks it. Both front ends offer `db push` first and say that `migrate dev` would ask to reset."""
    root = sqlite_project(
        tmp_path / "app",
        """
        CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
        CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, checksum TEXT NOT NULL, finished_at DATETIME,
          migration_name TEXT NOT NULL, logs TEXT, rolled_back_at DATETIME,
          started_at DATETIME NOT NULL DEFAULT current_timestamp, applied_steps_count INTEGER NOT NULL DEFAULT 0);
        INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count)
          VALUES ('1', 'c', current_timestamp, '0001_init', 1);
        """,
    )
    migration = root / "prisma" / "migrations" / "0001_init"
    migration.mkdir(parents=True)
    columns = ['"id" INTEGER NOT NULL PRIMARY KEY', '"email" TEXT NOT NULL', '"name" TEXT']
    (migration / "migration.sql").write_text('CREATE TABLE "User" (\n    ' + ",\n    ".join(columns) + "\n);\n")
    (runtime,) = explain_text(root, p2022_lines("(not available)", "findMany"))
    # `check` compares a project with a client generator (none generated yet: the schema stands for it).
    schema = root / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text() + '\ngenerator client {\n  provider = "prisma-client-js"\n}\n')
    _, report = check_json(root)
    static = first_finding(report, "db-missing-column")
    for said in (runtime, static):
        assert [fix["id"] for fix in said["fixes"]] == ["db-push", "migrate-dev"], said
        assert said["data"]["drift"] is True
        assert "`0001_init` creates it and the database's `_prisma_migrations` records it as applied" in said["message"]
        assert "`prisma migrate dev` would detect the drift and ask to reset the database" in said["message"]
    # A migration not yet recorded is pending, not drift: apply it.
    with sqlite3.connect(root / "prisma" / "dev.db") as connection:
        connection.execute("DELETE FROM _prisma_migrations")
    connection.close()
    (runtime,) = explain_text(root, p2022_lines("(not available)", "findMany"))
    assert "drift" not in runtime["data"] and runtime["fixes"][0]["id"] == "migrate-deploy", runtime


def test_a_repair_says_before_it_starts_that_it_cannot_fix_the_latest_failure_a_trigger(tmp_path: Path) -> None:
    # The incident's own mistake: the dev server's latest failure is a trigger's, and a restart was run for it.
    root = sqlite_project(
        tmp_path / "app",
        """
        CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
        CREATE TABLE "Audit" (id INTEGER PRIMARY KEY, at TEXT);
        CREATE TRIGGER audit AFTER UPDATE ON "User" BEGIN
          INSERT INTO "Audit" (at, who) VALUES (datetime('now'), NEW.email);
        END;
        """,
    )
    (root / ".prisma-doctor").mkdir()
    output = root / ".prisma-doctor" / "dev-output.log"
    output.write_text("\n".join(p2022_lines("(not available)", "update")) + "\n")

    plan = doctor("restart-dev", "--dry-run", "--project", str(root), cwd=root)

    assert plan.returncode == 0, plan.stdout + plan.stderr
    note = next((line for line in plan.stdout.splitlines() if "latest failure" in line), "")
    assert "db-object-error" in note and "audit" in note and "cannot fix that one" in note, plan.stdout
    # A failure the restart can fix (the column really missing, the trigger gone) gets no such note.
    with sqlite3.connect(root / "prisma" / "dev.db") as connection:
        connection.execute("DROP TRIGGER audit")
    connection.close()
    output.write_text("\n".join(p2022_lines("email2", "update")) + "\n")
    plan = doctor("restart-dev", "--dry-run", "--project", str(root), cwd=root)
    assert "latest failure" not in plan.stdout, plan.stdout


def test_a_sqlite_project_is_told_how_to_look_in_sqlite_not_psql(tmp_path: Path) -> None:
    root = sqlite_project(tmp_path / "app", 'CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL);')
    (root / "prisma" / "dev.db").unlink()  # the database cannot be asked: what would decide is said, in its tool
    lines = [
        "Invalid `prisma.user.findMany()` invocation in",
        "/p/app/actions.ts:9:3",
        "Error [DriverAdapterError]: SQLITE_ERROR: no such table: main.user_stats",
    ]
    (finding,) = explain_text(root, lines)
    assert finding["code"] == "db-object-error"
    assert "sqlite3" in finding["message"] and "sqlite_master" in finding["message"]
    assert "psql" not in finding["message"]


def test_a_name_nothing_maps_to_and_the_database_does_not_mention_is_undecided(tmp_path: Path) -> None:
    # An attacker's trial: the schema and client have no `nickname`, the database no trigger or view; a trigger was
    # named as the cause "against the evidence". Two causes remain (an older client, or an object changed since):
    # both are said, with what decides, and neither as the cause.
    root = sqlite_project(tmp_path / "app", 'CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT, name TEXT);')

    (finding,) = explain_text(root, p2022_lines("User.nickname", "findMany"))

    assert (finding["code"], finding["severity"]) == ("db-object-error", "warning"), finding
    assert finding["data"]["decided"] is False and finding["data"]["database"]["asked"] is True
    assert "either the process that sent the query runs an older client" in finding["message"]
    assert "are not the cause" not in finding["message"]
    assert [fix["id"] for fix in finding["fixes"]] == ["restart-dev-server", "inspect-database-objects"]


def test_prisma_doctor_run_prints_the_trigger_as_the_error_appears(tmp_path: Path) -> None:
    root = sqlite_project(
        tmp_path / "app",
        """
        CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
        CREATE TRIGGER touch BEFORE UPDATE ON "User" BEGIN UPDATE "User" SET verified = 1 WHERE id = NEW.id; END;
        """,
    )
    (root / "error.log").write_text("\n".join(p2022_lines("(not available)", "update")) + "\n")
    done = doctor("run", "--project", str(root), "--", "cat", "error.log", cwd=root, text=False)
    said = done.stderr.decode()
    assert "prisma-doctor: " in said and "trigger `touch` on `User`" in said, said
    assert "`User` has no column `verified`" in said


@pytest.mark.postgres
def test_a_missing_table_that_only_a_trigger_writes_is_the_trigger(postgres: PostgresServer) -> None:
    url = postgres.database(
        AUDIT + "CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO audit_log (at) VALUES (now()); RETURN NEW; END $$; "
        'CREATE TRIGGER log_it AFTER INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION log_it();'
    )
    lines = [
        "Invalid `prisma.user.create()` invocation in",
        "/p/app/actions.ts:9:3",
        "The table `audit_log` does not exist in the current database.",
        "  code: 'P2021',",
        "  meta: { modelName: 'User' },",
        "}",
    ]
    (finding,) = diagnose(recognize(lines), schema_facts(pg(url)))
    assert (finding.code, finding.data["trigger"], finding.data["missing_table"]) == (
        "db-object-error",
        "log_it",
        "audit_log",
    )
    assert "there is no table `audit_log`" in finding.message


@pytest.mark.postgres
def test_the_incidents_own_text_names_the_trigger(postgres: PostgresServer) -> None:
    # The native engine of the incident read `«` from `l'enregistrement « new » n'a pas de champs « emailverified »`.
    url = postgres.database(INCIDENT_DATABASE, "fr_FR.UTF-8")
    facts = replace(load("pg-fr-trigger-missing-field").facts(), database=DatabaseProbe(pg(url)))
    # That database also lacks `nickname`: `«` names neither, so both are said, the trigger first for a write.
    trigger, missing = diagnose(p2022("«", "user", "update", "User"), facts)
    assert (trigger.code, trigger.data["trigger"], trigger.data["missing_column"]) == (
        "db-object-error",
        "user_touch",
        "User.emailverified",
    )
    assert (missing.code, missing.data["columns"], missing.data["rank"]) == ("db-missing-column", ["nickname"], 2)


@pytest.mark.postgres
@pytest.mark.parametrize("column", ["«", "(not available)"])
def test_a_french_missing_column_is_the_column_not_the_trigger(postgres: PostgresServer, column: str) -> None:
    # `la colonne « nickname » n'existe pas`: the native engine reads `«`, the pg adapter `(not available)`; the
    # same word comes from a trigger's record. The database decides: the trigger is sound, the column is missing.
    sound = (
        "CREATE OR REPLACE FUNCTION user_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        'NEW."emailVerified" := now(); RETURN NEW; END $$;'
    )
    url = postgres.database(INCIDENT_DATABASE + sound, "fr_FR.UTF-8")
    facts = replace(load("pg-fr-p2022-missing-column").facts(), database=DatabaseProbe(pg(url)))
    for action in ("findMany", "update"):
        (finding,) = diagnose(p2022(column, "user", action, "User"), facts)
        assert (finding.code, finding.data["columns"]) == ("db-missing-column", ["nickname"]), finding.message
        assert "trigger" not in finding.message


@pytest.mark.postgres
def test_an_english_trigger_error_the_adapter_cannot_name_is_looked_up(postgres: PostgresServer) -> None:
    # PostgreSQL says `column Stats.userid does not exist` (no quotes) for a trigger's qualified reference, which
    # the pg adapter reports as `(not available)` in English too: the database is asked all the same.
    url = postgres.database(
        AUDIT + 'CREATE TABLE "Stats" (id int, n int); CREATE FUNCTION count_it() RETURNS trigger LANGUAGE plpgsql '
        'AS $$ BEGIN UPDATE "Stats" SET userid = NEW.id; RETURN NEW; END $$; '
        'CREATE TRIGGER count_it AFTER INSERT ON "User" FOR EACH ROW EXECUTE FUNCTION count_it();'
    )
    (finding,) = diagnose(p2022("(not available)", "user", "create", "User"), schema_facts(pg(url)))
    assert (finding.code, finding.data["trigger"], finding.data["missing_column"]) == (
        "db-object-error",
        "count_it",
        "Stats.userid",
    )


@pytest.mark.parametrize(
    "lines",
    [
        # Prisma 7 and the SQLite adapters qualify the column with SQLite's schema name `main`.
        p2022_lines("main.User.name", "findMany"),
        [
            "Invalid `prisma.user.findMany()` invocation in",
            "/p/app/actions.ts:9:3",
            "Error [DriverAdapterError]: SQLITE_ERROR: no such column: main.User.name",
        ],
        # Prisma 7.10 with libSQL quotes the driver's message in backticks: the closing one is not the name's.
        [
            "Invalid `prisma.user.findMany()` invocation in",
            "/p/app/actions.ts:9:3",
            "Database error. Code: `1`. Message: `SQLITE_ERROR: no such column: main.User.name`",
        ],
    ],
)
def test_sqlites_main_schema_is_not_a_table(tmp_path: Path, lines: list[str]) -> None:
    root = sqlite_project(tmp_path / "app", 'CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL);')

    findings = explain_text(root, lines)

    assert [f["code"] for f in findings] == ["db-missing-column"], findings
    assert findings[0]["data"]["columns"] == ["name"]
    assert "no table" not in findings[0]["message"]


def test_a_missing_column_the_database_read_has_is_not_claimed_missing_again(tmp_path: Path) -> None:
    # An attacker's trial: the app opened another file than the one read; the finding said "the database lacks its
    # column" and "the database was asked and shows nothing that explains it" at once.
    root = sqlite_project(tmp_path / "app", 'CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT, name TEXT);')

    (finding,) = explain_text(root, p2022_lines("User.name", "findMany"))

    assert (finding["code"], finding["severity"], finding["data"]["decided"]) == ("db-missing-column", "warning", False)
    message = finding["message"]
    assert "shows nothing that explains it" not in message and "but the database lacks" not in message
    assert "the database read (SQLite " in message and "has it now" in message
    # Which file was read, and why that one: Prisma's own engine opens `file:./dev.db` from the schema's folder.
    assert "prisma/dev.db, the file the app opens (Prisma's query engine opens it from the schema's folder)" in message


def test_an_older_failure_the_database_cannot_decide_now_is_no_error(tmp_path: Path) -> None:
    """A column missing, then the database stopped (user trial 4, item 27): the log's last failure, the database
    that does not answer, is the error; the older one is earlier in the log and could not be checked now, not a
    column to migrate. Two real captures, one after the other, as one dev server printed them."""
    from prisma_doctor.diagnosis import diagnose_report

    name = "pg-en-p2022-missing-column"
    log = load(name).output + b"\n" + load("pg-p1001-unreachable").output
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{free_port()}/app_en"
    report = diagnose_report(read_events([log]), facts_with_database(name, pg(url)), str(tmp_path))

    errors = [f for f in report.findings if f.severity.value == "error"]
    assert [f.code for f in errors] == ["db-unreachable"], report.findings
    (older,) = [f for f in report.findings if f.code == "db-missing-column"]
    assert older.severity.value == "info" and older.fixes == (), older
    assert older.message.startswith("Earlier in the log, and it could not be checked now"), older.message
    assert older.data["database"]["asked"] is False

    # Alone, the same failure is the log's latest: named from the migrations and the schema, with why.
    alone = diagnose_report(read_events([load(name).output]), facts_with_database(name, pg(url)), "/p").findings
    (alone,) = [f for f in alone if f.code == "db-missing-column"]
    assert alone.severity.value == "error" and "The database could not be asked (" in alone.message


def test_an_unnamed_column_the_database_now_has_is_undecided_not_a_trigger(tmp_path: Path) -> None:
    """The pg adapter's `(not available)` after the missing column was added (user trial 7, item 4): the database
    has every column and no trigger, so no trigger is named at error level; what decides is said instead."""
    root = sqlite_project(
        tmp_path / "app", 'CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);'
    )
    for action in ("findMany", "update"):
        (finding,) = explain_text(root, p2022_lines("(not available)", action))
        assert (finding["severity"], finding["data"]["decided"], finding["fixes"]) == ("warning", False, []), finding
        message = finding["message"]
        assert "names no column" in message and "has every column the client expects" in message, message
        assert "Either the column was added since the error" in message and "request the page again" in message
