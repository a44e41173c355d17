"""JSON-RPC as the server speaks it: every request gets an answer, even one that cannot be read.

pygls drops a request whose params do not fit the method's type and any frame that is not JSON, leaving the client
waiting. Here the first is answered with `InvalidParams` (its id is known) and the second, like a frame whose
headers cannot be read (frames.py), with a `ParseError` whose id is null, as JSON-RPC 2.0 asks; the server then
reads on. A request before `initialize` is refused with `ServerNotInitialized`, as LSP asks.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lsprotocol.types import EXIT, INITIALIZE, ResponseError
from pygls.exceptions import JsonRpcException, JsonRpcParseError, JsonRpcServerNotInitialized
from pygls.protocol import LanguageServerProtocol

from prisma_doctor.lsp.frames import FrameError

log = logging.getLogger(__name__)


class AnsweringProtocol(LanguageServerProtocol):
    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self._initialize_received = False

    def handle_message(self, message: Any) -> None:
        # Until `initialize`, LSP allows `exit` only: other requests are refused with ServerNotInitialized and other
        # notifications dropped. pygls would run them, on a workspace and settings that do not exist yet.
        method = getattr(message, "method", None)
        if method is not None and not self._initialize_received:
            if method == INITIALIZE:
                self._initialize_received = True
            elif method != EXIT:
                if hasattr(message, "id"):
                    error = ResponseError(code=JsonRpcServerNotInitialized.CODE, message="Server not initialized")
                    self._send_response(message.id, error=error)
                else:
                    log.warning("dropped %s: the client sent it before `initialize`", method)
                return
        super().handle_message(message)

    def _execute_handler(self, msg_id: Any, handler: Any, callback: Any, args: Any = None, kwargs: Any = None) -> None:
        # pygls files the future of a running handler under `msg_id`, for `$/cancelRequest`, but takes it out again
        # only for a request's own handler: the handlers it runs for a command or a notification (each under an id
        # of its own) stayed for good, with their results (a large sync report: megabytes each time). The done ones
        # go here, as the next handler starts; not from a done callback, which may run while pygls walks the
        # futures to cancel them (on `shutdown`).
        for done in [key for key, future in self._request_futures.items() if future.done()]:
            del self._request_futures[done]
        super()._execute_handler(msg_id, handler, callback, args, kwargs)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            if isinstance(data, dict) and "method" in data and isinstance(data.get("id"), (int, str)):
                self._send_response(data["id"], error=error.to_response_error())
            raise

    def answer_unreadable(self, error: Exception) -> bool:
        """Answer a frame that cannot be read or is not JSON; True when `error` was one."""
        if not isinstance(error, (FrameError, json.JSONDecodeError, UnicodeDecodeError)):
            return False
        log.warning("a message from the client cannot be read: %s", error)
        # JSON-RPC answers a message whose id cannot be read with the id null; pygls' MsgId type leaves null out.
        self._send_response(None, error=ResponseError(code=JsonRpcParseError.CODE, message=f"Parse error: {error}"))  # pyright: ignore[reportArgumentType]
        return True
