"""One rule for the fixes a finding offers, whatever front end asks (offers.py; user trial 3, #13): `explain` and
`run` (runtime findings, through the diagnosis) offer what `check` (the static check and the database's gaps) offers
for the same cause in the same project."""

from __future__ import annotations

from pathlib import Path

from prisma_doctor.database.catalog import Catalog, Relation
from prisma_doctor.database_state import database_findings
from prisma_doctor.diagnosis import ProjectFacts, diagnose
from prisma_doctor.findings import Finding, Severity
from prisma_doctor.offers import has_migrations, offered, with_offers
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.parser import parse_schema
from tests.test_diagnosis import p2022

SCHEMA = """datasource db {
  provider = "mysql"
  url      = env("DATABASE_URL")
}

model User {
  id       Int     @id
  nickname String?
}
"""


def test_a_running_dev_server_puts_the_full_reset_first_on_every_finding_a_regenerate_fixes() -> None:
    # A regenerate leaves a running server holding its old client (tests/test_layout_pnpm_next.py shows it on Next).
    drift = Finding("client-out-of-sync", Severity.ERROR, "stale", None, ("regenerate", "full-reset"))
    runtime = Finding("client-out-of-sync", Severity.ERROR, "stale", None, ("regenerate", "restart-dev-server"))
    stale = Finding("dev-server-stale", Severity.WARNING, "old", None, ("restart-dev-server",))

    idle = with_offers([drift, runtime, stale], dev_server_running=False, migrations=None)
    busy = with_offers([drift, runtime, stale], dev_server_running=True, migrations=None)

    assert [f.fixes for f in idle] == [drift.fixes, runtime.fixes, stale.fixes]
    assert [f.fixes for f in busy] == [
        ("full-reset", "regenerate"),
        ("full-reset", "regenerate", "restart-dev-server"),
        ("restart-dev-server",),
    ]


def test_the_migrations_folder_decides_between_migrate_and_push() -> None:
    fixes = ("inspect-database-objects", "migrate-deploy", "migrate-dev", "db-push")
    assert offered(fixes, dev_server_running=False, migrations=True) == (
        "inspect-database-objects",
        "migrate-deploy",
        "migrate-dev",
    )
    assert offered(fixes, dev_server_running=False, migrations=False) == ("inspect-database-objects", "db-push")
    assert offered(fixes, dev_server_running=False, migrations=None) == fixes


def test_a_view_keeps_its_migration_whatever_the_folder() -> None:
    # `db push` creates no view: only SQL in a migration does.
    view = Finding("db-missing-table", Severity.ERROR, "no view", None, ("migrate-dev",), data={"view": True})
    (kept,) = with_offers([view], dev_server_running=False, migrations=False)
    assert kept.fixes == ("migrate-dev",)


def test_explain_and_check_offer_the_same_for_a_column_the_database_lacks(tmp_path: Path) -> None:
    datamodel = build_datamodel([parse_schema(SCHEMA, "/p/prisma/schema.prisma")])
    catalog = Catalog("mysql", (Relation("User", "table", ("id",), "app"),), (), "app", "MariaDB 10.11")
    for migrations in ((), ("0001_init",)):
        facts = ProjectFacts(root="/p", schema=datamodel, migrations=migrations)
        (runtime,) = diagnose(p2022("nickname"), facts)
        gaps = database_findings(catalog, "app", list(migrations), {}, [datamodel], datamodel, None)
        offers = with_offers(gaps, dev_server_running=False, migrations=bool(migrations))
        (static,) = [f for f in offers if f.code == "db-missing-column"]
        assert runtime.code == static.code == "db-missing-column"
        assert runtime.fixes == static.fixes == (("migrate-dev",) if migrations else ("db-push",))


def test_a_migrations_folder_counts_when_it_holds_a_migration(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    assert not has_migrations(folder)
    folder.mkdir()
    (folder / "migration_lock.toml").write_text('provider = "mysql"\n')
    assert not has_migrations(folder)
    (folder / "0001_init").mkdir()
    (folder / "0001_init" / "migration.sql").write_text("CREATE TABLE x (id INT);\n")
    assert has_migrations(folder)


def test_a_drifted_database_is_offered_the_push_first_beside_migrate_dev() -> None:
    # The database's `_prisma_migrations` says the migration ran, and it lacks what that migration made: `migrate
    # dev` would want a reset (tests/test_repair_database.py shows Prisma asking for it).
    fixes = ("migrate-dev", "db-push")
    assert offered(fixes, dev_server_running=False, migrations=True, drift=True) == ("db-push", "migrate-dev")
    assert offered(fixes, dev_server_running=False, migrations=True) == ("migrate-dev",)
    assert offered(fixes, dev_server_running=False, migrations=False, drift=True) == ("db-push",)
