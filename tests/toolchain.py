"""The real Prisma CLI and @prisma/client from npm, installed once into a cache, and temporary projects that use them.

A pytest plugin (listed in `tests/conftest.py`). Toolchains live in `tests/.cache/toolchains/<pm>-prisma-<version>/`
(`<pm>-workspace-prisma-<version>/` for a monorepo layout), each installed the first time a test asks for it and
marked complete by a `.complete` file; the pnpm store and pnpm itself live beside them (`tests/npm_cache.py`
installs them, one entry at a time under its lock, and runs every tool). A test gets a temporary
project whose `node_modules` is a hard-link copy of a toolchain's: milliseconds instead of an install. Nothing is
ever generated inside the cache: a fresh install holds no `.prisma` folder, and `prisma generate` in a project only
creates new files, so the links it shares with the cache are never written through (`test_toolchain.py` checks it).

Versions: Prisma 5.22.0, 6.17.1 and 7.10.0 (the newest 7.x for which both `prisma` and `@prisma/client` exist), under
npm (the machine's) and pnpm 10 (installed with npm into the cache); for layout tests also yarn classic (npm's
`yarn@1`) and bun (npm's `bun`, whose platform package carries the binary), hoisted and isolated (`.bun` store).

Generating offline (only the npm registry is reachable; binaries.prisma.sh is not):
- Install scripts never run (npm 11 here skips them, and we pass `--ignore-scripts` everywhere so that a machine
  whose npm runs them behaves the same): `@prisma/engines` never downloads its engines.
- Every version then looks for the schema engine before generating and tries to download it. The variable
  `PRISMA_SCHEMA_ENGINE_BINARY` naming any existing executable file stops that; `generate` never runs it.
- Prisma 5.22 and 6.17 with `prisma-client-js` or `prisma-client` also fetch the native query engine to copy it
  beside the client. `PRISMA_QUERY_ENGINE_LIBRARY` naming an existing file stops the download, and `--no-engine`
  stops the copy (else the placeholder lands in the output). `--no-engine` changes only how the client connects at
  run time (it expects Accelerate), not the embedded schema, so it is right for reading clients. A schema with
  `engineType = "client"` (6.16+, driver adapters) has no native engine and is generated without `--no-engine`.
- Prisma 7.10 has no native query engine (its client embeds a Wasm query compiler) and rejects `--no-engine`;
  `PRISMA_SCHEMA_ENGINE_BINARY` alone is enough. Prisma 7 refuses a `url` in the datasource block
  (`schema_text` leaves it out). No driver adapter is needed to generate, for any version; only running a client does.
- Prisma 7 warns that `@prisma/streams-local` wants Node 22 (EBADENGINE); `prisma` itself accepts Node 20.19+.
- pnpm: `CI=true` turns on `--frozen-lockfile`, which refuses a first install, hence `--no-frozen-lockfile`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.npm_cache import (
    TOOLCHAINS,
    ToolchainError,
    bun_command,
    cached,
    pnpm_command,
    pnpm_folders,
    pnpm_store,
    run,
    tool_environment,
    yarn_command,
)

PRISMA_VERSIONS = ("5.22.0", "6.17.1", "7.10.0")
PACKAGE_MANAGERS = ("npm", "pnpm")
JS_GENERATOR = "prisma-client-js"
TS_GENERATOR = "prisma-client"

GENERATE_TIMEOUT = 180


def major(version: str) -> int:
    return int(version.split(".", 1)[0])


def generators_of(version: str) -> tuple[str, ...]:
    """The client generators a Prisma version has (`prisma-client` arrived in 6.6)."""
    return (JS_GENERATOR,) if major(version) < 6 else (JS_GENERATOR, TS_GENERATOR)


def install_command(package_manager: str) -> list[str]:
    """The package manager's install command for the toolchain folders (never runs install scripts)."""
    if package_manager == "npm":
        return ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"]
    if package_manager == "pnpm":
        return [
            *pnpm_command(),
            "install",
            "--ignore-scripts",
            "--no-frozen-lockfile",
            "--config.confirmModulesPurge=false",
            *pnpm_folders(),
        ]
    if package_manager == "yarn":
        # Yarn's own registry host is an alias of npm's that this machine may not reach; npm's is the one we know.
        registry = os.environ.get("npm_config_registry", "https://registry.npmjs.org/")  # noqa: SIM112 (npm spells it so)
        return [*yarn_command(), "install", "--ignore-scripts", "--non-interactive", f"--registry={registry}"]
    if package_manager in ("bun", "bun-isolated"):
        linker = "isolated" if package_manager == "bun-isolated" else "hoisted"
        return [*bun_command(), "install", "--ignore-scripts", f"--linker={linker}"]
    raise ValueError(f"unknown package manager {package_manager!r}")


def pnpm_add_offline(project: Path, *packages: str) -> str:
    """`pnpm add` from the cached store only: how a project's Prisma gets upgraded or downgraded in a test.

    Each `name@version` must be a Prisma version of `PRISMA_VERSIONS`, whose toolchain puts it in the store.
    """
    for version in sorted({spec.rsplit("@", 1)[1] for spec in packages}):
        toolchain("pnpm", version)
    return run(
        [
            *pnpm_command(),
            "add",
            "--offline",
            "--ignore-scripts",
            "--config.frozen-lockfile=false",
            "--config.confirmModulesPurge=false",
            *pnpm_folders(),
            *packages,
        ],
        project,
    )


def _prisma_dependencies(version: str) -> dict[str, str]:
    return {"prisma": version, "@prisma/client": version}


def toolchain(package_manager: str, version: str, workspace: bool = False) -> Path:
    """The cached install of Prisma `version` with `package_manager` (a monorepo layout when `workspace`)."""
    name = f"{package_manager}-{'workspace-' if workspace else ''}prisma-{version}"

    def install(folder: Path) -> None:
        if workspace:
            _write_workspace(folder, package_manager, _prisma_dependencies(version))
        else:
            manifest = {"name": "app", "private": True, "dependencies": _prisma_dependencies(version)}
            (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if package_manager == "pnpm":
            # The versions this toolchain needs must stay in the store for offline `pnpm add` in tests.
            pnpm_store().mkdir(parents=True, exist_ok=True)
        run(install_command(package_manager), folder)
        if any(folder.rglob(".prisma")):
            raise ToolchainError(f"{folder} already holds a generated client after install")

    return cached(TOOLCHAINS / name, install)


def _write_workspace(folder: Path, package_manager: str, dependencies: dict[str, str]) -> None:
    """A monorepo: a root and `packages/db` (which depends on Prisma) and `packages/web` (which does not)."""
    root: dict[str, object] = {"name": "monorepo", "private": True}
    if package_manager == "pnpm":
        (folder / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n")
    else:
        root["workspaces"] = ["packages/*"]
    (folder / "package.json").write_text(json.dumps(root, indent=2) + "\n")
    for name, deps in (("db", dependencies), ("web", {})):
        package = folder / "packages" / name
        package.mkdir(parents=True)
        manifest = {"name": name, "version": "1.0.0", "private": True, "dependencies": deps}
        (package / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")


def link_copy(source: Path, destination: Path) -> None:
    """Copy a toolchain tree: package files as hard links, everything a package manager rewrites as real copies.

    Files inside an installed package never change after install, so they can be shared with the cache. A package
    manager's own bookkeeping (`.modules.yaml`, `.package-lock.json`, `.pnpm/lock.yaml`, `.bin` shims) and every
    file outside `node_modules` are rewritten in place by later commands, so each project gets its own copy.
    """
    for directory, subdirectories, files in os.walk(source):
        here = Path(directory)
        target = destination / here.relative_to(source)
        target.mkdir(parents=True, exist_ok=True)
        inside_packages = "node_modules" in here.relative_to(source).parts
        for name in list(subdirectories):
            path = here / name
            if path.is_symlink():
                os.symlink(os.readlink(path), target / name)
                subdirectories.remove(name)
        for name in files:
            path = here / name
            if path.is_symlink():
                os.symlink(os.readlink(path), target / name)
            elif name == ".complete" and here == source:
                continue
            elif inside_packages and not _bookkeeping(here, name):
                try:
                    os.link(path, target / name)
                except OSError:
                    shutil.copy2(path, target / name)
            else:
                shutil.copy2(path, target / name)


def _bookkeeping(directory: Path, name: str) -> bool:
    return name.startswith(".") or directory.name in (".bin", ".pnpm") or name.endswith(".yaml")


@dataclass
class PrismaProject:
    """A temporary project with its own copy of a toolchain and a schema at `prisma/schema.prisma` of `package`."""

    root: Path
    package_manager: str
    prisma_version: str
    # The folder of the package that holds the schema: the root, or `packages/db` in a workspace.
    package: Path
    generate_log: list[str] = field(default_factory=list)
    # What `prisma generate --schema` is given: `prisma/schema.prisma` unless a test points it at a schema folder.
    schema_location: Path | None = None

    @property
    def schema_file(self) -> Path:
        return self.schema_location or self.package / "prisma" / "schema.prisma"

    def write_schema(self, text: str) -> None:
        self.schema_file.parent.mkdir(parents=True, exist_ok=True)
        self.schema_file.write_text(text, encoding="utf-8")

    def schema(self) -> str:
        """The schema's text (every file's, in path order, for a schema folder)."""
        if self.schema_file.is_dir():
            return "\n".join(p.read_text(encoding="utf-8") for p in sorted(self.schema_file.rglob("*.prisma")))
        return self.schema_file.read_text(encoding="utf-8")

    def edit_schema(self, old: str, new: str) -> None:
        text = self.schema()
        if old not in text:
            raise AssertionError(f"the schema has no {old!r} to replace:\n{text}")
        self.write_schema(text.replace(old, new, 1))

    def prisma(self, *arguments: str, env: Mapping[str, str] | None = None) -> str:
        """Run the project's own Prisma CLI, as `npx prisma` would find it from the schema's package."""
        cli = _find_up(self.package, Path("node_modules") / "prisma" / "build" / "index.js")
        if cli is None:
            raise ToolchainError(f"no prisma CLI installed for {self.package}")
        return run(["node", str(cli), *arguments], self.package, GENERATE_TIMEOUT, env)

    def generate(self) -> str:
        arguments = ["generate", f"--schema={self.schema_file}"]
        if major(self.installed_prisma()) < 7 and "engineType" not in self.schema():
            arguments.append("--no-engine")
        output = self.prisma(*arguments)
        self.generate_log.append(output)
        return output

    def push_database(self) -> Path:
        """`prisma db push` (`push_sqlite`) into the file the app opens: `file:./dev.db` beside the schema for
        Prisma 5/6's engine, in the package for Prisma 7's adapter."""
        database = (self.schema_file.parent if major(self.installed_prisma()) < 7 else self.package) / "dev.db"
        push_sqlite(self.schema_file, database, self.root.parent / f".{self.root.name}-push")
        return database

    def installed_prisma(self) -> str:
        manifest = _find_up(self.package, Path("node_modules") / "prisma" / "package.json")
        if manifest is None:
            return self.prisma_version
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])


def push_sqlite(schema: Path, database: Path, scratch: Path) -> None:
    """`prisma db push` of `schema`'s models into the SQLite file `database`, as a user makes the database of a project
    without migrations. Prisma's native schema engine cannot be downloaded here, so the real CLI of the repair
    template (Prisma 6.17, which has the libSQL driver adapter) pushes through its WebAssembly schema engine, from a
    copy of the schema whose datasource names that file (6.17 wants a `url`, which Prisma 7's schema has not) and a
    config of its own, both in `scratch`, outside the project (a config inside would be the project's)."""
    from tests.repair_fixtures import template

    installed = template("npm") / "node_modules"
    scratch.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?m)^\s*url\s*=.*\n", "", schema.read_text(encoding="utf-8"))
    named = re.sub(r'provider\s*=\s*"sqlite"', f'provider = "sqlite"\n  url = "file:{database}"', text)
    (scratch / "schema.prisma").write_text(named, encoding="utf-8")
    (scratch / "prisma.config.ts").write_text(
        f"import {{ PrismaLibSQL }} from {json.dumps(str(installed / '@prisma' / 'adapter-libsql'))};\n"
        f"import {{ defineConfig }} from {json.dumps(str(installed / 'prisma' / 'config'))};\n"
        "export default defineConfig({\n  experimental: { adapter: true },\n  schema: 'schema.prisma',\n"
        f"  async adapter() {{ return new PrismaLibSQL({{ url: {json.dumps('file:' + str(database))} }}); }},\n"
        "});\n",
        encoding="utf-8",
    )
    cli = installed / "prisma" / "build" / "index.js"
    _push_until_synced(["node", str(cli), "db", "push", "--skip-generate", "--config=prisma.config.ts"], scratch)


# What Prisma's CLI prints once the push is committed (a new database, or one that had the schema already).
_SYNCED = ("Your database is now in sync with your Prisma schema", "The database is already in sync")
# After a push into a new file, this CLI's process stays alive a minute with nothing left to do (a handle of the
# libSQL adapter it never closes): measured, 61 s of the 62 of a push. Once it says the push is done, it is given a
# moment to exit by itself, then ended.
_EXIT_GRACE_SECONDS = 2


def _push_until_synced(command: list[str], cwd: Path) -> None:
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=tool_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as child:
        assert child.stdout is not None
        lines: list[str] = []
        for line in child.stdout:
            lines.append(line)
            if any(said in line for said in _SYNCED):
                break
        try:
            child.wait(_EXIT_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait(10)
        output = "".join(lines)
        if not any(said in output for said in _SYNCED):
            raise ToolchainError(f"`{' '.join(command)}` in {cwd} exited with {child.returncode}:\n{output}")


def _find_up(start: Path, relative: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None


def schema_text(
    version: str,
    models: str,
    provider: str = JS_GENERATOR,
    output: str | None = None,
    datasource: str = "sqlite",
    generator_name: str = "client",
    preview_features: tuple[str, ...] = (),
) -> str:
    """A whole schema for `version`: the datasource and generator blocks it accepts, then `models`."""
    url = ""
    if major(version) < 7:
        url = f'\n  url      = "{EXAMPLE_URLS.get(datasource, "file:./dev.db")}"'
    if provider == TS_GENERATOR and output is None:
        output = "../src/generated/prisma"
    lines = [f'  provider = "{provider}"']
    if output is not None:
        lines.append(f'  output   = "{output}"')
    if preview_features:
        lines.append("  previewFeatures = [" + ", ".join(f'"{p}"' for p in preview_features) + "]")
    generator = "\n".join(lines)
    return (
        f'datasource db {{\n  provider = "{datasource}"{url}\n}}\n\n'
        f"generator {generator_name} {{\n{generator}\n}}\n\n{models.strip()}\n"
    )


EXAMPLE_URLS = {
    "postgresql": "postgresql://localhost:5432/app",
    "mysql": "mysql://localhost:3306/app",
    "mongodb": "mongodb://localhost:27017/app",
}


ProjectFactory = Callable[..., PrismaProject]


@pytest.fixture
def prisma_project(tmp_path: Path) -> ProjectFactory:
    """A factory: `prisma_project(schema, version=..., package_manager=..., workspace=False, name="app")`.

    The project's `node_modules` is a link copy of the cached toolchain; `schema` is written to
    `prisma/schema.prisma` of the project (of `packages/db` in a workspace). Nothing is generated yet.
    """

    def make(
        schema: str,
        version: str = PRISMA_VERSIONS[1],
        package_manager: str = "npm",
        workspace: bool = False,
        name: str = "app",
    ) -> PrismaProject:
        source = toolchain(package_manager, version, workspace)
        root = tmp_path / name
        link_copy(source, root)
        package = root / "packages" / "db" if workspace else root
        project = PrismaProject(root, package_manager, version, package)
        project.write_schema(schema)
        return project

    return make
