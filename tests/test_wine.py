"""The doctor on Windows Python under Wine, against projects whose clients Windows Node generated (tests/windows.py).

One Windows Python start runs several commands (Wine starts slowly): a driver script calls `cli.main` for each.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest

from prisma_doctor.repair.steps import PORT_UNKNOWN, ROUTE_UNKNOWN
from tests.captures.loading import load
from tests.helpers import SERVER
from tests.lsp.raw_client import RawClient, initialize
from tests.npm_cache import _engine_stand_in
from tests.toolchain import JS_GENERATOR, PrismaProject, link_copy, major, schema_text, toolchain
from tests.vscode.harness import package_target
from tests.windows import (
    WINE,
    native_addon,
    new_prefix,
    stop_prefix,
    windows_node,
    windows_path,
    windows_python,
    wine_environment,
    wine_missing,
)

pytestmark = [pytest.mark.wine, pytest.mark.skipif(wine_missing() is not None, reason=wine_missing() or "")]

MODELS = "model User {\n  id    Int    @id @default(autoincrement())\n  email String @unique\n}\n"
# Results and errors go to files: a dev server the repair starts again inherits Wine's Linux pipes, which would then
# never reach their end.
DRIVER = """import contextlib, io, json, sys, traceback
sys.stderr = open(sys.argv[3], "w", encoding="utf-8", buffering=1)
from prisma_doctor.cli import main
with open(sys.argv[2], "w", encoding="utf-8") as results:
    for argv in json.loads(open(sys.argv[1], encoding="utf-8").read()):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                code = main(argv)
            except SystemExit as exit:
                code = exit.code
            except Exception:
                traceback.print_exc()
                code = "raised"
        print(json.dumps({"code": code, "out": out.getvalue()}), file=results, flush=True)
"""


class Windows:
    """One test's Wine prefix, with Windows Node and Python, and the project's engine stand-in."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.prefix = new_prefix(folder / "prefix")
        self.node = windows_node()
        self.python = windows_python()
        self.engine = folder / "engine" / "query_engine-windows.dll.node"
        self.engine.parent.mkdir()
        self.engine.write_bytes(native_addon().read_bytes())
        self.env = wine_environment(
            self.prefix,
            {
                "WINEPATH": windows_path(self.node.parent),
                "PRISMA_SCHEMA_ENGINE_BINARY": windows_path(_engine_stand_in()),
                "PRISMA_QUERY_ENGINE_LIBRARY": windows_path(self.engine),
                "CHECKPOINT_DISABLE": "1",
                "PRISMA_HIDE_UPDATE_MESSAGE": "1",
                "PYTHONPATH": windows_path(SERVER),
            },
        )

    def node_output(self, arguments: list[str], cwd: Path, name: str) -> tuple[int, str]:
        """Run Windows node to its end: its exit code and output."""
        code = self.start_node(arguments, cwd, name).wait(timeout=300)
        return code, (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def start_node(self, arguments: list[str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
        """Start Windows node; node.exe cannot write to a Linux pipe, so its output goes to `<name>.log`."""
        with (self.folder / f"{name}.log").open("wb") as log:
            return subprocess.Popen(
                [WINE, str(self.node), *arguments],
                cwd=cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def serve(self, cwd: Path, bundled: Path | None = None) -> RawClient:
        """`prisma-doctor serve` on Windows Python, spoken to over its stdio pipes (Wine's Python takes Linux pipes;
        it is node.exe that cannot write to one). With `bundled` (an unpacked .vsix's `extension/bundled`), started
        as the extension starts it, from the server and libraries it carries, with no site-packages (`-S`)."""
        if bundled is None:
            return RawClient([WINE, str(self.python), "-m", "prisma_doctor", "serve"], self.env, cwd)
        path = ";".join(windows_path(bundled / part) for part in ("server", "libs"))
        env = {**self.env, "PYTHONPATH": path, "PYTHONUTF8": "1", "PYTHONUNBUFFERED": "1"}
        return RawClient([WINE, str(self.python), "-S", "-m", "prisma_doctor", "serve"], env, cwd)

    def doctor(self, *commands: list[str], cwd: Path) -> list[dict[str, Any]]:
        """Each command's exit code and output, from one Windows Python start."""
        (self.folder / "driver.py").write_text(DRIVER, encoding="utf-8")
        (self.folder / "commands.json").write_text(json.dumps(list(commands)), encoding="utf-8")
        files = [self.folder / name for name in ("driver.py", "commands.json", "results.jsonl", "errors.txt")]
        subprocess.run(
            [WINE, str(self.python), *map(windows_path, files)],
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        lines = files[2].read_text(encoding="utf-8").splitlines() if files[2].exists() else []
        errors = files[3].read_text(encoding="utf-8", errors="replace") if files[3].exists() else "no errors.txt"
        assert len(lines) == len(commands), errors
        return [json.loads(line) for line in lines]


@pytest.fixture
def windows(tmp_path: Path):
    reason = wine_missing()
    if reason:
        pytest.skip(reason)
    machine = Windows(tmp_path / "windows")
    try:
        yield machine
    finally:
        stop_prefix(machine.prefix)


def windows_project(windows: Windows, root: Path, version: str) -> Path:
    """A project of Prisma `version` (npm layout) whose client Windows Node generated."""
    link_copy(toolchain("npm", version), root)
    (root / "prisma").mkdir()
    (root / "prisma" / "schema.prisma").write_text(schema_text(version, MODELS, JS_GENERATOR), encoding="utf-8")
    code, output = windows.node_output(
        [windows_path(root / "node_modules/prisma/build/index.js"), "generate"], root, "generate"
    )
    assert code == 0, output
    if major(version) < 7:
        PrismaProject(root, "npm", version, root).push_database()  # the `file:./dev.db` its schema names
    return root


@pytest.mark.parametrize("version", ["6.17.1", "7.10.0"])
def test_check_explain_and_dry_run_on_windows_python(windows: Windows, tmp_path: Path, version: str) -> None:
    root = windows_project(windows, tmp_path / "app", version)
    capture = load("wine-generate-eperm-engine-locked")
    log = tmp_path / "generate.log"
    log.write_bytes(capture.output.replace(capture.sidecar["project_root"].encode(), windows_path(root).encode()))
    check, explain, dry_run = windows.doctor(
        ["check", "--json", windows_path(root)],
        ["explain", "--json", windows_path(log), "--project", windows_path(root)],
        ["reset", "--dry-run", "--json", "--project", windows_path(root)],
        cwd=root,
    )
    assert check["code"] == 0 and json.loads(check["out"])["state"] == "in-sync", check
    assert [f["code"] for f in json.loads(explain["out"])["findings"]] == ["engine-locked"], explain
    plan = json.loads(dry_run["out"])
    assert dry_run["code"] == 0, plan
    assert plan["project"] == windows_path(root)
    if major(version) < 7:
        assert any("node_modules\\.prisma\\client" in line for s in plan["steps"] for line in s["preview"]), plan


# A dev server stand-in: it loads the generated client's engine library (as Prisma's library engine does) and
# serves HTTP, under `node --watch-path=dev.js` as a dev server runs: a watcher of its own file only, that keeps the
# old engine loaded when the client changes (`--watch` would restart it for the new one).
STAND_IN = """const path = require('path');
require(path.join(__dirname, 'node_modules/.prisma/client/query_engine-windows.dll.node'));
const server = require('http').createServer((request, response) => response.end('ok'));
server.listen(0, '127.0.0.1', () => console.log('ready on http://localhost:' + server.address().port));
"""


def started(windows: Windows, *names: str) -> None:
    deadline = time.monotonic() + 60
    while not all("ready" in (windows.folder / f"{n}.log").read_text() for n in names):
        assert time.monotonic() < deadline, "the Windows node stand-ins did not start"
        time.sleep(0.2)


def test_a_locked_engine_is_named_then_reset_stops_its_holder_only(windows: Windows, tmp_path: Path) -> None:
    root = windows_project(windows, tmp_path / "app", "6.17.1")
    engine = root / "node_modules" / ".prisma" / "client" / "query_engine-windows.dll.node"
    assert engine.is_file(), "generate copies PRISMA_QUERY_ENGINE_LIBRARY beside the client"
    (root / "dev.js").write_text(STAND_IN)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dev = windows.start_node(["--watch-path=dev.js", "dev.js"], root, "dev")
    other = windows.start_node(["-e", "console.log('ready'); setInterval(() => {}, 1000)"], elsewhere, "other")
    started(windows, "dev", "other")
    code, output = windows.node_output(
        [windows_path(root / "node_modules/prisma/build/index.js"), "generate"], root, "locked"
    )
    assert code != 0 and "EPERM" in output and "query_engine-windows.dll.node" in output, output
    (tmp_path / "locked.log").write_text(output, encoding="utf-8")
    explain, regenerate, dry_run, reset = windows.doctor(
        ["explain", "--json", windows_path(tmp_path / "locked.log"), "--project", windows_path(root)],
        # No stop step: the old client is set aside while the stand-in still has its engine loaded.
        ["regenerate", "--yes", "--json", "--project", windows_path(root)],
        ["reset", "--dry-run", "--json", "--project", windows_path(root)],
        ["reset", "--yes", "--json", "--project", windows_path(root)],
        cwd=root,
    )
    (finding,) = json.loads(explain["out"])["findings"]
    assert finding["code"] == "engine-locked"
    (holder,) = finding["data"]["holders"]
    assert holder["name"].lower() == "node.exe" and holder["cmdline"].endswith("node.exe dev.js"), finding
    assert f"node.exe (pid {holder['pid']}: " in finding["message"], finding

    # The copy set aside stays locked, and its holder is named though Wine lists the library under its old name.
    steps = {step["name"]: step for step in json.loads(regenerate["out"])["steps"]}
    assert steps["generate"]["status"] == "done", regenerate
    (left,) = steps["discard"]["details"]
    assert "aside" in left and f"is locked by node.exe (pid {holder['pid']}: " in left, left
    # The stand-in runs on, but Wine ties no socket to it: the verdict says so rather than "no dev server runs".
    assert steps["verify-app"]["message"].startswith(PORT_UNKNOWN) and "dev.js" in steps["verify-app"]["message"]

    # The plan stops the stand-in's process tree, the holder among them, and nothing outside the project.
    (stop,) = [step for step in json.loads(dry_run["out"])["steps"] if step["name"] == "stop"]
    assert any(line.startswith(f"pid {holder['pid']}: ") for line in stop["preview"]), stop
    assert all(f"(in {windows_path(root)};" in line for line in stop["preview"]), stop

    result = json.loads(reset["out"])
    # No failed request is on record: `/` answering is said, and not called verified.
    assert reset["code"] == 0 and result["verdict"].startswith("repair done: "), result
    assert result["verdict"].endswith(ROUTE_UNKNOWN), result
    steps = {step["name"]: step for step in result["steps"]}
    assert any(f"pid {holder['pid']}" in line for line in steps["stop"]["details"]), steps["stop"]
    assert dev.poll() is not None, "the stand-in (`node --watch-path=dev.js`) still runs"
    assert other.poll() is None, "the node outside the project was stopped"
    assert steps["set-aside"]["status"] == steps["discard"]["status"] == "done", result
    assert not any(line.startswith("left at") for line in steps["discard"]["details"]), steps["discard"]
    assert result["after"]["state"] == "in-sync" and engine.is_file(), result
    (server,) = result["devServers"]
    assert server["answered"], result
    with urllib.request.urlopen(f"http://127.0.0.1:{server['port']}/", timeout=30) as answer:
        assert answer.read() == b"ok"
    assert "ready on" in (root / ".prisma-doctor" / "dev-output.log").read_text(encoding="utf-8")


@pytest.mark.parametrize("server", ["checkout", pytest.param("win32-x64.vsix", marks=pytest.mark.node)])
def test_the_language_server_publishes_drift_on_windows_python(windows: Windows, tmp_path: Path, server: str) -> None:
    bundled = None
    if server.endswith(".vsix"):
        with zipfile.ZipFile(package_target(server.removesuffix(".vsix"))) as vsix:
            vsix.extractall(tmp_path / "vsix")
        bundled = tmp_path / "vsix" / "extension" / "bundled"
    root = windows_project(windows, tmp_path / "app", "6.17.1")
    schema = root / "prisma" / "schema.prisma"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace("  email String @unique\n", "  email String @unique\n  nickname String?\n"))
    client = windows.serve(root, bundled)
    try:
        # The root as VS Code on Windows sends it: a drive letter in a file URI.
        result = initialize(client, root, root_uri=PureWindowsPath(windows_path(root)).as_uri(), seconds=120)
        assert result["serverInfo"]["name"] == "prisma-doctor", result
        published = client.notification("textDocument/publishDiagnostics", seconds=120)["params"]
    finally:
        client.close()
    assert published["uri"].lower() == PureWindowsPath(windows_path(schema)).as_uri().lower(), published
    # The client lacks the field, and the SQLite file (asked read-only through a Windows path) lacks its column.
    client_side, database_side = published["diagnostics"]
    assert client_side["code"] == "client-out-of-sync" and "User.nickname" in client_side["message"], client_side
    assert database_side["code"] == "db-missing-column" and "prisma\\dev.db" in database_side["message"], database_side
    nickname = schema.read_text(encoding="utf-8").splitlines().index("  nickname String?")
    for diagnostic in (client_side, database_side):
        assert diagnostic["range"]["start"] == {"line": nickname, "character": 2}, diagnostic


# Windows Python runs `prisma-doctor run` while another process holds the record open, as the dev server a repair
# restarted does: the record cannot be made anew (no delete sharing), and the output is read by a thread per pipe.
RUN_WHILE_HELD = """import json, os, subprocess, sys
held = open(sys.argv[1], "ab")
command = [sys.executable, "-m", "prisma_doctor", "run", "--", sys.executable, "-c", "print('hi')"]
done = subprocess.run(command, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "cp1252"})
held.close()
out, err = done.stdout.decode("cp1252"), done.stderr.decode("cp1252")
with open(sys.argv[2], "w", encoding="utf-8") as result:
    json.dump({"code": done.returncode, "out": out, "err": err}, result)
"""


def test_run_on_windows_python_adds_to_a_record_another_process_holds(windows: Windows, tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / ".prisma-doctor").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "app"}', encoding="utf-8")
    record = root / ".prisma-doctor" / "dev-output.log"
    record.write_bytes(b"the restarted dev server's output\r\n")
    script, result = tmp_path / "run_while_held.py", tmp_path / "result.json"
    script.write_text(RUN_WHILE_HELD, encoding="utf-8")
    subprocess.run(
        [WINE, str(windows.python), windows_path(script), windows_path(record), windows_path(result)],
        cwd=root,
        env=windows.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
        check=False,
    )
    done = json.loads(result.read_text(encoding="utf-8"))
    assert done["code"] == 0, done
    assert done["out"] == "hi\r\n", done
    assert "adding the output to" in done["err"] and "cannot record" not in done["err"], done
    assert record.read_bytes() == b"the restarted dev server's output\r\nhi\r\n"
