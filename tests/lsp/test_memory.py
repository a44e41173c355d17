"""The server's memory under inputs far larger than any real one: bounded, and given back.

The resident memory of the real server process is watched while it works; one that grows past the bound is killed
at once, so that a regression fails the test instead of taking the machine's memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.lsp.conftest import SERVER, SERVER_ENV
from tests.lsp.raw_client import RawClient, initialize

# A 22 MB schema of errors took the server from 46 MB to 2.5 GB (and on, had it not been stopped). What it holds
# now: the document itself, the first 2 MiB of it parsed (the limit of a schema's size), twice while a check
# replaces the one before, and at most 1,000 diagnostics.
MAX_RSS_MB = 1000
# Checking 2 MiB of errors takes some ten seconds, more on a busy machine.
CHECK_SECONDS = 120


def schema_of_errors(project: Path, megabytes: float) -> str:
    """The project's schema followed by models that are each wrong three ways (a syntax error, an unknown type,
    an unknown attribute) and missing from the generated client."""
    schema = (project / "prisma" / "schema.prisma").read_text(encoding="utf-8")
    model = "model Broken{} {{\n  id Int @id\n  value Strin @bad(\n}}\n"
    count = int(megabytes * 1024 * 1024) // len(model.format(100000))
    return schema + "".join(model.format(number) for number in range(count))


class MemoryWatch:
    """The server's peak resident memory, sampled every 50 ms; past `limit_mb` the server is killed."""

    def __init__(self, client: RawClient, limit_mb: float) -> None:
        self.process = psutil.Process(client.process.pid)
        self.limit_mb = limit_mb
        self.peak_mb = 0.0
        self.killed = False
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            try:
                self.peak_mb = max(self.peak_mb, rss_mb(self.process))
            except psutil.NoSuchProcess:
                return
            if self.peak_mb > self.limit_mb:
                self.killed = True
                self.process.kill()
                return

    def stop(self) -> None:
        self._stop.set()


def rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / (1024 * 1024)


def open_document(client: RawClient, path: Path, text: str) -> None:
    document = {"uri": path.as_uri(), "languageId": "prisma", "version": 1, "text": text}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})


def run_command(client: RawClient, request_id: int, name: str, seconds: float = CHECK_SECONDS) -> Any:
    client.send({"id": request_id, "method": "workspace/executeCommand", "params": {"command": name}})
    answer = client.answer(request_id, seconds)
    assert "result" in answer, answer
    return answer["result"]


@pytest.fixture
def raw(synced_project: Path) -> Iterator[RawClient]:
    client = RawClient(SERVER, SERVER_ENV)
    initialize(client, synced_project)
    run_command(client, 2, "prismaDoctor.check")  # the first check done: what follows is the test's alone
    yield client
    client.close()


def test_a_huge_schema_of_errors_keeps_memory_bounded(raw: RawClient, synced_project: Path) -> None:
    schema = synced_project / "prisma" / "schema.prisma"
    text = schema_of_errors(synced_project, 20)
    watch = MemoryWatch(raw, MAX_RSS_MB)
    try:
        open_document(raw, schema, text)
        del text
        report = run_command(raw, 3, "prismaDoctor.check")["reports"][0]
    finally:
        watch.stop()
        assert not watch.killed, f"the server took more than {MAX_RSS_MB} MB"
    assert any("only the start was read" in f["message"] for f in report["findings"])
    # The first 1,000 findings of each kind, then one that counts the rest.
    more = [f for f in report["findings"] if "more" in f["data"]]
    assert {f["code"] for f in more} == {"schema-invalid", "client-out-of-sync"}
    assert len(report["findings"]) < 2100
    published = [
        n["params"]["diagnostics"]
        for n in raw.notifications
        if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == schema.as_uri()
    ]
    diagnostics = published[-1]
    assert len(diagnostics) == 1000 + 1
    assert "more problems in this file are not shown" in diagnostics[-1]["message"]


def test_sync_reports_are_not_kept_after_they_are_answered(raw: RawClient, synced_project: Path) -> None:
    open_document(raw, synced_project / "prisma" / "schema.prisma", schema_of_errors(synced_project, 0.2))
    findings = run_command(raw, 3, "prismaDoctor.check")["reports"][0]["findings"]
    assert len(findings) > 2000  # a report of some megabytes
    server = psutil.Process(raw.process.pid)
    run_command(raw, 4, "prismaDoctor.showSyncReport")  # allocations that the first answer makes once
    before = rss_mb(server)
    for request_id in range(5, 25):
        run_command(raw, request_id, "prismaDoctor.showSyncReport")
    time.sleep(0.5)
    # Each report is some 1.7 MB of Python objects: 20 kept were 34 MB more.
    assert rss_mb(server) - before < 10
