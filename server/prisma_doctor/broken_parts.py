"""Where a schema that does not validate is wrong, and whether a place lies there: each validation error's range,
and the whole block of each syntax error (the parser may have dropped or misread its members, so what the block
means is in doubt). A difference between schema and client at such a place is that error, said by `schema-invalid`.

A schema of errors may hold hundreds of thousands of them: the ranges are sorted once per file, each block found by
bisection, and each question answered by bisection too, never by a scan of every error.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from itertools import accumulate

from prisma_doctor.findings import Location, Position, Span
from prisma_doctor.schema.locate import LoadedSchema


class BrokenParts:
    def __init__(self, schema: LoadedSchema) -> None:
        parts: dict[str, set[Span]] = defaultdict(set)
        for path, error in schema.validation_errors:
            parts[path].add(error.span)
        for schema_file in schema.files:
            if not schema_file.errors:
                continue
            blocks = sorted((block.span for block in schema_file.blocks), key=lambda span: span.start)
            starts = [span.start for span in blocks]
            for error in schema_file.errors:
                at = bisect_right(starts, error.span.start) - 1
                inside = at >= 0 and blocks[at].end >= error.span.start
                parts[schema_file.path].add(blocks[at] if inside else error.span)
        self._starts: dict[str, list[Position]] = {}
        # The furthest end of the parts that start at or before each one: a part overlaps a place when it starts
        # before the place ends and ends after it starts.
        self._ends: dict[str, list[Position]] = {}
        for path, spans in parts.items():
            ordered = sorted(spans, key=lambda span: span.start)
            self._starts[path] = [span.start for span in ordered]
            self._ends[path] = list(accumulate((span.end for span in ordered), max))

    def covers(self, location: Location | None) -> bool:
        """Whether `location` overlaps a part of the schema that is wrong."""
        if location is None or location.span is None or location.file not in self._starts:
            return False
        at = bisect_right(self._starts[location.file], location.span.end) - 1
        return at >= 0 and self._ends[location.file][at] >= location.span.start
