"""Real databases for the inspection tests, with databases in the states that produced the captured logs: one
PostgreSQL cluster per session (Debian's postgresql, installed with apt when missing, fr_FR.UTF-8 generated) and one
MariaDB server (Debian's mariadb-server, from `scripts/bootstrap.sh --system`; skipped, saying why, without it)."""

from __future__ import annotations

import ast
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.captures.mariadb_server import MariaDB, missing_binaries
from tests.captures.postgres import Cluster

CAPTURE_SCRIPT = Path(__file__).resolve().parent / "captures" / "postgres_trigger.py"


def _capture_constant(name: str, script: Path = CAPTURE_SCRIPT) -> object:
    """A string constant of a capture script, read without running it (it imports the capture toolchain)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError(f"{name} is not in {script}")


# The capture script's own project and database (the incident: no "nickname", no "Post", a trigger writing
# NEW.emailverified), so the live state is the one that printed the committed logs.
INCIDENT_SCHEMA = str(_capture_constant("SCHEMA"))
INCIDENT_DATABASE = str(_capture_constant("DATABASE"))
INCIDENT_SCRIPTS: dict[str, str] = _capture_constant("SCRIPTS")  # type: ignore[assignment]
# The database of the enum capture (`Role` without the value the client writes).
ENUM_DATABASE = str(_capture_constant("DATABASE", CAPTURE_SCRIPT.with_name("postgres_enum.py")))


# A small project on PostgreSQL (a mapped table and column, a second model) and the migrations that make its
# database, for the tests that compare a project with one.
POSTGRES_SCHEMA = """datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

generator client {
  provider = "prisma-client-js"
}

model User {
  id       Int     @id @default(autoincrement())
  email    String  @unique
  nickname String? @map("nick_name")

  @@map("users")
}

model Post {
  id    Int    @id
  title String
}
"""
PRISMA_MIGRATIONS = """CREATE TABLE "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0);
"""
# As `prisma migrate dev` writes them: one column a line, the closing parenthesis on its own line.
INIT = 'CREATE TABLE "users" (\n    "id" SERIAL PRIMARY KEY,\n    "email" TEXT NOT NULL\n);\n'
ADD_NICKNAME = 'ALTER TABLE "users" ADD COLUMN "nick_name" TEXT;\n'
POSTS = 'CREATE TABLE "Post" (\n    "id" INTEGER PRIMARY KEY,\n    "title" TEXT NOT NULL\n);\n'


class PostgresServer:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._count = 0

    def database(self, statements: str, lc_messages: str = "C") -> str:
        """A new database in the given state; returns its URL (trust authentication: any password is accepted)."""
        self._count += 1
        name = f"db{self._count}"
        self.cluster.create_database(name, lc_messages)
        if statements.strip():
            self.cluster.sql(name, statements)
        return self.cluster.url(name)

    def sql(self, url: str, statements: str) -> str:
        return self.cluster.sql(url.rsplit("/", 1)[-1], statements)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    cluster = Cluster().start()
    try:
        yield PostgresServer(cluster)
    finally:
        cluster.stop()


def with_password(url: str, password: str, psql: bool = False) -> str:
    """The URL with a password (trust authentication accepts any), unless it is for psql and psql's libpq cannot
    refuse a request for it in clear text (before PostgreSQL 16): the probe does not hand it one then."""
    if psql and not psql_refuses_clear_text():
        return url
    return url.replace("postgres@", f"postgres:{password}@", 1)


def psql_refuses_clear_text() -> bool:
    """Whether the psql on PATH is 16 or newer (libpq's `require_auth`)."""
    from prisma_doctor.database.postgres import psql_major

    psql = shutil.which("psql")
    return psql is not None and psql_major(psql) >= 16


class MariaDBServer:
    def __init__(self, server: MariaDB) -> None:
        self.server = server
        self._count = 0

    def database(self, statements: str) -> str:
        """A new database in the given state; returns its URL (`mysql://prisma:<password>@127.0.0.1:<port>/dbN`)."""
        self._count += 1
        name = f"db{self._count}"
        self.server.create_database(name)
        if statements.strip():
            self.server.sql(name, statements)
        return self.server.url(name)

    def sql(self, url: str, statements: str) -> str:
        return self.server.sql(url.rsplit("/", 1)[-1].split("?", 1)[0], statements)


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBServer]:
    """One MariaDB server for the session (tests/captures/mariadb_server.py); skipped, saying why, without one."""
    reason = missing_binaries()
    if reason:
        pytest.skip(reason)
    server = MariaDB().start()
    try:
        yield MariaDBServer(server)
    finally:
        server.stop()


BROKEN_MIGRATION = "20260301000000_broken"


def fail_a_migration(project: Path, database: Path) -> None:
    """As a `migrate deploy` that failed part-way leaves it (P3009): the migration in the folder, and its row in the
    SQLite `database`'s `_prisma_migrations` started, never finished nor rolled back."""
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) "
            f"VALUES ('x', 'c', '{BROKEN_MIGRATION}', current_timestamp, 0)"
        )
    migration = project / "prisma" / "migrations" / BROKEN_MIGRATION
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "Nope" ADD COLUMN "x" TEXT;\n', encoding="utf-8")
