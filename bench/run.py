"""Run every benchmark, write bench/results/latest.json and print a table of the figures.

    bash bench/run.sh [--quick] [--only schema,lsp,logs,repair,green] [--skip ...]

Everything it needs installs itself: npm packages into bench/.cache (keyed by version), hyperfine from Debian.
`repair` runs bench/repair_bench.py (the repair pipeline's own benchmark) when it is present; `green`,
bench/green_bench.py (time to green: from the 500 to the 200 with the new field).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from common import BENCH, PYTHON, RESULTS, machine, python_env

PARTS = ("schema", "lsp", "logs", "repair", "green")
TARGETS = {
    "lsp_p95_ms": 50,
    "lsp_startup_ms": 300,
    "lsp_idle_mb": 60,
    "logs_mb_per_s": 50,
}


def run_repair(rounds: int) -> dict[str, object]:
    script = BENCH / "repair_bench.py"
    if not script.exists():
        return {"skipped": "bench/repair_bench.py is not on this branch"}
    if shutil.which("pnpm") is None:
        # The incident script it replays runs `pnpm store prune`; pnpm 10 is the newest that runs on Node 20.
        subprocess.run(["npm", "install", "--global", "--no-audit", "--no-fund", "pnpm@10"], check=True)
    done = subprocess.run(
        [PYTHON, str(script), "--rounds", str(rounds)], env=python_env(), capture_output=True, text=True, timeout=3600
    )
    rows = []
    for line in done.stdout.splitlines()[1:]:
        match = re.match(r"(?P<case>.+?)\s{2,}(?P<s>[\d.]+)\s+(?P<ok>yes|NO)\s+(?P<page>\S+)\s*$", line)
        if match:
            rows.append(
                {
                    "case": match["case"],
                    "seconds": float(match["s"]),
                    "succeeded": match["ok"] == "yes",
                    "page_after": match["page"],
                }
            )
    return {"rows": rows, "output": done.stdout, "exit_code": done.returncode, "stderr_tail": done.stderr[-2000:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 10/50 MB log: a smoke run")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run")
    parser.add_argument("--skip", default="", help="comma-separated parts to leave out")
    args = parser.parse_args()
    parts = [p for p in args.only.split(",") if p and p not in args.skip.split(",")]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")

    out = RESULTS / "latest.json"
    results: dict[str, object] = {}
    if set(parts) != set(PARTS) and out.exists():
        # A partial run refreshes its parts and keeps the others' latest figures, each part with its own date.
        results = json.loads(out.read_text(encoding="utf-8"))
    results.update({"machine": machine(), "quick": args.quick})
    measured_at = results.setdefault("measured_at", {})
    for part in parts:
        # The load beside the date: a part measured on a busy machine says so, whatever the other parts say.
        measured_at[part] = f"{results['machine']['date']} (load {results['machine']['load_average_1m']})"
    if "schema" in parts or "lsp" in parts:
        import schema_bench

        if "schema" in parts:
            loops, runs = (10, 10) if args.quick else (50, 30)
            results["schema"] = schema_bench.run(loops=loops, runs=runs)
        if "lsp" in parts:
            import lsp_bench

            project = schema_bench.generated_project(schema_bench.largest_schemas(1)[0])
            edits, startups = (15, 3) if args.quick else (60, 10)
            results["lsp"] = lsp_bench.run(project, edits=edits, startups=startups)
    if "logs" in parts:
        import logs_bench

        results["logs"] = logs_bench.run((10, 50) if args.quick else (10, 100, 200))
    if "repair" in parts:
        print("repair: bench/repair_bench.py", file=sys.stderr)
        # Its cases are dominated by `next dev` starting and compiling, which wanders most with the load: the
        # figures are medians over rounds.
        results["repair"] = run_repair(1 if args.quick else 3)
    if "green" in parts:
        import green_bench

        print("green: bench/green_bench.py", file=sys.stderr)
        results["green"] = green_bench.measure(list(green_bench.PROJECTS), 1 if args.quick else 3)
    results["machine"]["load_average_1m_at_end"] = machine()["load_average_1m"]

    RESULTS.mkdir(exist_ok=True)
    partial = out.with_suffix(".tmp")
    partial.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(out)
    print(render_table(results))
    print(f"\nwritten: {out.relative_to(BENCH.parent)}")
    return 0


def render_table(results: dict) -> str:
    """The figures as a Markdown table (the README's is pasted from this)."""
    rows: list[tuple[str, str, str]] = []
    m = results["machine"]
    head = (
        f"{m['date']}; {m['nproc']} CPUs ({m['cpu']}), {m['memory_gb']} GB, {m['os']}; Python {m['python']}, "
        f"Node {m['node']}; load average {m['load_average_1m']} at start, {m.get('load_average_1m_at_end')} at end"
    )
    if "schema" in results:
        for name, entry in results["schema"]["files"].items():
            short = f"{name[:40]}… ({entry['lines']} lines)"
            ours, wasm = entry["in_process"]["ours"], entry["in_process"]["wasm"]
            rows.append((f"in process, {short}", "ours parse+datamodel", _ms(ours["parse+datamodel"])))
            rows.append(("", "ours parse+datamodel+DMMF JSON", _ms(ours["parse+datamodel+json"])))
            rows.append(("", f"wasm get_datamodel ({entry['wasm_build']})", _ms(wasm["get_datamodel"])))
            if "get_datamodel+parse" in wasm:
                rows.append(("", "wasm get_datamodel + JSON.parse (objects)", _ms(wasm["get_datamodel+parse"])))
            rows.append(("", "wasm validate", _ms(wasm["validate"])))
            whole = entry["whole_process"]
            rows.append(
                (
                    "whole process, same file",
                    "prisma-doctor schema FILE --json",
                    _hf(whole["prisma-doctor schema --json"]),
                )
            )
            rows.append(("", "node wasm_parse.js FILE (get_datamodel)", _hf(whole["node wasm get_datamodel"])))
        for name, r in results["schema"]["check"]["in_process"].items():
            rows.append(("check in process, largest schema", name, _ms(r)))
        answer = results["schema"]["check"]["answer"]
        states = "; ".join(
            f"{Path(p['project']).name}: {p['state']}" + (f" ({', '.join(p['codes'])})" if p["codes"] else "")
            for p in answer.get("projects", [])
        )
        rows.append(("", "what check answered", f"exit {answer['exit_code']}; {states}"))
        check = results["schema"]["check"]["whole_process"]["prisma-doctor check --json"]
        rows.append(("whole process, generated client", "prisma-doctor check --json (largest schema)", _hf(check)))
        base = results["schema"]["baselines"]
        rows.append(
            (
                "baselines",
                "python -c pass / node -e 0",
                f"{base['python -c pass']['median_ms']:.0f} / {base['node -e 0']['median_ms']:.0f} ms",
            )
        )
        imports = results["schema"]["imports"]
        rows.append(
            (
                "imports of `schema`",
                "all / prisma_doctor's own (self time)",
                f"{imports['total_import_ms']:.0f} / {imports['prisma_doctor_self_ms']:.0f} ms",
            )
        )
    if "lsp" in results:
        lsp = results["lsp"]
        rows.append(
            (
                "language server",
                "start-up to initialize answered (empty / project)",
                f"{lsp['startup_empty_workspace']['median_ms']:.0f} / "
                f"{lsp['startup_with_project']['median_ms']:.0f} ms median (target < 300)",
            )
        )
        rows.append(("", "server CPU until initialize answered", f"{lsp['startup_cpu_ms_empty_workspace']:.0f} ms"))
        rows.append(
            (
                "",
                "idle RSS (empty / after checking project)",
                f"{lsp['idle_rss_mb_empty_workspace']:.0f} / "
                f"{lsp['idle_rss_mb_after_checking_project']:.0f} MB (target < 60)",
            )
        )
        r = lsp["change_to_diagnostics"]
        cpu = f"; server CPU {r['server_cpu_ms_per_edit']:.0f} ms/edit"
        figures = f"p50 {r['median_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms{cpu} (target p95 < 50)"
        rows.append(("", "didChange -> publishDiagnostics", figures))
        t = r.get("typing")
        if t:
            rows.append(
                (
                    "",
                    f"  typing: {t['keys_per_burst']} edits {t['gap_ms']:.0f} ms apart, last edit -> its diagnostics",
                    f"p50 {t['median_ms']:.0f} ms, p95 {t['p95_ms']:.0f} ms; {t['checks_per_burst']:.0f} checks a "
                    f"burst; older text after newer: {t['older_text_published_after_newer']}",
                )
            )
        timers = lsp.get("terminal_timers_ms", {})
        for shape, r in lsp.get("terminal_chunk_to_diagnostics", {}).items():
            label = {
                "block_then_next_line": "terminal chunk -> diagnostics, block then a line "
                f"(publishes at most every {timers.get('publish', 0):.0f} ms)",
                "block_at_end_of_chunk": "  block at the chunk's end (ends on its closing brace; "
                f"quiet {timers.get('quiet', 0):.0f} ms for forms without one)",
            }.get(shape, shape)
            rows.append(("", label, f"p50 {r['median_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms (target p95 < 50)"))
    if "logs" in results:
        for size, r in results["logs"]["sizes"].items():
            rows.append(
                (
                    f"log reader, {size}",
                    "LogReader / grep -c Invalid",
                    f"{r['mb_per_s']:.1f} MB/s ({r['mb_per_cpu_s']:.1f} per CPU-s) / "
                    f"{r['grep_mb_per_s']:.0f} MB/s (target >= 50 MB/s); peak RSS {r['peak_rss_mb']:.0f} MB "
                    f"(after imports {r['rss_after_imports_mb']:.0f})",
                )
            )
        for shape, r in results["logs"].get("explain", {}).items():
            rows.append(
                (
                    f"explain, {r['size_mb']:.0f} MB",
                    shape,
                    f"{r['seconds']:.1f} s ({r['cpu_seconds']:.1f} CPU-s, {r['mb_per_cpu_s']:.0f} MB per CPU-s); "
                    f"peak RSS {r['peak_rss_mb']:.0f} MB",
                )
            )
        hostile = results["logs"].get("hostile")
        if hostile:
            search, read = hostile["slowest_searches"][0], hostile["slowest_reads"][0]
            rows.append(
                (
                    "hostile lines (tests/regex_inputs.py)",
                    "slowest search / slowest reader pace",
                    f"{search['ms']:.1f} ms on {hostile['line_characters']:,} characters ({search['pattern']}) / "
                    f"{read['mb_per_cpu_s']:.1f} MB per CPU-s ({read['pattern']})",
                )
            )
    if "repair" in results:
        rows += _repair_rows(results["repair"].get("rows", []))
        if "skipped" in results["repair"]:
            rows.append(("repair", "skipped", results["repair"]["skipped"]))
    if "green" in results:
        rows += _green_rows(results["green"])
    if results.get("measured_at"):
        head += "; measured " + ", ".join(f"{part} {date}" for part, date in results["measured_at"].items())
    lines = [head, "", "| part | measure | figure |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def _repair_rows(measured: list[dict]) -> list[tuple[str, str, str]]:
    """One row per case: the median over the rounds, the range, and whether every round succeeded."""
    cases: dict[str, list[dict]] = {}
    for r in measured:
        cases.setdefault(r["case"], []).append(r)
    rows = []
    medians: dict[str, float] = {}
    for case, runs in cases.items():
        seconds = sorted(r["seconds"] for r in runs)
        medians[case] = statistics.median(seconds)
        failed = sum(not r["succeeded"] for r in runs)
        spread = f" (min {seconds[0]:.1f}, max {seconds[-1]:.1f}, {len(seconds)} rounds)" if len(seconds) > 1 else ""
        verdict = f"; FAILED {failed} of {len(runs)}, page {runs[0]['page_after']}" if failed else ""
        rows.append(("repair (bundled example)", case, f"{medians[case]:.1f} s median{spread}{verdict}"))
    reset = next((v for k, v in medians.items() if k.startswith("prisma-doctor reset")), None)
    incident = next((v for k, v in medians.items() if k.startswith("incident script +")), None)
    if reset and incident:
        rows.append(
            ("repair (bundled example)", "reset / working incident script", f"{reset / incident:.0%} (target <= 50%)")
        )
    return rows


def _green_rows(green: dict) -> list[tuple[str, str, str]]:
    """Per project, one row per case: median, spread and the ratio to the floor; the doctor's names the repairs it
    took."""
    from green_bench import CASE_TITLES, GREEN_TARGET, summary

    rows = []
    for entry in green["projects"].values():
        figures = {case: summary(runs) for case, runs in entry["cases"].items()}
        floor = figures.get("floor", {}).get("median_s")
        part = f"time to green, {entry['title']} (GET {entry['route']})"
        for case, runs in entry["cases"].items():
            f = figures[case]
            title = CASE_TITLES[case]
            if case == "doctor" and runs:
                title += ": " + ", then ".join(step.split(":")[0] for step in runs[0]["steps"])
            if f["median_s"] is None:
                figure = f"never green ({f['runs']} rounds): {'; '.join(runs[0]['steps'])}"
            else:
                spread = f"min {f['min_s']:.1f}, max {f['max_s']:.1f}, {f['runs']} rounds"
                figure = f"{f['median_s']:.1f} s median ({spread})"
                if f["green"] < f["runs"]:
                    figure += f"; green in {f['green']} of {f['runs']}"
                if floor and case != "floor":
                    figure += f"; {f['median_s'] / floor:.2f}x the floor"
                    # The target is the doctor's: the one repair it offers, against the floor.
                    figure += f" (target <= {GREEN_TARGET}x)" if case == "doctor" else ""
            rows.append((part, title, figure))
            part = ""
    return rows


def _ms(r: dict) -> str:
    return f"{r['median_ms']:.1f} ms median (min {r['min_ms']:.1f}, CPU {r.get('cpu_median_ms', float('nan')):.1f})"


def _hf(r: dict) -> str:
    return f"{r['median_ms']:.0f} ms median (min {r['min_ms']:.0f}, CPU {r['cpu_ms']:.0f})"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
