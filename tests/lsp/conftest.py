"""A project with a real generated client (committed by a real project, from the shared corpus) for LSP tests."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "schemas" / "generated-pairs"
PAIR = CORPUS / "NostemLucas__adc@ff1acca" / "prisma"
SERVER = [sys.executable, "-m", "prisma_doctor", "serve"]


@pytest.fixture
def synced_project(tmp_path: Path) -> Path:
    """A project whose schema is exactly the one its generated client embeds: in sync to start with."""
    if not PAIR.is_dir():
        pytest.fail(f"the shared corpus is missing: {PAIR} (CI clones shared/ beside the repository)")
    project = tmp_path / "app"
    (project / "prisma").mkdir(parents=True)
    shutil.copytree(PAIR / "generated", project / "prisma" / "generated")
    schema = (PAIR / "generated" / "prisma" / "schema.prisma").read_text(encoding="utf-8")
    schema = schema.replace(
        'provider = "prisma-client-js"', 'provider = "prisma-client-js"\n  output   = "./generated/prisma"', 1
    )
    (project / "prisma" / "schema.prisma").write_text(schema, encoding="utf-8")
    (project / "package.json").write_text('{"name": "app", "private": true}\n', encoding="utf-8")
    return project
