"""The database repairs on the bundled example: a pending migration applied by `prisma-doctor migrate deploy`."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.database_fixtures import fail_a_migration
from tests.helpers import check_json, codes, doctor_json, finding

pytestmark = pytest.mark.node


def columns(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [row[1] for row in connection.execute('PRAGMA table_info("User")')]


def test_migrate_deploy_applies_a_pending_migration(example_app: Path) -> None:
    migration = example_app / "prisma" / "migrations" / "20260201000000_add_user_nickname"
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n', encoding="utf-8")
    assert "nickname" not in columns(example_app / "dev.db")

    status, plan = doctor_json("migrate", "deploy", "--project", str(example_app), "--dry-run")
    assert status == 0, plan
    assert [step["name"] for step in plan["steps"]] == ["database", "verify-app"]
    assert "nickname" not in columns(example_app / "dev.db"), "a dry run changes nothing"

    status, result = doctor_json("migrate", "deploy", "--project", str(example_app))
    assert status == 0, result
    assert result["ok"] is True
    assert "nickname" in columns(example_app / "dev.db")


def test_a_failing_migration_fails_the_repair_with_prismas_message(example_app: Path) -> None:
    migration = example_app / "prisma" / "migrations" / "20260201000000_broken"
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "Nope" ADD COLUMN "x" TEXT;\n', encoding="utf-8")
    status, result = doctor_json("migrate", "deploy", "--project", str(example_app))
    assert status == 1, result
    failed = next(step for step in result["steps"] if step["status"] == "failed")
    assert "no such table" in " ".join(failed["details"]).lower() or "P3018" in " ".join(failed["details"])


def test_a_column_dropped_after_its_migration_ran_is_pushed_back_with_the_data_kept(example_app: Path) -> None:
    """Drift, decided by the database's own `_prisma_migrations`: `db push` first, and `migrate dev` said to want a
    reset, which the real Prisma CLI confirms (and the repair, never forcing it, leaves the data as it was)."""
    schema = example_app / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text().replace("  name  String\n", "  name  String\n  nickname String?\n"))
    migration = example_app / "prisma" / "migrations" / "20260201000000_add_user_nickname"
    migration.mkdir()
    (migration / "migration.sql").write_text('ALTER TABLE "User" ADD COLUMN "nickname" TEXT;\n', encoding="utf-8")
    status, result = doctor_json("migrate", "deploy", "--project", str(example_app))
    assert status == 0, result
    database = example_app / "dev.db"
    with sqlite3.connect(database) as connection:
        # Dropped by hand (another branch's tooling would do the same) after the migration ran.
        connection.execute('ALTER TABLE "User" DROP COLUMN "nickname"')
        users = connection.execute('SELECT id, email, name FROM "User" ORDER BY id').fetchall()
    assert users, "the example is seeded"

    code, report = check_json(example_app)
    assert code == 1, report
    column = finding(report, "db-missing-column")
    assert column["data"] | {"drift": True} == column["data"] and column["data"]["column"] == "nickname", column
    assert [fix["id"] for fix in column["fixes"]] == ["db-push", "migrate-dev"]
    assert "`_prisma_migrations` records it as applied" in column["message"]
    assert "`prisma migrate dev` would detect the drift and ask to reset the database" in column["message"]
    assert "migrations-pending" not in codes(report)

    # What `migrate dev` does here, by Prisma itself: it sees the drift and wants a reset (non-interactive: it stops
    # there), and the rows are as they were.
    prisma = [str(example_app / "node_modules" / ".bin" / "prisma"), "migrate", "dev", "--name", "again"]
    done = subprocess.run(prisma, cwd=example_app, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert done.returncode != 0 and "Drift detected" in done.stdout + done.stderr, done
    assert "We need to reset" in done.stdout + done.stderr, done
    # So the repair refuses it before anything runs, and names the fix that keeps the data.
    status, result = doctor_json("migrate", "dev", "--project", str(example_app))
    assert status == 2, result
    (refused,) = result["refusals"]
    assert "it lacks `User.nickname`" in refused and "would ask to reset the database" in refused, refused
    assert "`prisma-doctor migrate push`" in refused
    assert "nickname" not in columns(database)
    with sqlite3.connect(database) as connection:
        assert connection.execute('SELECT id, email, name FROM "User" ORDER BY id').fetchall() == users

    # The fix offered first: the column is back, every row kept, and the database no longer lacks it.
    status, result = doctor_json("migrate", "push", "--project", str(example_app))
    assert status == 0, result
    assert "nickname" in columns(database)
    with sqlite3.connect(database) as connection:
        assert connection.execute('SELECT id, email, name FROM "User" ORDER BY id').fetchall() == users
    code, report = check_json(example_app)
    assert (code, report["state"]) == (0, "in-sync"), report


def test_a_failed_migration_refuses_migrate_deploy_before_it_runs(example_app: Path) -> None:
    # Attacker's trial 4: with a migration failed part-way (P3009), `check` still offered `migrate deploy` and its
    # plan would run it, though Prisma refuses to go on.
    fail_a_migration(example_app, example_app / "dev.db")

    _, report = check_json(example_app)
    pending = finding(report, "migrations-pending")
    assert pending["fixes"] == [] and "once the failed one is resolved" in pending["message"], pending

    status, plan = doctor_json("migrate", "deploy", "--project", str(example_app), "--dry-run")
    assert status == 2, plan
    assert any("P3009" in reason and "migrate resolve --rolled-back" in reason for reason in plan["refusals"]), plan


@pytest.mark.parametrize("migrations", [True, False], ids=["migrations", "db-push"])
def test_a_database_file_that_does_not_exist_is_said_and_made_by_the_fix_offered(
    example_app: Path, migrations: bool
) -> None:
    """attack4 #6: with the SQLite file gone (a fresh clone, `git clean -fdx`) `check` said "in sync", and the app's
    first query made an empty file and failed on its first table. The fix it offers is the one that makes it: the
    migrations of the folder, or a push of the schema in a project that has none (the real Prisma CLI, through the
    example's libSQL adapter)."""
    database = example_app / "dev.db"
    database.unlink()
    if not migrations:
        shutil.rmtree(example_app / "prisma" / "migrations")

    code, report = check_json(example_app)
    assert code == 1 and codes(report) == ["db-missing"], report
    missing = finding(report, "db-missing")
    assert missing["message"].startswith("No SQLite database at dev.db"), missing
    assert "`main.User` does not exist" in missing["message"]
    fix = "migrate-deploy" if migrations else "db-push"
    assert [f["id"] for f in missing["fixes"]] == [fix]
    assert not database.exists(), "the check creates nothing"

    status, result = doctor_json("migrate", "deploy" if migrations else "push", "--project", str(example_app))
    assert status == 0 and result["ok"] is True, result
    assert columns(database) == ["id", "email", "name"]
    code, report = check_json(example_app)
    assert (code, report["state"], codes(report)) == (0, "in-sync", []), report
