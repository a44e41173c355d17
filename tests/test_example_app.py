"""The bundled example works, and scripts/break.sh breaks it the way a user meets it, on a real `next dev`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dev_server import DevServer
from tests.example_app import run_checked, run_script
from tests.helpers import doctor

pytestmark = [pytest.mark.node, pytest.mark.timeout(600)]

SEEDED = ("Ada Lovelace", "Grace Hopper", "Linus Torvalds")


def user_names(html: str) -> list[str]:
    return re.findall(r'<span class="user-name">([^<]*)</span>', html)


def test_serves_the_seeded_users(example_app: Path, start_dev_server: Callable[[Path], DevServer]) -> None:
    server = start_dev_server(example_app)
    page = server.get("/")
    assert page.status == 200, server.output
    assert user_names(page.body) == list(SEEDED)
    lock = example_app / ".next" / "dev" / "lock"
    assert json.loads(lock.read_text())["port"] == server.port
    # Whether Next removes its lock on stop depends on how fast its worker exits under SIGTERM (under load our
    # helper kills the group first): the repair reads the lock's pid and start time rather than trusting its presence.
    server.stop()


def test_the_server_action_renames_a_user(example_app: Path, start_dev_server: Callable[[Path], DevServer]) -> None:
    server = start_dev_server(example_app)
    answer = server.submit_form(server.get("/").body, {"id": "2", "name": "Grace Brewster Hopper"})
    assert answer.status == 200, server.output
    assert user_names(server.get("/").body) == ["Ada Lovelace", "Grace Brewster Hopper", "Linus Torvalds"]


def test_break_with_db_makes_the_running_server_fail_with_prisma_errors(
    example_app: Path, start_dev_server: Callable[[Path], DevServer]
) -> None:
    server = start_dev_server(example_app)
    form_page = server.get("/").body
    run_script(example_app, "break.sh", "--db")

    page = server.get("/")
    assert page.status == 500
    output = server.wait_for_output("Unknown field `nickname` for select statement on model `User`")
    assert "Invalid `prisma.user.findMany()` invocation" in output
    assert "at async UsersPage (app/page.tsx:8:17)" in output

    action = server.submit_form(form_page, {"id": "1", "name": "Ada", "nickname": "Countess"})
    assert action.status == 500
    output = server.wait_for_output("Unknown argument `nickname`. Available options are marked with ?.")
    assert "Invalid `prisma.user.update()` invocation" in output
    assert "at async renameUser (app/actions.ts:11:3)" in output


def test_regenerating_after_a_schema_only_break_fails_on_the_database(
    example_app: Path, start_dev_server: Callable[[Path], DevServer]
) -> None:
    run_script(example_app, "break.sh")
    assert not list((example_app / "prisma" / "migrations").glob("*_add_user_nickname"))
    # The client now knows `nickname`; the database has no such column.
    run_checked([str(example_app / "node_modules" / ".bin" / "prisma"), "generate"], example_app, "generate")
    server = start_dev_server(example_app)
    assert server.get("/").status == 500
    output = server.wait_for_output("SQLITE_ERROR: no such column: main.User.nickname")
    assert "at async UsersPage (app/page.tsx:8:17)" in output
    # `main` is SQLite's schema name, not a table: the doctor names the column the database lacks (issue 14).
    done = doctor("explain", "-", "--project", str(example_app), "--json", cwd=example_app, input=output)
    findings = [f for f in json.loads(done.stdout)["findings"] if f["code"].startswith("db-")]
    assert [(f["code"], f["data"].get("columns")) for f in findings] == [("db-missing-column", ["nickname"])], findings
    assert "no table" not in findings[0]["message"] and findings[0]["data"]["database"]["asked"] is True


def test_restore_returns_to_the_clean_state(example_app: Path, start_dev_server: Callable[[Path], DevServer]) -> None:
    originals = {name: (example_app / name).read_text() for name in ("prisma/schema.prisma", "app/page.tsx")}
    run_script(example_app, "break.sh", "--db")
    assert "nickname" in (example_app / "prisma" / "schema.prisma").read_text()
    run_script(example_app, "restore.sh")
    assert {name: (example_app / name).read_text() for name in originals} == originals
    assert not list((example_app / "prisma" / "migrations").glob("*_add_user_nickname"))
    server = start_dev_server(example_app)
    page = server.get("/")
    assert page.status == 200, server.output
    assert user_names(page.body) == list(SEEDED)
