"""A real `next dev` for tests: started on a free port in its own process group, output recorded to a file."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
ACTION_ID = re.compile(r'name="\$ACTION_ID_([0-9a-f]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Response:
    status: int
    body: str


def _send(request: urllib.request.Request, timeout: float) -> Response:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, answer.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode("utf-8", "replace"))


@dataclass
class DevServer:
    """`next dev --turbopack` (or `--webpack`) in `project`; `output` is everything it printed (stdout and stderr)."""

    project: Path
    log_file: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # The `next` to run; by default the project's own `node_modules/.bin/next`.
    next_bin: Path | None = None
    bundler: str = "turbopack"  # or "webpack"

    @property
    def command(self) -> list[str]:
        binary = self.next_bin or self.project / "node_modules" / ".bin" / "next"
        return [str(binary), "dev", f"--{self.bundler}", "-p", str(self.port)]

    @property
    def environment(self) -> dict[str, str]:
        return {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = READY_TIMEOUT, *, wait: bool = True) -> DevServer:
        """Start the server and return once it answers over HTTP (any status: a broken page is an answer), or at once
        when not `wait`."""
        env = self.environment
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.project,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group, so stop() reaches Next's worker too
            )
        if not wait:
            return self
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{' '.join(self.command)} exited with {self.process.returncode}:\n{self.output}")
            try:
                self.get("/", timeout=timeout)
                return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        command = " ".join(self.command)
        raise TimeoutError(f"{command} did not answer on {self.url} within {timeout:.0f}s:\n{self.output}")

    def stop(self) -> None:
        """Ask the whole process group to stop, then kill what is left of it (Next's worker included)."""
        if self.process is None:
            return
        group = self.process.pid  # start_new_session made the server the leader of its own group
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait()

    @property
    def output(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""

    def wait_for_output(self, text: str, timeout: float = 30.0) -> str:
        """The output once it contains `text`; the error names what was printed instead."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{text!r} did not appear in the dev server's output:\n{self.output}")
            time.sleep(0.2)
        return self.output

    def get(self, path: str = "/", timeout: float = 60.0) -> Response:
        return _send(urllib.request.Request(self.url + path), timeout)

    def submit_form(self, page_html: str, fields: dict[str, str], path: str = "/") -> Response:
        """Post a server action's form the way a browser without JavaScript does (multipart, action id field)."""
        found = ACTION_ID.search(page_html)
        if found is None:
            raise ValueError("the page has no server action form")
        boundary = uuid.uuid4().hex
        parts = [("$ACTION_ID_" + found.group(1), ""), *fields.items()]
        body = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n' for name, value in parts
        )
        request = urllib.request.Request(
            self.url + path,
            data=f"{body}--{boundary}--\r\n".encode(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Origin": self.url},
            method="POST",
        )
        return _send(request, 60.0)
