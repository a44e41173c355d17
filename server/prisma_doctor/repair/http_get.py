"""One GET to a dev server on a loopback address, as a repair asks it: the status as soon as the headers arrive, the
body read bounded in size and time, never a redirect followed, and given up at a deadline or on cancel.

Why each bound (attacker's trial 4): a route that streams forever (server-sent events, a long poll, a Suspense that
never resolves) never ends a read of the whole body, so only a bound on the body ends the request; and a redirect
followed by a general-purpose opener (urllib's) goes to any host and port (an auth provider's login, a proxy, another
program on this machine), whose answer would then be taken for the app's. A redirect is an answer of the dev server:
its status and `Location` are reported, and nothing else is asked. The body is read at all because a streamed page
fails while it renders, after its 200: what the server prints about it comes once the stream ends.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

# A page in a dev build (its RSC payload inline) is a few MB at most; past this the body is not the app's answer.
MAX_BODY_BYTES = 16 << 20
# A page that streams its Suspense boundaries ends within seconds once its data is there; a body still coming after
# this long is a stream that does not end (events, a long poll), judged by its status and the server's output.
BODY_SECONDS = 20.0
_CHUNK = 64 << 10
# What a path from a log keeps as it is (RFC 3986's path and query characters, and `%` of an encoding already done);
# anything else (a decoded `é`, a space, a control character) is percent-encoded as UTF-8, as a browser sends it.
_SAFE = "/%?=&:@!$'()*+,;~-._"
# How much of a redirect's `Location` is kept to be said.
_LOCATION_CHARS = 200


@dataclass(frozen=True)
class Reply:
    status: int | None  # None: no HTTP answer
    error: str = ""  # why there is no status
    location: str | None = None  # a redirect's `Location`, printable and bounded: where it pointed, never visited
    cut: str = ""  # why the body was not read to its end (still streaming, too large); empty when it was
    body: bytes = b""  # the body's first bytes, as many as the caller asked to keep


def request_target(path: str) -> str:
    """`path` as it goes on the request line: characters a request line cannot carry percent-encoded."""
    return urllib.parse.quote(path, safe=_SAFE)


class _Exchange:
    """The GET itself, in a thread of its own; the caller reads its fields and may cut it (`abort`) at any moment."""

    def __init__(self, host: str, port: int, path: str, timeout: float, keep: int) -> None:
        self.status: int | None = None
        self.kept = b""
        self._keep = keep
        self.location: str | None = None
        self.error = ""
        self.body_bytes = 0
        self.headers_at = 0.0
        self.body_done = False
        self._target = request_target(path)
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._connection.request("GET", self._target, headers={"Accept": "*/*", "Connection": "close"})
            response = self._connection.getresponse()
            location = response.getheader("Location")
            self.location = None if location is None else _printable(location)
            self.headers_at = time.monotonic()
            self.status = response.status
            while self.body_bytes < MAX_BODY_BYTES:
                chunk = response.read1(_CHUNK)
                if not chunk:
                    self.body_done = True
                    break
                self.body_bytes += len(chunk)
                if len(self.kept) < self._keep:
                    self.kept += chunk[: self._keep - len(self.kept)]
        except (OSError, http.client.HTTPException) as error:
            self.error = str(error) or type(error).__name__
        except Exception as error:
            # The thread's end: whatever went wrong becomes the answer, never a traceback and a request waited out.
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self._connection.close()

    def join(self, seconds: float) -> bool:
        """Wait at most `seconds`; whether the exchange still runs."""
        self._thread.join(max(0.0, seconds))
        return self._thread.is_alive()

    def abort(self) -> None:
        """Cut the connection: a read blocked on it returns at once."""
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(1.0)


def get(
    host: str,
    port: int,
    path: str,
    *,
    timeout: float,
    should_stop: Callable[[], bool] = lambda: False,
    waiting: Callable[[float, int | None], None] = lambda seconds, status: None,
    body_seconds: float | None = None,
    keep: int = 0,
) -> Reply:
    """GET `path` from `host:port`: the status once the headers arrive within `timeout`, the body read until it ends,
    `MAX_BODY_BYTES` or `body_seconds` after the headers. `waiting(seconds, status)` is called every 5 s while it
    runs (status None: no headers yet). Cancelled by `should_stop` (the reply then says so). The reply holds the
    body's first `keep` bytes."""
    body_seconds = BODY_SECONDS if body_seconds is None else body_seconds
    started = time.monotonic()
    exchange = _Exchange(host, port, path, max(1.0, timeout), keep)
    told = 0
    while True:
        now = time.monotonic()
        limit = exchange.headers_at + body_seconds if exchange.status is not None else started + timeout
        if not exchange.join(min(0.2, limit - now)):
            break
        if should_stop():
            exchange.abort()
            return Reply(None, "cancelled")
        now = time.monotonic()
        if exchange.status is None and now >= started + timeout:
            exchange.abort()
            return Reply(None, f"no answer within {timeout:.0f}s")
        if exchange.status is not None and now >= exchange.headers_at + body_seconds:
            exchange.abort()
            cut = f"its body was still coming after {body_seconds:.0f}s"
            return Reply(exchange.status, location=exchange.location, cut=cut, body=exchange.kept)
        if int(now - started) >= told + 5:
            told = int(now - started)
            waiting(now - started, exchange.status)
    if exchange.status is None:
        return Reply(None, exchange.error or "no answer")
    cut = "" if exchange.body_done else f"its body was not read past {MAX_BODY_BYTES >> 20} MB"
    if exchange.error and not exchange.body_done:
        cut = f"its body broke off ({exchange.error})"
    return Reply(exchange.status, location=exchange.location, cut=cut, body=exchange.kept)


def _printable(text: str) -> str:
    """A header sent by the server, made safe to print on one line."""
    line = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return line if len(line) <= _LOCATION_CHARS else line[:_LOCATION_CHARS] + "…"
