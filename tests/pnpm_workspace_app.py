"""A real pnpm-workspaces monorepo on Next 16 + Prisma 7: the schema and its `prisma-client` output in `packages/db`
(package `@mono/db`, whose `src/index.ts` exports the client), and a Next app in `apps/web` that depends on it
(`workspace:*`) and compiles its TypeScript (`transpilePackages`).

The same packages and versions as tests/pnpm_next_app.py (so the pnpm store already holds them), installed once at
the workspace root into `tests/.cache/toolchains/` and hard-linked into each copy; the database is migrated as that
module explains (Prisma 7's migrate needs an engine this machine cannot download).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests import pnpm_next_app as single
from tests.npm_cache import PNPM_VERSION, TOOLCHAINS, cached, pnpm_command, pnpm_store, run
from tests.toolchain import link_copy

DB = Path("packages") / "db"
WEB = Path("apps") / "web"
PACKAGE = "@mono/db"
MANIFESTS: dict[Path, dict[str, object]] = {
    Path(): {"name": "mono", "private": True, "packageManager": f"pnpm@{PNPM_VERSION}"},
    DB: {
        "name": PACKAGE,
        "private": True,
        "main": "./src/index.ts",
        "scripts": {"generate": "prisma generate"},
        "dependencies": {name: single.DEPENDENCIES[name] for name in ("@prisma/adapter-libsql", "@prisma/client")},
        "devDependencies": {"prisma": single.PRISMA, "@types/node": single.DEV_DEPENDENCIES["@types/node"]},
    },
    WEB: {
        "name": "web",
        "private": True,
        "scripts": {"dev": "next dev"},
        "dependencies": {PACKAGE: "workspace:*", **{n: single.DEPENDENCIES[n] for n in ("next", "react", "react-dom")}},
        "devDependencies": {n: single.DEV_DEPENDENCIES[n] for n in ("@types/node", "@types/react", "typescript")},
    },
}
# The db package's entry: the client, connected to the database the URL names (the app's .env names it from its own
# folder, where `next dev` runs), and the enum.
DB_INDEX = single.PRISMA_MODULE.replace("@/generated/prisma/client", "./generated/prisma/client") + (
    'export { Role } from "./generated/prisma/enums";\n'
)
# Turbopack compiles the db package's TypeScript, which lies above the app: its root is the workspace's.
NEXT_CONFIG = """import path from "node:path";
import type { NextConfig } from "next";

export default {
  transpilePackages: ["@mono/db"],
  turbopack: { root: path.join(__dirname, "..", "..") },
} satisfies NextConfig;
"""
PAGE = single.PAGE.replace('"@/lib/prisma"', f'"{PACKAGE}"').replace('"@/generated/prisma/enums"', f'"{PACKAGE}"')


def installed() -> Path:
    """The cached pnpm install of the workspace (its three package.json files), installed on first use."""
    return installed_workspace(MANIFESTS, f"pnpm-workspace-next-{single.NEXT}-prisma-{single.PRISMA}")


def installed_workspace(manifests: dict[Path, dict[str, object]], name: str) -> Path:
    """The cached pnpm install (`tests/.cache/toolchains/NAME`) of a workspace of apps/* and packages/* with these
    package.json files, installed on first use."""

    def install(folder: Path) -> None:
        (folder / "pnpm-workspace.yaml").write_text("packages:\n  - apps/*\n  - packages/*\n")
        (folder / ".npmrc").write_text(single.npmrc())
        for where, manifest in manifests.items():
            (folder / where).mkdir(parents=True, exist_ok=True)
            (folder / where / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        pnpm_store().mkdir(parents=True, exist_ok=True)
        run([*pnpm_command(), "install", "--ignore-scripts", "--no-frozen-lockfile"], folder, env=single.environment())

    return cached(TOOLCHAINS / name, install)


def build(destination: Path) -> Path:
    """A new monorepo at `destination`: packages linked from the cache, sources written, the db package's client
    generated and its database migrated and seeded."""
    link_copy(installed(), destination)
    db, web = destination / DB, destination / WEB
    files = {
        db / "prisma" / "schema.prisma": single.SCHEMA,
        db / "prisma.config.ts": single.PRISMA_CONFIG,
        db / ".env": 'DATABASE_URL="file:./dev.db"\n',
        db / "src" / "index.ts": DB_INDEX,
        web / ".env": 'DATABASE_URL="file:../../packages/db/dev.db"\n',
        web / "next.config.ts": NEXT_CONFIG,
        web / "tsconfig.json": json.dumps(single.tsconfig(), indent=2) + "\n",
        web / "src" / "app" / "layout.tsx": single.LAYOUT,
        web / "src" / "app" / "page.tsx": PAGE,
    }
    write_with_database(files, db)
    return destination


def write_with_database(files: dict[Path, str], db: Path) -> None:
    """Write a workspace's files, then its database package `db`: the init migration, its seeded SQLite file and
    the client generated from its schema."""
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (db / "prisma" / "migrations").mkdir()
    (db / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "sqlite"\n')
    single.add_migration(db, "20260101000000_init", single.INIT_SQL)
    with sqlite3.connect(db / "dev.db") as database:
        database.executescript(single.SEED_SQL)
    single.generate(db)
