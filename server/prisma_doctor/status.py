"""What one glance says about a project: its display state, how many problems it has, and the line that says so.

The one place that classifies a report for a person. The language server sends its result in
`prismaDoctor/syncState` (`display`, `problems`, `summary`), and the editor shows it as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from prisma_doctor.findings import Finding, Report, Severity, SyncState

# The state `syncState` carries: the report's (findings.SyncState), or what the doctor itself is doing.
ShownState = SyncState | Literal["repairing", "error"]


class Display(str, Enum):
    IN_SYNC = "in-sync"
    # Schema and clients agree, but the database the project names was not compared (not asked, no answer).
    NOT_COMPARED = "not-compared"
    OUT_OF_SYNC = "out-of-sync"
    DATABASE_BEHIND = "database-behind"
    DEV_SERVER_STALE = "dev-server-stale"
    # The database's own objects (a trigger, a view, a function) fail; the schema and the clients are not the cause.
    DATABASE_OBJECT = "database-object"
    UNKNOWN = "unknown"
    REPAIRING = "repairing"
    ERROR = "error"


# Problems that only the database catching up removes (applying migrations, a push).
DATABASE_BEHIND_CODES = frozenset(
    {
        "db-missing",
        "db-missing-column",
        "db-missing-table",
        "db-missing-enum-value",
        "db-column-type",
        "migrations-pending",
        "migration-failed",
        "db-drift",
    }
)
# Problems of the database's own objects, which its findings say the schema and the clients do not cause: alone,
# they never make a project "out of sync".
DATABASE_OBJECT_CODES = frozenset({"db-object-error"})
# Problems that stop every Prisma command, a migration's too: a config `env()` nothing sets, a schema that does not
# validate or cannot be read, Prisma's packages missing, a package.json that is not JSON, and the app and the CLI on
# different databases (a migration would go where the app does not read).
BLOCKING_CODES = frozenset(
    {
        "env-missing",
        "schema-invalid",
        "schema-unreadable",
        "prisma-packages-missing",
        "package-json-invalid",
        "db-differs",
    }
)
# What makes a project out of sync (`Report.from_findings`); info and hints never do, nor name its kind.
_PROBLEM_SEVERITIES = (Severity.ERROR, Severity.WARNING)


def worst(problems: Sequence[Finding]) -> tuple[Display, str]:
    """What one glance shows of a project's problems (errors and warnings, at least one): the kind the user must
    deal with first, and its words. Worst first:
    - a repair that did not finish: it explains the rest (a client set aside, a server stopped), its fix first;
    - a server that ended during the last repair (`repair/gone_servers.py`): the app is down;
    - what stops every Prisma command (`BLOCKING_CODES`): nothing else can be repaired before it;
    - a database behind (`DATABASE_BEHIND_CODES`): it fails the app whatever the client, and `migrate dev`
      generates the client too;
    - a dev server whose app crashed (`crash.py`): the app is down, and a restart brings it back;
    - only a trigger, view or function of the database failing (`DATABASE_OBJECT_CODES`): not the schema's nor the
      clients' doing, so never "out of sync";
    - any other problem (the client, its packages, the engine): out of sync;
    - a dev server still on an older client: restarting it comes last, once what it will load is right.
    So a `git pull` that brought a migration, a schema change and left a server running says "database behind"."""
    codes = {f.code for f in problems}
    if "repair-interrupted" in codes:
        return Display.OUT_OF_SYNC, "a repair did not finish"
    if "dev-server-gone" in codes:
        return Display.OUT_OF_SYNC, "a server ended during the last repair"
    if codes & BLOCKING_CODES:
        return Display.OUT_OF_SYNC, "out of sync"
    if codes & DATABASE_BEHIND_CODES:
        return Display.DATABASE_BEHIND, "database behind"
    if "dev-server-crashed" in codes:
        return Display.OUT_OF_SYNC, "a dev server crashed"
    if codes <= DATABASE_OBJECT_CODES:
        return Display.DATABASE_OBJECT, "a database object fails"
    if codes - {"dev-server-stale"}:
        return Display.OUT_OF_SYNC, "out of sync"
    # Where nothing decides whether a server reloaded the new client (`staleness.py`), it may be stale.
    decided = any(f.data.get("decided", True) for f in problems)
    return Display.DEV_SERVER_STALE, "dev server stale" if decided else "dev server may be stale"


def headline(problems: Sequence[Finding]) -> str:
    """The worst kind of problem with how many there are (`database behind (3 problems)`): the status bar's summary
    and `check`'s last line."""
    count = len(problems)
    return f"{worst(problems)[1]} ({count} problem{'s' * (count != 1)})"


def problems_of(report: Report) -> list[Finding]:
    """The findings that count as problems: errors and warnings."""
    return [f for f in report.findings if f.severity in _PROBLEM_SEVERITIES]


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
        problems = problems_of(report)
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
        return cls(state, worst(problems)[0], count, f"Prisma: {headline(problems)}")

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
