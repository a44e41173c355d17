"""`prisma-doctor check [DIR] [--schema FILE] [--json]`: the project's whole state (full_check.py): the schema against
every generated client, the installed Prisma packages, the database when it answers, and running dev servers.

A folder that holds several Prisma projects (a monorepo) has each checked on its own, and an app of a workspace
(`apps/web`, see `workspace.py`) has the projects it uses checked: the text output lists each
project's findings in turn, `--json` prints a list of reports instead of one, and the exit code is the worst.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from prisma_doctor.cli import UsageError
from prisma_doctor.cli.render import print_json, print_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    parser.add_argument("--schema", type=Path, help="the schema file or folder, as `prisma --schema`")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.findings import Report, SyncState
    from prisma_doctor.full_check import full_check
    from prisma_doctor.snapshot import snapshot
    from prisma_doctor.workspace import prisma_projects_for

    root = Path(args.project)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    with snapshot():  # (projects nested in one another share the folders above them)
        # An app of a workspace (`apps/web`) has no schema of its own: the projects whose clients it uses are checked.
        roots = [root] if args.schema is not None else prisma_projects_for(root) or [root]
        reports: list[Report] = [full_check(project, args.schema) for project in roots]
    if args.json and len(reports) > 1:
        print_json([r.to_json() for r in reports])
    else:
        for report in reports:
            print_report(report, args.json)
    exit_codes = {SyncState.IN_SYNC: 0, SyncState.OUT_OF_SYNC: 1, SyncState.UNKNOWN: 2}
    return max(exit_codes[r.state] for r in reports)
