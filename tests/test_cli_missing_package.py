"""A Prisma package Node cannot resolve at run time is a Prisma problem (user's trial 13, L2): `explain` and `run` say
what `check` says of it, decided against what is installed, and `explain` never ends "in sync" for such an output.

Real Prisma 6.17 projects from npm, real Node (ES modules: `Cannot find package ... imported from ...`; CommonJS:
`Cannot find module ...` with its require stack), the package really removed from the project's node_modules.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import doctor
from tests.repair_fixtures import project_copy

pytestmark = pytest.mark.node

APPS = {
    "esm": ("src/db.mjs", 'import {{ PrismaClient }} from "{package}";\nconsole.log(typeof PrismaClient);\n'),
    "cjs": ("src/db.cjs", 'const {{ PrismaClient }} = require("{package}");\nconsole.log(typeof PrismaClient);\n'),
}
NODE_SAYS = {
    "esm": "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '{package}' imported from {app}",
    "cjs": "Error: Cannot find module '{package}'",
}


def crashed_app(tmp_path: Path, loader: str, package: str) -> tuple[Path, Path, Path]:
    """A copy of the npm project without `package`, the app file that imports it, and the log of Node's crash on it.
    The package's folder is moved aside (to `tmp_path/aside`), so that a test can install it back as it was."""
    project = project_copy("npm", tmp_path / "app")
    installed = project / "node_modules" / package
    assert installed.is_dir() and not installed.is_symlink()
    shutil.move(installed, tmp_path / "aside")
    name, code = APPS[loader]
    app = project / name
    app.parent.mkdir(exist_ok=True)
    app.write_text(code.format(package=package))
    ran = subprocess.run(["node", str(app)], cwd=project, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1 and NODE_SAYS[loader].format(package=package, app=app) in ran.stderr, ran.stderr
    log = tmp_path / "crash.log"
    log.write_text(ran.stderr)
    return project, app, log


def missing_finding(output: str) -> dict[str, Any]:
    report = json.loads(output)
    (finding,) = [f for f in report["findings"] if f["code"] == "prisma-packages-missing"]
    return finding


@pytest.mark.parametrize("loader", ["esm", "cjs"])
@pytest.mark.parametrize("package", ["@prisma/adapter-libsql", "@prisma/client"])
def test_explain_and_run_say_what_check_says_of_a_missing_package(tmp_path: Path, loader: str, package: str) -> None:
    project, app, log = crashed_app(tmp_path, loader, package)
    checked = missing_finding(doctor("check", str(project), "--json", "--no-database").stdout)
    assert package in checked["data"]["missing"], checked

    explained = doctor("explain", str(log), "--project", str(project), "--json")

    assert explained.returncode == 1, explained.stdout + explained.stderr
    finding = missing_finding(explained.stdout)
    # The finding `check` gives, with its fix, at the import the output names (ES modules name the importing file).
    assert (finding["message"], finding["fixes"]) == (checked["message"], checked["fixes"]), finding
    assert finding["data"]["package"] == package
    if loader == "esm":
        assert finding["location"]["file"] == str(app), finding
    text = doctor("explain", str(log), "--project", str(project)).stdout
    assert "[prisma-packages-missing]" in text and not text.rstrip().endswith("in sync"), text

    # `run` says it live, as the app crashes under it.
    ran = doctor("run", "--project", str(project), "--", "node", str(app), cwd=project)
    assert ran.returncode == 1
    assert "prisma-doctor: " in ran.stderr and "[prisma-packages-missing]" in ran.stderr, ran.stderr


def test_a_package_installed_since_the_crash_is_said_as_such_and_never_in_sync(tmp_path: Path) -> None:
    project, _app, log = crashed_app(tmp_path, "esm", "@prisma/adapter-libsql")
    shutil.move(tmp_path / "aside", project / "node_modules" / "@prisma" / "adapter-libsql")

    done = doctor("explain", str(log), "--project", str(project))

    # Not the project's state now: an earlier error, and no word of the project being "in sync", which only `check`
    # can say.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "but it is installed now" in done.stdout and "Start it again" in done.stdout, done.stdout
    last = done.stdout.rstrip().splitlines()[-1]
    assert last.startswith("no current Prisma error in this output") and "in sync" not in last.split(";")[0], last
