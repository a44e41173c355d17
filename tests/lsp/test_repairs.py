"""Repairs through the language server on a real Prisma project (the real CLI from npm, see tests/toolchain.py):
regenerate on save, and a cancel from the client stopping the pipeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.lsp.conftest import CLIENTS, SERVER, SERVER_ENV
from tests.lsp.session import command, start, stop, sync_states, wait_for
from tests.npm_cache import tool_environment
from tests.toolchain import PRISMA_VERSIONS, ProjectFactory, schema_text

pytestmark = pytest.mark.node
VERSION = PRISMA_VERSIONS[1]
MODELS = "model User {\n  id    Int    @id\n  email String @unique\n}\n"


@pytest_lsp.fixture(
    # The server runs Prisma as the tests do: offline, with the engine stand-ins of tests/toolchain.py.
    config=ClientServerConfig(server_command=SERVER, server_env=tool_environment(SERVER_ENV)),
    params=CLIENTS,
)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    lsp_client.capabilities_name = request.param
    yield lsp_client
    await stop(lsp_client)


@pytest.fixture
def generated(prisma_project: ProjectFactory):
    project = prisma_project(schema_text(VERSION, MODELS))
    project.generate()
    project.push_database()  # the `file:./dev.db` its schema names
    return project


async def test_regenerate_on_save_brings_the_client_back_in_sync(client: LanguageClient, generated) -> None:
    root = Path(generated.root)
    settings = {"prismaDoctor": {"regenerateOnSave": True}}
    client.set_configuration(settings)
    await start(client, root, initialization_options=settings)
    await wait_for(lambda: sync_states(client) and sync_states(client)[-1].state == "in-sync", timeout=60)
    generated.edit_schema("  email String @unique\n", "  email String @unique\n  nickname String?\n")
    generated.push_database()  # the column too, as a user of `db push` brings it: the regenerate is what is shown
    uri = generated.schema_file.resolve().as_uri()
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    # The save is seen as drift first, then the regeneration runs and the state comes back.
    await wait_for(lambda: any(s.state == "repairing" for s in sync_states(client)), timeout=60)
    assert all(s.display == "repairing" for s in sync_states(client) if s.state == "repairing")
    await wait_for(lambda: sync_states(client)[-1].state == "in-sync", timeout=180)
    assert any(method == "prismaDoctor/restartTsServer" for method, _ in client.custom_notifications)


async def test_a_cancel_from_the_client_cancels_the_repair(client: LanguageClient, generated) -> None:
    root = Path(generated.root)
    await start(client, root)
    if client.capabilities_name != "visual-studio-code":
        # Skipped only once the session has started: pytest-lsp's teardown of a server that was never initialized
        # waits for it forever.
        pytest.skip("Neovim 0.7 offers no cancel for work-done progress")
    await wait_for(lambda: sync_states(client), timeout=60)
    running = asyncio.ensure_future(command(client, "prismaDoctor.fullReset", {"project": str(root)}))
    await wait_for(lambda: client.progress_reports, timeout=60)
    [token] = list(client.progress_reports)
    client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
    answer = await asyncio.wait_for(running, 180)
    assert answer["ok"] is False, answer
    [outcome] = answer["results"]
    assert outcome["cancelled"] is True, outcome
    assert outcome["ok"] is False
    statuses = [step["status"] for step in outcome["steps"]]
    assert "done" not in statuses[-1:], statuses  # the last steps never ran
