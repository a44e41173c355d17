"""docs/architecture.md lists every module of the package, and nothing that is gone: a newcomer's map stays true."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "server" / "prisma_doctor"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _listed() -> set[str]:
    section = DOC.split("## Modules", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w/]+\.py)` \|", section, re.MULTILINE))


def _modules() -> set[str]:
    found = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")}
    # A package's `__init__` that only makes it a package needs no row of its own; `__main__` only calls the CLI.
    return {m for m in found if m != "__main__.py" and not (m.endswith("/__init__.py") and _trivial(PACKAGE / m))}


def _trivial(path: Path) -> bool:
    return not path.read_text(encoding="utf-8").strip()


def test_every_module_is_on_the_map() -> None:
    assert sorted(_modules() - _listed()) == []


def test_nothing_on_the_map_is_gone() -> None:
    assert sorted(_listed() - {p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")}) == []


def test_the_core_is_type_checked_strictly() -> None:
    """Every package but the adapters is in pyright's strict list (a new core package would otherwise be basic)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pyright"]
    strict = {Path(entry).relative_to("server/prisma_doctor").as_posix() for entry in config["strict"]}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert strict == {"*.py"} | (packages - {"cli", "lsp"})
