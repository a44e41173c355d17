"""A real npm-workspaces monorepo: the schema in `packages/db` (Prisma 6.17, its client generated into
`packages/db/generated/client`), a Next 16 app in `apps/web` that depends on `db` and runs `next dev`. A field added
without generate is found from the root and from the app; a reset from the root generates in packages/db, restarts
the app's server in apps/web, and the page answers 200 with the new field; a second schema the app uses makes the
repair refuse, changing nothing. Packages are the bundled example's cached install (`tests/example_app.py`),
hard-linked into the workspace root as npm hoists them.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.dev_server import DevServer
from tests.helpers import check_json, doctor, previews, repair_json, tree_contents
from tests.npm_cache import link_packages, run
from tests.repair_fixtures import SCHEMA as REPAIR_SCHEMA
from tests.repair_fixtures import repair_environment

pytestmark = pytest.mark.node

# The repair tests' schema with its client generated into the package, and the email the page shows.
SCHEMA = REPAIR_SCHEMA.replace(
    'engineType = "client"\n', 'engineType = "client"\n  output     = "../generated/client"\n'
).replace("  name String\n", "  email String @unique\n  name  String\n")
# The db package: its generated client, connected through the libSQL adapter to its own database file.
DB_INDEX = """const path = require('path');
const { PrismaClient } = require('./generated/client');
const { PrismaLibSQL } = require('@prisma/adapter-libsql');
const url = 'file:' + path.join(__dirname, 'prisma', 'dev.db');
exports.prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url }) });
"""
# Turbopack may read files above the app: the workspace root's node_modules and packages/db.
NEXT_CONFIG = """const path = require('path');
module.exports = { turbopack: { root: path.join(__dirname, '..', '..') } };
"""
LAYOUT = "export default function Layout({ children }) { return <html><body>{children}</body></html>; }\n"
# The app loads `db` through Node at run time, as a deployed server would: bundled by Turbopack, the generated
# client would look for its query compiler's .wasm beside the bundle (Prisma's own monorepo caveat).
PAGE = """const load = process.getBuiltinModule('module').createRequire(process.cwd() + '/package.json');
const { prisma } = load('db');
export const dynamic = 'force-dynamic';
export default async function Page() {
  const users = await prisma.user.findMany();
  return <pre id="users">{JSON.stringify(users)}</pre>;
}
"""


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


@pytest.fixture
def monorepo(tmp_path: Path, example_packages: Path) -> Path:
    root = (tmp_path / "mono").resolve()
    root.mkdir()
    write_json(root / "package.json", {"name": "mono", "private": True, "workspaces": ["packages/*", "apps/*"]})
    link_packages(example_packages, root)
    db, web = root / "packages" / "db", root / "apps" / "web"
    dependencies = {"prisma": "6.17.1", "@prisma/client": "6.17.1", "@prisma/adapter-libsql": "6.17.1"}
    write_json(db / "package.json", {"name": "db", "private": True, "main": "index.js", "dependencies": dependencies})
    (db / "index.js").write_text(DB_INDEX)
    (db / "prisma").mkdir()
    (db / "prisma" / "schema.prisma").write_text(SCHEMA)
    with sqlite3.connect(db / "prisma" / "dev.db") as connection:
        connection.execute('CREATE TABLE "User" (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE NOT NULL, '
                           'name TEXT NOT NULL, nickname TEXT)')  # fmt: skip
        connection.execute("INSERT INTO \"User\" (email, name, nickname) VALUES ('ada@example.com', 'Ada', 'countess')")
    write_json(
        web / "package.json",
        {"name": "web", "private": True, "scripts": {"dev": "next dev --turbopack"}, "dependencies": {"db": "*"}},
    )
    (web / "next.config.js").write_text(NEXT_CONFIG)
    (web / "app").mkdir()
    (web / "app" / "layout.js").write_text(LAYOUT)
    (web / "app" / "page.js").write_text(PAGE)
    # npm links each workspace package into the root's node_modules.
    os.symlink("../packages/db", root / "node_modules" / "db")
    os.symlink("../apps/web", root / "node_modules" / "web")
    run(["npx", "--no-install", "prisma", "generate"], db, env=repair_environment())
    return root


def test_a_field_added_in_packages_db_is_repaired_from_the_root_and_apps_web_serves_it(
    monorepo: Path, start_dev_server: Callable[..., DevServer], restarted_groups: list[int]
) -> None:
    db, web = monorepo / "packages" / "db", monorepo / "apps" / "web"
    server = start_dev_server(web, next_bin=monorepo / "node_modules" / ".bin" / "next")
    page = server.get("/")
    assert page.status == 200 and "Ada" in page.body and "countess" not in page.body, page.body[-2000:]

    schema = db / "prisma" / "schema.prisma"
    schema.write_text(SCHEMA.replace("  name  String\n", "  name  String\n  nickname String?\n"))
    for folder in (monorepo, web):
        code, report = check_json(folder)
        assert code == 1 and report["project"] == str(db), report
        assert "client-out-of-sync" in {f["code"] for f in report["findings"]}, report

    done = doctor("reset", "--project", str(monorepo), "--dry-run", "--json", env=repair_environment())
    plan = json.loads(done.stdout)
    assert plan["project"] == str(db) and not plan["refusals"], plan
    steps = previews(plan)
    assert steps["generate"][0].endswith(f"(in {db})"), steps
    assert [line for line in steps["restart-dev"] if f"(in {web}," in line], steps

    code, result = repair_json("reset", monorepo, restarted=restarted_groups, env=repair_environment())
    assert code == 0, json.dumps(result, indent=1)
    (restarted,) = result["devServers"]
    assert restarted["answered"] and restarted["log"].startswith(str(web)), restarted
    page = DevServer(web, server.log_file, port=restarted["port"]).get("/")
    assert page.status == 200 and "countess" in page.body, page.body[-2000:]

    # A second Prisma project that the app also uses: from the root or the app, nothing to choose between them.
    analytics = monorepo / "packages" / "analytics"
    write_json(analytics / "package.json", {"name": "analytics", "private": True})
    (analytics / "prisma").mkdir()
    (analytics / "prisma" / "schema.prisma").write_text(SCHEMA.replace("../generated/client", "../generated/a"))
    write_json(
        web / "package.json",
        {**json.loads((web / "package.json").read_text()), "dependencies": {"db": "*", "analytics": "*"}},
    )
    before = tree_contents(monorepo / "packages")
    for folder in (monorepo, web):
        refused = doctor("reset", "--project", str(folder), "--yes", env=repair_environment())
        assert refused.returncode == 2 and "packages/analytics, packages/db" in refused.stderr, refused.stderr
    assert tree_contents(monorepo / "packages") == before
    assert DevServer(web, server.log_file, port=restarted["port"]).get("/").status == 200
