"""`prisma-doctor migrate deploy|dev|push [--name NAME] [--project DIR] [--dry-run] [--yes] [--json]`: the database
repairs.

Each runs the project's own Prisma (`migrate deploy`, `migrate dev`, `db push`) and never a destructive variant:
where Prisma would need to reset data or accept data loss, it refuses and the repair fails with its message.
Exit codes as in `repair_command`.
"""

from __future__ import annotations

import argparse

from prisma_doctor.cli.repair_command import add_repair_arguments, run_repair

ACTIONS = {"deploy": "migrate-deploy", "dev": "migrate-dev", "push": "db-push"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        choices=sorted(ACTIONS),
        help="deploy: apply pending migrations; dev: create and "
        "apply one for the schema changes; push: push the schema without a migration",
    )
    parser.add_argument(
        "--name",
        help="dev: the migration's name (default: one said by the change, such as add_user_nickname)",
    )
    add_repair_arguments(parser, deep=False)


def run(args: argparse.Namespace) -> int:
    return run_repair(args, ACTIONS[args.action])
