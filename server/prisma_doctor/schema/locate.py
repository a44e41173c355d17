"""Where a project's schema lives, resolved in the order Prisma itself uses, and reading it safely.

Order: an explicit `--schema`, the `schema` entry of `prisma.config.ts` (or .js/.mjs/.cjs/.mts/.cts, or
`.config/prisma.ts`), the `prisma.schema` key of package.json (Prisma 6 and earlier), then the default places
`schema.prisma`, `prisma/schema.prisma` and the multi-file folder `prisma/schema/` (having both of the last two is
an error, as it is for Prisma). A path that names a folder means every `.prisma` file below it, read in Prisma's
order: a depth-first walk with each folder's entries sorted by name. The migrations folder is the config's
`migrations.path` when it names one, else `migrations` beside the schema file that declares the datasource.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.json_values import is_object
from prisma_doctor.package_json import read_package_json
from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.edited import parse_edited
from prisma_doctor.schema.syntax import Block, Record, SchemaFile, SyntaxError_
from prisma_doctor.schema.validate import validate_schema
from prisma_doctor.snapshot import real_path

_CONFIG_EXTENSIONS = ("ts", "mts", "cts", "js", "mjs", "cjs")
CONFIG_NAMES = tuple(f"prisma.config.{ext}" for ext in _CONFIG_EXTENSIONS)
# The `.config/` folder proposal that Prisma also reads; a relative schema path there is relative to the project.
DOT_CONFIG_NAMES = tuple(f".config/prisma.{ext}" for ext in _CONFIG_EXTENSIONS)
# Beyond this, only the start of a schema file is read. The largest of the corpus' 361 real schemas is 114 KB. A
# parse keeps some 40 bytes per byte of a valid schema and 130 of one full of errors, and the language server holds
# two while a check replaces the one before: a 22 MB document of errors, read whole, took it past 2.5 GB; 2 MiB of
# one takes it to some 550 MB.
MAX_SCHEMA_BYTES = 2 * 1024 * 1024
# `schema: "prisma/schema.prisma"`, or `schema: path.join(__dirname, "prisma", "schema")` (also `resolve`, and
# `import.meta.dirname`): the two forms Prisma's docs and templates use.
_PATH_VALUE = r"""(?:(?P<literal>'[^'\n]*'|"[^"\n]*"|`[^`$\n]*`)|(?:path\.)?(?:join|resolve)\((?P<parts>[^()]*)\))"""
_CONFIG_SCHEMA = re.compile(r"""(?<![\w$.])['"]?schema['"]?\s*:\s*""" + _PATH_VALUE)
# `migrations: { path: "prisma/migrations", seed: "..." }`, in the same two forms.
_CONFIG_MIGRATIONS = re.compile(
    r"""(?<![\w$.])['"]?migrations['"]?\s*:\s*\{[^{}]*?(?<![\w$.])['"]?path['"]?\s*:\s*""" + _PATH_VALUE
)
# Any `schema:` key, however its value is written.
_SCHEMA_KEY = re.compile(r"""(?<![\w$.])['"]?schema['"]?\s*:""")
_STRING = re.compile(r"""'([^'\n]*)'|"([^"\n]*)"|`([^`$\n]*)`""")
_BASE_DIRS = frozenset({"__dirname", "import.meta.dirname"})


class SchemaNotFound(Exception):
    """No schema could be found or read for a project; the message says where we looked."""


class SchemaSource(Record):
    """The files that make up one schema, and how they were found.

    `main` is the file that declares the datasource or a generator (for a folder), else the first file;
    `config_file` the config Prisma loads (`prisma.config.ts`), when the project has one; `migrations` the folder
    that config names in `migrations.path`, if it names one. (A plain class rather than a dataclass, as the syntax
    tree: see syntax.py.)
    """

    __slots__ = ("config_file", "files", "main", "migrations", "origin")
    FIELDS = ("files", "origin", "config_file", "main", "migrations")

    def __init__(
        self,
        files: tuple[Path, ...],
        origin: str,
        config_file: Path | None = None,
        main: Path | None = None,
        migrations: Path | None = None,
    ) -> None:
        self.files = files
        self.origin = origin
        self.config_file = config_file
        self.main = main
        self.migrations = migrations

    @property
    def main_file(self) -> Path:
        return self.main or self.files[0]

    @property
    def schema_dir(self) -> Path:
        """The folder that relative paths in the schema (a generator's `output`) resolve against."""
        return self.main_file.parent

    @property
    def migrations_dir(self) -> Path:
        """Where Prisma keeps the migrations: the config's `migrations.path`, else `migrations` beside the schema
        file that declares the datasource."""
        return self.migrations or self.schema_dir / "migrations"


class LoadedSchema(Record):
    """A schema read: `read_errors` are problems reading the files themselves (encoding, binary content), beside
    each file's syntax errors; `validation_errors` problems of meaning across the files (see validate.py)."""

    __slots__ = ("datamodel", "files", "read_errors", "source", "validation_errors")
    FIELDS = ("source", "files", "datamodel", "read_errors", "validation_errors")

    def __init__(
        self,
        source: SchemaSource,
        files: tuple[SchemaFile, ...],
        datamodel: Datamodel,
        read_errors: tuple[str, ...] = (),
        validation_errors: tuple[tuple[str, SyntaxError_], ...] = (),
    ) -> None:
        self.source = source
        self.files = files
        self.datamodel = datamodel
        self.read_errors = read_errors
        self.validation_errors = validation_errors

    @property
    def syntax_errors(self) -> list[tuple[str, SyntaxError_]]:
        return [(f.path, e) for f in self.files for e in f.errors]

    def blocks_of(self, kind: str) -> list[tuple[str, Block]]:
        return [(f.path, b) for f in self.files for b in f.blocks if b.kind == kind]


def locate_schema(project_root: Path, explicit: Path | None = None) -> SchemaSource:
    root = real_path(project_root)
    source = _locate(root, explicit)
    # Prisma loads the config of the folder it runs in, whichever way the schema was found.
    source.config_file = source.config_file or next(
        (root / n for n in (*CONFIG_NAMES, *DOT_CONFIG_NAMES) if (root / n).is_file()), None
    )
    if source.config_file is not None:
        declared = _path_from_config(source.config_file, _CONFIG_MIGRATIONS)
        source.migrations = _config_base(root, source.config_file) / declared if declared is not None else None
    return source


def _config_base(root: Path, config: Path) -> Path:
    """What relative paths in a config are relative to: its folder, or the project for `.config/prisma.ts`."""
    return root if config.parent.name == ".config" and config.parent.parent == root else config.parent


def _locate(root: Path, explicit: Path | None) -> SchemaSource:
    if explicit is not None:
        target = explicit if explicit.is_absolute() else (Path.cwd() / explicit)
        return _whole_schema(root, _source_from_path(target, "--schema"))
    for name in (*CONFIG_NAMES, *DOT_CONFIG_NAMES):
        config = root / name
        if config.is_file():
            declared = _path_from_config(config, _CONFIG_SCHEMA)
            if declared is not None:
                return _source_from_path(_config_base(root, config) / declared, f"{name} `schema`", config)
    package_json = root / "package.json"
    declared = _schema_from_package_json(package_json)
    if declared is not None:
        return _source_from_path(root / declared, "package.json `prisma.schema`")
    if (root / "schema.prisma").is_file():
        return SchemaSource((root / "schema.prisma",), "schema.prisma")
    single, folder = root / "prisma" / "schema.prisma", root / "prisma" / "schema"
    if single.is_file() and folder.is_dir() and _prisma_files(folder):
        raise SchemaNotFound(
            f"found Prisma schemas at both {single} and {folder}; Prisma refuses to choose: remove one, or name one "
            "with `schema` in prisma.config.ts"
        )
    if single.is_file():
        return SchemaSource((single,), "prisma/schema.prisma")
    if folder.is_dir():
        return _source_from_path(folder, "prisma/schema/")
    raise SchemaNotFound(
        f"no Prisma schema in {root}: looked for prisma.config.ts, package.json `prisma.schema`, schema.prisma, "
        "prisma/schema.prisma and prisma/schema/"
    )


def _whole_schema(root: Path, given: SchemaSource) -> SchemaSource:
    """A file given that is one of the project's schema folder stands for the whole folder, as Prisma's language
    tools read it (its CLI would read the file alone, and fail or generate a client without the other files' models).
    """
    if len(given.files) != 1:
        return given
    try:
        project = _locate(root, None)
    except SchemaNotFound:
        return given
    file = given.files[0].resolve()
    if len(project.files) < 2 or file not in {f.resolve() for f in project.files}:
        return given
    folder = os.path.commonpath([str(f.parent) for f in project.files])
    origin = f"--schema {given.files[0]}, one file of the schema folder {folder}: the whole folder is read"
    return SchemaSource(project.files, origin, project.config_file, project.main)


def _source_from_path(target: Path, origin: str, config: Path | None = None) -> SchemaSource:
    if target.is_dir():
        files = tuple(_prisma_files(target))
        if not files:
            raise SchemaNotFound(f"{target} ({origin}) holds no .prisma file")
        # Prisma takes the generators and the datasource from whichever file has them: relative generator
        # outputs resolve against that file's folder.
        main = next((f for f in files if _declares_config(f)), files[0])
        return SchemaSource(files, origin, config, main)
    if target.is_file():
        return SchemaSource((target,), origin, config)
    raise SchemaNotFound(f"{target} ({origin}) {_why_not_a_schema(target)}")


def _why_not_a_schema(target: Path) -> str:
    """Why a path that is neither a file nor a folder cannot be a schema: it is missing, a dangling link, or a
    special file (a FIFO would block the read until someone writes to it; `/dev/null` reads as nothing)."""
    try:
        mode = target.stat().st_mode
    except OSError:
        if target.is_symlink():
            return f"is a link to {os.readlink(target)}, which does not exist"
        return "does not exist"
    return f"is not a regular file but {project_files.kind_of(mode)}; give a .prisma file or a folder of them"


def _prisma_files(folder: Path, seen: set[Path] | None = None) -> list[Path]:
    """Every `.prisma` file below `folder` in Prisma's order, following links but never around a loop."""
    seen = set() if seen is None else seen
    try:
        real = folder.resolve()
        if real in seen:
            return []
        seen.add(real)
        entries = sorted(folder.iterdir(), key=lambda p: p.name.encode("utf-8", "surrogateescape"))
    except OSError:
        return []
    found: list[Path] = []
    for entry in entries:
        try:
            if entry.is_dir():
                # Installed packages are never part of a schema, and a generated client's copy would clash.
                if entry.name != "node_modules":
                    found.extend(_prisma_files(entry, seen))
            elif entry.suffix == ".prisma" and entry.is_file():
                found.append(entry)
        except OSError:
            continue
    return found


def _declares_config(path: Path) -> bool:
    try:
        head = project_files.read_text(path)
    except OSError:
        return False
    return re.search(r"^\s*(generator|datasource)\s+\w+\s*\{", head, re.MULTILINE) is not None


def _path_from_config(config: Path, entry: re.Pattern[str]) -> str | None:
    """The path a config gives to `entry` (`schema:`, `migrations: { path: }`), as written."""
    try:
        text = project_files.read_text(config)
    except OSError:
        return None
    # A regular expression, not a TypeScript evaluator: a path is a string literal or a path.join of literals in
    # every config Prisma's docs show. A path computed otherwise is not read: the defaults apply.
    match = entry.search(blank_js_comments(text))
    if match is None:
        return None
    if match.group("literal") is not None:
        return match.group("literal")[1:-1] or None
    parts: list[str] = []
    for argument in match.group("parts").split(","):
        argument = argument.strip()
        literal = _STRING.fullmatch(argument)
        if literal is not None:
            parts.append(next(group for group in literal.groups() if group is not None))
        elif argument not in _BASE_DIRS:
            return None
    return "/".join(parts) or None


def config_schema_entry(config: Path) -> tuple[bool, str | None]:
    """Whether a config's code has a `schema:` entry, and the path it gives when this module reads that entry whole:
    the only one, a literal or a path.join of literals with nothing after it. A path computed otherwise (`"a" + b`,
    a variable) is one only Prisma's evaluation of the config knows: (True, None)."""
    try:
        text = blank_js_comments(project_files.read_text(config))
    except OSError:
        return True, None
    keys = _SCHEMA_KEY.findall(text)
    if not keys:
        return False, None
    match = _CONFIG_SCHEMA.search(text)
    if len(keys) != 1 or match is None or re.match(r"\s*(?:[,}]|$)", text[match.end() :]) is None:
        return True, None
    return True, _path_from_config(config, _CONFIG_SCHEMA)


def blank_js_comments(text: str) -> str:
    """A config's text with its comments blanked (offsets kept, for a finding's range): what a comment says is not
    what the config does."""
    text = re.sub(r"/\*.*?\*/", _blank, text, flags=re.DOTALL)
    return re.sub(r"(?m)(?:^|(?<=\s))//.*$", _blank, text)


def _blank(match: re.Match[str]) -> str:
    return re.sub(r"[^\n]", " ", match.group())


def _schema_from_package_json(package_json: Path) -> str | None:
    data = read_package_json(package_json.parent) or {}
    prisma = data.get("prisma")
    schema = prisma.get("schema") if is_object(prisma) else None
    return schema if isinstance(schema, str) and schema else None


# The byte order mark some Windows editors write at the start of a UTF-8 file.
BOM = "\ufeff"


def read_schema_text(path: Path) -> tuple[str, str | None]:
    """The text of a schema file and, when it was not clean UTF-8 text, a sentence saying what was wrong. A byte
    order mark at the start is kept (as U+FEFF): Prisma refuses it, so `load_schema` must see it."""
    data = project_files.read_bytes(
        path, MAX_SCHEMA_BYTES + 1
    )  # (not the whole of a huge file, to keep only its start)
    problem: str | None = None
    if len(data) > MAX_SCHEMA_BYTES:
        data = data[:MAX_SCHEMA_BYTES]
        problem = _only_the_start(path)
    if b"\0" in data:
        problem = f"{path} contains binary data (NUL bytes); read what could be read"
        data = data.replace(b"\0", b" ")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        problem = problem or f"{path} is not valid UTF-8 (byte {error.start}); undecodable bytes were replaced"
    return text, problem


def _only_the_start(path: Path) -> str:
    return f"{path} is larger than {MAX_SCHEMA_BYTES // (1024 * 1024)} MiB; only the start was read"


def load_schema(
    source: SchemaSource, overrides: dict[str, str] | None = None, earlier: LoadedSchema | None = None
) -> LoadedSchema:
    """Parse every file of a schema. `overrides` maps a file path to unsaved editor text. `earlier`: the same
    schema's last reading, whose blocks before each file's first change are reused (`edited.parse_edited`)."""
    overrides = overrides or {}
    before = {f.path: f for f in earlier.files} if earlier is not None else {}
    files: list[SchemaFile] = []
    problems: list[str] = []
    refused: list[tuple[str, SyntaxError_]] = []
    for path in source.files:
        key = str(path)
        if key in overrides:
            # An editor's text is held to the same limit as a file: a 22 MB document of errors went whole to the
            # parser. Counted in characters, each a byte or more.
            text = overrides[key]
            if len(text) > MAX_SCHEMA_BYTES:
                text = text[:MAX_SCHEMA_BYTES]
                problems.append(_only_the_start(path))
        else:
            try:
                text, problem = read_schema_text(path)
            except OSError as error:
                problems.append(f"cannot read {path}: {error.strerror or error}")
                continue
            if problem:
                problems.append(problem)
        if text.startswith(BOM):
            refused.append((key, _bom_refused()))
            text = text[len(BOM) :]  # (positions as an editor counts them: it hides the mark)
        files.append(parse_edited(text, key, before.get(key)))
    refused.extend(validate_schema(files))
    return LoadedSchema(source, tuple(files), build_datamodel(files), tuple(problems), tuple(refused))


def _bom_refused() -> SyntaxError_:
    from prisma_doctor.findings import Span

    # Prisma 5.22, 6.17 and 7.10 alike read the mark as a line no keyword begins: P1012 "This line is invalid".
    return SyntaxError_(
        'the file starts with a UTF-8 byte order mark (BOM), which Prisma does not accept (P1012 "This line is '
        'invalid"); save it as UTF-8 without BOM',
        Span.at(0),
    )


def load_schema_at(path: Path) -> LoadedSchema:
    """A schema file or folder named directly (the `schema` command)."""
    return load_schema(_source_from_path(path.resolve(), "argument"))
