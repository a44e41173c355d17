"""Which encoding a log's bytes are in, decided once from its first bytes, and text from them as they come.

Most output is UTF-8. PowerShell 5's `>` writes UTF-16LE with a BOM, `Out-File -Encoding utf32` UTF-32, Notepad
UTF-8 with a BOM, and some Windows tools UTF-16 without one. A BOM says which; without one, text that is mostly
ASCII shows in UTF-16 (UTF-32) as NUL bytes at every second (every fourth but one) position and nowhere else, which
UTF-8 text never has and binary data does not keep to. Anything else is read as UTF-8, whose decoder turns what is
not UTF-8 into replacement characters that the line reader drops as noise.
"""

from __future__ import annotations

import codecs

# Without a BOM, the encoding is told from the first `SAMPLE` bytes once at least `MIN_SAMPLE` have come, or all
# there are at the end. A line break among bytes that hold no NUL tells at once: in UTF-16 or UTF-32 a line break
# is a code unit with NUL bytes, and text without NULs is no evident UTF-16 anyway. So no UTF-8 line waits.
SAMPLE = 512
MIN_SAMPLE = 64

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16LE's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# For each code unit width, the encodings and, per position in a unit, whether ASCII text puts a NUL byte there.
_WIDE = (
    (4, "utf-32-le", (False, True, True, True)),
    (4, "utf-32-be", (True, True, True, False)),
    (2, "utf-16-le", (False, True)),
    (2, "utf-16-be", (True, False)),
)


def sniff(head: bytes, final: bool = False) -> tuple[str, int] | None:
    """The encoding of a stream that starts with `head`, and the length of its BOM (0 without one).

    None while `head` cannot tell yet (part of a BOM, or fewer than `MIN_SAMPLE` bytes that are not a NUL-free
    line); with `final` (the stream has ended), always an answer.
    """
    if not final and any(len(bom) > len(head) and bom.startswith(head) for bom, _ in _BOMS):
        return None
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    if not final and len(head) < MIN_SAMPLE and (b"\n" not in head or b"\x00" in head):
        return None
    return _without_bom(head[:SAMPLE]), 0


def _without_bom(sample: bytes) -> str:
    for width, encoding, zero in _WIDE:
        units = len(sample) // width
        if units < 2:
            continue
        nuls = [sample[position : units * width : width].count(0) for position in range(width)]
        # Mostly ASCII: NULs in at least a quarter of the units where ASCII puts them, and where it does not, few
        # (U+0100, U+2000... end in a zero byte).
        if all(count * 4 >= units if nul else count * 8 <= units for count, nul in zip(nuls, zero, strict=True)):
            return encoding
    return "utf-8"


class StreamDecoder:
    """Bytes in, text out, in the stream's encoding; the first bytes are held until they tell which it is."""

    def __init__(self) -> None:
        self.encoding: str | None = None
        self._head = b""
        self._decoder: codecs.IncrementalDecoder | None = None

    def decode(self, data: bytes, final: bool = False) -> str:
        if self._decoder is None:
            self._head += data
            found = sniff(self._head, final)
            if found is None:
                return ""
            self.encoding, bom = found
            self._decoder = codecs.getincrementaldecoder(self.encoding)(errors="replace")
            data, self._head = self._head[bom:], b""
        return self._decoder.decode(data, final)

    def utf8_held(self) -> bytes | None:
        """The bytes of an unfinished character a UTF-8 stream's decoder holds; None unless the stream is UTF-8."""
        if self._decoder is None or self.encoding != "utf-8":
            return None
        return self._decoder.getstate()[0]
