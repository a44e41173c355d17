"""The workspace model on folders the tests write: which packages are Prisma projects, which are apps that use them,
and what `check` and a repair act on when given a workspace's root or an app (no npm: nothing is installed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from prisma_doctor.repair.package_manager import detect
from prisma_doctor.repair.roots import RefusedRoot, checked_root
from prisma_doctor.workspace import app_folders, declaring_root, load_workspace, prisma_projects_for
from tests.helpers import check_json, doctor, tree_contents
from tests.repair_fixtures import SCHEMA


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def package(folder: Path, name: str, dependencies: dict[str, str] | None = None, schema: bool = False) -> Path:
    write_json(folder / "package.json", {"name": name, "private": True, "dependencies": dependencies or {}})
    if schema:
        write(folder / "prisma" / "schema.prisma", SCHEMA)
    return folder


def monorepo(root: Path, declaration: str) -> Path:
    """packages/db (the schema), apps/web (depends on it by name), apps/docs (uses no database)."""
    globs = ["packages/*", "apps/*"]
    manifest: dict[str, object] = {"name": "mono", "private": True}
    if declaration == "npm":
        manifest["workspaces"] = globs
    elif declaration == "yarn-object":
        manifest["workspaces"] = {"packages": globs, "nohoist": []}
    elif declaration == "pnpm":
        write(root / "pnpm-workspace.yaml", "packages:\n  - 'packages/*'  # the libraries\n  - \"apps/*\"\n")
    write_json(root / "package.json", manifest)
    package(root / "packages" / "db", "@acme/db", schema=True)
    package(root / "apps" / "web", "web", {"@acme/db": "workspace:*", "next": "16.0.0"})
    package(root / "apps" / "docs", "docs", {"next": "16.0.0"})
    return root


@pytest.mark.parametrize("declaration", ["npm", "yarn-object", "pnpm"])
def test_projects_and_apps_of_a_package_manager_workspace(tmp_path: Path, declaration: str) -> None:
    root = monorepo(tmp_path / "mono", declaration).resolve()
    db, web = root / "packages" / "db", root / "apps" / "web"
    for folder in (root, db, web, web / "app"):
        workspace = load_workspace(folder)
        assert workspace is not None and workspace.root == root
        assert workspace.projects == (db,)
        assert [(app.folder, app.uses) for app in workspace.apps] == [(web, (db,))]
    assert declaring_root(web) == root
    assert prisma_projects_for(web) == [db]
    assert prisma_projects_for(root) == [db]
    assert prisma_projects_for(root / "apps" / "docs") == []
    assert app_folders(db) == [db, web]


def test_turborepo_runs_on_the_package_managers_workspaces(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "turbo", "npm").resolve()
    write_json(root / "turbo.json", {"tasks": {"dev": {"cache": False, "persistent": True}}})
    workspace = load_workspace(root / "apps" / "web")
    assert workspace is not None
    assert workspace.declared_by == ("package.json", "turbo.json")
    assert workspace.apps[0].uses == (root / "packages" / "db",)


def test_nx_without_package_manager_workspaces_reads_project_json_and_tsconfig_paths(tmp_path: Path) -> None:
    """Nx: no `workspaces`, projects are project.json folders; the app reaches the db library through an alias that
    its tsconfig.json inherits from the root's tsconfig.base.json."""
    root = (tmp_path / "nx").resolve()
    write_json(root / "package.json", {"name": "nx-mono", "private": True})
    write_json(root / "nx.json", {"npmScope": "acme"})
    write(
        root / "tsconfig.base.json",
        '{\n  // Nx keeps the aliases here\n  "compilerOptions": {"baseUrl": ".", "paths": {"@acme/db": '
        '["libs/db/src/index.ts"],},},\n}\n',
    )
    write_json(root / "libs" / "db" / "project.json", {"name": "db", "sourceRoot": "libs/db/src"})
    write(root / "libs" / "db" / "prisma" / "schema.prisma", SCHEMA)
    write(root / "libs" / "db" / "src" / "index.ts", "export * from '../generated/client';\n")
    web = root / "apps" / "web"
    write_json(web / "project.json", {"name": "web"})
    write_json(web / "tsconfig.json", {"extends": "../../tsconfig.base.json"})
    write(web / "app" / "page.tsx", "import { prisma } from '@acme/db';\nexport default async function Page() {}\n")
    write_json(root / "apps" / "admin" / "project.json", {"name": "admin"})
    write(root / "apps" / "admin" / "main.ts", "import x from 'left-pad';\n")
    # A `package.json`-less schema folder is still a project for Prisma only when it has a config or package.json.
    write_json(root / "libs" / "db" / "package.json", {"name": "@acme/db-internal", "private": True})

    workspace = load_workspace(web)
    assert workspace is not None and workspace.declared_by == ("nx.json",)
    assert workspace.projects == (root / "libs" / "db",)
    assert [(app.folder, app.uses) for app in workspace.apps] == [(web, (root / "libs" / "db",))]
    assert prisma_projects_for(web) == [root / "libs" / "db"]


def test_an_app_that_imports_the_client_by_a_relative_path(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono", "npm").resolve()
    api = root / "apps" / "api"
    package(api, "api", {"express": "5.0.0"})
    write(api / "src" / "db.ts", 'import { PrismaClient } from "../../../packages/db/generated/client";\n')
    workspace = load_workspace(api)
    assert workspace is not None
    assert workspace.app_at(api / "src") is not None
    assert prisma_projects_for(api) == [root / "packages" / "db"]


def test_a_lock_file_or_a_workspace_that_does_not_name_the_folder_makes_no_workspace(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text("{}")
    project = package(tmp_path / "solo", "solo", schema=True).resolve()
    assert load_workspace(project) is None
    assert app_folders(project) == [project]
    outside = monorepo(tmp_path / "mono", "npm").resolve() / "tools" / "script"
    package(outside, "script", {"@acme/db": "*"})
    assert load_workspace(outside) is None
    assert detect(outside).workspace_root == outside


def test_a_repair_from_the_root_or_an_app_acts_on_the_schemas_package(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono", "npm").resolve()
    assert checked_root(root) == root / "packages" / "db"
    assert checked_root(root / "apps" / "web") == root / "packages" / "db"
    with pytest.raises(RefusedRoot, match="no Prisma schema"):
        checked_root(root / "apps" / "docs")


def test_several_projects_and_no_way_to_choose_is_refused_naming_them_and_changing_nothing(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono", "npm").resolve()
    package(root / "packages" / "analytics", "@acme/analytics", schema=True)
    package(root / "apps" / "web", "web", {"@acme/db": "*", "@acme/analytics": "*"})
    before = tree_contents(root)
    for folder in (root, root / "apps" / "web"):
        with pytest.raises(RefusedRoot, match=r"several Prisma projects \(packages/analytics, packages/db\)"):
            checked_root(folder)
        done = doctor("reset", "--project", str(folder), "--yes")
        assert done.returncode == 2, (done.stdout, done.stderr)
        assert "packages/analytics, packages/db" in done.stderr
    assert tree_contents(root) == before


def test_check_of_an_app_checks_the_project_it_uses(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono", "npm").resolve()
    _, report = check_json(root / "apps" / "web")
    assert report["project"] == str(root / "packages" / "db"), report
    assert "schema-unreadable" not in {f["code"] for f in report["findings"]}
    _, report = check_json(root)
    assert report["project"] == str(root / "packages" / "db")


STALE_SERVER_LOG = Path(__file__).parent / "fixtures" / "logs" / "next-dev-unknown-argument-stale-server-stale.log"


def test_run_runs_the_command_where_the_user_is_and_frames_resolve_in_the_app(tmp_path: Path) -> None:
    """`run --project packages/db -- CMD` from apps/web: CMD runs in apps/web, its output is recorded there (where
    the language server follows it), and `app/actions.ts` in a frame is the app's file, not one under packages/db."""
    root = monorepo(tmp_path / "mono", "npm").resolve()
    web, db = root / "apps" / "web", root / "packages" / "db"
    where = "import os, sys; print(os.getcwd()); sys.stdout.write(open(sys.argv[1]).read())"
    done = doctor("run", "--project", str(db), "--", sys.executable, "-c", where, str(STALE_SERVER_LOG), cwd=web)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == str(web)
    # Shown relative to the current folder (apps/web): under packages/db it would read `../../packages/db/app/...`.
    assert "prisma-doctor: app/actions.ts:8:3: error:" in done.stderr, done.stderr
    assert "packages/db/app" not in done.stderr
    assert (web / ".prisma-doctor" / "dev-output.log").is_file()
    assert not (db / ".prisma-doctor" / "dev-output.log").exists()


def test_explain_from_an_app_resolves_frames_in_the_app(tmp_path: Path) -> None:
    root = monorepo(tmp_path / "mono", "npm").resolve()
    web = root / "apps" / "web"
    done = doctor("explain", str(STALE_SERVER_LOG), "--project", str(web), "--json")
    files = {f["location"]["file"] for f in json.loads(done.stdout)["findings"] if f["location"]}
    assert str(web / "app" / "actions.ts") in files, done.stdout
    assert not any(name.startswith(str(root / "packages")) and "actions" in name for name in files)


def test_a_package_json_planted_in_a_shared_folder_is_no_workspace(tmp_path: Path, monkeypatch) -> None:
    # Someone else's `/tmp/package.json` declaring `"workspaces": ["*"]` must not make /tmp the workspace root of a
    # project in it: a repair would run `npm install` there, with that package's install scripts.
    shared = tmp_path / "shared"
    project = shared / "myapp"
    (project / "prisma").mkdir(parents=True)
    (project / "prisma" / "schema.prisma").write_text(SCHEMA)
    (project / "package.json").write_text('{"name": "myapp"}')
    planted = {"name": "x", "workspaces": ["*"], "scripts": {"postinstall": "touch pwned"}}
    (shared / "package.json").write_text(json.dumps(planted))
    assert declaring_root(project) == shared  # an ordinary folder above: it is the workspace
    monkeypatch.setattr("tempfile.tempdir", str(shared))  # now the shared temporary folder

    assert declaring_root(project) is None
    assert detect(project).workspace_root == project


def test_the_app_check_diagnoses_an_app_s_error_against_its_package_s_schema(tmp_path: Path) -> None:
    """A repair asks an app's dev server (apps/web) and reads its output there: the error that came back is
    diagnosed against packages/db's schema, not said to have no schema to read (user trial 4, item 29b)."""
    from prisma_doctor.logs.recognize import LogReader
    from prisma_doctor.repair.app_check import _diagnosed  # pyright: ignore[reportPrivateUsage]

    root = monorepo(tmp_path / "mono", "npm").resolve()
    reader = LogReader()
    events = reader.feed(STALE_SERVER_LOG.read_bytes()) + reader.close()
    found = _diagnosed(root / "apps" / "web", events, None)
    assert found and not any("could not be read" in f.message for f in found), found
    # The schema's User has no `nickname`: read, it says the code is ahead of it.
    assert {f.code for f in found} == {"code-ahead-of-schema"}, found
