"""The registry question a repair asks before it stops anything (`repair/registry.py`), on real sockets: a port that
refuses, a server that never answers, one that answers (a 404 and a 401 are answers, a 503 is not), and a proxy that
refuses; and the registry yarn's and bun's own config files name. The npm and pnpm cases, with their real caches,
are in tests/test_repair_install_reach.py."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prisma_doctor.repair.package_manager import PackageManager
from prisma_doctor.repair.registry import registries, unreachable
from tests.dev_server import free_port


class _Answers(http.server.BaseHTTPRequestHandler):
    status = 404

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def registry_answering() -> Iterator[tuple[str, type[_Answers]]]:
    handler = type("Handler", (_Answers,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    server.shutdown()
    server.server_close()


def test_a_port_that_refuses_is_unreachable() -> None:
    assert unreachable(f"http://127.0.0.1:{free_port()}/", "@prisma/client", None) == "the connection is refused"


def test_a_server_that_never_answers_is_given_up_on_at_the_deadline() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        began = time.monotonic()
        why = unreachable(f"http://127.0.0.1:{silent.getsockname()[1]}/", "prisma", None, seconds=0.5)
        took = time.monotonic() - began
    assert why == "no answer within 0.5 s", why
    assert took < 5, took


@pytest.mark.parametrize(("status", "reachable"), [(200, True), (404, True), (401, True), (503, False)])
def test_any_answer_below_500_is_a_registry_that_can_be_reached(
    registry_answering: tuple[str, type[_Answers]], status: int, reachable: bool
) -> None:
    url, handler = registry_answering
    handler.status = status
    why = unreachable(url, "@prisma/client", None)
    assert (why is None) == reachable, why
    if not reachable:
        assert why == "it answers 503"


def test_a_registry_behind_a_proxy_that_refuses_is_unreachable() -> None:
    proxy = f"http://127.0.0.1:{free_port()}"
    assert unreachable("https://registry.npmjs.org/", "prisma", proxy) == "the connection is refused"


def test_yarn_and_bun_read_the_registry_their_own_config_names(tmp_path: Path) -> None:
    (tmp_path / ".yarnrc.yml").write_text('nodeLinker: node-modules\nnpmRegistryServer: "https://npm.example.test"\n')
    yarn = PackageManager("yarn", tmp_path, tmp_path)
    assert registries(yarn, ["prisma"]).default == "https://npm.example.test"
    (tmp_path / "bunfig.toml").write_text('[run]\nsilent = true\n\n[install]\nregistry = "https://bun.example.test/"\n')
    bun = PackageManager("bun", tmp_path, tmp_path)
    assert registries(bun, ["prisma"]).default == "https://bun.example.test/"
    table = '[install]\nregistry = { url = "https://table.example.test/", token = "x" }\n'
    (tmp_path / "bunfig.toml").write_text(table)
    assert registries(bun, ["prisma"]).default == "https://table.example.test/"
