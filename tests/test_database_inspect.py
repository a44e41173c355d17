"""Asking the database: the URL found as Prisma finds it, secrets masked, a real PostgreSQL (psql and pg8000) and a
real SQLite file read without writing, and the failures (unreachable, silent server, no URL) said plainly."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import sqlite3
import subprocess
from pathlib import Path

import pytest

from prisma_doctor.database import (
    Catalog,
    DatabaseProbe,
    DatabaseTarget,
    InspectionFailed,
    NoDatabase,
    locate_database,
    mask_secrets,
    mask_url,
    trigger_problems,
)
from prisma_doctor.database.catalog import READ_FAILED, UNREACHABLE
from prisma_doctor.database.postgres import SESSION_OPTIONS, connection_params, inspect_postgres
from prisma_doctor.database.sqlite import inspect_sqlite
from prisma_doctor.schema.locate import load_schema, locate_schema
from tests.captures.postgres import free_port
from tests.database_fixtures import INCIDENT_DATABASE, PostgresServer, psql_refuses_clear_text, with_password

DATASOURCE = 'datasource db {{\n  provider = "{provider}"\n  {url}\n}}\n\nmodel User {{\n  id Int @id\n}}\n'
AUDIT = """
CREATE TABLE "Audit" (id serial PRIMARY KEY, at timestamp);
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- INSERT INTO "Nowhere" (x) in a comment is not code
  RAISE NOTICE 'UPDATE ghost SET y = 1';
  INSERT INTO "Audit" (at, who) VALUES (now(), NEW.email);
  RETURN NEW;
END $$;
CREATE TRIGGER audit AFTER INSERT OR UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION audit();
CREATE VIEW "UserSummary" AS SELECT id, email FROM "User";
"""


def project(tmp_path: Path, url_line: str, provider: str = "postgresql", files: dict[str, str] | None = None):
    root = tmp_path / "app"
    (root / "prisma").mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text(DATASOURCE.format(provider=provider, url=url_line))
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    return root, load_schema(locate_schema(root))


# Finding the URL.
@pytest.mark.parametrize(
    ("package", "origin", "cli"),
    [
        # Next loads .env.local for the app; Prisma's CLI only .env: both are said.
        ({"dependencies": {"next": "16"}, "scripts": {"dev": "next dev"}}, ".env.local", ".env"),
        ({"scripts": {"dev": "vite"}}, ".env.local", ".env"),
        # A plain Node app and Prisma read .env alone: .env.local is nobody's.
        ({"scripts": {"dev": "tsx watch server.ts"}}, ".env", None),
        (None, ".env", None),
        # `node --env-file` names the app's own.
        ({"scripts": {"dev": "node --env-file=.env.local --watch server.js"}}, ".env.local", ".env"),
        # So do dotenv-cli and env-cmd around the server; one around a migration before it does not.
        ({"scripts": {"dev": "dotenv -e .env.local -- tsx watch server.ts"}}, ".env.local", ".env"),
        ({"scripts": {"dev": "env-cmd -f .env.local tsx watch server.ts"}}, ".env.local", ".env"),
        ({"scripts": {"dev": "dotenv -e .env.local -- prisma migrate deploy && tsx watch server.ts"}}, ".env", None),
    ],
)
def test_url_comes_from_the_env_files_the_app_reads_and_the_environment_wins(
    tmp_path: Path, package: dict[str, object] | None, origin: str, cli: str | None
) -> None:
    files = {".env": 'DATABASE_URL="postgresql://u:p@h/db"\n', ".env.local": "DATABASE_URL=postgresql://u:local@h/x\n"}
    if package is not None:
        files["package.json"] = json.dumps(package)
    root, schema = project(tmp_path, 'url = env("DATABASE_URL")', files=files)
    target = locate_database(root, schema, environ={})
    assert target.origin == f"DATABASE_URL from {origin}"
    assert target.url == {".env": "postgresql://u:p@h/db", ".env.local": "postgresql://u:local@h/x"}[origin]
    if cli is None:
        assert target.differs is None
    else:
        assert target.differs is not None and f"Prisma's CLI reads DATABASE_URL from {cli}" in target.differs
        assert "local@" not in target.differs.replace("u:****@", "")  # masked, as every URL shown
    target = locate_database(root, schema, environ={"DATABASE_URL": "postgres://e@h/db"})
    assert target.origin == "DATABASE_URL from the environment" and target.differs is None


def test_url_expands_variables_and_prefers_direct_url(tmp_path: Path) -> None:
    files = {".env": "PASS=s3cr3t\nPOOLED=postgresql://u:${PASS}@pooler/db\nDIRECT=postgresql://u:${PASS}@db/db\n"}
    root, schema = project(tmp_path, 'url = env("POOLED")\n  directUrl = env("DIRECT")', files=files)
    target = locate_database(root, schema, environ={})
    assert target.url == "postgresql://u:s3cr3t@db/db"
    assert "s3cr3t" not in target.shown and "s3cr3t" not in repr(target)


@pytest.mark.parametrize(
    "config",
    [
        'export default defineConfig({\n  datasource: { url: env("PG_URL") },\n});\n',
        "export default defineConfig({ adapter: () => new PrismaPg({ connectionString: process.env.PG_URL }) });\n",
    ],
)
def test_url_comes_from_prisma_config_when_the_datasource_has_none(tmp_path: Path, config: str) -> None:
    root, schema = project(tmp_path, "", files={"prisma.config.ts": config, ".env": "PG_URL=postgresql://h/db\n"})
    assert locate_database(root, schema, environ={}).origin == "PG_URL from .env"


@pytest.mark.parametrize(
    ("url_line", "env", "reason"),
    [
        ('url = env("DATABASE_URL")', {}, "DATABASE_URL is not set"),
        ('url = env("DATABASE_URL")', {"DATABASE_URL": "prisma+postgres://accelerate/?api_key=k"}, "Accelerate"),
        ('url = "mysql://root:pw@h/db"', {}, "is not a postgresql:// or postgres:// URL"),
    ],
)
def test_no_database_says_why(tmp_path: Path, url_line: str, env: dict[str, str], reason: str) -> None:
    root, schema = project(tmp_path, url_line)
    with pytest.raises(NoDatabase, match=reason) as raised:
        locate_database(root, schema, environ=env)
    assert "pw" not in str(raised.value)
    root, schema = project(tmp_path / "my", 'url = env("X")', provider="sqlserver")
    with pytest.raises(NoDatabase, match="not inspected"):
        locate_database(root, schema, environ={})


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://ada:hunter2@db:5432/app?schema=public", "hunter2"),
        ("postgresql://ada:p%40ss%3Aword@db/app", "p@ss:word"),
        ("postgresql://db/app?user=ada&password=hunter2", "hunter2"),
    ],
)
def test_passwords_are_masked_in_urls_and_in_any_text(url: str, secret: str) -> None:
    assert secret not in mask_url(url) and "****" in mask_url(url)
    said = mask_secrets(f"failed for {url}: password {secret} rejected, raw {url.split('@')[0]}", url)
    assert secret not in said and "p%40ss" not in said
    assert connection_params(url).password in (secret, None)


# PostgreSQL, through both clients.
@pytest.mark.postgres
@pytest.mark.parametrize("use_psql", [True, False], ids=["psql", "pg8000"])
def test_postgres_catalog_names_the_incident_trigger_and_what_its_code_lacks(
    postgres: PostgresServer, use_psql: bool
) -> None:
    url = postgres.database(INCIDENT_DATABASE + AUDIT, lc_messages="fr_FR.UTF-8")
    catalog = inspect_postgres(DatabaseTarget("postgresql", with_password(url, "hunter2", use_psql), "test"), use_psql)
    assert isinstance(catalog, Catalog), catalog
    assert catalog.messages_language == "fr_FR.UTF-8" and not catalog.english_messages
    user = catalog.relation("User")
    assert user is not None and user.kind == "table"
    assert user.columns == ("id", "email", "name", "emailVerified")
    view = catalog.relation("UserSummary")
    assert view is not None and view.kind == "view" and view.columns == ("id", "email")
    by_name = {t.name: t for t in catalog.triggers}
    assert by_name["user_touch"].events == ("UPDATE",) and by_name["user_touch"].timing == "BEFORE"
    assert by_name["audit"].events == ("INSERT", "UPDATE") and by_name["audit"].function == "audit"
    problems = [(p.trigger.name, p.table, p.column, p.near) for p in trigger_problems(catalog, user, {"UPDATE"})]
    assert sorted(problems) == [
        ("audit", "Audit", "who", None),
        ("user_touch", "User", "emailverified", "emailVerified"),
    ]
    assert [p.trigger.name for p in trigger_problems(catalog, user, {"INSERT"})] == ["audit"]
    assert trigger_problems(catalog, user, set()) == [], "a read fires no trigger"


@pytest.mark.postgres
def test_the_session_options_make_every_statement_read_only(postgres: PostgresServer) -> None:
    url = postgres.database("")
    params = connection_params(url)
    done = subprocess.run(
        ["psql", "-X", "-h", params.host, "-p", str(params.port), "-U", params.user, "-d", params.database],
        input="CREATE TABLE should_not_exist (id int);",
        capture_output=True,
        text=True,
        env={"PGOPTIONS": SESSION_OPTIONS, "LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )
    assert "read-only transaction" in done.stderr
    assert "should_not_exist" not in postgres.sql(url, "SELECT string_agg(relname, ',') FROM pg_class")


@pytest.mark.postgres
@pytest.mark.parametrize("use_psql", [True, False], ids=["psql", "pg8000"])
def test_unreachable_server_is_a_reason_without_the_password(use_psql: bool) -> None:
    url = with_password(f"postgresql://postgres@127.0.0.1:{free_port()}/app", "hunter2", use_psql)
    failed = inspect_postgres(DatabaseTarget("postgresql", url, "test"), use_psql)
    assert isinstance(failed, InspectionFailed)
    assert "refused" in failed.reason.lower(), failed.reason
    assert "hunter2" not in failed.reason and ("postgres:****@" in failed.reason or "hunter2" not in url)
    assert failed.kind == UNREACHABLE


@pytest.mark.postgres
@pytest.mark.parametrize("use_psql", [True, False], ids=["psql", "pg8000"])
def test_a_read_the_server_refuses_is_told_apart_from_no_connection(postgres: PostgresServer, use_psql: bool) -> None:
    url = postgres.database("SELECT 1;")
    missing = url.rsplit("/", 1)[0] + "/no_such_database"
    failed = inspect_postgres(DatabaseTarget("postgresql", missing, "test"), use_psql)
    assert isinstance(failed, InspectionFailed) and "no_such_database" in failed.reason, failed
    assert failed.kind == READ_FAILED


@pytest.mark.postgres
def test_a_silent_server_times_out_and_never_blocks_an_event_loop() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"postgresql://ada:hunter2@127.0.0.1:{silent.getsockname()[1]}/app"
        probe = DatabaseProbe(DatabaseTarget("postgresql", url, "test"))

        async def from_the_language_server() -> object:
            return probe.inspection(wait=False)

        pending = asyncio.run(from_the_language_server())
        assert isinstance(pending, InspectionFailed) and "had not come yet" in pending.reason
        answer = probe.inspection(wait=True)
    assert isinstance(answer, InspectionFailed)
    assert "timeout" in answer.reason.lower() or "no answer" in answer.reason.lower(), answer.reason
    assert "hunter2" not in answer.reason


# SQLite.
def sqlite_database(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
            CREATE TABLE "Audit" (id INTEGER PRIMARY KEY, at TEXT);
            CREATE TRIGGER audit AFTER UPDATE ON "User" BEGIN
              INSERT INTO "Audit" (at, who) VALUES (datetime('now'), NEW.email);
            END;
            CREATE VIEW "UserSummary" AS SELECT id, email FROM "User";
            CREATE VIEW "Broken" AS SELECT id, nickname FROM "User";
            """
        )
    connection.close()
    return path


def test_sqlite_catalog_is_read_without_writing_the_file(tmp_path: Path) -> None:
    database = sqlite_database(tmp_path / "dev.db")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    catalog = inspect_sqlite(DatabaseTarget("sqlite", "file:./dev.db", "test", (tmp_path / "prisma", tmp_path)))
    assert isinstance(catalog, Catalog), catalog
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dev.db"], "no journal, no WAL file"
    user = catalog.relation("user")
    assert user is not None and user.columns == ("id", "email", "name")
    assert catalog.relation("UserSummary").kind == "view"  # type: ignore[union-attr]
    broken = catalog.relation("Broken")
    assert broken is not None and broken.broken == "no such column: nickname"
    (problem,) = trigger_problems(catalog, user, {"UPDATE"})
    assert (problem.trigger.name, problem.table, problem.column) == ("audit", "Audit", "who")
    assert trigger_problems(catalog, user, {"INSERT"}) == []


def test_sqlite_file_that_does_not_exist_is_a_reason(tmp_path: Path) -> None:
    failed = inspect_sqlite(DatabaseTarget("sqlite", "file:./nothing.db", "test", (tmp_path,)))
    assert isinstance(failed, InspectionFailed) and "does not exist" in failed.reason
    assert not (tmp_path / "nothing.db").exists(), "read-only: never created"


@pytest.mark.postgres
@pytest.mark.parametrize("use_psql", [True, False], ids=["psql", "pg8000"])
def test_a_role_that_may_not_set_lc_messages_is_still_answered(postgres: PostgresServer, use_psql: bool) -> None:
    url = postgres.database(
        INCIDENT_DATABASE
        + "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app LOGIN; "
        "END IF; END $$;",
        lc_messages="fr_FR.UTF-8",
    )
    user = "app:pw@" if not use_psql or psql_refuses_clear_text() else "app@"
    catalog = inspect_postgres(DatabaseTarget("postgresql", url.replace("postgres@", user), "test"), use_psql)
    assert isinstance(catalog, Catalog), catalog
    assert catalog.messages_language == "fr_FR.UTF-8"
    assert [t.name for t in catalog.triggers] == ["user_touch"]
