"""The toolchain cache stays as installed: projects share its files by hard link, and nothing is written through."""

from __future__ import annotations

import pytest

from prisma_doctor.check import inspect_project
from tests.helpers import tree_times
from tests.toolchain import JS_GENERATOR, ProjectFactory, pnpm_add_offline, schema_text, toolchain

pytestmark = pytest.mark.node

MODELS = "model User {\n  id Int @id\n}\n"


@pytest.mark.parametrize("manager", ["npm", "pnpm"])
def test_generating_and_reinstalling_in_a_project_leave_the_cache_untouched(
    prisma_project: ProjectFactory, manager: str
) -> None:
    version = "7.10.0"
    cache = toolchain(manager, version)
    before = tree_times(cache, folders=False)
    project = prisma_project(schema_text(version, MODELS, JS_GENERATOR), version=version, package_manager=manager)
    # The copy really shares the installed files (else it would be neither cheap nor a test of anything).
    cli = project.root / "node_modules" / "prisma" / "package.json"
    assert cli.resolve().stat().st_nlink > 1
    project.generate()
    if manager == "pnpm":
        pnpm_add_offline(project.root, "@prisma/client@6.17.1", "prisma@6.17.1")

    assert tree_times(cache, folders=False) == before
    assert not any(cache.rglob(".prisma"))
    client = inspect_project(project.root).clients[0].client
    assert client is not None or manager == "pnpm"
    for path in (project.root / "node_modules").rglob(".prisma/client/*"):
        assert path.stat().st_nlink == 1, path
