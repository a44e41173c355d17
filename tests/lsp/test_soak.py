"""The server under a stream of terminal output (1,000 lines a second for ten minutes): memory flat, no lost finding.

Slow, ten minutes by default:
    /work/venv/bin/pytest -m slow tests/lsp/test_soak.py -s
PRISMA_DOCTOR_SOAK_SECONDS sets another length (60 for a try). With `-s` the run prints its figures: resident memory
at the start, after the first minute, at its peak, at the end of each minute and at the end, and the error blocks
sent against the count the server reported and published.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from pathlib import Path

import psutil
import pytest
from pytest_lsp import LanguageClient

from tests.lsp.session import command, start, sync_states, wait_for
from tests.lsp.test_runtime import CAPTURE, captured_output, diagnostics_with

SECONDS = int(os.environ.get("PRISMA_DOCTOR_SOAK_SECONDS", "600"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(SECONDS * 2 + 300)]
LINES_PER_SECOND = 1000
ERROR_EVERY_SECONDS = 5
# Memory may grow while caches fill during the first minute; after that, a stream must not cost more.
BASELINE_SECOND = 60
ALLOWED_GROWTH_MB = 15


async def test_a_long_stream_keeps_memory_flat_and_every_finding(client: LanguageClient, drifted_project: Path) -> None:
    await start(client, drifted_project)  # before any skip: pytest-lsp cannot tear down a server never started
    if client.capabilities_name != "visual-studio-code":
        pytest.skip("one client is enough for the soak: the stream does not depend on the client's capabilities")
    await wait_for(lambda: sync_states(client))
    server = psutil.Process(client._server.pid)  # the server process pytest-lsp started
    rss_mb = {"start": _rss_mb(server)}
    error_block = captured_output(CAPTURE, drifted_project)
    filler = "".join(f" GET /api/items?page={n} 200 in {n % 90 + 3}ms\n" for n in range(LINES_PER_SECOND // 10))
    errors_sent = 0
    each_minute: list[float] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    for second in range(SECONDS):
        for _ in range(10):  # a tenth of a second of output at a time, as a terminal flushes it
            client.protocol.notify("prismaDoctor/terminalOutput", {"data": filler, "terminal": "dev"})
            await asyncio.sleep(0.1)
        if second % ERROR_EVERY_SECONDS == 0:
            client.protocol.notify("prismaDoctor/terminalOutput", {"data": error_block, "terminal": "dev"})
            errors_sent += 1
        if second == min(BASELINE_SECOND, SECONDS // 2):
            rss_mb["baseline"] = _rss_mb(server)
        rss_mb["peak"] = max(rss_mb.get("peak", 0.0), _rss_mb(server))
        if second % 60 == 59:
            each_minute.append(_rss_mb(server))
        if loop.time() - started > SECONDS * 1.5:
            pytest.fail("the stream could not be sent at its rate: the server stopped reading")
    call_site = (drifted_project / "unknown-argument.js").resolve().as_uri()
    # The last block is published once the server has read it: wait for the diagnostic that counts every block.
    with contextlib.suppress(AssertionError):  # a lost block is reported below, with the figures
        await wait_for(lambda: _published_count(client, call_site) == errors_sent, timeout=30)
    report = await command(client, "prismaDoctor.showSyncReport")
    [runtime] = [f for f in report["reports"][0]["findings"] if f["location"]["file"].endswith("unknown-argument.js")]
    rss_mb["end"] = _rss_mb(server)
    published = _published_count(client, call_site)
    minutes = ", ".join(f"{mb:.1f}" for mb in each_minute)
    print(
        f"\nsoak: {SECONDS} s at {LINES_PER_SECOND} lines/s; RSS MB start {rss_mb['start']:.1f}, "
        f"after {min(BASELINE_SECOND, SECONDS // 2)} s {rss_mb['baseline']:.1f}, peak {rss_mb['peak']:.1f}, "
        f"end {rss_mb['end']:.1f} (each minute: {minutes}); error blocks sent {errors_sent}, "
        f"counted in the report {runtime['count']}, in the published diagnostic {published}"
    )
    assert (runtime["count"], published) == (errors_sent, errors_sent)
    grown = rss_mb["end"] - rss_mb["baseline"]
    assert grown < ALLOWED_GROWTH_MB, f"resident memory grew by {grown:.1f} MB during the stream"


def _rss_mb(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def _published_count(client: LanguageClient, uri: str) -> int:
    """How many times the published diagnostic at the call site says the error happened (`… (×N)`, or once)."""
    diagnostics = diagnostics_with(client, uri, "client-out-of-sync")
    if not diagnostics:
        return 0
    match = re.search(r"\(×(\d+)\)$", diagnostics[0].message)
    return int(match.group(1)) if match else 1
