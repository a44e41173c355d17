"""A project with a real generated client (committed by a real project, from the shared corpus) for LSP tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.helpers import DOCTOR, doctor_environment
from tests.lsp.session import stop
from tests.schema_corpus import corpus_root

PAIR_NAME = Path("generated-pairs") / "NostemLucas__adc@ff1acca" / "prisma"
SERVER = [*DOCTOR, "serve"]
SERVER_ENV = doctor_environment()
# pytest-lsp's recorded capabilities of the two real clients every feature is tested with.
CLIENTS = ["visual-studio-code", "neovim"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, server_env=SERVER_ENV), params=CLIENTS)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest):
    lsp_client.capabilities_name = request.param
    yield lsp_client
    await stop(lsp_client)


@pytest.fixture
def synced_project(tmp_path: Path) -> Path:
    """A project whose schema is exactly the one its generated client embeds: in sync to start with."""
    pair = corpus_root() / PAIR_NAME
    if not pair.is_dir():
        pytest.fail(f"the shared corpus is missing: {pair} (CI clones shared/ beside the repository)")
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    shutil.copytree(pair / "generated", project / "prisma" / "generated")
    schema = (pair / "generated" / "prisma" / "schema.prisma").read_text(encoding="utf-8")
    schema = schema.replace(
        'provider = "prisma-client-js"', 'provider = "prisma-client-js"\n  output   = "./generated/prisma"', 1
    )
    (project / "prisma" / "schema.prisma").write_text(schema, encoding="utf-8")
    (project / "package.json").write_text('{"name": "app", "private": true}\n', encoding="utf-8")
    return project


APP_SOURCE = "import { PrismaClient } from './prisma/generated/prisma'\nconst prisma = new PrismaClient()\n" + (
    "await prisma.user.create({ data: { email: 'a@b.c', nickname: 'x' } })\n"
)


@pytest.fixture
def drifted_project(synced_project: Path) -> Path:
    """`User.nickname` added to the schema and not generated: what the captured error is about."""
    schema = synced_project / "prisma" / "schema.prisma"
    lines = schema.read_text(encoding="utf-8").splitlines()
    user = next(i for i, line in enumerate(lines) if line.startswith("model User "))
    schema.write_text("\n".join([*lines[: user + 1], "  nickname String?", *lines[user + 1 :]]) + "\n", "utf-8")
    (synced_project / "unknown-argument.js").write_text(APP_SOURCE, encoding="utf-8")
    return synced_project
