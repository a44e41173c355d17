"""`prisma-doctor check [DIR] [--schema FILE] [--json] [--dismiss-gone]`: the project's whole state (full_check.py):
the schema against every generated client, the installed Prisma packages, the database when it answers, and running
dev servers; `--dismiss-gone` first forgets the servers the last repair saw end (`repair/gone_servers.py`).

A folder that holds several Prisma projects (a monorepo) has each checked on its own, and an app of a workspace
(`apps/web`, see `workspace.py`) has the projects it uses checked: the text output lists each
project's findings in turn, `--json` prints a list of reports instead of one, and the exit code is the worst.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prisma_doctor.cli import UsageError
from prisma_doctor.cli.render import print_json, print_report
from prisma_doctor.findings import Report

# In sync as far as compared, but the database the project names was not compared.
NOT_COMPARED_EXIT = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    parser.add_argument("--schema", type=Path, help="the schema file or folder, as `prisma --schema`")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--dismiss-gone",
        action="store_true",
        help="forget the servers the last repair saw end (`dev-server-gone`): they are not meant to run",
    )
    parser.add_argument(
        "--no-database",
        action="store_true",
        help="do not ask the database (exit 0 when the rest is in sync, where the database's absence would give 3)",
    )


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.database.probe import forget_answers
    from prisma_doctor.full_check import full_check
    from prisma_doctor.snapshot import snapshot
    from prisma_doctor.workspace import prisma_projects_for

    root = Path(args.project)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    forget_answers()  # `check` asks the database now (an answer shared in this process may be older than a change)
    with snapshot():  # (projects nested in one another share the folders above them)
        # An app of a workspace (`apps/web`) has no schema of its own: the projects whose clients it uses are checked.
        roots = [root] if args.schema is not None else prisma_projects_for(root) or [root]
        if args.dismiss_gone:
            from prisma_doctor.repair.gone_servers import dismiss

            for project in roots:
                dismiss(project)
        reports: list[Report] = [full_check(project, args.schema, database=not args.no_database) for project in roots]
    skipped = "not asked (--no-database)" if args.no_database else None
    if args.json and len(reports) > 1:
        print_json([r.to_json() for r in reports])
    else:
        for report in reports:
            print_report(report, args.json, database_skipped=skipped)
    return max(_exit_code(r, skipped is not None) for r in reports)


def _exit_code(report: Report, skipped: bool) -> int:
    """0 in sync, 1 drift, 2 unreadable; 3 in sync as far as compared, but the database the project names could
    not be compared: a CI job must not pass on what it never saw (`--no-database` says it is not to be seen)."""
    from prisma_doctor.findings import SyncState
    from prisma_doctor.status import database_not_compared

    if not skipped and database_not_compared(report) is not None:
        return NOT_COMPARED_EXIT
    return {SyncState.IN_SYNC: 0, SyncState.OUT_OF_SYNC: 1, SyncState.UNKNOWN: 2}[report.state]
