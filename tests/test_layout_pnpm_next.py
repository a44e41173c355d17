"""pnpm + Next 16 + Prisma 7, its `prisma-client` generator writing into `src/generated/prisma`
(tests/pnpm_next_app.py), under a real `pnpm run dev`: each break as a person makes it, each repair through the
command line. Asserted is what the user sees: what `check` finds, what `--dry-run` plans, and after the one repair
the doctor offers, the page itself with the new data (or the repair refusing, and the page answering as before).

One project is built per module and copied per test with hard links; every test starts its own `next dev`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.repair.package_manager import PNPM_AS_INSTALLED
from tests import pnpm_next_app as layout
from tests.dev_server import DevServer, free_port
from tests.helpers import (
    check_json,
    doctor,
    dry_run_plan,
    finding,
    own_prisma_run,
    previews,
    repair_json,
    step,
    tree_contents,
)
from tests.pnpm_next_app import PnpmDev

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return layout.build(tmp_path_factory.mktemp("pnpm-next") / "app")


@pytest.fixture
def app(built: Path, tmp_path: Path) -> Path:
    return layout.copy(built, tmp_path / "app")


@pytest.fixture
def start_server(app: Path, start_dev_server: Callable[..., DevServer]) -> Callable[[], PnpmDev]:
    """Starts `pnpm run dev` in the test's project once it is asked to; stopped at teardown."""

    def start() -> PnpmDev:
        server = start_dev_server(app, kind=PnpmDev)
        assert isinstance(server, PnpmDev)
        return server

    return start


def codes(report: dict[str, Any]) -> set[str]:
    return {finding["code"] for finding in report["findings"]}


def plan_of(app: Path, *command: str) -> dict[str, list[str]]:
    """Each step's preview in the plan `--dry-run` prints."""
    plan = dry_run_plan(*command, project=app, env=layout.environment())
    return previews(plan)


def test_a_field_added_without_generate_is_found_and_reset_serves_it(
    app: Path, start_server: Callable[[], PnpmDev], restarted_groups: list[int]
) -> None:
    server = start_server()
    layout.add_nickname(app, migrated=True)
    assert server.wait_for_status(500) == 500
    assert "Unknown field `nickname`" in server.output

    code, report = check_json(app)
    assert code == 1, report
    stale = finding(report, "client-out-of-sync")
    assert "`User.nickname`" in stale["message"] and stale["location"]["file"] == str(app / "prisma/schema.prisma")
    # With the server running, the reset comes first: a bare regenerate would leave it on the old client.
    assert [fix["id"] for fix in stale["fixes"]] == ["full-reset", "regenerate"]

    plan = plan_of(app, "reset")
    assert any(line.startswith(f"{app / 'src/generated/prisma'} (") for line in plan["set-aside"]), plan
    # Turbopack compiled the client in `src/generated` into `.next`: kept, it compiles the new one (build_cache.py).
    assert any(line.startswith(f"{app / '.next'}: left in place") for line in plan["set-aside"]), plan
    assert plan["generate"] == [own_prisma_run(app, "generate")], plan
    assert [line for line in plan["restart-dev"] if f"pnpm run dev --port {server.port} (in {app}," in line], plan

    code, result = repair_json("reset", app, restarted=restarted_groups, env=layout.environment())

    assert code == 0, json.dumps(result, indent=2)
    assert f"GET / on localhost:{server.port} answers 200" in step(result, "verify-app")["message"]
    assert [u.get("nickname") for u in layout.users(server)] == ["countess", None]


def test_generate_while_the_server_runs_is_found_stale_and_restart_dev_serves_it(
    app: Path, start_server: Callable[[], PnpmDev], restarted_groups: list[int]
) -> None:
    server = start_server()
    layout.add_nickname(app, migrated=True)
    assert server.wait_for_status(500) == 500
    layout.generate(app)
    # The running server keeps the client it loaded first (Prisma's singleton on globalThis).
    assert server.wait_for_status(200, timeout=10) == 500, server.output

    code, report = check_json(app)
    assert code == 1 and codes(report) == {"dev-server-stale"}, report
    stale = finding(report, "dev-server-stale")
    assert [fix["id"] for fix in stale["fixes"]] == ["restart-dev-server"]
    # Next rebuilt the client it bundles, but the singleton's instance outlives that: decided, and why is said.
    assert stale["data"]["decided"] is True, stale
    assert "src/lib/prisma.ts keeps its PrismaClient on globalThis" in stale["message"]

    plan = plan_of(app, "restart-dev")
    assert [line for line in plan["stop"] if f"pid {server.process.pid}: " in line], plan
    assert [line for line in plan["restart-dev"] if f"pnpm run dev --port {server.port} (in {app}," in line], plan

    code, result = repair_json("restart-dev", app, restarted=restarted_groups, env=layout.environment())

    assert code == 0, json.dumps(result, indent=2)
    assert server.process.wait(timeout=30) is not None
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port
    assert [u.get("nickname") for u in layout.users(server)] == ["countess", None]


def test_without_a_globalthis_singleton_next_serves_the_new_client_so_its_start_decides_nothing(
    app: Path, start_server: Callable[[], PnpmDev]
) -> None:
    # The client made at each evaluation of its module, as many apps do: no instance outlives Next's rebuild.
    plain = layout.PRISMA_MODULE.split("const globalForPrisma")[0] + (
        "export const prisma = new PrismaClient({\n"
        '  adapter: new PrismaLibSql({ url: process.env.DATABASE_URL ?? "file:./dev.db" }),\n});\n'
    )
    (app / "src" / "lib" / "prisma.ts").write_text(plain)
    server = start_server()
    layout.add_nickname(app, migrated=True)
    assert server.wait_for_status(500) == 500
    layout.generate(app)
    # Turbopack rebuilt the client it bundles from src/generated: the page answers with the new field.
    assert server.wait_for_status(200, timeout=30) == 200, server.output
    assert [u.get("nickname") for u in layout.users(server)] == ["countess", None]

    code, report = check_json(app)
    # Next prints nothing that shows it, and its process is older than the client: it may be stale, not "is".
    stale = finding(report, "dev-server-stale")
    assert code == 1 and stale["data"]["decided"] is False, report
    assert "may be stale; what decides: request a route that uses the new field" in stale["message"]


def test_a_database_behind_is_found_and_a_migrate_that_cannot_run_changes_nothing(
    app: Path, start_server: Callable[[], PnpmDev], restarted_groups: list[int]
) -> None:
    # Generated, never migrated: the client has `nickname`, the migration that adds it is not applied.
    layout.add_nickname(app, migrated=False)
    layout.generate(app)
    server = start_server()
    assert server.get("/").status == 500
    # Prisma 7.10 with the libSQL adapter: P2039, the driver's own words in backquotes.
    assert "no such column: main.User.nickname`" in server.output

    code, report = check_json(app)
    assert code == 1 and codes(report) == {"migrations-pending", "db-missing-column"}, report
    missing = finding(report, "db-missing-column")
    assert f"the pending migration `{layout.NICKNAME_MIGRATION}` creates it" in missing["message"], missing
    assert [fix["id"] for fix in missing["fixes"]] == ["migrate-deploy"]

    # What the server printed is read the same way: the column is missing because the migration is pending (not a
    # trigger or a view, as the backquote once made it look).
    log = layout.next_log(app, "no such column")
    explained = doctor("explain", str(log), "--project", str(app), "--json", env=layout.environment())
    assert explained.returncode == 1, explained.stdout + explained.stderr
    causes = json.loads(explained.stdout)["findings"]
    assert {f["code"] for f in causes} == {"db-missing-column"}, causes
    assert f"the migration `{layout.NICKNAME_MIGRATION}` creates it" in causes[0]["message"], causes
    # Next's log names only the bundle's line; its source map gives the page's (`await prisma.user.findMany`).
    assert causes[0]["location"]["file"] == str(app / "src" / "app" / "page.tsx"), causes
    assert causes[0]["location"]["line"] == 7, causes

    plan = plan_of(app, "migrate", "deploy")
    deploy = own_prisma_run(app, "migrate deploy")
    assert plan["database"] == [deploy], plan

    # Prisma 7's migrate needs its native schema engine, downloaded from Prisma's server: unreachable, as on this
    # machine (a closed local port stands for it, so that the test does not depend on the network).
    before = tree_contents(app / "prisma"), (app / "dev.db").read_bytes()
    unreachable = {**layout.environment(), "PRISMA_ENGINES_MIRROR": f"http://127.0.0.1:{free_port()}"}
    unreachable.pop("PRISMA_SCHEMA_ENGINE_BINARY")
    done = doctor("migrate", "deploy", "--project", str(app), "--yes", env=unreachable)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed: prisma migrate deploy failed (exit 1)" in done.stdout
    # The cause is named, read from Prisma's own output, with what can be done about it.
    cause = f"database: engine-unavailable: The Prisma CLI {layout.PRISMA} could not download its schema engine"
    assert f"{cause} (connect ECONNREFUSED" in done.stdout, done.stdout
    assert "PRISMA_SCHEMA_ENGINE_BINARY" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "repair NOT complete", done.stdout
    assert (tree_contents(app / "prisma"), (app / "dev.db").read_bytes()) == before
    assert server.process.poll() is None and server.get("/").status == 500


def test_deleted_prisma_packages_are_found_and_reset_reinstalls_them_from_the_store(
    app: Path, start_server: Callable[[], PnpmDev], restarted_groups: list[int]
) -> None:
    server = start_server()
    lock = (app / "pnpm-lock.yaml").read_bytes()
    # The incident's cleanup: pnpm's links to @prisma/client and the adapter, in node_modules/@prisma.
    for link in (app / "node_modules" / "@prisma").iterdir():
        link.unlink()
    (app / "node_modules" / "@prisma").rmdir()

    code, report = check_json(app)
    assert code == 1, report
    missing = finding(report, "prisma-packages-missing")
    assert missing["data"]["missing"] == ["@prisma/client", "@prisma/adapter-libsql"], missing
    assert [f["id"] for f in missing["fixes"]] == ["install"]

    plan = plan_of(app, "reset")
    assert plan["reinstall"] == [
        "missing: @prisma/client, @prisma/adapter-libsql",
        f"run: {layout.pnpm_path()} {PNPM_AS_INSTALLED} install (in {app})",
    ], plan
    assert plan["generate"] == [own_prisma_run(app, "generate")], plan

    code, result = repair_json("reset", app, restarted=restarted_groups, env=layout.environment())

    assert code == 0, json.dumps(result, indent=2)
    assert step(result, "reinstall")["status"] == "done"
    assert (app / "node_modules" / "@prisma" / "client").is_symlink()
    assert (app / "node_modules" / "@prisma" / "adapter-libsql").is_symlink()
    assert (app / "pnpm-lock.yaml").read_bytes() == lock
    # A new server process resolves @prisma/client from scratch: the page answers through it.
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port
    assert [u["name"] for u in layout.users(server)] == ["Ada", "Grace"]


def test_a_model_renamed_with_map_and_an_enum_value_added_are_served_after_reset(
    app: Path, start_server: Callable[[], PnpmDev], restarted_groups: list[int]
) -> None:
    server = start_server()
    layout.edit(app, "prisma/schema.prisma", "model User {", "model Member {")
    layout.edit(
        app,
        "prisma/schema.prisma",
        "  role  Role   @default(READER)\n",
        '  role  Role   @default(READER)\n\n  @@map("User")\n',
    )
    layout.edit(app, "prisma/schema.prisma", "  WRITER\n", "  WRITER\n  ADMIN\n")
    layout.edit(app, "src/app/page.tsx", "prisma.user.findMany", "prisma.member.findMany")
    with sqlite3.connect(app / "dev.db") as database:
        database.execute("UPDATE \"User\" SET role = 'ADMIN' WHERE email = 'grace@example.com'")
    assert server.wait_for_status(500) == 500

    code, report = check_json(app)
    assert code == 1, report
    messages = " ".join(f["message"] for f in report["findings"] if f["code"] == "client-out-of-sync")
    assert "renamed to `Member` (same table `User`)" in messages and "`Role.ADMIN`" in messages, report

    plan = plan_of(app, "reset")
    assert plan["generate"] == [own_prisma_run(app, "generate")], plan

    code, result = repair_json("reset", app, restarted=restarted_groups, env=layout.environment())

    assert code == 0, json.dumps(result, indent=2)
    assert layout.roles(server) == ["READER", "WRITER", "ADMIN"]
    assert [(u["name"], u["role"]) for u in layout.users(server)] == [("Ada", "WRITER"), ("Grace", "ADMIN")]


def test_an_invalid_schema_is_refused_and_the_app_answers_as_before(
    app: Path, start_server: Callable[[], PnpmDev]
) -> None:
    server = start_server()
    before = layout.users(server)
    layout.edit(app, "prisma/schema.prisma", "  name  String\n", "  name  String\n  nickname Strin?\n")
    client = tree_contents(app / "src" / "generated" / "prisma")

    code, report = check_json(app)
    assert code != 0 and "schema-invalid" in codes(report), report
    invalid = finding(report, "schema-invalid")
    assert invalid["location"]["line"] == 14 and "Strin" in invalid["message"], invalid

    plan = dry_run_plan("reset", project=app, env=layout.environment(), refused=True)
    assert plan["refusals"] and "the schema does not validate" in plan["refusals"][0], plan

    done = doctor("reset", "--project", str(app), "--yes", env=layout.environment())

    assert done.returncode == 2, done.stdout + done.stderr
    assert "the schema does not validate" in done.stderr, done.stderr
    assert server.process.poll() is None, "a refused repair stops nothing"
    assert tree_contents(app / "src" / "generated" / "prisma") == client
    assert layout.users(server) == before
