"""Real non-Next dev servers for the repair tests: an app on Prisma 6 + SQLite served by plain node http under
`tsx watch` or `node --watch`, or as Vite's dev server middleware, each through `npm run dev` as a user starts it;
or by a command that watches nothing (`tsx server.js`, `node server.js`), which only `prisma-doctor run` makes known.

The packages (Prisma with the libsql driver adapter, as in `tests/repair_fixtures.py`, which needs no native engine,
tsx and Vite) are installed once into `tests/.cache/toolchains/` by `tests/npm_cache.py`; each test gets a copy whose
`node_modules` is hard-linked to that install, except the generated client (`node_modules/.prisma`), which is a real
copy because `prisma generate` rewrites it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dev_server import DevServer, Response
from tests.helpers import DOCTOR, doctor_environment
from tests.npm_cache import TOOLCHAINS, cached, link_packages, run
from tests.repair_fixtures import DEPENDENCIES, PRISMA, SCHEMA, repair_environment

TSX = "4.21.0"
VITE = "6.4.1"
# Answers every path with the users it reads through the generated client; a failure is a 500, logged as Next logs
# it (`GET /users 500 in 3ms`), so that a repair can find the route that failed.
APP = """
const { PrismaClient } = require('@prisma/client');
const { PrismaLibSQL } = require('@prisma/adapter-libsql');
const answering = (read) => async (req, res) => {
  const started = Date.now();
  let status = 200;
  let body;
  try {
    body = JSON.stringify(await read());
  } catch (error) {
    console.error(error.message);
    status = 500;
    body = 'error';
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
  console.log(`${req.method} ${req.url} ${status} in ${Date.now() - started}ms`);
};
module.exports = (fields) => {
  const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) });
  const select = Object.fromEntries(fields.map((f) => [f, true]));
  return answering(() => prisma.user.findMany({ select }));
};
// A handler that answers with what another read returns (Vite's SSR module's).
module.exports.answering = answering;
"""
# The code that names the fields, and so the file the change edits: a plain node server, or Vite's config with the
# app as its middleware (a config change makes Vite restart its server in the same process, old client and all).
ENTRIES = {
    "server.js": """
const http = require('node:http');
const app = require('./app.js');
http.createServer(app(['id', 'name'])).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`Local: http://localhost:${process.env.PORT}`);
});
""",
    # A worker that listens nowhere: it reads the users once at start, and says so.
    "worker.js": """
const app = require('./app.js');
const answer = { writeHead: () => {}, end: (body) => console.log(`worker up: ${body}`) };
app(['id', 'name'])({ method: 'RUN', url: 'worker' }, answer);
setInterval(() => {}, 1000);
""",
    "vite.config.mjs": """
import { createRequire } from 'node:module';
const app = createRequire(import.meta.url)('./app.js');
export default {
  server: { port: Number(process.env.PORT), strictPort: true, host: '127.0.0.1' },
  plugins: [{ name: 'users', configureServer: (server) => { server.middlewares.use(app(['id', 'name'])); } }],
};
""",
}
DEV_SCRIPTS = {
    "tsx": ("tsx watch server.js", "server.js"),
    "tsx worker": ("tsx watch worker.js", "worker.js"),
    "node --watch": ("node --watch server.js", "server.js"),
    "vite": ("vite", "vite.config.mjs"),
    # No watcher: no known kind of dev server, so only `prisma-doctor run` running it says it is one.
    "tsx without watch": ("tsx server.js", "server.js"),
    "node": ("node server.js", "server.js"),
}
# Vite's own SSR, as SvelteKit and React Router load their routes: the app's module is loaded through Vite on each
# request, and it imports a client generated beside it (`prisma-client`, outside node_modules), so Vite reloads both
# when their files change. The fields are the module's, so that the code change does not restart Vite.
SSR_SCHEMA = SCHEMA.replace(
    'provider   = "prisma-client-js"', 'provider   = "prisma-client"\n  output     = "../src/generated/prisma"'
)
SSR_MODULE = "src/users.ts"
SSR_USERS = """
import { PrismaClient } from './generated/prisma/client';
import { PrismaLibSQL } from '@prisma/adapter-libsql';
const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) });
export async function users() {
  const select = Object.fromEntries(['id', 'name'].map((f) => [f, true]));
  return prisma.user.findMany({ select });
}
"""
SSR_CONFIG = """
import { createRequire } from 'node:module';
const { answering } = createRequire(import.meta.url)('./app.js');
export default {
  server: { port: Number(process.env.PORT), strictPort: true, host: '127.0.0.1' },
  plugins: [{ name: 'users', configureServer: (server) => {
    server.middlewares.use(answering(async () => (await server.ssrLoadModule('/src/users.ts')).users()));
  } }],
};
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
READY_TIMEOUT = 60.0


def template() -> Path:
    """The installed, generated project (schema without `nickname`), built on first use."""

    def install(folder: Path) -> None:
        (folder / "prisma").mkdir()
        (folder / "prisma" / "schema.prisma").write_text(SCHEMA)
        package = {"name": "watch-server", "private": True, "dependencies": {**DEPENDENCIES, "tsx": TSX, "vite": VITE}}
        (folder / "package.json").write_text(json.dumps(package, indent=2))
        run(["npm", "install", "--no-audit", "--no-fund"], folder, env=repair_environment())
        generate(folder)

    return cached(TOOLCHAINS / f"watch-servers-prisma-{PRISMA}-tsx-{TSX}-vite-{VITE}", install)


def project_copy(source: Path, destination: Path, tool: str, *, link: bool = True) -> Path:
    """A copy of the template for `tool` (a key of DEV_SCRIPTS), its users table made, serving `id` and `name`; its
    packages hard-linked to the template's unless not `link` (see `link_packages`)."""
    destination.mkdir()
    for name in ("prisma", "package.json"):
        copy = shutil.copytree if (source / name).is_dir() else shutil.copy2
        copy(source / name, destination / name)
    link_packages(source, destination, link=link)
    package = json.loads((destination / "package.json").read_text())
    script, entry = DEV_SCRIPTS[tool]
    package["scripts"] = {"dev": script}
    (destination / "package.json").write_text(json.dumps(package, indent=2))
    (destination / "app.js").write_text(APP)
    (destination / entry).write_text(ENTRIES[entry])
    (destination / "create-table.js").write_text(CREATE_TABLE)
    run(["node", "create-table.js"], destination)
    return destination


def vite_ssr_copy(source: Path, destination: Path) -> Path:
    """A copy of the template served by Vite's SSR (`SSR_CONFIG`), its client generated into `src/generated/prisma`."""
    project = project_copy(source, destination, "vite")
    _with_client_in_src(project)
    (project / "vite.config.mjs").write_text(SSR_CONFIG)
    generate(project)
    return project


def _with_client_in_src(project: Path) -> None:
    """The schema's `prisma-client` output in `src/generated/prisma`, and the module that reads the users with it."""
    (project / "prisma" / "schema.prisma").write_text(SSR_SCHEMA)
    (project / SSR_MODULE).parent.mkdir()
    (project / SSR_MODULE).write_text(SSR_USERS)


# A tsx watch server that imports a client generated beside its code (`prisma-client` into `src/generated`), as a
# Prisma 7 project has it: tsx watches what the app imports outside node_modules, so it runs the app again itself.
TSX_SERVER = """
import http from 'node:http';
import { answering } from './app.js';
import { users } from './src/users';
http.createServer(answering(users)).listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(`Local: http://localhost:${process.env.PORT}`);
});
"""


def tsx_generated_copy(source: Path, destination: Path) -> Path:
    """A copy of the template under `tsx watch server.ts`, its client generated into `src/generated/prisma`."""
    project = project_copy(source, destination, "tsx")
    _with_client_in_src(project)
    (project / "server.ts").write_text(TSX_SERVER)
    package = json.loads((project / "package.json").read_text())
    package["scripts"] = {"dev": "tsx watch server.ts"}
    (project / "package.json").write_text(json.dumps(package, indent=2))
    generate(project)
    return project


def generate(project: Path) -> None:
    """`prisma generate`, as a user runs it beside the dev server."""
    run(["npx", "--no-install", "prisma", "generate"], project, env=repair_environment())


def add_nickname(project: Path) -> None:
    """The change the incident made: `nickname` in the schema and in the code, no generate."""
    schema = project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name String\n", "  name String\n  nickname String?\n"))
    for entry in (*ENTRIES, SSR_MODULE):
        if (project / entry).exists():
            code = (project / entry).read_text()
            if "['id', 'name']" in code:  # (Vite restarts its server when its config file is written)
                (project / entry).write_text(code.replace("['id', 'name']", "['id', 'name', 'nickname']"))


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


@contextlib.contextmanager
def run_by_doctor(server: NpmRunDev, terminal: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`prisma-doctor run -- npm run dev` for `server` (its project, its port), its output in `terminal`; ended with
    everything it started."""
    command = ["--project", str(server.project), "--", "npm", "run", "dev"]
    with doctor_run(command, server.project, server.environment, terminal) as run:
        yield run


@contextlib.contextmanager
def doctor_run(
    arguments: list[str], cwd: Path, environment: dict[str, str], terminal: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """`prisma-doctor run ARGUMENTS` in `cwd`, its output in `terminal`, in a session of its own; ended with
    everything it started."""
    with terminal.open("ab") as output:
        run = subprocess.Popen(
            [*DOCTOR, "run", *arguments],
            cwd=cwd,
            env=doctor_environment(environment),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield run
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGTERM)
        run.wait(timeout=30)


@pytest.fixture(scope="session")
def watch_template() -> Path:
    return template()
