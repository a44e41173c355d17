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
# A method, a path and a 5xx status, in that order with single spaces: the request line of a dev server's log.
_FAILED_REQUEST = re.compile(r"\b(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s\"'<>]{0,500}) 5\d\d\b")
_PATH = re.compile(r"/[^\s\"'<>]{0,500}")
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


def failed_route(line: str) -> str | None:
    """The path of the failed request this clean line reports, or None."""
    found = failed_requests_in(line)
    return found[-1].path if found else None


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
    return [FailedRequest(m, p) for text in texts if " 5" in text for m, p in _FAILED_REQUEST.findall(text)]


def failed_requests(chunks: Iterable[bytes | str]) -> list[FailedRequest]:
    """The requests that failed, latest last, each once (its last failure counts)."""
    requests: list[FailedRequest] = []
    for line in read_lines(chunks):
        for request in failed_requests_in(line):
            if request in requests:
                requests.remove(request)
            requests.append(request)
    return requests[-MAX_ROUTES:]


def _json_request(line: str) -> FailedRequest | None:
    if '"req"' not in line:
        return None
    record = json_record.parse(line)
    return failed_request_of(record) if record is not None else None


def failed_request_of(record: JsonObject) -> FailedRequest | None:
    """A pino/Fastify record that failed: `req` with its method and url, and a 5xx `res` or an error level."""
    request, response = record.get("req"), record.get("res")
    if not is_object(request):
        return None
    status = response.get("statusCode") if is_object(response) else None
    level = record.get("level")
    failed = (isinstance(status, int) and status >= 500) or (
        status is None and isinstance(level, int) and level >= _PINO_ERROR
    )
    return _request_of(request) if failed else None


def _request_of(request: JsonObject) -> FailedRequest | None:
    method, url = request.get("method"), request.get("url")
    if not isinstance(method, str) or method.upper() not in _METHODS or not isinstance(url, str):
        return None
    path = _PATH.match(url)
    return FailedRequest(method.upper(), path.group(0)) if path else None
