"""Capture what a write, and a read that filters on it, of an enum value the database's type lacks print: the
schema and the generated client have `Role.EDITOR`, the database's type `Role` was made (a push) before it was
added. Prisma 6.17 with `engineType = "client"` and @prisma/adapter-pg, as the trigger captures (postgres_trigger.py).
Neither output shows the call (no `Invalid ... invocation`), so neither shows a write.

Run: `.venv/bin/python tests/captures/postgres_enum.py`.
"""

from __future__ import annotations

import sys

from common import Project, capture_in_terminal
from postgres import Cluster
from postgres_trigger import CLIENT, CONFIG
from postgres_trigger import SCHEMA as TRIGGER_SCHEMA

# The trigger capture's generator and datasource, with an enum.
SCHEMA = (
    TRIGGER_SCHEMA[: TRIGGER_SCHEMA.index("model User")]
    + """enum Role {
  USER
  ADMIN
  EDITOR
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  role  Role   @default(USER)
}
"""
)
# As `prisma db push` made it while `Role` had USER and ADMIN only.
DATABASE = """
CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL UNIQUE, role "Role" NOT NULL DEFAULT 'USER');
"""
SCRIPT = """const { prisma } = require("./db");
async function main() {
  await prisma.user.create({ data: { email: "eve@example.com", role: "EDITOR" } });
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
"""
# User trial s13, item L3: a page's read that filters on the value, no write.
READ_SCRIPT = """const { prisma } = require("./db");
async function main() {
  console.log(await prisma.user.findMany({ where: { role: { in: ["USER", "EDITOR"] } } }));
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
"""


def main() -> int:
    project = Project("pg-enum")
    project.write("prisma/schema.prisma", SCHEMA)
    project.write("prisma.config.ts", CONFIG)
    project.write("db.js", CLIENT)
    project.write("create-editor.js", SCRIPT)
    project.write("read-editors.js", READ_SCRIPT)
    project.run([project.bin("prisma"), "generate"], env={"DATABASE_URL": "postgresql://unused@127.0.0.1/unused"})
    with Cluster() as cluster:
        url = cluster.create_database("app_en", "C")
        cluster.sql("app_en", DATABASE)
        capture_in_terminal(
            project,
            "pg-en-enum-value-missing",
            ["node", "create-editor.js"],
            env={"DATABASE_URL": url},
            scenario="Role.EDITOR is in the schema and the client; the database's type Role lacks it (pushed "
            "before it was added). The create with role EDITOR fails.",
            extra={"database_url": url.rsplit("@", 1)[-1].split(":")[0] + ":<port>/app_en"},
        )
        capture_in_terminal(
            project,
            "pg-en-enum-value-missing-read",
            ["node", "read-editors.js"],
            env={"DATABASE_URL": url},
            scenario="Role.EDITOR is in the schema and the client; the database's type Role lacks it (pushed "
            "before it was added). A read that filters on role in [USER, EDITOR] fails; nothing is written.",
            extra={"database_url": url.rsplit("@", 1)[-1].split(":")[0] + ":<port>/app_en"},
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
