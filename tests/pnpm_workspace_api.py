"""A real pnpm-workspaces monorepo as trial 7's user laid it out: Prisma 7 in `packages/database` (the `prisma-client`
generator writing into `src/generated/prisma`, `prisma.config.ts` with `env("DATABASE_URL")` loaded by `dotenv/config`,
the package's own `.env`, and `src/index.ts` exporting a client whose libSQL adapter gets an absolute URL in code), and
an HTTP server in `apps/api` under `tsx watch` that imports that package (`workspace:*`). The dev server is started
from the workspace's root (`pnpm --filter api dev`).

Installed once with pnpm into `tests/.cache/toolchains/` (tests/npm_cache.py's pinned pnpm and store, which already
hold these versions) and hard-linked into each copy; the database is made by SQL, as tests/pnpm_next_app.py explains.
"""

from __future__ import annotations

from pathlib import Path

from tests import pnpm_next_app as single
from tests.npm_cache import PNPM_VERSION
from tests.pnpm_workspace_app import installed_workspace, write_with_database
from tests.toolchain import link_copy

TSX = "4.21.0"
DOTENV = "16.6.1"
DATABASE = Path("packages") / "database"
API = Path("apps") / "api"
PACKAGE = "@mono/database"
MANIFESTS: dict[Path, dict[str, object]] = {
    Path(): {
        "name": "mono",
        "private": True,
        "packageManager": f"pnpm@{PNPM_VERSION}",
        "scripts": {"dev": "pnpm --filter api dev"},
    },
    DATABASE: {
        "name": PACKAGE,
        "private": True,
        "type": "module",
        "main": "./src/index.ts",
        "dependencies": {name: single.DEPENDENCIES[name] for name in ("@prisma/adapter-libsql", "@prisma/client")},
        "devDependencies": {"prisma": single.PRISMA, "dotenv": DOTENV, "@types/node": "20.19.43"},
    },
    API: {
        "name": "api",
        "private": True,
        "type": "module",
        "scripts": {"dev": "tsx watch src/index.ts"},
        "dependencies": {PACKAGE: "workspace:*"},
        "devDependencies": {"tsx": TSX},
    },
}
PRISMA_CONFIG = """import "dotenv/config";
import { defineConfig, env } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: env("DATABASE_URL") },
});
"""
# The app's URL is written in code, absolute: the doctor cannot read it from any env file.
DATABASE_INDEX = """import { PrismaLibSql } from "@prisma/adapter-libsql";
import { PrismaClient } from "./generated/prisma/client.ts";

export const prisma = new PrismaClient({ adapter: new PrismaLibSql({ url: "file:%s" }) });
"""
API_SERVER = """import http from "node:http";
import { prisma } from "PACKAGE";

http
  .createServer(async (req, res) => {
    try {
      const users = await prisma.user.findMany();
      res.end(JSON.stringify(users));
    } catch (error) {
      console.error(error);
      res.statusCode = 500;
      res.end("error");
    }
  })
  .listen(0, "127.0.0.1", function (this: http.Server) {
    const address = this.address();
    console.log(`api on http://localhost:${typeof address === "object" && address ? address.port : 0}`);
  });
""".replace("PACKAGE", PACKAGE)


def installed() -> Path:
    """The cached pnpm install of the workspace (its three package.json files), installed on first use."""
    return installed_workspace(MANIFESTS, f"pnpm-workspace-api-tsx-{TSX}-prisma-{single.PRISMA}")


def build(destination: Path) -> Path:
    """A new monorepo at `destination`: packages linked from the cache, sources written, the database package's
    client generated and its database made and seeded."""
    link_copy(installed(), destination)
    database, api = destination / DATABASE, destination / API
    files = {
        database / "prisma" / "schema.prisma": single.SCHEMA,
        database / "prisma.config.ts": PRISMA_CONFIG,
        database / ".env": 'DATABASE_URL="file:./dev.db"\n',
        database / "src" / "index.ts": DATABASE_INDEX % (database / "dev.db"),
        api / "src" / "index.ts": API_SERVER,
    }
    write_with_database(files, database)
    return destination
