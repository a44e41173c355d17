"""Driving the server with pytest-lsp: start a session on a project, collect its custom notifications, wait."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities


def sync_states(client: LanguageClient) -> list:
    return [params for method, params in _custom(client) if method == "prismaDoctor/syncState"]


def _custom(client: LanguageClient) -> list:
    return getattr(client, "custom_notifications", [])


async def start(
    client: LanguageClient, project: Path, initialization_options: Any = None, folders: list[Path] | None = None
) -> None:
    client.custom_notifications = []

    @client.feature("prismaDoctor/syncState")
    def on_state(params) -> None:
        client.custom_notifications.append(("prismaDoctor/syncState", params))

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params) -> None:
        client.registrations = [*getattr(client, "registrations", []), params]

    @client.feature("prismaDoctor/restartTsServer")
    def on_restart(params) -> None:
        client.custom_notifications.append(("prismaDoctor/restartTsServer", params))

    client.started = True
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(client.capabilities_name),
            workspace_folders=[types.WorkspaceFolder(uri=f.as_uri(), name=f.name) for f in folders or [project]],
            root_uri=project.as_uri(),
            initialization_options=initialization_options,
        )
    )


async def wait_for(predicate, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the server")
        await asyncio.sleep(0.05)


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=list(arguments))
    )


async def stop(client: LanguageClient) -> None:
    """End the session of a client that `start` began. A test that skipped or failed before starting one must not
    send `shutdown` to a server that was never initialized: pytest-lsp would wait for its answer forever."""
    if getattr(client, "started", False):
        await client.shutdown_session()


async def quick_fix_titles(client: LanguageClient, uri: str, diagnostic: types.Diagnostic) -> list[str]:
    """The titles of the code actions offered on `diagnostic`, as a person picks from them."""
    from prisma_doctor.lsp.convert import plain

    # pytest-lsp hands `data` over as a named tuple, which would go back as a JSON array; an editor sends back the
    # object it received, so send the object.
    diagnostic.data = plain(diagnostic.data)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    # pytest-lsp reads `Command | CodeAction` results as Commands.
    return [a.title for a in actions or []]
