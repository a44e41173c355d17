"""Where a package manager would download the packages an install lacks, and whether that registry answers: asked
before a repair stops anything, read-only and bounded in time.

The registry is the one the package manager's own config names for the project (`npm config get`, run in the folder
the install runs in: the project's and the workspace's `.npmrc`, the user's and the global one, `npm_config_*` in
the environment, and a scope's own `@scope:registry`; pnpm reads the same files), `.yarnrc.yml`'s
`npmRegistryServer` for yarn 2+, `bunfig.toml`'s `[install] registry` for bun. The question is one GET of a
package's metadata (`<registry>/<name>`), through the proxy the config or the environment names, without the
user's credentials: any HTTP answer below 500 (a 401 of a private registry too) means it can be reached; a refused
or reset connection, a name that does not resolve, no answer in time, or a 5xx (a proxy whose upstream is down)
means it cannot. A TLS certificate this process cannot verify (the config's own `cafile`) is an answer as well: the
question is only whether something serves there.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import ssl
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from prisma_doctor.project_files import read_text_if_any
from prisma_doctor.repair.package_manager import PackageManager, program, subprocess_env

DEFAULT = {"yarn": "https://registry.yarnpkg.com/"}
NPM_DEFAULT = "https://registry.npmjs.org/"
# How long the registry has to answer, and the config to be read: a repair waits this long at most before its plan.
PROBE_SECONDS = 5.0
CONFIG_SECONDS = 10.0


@dataclass(frozen=True)
class Registries:
    default: str
    proxy: str | None = None
    # A scope's own registry (`@acme:registry=...`), by scope (`@acme`).
    scoped: dict[str, str] = field(default_factory=dict[str, str])
    # npm's cache folder (its `cache` setting), where `_cacache` is.
    cache: Path | None = None

    def of(self, package: str) -> str:
        scope = package.split("/", 1)[0] if package.startswith("@") else ""
        return self.scoped.get(scope, self.default)


def registries(manager: PackageManager, packages: list[str]) -> Registries:
    """The registries `manager`'s install in its workspace root would download `packages` from."""
    if manager.name in ("npm", "pnpm"):
        return _npm_config(manager.workspace_root, packages)
    if manager.name == "yarn":
        found = _yarnrc_registry(manager.workspace_root)
        return Registries(found or DEFAULT["yarn"], _env_proxy())
    # bun reads npm's variable in either spelling.
    found = _bunfig_registry(manager.workspace_root) or os.environ.get("NPM_CONFIG_REGISTRY")
    found = found or dict(os.environ).get("npm_config_registry")
    return Registries(found or NPM_DEFAULT, _env_proxy())


def _npm_config(folder: Path, packages: list[str]) -> Registries:
    scopes = sorted({name.split("/", 1)[0] for name in packages if name.startswith("@")})
    keys = ["registry", "cache", "https-proxy", "proxy", *(f"{scope}:registry" for scope in scopes)]
    # `--logs-max=0`: npm writes no log file of its own into the user's cache for a question.
    output = manager_says(["npm", "config", "get", *keys, "--logs-max=0"], folder)
    values: dict[str, str] = {}
    for line in output.splitlines():
        key, _, value = line.partition("=")
        if value and value not in ("null", "undefined"):
            values[key.strip()] = value.strip()
    scoped = {scope: values[f"{scope}:registry"] for scope in scopes if f"{scope}:registry" in values}
    proxy = values.get("https-proxy") or values.get("proxy") or _env_proxy()
    cache = values.get("cache")
    return Registries(values.get("registry") or NPM_DEFAULT, proxy, scoped, Path(cache) if cache else None)


def manager_says(words: list[str], folder: Path) -> str:
    """What a package manager prints to a question that changes nothing (its config, its store's path), asked in
    `folder` and bounded in time; "" when it fails or does not answer."""
    try:
        done = subprocess.run(
            [*program(words[0]), *words[1:]],
            cwd=folder,
            env=subprocess_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CONFIG_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _env_proxy() -> str | None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def _yarnrc_registry(folder: Path) -> str | None:
    text = read_text_if_any(folder / ".yarnrc.yml")
    found = re.search(r"^npmRegistryServer:\s*[\"']?([^\"'\s#]+)", text, re.MULTILINE)
    if found:
        return found.group(1)
    text = read_text_if_any(folder / ".yarnrc")
    found = re.search(r"^registry\s+[\"']?([^\"'\s#]+)", text, re.MULTILINE)
    return found.group(1) if found else None


def _bunfig_registry(folder: Path) -> str | None:
    text = read_text_if_any(folder / "bunfig.toml")
    section = re.search(r"^\[install\](.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL)
    if section is None:
        return None
    found = re.search(r"^registry\s*=\s*(?:\{[^}]*url\s*=\s*)?\"([^\"]+)\"", section.group(1), re.MULTILINE)
    return found.group(1) if found else None


def unreachable(registry: str, package: str, proxy: str | None, seconds: float | None = None) -> str | None:
    """Why `registry` cannot be reached for `package` (None: it answers), asked once within `seconds` (by default
    `PROBE_SECONDS`)."""
    seconds = PROBE_SECONDS if seconds is None else seconds
    probe = _Probe(registry.rstrip("/") + "/" + urllib.parse.quote(package, safe="@"), proxy, seconds)
    thread = threading.Thread(target=probe.run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return f"no answer within {seconds:g} s"
    return probe.why


class _Probe:
    def __init__(self, url: str, proxy: str | None, seconds: float) -> None:
        # The sockets' own timeout comes after the caller's deadline, which is what is said (`unreachable`); it only
        # ends this thread.
        self.url, self.proxy, self.seconds = url, proxy, seconds + 1
        self.why: str | None = "not asked"

    def run(self) -> None:
        target = urllib.parse.urlsplit(self.url)
        try:
            connection = self._connection(target)
            path = self.url if self.proxy and target.scheme == "http" else target.path or "/"
            connection.request("GET", path, headers={"Accept": "application/vnd.npm.install-v1+json"})
            status = connection.getresponse().status
            connection.close()
        except ssl.SSLCertVerificationError:
            self.why = None  # something serves TLS there; the package manager's own `cafile` may verify it
            return
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.why = _reason(error)
            return
        self.why = f"it answers {status}" if status >= 500 else None

    def _connection(self, target: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        host, port = target.hostname or "", target.port
        if not self.proxy:
            if target.scheme == "https":
                return http.client.HTTPSConnection(host, port, timeout=self.seconds)
            return http.client.HTTPConnection(host, port, timeout=self.seconds)
        proxy = urllib.parse.urlsplit(self.proxy if "://" in self.proxy else f"http://{self.proxy}")
        if target.scheme == "https":
            connection = http.client.HTTPSConnection(proxy.hostname or "", proxy.port, timeout=self.seconds)
            connection.set_tunnel(host, port)
            return connection
        return http.client.HTTPConnection(proxy.hostname or "", proxy.port, timeout=self.seconds)


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.gaierror):
        return f"its name does not resolve ({error.strerror or error})"
    if isinstance(error, TimeoutError | socket.timeout):
        return "no answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "the connection is refused"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error) or type(error).__name__
