"""A linked `prisma/` folder (attacker's trial 12, #3): `app/prisma -> ../shared-prisma`, the generator's output
`../src/generated/prisma`. Prisma joins the output to the schema file's path as given, so the client lands in
`app/src/generated/prisma`, not beside the link's target; the doctor reads it there (`check` in sync, a reset
planned), as Prisma 6 and 7 both do. An output that really leads outside the project is still refused.

Real Prisma CLIs from the tests' npm cache (tests/toolchain.py).
"""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import check_json, dry_run_plan
from tests.toolchain import JS_GENERATOR, TS_GENERATOR, ProjectFactory, schema_text

pytestmark = pytest.mark.node

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"


@pytest.mark.parametrize(
    ("version", "provider"), [("6.17.1", JS_GENERATOR), ("7.10.0", TS_GENERATOR)], ids=["prisma-6", "prisma-7"]
)
def test_a_linked_schema_folder_puts_the_client_where_prisma_does(
    prisma_project: ProjectFactory, version: str, provider: str
) -> None:
    project = prisma_project(schema_text(version, MODELS, provider, output="../src/generated/prisma"), version=version)
    shared = project.root.parent / "shared-prisma"
    shutil.move(project.root / "prisma", shared)
    (project.root / "prisma").symlink_to("../shared-prisma")

    project.generate()

    # Prisma's own answer: beside the link, in the project (its target's neighbour holds nothing).
    assert (project.root / "src" / "generated" / "prisma").is_dir()
    assert not (shared.parent / "src").exists()
    project.push_database()
    code, report = check_json(project.root)
    assert code == 0, [(f["code"], f["message"]) for f in report["findings"]]
    plan = dry_run_plan("reset", project=project.root)
    assert not plan.get("refused"), plan


def test_an_output_that_leads_outside_through_the_link_is_still_refused(prisma_project: ProjectFactory) -> None:
    schema = schema_text("7.10.0", MODELS, TS_GENERATOR, output="../../outside/generated/prisma")
    project = prisma_project(schema, version="7.10.0")
    shutil.move(project.root / "prisma", project.root.parent / "shared-prisma")
    (project.root / "prisma").symlink_to("../shared-prisma")

    plan = dry_run_plan("reset", project=project.root, refused=True)

    assert "outside the project" in str(plan), plan
