"""A database server that does not answer as one should, on a free port: it accepts connections and never speaks
(`silent`), or sends the header of a large MySQL packet and then its body a byte at a time (`trickle`), so that every
read gets a byte before its timeout and the answer never ends; `trickle-postgres` does the same after declining
PostgreSQL's TLS request and reading the startup message. It counts the connections it accepted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType


class StallingServer:
    def __init__(self, mode: str, interval: float = 1.0) -> None:
        assert mode in ("silent", "trickle", "trickle-postgres")
        self.mode = mode
        self.interval = interval
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "mysql") -> str:
        return f"{scheme}://ada:hunter2@127.0.0.1:{self.port}/app"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            self._connections.append(connection)
            if self.mode != "silent":
                threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        try:
            if self.mode == "trickle-postgres":
                connection.recv(8)  # SSLRequest
                connection.sendall(b"N")
                connection.recv(65536)  # the startup message
                connection.sendall(b"R\x00\x00\x03\xe8")  # authentication, 1,000 bytes (libpq allows 2,000)
            else:
                connection.sendall(bytes([0x00, 0xFF, 0x0F, 0x00]))  # a packet of 0x0fff00 bytes, sequence 0
            while not self._closed.wait(self.interval):
                connection.sendall(b"a")
        except OSError:  # the client cut the connection
            pass

    def __enter__(self) -> StallingServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._closed.set()
        self._listener.close()
        for connection in self._connections:
            connection.close()


def wait_until(condition: Callable[[], object], seconds: float = 60.0) -> bool:
    """Whether `condition()` became true within `seconds` (a bound on a hang, not a measure)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if condition():
            return True
        time.sleep(0.05)
    return False
