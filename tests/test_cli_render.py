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
