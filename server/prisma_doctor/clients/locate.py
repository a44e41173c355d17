"""Every generator of a schema, resolved to where its client really is (and every stale copy of it).

`prisma-client-js` without `output` writes to the real path of `@prisma/client`, then `../../.prisma/client`: under
pnpm that is inside `node_modules/.pnpm/@prisma+client@<version>_.../node_modules/.prisma/client`, and several
such folders can coexist. A custom `output` is relative to the schema file that declares the generator.
`prisma-client` (Prisma 6.6+, the default of 7) requires `output`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.package_json import read_package_json
from prisma_doctor.schema.locate import LoadedSchema
from prisma_doctor.schema.syntax import Block, FunctionValue, StringValue
from prisma_doctor.snapshot import kept, real_path

JS_GENERATOR = "prisma-client-js"
TS_GENERATOR = "prisma-client"
KNOWN_PROVIDERS = frozenset({JS_GENERATOR, TS_GENERATOR})


@dataclass(frozen=True)
class Generator:
    name: str
    provider: str
    # The `output` as written, or None for the default.
    declared_output: str | None
    # Where the client is (or would be written): absolute, symlinks resolved. None when it cannot be known,
    # e.g. `prisma-client-js` without output and no `@prisma/client` installed.
    output: Path | None
    # Other folders that hold a client for this generator (older pnpm store copies).
    other_copies: tuple[Path, ...]
    schema_file: str
    block: Block
    engine_type: str | None = None
    # What `prisma-client` names its files (`generatedFileExtension`: "ts", "mts" or "cts"); "ts" when unset.
    file_extension: str = "ts"

    @property
    def is_client(self) -> bool:
        return self.provider in KNOWN_PROVIDERS


def find_generators(schema: LoadedSchema, project_root: Path) -> list[Generator]:
    generators: list[Generator] = []
    for schema_file in schema.files:
        for block in schema_file.blocks_of("generator"):
            generators.append(_resolve(block, Path(schema_file.path), project_root))
    return generators


def string_property(block: Block, key: str) -> str | None:
    prop = block.property(key)
    if prop is None or prop.value is None:
        return None
    if isinstance(prop.value, StringValue):
        return prop.value.value
    if isinstance(prop.value, FunctionValue) and prop.value.name == "env" and prop.value.arguments:
        variable = prop.value.arguments[0].value
        if isinstance(variable, StringValue):
            return os.environ.get(variable.value)
    return None


def _resolve(block: Block, schema_file: Path, project_root: Path) -> Generator:
    provider = string_property(block, "provider") or ""
    declared = string_property(block, "output")
    output: Path | None
    copies: tuple[Path, ...] = ()
    if declared is not None:
        # Prisma joins the output to the schema file's folder as given (Node's `path.resolve`, by text): through a
        # linked `prisma/` (`prisma -> ../shared-prisma`), `../src` is the project's `src`, not the link target's
        # neighbour (attacker's trial 12, #3). Links left in the joined path are followed, as the write follows them.
        output = _real(Path(os.path.normpath(schema_file.parent / declared)))
    elif provider == JS_GENERATOR:
        output = default_js_output(schema_file.parent, project_root)
        copies = tuple(c for c in pnpm_client_copies(project_root) if c != output)
    else:
        output = None
    return Generator(
        name=block.name,
        provider=provider,
        declared_output=declared,
        output=output,
        other_copies=copies,
        schema_file=str(schema_file),
        block=block,
        engine_type=string_property(block, "engineType"),
        file_extension=(string_property(block, "generatedFileExtension") or "ts").lstrip("."),
    )


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def node_modules_chain(start: Path, stop: Path | None = None) -> Iterator[Path]:
    """`node_modules` folders from `start` upwards, as Node's resolution visits them."""
    chains = kept("node_modules")
    if chains is not None and stop is None:
        yield from _remembered_chain(start, chains)
        return
    current = start.resolve()
    while True:
        candidate = current / "node_modules"
        if candidate.is_dir():
            yield candidate
        if stop is not None and current == stop.resolve().parent:
            return
        if current.parent == current:
            return
        current = current.parent


def _remembered_chain(start: Path, chains: dict[Path, tuple[Path, ...]]) -> tuple[Path, ...]:
    """`node_modules_chain` inside a snapshot: each folder looked at once, whichever project it is above."""
    start = Path(os.path.abspath(start))  # (as written: a link's chain is its target's, found below)
    known = chains.get(start)
    if known is not None:
        return known
    # Up to the first folder whose chain is known, then down again, each chain from its parent's.
    climbed: list[Path] = []
    current = real_path(start)
    while current not in chains:
        climbed.append(current)
        if current.parent == current:
            break
        current = current.parent
    above = chains.get(current, ())
    for folder in reversed(climbed):
        candidate = folder / "node_modules"
        above = chains[folder] = (candidate, *above) if candidate.is_dir() else above
    chains[start] = above
    return above


def find_package(name: str, start: Path) -> Path | None:
    """The real folder of an installed package, resolved as Node would from `start`."""
    for node_modules in node_modules_chain(start):
        candidate = node_modules / name
        if (candidate / "package.json").is_file():
            return _real(candidate)
    return None


def default_js_output(schema_dir: Path, project_root: Path) -> Path | None:
    for start in (schema_dir, project_root):
        client_package = find_package("@prisma/client", start)
        if client_package is not None:
            return client_package.parent.parent / ".prisma" / "client"
    return None


# Package managers that keep each package version in a folder of its own: pnpm, and bun's isolated linker.
STORE_FOLDERS = (".pnpm", ".bun")


def pnpm_client_copies(project_root: Path) -> list[Path]:
    """Every `.prisma/client` in the store folders (pnpm's, bun's isolated) of the project and the workspace root."""
    copies: list[Path] = []
    for store in (nm / name for nm in node_modules_chain(project_root) for name in STORE_FOLDERS):
        if not store.is_dir():
            continue
        try:
            entries = sorted(store.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("@prisma+client@"):
                candidate = entry / "node_modules" / ".prisma" / "client"
                if candidate.is_dir():
                    copies.append(_real(candidate))
    return copies


# `prisma-client` writes `.ts` by default; `generatedFileExtension` can make it any of these.
TS_OUTPUT_EXTENSIONS = ("ts", "mts", "cts", "js", "mjs", "cjs")
# Folders never searched for generated clients: dependencies, caches and build output of other tools.
_SKIPPED_FOLDERS = frozenset({"node_modules", ".git", ".next", ".turbo", ".cache", ".vercel", "coverage"})
# A project tree this large is searched no further: the search must stay cheap enough to run on every save.
MAX_FOLDERS_SEARCHED = 20_000


def is_client_folder(folder: Path) -> bool:
    """A folder that `prisma generate` wrote: `prisma-client` output, or `prisma-client-js` with its schema copy."""
    if any((folder / "internal" / f"class.{extension}").is_file() for extension in TS_OUTPUT_EXTENSIONS):
        return True
    if not ((folder / "index.js").is_file() and (folder / "schema.prisma").is_file()):
        return False
    # A project of one's own may have both files too; a generated client's package.json is `prisma-client-<hash>`.
    name = (read_package_json(folder) or {}).get("name", "")
    return isinstance(name, str) and name.startswith("prisma-client-")


def find_client_folders(project_root: Path) -> list[Path]:
    """Every generated client folder in the project's own files (outside `node_modules`), for custom outputs.

    A project inside this one (a monorepo's package with a schema of its own) has files of its own: its clients are
    not searched here. Were they, projects nested in one another would each search all those below them.
    """
    from prisma_doctor.project import PROJECT_MARKERS, is_project_root  # (project.py imports this module)

    found: list[Path] = []
    visited = 0
    for directory, subdirectories, files in os.walk(project_root):
        visited += 1
        if visited > MAX_FOLDERS_SEARCHED:
            break
        here = Path(directory)
        if here != project_root:
            if is_client_folder(here):
                found.append(_real(here))
                subdirectories.clear()
                continue
            if not PROJECT_MARKERS.isdisjoint(files) and is_project_root(here):
                subdirectories.clear()
                continue
        subdirectories[:] = sorted(d for d in subdirectories if d not in _SKIPPED_FOLDERS)
    return found
