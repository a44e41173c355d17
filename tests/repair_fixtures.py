"""Real Prisma 6.17 projects for the repair tests, installed once into tests/.cache and copied per test.

Two layouts of the same project: npm (`node_modules/.prisma/client`) and pnpm 10 (`node_modules/.pnpm/...`).
The generator uses `engineType = "client"` with the libsql driver adapter: Prisma's native engines are
downloaded from binaries.prisma.sh, which is unreachable here, and this combination needs none of them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"
PRISMA = "6.17.1"
PNPM = "10.34.9"
DEPENDENCIES = {
    "prisma": PRISMA,
    "@prisma/client": PRISMA,
    "@prisma/adapter-libsql": PRISMA,
    "@libsql/client": "0.8.1",
}
SCHEMA = """generator client {
  provider   = "prisma-client-js"
  engineType = "client"
}

datasource db {
  provider = "sqlite"
  url      = "file:./dev.db"
}

model User {
  id   Int    @id @default(autoincrement())
  name String
}
"""
# Creates the table, writes and reads a row through the generated client and the driver adapter.
QUERY_SCRIPT = """
const { PrismaClient } = require('@prisma/client');
const { PrismaLibSQL } = require('@prisma/adapter-libsql');
const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) });
const fields = process.argv.slice(2);
(async () => {
  await prisma.$executeRawUnsafe('DROP TABLE IF EXISTS "User"');
  const extra = fields.map((f) => `, "${f}" TEXT`).join('');
  const columns = `id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL${extra}`;
  await prisma.$executeRawUnsafe(`CREATE TABLE "User" (${columns})`);
  const data = { name: 'ada' };
  for (const f of fields) data[f] = 'x';
  await prisma.user.create({ data });
  console.log('users:', await prisma.user.count());
  await prisma.$disconnect();
})().catch((e) => { console.error(e.message); process.exit(1); });
"""


def repair_environment() -> dict[str, str]:
    """Variables every repair test runs with (see the module docstring for why)."""
    return {
        # The Prisma CLI insists on downloading its schema engine for `generate` unless one is named; generate
        # with engineType "client" never runs it, so any existing file will do.
        "PRISMA_SCHEMA_ENGINE_BINARY": sys.executable,
        "PRISMA_HIDE_UPDATE_MESSAGE": "1",
        "PATH": f"{pnpm_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def pnpm_bin() -> Path:
    return CACHE / f"pnpm-{PNPM}" / "node_modules" / ".bin"


@contextmanager
def _cache_lock(name: str):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    full_env = {**os.environ, **repair_environment(), **(env or {})}
    done = subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{done.stdout}\n{done.stderr}")


def ensure_pnpm() -> Path:
    target = CACHE / f"pnpm-{PNPM}"
    with _cache_lock("pnpm"):
        if not (target / "node_modules" / ".bin" / "pnpm").exists():
            target.mkdir(parents=True, exist_ok=True)
            _run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(target), f"pnpm@{PNPM}"], target)
    return pnpm_bin() / "pnpm"


def template(manager: str) -> Path:
    """The installed, generated project for `manager` ("npm" or "pnpm"), built on first use."""
    folder = CACHE / f"repair-prisma-{PRISMA}-{manager}"
    with _cache_lock(f"repair-{manager}"):
        if (folder / ".ready").exists():
            return folder
        if manager == "pnpm":
            ensure_pnpm()
        building = folder.with_name(folder.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        (building / "prisma").mkdir(parents=True)
        (building / "prisma" / "schema.prisma").write_text(SCHEMA)
        (building / "query.js").write_text(QUERY_SCRIPT)
        package = {"name": f"repair-{manager}", "private": True, "dependencies": DEPENDENCIES}
        if manager == "pnpm":
            # The store stays in the cache so that a reinstall in a test copy needs no download.
            package["packageManager"] = f"pnpm@{PNPM}"
            (building / ".npmrc").write_text(f"store-dir={CACHE / 'pnpm-store'}\n")
            (building / "package.json").write_text(json.dumps(package, indent=2))
            _run([str(pnpm_bin() / "pnpm"), "install"], building)
            _run([str(pnpm_bin() / "pnpm"), "exec", "prisma", "generate"], building)
        else:
            (building / "package.json").write_text(json.dumps(package, indent=2))
            _run(["npm", "install", "--no-audit", "--no-fund"], building)
            _run(["npx", "--no-install", "prisma", "generate"], building)
        (building / ".ready").write_text("")
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)
    return folder


def project_copy(manager: str, destination: Path) -> Path:
    """A fresh copy of the template: links copied as links, as pnpm laid them out (they are relative)."""
    source = template(manager)
    shutil.copytree(source, destination, symlinks=True, ignore=shutil.ignore_patterns(".ready"))
    return destination


def run_query(project: Path, *fields: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **repair_environment()}
    return subprocess.run(
        ["node", "query.js", *fields], cwd=project, env=env, capture_output=True, text=True, timeout=120
    )


def add_field(project: Path, field: str) -> None:
    schema = project / "prisma" / "schema.prisma"
    text = schema.read_text()
    schema.write_text(text.replace("  name String\n", f"  name String\n  {field} String?\n"))
