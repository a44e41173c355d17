"""Capture Prisma errors as JSON log records: a Fastify 5 server (its logger is pino) with Prisma 6.17 through
@prisma/adapter-libsql on SQLite, whose routes throw the driver adapter's `DriverAdapterError` and a P2002.

The schema gained `User.nickname`, the client was generated from it, the database was never migrated: `GET /users`
fails with `SQLITE_ERROR: no such column: main.User.nickname`, `POST /posts` (no `Post` table) with `no such
table`, and `POST /users` (a second user with the first one's email) with P2002, a `PrismaClientKnownRequestError`
whose `code` and `meta` pino keeps. Fastify logs each failure as one JSON line (`err` with its `type`, `message`,
`stack` and own properties, and `req`/`res` of the request), then `request completed` with the 500. The project's
set-up is the SQLite captures' own (tests/captures/sqlite_node.py).
Run: `.venv/bin/python tests/captures/json_logs.py`.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

from common import Project, Terminal, save_capture
from sqlite_node import GENERATOR, POST, USER_V1, USER_WITH_NICKNAME, db_env, migrated

from toolchain import PACKAGES, ROOT

sys.path.insert(0, str(ROOT))
# The repository's root is on the path only from here on: the npm cache is the tests' own.
from tests.npm_cache import TOOLCHAINS, cached, run

FASTIFY_VERSION = "5.12.8"
# The SQLite captures' Prisma and adapter, and Fastify.
INSTALL = {
    "prisma": PACKAGES["prisma"],
    "@prisma/client": PACKAGES["@prisma/client"],
    "@prisma/adapter-libsql": PACKAGES["@prisma/adapter-libsql"],
    "@libsql/client": PACKAGES["@libsql/client"],
    "fastify": FASTIFY_VERSION,
}
SERVER = """const fastify = require("fastify")({ logger: true });
const { prisma } = require("./db");

fastify.get("/users", async () => prisma.user.findMany({ where: { nickname: null } }));
fastify.post("/posts", async () => prisma.post.create({ data: { title: "hello" } }));
fastify.post("/users", async () => {
  const data = { email: "ada@example.com" };
  await prisma.user.create({ data, select: { id: true } });
  return prisma.user.create({ data, select: { id: true } });
});

fastify.listen({ port: 0, host: "127.0.0.1" }).catch((error) => {
  fastify.log.error(error);
  process.exit(1);
});
"""
NAME = "fastify-pino-driver-adapter-error"
_LISTENING = re.compile(rb"Server listening at http://127\.0\.0\.1:(\d+)")


def install_packages(folder_name: str, packages: dict[str, str]) -> Path:
    """`packages` (name -> version) installed once into the cache's `folder_name`."""

    def into(folder: Path) -> None:
        (folder / "package.json").write_text(json.dumps({"name": "captures-json-logs", "private": True}) + "\n")
        run(["npm", "install", "--no-audit", "--no-fund", *(f"{n}@{v}" for n, v in packages.items())], folder)

    return cached(TOOLCHAINS / folder_name, into)


def install() -> Path:
    """Prisma with the libSQL adapter and Fastify."""
    key = "-".join(INSTALL[name] for name in ("prisma", "fastify"))
    return install_packages(f"captures-fastify-prisma-{key}", INSTALL)


def request(port: int, method: str, path: str) -> int:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method), timeout=60
        ) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def ask_failing_server(
    project: Project, server: str, cmd: list[str], ready: bytes, listening: re.Pattern[bytes]
) -> tuple[bytes, int, int, dict[str, int]]:
    """`server` (its code) run as `cmd` in `project` against a database behind its client, until it prints `ready`,
    then asked its three failing requests on the port `listening` reads: its output, exit code, port and the
    answers."""
    project.write("server.js", server)
    migrated(project, USER_V1)
    # The schema moves on and the client with it; the database does not.
    project.write("prisma/schema.prisma", GENERATOR + USER_WITH_NICKNAME + POST)
    project.run([project.bin("prisma"), "generate"], env=db_env(project))
    terminal = Terminal(cmd, project.root, env=db_env(project))
    terminal.wait_for(ready)
    found = listening.search(terminal.output)
    assert found is not None, terminal.output
    port = int(found.group(1))
    asked = (("GET", "/users"), ("POST", "/posts"), ("POST", "/users"))
    statuses = {f"{method} {path}": request(port, method, path) for method, path in asked}
    terminal.settle()
    output, code = terminal.finish(interrupt=True)
    return output, code, port, statuses


def main() -> int:
    project = Project("fastify", modules=install())
    cmd = ["node", "server.js"]
    output, code, port, statuses = ask_failing_server(project, SERVER, cmd, b"Server listening", _LISTENING)
    save_capture(
        NAME,
        output.replace(f":{port}".encode(), b":<port>"),
        command=cmd,
        exit_code=code,
        project=project,
        scenario="User.nickname and Post added to the schema and generated, not migrated; a Fastify server (pino "
        "JSON logs) answers GET /users and POST /posts with 500, and POST /users (the same email twice) with 500.",
        notes=f"Fastify {FASTIFY_VERSION} with `logger: true`; Prisma {INSTALL['prisma']} through "
        "@prisma/adapter-libsql (engineType client). The server listened on a port the system chose (`<port>` in "
        f"the log). Answers: {statuses}.",
        extra={"statuses": statuses},
    )
    print(f"{NAME}: exit {code}, {len(output)} bytes, answers {statuses}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
