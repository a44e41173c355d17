"""What `reset`, `regenerate` and `restart-dev` share: their flags, the plan preview, the confirmation, the run.

Exit codes: 0 the repair is done and verified, 1 a step failed or the result could not be verified (or another
repair of the project is running), 2 bad usage, a refused project root, or a repair that refuses before it changes
anything because it could not succeed (the reasons are printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from prisma_doctor.cli import UsageError


def add_repair_arguments(parser: argparse.ArgumentParser, *, deep: bool = True) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), help="the project folder (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    if deep:
        parser.add_argument(
            "--deep", action="store_true", help="also clear .turbo and node_modules/.cache (never a shared cache)"
        )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print the plan or the result as JSON")


def run_repair(args: argparse.Namespace, kind: str) -> int:
    from prisma_doctor.repair.pipeline import CancellationToken, ProgressEvent, run_plan
    from prisma_doctor.repair.plan import build_plan
    from prisma_doctor.repair.roots import RefusedRoot

    try:
        plan = build_plan(args.project, kind, deep=getattr(args, "deep", False))
    except RefusedRoot as error:
        raise UsageError(f"refused: {error}") from None
    if args.dry_run:
        if args.json:
            print(json.dumps(plan.to_json(), indent=2))
        else:
            print("\n".join(plan.describe()))
        return 2 if plan.refusals else 0
    if plan.refusals:
        if args.json:
            print(json.dumps(plan.to_json(), indent=2))
        raise UsageError("refused, nothing was changed:\n  " + "\n  ".join(plan.refusals))
    if not args.yes and not _confirmed(plan.describe()):
        raise UsageError("not confirmed; pass --yes to run without asking")

    def show(event: ProgressEvent) -> None:
        if args.json:
            return
        if event.status == "started":
            print(f"[{event.index + 1}/{event.total}] {event.title}", flush=True)
        elif event.status != "progress":
            print(f"      {event.status}: {event.message}", flush=True)

    token = CancellationToken()
    try:
        result = run_plan(plan, progress=show, token=token)
    except KeyboardInterrupt:
        token.cancel()
        raise
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        for note in result.notes:
            print(f"note: {note}")
        for step in result.steps:
            for detail in step.details:
                print(f"  {step.name}: {detail}")
        # Only new types are worth a restart: after a failed generate the old client is all there is.
        generated = any(step.name == "generate" and step.status == "done" for step in result.steps)
        if result.restart_ts_server and generated:
            print("Restart your editor's TypeScript server to see the new client types.")
        print("repair verified" if result.ok else "repair NOT complete")
    return 0 if result.ok else 1


def _confirmed(plan_lines: list[str]) -> bool:
    if not sys.stdin.isatty():
        return False
    print("\n".join(plan_lines))
    answer = input("Run this repair? [y/N] ")
    return answer.strip().lower() in ("y", "yes")
