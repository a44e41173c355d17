"""`prisma-doctor serve`: the language server over stdio."""

from __future__ import annotations

import argparse
import gc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")


def run(args: argparse.Namespace) -> int:
    # Start-up builds tens of thousands of objects that live as long as the server (lsprotocol's classes, pygls'
    # converter): walking them again and again for garbage is wasted work (about 30 ms). Fewer collections, not none:
    # without any, start-up's garbage keeps 9 MB more resident. The server sets its own once started.
    gc.set_threshold(5000, 50, 100)
    from prisma_doctor.lsp.code_cache import cache_file, cached_attrs_code

    with cached_attrs_code(cache_file()):
        from prisma_doctor.lsp.server import serve_stdio

    serve_stdio()
    return 0
