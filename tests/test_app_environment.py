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
from pathlib import Path

from prisma_doctor.database import locate_database
from prisma_doctor.database.readers import AppRun, app_runs
from prisma_doctor.schema.locate import load_schema, locate_schema

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
