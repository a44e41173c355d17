"""Capture Prisma errors as the two other common Node loggers write them: bunyan (its standard `err`, `req` and
`res` serializers) and winston (`format.errors({ stack: true })` with `format.json()`, the error logged itself).

A plain `node:http` server with Prisma 6.17 through @prisma/adapter-libsql on SQLite, set up as the Fastify capture
(tests/captures/json_logs.py): the schema gained `User.nickname` and `Post`, the client was generated from it, the
database was never migrated. `GET /users` fails with the missing column, `POST /posts` with the missing table, and
`POST /users` (a second user with the first one's email) with P2002. Each failure is logged by the logger the
server was started with, and answered 500. bunyan's error serializer keeps `message`, `name`, `stack` and `code`
only (no `meta`); winston's `errors` format copies the error's own properties (`code`, `meta`, `clientVersion`) into
the record beside `message` and `stack`.
Run: `.venv/bin/python tests/captures/node_loggers.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from common import Project, save_capture
from json_logs import ask_failing_server, install_packages

from toolchain import PACKAGES

LOGGERS = {"bunyan": "2.0.5", "winston": "3.19.0"}
INSTALL = {
    "prisma": PACKAGES["prisma"],
    "@prisma/client": PACKAGES["@prisma/client"],
    "@prisma/adapter-libsql": PACKAGES["@prisma/adapter-libsql"],
    "@libsql/client": PACKAGES["@libsql/client"],
    **LOGGERS,
}
SERVER = """const http = require("node:http");
const { prisma } = require("./db");

const LOGGER = process.argv[2];
let log;
if (LOGGER === "bunyan") {
  const bunyan = require("bunyan");
  log = bunyan.createLogger({ name: "app", serializers: bunyan.stdSerializers });
} else {
  const winston = require("winston");
  log = winston.createLogger({
    format: winston.format.combine(winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}

const routes = {
  "GET /users": () => prisma.user.findMany({ where: { nickname: null } }),
  "POST /posts": () => prisma.post.create({ data: { title: "hello" } }),
  "POST /users": async () => {
    const data = { email: "ada@example.com" };
    await prisma.user.create({ data, select: { id: true } });
    return prisma.user.create({ data, select: { id: true } });
  },
};

const server = http.createServer(async (req, res) => {
  try {
    res.end(JSON.stringify(await routes[`${req.method} ${req.url}`]()));
  } catch (err) {
    res.statusCode = 500;
    if (LOGGER === "bunyan") log.error({ err, req, res }, "request failed");
    else log.error(err);
    res.end("error");
  }
});
server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
"""
_LISTENING = re.compile(rb"listening on (\d+)")


def install() -> Path:
    """Prisma with the libSQL adapter, bunyan and winston."""
    key = "-".join(f"{name}-{version}" for name, version in (("prisma", INSTALL["prisma"]), *LOGGERS.items()))
    return install_packages(f"captures-loggers-{key}", INSTALL)


def capture(logger: str) -> None:
    project = Project(logger, modules=install())
    cmd = ["node", "server.js", logger]
    output, code, port, statuses = ask_failing_server(project, SERVER, cmd, b"listening on", _LISTENING)
    name = f"node-http-{logger}-driver-adapter-error"
    save_capture(
        name,
        output.replace(f":{port}".encode(), b":<port>").replace(f"on {port}".encode(), b"on <port>"),
        command=cmd,
        exit_code=code,
        project=project,
        scenario=f"User.nickname and Post added to the schema and generated, not migrated; a node:http server "
        f"logging with {logger} answers GET /users and POST /posts with 500, and POST /users (the same email twice) "
        "with 500.",
        notes=f"{logger} {LOGGERS[logger]}; Prisma {INSTALL['prisma']} through @prisma/adapter-libsql (engineType "
        f"client). The server listened on a port the system chose (`<port>` in the log). Answers: {statuses}.",
        extra={"statuses": statuses},
    )


def main() -> int:
    for logger in sys.argv[1:] or LOGGERS:
        capture(logger)
    return 0


if __name__ == "__main__":
    sys.exit(main())
