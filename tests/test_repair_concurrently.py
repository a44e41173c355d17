"""Two dev servers under one `concurrently` (attacker's trial 12, #1): `npm run dev` runs `concurrently -n api,web
"node --watch api.js" "node --watch web.js"`, the api on PORT, the web on PORT2. A repair stops the whole tree, so it
starts the whole `npm run dev` again: both servers come back, not the api alone. And it asks the server whose request
failed (`[web] GET /users 500`: the web's port), never the other one; when no line tells which server failed, it says
so and claims nothing.

Real processes: concurrently from npm (installed once into the tests' cache), npm, Node's `--watch`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.dev_server import free_port
from tests.helpers import repair_json
from tests.npm_cache import TOOLCHAINS, cached, run
from tests.watch_servers import run_by_doctor

pytestmark = pytest.mark.node

CONCURRENTLY = "9.2.1"
# The api has no /users (404); the web's /users fails while `broken` exists, and logs its requests as Next does.
API = """require('node:http').createServer((req, res) => {
  const status = req.url === '/' ? 200 : 404;
  res.statusCode = status; res.end('api');
  console.log(`${req.method} ${req.url} ${status}`);
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`api on http://localhost:${process.env.PORT}`));
"""
WEB = """const fs = require('node:fs');
require('node:http').createServer((req, res) => {
  const status = req.url === '/users' && fs.existsSync('broken') ? 500 : 200;
  res.statusCode = status; res.end('web');
  console.log(`${req.method} ${req.url} ${status}`);
}).listen(Number(process.env.PORT2), '127.0.0.1', () => console.log(`web on http://localhost:${process.env.PORT2}`));
"""
STARTED_WITHIN = 60.0
SCHEMA = 'datasource db {\n  provider = "sqlite"\n  url      = "file:./dev.db"\n}\n\nmodel User {\n  id Int @id\n}\n'


def _installed() -> Path:
    def install(folder: Path) -> None:
        (folder / "package.json").write_text('{"name": "concurrently-tool", "private": true}\n')
        run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", f"concurrently@{CONCURRENTLY}"], folder)

    return cached(TOOLCHAINS / f"concurrently-{CONCURRENTLY}", install)


def _project(folder: Path, options: str = "-n api,web") -> Path:
    folder.mkdir()
    shutil.copytree(_installed() / "node_modules", folder / "node_modules", symlinks=True, copy_function=os.link)
    dev = f'concurrently {options} "node --watch api.js" "node --watch web.js"'
    (folder / "package.json").write_text(json.dumps({"name": "two", "private": True, "scripts": {"dev": dev}}))
    (folder / "prisma").mkdir()
    (folder / "prisma" / "schema.prisma").write_text(SCHEMA)
    (folder / "api.js").write_text(API)
    (folder / "web.js").write_text(WEB)
    return folder


def _status(port: int, path: str = "/users") -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


def _listening(*ports: int) -> None:
    deadline = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < deadline:
        if all(_status(port, "/") is not None for port in ports):
            return
        time.sleep(0.3)
    raise AssertionError(f"ports {ports} did not answer within {STARTED_WITHIN:.0f}s")


def _owner(port: int) -> int:
    for connection in psutil.net_connections(kind="tcp"):
        if connection.status == psutil.CONN_LISTEN and connection.laddr and connection.laddr.port == port:
            assert connection.pid is not None
            return connection.pid
    raise AssertionError(f"nothing listens on {port}")


def test_restart_dev_starts_both_servers_of_a_concurrently_script_again(
    tmp_path: Path, spawn: Callable[..., object], restarted_groups: list[int]
) -> None:
    project = _project(tmp_path / "two")
    api, web = free_port(), free_port()
    spawn(["npm", "run", "dev"], project, env={**os.environ, "PORT": str(api), "PORT2": str(web)})
    _listening(api, web)
    before = {_owner(api), _owner(web)}

    code, result = repair_json("restart-dev", project, restarted=restarted_groups)

    assert code == 0, result
    (restarted,) = result["devServers"]
    assert restarted["answered"], result
    _listening(api, web)  # the web, which the trial's repair left down, runs again too
    assert not before & {_owner(api), _owner(web)}, "both are new processes"


@pytest.mark.parametrize(
    ("options", "told_apart"), [("-n api,web", True), ("-n api,web --raw", False)], ids=["named", "raw"]
)
def test_the_app_check_asks_the_server_whose_request_failed(
    tmp_path: Path, restarted_groups: list[int], options: str, told_apart: bool
) -> None:
    project = _project(tmp_path / "two", options)
    api, web = free_port(), free_port()
    environment = {"PORT": str(api), "PORT2": str(web)}
    (project / "broken").write_text("")

    class Server:  # what `run_by_doctor` needs of a server: its project and environment
        def __init__(self) -> None:
            self.project = project
            self.environment = {**os.environ, **environment}

    terminal = tmp_path / "terminal.log"
    with run_by_doctor(Server(), terminal):  # pyright: ignore[reportArgumentType]
        _listening(api, web)
        assert _status(web) == 500
        record = project / ".prisma-doctor" / "dev-output.log"
        deadline = time.monotonic() + 10
        while "GET /users 500" not in (record.read_text() if record.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ("[web] GET /users 500" in record.read_text()) is told_apart, record.read_text()
        (project / "broken").unlink()

        code, result = repair_json("restart-dev", project, restarted=restarted_groups)

        assert code == 0, result
        app = next(step for step in result["steps"] if step["name"] == "verify-app")
        if told_apart:
            assert app["status"] == "done", app
            assert app["message"] == f"the app answers: GET /users on localhost:{web} answers 200", app
        else:
            assert app["status"] == "skipped", app
            assert app["message"] == "not verified: the server that failed could not be told apart", app
        _listening(api, web)
