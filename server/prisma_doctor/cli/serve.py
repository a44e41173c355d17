"""`prisma-doctor serve`: the language server over stdio."""

from __future__ import annotations

import argparse
import gc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")


def run(args: argparse.Namespace) -> int:
    # Start-up builds tens of thousands of objects that live as long as the server (lsprotocol's classes, pygls'
    # converter): collecting garbage among them is wasted work. `serve_stdio` sets them aside and collects again.
    gc.disable()
    from prisma_doctor.lsp.server import serve_stdio

    serve_stdio()
    return 0
