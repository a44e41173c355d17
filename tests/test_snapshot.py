"""A snapshot's real paths are `resolve`'s, links and `..` included; outside one nothing is remembered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prisma_doctor.snapshot import real_path, snapshot


def test_real_paths_in_a_snapshot_are_those_of_resolve(tmp_path: Path) -> None:
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    (tmp_path / "to-b").symlink_to("a/b")
    (tmp_path / "a" / "b" / "up").symlink_to("..")
    (tmp_path / "to-to-b").symlink_to(tmp_path / "to-b")
    (tmp_path / "loop").symlink_to("loop")
    paths = [
        tmp_path / "a" / "b" / "c",
        tmp_path / "to-b" / "c",
        tmp_path / "to-to-b" / "up" / "b" / "c",
        tmp_path / "to-b" / ".." / "b",  # (`..` after a link: the link target's parent)
        tmp_path / "to-b" / "missing" / "deeper",
        tmp_path / "." / "a",
    ]
    expected = [p.resolve() for p in paths]
    with snapshot():
        assert [real_path(p) for p in paths] == expected
        assert [real_path(p) for p in paths] == expected  # (and from what it remembered)
        with pytest.raises(RuntimeError, match="Symlink loop"):  # (as `resolve` says)
            real_path(tmp_path / "loop" / "x")
        os.chdir(tmp_path / "a")
        try:
            assert real_path(Path("b/c")) == tmp_path.resolve() / "a" / "b" / "c"
        finally:
            os.chdir(Path(__file__).parent)


def test_outside_a_snapshot_a_change_is_seen_at_once(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "link").symlink_to("one")
    assert real_path(tmp_path / "link") == (tmp_path / "one").resolve()
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("two")
    assert real_path(tmp_path / "link") == (tmp_path / "two").resolve()
