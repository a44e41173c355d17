"""Database servers that do not answer as one should, for the probe's tests. Each listens on a free local port and
answers every connection in its own thread with an `Answer`:
- `silent`: accepts and never speaks;
- `trickling_mysql`, `trickling_postgres`: send the head of a long answer and then its body a byte at a time, so that
  every read gets a byte before its timeout and the answer never ends;
- `mysql_asking(plugin)`, `postgres_asking`: play the attacker, asking the client for its password in clear text
  and keeping every byte it sends after that; `mysql_asking` inside TLS too, with a certificate of `self_signed`.
The server counts the connections it accepted and keeps what `keep_what_comes` read."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import pytest

# What a server does with one connection.
Answer = Callable[["FakeDatabase", socket.socket], None]
# The `attacker` fixture: start(answer) -> a running FakeDatabase, closed after the test.
StartAttacker = Callable[[Answer], "FakeDatabase"]


class FakeDatabase:
    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.connections = 0
        self.received = b""
        self._closed = threading.Event()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "mysql") -> str:
        return f"{scheme}://ada:hunter2@127.0.0.1:{self.port}/app"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError, EOFError):  # OSError: the client cut the connection
            self._answer(self, connection)

    def keep_what_comes(self, connection: socket.socket, seconds: float = 2) -> None:
        """Keep what the client sends until it has been quiet for `seconds` or closes."""
        connection.settimeout(seconds)
        with contextlib.suppress(OSError):
            while chunk := connection.recv(4096):
                self.received += chunk

    def trickle(self, connection: socket.socket, interval: float) -> None:
        """A byte every `interval` seconds until the server closes."""
        while not self._closed.wait(interval):
            connection.sendall(b"a")

    def wait_closed(self) -> None:
        self._closed.wait()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        for connection in self._open:
            connection.close()

    def __enter__(self) -> FakeDatabase:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def silent(server: FakeDatabase, connection: socket.socket) -> None:
    server.wait_closed()


def trickling_mysql(interval: float) -> Answer:
    """A MySQL packet of 0x0fff00 bytes (sequence 0), its body a byte every `interval` seconds."""

    def answer(server: FakeDatabase, connection: socket.socket) -> None:
        connection.sendall(bytes([0x00, 0xFF, 0x0F, 0x00]))
        server.trickle(connection, interval)

    return answer


def trickling_postgres(interval: float) -> Answer:
    """PostgreSQL's TLS request declined and its startup message read, then an authentication message of 1,000 bytes
    (libpq allows 2,000), its body a byte every `interval` seconds."""

    def answer(server: FakeDatabase, connection: socket.socket) -> None:
        connection.recv(8)  # SSLRequest
        connection.sendall(b"N")
        connection.recv(65536)  # the startup message
        connection.sendall(b"R\x00\x00\x03\xe8")
        server.trickle(connection, interval)

    return answer


def _mysql_packet(sequence: int, body: bytes) -> bytes:
    return struct.pack("<I", len(body))[:3] + bytes([sequence]) + body


def _read_mysql_packet(connection: socket.socket) -> tuple[int, bytes]:
    head = _read_exactly(connection, 4)
    return head[3], _read_exactly(connection, int.from_bytes(head[:3], "little"))


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def mysql_asking(plugin: bytes, tls: ssl.SSLContext | None = None) -> Answer:
    """A MySQL server's handshake, then an auth switch to `plugin` (with `dialog`'s password prompt). With `tls` (a
    server context), TLS is offered and taken up before the client authenticates."""

    def answer(server: FakeDatabase, connection: socket.socket) -> None:
        connection.settimeout(2)
        # long password, db, 4.1, secure connection, plugin auth; and TLS when there is a certificate
        capabilities = 0x1 | 0x8 | 0x200 | 0x8000 | 0x80000 | (0x800 if tls else 0)
        greeting = (
            b"\x0a5.7.99-attacker\0"
            + struct.pack("<I", 7)
            + b"abcdefgh\0"
            + struct.pack("<H", capabilities & 0xFFFF)
            + bytes([33])
            + struct.pack("<H", 2)
            + struct.pack("<H", capabilities >> 16)
            + bytes([21])
            + b"\0" * 10
            + b"ijklmnopqrst\0mysql_native_password\0"
        )
        connection.sendall(_mysql_packet(0, greeting))
        sequence, body = _read_mysql_packet(connection)
        if tls is not None and len(body) == 32:  # the client's SSLRequest: the rest comes inside TLS
            connection = tls.wrap_socket(connection, server_side=True)
            sequence, _ = _read_mysql_packet(connection)
        data = b"\x04Password: " if plugin == b"dialog" else b""
        connection.sendall(_mysql_packet(sequence + 1, b"\xfe" + plugin + b"\0" + data))
        server.keep_what_comes(connection)

    return answer


def self_signed(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context for 127.0.0.1 with a self-signed certificate made by openssl, and the certificate's file
    (the authority that verifies it)."""
    certificate, key = folder / "server.pem", folder / "server.key"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
    subprocess.run(
        ["openssl", *request, "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    return context, certificate


def postgres_asking(tls: ssl.SSLContext | None = None) -> Answer:
    """PostgreSQL's startup (refusing TLS, or with `tls` taking it up), then AuthenticationCleartextPassword."""

    def answer(server: FakeDatabase, connection: socket.socket) -> None:
        connection.settimeout(2)
        while True:
            length = struct.unpack("!I", _read_exactly(connection, 4))[0]
            body = _read_exactly(connection, length - 4)
            if struct.unpack("!I", body[:4])[0] == 80877103:  # SSLRequest
                connection.sendall(b"S" if tls else b"N")
                if tls is not None:
                    connection = tls.wrap_socket(connection, server_side=True)
                continue
            break
        connection.sendall(b"R" + struct.pack("!II", 8, 3))
        server.keep_what_comes(connection)

    return answer


@pytest.fixture
def attacker() -> Iterator[StartAttacker]:
    started: list[FakeDatabase] = []

    def start(answer: Answer) -> FakeDatabase:
        started.append(FakeDatabase(answer))
        return started[-1]

    yield start
    for one in started:
        one.close()


def wait_until(condition: Callable[[], object], seconds: float = 60.0) -> bool:
    """Whether `condition()` became true within `seconds` (a bound on a hang, not a measure)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if condition():
            return True
        time.sleep(0.05)
    return False
