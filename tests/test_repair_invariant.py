"""The invariant behind every repair, over generated hostile projects: after any repair, every byte outside the
project is unchanged and every process that is not the project's is still alive.

Each example is a real Prisma 6.17 project (tests/repair_fixtures.py) made hostile by a drawn mix of generator
outputs anywhere, links in and out, read-only files outside, planted state files and decoy processes, then
repaired by the real command line. A modest count runs in the default suite; the slow suite runs many more
(`PRISMA_DOCTOR_HARM_EXAMPLES`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import doctor, tree_contents
from tests.repair_fixtures import project_copy

IDLE = "setInterval(() => {}, 1000)"
OUTPUTS = (None, "../lib", ".", "../node_modules", "../../outside/shared", "../generated", "../src")
LINKS = (
    "node_modules/out-dir",
    ".next/out-file",
    ".next/cache/out-dir",
    ".prisma-doctor/generate.log",
    ".prisma-doctor/journal.json",
    ".prisma-doctor/dev-output.log",
    "node_modules/.prisma/client/out-file",
)
DECOYS = ("outside", "outside-naming-project", "tail-client", "python-inside")

hostile = st.fixed_dictionaries(
    {
        "output": st.sampled_from(OUTPUTS),
        "links": st.sets(st.sampled_from(LINKS), max_size=len(LINKS)),
        "decoys": st.sets(st.sampled_from(DECOYS), max_size=len(DECOYS)),
        "kind": st.sampled_from(("reset", "regenerate", "restart-dev")),
        "deep": st.booleans(),
        "user_files": st.booleans(),
    }
)


def build(base: Path, case: dict) -> tuple[Path, Path]:
    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "dir" / "data.txt").write_text("precious\n")
    (outside / "file.txt").write_text("precious\n")
    (outside / "readonly.txt").write_text("read only\n")
    (outside / "readonly.txt").chmod(0o444)
    (outside / "shared").mkdir()
    (outside / "shared" / "keep.txt").write_text("not the project's\n")
    project = project_copy("npm", base / "work" / "app")
    if case["user_files"]:
        for name in ("lib/prisma.ts", "src/index.ts", "prisma/migrations/1_init/migration.sql", "generated/mine.txt"):
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text("the user's own\n")
    if case["output"] is not None:
        schema = project / "prisma" / "schema.prisma"
        output = f'engineType = "client"\n  output = "{case["output"]}"'
        schema.write_text(schema.read_text().replace('engineType = "client"', output))
    for link in sorted(case["links"]):
        path = project / link
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            continue
        target = outside / ("dir" if link.endswith("dir") else "readonly.txt" if "journal" in link else "file.txt")
        path.symlink_to(target, target_is_directory=target.is_dir())
    return project, outside


def start_decoys(project: Path, outside: Path, names: set[str]) -> list[subprocess.Popen[bytes]]:
    (project / "idle.js").write_text(IDLE)
    commands = {
        "outside": (["node", "-e", IDLE], outside),
        "outside-naming-project": (["node", str(project / "idle.js")], outside),
        "tail-client": (["tail", "-f", str(project / "package.json")], outside),
        "python-inside": ([sys.executable, "-c", "import time; time.sleep(120)"], project),
    }
    started = [subprocess.Popen(commands[n][0], cwd=commands[n][1], start_new_session=True) for n in sorted(names)]
    time.sleep(0.3)
    return started


def run_case(base: Path, case: dict) -> None:
    project, outside = build(base, case)
    before = tree_contents(outside, file_modes=True)
    decoys = start_decoys(project, outside, case["decoys"])
    args = [case["kind"], "--yes"] + (["--deep"] if case["deep"] and case["kind"] == "reset" else [])
    try:
        done = doctor(*args, cwd=project, repair=True, timeout=300)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1, 2), done
        assert tree_contents(outside, file_modes=True) == before, (case, done.stdout, done.stderr)
        for decoy in decoys:
            assert decoy.poll() is None, (case, decoy.args, done.stdout)
    finally:
        for decoy in decoys:
            decoy.kill()
            decoy.wait()
        for process in psutil.process_iter(["cwd"]):
            if process.info["cwd"] and process.info["cwd"].startswith(str(project)):
                process.kill()


def _examples(default: int) -> int:
    return int(os.environ.get("PRISMA_DOCTOR_HARM_EXAMPLES", default))


@pytest.mark.node
@settings(max_examples=_examples(4), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=hostile)
def test_no_repair_touches_what_is_not_the_projects(tmp_path_factory: pytest.TempPathFactory, case: dict) -> None:
    run_case(tmp_path_factory.mktemp("hostile"), case)


@pytest.mark.node
@pytest.mark.slow
@settings(max_examples=_examples(150), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=hostile)
def test_many_hostile_projects_keep_the_invariant(tmp_path_factory: pytest.TempPathFactory, case: dict) -> None:
    run_case(tmp_path_factory.mktemp("hostile"), case)
