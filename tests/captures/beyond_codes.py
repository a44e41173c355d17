"""Capture what Prisma users see beyond Prisma's error codes: TypeScript on a stale client's types, a client that was
never generated (tsc, Turbopack, webpack, Node CJS and ESM), a model delegate the running client lacks, an engine
library that cannot be loaded, and the CLI's `migrate deploy` (P3009) and `db push` refusals.

Prisma 6.17 (the captures' own install, with Next and TypeScript), 5.22 and 7.10 (tests/npm_cache.py's toolchains);
SQLite through @prisma/adapter-libsql where a query must run. Names: `<tool>[-<prisma major>]-<what>`.
Run: `.venv/bin/python tests/captures/beyond_codes.py [name-prefix...]`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from common import ROOT, Project, Terminal, capture_in_terminal, environment, iso_time, run_next_dev, save_capture
from sqlite_node import (
    CLIENT,
    CONFIG,
    GENERATOR,
    USER_V1,
    USER_WITH_NICKNAME,
    add_migration,
    db_env,
    deploy,
    migrated,
)

sys.path.insert(0, str(ROOT))
from tests.npm_cache import tool_environment
from tests.toolchain import toolchain

POST = """
model Post {
  id    Int    @id @default(autoincrement())
  title String
}
"""
# The call site of every TypeScript capture: a field the client may lack, then a model it may lack.
APP_TS = """import { PrismaClient } from "./generated/client";

const prisma = new PrismaClient();

export async function rename(id: number) {
  await prisma.user.update({ where: { id }, data: { nickname: "ada" } });
  const posts = await prisma.post.findMany();
  return posts;
}
"""
TSCONFIG = """{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "ES2022", "module": "commonjs", "skipLibCheck": true,
    "esModuleInterop": true
  },
  "include": ["*.ts"]
}
"""
TSCONFIG_7 = """{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "ES2022", "module": "esnext", "moduleResolution": "bundler",
    "skipLibCheck": true, "typeRoots": [TYPE_ROOTS], "types": ["node"]
  },
  "include": ["*.ts"]
}
"""
DELEGATE_JS = """const { prisma } = require("./db");

async function main() {
  const posts = await prisma.post.findMany();
  console.log(posts);
}
main().catch((e) => { console.error(e); process.exit(1); });
"""
DEFAULT_CLIENT_JS = """const { PrismaClient } = require("@prisma/client");
const prisma = new PrismaClient();
prisma.user.findMany().then(console.log);
"""
TS_GENERATOR_7 = """generator client {
  provider = "prisma-client"
  output   = "../generated/prisma"
}

datasource db {
  provider = "sqlite"
}
"""
ESM_CLIENT_MJS = """import { PrismaClient } from "./generated/prisma/client.js";

const prisma = new PrismaClient();
console.log(await prisma.user.findMany());
"""
APP_7_TS = """import { PrismaClient } from "./generated/prisma/client";

export const prisma = new PrismaClient();
"""
NEXT_PAGE = """import { prisma } from "../lib/prisma";

export const dynamic = "force-dynamic";

export default async function Page() {
  await prisma.user.update({ where: { id: 1 }, data: { nickname: "ada" } });
  return <p>renamed</p>;
}
"""
NEXT_LAYOUT = """export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
"""
NEXT_LIB = """import { PrismaClient } from "../generated/client";

export const prisma = new PrismaClient();
"""
NEXT_TSCONFIG = """{
  "compilerOptions": {
    "target": "ES2017", "lib": ["dom", "dom.iterable", "esnext"], "allowJs": true, "skipLibCheck": true,
    "strict": false, "noEmit": true, "esModuleInterop": true, "module": "esnext", "moduleResolution": "bundler",
    "resolveJsonModule": true, "isolatedModules": true, "jsx": "react-jsx", "incremental": true,
    "plugins": [{ "name": "next" }]
  },
  "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx"],
  "exclude": ["node_modules"]
}
"""


def offline(extra: dict[str, str] | None = None) -> dict[str, str]:
    """tests/npm_cache.py's environment (the engine stand-ins that keep Prisma from downloading), then `extra`."""
    keep = ("PRISMA_SCHEMA_ENGINE_BINARY", "PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_GENERATE_SKIP_AUTOINSTALL")
    environment = tool_environment()
    return {**{k: environment[k] for k in keep}, **(extra or {})}


def record(project: Project, name: str, cmd: list[str], scenario: str, env: dict[str, str], notes: str = "") -> None:
    # A cold `next build` or `tsc` on a loaded machine takes minutes.
    capture_in_terminal(project, name, cmd, env=env, scenario=scenario, notes=notes, timeout=600)


def stale_types_project(label: str, inside_install: bool = False) -> Project:
    """Schema with `User.nickname` and `Post`; the client generated before either was added."""
    project = Project(label, inside_install=inside_install)
    project.write("prisma/schema.prisma", GENERATOR + USER_V1)
    project.run([project.bin("prisma"), "generate"], env=offline(db_env(project)))
    project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME + POST)
    return project


def tsc_stale_client() -> None:
    project = stale_types_project("tsc")
    project.write("app.ts", APP_TS)
    project.write("tsconfig.json", TSCONFIG)
    record(
        project,
        "tsc-stale-client-types",
        [project.bin("tsc"), "--noEmit", "-p", "."],
        "tsc --noEmit in a terminal (its pretty output): the schema gained User.nickname and Post after the client "
        "was generated; app.ts sets nickname and reads prisma.post.",
        offline(),
    )


def tsc_typo() -> None:
    """A client generated from the schema it is checked against, and code that misspells a field and a model."""
    project = Project("tsc-typo")
    project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME + POST)
    project.run([project.bin("prisma"), "generate"], env=offline(db_env(project)))
    project.write("app.ts", APP_TS.replace("{ nickname:", "{ nicknam:").replace("prisma.post.", "prisma.posts."))
    project.write("tsconfig.json", TSCONFIG)
    record(
        project,
        "tsc-typo-field-and-model",
        [project.bin("tsc"), "--noEmit", "--pretty", "false", "-p", "."],
        "tsc --noEmit --pretty false: the client is generated from the schema; app.ts misspells User.nickname as "
        "nicknam and prisma.post as prisma.posts.",
        offline(),
    )


def tsc_7_stale_client() -> None:
    """Prisma 7.10's `prisma-client` generator (TypeScript sources, no schema copy beside them), generated before
    User.nickname and Post were added to the schema."""
    project = Project("tsc7-stale", modules=toolchain("npm", "7.10.0"))
    project.write("prisma/schema.prisma", TS_GENERATOR_7 + USER_V1)
    project.run([project.bin("prisma"), "generate"], env=offline())
    project.write("prisma/schema.prisma", TS_GENERATOR_7 + USER_WITH_NICKNAME + POST)
    project.write(
        "app.ts",
        APP_TS.replace('"./generated/client"', '"./generated/prisma/client"').replace(
            "new PrismaClient()", "new PrismaClient({} as never)"
        ),
    )
    types = json.dumps(str(Path(Project.shared_bin("tsc")).parents[1] / "@types"))
    project.write("tsconfig.json", TSCONFIG_7.replace("TYPE_ROOTS", types))
    capture_in_terminal(
        project,
        "tsc-7-stale-client-types",
        [Project.shared_bin("tsc"), "--noEmit", "--pretty", "false", "-p", "."],
        env=offline(),
        timeout=600,
        scenario="tsc --noEmit --pretty false on Prisma 7.10's prisma-client output, generated before the schema "
        "gained User.nickname and Post; app.ts sets nickname and reads prisma.post.",
        notes="TypeScript 5.9 and @types/node from the captures' install; Prisma 7.10 from tests/npm_cache.py's npm "
        "toolchain. The client keeps no schema copy: the sidecar's client schema is the one it was generated from.",
        built_from={"generated/prisma": TS_GENERATOR_7 + USER_V1},
    )


def tsc_7_client_not_generated() -> None:
    modules = toolchain("npm", "7.10.0")
    project = Project("tsc7", modules=modules)
    project.write("prisma/schema.prisma", TS_GENERATOR_7 + USER_V1)
    project.write("app.ts", APP_7_TS)
    project.write("tsconfig.json", TSCONFIG)
    tsc = Project.shared_bin("tsc")
    record(
        project,
        "tsc-7-client-not-generated",
        [tsc, "--noEmit", "--pretty", "false", "-p", "."],
        "tsc --noEmit --pretty false (as CI runs it), Prisma 7.10's prisma-client generator, never generated.",
        offline(),
        notes="TypeScript 5.9 from the captures' install; Prisma 7.10 from tests/npm_cache.py's npm toolchain.",
    )


def node_7_esm_client_not_generated() -> None:
    project = Project("esm7", modules=toolchain("npm", "7.10.0"))
    project.write("prisma/schema.prisma", TS_GENERATOR_7 + USER_V1)
    project.write("main.mjs", ESM_CLIENT_MJS)
    record(
        project,
        "node-7-esm-client-not-generated",
        ["node", "main.mjs"],
        "An ES module imports Prisma 7.10's generated client (./generated/prisma/client.js), never generated.",
        offline(),
    )


def node_5_default_client_missing() -> None:
    project = Project("cjs5", modules=toolchain("npm", "5.22.0"))
    project.write(
        "prisma/schema.prisma",
        GENERATOR.replace('  engineType = "client"\n', "").replace('  output     = "../generated/client"\n', "")
        + USER_V1,
    )
    project.write("main.js", DEFAULT_CLIENT_JS)
    record(
        project,
        "node-5-default-client-missing",
        ["node", "main.js"],
        "require('@prisma/client') (Prisma 5.22) in an install made with --ignore-scripts, so the postinstall never "
        "wrote node_modules/.prisma/client and `prisma generate` never ran.",
        offline(),
    )


def node_5_engine(broken_library: bool) -> None:
    """Prisma 5.22's library engine at the client's output: absent (generated offline, so never copied there), or a
    file that is no library (a corrupt or half-downloaded engine, as an antivirus or a full disk leaves it)."""
    project = Project("engine5", modules=toolchain("npm", "5.22.0"))
    project.write("prisma/schema.prisma", GENERATOR.replace('  engineType = "client"\n', "") + USER_V1)
    project.write("main.js", DEFAULT_CLIENT_JS.replace('"@prisma/client"', '"./generated/client"'))
    env = offline(db_env(project))
    project.run([project.bin("prisma"), "generate"], env=env)
    if broken_library:
        project.write("generated/client/libquery_engine-debian-openssl-3.0.x.so.node", "not an ELF file\n")
    record(
        project,
        f"node-5-engine-{'library-invalid' if broken_library else 'not-found'}",
        ["node", "main.js"],
        "Prisma 5.22's client (library engine) runs its first query; "
        + (
            "the engine file at the client's output holds 16 bytes of text instead of the library."
            if broken_library
            else "`prisma generate` ran offline, so no engine was copied beside the client."
        ),
        {"DATABASE_URL": env["DATABASE_URL"]},
    )


def node_undefined_delegate() -> None:
    project = Project("delegate")
    project.write("main.js", DELEGATE_JS)
    migrated(project, USER_V1)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    project.write("prisma/schema.prisma", GENERATOR + USER_V1 + POST)
    add_migration(project, "post", USER_V1, USER_V1 + POST)
    deploy(project)
    record(
        project,
        "node-undefined-delegate-stale-client",
        ["node", "main.js"],
        "Post added to the schema and migrated, the client not generated again; main.js calls prisma.post.findMany().",
        db_env(project),
    )


def next_build(label: str, name: str, generated: bool, webpack: bool, scenario: str) -> None:
    project = stale_types_project(label, inside_install=True) if generated else Project(label, inside_install=True)
    if not generated:
        project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME)
    project.write("lib/prisma.ts", NEXT_LIB)
    project.write("app/page.tsx", NEXT_PAGE)
    project.write("app/layout.tsx", NEXT_LAYOUT)
    project.write("next.config.ts", "const nextConfig = {};\nexport default nextConfig;\n")
    project.write("tsconfig.json", NEXT_TSCONFIG)
    cmd = [project.bin("next"), "build", *(["--webpack"] if webpack else [])]
    record(project, name, cmd, scenario, {"DATABASE_URL": "file:./dev.db", "FORCE_COLOR": "1"})


def next_build_stale_types() -> None:
    next_build(
        "nextbuild-types",
        "next-build-stale-client-types",
        True,
        False,
        "next build (Turbopack) type-checks app/page.tsx, which sets User.nickname; the schema has it, the client "
        "was generated before it was added.",
    )


def next_build_turbopack_not_generated() -> None:
    next_build(
        "nextbuild-turbo",
        "next-build-turbopack-client-not-generated",
        False,
        False,
        "next build (Turbopack): lib/prisma.ts imports ../generated/client, which `prisma generate` never wrote.",
    )


def next_build_webpack_not_generated() -> None:
    next_build(
        "nextbuild-webpack",
        "next-build-webpack-client-not-generated",
        False,
        True,
        "next build --webpack: lib/prisma.ts imports ../generated/client, which `prisma generate` never wrote.",
    )


SINGLETON_LIB = """import { PrismaClient } from "../generated/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

export const prisma =
  globalForPrisma.prisma ??
  new PrismaClient({ adapter: new PrismaLibSQL({ url: process.env.DATABASE_URL! }) });

if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
"""
USERS_PAGE = """import { prisma } from "../lib/prisma";

export const dynamic = "force-dynamic";

export default async function Page() {
  const users = await prisma.user.findMany();
  return <p>{users.length} users</p>;
}
"""
POSTS_PAGE = """import { prisma } from "../../lib/prisma";

export const dynamic = "force-dynamic";

export default async function Posts() {
  const posts = await prisma.post.findMany();
  return <p>{posts.length} posts</p>;
}
"""


def next_app(label: str) -> Project:
    """An App Router app on SQLite (libsql) whose `lib/prisma.ts` keeps its client on `globalThis`, migrated, its
    client not yet generated."""
    project = Project(label, inside_install=True)
    project.write("prisma/schema.prisma", GENERATOR + USER_V1)
    project.write("prisma.config.ts", CONFIG)
    root = json.dumps(str(project.modules.resolve()))
    for relative, text in {
        "lib/prisma.ts": SINGLETON_LIB,
        "app/page.tsx": USERS_PAGE,
        "app/layout.tsx": NEXT_LAYOUT,
        # The install folder is the root Turbopack watches and resolves in (else it infers one from lockfiles above).
        "next.config.ts": f"const nextConfig = {{ turbopack: {{ root: {root} }} }};\nexport default nextConfig;\n",
        "tsconfig.json": NEXT_TSCONFIG,
    }.items():
        project.write(relative, text)
    add_migration(project, "init", "", USER_V1)
    deploy(project)
    return project


def get(port: int, path: str) -> int:
    """The HTTP status of a GET, retried while the dev server has not seen the page yet (404)."""
    status = 404
    for _ in range(30):
        try:
            status = urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=180).status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != 404:
            break
        time.sleep(2)
    return status


def next_dev_capture(
    project: Project,
    name: str,
    flags: list[str],
    steps: Callable[[Terminal, int, dict[str, object]], int],
    expected: bytes,
    scenario: str,
) -> None:
    """`next dev` on the project's SQLite database, driven by `steps` (see `run_next_dev`), saved as `name`."""
    run = run_next_dev(project, flags, db_env(project), steps, expected)
    save_capture(
        name,
        run.output,
        command=run.command,
        exit_code=run.exit_code,
        project=project,
        scenario=f"{scenario} (HTTP {run.status}). Stopped with Ctrl-C.",
        notes="SQLite through @prisma/adapter-libsql; FORCE_COLOR=1 as in a terminal.",
        extra=run.extra,
        said=f", HTTP {run.status}",
    )


def next_dev_stale_singleton() -> None:
    """`next dev` keeps the client it created first on `globalThis` (the singleton Prisma's docs recommend): Post is
    added to the schema, migrated and generated while the server runs, and a new page reads `prisma.post`."""
    project = next_app("nextdev-singleton")
    env = db_env(project)
    project.run([project.bin("prisma"), "generate"], env=env)

    def steps(terminal: Terminal, port: int, extra: dict[str, object]) -> int:
        get(port, "/")  # creates the singleton
        project.write("prisma/schema.prisma", GENERATOR + USER_V1 + POST)
        add_migration(project, "post", USER_V1, USER_V1 + POST)
        deploy(project)
        project.run([project.bin("prisma"), "generate"], env=env)
        extra["client_generated_at"] = iso_time((project.root / "generated" / "client" / "index.js").stat().st_mtime)
        project.write("app/posts/page.tsx", POSTS_PAGE)
        return get(port, "/posts")

    next_dev_capture(
        project,
        "next-dev-undefined-delegate-stale-singleton",
        [],
        steps,
        b"reading 'findMany'",
        "next dev (Turbopack) created its client on globalThis; Post was then added to the schema, migrated and "
        "generated while it ran, and a new page /posts reads prisma.post",
    )


def next_dev_not_generated(webpack: bool) -> None:
    """A fresh checkout: `next dev` before `prisma generate`, so `../generated/client` does not exist."""
    bundler = "webpack" if webpack else "turbopack"
    project = next_app(f"nextdev-{bundler}")
    next_dev_capture(
        project,
        f"next-dev-{bundler}-client-not-generated",
        ["--webpack"] if webpack else [],
        lambda terminal, port, extra: get(port, "/"),
        b"Module not found",
        f"next dev ({'webpack' if webpack else 'Turbopack'}) in a checkout where `prisma generate` never ran: "
        "lib/prisma.ts imports ../generated/client; / is requested",
    )


def migrate_cli() -> None:
    """`migrate deploy` after a failed migration (P3009), and `db push` refusing to drop a column with data."""
    project = Project("migrate")
    project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME)
    project.write("prisma.config.ts", CONFIG)
    add_migration(project, "init", "", USER_WITH_NICKNAME)
    project.write("prisma/migrations/0002_broken/migration.sql", 'ALTER TABLE "Nope" ADD COLUMN "x" TEXT;\n')
    env = db_env(project)
    project.run([project.bin("prisma"), "migrate", "deploy"], env=env, check=False)
    record(
        project,
        "sqlite-migrate-deploy-p3009",
        [project.bin("prisma"), "migrate", "deploy"],
        "prisma migrate deploy again after the migration 0002_broken failed (it is recorded as failed).",
        env,
    )
    pushed = Project("push")
    pushed.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME)
    pushed.write("prisma.config.ts", CONFIG)
    pushed.run([pushed.bin("prisma"), "db", "push", "--skip-generate"], env=db_env(pushed))
    pushed.write(
        "insert.js",
        CLIENT + 'prisma.user.create({ data: { email: "a@example.com", nickname: "ada" } }).then(console.log);\n',
    )
    pushed.run([pushed.bin("prisma"), "generate"], env=db_env(pushed))
    pushed.run(["node", "insert.js"], env=db_env(pushed))
    pushed.write("prisma/schema.prisma", GENERATOR + USER_V1)
    record_without_terminal(
        pushed,
        "sqlite-db-push-data-loss",
        [pushed.bin("prisma"), "db", "push", "--skip-generate"],
        "prisma db push of a schema without User.nickname while a row has a nickname: Prisma refuses to lose the data.",
        db_env(pushed),
    )


def migrate_dev() -> None:
    """`migrate dev` on a database that drifted from its migrations (it wants a reset), and on a migration that fails
    on the shadow database (P3006). The database is first made by `migrate deploy`: on an empty one, the WebAssembly
    schema engine of 6.17 stops at `no such table: _prisma_migrations` before it diagnoses anything."""
    project = Project("migratedev")
    project.write("prisma/schema.prisma", GENERATOR + USER_V1)
    project.write("prisma.config.ts", CONFIG)
    add_migration(project, "init", "", USER_V1)
    deploy(project)
    env = offline(db_env(project))
    with sqlite3.connect(project.root / "dev.db") as database:
        database.execute('CREATE TABLE "Extra" (id INTEGER PRIMARY KEY)')
    command = [project.bin("prisma"), "migrate", "dev", "--name", "second"]
    record_without_terminal(
        project,
        "sqlite-migrate-dev-drift-reset",
        command,
        "prisma migrate dev after a table was created in the database by hand: drift, and the reset it asks for.",
        env,
    )
    with sqlite3.connect(project.root / "dev.db") as database:
        database.execute('DROP TABLE "Extra"')
    project.write("prisma/migrations/0002_broken/migration.sql", 'ALTER TABLE "Nope" ADD COLUMN "x" TEXT;\n')
    record_without_terminal(
        project,
        "sqlite-migrate-dev-p3006-shadow",
        command,
        "prisma migrate dev with a migration whose SQL fails on a fresh (shadow) database: P3006.",
        env,
    )


def record_without_terminal(project: Project, name: str, cmd: list[str], scenario: str, env: dict[str, str]) -> None:
    """Without a terminal, as CI and scripts run it: under one, Prisma would ask and wait for an answer."""
    done = subprocess.run(
        cmd, cwd=project.root, env=environment(env), stdin=subprocess.DEVNULL, capture_output=True, timeout=300
    )
    save_capture(
        name,
        done.stdout + done.stderr,
        command=cmd,
        exit_code=done.returncode,
        project=project,
        scenario=scenario + " Run without a terminal (as CI runs it).",
        notes="stdout then stderr, each as printed.",
    )


CAPTURES: dict[str, Callable[[], None]] = {
    "tsc-stale-client-types": tsc_stale_client,
    "tsc-7-client-not-generated": tsc_7_client_not_generated,
    "tsc-typo-field-and-model": tsc_typo,
    "tsc-7-stale-client-types": tsc_7_stale_client,
    "node-7-esm-client-not-generated": node_7_esm_client_not_generated,
    "node-5-default-client-missing": node_5_default_client_missing,
    "node-5-engine-not-found": lambda: node_5_engine(broken_library=False),
    "node-5-engine-library-invalid": lambda: node_5_engine(broken_library=True),
    "node-undefined-delegate-stale-client": node_undefined_delegate,
    "next-build-stale-client-types": next_build_stale_types,
    "next-build-turbopack-client-not-generated": next_build_turbopack_not_generated,
    "next-build-webpack-client-not-generated": next_build_webpack_not_generated,
    "next-dev-undefined-delegate-stale-singleton": next_dev_stale_singleton,
    "next-dev-turbopack-client-not-generated": lambda: next_dev_not_generated(webpack=False),
    "next-dev-webpack-client-not-generated": lambda: next_dev_not_generated(webpack=True),
    "sqlite-migrate": migrate_cli,
    "sqlite-migrate-dev": migrate_dev,
}


def main() -> int:
    wanted = sys.argv[1:]
    for name, make in CAPTURES.items():
        if not wanted or any(name.startswith(prefix) for prefix in wanted):
            make()
    return 0


if __name__ == "__main__":
    sys.exit(main())
