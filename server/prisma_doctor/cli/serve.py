"""`prisma-doctor serve`: the language server over stdio."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.lsp.server import serve_stdio

    serve_stdio()
    return 0
