"""Capture Prisma's errors on MySQL/MariaDB: a column the database lacks, a trigger that names a dropped column, a
missing table and a unique violation, through @prisma/adapter-mariadb with Prisma 6.17 (`engineType = "client"`)
and Prisma 7.10, against a MariaDB started here (tests/captures/mariadb_server.py).

Prisma 6's native query engine cannot be captured here: it is downloaded from Prisma's own binaries host at install
or generate time, which this machine cannot reach; only npm packages can be installed.
Run: `.venv/bin/python tests/captures/mariadb_node.py [NAME]` (NAME: one capture only, e.g.
`mysql-p7-trigger-dropped-column`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from common import Project, capture_in_terminal
from mariadb_server import MariaDB
from postgres_trigger import SCRIPTS as INCIDENT_SCRIPTS

from toolchain import ROOT

sys.path.insert(0, str(ROOT))
# The repository's root is on the path only from here on: the npm cache is the tests' own.
from tests.npm_cache import TOOLCHAINS, cached, run

VERSIONS = {"p6": "6.17.1", "p7": "7.10.0"}
DATABASE = "app"
MODELS = """
model User {
  id       Int     @id @default(autoincrement())
  email    String  @unique
  name     String?
  nickname String?
}

model Post {
  id    Int    @id @default(autoincrement())
  title String
}
"""
GENERATOR_6 = """generator client {
  provider   = "prisma-client-js"
  output     = "../generated/client"
  engineType = "client"
}

datasource db {
  provider = "mysql"
  url      = env("DATABASE_URL")
}
"""
# Prisma 7: the URL lives in prisma.config.ts, the client needs the adapter.
GENERATOR_7 = """generator client {
  provider = "prisma-client-js"
  output   = "../generated/client"
}

datasource db {
  provider = "mysql"
}
"""
CONFIG_7 = """import { defineConfig, env } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  datasource: { url: env("DATABASE_URL") },
});
"""
# The database the team has: `nickname` never migrated, no `Post`, and a trigger written while `User` still had
# `touchedAt`, which a later migration dropped (MariaDB lets a column go whatever triggers name it; the trigger
# fails on the next update).
STATEMENTS = """
CREATE TABLE `User` (id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(191) NOT NULL UNIQUE, name VARCHAR(191) NULL,
  touchedAt DATETIME(3) NULL);
CREATE TRIGGER user_touch BEFORE UPDATE ON `User` FOR EACH ROW SET NEW.touchedAt = NOW(3);
ALTER TABLE `User` DROP COLUMN touchedAt;
INSERT INTO `User` (email, name) VALUES ('ada@example.com', 'Ada');
"""
CLIENT = """const { PrismaClient } = require("./generated/client");
const { PrismaMariaDb } = require("@prisma/adapter-mariadb");
const prisma = new PrismaClient({ adapter: new PrismaMariaDb(process.env.DATABASE_URL) });
module.exports = { prisma };
"""
SCRIPTS = {
    # The same calls as on PostgreSQL: a read of every column, an update, a create in a missing table.
    **INCIDENT_SCRIPTS,
    "unique.js": """const { prisma } = require("./db");
async function main() {
  await prisma.user.create({ data: { email: "ada@example.com" }, select: { id: true } });
}
main().catch((e) => { console.error(e); process.exit(1); }).finally(() => prisma.$disconnect());
""",
}
# name suffix -> (script, scenario)
CASES = {
    "p2022-missing-column": (
        "read-nickname.js",
        "User.nickname is in the schema and the generated client; the database lacks the column.",
    ),
    "trigger-dropped-column": (
        "update-user.js",
        "A BEFORE UPDATE trigger sets NEW.touchedAt, a column a later ALTER TABLE dropped. The read succeeds, the "
        "update fails.",
    ),
    "p2021-missing-table": ("create-post.js", "Post is in the schema and the generated client; the database lacks it."),
    "p2002-unique": ("unique.js", "A second user with the email the first one has."),
}


# The same errors with the server's messages in French (`lc_messages = 'fr_FR'`).
FRENCH_CASES = ("p2022-missing-column", "trigger-dropped-column")
ADAPTER_NOTE = (
    "@prisma/adapter-mariadb maps errno 1054 to ColumnNotFound and takes the column as the text between single "
    "quotes in the third word of the server's message "
    "(dist/index.js: sqlMessage.split(' ').at(2)?.split(\"'\").at(1)). "
    "English `Unknown column 'User.nickname' in 'field list'` gives `User.nickname`; the French `Champ "
    "'User.nickname' inconnu dans field list` has `inconnu` there, so Prisma prints `(not available)`, for a "
    "missing column and for a trigger's `NEW.touchedAt` alike."
)


def install(version: str) -> Path:
    """Prisma `version` with @prisma/adapter-mariadb (and its `mariadb` driver), installed once into the cache."""

    def into(folder: Path) -> None:
        packages = {name: version for name in ("prisma", "@prisma/client", "@prisma/adapter-mariadb")}
        (folder / "package.json").write_text(json.dumps({"name": "captures-mariadb", "private": True}) + "\n")
        specs = [f"{name}@{wanted}" for name, wanted in packages.items()]
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", *specs], folder)

    return cached(TOOLCHAINS / f"captures-mariadb-prisma-{version}", into)


def generated_project(name: str, version: str, files: Mapping[str, str]) -> Project:
    """A project of Prisma `version` holding `files` (its schema among them), its client generated from them."""
    project = Project(name, modules=install(version))
    for path, text in files.items():
        project.write(path, text)
    # Generating needs no engine with these generators; the variable stops a download that cannot succeed here.
    stand_in = str(TOOLCHAINS / "engine-stand-in")
    project.run(
        [project.bin("prisma"), "generate"],
        env={"DATABASE_URL": "mysql://unused@127.0.0.1/unused", "PRISMA_SCHEMA_ENGINE_BINARY": stand_in},
    )
    return project


def prepare(label: str, version: str) -> Project:
    if version.startswith("6."):
        setup = {"prisma/schema.prisma": GENERATOR_6 + MODELS}
    else:
        setup = {"prisma/schema.prisma": GENERATOR_7 + MODELS, "prisma.config.ts": CONFIG_7}
    return generated_project(f"mysql-{label}", version, {**setup, "db.js": CLIENT, **SCRIPTS})


def captures(label: str) -> dict[str, tuple[str, str, str]]:
    """Name -> (the server's message language, script, scenario) of one Prisma version's captures."""
    named = {f"mysql-{label}-{case}": ("en_US", *how) for case, how in CASES.items()}
    for case in FRENCH_CASES:
        script, scenario = CASES[case]
        named[f"mysql-fr-{label}-{case}"] = ("fr_FR", script, f"{scenario} The server's messages are French.")
    return named


def main(only: str | None = None) -> int:
    with MariaDB() as server:
        server.create_database(DATABASE)
        server.sql(DATABASE, STATEMENTS)
        url = server.url(DATABASE)
        for label, version in VERSIONS.items():
            cases = captures(label)
            if only is not None and only not in cases:
                continue
            project = prepare(label, version)
            for name, (language, script, scenario) in cases.items():
                if only is not None and only != name:
                    continue
                # Each run is a new process, so the adapter's connections start with the server's language.
                server.sql("", f"SET GLOBAL lc_messages = '{language}'")
                capture_in_terminal(
                    project,
                    name,
                    ["node", script],
                    env={"DATABASE_URL": url},
                    scenario=scenario,
                    notes=f"MariaDB {server.version()} started by tests/captures/mariadb_server.py; the database's "
                    f"statements are in the sidecar. Prisma {version} through @prisma/adapter-mariadb "
                    f"(`new PrismaMariaDb(process.env.DATABASE_URL)`). {ADAPTER_NOTE if language != 'en_US' else ''}",
                    extra={
                        "database_url": f"mysql://127.0.0.1:<port>/{DATABASE}",
                        "lc_messages": language,
                        "database": STATEMENTS,
                        "scripts": {"db.js": CLIENT, script: SCRIPTS[script]},
                    },
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
