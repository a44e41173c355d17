"""What the steps of one repair share: the project, cancellation, progress, and what earlier steps learned."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prisma_doctor.findings import Report
from prisma_doctor.repair.devserver import DevServer
from prisma_doctor.repair.locks import Interrupted
from prisma_doctor.repair.processes import ProjectProcess
from prisma_doctor.repair.statuses import ProgressStatus


class Cancelled(Interrupted):
    """The repair was cancelled through its token."""


class CancellationToken:
    """Set from any thread (an LSP cancel request, Ctrl+C); steps look at it between and inside their work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("the repair was cancelled")


@dataclass(frozen=True)
class ProgressEvent:
    """One report of progress. `status` is "started", "progress", "done", "failed", "skipped" or "cancelled"."""

    step: str
    title: str
    index: int  # zero-based position of the step in the plan
    total: int
    status: ProgressStatus
    message: str = ""

    @property
    def percentage(self) -> int:
        finished = self.index + (1 if self.status in ("done", "failed", "skipped") else 0)
        return int(100 * finished / max(self.total, 1))


ProgressCallback = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class SetAsidePath:
    path: Path
    provider: str | None  # the generator of a client folder (checked again when put back), None for a cache
    file_extension: str = "ts"  # the generator's `generatedFileExtension` (ownership.py's proof file)
    why: str = ""  # for a cache: why it must go (a client set aside needs no reason)


@dataclass
class StepContext:
    root: Path
    token: CancellationToken
    # Steps call `say("...")` for progress inside their work; the pipeline turns it into a ProgressEvent.
    say: Callable[[str], None]
    before: Report | None = None
    stopped: list[ProjectProcess] = field(default_factory=list)
    dev_servers: list[DevServer] = field(default_factory=list)
    # What `SetAside` moved, and where to: put back when the repair fails, removed when it succeeds.
    set_aside: list[tuple[SetAsidePath, Path]] = field(default_factory=list)
    # Called before each move aside (the journal's record), so that a repair killed after the move is known to have
    # made it: the next check names the copy, and the next repair takes it over.
    remember_aside: Callable[[SetAsidePath, Path], None] = lambda item, aside: None
    # Called with each command a step starts (its pid), before it runs on: a repair killed then leaves that command
    # running in its own session (`prisma generate` writing the client), and the next check and plan must know it.
    remember_child: Callable[[int], None] = lambda pid: None
    # Flags that later steps and adapters read: the editor's TypeScript server should restart.
    restart_ts_server: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # When the repair began (epoch seconds): a process started since runs what the repair left.
    started_at: float = field(default_factory=time.time)

    def should_stop(self) -> bool:
        return self.token.cancelled
