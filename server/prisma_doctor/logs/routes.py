"""Requests a dev server logged as failed (`GET /posts 500 in 35ms`, as Next, morgan and most servers print them,
or a pino/Fastify JSON line with `req` and a 5xx `res` or an `err`): the route a runtime finding carries
(`data.route`) and the requests a repair asks again to know whether the app works."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from prisma_doctor.json_values import JsonObject, is_object
from prisma_doctor.logs import json_record
from prisma_doctor.logs.nextlog import message_lines
from prisma_doctor.logs.stream import read_lines

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
# What may come before a request line on its line, and nothing else: a workspace runner's task (`web:dev: `), then
# timestamps, bracketed tags and levels (`[12:00:01]`, `2:22:40 AM`, `[vite]`, `INFO`), Hono's `-->`. A method, a path
# and a status anywhere else in a line (a User-Agent or a Referer that morgan's `combined` prints, a header an app
# logs: text a client on the network chose) is no request line, and is never sent again from here.
_LINE_HEAD = (
    r"^(?:(?:@[\w.-]+/)?[\w.-]+(?::[\w.-]+)+: )?\s*"
    r"(?:(?:\[[^\]\n]{1,40}\]|\d{1,2}:\d{2}:\d{2}(?:\.\d{1,6})?(?: ?[AP]M)?|-->|(?i:info|warn|error|debug|log)\b:?)"
    r"\s*){0,4}"
)
# A runner's name for the process a line came from: a workspace runner's task (`web:dev: `, as in `_LINE_HEAD`), or a
# word in brackets at the line's start (`concurrently`'s `[api] `; no `:`: not a time).
_SOURCE_TAG = re.compile(r"^(?:(?P<task>(?:@[\w.-]+/)?[\w.-]+(?::[\w.-]+)+): |\[(?P<tag>[\w.@/-]{1,40})\] )")
_STATUS_TAG = re.compile(r"[1-5]\d\d")
_LEVEL_TAGS = frozenset({"info", "warn", "warning", "error", "err", "debug", "log", "trace", "http", "fatal", "notice"})
_METHOD_AND_PATH = r"(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s\"'<>]{0,500})"


def _request_line(status: str) -> str:
    """A request line answered with `status` (a pattern of three digits): a method, a path and the status, in that
    order with single spaces, as Next, morgan and most servers print it once they answered; or the status first, in
    brackets, as SvelteKit prints it (`[500] GET /users`)."""
    return rf"{_LINE_HEAD}(?:{_METHOD_AND_PATH} (?:{status})\b|\[(?:{status})\] {_METHOD_AND_PATH}\s*$)"


_FAILED_REQUEST = re.compile(_request_line(r"5\d\d"))
_SUCCEEDED_REQUEST = re.compile(_request_line(r"[23]\d\d"))
_ANSWERED_REQUEST = re.compile(_request_line(r"[1-5]\d\d"))
_PATH = re.compile(r"/[^\s\"'<>]{0,500}")
# A request line printed as the request arrives, before any answer: `GET /todos` (an Express `console.log`), Hono's
# `<-- POST /users/2/rename`. The whole line is the request: a method and a path in running text is not one.
_ARRIVED = re.compile(r"^\s*(?:<--\s+)?(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s\"'<>]{0,500})\s*$")
# A repair asks again at most this many requests: the latest that failed.
MAX_ROUTES = 3
# pino's level for an error (`logger.error`): a line at this level with the request on it is a failed request.
_PINO_ERROR = 50


@dataclass(frozen=True)
class FailedRequest:
    method: str
    path: str

    @property
    def reads_only(self) -> bool:
        """Whether sending it again cannot change anything on its own terms (GET, HEAD)."""
        return self.method in ("GET", "HEAD")

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def failed_request_on(line: str) -> FailedRequest | None:
    """The failed request this clean line reports (the last, for a record that names several), or None."""
    found = failed_requests_in(line)
    return found[-1] if found else None


def request_source(line: str) -> str:
    """The process that printed a request line, as a runner of several names it at the line's start (`concurrently`:
    `[api] GET /emails 500`, `[0] ...`; Turborepo: `web:dev: ...`); "" when none does. A level or a time stamp in
    brackets names no process."""
    found = _SOURCE_TAG.match(line)
    if found and found["task"]:
        return found["task"]
    tag = found["tag"] or "" if found else ""
    # `[200] POST /posts`: a status in brackets, as some loggers print it, names no process either.
    return "" if tag.lower() in _LEVEL_TAGS or _STATUS_TAG.fullmatch(tag) else tag


def bare_path(path: str) -> str:
    """The path without its query: `/posts?page=2` and `/posts` are one route."""
    return path.split("?", 1)[0]


def same_route(failed_method: object, failed_path: object, method: str, path: str) -> bool:
    """Whether a request (`method`, `path`) is the one that failed: the same method and path, the query aside. A
    failure whose method is not known is ended by no request: another route's success says nothing of it."""
    return (
        isinstance(failed_method, str)
        and isinstance(failed_path, str)
        and failed_method == method
        and bare_path(failed_path) == bare_path(path)
    )


def failed_requests_in(line: str) -> list[FailedRequest]:
    """The failed requests one clean line reports: request lines, or one JSON log record."""
    if line.startswith("{"):
        record = _json_request(line)
        if record is not None:
            return [record]
        # Next's own dev log: one JSON record per line whose message is a request line.
        texts = message_lines(line)
    else:
        texts = [line]
    return [request for text in texts if "5" in text and (request := _matched(_FAILED_REQUEST, text)) is not None]


def succeeded_request(line: str) -> FailedRequest | None:
    """The request a clean request line says was answered without an error (2xx or 3xx), or None."""
    return _matched(_SUCCEEDED_REQUEST, line) if " /" in line else None


def arrived_request(line: str) -> FailedRequest | None:
    """The request a clean line says arrived (no status yet), or None."""
    found = _ARRIVED.match(line) if " /" in line else None
    return FailedRequest(found.group(1), found.group(2)) if found else None


def failed_requests(chunks: Iterable[bytes | str]) -> list[FailedRequest]:
    """The requests that failed, latest last, each once (its last failure counts), but for those the same process
    answered without an error since (`POST /users 500`, then `POST /users 201`): they fail no more."""
    failures: dict[FailedRequest, str] = {}  # each request that failed, and the process that printed its failure
    for line in read_lines(chunks):
        for request in failed_requests_in(line):
            failures.pop(request, None)
            failures[request] = request_source(line)
        succeeded = succeeded_in(line) if failures else None
        if succeeded is not None and failures.get(succeeded) == request_source(line):
            del failures[succeeded]
    return list(failures)[-MAX_ROUTES:]


def succeeded_in(line: str) -> FailedRequest | None:
    """The request one clean line says was answered without an error: a request line with a 2xx or 3xx, or a
    pino/Fastify record whose `res` status is under 400."""
    if line.startswith("{"):
        record = _json_record(line)
        if record is not None:
            request, status, _ = record
            return request if isinstance(status, int) and 200 <= status < 400 else None
        texts = message_lines(line)
    else:
        texts = [line]
    return next(filter(None, (succeeded_request(text) for text in texts)), None)


def answered_requests(chunks: Iterable[bytes | str]) -> list[FailedRequest]:
    """Every request the output logs as answered, whatever its status, in order: request lines (Next's own dev log's
    records too), and pino/Fastify records with a `req` and a `res` status."""
    answered: list[FailedRequest] = []
    for line in read_lines(chunks):
        if line.startswith("{"):
            record = _json_record(line)
            if record is not None:
                request, status, _ = record
                if request is not None and isinstance(status, int):
                    answered.append(request)
                continue
            texts = message_lines(line)
        else:
            texts = [line]
        answered += [request for text in texts if (request := _matched(_ANSWERED_REQUEST, text)) is not None]
    return answered


def _matched(pattern: re.Pattern[str], text: str) -> FailedRequest | None:
    found = pattern.match(text)
    if found is None:
        return None
    method, path = (found[1], found[2]) if found[1] is not None else (found[3], found[4])
    return FailedRequest(method, path)


def _json_request(line: str) -> FailedRequest | None:
    record = _pino_record(line)
    return failed_request_of(record) if record is not None else None


def failed_request_of(record: JsonObject) -> FailedRequest | None:
    """A pino/Fastify record that failed: `req` with its method and url, and a 5xx `res` or an error level."""
    answer = _answer_of(record)
    if answer is None:
        return None
    request, status, level = answer
    failed = (isinstance(status, int) and status >= 500) or (
        status is None and isinstance(level, int) and level >= _PINO_ERROR
    )
    return request if failed else None


def _json_record(line: str) -> tuple[FailedRequest | None, object, object] | None:
    """A pino/Fastify record's request, its `res` status and its level; None for a line that is no such record."""
    record = _pino_record(line)
    return _answer_of(record) if record is not None else None


def _pino_record(line: str) -> JsonObject | None:
    """The JSON record of a line that names a request (`req`), else None."""
    return json_record.parse(line) if '"req"' in line else None


def _answer_of(record: JsonObject) -> tuple[FailedRequest | None, object, object] | None:
    request, response = record.get("req"), record.get("res")
    if not is_object(request):
        return None
    status = response.get("statusCode") if is_object(response) else None
    return _request_of(request), status, record.get("level")


def _request_of(request: JsonObject) -> FailedRequest | None:
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or method.upper() not in _METHODS or not isinstance(url, str):
        return None
    path = _PATH.match(url)
    return FailedRequest(method.upper(), path.group(0)) if path else None
