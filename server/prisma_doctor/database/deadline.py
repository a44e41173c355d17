"""One inspection's whole time, not each read's: a question still under way at its deadline has its connection cut.

A driver's timeouts bound each read on the socket; a server that trickles its answer (a byte every few seconds)
passes every one of them and never finishes. The deadline bounds the whole inspection: past it, the socket is shut
down from a timer thread, which ends the read that waits on it, and the inspection fails as "no answer".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from contextlib import contextmanager, suppress


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds
        self.passed = False

    def remaining(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    @contextmanager
    def cutting(self, cut: Callable[[], None]) -> Generator[None, None, None]:
        """Within the block, `cut` (which makes the blocked read return) is called once the deadline passes."""
        timer = threading.Timer(self.remaining(), self._cut, (cut,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _cut(self, cut: Callable[[], None]) -> None:
        self.passed = True
        with suppress(OSError):  # the connection ended on its own meanwhile
            cut()
