"""Repairs on real non-Next dev servers (`tsx watch`, `node --watch`, Vite; started with `npm run dev`): found by their
process tree, stopped whole, started again with the exact command, and called verified only when the app answers.

A field is added to the schema and the code without generate, so `GET /users` answers 500. A regenerate that leaves
the old server running is not verified (it still answers 500); a restart or a reset is, with the new field served.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psutil
import pytest

from prisma_doctor.repair import watchers
from prisma_doctor.repair.steps import ROUTE_UNKNOWN
from tests.helpers import doctor, repair_json
from tests.npm_cache import run
from tests.repair_fixtures import repair_environment
from tests.watch_servers import NpmRunDev, add_nickname, project_copy, run_by_doctor, tsx_generated_copy

pytestmark = pytest.mark.node


@pytest.fixture(params=["tsx", "node --watch", "vite"])
def broken_server(request: pytest.FixtureRequest, watch_template: Path, tmp_path: Path):
    """A running `npm run dev` of the given kind whose code and schema gained `nickname`: it answers 500."""
    project = project_copy(watch_template, tmp_path / "app", request.param)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    assert server.users().status == 200
    add_nickname(project)
    # The watcher restarts the server for the code change; the old client rejects the new field.
    assert server.wait_for_status(500) == 500, server.output
    assert "Unknown field `nickname`" in server.output
    yield request.param, project, server
    server.stop()


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def test_regenerate_with_the_old_server_running_is_not_verified_and_restart_dev_is(
    broken_server: tuple[str, Path, NpmRunDev], restarted_groups: list[int]
) -> None:
    tool, project, server = broken_server
    old_tree = _tree(server.process.pid)
    command = [a for a in old_tree[0].cmdline() if a]

    regenerated = doctor("regenerate", "--yes", "--project", str(project), env=server.environment)

    if tool == "node --watch":
        # node --watch sees the client's files change and restarts its child by itself: the app works, and it says so.
        assert regenerated.returncode == 0, regenerated.stdout + regenerated.stderr
        closing = regenerated.stdout.strip().splitlines()[-1]
        # No failed request is on record (the output went to a terminal the doctor cannot read): `/` answering is
        # said, and not called verified.
        assert closing.startswith("repair done: "), closing
        assert closing.endswith(f"the app answers at /: GET / on localhost:{server.port} answers 200; {ROUTE_UNKNOWN}")
        assert '"nickname":"countess"' in server.users().body
        # The child that answers now loaded the new client: the watcher's own older start does not make it stale.
        checked = json.loads(doctor("check", str(project), "--json", env=server.environment).stdout)
        assert "dev-server-stale" not in [f["code"] for f in checked["findings"]], checked
    else:
        # The client is new, but tsx watch ignores node_modules and Vite keeps the modules its config loaded: the
        # server still has the old client in memory.
        assert regenerated.returncode == 1, regenerated.stdout + regenerated.stderr
        assert "repair NOT verified" in regenerated.stdout
        # Its output went to a terminal the doctor cannot read, so no failed route is known: it asks the root.
        assert f"GET / on localhost:{server.port} answers 500" in regenerated.stdout
        assert "restart it (`prisma-doctor restart-dev`)" in regenerated.stdout
        # The verdict names what `check` says right after, the stale server, never "nothing wrong" (trial 13, C5).
        checked = json.loads(doctor("check", str(project), "--json", env=server.environment).stdout)
        assert "dev-server-stale" in [f["code"] for f in checked["findings"]], checked
        assert "check: dev-server-stale: " in regenerated.stdout, regenerated.stdout
        assert "finds nothing wrong" not in regenerated.stdout
        assert "verified:" not in regenerated.stdout.replace("NOT verified:", "")
        assert all(process.is_running() for process in old_tree), "a regenerate stops nothing"
        assert server.users().status == 500
    old_tree = _tree(server.process.pid)

    code, result = repair_json("restart-dev", project, restarted=restarted_groups, env=server.environment)

    assert code == 0, json.dumps(result, indent=2)
    stop = next(step for step in result["steps"] if step["name"] == "stop")
    assert any(f"pid {server.process.pid}: npm run dev" in d for d in stop["details"]), stop
    # The whole tree is gone: npm, the shell, the watcher and the child that served.
    assert server.process.wait(timeout=30) is not None
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in old_tree[1:])
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port
    again = psutil.Process(restarted["pid"])
    assert [a for a in again.cmdline() if a] == command
    assert again.cwd() == str(project)
    app = next(step for step in result["steps"] if step["name"] == "verify-app")
    assert app["status"] == "skipped" and f"GET / on localhost:{server.port} answers 200" in app["message"], app
    answer = server.users()
    assert answer.status == 200 and '"nickname":"countess"' in answer.body, tool


def test_under_tsx_watch_with_the_client_outside_node_modules_regenerate_is_offered_first_and_is_enough(
    watch_template: Path, tmp_path: Path
) -> None:
    # User's trial 13 (project A): tsx restarts its app by itself for a client generated into `src/generated`, so a
    # bare generate made the app green in 3.4 s, while the doctor offered the full reset first (stop + restart, 7.1 s).
    project = tsx_generated_copy(watch_template, tmp_path / "app")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    try:
        assert server.users().status == 200
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output

        checked = json.loads(doctor("check", str(project), "--json", env=server.environment).stdout)
        (drift,) = [f for f in checked["findings"] if f["code"] == "client-out-of-sync"]
        assert drift["fixes"][0]["id"] == "regenerate", drift

        regenerated = doctor("regenerate", "--yes", "--project", str(project), env=server.environment)
        assert regenerated.returncode == 0, regenerated.stdout + regenerated.stderr
        assert f"GET / on localhost:{server.port} answers 200" in regenerated.stdout
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body
    finally:
        server.stop()


def test_reset_restarts_the_server_and_says_what_answered(
    broken_server: tuple[str, Path, NpmRunDev], restarted_groups: list[int]
) -> None:
    tool, project, server = broken_server
    plan = doctor("reset", "--dry-run", "--project", str(project), env=server.environment)
    assert plan.returncode == 0, plan.stderr
    assert "npm run dev (in " in plan.stdout and "request GET / on" in plan.stdout, plan.stdout

    done = doctor("reset", "--yes", "--project", str(project), env=server.environment)
    restarted_groups.extend(int(pid) for pid in re.findall(r"restart-dev: pid (\d+):", done.stdout))

    assert done.returncode == 0, done.stdout + done.stderr
    closing = done.stdout.strip().splitlines()[-1]
    assert closing.startswith("repair done: "), closing
    assert closing.endswith(f"the app answers at /: GET / on localhost:{server.port} answers 200; {ROUTE_UNKNOWN}")
    answer = server.users()
    assert answer.status == 200 and '"nickname":"countess"' in answer.body, tool


def test_a_server_under_prisma_doctor_run_is_restarted_by_run_in_its_own_terminal(
    watch_template: Path, tmp_path: Path
) -> None:
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal) as run:
        assert server.wait_for_status(200) == 200, terminal.read_text()
        add_nickname(project)
        assert server.wait_for_status(500) == 500, terminal.read_text()

        done = doctor("reset", "--yes", "--project", str(project), env=server.environment)

        assert done.returncode == 0, done.stdout + done.stderr + terminal.read_text()
        # The route that failed is read from run's record of the output, and asked again.
        closing = done.stdout.strip().splitlines()[-1]
        assert closing == f"repair verified: the app answers: GET /users on localhost:{server.port} answers 200"
        assert run.poll() is None, "run keeps running: it started its command again itself"
        text = terminal.read_text()
        assert "a repair stopped the dev server" in text and "starting `npm run dev` again" in text
        after_restart = text.split("starting `npm run dev` again", 1)[1]
        assert "GET /users 200" in after_restart, "the new server's output flows into the same terminal"
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body


def test_two_servers_of_one_folder_each_come_back_on_their_own_port(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    """The same `npm run dev` twice, with another PORT each: the first one's restart is the repair's own, never
    taken for the second "started while the repair ran"."""
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    first = NpmRunDev(project, tmp_path / "first.log").start()
    second = NpmRunDev(project, tmp_path / "second.log").start()
    try:
        add_nickname(project)
        assert first.wait_for_status(500) == 500 and second.wait_for_status(500) == 500, second.output

        # A reset regenerates, then restarts both.
        code, result = repair_json("reset", project, restarted=restarted_groups, env=first.environment)

        assert code == 0, json.dumps(result, indent=2)
        assert sorted(s["port"] for s in result["devServers"]) == sorted((first.port, second.port))
        assert all(s["answered"] for s in result["devServers"]), result["devServers"]
        for server in (first, second):
            answer = server.users()
            assert answer.status == 200 and '"nickname":"countess"' in answer.body, server.port
    finally:
        first.stop()
        second.stop()


def test_a_project_renamed_during_the_repair_gets_its_server_back_where_it_now_is(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An attacker's trial: the folder renamed during generate left the tsx server the repair had stopped down.
    import os

    from prisma_doctor.repair.context import ProgressEvent
    from prisma_doctor.repair.pipeline import run_plan
    from prisma_doctor.repair.plan import build_plan
    from tests.repair_fixtures import repair_environment

    project = project_copy(watch_template, tmp_path / "app", "tsx")
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    assert server.users().status == 200
    for name, value in {**repair_environment(), "PORT": str(server.port)}.items():
        monkeypatch.setenv(name, value)
    moved = tmp_path / "renamed"

    def rename_after_generate(event: ProgressEvent) -> None:
        if event.step == "generate" and event.status == "done":
            os.rename(project, moved)

    result = run_plan(build_plan(project, "reset"), progress=rename_after_generate)
    restarted_groups.extend(r.pid for r in result.restarted)

    assert not result.ok and f"moved from {project} to {moved}" in " ".join(result.notes), result.to_json()
    steps = {step.name: step for step in result.steps}
    assert steps["rollback"].status == "done", result.to_json()
    assert steps["restart-dev"].status == "done", result.to_json()
    (restarted,) = result.restarted
    assert psutil.Process(restarted.pid).cwd() == str(moved)
    assert server.users().status == 200, "the app answers again, from the renamed folder"


def test_a_dev_script_that_does_more_than_serve_is_not_run_again(
    watch_template: Path, tmp_path: Path, restarted_groups: list[int]
) -> None:
    """Attacker trial 4, case 14: `"dev": "node seed.js && node --watch server.js"`. A restart of `npm run dev` ran the
    seed again (with `prisma migrate reset --force` there, it would wipe the database). Only the server's own command
    is started again, in its folder, with its environment; the plan says what runs and what does not."""
    project = project_copy(watch_template, tmp_path / "app", "node --watch")
    (project / "seed.js").write_text('require("node:fs").appendFileSync("SEEDED", "seeded\\n");\n')
    package = json.loads((project / "package.json").read_text())
    package["scripts"]["dev"] = "node seed.js && node --watch server.js"
    (project / "package.json").write_text(json.dumps(package, indent=2))
    server = NpmRunDev(project, tmp_path / "server.log").start()
    try:
        assert server.wait_for_status(200) == 200, server.output
        assert (project / "SEEDED").read_text() == "seeded\n"
        add_nickname(project)
        assert server.wait_for_status(500) == 500, server.output

        plan = doctor("reset", "--dry-run", "--project", str(project), env=server.environment)
        assert "node --watch server.js" in plan.stdout and "npm-cli.js run dev" not in plan.stdout, plan.stdout
        code, result = repair_json("reset", project, restarted=restarted_groups, env=server.environment)

        assert code == 0, json.dumps(result, indent=2)
        assert (project / "SEEDED").read_text() == "seeded\n", "the seed ran again"
        (restarted,) = result["devServers"]
        assert psutil.Process(restarted["pid"]).cmdline()[-2:] == ["--watch", "server.js"], restarted
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body
    finally:
        server.stop()


# A server that takes longer to listen than a watcher's grace to begin its re-run (it connects to what it needs first):
# on a busy machine tsx's re-run after a generate took that long (user trial 29a).
SLOW_SERVER = """
const http = require('node:http');
const app = require('./app.js');
setTimeout(() => {
  http.createServer(app(['id', 'name'])).listen(Number(process.env.PORT), '127.0.0.1', () => {
    console.log(`Local: http://localhost:${process.env.PORT}`);
  });
}, %d);
"""


def test_a_watcher_running_its_server_again_for_the_new_client_is_awaited_until_it_listens(
    watch_template: Path, tmp_path: Path
) -> None:
    """`regenerate` under `prisma-doctor run` with `tsx watch` and the client generated inside the project, which tsx
    watches: tsx runs the server again after the generate, and the app is asked once the new process listens, not
    judged after a fixed grace while nothing listens."""
    project = project_copy(watch_template, tmp_path / "app", "tsx")
    schema = project / "prisma" / "schema.prisma"
    output = 'engineType = "client"\n  output     = "../generated/client"'
    schema.write_text(schema.read_text().replace('engineType = "client"', output))
    app = project / "app.js"
    app.write_text(app.read_text().replace("require('@prisma/client')", "require('./generated/client')"))
    listens_after = watchers.GRACE_SECONDS + 2
    (project / "server.js").write_text(SLOW_SERVER % (listens_after * 1000))
    run(["npx", "--no-install", "prisma", "generate"], project, env=repair_environment())
    server = NpmRunDev(project, tmp_path / "unused.log")
    terminal = tmp_path / "terminal.log"
    with run_by_doctor(server, terminal):
        assert server.wait_for_status(200) == 200, terminal.read_text()
        add_nickname(project)
        assert server.wait_for_status(500) == 500, terminal.read_text()
        runs_before = terminal.read_text().count("Local: http://")

        done = doctor("regenerate", "--yes", "--project", str(project), env=server.environment)

        text = terminal.read_text()
        assert done.returncode == 0, done.stdout + done.stderr + text
        closing = done.stdout.strip().splitlines()[-1]
        assert closing == f"repair verified: the app answers: GET /users on localhost:{server.port} answers 200"
        # tsx ran the server again for the new client (it watches `generated/`), and that run is what answered.
        assert text.count("Local: http://") > runs_before, text
        answer = server.users()
        assert answer.status == 200 and '"nickname":"countess"' in answer.body
