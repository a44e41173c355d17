"""What the recognizer finds in terminal output: one frozen dataclass per kind of event.

Events carry only what the text says (names exactly as printed, locations as printed); what they mean for a given
project is `diagnosis.py`'s job. `line` is the one-based line of the stream where the event's text began.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

# Frames in these places are library or generated code, never the line a person wrote.
_LIBRARY_PATH = re.compile(
    r"(?:^|[/\\])(?:node_modules|\.next|\.prisma)[/\\]|^node:|^\[eval\]|<anonymous>|[/\\]runtime[/\\]"
    r"(?:client|library|binary|edge|wasm[\w-]*)\.m?js$|^internal[/\\]"
)

# The path of `file:///C:/app/main.mjs`: a drive after the URL's slash.
_DRIVE_URL_PATH = re.compile(r"/[A-Za-z]:/")


def printed_path(text: str) -> str:
    """A file as a tool printed it, as a path: Node's ESM frames and messages print a file URL
    (`file:///app/route.ts`, `file:///C:/app/route.ts`), percent-encoded; anything else is already a path."""
    if not text.startswith("file:///"):
        return text
    rest = unquote(text[len("file://") :])
    return rest[1:] if _DRIVE_URL_PATH.match(rest) else rest


@dataclass(frozen=True)
class SourceLocation:
    """A place in source code as printed (`file` may be relative to the dev server's directory)."""

    file: str
    line: int
    column: int | None = None
    function: str | None = None

    @property
    def is_library(self) -> bool:
        return bool(_LIBRARY_PATH.search(self.file.replace("\\", "/")))

    @property
    def is_build_output(self) -> bool:
        """A bundle the dev server built (`.next/...`): the real source is elsewhere."""
        return "/.next/" in "/" + self.file.replace("\\", "/")


@dataclass(frozen=True)
class Invocation:
    """``Invalid `<expression>.<action>()` invocation``: the client call that failed."""

    expression: str
    action: str | None
    model_accessor: str | None  # `user` in `prisma.user.update()`; None for `$queryRaw` or an unreadable expression
    location: SourceLocation | None


@dataclass(frozen=True, kw_only=True)
class Event:
    line: int
    text: str  # the line that says what is wrong, cleaned of colours


@dataclass(frozen=True, kw_only=True)
class ClientError(Event):
    """A Prisma Client error at run time, with whatever of its frame the output showed."""

    invocation: Invocation | None = None
    call_site: SourceLocation | None = None  # the first frame in the application's own code
    code: str | None = None  # `P2022`..., from the message or the `code:` line
    model: str | None = None  # `meta.modelName`
    client_version: str | None = None
    error_class: str | None = None  # `PrismaClientKnownRequestError`, `DriverAdapterError`...
    route: str | None = None  # the request that failed with it: the dev server's `GET /posts 500` right after it
    route_method: str | None = None  # that request's method: only a success of the same method and path ends it
    route_source: str = ""  # the process that printed that request (`routes.request_source`): "" for one unnamed

    @property
    def source(self) -> SourceLocation | None:
        """Where the failing call is in the application: the invocation path unless it points at built code."""
        located = self.invocation.location if self.invocation else None
        if located and not located.is_library and not located.is_build_output:
            return located
        return self.call_site or located


@dataclass(frozen=True, kw_only=True)
class MissingColumn(ClientError):
    """P2022 or a driver's "no such column": `column` exactly as reported (it may be `«` or `new`)."""

    column: str
    table: str | None = None
    schema: str | None = None


@dataclass(frozen=True, kw_only=True)
class MissingTable(ClientError):
    """P2021 or a driver's "no such table"."""

    table: str
    schema: str | None = None


@dataclass(frozen=True, kw_only=True)
class DatabaseObjectError(ClientError):
    """The database's own message names a trigger/function record (`record "new" has no field "x"`)."""

    record: str
    field: str


@dataclass(frozen=True, kw_only=True)
class BrokenView(ClientError):
    """MySQL's and MariaDB's 1356 (`View 'app.UserInfo' references invalid table(s) or column(s)`): a view whose
    definition names what no longer exists. `table` is the view, as printed."""

    table: str
    schema: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvalidEnumValue(ClientError):
    """PostgreSQL's 22P02 for an enum (`invalid input value for enum "Role": "EDITOR"`): the database's type lacks a
    value the client sent. `enum` is the type as the database printed it, unquoted (`Role`, `app.Role`)."""

    enum: str
    value: str


@dataclass(frozen=True, kw_only=True)
class UniqueConstraintFailed(ClientError):
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class RecordNotFound(ClientError):
    pass


@dataclass(frozen=True, kw_only=True)
class DatabaseUnreachable(ClientError):
    address: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnknownArgument(ClientError):
    """``Unknown argument `views`. Available options are marked with ?.``: `available` names the options Prisma marked
    (the other fields of the input type that holds the argument); `path` the keys of the rendered arguments that
    hold it (`select`, `posts`, `where` for a filter inside a relation's arguments), empty where none were printed."""

    argument: str
    available: tuple[str, ...] = ()
    path: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UnknownField(ClientError):
    field: str
    on_model: str | None = None


@dataclass(frozen=True, kw_only=True)
class InvalidValue(ClientError):
    """``Invalid value for argument `role`. Expected Role.``: the client rejected a value, naming the types it takes
    (an enum's name among them when the argument is one of its values)."""

    argument: str
    expected: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ModelDelegateMissing(ClientError):
    """`Cannot read properties of undefined (reading 'findMany')`: `prisma.<accessor>` is not a model of the client
    that ran. `accessor` is read from the code frame when the output shows one (Next's), else None."""

    action: str
    accessor: str | None = None


@dataclass(frozen=True, kw_only=True)
class EngineLibraryInvalid(ClientError):
    """`Unable to require(`.../libquery_engine-*.so.node`)`: the engine file is there but cannot be loaded."""

    path: str


@dataclass(frozen=True, kw_only=True)
class OtherClientError(ClientError):
    """A Prisma Client error of a kind the doctor has no cause for; kept so it is counted and shown."""


@dataclass(frozen=True, kw_only=True)
class ClientNotInitialized(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class EngineNotFound(ClientError):
    """`could not locate the Query Engine`: on its own line, or as the message of a client error."""

    runtime: str | None = None


@dataclass(frozen=True, kw_only=True)
class EngineDownloadFailed(Event):
    url: str | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class EnvVarMissing(Event):
    name: str
    schema_location: SourceLocation | None = None


@dataclass(frozen=True, kw_only=True)
class EngineLocked(Event):
    error: str  # EPERM, EBUSY, EACCES
    path: str


@dataclass(frozen=True)
class SchemaProblem:
    message: str
    location: SourceLocation | None


@dataclass(frozen=True, kw_only=True)
class SchemaInvalid(Event):
    problems: tuple[SchemaProblem, ...]


@dataclass(frozen=True, kw_only=True)
class MigrationsPending(Event):
    names: tuple[str, ...]


# `MigrationFailed.reason` of P3006: the migration fails on `migrate dev`'s fresh shadow database.
SHADOW_DATABASE = "shadow database"


@dataclass(frozen=True, kw_only=True)
class MigrationFailed(Event):
    names: tuple[str, ...]
    reason: str | None = None  # `shadow database` (P3006): it failed on `migrate dev`'s fresh shadow database


@dataclass(frozen=True, kw_only=True)
class DatabaseDrift(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class DataLossRefused(Event):
    """`db push` / `migrate dev` warning that a change drops data (`You are about to drop the column `x` on the `T`
    table, which still contains 1 non-null values.`); without `--accept-data-loss` (or an answer) it is refused."""

    table: str | None
    column: str | None  # None when a whole table is dropped
    rows: int | None


@dataclass(frozen=True, kw_only=True)
class MigrationsUpToDate(Event):
    pass


@dataclass(frozen=True, kw_only=True)
class ClientGenerated(Event):
    version: str
    output: str


@dataclass(frozen=True, kw_only=True)
class TypeCheckError(Event):
    """TypeScript (`tsc`, `next build`, the editor) rejecting a name on one of Prisma's generated types: a field on
    an input or select type (`'nickname' does not exist in type 'UserUpdateInput'`), or a model on the client
    (`Property 'post' does not exist on type 'PrismaClient<...>'`)."""

    location: SourceLocation | None
    ts_code: str  # `TS2353`
    name: str  # the property, exactly as printed
    type_name: str  # the first Prisma type the message names: `UserUpdateInput`, `PrismaClient`
    suggestion: str | None = None  # TypeScript's own `Did you mean 'nickname'?`

    @property
    def source(self) -> SourceLocation | None:
        return self.location

    @property
    def on_client(self) -> bool:
        """The name was looked up on the client itself: a model delegate (`prisma.post`)."""
        return self.type_name == "PrismaClient"


@dataclass(frozen=True, kw_only=True)
class ClientModuleMissing(Event):
    """A generated client that cannot be resolved: TypeScript's TS2307, Turbopack's and webpack's `Module not
    found`, Node's `Cannot find module` (CommonJS) and `ERR_MODULE_NOT_FOUND` (ES modules)."""

    specifier: str  # as printed: `../generated/client`, `.prisma/client/default`, an absolute path
    tool: str  # `typescript`, `bundler`, `node`
    location: SourceLocation | None = None  # the importing file, when the output names it

    @property
    def source(self) -> SourceLocation | None:
        return self.location


# Events whose cause the project on disk decides (schema, generated clients, outputs): read it fresh for them.
DECIDED_BY_PROJECT = (ClientError, TypeCheckError, ClientModuleMissing)


@dataclass(frozen=True, kw_only=True)
class ServerModulesReloaded(Event):
    """Vite reloaded server modules (`5:18:22 AM [vite] (ssr) page reload src/x.ts`, logs/reloads.py): whether the
    server now runs the client on disk is to be judged again (staleness.py)."""


@dataclass(frozen=True, kw_only=True)
class DevServerReady(Event):
    """A (re)start, after which the server loads the client anew: `next dev`'s `✓ Ready`, a watcher's restart line
    (tsx, nodemon, `node --watch`). The errors before it were the old process's."""


@dataclass(frozen=True, kw_only=True)
class ErrorRequest(Event):
    """The failed request line printed right after a client error that no request line ended (an app's own logger:
    Node's `}` of the error, then `GET /users 500`): the request that failed with that error. The error's findings
    take its route, so that the same request answering later ends them (user trial 7, item 4). A separate event, so
    that the error itself is said at its closing brace, without waiting for the next line."""

    method: str
    path: str
    source: str = ""  # the process that printed it (`routes.request_source`)


@dataclass(frozen=True, kw_only=True)
class RequestSucceeded(Event):
    """A request line answered 2xx or 3xx (`GET /posts 200 in 5ms`, Hono's `--> GET /posts 200 3ms`) for a request
    that failed earlier in the same output, the same method and path (its query aside): the failure is not the app's
    state now. Only such requests are reported; another route's success (`GET /favicon.ico 200`) says nothing of it."""

    method: str
    path: str
