"""Servers that play the attacker of the probe's tests: on a free local port, each speaks just enough of a database's
protocol to ask every client for its password in clear text, and keeps every byte the clients send after that."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest

# What a server says to each client that connects.
Answer = Callable[["Attacker", socket.socket], None]
# The `attacker` fixture: start(answer) -> a running Attacker, closed after the test.
StartAttacker = Callable[[Answer], "Attacker"]


class Attacker:
    """A server on a free local port that asks every client for its password in clear text, and keeps every byte
    the clients send after it asked."""

    def __init__(self, answer: Answer) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.received = b""
        self._answer = answer
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.settimeout(2)
                with contextlib.suppress(OSError, EOFError):
                    self._answer(self, connection)

    def keep_what_comes(self, connection: socket.socket) -> None:
        try:
            while chunk := connection.recv(4096):
                self.received += chunk
        except OSError:
            pass

    def close(self) -> None:
        self._listener.close()


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


def mysql_asking(plugin: bytes) -> Answer:
    """A MySQL server's handshake (no TLS offered), then an auth switch to `plugin` (with `dialog`'s password
    prompt)."""

    def answer(attacker: Attacker, connection: socket.socket) -> None:
        capabilities = 0x1 | 0x8 | 0x200 | 0x8000 | 0x80000  # long password, db, 4.1, secure connection, plugin auth
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
        sequence, _ = _read_mysql_packet(connection)
        data = b"\x04Password: " if plugin == b"dialog" else b""
        connection.sendall(_mysql_packet(sequence + 1, b"\xfe" + plugin + b"\0" + data))
        attacker.keep_what_comes(connection)

    return answer


def postgres_asking(attacker: Attacker, connection: socket.socket) -> None:
    """PostgreSQL's startup (refusing TLS), then AuthenticationCleartextPassword."""
    while True:
        length = struct.unpack("!I", _read_exactly(connection, 4))[0]
        body = _read_exactly(connection, length - 4)
        if struct.unpack("!I", body[:4])[0] == 80877103:  # SSLRequest
            connection.sendall(b"N")
            continue
        break
    connection.sendall(b"R" + struct.pack("!II", 8, 3))
    attacker.keep_what_comes(connection)


@pytest.fixture
def attacker() -> Iterator[StartAttacker]:
    started: list[Attacker] = []

    def start(answer: Answer) -> Attacker:
        started.append(Attacker(answer))
        return started[-1]

    yield start
    for one in started:
        one.close()
