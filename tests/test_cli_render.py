"""Findings as a terminal shows them (cli/render.py): each fix with the command that carries it out."""

from __future__ import annotations

from prisma_doctor.cli.render import finding_line
from prisma_doctor.findings import Finding, Severity


def test_each_fix_a_command_carries_out_is_named_with_it() -> None:
    drift = Finding("client-out-of-sync", Severity.ERROR, "stale", None, ("full-reset", "regenerate", "edit-schema"))
    missing = Finding("prisma-packages-missing", Severity.ERROR, "gone", None, ("install",))
    behind = Finding("db-missing-column", Severity.ERROR, "behind", None, ("migrate-deploy", "migrate-dev", "db-push"))
    stale = Finding("dev-server-stale", Severity.WARNING, "old", None, ("restart-dev-server",))

    fixes = [finding_line(f).splitlines()[-1] for f in (drift, missing, behind, stale)]

    assert fixes == [
        "    fixes: full-reset (prisma-doctor reset), regenerate (prisma-doctor regenerate), edit-schema",
        "    fixes: install (prisma-doctor reset)",
        "    fixes: migrate-deploy (prisma-doctor migrate deploy), migrate-dev (prisma-doctor migrate dev), "
        "db-push (prisma-doctor migrate push)",
        "    fixes: restart-dev-server (prisma-doctor restart-dev)",
    ]


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
