"""Prisma's own schema rules in a fifth of the time `prisma validate` takes: `schema_wasm.js` asks the Wasm module
the project's `prisma` package ships (the one its CLI and `generate` read the schema with) without loading the CLI's
bundle, which is most of that second.

Only its "valid" is trusted, and only for the files the CLI would read: the file or folder is found here by the
rules of the installed Prisma's version (5.22, 6.17 and 7 were read), the script reads it as the CLI does, and the
files it read must be the ones the check read (`schema/locate.py`). A "valid" then says what `prisma validate` would
say; anything else (Prisma's errors, a module or a layout not known here) is the CLI's to answer, in its own words
(`prisma_validate.py`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.clients.locate import find_package
from prisma_doctor.json_values import is_array, is_object
from prisma_doctor.package_json import read_package_json
from prisma_doctor.schema.locate import CONFIG_NAMES, DOT_CONFIG_NAMES, SchemaSource, config_schema_entry

SCRIPT = Path(__file__).with_name("schema_wasm.js")
WASM = Path("build", "prisma_schema_build_bg.wasm")
# The oldest Prisma whose module and schema loading were read: it takes the schema as a list of files.
OLDEST = (5, 22)
# From here Prisma reads `prisma.config.ts` and takes a folder as a schema without a preview feature (6.17 was read;
# 6.0 to 6.16 are left to the CLI when either matters).
CONFIG_READ = (6, 17)
# From here `prisma.schema` in package.json is no longer read.
NO_PACKAGE_JSON = (7, 0)
# Before 6, a file whose generator enables this preview feature brings the other files of its folder with it.
FOLDER_PREVIEW = "prismaSchemaFolder"


@dataclass(frozen=True)
class WasmCheck:
    command: list[str]
    # What the check read (real paths): a "valid" for other files says nothing of this schema.
    files: frozenset[Path]

    def says_valid(self, output: str, returncode: int) -> bool:
        """Whether the script answered "valid", for the files the check read (its answer is its last line: a warning
        Node printed may come before it)."""
        lines = output.strip().splitlines()
        if returncode != 0 or not lines:
            return False
        try:
            said: object = json.loads(lines[-1])
        except ValueError:
            return False
        if not is_object(said) or said.get("answer") != "valid":
            return False
        files: object = said.get("files")
        if not is_array(files) or not all(isinstance(f, str) for f in files):
            return False
        return frozenset(_real(Path(f)) for f in files) == self.files


def wasm_check(project: Path, schema_argument: str | None, checked: SchemaSource | None) -> WasmCheck | None:
    """The script's command for this project, or None when it cannot be sure to read what the CLI would (no node, no
    module, a Prisma older than those read, a schema found in a way these rules do not follow)."""
    node = shutil.which("node")
    package = find_package("prisma", project)
    if node is None or package is None or checked is None or not (package / WASM).is_file():
        return None
    version = _version(package)
    if version is None or version < OLDEST:
        return None
    if not engines_at_hand(package, version, checked.files):
        # The CLI makes sure of its engines before `validate` and `generate` alike, downloading those it lacks: a
        # download that cannot be made refuses the repair, and only the CLI shows whether it can (prisma_validate.py).
        return None
    # (A relative `--schema` is the CLI's, run in the project: relative to it.)
    target = project / schema_argument if schema_argument is not None else cli_schema(project, version)
    if target is None or not _read_alike(target, version):
        return None
    files = frozenset(_real(f) for f in checked.files)
    return WasmCheck([node, str(SCRIPT), str(package / WASM), str(target)], files)


# The engine files Prisma's CLI keeps in `@prisma/engines` once downloaded, and the variables that name others.
_SCHEMA_ENGINE = ("schema-engine", ("PRISMA_SCHEMA_ENGINE_BINARY",))
_QUERY_ENGINE = (
    ("libquery_engine", "query-engine", "query_engine"),
    ("PRISMA_QUERY_ENGINE_LIBRARY", "PRISMA_QUERY_ENGINE_BINARY"),
)
_GENERATOR_BLOCK = re.compile(r"^\s*generator\s+\w+\s*\{(.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_JS_CLIENT = re.compile(r"provider\s*=\s*\"prisma-client-js\"")
_CLIENT_ENGINE = re.compile(r"engineType\s*=\s*\"client\"")


def engines_at_hand(package: Path, version: tuple[int, int], files: Iterable[Path]) -> bool:
    """Whether the engines the CLI of `version` wants before it validates or generates are on this machine: the schema
    engine, and before Prisma 7 the query engine of a `prisma-client-js` whose engineType is not "client" (named by
    its variable, or downloaded into `@prisma/engines`). When not sure, False: the CLI is asked."""
    engines = find_package("@prisma/engines", package)
    present: set[str] = {e.name for e in engines.iterdir()} if engines is not None and engines.is_dir() else set()

    def at_hand(prefixes: tuple[str, ...], variables: tuple[str, ...]) -> bool:
        return any(os.environ.get(v) for v in variables) or any(n.startswith(prefixes) for n in present)

    if not at_hand((_SCHEMA_ENGINE[0],), _SCHEMA_ENGINE[1]):
        return False
    if version >= (7, 0):
        return True
    try:
        blocks = [b for f in files for b in _GENERATOR_BLOCK.findall(Path(f).read_text(errors="replace"))]
    except OSError:
        return False
    native = [b for b in blocks if _JS_CLIENT.search(b) and not _CLIENT_ENGINE.search(b)]
    return not native or at_hand(_QUERY_ENGINE[0], _QUERY_ENGINE[1])


def cli_schema(project: Path, version: tuple[int, int]) -> Path | None:
    """The file or folder the project's `prisma validate` reads when run in `project` without `--schema`, by its
    version's rules: `--schema`, the config's `schema` (6 on), package.json's `prisma.schema` (up to 6), then
    `schema.prisma` and `prisma/schema.prisma`. None when the rules cannot be followed here."""
    configs = [project / name for name in (*CONFIG_NAMES, *DOT_CONFIG_NAMES) if (project / name).is_file()]
    if configs and version >= (6, 0):
        if version < CONFIG_READ or len(configs) > 1:
            return None
        names, declared = config_schema_entry(configs[0])
        if names:
            return project / declared if declared is not None else None
    if version < NO_PACKAGE_JSON:
        prisma = (read_package_json(project) or {}).get("prisma")
        declared: object = prisma.get("schema") if is_object(prisma) else None
        if declared is not None:
            return project / declared if isinstance(declared, str) and declared else None
    return next((p for p in (project / "schema.prisma", project / "prisma" / "schema.prisma") if p.is_file()), None)


def _read_alike(target: Path, version: tuple[int, int]) -> bool:
    """Whether the CLI of `version` reads `target` as the script does: a file alone, a folder whole."""
    if target.is_dir():
        return version >= CONFIG_READ
    if not target.is_file():
        return False
    if version >= CONFIG_READ:
        return True
    try:
        return FOLDER_PREVIEW not in target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def _version(package: Path) -> tuple[int, int] | None:
    found = re.match(r"(\d+)\.(\d+)\.", str((read_package_json(package) or {}).get("version", "")))
    return (int(found[1]), int(found[2])) if found else None


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path
