"""End to end on the bundled example with a real `next dev`: a schema change breaks the running server, the
repair brings it back with the same command, and the page answers 200 with the new field."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair.pipeline import CancellationToken, ProgressEvent, run_plan
from prisma_doctor.repair.plan import build_plan
from tests.dev_server import DevServer, Response, free_port
from tests.example_app import run_script
from tests.helpers import doctor_json, repair_json, step
from tests.watch_servers import NpmRunDev, run_by_doctor

pytestmark = pytest.mark.node


def demo_break_arguments() -> list[str]:
    """The arguments scripts/demo.sh breaks the example with: the test below follows the demo's own flow."""
    demo = (Path(__file__).resolve().parents[1] / "scripts" / "demo.sh").read_text()
    found = re.search(r"bash scripts/break\.sh([^)\n]*)\)", demo)
    assert found is not None, "scripts/demo.sh no longer runs scripts/break.sh"
    return found.group(1).split()


@pytest.mark.parametrize("bundler", ["turbopack", "webpack"])
def test_reset_on_the_running_example_serves_the_new_field(
    example_app: Path,
    start_dev_server: Callable[..., DevServer],
    restarted_groups: list[int],
    bundler: str,
) -> None:
    server = start_dev_server(example_app, bundler=bundler)
    assert server.get("/").status == 200
    original = psutil.Process(server.process.pid)
    command, cwd = original.cmdline(), original.cwd()

    # As the demo does it: schema and code gain `nickname`, and the database the column (its migration applied).
    run_script(example_app, "break.sh", *demo_break_arguments())
    assert server.get("/").status == 500
    server.wait_for_output("Unknown field `nickname`")
    # What the server compiled with the old client, page and schema: kept by the reset, not compiled from nothing.
    build = (example_app / ".next").stat().st_ino
    assert any(p.name == bundler for p in (example_app / ".next").rglob("*") if p.is_dir()), "no cache of its own"

    code, result = repair_json("reset", example_app, restarted=restarted_groups)

    assert code == 0, result
    # Every step done. The app check cannot know the route that failed, and says so: the server's terminal is not
    # the doctor's to read, and Next 16.4.5 writes nothing to its own log that ties the error to a route. Captured on
    # this flow, Turbopack and webpack alike (tests/fixtures/next-example-hot-update/): the terminal prints the frame
    # (`at async UsersPage (app/page.tsx:8:17)`), the digest and, after the block, ` GET / 500 in 167ms`; Next's log
    # has only `⨯ PrismaClientValidationError: <message>`: no request line, no frame, no digest, and Prisma's
    # message names no file (`invocation:`, not `invocation in <file>`), since the page failed in a module Next
    # evaluated again after the edit. Its `.next/dev/trace` has `handle-request` spans with their URL but no status,
    # buffered until flushed and on another clock than the log's (time since the process started): no evidence
    # either. So `/` answering is said, and the step is "skipped", not "done". Under `prisma-doctor run` the
    # terminal is recorded and the same flow is verified (test_the_examples_flow_under_run_is_verified_...); so is a
    # server started after the break, whose frame decides it (test_a_reset_knows_the_failed_page_from_the_frame_...).
    assert {s["status"] for s in result["steps"] if s["name"] != "verify-app"} == {"done"}, result
    assert (example_app / ".next").stat().st_ino == build
    assert not any(".next" in detail for detail in step(result, "set-aside")["details"]), result
    assert server.process.wait(timeout=30) is not None
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port
    page = server.get("/")
    assert page.status == 200, page.body[-3000:]
    assert 'class="user-nickname"' in page.body
    with sqlite3.connect(example_app / "dev.db") as database:
        assert "nickname" in [row[1] for row in database.execute('PRAGMA table_info("User")')]
    app = step(result, "verify-app")
    assert app["status"] == "skipped" and f"GET / on localhost:{server.port} answers 200" in app["message"], app
    assert "the route that failed is not known" in app["message"], app
    assert result["verdict"].startswith("repair done"), result["verdict"]
    again = psutil.Process(restarted["pid"])
    assert again.cmdline() == command and again.cwd() == cwd
    assert result["restartTsServer"] is True


@pytest.mark.parametrize("bundler", ["turbopack", "webpack"])
def test_a_reset_knows_the_failed_page_from_the_frame_in_nexts_own_log(
    example_app: Path, start_dev_server: Callable[..., DevServer], restarted_groups: list[int], bundler: str
) -> None:
    """A dev server started after the break compiles the page afresh. With Turbopack, Prisma's message in Next's own
    log (which has no request lines) names the chunk's line, whose source map gives `app/page.tsx`: `/` is the route
    that failed, asked again, and the repair is verified by it. With webpack the page runs in an `eval` Prisma cannot
    read: its message names no frame, and the route stays unknown."""
    run_script(example_app, "break.sh", *demo_break_arguments())
    server = start_dev_server(example_app, bundler=bundler)
    assert server.get("/").status == 500
    server.wait_for_output("Unknown field `nickname`")

    code, result = repair_json("reset", example_app, restarted=restarted_groups)

    assert code == 0, json.dumps(result, indent=2)
    app = step(result, "verify-app")
    answered = f"GET / on localhost:{server.port} answers 200"
    if bundler == "turbopack":
        assert app["status"] == "done" and app["message"] == f"the app answers: {answered}", app
        assert result["verdict"].startswith("repair verified"), result["verdict"]
    else:
        assert app["status"] == "skipped" and answered in app["message"], app
        assert "the route that failed is not known" in app["message"], app
        assert result["verdict"].startswith("repair done"), result["verdict"]
    page = server.get("/")
    assert page.status == 200 and 'class="user-nickname"' in page.body


def test_the_examples_flow_under_run_is_verified_by_the_request_line_after_the_error(
    example_app: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    """The demo's flow with the server under `prisma-doctor run`: the terminal's output, which `run` records, has
    what Next's own log lacks after a hot update, the request line Next prints after the error block (` GET / 500 in
    167ms`), so `/` is known as the route that failed, asked again, and the repair is verified by it. The example's
    own script (Turbopack); webpack prints the same (passed here with `run -- npx --no-install next dev --webpack`
    too, 2 minutes more; its capture is held by test_verify_app's fast test)."""
    server = NpmRunDev(example_app, tmp_path / "unused.log")
    with run_by_doctor(server, tmp_path / "terminal.log"):
        assert _first_answer(server, "/").status == 200
        run_script(example_app, "break.sh", *demo_break_arguments())
        assert server.get("/").status == 500
        record = example_app / ".prisma-doctor" / "dev-output.log"
        _wait_for(lambda: " GET / 500 in " in record.read_text(errors="replace"), record)

        code, result = repair_json("reset", example_app, restarted=restarted_groups, env=server.environment)

        assert code == 0, json.dumps(result, indent=2)
        app = step(result, "verify-app")
        assert app["status"] == "done", json.dumps(app, indent=2)
        assert app["message"] == f"the app answers: GET / on localhost:{server.port} answers 200", app
        assert result["verdict"].startswith("repair verified"), result["verdict"]
        page = server.get("/")
        assert page.status == 200 and 'class="user-nickname"' in page.body


def _wait_for(condition: Callable[[], bool], about: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, about.read_text(errors="replace")
        time.sleep(0.2)


def test_restart_dev_restarts_the_launcher_with_its_environment(
    example_app: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "NEXT_TELEMETRY_DISABLED": "1"}
    with (tmp_path / "npm-run-dev.log").open("ab") as log:
        launcher = subprocess.Popen(
            ["npm", "run", "dev"],
            cwd=example_app,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    restarted_groups.append(launcher.pid)
    lock = example_app / ".next" / "dev" / "lock"
    for _ in range(600):
        if lock.exists() or launcher.poll() is not None:
            break
        time.sleep(0.2)
    assert lock.exists(), (tmp_path / "npm-run-dev.log").read_text()
    command = psutil.Process(launcher.pid).cmdline()

    code, result = repair_json("restart-dev", example_app, restarted=restarted_groups, env=env)

    assert code == 0, json.dumps(result, indent=2)
    stop = next(s for s in result["steps"] if s["name"] == "stop")
    assert any(f"pid {launcher.pid}: npm run dev" in d for d in stop["details"])
    assert launcher.wait(timeout=30) is not None
    (restarted,) = result["devServers"]
    new_launcher = psutil.Process(restarted["pid"])
    # npm pads its rewritten title with empty arguments, by the length of the command it was run with.
    assert [a for a in new_launcher.cmdline() if a] == [a for a in command if a]
    assert new_launcher.environ().get("PORT") == str(port)
    assert restarted["port"] == port and restarted["answered"]


def test_a_reset_cancelled_after_stopping_next_dev_restarts_it_and_the_next_run_completes(
    example_app: Path,
    start_dev_server: Callable[[Path], DevServer],
    restarted_groups: list[int],
) -> None:
    server = start_dev_server(example_app)
    run_script(example_app, "break.sh", "--db")
    token = CancellationToken()

    def cancel_after_set_aside(event: ProgressEvent) -> None:
        if event.step == "set-aside" and event.status == "done":
            token.cancel()

    first = run_plan(build_plan(example_app, "reset"), progress=cancel_after_set_aside, token=token)
    restarted_groups.extend(r.pid for r in first.restarted)

    # Cancelled, yet the app is not left down: what was set aside is back, and the server it stopped runs again.
    assert first.cancelled
    assert server.process.wait(timeout=30) is not None
    steps = {s.name: s.status for s in first.steps}
    assert steps["rollback"] == "done" and steps["restart-dev"] == "done", first.to_json()
    assert first.restarted and first.restarted[0].answered
    plan = build_plan(example_app, "reset")
    # It left nothing behind, so the next plan has nothing to say of it (nor to take over).
    assert plan.notes == [] and "recover" not in [step.name for step in plan.steps]
    second = run_plan(plan)
    restarted_groups.extend(r.pid for r in second.restarted)
    assert second.ok, second.to_json()
    page = server.get("/")
    assert page.status == 200 and 'class="user-nickname"' in page.body


def test_on_next_only_the_repair_that_makes_the_page_answer_says_verified(
    example_app: Path, start_dev_server: Callable[[Path], DevServer], restarted_groups: list[int]
) -> None:
    """A schema-only break (no migration): each repair the user might try in turn, judged by the page itself."""
    server = start_dev_server(example_app)
    run_script(example_app, "break.sh")  # the schema and code gain `nickname`; the database does not
    assert server.get("/").status == 500

    # 1. Regenerate with the old `next dev` running: the client is right, but the database lacks its column, which
    # the repair's own check asks before it asks the app.
    code, result = doctor_json("regenerate", "--project", str(example_app))
    assert code == 1, json.dumps(result, indent=2)
    verify = step(result, "verify")
    assert verify["status"] == "failed" and "the database is behind" in verify["message"], verify
    assert any("db-missing-column" in detail and "nickname" in detail for detail in verify["details"]), verify
    assert result["verdict"].startswith("repair NOT verified: the clients match the schema, but the database")

    # 2. A restart loads the new client; the page still fails, now on the database, and says so.
    code, result = repair_json("restart-dev", example_app, restarted=restarted_groups)
    assert code == 1, json.dumps(result, indent=2)
    app = step(result, "verify-app")
    assert app["status"] == "failed" and "answers 500" in app["message"], app
    assert any("db-missing-column" in detail and "nickname" in detail for detail in app["details"]), app

    # 3. An empty migration applied: Prisma succeeds, the page does not, and the repair is not verified.
    empty = example_app / "prisma" / "migrations" / "20260301000000_nothing"
    empty.mkdir()
    (empty / "migration.sql").write_text("-- nothing\n", encoding="utf-8")
    code, result = doctor_json("migrate", "deploy", "--project", str(example_app))
    assert code == 1, json.dumps(result, indent=2)
    assert next(s for s in result["steps"] if s["name"] == "database")["status"] == "done"
    assert next(s for s in result["steps"] if s["name"] == "verify-app")["status"] == "failed"

    # 4. The migration that adds the column: the page answers with the new field, and only now is it verified.
    real = example_app / "prisma" / "migrations" / "20260301000001_add_user_nickname"
    real.mkdir()
    (real / "migration.sql").write_text('ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n', encoding="utf-8")
    code, result = doctor_json("migrate", "deploy", "--project", str(example_app))
    assert code == 0, json.dumps(result, indent=2)
    app = step(result, "verify-app")
    # "done", or "skipped" naming an error of Next's log that no request line ties to a route: never "failed".
    assert app["status"] in ("done", "skipped") and "answers 200" in app["message"], app
    page = server.get("/")
    assert page.status == 200 and 'class="user-nickname"' in page.body


# A route handler whose GET changes something (a visit counted, as a cron job's or an unsubscribe link's would) before
# it reads the field the client lacks.
VISITS_ROUTE = """import { appendFileSync } from "node:fs";
import { prisma } from "@/lib/prisma";

export const dynamic = "force-dynamic";

export async function GET() {
  appendFileSync("visits.log", "visit\\n");
  const users = await prisma.user.findMany({ select: { nickname: true } });
  return Response.json(users);
}
"""


def _first_answer(server: DevServer, path: str, timeout: float = 180.0) -> Response:
    """`GET path` once the server answers at all (its first compile may take a while)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return server.get(path)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_failed_get_of_a_route_handler_is_named_and_not_sent_again(
    example_app: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    (example_app / "app" / "api" / "visits").mkdir(parents=True)
    (example_app / "app" / "api" / "visits" / "route.ts").write_text(VISITS_ROUTE)
    run_script(example_app, "break.sh", "--db")
    # Under `prisma-doctor run`, whose record of the output is where the repair reads which requests failed.
    server = NpmRunDev(example_app, tmp_path / "unused.log")
    with run_by_doctor(server, tmp_path / "terminal.log"):
        assert _first_answer(server, "/").status == 500
        assert server.get("/api/visits").status == 500
        visits = example_app / "visits.log"
        assert visits.read_text() == "visit\n"

        code, result = repair_json("reset", example_app, restarted=restarted_groups, env=server.environment)

        verify_app = step(result, "verify-app")
        # The page was asked and answers; the handler was not sent again, and the verdict does not claim it works.
        assert code == 0 and verify_app["status"] == "skipped", json.dumps(result, indent=2)
        assert "GET / on localhost" in verify_app["message"] and "answers 200" in verify_app["message"], verify_app
        assert "GET /api/visits failed: not sent again" in verify_app["message"], verify_app
        assert result["verdict"].startswith("repair done"), result["verdict"]
        assert visits.read_text() == "visit\n", "the repair sent the handler's GET again"
        assert server.get("/api/visits").status == 200  # the person's own request: it works now
