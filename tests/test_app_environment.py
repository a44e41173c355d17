"""The database the app really reads (issue 13 §2): a variable in a running dev server's own environment wins over
every env file (Next, Vite, dotenv and Prisma never override one already set), and in a monorepo the app reads its
own folder's env files (`apps/web/.env.local`), not the schema package's. Prisma's CLI, run by a repair, reads the
doctor's environment and the schema package's files: where the two differ, `db-differs` says which reads what, and a
database repair refuses before it changes anything.

The rules on folders the tests write (no npm); then on a real `node --watch` dev server started with its own
`DATABASE_URL`, against two real SQLite files of which only one has the column (`node`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from prisma_doctor.database import locate_database
from prisma_doctor.database.readers import AppRun, app_runs
from prisma_doctor.schema.locate import load_schema, locate_schema
from tests.database_fixtures import PostgresServer
from tests.helpers import check_json, codes, doctor, doctor_json, finding
from tests.npm_cache import run
from tests.repair_fixtures import repair_environment
from tests.toolchain import ProjectFactory, schema_text
from tests.watch_servers import NpmRunDev, add_nickname, project_copy

DATASOURCE = (
    'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n\nmodel User {\n  id Int @id\n}\n'
)
SERVER = "the running dev server (pid 4242, `npm run dev`)"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def single_project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    write(root / "prisma" / "schema.prisma", DATASOURCE)
    write(root / ".env", "DATABASE_URL=postgresql://u:filepw@h/from_env_file\n")
    write(root / "package.json", json.dumps({"scripts": {"dev": "next dev"}, "dependencies": {"next": "16"}}))
    return root.resolve()


def test_a_variable_in_the_running_servers_environment_wins_over_the_env_files(tmp_path: Path) -> None:
    root = single_project(tmp_path)
    schema = load_schema(locate_schema(root))
    server = AppRun(root, {"DATABASE_URL": "postgresql://u:serverpw@h/other", "API_TOKEN": "t0ken"}, SERVER)
    target = locate_database(root, schema, environ={}, apps=[server])
    assert target.url == "postgresql://u:serverpw@h/other"
    assert target.origin == f"DATABASE_URL from the environment of {SERVER}"
    # The CLI a repair runs reads the doctor's environment and .env: another database, said without a password.
    assert target.differs is not None
    assert f"the app (Next.js) reads DATABASE_URL from the environment of {SERVER}" in target.differs
    assert "Prisma's CLI reads DATABASE_URL from .env (postgresql://u:****@h/from_env_file)" in target.differs
    assert all(word not in target.differs for word in ("serverpw", "filepw", "t0ken", "API_TOKEN"))


def test_a_server_that_does_not_set_the_variable_reads_the_env_files_with_its_own_environment(tmp_path: Path) -> None:
    root = single_project(tmp_path)
    write(root / ".env.local", "DATABASE_URL=postgresql://u:pw@${DB_HOST}/app\n")
    schema = load_schema(locate_schema(root))
    # `${DB_HOST}` expands from the server's environment, not the doctor's.
    server = AppRun(root, {"DB_HOST": "server-host"}, SERVER)
    target = locate_database(root, schema, environ={"DB_HOST": "doctor-host"}, apps=[server])
    assert (target.url, target.origin) == ("postgresql://u:pw@server-host/app", "DATABASE_URL from .env.local")


def test_servers_whose_environments_disagree_are_each_said_and_none_is_picked(tmp_path: Path) -> None:
    root = single_project(tmp_path)
    schema = load_schema(locate_schema(root))
    first = AppRun(root, {"DATABASE_URL": "postgresql://u:a@h/one"}, "the running dev server (pid 1, `next dev`)")
    second = AppRun(root, {"DATABASE_URL": "postgresql://u:b@h/two"}, "the running dev server (pid 2, `next dev`)")
    target = locate_database(root, schema, environ={}, apps=[first, second])
    # The target is what Prisma's CLI reaches: what a repair would change.
    assert target.url == "postgresql://u:filepw@h/from_env_file"
    assert target.differs is not None and target.differs.startswith("the running dev servers read different databases")
    assert "pid 1, `next dev`) (postgresql://u:****@h/one)" in target.differs
    assert "pid 2, `next dev`) (postgresql://u:****@h/two)" in target.differs
    # Two servers that agree with each other and with the CLI: nothing differs.
    same = AppRun(root, {"DATABASE_URL": "postgresql://u:filepw@h/from_env_file"}, SERVER)
    assert locate_database(root, schema, environ={}, apps=[same, same]).differs is None


def monorepo(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "mono"
    write(root / "package.json", json.dumps({"name": "mono", "private": True, "workspaces": ["packages/*", "apps/*"]}))
    db, web = root / "packages" / "db", root / "apps" / "web"
    write(db / "package.json", json.dumps({"name": "@acme/db", "private": True}))
    write(db / "prisma" / "schema.prisma", DATASOURCE)
    write(db / ".env", "DATABASE_URL=postgresql://u:pw@h/db_package\n")
    manifest = {"name": "web", "scripts": {"dev": "next dev"}, "dependencies": {"@acme/db": "*", "next": "16"}}
    write(web / "package.json", json.dumps(manifest))
    write(web / ".env.local", "DATABASE_URL=postgresql://u:pw@h/web_app\n")
    return db.resolve(), web.resolve()


def test_a_workspace_app_reads_its_own_env_files_and_the_cli_the_schema_packages(tmp_path: Path) -> None:
    db, web = monorepo(tmp_path)
    runs = app_runs(db, (), {})
    assert [run.folder for run in runs] == [web]
    target = locate_database(db, load_schema(locate_schema(db)), environ={})
    assert (target.url, target.origin) == ("postgresql://u:pw@h/web_app", "DATABASE_URL from apps/web/.env.local")
    assert target.differs is not None
    assert "Prisma's CLI reads DATABASE_URL from packages/db/.env" in target.differs
    # The app setting none of its own: it falls back to what Prisma's client loads, the schema package's .env.
    (web / ".env.local").unlink()
    assert locate_database(db, load_schema(locate_schema(db)), environ={}).differs is None


@dataclass
class ServerWithUrl(NpmRunDev):
    """`npm run dev` started with a `DATABASE_URL` of its own, as `DATABASE_URL=... npm run dev` starts it."""

    database_url: str = ""

    @property
    def environment(self) -> dict[str, str]:
        return {**super().environment, "DATABASE_URL": self.database_url}


def two_databases(watch_template: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A `node --watch` app that reads `DATABASE_URL`, with `nickname` in its schema and client; `.env` names cli.db
    (which has the column), and app.db lacks it."""
    project = project_copy(watch_template, tmp_path / "app", "node --watch")
    app_db, cli_db = (project / "app.db").resolve(), (project / "cli.db").resolve()
    shutil.copy2(project / "dev.db", cli_db)
    shutil.copy2(project / "dev.db", app_db)
    with sqlite3.connect(app_db) as connection:
        connection.execute('ALTER TABLE "User" DROP COLUMN nickname')
    connection.close()
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace('"file:./dev.db"', 'env("DATABASE_URL")'))
    (project / ".env").write_text(f"DATABASE_URL=file:{cli_db}\n")
    code = (project / "app.js").read_text()
    (project / "app.js").write_text(code.replace("url: 'file:./dev.db'", "url: process.env.DATABASE_URL"))
    add_nickname(project)
    run(["npx", "--no-install", "prisma", "generate"], project, env=repair_environment())
    return project, app_db, cli_db


@pytest.mark.node
def test_check_asks_the_database_the_running_server_reads_and_a_migrate_refuses(
    watch_template: Path, tmp_path: Path
) -> None:
    project, app_db, cli_db = two_databases(watch_template, tmp_path)
    server = ServerWithUrl(project, tmp_path / "server.log", database_url=f"file:{app_db}")
    try:
        server.start()
        # The app really reads app.db: the column it lacks fails its request.
        assert server.wait_for_status(500) == 500, server.output
        assert "nickname" in server.output, server.output
        started = time.perf_counter()
        code, report = check_json(project)
        print(f"check with a server of its own DATABASE_URL: {time.perf_counter() - started:.2f} s")
        column = finding(report, "db-missing-column")
        assert column["data"]["column"] == "nickname" and str(app_db) in column["message"], report
        differs = finding(report, "db-differs")["message"]
        assert "reads DATABASE_URL from the environment of the running dev server (pid " in differs, differs
        assert f"Prisma's CLI reads DATABASE_URL from .env (file:{cli_db})" in differs, differs
        assert "PORT" not in differs and code == 1
        # The app's error (its client on the server's URL, printed whole) explained while the server runs: the
        # database asked is the one the server reads.
        query = (
            "const { PrismaClient } = require('@prisma/client');"
            "const { PrismaLibSQL } = require('@prisma/adapter-libsql');"
            "new PrismaClient({ adapter: new PrismaLibSQL({ url: process.env.DATABASE_URL }) }).user.findMany("
            "{ select: { nickname: true } }).then(() => console.log('answered'), (e) => console.log(e))"
        )
        printed = run(["node", "-e", query], project, env={**repair_environment(), "DATABASE_URL": f"file:{app_db}"})
        explained = doctor("explain", "-", "--project", str(project), "--json", input=printed)
        (error,) = json.loads(explained.stdout)["findings"]
        assert error["code"] == "db-missing-column" and error["data"]["database"]["asked"], error
        assert str(app_db) in error["data"]["database"]["url"], error
        # A migration through Prisma's CLI would change cli.db: refused before anything runs.
        before = (app_db.read_bytes(), cli_db.read_bytes())
        status, plan = doctor_json("migrate", "push", "--project", str(project))
        assert status == 2 and "Prisma's CLI would change another database" in plan["refusals"][0], plan
        assert (app_db.read_bytes(), cli_db.read_bytes()) == before

        # A second server of the same app on cli.db: the two disagree, and both are said.
        second = ServerWithUrl(project, tmp_path / "second.log", database_url=f"file:{cli_db}")
        try:
            second.start()
            _, report = check_json(project)
            differs = finding(report, "db-differs")["message"]
            assert "the running dev servers read different databases" in differs, differs
            assert str(app_db) in differs and str(cli_db) in differs
        finally:
            second.stop()
    finally:
        server.stop()
    # No server: today's rule, the doctor's environment and the env files: both read cli.db, which has the column.
    code, report = check_json(project)
    assert "db-differs" not in codes(report) and "db-missing-column" not in codes(report), report


MODELS = "model User {\n  id Int @id @default(autoincrement())\n  email String @unique\n  nickname String?\n}\n"
USERS = 'CREATE TABLE "User" (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE{nickname});\n'
# A dev server of a known kind (`node --watch`) that reads nothing: which database it would open is its environment's.
IDLE_SERVER = "setInterval(() => {}, 1000);\n"


@pytest.mark.node
@pytest.mark.postgres
def test_check_on_postgres_asks_the_database_in_the_running_servers_environment(
    prisma_project: ProjectFactory, postgres: PostgresServer, tmp_path: Path
) -> None:
    with_column = postgres.database(USERS.format(nickname=", nickname TEXT"))
    without = postgres.database(USERS.format(nickname=""))
    schema = re.sub(
        r'url\s*=\s*"[^"]*"', 'url = env("DATABASE_URL")', schema_text("6.17.1", MODELS, datasource="postgresql")
    )
    project = prisma_project(schema, version="6.17.1")
    project.generate()
    (project.root / ".env").write_text(f"DATABASE_URL={with_column}\n")
    (project.root / "server.js").write_text(IDLE_SERVER)
    # Before any server runs: the env file's database, which has the column.
    code, report = check_json(project.root)
    assert "db-missing-column" not in codes(report) and "db-differs" not in codes(report), report
    environment = {**os.environ, "DATABASE_URL": without}
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            ["node", "--watch", "server.js"], cwd=project.root, env=environment, stdout=log, stderr=log
        )
    try:
        started = time.perf_counter()
        code, report = check_json(project.root)
        print(f"check on PostgreSQL with a server of its own DATABASE_URL: {time.perf_counter() - started:.2f} s")
    finally:
        server.terminate()
        server.wait(timeout=10)
    column = finding(report, "db-missing-column")
    assert column["data"]["column"] == "nickname" and without.rsplit("/", 1)[-1] in column["message"], report
    differs = finding(report, "db-differs")["message"]
    assert f"the environment of the running dev server (pid {server.pid}, `node --watch server.js`)" in differs
    assert code == 1


def test_two_paths_to_one_sqlite_file_from_a_workspace_app_are_one_database(tmp_path: Path) -> None:
    # As tests/pnpm_workspace_app.py lays it out: the app names the db package's file from its own folder.
    db, web = monorepo(tmp_path)
    schema = (db / "prisma" / "schema.prisma").read_text().replace('"postgresql"', '"sqlite"')
    write(
        db / "prisma" / "schema.prisma",
        'generator client {\n  provider = "prisma-client-js"\n  engineType = "client"\n}\n' + schema,
    )
    write(db / ".env", 'DATABASE_URL="file:../dev.db"\n')
    write(web / ".env.local", 'DATABASE_URL="file:../../packages/db/dev.db"\n')
    target = locate_database(db, load_schema(locate_schema(db)), environ={})
    assert target.origin == "DATABASE_URL from apps/web/.env.local" and target.differs is None, target.differs
    write(web / ".env.local", 'DATABASE_URL="file:./dev.db"\n')
    differs = locate_database(db, load_schema(locate_schema(db)), environ={}).differs
    assert differs is not None and "apps/web/.env.local (file:./dev.db)" in differs, differs
