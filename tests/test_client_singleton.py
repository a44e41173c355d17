"""Whether the app keeps its PrismaClient on the global object (`client_singleton.py`), read from its source files."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_doctor import client_singleton
from prisma_doctor.client_singleton import holds_client_globally, singleton_file

GUIDE = """import { PrismaClient } from '@prisma/client'
const globalForPrisma = globalThis as unknown as { prisma: PrismaClient | undefined }
export const prisma = globalForPrisma.prisma ?? new PrismaClient()
if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma
"""


@pytest.mark.parametrize(
    "text",
    [
        GUIDE,
        # Prisma's older guide, and its shorter kin.
        "const { PrismaClient } = require('@prisma/client');\n"
        "const prisma = global.prisma || new PrismaClient();\n"
        "if (process.env.NODE_ENV === 'development') global.prisma = prisma;\n",
        "import { PrismaClient } from './generated/prisma/client';\nglobalThis.prisma ??= new PrismaClient();\n",
        "import { PrismaClient } from '@prisma/client';\nexport const db = new PrismaClient();\n"
        "if (import.meta.env.DEV) (globalThis as any).db = db;\n",
        "import { PrismaClient } from '@prisma/client';\nconst g = global;\n"
        "export const prisma = g['prisma'] || new PrismaClient();\ng['prisma'] = prisma;\n",
    ],
)
def test_a_client_kept_on_the_global_object(text: str) -> None:
    assert holds_client_globally(text)


@pytest.mark.parametrize(
    "text",
    [
        # A client made at each load of the module: a reload makes a new one.
        "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n",
        # The global object read or compared, not written.
        "import { PrismaClient } from '@prisma/client';\nif (globalThis.prisma === undefined) console.log('none');\n"
        "export const prisma = new PrismaClient();\n",
        # Written there but never read back: each load makes a new client.
        "import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n"
        "globalThis.prisma = prisma;\n",
        # Something else kept globally, in a module with no client.
        "const globalForCache = globalThis as unknown as { cache: Map<string, string> };\n"
        "globalForCache.cache = new Map();\n",
    ],
)
def test_no_client_kept_on_the_global_object(text: str) -> None:
    assert not holds_client_globally(text)


def test_the_apps_files_are_read_not_its_packages_nor_its_generated_client(tmp_path: Path) -> None:
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "db.js").write_text(GUIDE)
    (tmp_path / "src" / "generated" / "prisma").mkdir(parents=True)
    (tmp_path / "src" / "generated" / "prisma" / "client.ts").write_text(GUIDE)
    (tmp_path / "src" / "users.ts").write_text("import { prisma } from './lib/db';\n")
    clients = [tmp_path / "src" / "generated" / "prisma"]
    assert singleton_file(tmp_path, clients) == client_singleton.Search(None)

    (tmp_path / "src" / "lib").mkdir()
    (tmp_path / "src" / "lib" / "db.ts").write_text(GUIDE)
    assert singleton_file(tmp_path, clients) == client_singleton.Search(tmp_path / "src" / "lib" / "db.ts")


def test_a_search_cut_short_says_so(tmp_path: Path) -> None:
    for index in range(client_singleton.MAX_FILES + 1):
        (tmp_path / f"m{index:05}.js").write_text("")
    assert singleton_file(tmp_path) == client_singleton.Search(None, whole=False)


def test_a_workspace_package_that_makes_the_client_is_read_too(tmp_path: Path) -> None:
    app, database = tmp_path / "apps" / "web", tmp_path / "packages" / "db"
    (app / "src").mkdir(parents=True)
    (app / "src" / "page.ts").write_text("import { prisma } from '@repo/db';\n")
    (database / "src" / "generated" / "prisma").mkdir(parents=True)
    (database / "package.json").write_text('{"name": "@repo/db"}')
    (database / "src" / "client.ts").write_text(GUIDE.replace("@prisma/client", "./generated/prisma/client"))
    found = singleton_file(app, [database / "src" / "generated" / "prisma"])
    assert found == client_singleton.Search(database / "src" / "client.ts")
