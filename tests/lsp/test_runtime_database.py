"""The language server asks the database too, without any change of its own: the facts it gathers after each check
carry the project's database probe, and a runtime error is decided by the database's answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.captures.loading import load
from tests.database_fixtures import INCIDENT_DATABASE, INCIDENT_SCRIPTS, PostgresServer, with_password
from tests.lsp.session import start, sync_states, wait_for
from tests.test_cli_explain import project_from_capture

CAPTURE = "pg-fr-trigger-missing-field"
PASSWORD = "hunter2-s3cret"


@pytest.mark.postgres
async def test_the_incident_in_a_terminal_names_the_trigger_and_its_function(
    client: LanguageClient, postgres: PostgresServer, tmp_path: Path
) -> None:
    root = project_from_capture(CAPTURE, tmp_path / "app")
    for script, text in INCIDENT_SCRIPTS.items():
        (root / script).write_text(text)
    url = with_password(postgres.database(INCIDENT_DATABASE, "fr_FR.UTF-8"), PASSWORD)
    (root / ".env").write_text(f'DATABASE_URL="{url}"\n')
    capture = load(CAPTURE)
    output = capture.output.decode("utf-8").replace(capture.sidecar["project_root"], str(root))
    call_site = (root / "update-user.js").resolve().as_uri()
    await start(client, root)
    await wait_for(lambda: sync_states(client))

    def decided() -> list[types.Diagnostic]:
        return [d for d in client.diagnostics.get(call_site, []) if "The database was asked" in d.message]

    # The server never waits for the database on its event loop: an error that arrives before the first answer
    # is ranked without it. The dev server printing `✓ Ready` retires it; the same error again is then decided.
    for _ in range(20):
        client.protocol.notify("prismaDoctor/terminalOutput", {"data": output, "terminal": "dev", "cwd": str(root)})
        await wait_for(lambda: client.diagnostics.get(call_site))
        if decided():
            break
        client.protocol.notify("prismaDoctor/terminalOutput", {"data": " ✓ Ready in 900ms\r\n", "terminal": "dev"})
        await wait_for(lambda: not client.diagnostics.get(call_site))
    first = decided()[0]
    assert first.code == "db-object-error"
    assert "trigger `user_touch` (function `user_touch()`)" in first.message
    assert "`NEW.emailverified`" in first.message
    everything = " ".join(d.message for uri in client.diagnostics for d in client.diagnostics[uri])
    assert PASSWORD not in everything
