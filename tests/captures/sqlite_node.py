"""Capture Prisma 6.17 failures on SQLite from plain node scripts and the Prisma CLI.

The client uses `engineType = "client"` with @prisma/adapter-libsql (the native engine cannot be downloaded here);
migrations run through `prisma.config.ts`'s adapter and the bundled WebAssembly schema engine.
Run: `/work/venv/bin/python tests/captures/sqlite_node.py`.
"""

from __future__ import annotations

import sys

from common import Project, capture_in_terminal

GENERATOR = """generator client {
  provider   = "prisma-client-js"
  output     = "../generated/client"
  engineType = "client"
}

datasource db {
  provider = "sqlite"
  url      = env("DATABASE_URL")
}
"""
USER_V1 = """
model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String?
}
"""
USER_WITH_NICKNAME = USER_V1.replace("  name  String?\n", "  name  String?\n  nickname String?\n")
POST = """
model Post {
  id    Int    @id @default(autoincrement())
  title String
}
"""
CONFIG = """import { defineConfig } from "prisma/config";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  async adapter() {
    return new PrismaLibSQL({ url: process.env.DATABASE_URL! });
  },
});
"""
CLIENT = """const { PrismaClient } = require("./generated/client");
const { PrismaLibSQL } = require("@prisma/adapter-libsql");
const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: process.env.DATABASE_URL }) });
module.exports = { prisma };
"""
SCRIPTS = {
    "missing-column.js": """const { prisma } = require("./db");
async function main() {
  const users = await prisma.user.findMany({ where: { nickname: null } });
  console.log(users);
}
main().catch((e) => { console.error(e); process.exit(1); });
""",
    "missing-table.js": """const { prisma } = require("./db");
async function main() {
  await prisma.post.create({ data: { title: "hello" } });
}
main().catch((e) => { console.error(e); process.exit(1); });
""",
    "unknown-argument.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.update({ where: { id: 1 }, data: { nickname: "ed" } });
}
main().catch((e) => { console.error(e); process.exit(1); });
""",
    "not-initialized.js": """const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
prisma.user.findMany().then(console.log);
""",
    "unique.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.create({ data: { email: "a@example.com" } });
  await prisma.user.create({ data: { email: "a@example.com" } });
}
main().catch((e) => { console.error(e); process.exit(1); });
""",
    "not-found.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.update({ where: { id: 4242 }, data: { name: "nobody" } });
}
main().catch((e) => { console.error(e); process.exit(1); });
""",
}
BROKEN_SCHEMA = (
    GENERATOR
    + """
model User {
  id    Int     @id @default(autoincrement())
  email Strin   @unique
  posts Post[]
}
"""
)


def db_env(project: Project) -> dict[str, str]:
    return {"DATABASE_URL": f"file:{project.root / 'dev.db'}"}


def prepare(label: str, schema_models: str) -> Project:
    project = Project(label)
    project.write("prisma/schema.prisma", GENERATOR + schema_models)
    project.write("prisma.config.ts", CONFIG)
    project.write("db.js", CLIENT)
    for name, text in SCRIPTS.items():
        project.write(name, text)
    return project


def capture(
    project: Project, name: str, cmd: list[str], scenario: str, env: dict[str, str] | None = None, notes: str = ""
) -> None:
    capture_in_terminal(
        project, name, cmd, env=env if env is not None else db_env(project), scenario=scenario, notes=notes
    )


def add_migration(project: Project, name: str, before: str, after: str) -> None:
    """Write a migration from `before` to `after` (models only), as `migrate dev --create-only` would.

    `migrate dev` itself fails on the WebAssembly schema engine with libsql here, so the SQL comes from
    `migrate diff` between the two schemas.
    """
    project.write("prisma/before.prisma", GENERATOR + before)
    project.write("prisma/after.prisma", GENERATOR + after)
    sql = project.run(
        [
            project.bin("prisma"),
            "migrate",
            "diff",
            "--from-schema-datamodel",
            "prisma/before.prisma",
            "--to-schema-datamodel",
            "prisma/after.prisma",
            "--script",
        ],
        env=db_env(project),
        stdout_only=True,
    )
    count = len(list((project.root / "prisma" / "migrations").glob("0*")))
    project.write(f"prisma/migrations/{count + 1:04d}_{name}/migration.sql", sql)
    project.write("prisma/migrations/migration_lock.toml", 'provider = "sqlite"\n')
    for temporary in ("before", "after"):
        (project.root / "prisma" / f"{temporary}.prisma").unlink()


def deploy(project: Project) -> None:
    project.run([project.bin("prisma"), "migrate", "deploy"], env=db_env(project))


def migrated(project: Project, models: str) -> None:
    """The project's schema with `models`, its config and client module, and a database migrated to them."""
    project.write("prisma/schema.prisma", GENERATOR + models)
    project.write("prisma.config.ts", CONFIG)
    project.write("db.js", CLIENT)
    add_migration(project, "init", "", models)
    deploy(project)


def main() -> int:
    # A database migrated with the first schema, then a column added to the schema and generated, not migrated.
    project = prepare("sqlite", USER_V1)
    add_migration(project, "init", "", USER_V1)
    deploy(project)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    capture(
        project,
        "sqlite-generate-ok",
        [project.bin("prisma"), "generate"],
        "prisma generate succeeding on a valid schema (engineType client).",
    )
    project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME + POST)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    capture(
        project,
        "sqlite-p2022-missing-column",
        ["node", "missing-column.js"],
        "User.nickname added to the schema and generated, but not migrated: the database lacks the column.",
        notes="The libsql driver adapter reports the missing column without a table name.",
    )
    capture(
        project,
        "sqlite-p2021-missing-table",
        ["node", "missing-table.js"],
        "Post added to the schema and generated, but not migrated: the database lacks the table.",
    )
    # A pending migration: create the migration files without applying them.
    add_migration(project, "add_nickname_post", USER_V1, USER_WITH_NICKNAME + POST)
    capture(
        project,
        "sqlite-migrate-status-pending",
        [project.bin("prisma"), "migrate", "status"],
        "A migration created with --create-only and never applied.",
    )
    # Without prisma.config.ts the CLI needs the native schema engine, which cannot be downloaded here.
    config = project.root / "prisma.config.ts"
    config.rename(project.root / "prisma.config.ts.off")
    capture(
        project,
        "sqlite-engine-download-failed",
        [project.bin("prisma"), "migrate", "status"],
        "prisma migrate status without prisma.config.ts: the CLI tries to download the native schema engine.",
        notes="Offline: the download of the schema engine fails with ENOTFOUND.",
    )
    capture(
        project,
        "sqlite-env-missing",
        [project.bin("prisma"), "migrate", "status"],
        "prisma migrate status without prisma.config.ts and with DATABASE_URL unset.",
        env={"PRISMA_SCHEMA_ENGINE_BINARY": "/bin/false", "PRISMA_QUERY_ENGINE_LIBRARY": "/bin/false"},
        notes="PRISMA_SCHEMA_ENGINE_BINARY and PRISMA_QUERY_ENGINE_LIBRARY point at /bin/false only to skip the "
        "engine downloads that fail here; "
        "the schema's env() is resolved (and fails) before the engine would start.",
    )
    (project.root / "prisma.config.ts.off").rename(config)
    capture(
        project,
        "sqlite-client-not-initialized",
        ["node", "not-initialized.js"],
        "require('@prisma/client') when the default client output was never generated.",
    )
    # A stale client: the schema and database have the column, the generated client is from before.
    stale = prepare("sqlite-stale", USER_V1)
    add_migration(stale, "init", "", USER_V1)
    deploy(stale)
    stale.run([stale.bin("prisma"), "generate"], env=db_env(stale))
    stale.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME)
    add_migration(stale, "nickname", USER_V1, USER_WITH_NICKNAME)
    deploy(stale)
    capture(
        stale,
        "sqlite-unknown-argument-stale-client",
        ["node", "unknown-argument.js"],
        "User.nickname is in the schema and the database; the client was generated before it was added.",
    )
    capture(stale, "sqlite-p2002-unique", ["node", "unique.js"], "Two users created with the same unique email.")
    capture(stale, "sqlite-p2025-not-found", ["node", "not-found.js"], "An update of a user that does not exist.")
    # A migration whose SQL fails: deploy reports it, and status then lists it as failed.
    stale.write("prisma/migrations/0003_broken/migration.sql", 'ALTER TABLE "Nope" ADD COLUMN "x" TEXT;\n')
    capture(
        stale,
        "sqlite-migrate-deploy-failed",
        [stale.bin("prisma"), "migrate", "deploy"],
        "prisma migrate deploy of a migration whose SQL refers to a table that does not exist.",
    )
    capture(
        stale,
        "sqlite-migrate-status-failed",
        [stale.bin("prisma"), "migrate", "status"],
        "prisma migrate status after that migration failed.",
    )
    stale.write("prisma/schema.prisma", BROKEN_SCHEMA)
    capture(
        stale,
        "sqlite-p1012-generate-broken-schema",
        [stale.bin("prisma"), "generate"],
        "prisma generate on a schema with an unknown type and a relation to a model that does not exist.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
