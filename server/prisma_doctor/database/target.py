"""Which database a project uses: the datasource's provider and URL, as Prisma and the dev server would find it.

The URL comes from the schema's datasource (`url`, or `directUrl` when set: a pooler such as PgBouncer may not
allow the catalog queries), else from prisma.config.ts (`datasource: { url: env("X") }`, `process.env.X`, an
adapter's `connectionString: process.env.X`). `env("X")` is looked up in the environment the app runs with first
(a running dev server's own, read from its process: a variable set there wins over every env file; else the doctor's),
then in the .env files that the app reads (`readers.py`: Next's, Vite's, or Prisma's own `.env`, in a workspace app's
own folder): the database is the app's. Where Prisma's CLI (run with the doctor's environment, in the schema's
package) reaches another one, or the app's running servers disagree, `differs` says which reads what.
URLs hold passwords: `shown` and `mask` (masking.py) are the only way they reach a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from prisma_doctor import project_files
from prisma_doctor.database.dotenv import ExpansionTooLarge, expand, read_env_file
from prisma_doctor.database.readers import AppRun, Reader, app_reader, app_runs, cli_reader, project_packages
from prisma_doctor.masking import MASK, mask_secrets, mask_url

if TYPE_CHECKING:
    import ssl

    from prisma_doctor.schema.locate import LoadedSchema
    from prisma_doctor.schema.syntax import Block, ConfigProperty, SchemaFile

# Every env file a reader of the project may take a variable from (`readers.py` says which reads which).
ENV_FILES = (".env.development.local", ".env.local", ".env.development", ".env")
PROVIDERS = {"postgresql": "postgresql", "postgres": "postgresql", "sqlite": "sqlite", "mysql": "mysql"}
# The URL schemes each provider's database is reached with (`mariadb://` as @prisma/adapter-mariadb takes it).
SCHEMES = {"postgresql": ("postgresql", "postgres"), "mysql": ("mysql", "mariadb"), "sqlite": ("file",)}
MAX_CONFIG_BYTES = 256 * 1024
_ENV_REFERENCE = (
    r"""(?:env\(\s*['"](?P<env>\w+)['"]\s*\)|process\.env\.(?P<dot>\w+)"""
    r"""|process\.env\[\s*['"](?P<index>\w+)['"]\s*\]|(?P<literal>'[^'\n]*'|"[^"\n]*"))"""
)
_URL_KEYS = ("directUrl", "url", "connectionString")
_CONFIG_URL = re.compile(r"""(?<![\w$.])['"]?(?P<key>directUrl|url|connectionString)['"]?\s*:\s*""" + _ENV_REFERENCE)


class NoDatabase(Exception):
    """The project's database cannot be named; the message says why (never with a secret in it)."""


class UnusableUrl(NoDatabase):
    """The project names a database URL that cannot be used as it is: the check says so (a project that names none
    is told nothing)."""


@dataclass(frozen=True)
class DatabaseTarget:
    provider: str
    url: str = field(repr=False)
    # Where the URL came from, e.g. "DATABASE_URL from .env".
    origin: str
    # Where a relative path the URL names (MySQL's `sslcert`) is looked for: the schema's folder, then the project.
    search_dirs: tuple[Path, ...] = ()
    # The app's side: where it opens a relative SQLite path, and why (`readers.Reader`).
    app: Reader | None = None
    # How Prisma's CLI reaches another database than the app (None: the same one, or it cannot be told).
    differs: str | None = None
    # Why Prisma's CLI finds no URL where the app finds one (a variable only in a .env file the config does not
    # load): every database command of the CLI fails, and a repair that runs one refuses.
    cli_unset: str | None = None

    @property
    def shown(self) -> str:
        return mask_url(self.url)

    def mask(self, text: str) -> str:
        return mask_secrets(text, self.url)


def tls_context(verify: bool, authority: str | None = None) -> ssl.SSLContext:
    """TLS as Prisma's URLs ask for it: `sslaccept=strict` verifies the server's certificate (against `authority`,
    the PEM text of the URL's `sslcert`, when given), and its default (`accept_invalid_certs`) encrypts without
    verifying. The certificate's file is read by the caller through `project_files` (never by OpenSSL, which would
    wait on a FIFO or read the server's own stdin)."""
    # Imported here: every check and `explain` locate the database, and only a connection over TLS needs OpenSSL's
    # bindings (with `socket` and `selectors`, a twentieth of those commands' start-up).
    import ssl

    context = ssl.create_default_context(cadata=authority if verify and authority else None)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


# A certificate authority's file (`sslcert`): a bundle of a few hundred certificates at most.
MAX_AUTHORITY_BYTES = 1024 * 1024


def read_authority(target: DatabaseTarget, path: str | None) -> str | None:
    """The PEM text of the certificate authority a URL names (`sslcert`, `sslrootcert`), relative to the schema's
    folder as Prisma reads it. The URL is the project's: its path may name a FIFO or `/dev/stdin`, so it is read as
    any planted file is (project_files.py), never by OpenSSL itself. Raises OSError when it cannot be read."""
    if not path:
        return None
    file = Path(path)
    if not file.is_absolute() and target.search_dirs:
        file = target.search_dirs[0] / file
    return project_files.read_text(file, MAX_AUTHORITY_BYTES, encoding="ascii")


@dataclass(frozen=True)
class UrlParts:
    """A server database's URL as Prisma reads it: each part percent-decoded ("" when absent), and of a query
    parameter given twice, the last."""

    host: str
    port: int | None
    user: str
    password: str | None
    # The path without its leading slash.
    database: str
    query: dict[str, str]

    @property
    def verify(self) -> bool:
        # Prisma's `sslaccept=strict` verifies the server's certificate; its default accepts any.
        return self.query.get("sslaccept") == "strict"


def url_parts(url: str) -> UrlParts:
    """Raises ValueError for a URL that cannot be read (a port that is no number)."""
    parts = urlsplit(url)
    return UrlParts(
        host=unquote(parts.hostname or ""),
        port=parts.port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password) if parts.password is not None else None,
        database=unquote(parts.path.lstrip("/")),
        query={k: v[-1] for k, v in parse_qs(parts.query).items()},
    )


def datasource_provider(files: Iterable[SchemaFile]) -> str | None:
    """The database the schema's (first) datasource names: "postgresql", "mysql", "sqlite", or as written."""
    block = next((b for f in files for b in f.blocks if b.kind == "datasource"), None)
    written = _string(block.property("provider")) if block is not None else None
    return PROVIDERS.get(written or "", written)


def locate_database(
    root: Path,
    schema: LoadedSchema | None,
    environ: Mapping[str, str] | None = None,
    apps: Sequence[AppRun] | None = None,
) -> DatabaseTarget:
    """The database the app reads, and whether Prisma's CLI (run in `root` with `environ`, by default the doctor's
    own environment, as a repair runs it) reaches another. `apps`: how the app runs (`readers.app_runs`: the running
    dev servers with their own environments); by default each app folder with `environ`. Where the app's runs read
    different databases, none is picked: the target is the CLI's (what a repair would change) and `differs` names
    which reads what."""
    environ = os.environ if environ is None else environ
    if schema is None:
        raise NoDatabase("the schema could not be read")
    blocks = schema.blocks_of("datasource")
    if not blocks:
        raise NoDatabase("the schema has no datasource block")
    _, block = blocks[0]
    provider_name = _string(block.property("provider"))
    provider = PROVIDERS.get(provider_name or "")
    if provider is None:
        raise NoDatabase(
            f"the datasource's provider `{provider_name}` is not inspected (PostgreSQL, MySQL/MariaDB and SQLite are)"
        )
    reference, in_config = _datasource_reference(block), False
    if reference is None:
        reference, in_config = _config_reference(root, schema), True
    if reference is None:
        raise NoDatabase("neither the datasource nor prisma.config.ts names a database URL")
    runs = list(apps) if apps is not None else app_runs(root, (), environ)
    # Where paths are shown from: the project, or the workspace folder that holds it and its apps.
    base = Path(os.path.commonpath([root, *(run.folder for run in runs)]))
    read: list[_Read] = []
    for run in runs:
        reader = app_reader(run.folder, schema, project_packages(run.folder, root), root)
        url, origin = _url(reference, reader, base, run.environ, run.environment)
        read.append(_Read(url, origin, reader, run))
    found = [r for r in read if r.url is not None]
    for r in found:
        _check_scheme(provider, r.url or "")
    cli = cli_reader(root, schema, in_config)
    cli_url, cli_origin = _url(reference, cli, base, environ, "the environment")
    if not found:
        return _cli_target(provider, reference, read, (cli, cli_url, cli_origin), schema, root, base)
    opened = {_opened(provider, r.url or "", r.reader): r for r in found}
    if len(opened) > 1:
        # The app's runs disagree: none is the app's database. The CLI's is the one a repair would change.
        runs = _runs_differ(found, cli_url, cli_origin, cli)
        if cli_url is not None:
            return DatabaseTarget(provider, cli_url, cli_origin, (schema.source.schema_dir, root), cli, runs)
        app, differs = found[0], runs
    else:
        app = found[0]
        app_side = (app.url or "", app.origin, app.reader)
        differs = _differs(provider, app_side, (cli_url, cli_origin, cli), base) if cli_url else None
        if cli_url is None:
            differs = _cli_unset(app, cli, cli_origin, schema.source.config_file is not None)
            dirs = (schema.source.schema_dir, root)
            return DatabaseTarget(provider, app.url or "", app.origin, dirs, app.reader, differs, cli_origin)
    return DatabaseTarget(provider, app.url or "", app.origin, (schema.source.schema_dir, root), app.reader, differs)


def _cli_unset(app: _Read, cli: Reader, cli_origin: str, config: bool) -> str:
    """The app finds a URL and Prisma's CLI none (`DatabaseTarget.cli_unset`)."""
    why = (
        " (with prisma.config.ts, Prisma's CLI reads no .env file itself: the config must load it, "
        '`import "dotenv/config"`)'
        if config
        else ""
    )
    return (
        f"{app.reader.who} reads {app.origin} ({mask_url(app.url or '')}), and {cli.who} finds no URL: "
        f"{cli_origin}{why}: `prisma migrate` and `db push` fail without it"
    )


def _cli_target(
    provider: str,
    reference: tuple[str, str],
    read: list[_Read],
    cli_side: tuple[Reader, str | None, str],
    schema: LoadedSchema,
    root: Path,
    base: Path,
) -> DatabaseTarget:
    """No run of the app finds the URL in its environment or the env files it reads (a workspace app whose URL is
    in the schema's package, or given to the adapter in code): the database is the one Prisma's CLI uses, said as
    the CLI's, and the app's side stays unknown. Neither known: not compared, said (`db-not-asked`), never silence
    that `check` would read as in sync."""
    cli, cli_url, cli_origin = cli_side
    unread = read[0].origin if read else "the app's environment could not be read"
    others = _set_elsewhere(reference, [r.reader for r in read], root, base, schema)
    if cli_url is None:
        raise UnusableUrl(f"{unread}{others}; {cli_origin}")
    _check_scheme(provider, cli_url)
    origin = f"{cli_origin}, as {cli.who} reads it; the app's own is not known ({unread}{others})"
    return DatabaseTarget(provider, cli_url, origin, (schema.source.schema_dir, root), cli, None)


def _set_elsewhere(
    reference: tuple[str, str], readers: list[Reader], root: Path, base: Path, schema: LoadedSchema
) -> str:
    """Where the project's own env files set the variable that the app's readers do not read: the schema's package
    (`packages/database/.env`)."""
    kind, name = reference
    if kind != "env":
        return ""
    read = {path for reader in readers for path in reader.env_files}
    folders = dict.fromkeys((root, schema.source.schema_dir))
    elsewhere = [
        _relative(folder / file, base)
        for folder in folders
        for file in ENV_FILES
        if folder / file not in read and read_env_file(folder / file).get(name)
    ]
    if not elsewhere:
        return ""
    return f"; the schema's package sets it in {', '.join(elsewhere)}, which the app does not read"


@dataclass(frozen=True)
class _Read:
    """What one run of the app reads: its URL (None when its variable is not set) and where it came from."""

    url: str | None = field(repr=False)
    origin: str
    reader: Reader
    run: AppRun


def _opened(provider: str, url: str, reader: Reader) -> str:
    """What a run of the app opens: the SQLite file a relative path leads to from its folder, else the URL."""
    relative = relative_sqlite_path(url) if provider == "sqlite" else None
    if relative is None or reader.sqlite_base is None:
        return url
    return str((reader.sqlite_base / relative).resolve())


def _runs_differ(found: list[_Read], cli_url: str | None, cli_origin: str, cli: Reader) -> str:
    each = "; ".join(f"{_reader_in(r)} reads {r.origin} ({mask_url(r.url or '')})" for r in found)
    cli_side = f"{cli.who} reads {cli_origin} ({mask_url(cli_url)})" if cli_url else f"{cli.who}: {cli_origin}"
    runs = "the running dev servers" if any(r.run.server for r in found) else "the apps that use the project"
    return (
        f"{runs} read different databases: {each}; and {cli_side}: which one the app uses depends on the "
        "server that answers, and `prisma migrate` and `db push` change only the CLI's"
    )


def _reader_in(read: _Read) -> str:
    where = f"under {read.run.server}" if read.run.server else f"in {read.run.folder}"
    return f"{read.reader.who} {where}"


def _url(
    reference: tuple[str, str], reader: Reader, root: Path, environ: Mapping[str, str], environment: str
) -> tuple[str | None, str]:
    """The URL as `reader` finds it, and where it came from (None, and why not, when its variable is not set)."""
    kind, name = reference
    if kind == "literal":
        return name, "the URL written in the project"
    variables = env_variables(root, environ, reader.env_files, environment=environment)
    value, where = variables.get(name, ("", ""))
    if not value:
        files = ", ".join(_relative(path, root) for path in reader.env_files)
        where = f"not in {environment} nor in {files}" if files else f"not in {environment}, and it reads no env file"
        return None, f"the environment variable {name} is not set for {reader.who}: {where}"
    try:
        url = expand(value, {k: v for k, (v, _) in variables.items()})
    except ExpansionTooLarge as error:
        raise UnusableUrl(f"the value of {name} (from {where}) is not used: {error}") from None
    return url, f"{name} from {where}"


def _differs(
    provider: str, app: tuple[str, str, Reader], cli: tuple[str | None, str, Reader], root: Path
) -> str | None:
    """A sentence when Prisma's CLI reaches another database than the app: its migrations go where the app does not
    read."""
    (url, origin, reader), (cli_url, cli_origin, cli_reader_) = app, cli
    consequence = "`prisma migrate` and `db push` change a database the app does not read"
    if cli_url != url:
        if cli_url is not None and _opened(provider, url, reader) == _opened(provider, cli_url, cli_reader_):
            return None  # two paths to one SQLite file (`file:../../packages/db/dev.db` from a workspace's app)
        return (
            f"{reader.who} reads {origin} ({mask_url(url)}), and {cli_reader_.who} reads {cli_origin} "
            f"({mask_url(cli_url or '')}): {consequence}"
        )
    relative = relative_sqlite_path(url) if provider == "sqlite" else None
    if relative is None or cli_reader_.sqlite_base is None:
        return None
    cli_file = _relative(cli_reader_.sqlite_base / relative, root)
    if reader.sqlite_base is None:
        candidates = {_relative(base / relative, root) for base in reader.sqlite_candidates}
        if candidates == {cli_file}:
            return None
        changed = f"{cli_file}, which {cli_reader_.who} changes"
        return f"{reader.who} may open another file than {changed}: {reader.sqlite_why}"
    app_file = _relative(reader.sqlite_base / relative, root)
    if app_file == cli_file:
        return None
    fallback = reader.sqlite_fallback
    if (
        fallback is not None
        and not (reader.sqlite_base / relative).exists()
        and _relative(fallback / relative, root) == cli_file
    ):
        # No file where the adapter would open the URL as written: the code passes another, likely the CLI's, which
        # is the one read (`sqlite.chosen_file` says so and what decides). User trial 13b: a migrate refused on it.
        return None
    return (
        f"{reader.who} opens {app_file} ({reader.sqlite_why}), and {cli_reader_.who} {cli_file} "
        f"({cli_reader_.sqlite_why}): {consequence}"
    )


def sqlite_path(url: str) -> Path | None:
    """The path a `file:` URL names, as written (relative or absolute); None for any other URL."""
    if not url.lower().startswith("file:"):
        return None
    text = unquote(url[len("file:") :].split("?", 1)[0])
    if text.startswith("//"):
        text = text[2:]
    return Path(text) if text else None


def relative_sqlite_path(url: str) -> Path | None:
    """The path of a `file:` URL when it is relative (`file:./dev.db`), else None."""
    path = sqlite_path(url)
    return None if path is None or path.is_absolute() else path


def _string(prop: ConfigProperty | None) -> str | None:
    from prisma_doctor.schema.syntax import StringValue

    value = getattr(prop, "value", None)
    return value.value if isinstance(value, StringValue) else None


def _datasource_reference(block: Block) -> tuple[str, str] | None:
    from prisma_doctor.schema.syntax import FunctionValue, StringValue

    for key in ("directUrl", "url"):
        value = getattr(block.property(key), "value", None)
        if isinstance(value, StringValue):
            return "literal", value.value
        if isinstance(value, FunctionValue) and value.name == "env" and value.arguments:
            argument = value.arguments[0].value
            if isinstance(argument, StringValue):
                return "env", argument.value
    return None


def _config_reference(root: Path, schema: LoadedSchema) -> tuple[str, str] | None:
    from prisma_doctor.schema.locate import CONFIG_NAMES

    candidates = [schema.source.config_file] if schema.source.config_file else [root / n for n in CONFIG_NAMES]
    for path in candidates:
        try:
            text = project_files.read_text(path, MAX_CONFIG_BYTES)
        except (OSError, TypeError):
            continue
        matches = sorted(_CONFIG_URL.finditer(text), key=lambda m: _URL_KEYS.index(m["key"]))
        for match in matches:
            if match["literal"]:
                return "literal", match["literal"][1:-1]
            return "env", match["env"] or match["dot"] or match["index"]
    return None


def env_variables(
    root: Path,
    environ: Mapping[str, str],
    files: Iterable[Path] | None = None,
    schema_dir: Path | None = None,
    *,
    environment: str = "the environment",
) -> dict[str, tuple[str, str]]:
    """Name -> (value, where it was found) of every variable set for a reader: the environment wins, then `files` in
    order (by default every env file of the project, then the schema folder's .env)."""
    if files is None:
        every = [root / name for name in ENV_FILES]
        files = [*every, schema_dir / ".env"] if schema_dir is not None and schema_dir != root else every
    found: dict[str, tuple[str, str]] = {}
    for path in files:
        for key, value in read_env_file(path).items():
            found.setdefault(key, (value, _relative(path, root)))
    for key, value in environ.items():
        found[key] = (value, environment)
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _check_scheme(provider: str, url: str) -> None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in SCHEMES[provider]:
        return
    if scheme.startswith("prisma"):
        raise NoDatabase(
            "the URL is a Prisma Accelerate / Prisma Postgres URL: the database behind it cannot be "
            "asked directly (set directUrl)"
        )
    wanted = " or ".join(f"{s}:" if s == "file" else f"{s}://" for s in SCHEMES[provider][:2])
    # A value that is no URL at all may be any secret (`env("GITHUB_TOKEN")`): mask_url shows none of it then.
    shown = mask_url(url)
    written = "the value (not shown: it may be a secret)" if shown == MASK else f"the URL ({shown})"
    raise UnusableUrl(f"{written} is not a {wanted} URL")
