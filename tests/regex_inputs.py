"""Adversarial inputs for a regular expression, built from the pattern's own parse tree.

Backtracking blows up when a line holds many near-misses: a prefix the pattern matches, pumped, then cut short
(`EPERM '` repeated, ``Invalid ` `` repeated, a run of spaces before the wrong character, `a.a.a.a` where a dotted name
is expected). `adversarial_lines` builds one shortest match of the pattern, then for each piece of it (a literal run,
a character class, a repeat, two neighbours together) the lines: the match up to the piece repeated; the piece pumped
in place and cut off; the piece pumped inside a whole match. A super-linear pattern takes quadratic time on some of
them, however it is written, so a new pattern needs no new input.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

try:  # Python 3.11+
    from re import _parser as sre
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as sre  # type: ignore[no-redef]

# Characters tried, in order, as a character class's representative: letters, digits and the punctuation of paths,
# quotes and code frames first, so that the class `[^']` gives `a`, `\s` a space and `[^)\s]` a letter.
_CANDIDATES = "a1 .'`\"/:-_()[]{}«»\\\t@!?é✓\x1b$#;,=<>|*+~^&%\n\x07"
CATEGORIES = {
    sre.CATEGORY_DIGIT: str.isdecimal,
    sre.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
    sre.CATEGORY_SPACE: str.isspace,
    sre.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    sre.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    sre.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
}
# What ends a pumped piece: nothing (the line ends) or a character few patterns expect there.
BREAKERS = ("", "!")


@dataclass(frozen=True)
class _Piece:
    start: int  # where the piece is in the shortest match
    end: int
    unit: str  # one repetition of it, never empty


def _in_class(ch: str, items: list) -> bool:
    negate, hit = False, False
    for op, value in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            hit |= ord(ch) == value
        elif op is sre.RANGE:
            hit |= value[0] <= ord(ch) <= value[1]
        elif op is sre.CATEGORY:
            hit |= CATEGORIES.get(value, lambda _: False)(ch)
    return hit != negate


def _members(items: list) -> list[str]:
    """A few characters of a class: the first candidate it holds, its own literal characters, line breaks and dots."""
    found = [next((ch for ch in _CANDIDATES if _in_class(ch, items)), "a")]
    for ch in [chr(v) for op, v in items if op is sre.LITERAL] + list("\n\t.:/"):
        if ch not in found and _in_class(ch, items):
            found.append(ch)
    return found[:6]


class _Builder:
    """One short match (each branch taking alternative `choice`, or its last), and its pieces."""

    def __init__(self, choice: int, once: bool) -> None:
        self.choice = choice
        self.once = once  # optional repeats taken once rather than left out
        self.text: list[str] = []
        self.length = 0
        self.pieces: list[_Piece] = []

    def emit(self, text: str) -> None:
        self.text.append(text)
        self.length += len(text)

    def sequence(self, items: list) -> None:
        index = 0
        starts: list[tuple[int, str]] = []  # each item's start and one repetition, for pumping neighbours together
        while index < len(items):
            op, value = items[index]
            start = self.length
            if op is sre.LITERAL:  # a run of literals is one piece
                run = ""
                while index < len(items) and items[index][0] is sre.LITERAL:
                    run += chr(items[index][1])
                    index += 1
                self.emit(run)
                unit = run
            else:
                unit = self.item(op, value)
                index += 1
            if unit:
                self.pieces.append(_Piece(start, self.length, unit))
                if starts and starts[-1][1]:
                    self.pieces.append(_Piece(starts[-1][0], self.length, starts[-1][1] + unit))
            starts.append((start, unit))

    def item(self, op: object, value: object) -> str:
        """Emit the shortest text of one item; return one repetition of it (what pumping it repeats)."""
        if op is sre.NOT_LITERAL:
            ch = "a" if value != ord("a") else "b"
            self.emit(ch)
            return ch
        if op is sre.ANY:
            self.emit("a")
            return "a"
        if op is sre.IN:
            members = _members(value)
            self.emit(members[0])
            for other in members[1:]:
                self.pieces.append(_Piece(self.length - 1, self.length, other))
            return members[0]
        if op is sre.SUBPATTERN:
            start = self.length
            self.sequence(value[-1])
            return "".join(self.text)[start:] if self.length > start else ""
        if op is sre.BRANCH:
            alternatives = value[1]
            start = self.length
            self.sequence(alternatives[min(self.choice, len(alternatives) - 1)])
            return "".join(self.text)[start:]
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, _, body = value
            repetitions = max(low, 1) if self.once else low
            if not repetitions:
                alone = _Builder(self.choice, self.once)
                alone.sequence(body)
                return "".join(alone.text)
            start = self.length
            self.sequence(body)  # the first repetition in place, so that its own pieces are pumped too
            unit = "".join(self.text)[start:]
            self.emit(unit * (repetitions - 1))
            return unit
        if op is getattr(sre, "ATOMIC_GROUP", None):
            start = self.length
            self.sequence(value)
            return "".join(self.text)[start:]
        return ""  # anchors, lookarounds, group references: they add no text


def _branch_width(items: list) -> int:
    widest = 1
    for op, value in items:
        if op is sre.BRANCH:
            widest = max(widest, len(value[1]), *(_branch_width(alt) for alt in value[1]))
        elif op is sre.SUBPATTERN:
            widest = max(widest, _branch_width(value[-1]))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            widest = max(widest, _branch_width(value[2]))
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            widest = max(widest, _branch_width(value[1]))
    return widest


def _recipes(pattern: re.Pattern) -> Iterator[tuple[str, str, str]]:
    """Each line as `(before, unit, after)`: `before`, then `unit` repeated to the length wanted, then `after`."""
    source = pattern.pattern.decode("latin-1") if isinstance(pattern.pattern, bytes) else pattern.pattern
    tree = list(sre.parse(source, pattern.flags & ~re.UNICODE if isinstance(pattern.pattern, bytes) else pattern.flags))
    seen: set[tuple[str, str, str]] = set()
    for choice, once in itertools.product(range(_branch_width(tree)), (False, True)):
        builder = _Builder(choice, once)
        builder.sequence(tree)
        match = "".join(builder.text)
        for piece in builder.pieces:
            prefix, rest = match[: piece.start], match[piece.end :]
            recipes = [(prefix, piece.unit, breaker) for breaker in BREAKERS] + [(prefix, piece.unit, rest)]
            recipes += [("", head, "") for head in sorted({match[: piece.end], prefix + piece.unit} - {""})]
            for recipe in recipes:
                if recipe not in seen:
                    seen.add(recipe)
                    yield recipe


def _line(recipe: tuple[str, str, str], length: int) -> str:
    before, unit, after = recipe
    return before + unit * (length // len(unit) + 1) + after


def adversarial_lines(pattern: re.Pattern, length: int) -> Iterator[str]:
    """Lines of about `length` characters (bytes patterns: latin-1 text) made to make `pattern` backtrack."""
    seen: set[str] = set()
    for recipe in _recipes(pattern):
        line = _line(recipe, length)
        if line not in seen:
            seen.add(line)
            yield line


def adversarial_pairs(pattern: re.Pattern, short: int, long: int) -> Iterator[tuple[str, str]]:
    """The same lines at two lengths: a linear search's work grows with the length, a super-linear one's faster."""
    for recipe in _recipes(pattern):
        yield _line(recipe, short), _line(recipe, long)
