"""`check` sees the whole state (issue 13 §2): installed Prisma packages, the migrations folder against the database,
the tables and columns the client expects, and running dev servers older than the client. Each gap is its own
finding and a non-zero exit; a truly in-sync project still says in sync.

On real projects: the bundled example (Next 16, Prisma 6, SQLite, migrations applied by the real `prisma migrate
deploy`, a real `next dev`), toolchain projects (npm and pnpm, Prisma 6 and Prisma 7 with `src/generated/prisma`)
and a real PostgreSQL. The time `check` takes on a project with a database is printed, never asserted.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.findings import Report, SyncState
from prisma_doctor.status import Display, Status
from tests.database_fixtures import ADD_NICKNAME, INIT, POSTGRES_SCHEMA, POSTS, PRISMA_MIGRATIONS, fail_a_migration
from tests.dev_server import free_port
from tests.helpers import check_json, codes, doctor, doctor_json, finding
from tests.toolchain import TS_GENERATOR, ProjectFactory, major, schema_text

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"


def timed_check(root: Path, what: str) -> tuple[int, dict[str, Any]]:
    started = time.perf_counter()
    code, report = check_json(root)
    print(f"check of {what}: {time.perf_counter() - started:.2f} s")
    return code, report


def display(report: dict[str, Any]) -> Display:
    """The status bar's state for the same report, as the language server classifies it (status.py)."""
    from prisma_doctor.findings import Finding, Location, Severity

    findings = [
        Finding(
            f["code"], Severity(f["severity"]), f["message"], Location(f["location"]["file"]) if f["location"] else None
        )
        for f in report["findings"]
    ]
    return Status.of(Report.from_findings(report["project"], findings)).display


def example_database(project: Path) -> Path:
    return next(p for p in (project / "dev.db", project / "prisma" / "dev.db") if p.is_file())


# The bundled example: Prisma's own `migrate deploy` made its database.
@pytest.mark.node
def test_the_example_in_sync_with_its_database_says_in_sync(example_app: Path) -> None:
    code, report = timed_check(example_app, "the example (SQLite, in sync)")
    assert (code, report["state"]) == (0, "in-sync"), report
    assert not [f for f in report["findings"] if f["severity"] in ("error", "warning")], report


@pytest.mark.node
def test_a_pending_migration_and_the_column_it_adds_are_two_findings(example_app: Path) -> None:
    schema = _nickname_with_its_migration_pending(example_app)
    _generate(example_app)

    code, report = timed_check(example_app, "the example (a migration pending)")
    assert code == 1, report
    pending = finding(report, "migrations-pending")
    assert pending["data"]["migrations"] == ["20260201000000_add_user_nickname"]
    assert [fix["id"] for fix in pending["fixes"]] == ["migrate-deploy"]
    column = finding(report, "db-missing-column")
    assert column["data"] | {"migration": column["data"]["migration"]} == {
        "model": "User",
        "field": "nickname",
        "table": "User",
        "column": "nickname",
        "migration": "20260201000000_add_user_nickname",
    }
    assert [fix["id"] for fix in column["fixes"]] == ["migrate-deploy"]
    assert column["location"]["file"] == str(schema.resolve())
    assert display(report) is Display.DATABASE_BEHIND


@pytest.mark.node
def test_an_absolute_sqlite_url_names_its_file_once(example_app: Path) -> None:
    # A user trial: "The database read: file:/tmp/…/dev.db, /tmp/…/dev.db."
    database = (example_app / "dev.db").resolve()
    assert database.is_file()
    (example_app / ".env").write_text(f'DATABASE_URL="file:{database}"\n', encoding="utf-8")
    _nickname_with_its_migration_pending(example_app)
    _generate(example_app)

    _, report = timed_check(example_app, "the example (an absolute SQLite URL)")
    message = finding(report, "db-missing-column")["message"]
    assert message.count(str(database)) == 1, message


@pytest.mark.node
def test_a_regenerate_onto_a_database_behind_is_not_verified(example_app: Path) -> None:
    # A user trial: a migration pulled but not applied, the field added to the schema; regenerate made the client
    # right and said "verified" while every query of the new column failed.
    _nickname_with_its_migration_pending(example_app)

    code, result = doctor_json("regenerate", "--project", str(example_app))

    assert code != 0, result
    assert result["verdict"].startswith("repair NOT verified: the clients match the schema, but the database is behind")
    verify = next(step for step in result["steps"] if step["name"] == "verify")
    assert any(d.startswith(("migrations-pending", "db-missing-column")) for d in verify["details"]), verify


@pytest.mark.node
def test_a_column_the_database_lost_after_its_migration_ran(example_app: Path) -> None:
    with sqlite3.connect(example_database(example_app)) as connection:
        connection.execute('ALTER TABLE "User" DROP COLUMN "name"')
    code, report = timed_check(example_app, "the example (a column dropped)")
    assert code == 1, report
    column = finding(report, "db-missing-column")
    assert (column["data"]["column"], column["data"]["migration"]) == ("name", "20260101000000_init")
    assert "`_prisma_migrations` records it as applied" in column["message"]
    # Drift, by the database's own record: `db push` first (offers.py), since `migrate dev` would want a reset.
    assert [fix["id"] for fix in column["fixes"]] == ["db-push", "migrate-dev"]
    assert column["data"]["drift"] is True
    assert "migrations-pending" not in codes(report)
    # `name` is required without a default, and the table has rows: as the finding says, Prisma's `db push` refuses
    # to add it, and nothing changes.
    with sqlite3.connect(example_database(example_app)) as connection:
        users = connection.execute('SELECT * FROM "User" ORDER BY id').fetchall()
    status, result = doctor_json("migrate", "push", "--project", str(example_app))
    assert status == 1, result
    assert "it is not possible to execute this step" in " ".join(result["steps"][0]["details"]), result
    with sqlite3.connect(example_database(example_app)) as connection:
        assert connection.execute('SELECT * FROM "User" ORDER BY id').fetchall() == users


@pytest.mark.node
def test_a_failed_migration_is_said(example_app: Path) -> None:
    fail_a_migration(example_app, example_database(example_app))
    code, report = timed_check(example_app, "the example (a failed migration)")
    assert code == 1, report
    assert finding(report, "migration-failed")["data"] == {"migration": "20260301000000_broken"}
    assert finding(report, "migrations-pending")["data"]["migrations"] == ["20260301000000_broken"]


@pytest.mark.node
def test_deleted_prisma_packages_of_the_example(example_app: Path) -> None:
    shutil.rmtree(example_app / "node_modules" / "@prisma")
    code, report = check_json(example_app)
    assert code == 1, report
    missing = finding(report, "prisma-packages-missing")
    assert set(missing["data"]["missing"]) >= {"@prisma/client"}
    assert [fix["id"] for fix in missing["fixes"]] == ["install"]


@pytest.mark.node
def test_a_dev_server_started_before_the_client_was_generated(
    example_app: Path, start_dev_server: Callable[[Path], Any]
) -> None:
    start_dev_server(example_app)
    code, report = check_json(example_app)
    assert "dev-server-stale" not in codes(report), report
    time.sleep(1.1)  # (the client's time is its files' modification time, in seconds on some filesystems)
    _generate(example_app)
    code, report = timed_check(example_app, "the example (a dev server running)")
    assert code == 1, report
    stale = finding(report, "dev-server-stale")
    assert [fix["id"] for fix in stale["fixes"]] == ["restart-dev-server"]
    assert stale["data"]["cwd"] == str(example_app.resolve())
    # Which server: in a workspace several run (trial 4 #6).
    assert f"the dev server in {example_app.resolve()} (pid {stale['data']['pid']}) still uses" in stale["message"]
    assert display(report) is Display.DEV_SERVER_STALE


def _nickname_with_its_migration_pending(example_app: Path) -> Path:
    """`User.nickname` added to the schema, and the migration that adds its column written but not applied."""
    migration = example_app / "prisma" / "migrations" / "20260201000000_add_user_nickname"
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n', encoding="utf-8")
    schema = example_app / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name  String\n", "  name  String\n  nickname String?\n"))
    return schema


def _generate(project: Path) -> None:
    from tests.example_app import run_checked

    run_checked(["npx", "--no-install", "prisma", "generate"], project, "prisma generate")


# Toolchain projects: npm and pnpm, Prisma 6 and 7.
@pytest.mark.node
@pytest.mark.parametrize(
    ("manager", "version", "provider"),
    [("pnpm", "7.10.0", TS_GENERATOR), ("npm", "6.17.1", "prisma-client-js"), ("pnpm", "6.17.1", "prisma-client-js")],
)
def test_deleted_node_modules_prisma(prisma_project: ProjectFactory, manager: str, version: str, provider: str) -> None:
    project = prisma_project(schema_text(version, MODELS, provider), version=version, package_manager=manager)
    project.generate()
    if major(version) < 7:
        project.push_database()  # the `file:./dev.db` its schema names (Prisma 7's names none)
    code, report = check_json(project.root)
    assert "prisma-packages-missing" not in codes(report), report
    assert report["state"] == "in-sync", report

    shutil.rmtree(project.root / "node_modules" / "@prisma")
    code, report = check_json(project.root)
    assert code != 0, report
    missing = finding(report, "prisma-packages-missing")
    assert "@prisma/client" in missing["data"]["missing"], missing


@pytest.mark.node
def test_prisma_7_with_a_custom_output_needs_the_runtime_its_client_imports(prisma_project: ProjectFactory) -> None:
    """The client in src/generated/prisma imports `@prisma/client/runtime/...`: the CLI alone is not enough."""
    project = prisma_project(schema_text("7.10.0", MODELS, TS_GENERATOR), version="7.10.0", package_manager="pnpm")
    project.generate()
    (project.root / "node_modules" / "@prisma" / "client").unlink()  # pnpm's link into its store
    code, report = check_json(project.root)
    assert code == 1, report
    assert finding(report, "prisma-packages-missing")["data"]["missing"] == ["@prisma/client"]


@pytest.mark.node
@pytest.mark.parametrize("version", ["5.22.0", "6.17.1"])
def test_a_js_client_generated_outside_the_project_carries_its_runtime(
    prisma_project: ProjectFactory, version: str
) -> None:
    """No node_modules above `../../victim`, yet nothing is missing: a custom output gets its own `runtime/`."""
    project = prisma_project(schema_text(version, MODELS, output="../../victim"), version=version)
    project.generate()
    victim = project.root.parent / "victim"
    # The oracle: Node loads the client from where it is.
    loaded = subprocess.run(
        ["node", "-e", "new (require(process.argv[1]).PrismaClient)(); console.log('loaded')", str(victim)],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert loaded.stdout == "loaded\n", loaded.stderr
    project.push_database()
    code, report = check_json(project.root)
    assert "prisma-packages-missing" not in codes(report), report
    assert (code, report["state"]) == (0, "in-sync"), report


# The same history on MySQL/MariaDB: double quotes as identifiers for the migrations' SQL, MySQL's own types for
# Prisma's table.
MYSQL_PRISMA_MIGRATIONS = """CREATE TABLE _prisma_migrations (
    id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3),
    migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3),
    started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INT NOT NULL DEFAULT 0);
SET SESSION sql_mode = 'ANSI_QUOTES';
"""
DATABASES = [
    pytest.param("postgresql", marks=pytest.mark.postgres, id="postgres"),
    pytest.param("mysql", marks=pytest.mark.mariadb, id="mariadb"),
]


def _database(request: pytest.FixtureRequest, provider: str, statements: str) -> str:
    """A database of the `postgres` or `mariadb` fixture (started only when a test of its kind runs)."""
    if provider == "mysql":
        return request.getfixturevalue("mariadb").database(MYSQL_PRISMA_MIGRATIONS + statements)
    return request.getfixturevalue("postgres").database(PRISMA_MIGRATIONS + statements)


def _project(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, url: str, provider: str = "postgresql"
) -> Path:
    project = prisma_project(POSTGRES_SCHEMA.replace('"postgresql"', f'"{provider}"'), version="6.17.1")
    project.generate()
    for name, sql in (
        ("20260101000000_init", INIT),
        ("20260102000000_nickname", ADD_NICKNAME),
        ("20260103000000_posts", POSTS),
    ):
        folder = project.schema_file.parent / "migrations" / name
        folder.mkdir(parents=True)
        (folder / "migration.sql").write_text(sql, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", url)
    return project.root


def _applied(*names: str) -> str:
    return "".join(
        f"INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count) "
        f"VALUES ('{n}', 'c', '{n}', now(), 1);\n"
        for n in names
    )


@pytest.mark.node
@pytest.mark.parametrize("provider", DATABASES)
def test_database_behind_by_mapped_names(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, provider: str
) -> None:
    url = _database(request, provider, INIT + _applied("20260101000000_init"))
    root = _project(prisma_project, monkeypatch, url, provider)
    code, report = timed_check(root, f"a project on {provider} (behind)")
    assert code == 1, report
    assert finding(report, "migrations-pending")["data"]["migrations"] == [
        "20260102000000_nickname",
        "20260103000000_posts",
    ]
    column = finding(report, "db-missing-column")
    assert (column["data"]["table"], column["data"]["column"]) == ("users", "nick_name")
    assert column["data"]["migration"] == "20260102000000_nickname"
    table = finding(report, "db-missing-table")
    assert (table["data"]["table"], table["data"]["migration"]) == ("Post", "20260103000000_posts")
    assert display(report) is Display.DATABASE_BEHIND


@pytest.mark.node
@pytest.mark.parametrize("provider", DATABASES)
def test_database_in_sync(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, provider: str
) -> None:
    names = ("20260101000000_init", "20260102000000_nickname", "20260103000000_posts")
    url = _database(request, provider, INIT + ADD_NICKNAME + POSTS + _applied(*names))
    root = _project(prisma_project, monkeypatch, url, provider)
    code, report = timed_check(root, f"a project on {provider} (in sync)")
    assert (code, report["state"]) == (0, "in-sync"), report
    assert report["findings"] == [], report


@pytest.mark.node
@pytest.mark.mariadb
def test_a_mysql_table_made_on_windows_differs_by_case_on_linux(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    # Windows' MySQL ran the posts migration and stored `Post` as `post`; this server compares names as written.
    names = ("20260101000000_init", "20260102000000_nickname", "20260103000000_posts")
    url = _database(request, "mysql", INIT + ADD_NICKNAME + POSTS.replace('"Post"', '"post"') + _applied(*names))
    code, report = timed_check(_project(prisma_project, monkeypatch, url, "mysql"), "a project on mysql (post)")
    assert code == 1 and codes(report) == ["db-missing-table"], report
    table = finding(report, "db-missing-table")
    assert (table["data"]["table"], table["data"]["differs_in_case"]) == ("Post", "post")
    assert table["fixes"] == [{"id": "edit-schema", "title": "Edit the schema"}]


@pytest.mark.node
def test_an_unreachable_database_is_said_and_does_not_hold_the_check(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(prisma_project, monkeypatch, f"postgresql://u:secret@127.0.0.1:{free_port()}/app")
    started = time.perf_counter()
    code, report = check_json(root)
    print(f"check with an unreachable database: {time.perf_counter() - started:.2f} s")
    unreachable = finding(report, "db-unreachable")
    assert unreachable["severity"] == "info"
    assert "secret" not in unreachable["message"]
    # In sync as far as compared, but the database was not: not green (3), and said in the text.
    assert (code, report["state"]) == (3, "in-sync"), report
    assert SyncState(report["state"]) is SyncState.IN_SYNC
    done = doctor("check", str(root))
    assert done.returncode == 3
    assert "client in sync with the schema; the database was not compared: " in done.stdout, done.stdout
    assert "Connection refused" in done.stdout.splitlines()[-1]
    skipped = doctor("check", str(root), "--no-database")
    assert skipped.returncode == 0, skipped.stdout
    assert skipped.stdout.strip().endswith("the database was not compared: not asked (--no-database)")


@pytest.mark.node
def test_a_database_that_does_not_answer_or_refuses_the_read_is_not_compared(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fake_databases import FakeDatabase, trickling_mysql

    with FakeDatabase(trickling_mysql(0.5)) as server:
        root = _project(prisma_project, monkeypatch, server.url(), "mysql")
        code, report = check_json(root)
    slow = finding(report, "db-unreachable")
    assert (code, slow["data"]["kind"]) == (3, "no-answer"), report
    assert "no whole answer within 3 s" in slow["message"] and "hunter2" not in slow["message"]


def test_explain_on_output_without_a_prisma_error_says_so(tmp_path: Path) -> None:
    from tests.helpers import doctor

    log = tmp_path / "dev.log"
    log.write_text("▲ Next.js 16.4.5\n✓ Ready in 1.2s\nGET / 200 in 31ms\n", encoding="utf-8")
    done = doctor("explain", str(log), "--project", str(tmp_path))
    assert (done.returncode, done.stdout.strip()) == (0, "no Prisma error in this output"), done.stderr


# Which SQLite file is the app's (attack3 #7): Prisma's CLI resolves `file:./dev.db` from the schema's folder, the
# libsql driver adapter from the app's working folder. Both files exist; only the app's lacks the column.
@pytest.mark.node
def test_check_reads_the_sqlite_file_the_apps_driver_adapter_opens(watch_template: Path, tmp_path: Path) -> None:
    from tests.npm_cache import run
    from tests.repair_fixtures import repair_environment
    from tests.watch_servers import add_nickname, project_copy

    project = project_copy(watch_template, tmp_path / "app", "tsx")  # ./dev.db, with `nickname`
    shutil.copy2(project / "dev.db", project / "prisma" / "dev.db")  # what `prisma migrate` would change
    with sqlite3.connect(project / "dev.db") as connection:
        connection.execute('ALTER TABLE "User" DROP COLUMN nickname')
    connection.close()
    add_nickname(project)
    run(["npx", "--no-install", "prisma", "generate"], project, env=repair_environment())
    # The real client through the real adapter, started in the project as `npm run dev` starts the app.
    query = (
        "const { PrismaClient } = require('@prisma/client');"
        "const { PrismaLibSQL } = require('@prisma/adapter-libsql');"
        "new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) }).user.findMany({ select: "
        "{ nickname: true } }).then(() => console.log('answered'), (e) => console.log(e))"
    )
    answered = run(["node", "-e", query], project, env=repair_environment())
    assert "no such column: main.User.nickname" in answered, answered
    # The same error explained: the app's file decides it, and the fix through Prisma's CLI is said to miss it.
    (explained,) = json.loads(doctor("explain", "-", "--project", str(project), "--json", input=answered).stdout)[
        "findings"
    ]
    assert explained["code"] == "db-missing-column" and explained["data"]["database"]["asked"], explained
    assert "dev.db, the file the app opens" in explained["message"]
    assert "Beware: the app opens dev.db" in explained["message"], explained["message"]

    code, report = timed_check(project, "a libsql project whose CLI and app files differ")

    assert (code, report["state"]) == (1, "out-of-sync"), report
    column = finding(report, "db-missing-column")
    assert column["data"]["column"] == "nickname"
    assert 'dev.db, the file the app opens (with `engineType = "client"` a driver adapter' in column["message"]
    differs = finding(report, "db-differs")
    assert "the app opens dev.db" in differs["message"] and "Prisma's CLI prisma/dev.db" in differs["message"]
