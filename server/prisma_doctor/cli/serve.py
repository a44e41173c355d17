"""`prisma-doctor serve`: the language server over stdio.

With `PRISMA_DOCTOR_DEBUGPY=[HOST:]PORT` in its environment, the server first connects to a debugger listening
there (debugpy, in the interpreter that runs the server) and waits until it is attached, so that breakpoints in
start-up hold too. docs/debugging.md says how.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

DEBUGPY = "PRISMA_DOCTOR_DEBUGPY"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")


def run(args: argparse.Namespace) -> int:
    connect_debugger(os.environ.get(DEBUGPY, ""))
    # Start-up builds tens of thousands of objects that live as long as the server (lsprotocol's classes, pygls'
    # converter): walking them again and again for garbage is wasted work (about 30 ms). Fewer collections, not none:
    # without any, start-up's garbage keeps 9 MB more resident. The server sets its own once started.
    gc.set_threshold(5000, 50, 100)
    from prisma_doctor.code_cache import cache_file, cached_attrs_code

    with cached_attrs_code(cache_file()):
        from prisma_doctor.lsp.server import serve_stdio

    serve_stdio()
    return 0


def connect_debugger(address: str) -> bool:
    """Connect to the debugger listening at `address` (`PORT` or `HOST:PORT`) and wait for it; False when there is
    none to connect to. Whatever goes wrong is said on stderr: stdout is the protocol's."""
    if not address.strip():
        return False
    host, _, port = address.strip().rpartition(":")
    if not port.isdigit():
        print(f"prisma-doctor serve: {DEBUGPY}={address!r} is not [HOST:]PORT; not debugging", file=sys.stderr)
        return False
    try:
        import debugpy
    except ImportError:
        print(
            f"prisma-doctor serve: {DEBUGPY} is set, but debugpy is not installed in {sys.executable} "
            "(pip install debugpy); not debugging",
            file=sys.stderr,
        )
        return False
    try:
        debugpy.connect((host or "127.0.0.1", int(port)))
    except Exception as error:  # nobody listens there: serve without a debugger rather than not at all
        print(f"prisma-doctor serve: no debugger at {address} ({error}); not debugging", file=sys.stderr)
        return False
    debugpy.wait_for_client()
    return True
