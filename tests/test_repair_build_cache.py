"""When a reset keeps Next's build cache (`.next`) and when it must set it aside (`repair/build_cache.py`).

The other half of the proof is a real `next dev` answering with the new field after a reset that kept `.next`:
tests/test_repair_example.py (Turbopack, and webpack) and tests/test_layout_pnpm_next.py (a `prisma-client` in
`src/generated`, compiled into `.next`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from prisma_doctor.repair import build_cache
from prisma_doctor.repair.build_cache import reason_to_set_aside
from prisma_doctor.repair.mounts import MountTable

NO_MOUNTS = MountTable(frozenset())


def next_dev_cache(project: Path) -> Path:
    """A `.next` as `next dev --turbopack` leaves it: compiled chunks, a cache, and links to the external packages."""
    cache = project / ".next"
    (cache / "dev" / "server" / "chunks" / "ssr").mkdir(parents=True)
    (cache / "dev" / "server" / "chunks" / "ssr" / "[root-of-the-server]__0p4ofhac._.js").write_text("chunk")
    (cache / "dev" / "cache" / "turbopack" / "v16.4.5").mkdir(parents=True)
    (cache / "dev" / "cache" / "turbopack" / "v16.4.5" / "CURRENT").write_text("1")
    client = project / "node_modules" / "@prisma" / "client"
    client.mkdir(parents=True)
    (project / "node_modules" / ".prisma" / "client").mkdir(parents=True)
    (project / "node_modules" / ".prisma" / "client" / "schema.prisma").write_text("model User { id Int @id }")
    (cache / "dev" / "node_modules" / "@prisma").mkdir(parents=True)
    (cache / "dev" / "node_modules" / "@prisma" / "client-2c3a283f").symlink_to(
        "../../../../node_modules/@prisma/client", target_is_directory=True
    )
    return cache


def test_a_dev_cache_that_links_to_the_external_client_is_kept(tmp_path: Path) -> None:
    cache = next_dev_cache(tmp_path)
    # A link is not followed: through it Next loads the client that the generate rewrote.
    (cache / "dev" / "node_modules" / ".prisma").symlink_to(tmp_path / "node_modules" / ".prisma")

    assert (
        reason_to_set_aside(cache, [tmp_path / "node_modules" / ".prisma" / "client"], deep=False, mounts=NO_MOUNTS)
        is None
    )


@pytest.mark.parametrize(
    "copy",
    [
        "standalone/node_modules/.prisma/client/index.js",  # `next build`'s standalone output
        "server/chunks/libquery_engine-debian-openssl-3.0.x.so.node",  # the monorepo workaround plugin's copies
        "server/chunks/schema.prisma",
        "server/app/query_compiler_bg.wasm",
    ],
)
def test_a_copy_of_generated_files_sets_it_aside(tmp_path: Path, copy: str) -> None:
    cache = next_dev_cache(tmp_path)
    (cache / copy).parent.mkdir(parents=True, exist_ok=True)
    (cache / copy).write_text("generated")

    why = reason_to_set_aside(cache, [], deep=False, mounts=NO_MOUNTS)

    assert why is not None and "copy of a generated client" in why and str(cache) in why, why


def test_a_client_generated_inside_it_sets_it_aside(tmp_path: Path) -> None:
    cache = next_dev_cache(tmp_path)
    output = cache / "generated" / "client"

    assert (
        reason_to_set_aside(cache, [output], deep=False, mounts=NO_MOUNTS)
        == f"the generated client {output} is inside it"
    )


def test_deep_and_a_link_set_it_aside_without_reading_it(tmp_path: Path) -> None:
    cache = next_dev_cache(tmp_path)
    assert reason_to_set_aside(cache, [], deep=True, mounts=NO_MOUNTS) == "`--deep` asks for every build cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "schema.prisma").write_text("not read")
    linked = tmp_path / "linked" / ".next"
    linked.parent.mkdir()
    linked.symlink_to(elsewhere, target_is_directory=True)
    why = reason_to_set_aside(linked, [], deep=False, mounts=NO_MOUNTS)
    assert why is not None and why.startswith("it is a link"), why


def test_a_cache_too_large_to_look_through_is_set_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = next_dev_cache(tmp_path)
    monkeypatch.setattr(build_cache, "MAX_ENTRIES", 5)

    why = reason_to_set_aside(cache, [], deep=False, mounts=NO_MOUNTS)

    assert why is not None and "more than 5 entries" in why, why


def test_a_mount_in_it_sets_it_aside_unread(tmp_path: Path) -> None:
    cache = next_dev_cache(tmp_path)
    point = cache / "cache" / "mounted"
    # As /proc/self/mountinfo lists a bind mount of the same filesystem (same device number as its parent).
    mounts = MountTable(frozenset({Path("/"), cache, point}))

    why = reason_to_set_aside(cache, [], deep=False, mounts=mounts)

    assert why == f"{point} is mounted in it, and what it shows is not looked through"
    # `.next` itself a mount (a dev container's volume) is looked through as any other: kept.
    assert reason_to_set_aside(cache, [], deep=False, mounts=MountTable(frozenset({cache}))) is None
