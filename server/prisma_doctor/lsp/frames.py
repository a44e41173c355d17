"""LSP's base protocol read from a byte stream: header lines, an empty line, then a body of `Content-Length` bytes.

pygls' reader trusts every frame. A header it cannot read (no `Content-Length`, not a number) leaves it reading the
next frames' bytes as headers for good, a body longer than declared does the same, and a huge `Content-Length`
makes it wait for (or allocate) that many bytes: the server stays alive but never answers again. This reader
checks each frame: one it cannot read is reported as a `FrameError` and the stream is read on from the next
`Content-Length:` header, so one bad frame costs that frame only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# The largest body read. A 20 MB schema is 20 MB of JSON; anything far beyond is not a document a person edits, and
# reading it whole is what ended the server (`MemoryError` on `Content-Length: 1000000000000`).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Headers are two short lines in practice; a stream without an empty line for this long is not headers.
MAX_HEADER_BYTES = 8 * 1024
# Bytes asked for at once: a pipe holds 64 KiB.
CHUNK_BYTES = 64 * 1024

_MARKER = b"content-length:"
_HEADER_END = b"\r\n\r\n"
# `Name: value`: a token, a colon, then anything up to the line's end (RFC 7230's header field).
_HEADER_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*")
# What a frame starts with: a header name and its colon, or the start of one (more bytes may yet complete it).
_HEADER_START = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+(:|\Z)")


class FrameError(ValueError):
    """A frame that cannot be read; its message says why. The reader has already moved on to the next frame."""


class FrameReader:
    """Frames from `read(n)`, a coroutine that returns at most `n` bytes, fewer when fewer are waiting, and no bytes
    at the end of the stream."""

    def __init__(self, read: Callable[[int], Awaitable[bytes]]) -> None:
        self._read = read
        self._buffer = bytearray()
        self._ended = False
        # The frame at the start of the buffer could not be read: skip to the next frame before reading on.
        self._skip_frame = False

    async def next_body(self) -> bytes | None:
        """The next frame's body, or None once the stream has ended. Raises `FrameError` for a frame that cannot be
        read: its body is unknown, so it is skipped up to the next frame."""
        if not await self._at_frame_start():
            return None
        end = await self._find_header_end()
        if end is None:
            if self._ended:
                return None
            self._skip_frame = True
            raise FrameError(f"no end of the headers within {MAX_HEADER_BYTES} bytes")
        try:
            length = _content_length(bytes(self._buffer[:end]))
        except FrameError:
            self._skip_frame = True
            raise
        del self._buffer[: end + len(_HEADER_END)]
        if not await self._fill(length):
            log.warning("the stream ended inside a message (%d of %d bytes)", len(self._buffer), length)
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    async def _at_frame_start(self) -> bool:
        """Drop what cannot begin a frame (what is left of a frame that was skipped, or of a body longer than its
        `Content-Length`), up to the next `Content-Length:` header. False at the end of the stream."""
        skipping = self._skip_frame
        # Where a marker may start: not at 0, where the frame being skipped starts (perhaps with a marker).
        first = 1
        while True:
            if not self._buffer and not await self._more():
                return False
            if not skipping:
                start = _HEADER_START.match(self._buffer)
                if start is not None and start.group(1):
                    return True
                if start is None:
                    skipping = True
                elif not await self._more():  # too few bytes yet to tell a header name from anything else
                    return False
                continue
            found = self._buffer.lower().find(_MARKER, first)
            if found >= 0:
                if not self._skip_frame:
                    log.warning("skipped %d bytes before a frame", found)
                del self._buffer[:found]
                self._skip_frame = skipping = False
                continue
            # Keep what could be the start of a marker cut in two by the read; the frame's own start is gone.
            del self._buffer[: max(1, len(self._buffer) - len(_MARKER) + 1)]
            first = 0
            if not await self._more():
                return False

    async def _find_header_end(self) -> int | None:
        searched = 0
        while True:
            end = self._buffer.find(_HEADER_END, max(0, searched - len(_HEADER_END) + 1))
            if end >= 0:
                return end if end <= MAX_HEADER_BYTES else None
            searched = len(self._buffer)
            if searched > MAX_HEADER_BYTES or not await self._more():
                return None

    async def _fill(self, length: int) -> bool:
        while len(self._buffer) < length:
            if not await self._more():
                return False
        return True

    async def _more(self) -> bool:
        if self._ended:
            return False
        data = await self._read(CHUNK_BYTES)
        if not data:
            self._ended = True
            return False
        self._buffer += data
        return True


def _content_length(headers: bytes) -> int:
    """The body's length from a frame's header lines; `FrameError` when it is missing, not a number or too large."""
    lengths = []
    for line in headers.split(b"\r\n"):
        field = _HEADER_LINE.fullmatch(line)
        if field is None:
            raise FrameError(f"a header line is not `Name: value`: {_shown(line)}")
        if field.group(1).lower() == b"content-length":
            lengths.append(field.group(2))
    if len(lengths) != 1:
        raise FrameError("no Content-Length header" if not lengths else "several Content-Length headers")
    value = lengths[0]
    if not value.isdigit():
        raise FrameError(f"Content-Length is not a number: {_shown(value)}")
    # Compared as text first: a number of thousands of digits is slow to convert, and certainly too large.
    if len(value.lstrip(b"0")) > len(str(MAX_MESSAGE_BYTES)) or int(value) > MAX_MESSAGE_BYTES:
        raise FrameError(f"Content-Length {_shown(value)} is over the limit of {MAX_MESSAGE_BYTES} bytes")
    return int(value)


def _shown(data: bytes) -> str:
    text = data.decode("ascii", "backslashreplace")
    return repr(text if len(text) <= 40 else text[:40] + "…")
