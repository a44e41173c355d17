"""`prisma-doctor schema FILE|DIR [--json]`: the parsed schema in the shape of Prisma's DMMF datamodel."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from prisma_doctor.cli import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a schema file, or a folder of .prisma files")
    parser.add_argument("--json", action="store_true", help="print JSON (the default; kept for symmetry)")


def run(args: argparse.Namespace) -> int:
    from prisma_doctor.cli.render import escaped, shown_path
    from prisma_doctor.schema.locate import SchemaNotFound, load_schema_at

    try:
        schema = load_schema_at(args.path)
    except SchemaNotFound as error:
        raise UsageError(str(error)) from error
    except OSError as error:
        raise UsageError(f"cannot read {args.path}: {error.strerror or error}") from error
    # Names may be in any script; a console that cannot show them (a legacy Windows code page) gets \u escapes.
    utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
    # Indented for a person at a terminal; piped, one line as Prisma's `get_datamodel` gives it (`indent` makes
    # `json` fall back to its pure-Python encoder: a third of the command's own work on a large schema).
    indent = 2 if sys.stdout.isatty() else None
    json.dump(schema.datamodel.to_dmmf(), sys.stdout, indent=indent, ensure_ascii=not utf8)
    sys.stdout.write("\n")
    problems = [*schema.syntax_errors, *schema.validation_errors]
    for path, error in problems:
        start = error.span.start
        where = f"{shown_path(path)}:{start.line + 1}:{start.character + 1}"
        print(f"{where}: error: {escaped(error.message)}", file=sys.stderr)
    for problem in schema.read_errors:
        print(f"warning: {escaped(problem)}", file=sys.stderr)
    return 1 if problems or schema.read_errors else 0
