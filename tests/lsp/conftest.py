"""A project with a real generated client (committed by a real project, from the shared corpus) for LSP tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.schema_corpus import corpus_root

PAIR_NAME = Path("generated-pairs") / "NostemLucas__adc@ff1acca" / "prisma"
SERVER = [sys.executable, "-m", "prisma_doctor", "serve"]


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
