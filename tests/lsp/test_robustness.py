"""The server over a raw stdio pipe, fed what no well-behaved client sends: it answers errors and keeps serving."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.conftest import SERVER, SERVER_ENV
from tests.lsp.raw_client import ANSWER_SECONDS, RawClient, initialize


@pytest.fixture
def raw(synced_project: Path) -> Iterator[RawClient]:
    client = RawClient(SERVER, SERVER_ENV)
    initialize(client, synced_project)
    yield client
    client.close()


def still_serving(client: RawClient, request_id: int) -> None:
    client.send(
        {"id": request_id, "method": "workspace/executeCommand", "params": {"command": "prismaDoctor.showSyncReport"}}
    )
    answer = client.answer(request_id)
    assert answer["result"]["reports"][0]["state"] in ("in-sync", "unknown"), answer


def test_malformed_frames_are_answered_and_survived(raw: RawClient) -> None:
    raw.send_bytes(b"{this is not json")
    assert raw.answer(None)["error"]["code"] == -32700
    raw.send_bytes(b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/codeAction", "params": "not an object"}')
    assert raw.answer(7)["error"]["code"] == -32602
    raw.send_bytes(b'["a", "batch", "of", "nonsense"]')
    raw.send_bytes(
        '{"jsonrpc": "2.0", "method": "prismaDoctor/terminalOutput", "params": {"data": "\udc80"}}'.encode(
            "utf-8", "surrogatepass"
        )
    )
    still_serving(raw, 8)


def test_unknown_methods_get_method_not_found(raw: RawClient) -> None:
    raw.send({"id": 2, "method": "nobody/knowsThis", "params": {}})
    assert raw.answer(2)["error"]["code"] == -32601
    raw.send({"method": "nobody/notifiesThis", "params": {}})
    raw.send({"method": "$/cancelRequest", "params": {"id": 12345}})
    still_serving(raw, 3)


def test_documents_for_unknown_files_are_harmless(raw: RawClient, tmp_path: Path) -> None:
    for number, uri in enumerate(
        [
            (tmp_path / "nowhere" / "schema.prisma").as_uri(),
            "untitled:Untitled-1",
            "vscode-notebook-cell:/x.ipynb#cell1",
            "file:///",
        ]
    ):
        document = {"uri": uri, "languageId": "prisma", "version": 1, "text": "model A {\n  id Int @id\n}\n"}
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})
        raw.send({"method": "textDocument/didSave", "params": {"textDocument": {"uri": uri}}})
        raw.send(
            {
                "id": 100 + number,
                "method": "textDocument/codeAction",
                "params": {
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                    "context": {"diagnostics": []},
                },
            }
        )
        assert raw.answer(100 + number).get("result") in ([], None)
        raw.send({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
    still_serving(raw, 4)


def test_concurrent_commands_are_all_answered(raw: RawClient, synced_project: Path) -> None:
    commands = ["prismaDoctor.check", "prismaDoctor.showSyncReport", "prismaDoctor.applyFix"]
    arguments: list[Any] = [
        [{"project": str(synced_project)}],
        [],
        [42],
        ["not an object"],
        [{"fix": "regenerate", "project": "/nope"}],
    ]
    ids = []
    for number in range(30):
        request_id = 1000 + number
        ids.append(request_id)
        raw.send(
            {
                "id": request_id,
                "method": "workspace/executeCommand",
                "params": {"command": commands[number % 3], "arguments": arguments[number % 5]},
            }
        )
    for request_id in ids:
        answer = raw.answer(request_id)
        assert "result" in answer or "error" in answer
    still_serving(raw, 5)


UNKNOWN_REQUEST = b'{"jsonrpc": "2.0", "id": 50, "method": "nobody/knowsThis"}'
# Frames whose headers lie, each with whether the server can tell that a frame was there (and answers a parse error).
BROKEN_FRAMES = {
    "no Content-Length": (b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + UNKNOWN_REQUEST, True),
    "a misspelt Content-Length": (b"Content-Lenght: %d\r\n\r\n" % len(UNKNOWN_REQUEST) + UNKNOWN_REQUEST, True),
    "a Content-Length that is no number": (b"Content-Length: fifty\r\n\r\n" + UNKNOWN_REQUEST, True),
    "a negative Content-Length": (b"Content-Length: -58\r\n\r\n" + UNKNOWN_REQUEST, True),
    "a Content-Length far over the limit": (b"Content-Length: 1000000000000\r\n\r\n" + UNKNOWN_REQUEST, True),
    "a Content-Length of 64 MiB and one byte": (b"Content-Length: 67108865\r\n\r\n" + UNKNOWN_REQUEST, True),
    "a Content-Length too small for the body": (
        b"Content-Length: %d\r\n\r\n" % (len(UNKNOWN_REQUEST) - 12) + UNKNOWN_REQUEST,
        True,
    ),
    "a body without headers": (UNKNOWN_REQUEST, False),
    "headers without the empty line": (b"Content-Length: %d\r\n" % len(UNKNOWN_REQUEST) + UNKNOWN_REQUEST, True),
}


@pytest.mark.parametrize("broken", BROKEN_FRAMES, ids=list(BROKEN_FRAMES))
def test_a_frame_with_lying_headers_costs_that_frame_only(raw: RawClient, broken: str) -> None:
    frame, answered = BROKEN_FRAMES[broken]
    raw.send_raw(frame)
    raw.send({"id": 51, "method": "nobody/knowsThis", "params": {}})
    assert raw.answer(51)["error"]["code"] == -32601
    if answered:
        assert raw.answer(None)["error"]["code"] == -32700
    assert 50 not in raw.answers  # the broken frame's request is not read as a request
    still_serving(raw, 52)


def test_a_message_near_the_limit_is_read(raw: RawClient, synced_project: Path) -> None:
    comment = "// " + "x" * (60 * 1024 * 1024) + "\n"  # a 60 MiB schema, under the 64 MiB limit with its JSON
    schema = synced_project / "prisma" / "other.prisma"
    raw.send(
        {
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": schema.as_uri(), "languageId": "prisma", "version": 1, "text": comment}},
        }
    )
    del comment
    still_serving(raw, 9)


def test_requests_before_initialize_are_refused(synced_project: Path) -> None:
    client = RawClient(SERVER, SERVER_ENV)
    try:
        report = {"command": "prismaDoctor.showSyncReport"}
        client.send({"id": 1, "method": "workspace/executeCommand", "params": report})
        assert client.answer(1)["error"]["code"] == -32002
        client.send({"id": 2, "method": "shutdown"})
        assert client.answer(2)["error"]["code"] == -32002
        client.send({"method": "initialized", "params": {}})  # dropped: the features would start on no workspace
        initialize(client, synced_project, 3)
        still_serving(client, 4)
    finally:
        client.close()


def test_exit_before_initialize_ends_the_server() -> None:
    client = RawClient(SERVER, SERVER_ENV)
    try:
        client.send({"method": "exit"})
        assert client.process.wait(timeout=ANSWER_SECONDS) is not None
    finally:
        client.close()


def test_shutdown_then_exit_ends_the_server_with_code_0(synced_project: Path) -> None:
    # The protocol's clean end: exit after shutdown is code 0 (the language server closes stdout as it ends; the
    # command line must not then fail on flushing it).
    client = RawClient(SERVER, SERVER_ENV)
    try:
        initialize(client, synced_project, 1)
        client.send({"id": 2, "method": "shutdown"})
        assert client.answer(2)["result"] is None
        client.send({"method": "exit"})
        assert client.process.wait(timeout=ANSWER_SECONDS) == 0
    finally:
        client.close()


def test_fifos_planted_where_the_server_reads_project_files_never_block_it(synced_project: Path) -> None:
    # Next's lock and dev log, `run`'s record and the repair's journal: a plain open of any of them waits forever.
    for planted in (".next/dev/lock", ".next/dev/logs/next-development.log", ".prisma-doctor/dev-output.log"):
        (synced_project / planted).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.mkfifo(synced_project / planted, 0o600)
    os.mkfifo(synced_project / ".prisma-doctor" / "journal.json", 0o600)
    client = RawClient(SERVER, SERVER_ENV)
    try:
        initialize(client, synced_project)
        # The check completes (a blocked one leaves the project "unknown" for good) and the server keeps serving.
        states: list[str] = []
        for request_id in range(2, 2 + ANSWER_SECONDS * 2):
            report = {"command": "prismaDoctor.showSyncReport"}
            client.send({"id": request_id, "method": "workspace/executeCommand", "params": report})
            states.append(client.answer(request_id)["result"]["reports"][0]["state"])
            if states[-1] != "unknown":
                break
            time.sleep(0.5)
        assert states[-1] == "in-sync", states
    finally:
        client.close()
