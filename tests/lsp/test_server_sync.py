"""The language server end to end over stdio with pytest-lsp, as VS Code and Neovim would drive it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.helpers import dead_repair, set_aside_as_repair
from tests.lsp.session import quick_fix_titles, start, sync_states, wait_for


async def test_in_sync_project_reports_in_sync(client: LanguageClient, synced_project: Path) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    state = sync_states(client)[-1]
    assert state.state == "in-sync", state
    assert state.project == str(synced_project.resolve())


async def open_schema(client: LanguageClient, project: Path) -> tuple[Path, str, str]:
    """Start the server on `project` and open its schema: the file, its text and its URI."""
    await start(client, project)
    await wait_for(lambda: sync_states(client))
    schema = project / "prisma" / "schema.prisma"
    text = schema.read_text(encoding="utf-8")
    uri = schema.resolve().as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="prisma", version=1, text=text)
        )
    )
    return schema, text, uri


async def test_an_unsaved_schema_edit_shows_drift_on_the_field(client: LanguageClient, synced_project: Path) -> None:
    _, text, uri = await open_schema(client, synced_project)
    lines = text.splitlines()
    user_line = next(i for i, line in enumerate(lines) if line.startswith("model User "))
    edited = "\n".join([*lines[: user_line + 1], "  nickname String?", *lines[user_line + 1 :]]) + "\n"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(version=2, uri=uri),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
        )
    )
    await wait_for(lambda: any(d.code == "client-out-of-sync" for d in client.diagnostics.get(uri, [])))
    diagnostic = next(d for d in client.diagnostics[uri] if d.code == "client-out-of-sync")
    assert "User.nickname" in diagnostic.message
    assert diagnostic.range.start == types.Position(line=user_line + 1, character=2)
    await wait_for(lambda: sync_states(client)[-1].state == "out-of-sync")
    assert (sync_states(client)[-1].display, sync_states(client)[-1].problems) == ("out-of-sync", 1)

    titles = await quick_fix_titles(client, uri, diagnostic)
    assert titles == ["Regenerate Prisma Client", "Full Reset (stop, clean, regenerate, restart)"]

    # Undo the edit: the diagnostic clears and the state returns to in sync.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(version=3, uri=uri),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await wait_for(lambda: uri in client.diagnostics and not client.diagnostics[uri])
    await wait_for(lambda: sync_states(client)[-1].state == "in-sync")


async def test_a_schema_saved_on_disk_is_rechecked(client: LanguageClient, synced_project: Path) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    schema = synced_project / "prisma" / "schema.prisma"
    schema.write_text(schema.read_text(encoding="utf-8") + "\nmodel Extra {\n  id Int @id\n}\n", encoding="utf-8")
    uri = schema.resolve().as_uri()
    # VS Code's watcher would send this; Neovim 0.7 has none, and the server polls instead.
    if client.capabilities_name == "visual-studio-code":
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Changed)])
        )
    await wait_for(lambda: any("Extra" in d.message for d in client.diagnostics.get(uri, [])))


async def test_sync_report_and_unknown_fix(client: LanguageClient, synced_project: Path) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="prismaDoctor.showSyncReport", arguments=[{"project": str(synced_project)}])
    )
    assert report["reports"][0]["state"] == "in-sync"
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="prismaDoctor.applyFix", arguments=[{"project": str(synced_project), "fix": "nope"}]
        )
    )
    assert answer == {"ok": False, "error": "unknown fix 'nope'"}


async def test_a_repair_killed_mid_way_is_a_diagnostic_with_its_repair_as_the_fix(
    client: LanguageClient, synced_project: Path
) -> None:
    """A reset killed (-9) after it stopped `npm run dev` and set `.next` aside: the editor's check says so, on the
    generator, with the repair to run again as its quick fix, and the status bar counts it."""
    package = synced_project / "package.json"
    package.write_text('{"name": "app", "private": true, "scripts": {"dev": "next dev"}}\n', encoding="utf-8")
    (synced_project / ".next").mkdir()
    server = {"pid": 0, "command": ["npm", "run", "dev"], "cwd": str(synced_project), "port": 3107}
    journal = dead_repair(synced_project, {"stop": "done", "set-aside": "running"}, [server])
    set_aside_as_repair(synced_project, journal, ".next")

    await start(client, synced_project)
    uri = (synced_project / "prisma" / "schema.prisma").resolve().as_uri()
    await wait_for(lambda: any(d.code == "repair-interrupted" for d in client.diagnostics.get(uri, [])))
    diagnostic = next(d for d in client.diagnostics[uri] if d.code == "repair-interrupted")
    assert "`npm run dev`" in diagnostic.message and "port 3107" in diagnostic.message, diagnostic.message
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    # The diagnostics may come before the state that counts them.
    await wait_for(lambda: bool(sync_states(client)) and sync_states(client)[-1].problems == 1)
    shown = sync_states(client)[-1]
    assert (shown.state, shown.summary) == ("out-of-sync", "Prisma: a repair did not finish (1 problem)"), shown

    titles = await quick_fix_titles(client, uri, diagnostic)
    assert titles == ["Full Reset (stop, clean, regenerate, restart)", "Restart the dev server"], titles


async def test_a_server_the_last_repair_saw_end_is_a_diagnostic_until_dismissed(
    client: LanguageClient, synced_project: Path
) -> None:
    """The journal of a reset that saw `node api.js` end (it was left running): the editor says so, with the fix that
    dismisses it, and once dismissed it is gone (tests/test_repair_gone_servers.py has the repair that writes it)."""
    from prisma_doctor.repair.journal import Journal

    journal = Journal.start(synced_project, "reset", ["stop", "restart-dev"])
    gone = {"pid": 0, "command": "node api.js", "cwd": str(synced_project.resolve()), "port": 3999}
    journal.data["gone"] = [gone]
    journal.finish("failed")

    await start(client, synced_project)
    uri = (synced_project / "prisma" / "schema.prisma").resolve().as_uri()
    await wait_for(lambda: any(d.code == "dev-server-gone" for d in client.diagnostics.get(uri, [])))
    diagnostic = next(d for d in client.diagnostics[uri] if d.code == "dev-server-gone")
    assert "`node api.js`" in diagnostic.message and "port 3999" in diagnostic.message, diagnostic.message
    await wait_for(lambda: bool(sync_states(client)) and sync_states(client)[-1].problems == 1)
    summary = sync_states(client)[-1].summary
    assert summary == "Prisma: a server ended during the last repair (1 problem)", summary
    assert await quick_fix_titles(client, uri, diagnostic) == ["Dismiss: the server is not meant to run"]

    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="prismaDoctor.applyFix", arguments=[{"project": str(synced_project), "fix": "dismiss-gone-server"}]
        )
    )

    assert answer == {"ok": True}
    await wait_for(lambda: not any(d.code == "dev-server-gone" for d in client.diagnostics.get(uri, [])))
    await wait_for(lambda: sync_states(client)[-1].state == "in-sync")


def _uncached_diagnostics(project: Path, schema: Path, text: str) -> list[types.Diagnostic]:
    """The schema's diagnostics as a check that reads the whole text shows them (no earlier reading to reuse)."""
    from prisma_doctor.full_check import inspect_whole
    from prisma_doctor.lsp.convert import diagnostics_by_file

    root = project.resolve()
    findings = inspect_whole(root, None, {str(schema.resolve()): text}).report.findings
    return diagnostics_by_file(tuple(findings), str(root)).get(str(schema.resolve()), [])


async def test_edits_show_what_a_check_of_the_whole_text_shows(client: LanguageClient, synced_project: Path) -> None:
    """Each check reads again only from where the schema changed (schema/edited.py): its diagnostics are those of a
    check that reads the whole text, edit after edit, whether the edits come one by one or all at once."""
    schema, text, uri = await open_schema(client, synced_project)
    lines = text.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("model "))
    last = max(i for i, line in enumerate(lines) if line.startswith("model "))
    typed = next(i for i in range(first, len(lines)) if " String" in lines[i])
    edits = [
        # A type misspelt in the first model, the file's length unchanged: only that block's text says so.
        "".join([*lines[:typed], lines[typed].replace("String", "Strung", 1), *lines[typed + 1 :]]),
        "".join([*lines[: last + 1], "  nickname String?\n", *lines[last + 1 :]]),  # drift in the last model
        "".join([*lines[: first + 1], "  oops\n", *lines[first + 1 :]]),  # a syntax error in the first
        "".join([*lines[: first + 1], "  /* open\n", *lines[first + 1 :]]),  # a comment that swallows the rest
        text + "\nmodel Typed {\n  id Int @id\n}\n",  # a block below the last
        text.replace("\n", "\r\n"),
        text,
    ]
    version = 2
    for one_at_a_time in (True, False):
        for edited in edits:
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
                )
            )
            version += 1
            if one_at_a_time:
                expected = _uncached_diagnostics(synced_project, schema, edited)
                await wait_for(lambda expected=expected: list(client.diagnostics.get(uri, [])) == expected)
        expected = _uncached_diagnostics(synced_project, schema, edits[-1])
        await wait_for(lambda expected=expected: list(client.diagnostics.get(uri, [])) == expected)


async def test_typing_fast_shows_the_last_edit_and_never_older_text_after_newer(
    client: LanguageClient, synced_project: Path
) -> None:
    """Edits sent faster than a check takes: a check of text already edited again may stop between its stages, and
    then shows nothing; what is shown comes in the order typed, and ends with the last edit's."""
    _, text, uri = await open_schema(client, synced_project)
    lines = text.splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.startswith("model "))
    await wait_for(lambda: sync_states(client)[-1].state == "in-sync")
    before = len(sync_states(client))
    edits = 12
    for typed in range(1, edits + 1):
        edited = "".join([*lines[: last + 1], f"  typed{typed} String?\n", *lines[last + 1 :]])
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(version=typed + 1, uri=uri),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        await asyncio.sleep(0.002)
    await wait_for(lambda: any(f"typed{edits}`" in d.message for d in client.diagnostics.get(uri, [])))
    shown = [
        int(match.group(1))
        for state in sync_states(client)[before:]
        for finding in state.findings
        if (match := re.search(r"\.typed(\d+)`", finding["message"] if isinstance(finding, dict) else finding.message))
    ]
    assert shown == sorted(shown) and shown[-1] == edits, shown
    assert len(shown) <= edits
