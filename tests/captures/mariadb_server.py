"""A throw-away MariaDB server for the tests and the capture scripts (Debian's mariadb-server).

`mariadb-install-db` makes a data folder in a temporary folder, `mariadbd` serves it on 127.0.0.1 at a free port and
on a unix socket there, as the `mysql` user when we are root (the server refuses to run as root) and as ourselves
otherwise; `stop()` shuts it down and removes the folder. One user, `prisma` with a password, may do anything: the
URLs the tests hand to Prisma and to the doctor carry it. Statements are run with the `mariadb` client.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Also a module of the capture scripts, which run with only tests/captures on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dev_server import free_port

USER = "prisma"
PASSWORD = "maria-s3cret"
START_TIMEOUT = 60
_SEARCH = ("/usr/sbin", "/usr/bin", "/usr/libexec", "/usr/local/sbin", "/usr/local/bin")


def _binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SEARCH))


def missing_binaries() -> str | None:
    """Why no server can be started here (None when it can): the binaries mariadb-server and its client install."""
    absent = [n for n in ("mariadbd", "mariadb-install-db", "mariadb") if _binary(n) is None]
    if absent:
        return f"MariaDB is not installed ({', '.join(absent)} not found; `bash scripts/bootstrap.sh --system`)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("mysql")
        except KeyError:
            return "running as root and there is no `mysql` user for mariadbd to run as"
    return None


class MariaDB:
    """One server in a temporary folder; `url(database)` for a database in it."""

    def __init__(self) -> None:
        reason = missing_binaries()
        if reason:
            raise RuntimeError(reason)
        self.folder = Path(tempfile.mkdtemp(prefix="pd-mariadb-"))
        self.folder.chmod(0o755)
        self.data = self.folder / "data"
        self.socket = self.folder / "mariadb.sock"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        # Whether the server offers TLS (with a self-signed certificate): see `_tls_options`.
        self.tls = False
        self.certificate = self.folder / "server-cert.pem"
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "mysql", "mysql")
            self._as = ["runuser", "-u", "mysql", "--"]

    def start(self) -> MariaDB:
        subprocess.run(
            [
                *self._as,
                str(_binary("mariadb-install-db")),
                "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            check=True,
            cwd=self.folder,
            timeout=START_TIMEOUT,
        )
        self._process = subprocess.Popen(
            [
                *self._as,
                str(_binary("mariadbd")),
                "--no-defaults",  # first, or mariadbd refuses it
                *self._tls_options(),
                f"--datadir={self.data}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.folder / 'mariadbd.pid'}",
                f"--log-error={self.folder / 'error.log'}",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
                "--innodb-log-file-size=8M",
                "--innodb-flush-log-at-trx-commit=0",
                "--skip-name-resolve",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.folder,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = (self.folder / "error.log").read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"mariadbd did not start:\n{log}")
            time.sleep(0.2)
        self.sql(
            "",
            f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON *.* TO '{USER}'@'%' WITH GRANT OPTION;",
        )
        return self

    def _tls_options(self) -> list[str]:
        """A self-signed certificate for `localhost`, so that TLS can be asked for (MariaDB 10.11 makes none itself);
        none when openssl is missing (`self.tls` is then False)."""
        openssl = shutil.which("openssl")
        self.tls = openssl is not None
        if openssl is None:
            return []
        key, cert = self.folder / "server-key.pem", self.certificate
        request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost"]
        names = ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        subprocess.run(
            [openssl, *request, *names, "-keyout", str(key), "-out", str(cert)],
            capture_output=True,
            check=True,
            timeout=60,
        )
        if self._as:
            for path in (key, cert):
                shutil.chown(path, "mysql", "mysql")
        return [f"--ssl-key={key}", f"--ssl-cert={cert}"]

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        done = subprocess.run([*self._client(""), "-e", "SELECT 1"], capture_output=True, timeout=10)
        return done.returncode == 0

    def _client(self, database: str) -> list[str]:
        # root through the socket: the install's root has no password there.
        return [
            str(_binary("mariadb")),
            "--no-defaults",
            f"--socket={self.socket}",
            "-u",
            "root",
            "-N",
            "-B",
            "--comments",
        ] + ([database] if database else [])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # Our own child (runuser, then mariadbd in its session): its whole group, and nothing else.
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)

    def sql(self, database: str, statements: str) -> str:
        """Run `statements` (a `DELIMITER` line may change the delimiter, as in the `mariadb` client)."""
        done = subprocess.run(
            self._client(database), input=statements, capture_output=True, text=True, timeout=60, check=False
        )
        if done.returncode:
            raise RuntimeError(f"mariadb failed: {done.stderr}")
        return done.stdout

    def version(self) -> str:
        return self.sql("", "SELECT VERSION()").strip()

    def create_database(self, name: str) -> str:
        self.sql("", f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        return self.url(name)

    def url(self, database: str, scheme: str = "mysql") -> str:
        return f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> MariaDB:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
