"""`PRISMA_DOCTOR_DEBUGPY`: the server tries the debugger named there before it starts, and serves without one.

Real debugpy, real server: with no debugger listening at the address, the server says so on stderr (stdout is the
protocol's) and answers `initialize` all the same. The attached case needs an editor's debug adapter and is
checked by hand (docs/debugging.md).
"""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from prisma_doctor.cli.serve import connect_debugger
from tests.helpers import DOCTOR, doctor_environment


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nobody listens there


@pytest.mark.parametrize("address", ["", "  ", "not-a-port"])
def test_without_a_usable_address_nothing_is_tried(address: str) -> None:
    assert connect_debugger(address) is False


def test_with_no_debugger_listening_the_server_says_so_and_serves() -> None:
    pytest.importorskip("debugpy")
    port = closed_port()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
    frame = f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
    server = subprocess.Popen(
        [*DOCTOR, "serve"],
        env=doctor_environment({"PRISMA_DOCTOR_DEBUGPY": f"127.0.0.1:{port}"}),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(frame)
        server.stdin.flush()
        headers = {}
        while (line := server.stdout.readline().strip()) != b"":
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers[b"content-length"])
        answer = json.loads(server.stdout.read(length))
        assert answer["id"] == 1 and "capabilities" in answer["result"]
    finally:
        server.kill()
        _, err = server.communicate(timeout=30)
    assert f"no debugger at 127.0.0.1:{port}" in err.decode()
