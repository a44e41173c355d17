"""Where a project's schema lives, as Prisma resolves it, on real temporary projects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prisma_doctor.schema.locate import SchemaNotFound, load_schema, load_schema_at, locate_schema
from tests.helpers import doctor

MODEL = "model {name} {{\n  id Int @id\n}}\n"
DATASOURCE = 'datasource db {\n  provider = "sqlite"\n}\n'
GENERATOR = 'generator client {\n  provider = "prisma-client-js"\n}\n'


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_explicit_schema_file_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Default"))
    custom = write(tmp_path, "db/custom.prisma", MODEL.format(name="Custom"))
    monkeypatch.chdir(tmp_path)
    source = locate_schema(tmp_path, Path("db/custom.prisma"))
    assert source.files == (custom,) and source.origin == "--schema"


def test_config_file_names_a_file(tmp_path: Path) -> None:
    write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Default"))
    custom = write(tmp_path, "database/main.prisma", MODEL.format(name="Custom"))
    write(
        tmp_path,
        "prisma.config.ts",
        'import { defineConfig } from "prisma/config";\n// schema: "wrong.prisma"\n'
        'export default defineConfig({\n  schema: "database/main.prisma",\n  migrations: { path: "db/m" },\n});\n',
    )
    source = locate_schema(tmp_path)
    assert source.files == (custom,)
    assert source.config_file == tmp_path / "prisma.config.ts"


def test_config_file_names_a_folder_with_path_join(tmp_path: Path) -> None:
    write(tmp_path, "db/schema/models/user.prisma", MODEL.format(name="User"))
    main = write(tmp_path, "db/schema/main.prisma", DATASOURCE + GENERATOR)
    write(
        tmp_path,
        "prisma.config.ts",
        'import path from "node:path";\nexport default {\n  schema: path.join(__dirname, "db", "schema"),\n};\n',
    )
    source = locate_schema(tmp_path)
    assert source.files == (main, tmp_path / "db/schema/models/user.prisma")
    assert source.main_file == main and source.schema_dir == main.parent


def test_config_without_a_schema_entry_falls_back_to_the_defaults(tmp_path: Path) -> None:
    default = write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Default"))
    write(tmp_path, "prisma.config.ts", "export default { migrations: { seed: 'tsx seed.ts' } }\n")
    assert locate_schema(tmp_path).files == (default,)


def test_package_json_prisma_schema(tmp_path: Path) -> None:
    write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Default"))
    custom = write(tmp_path, "src/db.prisma", MODEL.format(name="Custom"))
    write(tmp_path, "package.json", json.dumps({"name": "x", "prisma": {"schema": "src/db.prisma"}}))
    source = locate_schema(tmp_path)
    assert source.files == (custom,) and "package.json" in source.origin


def test_a_package_json_that_is_not_json_is_passed_over(tmp_path: Path) -> None:
    default = write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Default"))
    write(tmp_path, "package.json", "{ not json")
    assert locate_schema(tmp_path).files == (default,)


def test_root_schema_prisma_comes_before_prisma_folder(tmp_path: Path) -> None:
    root_schema = write(tmp_path, "schema.prisma", MODEL.format(name="Root"))
    write(tmp_path, "prisma/schema.prisma", MODEL.format(name="Nested"))
    assert locate_schema(tmp_path).files == (root_schema,)


def test_multi_file_folder_with_nested_folders_in_prismas_order(tmp_path: Path) -> None:
    names = ["b.prisma", "a/z.prisma", "a-b.prisma", "a/b/c.prisma", "C.prisma", "notes.txt"]
    for name in names:
        write(tmp_path, f"prisma/schema/{name}", MODEL.format(name=Path(name).stem.replace("-", "_").upper()))
    write(tmp_path, "prisma/schema/node_modules/pkg/schema.prisma", MODEL.format(name="Ignored"))
    config = write(tmp_path, "prisma/schema/sub/config.prisma", DATASOURCE)
    source = locate_schema(tmp_path)
    folder = tmp_path / "prisma/schema"
    assert [p.relative_to(folder).as_posix() for p in source.files] == [
        "C.prisma",
        "a/b/c.prisma",
        "a/z.prisma",
        "a-b.prisma",
        "b.prisma",
        "sub/config.prisma",
    ]
    assert source.main_file == config
    loaded = load_schema(source)
    assert [m.name for m in loaded.datamodel.models] == ["C", "C", "Z", "A_B", "B"]


def test_a_single_file_and_a_folder_side_by_side_is_refused_as_prisma_refuses_it(tmp_path: Path) -> None:
    write(tmp_path, "prisma/schema.prisma", MODEL.format(name="A"))
    write(tmp_path, "prisma/schema/b.prisma", MODEL.format(name="B"))
    with pytest.raises(SchemaNotFound, match="both"):
        locate_schema(tmp_path)


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(SchemaNotFound, match=r"prisma\.config\.ts.*prisma/schema/"):
        locate_schema(tmp_path)
    write(tmp_path, "prisma.config.ts", 'export default { schema: "missing/schema.prisma" }\n')
    with pytest.raises(SchemaNotFound, match="does not exist"):
        locate_schema(tmp_path)


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_link_loop_in_a_schema_folder_ends(tmp_path: Path) -> None:
    model = write(tmp_path, "prisma/schema/a.prisma", MODEL.format(name="A"))
    (tmp_path / "prisma/schema/loop").symlink_to(tmp_path / "prisma/schema", target_is_directory=True)
    assert locate_schema(tmp_path).files == (model,)


def test_unreadable_bytes_are_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "schema.prisma"
    path.write_bytes(b'\xef\xbb\xbfmodel A {\n  id Int @id\n  n String @default("\xff\xfe")\n}\n\x00\x00')
    loaded = load_schema_at(path)
    assert [m.name for m in loaded.datamodel.models] == ["A"]
    assert loaded.read_errors and "NUL" in loaded.read_errors[0]
    # The byte order mark is gone: the keyword starts at column 0.
    assert loaded.files[0].blocks[0].keyword_span.start.character == 0


def test_the_schema_command_as_a_process(tmp_path: Path) -> None:
    schema = write(tmp_path, "schema.prisma", 'model A {\n  id Int @id\n  b String? @map("bee")\n}\n')
    done = doctor("schema", str(schema), "--json", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1, "piped, the datamodel is one line of JSON"
    fields = json.loads(done.stdout)["models"][0]["fields"]
    assert fields[1] == {
        "name": "b",
        "dbName": "bee",
        "kind": "scalar",
        "type": "String",
        "isList": False,
        "isRequired": False,
    }
    missing = doctor("schema", str(tmp_path / "nope.prisma"), timeout=60)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr
    broken = write(tmp_path, "broken.prisma", "model A {\n  id Int @id\n")
    done = doctor("schema", str(broken), timeout=60)
    assert done.returncode == 1 and f"{broken}:1:1: error: `model A` is missing its closing `}}`" in done.stderr


def test_the_schema_command_on_a_console_that_cannot_show_the_names(tmp_path: Path) -> None:
    schema = write(tmp_path, "schema.prisma", 'model 名前 {\n  id Int @id @map("😀")\n}\n')
    done = doctor("schema", str(schema), env={"PYTHONIOENCODING": "cp1252"}, text=False, timeout=60)
    assert done.returncode == 0, done.stderr
    model = json.loads(done.stdout)["models"][0]
    assert model["name"] == "名前" and model["fields"][0]["dbName"] == "😀"


@pytest.mark.parametrize(
    ("config", "entry"),
    [
        ('export default defineConfig({ schema: "db/schema.prisma" })\n', (True, "db/schema.prisma")),
        ('export default {\n  schema: path.join(__dirname, "db", "schema"),\n}\n', (True, "db/schema")),
        ('export default { migrations: { path: "db/migrations" } }\n', (False, None)),
        ('// schema: "old.prisma"\nexport default {}\n', (False, None)),
        ('export default { schema: "db/" + name }\n', (True, None)),
        ("export default { schema: process.env.SCHEMA }\n", (True, None)),
        ('export default ci ? { schema: "a.prisma" } : { schema: "b.prisma" }\n', (True, None)),
    ],
)
def test_a_config_s_schema_entry_is_read_only_when_read_whole(
    config: str, entry: tuple[bool, str | None], tmp_path: Path
) -> None:
    """What the repair's quick check of a schema relies on: a path it reads is the one Prisma's evaluation of the
    config gives; any other entry is said to be there, unread."""
    from prisma_doctor.schema.locate import config_schema_entry

    (tmp_path / "prisma.config.ts").write_text(config)
    assert config_schema_entry(tmp_path / "prisma.config.ts") == entry
