"""Where a project's schema lives, resolved in the order Prisma itself uses, and reading it safely.

Order: an explicit `--schema`, the `schema` entry of `prisma.config.ts` (or .js/.mjs/.cjs/.mts/.cts), the
`prisma.schema` key of package.json, `prisma/schema.prisma`, `schema.prisma`, then a multi-file folder
`prisma/schema/`. A path that names a folder means every `.prisma` file below it (multi-file schemas).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import SchemaFile, SyntaxError_

CONFIG_NAMES = tuple(f"prisma.config.{ext}" for ext in ("ts", "mts", "cts", "js", "mjs", "cjs"))
# Generous: a schema of several MB is already absurd; beyond this we refuse rather than stall the editor.
MAX_SCHEMA_BYTES = 16 * 1024 * 1024
_CONFIG_SCHEMA = re.compile(r"""\bschema\s*:\s*(?:path\.(?:join|resolve)\([^)]*?)?['"`]([^'"`]+)['"`]""")


class SchemaNotFound(Exception):
    """No schema could be found or read for a project; the message says where we looked."""


@dataclass(frozen=True)
class SchemaSource:
    """The files that make up one schema, and how they were found."""

    files: tuple[Path, ...]
    origin: str
    config_file: Path | None = None

    @property
    def main_file(self) -> Path:
        return self.files[0]

    @property
    def schema_dir(self) -> Path:
        """The folder that relative paths in the schema (a generator's `output`) resolve against."""
        return self.files[0].parent


@dataclass(frozen=True)
class LoadedSchema:
    source: SchemaSource
    files: tuple[SchemaFile, ...]
    datamodel: Datamodel
    # Problems reading the files themselves (encoding, binary content), beside each file's syntax errors.
    read_errors: tuple[str, ...] = ()

    @property
    def syntax_errors(self) -> list[tuple[str, SyntaxError_]]:
        return [(f.path, e) for f in self.files for e in f.errors]

    def blocks_of(self, kind: str) -> list[tuple[str, object]]:
        return [(f.path, b) for f in self.files for b in f.blocks if b.kind == kind]


def locate_schema(project_root: Path, explicit: Path | None = None) -> SchemaSource:
    root = project_root.resolve()
    if explicit is not None:
        target = explicit if explicit.is_absolute() else (Path.cwd() / explicit)
        return _source_from_path(target, "--schema")
    for name in CONFIG_NAMES:
        config = root / name
        if config.is_file():
            declared = _schema_from_config(config)
            if declared is not None:
                return _source_from_path(config.parent / declared, f"{name} `schema`", config)
    package_json = root / "package.json"
    declared = _schema_from_package_json(package_json)
    if declared is not None:
        return _source_from_path(root / declared, "package.json `prisma.schema`")
    for candidate, origin in (
        (root / "prisma" / "schema.prisma", "prisma/schema.prisma"),
        (root / "schema.prisma", "schema.prisma"),
    ):
        if candidate.is_file():
            return SchemaSource((candidate,), origin)
    folder = root / "prisma" / "schema"
    if folder.is_dir():
        return _source_from_path(folder, "prisma/schema/")
    raise SchemaNotFound(
        f"no Prisma schema in {root}: looked for prisma.config.ts, package.json `prisma.schema`, "
        "prisma/schema.prisma, schema.prisma and prisma/schema/"
    )


def _source_from_path(target: Path, origin: str, config: Path | None = None) -> SchemaSource:
    if target.is_dir():
        files = tuple(sorted(_prisma_files(target)))
        if not files:
            raise SchemaNotFound(f"{target} ({origin}) holds no .prisma file")
        # Prisma reads the generator and datasource from whichever file has them; put that file first so that
        # relative generator outputs resolve against the right folder.
        files = tuple(sorted(files, key=lambda f: (not _declares_config(f), str(f))))
        return SchemaSource(files, origin, config)
    if target.is_file():
        return SchemaSource((target,), origin, config)
    raise SchemaNotFound(f"{target} ({origin}) does not exist")


def _prisma_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for path in folder.rglob("*.prisma"):
        if "node_modules" in path.parts or not path.is_file():
            continue
        found.append(path)
    return found


def _declares_config(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^\s*(generator|datasource)\s+\w+\s*\{", head, re.MULTILINE) is not None


def _schema_from_config(config: Path) -> str | None:
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # A regular expression, not a TypeScript evaluator: the `schema:` entry is a string literal in every config
    # Prisma's docs show. A computed path is not read, and we fall back to the defaults as Prisma would not.
    match = _CONFIG_SCHEMA.search(_strip_js_comments(text))
    return match.group(1) if match else None


def _strip_js_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return re.sub(r"(?m)^\s*//.*$", "", text)


def _schema_from_package_json(package_json: Path) -> str | None:
    try:
        data = json.loads(package_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    prisma = data.get("prisma") if isinstance(data, dict) else None
    schema = prisma.get("schema") if isinstance(prisma, dict) else None
    return schema if isinstance(schema, str) and schema else None


def read_schema_text(path: Path) -> tuple[str, str | None]:
    """The text of a schema file and, when it was not clean UTF-8 text, a sentence saying what was wrong."""
    data = path.read_bytes()[: MAX_SCHEMA_BYTES + 1]
    problem: str | None = None
    if len(data) > MAX_SCHEMA_BYTES:
        data = data[:MAX_SCHEMA_BYTES]
        problem = f"{path} is larger than {MAX_SCHEMA_BYTES // (1024 * 1024)} MiB; only the start was read"
    if b"\0" in data:
        problem = f"{path} contains binary data (NUL bytes); read what could be read"
        data = data.replace(b"\0", b" ")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        problem = problem or f"{path} is not valid UTF-8 (byte {error.start}); undecodable bytes were replaced"
    return text, problem


def load_schema(source: SchemaSource, overrides: dict[str, str] | None = None) -> LoadedSchema:
    """Parse every file of a schema. `overrides` maps a file path to unsaved editor text."""
    overrides = overrides or {}
    files: list[SchemaFile] = []
    problems: list[str] = []
    for path in source.files:
        key = str(path)
        if key in overrides:
            text = overrides[key]
        else:
            try:
                text, problem = read_schema_text(path)
            except OSError as error:
                problems.append(f"cannot read {path}: {error.strerror or error}")
                continue
            if problem:
                problems.append(problem)
        files.append(parse_schema(text, key))
    return LoadedSchema(source, tuple(files), build_datamodel(files), tuple(problems))


def load_schema_at(path: Path) -> LoadedSchema:
    """A schema file or folder named directly (the `schema` command)."""
    return load_schema(_source_from_path(path.resolve(), "argument"))
