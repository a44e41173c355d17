"""Requests a dev server logged as failed (`GET /posts 500 in 35ms`, as Next, morgan and most servers print them):
the routes a repair asks again to know whether the app works."""

from __future__ import annotations

import re
from collections.abc import Iterable

from prisma_doctor.logs.nextlog import message_lines
from prisma_doctor.logs.stream import read_lines

# A method, a path and a 5xx status, in that order with single spaces: the request line of a dev server's log.
_FAILED_REQUEST = re.compile(r"\b(?:GET|HEAD|POST|PUT|PATCH|DELETE) (/[^\s\"'<>]{0,500}) 5\d\d\b")
# A repair asks again at most this many routes: the latest that failed.
MAX_ROUTES = 3


def failed_route(line: str) -> str | None:
    """The path of the failed request this clean line reports, or None."""
    found = _FAILED_REQUEST.search(line) if " 5" in line else None
    return found.group(1) if found else None


def failed_routes(chunks: Iterable[bytes | str]) -> list[str]:
    """The paths of the requests that failed, latest last, each once (its last failure counts)."""
    routes: list[str] = []
    for line in read_lines(chunks):
        # Next's own dev log holds one JSON record per line; any other output is plain text.
        for text in message_lines(line) if line.startswith("{") else [line]:
            for path in _FAILED_REQUEST.findall(text):
                if path in routes:
                    routes.remove(path)
                routes.append(path)
    return routes[-MAX_ROUTES:]
