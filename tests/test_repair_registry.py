"""The registry question a repair asks before it stops anything (`repair/registry.py`), on real sockets: a port that
refuses, a server that never answers, one that answers (a 404 and a 401 are answers, a 503 is not), and a proxy that
refuses; and the registry yarn's and bun's own config files name. The npm and pnpm cases, with their real caches,
are in tests/test_repair_install_reach.py."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from prisma_doctor.repair.install_reach import InstallReach, install_reach
from prisma_doctor.repair.package_manager import PackageManager
from prisma_doctor.repair.registry import (
    Registries,
    _npm_config_values,  # pyright: ignore[reportPrivateUsage]
    bypasses_proxy,
    expand_yarn_env,
    registries,
    unreachable,
)
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


def test_a_host_no_proxy_names_is_asked_without_the_proxy() -> None:
    proxy = "http://proxy.example.test:3128"
    found = Registries("https://registry.npmjs.org/", proxy, no_proxy="localhost, .corp.test")
    assert found.proxy_for("http://npm.corp.test/") is None
    assert found.proxy_for("http://LOCALHOST:4873/") is None
    assert found.proxy_for("https://registry.npmjs.org/") == proxy


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


@pytest.mark.parametrize(
    ("url", "no_proxy", "by_npm", "by_curl"),
    [
        ("https://registry.npmjs.org/", "*", False, True),
        ("https://registry.npmjs.org/", "npmjs.org", True, True),
        ("https://registry.npmjs.org/", ".npmjs.org", True, True),
        ("https://registry.npmjs.org/", "*.npmjs.org", False, True),
        ("https://registry.npmjs.org/", "js.org", False, False),
        ("http://localhost:4873/", "localhost:4873", False, True),
        ("http://localhost:4874/", "localhost:4873", False, False),
        ("https://npm.corp.test/", "npm.corp.test:443", False, True),
        ("http://npm.corp.test/", "npm.corp.test:443", False, False),
        ("http://[::1]:4873/", "[::1]:4873", False, True),
        ("http://10.0.0.5:4873/", " 10.0.0.5 ", True, True),
        ("http://10.0.0.5:4873/", "", False, False),
    ],
)
def test_no_proxy_is_read_as_the_package_manager_reads_it(url: str, no_proxy: str, by_npm: bool, by_curl: bool) -> None:
    """npm and pnpm (their `isNoProxy`/`checkNoProxy`) match whole labels only; yarn 1 and bun read it as curl
    does: `*`, `*.domain`, and a port."""
    assert bypasses_proxy(url, no_proxy, wildcards=False) is by_npm
    assert bypasses_proxy(url, no_proxy, wildcards=True) is by_curl
    found = Registries(url, "http://proxy.example.test:3128", no_proxy=no_proxy, no_proxy_wildcards=True)
    assert (found.proxy_for(url) is None) is by_curl


def test_the_environments_no_proxy_in_either_spelling_sends_a_registry_past_the_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("https_proxy", "http://proxy.example.test:3128")
    monkeypatch.setenv("no_proxy", "localhost,.corp.test:8443")
    (tmp_path / ".yarnrc.yml").write_text("npmRegistryServer: https://npm.corp.test:8443\n")
    found = registries(PackageManager("yarn", tmp_path, tmp_path), ["prisma"])
    assert found.proxy_for(found.default) is None
    assert found.proxy_for("https://registry.yarnpkg.com/") == "http://proxy.example.test:3128"


@pytest.mark.parametrize(
    ("written", "env", "expected"),
    [
        ("${REG}", {"REG": "https://a.test"}, "https://a.test"),
        ("${REG:-https://fallback.test}", {}, "https://fallback.test"),
        ("${REG:-https://fallback.test}", {"REG": ""}, "https://fallback.test"),
        ("${REG:-https://fallback.test}", {"REG": "https://a.test"}, "https://a.test"),
        ("${REG-https://fallback.test}", {}, "https://fallback.test"),
        ("${REG-https://fallback.test}", {"REG": ""}, ""),
        ("https://${HOST:-b.test}:${PORT-4873}/npm", {"PORT": "1"}, "https://b.test:1/npm"),
    ],
)
def test_yarn_variables_expand_as_yarn_expands_them(written: str, env: dict[str, str], expected: str) -> None:
    assert expand_yarn_env(written, env) == expected


def test_yarnrc_values_with_variables_are_read_expanded_and_an_unset_one_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PD_REGISTRY", "PD_PROXY", "PD_UNSET", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PD_PROXY", "http://proxy.corp.test:3128")
    (tmp_path / ".yarnrc.yml").write_text(
        'npmRegistryServer: "${PD_REGISTRY:-https://npm.corp.test}"  # the mirror\n'
        "httpsProxy: ${PD_PROXY}\nenableStrictSsl: false\n"
    )
    yarn = PackageManager("yarn", tmp_path, tmp_path)
    found = registries(yarn, ["prisma"])
    assert (found.default, found.proxy, found.strict_ssl, found.unreadable) == (
        "https://npm.corp.test",
        "http://proxy.corp.test:3128",
        False,
        None,
    )
    (tmp_path / ".yarnrc.yml").write_text("npmRegistryServer: ${PD_UNSET}\n")
    found = registries(yarn, ["prisma"])
    assert found.unreadable is not None
    assert "uses the environment variable PD_UNSET, which is not set" in found.unreadable
    (tmp_path / "yarn.lock").write_text("")
    reach = install_reach(yarn, ["@prisma/client"])
    assert reach.refusal is not None
    assert reach.refusal.startswith(f"yarn's config in {tmp_path} cannot be read (`npmRegistryServer` of "), reach


def _npm_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, npmrc: str) -> PackageManager:
    """npm in a project whose `.npmrc` is `npmrc`, with an empty user config of the test's own and none of the
    machine's npm, proxy or CA variables."""
    (tmp_path / "npmrc").write_text("")
    monkeypatch.setenv("npm_config_userconfig", str(tmp_path / "npmrc"))
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY", "NODE_OPTIONS", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("NODE_EXTRA_CA_CERTS", raising=False)
    project = tmp_path / "app"
    project.mkdir()
    (project / ".npmrc").write_text(npmrc)
    return PackageManager("npm", project, project)


@pytest.mark.node
def test_an_npm_that_cannot_say_its_config_refuses_the_install_instead_of_guessing_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    npm = _npm_project(tmp_path, monkeypatch, "registry=https://npm.corp.test/\n")
    project = npm.project
    assert registries(npm, ["prisma"]).default == "https://npm.corp.test/"

    # An option node refuses to start with: every npm command exits non-zero, `npm config get` too.
    monkeypatch.setenv("NODE_OPTIONS", "--no-such-option-for-prisma-doctor")
    found = registries(npm, ["prisma"])
    assert found.unreadable is not None
    assert found.unreadable.startswith("`npm config get` exited with 9: "), found.unreadable
    assert "--no-such-option-for-prisma-doctor" in found.unreadable
    reach = install_reach(npm, ["@prisma/client"])
    assert reach.refusal is not None
    assert reach.refusal.startswith(f"npm's config in {project} cannot be read (`npm config get` exited with 9"), reach
    assert "the registry the install would download from is not known: fix the config" in reach.refusal


@pytest.mark.node
def test_a_registry_npm_leaves_as_an_unexpanded_variable_is_no_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PD_UNSET_REGISTRY", raising=False)
    npm = _npm_project(tmp_path, monkeypatch, "registry=${PD_UNSET_REGISTRY}/\n")

    found = registries(npm, ["prisma"])

    assert found.unreadable == (
        "its `registry` uses ${PD_UNSET_REGISTRY}, which npm leaves as written: no such variable is set"
    )


@pytest.fixture
def self_signed_registry(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A registry over HTTPS on 127.0.0.1 whose certificate (made by openssl) nobody signed: its URL and the
    certificate, which is its own CA."""
    cert, key = tmp_path / "registry.crt", tmp_path / "registry.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Answers,), {}))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", cert
    server.shutdown()
    server.server_close()


def test_a_registry_whose_certificate_does_not_verify_is_not_reachable(
    self_signed_registry: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = self_signed_registry
    monkeypatch.delenv("NODE_EXTRA_CA_CERTS", raising=False)
    why = unreachable(url, "prisma", None)
    assert why is not None
    assert why.startswith("its TLS certificate does not verify (self-signed certificate): name the CA"), why
    # What the user's config says decides: no verification, or a cafile with its CA.
    assert unreachable(url, "prisma", None, strict_ssl=False) is None
    assert unreachable(url, "prisma", None, cafile=cert) is None
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(cert))
    assert unreachable(url, "prisma", None) is None


@pytest.mark.node
def test_npms_strict_ssl_and_cafile_decide_whether_a_self_signed_registry_is_reachable(
    self_signed_registry: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = self_signed_registry
    npm = _npm_project(tmp_path, monkeypatch, f"registry={url}\n")
    project = npm.project

    assert install_reach(npm, ["@prisma/client"]).refusal is not None
    for config in ("strict-ssl=false", f"cafile={cert}"):
        (project / ".npmrc").write_text(f"registry={url}\n{config}\n")
        found = registries(npm, ["@prisma/client"])
        assert unreachable(found.default, "prisma", None, strict_ssl=found.strict_ssl, cafile=found.cafile) is None
        assert install_reach(npm, ["@prisma/client"]) == InstallReach(), config


@pytest.mark.node
def test_npm_keys_that_fail_together_are_read_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    npm = _npm_project(tmp_path, monkeypatch, "registry=https://npm.corp.test/\n")

    # npm refuses to print `_auth`, and with it every key asked beside it.
    values, failed = _npm_config_values(npm.project, ["registry", "_auth"])

    assert values == {"registry": "https://npm.corp.test/"}
    assert failed == {
        "_auth": "`npm config get` exited with 1: npm error The _auth option is protected, and cannot "
        "be retrieved in this way"
    }
