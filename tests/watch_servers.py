"""Real non-Next dev servers for the repair tests: plain node http + Prisma 6 + SQLite, run by `tsx watch` or
`node --watch` through `npm run dev`, as a user starts them.

The packages (Prisma with the libsql driver adapter, as in `tests/repair_fixtures.py`, which needs no native engine,
and tsx) are installed once into `tests/.cache/toolchains/` by `tests/npm_cache.py`; each test gets a copy whose
`node_modules` is hard-linked to that install, except the generated client (`node_modules/.prisma`), which is a real
copy because `prisma generate` rewrites it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dev_server import DevServer, Response
from tests.npm_cache import TOOLCHAINS, cached, link_packages, run
from tests.repair_fixtures import DEPENDENCIES, PRISMA, SCHEMA, repair_environment

TSX = "4.21.0"
# Answers every path with the users it reads through the generated client; a failure is a 500, logged as Next logs
# it (`GET /users 500 in 3ms`), so that a repair can find the route that failed.
SERVER = """
const http = require('node:http');
const { PrismaClient } = require('@prisma/client');
const { PrismaLibSQL } = require('@prisma/adapter-libsql');
const fields = ['id', 'name'];
const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) });
const select = Object.fromEntries(fields.map((f) => [f, true]));
const server = http.createServer(async (req, res) => {
  const started = Date.now();
  let status = 200;
  let body;
  try {
    body = JSON.stringify(await prisma.user.findMany({ select }));
  } catch (error) {
    console.error(error.message);
    status = 500;
    body = 'error';
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
  console.log(`${req.method} ${req.url} ${status} in ${Date.now() - started}ms`);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`Local: http://localhost:${process.env.PORT}`);
});
"""
# The table as the migrated database has it: with `nickname`, which the schema and the code are about to gain.
CREATE_TABLE = """
const Database = require('@libsql/client');
const db = Database.createClient({ url: 'file:./dev.db' });
(async () => {
  await db.execute('CREATE TABLE "User" (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, nickname TEXT)');
  await db.execute(`INSERT INTO "User" (name, nickname) VALUES ('ada', 'countess')`);
})().catch((e) => { console.error(e.message); process.exit(1); });
"""
DEV_SCRIPTS = {"tsx": "tsx watch server.js", "node --watch": "node --watch server.js"}
READY_TIMEOUT = 60.0


def template() -> Path:
    """The installed, generated project (schema without `nickname`), built on first use."""

    def install(folder: Path) -> None:
        (folder / "prisma").mkdir()
        (folder / "prisma" / "schema.prisma").write_text(SCHEMA)
        package = {"name": "watch-server", "private": True, "dependencies": {**DEPENDENCIES, "tsx": TSX}}
        (folder / "package.json").write_text(json.dumps(package, indent=2))
        run(["npm", "install", "--no-audit", "--no-fund"], folder, env=repair_environment())
        run(["npx", "--no-install", "prisma", "generate"], folder, env=repair_environment())

    return cached(TOOLCHAINS / f"watch-servers-prisma-{PRISMA}-tsx-{TSX}", install)


def project_copy(source: Path, destination: Path, tool: str) -> Path:
    """A copy of the template for `tool` ("tsx" or "node --watch"), its users table made, serving `id` and `name`."""
    destination.mkdir()
    for name in ("prisma", "package.json"):
        copy = shutil.copytree if (source / name).is_dir() else shutil.copy2
        copy(source / name, destination / name)
    link_packages(source, destination)
    package = json.loads((destination / "package.json").read_text())
    package["scripts"] = {"dev": DEV_SCRIPTS[tool]}
    (destination / "package.json").write_text(json.dumps(package, indent=2))
    (destination / "server.js").write_text(SERVER)
    (destination / "create-table.js").write_text(CREATE_TABLE)
    run(["node", "create-table.js"], destination)
    return destination


def add_nickname(project: Path) -> None:
    """The change the incident made: `nickname` in the schema and in the code, no generate."""
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name String\n", "  name String\n  nickname String?\n"))
    server = project / "server.js"
    server.write_text(server.read_text().replace("['id', 'name']", "['id', 'name', 'nickname']"))


class NpmRunDev(DevServer):
    """`npm run dev` in `project`, in its own session, on a free port (its `PORT`), output to `log_file`."""

    @property
    def command(self) -> list[str]:
        return ["npm", "run", "dev"]

    @property
    def environment(self) -> dict[str, str]:
        return {**os.environ, **repair_environment(), "PORT": str(self.port)}

    def users(self) -> Response:
        return self.get("/users")

    def wait_for_status(self, status: int, timeout: float = 30.0) -> int | None:
        """The status of `GET /users` once it is `status` (the watcher restarts the server after a change), else the
        last one seen (None: nothing answered)."""
        deadline = time.monotonic() + timeout
        seen: int | None = None
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                seen = self.users().status
            if seen == status:
                break
            time.sleep(0.3)
        return seen


@pytest.fixture(scope="session")
def watch_template() -> Path:
    return template()


@pytest.fixture
def restarted_groups() -> Iterator[list[int]]:
    """Process groups to kill at teardown: the servers a repair started again (detached, in sessions of their own,
    so the fixture that started the first server does not own them)."""
    groups: list[int] = []
    yield groups
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)
