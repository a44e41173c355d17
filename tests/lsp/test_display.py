"""The display state the server decides for the status bar (`display`, `problems`, `summary` in syncState)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from prisma_doctor.lsp.features.sync import DATABASE_RECHECK_SECONDS
from tests.database_fixtures import ADD_NICKNAME, INIT, POSTGRES_SCHEMA, POSTS, PostgresServer
from tests.dev_server import free_port
from tests.lsp.session import start, sync_states, wait_for
from tests.lsp.test_runtime import captured_output, stale_watch_server
from tests.toolchain import ProjectFactory


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
    assert behind.summary == "Prisma: database behind (1 problem)"

    # The dev server restarts: what was seen before is history, and the project is in sync again.
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": " ✓ Ready in 1204ms\r\n", "terminal": "migrate"})
    await wait_for(lambda: sync_states(client)[-1].display == "in-sync")


async def test_the_worst_kind_of_problem_is_shown_with_the_count(client: LanguageClient, drifted_project: Path) -> None:
    """After a `git pull`: the client behind the schema, a dev server started before the client was written, then a
    migration that fails to apply. The status bar shows what to deal with first, with the count of all."""
    with stale_watch_server(drifted_project):
        await start(client, drifted_project)

        def codes() -> set[str]:
            states = sync_states(client)
            return {f.code for f in states[-1].findings} if states else set()

        await wait_for(lambda: {"client-out-of-sync", "dev-server-stale"} <= codes())
        shown = sync_states(client)[-1]
        # The client comes before the server that is to load it.
        assert (shown.display, shown.summary) == ("out-of-sync", f"Prisma: out of sync ({shown.problems} problems)")

        output = captured_output("sqlite-migrate-deploy-failed", drifted_project)
        client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "migrate", "cwd": None})
        await wait_for(lambda: "migration-failed" in codes())
        behind = sync_states(client)[-1]
        assert {"client-out-of-sync", "dev-server-stale", "migration-failed"} <= codes()
        # The database first: it fails the app whatever the client, and `migrate dev` generates the client too.
        assert behind.display == "database-behind"
        assert behind.summary == f"Prisma: database behind ({behind.problems} problems)"
        assert behind.problems == shown.problems + 1


@pytest.mark.node
@pytest.mark.postgres
async def test_a_database_that_does_not_answer_is_not_compared_until_it_does(
    client: LanguageClient, prisma_project: ProjectFactory, postgres: PostgresServer
) -> None:
    project = prisma_project(POSTGRES_SCHEMA, version="6.17.1")
    project.generate()
    env = project.root / ".env"
    env.write_text(f'DATABASE_URL="postgresql://ada:s3cret@127.0.0.1:{free_port()}/app"\n', encoding="utf-8")
    await start(client, project.root)
    await wait_for(lambda: sync_states(client))
    first = sync_states(client)[-1]
    # Schema and client agree, but nobody saw the database: never "in sync", and why is in the summary (tooltip).
    assert (first.state, first.display, first.problems) == ("in-sync", "not-compared", 0), first
    assert first.summary.startswith("Prisma: not compared with the database (cannot connect"), first.summary
    assert "s3cret" not in first.summary
    assert [f.code for f in first.findings] == ["db-unreachable"]

    # The real database, with the table the client uses, now named by the project's .env.
    url = postgres.database(INIT + ADD_NICKNAME + POSTS)
    env.write_text(f'DATABASE_URL="{url}"\n', encoding="utf-8")
    if client.capabilities_name == "visual-studio-code":
        # VS Code's watcher sends the .env's change (the server registers it): checked again at once.
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=env.resolve().as_uri(), type=types.FileChangeType.Changed)]
            )
        )
    # Neovim watches nothing: the server asks a database that gave no answer again by itself.
    await wait_for(lambda: sync_states(client)[-1].display == "in-sync", timeout=DATABASE_RECHECK_SECONDS + 15)
    last = sync_states(client)[-1]
    assert (last.state, last.problems, last.summary, last.findings) == ("in-sync", 0, "Prisma: in sync", [])


async def test_an_untrusted_workspace_is_not_compared_with_its_database(
    client: LanguageClient, synced_project: Path
) -> None:
    # A URL the server must not use: the workspace is not trusted, and the URL would take its credentials away.
    schema = synced_project / "prisma" / "schema.prisma"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('"postgresql"', '"postgresql"\n  url      = env("DATABASE_URL")', 1), "utf-8")
    (synced_project / ".env").write_text('DATABASE_URL="postgresql://ada:s3cret@db.example/app"\n', "utf-8")
    await start(client, synced_project, initialization_options={"trusted": False})
    await wait_for(lambda: sync_states(client))
    shown = sync_states(client)[-1]
    assert (shown.state, shown.display, shown.problems) == ("in-sync", "not-compared", 0), shown
    assert shown.summary.startswith("Prisma: not compared with the database (the workspace is not trusted")
    assert [f.code for f in shown.findings] == ["db-not-asked"]
