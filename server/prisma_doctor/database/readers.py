"""Who reads the project's database settings, and how: the app at run time against Prisma's CLI.

Each reads its own environment and env files, and resolves a relative SQLite path (`file:./dev.db`) from its own
folder. The app runs where `app_runs` says: each running dev server, with the environment it started with (a variable
set there wins over every env file), else each app folder (a workspace's apps that use the project) with the
doctor's environment.
- the app: its dev server's env files (Next.js: `.env.development.local`, `.env.local`, `.env.development`, `.env`;
  Vite and the frameworks on it read the same names in Vite's order; anything else only `.env`, which Prisma Client 6
  loads itself, with the schema folder's), and ahead of them those its dev script loads itself (`script_env.py`: Node's
  `--env-file`, dotenv-cli, dotenvx, env-cmd). A relative SQLite path is opened by Prisma's own engine from the
  schema's folder (Prisma 6 and older without an adapter), by a driver adapter (libsql, better-sqlite3: always on
  Prisma 7, and with `engineType = "client"`) from the app's working folder;
- Prisma's CLI (`migrate`, `db push`): `.env` beside package.json and the schema's (none with prisma.config.ts, which
  loads what it imports itself); a relative SQLite path from the schema's folder, or prisma.config.ts's folder for
  the URL written there (Prisma 7, prisma/prisma#28514), or the project's through the config's own adapter.
Where the evidence does not decide (an adapter declared on Prisma 6 without `engineType = "client"`), `sqlite_base`
says so instead of guessing.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from prisma_doctor import project_files
from prisma_doctor.database.script_env import script_env_files
from prisma_doctor.masking import shown_command

if TYPE_CHECKING:
    from prisma_doctor.repair.devserver import DevServer
    from prisma_doctor.schema.locate import LoadedSchema

NEXT_ENV = (".env.development.local", ".env.local", ".env.development", ".env")
# Vite's `loadEnv` in development mode, most important first: the mode's files before the plain ones.
VITE_ENV = (".env.development.local", ".env.development", ".env.local", ".env")
DOTENV = (".env",)
# The dev server tool (`repair/devserver_kinds.py`) -> its name and the env files it loads for the app.
FRAMEWORK_ENV = {
    "next": ("Next.js", NEXT_ENV),
    "vite": ("Vite", VITE_ENV),
    "remix": ("Remix (Vite)", VITE_ENV),
    "react-router": ("React Router (Vite)", VITE_ENV),
    "astro": ("Astro (Vite)", VITE_ENV),
    "nuxt": ("Nuxt", DOTENV),
}
SQLITE_ADAPTERS = ("@prisma/adapter-libsql", "@prisma/adapter-better-sqlite3")
_CONFIG_ADAPTER = re.compile(r"(?<![\w$.])['\"]?adapter['\"]?\s*(?::|\()")
_CONFIG_LOADS_DOTENV = re.compile(r"""['"]dotenv/config['"]|\bloadEnvFile\s*\(|\bdotenv\b[^\n]*\.config\s*\(""")
# A module of the project's own that the config imports (`import "./env"`): it may load a .env file itself.
_CONFIG_IMPORTS_OWN = re.compile(r"""(?:\bfrom\s*|\bimport\s*|\brequire\(\s*)['"]\.{1,2}/""")


def config_loads_dotenv(text: str) -> bool | None:
    """Whether a `prisma.config.ts` loads a .env file (Prisma 7's CLI loads none by itself): True when it does
    (`import "dotenv/config"`, `dotenv.config()`, `process.loadEnvFile()`), None when it imports a module of the
    project's own that may, False when it does neither."""
    if _CONFIG_LOADS_DOTENV.search(text):
        return True
    return None if _CONFIG_IMPORTS_OWN.search(text) else False


@dataclass(frozen=True)
class Reader:
    """One reader of the project's database settings."""

    # "the app (Next.js)", "Prisma's CLI": as a message names it.
    who: str
    # The env files it reads, the first one that sets a variable winning.
    env_files: tuple[Path, ...]
    # The folder a relative SQLite path starts from; None when the evidence does not decide it.
    sqlite_base: Path | None
    # Why that folder, or, with no base, what would decide it.
    sqlite_why: str
    # The folders it may be, most likely first, when `sqlite_base` is None.
    sqlite_candidates: tuple[Path, ...] = ()
    # Where a driver adapter's base is only presumed (it opens whatever URL the app's code passes it, the schema's
    # when the code passes that as written): the folder the file is read from when none exists at the base. An app
    # that answers opens a file that exists, and the CLI's is then the likely one.
    sqlite_fallback: Path | None = None


@dataclass(frozen=True)
class AppRun:
    """Where the app runs and the environment it runs with: a running dev server's own (read from its process), or,
    with none running, an app folder and the environment the doctor runs in (what a server started from the same
    shell would have)."""

    folder: Path
    # Never shown: its other variables may be secrets.
    environ: Mapping[str, str] = field(repr=False, compare=False)
    # "the running dev server (pid N, `next dev`)"; None for the doctor's own environment.
    server: str | None = None

    @property
    def environment(self) -> str:
        """Where a variable of `environ` comes from, as an origin names it."""
        return f"the environment of {self.server}" if self.server else "the environment"


def app_runs(project: Path, servers: Sequence[DevServer], environ: Mapping[str, str] | None = None) -> list[AppRun]:
    """How the app reads its settings: each running dev server of the project (and of the workspace apps that use
    its client) with the environment it started with; with none running, each app folder (`workspace.app_folders`:
    the project, or in a monorepo the apps that use it) with `environ` (by default the doctor's own)."""
    from prisma_doctor.repair.devserver import startup_environment

    runs: list[AppRun] = []
    for server in servers:
        started = startup_environment(server)
        if started is not None:
            pid, server_environ = started
            who = f"the running dev server (pid {pid}, `{shown_command(server.command)}`)"
            runs.append(AppRun(Path(server.home or server.cwd), server_environ, who))
    if runs:
        return runs
    from prisma_doctor.workspace import app_folders

    folders = app_folders(project)
    # In a workspace the apps are those that use the project: the project's own folder runs no app then.
    apps = folders[1:] or folders
    return [AppRun(folder, os.environ if environ is None else environ) for folder in apps]


@dataclass(frozen=True)
class ProjectPackages:
    """What the project's package.json and installed Prisma say about how its app runs."""

    dev_script: str
    declared: frozenset[str]
    prisma_major: int | None


def app_reader(root: Path, schema: LoadedSchema, packages: ProjectPackages, project: Path | None = None) -> Reader:
    """The app that runs in `root` (the project, or a workspace app that uses the Prisma project at `project`)."""
    from prisma_doctor.repair.devserver_kinds import dev_server_tool

    try:
        words = shlex.split(packages.dev_script)
    except ValueError:
        words = packages.dev_script.split()
    tool = dev_server_tool(words) if words else None
    if tool is None and "next" in packages.declared:
        tool = "next"  # a dev script that wraps it (`concurrently`, `turbo`): the dependency says which server
    framework, names = FRAMEWORK_ENV.get(tool or "", ("", DOTENV))
    schema_dir = schema.source.schema_dir
    flagged = tuple(root / name for name in script_env_files(packages.dev_script))
    files = (*flagged, *(root / n for n in names))
    if packages.prisma_major is None or packages.prisma_major < 7:
        # Prisma Client 6 loads the schema folder's .env itself, and the .env of the folder it was generated in.
        files += (schema_dir / ".env", *((project / ".env",) if project is not None else ()))
    who = f"the app ({framework})" if framework else "the app"
    base, why, candidates = _app_sqlite(root, schema, packages)
    # A driver adapter opens the URL the code passes it: where none exists at the app's folder, the code passes
    # another (a path it builds: `file:${join(__dirname, "dev.db")}`), likely the one Prisma's CLI opens: from the
    # schema's folder (Prisma 6's `engineType = "client"`), from prisma.config.ts's folder (Prisma 7, whose URL is
    # the config's). User trial 13b: every check of a workspace app said its database was missing.
    config = schema.source.config_file
    cli_base = config.parent if (packages.prisma_major or 0) >= 7 and config is not None else schema_dir
    fallback = cli_base if base == root and cli_base != root else None
    return Reader(who, _unique(files), base, why, candidates, fallback)


def cli_reader(root: Path, schema: LoadedSchema, url_in_config: bool) -> Reader:
    config = schema.source.config_file
    schema_dir = schema.source.schema_dir
    text = _text(config) if config is not None else ""
    if config is None:
        files: tuple[Path, ...] = (root / ".env", schema_dir / ".env")
    else:
        # With prisma.config.ts, Prisma loads no .env: only what the config imports (`import "dotenv/config"`).
        files = (root / ".env",) if config_loads_dotenv(text) else ()
    if _CONFIG_ADAPTER.search(text):
        # Prisma 6's `experimental: { adapter: true }`: migrations go through the app's own adapter.
        return Reader(
            "Prisma's CLI", _unique(files), root, "its driver adapter (prisma.config.ts) opens it from the project"
        )
    if url_in_config and config is not None:
        return Reader("Prisma's CLI", _unique(files), config.parent, "from prisma.config.ts's folder")
    return Reader("Prisma's CLI", _unique(files), schema_dir, "from the schema's folder")


def project_packages(root: Path, project: Path | None = None) -> ProjectPackages:
    """What `root`'s package.json and installed Prisma say. For a workspace app (`root`) that uses the Prisma
    project at `project`, the client it loads is the project's: its version and packages (the driver adapter) count
    where the app's own do not say."""
    from prisma_doctor.installed import declared_packages, installed_version
    from prisma_doctor.json_values import is_object
    from prisma_doctor.package_json import read_package_json

    scripts = (read_package_json(root) or {}).get("scripts")
    dev = scripts.get("dev") if is_object(scripts) else None
    folders = [root] if project is None or project == root else [root, project]
    versions = (installed_version(name, folder) for folder in folders for name in ("@prisma/client", "prisma"))
    major = re.match(r"\d+", next((v for v in versions if v), ""))
    declared = frozenset(name for folder in folders for name in declared_packages(folder))
    return ProjectPackages(dev if isinstance(dev, str) else "", declared, int(major[0]) if major else None)


def _app_sqlite(
    root: Path, schema: LoadedSchema, packages: ProjectPackages
) -> tuple[Path | None, str, tuple[Path, ...]]:
    schema_dir = schema.source.schema_dir
    adapter = next((name for name in SQLITE_ADAPTERS if name in packages.declared), None)
    engine = _generator_setting(schema, "engineType")
    if packages.prisma_major is not None and packages.prisma_major >= 7:
        return root, "Prisma 7's driver adapter opens it from the app's working folder", ()
    if engine == "client":
        return root, 'with `engineType = "client"` a driver adapter opens it from the app\'s working folder', ()
    if adapter is None:
        return schema_dir, "Prisma's query engine opens it from the schema's folder", ()
    why = (
        f"{adapter} is declared, so the app likely opens it through the adapter, from its working folder; without "
        "the adapter Prisma's engine opens it from the schema's folder (what decides: whether the code passes "
        "`adapter` to `new PrismaClient`)"
    )
    return None, why, (root, schema_dir)


def _generator_setting(schema: LoadedSchema, key: str) -> str | None:
    from prisma_doctor.clients.locate import string_property

    for _, block in schema.blocks_of("generator"):
        value = string_property(block, key)
        if value is not None:
            return value
    return None


def _text(path: Path) -> str:
    from prisma_doctor.database.target import MAX_CONFIG_BYTES

    try:
        return project_files.read_text(path, MAX_CONFIG_BYTES)
    except (OSError, TypeError):
        return ""


def _unique(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    return tuple(dict.fromkeys(paths))
