"""Capture what the database's own objects and its reachability make Prisma 7.10 print through
@prisma/adapter-mariadb (user trial 3, findings 3 to 7), against a MariaDB started here: a view whose definition
names a dropped column (1356, passed on as P2039), a view the schema and client have and the database lacks (P2021),
a trigger that uses a column the schema has and neither the client nor the database has, and a database nobody
listens for (the adapter's pool timeout, 45028).

Run: `.venv/bin/python tests/captures/mariadb_objects.py [NAME]`.
"""

from __future__ import annotations

import sys

from common import Project, capture_in_terminal
from mariadb_node import CLIENT, CONFIG_7, GENERATOR_7, generated_project
from mariadb_server import MariaDB, free_port

VERSION = "7.10.0"
# Views are a preview feature of Prisma 7 still.
GENERATOR = GENERATOR_7.replace(
    'output   = "../generated/client"', 'output   = "../generated/client"\n  previewFeatures = ["views"]'
)
MODELS = """
model User {
  id    Int     @id @default(autoincrement())
  email String  @unique
  name  String?
}

view UserInfo {
  id    Int    @unique
  email String
  score Int?
}

view ActiveUser {
  id    Int    @unique
  email String
}
"""
# The field the schema gains after the client was generated (never migrated): the trigger already uses it.
SCORE_FIELD = "  score Int?\n"
STATEMENTS = """
CREATE TABLE `User` (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(191) NOT NULL UNIQUE, name VARCHAR(191) NULL,
  legacyScore INT NULL, score INT NULL);
CREATE VIEW `UserInfo` AS SELECT id, email, legacyScore AS score FROM `User`;
CREATE TRIGGER User_bu_score BEFORE UPDATE ON `User` FOR EACH ROW SET NEW.score = 1;
ALTER TABLE `User` DROP COLUMN legacyScore, DROP COLUMN score;
INSERT INTO `User` (email, name) VALUES ('ada@example.com', 'Ada');
"""
SCRIPTS = {
    "read-view.js": """const { prisma } = require("./db");
async function main() {
  console.log(await prisma.userInfo.findMany());
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
    "read-active.js": """const { prisma } = require("./db");
async function main() {
  console.log(await prisma.activeUser.findMany());
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
    "update-user.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.update({ where: { id: 1 }, data: { name: "Ada Lovelace" }, select: { id: true } });
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
}
# name -> (script, scenario, whether the database is reachable)
CASES = {
    "mysql-p7-view-broken": (
        "read-view.js",
        "The view UserInfo selects User.legacyScore, which a later ALTER TABLE dropped; MariaDB says 1356.",
        True,
    ),
    "mysql-p7-view-missing": (
        "read-active.js",
        "The view ActiveUser is in the schema and the generated client; nobody wrote its CREATE VIEW.",
        True,
    ),
    "mysql-p7-trigger-on-schema-field": (
        "update-user.js",
        "User.score is in the schema (added after generate, never migrated), not in the client or the database; "
        "the BEFORE UPDATE trigger User_bu_score sets NEW.score.",
        True,
    ),
    "mysql-p7-pool-timeout": (
        "update-user.js",
        "DATABASE_URL names a port nobody listens on: the adapter's pool gives up after its 10 s acquire timeout.",
        False,
    ),
}


def prepare() -> Project:
    files = {"prisma/schema.prisma": GENERATOR + MODELS, "prisma.config.ts": CONFIG_7, "db.js": CLIENT, **SCRIPTS}
    project = generated_project("mysql-objects", VERSION, files)
    # After generate: the schema has `score`, the client does not.
    project.write(
        "prisma/schema.prisma", GENERATOR + MODELS.replace("  name  String?\n", "  name  String?\n" + SCORE_FIELD)
    )
    return project


def main(only: str | None = None) -> int:
    with MariaDB() as server:
        server.create_database("app")
        server.sql("app", STATEMENTS)
        project = prepare()
        for name, (script, scenario, reachable) in CASES.items():
            if only is not None and only != name:
                continue
            url = server.url("app") if reachable else f"mysql://root@127.0.0.1:{free_port()}/app"
            cmd = ["node", script]
            capture_in_terminal(
                project,
                name,
                cmd,
                env={"DATABASE_URL": url},
                scenario=scenario,
                notes=f"MariaDB {server.version()} started by tests/captures/mariadb_server.py; the database's "
                f"statements are in the sidecar. Prisma {VERSION} through @prisma/adapter-mariadb.",
                extra={
                    "database_url": "mysql://127.0.0.1:<port>/app" if reachable else "mysql://127.0.0.1:<closed>/app",
                    "database": STATEMENTS if reachable else None,
                    "scripts": {"db.js": CLIENT, script: SCRIPTS[script]},
                },
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
