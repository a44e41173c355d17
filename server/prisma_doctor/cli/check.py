"""`prisma-doctor check [DIR] [--schema FILE] [--json]`: the schema against every generated client."""

from __future__ import annotations

import argparse
from pathlib import Path

from prisma_doctor.cli import UsageError
from prisma_doctor.cli.render import print_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", default=".", help="the project folder (default: .)")
    parser.add_argument("--schema", type=Path, help="the schema file or folder, as `prisma --schema`")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.check import check_project
    from prisma_doctor.findings import SyncState

    root = Path(args.project)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder")
    report = check_project(root, args.schema)
    print_report(report, args.json)
    if report.state is SyncState.UNKNOWN:
        return 2
    return 0 if report.state is SyncState.IN_SYNC else 1
