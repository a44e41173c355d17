"""A throw-away PostgreSQL cluster for the capture scripts (Debian's postgresql, run as the `postgres` user).

Installs postgresql and the fr_FR.UTF-8 locale with apt when they are missing (the machine runs as root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Also a module of the capture scripts, which run with only tests/captures on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dev_server import free_port

LOCALE = "fr_FR.UTF-8"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _have_locale(name: str) -> bool:
    listed = subprocess.run(["locale", "-a"], capture_output=True, text=True).stdout.lower().split()
    return name.lower().replace("utf-8", "utf8") in listed


def ensure_installed() -> Path:
    """PostgreSQL's binaries folder, installing the packages and generating the French locale if needed."""
    if _pg_bin() is None or not Path("/usr/share/i18n/SUPPORTED").exists():
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql", "locales"], check=True, env=env)
    if not _have_locale(LOCALE):
        gen = Path("/etc/locale.gen")
        text = gen.read_text() if gen.exists() else ""
        if f"\n{LOCALE} UTF-8" not in "\n" + text:
            gen.write_text(text + f"\n{LOCALE} UTF-8\n")
        subprocess.run(["locale-gen"], check=True, capture_output=True)
    binaries = _pg_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed and could not be installed with apt-get")
    return binaries


class Cluster:
    """initdb + pg_ctl in a temporary folder, listening on 127.0.0.1 and a free port; trust authentication."""

    def __init__(self) -> None:
        self.binaries = ensure_installed()
        self.folder = Path(tempfile.mkdtemp(prefix="pd-capture-pg-"))
        shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, check=check, cwd="/tmp"
        )

    def start(self) -> Cluster:
        self._as_postgres(
            str(self.binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            str(self.binaries / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "start",
        )
        return self

    def stop(self) -> None:
        self._as_postgres(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    def sql(self, database: str, statements: str) -> str:
        done = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                statements,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return done.stdout

    def create_database(self, name: str, lc_messages: str) -> str:
        self.sql("postgres", f'CREATE DATABASE "{name}"')
        self.sql("postgres", f"ALTER DATABASE \"{name}\" SET lc_messages = '{lc_messages}'")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_closed(port: int, timeout: float = 5) -> None:
    """Used for a port that must refuse connections: nothing listens there after the cluster stops."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.1)
