"""The npm packages the capture scripts run, installed once into `tests/.cache/` keyed by their versions."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRISMA_VERSION = "6.17.1"
NEXT_VERSION = "16.4.6"
PACKAGES: dict[str, str] = {
    "prisma": PRISMA_VERSION,
    "@prisma/client": PRISMA_VERSION,
    "@prisma/adapter-libsql": PRISMA_VERSION,
    "@libsql/client": "0.8.1",
    "@prisma/adapter-pg": PRISMA_VERSION,
    "pg": "8.16.3",
    "next": NEXT_VERSION,
    "react": "19.2.0",
    "react-dom": "19.2.0",
    "typescript": "5.9.3",
    "@types/node": "22.18.0",
    "@types/react": "19.2.2",
}


def cache_dir() -> Path:
    key = hashlib.sha256(json.dumps(PACKAGES, sort_keys=True).encode()).hexdigest()[:12]
    return ROOT / "tests" / ".cache" / f"captures-node-{key}"


def ensure_node_modules() -> Path:
    """Install the packages once; return the folder whose `node_modules` holds them."""
    folder = cache_dir()
    marker = folder / ".installed"
    if marker.exists():
        return folder
    if shutil.which("npm") is None:
        sys.exit("the capture scripts need Node.js and npm on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(
        json.dumps({"name": "captures", "private": True, "dependencies": PACKAGES}, indent=2)
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=folder,
        check=True,
        env={**os.environ, "PRISMA_HIDE_UPDATE_MESSAGE": "1"},
    )
    marker.write_text("ok\n")
    return folder


def versions(folder: Path) -> dict[str, str]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
    found = {"node": node}
    adapters = ("@prisma/adapter-pg", "@prisma/adapter-libsql", "@prisma/adapter-mariadb", "mariadb")
    for name in ("prisma", "next", *adapters):
        manifest = folder / "node_modules" / name / "package.json"
        if manifest.exists():
            found[name] = json.loads(manifest.read_text())["version"]
    return found


if __name__ == "__main__":
    print(ensure_node_modules())
