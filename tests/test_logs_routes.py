"""Which lines are a dev server's request lines: the line's own shape, as each server prints it, never a method, a
path and a status found inside other text (a User-Agent, a Referer, a logged header a client on the network chose:
attacker trial 4, case 9)."""

from __future__ import annotations

import pytest

from prisma_doctor.logs.routes import (
    FailedRequest,
    answered_requests,
    failed_requests,
    failed_requests_in,
    request_source,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (" GET / 500 in 896ms (next.js: 1.8ms, application-code: 894ms)", "GET /"),  # Next 16
        ("GET /posts 500 in 35ms", "GET /posts"),  # Next 13-15
        ("web:dev:  GET / 500 in 896ms", "GET /"),  # the same under turbo
        ("GET /posts 500 12.345 ms - 21", "GET /posts"),  # morgan `dev`
        ("--> GET /nick 500 425ms", "GET /nick"),  # Hono's logger
        ("[500] GET /users", "GET /users"),  # SvelteKit (user trial 4, item 23)
        ("12:00:01 [vite] GET /users 500", "GET /users"),
        ("[12:00:01] POST /users/2/rename 500 12ms", "POST /users/2/rename"),
        ("2:22:40 AM GET /api/items 503 10ms", "GET /api/items"),
    ],
)
def test_request_lines_as_servers_print_them(line: str, expected: str | None) -> None:
    found = [str(r) for r in failed_requests_in(line)]
    assert found == ([expected] if expected else []), line


@pytest.mark.parametrize(
    "line",
    [
        # morgan `combined`: the client's own User-Agent at the end of the line.
        '192.0.2.7 - - [07/Dec/2026:02:22:40 +0000] "GET / HTTP/1.1" 200 12 "-" '
        '"Mozilla/5.0 GET /admin/purge?all=1 500 x"',
        "request from 192.0.2.7 ua: Mozilla/5.0 GET /admin/purge?all=1 500 x",
        "headers: { referer: 'http://evil/ GET /admin/purge 500' }",
        "Error: upstream said GET /internal 502 Bad Gateway",
    ],
)
def test_a_request_inside_other_text_is_no_request_line(line: str) -> None:
    assert failed_requests_in(line) == []
    assert failed_requests([line + "\n"]) == []
    assert answered_requests([line + "\n"]) == []


def test_answered_lines_have_the_same_shape() -> None:
    lines = " GET /posts 200 in 12ms\n[200] GET /users\nua: Mozilla GET /admin 200 x\n"
    assert answered_requests([lines]) == [FailedRequest("GET", "/posts"), FailedRequest("GET", "/users")]


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("[api] GET /emails 500 in 12ms", "api"),  # concurrently, named
        ("[0] GET /emails 500 in 12ms", "0"),  # concurrently, by index
        ("web:dev:  GET / 500 in 896ms", "web:dev"),  # Turborepo
        ("@repo/web:dev: GET / 200 in 30ms", "@repo/web:dev"),
        ("[500] GET /users", ""),  # SvelteKit's status, not a process
        ("[info] GET /users 200", ""),
        ("info: GET /users 200", ""),
        ("[12:00:01] POST /users/2/rename 500 12ms", ""),
        ("GET /users 200 in 3ms", ""),
    ],
)
def test_the_process_that_printed_a_request_line(line: str, source: str) -> None:
    """A success ends a failure only when the same process printed both (attacker trial 6, LIE 4)."""
    assert request_source(line) == source


def test_a_request_the_same_process_answered_since_fails_no_more() -> None:
    # User trial 7: `POST /users 500`, then the same POST answered 201, was still listed "failed: not sent again".
    log = "POST /users 500 in 12ms\nGET /users 500 in 8ms\nPOST /users 201 in 30ms\n"
    assert [str(r) for r in failed_requests([log])] == ["GET /users"]
    # Its failure again after the success counts again.
    assert [str(r) for r in failed_requests([log + "POST /users 500 in 9ms\n"])] == ["GET /users", "POST /users"]
    # pino/Fastify records: a `res` status under 400 is a success.
    failed = '{"level":50,"req":{"method":"POST","url":"/users"},"res":{"statusCode":500},"msg":"request errored"}\n'
    answered = '{"level":30,"req":{"method":"POST","url":"/users"},"res":{"statusCode":201},"msg":"done"}\n'
    assert [str(r) for r in failed_requests([failed])] == ["POST /users"]
    assert failed_requests([failed + answered]) == []


def test_another_process_s_success_ends_no_failure() -> None:
    # `[web] POST /users 201` says nothing of `[api] POST /users 500` (concurrently's prefixes).
    log = "[api] POST /users 500 in 12ms\n[web] POST /users 201 in 30ms\n"
    assert [str(r) for r in failed_requests([log])] == ["POST /users"]
    assert failed_requests([log + "[api] POST /users 201 in 5ms\n"]) == []
    # Another method is another request.
    assert [str(r) for r in failed_requests(["GET /users 500\nPOST /users 200\n"])] == ["GET /users"]
