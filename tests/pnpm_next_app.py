"""A real pnpm + Next 16 + Prisma 7 project, as `create-next-app` and Prisma 7's guide lay it out: the `prisma-client`
generator writes TypeScript into `src/generated/prisma`, the app lives in `src/app`, SQLite is reached through the
libSQL driver adapter, and `prisma.config.ts` holds the database URL (Prisma 7 reads no `.env` itself).

The packages are installed once with pnpm (`tests/npm_cache.py`'s pinned pnpm and store) into
`tests/.cache/toolchains/`; a project is that install hard-linked (`tests/toolchain.py`'s `link_copy`: pnpm's
relative links kept as links, its bookkeeping copied) with the sources below written beside it and its client
generated. A test module builds one project and copies it per test the same way.

Migrations: Prisma 7's `migrate` runs the native schema engine, which Prisma downloads from its own server, and this
machine reaches none but the package registries. So the database is migrated here as `prisma migrate deploy`
leaves it: each migration's SQL applied, and its row (name, SHA-256 checksum, times, steps) written to
`_prisma_migrations`, the table Prisma and the doctor read.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import re
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

from tests.dev_server import DevServer
from tests.npm_cache import PNPM_VERSION, TOOLCHAINS, cached, pnpm_bin, pnpm_command, pnpm_folders, pnpm_store, run
from tests.repair_fixtures import repair_environment
from tests.toolchain import link_copy

PRISMA = "7.10.0"
NEXT = "16.4.5"
DEPENDENCIES = {
    "@prisma/adapter-libsql": PRISMA,
    "@prisma/client": PRISMA,
    "next": NEXT,
    "react": "19.2.9",
    "react-dom": "19.2.9",
}
DEV_DEPENDENCIES = {
    "@types/node": "20.19.43",
    "@types/react": "19.2.6",
    "prisma": PRISMA,
    "typescript": "5.9.3",
}
SCHEMA = """generator client {
  provider = "prisma-client"
  output   = "../src/generated/prisma"
}

datasource db {
  provider = "sqlite"
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  name  String
  role  Role   @default(READER)
}

enum Role {
  READER
  WRITER
}
"""
INIT_SQL = """CREATE TABLE "User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'READER'
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
"""
SEED_SQL = """INSERT INTO "User" ("email", "name", "role") VALUES ('ada@example.com', 'Ada', 'WRITER');
INSERT INTO "User" ("email", "name", "role") VALUES ('grace@example.com', 'Grace', 'READER');
"""
NICKNAME_SQL = 'ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n'
NICKNAME_MIGRATION = "20260102000000_add_nickname"
# Prisma 7 loads no .env: the config reads it, as Prisma's guide does with dotenv.
PRISMA_CONFIG = """import path from "node:path";
import { defineConfig, env } from "prisma/config";

process.loadEnvFile(path.join(__dirname, ".env"));

export default defineConfig({
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  datasource: { url: env("DATABASE_URL") },
});
"""
# Prisma's recommended singleton, which is also why a running `next dev` keeps the client it loaded first.
PRISMA_MODULE = """import { PrismaLibSql } from "@prisma/adapter-libsql";
import { PrismaClient } from "@/generated/prisma/client";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma =
  globalForPrisma.prisma ??
  new PrismaClient({ adapter: new PrismaLibSql({ url: process.env.DATABASE_URL ?? "file:./dev.db" }) });

if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
"""
# The page: the users with the fields it selects, and every value of the generated enum.
PAGE = """import { prisma } from "@/lib/prisma";
import { Role } from "@/generated/prisma/enums";

export const dynamic = "force-dynamic";

export default async function UsersPage() {
  const users = await prisma.user.findMany({ select: { id: true, name: true, role: true }, orderBy: { id: "asc" } });
  return (
    <main>
      <p id="roles">{Object.values(Role).join(",")}</p>
      <pre id="users">{JSON.stringify(users)}</pre>
    </main>
  );
}
"""
LAYOUT = """export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
"""
# The bundled example's TypeScript settings, its `@/` alias pointing into `src/` as create-next-app's `--src-dir` does.
EXAMPLE_TSCONFIG = Path(__file__).resolve().parents[1] / "examples" / "next-prisma-app" / "tsconfig.json"


def environment() -> dict[str, str]:
    """What every command on the project runs with: the repair tests' variables (pnpm on the PATH), no telemetry."""
    return {**os.environ, **repair_environment(), "NEXT_TELEMETRY_DISABLED": "1"}


def tsconfig() -> dict[str, Any]:
    settings = json.loads(EXAMPLE_TSCONFIG.read_text())
    # Next adds `allowJs` to a tsconfig without it, rewriting the file at its first start.
    settings["compilerOptions"] |= {"allowJs": True, "paths": {"@/*": ["./src/*"]}}
    return settings


def pnpm_path() -> str:
    """pnpm as the doctor finds it on `environment()`'s PATH: the program its plans name."""
    return str(pnpm_bin() / "pnpm")


def _manifest() -> dict[str, object]:
    return {
        "name": "pnpm-next-prisma7",
        "private": True,
        "packageManager": f"pnpm@{PNPM_VERSION}",
        "scripts": {"dev": "next dev", "generate": "prisma generate"},
        "dependencies": DEPENDENCIES,
        "devDependencies": DEV_DEPENDENCIES,
    }


def npmrc() -> str:
    # The tests' store and metadata cache, so that a reinstall in a copy (the repair's `pnpm install`) needs no
    # download.
    return "".join(option.removeprefix("--") + "\n" for option in pnpm_folders())


def installed() -> Path:
    """The cached pnpm install of the project's packages, installed on first use."""

    def install(folder: Path) -> None:
        (folder / "package.json").write_text(json.dumps(_manifest(), indent=2) + "\n")
        (folder / ".npmrc").write_text(npmrc())
        pnpm_store().mkdir(parents=True, exist_ok=True)
        run([*pnpm_command(), "install", "--ignore-scripts", "--no-frozen-lockfile"], folder, env=environment())

    return cached(TOOLCHAINS / f"pnpm-next-{NEXT}-prisma-{PRISMA}", install)


def build(destination: Path) -> Path:
    """A new project at `destination`: packages linked from the cache, sources written, client generated, the
    database migrated and seeded."""
    link_copy(installed(), destination)
    files = {
        "prisma/schema.prisma": SCHEMA,
        "prisma.config.ts": PRISMA_CONFIG,
        ".env": 'DATABASE_URL="file:./dev.db"\n',
        ".gitignore": "node_modules\n.next\n/src/generated/prisma\ndev.db\n",
        "next.config.ts": 'import type { NextConfig } from "next";\n\nexport default {} satisfies NextConfig;\n',
        "tsconfig.json": json.dumps(tsconfig(), indent=2) + "\n",
        "src/lib/prisma.ts": PRISMA_MODULE,
        "src/app/layout.tsx": LAYOUT,
        "src/app/page.tsx": PAGE,
    }
    for name, text in files.items():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        (destination / name).write_text(text)
    (destination / "prisma" / "migrations").mkdir()
    (destination / "prisma" / "migrations" / "migration_lock.toml").write_text('provider = "sqlite"\n')
    add_migration(destination, "20260101000000_init", INIT_SQL)
    with sqlite3.connect(destination / "dev.db") as database:
        database.executescript(SEED_SQL)
    generate(destination)
    return destination


def copy(source: Path, destination: Path) -> Path:
    """A copy of a built project: package files hard-linked, everything else (sources, client, database) copied."""
    link_copy(source, destination)
    return destination


def generate(project: Path) -> str:
    """`pnpm exec prisma generate`, as the user runs it."""
    return run(["pnpm", "exec", "prisma", "generate"], project, env=environment())


def add_migration(project: Path, name: str, sql: str, *, applied: bool = True) -> None:
    """A migration in the folder; when `applied`, run on the database and recorded as `prisma migrate deploy` does."""
    folder = project / "prisma" / "migrations" / name
    folder.mkdir(parents=True)
    (folder / "migration.sql").write_text(sql)
    if not applied:
        return
    with sqlite3.connect(project / "dev.db") as database:
        database.execute(
            'CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL,'
            ' "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,'
            ' "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT'
            " NULL DEFAULT 0)"
        )
        database.executescript(sql)
        now = int(time.time() * 1000)
        database.execute(
            'INSERT INTO "_prisma_migrations" VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)',
            (str(uuid.uuid4()), hashlib.sha256(sql.encode()).hexdigest(), now, name, now),
        )


def edit(project: Path, path: str, old: str, new: str) -> None:
    """Replace `old` in a file of the project, which must hold it."""
    file = project / path
    text = file.read_text()
    if old not in text:
        raise AssertionError(f"{path} has no {old!r}:\n{text}")
    file.write_text(text.replace(old, new, 1))


def add_nickname(project: Path, *, migrated: bool, app: Path | None = None) -> None:
    """`nickname` in the schema and in the page's query (of `app`, by default the project), as a person adds a field
    (nothing generated), with its migration; when `migrated`, applied (as Prisma 7's `migrate dev`, which no longer
    generates, leaves it) and Ada's nickname set."""
    edit(project, "prisma/schema.prisma", "  name  String\n", "  name  String\n  nickname String?\n")
    edit(app or project, "src/app/page.tsx", "role: true }", "role: true, nickname: true }")
    add_migration(project, NICKNAME_MIGRATION, NICKNAME_SQL, applied=migrated)
    if migrated:
        with sqlite3.connect(project / "dev.db") as database:
            database.execute("UPDATE \"User\" SET nickname = 'countess' WHERE email = 'ada@example.com'")


def users(server: DevServer) -> list[dict[str, Any]]:
    """The users the page shows; the page must answer 200."""
    page = server.get("/")
    found = re.search(r'<pre id="users">([^<]*)</pre>', page.body)
    assert page.status == 200 and found is not None, page.body[-3000:]
    return json.loads(html.unescape(found.group(1)))


def roles(server: DevServer) -> list[str]:
    """The values of the `Role` enum the page shows; the page must answer 200."""
    page = server.get("/")
    found = re.search(r'<p id="roles">([^<]*)</p>', page.body)
    assert page.status == 200 and found is not None, page.body[-3000:]
    return found.group(1).split(",")


def next_log(app: Path, holding: str, timeout: float = 30.0) -> Path:
    """Next 16's own dev log of `app`, once it holds `holding`: Next writes it as it goes, so a failure's record may
    come a moment after the failed answer."""
    log = app / ".next" / "dev" / "logs" / "next-development.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if holding in log.read_text(errors="replace"):
                break
        time.sleep(0.2)
    return log


class PnpmDev(DevServer):
    """`pnpm run dev` (Next 16's `next dev`, Turbopack) in the project, on a free port, as a person starts it."""

    @property
    def command(self) -> list[str]:
        return ["pnpm", "run", "dev", "--port", str(self.port)]

    @property
    def environment(self) -> dict[str, str]:
        return environment()

    def wait_for_status(self, status: int, path: str = "/", timeout: float = 60.0) -> int | None:
        """The status of `GET path` once it is `status` (a recompile may take a moment), else the last one seen."""
        deadline = time.monotonic() + timeout
        seen: int | None = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                seen = self.get(path).status
            if seen == status:
                break
            time.sleep(0.5)
        return seen
