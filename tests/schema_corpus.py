"""The schema corpus beside the repository and Prisma's own parser as the oracle over it.

The corpus lives at `../shared/corpus/schemas` from the repository root (where CI has it); the environment variable
`PRISMA_DOCTOR_CORPUS` may point elsewhere (a worktree whose parent has no `shared/`). The oracle is
`@prisma/prisma-schema-wasm` from npm, installed once per session into `tests/.cache/` from the pinned
`tests/oracle/package.json` and `package-lock.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ORACLE_SOURCE = REPO_ROOT / "tests" / "oracle"
CACHE = REPO_ROOT / "tests" / ".cache"

# Top-level corpus folders whose entries are each one schema (a file, or a folder of .prisma files).
_COLLECTIONS = ("real", "psl-validation", "psl-reformatter")
# Corpus folders that hold whole projects: every .prisma file in them is a schema of its own.
_PROJECT_COLLECTIONS = ("generated-pairs",)
_NOT_SCHEMAS = frozenset({".js", ".ts", ".json", ".md", ".tsv", ".d.ts", ".map", ".node", ".wasm"})


def corpus_root() -> Path:
    override = os.environ.get("PRISMA_DOCTOR_CORPUS")
    root = Path(override) if override else REPO_ROOT.parent / "shared" / "corpus" / "schemas"
    if not root.is_dir():
        raise RuntimeError(
            f"the schema corpus is missing: expected it at {root} (`../shared/corpus/schemas` from the repository "
            "root, or the folder named by PRISMA_DOCTOR_CORPUS)"
        )
    return root


@dataclass(frozen=True)
class CorpusSchema:
    """One schema of the corpus: a single file, or a folder whose .prisma files make up one schema."""

    id: str
    path: Path

    @property
    def is_folder(self) -> bool:
        return self.path.is_dir()

    def relative(self, file: Path) -> str:
        """A file's name inside its schema (files in different subfolders may share a name)."""
        return file.relative_to(self.path).as_posix() if self.is_folder else file.name

    def files(self) -> list[Path]:
        """The files in the order Prisma reads them: a depth-first walk, each folder's entries sorted by name."""
        if not self.is_folder:
            return [self.path]
        return _prisma_files_in_prisma_order(self.path)


def _prisma_files_in_prisma_order(folder: Path) -> list[Path]:
    found: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.encode()):
        if entry.is_dir():
            found.extend(_prisma_files_in_prisma_order(entry))
        elif entry.suffix == ".prisma":
            found.append(entry)
    return found


def corpus_schemas(root: Path | None = None) -> list[CorpusSchema]:
    root = root or corpus_root()
    schemas: list[CorpusSchema] = []
    for collection in _COLLECTIONS:
        folder = root / collection
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            if entry.is_dir() and _prisma_files_in_prisma_order(entry):
                schemas.append(CorpusSchema(f"{collection}/{entry.name}/", entry))
            elif entry.is_file() and entry.suffix not in _NOT_SCHEMAS:
                schemas.append(CorpusSchema(f"{collection}/{entry.name}", entry))
    for collection in _PROJECT_COLLECTIONS:
        folder = root / collection
        if folder.is_dir():
            for path in sorted(folder.rglob("*.prisma")):
                schemas.append(CorpusSchema(f"{collection}/{path.relative_to(folder)}", path))
    return schemas


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig", errors="replace")


# -- the oracle ---------------------------------------------------------------------------------------------------


def install_oracle() -> Path:
    """Install the pinned wasm builds once into tests/.cache/ (keyed by the lock file) and return the script."""
    lock = (ORACLE_SOURCE / "package-lock.json").read_bytes()
    key = hashlib.sha256(lock + (ORACLE_SOURCE / "package.json").read_bytes()).hexdigest()[:16]
    target = CACHE / f"schema-oracle-{key}"
    script = target / "dmmf.js"
    if not (target / "node_modules" / ".package-lock.json").is_file():
        staging = CACHE / f"schema-oracle-{key}.partial-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(ORACLE_SOURCE / name, staging / name)
        _run("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    # The script itself is copied every time so that an edit to it takes effect without a new install.
    shutil.copy2(ORACLE_SOURCE / "dmmf.js", script)
    return script


def run_oracle(script: Path, units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Prisma's datamodel (or its error) for each unit `{"id", "files": [[path, text]], "build"}`."""
    return json.loads(_run("node", [str(script)], stdin=json.dumps(units)))


def _run(tool: str, arguments: list[str], cwd: Path | None = None, stdin: str | None = None) -> str:
    """Run a Node tool for the oracle; its absence or failure fails the test with the tool's own words."""
    executable = shutil.which(tool)
    if executable is None:
        raise RuntimeError(f"{tool} is needed for Prisma's schema parser (the oracle) and was not found")
    result = subprocess.run(
        [executable, *arguments],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`{tool} {' '.join(arguments)}` failed for the schema oracle:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout
