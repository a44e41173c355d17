"""`run`'s findings, diagnosed beside the output instead of in its way: the dev server's output passes through the
moment it comes, and what its errors mean follows, in the order the errors came, from one thread of its own, which
may wait (bounded by the database probe's deadline) for the database's answer."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prisma_doctor.logs.events import Event

# After the command ended, how long its last errors may take to be diagnosed: past the database's deadline.
DRAIN_SECONDS = 15.0


class LiveFindings:
    def __init__(self, report: Callable[[list[Event]], None]) -> None:
        self._report = report
        self._queue: queue.SimpleQueue[list[Event] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="prisma-doctor-findings", daemon=True)
        self._thread.start()

    def submit(self, events: list[Event]) -> None:
        if events:
            self._queue.put(events)

    def close(self, seconds: float = DRAIN_SECONDS) -> None:
        """Diagnose what was submitted (within `seconds`), then stop."""
        self._queue.put(None)
        self._thread.join(seconds)

    def _work(self) -> None:
        while (events := self._queue.get()) is not None:
            try:
                self._report(events)
            except OSError:  # our stderr is gone: nothing more can be said
                return
