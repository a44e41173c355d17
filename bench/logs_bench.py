"""Runtime-error reading: the log reader's throughput and memory over large dev-server logs, against `grep -c`.

The log is built from the real captured terminal output under tests/fixtures/logs/ (Prisma errors from Prisma 6 and
7, SQLite and PostgreSQL, English and French, P1012, migrate status, Next dev with Turbopack; ANSI colours kept)
interleaved with ordinary `next dev` lines, about one captured block per 64 KB of ordinary output. Each size is
read in a fresh process (`logs_bench.py read FILE`), in 64 KiB chunks as a terminal would deliver them, so that its
peak resident memory belongs to that size alone.
"""

from __future__ import annotations

import codecs
import cProfile
import hashlib
import io
import json
import pstats
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from common import CACHE, PYTHON, REPO, SERVER, hyperfine, peak_rss_mb, python_env, require_tool

FIXTURES = REPO / "tests" / "fixtures" / "logs"
CHUNK = 64 * 1024
ORDINARY_BYTES_PER_BLOCK = 64 * 1024
_ROUTES = ["/", "/dashboard", "/api/users", "/api/projects/[id]", "/settings/billing", "/login", "/_next/image"]


def captured_blocks() -> list[bytes]:
    """Every captured terminal log (not Next's JSON-lines dev log, which has its own reader), as UTF-8: a UTF-16
    capture (a log PowerShell saved) is decoded first, since one log is in one encoding."""
    files = sorted(p for p in FIXTURES.glob("*.log") if not p.name.endswith(".next-development.log"))
    if not files:
        raise SystemExit(f"bench: no captured logs under {FIXTURES} (the log reader's fixtures)")
    return [_utf8(p.read_bytes()).rstrip(b"\n") + b"\n" for p in files]


def _utf8(data: bytes) -> bytes:
    return data.decode("utf-16").encode("utf-8") if data.startswith(codecs.BOM_UTF16_LE) else data


def ordinary_line(rng: random.Random) -> bytes:
    """A line `next dev` prints while all is well, coloured as under a TTY now and then."""
    route = rng.choice(_ROUTES)
    kind = rng.random()
    if kind < 0.6:
        status = rng.choice((200, 200, 200, 304, 404, 307))
        line = f" GET {route} {status} in {rng.randint(3, 900)}ms"
    elif kind < 0.75:
        line = f" POST {route} 200 in {rng.randint(10, 2000)}ms"
    elif kind < 0.85:
        line = f" \x1b[32m✓\x1b[39m Compiled {route} in {rng.randint(80, 4000)}ms ({rng.randint(300, 3000)} modules)"
    elif kind < 0.93:
        line = f" \x1b[37m○\x1b[39m Compiling {route} ..."
    else:
        line = f"[{rng.choice(('info', 'debug'))}] user {rng.randint(1, 99999)} loaded {rng.randint(0, 50)} items"
    return line.encode() + b"\n"


def build_log(megabytes: int, seed: int = 6) -> Path:
    """A dev-server log of the given size (cached by size, seed and the captures it is made of)."""
    blocks = captured_blocks()
    key = hashlib.sha256(b"".join(blocks)).hexdigest()[:10]
    target = CACHE / "logs" / f"dev-{megabytes}MB-seed{seed}-{key}.log"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    size, limit, block_index = 0, megabytes * 2**20, 0
    partial = target.with_suffix(".tmp")
    with partial.open("wb") as out:
        while size < limit:
            ordinary = b"".join(ordinary_line(rng) for _ in range(ORDINARY_BYTES_PER_BLOCK // 45))
            block = blocks[block_index % len(blocks)]
            block_index += 1
            out.write(ordinary)
            out.write(block)
            size += len(ordinary) + len(block)
    partial.rename(target)
    return target


def read(path: Path) -> dict[str, object]:
    """Run in a fresh process: feed the whole file through `LogReader`, count events, keep none."""
    sys.path.insert(0, str(SERVER))
    from prisma_doctor.logs.recognize import LogReader

    rss_before = peak_rss_mb()
    reader = LogReader()
    events: Counter[str] = Counter()
    start, start_cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            for event in reader.feed(chunk):
                events[type(event).__name__] += 1
    for event in reader.close():
        events[type(event).__name__] += 1
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    size_mb = path.stat().st_size / 2**20
    return {
        "size_mb": size_mb,
        "seconds": wall,
        "cpu_seconds": cpu,
        "mb_per_s": size_mb / wall,
        "mb_per_cpu_s": size_mb / cpu,
        "peak_rss_mb": peak_rss_mb(),
        "rss_after_imports_mb": rss_before,
        "events": dict(events.most_common()),
    }


def hot_spots(path: Path, megabytes: float = 3, top: int = 12) -> list[dict[str, object]]:
    """Run in a fresh process: cProfile over the first megabytes of the log, the functions with most own time."""
    sys.path.insert(0, str(SERVER))
    from prisma_doctor.logs.recognize import LogReader

    with path.open("rb") as handle:
        data = handle.read(int(megabytes * 2**20))
    reader = LogReader()
    profile = cProfile.Profile()
    profile.enable()
    for offset in range(0, len(data), CHUNK):
        reader.feed(data[offset : offset + CHUNK])
    reader.close()
    profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    total = stats.total_tt
    rows = []
    for (file, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        where = f"{Path(file).name}:{line} {function}" if line else function
        rows.append({"function": where, "calls": calls, "own_share": own / total, "with_callees": cumulative / total})
    rows.sort(key=lambda r: -r["own_share"])
    return rows[:top]


def read_in_fresh_process(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "read", str(path)],
        env=python_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def run(sizes: tuple[int, ...] = (10, 100, 200)) -> dict[str, object]:
    require_tool("grep")
    result: dict[str, object] = {"chunk_bytes": CHUNK, "sizes": {}}
    for megabytes in sizes:
        path = build_log(megabytes)
        print(f"logs: reading {megabytes} MB", file=sys.stderr)
        entry = read_in_fresh_process(path)
        grep = hyperfine({"grep -c Invalid": ["grep", "-c", "Invalid", str(path)]}, runs=5, warmup=1)
        grep_ms = grep["grep -c Invalid"]["median_ms"]
        entry["grep_c_invalid_ms"] = grep_ms
        entry["grep_mb_per_s"] = entry["size_mb"] / (grep_ms / 1000)
        entry["grep_count"] = int(
            subprocess.run(["grep", "-c", "Invalid", str(path)], capture_output=True, text=True).stdout
        )
        result["sizes"][f"{megabytes}MB"] = entry
    print("logs: profiling the reader", file=sys.stderr)
    out = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "profile", str(build_log(sizes[0]))],
        env=python_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    result["hot_spots_first_3MB"] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "read":
        print(json.dumps(read(Path(sys.argv[2]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "profile":
        print(json.dumps(hot_spots(Path(sys.argv[2]))))
    else:
        print(json.dumps(run(tuple(int(a) for a in sys.argv[1:]) or (10, 100, 200)), indent=2))
