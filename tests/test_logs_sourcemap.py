"""A place in a bundle under `.next`, mapped back to its source through the bundle's map (logs/sourcemap.py). The
same mapping on a real Turbopack bundle is in tests/test_layout_pnpm_next.py (Next's own log names only the bundle)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prisma_doctor.logs.sourcemap import original_position

# Generated line 0 starts at the source's line 0; generated line 1 holds two segments: column 0 from the source's line
# 6, column 10 from its line 6, column 10 (`AAMA`: line +6; `UAAU`: column +10, line +0, column +10).
MAPPINGS = "AAAA;AAMA,UAAU"


def bundle(tmp_path: Path, source: str, sections: bool = True) -> Path:
    chunk = tmp_path / "app" / ".next" / "server" / "chunks" / "page.js"
    chunk.parent.mkdir(parents=True)
    chunk.write_text("// built\n")
    inner = {"version": 3, "sources": [source], "mappings": MAPPINGS}
    # Turbopack writes an index map: each module's map in a section that starts at its line in the bundle.
    other = {"version": 3, "sources": ["file:///elsewhere.ts"], "mappings": "AAAA"}
    data = {"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": other}]} if sections else inner
    if sections:
        data["sections"].append({"offset": {"line": 2, "column": 0}, "map": inner})
    chunk.with_name("page.js.map").write_text(json.dumps(data))
    return chunk


def test_a_place_in_a_section_maps_to_its_source_file(tmp_path: Path) -> None:
    chunk = bundle(tmp_path, "file:///p/src/app/page.tsx")

    assert original_position(chunk, 4, 13) == (Path("/p/src/app/page.tsx"), 7, 11)
    assert original_position(chunk, 4, 5) == (Path("/p/src/app/page.tsx"), 7, 1)
    assert original_position(chunk, 1, 1) == (Path("/elsewhere.ts"), 1, 1)


def test_a_plain_map_and_a_source_relative_to_it(tmp_path: Path) -> None:
    chunk = bundle(tmp_path, "../../../src/app/page.tsx", sections=False)

    assert original_position(chunk, 2, 11) == ((tmp_path / "app" / "src" / "app" / "page.tsx").resolve(), 7, 11)


@pytest.mark.parametrize("source", ["turbopack:///[project]/src/app/page.tsx", "webpack://app/./page.tsx"])
def test_a_virtual_source_names_no_file(tmp_path: Path, source: str) -> None:
    assert original_position(bundle(tmp_path, source), 4, 13) is None


def test_outside_a_build_folder_or_without_a_readable_map_nothing_is_mapped(tmp_path: Path) -> None:
    chunk = bundle(tmp_path, "file:///p/src/app/page.tsx")
    outside = tmp_path / "page.js"
    outside.write_text("// not built\n")
    outside.with_name("page.js.map").write_text(chunk.with_name("page.js.map").read_text())

    assert original_position(outside, 4, 13) is None
    chunk.with_name("page.js.map").write_text("{not json")
    assert original_position(chunk, 4, 13) is None
    chunk.with_name("page.js.map").unlink()
    assert original_position(chunk, 4, 13) is None
