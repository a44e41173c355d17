"""The checks that decide, before a repair changes anything, whether its install can succeed: a package folder an
install left unfinished is no installed package; a package manager that is not here refuses the repair that needs it
(bun, told by its text lock file `bun.lock`); pnpm, run by a repair, never switches itself to another version.

Real npm (with a cache of the test's own) and real pnpm (the tests' pinned one); a registry on a port where nothing
listens, so that nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from prisma_doctor.installed import missing_packages, package_findings
from prisma_doctor.repair.package_manager import PNPM_AS_INSTALLED, detect, subprocess_env
from prisma_doctor.repair.plan import build_plan
from tests.dev_server import free_port
from tests.helpers import repair_json, step, tree_contents
from tests.npm_cache import PNPM_VERSION, pnpm_bin, pnpm_command
from tests.repair_fixtures import npm_cache_copy, repair_environment

pytestmark = pytest.mark.node


def _unfinished(client: Path, how: str) -> None:
    """`@prisma/client` as an install that did not finish leaves it."""
    if how == "empty folder":
        shutil.rmtree(client)
        client.mkdir()
    elif how == "no package.json":
        (client / "package.json").unlink()
    else:
        package = json.loads((client / "package.json").read_text())
        del package["version"]
        (client / "package.json").write_text(json.dumps(package))


@pytest.mark.parametrize("how", ["empty folder", "no package.json", "package.json without a version"])
def test_an_unfinished_client_folder_is_no_installed_client_and_the_reset_plans_its_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    env = npm_cache_copy(tmp_path)
    project = tmp_path / "project"
    _unfinished(project / "node_modules" / "@prisma" / "client", how)
    url = f"http://127.0.0.1:{free_port()}/"
    (project / ".npmrc").write_text(f"registry={url}\nfetch-retries=0\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert missing_packages(project) == ["@prisma/client"]
    (found,) = package_findings(project, project / "prisma", [project / "node_modules" / ".prisma" / "client"], None)
    assert found.code == "prisma-packages-missing"
    # A folder without package.json is no package to Node: it looks on, and finds none.
    if how == "package.json without a version":
        assert found.data["incomplete"] == ["@prisma/client"]
        assert "`@prisma/client` is installed incompletely" in found.message, found.message
    # The install must download it again: the registry is down, npm's cache holds it, so it runs offline.
    plan = build_plan(project, "reset")
    assert plan.refusals == []
    assert any("but npm's cache holds every package the install needs (@prisma/client@6.17.1)" in n for n in plan.notes)
    (reinstall,) = [s for s in plan.steps if s.name == "reinstall"]
    assert "install --offline (in " in reinstall.preview()[1]


def test_a_reset_installs_an_emptied_client_again_with_the_registry_down(
    tmp_path: Path, restarted_groups: list[int]
) -> None:
    env = npm_cache_copy(tmp_path)
    project = tmp_path / "project"
    _unfinished(project / "node_modules" / "@prisma" / "client", "empty folder")
    (project / ".npmrc").write_text(f"registry=http://127.0.0.1:{free_port()}/\nfetch-retries=0\n")

    code, result = repair_json("reset", project, restarted=restarted_groups, env={**repair_environment(), **env})

    assert code == 0, result
    assert step(result, "reinstall")["status"] == "done"
    assert json.loads((project / "node_modules" / "@prisma" / "client" / "package.json").read_text())["version"]
    assert result["after"]["state"] == "in-sync"


def test_a_bun_lock_makes_bun_the_manager_and_without_bun_the_reset_refuses_before_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = npm_cache_copy(tmp_path)
    project = tmp_path / "project"
    # Bun 1.2's text lock file, in place of npm's.
    (project / "package-lock.json").unlink()
    (project / "bun.lock").write_text('{\n  "lockfileVersion": 1,\n  "workspaces": {},\n  "packages": {},\n}\n')
    shutil.rmtree(project / "node_modules" / "@prisma" / "client")
    # node alone on the PATH (the project's own Prisma runs with it); no bun.
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    node = shutil.which("node")
    assert node is not None
    (bin_folder / "node").symlink_to(node)
    monkeypatch.setenv("PATH", str(bin_folder))
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{free_port()}/")
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert detect(project).name == "bun"
    _refused_changing_nothing(
        project,
        f"the project's package manager is bun (its `packageManager` field or lock file in {project}) and `bun` is "
        "not on the PATH here, so @prisma/client cannot be installed again: install bun (or run `bun install` where "
        "it is), then the repair",
    )


def _refused_changing_nothing(project: Path, refusal: str) -> None:
    """A reset's plan refused with `refusal` alone, and `node_modules` as it was."""
    before = tree_contents(project / "node_modules")
    plan = build_plan(project, "reset")
    assert plan.refusals == [refusal], plan.refusals
    assert tree_contents(project / "node_modules") == before


def test_pnpm_run_by_a_repair_never_switches_to_the_version_package_json_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pnpm_command()  # the tests' pnpm, installed on first use
    home = tmp_path / "pnpm-home"
    monkeypatch.setenv("PNPM_HOME", str(home))  # where pnpm would download the version it switches to
    monkeypatch.setenv("PATH", f"{pnpm_bin()}{os.pathsep}{os.environ['PATH']}")
    project = tmp_path / "app"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "app", "packageManager": "pnpm@9.15.0"}))
    manager = detect(project)
    assert manager.name == "pnpm"

    said = subprocess.run(
        manager.exec_command("node", "-e", "console.log(process.env.npm_config_user_agent)"),
        cwd=project,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert said.returncode == 0, said.stderr
    assert said.stdout.startswith(f"pnpm/{PNPM_VERSION} "), said.stdout
    assert not (home / ".tools").exists()
    assert manager.install_command(offline=True)[1:] == [PNPM_AS_INSTALLED, "install", "--offline"]


def test_a_reset_whose_npm_cannot_read_its_config_refuses_instead_of_guessing_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = npm_cache_copy(tmp_path)
    project = tmp_path / "project"
    shutil.rmtree(project / "node_modules" / "@prisma" / "client")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # npm keeps a `${VAR}` that nothing sets as it is written: no registry an install could reach.
    monkeypatch.delenv("PD_COMPANY_REGISTRY", raising=False)
    (project / ".npmrc").write_text("registry=${PD_COMPANY_REGISTRY}\n")

    _refused_changing_nothing(
        project,
        f"npm's config in {project} cannot be read (its `registry` uses ${{PD_COMPANY_REGISTRY}}, which npm leaves as "
        "written: no such variable is set), so the registry the install would download from is not known: fix the "
        "config (or the environment it reads), then the repair",
    )
