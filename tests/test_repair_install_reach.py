"""A repair whose install cannot succeed refuses before it stops anything (user trial 4, item 28).

The project's `.npmrc` names a registry that is down (a port that refuses, a server that never answers), its
`@prisma/client` moved away while the dev server, which has it loaded, still answers. The repair asks the registry
(bounded) and the package manager's own cache or store: when neither can give the package, it refuses with the old
server left running; when the cache holds it, it installs offline and the repair goes through. An install that fails
anyway after the stop (a registry that answers but lacks the package) says what the app is left with.
Real npm and pnpm, each with a cache or store of the test's own (never the user's).
"""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from prisma_doctor.repair import registry
from prisma_doctor.repair.plan import build_plan
from tests.dev_server import free_port
from tests.helpers import doctor, repair_json, step, tree_contents
from tests.npm_cache import pnpm_store
from tests.repair_fixtures import npm_cache_copy, project_copy, repair_environment
from tests.watch_servers import NpmRunDev
from tests.watch_servers import project_copy as watch_copy

pytestmark = pytest.mark.node


def _dead_registry(project: Path) -> str:
    """The project's `.npmrc` names a registry on a port where nothing listens."""
    url = f"http://127.0.0.1:{free_port()}/"
    (project / ".npmrc").write_text(f"registry={url}\nfetch-retries=0\n")
    return url


def _own_npm(tmp_path: Path) -> dict[str, str]:
    """npm with an empty cache and no user config of the test's own."""
    (tmp_path / "npm-cache").mkdir()
    (tmp_path / "npmrc").write_text("")
    return {"npm_config_cache": str(tmp_path / "npm-cache"), "npm_config_userconfig": str(tmp_path / "npmrc")}


@pytest.fixture
def vite_without_client(watch_template: Path, tmp_path: Path) -> Iterator[tuple[Path, NpmRunDev]]:
    """Vite (`npm run dev`) answering `/users` with `@prisma/client` loaded, then moved out of `node_modules`."""
    project = watch_copy(watch_template, tmp_path / "app", "vite")
    shutil.copy2(watch_template / "package-lock.json", project)
    server = NpmRunDev(project, tmp_path / "npm-run-dev.log").start()
    assert server.users().status == 200, server.output
    (project / "node_modules" / "@prisma" / "client").rename(tmp_path / "client-moved-away")
    assert server.users().status == 200, server.output  # loaded before: it still answers
    yield project, server
    server.stop()


def test_a_reset_whose_registry_refuses_and_cache_lacks_the_client_stops_nothing(
    vite_without_client: tuple[Path, NpmRunDev], tmp_path: Path
) -> None:
    project, server = vite_without_client
    url = _dead_registry(project)
    pid, client = server.process.pid, tree_contents(project / "node_modules" / ".prisma")

    done = doctor("reset", "--yes", "--project", str(project), env={**server.environment, **_own_npm(tmp_path)})

    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert (
        f"refused: the registry {url} cannot be reached (the connection is refused), and npm's cache does not hold "
        "@prisma/client@6.17.1"
    ) in said, said
    assert "the install cannot succeed; run `npm install` once the registry answers, then the repair" in said
    # Nothing stopped, nothing set aside: the app answers as it did.
    assert server.process.poll() is None and server.process.pid == pid
    assert server.users().status == 200
    assert tree_contents(project / "node_modules" / ".prisma") == client


def test_a_registry_that_never_answers_is_given_up_on_in_bounded_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy("npm", tmp_path / "app")
    shutil.rmtree(project / "node_modules" / "@prisma" / "client")
    with socket.socket() as silent:
        # Listening, so that connections are made, and never accepting: no answer ever comes.
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        (project / ".npmrc").write_text(f"registry={url}\n")
        for name, value in _own_npm(tmp_path).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(registry, "PROBE_SECONDS", 1.0)

        plan = build_plan(project, "reset")

    assert plan.refusals == [
        f"the registry {url} cannot be reached (no answer within 1 s), and npm's cache does not hold "
        "@prisma/client@6.17.1 (its lock file records no `resolved` URL for @prisma/client@6.17.1: npm asks the "
        "registry where it is): the install cannot succeed; run `npm install` once the registry answers, then the "
        "repair"
    ], plan.refusals


def test_with_the_registry_down_an_npm_cache_that_holds_the_client_lets_the_reset_install_offline(
    tmp_path: Path, restarted_groups: list[int]
) -> None:
    env = npm_cache_copy(tmp_path)
    project = tmp_path / "project"
    shutil.rmtree(project / "node_modules" / "@prisma" / "client")
    url = _dead_registry(project)

    plan = doctor("reset", "--dry-run", "--project", str(project), env=env, repair=True)

    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert (
        f"note: the registry {url} cannot be reached (the connection is refused), but npm's cache holds every "
        "package the install needs (@prisma/client@6.17.1): it runs offline"
    ) in plan.stdout, plan.stdout
    assert "install --offline (in " in plan.stdout

    code, result = repair_json("reset", project, restarted=restarted_groups, env={**repair_environment(), **env})

    assert code == 0, result
    assert step(result, "reinstall")["status"] == "done"
    assert (project / "node_modules" / "@prisma" / "client" / "package.json").is_file()
    assert result["after"]["state"] == "in-sync"


def _pnpm_without_client(tmp_path: Path, store: Path) -> Path:
    """The pnpm project with `@prisma/client` gone from its virtual store too (pnpm must take it from its store)."""
    project = project_copy("pnpm", tmp_path / "app")
    (project / "node_modules" / "@prisma" / "client").unlink()
    for folder in (project / "node_modules" / ".pnpm").glob("@prisma+client@*"):
        shutil.rmtree(folder)
    url = _dead_registry(project)
    (project / ".npmrc").write_text(f"store-dir={store}\nregistry={url}\nfetch-retries=0\n")
    return project


def test_pnpm_with_the_registry_down_installs_offline_from_a_store_that_holds_the_client(
    tmp_path: Path, restarted_groups: list[int]
) -> None:
    project = _pnpm_without_client(tmp_path, pnpm_store())

    code, result = repair_json("reset", project, restarted=restarted_groups, env=repair_environment())

    assert code == 0, result
    assert any("but pnpm's cache holds every package the install needs" in note for note in result["notes"]), result
    assert step(result, "reinstall")["status"] == "done"
    assert (project / "node_modules" / "@prisma" / "client" / "package.json").is_file()


def test_pnpm_with_the_registry_down_and_a_store_without_the_client_refuses(tmp_path: Path) -> None:
    empty = tmp_path / "empty-store"
    empty.mkdir()
    project = _pnpm_without_client(tmp_path, empty)

    done = doctor("reset", "--yes", "--project", str(project), repair=True)

    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert "and pnpm's cache does not hold @prisma/client@6.17.1: the install cannot succeed" in said, said
    assert not (project / ".prisma-doctor" / "aside").exists()


class _NoPackages(http.server.BaseHTTPRequestHandler):
    """A registry that answers, and has none of the packages asked for."""

    def do_GET(self) -> None:
        body = b'{"error":"Not found"}'
        self.send_response(404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_an_install_that_fails_after_the_stop_says_the_restarted_server_cannot_load_the_client(
    vite_without_client: tuple[Path, NpmRunDev], tmp_path: Path, restarted_groups: list[int]
) -> None:
    project, server = vite_without_client
    registry_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoPackages)
    threading.Thread(target=registry_server.serve_forever, daemon=True).start()
    try:
        port = registry_server.server_address[1]
        (project / ".npmrc").write_text(f"registry=http://127.0.0.1:{port}/\nfetch-retries=0\n")

        code, result = repair_json(
            "reset", project, restarted=restarted_groups, env={**server.environment, **_own_npm(tmp_path)}
        )
    finally:
        registry_server.shutdown()
        registry_server.server_close()

    assert code == 1, result
    assert step(result, "reinstall")["message"].startswith("the install failed (exit 1): @prisma/client still missing")
    verdict = result["verdict"]
    (restarted,) = result["devServers"]
    # Vite's config loads the app, which requires the client: the server started again exits at once.
    assert verdict == (
        "repair NOT complete: the install failed and @prisma/client is still missing, so the dev server started again "
        f"cannot load it (pid {restarted['pid']} does not answer): the app fails wherever it uses Prisma until it is "
        "installed and the server restarted"
    ), verdict
    assert "Cannot find module '@prisma/client'" in (project / ".prisma-doctor" / "dev-output.log").read_text()
