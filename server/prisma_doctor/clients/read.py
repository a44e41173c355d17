"""What a generated client was built from: its version, generation time and datamodel.

Both generators embed the schema they were generated from as `inlineSchema` in a `config` object: in `index.js`
for `prisma-client-js`, in `internal/class.ts` for `prisma-client`. That text is the merged, reformatted schema
(Prisma 5.14+), so we parse it with our own parser and compare datamodels, never bytes. The
`runtimeDataModel` beside it is pruned in Prisma 6+ (no optionality or list-ness) and is not enough on its own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.clients.engine import EngineNeed, engine_need
from prisma_doctor.clients.locate import TS_OUTPUT_EXTENSIONS, string_property
from prisma_doctor.json_values import json_after
from prisma_doctor.package_json import read_package_json
from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.parser import parse_schema
from prisma_doctor.schema.syntax import SchemaFile

# The files that hold the config object, in the order they are tried.
CONFIG_FILES = ("index.js", *(f"internal/class.{extension}" for extension in TS_OUTPUT_EXTENSIONS))
_INLINE_SCHEMA = re.compile(r'"?inlineSchema"?\s*:\s*(?=")')
_CLIENT_VERSION = re.compile(r'"?clientVersion"?\s*:\s*"([^"]+)"')
# Prisma 5 and 6 record the schema file a client was generated from; Prisma 7 does not.
_SOURCE_FILE = re.compile(r'"?sourceFilePath"?\s*:\s*(?=")')
_ENGINE_LIBRARY = re.compile(r"^(lib)?query_engine[-_].*\.(node|dll\.node|so\.node|dylib\.node)$")
# A client's config file is small for small schemas but can reach several MB; never read more than this.
MAX_CONFIG_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedGenerator:
    """A generator block as the client's embedded schema has it: the generator that wrote it names its output."""

    name: str
    provider: str
    output: str | None


@dataclass(frozen=True)
class GeneratedClient:
    """One generated client folder, as found on disk."""

    path: Path
    config_file: Path
    version: str | None
    generated_at: datetime
    inline_schema: str
    datamodel: Datamodel
    engine_files: tuple[Path, ...] = ()
    generators: tuple[EmbeddedGenerator, ...] = ()
    # The schema file it was generated from, when the client records it (Prisma 5 and 6).
    source_schema: Path | None = None
    # The native query engine it loads at run time, when it loads one (clients/engine.py).
    engine: EngineNeed | None = None
    # The datasource provider it was built for (`sqlite`): the client's queries and types are that database's.
    datasource_provider: str | None = None


class ClientUnreadable(Exception):
    """The folder exists but holds no generated client we can read (an install stub, a partial write)."""


def read_client(folder: Path) -> GeneratedClient:
    """The client in `folder`; read once per version of its config file (the editor re-checks on every edit of
    the schema, while the client only changes when it is regenerated)."""
    config_file = next((folder / name for name in CONFIG_FILES if (folder / name).is_file()), None)
    if config_file is None:
        raise ClientUnreadable(f"{folder} has no generated client (none of {', '.join(CONFIG_FILES)})")
    try:
        stat = config_file.stat()
    except OSError as error:
        raise ClientUnreadable(f"cannot read {config_file}: {error.strerror or error}") from error
    key = (str(config_file), stat.st_mtime_ns, stat.st_size, stat.st_ino)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _read_client(folder, config_file, stat)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = cached
    return cached


_CACHE: dict[tuple[str, int, int, int], GeneratedClient] = {}
_CACHE_SIZE = 32


def _read_client(folder: Path, config_file: Path, stat: os.stat_result) -> GeneratedClient:
    try:
        text = project_files.read_text(config_file, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ClientUnreadable(f"cannot read {config_file}: {error.strerror or error}") from error
    inline_schema = _inline_schema(text)
    if inline_schema is None:
        if "did not initialize yet" in text:
            raise ClientUnreadable(f"{folder} holds only the placeholder that `npm install` writes: never generated")
        raise ClientUnreadable(f"{config_file} has no embedded schema (`inlineSchema`)")
    version_match = _CLIENT_VERSION.search(text)
    schema_file = parse_schema(inline_schema, str(folder / "schema.prisma"))
    return GeneratedClient(
        path=folder,
        config_file=config_file,
        version=version_match.group(1) if version_match else _package_version(folder),
        generated_at=datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc),
        inline_schema=inline_schema,
        datamodel=build_datamodel([schema_file]),
        engine_files=_engine_files(folder),
        generators=_embedded_generators(schema_file),
        source_schema=_source_schema(text),
        engine=engine_need(text),
        datasource_provider=_datasource_provider(schema_file),
    )


def _datasource_provider(schema_file: SchemaFile) -> str | None:
    block = next(iter(schema_file.blocks_of("datasource")), None)
    return string_property(block, "provider") if block is not None else None


def _embedded_generators(schema_file: SchemaFile) -> tuple[EmbeddedGenerator, ...]:
    return tuple(
        EmbeddedGenerator(block.name, string_property(block, "provider") or "", string_property(block, "output"))
        for block in schema_file.blocks_of("generator")
    )


def _source_schema(text: str) -> Path | None:
    value = _json_string_after(_SOURCE_FILE, text)
    return Path(value) if value else None


def _inline_schema(text: str) -> str | None:
    return _json_string_after(_INLINE_SCHEMA, text)


def _json_string_after(pattern: re.Pattern[str], text: str) -> str | None:
    value = json_after(pattern, text)
    return value if isinstance(value, str) else None


def _package_version(folder: Path) -> str | None:
    version = (read_package_json(folder) or {}).get("version")
    return version if isinstance(version, str) else None


def _engine_files(folder: Path) -> tuple[Path, ...]:
    try:
        return tuple(sorted(p for p in folder.iterdir() if _ENGINE_LIBRARY.match(p.name)))
    except OSError:
        return ()
