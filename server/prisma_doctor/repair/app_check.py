"""Whether the app works after a repair: the route that failed (or the root) requested on localhost, through the dev
server's compile, and its output read for the error coming back. "Verified" rests on this answer and nothing less.

Only GET requests, only to a loopback address, on a port the dev server's own processes listen on and on the address
they listen on (`repair/listeners.py`), never following a redirect (`repair/http_get.py`): asking again never sends
what could write (a failed POST is not sent again; for Next, whose server actions post to their page, the page is
asked with a GET), never reaches another machine, and never takes another program's answer for the app's.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from prisma_doctor import project_files
from prisma_doctor.findings import Finding, Severity
from prisma_doctor.logs import nextlog
from prisma_doctor.logs.events import ClientError, Event, RecordNotFound, UniqueConstraintFailed
from prisma_doctor.logs.recognize import LogReader
from prisma_doctor.logs.routes import (
    MAX_ROUTES,
    FailedRequest,
    answered_requests,
    arrived_request,
    failed_requests,
    failed_requests_in,
    request_source,
)
from prisma_doctor.logs.stream import read_lines
from prisma_doctor.process_start import same_start
from prisma_doctor.repair import http_get
from prisma_doctor.repair.failed_page import built_source, failed_page
from prisma_doctor.repair.listeners import Listener, listener_on
from prisma_doctor.state_folder import STATE_DIR

# Where a dev server's output can be read without owning its terminal: `prisma-doctor run`'s record (and a
# repair's restart), and Next 16's own dev log.
OUTPUTS = (Path(STATE_DIR) / "dev-output.log", nextlog.LOG)
# How much of each output's end is read for the routes that failed.
TAIL_BYTES = 1 << 20
# A first request makes a dev server compile the page (Next, Vite): this long at most, per route.
ANSWER_TIMEOUT = 150.0
# After the answer, what the server printed about the request may still be on its way to a file (relayed by
# `prisma-doctor run`, or Next's own dev log). The wait ends on evidence (`_settle`), and lasts at most this long.
SETTLE_SECONDS = 1.0
# A server that logs no requests: its outputs unchanged this long after the answer have said what they had to.
QUIET_SECONDS = 0.1
POLL_SECONDS = 0.02
# How often a failed server's tree is looked at for a restarted listener.
RESTART_POLL_SECONDS = 0.2
# The app's data, not its code or client: no repair fixes them, so their requests are not the repair's to verify.
_DATA_PROBLEMS = (UniqueConstraintFailed, RecordNotFound)
# How much of each output before the request is read to tell whether the server logs its requests.
REQUEST_LOG_BYTES = 64 << 10


@dataclass(frozen=True)
class AppAnswer:
    route: str
    port: int
    status: int | None  # None: no HTTP answer at all
    problem: str  # empty when the route answered without a 5xx and no error came back
    came_back: tuple[Finding, ...] = ()
    location: str | None = None  # a redirect's target (never followed: it may be another machine, or another program)
    cut: str = ""  # why its body was not read to its end (a stream that does not end)

    @property
    def ok(self) -> bool:
        return not self.problem

    def describe(self) -> str:
        answered = f"answers {self.status}" if self.status is not None else "does not answer"
        if self.location is not None:
            answered += f" (a redirect to {self.location}, not followed)"
        if self.cut:
            answered += f" ({self.cut}: judged by its status and output)"
        return f"GET {self.route} on localhost:{self.port} {answered}" + (f": {self.problem}" if self.problem else "")


def requests_that_failed(root: Path) -> list[FailedRequest]:
    """The requests the dev server's readable outputs show failing (latest last); none when nothing is known: those
    a request line with a 5xx names, those that arrived (`GET /todos`, no status) just before an error no such
    line follows, and the GET of the page an error with no request line was thrown in (`failed_page`)."""
    found = failed_requests(
        tail + b"\n"
        for tail in (_read(root / output, -TAIL_BYTES, TAIL_BYTES) for output in OUTPUTS)
        if tail is not None
    )
    for failure in _failures(root):
        if failure.arrived is not None:
            if failure.arrived in found:
                found.remove(failure.arrived)
            found.append(failure.arrived)
    return found[-MAX_ROUTES:]


def request_sources(root: Path) -> dict[FailedRequest, str]:
    """Which process printed each failed request line, as a runner of several names it (`[web] GET /users 500`:
    `web`), its latest failure counting; a request whose line names none is not in it."""
    sources: dict[FailedRequest, str] = {}
    for output in OUTPUTS:
        data = _read(root / output, -TAIL_BYTES, TAIL_BYTES)
        for line in read_lines([data] if data is not None else []):
            for request in failed_requests_in(line):
                if source := request_source(line):
                    sources[request] = source
                else:
                    sources.pop(request, None)
    return sources


def failures_without_request(root: Path) -> list[str]:
    """Where the latest Prisma errors in the dev server's outputs failed when no request line names their request
    (Vite/React Router and a server without a request logger print none): their call sites (`src/server.ts:14`),
    latest last. A repair cannot ask them again, and `/` answering shows nothing of them."""
    sites: list[str] = []
    for failure in _failures(root):
        if failure.arrived is not None:
            continue
        site = _site(failure.error, root)
        if site in sites:
            sites.remove(site)
        sites.append(site)
    return sites[-MAX_ROUTES:]


def _site(error: ClientError, root: Path) -> str:
    """Where an error failed, as a person finds it: its source file and line (a bundle's, through its map), else its
    message."""
    where = error.source
    if where is None:
        return f"`{_said(error)}`"
    source = built_source(where, root) if where.is_build_output else None
    return f"{source[0]}:{source[1]}" if source is not None else f"{where.file}:{where.line}"


def _said(error: ClientError) -> str:
    """The error as its output said it: its message, else (a header whose message the output cut) its call."""
    if text := error.text.strip():
        return text[:80]
    if error.invocation:
        return error.invocation.expression
    return error.error_class or "a Prisma error"


@dataclass(frozen=True)
class _Failure:
    """A Prisma error in the output that no failed request line (`GET /x 500`) follows."""

    error: ClientError
    # The request that arrived just before it (`GET /todos`), when one did; else the GET of the page its frame names
    # (`repair/failed_page.py`), when it names one.
    arrived: FailedRequest | None


def _failures(root: Path) -> list[_Failure]:
    found: list[_Failure] = []
    # What the errors said that a request line ties to their request. Next writes each error it prints to its own
    # log too, without the request line it prints after it (` GET / 500 in 167ms`): in Next's log, an error that the
    # terminal's record (`prisma-doctor run`'s, read first) ties to its request is that request's, not one unknown.
    tied: set[tuple[type, str, str | None]] = set()
    for output in OUTPUTS:
        data = _read(root / output, -TAIL_BYTES, TAIL_BYTES)
        if data is None:
            continue
        data = _messages(output, data)
        failed: list[int] = []
        arrived: dict[int, FailedRequest] = {}
        for number, line in enumerate(read_lines([data]), 1):
            if failed_requests_in(line):
                failed.append(number)
            elif (request := arrived_request(line)) is not None:
                arrived[number] = request
        errors = [e for e in _events(output, data) if isinstance(e, ClientError) and not isinstance(e, _DATA_PROBLEMS)]
        bounds = [0, *(e.line for e in errors), len(data)]
        claimed: set[int] = set()
        for index, error in enumerate(errors):
            previous, following = bounds[index], bounds[index + 2]
            # Its request: a failed request line before the next error (`POST /x 500 in 9ms`, printed once answered).
            after = [n for n in failed if error.line < n <= following and n not in claimed]
            if after:
                claimed.add(after[0])
                tied.add(_what_it_says(error))
                continue
            if error.route is not None:
                tied.add(_what_it_says(error))
                continue
            # Or one printed just before it that no earlier error took: a server logs its requests on stdout and its
            # errors on stderr, two pipes read apart, so the request line of a burst may come first.
            lagging = [n for n in failed if previous < n < error.line and n not in claimed]
            if lagging:
                claimed.add(lagging[-1])
                tied.add(_what_it_says(error))
                continue
            if output == nextlog.LOG and _what_it_says(error) in tied:
                continue
            before = [request for number, request in arrived.items() if previous < number < error.line]
            # Or, with no request line at all (Next's own log has none), the page its frame names.
            page = failed_page(error, root) if not before else None
            found.append(_Failure(error, before[-1] if before else FailedRequest("GET", page) if page else None))
    return found


def _what_it_says(error: ClientError) -> tuple[type, str, str | None]:
    """What an error says, whichever output shows it: its kind, the line that says what is wrong, and the call."""
    return type(error), error.text.strip(), error.invocation.expression if error.invocation else None


def ask_app(
    root: Path,
    listener: Listener,
    route: str,
    *,
    say: Callable[[str], None] = lambda message: None,
    should_stop: Callable[[], bool] = lambda: False,
    timeout: float = ANSWER_TIMEOUT,
    watcher_grace: float = 0.0,
    tree_root: int | None = None,
) -> AppAnswer:
    """GET `route` from `listener` (a process of the dev server's tree) and judge the answer and what the server
    printed meanwhile.

    A runtime error that comes back is diagnosed knowing when the process that listens started (older than the
    client: a stale server). With `watcher_grace` and the server's `tree_root`, a failed answer is asked again once
    the server's tree listens from a process started since (a watcher, `node --watch` or nodemon, that restarts by
    itself for the new client a moment after the generate): on that evidence only, waited for at most
    `watcher_grace` seconds. No restart: the first answer stands."""
    answer = _ask(root, listener, route, say, should_stop, timeout)
    if answer.ok or watcher_grace <= 0 or tree_root is None or should_stop():
        return answer
    say(f"GET {route} failed; waiting up to {watcher_grace:.0f}s for the dev server to restart by itself")
    deadline = time.monotonic() + watcher_grace
    while time.monotonic() < deadline and not should_stop():
        again = listener_on(tree_root, listener.port)
        # A start read twice differs by microseconds (`started_at`): only a later start beyond that is a restart.
        if again is not None and again.started > listener.started and not same_start(again.started, listener.started):
            return _ask(root, again, route, say, should_stop, timeout)
        time.sleep(RESTART_POLL_SECONDS)
    return answer


def _ask(
    root: Path,
    listener: Listener,
    route: str,
    say: Callable[[str], None],
    should_stop: Callable[[], bool],
    timeout: float,
) -> AppAnswer:
    offsets = {output: _size(root / output) for output in OUTPUTS}
    reply = _request(listener, route, say, should_stop, timeout)
    status = reply.status
    if status is not None:
        _settle(root, offsets, FailedRequest("GET", route), should_stop)
    came_back = _errors_since(root, offsets, listener.started)
    if status is None:
        problem = f"no answer ({reply.error})"
    elif status >= 500:
        problem = "a server error"
    elif came_back:
        problem = "the error came back in its output"
    else:
        problem = ""
    return AppAnswer(route, listener.port, status, problem, came_back, reply.location, reply.cut)


def _request(
    listener: Listener, route: str, say: Callable[[str], None], should_stop: Callable[[], bool], timeout: float
) -> http_get.Reply:
    """GET `route` from `listener` (`http_get`: no redirect followed, the body bounded), asked again while nothing
    listens yet, for at most `timeout` in all until the headers arrive."""
    deadline = time.monotonic() + timeout
    reply = http_get.Reply(None, "nothing listens")

    def waiting(seconds: float, status: int | None) -> None:
        # Only a server that has not answered yet is compiling; one that answered is sending its body.
        if status is None:
            say(f"GET {route}: waiting for the dev server to compile it ({seconds:.0f}s)")
        else:
            say(f"GET {route} answered {status}; reading its body ({seconds:.0f}s)")

    while (left := deadline - time.monotonic()) > 0:
        reply = http_get.get(
            listener.host, listener.port, route, timeout=left, should_stop=should_stop, waiting=waiting
        )
        if reply.status is not None or reply.error == "cancelled":
            return reply
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    return http_get.Reply(None, f"{reply.error} within {timeout:.0f}s" if "within" not in reply.error else reply.error)


def _settle(root: Path, offsets: dict[Path, int], request: FailedRequest, should_stop: Callable[[], bool]) -> None:
    """Return once the outputs hold what the server printed about `request`, as far as evidence tells: its own
    request line (`GET / 200 in 35ms`, printed after anything printed while handling it) when the server logs its
    requests, else outputs unchanged for `QUIET_SECONDS` (a server writing into the file has printed what it printed
    before it answered). Never longer than `SETTLE_SECONDS`: no fixed wait on every repair."""
    deadline = time.monotonic() + SETTLE_SECONDS
    logs_requests = bool(answered_requests(_read_before(root, offsets)))
    sizes = _sizes(root, offsets)
    quiet_since = time.monotonic()
    while not should_stop():
        if logs_requests and request in answered_requests(_read_since(root, offsets).values()):
            return
        now = time.monotonic()
        if now >= deadline or (not logs_requests and now - quiet_since >= QUIET_SECONDS):
            return
        time.sleep(POLL_SECONDS)
        current = _sizes(root, offsets)
        if current != sizes:
            sizes, quiet_since = current, time.monotonic()


def _sizes(root: Path, offsets: dict[Path, int]) -> list[int]:
    return [_size(root / output) for output in offsets]


def _read_since(root: Path, offsets: dict[Path, int]) -> dict[Path, bytes]:
    """What each output holds from its offset on, at most `TAIL_BYTES`."""
    read = {output: _read(root / output, offset, TAIL_BYTES) for output, offset in offsets.items()}
    return {output: data for output, data in read.items() if data is not None}


def _read_before(root: Path, offsets: dict[Path, int]) -> list[bytes]:
    """The last `REQUEST_LOG_BYTES` of each output before its offset."""
    starts = {output: max(0, offset - REQUEST_LOG_BYTES) for output, offset in offsets.items()}
    read = [_read(root / output, starts[output], offsets[output] - starts[output]) for output in offsets]
    return [data for data in read if data is not None]


def _read(path: Path, start: int, limit: int) -> bytes | None:
    """At most `limit` bytes of the project file `path` from `start` (counted from its end when negative; from its
    beginning when the file is now shorter, a record that started over); None when it cannot be read."""
    try:
        with project_files.open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(max(0, size + start) if start < 0 else start if start <= size else 0)
            return handle.read(limit)
    except OSError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _errors_since(root: Path, offsets: dict[Path, int], started_at: float | None) -> tuple[Finding, ...]:
    """The errors the dev server printed since `offsets`, as findings with their cause."""
    events = [event for output, data in _read_since(root, offsets).items() for event in _events(output, data)]
    return _diagnosed(root, events, started_at)


def latest_failure(root: Path) -> tuple[Finding, ...]:
    """What the latest Prisma error in the dev server's outputs (the output written last) was, diagnosed: what a
    repair is run for, and what it must say before it starts when it cannot fix that (a trigger's error)."""
    written = sorted((path for path in (root / output for output in OUTPUTS) if path.is_file()), key=_mtime)
    for path in reversed(written):
        data = _read(path, -TAIL_BYTES, TAIL_BYTES)
        output = path.relative_to(root)
        errors = [e for e in _events(output, data) if isinstance(e, ClientError)] if data is not None else []
        if errors:
            return _diagnosed(root, errors[-1:], None)
    return ()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _diagnosed(root: Path, events: Sequence[Event], started_at: float | None) -> tuple[Finding, ...]:
    """The errors among `events`, as findings with their cause (the project's facts; the server's start when known)."""
    from prisma_doctor.diagnosis import Diagnoser
    from prisma_doctor.diagnosis.facts import facts_for_folder

    if not events:
        return ()
    # `root` is the folder the dev server runs in: in a workspace an app (`apps/web`), whose schema is its package's.
    facts = facts_for_folder(root)
    if facts is not None and started_at is not None:
        facts = replace(facts, dev_server_started_at=datetime.fromtimestamp(started_at, tz=timezone.utc))
    diagnoser = Diagnoser(facts)
    found: dict[tuple[object, ...], Finding] = {}
    for event in events:
        for finding in diagnoser.findings_for(event):
            if finding.severity == Severity.ERROR:
                found.setdefault(finding.key, finding)
    return tuple(found.values())


def _events(output: Path, data: bytes) -> list[Event]:
    """The events in what `output` holds."""
    reader = LogReader()
    return reader.feed(_messages(output, data)) + reader.close()


def _messages(output: Path, data: bytes) -> bytes:
    """What `output` holds as lines of output (Next's own dev log: the messages of its JSON records)."""
    if output != nextlog.LOG:
        return data
    records = data.decode("utf-8", "replace").splitlines()
    return "\n".join(line for record in records for line in nextlog.message_lines(record)).encode()
