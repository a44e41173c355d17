"""No regular expression of the log readers is super-linear, and the reader's work grows with its input, no faster,
on lines made to hurt it. Counted, never timed (the times are bench/logs_bench.py's `hostile` figures).

Every compiled pattern of `prisma_doctor.logs`, `prisma_doctor.diagnosis` and the catalogue (module constants, and
those held in module-level tuples, lists and dicts) is found by walking the modules, so a new pattern is tested without
a new test.
Each pattern gets lines built from its own pieces (tests/regex_inputs.py), each at two lengths. Searched alone, the
steps a backtracking matcher takes (tests/regex_steps.py, the same steps as `re`'s engine) may grow with the line's
length but not faster: four times the length, at most `GROWTH` times the steps (a quadratic pattern takes ~16 times).
Read by the real `LogReader`, plain, inside a client error's frame and after its message, the same lines give the
events that feeding them one line at a time gives, and the characters the reader hands its patterns and its
recognizer grow with the log, no faster (a reader that scanned each line again from every anchor word in it, as one
pattern once did on `EPERM '` repeated, grows with the square).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import prisma_doctor.catalogue
import prisma_doctor.client_singleton
import prisma_doctor.diagnosis
import prisma_doctor.logs
from prisma_doctor.logs.recognize import LogReader, Recognizer, recognize
from prisma_doctor.logs.stream import read_lines
from tests.regex_inputs import adversarial_lines, adversarial_pairs
from tests.regex_steps import StepCounter, TooManySteps

READER_PACKAGES = (prisma_doctor.logs, prisma_doctor.diagnosis)
# Modules of their own that the readers use: the catalogue's message shapes; and the reader of the app's source that
# `staleness.py` runs on every check (its client singleton).
READER_MODULES = (prisma_doctor.catalogue, prisma_doctor.client_singleton)
# The two lengths of each line: a quadratic pattern's steps at the second are ~16 times those at the first.
SHORT, LONG = 120, 480
# A linear search's steps at `LONG` are at most ~4.7 times those at `SHORT` (the same constant start-up, four times
# the positions); this leaves room for that and fails at a third of the quadratic growth.
GROWTH = 6.0
# No search of a `LONG` line may take more steps than this: what a pattern stuck in exponential backtracking hits.
STEP_LIMIT = 500 * LONG
# The same for the reader over a whole log of the lines at two lengths.
READER_SHORT, READER_LONG = 250, 1000
READER_GROWTH = 5.0
# How many times the recognizer's patterns read one line may not grow with the line (a rescan from each of its words
# would make it grow fourfold).
PASSES_GROWTH = 1.5
CHUNK = 64 * 1024
# A client error's header and message, so that the adversarial lines are also read as its path, frame and stack.
HEADER = "Invalid `prisma.user.findMany()` invocation in\n"
MESSAGE = "The column `User.nickname` does not exist in the current database.\n"
_CALLS = frozenset({"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"})


def reader_modules() -> list[ModuleType]:
    modules: list[ModuleType] = list(READER_MODULES)
    for package in READER_PACKAGES:
        modules.append(package)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            modules.append(importlib.import_module(info.name))
    return modules


def _held(value: object) -> Iterator[tuple[str, re.Pattern]]:
    if isinstance(value, re.Pattern):
        yield "", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from ((f"[{key!r}]{inner}", pattern) for inner, pattern in _held(item))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield from ((f"[{index}]{inner}", pattern) for inner, pattern in _held(item))


def reader_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern the readers hold, by `module.NAME[index]`, each once."""
    found: dict[str, re.Pattern] = {}
    seen: set[int] = set()
    for module in reader_modules():
        for name, value in vars(module).items():
            for inner, pattern in _held(value):
                if id(pattern) not in seen:
                    seen.add(id(pattern))
                    found[f"{module.__name__.removeprefix('prisma_doctor.')}.{name}{inner}"] = pattern
    return found


PATTERNS = reader_patterns()


def test_the_walk_finds_the_patterns() -> None:
    assert len(PATTERNS) > 50
    for name in ("logs.recognize._START_ANCHOR", "logs.recognize._ANCHOR_CANDIDATES[0]", "logs.stream._ESCAPE"):
        assert name in PATTERNS
    assert "logs.recognize._OBJECT_FIELD['code']" in PATTERNS
    assert "diagnosis.facts._CREATE_TABLE" in PATTERNS


def test_every_pattern_is_a_module_constant() -> None:
    """A pattern written inside a function (`re.search(r"...", text)`) would escape the walk above."""
    inline = []
    for module in reader_modules():
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "re"
                    and node.func.attr in _CALLS
                ):
                    inline.append(f"{module.__name__}:{node.lineno} re.{node.func.attr}")
    assert inline == []


def _text(pattern: re.Pattern, line: str) -> str:
    """The line as the pattern sees it: a bytes pattern's subject is latin-1."""
    if isinstance(pattern.pattern, bytes):
        return line.encode("latin-1", errors="replace").decode("latin-1")
    return line


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_the_step_counter_finds_what_re_finds(name: str) -> None:
    """The counted matcher is `re`'s search on these lines: what it counts is the work of the real pattern."""
    pattern, counter = PATTERNS[name], StepCounter(PATTERNS[name])
    for line in adversarial_lines(pattern, SHORT):
        subject = line.encode("latin-1", errors="replace") if isinstance(pattern.pattern, bytes) else line
        assert counter.search(_text(pattern, line)) == bool(pattern.search(subject)), repr(line[:80])


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_no_pattern_is_super_linear(name: str) -> None:
    pattern = PATTERNS[name]
    counter = StepCounter(pattern, limit=STEP_LIMIT)
    for short, long in adversarial_pairs(pattern, SHORT, LONG):
        counter.search(_text(pattern, short))
        few = counter.steps
        try:
            counter.search(_text(pattern, long))
        except TooManySteps:
            pytest.fail(f"more than {STEP_LIMIT} steps on {len(long)} characters: {long[:60]!r}")
        assert counter.steps <= GROWTH * few, f"{few} -> {counter.steps} steps at 4x the length: {long[:60]!r}"


def adversarial_log(pattern: re.Pattern, length: int) -> str:
    """The pattern's lines as a dev server would print them: alone, as a client error's path and frame, after its
    message."""
    lines = [line.replace("\n", " ").replace("\r", " ") for line in adversarial_lines(pattern, length)]
    if isinstance(pattern.pattern, bytes):
        lines = [line.encode("latin-1", errors="replace").decode("utf-8", errors="replace") for line in lines]
    out = []
    for line in lines:
        out += [line, "\n", HEADER, line, "\n", line, "\n", HEADER, MESSAGE, line, "\n"]
    return "".join(out)


# Where each method of a pattern takes its subject, and whether a start and an end position follow it.
_SUBJECT = {"search": 0, "match": 0, "fullmatch": 0, "findall": 0, "finditer": 0, "split": 0, "sub": 1, "subn": 1}
_POSITIONS = frozenset({"search", "match", "fullmatch", "findall", "finditer"})


class _Counted:
    """A pattern that adds the characters each call is given to a tally, and otherwise is the pattern."""

    def __init__(self, pattern: re.Pattern, tally: list[float]) -> None:
        self._pattern, self._tally = pattern, tally

    def __getattr__(self, name: str) -> object:
        method = getattr(self._pattern, name)
        if name not in _SUBJECT:
            return method

        def counted(*args: Any) -> object:
            subject = args[_SUBJECT[name]]
            pos = args[1] if name in _POSITIONS and len(args) > 1 else 0
            end = args[2] if name in _POSITIONS and len(args) > 2 else len(subject)
            self._tally[0] += max(0, min(end, len(subject)) - pos)
            return method(*args)

        return counted


def _counted(value: object, tally: list[float]) -> object:
    if isinstance(value, re.Pattern):
        return _Counted(value, tally)
    if isinstance(value, dict):
        return {key: _counted(item, tally) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_counted(item, tally) for item in value)
    return value


@pytest.fixture
def tally(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """`[characters, passes]`: the characters handed to every pattern of the readers and to the recognizer, summed
    as they are read; and the most characters the patterns were handed while the recognizer read one line, in
    lengths of that line (how many times a line is read: a rescan from each word of it makes that grow with it)."""
    counted: list[float] = [0, 0]
    for module in reader_modules():
        for name, value in list(vars(module).items()):
            if any(True for _ in _held(value)):
                monkeypatch.setattr(module, name, _counted(value, counted))
    feed_line = Recognizer.feed_line

    def fed(self: Recognizer, line: str) -> list:
        counted[0] += len(line)
        before = counted[0]
        events = feed_line(self, line)
        counted[1] = max(counted[1], (counted[0] - before) / max(len(line), 100))
        return events

    monkeypatch.setattr(Recognizer, "feed_line", fed)
    return counted


def _read(text: str, tally: list[float]) -> tuple[list, float, float]:
    """The events of the log read by `LogReader` in chunks, the characters its patterns were handed, and the most
    times one line was read."""
    data = text.encode("utf-8")
    tally[:] = [0, 0]
    reader, events = LogReader(), []
    for start in range(0, len(data), CHUNK):
        events += reader.feed(data[start : start + CHUNK])
    events += reader.close()
    return events, tally[0], tally[1]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_the_reader_reads_adversarial_lines_right_and_in_linear_work(name: str, tally: list[float]) -> None:
    pattern = PATTERNS[name]
    short, long = adversarial_log(pattern, READER_SHORT), adversarial_log(pattern, READER_LONG)
    events, few, passes = _read(short, tally)
    long_events, many, long_passes = _read(long, tally)
    # The right result: what feeding every line to the recognizer gives.
    assert events == recognize(read_lines([short]))
    assert long_events == recognize(read_lines([long]))
    assert many <= READER_GROWTH * few, f"{few} -> {many} characters handed to patterns at 4x the line length"
    assert long_passes <= PASSES_GROWTH * passes, f"a line read {passes:.0f} -> {long_passes:.0f} times"
