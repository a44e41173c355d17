"""The server under a stream of terminal output (1,000 lines a second for ten minutes): memory flat, no lost finding.

Slow: `pytest -m slow tests/lsp/test_soak.py` (PRISMA_DOCTOR_SOAK_SECONDS shortens it for a try).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psutil
import pytest
from pytest_lsp import LanguageClient

from tests.lsp.session import command, start, sync_states, wait_for
from tests.lsp.test_runtime import CAPTURE, captured_output

pytestmark = pytest.mark.slow
LINES_PER_SECOND = 1000
ERROR_EVERY_SECONDS = 5
# Memory may grow while caches fill during the first minute; after that, a stream must not cost more.
ALLOWED_GROWTH_MB = 15


async def test_a_long_stream_keeps_memory_flat_and_every_finding(client: LanguageClient, drifted_project: Path) -> None:
    await start(client, drifted_project)  # before any skip: pytest-lsp cannot tear down a server never started
    if client.capabilities_name != "visual-studio-code":
        pytest.skip("one client is enough for the soak: the stream does not depend on the client's capabilities")
    seconds = int(os.environ.get("PRISMA_DOCTOR_SOAK_SECONDS", "600"))
    await wait_for(lambda: sync_states(client))
    server = psutil.Process(client._server.pid)  # the server process pytest-lsp started
    error_block = captured_output(CAPTURE, drifted_project)
    filler = "".join(f" GET /api/items?page={n} 200 in {n % 90 + 3}ms\n" for n in range(LINES_PER_SECOND // 10))
    errors_sent = 0
    baseline = None
    loop = asyncio.get_running_loop()
    started = loop.time()
    for second in range(seconds):
        for _ in range(10):  # a tenth of a second of output at a time, as a terminal flushes it
            client.protocol.notify("prismaDoctor/terminalOutput", {"data": filler, "terminal": "dev"})
            await asyncio.sleep(0.1)
        if second % ERROR_EVERY_SECONDS == 0:
            client.protocol.notify("prismaDoctor/terminalOutput", {"data": error_block, "terminal": "dev"})
            errors_sent += 1
        if second == min(60, seconds // 2):
            baseline = server.memory_info().rss
        if loop.time() - started > seconds * 1.5:
            pytest.fail("the stream could not be sent at its rate: the server stopped reading")
    await asyncio.sleep(1)
    report = await command(client, "prismaDoctor.showSyncReport")
    [runtime] = [f for f in report["reports"][0]["findings"] if f["location"]["file"].endswith("unknown-argument.js")]
    assert runtime["count"] == errors_sent, (runtime["count"], errors_sent)
    grown = (server.memory_info().rss - (baseline or 0)) / 2**20
    assert grown < ALLOWED_GROWTH_MB, f"resident memory grew by {grown:.1f} MB during the stream"
