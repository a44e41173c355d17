"""A language client that frames JSON-RPC by hand over a server's stdio pipes: broken frames can be sent too, and it
drives a server that no library client can spawn (the Windows server under Wine, tests/test_wine.py)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from queue import Empty, Queue
from typing import Any

ANSWER_SECONDS = 30


class RawClient:
    def __init__(self, command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(
            list(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            cwd=cwd,
        )
        self.messages: Queue[dict[str, Any]] = Queue()
        self.answers: dict[Any, dict[str, Any]] = {}
        # Notifications from the server, in order, as `answer` and `notification` came across them.
        self.notifications: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii", "replace").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if length is not None:
                self.messages.put(json.loads(stream.read(length)))

    def send_bytes(self, body: bytes) -> None:
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_raw(self, data: bytes) -> None:
        """Bytes as they are, headers and all."""
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.send_bytes(json.dumps({"jsonrpc": "2.0", **message}).encode())

    def _next(self, seconds: float, waiting_for: str) -> None:
        """Take one message: a request from the server is answered (null, or `[{}]` for configuration), a
        notification is kept, a response is filed under its id."""
        try:
            message = self.messages.get(timeout=seconds)
        except Empty:
            raise AssertionError(f"no {waiting_for} within {seconds:.0f}s") from None
        if "method" in message and "id" in message:
            result = [{}] if message["method"] == "workspace/configuration" else None
            self.send({"id": message["id"], "result": result})
        elif "method" in message:
            self.notifications.append(message)
        else:
            self.answers[message.get("id")] = message

    def answer(self, request_id: int | None, seconds: float = ANSWER_SECONDS) -> dict[str, Any]:
        """The response to one request; requests from the server are answered with null on the way."""
        while request_id not in self.answers:
            self._next(seconds, f"answer to request {request_id}")
        return self.answers.pop(request_id)

    def notification(self, method: str, seconds: float = ANSWER_SECONDS) -> dict[str, Any]:
        """The first notification `method` not yet taken, waiting for it as long as `seconds` for each message."""
        while True:
            for index, message in enumerate(self.notifications):
                if message["method"] == method:
                    return self.notifications.pop(index)
            self._next(seconds, f"notification {method}")

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def initialize(
    client: RawClient,
    project: Path,
    request_id: int = 1,
    *,
    root_uri: str | None = None,
    seconds: float = ANSWER_SECONDS,
) -> dict[str, Any]:
    """The initialize handshake with `project` (or `root_uri`) as the root; the server's result."""
    uri = root_uri or project.as_uri()
    client.send({"id": request_id, "method": "initialize", "params": {"capabilities": {}, "rootUri": uri}})
    answer = client.answer(request_id, seconds)
    assert "result" in answer, answer
    client.send({"method": "initialized", "params": {}})
    return answer["result"]
