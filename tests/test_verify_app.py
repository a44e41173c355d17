"""The app check's judgement (repair/steps.VerifyApp) against a real HTTP server on localhost: what it asks again,
what it never sends, and when an answer shows nothing (user and attacker trials: a 404 on `/` and a GET standing in
for a failed POST were both called "verified")."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.repair import http_get, listeners
from prisma_doctor.repair.app_check import ask_app, failures_without_request, requests_that_failed
from prisma_doctor.repair.context import CancellationToken, StepContext
from prisma_doctor.repair.devserver import Restarted
from prisma_doctor.repair.pipeline import RepairResult, StepRecord
from prisma_doctor.repair.steps import ROUTE_UNKNOWN, VerifyApp


class App:
    """An app on a free localhost port that answers each path with the status it is given, and records requests;
    `printed(path)`, when set, is called once the answer is sent (what the server prints after answering)."""

    def __init__(self, statuses: dict[str, int]) -> None:
        self.statuses = statuses
        # Paths answered 200 and then a body that never ends (server-sent events, a long poll): a byte every 0.1 s.
        self.streams: set[str] = set()
        # Paths answered with a redirect: path -> Location.
        self.redirects: dict[str, str] = {}
        self.received: list[str] = []
        self.before: Callable[[str], None] = lambda path: None
        self.printed: Callable[[str], None] = lambda path: None
        app = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                app.received.append(f"{self.command} {self.path}")
                app.before(self.path)
                if self.path in app.streams:
                    self._stream()
                    return
                location = app.redirects.get(self.path)
                self.send_response(302 if location else app.statuses.get(self.path, 404))
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                app.printed(self.path)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"data: tick\n\n")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass  # the client went away

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("localhost", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app() -> Iterator[App]:
    served = App({})
    yield served
    served.close()


def verify(
    root: Path,
    app: App,
    requests: list[FailedRequest],
    tool: str = "tsx",
    unasked: list[str] | None = None,
    said: list[str] | None = None,
):
    ctx = StepContext(root, CancellationToken(), (said if said is not None else []).append)
    # As RestartDevServers leaves it: a server the repair started again, which answered on its port.
    ctx.extra["restarted"] = [Restarted(os.getpid(), app.port, "", True, "started", str(root), tool)]
    return VerifyApp([], requests, unasked=unasked or []).run(ctx)


def test_a_404_on_the_root_shows_nothing(tmp_path: Path, app: App) -> None:
    outcome = verify(tmp_path, app, [])

    assert app.received == ["GET /"]
    assert outcome.status == "skipped", outcome
    assert "shows nothing of the code that failed" in outcome.message


def test_the_root_answering_200_is_said_and_not_called_verified(tmp_path: Path, app: App) -> None:
    # An attacker's trial: with no failed request on record, `/` answering was printed as "repair verified" while
    # the route that failed still answered 500.
    app.statuses["/"] = 200
    outcome = verify(tmp_path, app, [])
    assert (outcome.status, app.received) == ("skipped", ["GET /"]), outcome
    assert outcome.message == f"the app answers at /: GET / on localhost:{app.port} answers 200; {ROUTE_UNKNOWN}"
    # The same word everywhere the outcome goes: the verdict (CLI's last line, LSP's message), the exit code, the JSON.
    result = RepairResult("/p", "reset", [StepRecord("verify-app", "Check", outcome.status, outcome.message)])
    assert result.ok and result.verdict() == f"repair done: {outcome.message}"
    assert result.to_json()["verdict"] == result.verdict() and result.to_json()["ok"] is True


def test_a_failed_get_is_asked_again_and_decides(tmp_path: Path, app: App) -> None:
    app.statuses["/todos?done=1"] = 500
    failed = verify(tmp_path, app, [FailedRequest("GET", "/todos?done=1")])
    assert failed.status == "failed" and "answers 500" in failed.message, failed

    app.statuses["/todos?done=1"] = 200
    assert verify(tmp_path, app, [FailedRequest("GET", "/todos?done=1")]).status == "done"


def test_a_failed_post_is_never_sent_again(tmp_path: Path, app: App) -> None:
    app.statuses["/posts"] = 200  # a GET of the same path is another handler: it proves nothing of the POST

    outcome = verify(tmp_path, app, [FailedRequest("POST", "/posts")])

    assert app.received == []
    assert outcome.status == "skipped", outcome
    assert outcome.message.startswith("nothing was asked; not shown: POST /posts failed and is not sent again")


def test_a_next_server_action_is_asked_by_its_page(tmp_path: Path, app: App) -> None:
    # Next's server actions post to the page they belong to: the page's GET runs the same server code to render.
    # But it does not run the action: the page answering is said, and the verdict is not "verified" (attacker's
    # trial 4: a kept server's old client still failed the action while its page rendered).
    app.statuses["/"] = 200
    asked = verify(tmp_path, app, [FailedRequest("POST", "/")], tool="next")
    assert asked.status == "skipped", asked
    assert "the page answers, but the action that failed was not run again: try it" in asked.message
    assert app.received == ["GET /"]
    # A route handler under /api/ is not a page: its POST is not stood in for.
    outcome = verify(tmp_path, app, [FailedRequest("POST", "/api/posts")], tool="next")
    assert outcome.status == "skipped" and app.received == ["GET /"], outcome


# What a Next dev server prints for the incident's page: the error while it renders, then the request's own line.
PRISMA_ERROR = (
    "Error [PrismaClientValidationError]: \nInvalid `prisma.user.findMany()` invocation:\n\n"
    "Unknown field `nickname` for select statement on model `User`. Available options are marked with ?.\n"
)


def print_to_output(root: Path, text: str) -> None:
    """Append to the dev server's recorded output, as a server restarted by a repair writes into it."""
    output = root / ".prisma-doctor" / "dev-output.log"
    output.parent.mkdir(exist_ok=True)
    with output.open("a") as handle:
        handle.write(text)


def test_an_error_printed_after_the_answer_is_waited_for_until_the_requests_own_line(tmp_path: Path, app: App) -> None:
    # A streamed page answers 200 at once and fails while it renders; its request line comes when it is done.
    # A relay (`prisma-doctor run`) can bring both a while after the answer: longer than a quiet output's wait.
    app.statuses["/"] = 200
    print_to_output(tmp_path, "> next dev\n GET / 200 in 40ms\n")

    def render_then_log(path: str) -> None:
        time.sleep(0.4)
        print_to_output(tmp_path, PRISMA_ERROR + f" GET {path} 200 in 400ms\n")

    app.printed = render_then_log

    outcome = verify(tmp_path, app, [])

    assert outcome.status == "failed", outcome
    assert "GET / on localhost" in outcome.message and "the error came back in its output" in outcome.message
    assert any("nickname" in detail for detail in outcome.details), outcome


def test_a_server_that_logs_no_requests_is_judged_by_what_it_printed_before_answering(tmp_path: Path, app: App) -> None:
    app.statuses["/users"] = 200
    print_to_output(tmp_path, "Local: http://localhost:3000\n")
    app.before = lambda path: print_to_output(tmp_path, PRISMA_ERROR)

    outcome = verify(tmp_path, app, [FailedRequest("GET", "/users")])

    assert outcome.status == "failed" and "the error came back in its output" in outcome.message, outcome
    app.before = lambda path: None
    assert verify(tmp_path, app, [FailedRequest("GET", "/users")]).status == "done"


LOGS = Path(__file__).parent / "fixtures" / "logs"


def _output(root: Path, *logs: str, then: str = "") -> None:
    """The dev server's recorded output: the captured logs, in order, and `then`."""
    folder = root / ".prisma-doctor"
    folder.mkdir(exist_ok=True)
    (folder / "dev-output.log").write_bytes(b"".join((LOGS / log).read_bytes() for log in logs) + then.encode())


def test_a_failure_no_request_line_names_is_not_verified_by_the_root_answering(tmp_path: Path, app: App) -> None:
    # The trial's Hono server without a request logger (and Vite/React Router, which print none): a trigger's P2022
    # from a POST, whose request the output never names. `/` answering 200 shows nothing of it.
    _output(tmp_path, "mysql-p6-p2002-unique.log", "mysql-p7-trigger-dropped-column.log")
    unasked = failures_without_request(tmp_path)
    assert unasked == ["/tmp/pd-capture-mysql-p7-g82nyih4/update-user.js:5"]  # not the unique constraint: data
    app.statuses["/"] = 200

    outcome = verify(tmp_path, app, [], unasked=unasked)

    assert app.received == ["GET /"]
    assert outcome.status == "skipped", outcome
    assert "GET / on localhost" in outcome.message and "answers 200" in outcome.message
    assert "the failure at /tmp/pd-capture-mysql-p7-g82nyih4/update-user.js:5: not asked again" in outcome.message
    preview = VerifyApp([], [], unasked=unasked).preview()
    assert any("update-user.js:5: not asked again" in line for line in preview), preview


def test_a_failure_whose_request_line_follows_is_the_requests_to_ask(tmp_path: Path) -> None:
    _output(tmp_path, "mysql-p7-trigger-dropped-column.log", then="POST /users/2/rename 500 in 12ms\n")
    assert failures_without_request(tmp_path) == []


def test_a_request_line_without_a_status_before_the_error_is_the_request_that_failed(tmp_path: Path) -> None:
    # An Express app's own `console.log(req.method, req.url)`: `GET /todos` as it arrives, then the error.
    folder = tmp_path / ".prisma-doctor"
    folder.mkdir()
    error = (LOGS / "mysql-p7-trigger-dropped-column.log").read_bytes()
    (folder / "dev-output.log").write_bytes(
        b"listening on 3000\nGET /todos\n" + error + b"<-- POST /users/2/rename\n" + error
    )
    assert requests_that_failed(tmp_path) == [FailedRequest("GET", "/todos"), FailedRequest("POST", "/users/2/rename")]
    assert failures_without_request(tmp_path) == []


def test_request_lines_ahead_of_their_errors_are_theirs(tmp_path: Path) -> None:
    # Two requests in a burst: the server logs each request on stdout and its error on stderr, two pipes read apart,
    # so both request lines may come before the second error (seen in a real `run` of a tsx server).
    error = (LOGS / "mysql-p7-trigger-dropped-column.log").read_text(encoding="utf-8")
    burst = f"{error}GET /users 500 in 73ms\nGET /users 500 in 2ms\n{error}{error}GET /users 500 in 1ms\n"
    _output(tmp_path, then=burst)
    assert failures_without_request(tmp_path) == []
    # One request line short: the error it lacks is one that no request names.
    _output(tmp_path, then=f"{error}GET /users 500 in 73ms\n{error}{error}GET /users 500 in 1ms\n")
    assert len(failures_without_request(tmp_path)) == 1


@pytest.mark.timeout(60)
def test_a_route_that_streams_forever_is_judged_at_its_headers(
    tmp_path: Path, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Attacker's trial 4: an SSE route (a long poll, a Suspense that never resolves) held the repair, and its lock,
    # until Ctrl+C, saying "waiting for the dev server to compile it" of a server that had answered at once.
    monkeypatch.setattr(http_get, "BODY_SECONDS", 6.0)
    app.streams.add("/events")
    said: list[str] = []
    started = time.monotonic()

    outcome = verify(tmp_path, app, [FailedRequest("GET", "/events")], said=said)

    assert time.monotonic() - started < 15
    assert outcome.status == "done", outcome
    assert "GET /events on localhost" in outcome.message and "answers 200" in outcome.message
    assert "its body was still coming after 6s" in outcome.message
    assert not any("compile" in line for line in said), said
    assert any(line.startswith("GET /events answered 200; reading its body") for line in said), said


@pytest.fixture
def elsewhere() -> Iterator[App]:
    """Another program on this machine: what a redirect may point at."""
    other = App({"/elsewhere": 200})
    yield other
    other.close()


def test_a_redirect_is_never_followed_and_verifies_nothing(tmp_path: Path, app: App, elsewhere: App) -> None:
    # Attacker's trial 4: a 302 to another host or port was followed, and that program's answer called the app's.
    target = f"http://127.0.0.1:{elsewhere.port}/elsewhere"
    app.redirects["/posts"] = target

    outcome = verify(tmp_path, app, [FailedRequest("GET", "/posts")])

    assert elsewhere.received == []
    assert app.received == ["GET /posts"]
    assert outcome.status == "skipped", outcome  # repair done, not verified: a login page says nothing of /posts
    assert f"answers 302 (a redirect to {target}, not followed)" in outcome.message
    assert "shows nothing of the code that failed (it may need a login: open it yourself)" in outcome.message


def test_a_redirect_from_the_root_is_an_answer_and_is_said(tmp_path: Path, app: App, elsewhere: App) -> None:
    app.redirects["/"] = f"http://127.0.0.1:{elsewhere.port}/elsewhere"

    outcome = verify(tmp_path, app, [])

    assert elsewhere.received == []
    assert outcome.status == "skipped" and "answers 302 (a redirect to http://127.0.0.1:" in outcome.message, outcome
    assert "shows nothing" not in outcome.message  # the root answering with a redirect is a server that runs


def test_a_failed_get_that_now_answers_404_is_not_verified(tmp_path: Path, app: App) -> None:
    app.statuses["/posts"] = 404

    outcome = verify(tmp_path, app, [FailedRequest("GET", "/posts")])

    assert outcome.status == "skipped", outcome
    assert "answers 404, which shows nothing of the code that failed" in outcome.message


@pytest.mark.timeout(60)
def test_a_path_a_log_printed_decoded_is_asked_encoded(tmp_path: Path, app: App) -> None:
    # Attacker's trial 4: Hono's logger prints `/café` decoded; the request raised in its thread, unseen, and was
    # tried again every 0.5 s for 150 s, each time with a traceback.
    app.statuses["/caf%C3%A9?q=a%20b"] = 200

    outcome = verify(tmp_path, app, [FailedRequest("GET", "/café?q=a%20b")])

    assert app.received == ["GET /caf%C3%A9?q=a%20b"]
    assert outcome.status == "done", outcome


def test_the_same_listener_read_again_is_not_a_restart(tmp_path: Path, app: App) -> None:
    # Attacker's trial 4: a process's start read twice differs by microseconds, and a later reading was taken for a
    # watcher's restart about half the time: the failed route was asked twice, the whole wait doubled.
    app.statuses["/x"] = 500
    listener = listeners.listener_on(os.getpid(), app.port)
    assert listener is not None
    for _ in range(8):
        app.received.clear()
        answer = ask_app(tmp_path, listener, "/x", watcher_grace=0.3, tree_root=os.getpid())
        assert answer.status == 500 and app.received == ["GET /x"]


def test_a_next_app_under_a_base_path_is_asked_there(tmp_path: Path, app: App) -> None:
    # Attacker's trial 4 on next dev 16: Next logs `/base/posts` as `GET /posts 500`; `/posts` alone is another
    # route's 404, which was called "verified" while the page still failed.
    (tmp_path / "next.config.js").write_text('module.exports = { basePath: "/base", reactStrictMode: true }\n')
    app.statuses["/base/posts"] = 500

    failed = verify(tmp_path, app, [FailedRequest("GET", "/posts")], tool="next")

    assert app.received == ["GET /base/posts"]
    assert failed.status == "failed" and "GET /base/posts on localhost" in failed.message, failed
    app.statuses["/base/posts"] = 200
    assert verify(tmp_path, app, [FailedRequest("GET", "/posts")], tool="next").status == "done"


# The bundled example's own flow on real `next dev` 16.4.5 (a hot update: scripts/break.sh --db while it runs, then
# `GET /` twice): what the terminal showed and Next's own dev log of the same server (capture.json says how).
HOT_UPDATE = Path(__file__).resolve().parent / "fixtures" / "next-example-hot-update"


@pytest.mark.parametrize("bundler", ["turbopack", "webpack"])
def test_an_error_in_nexts_log_that_the_terminal_ties_to_its_request_is_that_requests(
    tmp_path: Path, bundler: str
) -> None:
    # Next's own log has the error's message alone: no request line, no frame, no digest. Nothing there names the
    # route, so with that log alone the failure's route is unknown.
    capture = HOT_UPDATE / bundler
    log = tmp_path / ".next" / "dev" / "logs" / "next-development.log"
    log.parent.mkdir(parents=True)
    log.write_bytes((capture / "next-development.log").read_bytes())
    assert requests_that_failed(tmp_path) == []
    assert failures_without_request(tmp_path) == [
        "`Unknown field `nickname` for select statement on model `User`. Available options`"
    ]
    # The terminal, as `prisma-doctor run` records it, prints ` GET / 500 in 167ms` after each error block: the same
    # errors of Next's log are those requests', and `/` is the route to ask again.
    _output(tmp_path, then=(capture / "terminal.log").read_text(encoding="utf-8"))
    assert requests_that_failed(tmp_path) == [FailedRequest("GET", "/")]
    assert failures_without_request(tmp_path) == []


def test_a_failure_whose_output_cut_its_message_is_named_by_its_call(tmp_path: Path) -> None:
    # User trial 4, item 17: "the failure at ``": a header whose message the output never printed (the server died
    # or the log was cut), and no frame. It is named by the call the header names, never by an empty quote.
    _output(tmp_path, then="ready\nInvalid `prisma.user.findMany()` invocation:\n\n\nGET /other 200 in 3ms\n")
    assert failures_without_request(tmp_path) == ["`prisma.user.findMany()`"]
