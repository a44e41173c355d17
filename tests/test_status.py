"""The one classification of a project's report for a person (`status.Status`): what the status bar shows."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from prisma_doctor.database_state import NOT_COMPARED
from prisma_doctor.findings import Finding, Location, Report, Severity, Span
from prisma_doctor.status import DATABASE_BEHIND_CODES, Display, Status, database_not_compared, worst


def finding(code: str, severity: Severity = Severity.ERROR, line: int = 0, count: int = 1) -> Finding:
    return Finding(code, severity, f"{code} here", Location("/p/schema.prisma", Span.at(line)), count=count)


def status(*findings: Finding, known: bool = True) -> Status:
    return Status.of(Report.from_findings("/p", findings, known=known))


def test_no_problem_is_in_sync_whatever_the_hints_and_infos() -> None:
    shown = status(finding("unique-constraint-failed", Severity.INFO), finding("client-stale-copies", Severity.HINT))
    assert (shown.state, shown.display, shown.problems, shown.summary) == (
        "in-sync",
        Display.IN_SYNC,
        0,
        "Prisma: in sync",
    )


@pytest.mark.parametrize("code", sorted(DATABASE_BEHIND_CODES))
def test_every_database_code_alone_is_database_behind(code: str) -> None:
    shown = status(finding(code))
    assert (shown.state, shown.display, shown.summary) == (
        "out-of-sync",
        Display.DATABASE_BEHIND,
        "Prisma: database behind (1 problem)",
    )


def test_a_failed_migration_beside_pending_ones_is_still_the_database() -> None:
    assert status(finding("migration-failed"), finding("migrations-pending", line=1)).display is Display.DATABASE_BEHIND


def test_only_a_stale_dev_server_says_so() -> None:
    shown = status(finding("dev-server-stale", Severity.WARNING))
    assert (shown.display, shown.summary) == (Display.DEV_SERVER_STALE, "Prisma: dev server stale (1 problem)")


def test_a_dev_server_nothing_decides_may_be_stale() -> None:
    undecided = replace(finding("dev-server-stale", Severity.WARNING), data={"decided": False})
    shown = status(undecided)
    assert (shown.display, shown.summary) == (Display.DEV_SERVER_STALE, "Prisma: dev server may be stale (1 problem)")
    # One server known to be stale is what the glance says.
    decided = replace(finding("dev-server-stale", Severity.WARNING, line=1), data={"decided": True})
    assert status(undecided, decided).summary == "Prisma: dev server stale (2 problems)"


@pytest.mark.parametrize(
    ("codes", "display", "words"),
    [
        # After a `git pull`: a migration pending, the client behind the schema, a server on the old client. The
        # database comes first (it fails the app whatever the client; `migrate dev` generates the client too).
        (("migrations-pending", "client-out-of-sync", "dev-server-stale"), Display.DATABASE_BEHIND, "database behind"),
        (("dev-server-stale", "db-missing-column"), Display.DATABASE_BEHIND, "database behind"),
        # The client before the server that is to load it.
        (("client-out-of-sync",), Display.OUT_OF_SYNC, "out of sync"),
        (("dev-server-stale", "client-version-mismatch"), Display.OUT_OF_SYNC, "out of sync"),
        # What stops every Prisma command, a migration's too, before the database.
        (("db-drift", "env-missing"), Display.OUT_OF_SYNC, "out of sync"),
        (("migrations-pending", "schema-invalid"), Display.OUT_OF_SYNC, "out of sync"),
        (("db-missing-table", "db-differs"), Display.OUT_OF_SYNC, "out of sync"),
        # A server whose app crashed is down: said as such, after what would make its restart fail (trial 7 #3).
        (("dev-server-crashed", "client-version-mismatch"), Display.OUT_OF_SYNC, "a dev server crashed"),
        (("dev-server-crashed", "db-missing-column"), Display.DATABASE_BEHIND, "database behind"),
        # A trigger, view or function alone: its finding says the schema and client are not the cause (trial s13 C2).
        (("db-object-error",), Display.DATABASE_OBJECT, "a database object fails"),
        (("db-object-error", "client-out-of-sync"), Display.OUT_OF_SYNC, "out of sync"),
        (("db-object-error", "db-missing-column"), Display.DATABASE_BEHIND, "database behind"),
        # A repair that did not finish explains the rest.
        (("repair-interrupted", "db-missing-column"), Display.OUT_OF_SYNC, "a repair did not finish"),
    ],
)
def test_the_worst_problem_is_shown_with_the_count(codes: tuple[str, ...], display: Display, words: str) -> None:
    shown = status(*(finding(code, line=n) for n, code in enumerate(codes)))
    count = len(codes)
    assert (shown.display, shown.problems) == (display, count)
    assert shown.summary == f"Prisma: {words} ({count} problem{'s' * (count != 1)})"
    assert worst([finding(code, line=n) for n, code in enumerate(codes)]) == (display, words)


def test_infos_neither_count_nor_name_the_kind() -> None:
    shown = status(finding("db-missing-column"), finding("record-not-found", Severity.INFO, line=1))
    assert (shown.display, shown.problems) == (Display.DATABASE_BEHIND, 1)


def test_a_finding_seen_often_is_one_problem() -> None:
    assert status(finding("client-out-of-sync", count=7)).problems == 1


def test_an_unknown_state_names_its_first_problem() -> None:
    shown = status(finding("schema-unreadable"), known=False)
    assert (shown.state, shown.display) == ("unknown", Display.UNKNOWN)
    assert shown.summary == "Prisma: state unknown (schema-unreadable here)"


def test_repairing_and_failed_keep_the_count_and_say_the_message() -> None:
    report = Report.from_findings("/p", [finding("client-out-of-sync")])
    assert Status.repairing(report, "Prisma: Regenerate Client…").to_json() == {
        "state": "repairing",
        "display": "repairing",
        "problems": 1,
        "summary": "Prisma: Regenerate Client…",
    }
    assert Status.failed(report, "it broke").to_json()["display"] == "error"


def test_a_repair_that_did_not_finish_is_said_first() -> None:
    shown = status(finding("repair-interrupted"), finding("client-not-generated", line=1))
    assert (shown.display, shown.summary) == (Display.OUT_OF_SYNC, "Prisma: a repair did not finish (2 problems)")


@pytest.mark.parametrize("code", sorted(NOT_COMPARED))
def test_in_sync_but_the_database_not_compared_is_never_in_sync(code: str) -> None:
    # The findings as the check builds them: info, with the reason in their data.
    found = replace(finding(code, Severity.INFO), data={"reason": "cannot connect: Connection refused"})
    shown = status(found, finding("client-stale-copies", Severity.HINT, line=1))
    assert (shown.state, shown.display, shown.problems) == ("in-sync", Display.NOT_COMPARED, 0)
    assert shown.summary == "Prisma: not compared with the database (cannot connect: Connection refused)"
    # The CLI's line and exit code ask the same rule.
    assert database_not_compared(Report.from_findings("/p", [found])) == "cannot connect: Connection refused"


def test_a_database_not_compared_beside_a_problem_is_the_problem() -> None:
    shown = status(finding("db-unreachable", Severity.INFO), finding("client-out-of-sync", line=1))
    assert (shown.display, shown.problems) == (Display.OUT_OF_SYNC, 1)


EXTENSION = Path(__file__).resolve().parents[1] / "client-extension" / "src"


def test_the_extension_knows_every_display_the_server_sends() -> None:
    """The extension shows `display` as it comes: its type, its rank and its status text cover every value."""
    protocol = (EXTENSION / "protocol.ts").read_text(encoding="utf-8")
    union = protocol[protocol.index("export type Display =") :].split(";", 1)[0]
    assert set(re.findall(r"'([a-z-]+)'", union)) == {d.value for d in Display}
    status_bar = (EXTENSION / "statusBar.ts").read_text(encoding="utf-8")
    ranks = status_bar[status_bar.index("const DISPLAY_RANK") :].split("};", 1)[0]
    texts = status_bar[status_bar.index("export function statusText") :].split("\n}\n", 1)[0]
    for display in Display:
        key = display.value if "-" not in display.value else f"'{display.value}'"
        assert f"    {key}: " in ranks, display
        assert f"case '{display.value}':" in texts, display
    not_compared = texts.split("case 'not-compared':", 1)[1].split("case ", 1)[0]
    assert "not compared with the database" in not_compared and "in sync" not in not_compared
