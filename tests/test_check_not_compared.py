"""`check` about a database it could not compare: never a bare "in sync", exit 3 (not green in CI) unless
`--no-database` says the database is not to be asked, and no connection told apart from a refused read."""

from __future__ import annotations

import io

from prisma_doctor.cli.check import _exit_code
from prisma_doctor.cli.render import print_report
from prisma_doctor.database.catalog import NO_ANSWER, READ_FAILED, UNREACHABLE, InspectionFailed
from prisma_doctor.database_state import database_findings
from prisma_doctor.findings import Report, SyncState


def _report(kind: str, reason: str) -> Report:
    found = database_findings(InspectionFailed(reason, kind=kind), "mysql://ada:****@db/app", [], {}, [], None, None)
    return Report.from_findings("/app", found)


def test_no_connection_no_answer_and_a_refused_read_are_told_apart() -> None:
    assert [f.code for f in _report(UNREACHABLE, "cannot connect: Connection refused").findings] == ["db-unreachable"]
    assert [f.code for f in _report(NO_ANSWER, "no whole answer within 3 s").findings] == ["db-unreachable"]
    (refused,) = _report(READ_FAILED, "Access denied for user 'ada'").findings
    assert refused.code == "db-read-failed" and refused.fixes == ("fix-database-access",)
    assert "refused or failed the read (Access denied for user 'ada')" in refused.message


def test_in_sync_without_the_database_says_what_was_not_compared_and_is_not_green() -> None:
    report = _report(NO_ANSWER, "no whole answer within 3 s")
    assert report.state is SyncState.IN_SYNC
    out = io.StringIO()
    print_report(report, False, out)
    last = out.getvalue().splitlines()[-1]
    assert last == "/app: client in sync with the schema; the database was not compared: no whole answer within 3 s"
    assert _exit_code(report, skipped=False) == 3
    # Asked not to ask: the rest decides, and the line still says the database was not compared.
    assert _exit_code(Report.from_findings("/app", []), skipped=True) == 0
    out = io.StringIO()
    print_report(Report.from_findings("/app", []), False, out, database_skipped="not asked (--no-database)")
    assert out.getvalue().endswith("the database was not compared: not asked (--no-database)\n")
