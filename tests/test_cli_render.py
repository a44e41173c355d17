"""Findings as a terminal shows them (cli/render.py): each fix with the command that carries it out."""

from __future__ import annotations

import io

from prisma_doctor.cli.render import finding_line, print_report
from prisma_doctor.findings import Finding, Report, Severity


def test_each_fix_a_command_carries_out_is_named_with_it() -> None:
    drift = Finding("client-out-of-sync", Severity.ERROR, "stale", None, ("full-reset", "regenerate", "edit-schema"))
    missing = Finding("prisma-packages-missing", Severity.ERROR, "gone", None, ("install",))
    behind = Finding("db-missing-column", Severity.ERROR, "behind", None, ("migrate-deploy", "migrate-dev", "db-push"))
    stale = Finding("dev-server-stale", Severity.WARNING, "old", None, ("restart-dev-server",))

    fixes = [finding_line(f).splitlines()[-1] for f in (drift, missing, behind, stale)]

    assert fixes == [
        "    fixes: full-reset (prisma-doctor reset), regenerate (prisma-doctor regenerate), "
        "edit-schema (by hand: fix the schema where the finding points)",
        "    fixes: install (prisma-doctor reset)",
        "    fixes: migrate-deploy (prisma-doctor migrate deploy), migrate-dev (prisma-doctor migrate dev), "
        "db-push (prisma-doctor migrate push)",
        "    fixes: restart-dev-server (prisma-doctor restart-dev)",
    ]


# User trial s13, item C2: a trigger that inserts into a dropped column, as `explain` read it with the project.
TRIGGER = Finding(
    "db-object-error",
    Severity.ERROR,
    'the trigger `user_audit` on `User` uses `INSERT INTO "UserAudit"(user_id, old_name)`, but `UserAudit` has no '
    "column `old_name`. The schema and the client are not the cause: recreate the trigger `user_audit` (in a "
    "migration).",
    None,
    ("inspect-database-objects",),
)


def test_a_fix_no_command_carries_out_says_what_to_do_by_hand() -> None:
    assert finding_line(TRIGGER).splitlines()[-1] == (
        "    fixes: inspect-database-objects (by hand: list the triggers, views and functions on the table named in "
        "the error, as the finding says for its database, and fix, in a migration, the one that names what the "
        "database lacks)"
    )


def test_a_database_objects_failure_alone_is_not_called_out_of_sync() -> None:
    """The finding says the schema and the client are not the cause: the summary line does not contradict it."""
    out = io.StringIO()
    print_report(Report.from_findings("/app", [TRIGGER]), as_json=False, out=out)
    summary = out.getvalue().splitlines()[-1]
    assert summary.endswith(": a database object fails (1 problem)"), summary
    assert "out of sync" not in summary


def test_a_commands_output_in_a_repair_detail_keeps_its_lines_whole() -> None:
    # User trial 3, #12: `migrate dev`'s failure was printed as one line with a literal `\n`, its cause cut off.
    from prisma_doctor.cli.repair_command import detail_text

    output = "Loaded Prisma config from prisma.config.ts.\n\nError: Schema engine error:\n"
    output += "no schema engine \x1b[31mhere\x1b[0m"

    shown = detail_text("database", output).splitlines()

    assert shown == [
        "  database: Loaded Prisma config from prisma.config.ts.",
        "    ",
        "    Error: Schema engine error:",
        "    no schema engine \\x1b[31mhere\\x1b[0m",
    ]
