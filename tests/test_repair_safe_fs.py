"""Removal never reaches outside the project: refused roots, links unlinked not followed, paths resolved."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from prisma_doctor.repair.journal import RepairBusy, RepairLock
from prisma_doctor.repair.package_manager import detect
from prisma_doctor.repair.roots import RefusedRoot, checked_root
from prisma_doctor.repair.safe_fs import OutsideProject, remove_tree, size_of

SCHEMA = 'datasource db {\n  provider = "sqlite"\n  url = "file:./dev.db"\n}\n'


@pytest.mark.parametrize(
    "root", ["/", str(Path.home()), str(Path.home().parent), "/tmp", "/usr", "/etc", "/usr/lib", "/var"]
)
def test_broad_roots_are_refused_even_with_a_schema_in_them(root: str) -> None:
    with pytest.raises(RefusedRoot):
        checked_root(root)


def test_a_project_folder_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "prisma").mkdir()
    (tmp_path / "prisma" / "schema.prisma").write_text(SCHEMA)
    assert checked_root(tmp_path / ".") == tmp_path.resolve()


def test_a_folder_without_a_prisma_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(RefusedRoot, match="no Prisma schema"):
        checked_root(tmp_path)


def test_links_are_unlinked_and_their_targets_kept(tmp_path: Path) -> None:
    project = tmp_path / "app"
    target = tmp_path / "outside"
    (target / "deep").mkdir(parents=True)
    (target / "deep" / "file").write_bytes(b"x" * 100)
    cache = project / ".next" / "cache"
    cache.mkdir(parents=True)
    (cache / "own").write_bytes(b"y" * 10)
    (cache / "to-folder").symlink_to(target, target_is_directory=True)
    (cache / "to-file").symlink_to(target / "deep" / "file")
    (cache / "dangling").symlink_to(tmp_path / "missing")

    assert size_of(project / ".next") == 10
    removal = remove_tree(".next", project.resolve())

    assert removal.existed and removal.bytes_freed == 10
    assert not (project / ".next").exists()
    assert (target / "deep" / "file").read_bytes() == b"x" * 100


def test_a_link_named_as_the_target_is_removed_as_a_link(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    outside = tmp_path / "real-client"
    outside.mkdir()
    (outside / "index.js").write_text("kept")
    (project / "client").symlink_to(outside, target_is_directory=True)

    remove_tree(project / "client", project)

    assert not (project / "client").is_symlink()
    assert (outside / "index.js").read_text() == "kept"


@pytest.mark.parametrize("path", ["..", "../sibling", "/etc", "a/../../x", "."])
def test_paths_outside_the_project_or_the_root_itself_are_refused(tmp_path: Path, path: str) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (tmp_path / "sibling").mkdir()
    with pytest.raises(OutsideProject):
        remove_tree(path, project)
    assert (tmp_path / "sibling").is_dir() and project.is_dir()


def test_a_linked_parent_folder_cannot_smuggle_a_path_out(tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    outside = tmp_path / "outside"
    (outside / "victim").mkdir(parents=True)
    (project / "node_modules").symlink_to(outside, target_is_directory=True)

    with pytest.raises(OutsideProject):
        remove_tree(project / "node_modules" / "victim", project)
    assert (outside / "victim").is_dir()


def test_one_repair_at_a_time_and_a_crashed_holder_frees_the_lock(tmp_path: Path) -> None:
    # Another process takes the same lock the way a repair does, then is killed: the system frees its lock.
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path; from prisma_doctor.repair.journal import RepairLock;"
        "RepairLock(Path(sys.argv[2])).acquire(); print('held', flush=True); time.sleep(60)"
    )
    server = str(Path(__file__).resolve().parents[1] / "server")
    holder = subprocess.Popen([sys.executable, "-c", code, server, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RepairBusy, match=str(holder.pid)):
            RepairLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = RepairLock(tmp_path)
    lock.acquire()  # the holder is gone, and so is its lock
    assert json.loads((tmp_path / ".prisma-doctor" / "repair.lock").read_text())["pid"] != holder.pid
    lock.release()
    assert (tmp_path / ".prisma-doctor" / ".gitignore").exists()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pnpm-lock.yaml": ""}, "pnpm"),
        ({"yarn.lock": ""}, "yarn"),
        ({"bun.lock": ""}, "bun"),
        ({"package-lock.json": "{}"}, "npm"),
        ({}, "npm"),
        ({"package-lock.json": "{}", "package.json": '{"packageManager": "pnpm@10.0.0"}'}, "pnpm"),
    ],
)
def test_package_manager_from_lock_files_and_field(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    project = tmp_path / "app"
    project.mkdir()
    for name, text in files.items():
        (project / name).write_text(text)
    assert detect(project).name == expected


def test_the_editors_package_manager_setting_overrides_detection(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_text("{}")
    assert detect(tmp_path, "pnpm").name == "pnpm"
    assert detect(tmp_path, "not-a-manager").name == "npm"


def test_a_monorepo_package_uses_the_workspace_roots_manager(tmp_path: Path) -> None:
    (tmp_path / "repo" / "apps" / "web").mkdir(parents=True)
    (tmp_path / "repo" / "pnpm-workspace.yaml").write_text("packages: ['apps/*']\n")
    (tmp_path / "repo" / "pnpm-lock.yaml").write_text("")
    (tmp_path / "repo" / "apps" / "web" / "package.json").write_text('{"name": "web"}')

    manager = detect(tmp_path / "repo" / "apps" / "web")

    assert manager.name == "pnpm"
    assert manager.workspace_root == tmp_path / "repo"
    assert manager.prisma("generate")[-3:] == ["exec", "prisma", "generate"]


def test_a_lock_file_above_the_project_does_not_make_a_workspace(tmp_path: Path) -> None:
    # A folder that only holds a lock file (a parent of unrelated checkouts, /tmp) is not the project's to install in.
    (tmp_path / "mono" / "app").mkdir(parents=True)
    (tmp_path / "mono" / "package.json").write_text('{"name": "not-a-workspace"}')
    (tmp_path / "mono" / "package-lock.json").write_text("{}")
    (tmp_path / "mono" / "app" / "package.json").write_text('{"name": "app"}')

    manager = detect(tmp_path / "mono" / "app")

    assert manager.workspace_root == tmp_path / "mono" / "app"


def test_npm_workspaces_and_their_exclusions_are_read(tmp_path: Path) -> None:
    (tmp_path / "repo" / "packages" / "db").mkdir(parents=True)
    (tmp_path / "repo" / "packages" / "legacy").mkdir(parents=True)
    (tmp_path / "repo" / "package.json").write_text('{"workspaces": ["packages/*", "!packages/legacy"]}')

    assert detect(tmp_path / "repo" / "packages" / "db").workspace_root == tmp_path / "repo"
    assert detect(tmp_path / "repo" / "packages" / "legacy").workspace_root == tmp_path / "repo" / "packages" / "legacy"
