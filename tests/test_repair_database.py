"""The database repairs on the bundled example: a pending migration applied by `prisma-doctor migrate deploy`."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.helpers import doctor_json

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
