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
import os
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


# `prisma-doctor explain` end to end on the shapes of log that once made it slow, each about this many MB.
EXPLAIN_PROJECT = REPO / "examples" / "next-prisma-app"
HUGE_LINE_BYTES = 20 * 2**20


def _repeat_to(path: Path, megabytes: int, piece: bytes) -> Path:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        with partial.open("wb") as out:
            for _ in range(megabytes * 2**20 // len(piece) + 1):
                out.write(piece)
        partial.rename(path)
    return path


def _pino_line(rng: random.Random) -> bytes:
    route = rng.choice(_ROUTES)
    record = {"level": 30, "time": 1796597989150, "pid": 4242, "hostname": "vm", "reqId": f"req-{rng.randint(1, 9999)}"}
    record.update({"res": {"statusCode": rng.choice((200, 200, 304, 404))}, "responseTime": rng.random() * 90})
    record["msg"] = "request completed" if rng.random() < 0.5 else f"GET {route}"
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def explain_shapes(megabytes: int) -> dict[str, Path]:
    """The logs `explain` is timed on: the dev log above with one 20 MB line in it, one captured error repeated,
    lines full of words the reader looks for that are no Prisma error, Fastify's pino JSON with the captured
    records, and Next 16's dev log with its captured records."""
    rng = random.Random(7)
    folder = CACHE / "logs"
    key = hashlib.sha256(b"".join(captured_blocks())).hexdigest()[:10]
    shapes: dict[str, Path] = {}
    huge = folder / f"explain-dev-huge-line-{megabytes}MB-{key}.log"
    if not huge.exists():
        base = build_log(megabytes).read_bytes()
        middle = base.index(b"\n", len(base) // 2) + 1
        line = (b"x" * 1000 + b" Invalid `prisma.user.findMany()` ") * (HUGE_LINE_BYTES // 1034) + b"\n"
        huge.write_bytes(base[:middle] + line + base[middle:])
    shapes["dev log + one 20 MB line"] = huge
    shapes["one captured error repeated"] = _repeat_to(
        folder / f"explain-repeated-{megabytes}MB-{key}.log",
        megabytes,
        (FIXTURES / "pg-fr-trigger-missing-field.log").read_bytes(),
    )
    noise = b"".join(
        line.encode() + b"\n"
        for line in (
            "Error: ENOENT: the file /app/uploads/a.png does not exist",
            '{"level":50,"err":{"type":"Error","message":"fetch failed"},"msg":"Error in /api/feed"}',
            "warn: the user 42 does not exist; Error count 3",
        )
    )
    shapes["no-Prisma errors and 'does not exist'"] = _repeat_to(
        folder / f"explain-noise-{megabytes}MB.log", megabytes, noise
    )
    pino = folder / f"explain-pino-{megabytes}MB-{key}.log"
    if not pino.exists():
        records = (FIXTURES / "fastify-pino-driver-adapter-error.log").read_bytes()
        piece = b"".join(_pino_line(rng) for _ in range(ORDINARY_BYTES_PER_BLOCK // 150)) + records
        _repeat_to(pino, megabytes, piece)
    shapes["pino JSON (Fastify)"] = pino
    nextlog = folder / f"explain-next-dev-log-{megabytes}MB-{key}.log"
    if not nextlog.exists():
        records = (FIXTURES / "next-dev-p2022-server-action-external.next-development.log").read_bytes()
        ordinary = b"".join(
            json.dumps(
                {"timestamp": "00:00:07.318", "source": "Server", "level": "LOG", "message": line.decode().strip()}
            ).encode()
            + b"\n"
            for line in (ordinary_line(rng) for _ in range(ORDINARY_BYTES_PER_BLOCK // 110))
        )
        _repeat_to(nextlog, megabytes, ordinary + records)
    shapes["Next dev log (JSON lines)"] = nextlog
    return shapes


# Runs the command line's `main` and prints the process's own peak RSS last on stderr: the `ru_maxrss` a parent
# reads counts the forked copy of the parent before `exec`.
_LAUNCH = (
    "import atexit, sys\n"
    "def peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'): sys.stderr.write('VmHWM ' + line.split()[1] + '\\n')\n"
    "atexit.register(peak)\n"
    "from prisma_doctor.cli import main\n"
    "sys.argv = ['prisma-doctor', *sys.argv[1:]]\n"
    "sys.exit(main())\n"
)


def explain_in_fresh_process(path: Path, server: Path = SERVER) -> dict[str, float]:
    """`prisma-doctor explain FILE --project the-example --json` as a process: wall and CPU seconds, peak RSS."""
    env = {**python_env(), "PYTHONPATH": str(server)}
    command = [PYTHON, "-c", _LAUNCH, "explain", str(path), "--project", str(EXPLAIN_PROJECT), "--json"]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        raise RuntimeError(f"explain {path} exited {child.returncode}: {stderr.decode(errors='replace')[-2000:]}")
    peak_kb = int(stderr.rsplit(b"VmHWM ", 1)[1].split()[0])
    size_mb = path.stat().st_size / 2**20
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "size_mb": size_mb,
        "seconds": wall,
        "cpu_seconds": cpu,
        "mb_per_cpu_s": size_mb / cpu,
        "peak_rss_mb": peak_kb / 1024,
    }


def explain(megabytes: int, server: Path = SERVER) -> dict[str, dict[str, float]]:
    result = {}
    for shape, path in explain_shapes(megabytes).items():
        print(f"logs: explain on {shape} ({megabytes} MB)", file=sys.stderr)
        result[shape] = explain_in_fresh_process(path, server)
    return result


def hostile(length: int = 100_000, worst: int = 8) -> dict[str, object]:
    """Run in a fresh process: the times tests/test_logs_redos.py counts in steps. Each reader pattern's slowest
    search among its adversarial lines of `length` characters (the best of three), and the reader's pace over each
    pattern's adversarial log (a line of 4,000 characters, alone, as a client error's frame and after its message);
    the slowest `worst` of each."""
    sys.path[:0] = [str(SERVER), str(REPO)]
    from tests.regex_inputs import adversarial_lines
    from tests.test_logs_redos import PATTERNS, adversarial_log

    from prisma_doctor.logs.recognize import LogReader

    searches = []
    for name, pattern in PATTERNS.items():
        slowest = 0.0
        for line in adversarial_lines(pattern, length):
            subject = line.encode("latin-1", errors="replace") if isinstance(pattern.pattern, bytes) else line
            times = []
            for _ in range(3):
                started = time.perf_counter()
                pattern.search(subject)
                times.append(time.perf_counter() - started)
            slowest = max(slowest, min(times))
        searches.append({"pattern": name, "ms": slowest * 1000, "ns_per_char": slowest / length * 1e9})
    paces = []
    for name, pattern in PATTERNS.items():
        data = adversarial_log(pattern, 4000).encode("utf-8")
        reader = LogReader()
        started = time.process_time()
        for start in range(0, len(data), CHUNK):
            reader.feed(data[start : start + CHUNK])
        reader.close()
        cpu = max(time.process_time() - started, 1e-9)
        paces.append({"pattern": name, "mb_per_cpu_s": len(data) / 2**20 / cpu, "mb": len(data) / 2**20})
    searches.sort(key=lambda r: -r["ms"])
    paces.sort(key=lambda r: r["mb_per_cpu_s"])
    return {"line_characters": length, "slowest_searches": searches[:worst], "slowest_reads": paces[:worst]}


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
    result["explain"] = explain(sizes[-1])
    print("logs: hostile lines", file=sys.stderr)
    out = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "hostile"], env=python_env(), capture_output=True, text=True, check=True
    )
    result["hostile"] = json.loads(out.stdout)
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
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "explain":
        # `explain MB [SERVER]`: the explain figures alone, of this checkout or of another revision's `server/`.
        print(json.dumps(explain(int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) == 4 else SERVER), indent=2))
    elif len(sys.argv) == 2 and sys.argv[1] == "hostile":
        print(json.dumps(hostile()))
    elif len(sys.argv) == 3 and sys.argv[1] == "profile":
        print(json.dumps(hot_spots(Path(sys.argv[2]))))
    else:
        print(json.dumps(run(tuple(int(a) for a in sys.argv[1:]) or (10, 100, 200)), indent=2))
