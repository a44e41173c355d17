"""Text of a Prisma schema file to its tokens: one regular expression over the whole text, and the bounds on hostile
input.

This is the hot path of `check` and of the language server on every keystroke. Speed is kept the plain way: a tuple
per token (kind, text, start, end) built by `zip` in C, far cheaper than an object per token; whitespace and
comments matched in front of each token rather than as tokens; and a common line (a field, an enum value, a block
attribute written the common way, see common_lines.py) taken whole as one token, its text left for the parser to
read in one pass. `line_tokens` gives the tokens of one such line the general way, for a line that pass does not
take.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, chain
from operator import itemgetter

from prisma_doctor.schema.common_lines import ATTRIBUTE_LINE, LINE_AHEAD, MEMBER_LINE

# A token is a tuple (kind, text, start, end); these name its items.
Token = tuple[str, str, int, int]
KIND, TEXT, START, END = 0, 1, 2, 3
# A problem the tokenizer found: (message, start, end). The parser reports them as syntax errors.
Problem = tuple[str, int, int]

# A token costs about 150 bytes while the parse lasts (a tuple and two offsets), and 300 while it is made: a file of
# one-character tokens would take 300 times its size. Past these bounds what is left is not read, with an error
# saying so. A file: a real schema has a token for each 30 characters or so (6 when read token by token), so only a
# schema of 3 to 15 MB meets the bound (the largest real ones are a few hundred KB), or garbage. A line longer than
# a megabyte is no declaration (a common line is one token however long): it is left out whole, rather than spend
# the file's budget on it. (Module constants read on each call: the tests lower them.)
MAX_LINE_CHARS = 1 << 20
MAX_TOKENS = 500_000

# Whitespace is what Prisma's grammar calls whitespace (Unicode space separators and tabs), plus a stray BOM. It is
# matched in front of each token rather than as a token of its own: half as many matches on an indented file.
# `findall` hands back (whitespace, token) pairs without a match object per token; the offsets are the running sum
# of their lengths, and a token's kind follows from its text (see `_kind`).
_WHITESPACE = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]"
_TOKEN_ALTERNATIVES = rf"""
      (?:\r\n|\n|\r)(?:[ \t]*+(?:\r\n|\n|\r))*+  # newline, with the blank lines after it
    | [A-Za-z][A-Za-z0-9_\-]*+(?![^\W_])  # ident, when ASCII (faster to match than the Unicode classes)
    | [^\W\d_][\w\-]*                     # ident
    | [{{}}()\[\],:=?.!]|@(?!@)           # punct
    | "(?:[^"\\\r\n]|\\[^\r\n]?)*"?       # string, perhaps unterminated
    | ///[^\r\n]*                        # doc
    | -?[0-9]+(?:\.[0-9]+)?               # number
    | @@                                  # atat
    | (?!{_WHITESPACE}).                  # other
"""
# Comments go with the whitespace before a token: the parser never sees them. What precedes a token is taken whole
# (`*+`: a comment that ends the file must not give back its last characters as a token), so the end of the text
# is a last, empty token.
_COMMENT = r"//(?!/)[^\r\n]*|/\*.*?(?:\*/|\Z)"
_TRIVIA = rf"{_WHITESPACE}*+(?:(?:{_COMMENT}){_WHITESPACE}*+)*+"
# `findall` gives (what precedes, a member line, a token) for each: the middle is always empty here.
_TOKEN = re.compile(rf"({_TRIVIA})()({_TOKEN_ALTERNATIVES}|\Z)", re.VERBOSE | re.DOTALL)
# The same, and a common line whole as one token where it looks like one (see common_lines.py): a field's or an enum
# value's line (`member_line`) or a block attribute's (`attribute_line`). They are most of the tokens of a large
# schema, and their nodes are built without walking them. Member lines come in a group of their own: their kind is
# known without a look at each (they are mostly all different), and their text is not kept (the parser reads them
# from the text by their offsets).
_TOKEN_OR_LINE = re.compile(
    rf"({LINE_AHEAD}|{_TRIVIA})(?:({MEMBER_LINE})|({ATTRIBUTE_LINE}|{_TOKEN_ALTERNATIVES}|\Z))",
    re.VERBOSE | re.DOTALL,
)
COMMON_LINES = frozenset({"member_line", "attribute_line"})
# A line break alone, as a token's text (more than one: blank lines, or a comment's line, in between).
ONE_LINE_BREAK = ("\n", "\r\n", "\r")
# The kinds of token after which a new line starts: a common line ends with its line break.
LINE_ENDS = frozenset({"newline", "doc", *COMMON_LINES})
_COMMENT_IN_TRIVIA = re.compile(_COMMENT, re.DOTALL)
_IDENT_START = re.compile(r"[^\W\d_]")
_FIXED_KINDS: dict[str, str] = {
    "": "member_line",  # (its text is in the middle group, not kept)
    **{newline: "newline" for newline in ONE_LINE_BREAK},
    **{punct: "punct" for punct in "{}()[],:=?.!@"},
    "@@": "atat",
}


def file_tokens(text: str, common_lines: bool = True) -> tuple[list[Token], list[Problem]]:
    """The tokens of a whole file, and what the tokenizer found wrong: what it left out (lines too long to read,
    the rest of a file past the token budget), block comments unterminated or where they cannot be.

    The list ends with a token of kind `end` and no text, past the last, so that a reader may look at the token
    after any other without a bound check. With `common_lines`, a common line may be one token, its line break
    included.
    """
    long_lines = _long_lines(text)
    tokens, comments, stopped = _file_tokens(text, common_lines, long_lines, MAX_TOKENS)
    problems = _left_out(long_lines, stopped) + _comment_problems(comments, tokens)
    tokens.append(("end", "", len(text), len(text)))
    return tokens, problems


def line_tokens(text: str, start: int, end: int, at_most: int | None = None) -> list[Token]:
    """The tokens of the common line `text[start:end]` read the general way (the first `at_most` of them, if said),
    ending with an `end` token as `file_tokens` does. No bound is met: a common line holds no block comment and is
    shorter than MAX_LINE_CHARS."""
    tokens, _, _ = _scan(text, False, start, end, at_most)
    tokens.append(("end", "", end, end))
    return tokens


def _left_out(long_lines: list[tuple[int, int]], stopped: int | None) -> list[Problem]:
    """What was not read: the lines too long (before where reading stopped), and the rest past the budget."""
    problems: list[Problem] = [
        (
            f"this line is {end - start:,} characters long, more than a schema line may be "
            f"({MAX_LINE_CHARS:,}); it was not read",
            start,
            end,
        )
        for start, end in long_lines
        if stopped is None or start < stopped
    ]
    if stopped is not None:
        message = (
            f"the file holds more than {MAX_TOKENS:,} words and symbols, far more than any schema: the rest of it "
            "was not read"
        )
        problems.append((message, stopped, stopped))
    return problems


def _comment_problems(comments: list[tuple[str, int, int]], tokens: list[Token]) -> list[Problem]:
    """Block comments left open, and those over several lines that stand inside a line."""
    problems: list[Problem] = []
    for comment, start, following in comments:
        if not comment[2:].endswith("*/"):
            problems.append(("unterminated block comment: `/*` has no closing `*/`", start, start + 2))
        elif ("\n" in comment or "\r" in comment) and _inside_a_line(tokens, following):
            # Prisma reads declarations line by line: a comment over several lines cannot join two halves.
            problems.append(("a block comment over several lines cannot sit inside a line", start, start + 2))
    return problems


def _inside_a_line(tokens: list[Token], following: int) -> bool:
    """Whether significant tokens stand on both sides of the position `following` with no line break between."""
    if not 0 < following < len(tokens):
        return False
    return tokens[following - 1][KIND] not in LINE_ENDS and tokens[following][KIND] != "newline"


def _kind(text: str) -> str:
    """The kind of a token from its text: which alternative of `_TOKEN` matched it."""
    first = text[0]
    if first in "\r\n":
        return "newline"  # several: a line break and blank lines (one alone is in _FIXED_KINDS)
    if text[-1] in "\r\n":
        return "attribute_line"  # (member lines are told apart by the tokenizer)
    if first == '"':
        return "string"
    if first == "/":
        return "doc" if len(text) > 1 else "other"
    if "0" <= first <= "9" or (first == "-" and len(text) > 1):
        return "number"
    return "ident" if _IDENT_START.match(first) else "other"


def _scan(
    text: str, common_lines: bool, start: int, end: int, budget: int | None
) -> tuple[list[Token], list[tuple[str, int, int]], int | None]:
    """The tokens of `text[start:end]`, and the block comments apart: each with its offset and the index of the token
    that follows it. Stops after `budget` tokens: the third item is where it stopped, None when it reached `end`."""
    comments_possible = text.find("/*", start, end) >= 0
    pattern = _TOKEN_OR_LINE if common_lines else _TOKEN
    stopped = None
    if budget is None or end - start < budget:  # (fewer characters than the budget: fewer tokens too)
        triples = pattern.findall(text, start, end)
    else:
        triples, stopped = _at_most(pattern, text, start, end, budget)
    offsets = list(accumulate(map(len, chain.from_iterable(triples)), initial=start))
    comments = _block_comments(text, triples, offsets, end) if comments_possible else []
    while triples and not triples[-1][1] and not triples[-1][2]:
        triples.pop()  # the empty matches at the end: after what ends the text, and at its very end
    texts = list(map(itemgetter(2), triples))  # empty for a member line
    kinds_by_text = dict(_FIXED_KINDS)
    for new in set(texts).difference(kinds_by_text):
        kinds_by_text[new] = _kind(new)
    kinds = list(map(kinds_by_text.__getitem__, texts))
    # What precedes token i ends where the token starts: offsets[3i + 1]; the token ends at offsets[3i + 3].
    count = len(triples)
    tokens = list(zip(kinds, texts, offsets[1 : 3 * count : 3], offsets[3 : 3 * count + 1 : 3], strict=True))
    return tokens, comments, stopped


def _at_most(
    pattern: re.Pattern[str], text: str, start: int, end: int, budget: int
) -> tuple[list[tuple[str, ...]], int | None]:
    """What `findall` gives, but no more than `budget` matches, and where it stopped (None: at `end`). One match
    object per token: slower than `findall`, and only for a text longer than the budget."""
    triples: list[tuple[str, ...]] = []  # (trivia, nothing, token): `groups` is typed by no count
    append = triples.append
    for match in pattern.finditer(text, start, end):
        groups = match.groups("")  # (`findall` gives "" for a group that took no part, as `groups("")` does)
        if len(triples) == budget and (groups[1] or groups[2]):  # (not the empty match at the very end)
            return triples, match.start()
        append(groups)
    return triples, None


def _long_lines(text: str) -> list[tuple[int, int]]:
    """The lines longer than MAX_LINE_CHARS, each as (start, end) without its line break.

    A line at least that long holds a whole one of the windows of half that length laid end to end from the start,
    and no line break in it: a few hundred `find` calls on the largest file, instead of a look at every line.
    """
    half, length = MAX_LINE_CHARS // 2, len(text)
    if length <= MAX_LINE_CHARS:
        return []
    found: list[tuple[int, int]] = []
    past = 0  # the end of the last long line found: windows before it lie inside it
    for window in range(0, length - half + 1, half):
        window_end = window + half
        if window < past or text.find("\n", window, window_end) >= 0 or text.find("\r", window, window_end) >= 0:
            continue
        start = max(text.rfind("\n", 0, window), text.rfind("\r", 0, window)) + 1
        ends = [at for at in (text.find("\n", window_end), text.find("\r", window_end)) if at >= 0]
        end = min(ends, default=length)
        if end - start > MAX_LINE_CHARS:
            found.append((start, end))
        past = end
    return found


def _file_tokens(
    text: str, common_lines: bool, long_lines: list[tuple[int, int]], budget: int
) -> tuple[list[Token], list[tuple[str, int, int]], int | None]:
    """The tokens of the text, the long lines left out, at most `budget` of them; and where they stopped (None: at
    the end). What is left out of a line is its text: its line break is a token as always."""
    start = 0
    tokens: list[Token] = []
    comments: list[tuple[str, int, int]] = []
    for line_start, line_end in [*long_lines, (len(text), len(text))]:
        if line_end <= start:
            continue
        part, part_comments, stopped = _scan(text, common_lines, start, line_start, budget - len(tokens))
        comments.extend((comment, at, following + len(tokens)) for comment, at, following in part_comments)
        if tokens:
            tokens.extend(part)
        else:
            tokens = part  # (most files: one part, not copied)
        if stopped is not None:
            return tokens, comments, stopped
        start = line_end
    return tokens, comments, None


def _block_comments(
    text: str, triples: list[tuple[str, ...]], offsets: list[int], end: int
) -> list[tuple[str, int, int]]:
    """`/* */` comments in what precedes each token (the only comments with rules of their own)."""
    found: list[tuple[str, int, int]] = []
    searched: set[int] = set()
    at = text.find("/*", offsets[0], end)
    while at >= 0:
        # offsets[3i] to offsets[3i + 1] is what precedes token i; a `/*` elsewhere is inside a token (a string).
        slot = bisect_right(offsets, at) - 1
        index = slot // 3
        if slot % 3 == 0 and index not in searched:
            searched.add(index)
            for match in _COMMENT_IN_TRIVIA.finditer(triples[index][0]):
                if match.group().startswith("/*"):
                    found.append((match.group(), offsets[slot] + match.start(), index))
        at = text.find("/*", at + 1, end)
    return found
