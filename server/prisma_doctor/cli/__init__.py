"""The command line adapter.

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args) -> int`. Modules are imported
only when their command runs, so that `prisma-doctor schema` does not pay for the language server's imports.
Exit codes: 0 all is well, 1 something is wrong (or a repair failed), 2 bad usage or an unreadable project, 141
when whoever read our output stopped reading (`| head`), as a shell reports a command that SIGPIPE ended.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# What `prisma-doctor --help` says the tool is (the module's docstring says what this module is).
DESCRIPTION = (
    "Finds and repairs drift between a Prisma schema, its generated clients, the database and a running dev "
    "server: which models and fields a client lacks, the real cause of a Prisma error in your dev server's output, "
    "and a safe, previewable repair."
)

# command name -> (module under prisma_doctor.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "compare the schema with every generated client"),
    "schema": ("schema", "print the parsed schema as Prisma's DMMF datamodel"),
    "explain": ("explain", "read terminal output and name the causes of Prisma errors"),
    "run": ("run", "run a dev command, pass its output through and report findings as they appear"),
    "reset": ("reset", "the full repair: stop, clean, regenerate, restart, verify"),
    "regenerate": ("regenerate", "remove and regenerate the generated clients, then verify"),
    "restart-dev": ("restart_dev", "restart the project's dev server"),
    "migrate": ("migrate", "bring the database up to date: migrate deploy, migrate dev or db push"),
    "serve": ("serve", "start the language server over stdio"),
}


# 128 + SIGPIPE: what a shell reports for a command that wrote into a pipe nobody reads any more.
BROKEN_PIPE = 141


class UsageError(Exception):
    """Bad usage or an unreadable project: exit code 2."""


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's own formatter, sized as it sizes it but without `shutil`.

    argparse builds a formatter for every `add_argument`, and its default one imports `shutil` (and with it bz2 and
    lzma) to ask the terminal's width: about 3 ms of every start-up, for help that is rarely printed.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, _terminal_width() - 2 if width is None else width)


def _terminal_width() -> int:
    # The same order as shutil.get_terminal_size: $COLUMNS, then the terminal behind stdout, then 80.
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    if stdout is None:  # (pythonw)
        return 80
    try:
        return os.get_terminal_size(stdout.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prisma-doctor", description=DESCRIPTION, formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"prisma-doctor {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_HelpFormatter)
        if name == command:
            _load(module_name).add_arguments(sub_parser)
        else:
            # Other commands' arguments are only needed for their own help; keep start-up cheap.
            sub_parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The classes a command makes as its modules load are made from code compiled in an earlier run (code_cache.py):
    # a fifth of `explain`'s work before the repair it offers was compiling the same dataclasses' methods again.
    from prisma_doctor.code_cache import cached_dataclass_code, dataclass_cache_file

    with cached_dataclass_code(dataclass_cache_file()):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    tolerate_unencodable_text()
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    module = _load(COMMANDS[args.command][0])
    try:
        code = int(module.run(args))
        # Flushed here, not at exit: a pipe closed early must fail where it is handled below. (`serve` ends with its
        # stdout closed by the protocol's own exit: nothing is left to flush.)
        if not sys.stdout.closed:
            sys.stdout.flush()
        return code
    except UsageError as error:
        from prisma_doctor.cli.render import escaped  # (the message may name a path with a line break)

        print(f"prisma-doctor {args.command}: {escaped(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `prisma-doctor explain | head` closes stdout early: no traceback, and the exit code says so.
        silence_stdout()
        return BROKEN_PIPE


def tolerate_unencodable_text() -> None:
    """Let stdout and stderr write any character, in their own encoding where it has one, as an escape otherwise.

    Redirected output on Windows is in the ANSI code page (cp1252): Prisma's `✔` or a path named `Łódź 東京` would
    raise UnicodeEncodeError mid-report, even after a repair that succeeded. `\\u2714` in a log loses nothing a
    reader needs; a crash loses the verdict. The encoding itself is kept: a UTF-8 stream stays UTF-8.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # (absent when a caller swapped in its own object)
        if reconfigure is not None and not stream.closed:
            reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """Point stdout at /dev/null after a broken pipe, so that the interpreter's last flush of what is still buffered
    does not fail again at exit (the recipe of the Python docs' note on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _load(module_name: str):
    return importlib.import_module(f"prisma_doctor.cli.{module_name}")


def _version() -> str:
    from prisma_doctor import __version__

    return __version__
