"""The schema parser on the whole language and on broken input, with exact ranges (zero-based, UTF-16 columns)."""

from __future__ import annotations

from prisma_doctor.findings import Position, Span
from prisma_doctor.schema.datamodel import build_datamodel
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import (
    ArrayValue,
    ConstantValue,
    FunctionValue,
    ObjectValue,
    SchemaFile,
    StringValue,
)


def span(line: int, start: int, end_line: int, end: int) -> Span:
    return Span(Position(line, start), Position(end_line, end))


def described(value: object) -> tuple[type, str, Span]:
    """A one-token value as (its class, its text, its range)."""
    assert isinstance(value, StringValue | ConstantValue), value
    return type(value), value.value if isinstance(value, StringValue) else value.text, value.span


def messages(schema: SchemaFile) -> list[str]:
    return [error.message for error in schema.errors]


WHOLE_LANGUAGE = """\
/// The database.
datasource db {
  provider   = "postgresql" /// trailing docs are allowed here
  extensions = [postgis(version: "3.4"), pg_trgm]
  schemas    = ["public", "auth"]
}

generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["views", "multiSchema", "partialIndexes"]
  binaryTargets   = ["native", "debian-openssl-3.0.x"]
}

/* A block comment
   over two lines. */

/// A user.
///   Second line, trimmed.
model User {
  /// The key.
  id        String   @id @default(dbgenerated("gen_random_uuid()")) @db.Uuid
  email     String   @unique @db.VarChar(255) /// and a trailing doc
  name      String?  @map("full_name")
  tags      String[]
  role      Role     @default(USER)
  location  Unsupported("geography(Point, 4326)")?
  posts     Post[]
  profile   Profile?
  createdAt DateTime @default(now()) @map(name: "created_at")

  @@index([email(sort: Desc), name(ops: raw("gin_trgm_ops"))], type: Gin)
  @@unique([email], where: {role: {not: "ADMIN"}})
  @@map("users")
  @@schema("auth")
}

model Post {
  id       Int    @id @default(autoincrement())
  authorId String
  author   User   @relation(fields: [authorId], references: [id], onDelete: Cascade)
  @@schema("public")
}

view UserInfo {
  id    String @unique
  email String
  @@schema("public")
}

enum Role {
  USER  @map("user")
  ADMIN /// the boss
  @@map("roles")
  @@schema("public")
}

type Profile {
  bio String
}
"""


def test_the_whole_language_is_read() -> None:
    schema = parse_schema(WHOLE_LANGUAGE, "/p/schema.prisma")
    assert schema.errors == ()
    assert [(b.kind, b.name) for b in schema.blocks] == [
        ("datasource", "db"),
        ("generator", "client"),
        ("model", "User"),
        ("model", "Post"),
        ("view", "UserInfo"),
        ("enum", "Role"),
        ("type", "Profile"),
    ]
    datasource, generator, user, post, view, role, profile = schema.blocks
    assert datasource.documentation == "The database."
    extensions = datasource.property("extensions")
    assert extensions is not None and isinstance(extensions.value, ArrayValue)
    postgis = extensions.value.items[0]
    assert isinstance(postgis, FunctionValue) and postgis.name == "postgis"
    assert postgis.arguments[0].name == "version"
    assert generator.property("previewFeatures") is not None

    assert user.documentation == "A user.\nSecond line, trimmed."
    fields = {f.name: f for f in user.fields}
    assert fields["id"].documentation == "The key."
    assert fields["email"].documentation == "and a trailing doc"
    default = fields["id"].attribute("default")
    assert default is not None
    generated = default.argument("value")
    assert isinstance(generated, FunctionValue) and generated.name == "dbgenerated"
    assert described(generated.arguments[0].value) == (StringValue, "gen_random_uuid()", span(20, 46, 20, 65))
    assert fields["id"].attribute("db.Uuid") is not None
    varchar = fields["email"].attribute("db.VarChar")
    assert varchar is not None and described(varchar.argument("length")) == (ConstantValue, "255", span(21, 41, 21, 44))
    assert varchar.name_span == span(21, 29, 21, 40)
    assert fields["name"].type is not None and fields["name"].type.optional
    assert fields["tags"].type is not None and fields["tags"].type.is_list
    location = fields["location"].type
    assert location is not None and location.unsupported == "geography(Point, 4326)" and location.optional

    index = user.attribute("index")
    assert index is not None and index.is_block
    columns = index.argument("fields")
    assert isinstance(columns, ArrayValue)
    email, name = columns.items
    assert isinstance(email, FunctionValue) and email.arguments[0].name == "sort"
    assert described(email.arguments[0].value) == (ConstantValue, "Desc", span(30, 23, 30, 27))
    assert isinstance(name, FunctionValue)
    ops = name.arguments[0].value
    assert isinstance(ops, FunctionValue) and ops.name == "raw"
    assert described(index.argument("type", position=None)) == (ConstantValue, "Gin", span(30, 69, 30, 72))
    unique = user.attribute("unique")
    assert unique is not None
    where = unique.argument("where", position=None)
    assert isinstance(where, ObjectValue)
    condition = where.member("role")
    assert isinstance(condition, ObjectValue) and described(condition.member("not")) == (
        StringValue,
        "ADMIN",
        span(31, 40, 31, 47),
    )
    assert user.attribute("map") is not None and user.attribute("schema") is not None

    relation = post.fields[2].attribute("relation")
    assert relation is not None and described(relation.argument("onDelete", None)) == (
        ConstantValue,
        "Cascade",
        span(39, 76, 39, 83),
    )
    assert view.attribute("schema") is not None
    assert [(v.name, v.documentation) for v in role.values] == [("USER", None), ("ADMIN", "the boss")]
    assert [f.name for f in profile.fields] == ["bio"]


def test_the_datamodel_of_the_whole_language() -> None:
    model = build_datamodel([parse_schema(WHOLE_LANGUAGE, "/p/schema.prisma")]).to_dmmf()
    user = model["models"][0]
    assert user["dbName"] == "users"
    by_name = {f["name"]: f for f in user["fields"]}
    assert by_name["name"] == {
        "name": "name",
        "dbName": "full_name",
        "kind": "scalar",
        "type": "String",
        "isList": False,
        "isRequired": False,
    }
    assert by_name["createdAt"]["dbName"] == "created_at"
    assert by_name["role"]["kind"] == "enum"
    assert by_name["posts"]["kind"] == "object" and by_name["posts"]["isList"]
    assert by_name["location"]["kind"] == "unsupported"
    assert by_name["location"]["type"] == "geography(Point, 4326)"
    assert [v["name"] for v in model["views"]] == ["UserInfo"]
    assert model["enums"] == [
        {
            "name": "Role",
            "dbName": "roles",
            "values": [{"name": "USER", "dbName": "user"}, {"name": "ADMIN", "dbName": None}],
        }
    ]
    assert model["types"][0]["name"] == "Profile" and model["types"][0]["dbName"] is None


def test_ignored_models_and_fields_are_left_out_as_in_prismas_dmmf() -> None:
    text = "model A {\n  id Int @id\n  old Int @ignore\n}\n\nmodel Legacy {\n  id Int @id\n  @@ignore\n}\n"
    model = build_datamodel([parse_schema(text)]).to_dmmf()
    assert [m["name"] for m in model["models"]] == ["A"]
    assert [f["name"] for f in model["models"][0]["fields"]] == ["id"]


def test_docs_follow_prismas_rules() -> None:
    text = (
        "/// parted from the model by a blank line\n\nmodel A {\n  /// kept across a blank line\n\n"
        "  id Int @id\n  //// four slashes\n  b Int\n}\n"
    )
    block = parse_schema(text).blocks[0]
    assert block.documentation is None
    assert [f.documentation for f in block.fields] == ["kept across a blank line", "/ four slashes"]


# -- encodings and layout ---------------------------------------------------------------------------------------------


def test_crlf_and_lone_cr_line_breaks() -> None:
    crlf = parse_schema("model A {\r\n  id Int @id\r\n  b  String?\r\n}\r\n")
    assert crlf.errors == ()
    assert crlf.blocks[0].fields[1].name_span == span(2, 2, 2, 3)
    assert crlf.blocks[0].span == span(0, 0, 3, 1)
    lone_cr = parse_schema("model A {\r  id Int @id\r  b String\r}\r")
    assert lone_cr.errors == ()
    assert lone_cr.blocks[0].fields[1].type is not None
    assert lone_cr.blocks[0].fields[1].type.span == span(2, 4, 2, 10)


def test_tabs_count_as_one_column() -> None:
    schema = parse_schema("model A {\n\tid\tInt\t@id\n\t\tname\t\tString\n}\n")
    assert schema.errors == ()
    id_field, name = schema.blocks[0].fields
    assert id_field.attributes[0].span == span(1, 8, 1, 11)
    assert name.name_span == span(2, 2, 2, 6)


def test_a_byte_order_mark_is_one_utf16_unit_of_whitespace() -> None:
    schema = parse_schema("\ufeffmodel A {\n  id Int @id\n}\n")
    assert schema.errors == ()
    assert schema.blocks[0].keyword_span == span(0, 1, 0, 6)


def test_utf16_columns_after_emoji_and_cjk() -> None:
    text = 'model Ünïcode {\n  id Int @id @map("😀😀") // 注释 with 😀\n  名前 String @default("東京") @map("x")\n}\n'
    schema = parse_schema(text)
    assert schema.errors == ()
    block = schema.blocks[0]
    assert block.name_span == span(0, 6, 0, 13)
    first, second = block.fields
    # Each emoji is two UTF-16 code units: `"😀😀"` is six units wide.
    assert first.attributes[1].span == span(1, 13, 1, 25)
    assert first.span == span(1, 2, 1, 25)
    assert second.name_span == span(2, 2, 2, 4)
    assert second.attributes[1].span == span(2, 27, 2, 36)
    model = build_datamodel([schema]).to_dmmf()
    assert model["models"][0]["fields"][1]["name"] == "名前"


def test_non_ascii_in_strings_and_comments_is_kept() -> None:
    text = '/// Документация ✓\nmodel A {\n  id Int @id @default("naïve \\u00e9 \\"q\\"") /* ß */\n}\n'
    schema = parse_schema(text)
    assert schema.errors == ()
    assert schema.blocks[0].documentation == "Документация ✓"
    default = schema.blocks[0].fields[0].attribute("default")
    assert default is not None and default.string_argument("value") == 'naïve é "q"'


# -- broken input -----------------------------------------------------------------------------------------------------


def test_a_missing_closing_brace_keeps_both_blocks() -> None:
    schema = parse_schema("model A {\n  id Int @id\n\nmodel B {\n  id Int @id\n}\n")
    assert [b.name for b in schema.blocks] == ["A", "B"]
    assert [f.name for f in schema.blocks[0].fields] == ["id"]
    assert schema.errors[0].message == "`model A` is missing its closing `}`"
    assert schema.errors[0].span == span(0, 0, 0, 7)


def test_a_truncated_file_gives_a_partial_model() -> None:
    schema = parse_schema('model A {\n  id Int @id\n  name String @default("abc')
    block = schema.blocks[0]
    assert [f.name for f in block.fields] == ["id", "name"]
    assert messages(schema) == [
        "unterminated string",
        "expected `)`: arguments must close on the line they open",
        "`model A` is missing its closing `}`",
    ]
    assert schema.errors[0].span == span(2, 23, 2, 27)


def test_binary_garbage_between_blocks_is_skipped() -> None:
    garbage = "\x00\x01\xff\ufffd\x07{{{]]\x1b[31m\n"
    schema = parse_schema(f"model A {{\n  id Int @id\n}}\n{garbage}model B {{\n  id Int @id\n}}\n")
    assert [b.name for b in schema.blocks] == ["A", "B"]
    assert schema.errors and schema.errors[0].span.start == Position(3, 0)


def test_a_missing_opening_brace_is_reported_and_the_next_block_read() -> None:
    schema = parse_schema("model A\n  id Int @id\n}\nenum E {\n  X\n}\n")
    assert [b.name for b in schema.blocks] == ["E"]
    assert schema.errors[0].message == "expected `{` after `model A`"
    assert schema.errors[0].span == span(0, 6, 0, 7)


def test_an_opening_brace_on_the_next_line_is_an_error_but_the_block_is_read() -> None:
    schema = parse_schema("model A\n{\n  id Int @id\n}\n")
    assert [f.name for f in schema.blocks[0].fields] == ["id"]
    assert messages(schema) == ["`{` must be on the same line as `model A`"]


def test_text_after_the_opening_brace_is_ignored_as_prisma_ignores_it() -> None:
    schema = parse_schema("enum E { A\n  B\n}\nmodel M { }\n")
    assert [v.name for v in schema.blocks[0].values] == ["B"]
    assert schema.errors[0].span == span(0, 9, 0, 10)
    assert schema.blocks[1].name == "M" and schema.blocks[1].fields == ()
    assert len(schema.errors) == 2


def test_arguments_never_span_lines() -> None:
    schema = parse_schema("model A {\n  id Int @id @default(now(\n  b Int\n}\n")
    assert [f.name for f in schema.blocks[0].fields] == ["id", "b"]
    assert schema.errors[0].span == span(1, 25, 1, 26)


def test_unterminated_block_comment() -> None:
    schema = parse_schema("model A {\n  id Int @id\n}\n/* never closed\nmodel B {\n}\n")
    assert [b.name for b in schema.blocks] == ["A"]
    assert messages(schema) == ["unterminated block comment: `/*` has no closing `*/`"]
    assert schema.errors[0].span == span(3, 0, 3, 2)


def test_legacy_and_invalid_field_syntax_is_reported_with_ranges() -> None:
    schema = parse_schema(
        'model A {\n  a: Int\n  b [Int]\n  c Int!\n  d Int[]?\n  e\n  f Int @@map("x")\n  g Int @map("a" "b")\n}\n'
    )
    assert [f.name for f in schema.blocks[0].fields] == ["a", "b", "c", "d", "e", "f", "g"]
    assert [(e.message, e.span) for e in schema.errors] == [
        ("field declarations take no `:` between the name and the type", span(1, 3, 1, 4)),
        ("write a list as `Int[]`, not `[Int]`", span(2, 4, 2, 9)),
        ("fields are required by default: `!` is not valid in a field type", span(3, 4, 3, 8)),
        ("a list cannot be optional: use `Type[]` or `Type?`", span(4, 4, 4, 10)),
        ("field `e` has no type", span(5, 2, 5, 3)),
        ("unexpected text at the end of the line", span(6, 8, 6, 18)),
        ("expected `,` between arguments", span(7, 17, 7, 20)),
    ]


def test_type_aliases_are_rejected_as_prisma_rejects_them() -> None:
    schema = parse_schema('type MongoID = String @id @map("_id")\nmodel A {\n  id MongoID\n}\n')
    assert [b.name for b in schema.blocks] == ["A"]
    assert schema.errors[0].span == span(0, 0, 0, 37)
    assert "type aliases" in schema.errors[0].message


def test_every_kind_of_bad_top_level_line() -> None:
    schema = parse_schema("junk line here\nfoo Bar {\n  x y z\n}\nmodel\nmodel A {\n  id Int @id\n}\n")
    assert [b.name for b in schema.blocks] == ["A"]
    assert [e.span.start.line for e in schema.errors] == [0, 1, 4]
    assert schema.errors[2].message == "`model` must be followed by a name and `{`"


def test_empty_and_whitespace_only_input() -> None:
    for text in ("", "\n\n", "   \t", "// only a comment", "/// only docs\n"):
        schema = parse_schema(text)
        assert schema.blocks == () and schema.errors == ()


def test_what_prisma_refuses_inside_a_line() -> None:
    schema = parse_schema(
        'generator c {\n  previewFeatures = ["views",]\n}\nmodel A {\n  id Int @id /* over\n two lines */ @unique\n'
        '  b String @default("a\tb")\n  c Int[ ]\n  d Int /* fine\n  */\n}\n'
    )
    assert [(e.message, e.span) for e in schema.errors] == [
        ("a block comment over several lines cannot sit inside a line", span(4, 13, 4, 15)),
        ("Prisma allows no trailing comma here", span(1, 28, 1, 29)),
        ("a string cannot hold a control character such as a tab: write it as `\\t`", span(6, 20, 6, 25)),
        ("unexpected text at the end of the line", span(7, 7, 7, 10)),
    ]
    assert [f.name for f in schema.blocks[1].fields] == ["id", "b", "c", "d"]


def test_columns_on_a_very_long_non_ascii_line() -> None:
    # One line of 60,000 attributes after an emoji: each column is still exact (and found without rescanning).
    count = 60_000
    schema = parse_schema('model A {\n  é Int @map("😀")' + " @a" * count + "\n}\n")
    attributes = schema.blocks[0].fields[0].attributes
    assert len(attributes) == count + 1
    assert attributes[-1].span == span(1, 3 * count + 16, 1, 3 * count + 18)


def test_values_nested_past_reason_are_reported_not_recursed_into() -> None:
    for opener in ("[", "{a: ", "f("):
        schema = parse_schema("model A {\n  id Int @default(" + opener * 10_000 + ") @unique\n  b Int\n}\n")
        assert [f.name for f in schema.blocks[0].fields] == ["id", "b"]
        assert schema.errors[0].message == "values nested more than 64 deep"
        assert schema.errors[0].span.start.line == 1


def test_a_backslash_at_the_end_of_a_line_does_not_swallow_the_line_break() -> None:
    schema = parse_schema('model A {\r\n  id Int @map("abc\\\r\n  b Int\r\n}\r\n')
    assert [f.name for f in schema.blocks[0].fields] == ["id", "b"]
    assert schema.errors[0].message == "unterminated string"
    assert schema.errors[0].span == span(1, 14, 1, 19)


def test_unicode_escapes_pair_up_as_in_json_and_a_lone_half_is_an_error() -> None:
    schema = parse_schema('model A {\n  id Int @id @map("\\ud83d\\ude00")\n  b Int @map("\\ud800x")\n}\n')
    first, second = schema.blocks[0].fields
    assert first.attributes[1].string_argument("name") == "😀"
    assert second.attributes[0].string_argument("name") == "\ufffdx"
    assert [(e.message, e.span) for e in schema.errors] == [
        ("a `\\u` escape in this string is half of a UTF-16 pair", span(2, 13, 2, 22))
    ]
