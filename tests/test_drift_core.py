"""The drift comparison on datamodels read by our own parser (no Node needed)."""

from prisma_doctor.drift import compare
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.parser import parse_schema

BEFORE = """
model User {
  id    Int     @id
  email String  @map("email_address")
  name  String?
  @@map("users")
}

enum Role {
  USER
  ADMIN
}
"""


def datamodel(text: str):
    return build_datamodel([parse_schema(text, "/p/schema.prisma")])


def test_identical_schemas_have_no_drift() -> None:
    assert compare(datamodel(BEFORE), datamodel(BEFORE), None) == []


def test_every_kind_of_change_is_named_and_located() -> None:
    after = (
        BEFORE.replace("name  String?", "name  String\n  nickname String?")
        .replace('@map("email_address")', "")
        .replace('@@map("users")', '@@map("people")')
        .replace("ADMIN", "GUEST")
        + "\nmodel Post {\n  id Int @id\n}\n"
    )
    drifts = {(d.kind, d.subject): d for d in compare(datamodel(after), datamodel(BEFORE), None)}
    assert set(drifts) == {
        ("model-mapped", "User"),
        ("field-mapped", "User.email"),
        ("field-optionality-changed", "User.name"),
        ("field-added", "User.nickname"),
        ("model-added", "Post"),
        ("enum-value-added", "Role.GUEST"),
        ("enum-value-removed", "Role.ADMIN"),
    }
    assert "maps to column `email` in the schema, but the generated client still uses `email_address`" in (
        drifts[("field-mapped", "User.email")].description
    )
    assert "is required in the schema but optional" in drifts[("field-optionality-changed", "User.name")].description
    nickname = drifts[("field-added", "User.nickname")].location
    assert nickname is not None and nickname.span is not None
    assert (nickname.span.start.line, nickname.span.start.character) == (5, 2)


def test_removed_model_is_reported_at_the_fallback() -> None:
    from prisma_doctor.findings import Location

    fallback = Location("/p/schema.prisma")
    after = BEFORE.split("enum Role")[0]
    drifts = compare(datamodel(after), datamodel(BEFORE), fallback)
    assert [(d.kind, d.subject, d.location) for d in drifts] == [("enum-removed", "Role", fallback)]
