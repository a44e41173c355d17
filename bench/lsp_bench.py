"""The language server through a real stdio connection: start-up, didChange -> publishDiagnostics, idle memory.

The project is the largest corpus schema with a client generated from it by the real Prisma CLI (see
`schema_bench.generated_project`). Each edit adds a model the client lacks, with a new name each time, so every
check publishes a diagnostic that names it; latency runs from sending `didChange` to receiving that diagnostic.
The server checks a change at once when no check of the project runs (`lsp/features/sync.py`), so the latency is
the check's own cost plus the messages' way.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psutil
from common import PYTHON, REPO, SERVER, python_env, summary_ms
from lsprotocol import types
from pygls.lsp.client import LanguageClient
from schema_bench import import_costs

FIXTURES = REPO / "tests" / "fixtures" / "logs"
sys.path.insert(0, str(SERVER))
from prisma_doctor.lsp.features.runtime import PUBLISH_SECONDS, QUIET_SECONDS  # noqa: E402
from prisma_doctor.lsp.protocol import TERMINAL_OUTPUT  # noqa: E402 (the server's package is put on the path)

# The server as the extension and the tests start it.
SERVER_COMMAND = [PYTHON, "-m", "prisma_doctor", "serve"]


class BenchClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("prisma-doctor-bench", "1")
        self.diagnostics: asyncio.Queue[tuple[float, types.PublishDiagnosticsParams]] = asyncio.Queue()
        self.states: asyncio.Queue[tuple[float, object]] = asyncio.Queue()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics.put_nowait((time.perf_counter(), params))

        @self.feature("prismaDoctor/syncState")
        def on_state(params: Any) -> None:  # `object` would make pygls pass the client first
            self.states.put_nowait((time.perf_counter(), params))

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def on_configuration(params: types.ConfigurationParams) -> list[object]:
            return [None for _ in params.items]

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: types.RegistrationParams) -> None:
            return None

        @self.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress(params: types.WorkDoneProgressCreateParams) -> None:
            return None


async def _start(client: BenchClient, project: Path | None) -> float:
    """Spawn the server and initialize it; return seconds from spawn to the `initialize` answer."""
    start = time.perf_counter()
    await client.start_io(SERVER_COMMAND[0], *SERVER_COMMAND[1:], env=python_env(), cwd=str(SERVER.parent))
    # The server logs to stderr; a pipe nobody reads fills up and blocks it.
    client.stderr_task = asyncio.create_task(_drain_stream(client._server.stderr))
    await client.initialize_async(
        types.InitializeParams(
            process_id=None,
            root_uri=project.as_uri() if project else None,
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name=project.name)] if project else None,
            capabilities=types.ClientCapabilities(
                workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
                text_document=types.TextDocumentClientCapabilities(
                    publish_diagnostics=types.PublishDiagnosticsClientCapabilities()
                ),
            ),
        )
    )
    elapsed = time.perf_counter() - start
    client.initialized(types.InitializedParams())
    return elapsed


async def _stop(client: BenchClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_async(None), 10)
        client.exit(None)
    finally:
        await client.stop()
        server = client._server
        if server is not None and server.returncode is None:
            server.kill()
            await server.wait()


def _rss_mb(client: BenchClient) -> float:
    return psutil.Process(client._server.pid).memory_info().rss / 2**20


async def startup_and_idle(project: Path, runs: int) -> dict[str, object]:
    """Start-up to `initialize` answered (empty workspace and the large project); RSS idle after the first check."""
    empty, with_project, idle_project, idle_empty, startup_cpu = [], [], [], [], []
    for _ in range(runs):
        client = BenchClient()
        try:
            empty.append(await _start(client, None))
            times = psutil.Process(client._server.pid).cpu_times()
            startup_cpu.append(times.user + times.system)
            await asyncio.sleep(1.0)
            idle_empty.append(_rss_mb(client))
        finally:
            await _stop(client)
        client = BenchClient()
        try:
            with_project.append(await _start(client, project))
            await asyncio.wait_for(client.states.get(), 60)  # the first check of the project is done
            await asyncio.sleep(1.0)
            idle_project.append(_rss_mb(client))
        finally:
            await _stop(client)
    return {
        "startup_empty_workspace": summary_ms(empty),
        "startup_with_project": summary_ms(with_project),
        # CPU the server process spent until it answered `initialize`: what the machine's other load disturbs least.
        "startup_cpu_ms_empty_workspace": statistics.median(startup_cpu) * 1000,
        "idle_rss_mb_empty_workspace": statistics.median(idle_empty),
        "idle_rss_mb_after_checking_project": statistics.median(idle_project),
    }


async def change_latency(project: Path, edits: int, pause: float, bursts: int = 10) -> dict[str, object]:
    """One edit at a time (each waits for its diagnostic), then bursts of typing (`_typing_burst`)."""
    schema = project / "prisma" / "schema.prisma"
    uri = schema.as_uri()
    base = schema.read_text(encoding="utf-8")
    client = BenchClient()
    samples: list[float] = []
    try:
        await _start(client, project)
        await asyncio.wait_for(client.states.get(), 60)
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="prisma", version=1, text=base))
        )
        await asyncio.sleep(1.0)
        _drain(client.diagnostics)
        server = psutil.Process(client._server.pid)
        cpu_before = sum(server.cpu_times()[:2])
        for version in range(2, edits + 2):
            start = time.perf_counter()
            marker = _edit(client, uri, base, version)
            while True:
                received, params = await asyncio.wait_for(client.diagnostics.get(), 30)
                if params.uri == uri and any(marker in d.message for d in params.diagnostics):
                    samples.append(received - start)
                    break
            await asyncio.sleep(pause)
        # The server's own CPU per edit (one check each): what the machine's other load disturbs least.
        cpu_per_edit = (sum(server.cpu_times()[:2]) - cpu_before) / edits
        rss_after = _rss_mb(client)
        typing = await _typing_bursts(client, uri, base, edits + 2, bursts)
    finally:
        await _stop(client)
    result = summary_ms(samples)
    result["server_cpu_ms_per_edit"] = cpu_per_edit * 1000
    result["rss_mb_after_edits"] = rss_after
    result["typing"] = typing
    return result


def _edit(client: BenchClient, uri: str, base: str, version: int) -> str:
    """Send the schema with a model named after `version` appended; return that name."""
    marker = f"BenchEdit{version}"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text=f"{base}\nmodel {marker} {{\n  id Int @id\n}}\n")
            ],
        )
    )
    return marker


async def _typing_bursts(
    client: BenchClient, uri: str, base: str, version: int, bursts: int, keys: int = 10, gap: float = 0.02
) -> dict[str, object]:
    """Bursts of `keys` edits `gap` apart, as a person types: from the last edit to the diagnostic for its text;
    how many checks each burst cost (publications for the schema); and whether any publication came from text
    older than one already published."""
    samples: list[float] = []
    checks: list[int] = []
    older_after_newer = 0
    for _ in range(bursts):
        _drain(client.diagnostics)
        markers: list[str] = []
        for key in range(keys):
            if key:
                await asyncio.sleep(gap)
            start = time.perf_counter()
            markers.append(_edit(client, uri, base, version))
            version += 1
        published, newest = 0, -1
        while True:
            received, params = await asyncio.wait_for(client.diagnostics.get(), 30)
            if params.uri != uri:
                continue
            published += 1
            shown = [i for i, m in enumerate(markers) if any(m in d.message for d in params.diagnostics)]
            if shown:
                older_after_newer += shown[0] < newest
                newest = max(newest, shown[0])
            if newest == keys - 1:
                samples.append(received - start)
                break
        checks.append(published)
        await asyncio.sleep(0.2)
    result = summary_ms(samples)
    result.update(
        keys_per_burst=keys,
        gap_ms=gap * 1000,
        checks_per_burst=statistics.median(checks),
        older_text_published_after_newer=older_after_newer,
    )
    return result


async def terminal_latency(project: Path, repeats: int, pause: float = 0.5) -> dict[str, object]:
    """From a `prismaDoctor/terminalOutput` chunk holding a real captured P2022 block to the diagnostic it yields.

    Two shapes: the block followed by an ordinary line in the same chunk, and the block alone at the end of its chunk
    (it ends on the closing brace of the error's properties; a form without them would wait for the runtime
    feature's QUIET_SECONDS of quiet).
    """
    block = (FIXTURES / "pg-en-p2022-missing-column.log").read_text(encoding="utf-8").rstrip("\n") + "\n"
    shapes = {"block_then_next_line": block + " GET / 500 in 12ms\n", "block_at_end_of_chunk": block}
    client = BenchClient()
    result: dict[str, object] = {}
    try:
        await _start(client, project)
        await asyncio.wait_for(client.states.get(), 60)
        await asyncio.sleep(1.0)
        for shape, data in shapes.items():
            samples: list[float] = []
            for _ in range(repeats):
                _drain(client.diagnostics)
                start = time.perf_counter()
                client.protocol.notify(TERMINAL_OUTPUT, {"data": data, "terminal": "bench", "cwd": str(project)})
                while True:
                    received, params = await asyncio.wait_for(client.diagnostics.get(), 30)
                    if any("column" in d.message for d in params.diagnostics):
                        samples.append(received - start)
                        break
                await asyncio.sleep(pause)
            result[shape] = summary_ms(samples)
    finally:
        await _stop(client)
    return result


async def _drain_stream(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


def _drain(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()


async def _run(project: Path, edits: int, startups: int) -> dict[str, object]:
    result: dict[str, object] = {"project": str(project)}
    print("lsp: start-up and idle memory", file=sys.stderr)
    result.update(await startup_and_idle(project, startups))
    result["imports"] = import_costs(["-c", "import prisma_doctor.lsp.server"])
    print(f"lsp: {edits} edits", file=sys.stderr)
    result["change_to_diagnostics"] = await change_latency(project, edits, pause=0.05)
    print(f"lsp: {edits // 2} terminal chunks of each shape", file=sys.stderr)
    result["terminal_chunk_to_diagnostics"] = await terminal_latency(project, max(5, edits // 2))
    result["terminal_timers_ms"] = {"quiet": QUIET_SECONDS * 1000, "publish": PUBLISH_SECONDS * 1000}
    return result


def run(project: Path, edits: int = 60, startups: int = 10) -> dict[str, object]:
    return asyncio.run(_run(project, edits, startups))


if __name__ == "__main__":
    from schema_bench import generated_project, largest_schemas

    print(json.dumps(run(generated_project(largest_schemas(1)[0]), edits=20, startups=3), indent=2))
