"""The display state the server decides for the status bar (`display`, `problems`, `summary` in syncState)."""

from __future__ import annotations

from pathlib import Path

from pytest_lsp import LanguageClient

from tests.lsp.session import start, sync_states, wait_for
from tests.lsp.test_runtime import captured_output


async def test_the_display_follows_the_findings(client: LanguageClient, synced_project: Path) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    first = sync_states(client)[-1]
    assert (first.state, first.display, first.problems, first.summary) == ("in-sync", "in-sync", 0, "Prisma: in sync")

    # A migration that failed to apply, as `prisma migrate deploy` prints it in a terminal: the database is behind.
    output = captured_output("sqlite-migrate-deploy-failed", synced_project)
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "migrate", "cwd": None})
    await wait_for(lambda: sync_states(client)[-1].display != "in-sync")
    behind = sync_states(client)[-1]
    assert [f.code for f in behind.findings] == ["migration-failed"]
    assert (behind.state, behind.display, behind.problems) == ("out-of-sync", "database-behind", 1)
    assert behind.summary == "Prisma: database behind (1)"

    # The dev server restarts: what was seen before is history, and the project is in sync again.
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": " ✓ Ready in 1204ms\r\n", "terminal": "migrate"})
    await wait_for(lambda: sync_states(client)[-1].display == "in-sync")
