"""Whether a running dev server still serves an older client (`staleness.py`), judged on real servers after a
`prisma generate` while they run, and checked against what the app answers.

- Vite's SSR (as SvelteKit and React Router load their routes) with the client generated outside node_modules:
  Vite reloads it, and the route that uses the new field answers. Under `prisma-doctor run` its output shows the
  reload: not stale. In a terminal the doctor cannot read: nothing decides, and the finding says so.
- Vite with the client in node_modules (which it never watches), and tsx watch (which ignores node_modules): the app
  still rejects the new field: stale, decided.
- A tsx watch worker that listens nowhere: stale until tsx runs its child again, then not.
- Vite's reload words are evidence only as Vite's own line, from a Vite server, printed after the generation: an app
  that logs what a user asked it to say proves nothing.
- A `globalThis` singleton keeps the PrismaClient made before Vite reloaded the client: the app still answers with the
  old one, so a reload decides nothing.
- Bun's `--watch` runs the app again in the same process (same pid, same start) and prints nothing: undecided.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.logs.stream import strip_ansi
from tests.helpers import doctor
from tests.npm_cache import bun_command
from tests.watch_servers import (
    ENTRIES,
    SSR_CONFIG,
    NpmRunDev,
    add_nickname,
    generate,
    project_copy,
    run_by_doctor,
    vite_ssr_copy,
)

pytestmark = pytest.mark.node


def stale_servers(project: Path, server: NpmRunDev) -> tuple[int, list[dict[str, Any]], list[str]]:
    """`check --json`'s exit code and its `dev-server-stale` findings; it says every problem it found."""
    checked = doctor("check", str(project), "--json", env=server.environment)
    report = json.loads(checked.stdout)
    problems = [f"{f['code']}: {f['message']}" for f in report["findings"] if f["severity"] in ("error", "warning")]
    return checked.returncode, [f for f in report["findings"] if f["code"] == "dev-server-stale"], problems


@contextlib.contextmanager
def in_a_terminal(server: NpmRunDev) -> Iterator[None]:
    """The server run as a user runs it, its output where the doctor does not read it."""
    server.start()
    try:
        yield
    finally:
        server.stop()


@pytest.mark.parametrize("under_run", [True, False], ids=["under-run", "in-a-terminal"])
def test_vite_that_reloaded_the_new_client_is_not_called_stale(
    watch_template: Path, tmp_path: Path, under_run: bool
) -> None:
    project = vite_ssr_copy(watch_template, tmp_path / "app")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) if under_run else in_a_terminal(server):
        assert server.wait_for_status(200) == 200, server.output + (terminal.read_text() if under_run else "")
        add_nickname(project)
        assert server.wait_for_status(500) == 500, "the old client rejects the new field"
        generate(project)
        # Vite reloaded the client's files: the route that uses the new field answers with it.
        assert server.wait_for_status(200) == 200
        assert '"nickname":"countess"' in server.users().body

        code, stale, problems = stale_servers(project, server)

    if under_run:
        # `run` recorded Vite's `(ssr) page reload src/generated/prisma/...` after the generation.
        # (Vite colours it where `CI` is set, as on CI machines: picocolors' rule.)
        recorded = strip_ansi((project / ".prisma-doctor" / "dev-output.log").read_text())
        assert "(ssr) page reload src/generated/prisma/" in recorded
        # (The template's app opens `./dev.db` from its folder, its schema names one beside itself: `db-differs`.)
        assert [p for p in problems if not p.startswith("db-differs:")] == [], problems
    else:
        # Vite reloads what it serves, but nothing the doctor can read shows it did: it may be stale, not "is".
        (finding,) = stale
        assert code == 1 and finding["severity"] == "warning" and finding["data"]["decided"] is False, finding
        assert "may be stale; what decides: request a route that uses the new field" in finding["message"]
        assert "no output of this server is recorded" in finding["message"]


@pytest.mark.parametrize("tool", ["vite", "tsx"])
def test_a_server_that_keeps_the_old_client_is_stale(watch_template: Path, tmp_path: Path, tool: str) -> None:
    project = project_copy(watch_template, tmp_path / "app", tool)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    with in_a_terminal(server):
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output
        generate(project)
        time.sleep(2)  # what a watcher would have done by now
        assert server.users().status == 500, "the server still runs the old client"

        code, stale, _ = stale_servers(project, server)

    (finding,) = stale
    assert code == 1 and finding["data"]["decided"] is True and finding["data"]["tool"] == tool, finding
    assert "still uses the one it loaded at start" in finding["message"]
    if tool == "vite":
        assert "Vite does not watch node_modules" in finding["message"]


def test_a_watcher_whose_child_ran_again_is_not_stale(watch_template: Path, tmp_path: Path) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx worker")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start(wait=False)
    try:
        server.wait_for_output("worker up")
        # `nickname` in the schema, generated: tsx ignores node_modules, so its child keeps the old client.
        schema = project / "prisma" / "schema.prisma"
        schema.write_text(schema.read_text().replace("  name String\n", "  name String\n  nickname String?\n"))
        generate(project)
        _, stale, _ = stale_servers(project, server)
        (finding,) = stale
        assert finding["data"]["decided"] is True and finding["data"]["tool"] == "tsx", finding

        # A change to the worker's own code: tsx runs its child again, which loads the new client.
        worker = project / "worker.js"
        worker.write_text(worker.read_text().replace("['id', 'name']", "['id', 'name', 'nickname']"))
        server.wait_for_output('"nickname":"countess"')

        _, stale, problems = stale_servers(project, server)
        assert stale == [], stale
        assert [p for p in problems if not p.startswith("db-differs:")] == [], problems
    finally:
        server.stop()


# Logs, on a line of its own, what a request asks it to say (`?say=...`): the words are the user's, not the tool's.
SAY = "const say = (req) => { const w = new URL(req.url, 'http://x').searchParams.get('say'); if (w) console.log(w); };"
# Vite's way of saying the time of day, in the en-US locale.
CLOCK = "%-I:%M:%S %p"


def said(server: NpmRunDev, words: str) -> None:
    server.get("/users?" + urllib.parse.urlencode({"say": words}))


@pytest.mark.parametrize("tool", ["tsx", "vite"])
def test_vites_reload_words_count_only_as_vites_own_line_after_the_generation(
    watch_template: Path, tmp_path: Path, tool: str
) -> None:
    if tool == "tsx":
        project = project_copy(watch_template, tmp_path / "app", "tsx")
        (project / "server.js").write_text(
            SAY
            + ENTRIES["server.js"]
            .replace("http.createServer(app(", "const users = (app(")
            .replace("])).listen(", "]));\nhttp.createServer((req, res) => { say(req); users(req, res); }).listen(")
        )
        client_file = "node_modules/.prisma/client/index.js"
    else:
        # Vite's SSR, told not to watch the generated client: it keeps the old one, and prints no reload of it.
        project = vite_ssr_copy(watch_template, tmp_path / "app")
        config = SSR_CONFIG.replace(
            "strictPort: true,", "strictPort: true, watch: { ignored: ['**/src/generated/**'] },"
        )
        config = config.replace(
            "server.middlewares.use(answering(",
            "server.middlewares.use((req, res, next) => { say(req); next(); });\n    server.middlewares.use(answering(",
        )
        (project / "vite.config.mjs").write_text(config.replace("export default", SAY + "\nexport default", 1))
        client_file = "src/generated/prisma/client.ts"
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal):
        assert server.wait_for_status(200, timeout=60) == 200, terminal.read_text()
        add_nickname(project)
        assert server.wait_for_status(500) == 500, "the old client rejects the new field"
        before = datetime.now() - timedelta(minutes=1)
        generate(project)
        time.sleep(2)  # what a watcher would have done by now
        assert server.users().status == 500, "the server still runs the old client"
        reload = f"[vite] (ssr) page reload {client_file}"
        if tool == "tsx":
            # The very line Vite prints, after the generation, but from a server that is not Vite.
            said(server, f"{datetime.now().strftime(CLOCK)} {reload}")
        else:
            # Vite's line, with a time before the generation; then its words, with a time after, inside a line.
            said(server, f"{before.strftime(CLOCK)} {reload}")
            said(server, f"user asked for {datetime.now().strftime(CLOCK)} {reload}")
        time.sleep(0.5)  # (`run` records the output as it comes)
        assert reload in strip_ansi((project / ".prisma-doctor" / "dev-output.log").read_text())

        code, stale, _ = stale_servers(project, server)

    (finding,) = stale
    assert code == 1 and finding["data"]["tool"] == tool, finding
    if tool == "tsx":
        assert finding["data"]["decided"] is True and "still uses the one it loaded at start" in finding["message"]
    else:
        assert finding["data"]["decided"] is False, finding
        assert "its output shows no reload of it since it was generated" in finding["message"]


# The singleton Prisma's and Next's guides advise, in a module of its own that the route imports.
SINGLETON = """
import { PrismaClient } from './generated/prisma/client';
import { PrismaLibSQL } from '@prisma/adapter-libsql';
const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };
export const prisma =
  globalForPrisma.prisma ?? new PrismaClient({ adapter: new PrismaLibSQL({ url: 'file:./dev.db' }) });
if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;
"""
SINGLETON_USERS = """
import { prisma } from './lib/db';
export async function users() {
  const select = Object.fromEntries(['id', 'name'].map((f) => [f, true]));
  return prisma.user.findMany({ select });
}
"""


def test_a_reload_decides_nothing_where_a_globalthis_singleton_keeps_the_old_client(
    watch_template: Path, tmp_path: Path
) -> None:
    project = vite_ssr_copy(watch_template, tmp_path / "app")
    (project / "src" / "lib").mkdir()
    (project / "src" / "lib" / "db.ts").write_text(SINGLETON.replace("./generated", "../generated"))
    (project / "src" / "users.ts").write_text(SINGLETON_USERS)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    terminal = tmp_path / "terminal.log"
    record = project / ".prisma-doctor" / "dev-output.log"
    with run_by_doctor(server, terminal):
        assert server.wait_for_status(200, timeout=60) == 200, terminal.read_text()
        add_nickname(project)
        assert server.wait_for_status(500) == 500, "the old client rejects the new field"
        generate(project)
        deadline = time.monotonic() + 20
        while "(ssr) page reload src/generated/prisma/" not in strip_ansi(record.read_text()):
            assert time.monotonic() < deadline, record.read_text()
            time.sleep(0.3)
        # Vite reloaded the client's modules and the singleton's, which took the old instance back from globalThis.
        assert server.wait_for_status(200, timeout=5) == 500, "the singleton's old PrismaClient still answers"

        code, stale, _ = stale_servers(project, server)

    (finding,) = stale
    assert code == 1 and finding["data"]["decided"] is False, finding
    assert "src/lib/db.ts keeps its PrismaClient on globalThis" in finding["message"]
    assert "may be stale; what decides: request a route that uses the new field" in finding["message"]


def test_bun_watch_runs_the_app_again_in_the_same_process_so_its_start_decides_nothing(
    watch_template: Path, tmp_path: Path
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    package = json.loads((project / "package.json").read_text())
    package["scripts"]["dev"] = f"{bun_command()[0]} --watch server.js"
    (project / "package.json").write_text(json.dumps(package))
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log")
    with in_a_terminal(server):
        schema = project / "prisma" / "schema.prisma"
        schema.write_text(schema.read_text().replace("  name String\n", "  name String\n  nickname String?\n"))
        generate(project)
        # Bun does not watch node_modules: the app still runs the old client, but nothing the doctor reads shows it.
        _, stale, _ = stale_servers(project, server)
        (finding,) = stale
        assert finding["data"]["tool"] == "bun --watch" and finding["data"]["decided"] is False, finding
        pid, started = finding["data"]["pid"], finding["data"]["startedAt"]

        # A change to the app's own code: Bun runs it again, in the same process, which loads the new client.
        entry = project / "server.js"
        entry.write_text(entry.read_text().replace("['id', 'name']", "['id', 'name', 'nickname']"))
        assert server.wait_for_status(200) == 200 and '"nickname":"countess"' in server.users().body

        _, stale, _ = stale_servers(project, server)

    # The same process, started when it was: its start cannot say the app now runs the new client.
    (finding,) = stale
    # (The start is read from the boot clock against the time of day: two readings differ by a tick or so.)
    moved = abs(datetime.fromisoformat(finding["data"]["startedAt"]) - datetime.fromisoformat(started))
    assert finding["data"]["pid"] == pid and moved < timedelta(seconds=1), (finding, started)
    assert finding["data"]["decided"] is False, finding
    assert "Bun's --watch runs the app again in the same process" in finding["message"]
    assert "may be stale; what decides: request a route that uses the new field" in finding["message"]
