"""A schema saved with a UTF-8 byte order mark (Notepad, PowerShell 5): Prisma refuses it, and so does the check."""

from __future__ import annotations

import pytest

from prisma_doctor.check import inspect_project
from tests.toolchain import ProjectFactory, ToolchainError, schema_text

pytestmark = pytest.mark.node

VERSION = "6.17.1"
MODELS = "model User {\n  id Int @id\n  email String\n}\n"


def test_a_schema_starting_with_a_bom_is_named_as_what_prisma_refuses(prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text(VERSION, MODELS), version=VERSION)
    project.generate()
    project.schema_file.write_bytes(b"\xef\xbb\xbf" + project.schema_file.read_bytes())

    # The oracle: Prisma's own generate fails on the mark.
    with pytest.raises(ToolchainError, match="This line is invalid"):
        project.generate()

    findings = inspect_project(project.root).report.findings
    assert [f.code for f in findings] == ["schema-invalid"], findings
    (bom,) = findings
    assert "byte order mark (BOM)" in bom.message and "save it as UTF-8 without BOM" in bom.message
    assert bom.location is not None and bom.location.file == str(project.schema_file.resolve())
    assert bom.location.span is not None and bom.location.span.start.line == 0
    assert bom.fixes == ("edit-schema",)


def test_a_schema_without_the_mark_has_no_such_finding(prisma_project: ProjectFactory) -> None:
    project = prisma_project(schema_text(VERSION, MODELS), version=VERSION)
    project.generate()
    assert inspect_project(project.root).report.findings == ()
