"""Terminal output to clean text lines, incrementally and in bounded memory.

Output arrives in chunks cut anywhere: inside an escape sequence, between `\\r` and `\\n`, inside a UTF-8 character.
`LineReader.feed` takes each chunk (bytes or text) and returns the lines it completed, with ANSI/OSC sequences and
control characters removed, overlong lines cut, binary noise dropped and UTF-8 that was decoded as cp1252, latin-1
or Mac Roman on its way here repaired. Bytes are read as UTF-8, or as UTF-16 or UTF-32 when their first bytes say so
(encoding.py). Nothing is kept but the current partial line (at most `max_line` characters)
and an unfinished escape sequence (at most `_MAX_ESCAPE` characters).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from prisma_doctor.logs.encoding import StreamDecoder

# Long enough for one JSON log record with a Prisma error in it, short enough to bound a stream's memory. pino and
# Next print the error's message, code frame and stack on one line, and the code frame may be lines of the client's
# minified runtime: Fastify's record of a real P2002 is 107 KB (tests/fixtures/logs/fastify-pino-*).
DEFAULT_MAX_LINE = 1 << 20
# An escape sequence longer than this is not one we know (OSC 8 links are the longest in practice).
_MAX_ESCAPE = 2048
TRUNCATION_MARK = " …"

# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ST), DCS/PM/APC strings, and two-byte ESC sequences. Factored
# behind one ESC so that the search skips from ESC to ESC instead of trying four alternatives at every character.
_ESCAPE = re.compile(
    r"""
    \x1b(?:
        \[[0-?]*[ -/]*[@-~]                     # CSI: colours, cursor moves, erase line
      | \][^\x07\x1b]*(?:\x07|\x1b\\)           # OSC: titles, hyperlinks, shell integration
      | [PX^_][^\x1b]*\x1b\\                    # DCS, SOS, PM, APC strings
      | [ -/]*[0-~]                             # other ESC sequences (charset selection, keypad modes)
    )
    """,
    re.VERBOSE,
)
# An escape sequence that has started but whose end has not arrived yet. It holds at most two ESCs, the second only as
# its last character (the first half of an ST), so it can only start at one of the text's last two ESCs.
_UNFINISHED_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[ -/]*)?\Z")
# Characters that make a line's cleaning more than a redraw, a mojibake repair and a cut: controls other than tab
# and carriage return, and the replacement characters that may make it binary noise.
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
# The same test on UTF-8 bytes, where it is quicker: C0 controls and DEL (carriage returns and ESC are judged after
# decoding and stripping escape sequences), and C1 controls.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r\x1b") + b"\x7f"
_C1_BYTES = re.compile(rb"\xc2[\x80-\x9f]")
# Control characters other than tab and the line breaks handled separately.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")

# UTF-8 bytes shown through a single-byte code page: a lead byte's character followed by continuation characters.
_CP1252_CHARS = "".join(sorted({bytes([b]).decode("cp1252", "ignore") for b in range(0x80, 0x100)} - {""}))
_MAC_ROMAN_CHARS = "".join(sorted({bytes([b]).decode("mac_roman") for b in range(0x80, 0x100)}))
_LATIN1_CONTROLS = "".join(chr(c) for c in range(0x80, 0xA0))
# Written `[c][c]+`, not `[c]{2,}`: a pattern that starts with a class skips to the places where it may match in C.
_CP1252_CLASS = f"[{re.escape(_CP1252_CHARS + _LATIN1_CONTROLS)}]"
_MAC_ROMAN_CLASS = f"[{re.escape(_MAC_ROMAN_CHARS)}]"
_CP1252_RUN = re.compile(f"{_CP1252_CLASS}{_CP1252_CLASS}+")
_MAC_ROMAN_RUN = re.compile(f"{_MAC_ROMAN_CLASS}{_MAC_ROMAN_CLASS}+")


def _unfinished_escape(text: str) -> int:
    """Where an unfinished escape sequence at the end of `text` starts (`len(text)` if there is none)."""
    last = text.rfind("\x1b")
    if last < 0:
        return len(text)
    if last == len(text) - 1:
        before = text.rfind("\x1b", 0, last)
        if before >= 0 and _UNFINISHED_ESCAPE.match(text, before):
            return before
    return last if _UNFINISHED_ESCAPE.match(text, last) else len(text)


def _plain_bytes(raw: bytes) -> bool:
    """No control character but tab, line breaks and ESC in these UTF-8 bytes."""
    return len(raw.translate(None, _CONTROL_BYTES)) == len(raw) and not (b"\xc2" in raw and _C1_BYTES.search(raw))


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences from complete text."""
    return _ESCAPE.sub("", text)


def repair_mojibake(line: str) -> str:
    """Undo UTF-8 that was decoded as cp1252, latin-1 or Mac Roman (`Â«` -> `«`, `Ã©` -> `é`, `¬´` -> `«`).

    A run of such characters is replaced only when its bytes form valid UTF-8 that differs from it; legitimate
    accented text almost never does, because UTF-8 continuation bytes must follow a lead byte exactly.
    """
    if line.isascii():
        return line
    line = _CP1252_RUN.sub(lambda m: _redecode(m.group(0), _encode_cp1252), line)
    return _MAC_ROMAN_RUN.sub(lambda m: _redecode(m.group(0), _encode_mac_roman), line)


# cp1252's characters for bytes 0x80-0x9f, back to the latin-1 characters of those bytes. cp1252 leaves five of them
# undefined; a latin-1 decoder turned those (and all of 0x80-0x9f) into C1 controls, which latin-1 encodes as they are.
_CP1252_TO_LATIN1 = {
    ord(bytes([b]).decode("cp1252")): b for b in range(0x80, 0xA0) if bytes([b]).decode("cp1252", "ignore")
}


def _encode_mac_roman(text: str) -> bytes:
    return text.encode("mac_roman")


def _encode_cp1252(text: str) -> bytes:
    # A run holds cp1252's characters or latin-1's C1 controls, seldom both: each alone is one encoding, in C.
    for encoding in ("cp1252", "latin-1"):
        try:
            return text.encode(encoding)
        except UnicodeEncodeError:
            pass
    return text.translate(_CP1252_TO_LATIN1).encode("latin-1")


# Where the characters of real text live; a "repair" that produces anything else (`ÀÉ` read as Mac Roman gives
# U+02C3) was not mojibake in the first place.
_PLAUSIBLE_RANGES = (
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0370, 0x052F),  # Greek, Cyrillic
    (0x2010, 0x2BFF),  # punctuation, currency, arrows, math, box drawing, shapes, dingbats (✔ ✓ ⨯ ⚠)
    (0x3000, 0x9FFF),  # CJK
    (0xAC00, 0xD7AF),  # Hangul
    (0x1F300, 0x1FAFF),  # emoji
)


# Anything else, searched in C rather than tested character by character.
_IMPLAUSIBLE = re.compile("[^\x00-\x7f" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _PLAUSIBLE_RANGES) + "]")
# The bytes that are no UTF-8, as a `surrogateescape` decoding keeps them.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]+")


def _plausible(text: str) -> bool:
    return not _IMPLAUSIBLE.search(text)


def _redecode(run: str, encode: Callable[[str], bytes]) -> str:
    data = encode(run)
    try:
        repaired = data.decode("utf-8")
    except UnicodeDecodeError:
        return _redecode_pieces(run, data)
    return repaired if _plausible(repaired) else run


def _redecode_pieces(run: str, data: bytes) -> str:
    """Repair the valid pieces of a run that also holds characters that were never mojibake.

    `data` is the run in its single-byte code page: byte i is character i. Decoding it once, with the bytes that are
    no UTF-8 kept as escapes, finds the pieces that trying every position would (a UTF-8 sequence has one length, set
    by its first byte), and handles each stretch of them, or of bytes that are none, in one step.
    """
    decoded = data.decode("utf-8", "surrogateescape")
    out: list[str] = []
    at = 0  # where in `run` the text read so far ends
    done = 0  # where in `decoded`
    for escaped in _ESCAPED_BYTES.finditer(decoded):
        at = _repaired(run, at, decoded[done : escaped.start()], out)
        out.append(run[at : at + len(escaped.group())])  # bytes that are no UTF-8: the characters as they were
        at += len(escaped.group())
        done = escaped.end()
    _repaired(run, at, decoded[done:], out)
    return "".join(out)


def _repaired(run: str, at: int, pieces: str, out: list[str]) -> int:
    """Append what valid UTF-8 pieces read from `run[at:]` become; return where they end in `run`."""
    if _plausible(pieces):
        out.append(pieces)
        return at + len(pieces.encode("utf-8"))
    for ch in pieces:  # an implausible character stays as it was; its neighbours are still repaired
        size = len(ch.encode("utf-8"))
        out.append(ch if _plausible(ch) else run[at : at + size])
        at += size
    return at


# Controls but tab, and the replacement character, in UTF-8: counted in bytes, where C does it for any text.
_NOISE_CONTROL_BYTES = bytes([*range(0x09), *range(0x0A, 0x20)])
_REPLACEMENT_BYTES = "\ufffd".encode()


def is_binary_noise(line: str) -> bool:
    """A line that is mostly replacement characters or symbols from a binary file, not text anyone printed."""
    if len(line) < 8 or (line.isprintable() and "\ufffd" not in line):
        # The common case, decided in C: ordinary text has neither control characters nor replacements.
        return False
    data = line.encode("utf-8", "surrogatepass")
    bad = len(data) - len(data.translate(None, _NOISE_CONTROL_BYTES)) + data.count(_REPLACEMENT_BYTES)
    return bad * 4 > len(line)


class LineReader:
    """Feeds on chunks, returns complete clean lines. Call `close()` at the end of the stream for the last one."""

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        self.max_line = max_line
        self._decoder = StreamDecoder()
        self._pending = ""  # an unfinished escape sequence or a trailing `\r`
        self._line: list[str] = []
        self._line_length = 0
        self._truncated = False
        self.noise_lines = 0  # lines dropped as binary noise

    def feed(self, chunk: bytes | str) -> list[str]:
        return list(self._split(self._prepare(chunk)))

    def feed_parts(self, chunk: bytes | str) -> tuple[list[str], str]:
        """The lines `feed` would return, as clean lines and a body of raw whole lines that cost nothing to cut.

        The body is empty or ends with `\\n`; each of its lines becomes the clean line `whole_line(raw)` (never None):
        it holds no control character (but tab and the carriage return that redraws a line) and no replacement
        character, so no line in it is noise and cleaning it only keeps what was drawn last, repairs mojibake and cuts
        an overlong line. Callers that look at few lines (the recognizer
        looks for a handful of words) then pay for the lines they look at, not for every line. The clean lines
        come first; in a chunk that needs line-by-line work they are all the lines and the body is empty.
        """
        plain_bytes = False
        # Text held back from the last chunk (an escape sequence that may not be one) is not in these bytes, and
        # bytes of a stream not known to be UTF-8 yet are no UTF-8 to look at.
        if isinstance(chunk, bytes) and not self._pending and (held := self._decoder.utf8_held()) is not None:
            plain_bytes = _plain_bytes(held + chunk if held else chunk)
        text = self._prepare(chunk)
        first = text.find("\n")
        # When the bytes had no control character, what decoding and stripping may leave is quick to look for.
        plain = ("\ufffd" not in text and "\x1b" not in text) if plain_bytes else not _SUSPECT.search(text)
        if first < 0 or not plain:
            return list(self._split(text)), ""
        last = text.rfind("\n")
        head = list(self._split(text[: first + 1]))  # ends the line carried over from the previous chunk
        head.extend(self._split(text[last + 1 :]))  # starts the next one: nothing to return
        return head, text[first + 1 : last + 1]

    def whole_line(self, raw: str) -> str:
        """One line of a `feed_parts` body, clean."""
        if "\r" in raw:
            raw = raw[raw.rfind("\r") + 1 :]  # a lone carriage return redraws the line (spinners, progress bars)
        if len(raw) <= self.max_line:
            return clean_line(raw) or ""
        return (clean_line(raw[: self.max_line]) or "") + TRUNCATION_MARK

    def _prepare(self, chunk: bytes | str) -> str:
        """Decoded text without escape sequences, `\\n` line breaks, up to where the next chunk may still change it."""
        text = self._decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
        text = self._pending + text
        self._pending = ""
        unfinished = _unfinished_escape(text)
        if unfinished < len(text) and len(text) - unfinished <= _MAX_ESCAPE:
            self._pending = text[unfinished:]
            text = text[:unfinished]
        if text.endswith("\r"):
            # It may be the first half of a CRLF cut by the chunk boundary.
            self._pending = "\r" + self._pending
            text = text[:-1]
        text = strip_ansi(text) if "\x1b" in text else text
        return text.replace("\r\n", "\n") if "\r" in text else text

    def close(self) -> list[str]:
        tail = self._decoder.decode(b"", final=True) + self._pending
        self._pending = ""
        lines = list(self._split(strip_ansi(tail).rstrip("\r").replace("\r\n", "\n")))
        if self._line_length or self._truncated:
            lines.extend(self._finish_line())
        return lines

    def _split(self, text: str) -> Iterator[str]:
        parts = text.split("\n")
        last = len(parts) - 1
        for index, part in enumerate(parts):
            whole = index < last and not self._line_length and not self._truncated
            if whole and len(part) <= self.max_line and "\r" not in part:
                # The hot path: a whole line inside one chunk, nothing to join or cut.
                line = clean_line(part)
                if line is not None:
                    yield line
                else:
                    self.noise_lines += 1
                continue
            if "\r" in part:
                # A lone carriage return redraws the line (spinners, progress bars): keep what was drawn last.
                self._line, self._line_length, self._truncated = [], 0, False
                part = part.rsplit("\r", 1)[1]
            self._append(part)
            if index < len(parts) - 1:
                yield from self._finish_line()

    def _append(self, part: str) -> None:
        if self._truncated or not part:
            return
        room = self.max_line - self._line_length
        if len(part) > room:
            part = part[:room]
            self._truncated = True
        self._line.append(part)
        self._line_length += len(part)

    def _finish_line(self) -> Iterator[str]:
        line = clean_line("".join(self._line))
        truncated = self._truncated
        self._line, self._line_length, self._truncated = [], 0, False
        if line is not None:
            yield line + TRUNCATION_MARK if truncated else line
        else:
            self.noise_lines += 1


def clean_line(line: str) -> str | None:
    """A complete line without control characters and with mojibake repaired; None for binary noise."""
    if line.isascii() and line.isprintable():
        return line  # most lines: nothing to repair or remove, decided in C
    if is_binary_noise(line):
        return None
    line = repair_mojibake(line)
    return line if line.isprintable() else _CONTROL.sub("", line)  # a printable line holds no control character


def read_lines(chunks: Iterable[bytes | str], max_line: int = DEFAULT_MAX_LINE) -> Iterator[str]:
    """All clean lines of a finished stream."""
    reader = LineReader(max_line)
    for chunk in chunks:
        yield from reader.feed(chunk)
    yield from reader.close()
