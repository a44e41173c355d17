"""Capture the incident on PostgreSQL: a BEFORE UPDATE trigger that refers to a column the table lacks.

Two databases in one cluster, one with `lc_messages = 'fr_FR.UTF-8'` and one in English; Prisma 6.17 with
`engineType = "client"` and @prisma/adapter-pg. Also a column and a table the database really lacks, and a
database server that is not running. Run: `/work/venv/bin/python tests/captures/postgres_trigger.py [--only-fr]`.
"""

from __future__ import annotations

import sys

from common import Project, capture_in_terminal
from postgres import Cluster, free_port

SCHEMA = """generator client {
  provider   = "prisma-client-js"
  output     = "../generated/client"
  engineType = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id            Int       @id @default(autoincrement())
  email         String    @unique
  name          String?
  emailVerified DateTime?
  nickname      String?
}

model Post {
  id    Int    @id @default(autoincrement())
  title String
}
"""
# The database the team really had: no "nickname" column, no "Post" table, and a trigger that writes
# NEW.emailverified (unquoted, so folded to lower case) while the column is "emailVerified".
DATABASE = """
CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, "emailVerified" timestamp(3));
CREATE FUNCTION user_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.emailverified := now();
  RETURN NEW;
END $$;
CREATE TRIGGER user_touch BEFORE UPDATE ON "User" FOR EACH ROW EXECUTE FUNCTION user_touch();
INSERT INTO "User" (email, name) VALUES ('ada@example.com', 'Ada');
"""
CLIENT = """const { PrismaClient } = require("./generated/client");
const { PrismaPg } = require("@prisma/adapter-pg");
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL }) });
module.exports = { prisma };
"""
SCRIPTS = {
    "update-user.js": """const { prisma } = require("./db");
async function main() {
  const user = await prisma.user.findFirst({ select: { id: true, email: true } });
  console.log("read ok:", user.email);
  await prisma.user.update({ where: { id: user.id }, data: { name: "Ada Lovelace" }, select: { id: true } });
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
    "read-nickname.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.findMany();
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
    "create-post.js": """const { prisma } = require("./db");
async function main() {
  await prisma.post.create({ data: { title: "hello" } });
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
}
# With a config that names an adapter, the CLI uses its bundled WebAssembly engines and downloads nothing.
CONFIG = """import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
});
"""
ADAPTER_NOTE = (
    "Prisma 6.17.1 with engineType client and @prisma/adapter-pg: the adapter maps SQLSTATE 42703 to ColumnNotFound "
    "and takes the column name as the text between double quotes in the second word of the server's message "
    "(dist/index.js: error.message.split(' ').at(1)?.split('\"').at(1)). English `record \"new\" has no field` "
    "gives `new`; the French `l'enregistrement « new » n'a pas de champs` has no double quote in its second word "
    "(`«`), so the adapter prints `(not available)` where the native engine of the incident printed `«`. "
    "A genuinely missing column is reported by PostgreSQL as `column User.nickname does not exist` (no quotes), "
    "so it too becomes `(not available)` through this adapter."
)


def prepare() -> Project:
    project = Project("pg")
    project.write("prisma/schema.prisma", SCHEMA)
    project.write("prisma.config.ts", CONFIG)
    project.write("db.js", CLIENT)
    for name, text in SCRIPTS.items():
        project.write(name, text)
    project.run([project.bin("prisma"), "generate"], env={"DATABASE_URL": "postgresql://unused@127.0.0.1/unused"})
    return project


def capture(project: Project, name: str, script: str, url: str, scenario: str, notes: str = "") -> bytes:
    return capture_in_terminal(
        project,
        name,
        ["node", script],
        env={"DATABASE_URL": url},
        scenario=scenario,
        notes=notes,
        extra={"database_url": url.rsplit("@", 1)[-1].split(":")[0] + ":<port>/" + url.rsplit("/", 1)[-1]},
    )


def main(only_french: bool = False) -> int:
    project = prepare()
    with Cluster() as cluster:
        french = cluster.create_database("app_fr", "fr_FR.UTF-8")
        cluster.sql("app_fr", DATABASE)
        capture(
            project,
            "pg-fr-trigger-missing-field",
            "update-user.js",
            french,
            "lc_messages = fr_FR.UTF-8; a BEFORE UPDATE trigger assigns NEW.emailverified, which the table lacks. "
            "The read succeeds, the update fails.",
            notes=ADAPTER_NOTE,
        )
        if only_french:
            return 0
        english = cluster.create_database("app_en", "C")
        cluster.sql("app_en", DATABASE)
        capture(
            project,
            "pg-en-trigger-missing-field",
            "update-user.js",
            english,
            "lc_messages = C (English); the same trigger as the French capture.",
            notes=ADAPTER_NOTE,
        )
        capture(
            project,
            "pg-en-p2022-missing-column",
            "read-nickname.js",
            english,
            "User.nickname is in the schema and the generated client, the database lacks the column.",
            notes=ADAPTER_NOTE,
        )
        capture(
            project,
            "pg-en-p2021-missing-table",
            "create-post.js",
            english,
            "Post is in the schema and the generated client, the database lacks the table.",
        )
        capture(
            project,
            "pg-fr-p2022-missing-column",
            "read-nickname.js",
            french,
            "The missing nickname column with French server messages.",
            notes=ADAPTER_NOTE,
        )
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/app"
    capture(project, "pg-p1001-unreachable", "read-nickname.js", closed, "No server listens on the port.")
    return 0


if __name__ == "__main__":
    sys.exit(main(only_french="--only-fr" in sys.argv))
