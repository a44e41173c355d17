"""`prisma-doctor restart-dev [--project DIR] [--dry-run] [--yes] [--json]`.

Stop the project's dev server and start it again with the same command. Exit codes as in `repair_command`.
"""

from __future__ import annotations

import argparse

from prisma_doctor.cli.repair_command import add_repair_arguments, run_repair


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repair_arguments(parser, deep=False)


def run(args: argparse.Namespace) -> int:
    return run_repair(args, "restart-dev")
