"""Runtime errors from real captured output reaching the editor: on the call site and the schema field, then cleared."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.captures.loading import load, project_from_capture
from tests.lsp.session import start, sync_states, wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
CAPTURE = "sqlite-unknown-argument-stale-client"
NEXT_CAPTURE = "next-dev-p2022-server-action-external"


def captured_output(name: str, project: Path) -> str:
    """A captured terminal log, as if it had been printed by this project (its paths moved here)."""
    meta = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    text = (FIXTURES / f"{name}.log").read_text(encoding="utf-8")
    return text.replace(meta["project_root"].rstrip("/") + "/", f"{project}/")


def diagnostics_with(client: LanguageClient, uri: str, code: str) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics.get(uri, []) if d.code == code]


async def test_terminal_output_puts_the_error_on_the_call_site_and_the_schema_field(
    client: LanguageClient, drifted_project: Path
) -> None:
    await start(client, drifted_project)
    await wait_for(lambda: sync_states(client))
    output = captured_output(CAPTURE, drifted_project)
    # Chunks cut anywhere, as a terminal delivers them.
    for piece in (output[:700], output[700:5000], output[5000:]):
        client.protocol.notify("prismaDoctor/terminalOutput", {"data": piece, "terminal": "dev", "cwd": None})

    call_site = (drifted_project / "unknown-argument.js").resolve().as_uri()
    schema = (drifted_project / "prisma" / "schema.prisma").resolve().as_uri()
    await wait_for(lambda: diagnostics_with(client, call_site, "client-out-of-sync"))
    [at_call] = diagnostics_with(client, call_site, "client-out-of-sync")
    assert at_call.range.start == types.Position(line=2, character=2)
    assert at_call.range.end.character > 2, "the call is underlined, not a zero-width point"
    assert "User.nickname" in at_call.message
    assert [r.location.uri for r in at_call.related_information or []] == [schema]
    # The same finding on the schema field links back to the call site.
    at_field = [
        d
        for d in diagnostics_with(client, schema, "client-out-of-sync")
        if any(r.location.uri == call_site for r in d.related_information or [])
    ]
    assert at_field, client.diagnostics.get(schema)

    # The dev server restarts (a real `next dev` line): the error is history, its diagnostic goes.
    client.protocol.notify(
        "prismaDoctor/terminalOutput", {"data": "\x1b[32m ✓\x1b[39m Ready in 1204ms\r\n", "terminal": "dev"}
    )
    await wait_for(lambda: call_site in client.diagnostics and not client.diagnostics[call_site])
    # The static drift on the schema stays: its cause is still there.
    assert any(d.code == "client-out-of-sync" for d in client.diagnostics[schema])


async def test_prisma_doctor_run_output_file_is_followed(client: LanguageClient, drifted_project: Path) -> None:
    record = drifted_project / ".prisma-doctor" / "dev-output.log"
    record.parent.mkdir()
    record.write_text("output of an earlier run, already read\n", encoding="utf-8")
    await start(client, drifted_project)
    await wait_for(lambda: sync_states(client))
    output = captured_output(CAPTURE, drifted_project)
    call_site = (drifted_project / "unknown-argument.js").resolve().as_uri()
    with record.open("a", encoding="utf-8") as handle:
        handle.write(output[:3000])
        handle.flush()
        # Let the server read the first half alone: a block cut between two polls must still be read whole.
        await asyncio.sleep(1.0)
        handle.write(output[3000:])
    await wait_for(lambda: diagnostics_with(client, call_site, "client-out-of-sync"))


def empty_next_log(folder: Path) -> Path:
    """Next 16's dev log in `folder`, there and empty before the server starts (it is followed from its end)."""
    log = folder / ".next" / "dev" / "logs" / "next-development.log"
    log.parent.mkdir(parents=True)
    log.write_text("", encoding="utf-8")
    return log


def write_next_capture(log: Path, folder: Path) -> None:
    """The captured Next dev log, as if its server had run in `folder`."""
    meta = json.loads((FIXTURES / f"{NEXT_CAPTURE}.json").read_text(encoding="utf-8"))
    records = (FIXTURES / f"{NEXT_CAPTURE}.next-development.log").read_text(encoding="utf-8")
    log.write_text(records.replace(meta["project_root"], str(folder)), encoding="utf-8")


async def test_next_dev_log_is_followed(client: LanguageClient, drifted_project: Path) -> None:
    log = empty_next_log(drifted_project)
    await start(client, drifted_project)
    await wait_for(lambda: sync_states(client))
    write_next_capture(log, drifted_project)

    def reported() -> list:
        return [f for s in sync_states(client) for f in s.findings if f.code == "db-missing-column"]

    await wait_for(reported)
    assert reported()[-1].location.file.startswith(str(drifted_project))


async def test_an_apps_next_dev_log_is_followed_and_its_frames_land_in_the_app(
    client: LanguageClient, drifted_project: Path
) -> None:
    """A workspace: the schema's package `app`, the Next app `web` that depends on it. Next's log in `web` is
    followed for `app`'s project, and the frame `app/actions.ts` is web's file; a terminal in `web` reads for it."""
    root = drifted_project.parent
    (root / "package.json").write_text('{"name": "mono", "private": true, "workspaces": ["app", "web"]}\n')
    web = root / "web"
    log = empty_next_log(web)
    (web / "package.json").write_text('{"name": "web", "private": true, "dependencies": {"app": "*"}}\n')
    await start(client, root)
    await wait_for(lambda: sync_states(client))
    write_next_capture(log, web)

    def reported() -> list:
        return [(s.project, f) for s in sync_states(client) for f in s.findings if f.code == "db-missing-column"]

    await wait_for(reported)
    project, finding = reported()[-1]
    assert project == str(drifted_project.resolve())
    assert finding.location.file.startswith(str(web.resolve()) + "/.next/")  # the bundle's frame, in web's build

    # A terminal in `web` prints a relative frame (`app/actions.ts:8:3`): it is web's file, not one under `app`.
    output = (FIXTURES / "next-dev-unknown-argument-stale-server-stale.log").read_text(encoding="utf-8")
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "web", "cwd": str(web)})

    def at_actions() -> list:
        return [
            f.location.file
            for s in sync_states(client)
            for f in s.findings
            if f.location and "actions" in f.location.file
        ]

    await wait_for(at_actions)
    assert set(at_actions()) == {str((web / "app" / "actions.ts").resolve())}


async def test_a_notification_without_data_is_ignored(client: LanguageClient, synced_project: Path) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    client.protocol.notify("prismaDoctor/terminalOutput", {"terminal": "dev"})
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": 42})
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prismaDoctor.showSyncReport", arguments=[])
    )
    assert report["reports"][0]["state"] == "in-sync"


SERVER_JS = """
const http = require('node:http');
const server = http.createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log('listening'));
"""


def start_watch_server(project: Path) -> subprocess.Popen[bytes]:
    """A real `node --watch` dev server in the project, up once it says so."""
    process = subprocess.Popen(
        ["node", "--watch", "server.js"], cwd=project, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    while b"listening" not in process.stdout.readline():
        assert process.poll() is None, "node --watch server.js exited"
    return process


def generated_later(project: Path) -> None:
    """The project's client as a generate run now would leave it: newer than a server already running."""
    time.sleep(1.1)  # (a client's time is its files' modification time, in seconds on some filesystems)
    for file in (project / "prisma" / "generated").rglob("*"):
        if file.is_file():
            os.utime(file)


@contextlib.contextmanager
def stale_watch_server(project: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `node --watch` dev server in the project that started before its client was written (a generate while
    it runs, which it does not watch): stale. Stopped on leaving."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    (project / "server.js").write_text(SERVER_JS, encoding="utf-8")
    server = start_watch_server(project)
    try:
        generated_later(project)
        yield server
    finally:
        server.terminate()
        server.wait()


async def test_a_dev_server_restarted_in_a_terminal_is_judged_again_without_a_file_change(
    client: LanguageClient, synced_project: Path
) -> None:
    """`dev-server-stale` judged the server running when the check ran. The server restarts in a terminal (its
    `✓ Ready` is read there, and no project file changes): the new one is judged, and the project is in sync."""
    with stale_watch_server(synced_project):
        await start(client, synced_project)
        await wait_for(lambda: sync_states(client) and sync_states(client)[-1].display == "dev-server-stale")
    new = start_watch_server(synced_project)
    try:
        client.protocol.notify(
            "prismaDoctor/terminalOutput", {"data": " ✓ Ready in 12ms\r\n", "terminal": "dev", "cwd": None}
        )
        await wait_for(lambda: sync_states(client)[-1].display == "in-sync")
    finally:
        new.terminate()
        new.wait()


async def test_facts_kept_between_edits_never_hide_a_change(client: LanguageClient, synced_project: Path) -> None:
    """Between edits the server keeps what the schema's text does not change (the running dev servers), and reads it
    again once it is older than its age: a dev server started while a person types, with no event about it (and the
    client generated again with no watcher event either), is shown stale once they are read again; one that stops
    is no longer shown at the next edit."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    from prisma_doctor.lsp.features.sync import FACTS_MAX_AGE_SECONDS

    (synced_project / "server.js").write_text(SERVER_JS, encoding="utf-8")
    schema = synced_project / "prisma" / "schema.prisma"
    uri = schema.resolve().as_uri()
    text = schema.read_text(encoding="utf-8")
    await start(client, synced_project)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="prisma", version=1, text=text))
    )
    await wait_for(lambda: sync_states(client) and sync_states(client)[-1].display == "in-sync")
    server = start_watch_server(synced_project)
    try:
        generated_later(synced_project)
        _same_text_again(client, uri, text, 2)
        await asyncio.sleep(FACTS_MAX_AGE_SECONDS)
        _same_text_again(client, uri, text, 3)
        await wait_for(lambda: sync_states(client)[-1].display == "dev-server-stale")
    finally:
        server.terminate()
        server.wait()
    _same_text_again(client, uri, text, 4)
    await wait_for(lambda: sync_states(client)[-1].display == "in-sync")


def _same_text_again(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def test_a_prisma_error_in_a_json_log_record_reaches_the_schema_field(
    client: LanguageClient, tmp_path: Path
) -> None:
    """Fastify's pino JSON lines in a terminal (a real capture): the driver adapter's error lands on the field."""
    name = "fastify-pino-driver-adapter-error"
    root = project_from_capture(name, tmp_path / "app")
    await start(client, root)
    await wait_for(lambda: sync_states(client))
    output = load(name).output_in(root).decode("utf-8")
    # Cut inside the error's record, as a terminal may deliver it.
    for piece in (output[:900], output[900:]):
        client.protocol.notify("prismaDoctor/terminalOutput", {"data": piece, "terminal": "dev", "cwd": str(root)})
    schema = (root / "prisma" / "schema.prisma").resolve().as_uri()
    await wait_for(lambda: diagnostics_with(client, schema, "db-missing-column"))
    [missing] = diagnostics_with(client, schema, "db-missing-column")
    assert "`User.nickname`" in missing.message
    assert diagnostics_with(client, schema, "db-missing-table")
