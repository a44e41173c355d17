"""Clean lines to events, incrementally.

Most problems are one line. A Prisma Client error is a block: an optional class name, the
``Invalid `...` invocation`` header with a path and a code frame, the message, stack frames, then the
`{ code, meta, clientVersion }` object; a P1012 validation error is a block ending in `Validation Error Count`;
`migrate status` lists migration names under a heading. Blocks are held until they end (a line that cannot belong
to them, the block's own end, or `flush()` when output goes quiet) and then become one event each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from prisma_doctor.catalogue import PRISMA_CODES, match_message
from prisma_doctor.json_values import JsonObject
from prisma_doctor.logs import events as ev
from prisma_doctor.logs import json_record
from prisma_doctor.logs.reloads import server_reloads
from prisma_doctor.logs.routes import (
    bare_path,
    failed_request_of,
    failed_request_on,
    request_source,
    succeeded_request,
)
from prisma_doctor.logs.stream import LineReader
from prisma_doctor.logs.tool_errors import ACCESSOR, delegate_accessor, tool_event

# A block that has not ended after this many lines is closed anyway (bounded memory for endless stacks).
MAX_BLOCK_LINES = 200
# The most failed requests a recognizer watches for a later success (bounded memory for any log).
MAX_FAILED_PATHS = 64
# Blank lines an app's logger may print between an error and the request line that failed with it.
MAX_BLANK_LINES_AFTER_ERROR = 2
_MAX_MARKED_CODE = 1000

_PRISMA_ACTIONS = frozenset(
    {
        *("findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "create", "createMany"),
        *("createManyAndReturn", "update", "updateMany", "updateManyAndReturn", "upsert", "delete", "deleteMany"),
        *("aggregate", "groupBy", "count", "findRaw", "aggregateRaw"),
    }
)

_ERROR_CLASS = re.compile(
    r"^\s*(?:⨯\s+)?(?:Error:\s+|Error \[(?=\w+\]))?(?P<cls>PrismaClient\w*Error|DriverAdapterError)\]?"
    r"(?:\s*\[[^\]]*\])?:\s*(?P<rest>.*)$"
)
# ``Invalid `<expression>` invocation[ in][:]`` ends its line. The header is found with `str.find` and its end with
# this: one pattern `Invalid `(.+)` invocation...$` would scan the rest of the line again from every ``Invalid ` ``.
_INVOCATION_START = "Invalid `"
_INVOCATION_END = re.compile(r"` invocation(?P<in> in)?:?\s*\Z")
# A path and its position end the line, so there is one place for them whatever the quantifiers: greedy ones get
# there ~2x sooner than lazy ones trying every character of a long line.
_PATH_LINE = re.compile(r"^\s*(?P<file>\S.*):(?P<line>\d+):(?P<col>\d+)\s*$")
_STACK_FRAME = re.compile(
    r"^\s*at (?:(?P<async>async )?(?P<fn>[^(]*) \((?P<file1>.+):(?P<line1>\d+):(?P<col1>\d+)\)"
    r"|(?:async )?(?P<file2>[^\s(][^(]*):(?P<line2>\d+):(?P<col2>\d+))\s*(?:\{\s*)?$"
)
# Two `\s*` with only optional text between them split a run of spaces every possible way (quadratic): each `\s*`
# here follows something that is not a space.
_CODE_FRAME = re.compile(r"^\s*(?:[→>]\s*)?\d+[\s|]|^\s*\|")
_OBJECT_FIELD = {
    "code": re.compile(r"^\s*(?:error)?[cC]ode: '(?P<v>P\d{4})'"),
    "model": re.compile(r"modelName: '(?P<v>[^']+)'"),
    "client_version": re.compile(r"clientVersion: '(?P<v>[^']+)'"),
    "meta_column": re.compile(r"^\s*column: '(?P<v>[^']*)'"),
}
_OBJECT_LINE = re.compile(r"^\s+[\w$\[\]]+: ")
_ERROR_CODE_LINE = re.compile(r"^\s*(?:Error code: |Error: )?(?P<code>P\d{4})\b")

# Messages a client error can carry, each with the event it becomes. A quoted name never holds its own opening
# quote (`[^«»]`, not `[^»]`): then the next ``la colonne « `` ends a name that is not closed, instead of every
# opening scanning to the end of the line. `\S[^\s.]*\.\S+` is `\S+\.\S+` (a dot inside the name) without trying
# every dot of a long run as the one.
_P2022 = re.compile(r"The column `(?P<col>[^`]*)` does not exist in the current database")
_P2021 = re.compile(r"The table `(?P<table>[^`]*)` does not exist in the current database")
# A driver adapter that cannot get a connection passes its driver's code on as P2039 (``Database error. Code:
# `45028`. Message: `pool timeout: ...` ``): the mariadb connector's codes for a connection it could not open or
# lost (lib/misc/errors.js: 45009 socket closed, 45012 connect timeout, 45019 socket error, 45026 socket timeout,
# 45028 pool timeout, 45039 initial timeout, 45061 no connection in the pool), and Node's own socket codes.
_ADAPTER_UNREACHABLE = re.compile(
    r"Database error\. Code: `(?:4500[9]|4501[29]|45026|45028|45039|45061|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|"
    r"ENETUNREACH|ENOTFOUND|ECONNRESET)`"
)
# MariaDB's and MySQL's 1356: a view whose definition names a table, column or function that no longer exists.
_BROKEN_VIEW = re.compile(r"View '(?P<view>[^']+)' references invalid table")
# The name ends where a quote that wraps the whole message begins (Prisma 7: ``Message: `SQLITE_ERROR: ...` ``).
_SQLITE_COLUMN = re.compile(r"no such column: (?P<col>[^\s`'\"]+)")
_SQLITE_TABLE = re.compile(r"no such table: (?P<table>[^\s`'\"]+)")
_PG_COLUMN = re.compile(
    r"column (?:\"(?P<col>[^\"]+)\"|(?P<qcol>\S[^\s.]*\.\S+)) (?:of relation \"(?P<table>[^\"]+)\" )?does not exist"
    r"|la colonne (?:« (?P<col_fr>[^«»]+) »|(?P<qcol_fr>\S[^\s.]*\.\S+)) (?:de la relation « (?P<table_fr>[^«»]+) » )?"
    r"n'existe pas"
)
_PG_TABLE = re.compile(
    r"relation \"(?P<table>[^\"]+)\" does not exist|la relation « (?P<table_fr>[^«»]+) » n'existe pas"
)
_PG_RECORD = re.compile(
    r"record \"(?P<rec>[^\"]+)\" has no field \"(?P<field>[^\"]+)\""
    r"|l'enregistrement « (?P<rec_fr>[^«»]+) » n'a pas de champs? « (?P<field_fr>[^«»]+) »"
)
# PostgreSQL's `invalid input value for enum %s: "%s"` (22P02), its type as `format_type` prints it: quoted where
# it needs quotes (`"Role"`), schema-qualified outside the search path.
_PG_ENUM_VALUE = re.compile(
    r'invalid input value for enum (?P<enum>(?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?): "(?P<value>[^"]*)"'
)
_P2002 = re.compile(r"Unique constraint failed on the (?:fields|constraint): \(?(?P<fields>[^)]*)\)?")
_P2025 = re.compile(
    r"depends on one or more records that were required but not found|Record to (?:update|delete) not found"
    r"|No record was found for an? "
)
_P1001 = re.compile(r"Can't reach database server at `?(?P<addr>[^`\s]+)`?|\bECONNREFUSED (?P<addr2>\S+)")
_UNKNOWN_ARGUMENT = re.compile(r"Unknown argument `(?P<arg>[^`]+)`")
# `Invalid value for argument `role`. Expected Role.` (`in` for a list), `...: <why>. Expected DateTime or Null.`
_INVALID_VALUE = re.compile(r"Invalid value for argument `(?P<arg>[\w.\[\]-]{1,100})`")
_EXPECTED_TYPES = re.compile(r"\. Expected (?P<types>\w+(?:(?:, | or )\w+){0,20})\.")
_UNKNOWN_FIELD = re.compile(
    r"Unknown field `(?P<field>[^`]+)` for (?:select|include|omit) statement on model `(?P<model>[^`]+)`"
)
_AVAILABLE_OPTION = re.compile(r"^\s*\?\s+(?P<name>[A-Za-z_]\w*)\??:")
# The rendered arguments of the call: a key that opens an object or a list (`    posts: {`), and the line of tildes
# Prisma prints under the argument it rejects.
# (Their indentation is given apart: the line read has one space for it.)
_ARGUMENT_KEY = re.compile(r"^ ?(?P<key>[A-Za-z_$][\w$]*): [{\[]$")
_ARGUMENT_MARK = re.compile(r"^ ?~+$")

# Node's TypeError for `prisma.post.findMany()` when the client has no `post`: the action is all it names.
_UNDEFINED_DELEGATE = re.compile(r"Cannot read properties of undefined \(reading '(?P<action>\w+)'\)")
_UNABLE_TO_REQUIRE = re.compile(r"Unable to require\(`(?P<path>[^`]+)`\)")

# One-line events.
_NOT_INITIALIZED = re.compile(r"@prisma/client did not initialize yet")
_ENGINE_NOT_FOUND = re.compile(r"could not locate the Query Engine for runtime \"(?P<rt>[^\"]+)\"")
_ENGINE_DOWNLOAD = re.compile(
    r"request to (?P<url>https?://\S+) failed, reason: (?P<reason>.+)"
    r"|Failed to fetch (?:the engine file|sha256 checksum) at (?P<url2>\S+)|Error downloading (?P<url3>\S+)"
)
_ENV_MISSING = re.compile(r"Environment variable not found: (?P<name>[A-Za-z_][A-Za-z0-9_]*)")
# A locking error; the engine it names is found by `_locked_engine` (one pattern `ERR.*?'(path)'` would walk every
# later quote from every `EPERM` of a line).
_ENGINE_ERROR = re.compile(r"\b(?P<err>EPERM|EBUSY|EACCES)\b")
# What the parentheses hold is read by `_generated_version`: `\(v?([^)\s]+)[^)]*\)` would give every shorter version
# the rest to rescan. No `(` inside, so that the next header ends one that is not closed.
_GENERATED = re.compile(r"Generated Prisma Client \((?P<inside>[^()]*)\) to (?P<output>\S+)")
# What may come before a tool's restart line on its line: time stamps and bracketed tags (`2:22:53 AM`, `[0]` of
# concurrently), as a runner or `ts` adds them; colours are gone already. An app's own words before it (`user typed:
# [nodemon] restarting...`) make it the app's message, not the tool's line.
_RESTART_HEAD = r"^\s*(?:(?:\[[^\]\n]{1,40}\]|\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?(?: ?[AP]M)?)\s*){0,3}"
_READY = re.compile(_RESTART_HEAD + r"✓ Ready in \d[\d.]{0,12} ?m?s\s*$")
# A watcher starting the server again (its process loads the client anew): tsx's `[tsx] change in ./x Restarting...`,
# nodemon's `[nodemon] restarting due to changes...`, `node --watch`'s `Restarting 'server.js'`, Vite's start
# (`VITE v7.2.6  ready in 2683 ms`), each the whole line as the tool prints it; a repair's own restart in the output
# it records, and `prisma-doctor run`'s of its command in its terminal (`prisma-doctor: starting `npx vite dev` again`).
_RESTARTED = re.compile(
    _RESTART_HEAD + r"(?:\[tsx\] [^\n]{0,500}\bRestarting\.\.\.|\[nodemon\] restarting due to changes\.{0,3}"
    r"|Restarting '[^'\n]{1,500}'|VITE v\d[\w.-]{0,40}\s+ready in \d[\d.]{0,12} ?m?s)\s*$"
    r"|^--- prisma-doctor restarted: |^prisma-doctor: starting `.{1,1000}` again$"
)
# Where a message Prisma prints (a one-line event, or a client error's message printed without its header) may
# begin on its line: at its start, or after what the readers know comes before one (a logger's time stamps, bracketed
# tags and level, NestJS's `[Nest] PID  - 12/7/2026, 2:31:05 PM   ERROR [ExceptionsHandler]` with its date as the
# locale writes it, Next's `⨯`, Node's `Error:` / `TypeError:` / `Error [CODE]:` / `[Error:`, the CLI's
# `Error: P1001:`, Prisma's debug `prisma:error`, the CLI's `✔`, the engines' download progress bar). The same words
# after an app's own (`docs say: Can't reach database server at ...`) are the app's text quoting Prisma, not Prisma's
# message.
_QUOTATION_MARKS = ('"', "'", "“", "«")
# Inside an error's printed properties, its message is a property's quoted value (`  message: 'no such column: x'`).
# (A line's indentation is one space by then: `Recognizer._read_line`.)
_PROPERTY_HEAD = re.compile(r" ?\w{1,40}: ['\"`]?")
_MESSAGE_HEAD = re.compile(
    r"\s*(?:(?:\[Nest\] \d{1,10} {1,4}-|\[[^\]\n]{1,40}\]|\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?(?: ?[AP]M)?"
    r"|\d{4}-\d\d-\d\d[T ][\d:.]{1,15}Z?|\d{1,4}[./]\d{1,2}[./]\d{1,4},"
    r"|(?i:info|warn|warning|error|debug|log|fatal)\b:?|prisma:(?:error|warn|info)|[⨯✖×•>✔]|P\d{4}:"
    r"|\[?\w{0,60}Error(?: \[\w{1,40}\])?:"
    r"|> Downloading Prisma engines for \S{1,60} \[[^\]\n]{0,80}\] \d{1,3}%)\s*){0,6}"
)
_DRIFT = re.compile(
    r"Drift detected: Your database schema is not in sync"
    r"|Your local migration history and the migrations table from your database are different"
)
_UP_TO_DATE = re.compile(r"Database schema is up to date!")
_PENDING_HEADER = re.compile(r"Following migrations? ha(?:ve|s) not yet been applied:")
_FAILED_HEADER = re.compile(r"Following migrations? ha(?:ve|s) failed:")
_MIGRATION_NAME_IN_TRACE = re.compile(r"with migration_name=\"(?P<name>[^\"]+)\"")
_MIGRATION_FAILED = re.compile(
    r"Migration name: (?P<name>\S+)|(?P<p3009>migrate found failed migrations)|A migration failed to apply"
    r"|Migration `(?P<shadow>[\w.-]+)` failed to apply cleanly to the shadow database"
)
# P3009's list: ``The `0002_broken` migration started at 2026-12-06 19:42:56.606 UTC failed``.
_FAILED_STARTED = re.compile(r"^The `(?P<name>[\w.-]+)` migration started at ")
_P1012_CODE_LINE = re.compile(r"^\s*Error code: P1012")
_SCHEMA_ERROR = re.compile(r"^\s*error: (?P<msg>.+)$")
_SCHEMA_POINTER = re.compile(r"^\s*-->\s+(?P<file>\S.*):(?P<line>\d+)\s*$")
_VALIDATION_COUNT = re.compile(r"Validation Error Count: \d+")
_MIGRATION_NAME = re.compile(r"[\w.-]+")

# Every line that can open a block or be a one-line event contains one of these words. Ordinary dev-server output
# (the great majority of a log) is dismissed with this one search instead of the twenty-odd patterns above. The words
# are as long as their patterns allow: outside a block only Prisma's own ``does not exist in the current database``
# starts anything (a database's `relation "x" does not exist` counts inside a client error's block, which reads
# every line), and a log full of other things that do not exist is not read line by line.
# When a pattern used by `_start`, `_start_client_message` or `_one_line_event` changes, its anchor changes here.
_START_ANCHOR = re.compile(
    r"PrismaClient|DriverAdapterError|Invalid `|does not exist in the current|Unique constraint failed"
    r"|records that were required"
    r"|Record to |No record was found|Unknown argument|Unknown field|Can't reach|ECONNREFUSED|did not initialize"
    r"|could not locate|request to |Failed to fetch|Error downloading|Environment variable not found"
    r"|EPERM|EBUSY|EACCES|Generated Prisma Client|Ready in|Drift detected|migration history"
    r"|Database schema is up to date|Following migration|migration_name=|Migration name:|failed migrations"
    r"|migration failed|Prisma schema validation|P1012|error TS|Module not found|Cannot find module"
    r"|Cannot find package"
    r"|Cannot read properties of undefined|Unable to require|You are about to drop|to the shadow database"
    r"|Restarting|restarting due|prisma-doctor restarted|ready in|prisma-doctor: starting `|page reload|hmr update"
    r"|server restarted"
)
# Where a line that `_START_ANCHOR` matches can be, found over a whole chunk before it is cut into lines. Each pattern
# starts with one literal character, which the regex engine skips to in a tight loop, so the seven together scan
# ~3x faster than `_START_ANCHOR` does. Every word of `_START_ANCHOR` contains a match of one of them, without its
# trailing space (a cut line's ` …` can supply that): tests/test_logs_fast_path.py checks it.
_ANCHOR_CANDIDATES = tuple(
    re.compile(pattern)
    for pattern in (
        r"E(?:PERM|BUSY|ACCES|CONNREFUSED|rror downloading|nvironment variable)",
        r"DriverAdapterError",
        r"P(?:risma|1012)",
        r"d(?:oes not exist in the current|id not initiali|etected| not locate| to fetch|s that were| to| was found"
        r"|y in| `|ate)",
        r"q(?:ue constraint|uest to)",
        r"igration",
        r"known ",
        r"'t reach",
        r"TS",
        r"Mod(?:ule not found)",
        r"Cannot (?:find module|find package|read properties of undefined)",
        r"Unable to require",
        r"You are about to drop",
        r"shadow database",
        r"estart(?:ing|ed)",
        r"tarting `",
        r"page reload",
        r"hmr update",
        # Not an anchor of the recognizer's: a package manager's banner naming the folder a workspace task runs in
        # (`web:dev: > web@ dev /repo/apps/web`), which `logs.tasks` reads.
        r"> (?:@[\w.-]+/)?[\w.-]+@\S* \S+ (?:/|[A-Za-z]:\\)",
    )
)


def _next_request_line(body: str, position: int, paths: frozenset[str], end: int) -> int:
    """Where the next request line for one of `paths` can be in `body` (`GET /posts 200 in 5ms`, `[200] GET
    /posts`: the path then a space, its query or the line's end), else `end`. Looked for only while a failed
    request's path waits for its success (`Recognizer.watched_paths`), and only for those paths, since a busy server's
    log is mostly request lines. Plain searches: the paths are what the log printed, never a pattern."""
    found = [at for path in paths for tail in (" ", "\n", "?") if (at := body.find(path + tail, position)) >= 0]
    return min(found, default=end)


def _first(match: re.Match[str], *names: str) -> str | None:
    return next((match.group(n) for n in names if match.group(n) is not None), None)


def parse_invocation(expression: str, location: ev.SourceLocation | None) -> ev.Invocation:
    """`prisma.user.update()` -> accessor `user`, action `update`; tolerant of any expression before them."""
    body = expression[:-2] if expression.endswith("()") else expression
    action = body.rsplit(".", 1)[-1] if "." in body else None
    before = body.rsplit(".", 1)[0] if action else ""
    accessor_match = ACCESSOR.search(before)
    accessor = accessor_match.group("acc") if accessor_match else None
    if action not in _PRISMA_ACTIONS:
        # `prisma.$queryRaw()`, or a call site the client guessed wrong (`t=Object.create()`): keep the action only
        # when it is a client method, and the accessor only when it is a model's.
        accessor = None
        action = action if action and action.startswith("$") else None
    elif "=" in before or before.endswith("Object"):
        # The client took a frame inside its own bundle for the call site: the expression names nothing real.
        accessor, action = None, None
    elif accessor is None or accessor.startswith("$"):
        accessor = None
    return ev.Invocation(expression=expression, action=action, model_accessor=accessor, location=location)


@dataclass
class _ClientBlock:
    """A client error being read; becomes one `ClientError` event when it ends."""

    start: int
    error_class: str | None = None
    expression: str | None = None
    expects_path: bool = False
    invocation_location: ev.SourceLocation | None = None
    message: str | None = None
    message_line: int | None = None
    kind: Callable[..., ev.ClientError] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    frames: list[ev.SourceLocation] = field(default_factory=list)
    available: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    lines: int = 0
    object_depth: int = 0
    maybe_open: bool = False
    marked_code: str | None = None  # the code frame's marked line (`> 5 | ...`): the failing expression
    # The keys of the rendered arguments open above the line being read, with their indent; then the keys that hold
    # the argument Prisma marked: its path (`select`, `posts`, `where` for a nested relation's filter).
    open_keys: list[tuple[int, str]] = field(default_factory=list)
    argument_path: tuple[str, ...] | None = None

    def read_argument_line(self, line: str, indent: int) -> None:
        """Follow the nesting of the rendered arguments by `indent` (each level is two spaces deeper) up to the marked
        argument; the lines after it (the options marked `?`) change nothing."""
        if self.argument_path is not None:
            return
        line = line.rstrip()
        if _ARGUMENT_MARK.match(line):
            self.argument_path = tuple(key for at, key in self.open_keys if at < indent)
            return
        if opened := _ARGUMENT_KEY.match(line):
            while self.open_keys and self.open_keys[-1][0] >= indent:
                self.open_keys.pop()
            self.open_keys.append((indent, opened.group("key")))

    def to_event(self) -> ev.ClientError | None:
        if self.message is None and self.expression is None:
            return None
        invocation = parse_invocation(self.expression, self.invocation_location) if self.expression else None
        details = dict(self.details)
        message_code = details.pop("code", None)
        call_site = next((f for f in self.frames if not f.is_library), None)
        common: dict[str, Any] = {
            "line": self.message_line or self.start,
            "text": self.message or "",
            "invocation": invocation,
            "call_site": call_site,
            "code": self.fields.get("code") or message_code,
            "model": self.fields.get("model"),
            "client_version": self.fields.get("client_version"),
            "error_class": self.error_class,
        }
        kind = self.kind or ev.OtherClientError
        if kind is ev.UnknownArgument:
            details["available"] = tuple(self.available)
            details["path"] = self.argument_path or ()
        if kind is ev.MissingColumn and "meta_column" in self.fields and details.get("column") is None:
            details["column"] = self.fields["meta_column"]
        if kind is ev.MissingColumn and details.get("column") is None:
            details["column"] = ""
        if kind is ev.ModelDelegateMissing and self.marked_code:
            details["accessor"] = delegate_accessor(self.marked_code, details["action"])
        return kind(**common, **details)


class Recognizer:
    """Feed clean lines one at a time; get events as soon as they are complete."""

    def __init__(self) -> None:
        self._line_number = 0
        # The indentation of the line being read, before it is made one space.
        self._indent = 0
        self._block: _ClientBlock | None = None
        self._schema: list[ev.SchemaProblem] | None = None
        self._schema_start = 0
        self._schema_pending_message: tuple[str, int] | None = None
        self._migrations: tuple[str, int, list[str]] | None = None  # ("pending" | "failed", start, names)
        self._failed_in_trace: set[str] = set()
        # The line before this one, when it was read (a bundler prints the importing file on the line before its
        # `Module not found`); `LogReader` reads the last line of every run it skips so that it always is.
        self._previous: str | None = None
        # The requests (method, path without its query) that failed with an error, until a request line says the
        # same request answered again.
        # Each failed request: the process that printed it (`request_source`), its method and path without query.
        self._failed: set[tuple[str, str, str]] = set()
        # The lines being read are a JSON record's text (what an app logged), not lines a tool printed.
        self._in_record = False
        # The last line ended a client error that no request line ended: the next may be its request's line.
        self._after_error = False
        self._blank_lines_after_error = 0

    def feed_line(self, line: str) -> list[ev.Event]:
        # A JSON record is read only when it may say something: the anchor words show through JSON's escapes.
        record = None
        if line[:1] == "{" and (self.reading_block or _START_ANCHOR.search(line)):
            record = json_record.parse(line)
        if record is not None:
            out = self._read_record(line, record)
        else:
            out = self._read_text_line(line)
            self._previous = line
        for event in out:
            if isinstance(event, ev.ClientError) and event.route and event.route_method:
                self._note_failed(event.route_source, event.route_method, event.route)
            elif isinstance(event, ev.ErrorRequest):
                self._note_failed(event.source, event.method, event.path)
        return out

    def _read_text_line(self, line: str) -> list[ev.Event]:
        """`_read_line`, and the request line right after an error no request line ended (`ErrorRequest`)."""
        after_error, self._after_error = self._after_error, False
        out = self._read_line(line)
        if after_error:
            self._request_after_error(line, out)
        if out and _unrouted(out[-1]) and not self.reading_block:
            self._after_error, self._blank_lines_after_error = True, 0
        return out

    def _request_after_error(self, line: str, out: list[ev.Event]) -> None:
        """The line right after an error no request line ended: its failed request's line, or a blank line or two."""
        if not out and not line.strip() and self._blank_lines_after_error < MAX_BLANK_LINES_AFTER_ERROR:
            self._after_error = True
            self._blank_lines_after_error += 1
            return
        request = failed_request_on(line)
        if request is not None:
            found = ev.ErrorRequest(
                line=self._line_number,
                text=line.strip(),
                method=request.method,
                path=request.path,
                source=request_source(line),
            )
            out.insert(0, found)

    def _note_failed(self, source: str, method: str, path: str) -> None:
        if len(self._failed) < MAX_FAILED_PATHS:
            self._failed.add((source, method, bare_path(path)))

    def _read_record(self, line: str, record: JsonObject) -> list[ev.Event]:
        """A JSON log record (pino, bunyan, winston, Next's dev log): its text lines read as the same text printed,
        all on the record's line. A record is whole: it ends what came before it and what it opened, and the
        failed request it names (Fastify logs the error with its `req` and `res`) is theirs."""
        texts = json_record.texts(record)
        if not texts:
            out = self._read_line(line)  # it ends an open block as any line that cannot belong to it does
            self._previous = line
            return out
        out = self.flush()
        number = self._line_number + 1
        self._in_record = True
        try:
            for text in texts:
                self._line_number = number - 1
                out.extend(self._read_text_line(text))
                self._previous = text
        finally:
            self._in_record = False
        self._line_number = number
        out.extend(self.flush())
        request = failed_request_of(record)
        if request is None:
            return out
        return [_on_request(e, request.method, request.path, "") for e in out]

    def _read_line(self, line: str) -> list[ev.Event]:
        self._line_number += 1
        out: list[ev.Event] = []
        self._indent = 0
        if line[:1].isspace():
            # The rendered arguments of a call nest by it (`Recognizer._continue_block`).
            self._indent = len(line) - len(line.lstrip())
            # Only whether a line is indented counts (an error's properties are): its indentation becomes one space,
            # which the `^\s*` of a dozen patterns would otherwise backtrack over, character by character, each.
            line = " " + line.lstrip()
        if self._migrations is not None and self._continue_migrations(line, out):
            return out
        if self._schema is not None and self._continue_schema(line, out):
            return out
        if self._block is not None:
            if self._continue_block(line, out):
                return out
            # The line that ended the error may be the dev server's request line of the same failure.
            request = failed_request_on(line)
            if request is not None:
                out[:] = [_on_request(e, request.method, request.path, request_source(line)) for e in out]
        self._start(line, out)
        return out

    @property
    def reading_block(self) -> bool:
        """A block is open: every line matters until it ends."""
        return self._after_error or self._block is not None or self._schema is not None or self._migrations is not None

    @property
    def watched_paths(self) -> frozenset[str]:
        """The paths (without query) of failed requests that wait for a success: their request lines matter."""
        return frozenset(path for _, _, path in self._failed)

    @property
    def lines_read(self) -> int:
        return self._line_number

    def skip_lines(self, count: int) -> None:
        """Count lines known to hold no anchor word while no block is open: `feed_line` would only count them."""
        self._line_number += count
        if count:
            self._previous = None

    def continue_at(self, line_number: int) -> None:
        """Count on from the stream's `line_number`: the lines between were another reader's (`logs.tasks`), so
        the line before the next one is still the last this one read."""
        self._line_number = line_number

    def flush(self) -> list[ev.Event]:
        """End every open block: call at the end of the stream, or when output has gone quiet."""
        self._after_error = False  # a request line after a quiet spell is no longer the error's own
        out: list[ev.Event] = []
        self._end_block(out)
        self._end_schema(out)
        self._end_migrations(out)
        return out

    # A line outside any block.
    def _start(self, line: str, out: list[ev.Event]) -> None:
        if self._failed and (answered := self._succeeded(line)) is not None:
            out.append(answered)
            return
        if not _START_ANCHOR.search(line):
            return
        n = self._line_number
        error_class = _ERROR_CLASS.match(line)
        invocation = _invocation(line)
        if error_class or invocation:
            self._block = _ClientBlock(start=n)
            if error_class:
                self._block.error_class = error_class.group("cls")
                rest = error_class.group("rest")
                if rest.strip():
                    self._continue_block(rest, out, count=False)
            if invocation:
                self._open_invocation(*invocation)
            return
        if self._start_client_message(line, out):
            return
        if _p1012_start(line):
            self._schema, self._schema_start = [], n
            return
        if _SCHEMA_ERROR.match(line) and _ENV_MISSING.search(line):
            self._schema, self._schema_start = [], n
            self._continue_schema(line, out)
            return
        pending, failed = _PENDING_HEADER.search(line), _FAILED_HEADER.search(line)
        if pending or failed:
            self._migrations = ("pending" if pending else "failed", n, [])
            return
        out.extend(self._one_line_event(line, n))

    def _succeeded(self, line: str) -> ev.RequestSucceeded | None:
        """A request line answered 2xx/3xx for a request that failed before, the same method and path (its query
        aside): that failure is over (said once). Another route's success (`GET /favicon.ico 200`, `POST /posts 200`
        after `GET /posts 500`) says nothing of it."""
        request = succeeded_request(line)
        if request is None:
            return None
        # Printed by the process whose request failed: `[web] GET /emails 200` ends nothing of `[api]`'s.
        key = (request_source(line), request.method, bare_path(request.path))
        if key not in self._failed:
            return None
        self._failed.discard(key)
        return ev.RequestSucceeded(line=self._line_number, text=line.strip(), method=request.method, path=request.path)

    def _one_line_event(self, line: str, n: int) -> Iterator[ev.Event]:
        # A pattern that starts with an alternation is tried at every position of the line (~20x slower than one
        # that starts with a literal): a substring test first, so that a long line pays for it only when it may match.
        text = line.strip()
        if (m := _NOT_INITIALIZED.search(line)) and _at_message_start(line, m) and "throw new Error(" not in line:
            yield ev.ClientNotInitialized(line=n, text=text)
        elif (m := _ENGINE_NOT_FOUND.search(line)) and _at_message_start(line, m, lead="Prisma Client "):
            yield ev.EngineNotFound(line=n, text=text, runtime=m.group("rt"))
        elif (
            ("request to " in line or "Failed to fetch" in line or "Error downloading" in line)
            and (m := _ENGINE_DOWNLOAD.search(line))
            and _at_message_start(line, m)
        ):
            url = _first(m, "url", "url2", "url3")
            yield ev.EngineDownloadFailed(line=n, text=text, url=url, reason=m.group("reason"))
        elif (
            ("EPERM" in line or "EBUSY" in line or "EACCES" in line)
            and (m := _ENGINE_ERROR.search(line))
            and _at_message_start(line, m)
            and (locked := _locked_engine(line))
        ):
            yield ev.EngineLocked(line=n, text=text, error=locked[0], path=locked[1])
        elif (m := _ENV_MISSING.search(line)) and _at_message_start(line, m):
            yield ev.EnvVarMissing(line=n, text=text, name=m.group("name"))
        elif (
            (m := _GENERATED.search(line))
            and _at_message_start(line, m)
            and (version := _generated_version(m.group("inside")))
        ):
            yield ev.ClientGenerated(line=n, text=text, version=version, output=m.group("output"))
        elif not self._in_record and (
            _READY.search(line)
            or (("estart" in line or "ready in" in line or "starting `" in line) and _RESTARTED.search(line))
        ):
            # A JSON record is what the app logged: a watcher or Next prints its restart as a line of its own.
            yield ev.DevServerReady(line=n, text=text)
        elif "[vite]" in line and any(True for _ in server_reloads([line])):
            yield ev.ServerModulesReloaded(line=n, text=text)
        elif (
            ("Drift detected" in line or "migration history" in line)
            and (m := _DRIFT.search(line))
            and _at_message_start(line, m)
        ):
            yield ev.DatabaseDrift(line=n, text=text)
        elif (m := _UP_TO_DATE.search(line)) and _at_message_start(line, m):
            yield ev.MigrationsUpToDate(line=n, text=text)
        elif m := _MIGRATION_NAME_IN_TRACE.search(line):
            # The schema engine's trace names the failing migration once per span; report it once.
            if m.group("name") not in self._failed_in_trace:
                self._failed_in_trace.add(m.group("name"))
                yield ev.MigrationFailed(line=n, text=text, names=(m.group("name"),))
        elif "igration" in line and (m := _MIGRATION_FAILED.search(line)) and _at_message_start(line, m):
            name = m.group("name")
            if m.group("p3009"):
                # `migrate deploy`'s P3009 names the failed migrations on the lines that follow.
                self._migrations = ("failed", n, [])
            elif shadow := m.group("shadow"):
                yield ev.MigrationFailed(line=n, text=text, names=(shadow,), reason=ev.SHADOW_DATABASE)
            else:
                yield ev.MigrationFailed(line=n, text=text, names=(name,) if name else ())
        elif (
            ("Can't reach" in line or "ECONNREFUSED" in line)
            and (m := _P1001.search(line))
            and _at_message_start(line, m, lead="connect ")
        ):
            yield ev.DatabaseUnreachable(line=n, text=text, code="P1001", address=_first(m, "addr", "addr2"))
        elif event := tool_event(line, n, self._previous):
            yield event

    # Client error blocks.
    def _start_client_message(self, line: str, out: list[ev.Event]) -> bool:
        """A client error message seen without a header (a driver's error printed on its own)."""
        found = _classify_message(line, raw_driver_text=False)
        if found is None or not _at_message_start(line, found[2], lead="Prisma Client "):
            return False
        block = _ClientBlock(start=self._line_number)
        if not self._read_message(block, line, raw_driver_text=False):
            return False
        self._block = block
        return True

    def _open_invocation(self, expression: str, expects_path: bool) -> None:
        assert self._block is not None
        self._block.expression = expression
        self._block.expects_path = expects_path

    def _continue_block(self, line: str, out: list[ev.Event], count: bool = True) -> bool:
        block = self._block
        assert block is not None
        if count:
            block.lines += 1
        if block.lines > MAX_BLOCK_LINES:
            self._end_block(out)
            return False
        if block.expects_path and line.strip():
            block.expects_path = False
            if m := _PATH_LINE.match(line):
                line_number, column = int(m.group("line")), int(m.group("col"))
                block.invocation_location = ev.SourceLocation(ev.printed_path(m.group("file")), line_number, column)
                return True
        if block.message is None:
            if (found := _invocation(line)) and block.expression is None:
                self._open_invocation(*found)
                return True
            if _CODE_FRAME.match(line):
                # The header's code frame is never the message: it may be a line of the client's own minified
                # runtime, tens of KB long and holding its message templates, which the catalogue's ~70 shapes
                # would each search for nothing (or find there).
                return True
            if self._read_message(block, line):
                return True
            if m := _AVAILABLE_OPTION.match(line):
                block.available.append(m.group("name"))
            block.read_argument_line(line, self._indent)
            if _ERROR_CLASS.match(line) or _p1012_start(line):
                self._end_block(out)
                return False
            # The header's code frame and the rendered query arguments.
            return True
        return self._continue_after_message(block, line, out)

    def _read_message(self, block: _ClientBlock, line: str, raw_driver_text: bool = True) -> bool:
        found = _classify_message(line, raw_driver_text)
        if found is None and raw_driver_text and (entry := match_message(line)) is not None:
            # A message the rules above have no event for: its catalogue row names it (docs/errors.md).
            found = ev.OtherClientError, {"code": entry.code if entry.code in PRISMA_CODES else None}, 0
        if found is None:
            return False
        if block.message is not None:
            return False
        if _quoted(line, found[2]):
            # Quoted in the app's own words (`app says: "Invalid ... The table ... does not exist"`), which an open
            # block without its message yet (after `PrismaClientKnownRequestError: P2022`) must not take either.
            return False
        block.kind, block.details, _ = found
        block.message = line.strip()
        block.message_line = self._line_number
        return True

    def _continue_after_message(self, block: _ClientBlock, line: str, out: list[ev.Event]) -> bool:
        stripped = line.strip()
        if _ERROR_CLASS.match(line) or _invocation(line):
            self._end_block(out)
            return False
        if frame := _STACK_FRAME.match(line):
            block.frames.append(
                ev.SourceLocation(
                    file=ev.printed_path(_first(frame, "file1", "file2") or ""),
                    line=int(_first(frame, "line1", "line2") or 0),
                    column=int(_first(frame, "col1", "col2") or 0),
                    function=(frame.group("fn") or None),
                )
            )
            # Node appends the error's own properties as ` {` after the last frame.
            block.object_depth += stripped.endswith("{")
            return True
        for name, pattern in _OBJECT_FIELD.items():
            if (m := pattern.search(line)) and name not in block.fields:
                block.fields[name] = m.group("v")
        if _CODE_FRAME.match(line) and not _OBJECT_LINE.match(line):
            # Next's code frame (braces in code count for nothing); its last line may carry the ` {` that opens
            # the error's properties, which shows only once the next line is a property.
            block.maybe_open = stripped.endswith("{")
            if stripped.startswith(">") and block.marked_code is None:
                block.marked_code = stripped[:_MAX_MARKED_CODE]
            return True
        if block.maybe_open and _OBJECT_LINE.match(line):
            block.object_depth += 1
        block.maybe_open = False
        if block.object_depth or stripped.startswith("{"):
            block.object_depth += stripped.count("{") - stripped.count("}")
            if block.object_depth <= 0:
                # The error's properties are the last thing Node prints of it: the block is complete now, not
                # when the next line (or a quiet stream) shows it.
                self._end_block(out)
            return True
        if not stripped or stripped.startswith(("^", "digest:", "[cause]")) or _ERROR_CODE_LINE.match(line):
            return True
        self._end_block(out)
        return False

    def _end_block(self, out: list[ev.Event]) -> None:
        if self._block is not None:
            event = self._block.to_event()
            self._block = None
            if event is not None:
                out.append(event)

    # P1012 schema validation blocks.
    def _continue_schema(self, line: str, out: list[ev.Event]) -> bool:
        assert self._schema is not None
        if self._line_number - self._schema_start > MAX_BLOCK_LINES:
            self._end_schema(out)
            return False
        if m := _SCHEMA_ERROR.match(line):
            self._close_schema_message()
            self._schema_pending_message = (m.group("msg").strip(), self._line_number)
            return True
        if (m := _SCHEMA_POINTER.match(line)) and self._schema_pending_message:
            message, _ = self._schema_pending_message
            self._schema.append(ev.SchemaProblem(message, ev.SourceLocation(m.group("file"), int(m.group("line")))))
            self._schema_pending_message = None
            return True
        if _VALIDATION_COUNT.search(line):
            self._end_schema(out)
            return True
        return True

    def _close_schema_message(self) -> None:
        if self._schema_pending_message and self._schema is not None:
            self._schema.append(ev.SchemaProblem(self._schema_pending_message[0], None))
        self._schema_pending_message = None

    def _end_schema(self, out: list[ev.Event]) -> None:
        if self._schema is None:
            return
        self._close_schema_message()
        problems, start = self._schema, self._schema_start
        self._schema = None
        env_problems = [p for p in problems if _ENV_MISSING.search(p.message)]
        for problem in env_problems:
            m = _ENV_MISSING.search(problem.message)
            assert m is not None
            name = m.group("name")
            out.append(ev.EnvVarMissing(line=start, text=problem.message, name=name, schema_location=problem.location))
        rest = tuple(p for p in problems if p not in env_problems)
        if rest or not env_problems:
            out.append(ev.SchemaInvalid(line=start, text=rest[0].message if rest else "", problems=rest))

    # `migrate status` lists.
    def _continue_migrations(self, line: str, out: list[ev.Event]) -> bool:
        assert self._migrations is not None
        name = line.strip()
        if started := _FAILED_STARTED.match(name):
            name = started.group("name")
        if name and _MIGRATION_NAME.fullmatch(name) and len(self._migrations[2]) < 1000:
            self._migrations[2].append(name)
            return True
        self._end_migrations(out)
        return False

    def _end_migrations(self, out: list[ev.Event]) -> None:
        if self._migrations is None:
            return
        kind, start, names = self._migrations
        self._migrations = None
        text = f"{len(names)} migration(s) {'not yet applied' if kind == 'pending' else 'failed'}"
        if kind == "pending":
            out.append(ev.MigrationsPending(line=start, text=text, names=tuple(names)))
        else:
            out.append(ev.MigrationFailed(line=start, text=text, names=tuple(names)))


def _at_message_start(line: str, found: re.Match[str] | int, lead: str = "") -> bool:
    """Whether what was found begins Prisma's message on its line (`_MESSAGE_HEAD`), `lead` being the words its
    message has before what the pattern finds (`Prisma Client ` before `could not locate`)."""
    at = found if isinstance(found, int) else found.start()
    if lead and line.endswith(lead, 0, at):
        at -= len(lead)
    return _MESSAGE_HEAD.fullmatch(line, 0, at) is not None


def _quoted(line: str, at: int) -> bool:
    """Whether the message found at `at` is quoted in other text: a quotation mark opens before it, after words that
    neither begin a message (`_MESSAGE_HEAD`) nor name an error's property (`  message: '...'`). Prisma's own
    message may hold its pattern past its start (`An operation failed because it depends on ...`), but quotes only
    the names it gives in backticks."""
    if _at_message_start(line, at, lead="Prisma Client ") or _PROPERTY_HEAD.fullmatch(line, 0, at):
        return False
    return any(mark in line[:at] for mark in _QUOTATION_MARKS)


def _unrouted(event: ev.Event) -> bool:
    return isinstance(event, ev.ClientError) and event.route is None


def _on_request(event: ev.Event, method: str, path: str, source: str) -> ev.Event:
    """A client error tied to the request that failed with it (`source`: the process that printed that request)."""
    if not isinstance(event, ev.ClientError):
        return event
    return replace(event, route=path, route_method=method, route_source=source)


def _invocation(line: str) -> tuple[str, bool] | None:
    """The expression of an ``Invalid `...` invocation`` header, and whether the path line follows (`in`)."""
    start = line.find(_INVOCATION_START)
    if start < 0 or not _at_message_start(line, start):
        # Absent, or quoted in the app's own words (`[worker] echo: Invalid `prisma.user.update()` invocation:`).
        return None
    start += len(_INVOCATION_START)
    # The expression is never empty; `\Z` makes the end unique, so the first one found is the header's.
    end = _INVOCATION_END.search(line, start + 1)
    return (line[start : end.start()], end.group("in") is not None) if end else None


def _locked_engine(line: str) -> tuple[str, str] | None:
    """`EPERM ... 'path/libquery_engine-*.node'`: the error, and the first quoted text after it that names an engine."""
    error = _ENGINE_ERROR.search(line)
    first_quote = line.find("'", error.end()) if error else -1
    if first_quote < 0:
        return None
    names = [at for at in (line.find("query_engine", first_quote), line.find("query-engine", first_quote)) if at >= 0]
    if not names:
        return None
    # The text between the two quotes around the first engine name is the first quoted text that names one.
    at = min(names)
    opening, closing = line.rfind("'", first_quote, at), line.find("'", at)
    return (error.group("err"), line[opening + 1 : closing]) if error and closing >= 0 else None


def _generated_version(inside: str) -> str | None:
    """`v6.17.1 | library` -> `6.17.1`: the first word, without its `v`; None when the parentheses open on a space."""
    word = inside.split(None, 1)[0] if inside and not inside[0].isspace() else ""
    return word[1:] if word.startswith("v") and len(word) > 1 else word or None


def _p1012_start(line: str) -> bool:
    # Two tests rather than one alternation, which would try both at every character of a long line.
    return "Prisma schema validation" in line or _P1012_CODE_LINE.match(line) is not None


def _classify_message(
    line: str, raw_driver_text: bool = True
) -> tuple[Callable[..., ev.ClientError], dict[str, Any], int] | None:
    """The event kind and details of a client error message, and where on the line the message was found; None if
    the line is not one.

    A database's own wording (`no such column`, `relation "x" does not exist`) counts only inside a client error's
    frame: the same words come from `migrate deploy` when a migration's SQL fails.
    """
    # The patterns without a literal start are slow on the long lines of a code frame: each runs only when a word
    # it cannot match without is in the line.
    exists = "exist" in line  # "does not exist", "n'existe pas"
    if "of undefined" in line and (m := _UNDEFINED_DELEGATE.search(line)) and m.group("action") in _PRISMA_ACTIONS:
        return ev.ModelDelegateMissing, {"action": m.group("action")}, m.start()
    if "Unable to require" in line and (m := _UNABLE_TO_REQUIRE.search(line)):
        return ev.EngineLibraryInvalid, {"path": m.group("path")}, m.start()
    if "could not locate" in line and (m := _ENGINE_NOT_FOUND.search(line)):
        return ev.EngineNotFound, {"runtime": m.group("rt")}, m.start()
    if m := _P2022.search(line):
        return ev.MissingColumn, {**_split_column(m.group("col")), "code": "P2022"}, m.start()
    if m := _P2021.search(line):
        return ev.MissingTable, {**_split_table(m.group("table")), "code": "P2021"}, m.start()
    if "Database error" in line and (m := _ADAPTER_UNREACHABLE.search(line)):
        return ev.DatabaseUnreachable, {"address": None, "code": "P2039"}, m.start()
    if "View '" in line and (m := _BROKEN_VIEW.search(line)):
        return ev.BrokenView, _split_table(m.group("view")), m.start()
    if not raw_driver_text:
        pass
    elif ("has no field" in line or "n'a pas de champ" in line) and (m := _PG_RECORD.search(line)):
        return (
            ev.DatabaseObjectError,
            {"record": _first(m, "rec", "rec_fr"), "field": _first(m, "field", "field_fr")},
            m.start(),
        )
    elif m := _SQLITE_COLUMN.search(line):
        return ev.MissingColumn, _split_column(m.group("col")), m.start()
    elif m := _SQLITE_TABLE.search(line):
        return ev.MissingTable, _split_table(m.group("table")), m.start()
    elif exists and (m := _PG_COLUMN.search(line)):
        if qualified := _first(m, "qcol", "qcol_fr"):
            return ev.MissingColumn, _split_column(qualified), m.start()
        return (
            ev.MissingColumn,
            {"column": _first(m, "col", "col_fr"), "table": _first(m, "table", "table_fr")},
            m.start(),
        )
    elif exists and (m := _PG_TABLE.search(line)):
        return ev.MissingTable, _split_table(_first(m, "table", "table_fr") or ""), m.start()
    elif "for enum" in line and (m := _PG_ENUM_VALUE.search(line)):
        return ev.InvalidEnumValue, {"enum": m.group("enum").replace('"', ""), "value": m.group("value")}, m.start()
    if m := _P2002.search(line):
        fields = tuple(f.strip(" `") for f in m.group("fields").split(",") if f.strip(" `"))
        return ev.UniqueConstraintFailed, {"fields": fields, "code": "P2002"}, m.start()
    if "ecord" in line and (m := _P2025.search(line)):
        return ev.RecordNotFound, {"code": "P2025"}, m.start()
    if m := _UNKNOWN_ARGUMENT.search(line):
        return ev.UnknownArgument, {"argument": m.group("arg")}, m.start()
    if m := _UNKNOWN_FIELD.search(line):
        return ev.UnknownField, {"field": m.group("field"), "on_model": m.group("model")}, m.start()
    if "Invalid value for" in line and (m := _INVALID_VALUE.search(line)):
        expected = _EXPECTED_TYPES.search(line, m.end())
        types = expected.group("types").replace(" or ", ", ").split(", ") if expected else []
        return ev.InvalidValue, {"argument": m.group("arg"), "expected": tuple(t for t in types if t)}, m.start()
    if "Can't reach" in line and (m := _P1001.search(line)):
        return ev.DatabaseUnreachable, {"address": m.group("addr"), "code": "P1001"}, m.start()
    return None


def _split_column(name: str) -> dict[str, Any]:
    """`schema.Table.column`, `Table.column` or `column`, as the client prints them."""
    parts = name.split(".")
    if len(parts) >= 3:
        return {"schema": ".".join(parts[:-2]), "table": parts[-2], "column": parts[-1]}
    if len(parts) == 2 and parts[0] and parts[1]:
        return {"table": parts[0], "column": parts[1]}
    return {"column": name}


def _split_table(name: str) -> dict[str, Any]:
    schema, _, table = name.rpartition(".")
    return {"table": table, "schema": schema or None}


_PIECE = 16 * 1024


class LogReader:
    """Chunks in, events out: a `LineReader` and a `Recognizer` together.

    Most output is ordinary dev-server lines. Rather than cut every chunk into lines and test each, the reader finds
    where an anchor word can be in the whole chunk and gives the recognizer only those lines and the lines of a
    block it is reading; the others are only counted. The events are those of feeding every line
    (tests/test_logs_fast_path.py compares the two).
    """

    def __init__(self) -> None:
        from prisma_doctor.logs.tasks import TaskRecognizer

        self.lines = LineReader()
        self.recognizer = TaskRecognizer()

    def feed(self, chunk: bytes | str) -> list[ev.Event]:
        out: list[ev.Event] = []
        # A big chunk is read in pieces: their texts stay in the CPU's cache and small enough for the allocator to
        # reuse (64 KiB chunks decoded whole grew glibc's heap by 5 MB), and a chunk can be cut anywhere.
        for start in range(0, len(chunk), _PIECE):
            clean, body = self.lines.feed_parts(chunk[start : start + _PIECE])
            for line in clean:
                out.extend(self.recognizer.feed_line(line))
            if body:
                self._read_body(body, out)
        return out

    def _read_body(self, body: str, out: list[ev.Event]) -> None:
        recognizer, whole_line = self.recognizer, self.lines.whole_line
        position, end = 0, len(body)
        # Where each candidate pattern matches next, searched again only once reading has passed it: a line full of
        # anchor words (`EPERM 'EPERM '...`) costs one search per pattern, not a match object for every word.
        ahead = [-1] * len(_ANCHOR_CANDIDATES)
        request_ahead, watched = -1, frozenset[str]()
        while position < end:
            if recognizer.reading_block:
                line_end = body.index("\n", position)
                out.extend(recognizer.feed_line(whole_line(body[position:line_end])))
                position = line_end + 1
                continue
            for index, at in enumerate(ahead):
                if at < position:
                    match = _ANCHOR_CANDIDATES[index].search(body, position)
                    ahead[index] = match.start() if match else end
            found = min(ahead)
            paths = recognizer.watched_paths
            if paths:
                if paths != watched:
                    watched, request_ahead = paths, -1
                if request_ahead < position:
                    request_ahead = _next_request_line(body, position, paths, end)
                found = min(found, request_ahead)
            if found == end:
                self._skip(body, position, end, out)
                return
            before = body.rfind("\n", position, found)
            line_start = position if before < 0 else before + 1
            self._skip(body, position, line_start, out)
            line_end = body.index("\n", found)
            out.extend(recognizer.feed_line(whole_line(body[line_start:line_end])))
            position = line_end + 1

    def _skip(self, body: str, start: int, stop: int, out: list[ev.Event]) -> None:
        """Count the whole lines of `body[start:stop]` without reading them, but the last: it may be the line before
        an anchored one (a bundler's importing file), which the recognizer reads with it."""
        count = body.count("\n", start, stop)
        if count == 0:
            return
        last_end = body.rfind("\n", start, stop)
        last_start = max(start, body.rfind("\n", start, last_end) + 1)
        self.recognizer.skip_lines(count - 1)
        out.extend(self.recognizer.feed_line(self.lines.whole_line(body[last_start:last_end])))

    @property
    def reading_block(self) -> bool:
        """Output so far ends inside a block: `flush` ends it if no more output comes."""
        return self.recognizer.reading_block

    @property
    def mostly_binary(self) -> bool:
        """More lines were binary noise than text: what was read is no log (an executable, an archive...)."""
        return self.lines.noise_lines > self.recognizer.lines_read

    def flush(self) -> list[ev.Event]:
        return self.recognizer.flush()

    def close(self) -> list[ev.Event]:
        out: list[ev.Event] = []
        for line in self.lines.close():
            out.extend(self.recognizer.feed_line(line))
        return out + self.recognizer.flush()


def recognize(lines: Iterable[str]) -> list[ev.Event]:
    from prisma_doctor.logs.tasks import TaskRecognizer

    recognizer = TaskRecognizer()
    out: list[ev.Event] = []
    for line in lines:
        out.extend(recognizer.feed_line(line))
    return out + recognizer.flush()


def read_events(chunks: Iterable[bytes | str]) -> list[ev.Event]:
    reader = LogReader()
    out: list[ev.Event] = []
    for chunk in chunks:
        out.extend(reader.feed(chunk))
    return out + reader.close()
