"""What one glance says about a project: its display state, how many problems it has, and the line that says so.

The one place that classifies a report for a person. The language server sends its result in
`prismaDoctor/syncState` (`display`, `problems`, `summary`), and the editor shows it as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from prisma_doctor.findings import Report, Severity, SyncState

# The state `syncState` carries: the report's (findings.SyncState), or what the doctor itself is doing.
ShownState = SyncState | Literal["repairing", "error"]


class Display(str, Enum):
    IN_SYNC = "in-sync"
    # Schema and clients agree, but the database the project names was not compared (not asked, no answer).
    NOT_COMPARED = "not-compared"
    OUT_OF_SYNC = "out-of-sync"
    DATABASE_BEHIND = "database-behind"
    DEV_SERVER_STALE = "dev-server-stale"
    UNKNOWN = "unknown"
    REPAIRING = "repairing"
    ERROR = "error"


# Problems that only the database catching up removes (applying migrations, a push): when every problem of a
# project is one of these, its database is behind.
DATABASE_BEHIND_CODES = frozenset(
    {"db-missing", "db-missing-column", "db-missing-table", "migrations-pending", "migration-failed", "db-drift"}
)
# What makes a project out of sync (`Report.from_findings`); info and hints never do, nor name its kind.
_PROBLEM_SEVERITIES = (Severity.ERROR, Severity.WARNING)


def database_not_compared(report: Report) -> str | None:
    """Why a project in sync as far as it was compared was not compared with the database it names (not asked, no
    answer, a refused read, a catalog read in part), or None. The one rule behind `check`'s line and exit code (3)
    and the status bar: neither says a bare "in sync" over a database nobody saw."""
    # Imported when asked: the language server's start-up does not wait for the database modules.
    from prisma_doctor.database_state import not_compared

    if report.state is not SyncState.IN_SYNC:
        return None
    missing = not_compared(report.findings)
    return None if missing is None else str(missing.data.get("reason", missing.message))


@dataclass(frozen=True)
class Status:
    state: ShownState
    display: Display
    # Findings that are errors or warnings, each counted once however often it was seen.
    problems: int
    summary: str

    @classmethod
    def of(cls, report: Report) -> Status:
        problems = [f for f in report.findings if f.severity in _PROBLEM_SEVERITIES]
        count = len(problems)
        state = report.state
        if report.state is SyncState.UNKNOWN:
            first = f" ({problems[0].message})" if problems else ""
            return cls(state, Display.UNKNOWN, count, f"Prisma: state unknown{first}")
        if not problems:
            why = database_not_compared(report)
            if why is not None:
                return cls(state, Display.NOT_COMPARED, 0, f"Prisma: not compared with the database ({why})")
            return cls(state, Display.IN_SYNC, 0, "Prisma: in sync")
        codes = {f.code for f in problems}
        if codes <= DATABASE_BEHIND_CODES:
            return cls(state, Display.DATABASE_BEHIND, count, f"Prisma: database behind ({count})")
        if codes == {"dev-server-stale"}:
            return cls(state, Display.DEV_SERVER_STALE, count, "Prisma: dev server stale")
        if "repair-interrupted" in codes:
            # A killed repair explains the rest (a client set aside, a server stopped): said first, its fix first.
            return cls(
                state,
                Display.OUT_OF_SYNC,
                count,
                f"Prisma: a repair did not finish ({count} problem{'s' * (count != 1)})",
            )
        if "dev-server-gone" in codes:
            return cls(
                state,
                Display.OUT_OF_SYNC,
                count,
                f"Prisma: a server ended during the last repair ({count} problem{'s' * (count != 1)})",
            )
        return cls(state, Display.OUT_OF_SYNC, count, f"Prisma: out of sync ({count} problem{'s' * (count != 1)})")

    @classmethod
    def repairing(cls, report: Report, message: str) -> Status:
        return cls("repairing", Display.REPAIRING, cls.of(report).problems, message)

    @classmethod
    def failed(cls, report: Report, message: str) -> Status:
        """The doctor itself failed (a check, a repair): `message` says what."""
        return cls("error", Display.ERROR, cls.of(report).problems, message)

    def to_json(self) -> dict[str, str | int]:
        state = self.state.value if isinstance(self.state, SyncState) else self.state
        return {"state": state, "display": self.display.value, "problems": self.problems, "summary": self.summary}
