"""MySQL/MariaDB: the captures of Prisma 6.17 and 7.10 through @prisma/adapter-mariadb, in English and with the
server's messages in French (where the adapter names no column), explained as a person runs `prisma-doctor explain`
in the capture's project: against a live MariaDB in the state that printed them (the database decides: a trigger, a
missing column, a missing table), in another state, and with no database to ask (the causes the text allows, each
saying what would decide)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.captures.loading import load, project_from_capture
from tests.captures.mariadb_server import PASSWORD, free_port
from tests.database_fixtures import MariaDBServer
from tests.helpers import doctor

CASES = ("p2022-missing-column", "trigger-dropped-column", "p2021-missing-table", "p2002-unique")
FRENCH = ("p2022-missing-column", "trigger-dropped-column")
CAPTURES = [f"mysql-{prisma}-{case}" for prisma in ("p6", "p7") for case in CASES] + [
    f"mysql-fr-{prisma}-{case}" for prisma in ("p6", "p7") for case in FRENCH
]
# What the database decides for each capture (a unique violation is data: the database is not asked). With French
# messages the adapter names no column: the update's trigger comes first, and the column the table lacks as well.
DECIDED = {
    "p2022-missing-column": ["db-missing-column"],
    "trigger-dropped-column": ["db-object-error"],
    "p2021-missing-table": ["db-missing-table"],
    "p2002-unique": ["unique-constraint-failed"],
    "fr-p2022-missing-column": ["db-missing-column"],
    "fr-trigger-dropped-column": ["db-object-error", "db-missing-column"],
}
# Without the database, a name nobody could read gives both causes, ranked, each saying what would decide.
UNDECIDED = {f"fr-{case}": ["db-missing-column", "db-object-error"] for case in FRENCH}


def case_of(name: str) -> str:
    """`mysql-p6-p2002-unique` -> `p2002-unique`, `mysql-fr-p7-trigger-dropped-column` -> its `fr-` case."""
    parts = name.split("-")
    return "-".join(parts[1:2] + parts[3:]) if parts[1] == "fr" else "-".join(parts[2:])


def explain(name: str, root: Path, url: str | None) -> list[dict[str, Any]]:
    """`prisma-doctor explain` on the capture's output in its project, with the URL (if any) in .env."""
    if url is not None:
        (root / ".env").write_text(f'DATABASE_URL="{url}"\n')
    done = doctor(
        "explain", "-", "--project", str(root), "--json", cwd=root, text=False, input=load(name).output_in(root)
    )
    said = (done.stdout + done.stderr).decode()
    assert PASSWORD not in said and "hunter2" not in said, "the password never reaches the output"
    return json.loads(done.stdout)["findings"]


@pytest.mark.mariadb
@pytest.mark.parametrize("name", CAPTURES)
def test_capture_against_the_live_database_that_printed_it(mariadb: MariaDBServer, tmp_path: Path, name: str) -> None:
    root = project_from_capture(name, tmp_path / "app")
    findings = explain(name, root, mariadb.database(load(name).sidecar["database"]))
    assert [f["code"] for f in findings] == DECIDED[case_of(name)], [f["message"] for f in findings]
    for finding in findings:
        if finding["code"] == "unique-constraint-failed":
            assert "database" not in finding["data"]
            continue
        assert finding["data"]["database"]["asked"] is True
        assert finding["data"]["database"]["url"].startswith("mysql://prisma:****@127.0.0.1:")
        assert "The database was asked (MariaDB 10." in finding["message"]
        assert finding["location"]["file"] == str(root / load(name).sidecar["command"][1])
        if finding["code"] == "db-object-error":
            assert (finding["data"]["trigger"], finding["data"]["missing_column"]) == ("user_touch", "User.touchedAt")
            assert "`NEW.touchedAt`" in finding["message"] and "recreate the trigger `user_touch`" in finding["message"]
        elif finding["code"] == "db-missing-column":
            assert finding["data"]["columns"] == ["nickname"]


@pytest.mark.mariadb
@pytest.mark.parametrize("prisma", ["p6", "p7"])
def test_the_same_text_follows_the_databases_state(mariadb: MariaDBServer, tmp_path: Path, prisma: str) -> None:
    # The trigger's text names `touchedAt`; once the trigger is fixed, the database shows nothing that explains it.
    name = f"mysql-{prisma}-trigger-dropped-column"
    root = project_from_capture(name, tmp_path / "fixed")
    fixed = load(name).sidecar["database"] + "DROP TRIGGER user_touch;"
    (finding,) = explain(name, root, mariadb.database(fixed))
    assert finding["code"] == "db-object-error" and "trigger" not in finding["data"]
    assert "shows nothing that explains it now" in finding["message"]
    # The missing column's text once a migration added `nickname`: the database no longer lacks it.
    name = f"mysql-{prisma}-p2022-missing-column"
    root = project_from_capture(name, tmp_path / "migrated")
    state = load(name).sidecar["database"] + "ALTER TABLE `User` ADD COLUMN nickname VARCHAR(191) NULL;"
    (finding,) = explain(name, root, mariadb.database(state))
    # (The database read has the column now: the error was from before, or from another database; h3-truth's words.)
    assert finding["code"] == "db-missing-column" and "has it now" in finding["message"], finding["message"]


@pytest.mark.mariadb
def test_a_table_made_on_windows_or_macos_differs_by_case_on_linux(mariadb: MariaDBServer, tmp_path: Path) -> None:
    # Windows' MySQL (lower_case_table_names = 1) stored the migration's `Post` as `post`; restored on Linux, where
    # names are compared as written, Prisma's `Post` is not there. A migration would make a second, empty table.
    name = "mysql-p7-p2021-missing-table"
    root = project_from_capture(name, tmp_path / "app")
    state = load(name).sidecar["database"] + "CREATE TABLE post (id INT AUTO_INCREMENT PRIMARY KEY, title TEXT);"
    (finding,) = explain(name, root, mariadb.database(state))
    assert finding["code"] == "db-missing-table" and finding["data"]["differs_in_case"] == "post"
    assert finding["fixes"] == [{"id": "edit-schema", "title": "Edit the schema"}]
    assert "RENAME TABLE post TO Post" in finding["message"] and "do not migrate" in finding["message"]


@pytest.mark.parametrize("name", CAPTURES)
def test_without_the_database_each_cause_says_what_would_decide(tmp_path: Path, name: str) -> None:
    root = project_from_capture(name, tmp_path / "app")
    findings = explain(name, root, None)
    case = case_of(name)
    assert [f["code"] for f in findings] == UNDECIDED.get(case, DECIDED[case])
    if case in UNDECIDED:
        assert [f["data"]["rank"] for f in findings] == [1, 2]
    for finding in findings:
        if finding["code"] == "unique-constraint-failed":
            continue
        database = finding["data"]["database"]
        assert database["asked"] is False, database
        # Which files each side read, the app's and Prisma's CLI's (trial 7: the schema's package had one).
        app = "the environment variable DATABASE_URL is not set for the app: not in the environment nor in .env"
        assert database["reason"].startswith(app) and "is not set for Prisma's CLI: " in database["reason"]
        assert "what would decide is the database's answer" in finding["message"]
        if finding["code"] == "db-object-error":
            assert "SHOW TRIGGERS LIKE 'User'" in finding["message"] and "psql" not in finding["message"]


@pytest.mark.parametrize("prisma", ["p6", "p7"])
def test_an_unreachable_database_is_said_without_the_password(tmp_path: Path, prisma: str) -> None:
    name = f"mysql-{prisma}-trigger-dropped-column"
    root = project_from_capture(name, tmp_path / "app")
    (finding,) = explain(name, root, f"mysql://prisma:hunter2@127.0.0.1:{free_port()}/app")
    assert finding["code"] == "db-object-error" and finding["data"]["database"]["asked"] is False
    assert "refused" in finding["data"]["database"]["reason"].lower()
