"""What `reset`, `regenerate` and `restart-dev` share: their flags, the plan preview, the confirmation, the run.

Exit codes: 0 the repair is done and its result checked, 1 a step failed or the result did not check out, 2 bad usage,
a refused project root, or a repair that refuses before it changes anything because it could not succeed (another
repair of the project runs, its lock cannot be used safely; the reasons are printed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.cli import UsageError
from prisma_doctor.cli.render import escaped, escaped_paths

if TYPE_CHECKING:
    from prisma_doctor.repair.context import CancellationToken
    from prisma_doctor.repair.plan import RepairPlan


TYPESCRIPT_HINT = "An open editor may need its TypeScript server restarted to see the new client types."


def add_repair_arguments(parser: argparse.ArgumentParser, *, deep: bool = True) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), help="the project folder (default: .)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    if deep:
        parser.add_argument(
            "--deep", action="store_true", help="also clear .turbo and node_modules/.cache (never a shared cache)"
        )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="print the plan or the result as JSON")


def _plan(args: argparse.Namespace, kind: str, *, preview: bool = False) -> RepairPlan:
    from prisma_doctor.repair.plan import build_plan

    return build_plan(
        args.project,
        kind,
        deep=getattr(args, "deep", False),
        migration_name=getattr(args, "name", None),
        preview=preview,
    )


def _print_refusals(plan: RepairPlan, args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(plan.to_json(), indent=2))
    for reason in plan.refusals:
        print(f"refused: {escaped(reason)}", file=sys.stderr)


def run_repair(args: argparse.Namespace, kind: str) -> int:
    from prisma_doctor.repair.pipeline import CancellationToken, ProgressEvent, run_plan
    from prisma_doctor.repair.roots import RefusedRoot

    try:
        # A dry run, and a plan shown to be confirmed, run none of the project's code: Prisma is asked by the plan
        # of the run itself, before it changes anything.
        plan = _plan(args, kind, preview=args.dry_run or not args.yes)
    except RefusedRoot as error:
        raise UsageError(f"refused: {error}") from None
    if args.dry_run:
        if args.json:
            print(json.dumps(plan.to_json(), indent=2))
        else:
            print(_shown(plan.describe()))
        return 2 if plan.refusals else 0
    if plan.refusals:
        _print_refusals(plan, args)
        raise UsageError("refused, nothing was changed (the reasons are above)")
    shown = not args.yes
    if not args.yes:
        if not _confirmed(plan.describe()):
            raise UsageError("not confirmed; pass --yes to run without asking")
        # What was shown is what runs: a project that changed while its plan was read (a server restarted, another
        # repair done) is looked at again, and a plan that is not the one confirmed does not run. Prisma, asked now,
        # may still refuse it.
        again = _plan(args, kind)
        if again.refusals:
            _print_refusals(again, args)
            raise UsageError("refused, nothing was changed (the reasons are above)")
        if again.identity() != plan.identity():
            raise UsageError("the project changed while the plan was read; nothing was changed: run the repair again")
        plan = again

    def show(event: ProgressEvent) -> None:
        if args.json:
            return
        if event.status == "started":
            print(f"[{event.index + 1}/{event.total}] {escaped(event.title)}", flush=True)
        elif event.status != "progress":
            print(f"      {event.status}: {escaped(event.message)}", flush=True)
        elif event.step == "verify-app":
            # A first request can wait long on the dev server's compile: say what it waits for.
            print(f"      {escaped(event.message)}", flush=True)

    if not shown and not args.json:
        # Said once, before the run it bears on: a plan confirmed on screen has said it already.
        for note in plan.notes:
            print(f"note: {escaped(note)}", flush=True)

    token = CancellationToken()
    # Ctrl+C or a polite kill cancels through the token, so that the pipeline puts back what it set aside and
    # starts again the dev servers it stopped, rather than dying half-way.
    with _signals_cancel(token):
        result = run_plan(plan, progress=show, token=token)
    if result.refused and not result.steps:
        # Refused when it came to run (another repair took the lock since the plan was read): nothing was changed.
        if args.json:
            print(json.dumps(result.to_json(), indent=2))
        for reason in result.refused:
            print(f"refused: {escaped(reason)}", file=sys.stderr)
        raise UsageError("refused, nothing was changed (the reasons are above)")
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        # The plan's notes were said before the run; only what the run itself added (another repair running).
        for note in result.notes[len(plan.notes) :]:
            print(f"note: {escaped(note)}")
        paths = _named_paths(plan)
        for step in result.steps:
            for detail in step.details:
                print(detail_text(step.name, escaped_paths(detail, paths)))
        # The editor's own step, said once: a terminal cannot do it, and an editor may not be open at all.
        if result.restart_ts_server:
            print(TYPESCRIPT_HINT)
        print(escaped(result.verdict()))
    if result.cancelled:
        return 130
    return 0 if result.ok else 1


@contextlib.contextmanager
def _signals_cancel(token: CancellationToken) -> Iterator[None]:
    names = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    numbers = [getattr(signal, name) for name in names if hasattr(signal, name)]

    def cancel(number: int, _frame: object) -> None:
        print(f"\n{signal.Signals(number).name}: cancelling; what was changed is being put back", file=sys.stderr)
        token.cancel()

    try:
        previous = {number: signal.signal(number, cancel) for number in numbers}
    except ValueError:  # not the main thread: nobody will send it signals anyway
        previous = {}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _named_paths(plan: RepairPlan) -> list[str]:
    """The paths a step's line or a child's output may quote: the project's folder as given, absolute and with its
    links resolved, the folders it sets aside (a generator `output` may hold a line break of its own; also as
    relative to the project), and the folders its dev servers run in."""
    from prisma_doctor.repair.steps import SetAside

    root = plan.root
    paths = [str(root), str(root.absolute()), os.path.realpath(root)]
    aside = [str(item.path) for step in plan.steps if isinstance(step, SetAside) for item in step.paths]
    # Prisma says where it generated relative to the project (`to ./src/generated`).
    relative = [os.path.relpath(path, root) for path in aside if path.startswith(str(root))]
    return paths + aside + relative + [server.cwd for server in plan.dev_servers]


def detail_text(step: str, detail: str) -> str:
    """A step's detail as lines: a command's output keeps its own lines (each escaped on its own, so that nothing
    it holds draws a line of ours), indented under the step's name, and none of it is cut."""
    first, *rest = detail.splitlines() or [""]
    return "\n".join([f"  {step}: {escaped(first)}", *(f"    {escaped(line)}" for line in rest)])


def _confirmed(plan_lines: list[str]) -> bool:
    if not sys.stdin.isatty():
        return False
    print(_shown(plan_lines))
    answer = input("Run this repair? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _shown(lines: list[str]) -> str:
    """A plan's lines as the person confirms them: each one line, whatever a path or command from the project holds
    (a generator `output` with a line break and escape sequences would otherwise draw lines of its own)."""
    return "\n".join(escaped(line) for line in lines)
