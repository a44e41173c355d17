"""The native query engine a generated client loads at its first query, and whether this machine has it.

A client of Prisma 5 and 6 (`prisma-client-js`, and `prisma-client` before Prisma 7) on the `library` or `binary`
runtime loads a native engine built for one platform: `libquery_engine-<target>.so.node` (`.dylib.node` on macOS,
`query_engine-windows.dll.node`) or `query-engine-<target>`, where the target is this machine's name as Prisma gives
it (`clients/platform.py`). Its runtime (`resolveEnginePath`) takes `PRISMA_QUERY_ENGINE_LIBRARY` (`_BINARY`) when
set, else the first file of that name in: the client's folder, the `@prisma/client` package, the output the
generator recorded, `node_modules/.prisma/client` beside that package, /tmp/prisma-engines, and the schema's folder
as the client recorded it. A client generated on another machine (a Mac's client in a Linux container), with
`binaryTargets` that leave this machine out, or whose engine a cleanup removed fails there at its first query
(`could not locate the Query Engine for runtime "debian-openssl-3.0.x"`), while its datamodel is in sync.

No engine is loaded by an engine-less client (`engineType = "client"`, the `queryCompiler` preview, Prisma 7's
runtime: the runtime it imports is `client`), one generated with `--no-engine` (`copyEngine: false`), or one whose
URL is Accelerate's (`prisma://`, `prisma+postgres://`): none of these is looked at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor.clients.locate import Generator, find_package
from prisma_doctor.json_values import JsonObject, is_array, is_object, json_after

if TYPE_CHECKING:
    from prisma_doctor.check import ProjectState
    from prisma_doctor.findings import Finding, Location

# The runtimes that load a native engine, by the file the client imports (`@prisma/client/runtime/library.js`).
_RUNTIME = re.compile(r"""@prisma/client/runtime/(library|binary)(?:\.m?js)?['"]""")
_CONFIG_START = re.compile(r"\bconst config(?:\s*:\s*[\w.]+)?\s*=\s*(?=\{)")
ACCELERATE_SCHEMES = ("prisma://", "prisma+postgres://")
OVERRIDES = {"library": "PRISMA_QUERY_ENGINE_LIBRARY", "binary": "PRISMA_QUERY_ENGINE_BINARY"}
# Where Netlify's builds leave engines: the runtime looks there too.
NETLIFY_ENGINES = Path("/tmp/prisma-engines")


@dataclass(frozen=True)
class EngineNeed:
    """A client that loads a native engine: `kind` "library" or "binary"; `targets` the platforms generated for
    (`binaryTargets` resolved: "native" is the generating machine's); where the runtime looks besides the client's
    own folder (`output`, `schema_dir` as the client recorded them); how its URL is set (`url` or `url_env`)."""

    kind: str
    targets: tuple[str, ...]
    output: str | None
    relative_path: str | None
    url: str | None
    url_env: str | None


def engine_need(text: str) -> EngineNeed | None:
    """What the client whose config file reads `text` loads at run time; None when it loads no native engine."""
    runtime = _RUNTIME.search(text)
    if runtime is None:
        return None
    config = _config(text)
    if config is None or config.get("copyEngine") is False:
        return None
    generator = _object(config.get("generator"))
    listed = generator.get("binaryTargets")
    targets = tuple(str(t["value"]) for t in listed if is_object(t) and t.get("value")) if is_array(listed) else ()
    datasources = _object(config.get("inlineDatasources"))
    url = _object(_object(next(iter(datasources.values()), None)).get("url"))
    return EngineNeed(
        runtime.group(1),
        targets,
        _string(_object(generator.get("output")).get("value")),
        _string(config.get("relativePath")),
        _string(url.get("value")),
        _string(url.get("fromEnvVar")),
    )


def engine_file_name(kind: str, target: str) -> str:
    """The engine's file name for a platform (`getNodeAPIName`, `getQueryEngineName`)."""
    if kind == "binary":
        return f"query-engine-{target}{'.exe' if target == 'windows' else ''}"
    if "windows" in target:
        return f"query_engine-{target}.dll.node"
    if "darwin" in target:
        return f"libquery_engine-{target}.dylib.node"
    return f"libquery_engine-{target}.so.node"


@dataclass(frozen=True)
class MissingEngine:
    """The engine this machine needs is in none of the places the runtime looks."""

    name: str
    target: str
    searched: tuple[Path, ...]
    # The engines the client's folder has (for other platforms).
    others: tuple[str, ...]
    # The variable that names the engine, when it is set to a file that does not exist.
    override: tuple[str, str] | None = None
    # The file the runtime would load, when it is there but holds only zeros (a download or copy that wrote nothing):
    # no engine, and no loader takes it.
    zeros: Path | None = None


def missing_engine(
    need: EngineNeed, client: Path, target: str, variables: Mapping[str, str], cwd: Path
) -> MissingEngine | None:
    """Whether the client at `client` finds no engine for `target` when run with `variables` (its environment and
    env files) from `cwd`; None when it finds one, or loads none (an Accelerate URL)."""
    url = variables.get(need.url_env) if need.url_env else need.url
    if url is not None and url.startswith(ACCELERATE_SCHEMES):
        return None
    name = engine_file_name(need.kind, target)
    others = tuple(sorted(p.name for p in _listing(client) if _is_engine(p.name) and p.name != name))
    variable = OVERRIDES[need.kind]
    named = variables.get(variable)
    if named:
        # The runtime takes the variable as it is, and looks nowhere else.
        if not (cwd / named).is_file():
            return MissingEngine(name, target, (), others, (variable, named))
        return MissingEngine(name, target, (), others, zeros=cwd / named) if only_zeros(cwd / named) else None
    searched = search_locations(need, client)
    found = next((folder / name for folder in searched if (folder / name).is_file()), None)
    if found is None:
        return MissingEngine(name, target, searched, others)
    return MissingEngine(name, target, searched, others, zeros=found) if only_zeros(found) else None


def only_zeros(path: Path) -> bool:
    """Whether the file holds nothing but zero bytes (or nothing). Read up to its first other byte: an engine's first
    (ELF, Mach-O, PE) is not zero, so a real one costs one read."""
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                if chunk.count(0) != len(chunk):
                    return False
    except OSError:
        return False
    return True


def search_locations(need: EngineNeed, client: Path) -> tuple[Path, ...]:
    """Where the runtime looks for the engine, in its order (`findEnginePath`)."""
    runtime = find_package("@prisma/client", client)
    folders = [client]
    if runtime is not None:
        folders.append(runtime)
    if need.output:
        folders.append(Path(need.output))
    if runtime is not None:
        folders.append(runtime.parent.parent / ".prisma" / "client")
    folders.append(NETLIFY_ENGINES)
    if need.relative_path is not None and (schema_dir := Path(os.path.normpath(client / need.relative_path))).is_dir():
        folders.append(schema_dir)
    return tuple(dict.fromkeys(folders))


def _is_engine(name: str) -> bool:
    return name.startswith(("libquery_engine-", "query_engine-", "query-engine-"))


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _config(text: str) -> JsonObject | None:
    value = json_after(_CONFIG_START, text)
    return value if is_object(value) else None


def _object(value: object) -> JsonObject:
    return value if is_object(value) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def engine_findings(state: ProjectState) -> list[Finding]:
    """`engine-unavailable` for each client whose engine this machine lacks, as the app runs it (`state.running`:
    each running dev server's environment, else each app folder's with the doctor's; and their env files)."""
    from prisma_doctor.clients.platform import binary_target
    from prisma_doctor.database.readers import AppRun
    from prisma_doctor.database.target import env_variables

    if state.schema is None:
        return []
    needing = [c for c in state.clients if c.client is not None and c.client.engine is not None]
    if not needing:
        return []
    target = binary_target()
    runs = state.running or (AppRun(state.root, os.environ),)
    schema_dir = state.schema.source.schema_dir
    findings: list[Finding] = []
    for client_state in needing:
        client = client_state.client
        assert client is not None and client.engine is not None
        for run in runs:
            found = env_variables(run.folder, run.environ, schema_dir=schema_dir, environment=run.environment)
            variables = {name: value for name, (value, _) in found.items()}
            missing = missing_engine(client.engine, client.path, target, variables, run.folder)
            if missing is not None:
                findings.append(_finding(missing, client_state.generator, client.path, state.root))
                break
    return findings


def _finding(missing: MissingEngine, generator: Generator, client: Path, root: Path) -> Finding:
    from prisma_doctor.findings import Finding, Location, Severity

    at = Location(generator.schema_file, generator.block.name_span)
    fails = f'its first query fails (`Prisma Client could not locate the Query Engine for runtime "{missing.target}"`)'
    data: dict[str, object] = {"generator": generator.name, "target": missing.target, "engine": missing.name}
    if missing.zeros is not None:
        return _zeros_finding(missing.zeros, missing.name, generator, client, root, at, data)
    if missing.override is not None:
        variable, value = missing.override
        return Finding(
            "engine-unavailable",
            Severity.ERROR,
            f"{variable} names {value}, which does not exist: the client of generator `{generator.name}` loads that "
            f"file and looks nowhere else, so its first query fails. Point {variable} to the engine, or unset it.",
            at,
            data={**data, "variable": variable},
        )
    others = f" It has engines for other machines only: {', '.join(missing.others)}." if missing.others else ""
    listed = declared_targets(generator)
    if listed is not None and not {"native", missing.target} & set(listed):
        remedy = (
            f"The generator's `binaryTargets` ({', '.join(listed)}) leave this machine out, so a regenerate would not "
            f'bring it: add "{missing.target}" (or "native"), then regenerate.'
        )
        fixes: tuple[str, ...] = ("edit-schema",)
    else:
        remedy = (
            "Regenerate the client on this machine; where it is generated on another (a CI image, a Mac for a Linux "
            f'container), add "{missing.target}" to the generator\'s `binaryTargets`.'
        )
        fixes = ("regenerate",)
    searched = ", ".join(_shown(folder, root) for folder in missing.searched)
    return Finding(
        "engine-unavailable",
        Severity.ERROR,
        f"The client of generator `{generator.name}` ({_shown(client, root)}) has no query engine for this machine "
        f"({missing.target}): none of the places its runtime looks has {missing.name} ({searched}), so {fails}."
        f"{others} {remedy}",
        at,
        fixes,
        data={**data, "searched": [str(folder) for folder in missing.searched], "others": list(missing.others)},
    )


def _zeros_finding(
    zeros: Path, name: str, generator: Generator, client: Path, root: Path, at: Location, data: dict[str, object]
) -> Finding:
    """The engine the client loads is zeros. `prisma generate` copies it from `@prisma/engines` (where its install
    script downloaded it): a regenerate fixes the copy while that source is whole; a source of zeros is fixed only by
    installing that package again, which no repair here does (it would download an engine, and delete a package)."""
    from prisma_doctor.findings import Finding, Severity

    engines = find_package("@prisma/engines", client)
    source = engines / name if engines is not None else None
    size = _size(zeros)
    what = (
        f"The client of generator `{generator.name}` ({_shown(client, root)}) would load {_shown(zeros, root)}, which "
        f"holds only zeros ({size}): it is no engine (a download or copy that wrote nothing), so its first query fails "
        "to load it."
    )
    data = {**data, "zeros": str(zeros), "source": str(source) if source is not None else None}
    if source is not None and source != zeros and source.is_file() and not only_zeros(source):
        remedy = f" Regenerate: `prisma generate` copies the engine again from {_shown(source, root)}, which is whole."
        return Finding("engine-unavailable", Severity.ERROR, what + remedy, at, ("regenerate",), data=data)
    where = f"{_shown(source, root)} is zeros too" if source is not None and source.is_file() else "it has no source"
    remedy = (
        f" A regenerate would copy the same: {where}. Install @prisma/engines again (remove "
        f"{_shown(engines, root) if engines is not None else 'node_modules/@prisma/engines'} and run your package "
        "manager's install: its install script downloads the engine); no repair here does that."
    )
    return Finding("engine-unavailable", Severity.ERROR, what + remedy, at, (), data=data)


def _size(path: Path) -> str:
    try:
        return f"{path.stat().st_size} bytes"
    except OSError:
        return "size unknown"


def declared_targets(generator: Generator) -> list[str] | None:
    """The generator's `binaryTargets` as the schema writes them; None when it sets none, or not as strings."""
    from prisma_doctor.schema.syntax import ArrayValue, StringValue

    prop = generator.block.property("binaryTargets")
    if prop is None or prop.value is None:
        return None
    if isinstance(prop.value, StringValue):
        return [prop.value.value]
    if isinstance(prop.value, ArrayValue) and all(isinstance(item, StringValue) for item in prop.value.items):
        return [item.value for item in prop.value.items if isinstance(item, StringValue)]
    return None


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) or "."
    except ValueError:
        return str(path)
