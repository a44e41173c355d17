"""`prisma-doctor regenerate [--project DIR] [--dry-run] [--yes] [--json]`.

Remove and regenerate the generated clients, then verify. Exit codes as in `repair_command`.
"""

from __future__ import annotations

import argparse

from prisma_doctor.cli.repair_command import add_repair_arguments, run_repair


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repair_arguments(parser, deep=False)


def run(args: argparse.Namespace) -> int:
    return run_repair(args, "regenerate")
