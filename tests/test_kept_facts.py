"""A fact kept between a language server's checks: read once, read again once forgotten or older than its age, and
never kept from a reading that a `forget` overtook (that would hide the change behind a value read before it)."""

from __future__ import annotations

from prisma_doctor.kept_facts import KeptFact


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_read_once_then_kept_until_forgotten() -> None:
    reads: list[int] = []

    def read() -> int:
        reads.append(len(reads))
        return len(reads)

    fact = KeptFact(read, max_age=5.0, clock=Clock())
    assert not fact.stale()  # never read: its first use reads it
    assert (fact.get(), fact.get()) == (1, 1)
    fact.forget()
    assert fact.get() == 2
    assert len(reads) == 2


def test_stale_once_older_than_its_age_and_refresh_says_whether_it_changed() -> None:
    clock = Clock()
    values = iter(["a", "a", "b"])
    fact = KeptFact(lambda: next(values), max_age=5.0, clock=clock)
    assert fact.get() == "a"
    clock.now += 4.9
    assert not fact.stale()
    clock.now += 0.2
    assert fact.stale()
    assert fact.refresh() is False  # read again: the same
    assert not fact.stale()
    assert fact.refresh() is True
    assert fact.get() == "b"


def test_a_reading_overtaken_by_forget_is_used_once_but_not_kept() -> None:
    fact: KeptFact[str]
    values = iter(["before the change", "after it"])

    def read() -> str:
        value = next(values)
        if value == "before the change":
            fact.forget()  # the file changed while it was being read
        return value

    fact = KeptFact(read, max_age=5.0, clock=Clock())
    assert fact.get() == "before the change"
    assert fact.get() == "after it"
    assert fact.get() == "after it"
