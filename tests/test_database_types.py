"""`check` against a real PostgreSQL whose types disagree with the schema: an enum type that lacks a value (a push
before the value was added), a column of another scalar's type (`Int` on `text`), a NOT NULL where the field is
optional; and no finding for the native types a field may have (`@db.VarChar(255)`, `@db.Timestamptz(6)`, arrays)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from prisma_doctor.database import DatabaseProbe, DatabaseTarget
from prisma_doctor.diagnosis import ProjectFacts, diagnose
from prisma_doctor.diagnosis.facts import migrated_columns, migrated_enum_values
from prisma_doctor.logs.recognize import read_events
from tests.captures.loading import load, project_from_capture
from tests.database_fixtures import ENUM_DATABASE, PRISMA_MIGRATIONS, PostgresServer
from tests.helpers import check_json, codes, doctor, finding
from tests.toolchain import ProjectFactory

pytestmark = [pytest.mark.node, pytest.mark.postgres]

# The datasource, generator and enum both schemas here share.
HEAD = """datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

enum Role {
  USER
  ADMIN
  EDITOR
}
"""
SCHEMA = (
    HEAD
    + """
model User {
  id        Int      @id @default(autoincrement())
  name      String   @db.VarChar(255)
  nickname  String?
  age       Int
  score     Float
  tags      String[]
  role      Role     @default(USER)
  createdAt DateTime @default(now()) @db.Timestamptz(6)
  updatedAt DateTime @updatedAt
}
"""
)
# As `prisma db push` made it before `EDITOR` was added, then changed by hand: `age` as text, `nickname` NOT NULL.
DATABASE = """CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "nickname" TEXT NOT NULL,
    "age" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "tags" TEXT[],
    "role" "Role" NOT NULL DEFAULT 'USER',
    "createdAt" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
"""


def _project(prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, url: str) -> Path:
    project = prisma_project(SCHEMA, version="6.17.1")
    project.generate()
    monkeypatch.setenv("DATABASE_URL", url)
    return project.root


def test_an_enum_value_and_column_types_the_database_lacks(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    root = _project(prisma_project, monkeypatch, postgres.database(DATABASE))
    code, report = check_json(root)
    assert code == 1, report
    assert sorted(codes(report)) == ["db-column-type", "db-column-type", "db-missing-enum-value"], report
    enum = finding(report, "db-missing-enum-value")
    data = enum["data"]
    assert (data["type"], data["missing"], data["values"]) == ("Role", ["EDITOR"], ["USER", "ADMIN"])
    assert "invalid input value for enum" in enum["message"]
    # No migrations folder: the push is what brings the database to the schema.
    assert enum["fixes"][0]["id"] == "db-push", enum["fixes"]
    columns = {f["data"]["column"]: f for f in report["findings"] if f["code"] == "db-column-type"}
    assert sorted(columns) == ["age", "nickname"]
    assert columns["age"]["data"]["database_type"] == "text"
    assert "`User.age` as `Int`" in columns["age"]["message"] and "is `text`" in columns["age"]["message"]
    assert "is NOT NULL" in columns["nickname"]["message"]


def test_the_same_types_as_prisma_makes_them_are_in_sync(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    fixed = DATABASE.replace("'ADMIN')", "'ADMIN', 'EDITOR')").replace('"nickname" TEXT NOT NULL', '"nickname" TEXT')
    root = _project(prisma_project, monkeypatch, postgres.database(fixed.replace('"age" TEXT', '"age" INTEGER')))
    code, report = check_json(root)
    assert (code, report["findings"]) == (0, []), report


CAPTURE = "pg-en-enum-value-missing"


def test_the_captured_enum_error_is_read_as_the_value_the_database_lacks(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    # The capture's project and database state, through `explain` as a person runs it with the URL in .env.
    root = project_from_capture(CAPTURE, tmp_path / "app")
    (root / ".env").write_text(f'DATABASE_URL="{postgres.database(ENUM_DATABASE)}"\n')
    done = doctor("explain", "-", "--project", str(root), "--json", cwd=root, text=False, input=load(CAPTURE).output)
    (found,) = json.loads(done.stdout)["findings"]
    assert found["code"] == "db-missing-enum-value", found
    assert (found["data"]["type"], found["data"]["missing"], found["data"]["values"]) == (
        "Role",
        ["EDITOR"],
        ["USER", "ADMIN"],
    )
    assert found["data"]["database"]["asked"] is True and "the database was asked" in found["message"]
    assert [f["id"] for f in found["fixes"]] == ["db-push"], found["fixes"]  # the capture's project has no migrations


def test_the_enum_error_against_a_database_that_has_the_value_now_is_not_claimed(postgres: PostgresServer) -> None:
    url = postgres.database(ENUM_DATABASE.replace("'ADMIN')", "'ADMIN', 'EDITOR')"))
    facts = replace(load(CAPTURE).facts(), database=DatabaseProbe(DatabaseTarget("postgresql", url, "test")))
    (found,) = diagnose(read_events([load(CAPTURE).output]), facts)
    assert (found.code, found.severity.value, found.fixes) == ("db-missing-enum-value", "warning", ())
    assert "has it now" in found.message


def test_the_enum_error_without_the_database_says_what_decides() -> None:
    (found,) = diagnose(read_events([load(CAPTURE).output]), load(CAPTURE).facts())
    assert found.code == "db-missing-enum-value" and "likely" in found.message
    assert "enum_range" in found.message and "database" not in found.data


# User trial s13, item L3: a page's read that filters on `EDITOR` (`role: { in: ["USER", "EDITOR"] }`), no write.
READ_CAPTURE = "pg-en-enum-value-missing-read"
# As `prisma migrate dev` writes them: the type made with USER and ADMIN, then a migration that adds EDITOR.
INIT_MIGRATION = """-- CreateEnum
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
"""
EDITOR_MIGRATION = """-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'EDITOR';
"""
MIGRATIONS = {"20260101000000_init": INIT_MIGRATION, "20260105000000_add_role_editor": EDITOR_MIGRATION}


def _asked(capture: str, url: str, migrations: dict[str, str] | None = None) -> ProjectFacts:
    facts = replace(load(capture).facts(), database=DatabaseProbe(DatabaseTarget("postgresql", url, "test")))
    if migrations is None:
        return facts
    return replace(
        facts,
        migrations=tuple(migrations),
        migrated=migrated_columns(migrations),
        enum_values_migrated=migrated_enum_values(migrations),
    )


def _applied(*names: str) -> str:
    """`_prisma_migrations` recording `names` as run to their end, as `prisma migrate deploy` leaves it."""
    rows = ",".join(f"('{n}', 'x', now(), '{n}', 1)" for n in names)
    return (
        PRISMA_MIGRATIONS
        + f"INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) "
        f"VALUES {rows};\n"
    )


def test_a_read_that_filters_on_the_value_is_not_called_a_write(postgres: PostgresServer) -> None:
    (found,) = diagnose(
        read_events([load(READ_CAPTURE).output]), _asked(READ_CAPTURE, postgres.database(ENUM_DATABASE))
    )
    assert found.code == "db-missing-enum-value" and found.data["missing"] == ["EDITOR"], found
    assert "wrote" not in found.message and "the app used (in a query or a write) it" in found.message


def test_the_pending_migration_that_adds_the_value_is_the_fix(postgres: PostgresServer) -> None:
    url = postgres.database(_applied("20260101000000_init") + INIT_MIGRATION)
    facts = _asked(READ_CAPTURE, url, MIGRATIONS)
    (found,) = diagnose(read_events([load(READ_CAPTURE).output]), facts)
    assert found.code == "db-missing-enum-value", found
    assert "the pending migration `20260105000000_add_role_editor` adds it; apply it" in found.message.lower()
    assert found.fixes == ("migrate-deploy",)


def test_a_migration_that_adds_the_value_is_named_when_the_database_is_not_asked() -> None:
    facts = replace(
        load(READ_CAPTURE).facts(), migrations=tuple(MIGRATIONS), enum_values_migrated=migrated_enum_values(MIGRATIONS)
    )
    (found,) = diagnose(read_events([load(READ_CAPTURE).output]), facts)
    assert "`20260105000000_add_role_editor` adds it" in found.message and found.fixes[0] == "migrate-deploy"


def test_check_names_the_pending_migration_that_adds_the_value(
    prisma_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    url = postgres.database(_applied("20260101000000_init") + INIT_MIGRATION)
    project = prisma_project(SCHEMA_WITH_MIGRATIONS, version="6.17.1")
    for name, sql in MIGRATIONS.items():
        (project.root / "prisma" / "migrations" / name).mkdir(parents=True)
        (project.root / "prisma" / "migrations" / name / "migration.sql").write_text(sql)
    (project.root / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "postgresql"\n')
    project.generate()
    monkeypatch.setenv("DATABASE_URL", url)
    code, report = check_json(project.root)
    assert code == 1, report
    assert sorted(codes(report)) == ["db-missing-enum-value", "migrations-pending"], report
    enum = finding(report, "db-missing-enum-value")
    assert "The pending migration `20260105000000_add_role_editor` adds it; apply it" in enum["message"], enum
    assert "a write, or a filter" in enum["message"]
    assert [f["id"] for f in enum["fixes"]] == ["migrate-deploy"], enum["fixes"]


SCHEMA_WITH_MIGRATIONS = (
    HEAD
    + """
model User {
  id    Int    @id @default(autoincrement())
  email String
  role  Role   @default(USER)
}
"""
)
