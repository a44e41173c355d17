"""Where a package manager would download the packages an install lacks, and whether that registry answers: asked
before a repair stops anything, read-only and bounded in time.

The registry is the one the package manager's own config names for the project (`npm config get`, run in the folder
the install runs in: the project's and the workspace's `.npmrc`, the user's and the global one, `npm_config_*` in
the environment, and a scope's own `@scope:registry`; pnpm reads the same files), `.yarnrc.yml`'s
`npmRegistryServer` for yarn 2+, `bunfig.toml`'s `[install] registry` for bun. The question is one GET of a
package's metadata (`<registry>/<name>`), through the proxy the config or the environment names, without the
user's credentials: any HTTP answer below 500 (a 401 of a private registry too) means it can be reached; a refused
or reset connection, a name that does not resolve, no answer in time, or a 5xx (a proxy whose upstream is down)
means it cannot. TLS is verified as the package manager would verify it (`strict-ssl`, `cafile`; `.yarnrc.yml`'s
`enableStrictSsl`, `caFilePath`): a certificate it would refuse is a registry it cannot reach. A config that cannot
be read (npm exits non-zero, a registry that is no URL, a `${VAR}` Yarn cannot expand) is said, never replaced by
the default registry.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prisma_doctor.masking import mask_url
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
    # The hosts reached without the proxy (npm's `noproxy`, else `NO_PROXY`): see `bypasses_proxy`.
    no_proxy: str = ""
    # Whether the package manager reads `no_proxy` as curl does (`*`, ports: yarn 1, bun), or as npm and pnpm do.
    no_proxy_wildcards: bool = False
    # Why the package manager's config could not be read (its registry would only be guessed); None when it was.
    unreadable: str | None = None
    # TLS as the config has it: `strict-ssl=false` takes any certificate; a `cafile` replaces the default CAs.
    strict_ssl: bool = True
    cafile: Path | None = None

    def of(self, package: str) -> str:
        scope = package.split("/", 1)[0] if package.startswith("@") else ""
        return self.scoped.get(scope, self.default)

    def proxy_for(self, registry: str) -> str | None:
        """The proxy a request to `registry` goes through: none for a host `no_proxy` names."""
        return None if bypasses_proxy(registry, self.no_proxy, wildcards=self.no_proxy_wildcards) else self.proxy


def bypasses_proxy(url: str, no_proxy: str, *, wildcards: bool) -> bool:
    """Whether `no_proxy` (comma-separated, as `NO_PROXY` is written) sends a request to `url` past the proxy. npm and
    pnpm match a host and every host below it by whole labels (`corp.test`, `.corp.test`) and nothing else; with
    `wildcards`, as curl and the tools that follow it (yarn 1's request, bun), also `*` for every host, `*.corp.test`,
    and an entry with a port (`localhost:4873`) only on that port."""
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        if wildcards and entry == "*":
            return True
        name, entry_port = _host_and_port(entry) if wildcards else (entry, None)
        if entry_port is not None and entry_port != port:
            continue
        name = (name.removeprefix("*") if wildcards else name).strip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def _host_and_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # an IPv6 address, `[::1]:4873`
        address, _, rest = entry[1:].partition("]")
        return address, int(rest[1:]) if rest[1:].isdigit() else None
    name, colon, port = entry.rpartition(":")
    if colon and port.isdigit() and ":" not in name:
        return name, int(port)
    return entry, None


def registries(manager: PackageManager, packages: list[str]) -> Registries:
    """The registries `manager`'s install in its workspace root would download `packages` from."""
    if manager.name in ("npm", "pnpm"):
        return _npm_config(manager.workspace_root, packages)
    if manager.name == "yarn":
        return _yarn_config(manager.workspace_root)
    # bun reads npm's variable in either spelling.
    found = _bunfig_registry(manager.workspace_root) or os.environ.get("NPM_CONFIG_REGISTRY")
    found = found or dict(os.environ).get("npm_config_registry")
    return Registries(found or NPM_DEFAULT, _env_proxy(), no_proxy=_env_no_proxy(), no_proxy_wildcards=True)


NPM_KEYS = ("registry", "cache", "https-proxy", "proxy", "noproxy", "strict-ssl", "cafile")


def _npm_config(folder: Path, packages: list[str]) -> Registries:
    scopes = sorted({name.split("/", 1)[0] for name in packages if name.startswith("@")})
    keys = [*NPM_KEYS, *(f"{scope}:registry" for scope in scopes)]
    values, failed = _npm_config_values(folder, keys)
    unreadable = failed.get("registry") or next(
        (failed[f"{s}:registry"] for s in scopes if f"{s}:registry" in failed), None
    )
    registry = values.get("registry") or NPM_DEFAULT
    if unreadable is None and not _is_url(registry):
        # npm keeps a `${VAR}` it cannot replace as it is written: no registry any install could reach.
        unset = re.findall(r"\$\{\w+\}", registry)
        unreadable = (
            f"its `registry` uses {', '.join(unset)}, which npm leaves as written: no such variable is set"
            if unset
            else f"its `registry` is `{mask_url(registry)}`, which is no http(s) URL"
        )
    scoped = {scope: values[f"{scope}:registry"] for scope in scopes if f"{scope}:registry" in values}
    proxy = values.get("https-proxy") or values.get("proxy") or _env_proxy()
    cache = values.get("cache")
    cafile = values.get("cafile")
    return Registries(
        registry,
        proxy,
        scoped,
        cache=Path(cache) if cache else None,
        no_proxy=values.get("noproxy") or _env_no_proxy(),
        unreadable=unreadable,
        strict_ssl=values.get("strict-ssl", "true") != "false",
        cafile=Path(cafile) if cafile else None,
    )


def _npm_config_values(folder: Path, keys: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """npm's values for `keys` (a key npm has no value for is left out), and why each it could not say failed. Asked
    at once, then each key it did not say one by one: npm 6 prints only the first key's value, and a key alone may
    be read where all of them together fail."""
    # `--logs-max=0`: npm writes no log file of its own into the user's cache for a question.
    said = manager_answer(["npm", "config", "get", *keys, "--logs-max=0"], folder)
    values: dict[str, str] = {}
    told: set[str] = set()
    for line in said.output.splitlines() if said.failure is None else []:
        key, equals, value = line.partition("=")
        if equals and key.strip() in keys:
            told.add(key.strip())
            if value.strip() not in ("", "null", "undefined"):
                values[key.strip()] = value.strip()
    failed: dict[str, str] = {}
    if said.timed_out:
        # One by one, each would wait as long again.
        return values, dict.fromkeys(keys, said.failure or "")
    for key in (key for key in keys if key not in told):
        alone = manager_answer(["npm", "config", "get", key, "--logs-max=0"], folder)
        value = alone.output.strip()
        if alone.failure is not None:
            failed[key] = alone.failure
        elif value not in ("", "null", "undefined"):
            values[key] = value
    return values, failed


def _is_url(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True)
class Answer:
    output: str
    # Why the question failed (it could not run, timed out or exited non-zero, with the last line it printed).
    failure: str | None = None
    timed_out: bool = False


def manager_answer(words: list[str], folder: Path) -> Answer:
    """What a package manager prints to a question that changes nothing (its config, its store's path), asked in
    `folder` and bounded in time."""
    shown = " ".join(words[:3])
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
    except subprocess.TimeoutExpired:
        return Answer("", f"`{shown}` did not answer within {CONFIG_SECONDS:g} s", timed_out=True)
    except (OSError, subprocess.SubprocessError) as error:
        return Answer("", f"`{shown}` could not run: {error}")
    if done.returncode != 0:
        said = _error_line(done.stderr)
        return Answer(done.stdout, f"`{shown}` exited with {done.returncode}" + (f": {said[:300]}" if said else ""))
    return Answer(done.stdout)


# What npm prints after any error, which says nothing of it.
_AFTER_ERRORS = ("Log files were not written", "A complete log of this run")


def _error_line(stderr: str) -> str:
    """The line of a failed command's output that says what went wrong: the first error, not npm's postscript."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    said = [line for line in lines if not any(part in line for part in _AFTER_ERRORS)]
    return next((line for line in said if "error" in line.lower()), said[0] if said else "")


def manager_says(words: list[str], folder: Path) -> str:
    """`manager_answer`'s output; "" when it failed."""
    said = manager_answer(words, folder)
    return said.output if said.failure is None else ""


def _env_no_proxy() -> str:
    return os.environ.get("NO_PROXY") or dict(os.environ).get("no_proxy") or ""


def _env_proxy() -> str | None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def _yarn_config(folder: Path) -> Registries:
    """Yarn 2+'s `.yarnrc.yml` (its `${VAR}` expanded as Yarn expands it), else yarn 1's `.yarnrc`."""
    text = read_text_if_any(folder / ".yarnrc.yml")
    values: dict[str, str] = {}
    unreadable: str | None = None
    for key in ("npmRegistryServer", "httpsProxy", "httpProxy", "enableStrictSsl", "caFilePath"):
        written = _yaml_scalar(text, key)
        if written is None:
            continue
        try:
            values[key] = expand_yarn_env(written, os.environ)
        except KeyError as unset:
            unreadable = unreadable or (
                f"`{key}` of {folder / '.yarnrc.yml'} uses the environment variable {unset.args[0]}, which is not "
                "set (Yarn stops on it)"
            )
    registry = values.get("npmRegistryServer") or _yarnrc_classic_registry(folder) or DEFAULT["yarn"]
    proxy = values.get("httpsProxy") or values.get("httpProxy") or _env_proxy()
    cafile = values.get("caFilePath")
    return Registries(
        registry,
        proxy,
        no_proxy=_env_no_proxy(),
        no_proxy_wildcards=True,
        unreadable=unreadable,
        strict_ssl=values.get("enableStrictSsl", "true").lower() != "false",
        cafile=(folder / cafile) if cafile else None,
    )


def _yaml_scalar(text: str, key: str) -> str | None:
    """A top-level scalar of a YAML file as written: quotes taken off, a comment after it left out."""
    found = re.search(rf"^{key}:[ \t]*(.*?)[ \t]*$", text, re.MULTILINE)
    if found is None:
        return None
    value = found.group(1)
    if value[:1] in ("'", '"'):
        closing = value.find(value[0], 1)
        return value[1:closing] if closing > 0 else value[1:]
    return re.sub(r"\s+#.*$", "", value) or None


# Yarn's own rule (its `replaceEnvVariables`): `${NAME}`, `${NAME-fallback}` (NAME when set, even empty) and
# `${NAME:-fallback}` (NAME when set and not empty).
_YARN_ENV = re.compile(r"\$\{(?P<name>[\w]+)(?P<colon>:)?(?:-(?P<fallback>[^}]*))?\}")


def expand_yarn_env(value: str, env: Mapping[str, str]) -> str:
    """`value` with its variables replaced as Yarn replaces them; KeyError naming one that is unset without a
    fallback (Yarn stops with "Environment variable not found")."""

    def replace(found: re.Match[str]) -> str:
        name = found.group("name")
        current = env.get(name)
        if current is not None and (found.group("colon") is None or current != ""):
            return current
        if found.group("fallback") is not None:
            return found.group("fallback")
        raise KeyError(name)

    return _YARN_ENV.sub(replace, value)


def _yarnrc_classic_registry(folder: Path) -> str | None:
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


def unreachable(
    registry: str,
    package: str,
    proxy: str | None,
    seconds: float | None = None,
    *,
    strict_ssl: bool = True,
    cafile: Path | None = None,
) -> str | None:
    """Why `registry` cannot be reached for `package` (None: it answers), asked once within `seconds` (by default
    `PROBE_SECONDS`), its TLS verified as the package manager would (`strict_ssl`, `cafile`)."""
    seconds = PROBE_SECONDS if seconds is None else seconds
    url = registry.rstrip("/") + "/" + urllib.parse.quote(package, safe="@")
    probe = _Probe(url, proxy, seconds, strict_ssl, cafile)
    thread = threading.Thread(target=probe.run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return f"no answer within {seconds:g} s"
    return probe.why


def tls_context(strict_ssl: bool, cafile: Path | None) -> ssl.SSLContext:
    """TLS as npm's config has it: `strict-ssl=false` takes any certificate; a `cafile` replaces the default CAs;
    else the default ones, with Node's `NODE_EXTRA_CA_CERTS` beside them."""
    if not strict_ssl:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if cafile is not None:
        return ssl.create_default_context(cafile=str(cafile))
    context = ssl.create_default_context()
    extra = os.environ.get("NODE_EXTRA_CA_CERTS")
    if extra:
        with contextlib.suppress(OSError, ssl.SSLError):
            context.load_verify_locations(cafile=extra)
    return context


class _Probe:
    def __init__(self, url: str, proxy: str | None, seconds: float, strict_ssl: bool, cafile: Path | None) -> None:
        # The sockets' own timeout comes after the caller's deadline, which is what is said (`unreachable`); it only
        # ends this thread.
        self.url, self.proxy, self.seconds = url, proxy, seconds + 1
        self.strict_ssl, self.cafile = strict_ssl, cafile
        self.why: str | None = "not asked"

    def run(self) -> None:
        target = urllib.parse.urlsplit(self.url)
        try:
            connection = self._connection(target)
            path = self.url if self.proxy and target.scheme == "http" else target.path or "/"
            connection.request("GET", path, headers={"Accept": "application/vnd.npm.install-v1+json"})
            status = connection.getresponse().status
            connection.close()
        except ssl.SSLCertVerificationError as error:
            # The package manager would refuse the same certificate: serving is not being reachable.
            self.why = (
                f"its TLS certificate does not verify ({error.verify_message or error.reason}): name the CA that "
                "signed it in the package manager's `cafile`"
            )
            return
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.why = _reason(error)
            return
        self.why = f"it answers {status}" if status >= 500 else None

    def _connection(self, target: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        host, port = target.hostname or "", target.port
        if target.scheme == "https":
            try:
                context = tls_context(self.strict_ssl, self.cafile)
            except (OSError, ssl.SSLError) as error:
                raise OSError(f"the `cafile` {self.cafile} cannot be read ({error})") from error
        else:
            context = None
        if not self.proxy:
            if context is not None:
                return http.client.HTTPSConnection(host, port, timeout=self.seconds, context=context)
            return http.client.HTTPConnection(host, port, timeout=self.seconds)
        proxy = urllib.parse.urlsplit(self.proxy if "://" in self.proxy else f"http://{self.proxy}")
        if context is not None:
            connection = http.client.HTTPSConnection(
                proxy.hostname or "", proxy.port, timeout=self.seconds, context=context
            )
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
