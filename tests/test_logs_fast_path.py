"""The log reader's fast path against a line-by-line reference: the same events, from the same chunks, at the same time.

`LogReader.feed` finds where anchor words can be over a whole chunk and gives the recognizer only those lines and the
lines of an open block. The reference cuts every chunk into clean lines (`LineReader.feed`) and gives every line to
the recognizer. They must agree on the captures and on mixes of captures, ordinary dev-server output and the damage a
terminal does (colours, CRLF, redrawn lines, mojibake, binary noise, overlong lines), cut into chunks anywhere.
"""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prisma_doctor.logs import events as ev
from prisma_doctor.logs import stream
from prisma_doctor.logs.recognize import _ANCHOR_CANDIDATES, _START_ANCHOR, LogReader, Recognizer
from prisma_doctor.logs.stream import DEFAULT_MAX_LINE, LineReader
from tests.captures.loading import load, names


class LineByLineReader:
    """The reference: every line through `Recognizer.feed_line`."""

    def __init__(self) -> None:
        self.lines = LineReader()
        self.recognizer = Recognizer()

    def feed(self, chunk: bytes | str) -> list[ev.Event]:
        return [event for line in self.lines.feed(chunk) for event in self.recognizer.feed_line(line)]

    def close(self) -> list[ev.Event]:
        out = [event for line in self.lines.close() for event in self.recognizer.feed_line(line)]
        return out + self.recognizer.flush()


def assert_same_events(chunks: list[bytes] | list[str]) -> list[ev.Event]:
    """Feed both readers chunk by chunk: each chunk must give the same events from both."""
    fast, reference = LogReader(), LineByLineReader()
    found: list[ev.Event] = []
    for index, chunk in enumerate(chunks):
        events = fast.feed(chunk)
        assert events == reference.feed(chunk), f"chunk {index}: {chunk[:80]!r}"
        found += events
    tail = fast.close()
    assert tail == reference.close()
    return found + tail


def cut(data: bytes, rng: random.Random) -> list[bytes]:
    """Chunks of random sizes, from single bytes (inside UTF-8 characters and escapes) to a pipe's 64 KiB."""
    chunks, position = [], 0
    while position < len(data):
        size = rng.choice([1, 2, 3, 5, 17, 64, 500, 4096, 65536, rng.randint(1, 9000)])
        chunks.append(data[position : position + size])
        position += size
    return chunks


def ordinary(rng: random.Random) -> str:
    """What `next dev` prints while all is well, coloured now and then, as in bench/logs_bench.py."""
    route = rng.choice(["/", "/dashboard", "/api/users", "/settings/billing"])
    return rng.choice(
        [
            f" GET {route} 200 in {rng.randint(3, 900)}ms",
            f" POST {route} 500 in {rng.randint(10, 2000)}ms",
            f" \x1b[32m✓\x1b[39m Compiled {route} in {rng.randint(80, 4000)}ms",
            f" \x1b[37m○\x1b[39m Compiling {route} ...",
            f"[info] user {rng.randint(1, 99999)} loaded {rng.randint(0, 50)} items\ttab",
            "⠋ Compiling\r⠙ Compiling\r✓ Compiled",  # a redrawn line
            "x" * (DEFAULT_MAX_LINE - 9) + "Record to update not found",  # an anchor cut by the line limit
            "y" * (DEFAULT_MAX_LINE - 9) + "Record toXupdate",  # ... or completed by the cut's ` …`
            "z" * 9000,
            "",
            "   ",
        ]
    )


def damage(line: str, rng: random.Random) -> bytes:
    """A line as some terminal or pipe may deliver it."""
    kind = rng.random()
    if kind < 0.03:
        return bytes(rng.randrange(256) for _ in range(rng.randint(8, 60)))  # binary noise
    if kind < 0.04:
        return bytes(rng.choice(b"\x00\x01\x02\x08\x0b\x1f\x7fab") for _ in range(rng.randint(8, 60)))  # valid UTF-8
    data = line.encode()
    if kind < 0.06:
        data = data.decode("latin-1").encode()  # mojibake
    elif kind < 0.09:
        data = data.decode("cp1252", errors="replace").encode()
    elif kind < 0.11 and data:
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice([b"\x00", b"\x07", b"\x1b", b"\x7f", b"\xc2\x85", b"\xff"]) + data[at:]
    elif kind < 0.13:
        data = data.replace(b" ", b"\x1b[1m \x1b[22m")  # colours between words
    elif kind < 0.15:
        data = b"\x1b]0;title\n\x07" + data  # an OSC holding a line break
    return data


def mix(seed: int, blocks: int = 12) -> bytes:
    rng = random.Random(seed)
    # One stream is in one encoding: the UTF-16 captures (a log PowerShell saved) are not mixed into UTF-8 output.
    captures = [output for name in names() if not (output := load(name).output).startswith(codecs.BOM_UTF16_LE)]
    out: list[bytes] = []
    for _ in range(blocks):
        for _ in range(rng.randint(0, 40)):
            out.append(damage(ordinary(rng), rng) + rng.choice([b"\n", b"\r\n"]))
        capture = rng.choice(captures)
        if rng.random() < 0.2:
            capture = capture.replace(b"\n", b"\r\n")
        if rng.random() < 0.2:
            capture = capture.decode().encode("utf-8").decode("mac_roman").encode()
        out.append(capture)
    return b"".join(out)


@pytest.mark.parametrize("name", names())
def test_every_capture_cut_anywhere(name: str) -> None:
    data = load(name).output
    whole = assert_same_events([data])
    assert whole, "every capture gives at least one event"
    for seed in range(4):
        assert assert_same_events(cut(data, random.Random(f"{name}{seed}"))) == whole


# Three seeds in the default suite, the other nine in the slow one (scripts/test-slow.sh): each takes 10-20 s.
@pytest.mark.parametrize("seed", [*range(3), *(pytest.param(seed, marks=pytest.mark.slow) for seed in range(3, 12))])
def test_mixed_output_cut_anywhere(seed: int) -> None:
    data = mix(seed)
    whole = assert_same_events([data])
    assert assert_same_events(cut(data, random.Random(seed))) == whole


def test_mixed_output_as_text_chunks() -> None:
    """The editor sends text, not bytes."""
    text = mix(99).decode("utf-8", errors="replace")
    rng = random.Random(99)
    chunks, position = [], 0
    while position < len(text):
        size = rng.choice([1, 7, 300, 5000, 70000])
        chunks.append(text[position : position + size])
        position += size
    assert assert_same_events(chunks) == assert_same_events([text])


@pytest.mark.parametrize(
    "line",
    [
        b"\xe2\x9c\x93 Ready in 1.2s\rredrawn",  # a lone CR: only what was drawn last is a line
        b"\xff\xfe" * 8,  # replacement characters only: noise, dropped and not counted
        b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f",  # controls only: noise as well
        b"Can't re\xc2\x85ach database server at `db:5432`",  # controls inside a word are removed
        b"Can't re\x00ach database server at `db:5432`",
        b"Can't re\x1bach database server at `db:5432`",  # an ESC that starts no sequence
        b"Can't re\x1b[1mach database server at `db:5432`",
        b"Can\xc3\xa2\xc2\x80\xc2\x99t reach database server at `db:5432`",  # mojibake of `Can’t`
        b"\x1b" * 10,  # ESCs that start no sequence stay until the line is cleaned: noise
    ],
)
def test_lines_that_are_not_plain_text_inside_a_chunk(line: bytes) -> None:
    data = b" GET / 200 in 3ms\n" + line + b"\n \xe2\x9c\x93 Ready in 3ms\n"
    events = assert_same_events([data])
    assert events[-1] == assert_same_events([data[:1], data[1:]])[-1]
    assert isinstance(events[-1], ev.DevServerReady)


def test_controls_held_back_with_an_unfinished_escape() -> None:
    """What looked like an OSC (it may hold line breaks) at the end of one chunk turns out not to be one."""
    chunks = [b"a\n\x1b]\n\x01\x02\x03\x04\x05\x06\x08\x0e\n", b"\x1bX\n \xe2\x9c\x93 Ready in 3ms\n"]
    (ready,) = assert_same_events(chunks)
    assert isinstance(ready, ev.DevServerReady) and ready.line == 4


def test_a_line_redrawn_across_chunks() -> None:
    """A spinner's line that a chunk boundary cuts after its carriage return: only what was drawn last is read."""
    assert assert_same_events([b"a\n\xe2\x9c\x93 Ready in 1s\rre", b"drawn\n"]) == []


_FRAGMENTS = [
    *_START_ANCHOR.pattern.split("|"),
    "\n",
    "\r\n",
    "\r",
    "\t",
    " ",
    "\x1b[31m",
    "\x1b[",
    "\x1b]8;;",
    "\x07",
    "\x1b\\",
    "\x00",
    "\x85",
    "\ufffd",
    "Â«",
    "«",
    "✓",
    "Ã©",
    "{",
    "}",
    "  code: 'P2022',",
    "    at main (/app/x.js:1:2) {",
    "The column `x` does not exist in the current database.",
    "x" * 300,
    # Whole one-line events, so that a line the fast path misreads shows in the events.
    "✓ Ready in 1.2s",
    "Record to update not found.",
    "Can't reach database server at `db:5432`",
    "Environment variable not found: DATABASE_URL.",
    "✔ Generated Prisma Client (v6.17.1) to ./generated/client in 96ms",
    "Drift detected: Your database schema is not in sync with your migration history.",
    "\x01\x02\x03\x04\x05\x06\x07\x08",  # binary noise: a line of it is dropped, not counted
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS), max_size=120),
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=40),
    st.booleans(),
)
def test_any_fragments_cut_anywhere(fragments: list[str], sizes: list[int], as_bytes: bool) -> None:
    data: bytes | str = "".join(fragments).encode() if as_bytes else "".join(fragments)
    chunks, position, turn = [], 0, 0
    while position < len(data):
        size = sizes[turn % len(sizes)]
        chunks.append(data[position : position + size])
        position, turn = position + size, turn + 1
    assert_same_events(chunks)


def test_every_anchor_word_is_a_candidate() -> None:
    """A line `_START_ANCHOR` matches is always among the candidates, even when its last space is the cut's ` …`."""
    for word in _START_ANCHOR.pattern.split("|"):
        assert not set(word) & set(".^$*+?{}[]\\()"), f"{word!r} is not a plain word: cover it by hand"
        assert any(pattern.search(word.rstrip(" ")) for pattern in _ANCHOR_CANDIDATES), word


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="\x1b[]PX^_\\\x07;0m \n-/a«", max_size=40))
def test_unfinished_escape_is_found_from_the_end(text: str) -> None:
    match = stream._UNFINISHED_ESCAPE.search(text)
    assert stream._unfinished_escape(text) == (match.start() if match else len(text))


def test_the_success_of_a_failed_path_is_found_wherever_the_chunks_cut() -> None:
    """Request lines are read only while a failed request's path waits for its success, and only that path's: the
    same events as feeding every line, however the output is cut."""
    failed = load("fastify-pino-driver-adapter-error").output  # /users and /posts fail
    later = b"GET /other 200 in 1ms\n" * 40 + b"GET /users 200 in 3ms\n" + b"GET /users/2 200 in 1ms\n" * 40
    data = failed + later + b"[200] GET /posts\n" + b"[200] POST /posts\n"  # the failure was a POST
    whole = assert_same_events([data])
    answered = [(e.method, e.path) for e in whole if isinstance(e, ev.RequestSucceeded)]
    assert answered == [("GET", "/users"), ("POST", "/posts")], whole
    for seed in range(6):
        assert assert_same_events(cut(data, random.Random(seed))) == whole


def test_the_request_line_right_after_an_error_is_its_request() -> None:
    """An app that prints the error (`console.error(e)`, ending on its `}`) and then its own request line: that line
    is the request that failed with it (`ErrorRequest`), however the output is cut, and its success later ends the
    error's findings (user trial 7, item 4: an old error stayed an error after `GET /users 200`). The error itself
    still comes at its closing brace."""
    from prisma_doctor.diagnosis import diagnose_report

    failed = load("mysql-p7-p2022-missing-column").output
    for between in (b"", b"\r\n"):
        data = failed + between + b"GET /users 500 12ms\r\nGET /users 200 3ms\r\n"
        whole = assert_same_events([data])
        assert [type(e).__name__ for e in whole] == ["MissingColumn", "ErrorRequest", "RequestSucceeded"], whole
        request = whole[1]
        assert isinstance(request, ev.ErrorRequest) and (request.method, request.path) == ("GET", "/users")
        for seed in range(4):
            assert assert_same_events(cut(data, random.Random(seed))) == whole
        (finding,) = diagnose_report(whole, None, "/p").findings
        assert finding.severity.value == "info" and finding.data["history"], finding

    # A line of another kind between them: the request is not known, and no success ends the error.
    data = failed + b"listening again\r\nGET /users 500 12ms\r\nGET /users 200 3ms\r\n"
    events = assert_same_events([data])
    assert [type(e).__name__ for e in events] == ["MissingColumn"], events
    (finding,) = diagnose_report(events, None, "/p").findings
    assert finding.severity.value == "error", finding
