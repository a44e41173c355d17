"""Finding the Prisma projects of a folder without Node: which folders are projects and which are generated."""

from __future__ import annotations

import json
from pathlib import Path

from prisma_doctor.clients.locate import find_client_folders, is_client_folder
from prisma_doctor.project import find_projects, package_manager
from prisma_doctor.repair.package_manager import dev_command

SCHEMA = 'generator client {\n  provider = "prisma-client-js"\n}\n\nmodel User {\n  id Int @id\n}\n'


def make_project(folder: Path, name: str, *files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({"name": name}) + "\n")
    for file in files:
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        (folder / file).write_text(SCHEMA if file.endswith(".prisma") else "console.log('hello')\n")


def test_a_project_with_index_js_beside_its_schema_is_no_generated_client(tmp_path: Path) -> None:
    make_project(tmp_path / "shop", "shop", "schema.prisma", "index.js")
    make_project(tmp_path / "blog", "blog", "prisma/schema.prisma", "prisma/migrations/0_init/migration.sql")
    assert not is_client_folder(tmp_path / "shop")
    assert find_projects(tmp_path) == [tmp_path / "blog", tmp_path / "shop"]


def test_schema_folders_installed_packages_and_generated_copies_are_not_projects(tmp_path: Path) -> None:
    make_project(tmp_path, "root", "prisma/schema/user.prisma", "prisma/schema/models/post.prisma")
    # What `prisma-client-js` writes at a custom output: a copy of the schema beside index.js.
    make_project(tmp_path / "generated" / "client", "prisma-client-0123abcd", "schema.prisma", "index.js")
    make_project(tmp_path / "node_modules" / "other", "other", "prisma/schema.prisma")
    make_project(tmp_path / "apps" / "admin", "admin", "prisma/schema.prisma")
    assert is_client_folder(tmp_path / "generated" / "client")
    assert find_projects(tmp_path) == [tmp_path, tmp_path / "apps" / "admin"]


def test_a_client_generated_to_a_prisma_folder_is_no_second_project(tmp_path: Path) -> None:
    # trigger.dev's layout: `output = "../generated/prisma"` puts a schema copy at generated/prisma/schema.prisma,
    # which from generated/ looks like a project's prisma/schema.prisma.
    make_project(tmp_path, "root", "prisma/schema.prisma")
    make_project(tmp_path / "generated" / "prisma", "prisma-client-0123abcd", "schema.prisma", "index.js")
    (tmp_path / "generated" / "package.json").write_text('{"name": "generated"}\n')
    assert find_projects(tmp_path) == [tmp_path]


def test_the_clients_searched_for_are_the_projects_own_not_those_of_projects_inside_it(tmp_path: Path) -> None:
    make_project(tmp_path, "root", "prisma/schema.prisma")
    make_project(tmp_path / "generated" / "client", "prisma-client-0123abcd", "schema.prisma", "index.js")
    # A package without a schema is still the root project's ground; one with a schema of its own is not.
    make_project(tmp_path / "apps" / "web", "web", "src/page.js")
    make_project(tmp_path / "apps" / "web" / "src" / "db", "prisma-client-4567cdef", "schema.prisma", "index.js")
    make_project(tmp_path / "apps" / "admin", "admin", "prisma/schema.prisma")
    make_project(tmp_path / "apps" / "admin" / "generated", "prisma-client-89abcdef", "schema.prisma", "index.js")
    assert sorted(find_client_folders(tmp_path)) == [
        tmp_path / "apps" / "web" / "src" / "db",
        tmp_path / "generated" / "client",
    ]
    assert find_client_folders(tmp_path / "apps" / "admin") == [tmp_path / "apps" / "admin" / "generated"]


def test_the_package_manager_comes_from_package_json_or_the_nearest_lockfile(tmp_path: Path) -> None:
    make_project(tmp_path / "app", "app")
    assert package_manager(tmp_path / "app") == "npm"
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    assert package_manager(tmp_path / "app") == "pnpm"
    (tmp_path / "app" / "package.json").write_text(json.dumps({"packageManager": "yarn@1.22.22"}))
    assert package_manager(tmp_path / "app") == "yarn"


def test_the_dev_command_is_the_setting_else_the_dev_script_run_by_the_package_manager(tmp_path: Path) -> None:
    # A pnpm workspace keeps its lock file at the top, not in the project.
    (tmp_path / "pnpm-workspace.yaml").write_text("packages:\n  - 'apps/*'\n")
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    make_project(tmp_path / "apps" / "web", "web", "prisma/schema.prisma")
    web = tmp_path / "apps" / "web"
    assert dev_command(web) == "pnpm run dev"
    # `packageManager` in package.json says it outright.
    (web / "package.json").write_text(json.dumps({"name": "web", "packageManager": "bun@1.2.0"}))
    assert dev_command(web) == "bun run dev"
    # The editor's settings win: `prismaDoctor.packageManager`, then `prismaDoctor.devCommand`.
    assert dev_command(web, override="yarn") == "yarn run dev"
    assert dev_command(web, "turbo dev --filter web", "yarn") == "turbo dev --filter web"


def test_in_a_workspace_the_dev_command_runs_where_a_dev_script_is(tmp_path: Path) -> None:
    # user4 #31: the project packages/db has no `dev` script; `pnpm run dev` there fails ("Missing script: dev").
    (tmp_path / "pnpm-workspace.yaml").write_text("packages:\n  - 'apps/*'\n  - 'packages/*'\n")
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\n")
    write_package(tmp_path, {"name": "mono", "private": True, "scripts": {"dev": "turbo dev"}})
    db = tmp_path / "packages" / "db"
    make_project(db, "@acme/db", "prisma/schema.prisma")
    write_package(db, {"name": "@acme/db", "scripts": {"generate": "prisma generate"}})
    uses_db = {"dependencies": {"@acme/db": "workspace:*"}}
    write_package(tmp_path / "apps" / "web", {"name": "web", **uses_db, "scripts": {"dev": "next dev --turbopack"}})
    write_package(tmp_path / "apps" / "api", {"name": "api", **uses_db, "scripts": {"dev": "tsx watch src/index.ts"}})
    write_package(tmp_path / "apps" / "docs", {"name": "docs", "scripts": {"dev": "next dev"}})  # uses no client
    # The first app that uses the client and whose `dev` script runs a dev server: run there, from packages/db.
    assert dev_command(db) == "pnpm --dir ../../apps/api run dev"
    # A script that does more than serve is not the restart's, and not the first choice either.
    write_package(
        tmp_path / "apps" / "api", {"name": "api", **uses_db, "scripts": {"dev": "node seed.js && tsx watch ."}}
    )
    assert dev_command(db) == "pnpm --dir ../../apps/web run dev"
    # With no app's script that serves, the first `dev` script there is (an app's, then the workspace root's).
    for app in ("api", "web"):
        write_package(tmp_path / "apps" / app, {"name": app, **uses_db})
    assert dev_command(db) == "pnpm --dir ../.. run dev"
    assert dev_command(db, override="npm") == "npm --prefix ../.. run dev"
    # The project's own dev script comes first.
    write_package(db, {"name": "@acme/db", "scripts": {"dev": "tsx watch server.ts"}})
    assert dev_command(db) == "pnpm run dev"


def write_package(folder: Path, manifest: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(manifest) + "\n")
