"""A restarted dev server is asked where its own processes listen: on `::1` when it listens there only, never an
impostor on `127.0.0.1` at the same port, and on the new port of a server that picks its own (real node processes)."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from prisma_doctor.logs.routes import FailedRequest
from prisma_doctor.repair import listeners
from prisma_doctor.repair.context import StepContext
from prisma_doctor.repair.devserver import PORTLESS_SECONDS, DevServer, Restarted, find_dev_servers, restart
from prisma_doctor.repair.pipeline import CancellationToken
from prisma_doctor.repair.processes import find_project_processes, serving_processes
from prisma_doctor.repair.steps import RestartDevServers, StepOutcome, VerifyApp

# A dev server under `node --watch`: listens on PORT (0: a port of its own choosing) at HOST, answers STATUS.
SERVER = """
const http = require('http');
const server = http.createServer((req, res) => { res.statusCode = Number(process.env.STATUS); res.end('app'); });
server.listen(Number(process.env.PORT), process.env.HOST, () => {
  console.log(`ready on http://localhost:${server.address().port}`);
});
"""
RESTART_WITHIN = 30.0
# How long the broken app of the parallel restart runs before it exits, never having listened: less than a portless
# server must run to count as back (a worker).
BROKEN_FOR = PORTLESS_SECONDS - 2


def _free_port_on_both_loopbacks() -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET) as four:
            four.bind(("127.0.0.1", 0))
            port = four.getsockname()[1]
            with socket.socket(socket.AF_INET6) as six, contextlib.suppress(OSError):
                six.bind(("::1", port))
                return int(port)
    raise AssertionError("no port free on both 127.0.0.1 and ::1")


@contextlib.contextmanager
def _impostor(port: int) -> Iterator[None]:
    """Another program on 127.0.0.1 at the app's port number, answering 200 to everything."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"impostor")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _started_server(tmp_path: Path, spawn, env: dict[str, str], source: str = SERVER) -> tuple[Path, DevServer]:
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app"}')
    (project / "server.js").write_text(source)
    process = spawn(["node", "--watch", "server.js"], project, env={**os.environ, **env})
    for _ in range(200):
        found = [s for s in find_dev_servers(project) if s.pid == process.pid and s.port]
        if found:
            break
        psutil.wait_procs([], timeout=0.05)
    (server,) = found
    # Stopped as a repair stops it: the whole tree.
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    return project, server


@pytest.mark.node
def test_a_server_on_ipv6_loopback_only_is_asked_there_and_an_impostor_on_ipv4_proves_nothing(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    port = _free_port_on_both_loopbacks()
    project, server = _started_server(tmp_path, spawn, {"PORT": str(port), "HOST": "::1", "STATUS": "500"})
    assert server.port == port

    restarted = restart(server, project, timeout=RESTART_WITHIN)
    restarted_groups.append(restarted.pid)

    assert restarted.answered, restarted.message
    assert restarted.port == port
    listener = listeners.listener_on(restarted.pid, port)
    assert listener is not None and listener.host == "::1"
    with _impostor(port):
        outcome = _verify_app(project, [], [FailedRequest("GET", "/")], restarted=[restarted])
    # The app's own answer (500), not the impostor's 200 on the other address.
    assert outcome.status == "failed", outcome
    assert f"GET / on localhost:{port} answers 500" in outcome.message


@pytest.mark.node
def test_a_server_that_picks_its_own_port_is_found_again_on_its_new_one(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    project, server = _started_server(tmp_path, spawn, {"PORT": "0", "HOST": "127.0.0.1", "STATUS": "200"})
    assert server.port is not None

    restarted = restart(server, project, timeout=RESTART_WITHIN)
    restarted_groups.append(restarted.pid)

    assert restarted.answered, restarted.message
    assert restarted.port is not None and listeners.listener_on(restarted.pid, restarted.port) is not None
    if restarted.port != server.port:
        assert (
            restarted.message
            == f"the dev server answers on port {restarted.port} (it listened on {server.port} before)"
        )


@pytest.mark.node
def test_a_server_that_reads_its_own_port_variable_is_not_awaited_on_the_port_named_by_port(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    # A workspace's shell exports PORT for the web while the api listens on API_PORT (trial 4 #8): waiting on PORT
    # waited the whole timeout for an api that answered within seconds.
    port, web_port = _free_port_on_both_loopbacks(), _free_port_on_both_loopbacks()
    env = {"PORT": str(web_port), "API_PORT": str(port), "HOST": "127.0.0.1", "STATUS": "200"}
    project, server = _started_server(tmp_path, spawn, env, SERVER.replace("process.env.PORT", "process.env.API_PORT"))
    assert server.port == port

    restarted = restart(server, project, timeout=RESTART_WITHIN)
    restarted_groups.append(restarted.pid)

    assert restarted.answered, restarted.message
    assert restarted.port == port


# An app that fails (500) beside a Prometheus `/metrics` server that answers 200, each announcing its URL: the app
# as Vite does (`Local:`), the metrics server after it, on a lower port.
APP_AND_METRICS = """
const http = require('http');
const app = http.createServer((req, res) => { res.statusCode = 500; res.end('app'); });
const metrics = http.createServer((req, res) => { res.statusCode = 200; res.end('# metrics'); });
app.listen(Number(process.env.APP_PORT), '127.0.0.1', () => {
  console.log(`  Local:   http://localhost:${app.address().port}/`);
  metrics.listen(Number(process.env.METRICS_PORT), '127.0.0.1', () => {
    console.log(`Prometheus metrics at http://localhost:${metrics.address().port}/metrics`);
  });
});
"""


@pytest.mark.node
def test_a_metrics_server_beside_the_app_is_not_taken_for_it_after_a_restart(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    # The last URL the output printed was the metrics server's, and it is the lower port too: either rule asked
    # /metrics' server, which answers 200 to any path, for the route that failed on the app.
    app_port, metrics_port = _free_port_above_ephemeral(), _free_port_on_both_loopbacks()
    env = {"APP_PORT": str(app_port), "METRICS_PORT": str(metrics_port)}
    project, server = _started_server(tmp_path, spawn, env, APP_AND_METRICS)

    restarted = restart(server, project, timeout=RESTART_WITHIN)
    restarted_groups.append(restarted.pid)

    assert restarted.answered, restarted.message
    assert restarted.port == app_port, restarted.message


@pytest.mark.parametrize(
    ("binds", "asked"),
    [
        ([("::1", socket.AF_INET6)], "::1"),
        ([("127.0.0.1", socket.AF_INET)], "127.0.0.1"),
        ([("0.0.0.0", socket.AF_INET)], "127.0.0.1"),
        ([("::", socket.AF_INET6)], "::1"),
        ([("::1", socket.AF_INET6), ("127.0.0.1", socket.AF_INET)], "127.0.0.1"),
    ],
)
def test_a_listener_is_asked_on_the_loopback_address_it_listens_on(binds: list[tuple[str, int]], asked: str) -> None:
    port = _free_port_on_both_loopbacks()
    sockets = [socket.socket(family) for _, family in binds]
    try:
        for sock, (address, _) in zip(sockets, binds, strict=True):
            sock.bind((address, port))
            sock.listen()
        found = listeners.listeners([psutil.Process()])
        assert found[port].host == asked and found[port].pid == os.getpid()
        assert found[port].url("/users") == (
            f"http://[{asked}]:{port}/users" if ":" in asked else f"http://{asked}:{port}/users"
        )
    finally:
        for sock in sockets:
            sock.close()


def _free_port_above_ephemeral() -> int:
    """A free port above Linux's ephemeral range (32768-60999), so that any port the system picks is lower."""
    for port in range(61000, 65535):
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", port))
            return port
    raise AssertionError("no free port above 61000")


@pytest.mark.node
@pytest.mark.parametrize("inspect", ["--inspect={low}", "--inspect=127.0.0.1:{low}", "--inspect=0"])
def test_node_s_inspector_is_never_taken_for_the_app(tmp_path: Path, spawn, inspect: str) -> None:
    # Attacker's trial 4: `node --inspect --watch` has a second listener in its tree, the inspector (400 to any path);
    # lower than the app's port, it was taken for the app: "verified: GET /posts answers 400" while the app said 500.
    app_port, low = _free_port_above_ephemeral(), _free_port_on_both_loopbacks()
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app"}')
    (project / "server.js").write_text(SERVER)
    env = {**os.environ, "PORT": str(app_port), "HOST": "127.0.0.1", "STATUS": "500"}
    process = spawn(["node", inspect.format(low=low), "--watch", "server.js"], project, env=env)
    found: list[DevServer] = []
    for _ in range(200):
        tree = listeners.tree(process.pid)
        if len(listeners.listeners(tree)) == 2:  # the app and its inspector
            found = [s for s in find_dev_servers(project) if s.pid == process.pid]
            break
        psutil.wait_procs([], timeout=0.05)
    assert found, "the server and its inspector did not both listen"
    (server,) = found
    assert server.port == app_port

    outcome = _verify_app(project, [server], [FailedRequest("GET", "/posts")])

    assert outcome.status == "failed", outcome
    assert f"GET /posts on localhost:{app_port} answers 500" in outcome.message


# A server whose `/` never answers (its handler returns without a reply) while its other routes do.
HANGS_ON_ROOT = SERVER.replace("(req, res) => {", "(req, res) => { if (req.url === '/') return;")


@pytest.mark.node
def test_a_restarted_server_whose_root_hangs_is_back_once_the_route_that_failed_answers(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    # Attacker's trial 13 (L6a): only `/` was asked, for 60 s at a time: the repair waited 3 minutes and said the
    # server "did not come back, restart it yourself" while it served `/users`.
    port = _free_port_on_both_loopbacks()
    env = {"PORT": str(port), "HOST": "127.0.0.1", "STATUS": "500"}
    project, server = _started_server(tmp_path, spawn, env, HANGS_ON_ROOT)

    restarted = restart(server, project, timeout=60, routes=["/users"])
    restarted_groups.append(restarted.pid)

    assert restarted.answered, restarted.message
    assert restarted.message == f"the dev server answers on port {port} (GET /users)"


@pytest.mark.node
def test_a_restarted_server_that_crashes_on_a_taken_port_ends_the_wait_with_the_crash_and_the_holder(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    # Attacker's trial 13 (L6b): another process took the port between stop and restart; the app crashed at once
    # (`EADDRINUSE`) under a watcher that stays alive, and the repair waited 3 minutes to say "did not answer".
    port = _free_port_on_both_loopbacks()
    project, server = _started_server(tmp_path, spawn, {"PORT": str(port), "HOST": "127.0.0.1", "STATUS": "200"})
    squat = f"import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(300)"
    squatter = spawn([sys.executable, "-c", squat], tmp_path)
    while not listeners.accepts(port):
        time.sleep(0.05)

    restarted = restart(server, project, timeout=60)
    restarted_groups.append(restarted.pid)

    assert not restarted.answered
    assert restarted.message.startswith("it crashed: Error: listen EADDRINUSE: address already in use"), restarted
    assert f":{port} (pid {squatter.pid} of `{sys.executable} -c import socket" in restarted.message, restarted
    assert psutil.pid_exists(restarted.pid), "the watcher itself stays alive: only its app crashed"


@pytest.mark.node
def test_a_watched_worker_that_listens_on_nothing_is_back_once_it_runs(
    tmp_path: Path, spawn, restarted_groups: list[int]
) -> None:
    # Attacker's trial 4: `node --watch worker.js` (a queue worker, no port) was awaited for an HTTP answer for the
    # whole timeout, the web server behind it left stopped, and then called "not back" while it ran.
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app"}')
    (project / "worker.js").write_text("setInterval(() => console.log('tick'), 1000);\n")
    process = spawn(["node", "--watch", "worker.js"], project, env={**os.environ})
    found: list[DevServer] = []
    for _ in range(100):
        found = [s for s in find_dev_servers(project) if s.pid == process.pid]
        if found:
            break
        psutil.wait_procs([], timeout=0.05)
    (server,) = found
    assert server.port is None
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)

    restarted = restart(server, project, timeout=20)
    restarted_groups.append(restarted.pid)

    assert restarted.answered and restarted.port is None, restarted.message
    assert "it runs again" in restarted.message
    outcome = _verify_app(project, [], [], restarted=[restarted])
    assert outcome.status == "skipped" and "listens on no port" in outcome.message, outcome


@pytest.mark.node
def test_servers_of_two_apps_are_started_again_at_once_so_one_that_never_answers_keeps_no_other_down(
    tmp_path: Path, restarted_groups: list[int]
) -> None:
    # Trial 4 #8: the api's restart was waited for to its end while the web, stopped with it, stayed down.
    api, web = tmp_path / "api", tmp_path / "web"
    for folder in (api, web):
        folder.mkdir()
        (folder / "package.json").write_text('{"name": "app"}')
    (web / "server.js").write_text(SERVER)
    ended = psutil.Popen(["node", "-e", ""])  # the stopped servers' pid: one that no longer runs
    ended.wait()
    # The api exits after some seconds without ever listening.
    never = ("node", "-e", f"setTimeout(() => process.exit(3), {BROKEN_FOR * 1000})")
    broken = DevServer(ended.pid, never, str(api), None, (ended.pid,), "process", "node --watch")
    env = {**os.environ, "PORT": "0", "HOST": "127.0.0.1", "STATUS": "200"}
    answering = ("node", "server.js")
    working = DevServer(ended.pid, answering, str(web), None, (ended.pid,), "process", "node --watch", environ=env)
    ctx = StepContext(tmp_path, CancellationToken(), lambda message: None)
    began = time.time()

    outcome = RestartDevServers([broken, working], folders=[api, web]).run(ctx)
    restarted = ctx.extra["restarted"]
    restarted_groups.extend(r.pid for r in restarted if r.answered)

    assert [r.answered for r in restarted] == [False, True], outcome
    assert restarted[0].message == "the dev server exited with code 3"
    # The web was started while the api's restart was still awaited, not once that wait was over.
    assert psutil.Process(restarted[1].pid).create_time() < began + BROKEN_FOR, outcome


@pytest.mark.node
def test_a_serving_process_the_repair_left_running_and_that_is_gone_afterwards_is_named(tmp_path: Path, spawn) -> None:
    # Trial 4 #1: turbo ended the api with the web the repair stopped, and the repair said nothing of the api.
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text('{"name": "app"}')
    (project / "api.js").write_text(SERVER)
    env = {**os.environ, "PORT": "0", "HOST": "127.0.0.1", "STATUS": "200"}
    api = spawn(["node", "api.js"], project, env=env)  # no dev server the repair knows: left running
    for _ in range(200):
        left = serving_processes(find_project_processes(project))
        if left:
            break
        time.sleep(0.05)
    (serving,) = left
    ctx = StepContext(project, CancellationToken(), lambda message: None)
    step = RestartDevServers([], folders=[project], left_serving=left)
    assert step.run(ctx).status == "skipped"

    os.killpg(api.pid, signal.SIGTERM)  # as a supervisor ends every task
    api.wait(timeout=30)
    outcome = step.run(ctx)

    assert outcome.status == "failed", outcome
    assert f"pid {api.pid}, node api.js (in {project}, port {serving.port})" in outcome.message, outcome


def test_a_server_awaited_is_looked_at_once_its_output_grows(tmp_path: Path) -> None:
    output = tmp_path / "dev-output.log"
    output.write_text("> tsx watch server.js\n")

    def listening() -> None:
        with output.open("a") as log:
            log.write("Local: http://localhost:3000\n")

    printed = threading.Timer(0.3, listening)
    printed.start()
    try:
        # Woken by the line, well before the wait's end (a wait that ended on the clock alone would say False).
        assert listeners.output_grew(output, 600)
    finally:
        printed.cancel()
    assert not listeners.output_grew(output, 0.1)  # nothing more printed
    assert not listeners.output_grew(tmp_path / "nothing-yet.log", 0.1)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "0.0.0.0"])
def test_a_port_is_seen_to_accept_on_either_loopback_and_not_once_closed(address: str) -> None:
    port = _free_port_on_both_loopbacks()
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as sock:
        sock.bind((address, port))
        sock.listen()
        assert listeners.accepts(port)
    assert not listeners.accepts(port)


def _verify_app(
    project: Path, kept: list[DevServer], requests: list[FailedRequest], restarted: list[Restarted] | None = None
) -> StepOutcome:
    """The app check as a repair runs it: on the servers it kept, and those it started again (`restarted`)."""
    ctx = StepContext(project, CancellationToken(), lambda message: None)
    if restarted is not None:
        ctx.extra["restarted"] = restarted
    return VerifyApp(kept, requests).run(ctx)
