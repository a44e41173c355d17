"""Dev servers and workspace supervisors told by their argv (the script a runtime runs and its arguments), and failed
requests read from logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prisma_doctor.logs.routes import answered_requests, failed_requests
from prisma_doctor.repair.devserver_kinds import dev_server_tool
from prisma_doctor.repair.supervisors import supervisor_name

P = "/home/u/app/node_modules"


@pytest.mark.parametrize(
    ("cmdline", "tool"),
    [
        (["node", f"{P}/.bin/next", "dev", "--turbopack"], "next"),
        (["node", f"{P}/next/dist/bin/next", "dev"], "next"),
        (["/usr/bin/node", f"{P}/.bin/vite"], "vite"),
        (["node", f"{P}/.pnpm/vite@6.0.0/node_modules/vite/bin/vite.js", "dev", "--port", "5173"], "vite"),
        (["node", f"{P}/@react-router/dev/bin.js", "dev"], "react-router"),
        (["node", f"{P}/@remix-run/dev/dist/cli.js", "vite:dev"], "remix"),
        (["node", f"{P}/nuxi/bin/nuxi.mjs", "dev"], "nuxt"),
        (["node", f"{P}/astro/astro.js", "dev"], "astro"),
        (["node", f"{P}/@nestjs/cli/bin/nest.js", "start", "--watch"], "nest"),
        (["node", f"{P}/tsx/dist/cli.mjs", "watch", "src/server.ts"], "tsx"),
        # pnpm's bin shim runs the entry through `.bin/..`: `cli.mjs` alone names no tool.
        (["node", f"{P}/.bin/../tsx/dist/cli.mjs", "watch", "src/index.ts"], "tsx"),
        (["node", f"{P}/.bin/../vite/bin/vite.js", "dev"], "vite"),
        (["node", "--watch", "server.js"], "node --watch"),
        (["node", "--watch-path=src", "src/server.js"], "node --watch"),
        # Bun runs the app again in its own process: with `--watch` anew, with `--hot` its modules.
        (["/home/u/.bun/bin/bun", "--watch", "server.ts"], "bun --watch"),
        (["bun", "--hot", "src/index.ts"], "bun --hot"),
        (["node", f"{P}/nodemon/bin/nodemon.js", "server.js"], "nodemon"),
        (["node", f"{P}/ts-node-dev/lib/bin.js", "--respawn", "src/index.ts"], "ts-node-dev"),
        (["bun", f"{P}/.bin/vite", "dev"], "vite"),
        (["bun", "vite", "dev"], "vite"),  # Bun looks a bare name up among the package's bins
        # Retitled into one argument with spaces, as Next and npm do.
        ([f"node {P}/.bin/astro dev", "", ""], "astro"),
    ],
)
def test_a_dev_server_is_told_by_the_script_it_runs(cmdline: list[str], tool: str) -> None:
    assert dev_server_tool(cmdline) == tool


@pytest.mark.parametrize(
    "cmdline",
    [
        ["node", f"{P}/.bin/vite", "build"],
        ["node", f"{P}/.bin/next", "build"],
        # Next's telemetry flush names `dev` after a script of the next package that is not its command line.
        ["node", f"{P}/next/dist/telemetry/detached-flush.js", "dev", "/home/u/app", "_events_1.json"],
        ["node", f"{P}/.bin/next", "build", "--dev"],
        ["node", f"{P}/@nestjs/cli/bin/nest.js", "start"],
        ["node", f"{P}/tsx/dist/cli.mjs", "src/migrate.ts"],
        ["node", f"{P}/.bin/../tsx/dist/cli.mjs", "src/migrate.ts"],
        ["node", "server.js"],
        # tsx's child runs the code with loader flags: the tool is its parent, not this process.
        ["node", "--require", f"{P}/tsx/dist/preflight.cjs", "--import", f"file://{P}/tsx/dist/loader.mjs", "s.ts"],
        ["next-server (v16.0.1)", "", ""],
        ["bash", "-c", "vite"],  # a shell: the runtime below it is the server
        # A script of the project itself named like a tool is not that tool's server.
        ["node", "/home/u/app/scripts/vite-report.js"],
        # ... nor a file of the project named as the tool exactly (attacker's trial 6: `node bin/vite` printed Vite's
        # reload lines, and a stale server was said to have reloaded its client).
        ["node", "bin/vite"],
        ["node", "vite.js", "dev"],  # Node runs the working folder's file of that name, never a command on the PATH
        ["node", "/home/u/app/bin/vite", "dev"],
        [],
    ],
)
def test_other_command_lines_are_no_dev_server(cmdline: list[str]) -> None:
    assert dev_server_tool(cmdline) is None


def test_the_routes_that_failed_are_read_from_plain_and_next_logs() -> None:
    plain = (
        b"\x1b[32m GET / 200 in 12ms\x1b[0m\n GET /posts 500 in 35ms\nPOST /users/7 502 in 1s\n GET /posts 500 in 3ms\n"
    )
    record = json.dumps({"timestamp": "x", "source": "Server", "level": "LOG", "message": "GET /feed 500 in 9ms"})
    assert [str(r) for r in failed_requests([plain, b"\n" + record.encode() + b"\n"])] == [
        "POST /users/7",
        "GET /posts",
        "GET /feed",
    ]
    assert failed_requests([b"GET /ok 200 in 1ms\n GET /missing 404 in 1ms\n"]) == []


def test_the_requests_that_failed_are_read_from_pino_json_lines() -> None:
    # Fastify's logger (pino): the error record carries the request; a completed 5xx carries its response.
    error = {"level": 50, "req": {"method": "GET", "url": "/todos?done=1", "host": "localhost"}, "err": {"type": "X"}}
    done = {"level": 30, "req": {"method": "POST", "url": "/todos"}, "res": {"statusCode": 500}, "msg": "completed"}
    fine = {"level": 30, "req": {"method": "GET", "url": "/ok"}, "res": {"statusCode": 200}}
    lines = "\n".join(json.dumps(record) for record in (error, done, fine)) + "\n"
    assert [str(r) for r in failed_requests([lines])] == ["GET /todos?done=1", "POST /todos"]


def test_every_answered_request_is_read_whatever_its_status() -> None:
    # What ends the app check's wait for the output about its own request (repair/app_check.py).
    plain = b"\x1b[32m GET / 200 in 12ms\x1b[0m\n\xe2\x97\x8b Compiling /posts ...\n GET /posts 500 in 35ms\n"
    record = json.dumps({"timestamp": "x", "source": "Server", "level": "LOG", "message": "GET /feed 304 in 9ms"})
    pino = json.dumps({"level": 30, "req": {"method": "GET", "url": "/ok"}, "res": {"statusCode": 200}})
    error = json.dumps({"level": 50, "req": {"method": "GET", "url": "/todos"}, "err": {"type": "X"}})  # not answered
    chunks = [plain, f"{record}\n{pino}\n{error}\n"]
    assert [str(r) for r in answered_requests(chunks)] == ["GET /", "GET /posts", "GET /feed", "GET /ok"]
    assert answered_requests([b"> next dev\n Local: http://localhost:3000\nGET / 12ms\n"]) == []


@pytest.mark.parametrize(
    ("cmdline", "name"),
    [
        ([f"{P}/turbo-linux-64/bin/turbo", "run", "dev"], "turbo"),
        (["node", f"{P}/.bin/../turbo/bin/turbo", "dev"], "turbo"),
        (["node", "/usr/lib/node_modules/pnpm/bin/pnpm.cjs", "-r", "--parallel", "run", "dev"], "pnpm -r"),
        (["node", "/home/u/bin/pnpm", "--filter=web", "dev"], "pnpm --filter"),
        (["npm run dev --workspaces"], "npm --workspaces"),  # npm retitles itself
        (["node", f"{P}/nx/bin/nx.js", "run-many", "-t", "dev"], "nx"),
        (["node", f"{P}/concurrently/dist/bin/concurrently.js", "pnpm:dev:*"], "concurrently"),
        (["node", f"{P}/lerna/dist/cli.js", "run", "dev"], "lerna"),
        (["yarn", "workspaces", "foreach", "-pi", "run", "dev"], "yarn workspaces foreach"),
        (["bun", "--filter", "*", "dev"], "bun --filter"),
        # One package's own script: its manager is its launcher, no supervisor.
        (["node", "/home/u/bin/pnpm", "dev"], None),
        (["node", "/usr/lib/node_modules/npm/bin/npm-cli.js", "run", "dev"], None),
        (["sh", "-c", "turbo dev"], None),  # the shell: turbo is its child
        (["node", f"{P}/.bin/next", "dev"], None),
    ],
)
def test_a_workspace_supervisor_is_told_by_its_command_line(cmdline: list[str], name: str | None) -> None:
    assert supervisor_name(cmdline) == name


def test_a_global_bin_is_its_package_s_tool(tmp_path: Path) -> None:
    """`npm i -g vite` links `/usr/local/bin/vite` to the package's entry: the link is read to its package."""
    entry = tmp_path / "lib" / "node_modules" / "vite" / "bin" / "vite.js"
    entry.parent.mkdir(parents=True)
    entry.write_text("")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "vite").symlink_to(entry)
    assert dev_server_tool(["node", str(tmp_path / "bin" / "vite")]) == "vite"
