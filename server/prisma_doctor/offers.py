"""Which fixes a finding offers, and in what order: one rule, whatever front end asks (`check`, `explain`, `run`,
the language server), applied once the finding's cause is known.

- While a dev server runs, a finding a regenerate fixes offers the full reset first: a bare regenerate leaves that
  server holding the client it loaded at start (Next's and tsx's singletons do), so it is not the repair that makes
  the app answer. Not when every server is a watcher that sees the client change and runs its app again by itself
  (`tsx watch`, `node --watch`, the client outside node_modules: `staleness.reloads_by_itself`): the caller says no
  server holds one, and a regenerate, half the time of a reset, comes first.
- The database is brought up to date by migrations when the project has a migrations folder (`migrate deploy` for
  those written, `migrate dev` for a change; never `db push`, which would leave the history behind), and by
  `db push` when it has none (there is nothing to deploy, and `migrate dev` would start a history on a database
  that already has tables: it sees drift and wants a reset). A view is the exception: only SQL in a migration
  creates it (`db push` does not), so its fixes stay as they are.
- Drift, decided by the database's own record: a table or column that a migration creates, whose run
  `_prisma_migrations` records as finished, and that the database lacks (dropped by hand, or by another branch's
  tooling). `migrate dev` then finds the database drifted from the history and asks to reset it (every row lost),
  so `db push` (adds what is missing, keeps the data and the history) is offered first, beside it, and the finding
  says why (`drift_remedy`, flagged `data["drift"]`).
- While the schema does not validate, every repair but a restart refuses (repair/plan.py's `_schema_refusals`:
  Prisma cannot load it), so none of theirs is offered: a finding whose fixes were all such repairs offers
  `edit-schema`, the one that can succeed first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from prisma_doctor.findings import REPAIR_FOR_FIX, Finding

# The findings that say Prisma cannot load the schema: every repair but a restart refuses while one stands.
SCHEMA_BROKEN = frozenset({"schema-invalid", "schema-unreadable"})
DATABASE_FIXES = ("migrate-deploy", "migrate-dev", "db-push")
# What a drifted database is offered, the fix that keeps its data first.
DRIFT_FIXES = ("db-push", "migrate-dev")


def drift_remedy(migration: str) -> tuple[str, tuple[str, ...]]:
    """What to say and offer when the migration that creates a table or column ran (the database's
    `_prisma_migrations` says so) and the database lacks it all the same."""
    return (
        f"the migration `{migration}` creates it and the database's `_prisma_migrations` records it as applied, so "
        "the database was changed since (dropped by hand or by another branch's tooling, or the migration was edited "
        "after it ran): it has drifted from its migrations. `prisma db push` adds what is missing and keeps the data "
        "(a required column without a default it cannot add to a table that has rows: it refuses then, changing "
        "nothing); `prisma migrate dev` would detect the drift and ask to reset the database, losing its data.",
        DRIFT_FIXES,
    )


def schema_broken(findings: Iterable[Finding]) -> bool:
    """Whether Prisma cannot load the schema (it does not validate, or a file of it cannot be read)."""
    return any(f.code in SCHEMA_BROKEN for f in findings)


def offered(
    fixes: tuple[str, ...],
    *,
    dev_server_running: bool,
    migrations: bool | None,
    drift: bool = False,
    schema_valid: bool = True,
) -> tuple[str, ...]:
    """`fixes` by the rule above; `migrations`: whether the project has a migrations folder with a migration in it
    (None: not known, the database fixes are left as the cause gave them); `drift`: the database's record says the
    migration that makes what it lacks ran; `schema_valid` False: Prisma cannot load the schema."""
    result = list(fixes)
    if not schema_valid:
        result = [fix for fix in result if REPAIR_FOR_FIX.get(fix, "restart-dev") == "restart-dev"] or ["edit-schema"]
    if dev_server_running and "regenerate" in result:
        result = ["full-reset", *(fix for fix in result if fix != "full-reset")]
    if migrations is not None and any(fix in DATABASE_FIXES for fix in result):
        at = next(i for i, fix in enumerate(result) if fix in DATABASE_FIXES)
        kept = [fix for fix in result if fix not in DATABASE_FIXES]
        if migrations and drift:
            wanted = list(DRIFT_FIXES)
        elif migrations:
            wanted = [fix for fix in result if fix in ("migrate-deploy", "migrate-dev")] or ["migrate-dev"]
        else:
            wanted = ["db-push"]
        result = kept[:at] + wanted + kept[at:]
    return tuple(dict.fromkeys(result))


def with_offers(
    findings: Iterable[Finding], *, dev_server_running: bool, migrations: bool | None, schema_valid: bool = True
) -> list[Finding]:
    return [
        replace(
            f,
            fixes=offered(
                f.fixes,
                dev_server_running=dev_server_running,
                migrations=None if f.data.get("view") else migrations,
                drift=bool(f.data.get("drift")),
                schema_valid=schema_valid,
            ),
        )
        if f.fixes
        else f
        for f in findings
    ]


def has_migrations(folder: Path) -> bool:
    """Whether a migrations folder holds a migration (`<name>/migration.sql`, as Prisma writes them)."""
    return folder.is_dir() and any(folder.glob("*/migration.sql"))
