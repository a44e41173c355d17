"""Workspace trust, settings, several projects, and what the file watchers cover."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from prisma_doctor.lsp.convert import plain
from prisma_doctor.lsp.settings import UNTRUSTED_REFUSAL
from tests.fake_databases import StartAttacker, postgres_asking
from tests.lsp.session import command, start, sync_states, wait_for


async def test_an_untrusted_workspace_is_read_but_nothing_is_run(client: LanguageClient, drifted_project: Path) -> None:
    await start(client, drifted_project, initialization_options={"workspaceTrusted": False})
    await wait_for(lambda: sync_states(client) and sync_states(client)[-1].state == "out-of-sync")
    generated = drifted_project / "prisma" / "generated" / "prisma"
    before = sorted(p.name for p in generated.iterdir())
    for name, argument in [
        ("prismaDoctor.fullReset", {"project": str(drifted_project)}),
        ("prismaDoctor.regenerate", {}),
        ("prismaDoctor.restartDevServer", {}),
        ("prismaDoctor.applyFix", {"project": str(drifted_project), "fix": "regenerate"}),
    ]:
        answer = await command(client, name, argument)
        assert answer["ok"] is False and UNTRUSTED_REFUSAL in str(answer), (name, answer)
    assert any(UNTRUSTED_REFUSAL in m.message for m in client.messages)
    # Reading still works, and nothing was touched.
    report = await command(client, "prismaDoctor.check", {"project": str(drifted_project)})
    assert report["reports"][0]["state"] == "out-of-sync"
    assert sorted(p.name for p in generated.iterdir()) == before


async def test_an_untrusted_workspace_never_asks_its_database(
    client: LanguageClient, drifted_project: Path, attacker: StartAttacker
) -> None:
    """A cloned repository names a database (here a server that asks for the password in clear text): opened
    untrusted, it is never connected to, and the state says why the database was not compared."""
    server = attacker(postgres_asking())
    schema = drifted_project / "prisma" / "schema.prisma"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace('provider = "postgresql"', 'provider = "postgresql"\n  url = env("DATABASE_URL")'))
    (drifted_project / ".env").write_text(f'DATABASE_URL="postgresql://app:s3cret@127.0.0.1:{server.port}/app"\n')
    await start(client, drifted_project, initialization_options={"trusted": False})
    await wait_for(lambda: sync_states(client) and sync_states(client)[-1].state == "out-of-sync")
    findings = plain(sync_states(client)[-1].findings)
    said = next(f for f in findings if f["code"] == "db-not-asked")
    assert "not trusted" in said["message"] and "s3cret" not in str(findings)
    assert server.connections == 0


async def test_hidden_findings_setting_is_applied_on_change(client: LanguageClient, drifted_project: Path) -> None:
    settings = {"prismaDoctor": {"hiddenFindings": []}}
    client.set_configuration(settings)
    await start(client, drifted_project)
    schema = (drifted_project / "prisma" / "schema.prisma").resolve().as_uri()
    await wait_for(lambda: client.diagnostics.get(schema))
    client.set_configuration({"prismaDoctor": {"hiddenFindings": ["client-out-of-sync"]}})
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: schema in client.diagnostics and not client.diagnostics[schema])


async def test_several_projects_in_several_folders(
    client: LanguageClient, synced_project: Path, tmp_path: Path
) -> None:
    monorepo = tmp_path / "monorepo"
    for name in ("web", "admin"):
        shutil.copytree(synced_project, monorepo / "apps" / name)
    (monorepo / "package.json").write_text('{"name": "monorepo", "private": true}\n', encoding="utf-8")
    await start(client, synced_project, folders=[synced_project, monorepo])
    expected = {str(synced_project.resolve()), *(str((monorepo / "apps" / n).resolve()) for n in ("web", "admin"))}
    await wait_for(lambda: {s.project for s in sync_states(client)} >= expected)
    answer = await command(client, "prismaDoctor.showSyncReport")
    assert {r["project"] for r in answer["reports"]} == expected


async def test_watchers_cover_schema_clients_migrations_and_package_files(
    client: LanguageClient, synced_project: Path
) -> None:
    await start(client, synced_project)
    await wait_for(lambda: sync_states(client))
    if client.capabilities_name == "neovim":
        # Neovim 0.7 cannot register watchers: the server polls instead (tested in test_server_sync).
        assert not getattr(client, "registrations", [])
        return
    await wait_for(lambda: getattr(client, "registrations", []))
    watchers = [
        w
        for params in client.registrations
        for r in params.registrations
        if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        for w in plain(r.register_options)["watchers"]
    ]
    # VS Code gets patterns relative to a base folder when it supports them, else absolute glob strings.
    globs = [
        w["globPattern"]
        if isinstance(w["globPattern"], str)
        else f"{w['globPattern']['baseUri']}/{w['globPattern']['pattern']}"
        for w in watchers
    ]
    root = synced_project.resolve().as_posix()
    client_folder = (synced_project / "prisma" / "generated" / "prisma").resolve().as_posix()
    text = "\n".join(globs)
    for needed in ("*.prisma", "package.json", "pnpm-lock.yaml", "package-lock.json", "migrations", client_folder):
        assert needed in text, (needed, globs)
    assert all("node_modules/**" not in g for g in globs), globs
    # Every watcher is anchored in the project: none watches the whole disk or node_modules recursively.
    assert all(root in g or synced_project.resolve().as_uri() in g for g in globs), globs


async def test_each_project_takes_its_own_folders_settings(
    client: LanguageClient, drifted_project: Path, tmp_path: Path
) -> None:
    web, admin = tmp_path / "folders" / "web", tmp_path / "folders" / "admin"
    for folder in (web, admin):
        shutil.copytree(drifted_project, folder)
    client.set_configuration({"prismaDoctor": {"hiddenFindings": []}})
    web_settings = {"hiddenFindings": ["client-out-of-sync"], "devCommand": "turbo dev --filter web"}
    client.set_configuration({"prismaDoctor": web_settings}, scope_uri=web.as_uri())
    await start(client, web, folders=[web, admin])
    schemas = {folder: (folder / "prisma" / "schema.prisma").resolve().as_uri() for folder in (web, admin)}

    def drift_shown(folder: Path) -> bool:
        return any(d.code == "client-out-of-sync" for d in client.diagnostics.get(schemas[folder], []))

    # Both projects are out of sync; only the one whose folder does not hide the finding shows it.
    projects = {str(web.resolve()), str(admin.resolve())}
    await wait_for(lambda: {s.project for s in sync_states(client) if s.state == "out-of-sync"} >= projects)
    assert drift_shown(admin) and not drift_shown(web)
    # The command that starts each dev server comes with its state: the folder's setting, else the package manager's.
    dev_commands = {s.project: s.devCommand for s in sync_states(client)}
    assert dev_commands == {str(web.resolve()): "turbo dev --filter web", str(admin.resolve()): "npm run dev"}

    # Each folder's settings change: each project follows its own.
    client.set_configuration({"prismaDoctor": {"hiddenFindings": []}}, scope_uri=web.as_uri())
    client.set_configuration({"prismaDoctor": {"hiddenFindings": ["client-out-of-sync"]}}, scope_uri=admin.as_uri())
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await wait_for(lambda: drift_shown(web) and not drift_shown(admin))
