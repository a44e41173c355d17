"""How much work a regular expression search does, counted in steps rather than timed.

A backtracking matcher over the pattern's own parse tree (the one Python's `re` compiles), with the semantics of
`re.search` for the constructs the log readers use: literals, classes, `.`, anchors (`^ $ \\A \\Z \\b \\B`),
alternation, groups, greedy and lazy repeats, lookahead and fixed-width lookbehind. Each attempt to match one item at
one position is a step, as in `re`'s own engine, so a pattern that backtracks quadratically here does in `re` (and a
count, unlike a clock, does not change with the machine's load). A repeat of one character is tried as `re` does:
as many as match, then one fewer at a time.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from tests.regex_inputs import CATEGORIES, sre

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)
_SINGLE = (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN)


class TooManySteps(Exception):
    pass


class StepCounter:
    """`search(text)` as `pattern.search(text)`, counting steps; past `limit` steps it stops with `TooManySteps`."""

    def __init__(self, pattern: re.Pattern, limit: int = 2_000_000) -> None:
        source = pattern.pattern.decode("latin-1") if isinstance(pattern.pattern, bytes) else pattern.pattern
        flags = pattern.flags & ~re.UNICODE if isinstance(pattern.pattern, bytes) else pattern.flags
        self.tree = list(sre.parse(source, flags))
        self.ignore_case = bool(flags & re.IGNORECASE)
        self.multiline = bool(flags & re.MULTILINE)
        self.dotall = bool(flags & re.DOTALL)
        self.limit = limit
        self.steps = 0
        self.text = ""

    def search(self, text: str) -> bool:
        """Whether the pattern matches somewhere in `text`; `self.steps` holds the steps it took."""
        self.steps, self.text = 0, text
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 50_000))
        try:
            return any(self._seq(self.tree, 0, start, lambda _end: True) for start in range(len(text) + 1))
        finally:
            sys.setrecursionlimit(old)

    def _step(self) -> None:
        self.steps += 1
        if self.steps > self.limit:
            raise TooManySteps

    def _char(self, op: object, value: object, ch: str) -> bool:
        if op is sre.ANY:
            return self.dotall or ch != "\n"
        if op is sre.IN:
            return self._in_class(ch, value)  # type: ignore[arg-type]
        same = self._same(ch, value)  # type: ignore[arg-type]
        return same if op is sre.LITERAL else not same

    def _same(self, ch: str, code: int) -> bool:
        return ord(ch) == code or (self.ignore_case and ch.lower() == chr(code).lower())

    def _in_class(self, ch: str, items: list) -> bool:
        negate, hit = False, False
        for op, value in items:
            if op is sre.NEGATE:
                negate = True
            elif op is sre.LITERAL:
                hit = hit or self._same(ch, value)
            elif op is sre.RANGE:
                low, high = value
                hit = hit or low <= ord(ch) <= high
                if self.ignore_case and not hit:
                    hit = any(low <= ord(c) <= high for c in (ch.lower(), ch.upper()))
            elif op is sre.CATEGORY:
                hit = hit or CATEGORIES[value](ch)
        return hit != negate

    def _at(self, where: object, pos: int) -> bool:
        text = self.text
        if where is sre.AT_BEGINNING:
            return pos == 0 or (self.multiline and text[pos - 1] == "\n")
        if where is sre.AT_BEGINNING_STRING:
            return pos == 0
        if where is sre.AT_END:
            at_end = pos == len(text) or (pos == len(text) - 1 and text[pos] == "\n")
            return at_end or (self.multiline and pos < len(text) and text[pos] == "\n")
        if where is sre.AT_END_STRING:
            return pos == len(text)
        word = CATEGORIES[sre.CATEGORY_WORD]
        before = pos > 0 and word(text[pos - 1])
        after = pos < len(text) and word(text[pos])
        return (before != after) if where is sre.AT_BOUNDARY else (before == after)

    def _seq(self, items: list, index: int, pos: int, then: Callable[[int], bool]) -> bool:
        """Match `items[index:]` at `pos`, then `then(end)`; backtrack while it is False."""
        if index == len(items):
            return then(pos)
        self._step()
        op, value = items[index]
        rest = lambda end: self._seq(items, index + 1, end, then)  # noqa: E731
        text = self.text
        if op in _SINGLE:
            return pos < len(text) and self._char(op, value, text[pos]) and rest(pos + 1)
        if op is sre.AT:
            return self._at(value, pos) and rest(pos)
        if op is sre.SUBPATTERN:
            return self._seq(value[-1], 0, pos, rest)
        if op is sre.BRANCH:
            return any(self._seq(alternative, 0, pos, rest) for alternative in value[1])
        if op in _REPEATS:
            return self._repeat(op, value, pos, rest)
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            direction, body = value
            start = pos if direction == 1 else pos - _width(body)
            found = start >= 0 and self._seq(body, 0, start, lambda end: direction == 1 or end == pos)
            return (found if op is sre.ASSERT else not found) and rest(pos)
        raise NotImplementedError(f"regex_steps: {op}")

    def _repeat(self, op: object, value: tuple, pos: int, then: Callable[[int], bool]) -> bool:
        low, high, body = value
        greedy = op is sre.MAX_REPEAT
        if len(body) == 1 and body[0][0] in _SINGLE:
            # One character a time: count how many match, then give them back one by one (greedy) or take them
            # one by one (lazy).
            item_op, item_value = body[0]
            count, text = 0, self.text
            while count < high and pos + count < len(text):
                self._step()
                if not self._char(item_op, item_value, text[pos + count]):
                    break
                count += 1
            if count < low:
                return False
            order = range(count, low - 1, -1) if greedy else range(low, count + 1)
            for taken in order:
                self._step()
                if then(pos + taken):
                    return True
            return False
        return self._repeat_body(body, low, high, greedy, 0, pos, then)

    def _repeat_body(
        self, body: list, low: int, high: int, greedy: bool, done: int, pos: int, then: Callable[[int], bool]
    ) -> bool:
        def again(end: int) -> bool:
            # A repetition that matched nothing would repeat forever: it ends the repeat.
            return end != pos and self._repeat_body(body, low, high, greedy, done + 1, end, then)

        if done < low:
            return self._seq(body, 0, pos, again)
        if greedy:
            return (done < high and self._seq(body, 0, pos, again)) or then(pos)
        return then(pos) or (done < high and self._seq(body, 0, pos, again))


def _width(items: list) -> int:
    """The width of a lookbehind's body (Python allows only fixed widths there)."""
    low, high = sre.SubPattern(sre.State(), items).getwidth()
    assert low == high, "a lookbehind has a fixed width"
    return low
