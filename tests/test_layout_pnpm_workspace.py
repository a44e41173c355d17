"""A pnpm-workspaces monorepo on Next 16 + Prisma 7 (tests/pnpm_workspace_app.py): the schema and its client in
`packages/db`, `next dev` in `apps/web`. From the root and from the app, `check` names the schema's package; the
repair generates (or reinstalls, at the workspace root) there and restarts the app's server where it ran, and the
page answers with the new data; a database behind is found from the app, its runtime error placed on the app's page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prisma_doctor.repair.package_manager import PNPM_AS_INSTALLED
from tests import pnpm_next_app as single
from tests import pnpm_workspace_app as workspace
from tests.dev_server import DevServer
from tests.helpers import check_json, doctor, dry_run_plan, finding, own_prisma_run, previews, repair_json
from tests.pnpm_next_app import PnpmDev, users

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return workspace.build(tmp_path_factory.mktemp("pnpm-workspace") / "mono")


@pytest.fixture
def mono(built: Path, tmp_path: Path) -> Path:
    return single.copy(built, tmp_path / "mono")


@pytest.fixture
def server(mono: Path, start_dev_server: Callable[..., DevServer]) -> PnpmDev:
    """`pnpm run dev` in apps/web, answering with the seeded users; stopped at teardown."""
    started = start_dev_server(mono / workspace.WEB, kind=PnpmDev)
    assert isinstance(started, PnpmDev) and [u["name"] for u in users(started)] == ["Ada", "Grace"]
    return started


def serves_the_nickname_again(result: dict[str, Any], server: PnpmDev, web: Path) -> None:
    """The repair started the app's one server again, in apps/web on its own port, and its page has the nickname."""
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port and restarted["log"].startswith(str(web))
    assert [u.get("nickname") for u in users(server)] == ["countess", None]


def test_a_field_added_in_packages_db_is_repaired_from_the_root_and_apps_web_serves_it(
    mono: Path, server: PnpmDev, restarted_groups: list[int]
) -> None:
    db, web = mono / workspace.DB, mono / workspace.WEB
    single.add_nickname(db, migrated=True, app=web)
    assert server.wait_for_status(500) == 500

    for folder in (mono, web):
        code, report = check_json(folder)
        assert code == 1 and report["project"] == str(db), report
        assert "`User.nickname`" in finding(report, "client-out-of-sync")["message"], report

    plan = dry_run_plan("reset", project=mono, env=single.environment())
    assert plan["project"] == str(db) and not plan["refusals"], plan
    steps = previews(plan)
    assert steps["generate"] == [own_prisma_run(db, "generate")], steps
    assert [line for line in steps["restart-dev"] if f"pnpm run dev --port {server.port} (in {web}," in line], steps

    code, result = repair_json("reset", mono, restarted=restarted_groups, env=single.environment())

    assert code == 0, json.dumps(result, indent=2)
    serves_the_nickname_again(result, server, web)


def test_deleted_prisma_packages_of_packages_db_are_reinstalled_at_the_workspace_root(
    mono: Path, server: PnpmDev, restarted_groups: list[int]
) -> None:
    db, web = mono / workspace.DB, mono / workspace.WEB
    for link in (db / "node_modules" / "@prisma").iterdir():
        link.unlink()
    (db / "node_modules" / "@prisma").rmdir()

    code, report = check_json(web)
    assert code == 1, report
    assert finding(report, "prisma-packages-missing")["data"]["missing"] == ["@prisma/client", "@prisma/adapter-libsql"]

    plan = dry_run_plan("reset", project=web, env=single.environment())
    steps = previews(plan)
    assert steps["reinstall"][-1] == f"run: {single.pnpm_path()} {PNPM_AS_INSTALLED} install (in {mono})", steps
    assert steps["generate"] == [own_prisma_run(db, "generate")], steps

    code, result = repair_json("reset", web, restarted=restarted_groups, env=single.environment())

    assert code == 0, json.dumps(result, indent=2)
    assert (db / "node_modules" / "@prisma" / "client").is_symlink()
    # The server started again loads @prisma/client and the adapter from scratch, through the new links.
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["port"] == server.port
    assert [u["name"] for u in users(server)] == ["Ada", "Grace"]


def test_generate_in_packages_db_under_the_running_app_is_stale_and_restart_dev_from_the_root_serves_it(
    mono: Path, server: PnpmDev, restarted_groups: list[int]
) -> None:
    db, web = mono / workspace.DB, mono / workspace.WEB
    single.add_nickname(db, migrated=True, app=web)
    single.generate(db)
    # The app's server keeps the client it loaded first.
    assert server.wait_for_status(200, timeout=10) == 500, server.output

    code, report = check_json(mono)
    assert code == 1, report
    stale = finding(report, "dev-server-stale")
    assert stale["data"]["cwd"] == str(web) and [f["id"] for f in stale["fixes"]] == ["restart-dev-server"], stale
    # The singleton beside the client in packages/db keeps the old instance: decided.
    assert stale["data"]["decided"] is True and "keeps its PrismaClient on globalThis" in stale["message"], stale

    code, result = repair_json("restart-dev", mono, restarted=restarted_groups, env=single.environment())

    assert code == 0, json.dumps(result, indent=2)
    serves_the_nickname_again(result, server, web)


def test_a_database_behind_is_found_from_the_app_and_its_error_lands_on_the_apps_page(
    mono: Path, tmp_path: Path
) -> None:
    db, web = mono / workspace.DB, mono / workspace.WEB
    single.add_nickname(db, migrated=False, app=web)
    single.generate(db)
    server = PnpmDev(web, tmp_path / "pnpm-run-dev.log").start()
    try:
        assert server.get("/").status == 500
        log = single.next_log(web, "no such column")
    finally:
        server.stop()

    code, report = check_json(web)
    assert code == 1 and report["project"] == str(db), report
    missing = finding(report, "db-missing-column")
    assert missing["location"]["file"] == str(db / "prisma" / "schema.prisma"), missing
    assert f"the pending migration `{single.NICKNAME_MIGRATION}` creates it" in missing["message"], missing

    # Next's log in apps/web names the bundle; the finding lands on the app's page, and on the schema's field.
    done = doctor("explain", str(log), "--project", str(web), "--json", env=single.environment())
    assert done.returncode == 1, done.stdout + done.stderr
    (cause,) = json.loads(done.stdout)["findings"]
    assert cause["code"] == "db-missing-column", cause
    assert (cause["location"]["file"], cause["location"]["line"]) == (str(web / "src" / "app" / "page.tsx"), 7)
    assert [r["file"] for r in cause["related"]] == [str(db / "prisma" / "schema.prisma")], cause


def test_an_apps_database_url_built_in_code_is_read_as_the_clis_likely_file_not_a_missing_one(mono: Path) -> None:
    """User trial 13b: the app passes its adapter a URL its code builds (`file:${join(__dirname, ...)}`), not the
    relative one its .env names; no file stands at that relative path in the app's folder (an app that has answered
    would have made one there), so the one it opens is likely the CLI's, not a missing one ("database behind" on
    every check and "NOT verified" after every repair)."""
    web = mono / workspace.WEB
    (web / ".env").write_text('DATABASE_URL="file:./dev.db"\n')
    assert not (web / "dev.db").exists() and (mono / workspace.DB / "dev.db").is_file()

    code, report = check_json(web)

    # Neither missing nor another database than the CLI's (which would refuse every migrate): in sync.
    assert not [f for f in report["findings"] if f["code"] in ("db-missing", "db-differs")], report
    assert code == 0, report
