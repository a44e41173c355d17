"""Run a repair plan: the entry point for the CLI and the language server alike.

    from prisma_doctor.repair.plan import build_plan
    from prisma_doctor.repair.pipeline import CancellationToken, run_plan

    plan = build_plan(root, "reset", deep=False)      # RefusedRoot for "/", a home folder...
    token = CancellationToken()                       # token.cancel() from any thread
    result = run_plan(plan, progress=on_progress, token=token)
    result.ok, result.cancelled, result.to_json()

`run_plan` is synchronous and blocking: the language server runs it in a worker thread (never on its event loop)
and maps `ProgressEvent`s to work-done progress (`event.title`, `event.message`, `event.percentage`) and a
`$/cancelRequest` or a progress cancel to `token.cancel()`. The callback runs on the repair's thread and must
return quickly. Events come per step: "started", any number of "progress", then one of "done", "failed",
"skipped" or "cancelled". After a run, `result.restart_ts_server` says whether the editor should restart its
TypeScript server (the server sends `prismaDoctor/restartTsServer`).
Only one repair runs per project at a time: a second one returns at once with `busy` set. A plan with
`refusals` runs nothing and returns with `refused` set. Each step is recorded in `.prisma-doctor/journal.json` as
it runs; a run that ends early is reported by the next plan. When a step fails or the repair is cancelled, what
was set aside is put back (a "rollback" record) and the steps that must run anyway (restarting the dev servers the
repair stopped) still run, so a failed repair leaves the project as it was.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from prisma_doctor.findings import Report
from prisma_doctor.repair.context import (
    CancellationToken,
    Cancelled,
    ProgressCallback,
    ProgressEvent,
    SetAsidePath,
    StepContext,
)
from prisma_doctor.repair.devserver import Restarted
from prisma_doctor.repair.interruption import aside_record, child_record
from prisma_doctor.repair.journal import Journal, RepairBusy, RepairLock, UnusableLock
from prisma_doctor.repair.locks import Interrupted
from prisma_doctor.repair.plan import RepairPlan
from prisma_doctor.repair.relocation import ProjectAnchor, moved
from prisma_doctor.repair.statuses import RecordStatus
from prisma_doctor.repair.steps import NO_DEV_SERVER, PORT_UNKNOWN, Step, StepOutcome, put_back

__all__ = ["CancellationToken", "ProgressEvent", "RepairResult", "StepRecord", "run_plan"]


@dataclass(frozen=True)
class StepRecord:
    name: str
    title: str
    status: RecordStatus
    message: str
    details: tuple[str, ...] = ()
    # Wall time the step took: where a repair's time goes (bench/green_bench.py reads it), never a verdict.
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "message": self.message,
            "details": list(self.details),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class RepairResult:
    project: str
    kind: str
    steps: list[StepRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False
    busy: bool = False
    refused: list[str] = field(default_factory=list)
    restart_ts_server: bool = False
    bytes_freed: int = 0
    before: Report | None = None
    after: Report | None = None
    restarted: list[Restarted] = field(default_factory=list)
    # What a failed install left missing (`Reinstall`): the dev servers started again after it cannot load it.
    still_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step done or skipped; a plan with a verify step must have verified."""
        if self.cancelled or self.busy or self.refused or not self.steps:
            return False
        return all(step.status in ("done", "skipped") for step in self.steps)

    def verdict(self) -> str:
        """What the repair can say it checked, and no more: "verified" is kept for an app that was seen to answer."""
        app = next((step for step in self.steps if step.name == "verify-app"), None)
        verify = next((step for step in self.steps if step.name == "verify"), None)
        if not self.ok:
            if app is not None and app.status == "failed":
                return f"repair NOT verified: {app.message}"
            if verify is not None and verify.status == "failed":
                return f"repair NOT verified: {verify.message}"
            if self.still_missing:
                return f"repair NOT complete: {self._app_without_packages()}"
            restart = next((step for step in self.steps if step.name == "restart-dev"), None)
            if restart is not None and restart.status == "failed" and restart.message.startswith("the app is down"):
                return f"repair NOT complete: {restart.message}"
            return "repair NOT complete"
        if app is not None and app.status == "done":
            return f"repair verified: {app.message}"
        checked: list[str] = []
        if verify is not None:
            checked.append("the generated clients match the schema")
        checked.append(app.message if app is not None else "the app was not asked")
        # With no dev server the user has the last step; with one that runs, the message says what was not shown.
        if app is None or app.message == NO_DEV_SERVER:
            hint = " (start the dev server, then open the page that failed)"
        elif app.message.startswith(PORT_UNKNOWN):
            hint = " (open the page that failed)"  # it runs: its port could not be read
        else:
            hint = ""
        return "repair done: " + "; ".join(checked) + hint

    def _app_without_packages(self) -> str:
        """The app's state after an install that failed: files are put back, but a dev server started again loads
        its packages from disk, where they are still missing (the stopped one had them in memory)."""
        missing = ", ".join(self.still_missing)
        said = f"the install failed and {missing} is still missing"
        restarted = self.restarted
        if not restarted:
            return f"{said}: the app cannot load it until it is installed"
        states = [
            f"pid {server.pid} " + (f"answers on port {server.port}" if server.answered else "does not answer")
            for server in restarted
        ]
        return (
            f"{said}, so the dev server started again cannot load it ({'; '.join(states)}): the app fails wherever it "
            "uses Prisma until it is installed and the server restarted"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "kind": self.kind,
            "ok": self.ok,
            "cancelled": self.cancelled,
            "busy": self.busy,
            "refused": self.refused,
            "restartTsServer": self.restart_ts_server,
            "bytesFreed": self.bytes_freed,
            "notes": self.notes,
            "verdict": self.verdict(),
            "steps": [step.to_json() for step in self.steps],
            "devServers": [
                {"pid": r.pid, "port": r.port, "log": r.log, "answered": r.answered} for r in self.restarted
            ],
            "after": self.after.to_json() if self.after else None,
        }


def run_plan(
    plan: RepairPlan, progress: ProgressCallback | None = None, token: CancellationToken | None = None
) -> RepairResult:
    token = token or CancellationToken()
    progress = _never_raising(progress or (lambda event: None))
    result = RepairResult(str(plan.root), plan.kind, notes=list(plan.notes), before=plan.before)
    if plan.refusals:
        result.refused = list(plan.refusals)
        return result
    lock = RepairLock(plan.root)
    try:
        lock.acquire()
    except RepairBusy as error:
        # Taken since the plan was read (its own check refuses the same way): a refusal that changed nothing. Only
        # that: the plan's notes were read while the other repair worked, and are about a run that is not this one's.
        result.busy = not isinstance(error, UnusableLock)  # (a lock that cannot be used is no other repair)
        result.notes = []
        result.refused = [f"{error}: nothing was changed"]
        return result
    # Held on the folder itself: a project renamed while the repair runs is still found, and put right there.
    anchor = ProjectAnchor(plan.root)
    try:
        _run_steps(plan, result, token, progress, anchor)
    finally:
        anchor.close()
        lock.release()
    return result


def _never_raising(progress: ProgressCallback) -> ProgressCallback:
    """A reporter that fails (a closed pipe, an editor gone) must not stop a repair half-way: it is the repair, not
    its report, that must reach an end where the project is whole."""

    def report(event: ProgressEvent) -> None:
        with contextlib.suppress(Exception):
            progress(event)

    return report


def _run_steps(
    plan: RepairPlan, result: RepairResult, token: CancellationToken, progress: ProgressCallback, anchor: ProjectAnchor
) -> None:
    journal = Journal.start(plan.root, plan.kind, [s.name for s in plan.steps], plan.journal_record())
    total = len(plan.steps)
    index = 0

    def say(message: str) -> None:
        step = plan.steps[index]
        progress(ProgressEvent(step.name, step.title, index, total, "progress", message))

    ctx = StepContext(plan.root, token, say, before=plan.before)

    def remember_aside(item: SetAsidePath, aside: Path) -> None:
        journal.record_aside(aside_record(item, aside))
        if journal.lost is not None:
            raise OSError(journal.lost)  # nothing is moved that the journal could not record

    ctx.remember_aside = remember_aside

    def remember_child(pid: int) -> None:
        journal.data["child"] = child_record(pid, plan.steps[index].name)
        journal.save()

    ctx.remember_child = remember_child
    lost_said = ""
    outcome_word = "done"
    for index, step in enumerate(plan.steps):
        if outcome_word != "done" and not step.runs_after_failure:
            result.steps.append(StepRecord(step.name, step.title, "not run", ""))
            continue
        if outcome_word == "done" and step.runs_after_failure and token.cancelled:
            # Cancelled while a step that could not be interrupted ran: what must run anyway still runs.
            result.cancelled = True
            outcome_word = "cancelled"
        if outcome_word != "done" and ctx.set_aside:
            _roll_back(ctx, result, journal)
        outcome, seconds = _run_step(step, index, total, ctx, journal, progress, resumed=outcome_word != "done")
        if journal.lost is not None and not lost_said:
            # The project's folder changed under the repair (renamed, removed): it goes no further, and what it did
            # is undone where the project now is.
            unrecorded = outcome.message == journal.lost
            lost_said = _follow_project(plan, ctx, journal, anchor)
            result.notes.append(lost_said)
            if outcome.status in ("done", "skipped") or unrecorded:
                outcome = StepOutcome("failed", lost_said, outcome.details, outcome.bytes_freed)
        result.bytes_freed += outcome.bytes_freed
        result.steps.append(
            StepRecord(step.name, step.title, outcome.status, outcome.message, outcome.details, seconds)
        )
        if outcome_word != "done":
            continue
        if outcome.status == "cancelled":
            result.cancelled = True
            outcome_word = "cancelled"
        elif outcome.status == "failed":
            outcome_word = "failed"
    if ctx.set_aside:
        _roll_back(ctx, result, journal)
    result.restart_ts_server = ctx.restart_ts_server
    result.after = ctx.extra.get("after")
    result.restarted = list(ctx.extra.get("restarted", []))
    result.still_missing = list(ctx.extra.get("still_missing", []))
    # What the repair saw end and could not start again: `check` says it while it does not run (`gone_servers.py`).
    journal.data["gone"] = list(ctx.extra.get("gone", []))
    journal.finish(outcome_word)


class _Unrecorded(Exception):
    """The journal could not be written before a step: the step is not run."""


def _follow_project(plan: RepairPlan, ctx: StepContext, journal: Journal, anchor: ProjectAnchor) -> str:
    """Where the project is now, with the repair's paths moved there; what to say of it."""
    old, now = ctx.root, anchor.where_now()
    if now is None:
        return (
            f"the project's folder {old} was removed or moved out of reach while the repair ran ({journal.lost}): "
            "what the repair did is undone as far as can be, and what could not be is named below"
        )
    if now == old:
        return f"{journal.lost}: the repair stops, and what it did is undone"
    ctx.root = now
    ctx.set_aside = [
        (replace(item, path=moved(item.path, old, now)), moved(aside, old, now)) for item, aside in ctx.set_aside
    ]
    for step in plan.steps:
        step.relocate(old, now)
    journal.move_to(now)
    return (
        f"the project's folder moved from {old} to {now} while the repair ran ({journal.lost}): the repair stops, and "
        f"what it did is undone in {now}"
    )


def _run_step(
    step: Step,
    index: int,
    total: int,
    ctx: StepContext,
    journal: Journal,
    progress: ProgressCallback,
    *,
    resumed: bool,
) -> tuple[StepOutcome, float]:
    """The step's outcome and the seconds it took."""
    progress(ProgressEvent(step.name, step.title, index, total, "started"))
    began = time.monotonic()
    journal.mark(step.name, "running")
    try:
        if journal.lost is not None and not resumed:
            # Nothing more is done unrecorded; `_run_steps` says where the project went and undoes what was done.
            raise _Unrecorded(journal.lost)
        if not resumed:
            # After a failure or a cancel, the steps that must run anyway are not themselves cancelled.
            ctx.token.raise_if_cancelled()
        outcome = step.run(_uncancelled(ctx) if resumed else ctx)
    except (Cancelled, Interrupted) as error:
        outcome = StepOutcome("cancelled", str(error) or "cancelled")
    except _Unrecorded as error:
        outcome = StepOutcome("failed", str(error))
    except Exception as error:  # a bug or an unexpected system error: report it as this step's failure
        outcome = StepOutcome("failed", f"{type(error).__name__}: {error}")
    seconds = time.monotonic() - began
    journal.mark(step.name, outcome.status, outcome.message, seconds)
    if step.name == "stop":
        journal.data["stopped"] = [p.to_json() for p in ctx.stopped]
        journal.save()
    progress(ProgressEvent(step.name, step.title, index, total, outcome.status, outcome.message))
    return outcome, seconds


def _uncancelled(ctx: StepContext) -> StepContext:
    return replace(ctx, token=CancellationToken())


def _roll_back(ctx: StepContext, result: RepairResult, journal: Journal) -> None:
    details = put_back(ctx)
    failed = any(d.startswith(("could not", "kept the old")) for d in details)
    status = "failed" if failed else "done"
    message = "what the repair set aside is back in place" if not failed else "not everything could be put back"
    result.steps.append(StepRecord("rollback", "Put back what the repair set aside", status, message, tuple(details)))
    journal.data.setdefault("rollback", details)
    journal.save()
