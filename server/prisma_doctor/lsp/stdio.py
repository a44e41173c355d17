"""The message loop over stdin: pygls' own loop (`pygls.io_.run_async`), with frames read by `FrameReader`."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol

from prisma_doctor.lsp.frames import FrameError, FrameReader

log = logging.getLogger(__name__)


async def read_messages(
    stdin: io.BufferedIOBase,
    executor: Executor,
    protocol: JsonRPCProtocol,
    stop: threading.Event,
    report_error: Callable[[Exception, Any], None],
) -> None:
    """Hand each message from `stdin` to `protocol` until the stream ends or `stop` is set. A frame or body that
    cannot be read goes to `report_error` (which answers it), and reading goes on."""
    loop = asyncio.get_running_loop()
    # `read1` returns what is waiting (`read(n)` would wait for all n bytes, past the end of a frame).
    frames = FrameReader(lambda size: loop.run_in_executor(executor, stdin.read1, size))
    while not stop.is_set():
        try:
            body = await frames.next_body()
        except FrameError as error:
            report_error(error, JsonRpcException)
            continue
        if body is None:
            log.info("the client closed the connection")
            return
        try:
            protocol.handle_message(json.loads(body, object_hook=protocol.structure_message))
        except Exception as error:
            log.exception("cannot handle a message")
            report_error(error, JsonRpcException)
