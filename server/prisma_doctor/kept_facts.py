"""A fact that the schema's text does not change (the running dev servers, the workspace's apps, the dev command),
read once and kept between a language server's checks, so that a person typing does not pay for it on every key.

It is read again at its next use once `forget` says something it came from changed (a watched file, a repair, new
settings), and, once older than its age, by `refresh`, off the checks' path, which says whether it changed so that
the project is checked again with the new value. A value read while it was forgotten is used by the check that read
it but never kept: a change is never hidden by a reading that began before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeptFact(Generic[T]):
    def __init__(self, read: Callable[[], T], max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        # The value and when it was read; None until read, and again once forgotten.
        self._kept: tuple[T, float] | None = None
        # Counts `forget`s: a reading keeps its value only when none came while it read.
        self._generation = 0

    def get(self) -> T:
        """The kept value; read now when none is kept."""
        kept = self._kept
        if kept is not None:
            return kept[0]
        return self._read_and_keep()

    def stale(self) -> bool:
        """Whether the kept value is older than its age (a fact never read, or forgotten, is read at its use)."""
        kept = self._kept
        return kept is not None and self._clock() - kept[1] >= self._max_age

    def refresh(self) -> bool:
        """Read it again; whether it differs from the value kept before (True when none was)."""
        before = self._kept
        value = self._read_and_keep()
        return before is None or before[0] != value

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._kept = None

    def _read_and_keep(self) -> T:
        with self._lock:
            generation = self._generation
        value = self._read()
        with self._lock:
            if generation == self._generation:
                self._kept = (value, self._clock())
        return value
