"""`prisma-doctor reset [--project DIR] [--dry-run] [--deep] [--yes] [--json]`.

The full repair: stop, clean, regenerate, restart the dev server, verify. Exit codes as in `repair_command`.
"""

from __future__ import annotations

import argparse

from prisma_doctor.cli.repair_command import add_repair_arguments, run_repair


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_repair_arguments(parser, deep=True)


def run(args: argparse.Namespace) -> int:
    return run_repair(args, "reset")
