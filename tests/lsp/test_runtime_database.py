"""The language server asks the database too (PostgreSQL and MariaDB): the facts it gathers after each check carry
the project's database probe, and a runtime error that the database can decide waits (off the event loop) for its
answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from prisma_doctor.database.probe import FRESH_SECONDS
from tests.captures.loading import load, project_from_capture
from tests.captures.mariadb_server import PASSWORD as MARIADB_PASSWORD
from tests.database_fixtures import INCIDENT_DATABASE, INCIDENT_SCRIPTS, MariaDBServer, PostgresServer, with_password
from tests.fake_databases import FakeDatabase, trickling_mysql
from tests.lsp.session import start, sync_states, wait_for

CAPTURE = "pg-fr-trigger-missing-field"
PASSWORD = "hunter2-s3cret"


@pytest.mark.postgres
async def test_the_incident_in_a_terminal_names_the_trigger_and_its_function(
    client: LanguageClient, postgres: PostgresServer, tmp_path: Path
) -> None:
    root = project_from_capture(CAPTURE, tmp_path / "app")
    for script, text in INCIDENT_SCRIPTS.items():
        (root / script).write_text(text)
    # The database starts without the trigger; it is added once the server has asked the database (below).
    trigger = INCIDENT_DATABASE[INCIDENT_DATABASE.index("CREATE TRIGGER") :].split(";")[0] + ";"
    url = with_password(postgres.database(INCIDENT_DATABASE.replace(trigger, ""), "fr_FR.UTF-8"), PASSWORD)
    (root / ".env").write_text(f'DATABASE_URL="{url}"\n')
    capture = load(CAPTURE)
    output = capture.output.decode("utf-8").replace(capture.sidecar["project_root"], str(root))
    call_site = (root / "update-user.js").resolve().as_uri()
    await start(client, root)
    await wait_for(lambda: sync_states(client))

    def decided() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(call_site, []) if "The database was asked" in d.message]

    # The trigger comes after the server's first answer (taken after its first check), as when a colleague adds
    # one: an answer older than the error must not decide it. The server waits, off its event loop, for a new one.
    await asyncio.sleep(FRESH_SECONDS + 0.5)
    postgres.sql(url, trigger)
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "dev", "cwd": str(root)})
    # (Until the answer taken after the error comes, the finding says its cause is undecided.)
    await wait_for(decided)
    first = decided()[0]
    assert first.code == "db-object-error"
    assert "trigger `user_touch` (function `user_touch()`)" in first.message
    assert "`NEW.emailverified`" in first.message
    everything = " ".join(d.message for uri in client.diagnostics for d in client.diagnostics[uri])
    assert PASSWORD not in everything


@pytest.mark.mariadb
async def test_a_mariadb_trigger_the_adapter_could_not_name_is_named_in_the_editor(
    client: LanguageClient, mariadb: MariaDBServer, tmp_path: Path
) -> None:
    # French server messages: Prisma 7 and @prisma/adapter-mariadb print `(not available)` for the column.
    name = "mysql-fr-p7-trigger-dropped-column"
    root = project_from_capture(name, tmp_path / "app")
    capture = load(name)
    (root / ".env").write_text(f'DATABASE_URL="{mariadb.database(capture.sidecar["database"])}"\n')
    call_site = (root / "update-user.js").resolve().as_uri()
    await start(client, root)
    await wait_for(lambda: sync_states(client))
    output = capture.output_in(root).decode("utf-8")
    client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "dev", "cwd": str(root)})
    await wait_for(
        lambda: any("The database was asked (MariaDB" in d.message for d in client.diagnostics.get(call_site, []))
    )
    decided = [d for d in client.diagnostics[call_site] if "The database was asked (MariaDB" in d.message]
    assert [d.code for d in decided] == ["db-object-error", "db-missing-column"], client.diagnostics[call_site]
    assert "trigger `user_touch`" in decided[0].message and "`NEW.touchedAt`" in decided[0].message
    everything = " ".join(d.message for uri in client.diagnostics for d in client.diagnostics[uri])
    assert MARIADB_PASSWORD not in everything


async def test_while_the_database_is_asked_the_cause_is_undecided_and_a_burst_waits_once(
    client: LanguageClient, tmp_path: Path
) -> None:
    # A server that trickles its answer (tests/fake_databases.py): the probe's deadline is the only end.
    name = "mysql-fr-p6-p2022-missing-column"
    root = project_from_capture(name, tmp_path / "app")
    output = load(name).output_in(root).decode("utf-8")
    call_site = (root / "read-nickname.js").resolve().as_uri()
    with FakeDatabase(trickling_mysql(0.5)) as server:
        (root / ".env").write_text(f'DATABASE_URL="{server.url()}"\n')
        await start(client, root)
        await wait_for(lambda: sync_states(client))
        for _ in range(5):
            client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "dev", "cwd": str(root)})
        shown: list[list[str]] = []

        def answered() -> bool:
            messages = [d.message for d in client.diagnostics.get(call_site, [])]
            if messages and messages not in shown:
                shown.append(messages)
            return bool(messages) and not any("undecided" in m for m in messages)

        await wait_for(answered, timeout=60)
        # One question for the check and the whole burst: the errors behind the first did not ask again.
        assert server.connections == 1
    # While the answer was awaited: one finding that says the cause is undecided, never that the column is missing.
    (waiting,) = shown[0]
    assert waiting.startswith("The cause is undecided until the database answers"), shown
    # Until the errors' answer came (the burst's findings are decided one batch after another).
    assert all(any("undecided" in m for m in messages) for messages in shown[:-1]), shown
    final = shown[-1]
    assert all("could not be asked (no whole answer within" in m for m in final), final
