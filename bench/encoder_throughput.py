"""Encoder throughput: passages/s and queries/s of each embedder, against all-MiniLM-L6-v2 in the same run.

Texts are catalog-like: the Dutch and English descriptions of the instruments in
``kg/catalog/instruments_a.yaml`` are the passages (about 46 words each, encoded in batches), and their
Dutch and English purposes are the queries (about 16 words, encoded one at a time, as a search request
would). Each embedder runs in a fresh process (its own thread settings and OpenMP runtime), so loading
one model does not tune or slow another. Every figure is the median of ``--repeats`` runs; ratio = the
embedder's rate / MiniLM's rate measured in this run. ``cpu/wall`` is the process CPU time over the wall
time of the timed runs: on an idle box it is close to ``--threads``; clearly lower means another process
took a core and the row is not to be trusted (use ``--idle-wait`` to wait for a quiet machine).

Usage: python -m bench.encoder_throughput [--models e5,use,minilm,joined] [--threads N] [--repeats N]
       [--idle-wait SECONDS] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "kg" / "catalog" / "instruments_a.yaml"
BASELINE = "minilm"


def catalog_texts(path: Path = CATALOG) -> tuple[list[str], list[str]]:
    """Return (passages, queries): the nl and en descriptions and purposes of the catalog's instruments."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    passages = [e["description"][lang] for e in entries for lang in ("nl", "en") if e.get("description")]
    queries = [e["purpose"][lang] for e in entries for lang in ("nl", "en") if e.get("purpose")]
    return [p for p in passages if p], [q for q in queries if q]


def cpu_busy(interval: float = 0.5) -> float:
    """Return the fraction of all CPUs busy over ``interval`` seconds (from /proc/stat)."""

    def snapshot() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return idle, sum(fields)

    idle0, total0 = snapshot()
    time.sleep(interval)
    idle1, total1 = snapshot()
    return 1.0 - (idle1 - idle0) / max(total1 - total0, 1)


def wait_for_idle(max_wait: float, threshold: float = 0.1) -> float:
    """Wait up to ``max_wait`` seconds for the machine to be idle; return the busy fraction last seen."""
    deadline = time.monotonic() + max_wait
    busy = cpu_busy() if max_wait > 0 else float("nan")
    while max_wait > 0 and busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def measure(name: str, threads: int, repeats: int, idle_wait: float) -> dict[str, Any]:
    """Load one embedder and time it on the catalog texts (runs inside the worker process)."""
    from kg.search.embedder import load_embedder

    passages, queries = catalog_texts()
    start = time.perf_counter()
    embedder = load_embedder(name, threads=threads)  # includes a warm-up encode
    load_s = time.perf_counter() - start
    passage_rates, query_rates, cpu_ratios, busy_before = [], [], [], []
    for _ in range(repeats):
        busy_before.append(wait_for_idle(idle_wait))
        wall0, cpu0 = time.perf_counter(), time.process_time()
        embedder.encode_passages(passages)
        wall1 = time.perf_counter()
        for query in queries:
            embedder.encode_queries([query])
        wall2, cpu2 = time.perf_counter(), time.process_time()
        passage_rates.append(len(passages) / (wall1 - wall0))
        query_rates.append(len(queries) / (wall2 - wall1))
        cpu_ratios.append((cpu2 - cpu0) / (wall2 - wall0))
    return {
        "name": name,
        "dimension": embedder.dimension,
        "threads": threads,
        "passages": len(passages),
        "queries": len(queries),
        "load_s": load_s,
        "passages_per_s": statistics.median(passage_rates),
        "queries_per_s": statistics.median(query_rates),
        "cpu_per_wall": statistics.median(cpu_ratios),
        "busy_before": busy_before,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_worker(name: str, threads: int, repeats: int, idle_wait: float) -> dict[str, Any]:
    """Measure ``name`` in a fresh interpreter and return its result."""
    command = [sys.executable, "-m", "bench.encoder_throughput", "--worker", name, "--threads", str(threads)]
    command += ["--repeats", str(repeats), "--idle-wait", str(idle_wait)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{name}: worker failed\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ratio(value: float, baseline: float | None) -> str:
    """Format ``value / baseline``."""
    return f"{value / baseline:.2f}" if baseline else "–"


def report(results: list[dict[str, Any]], repeats: int, idle_wait: float) -> str:
    """Render the results as a markdown table with ratios against the baseline."""
    base = next((r for r in results if r["name"] == BASELINE), None)
    base_p = base["passages_per_s"] if base else None
    base_q = base["queries_per_s"] if base else None
    first = results[0]
    out = [
        f"# Encoder throughput: {first['passages']} catalog passages, {first['queries']} queries, "
        f"{first['threads']} thread(s)",
        "",
        f"Median of {repeats} runs, each model in a fresh process. Passages: instrument descriptions "
        "(nl + en, ~46 words) in batches of 32; queries: instrument purposes (nl + en, ~16 words) one at "
        f"a time. Ratio = rate / {BASELINE} rate in this run. OMP_WAIT_POLICY="
        f"{os.environ.get('OMP_WAIT_POLICY', '(unset)')}; idle wait {idle_wait:g} s.",
        "",
        "| embedder | dim | passages/s | ratio | queries/s | ratio | ms/query | load s | cpu/wall "
        "| peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        passages, queries = r["passages_per_s"], r["queries_per_s"]
        out.append(
            f"| {r['name']} | {r['dimension']} | {passages:.1f} | {ratio(passages, base_p)} "
            f"| {queries:.1f} | {ratio(queries, base_q)} | {1000 / queries:.1f} "
            f"| {r['load_s']:.1f} | {r['cpu_per_wall']:.2f} | {r['max_rss_mb']:.0f} |"
        )
    return "\n".join(out) + "\n"


def main() -> None:
    """Run every embedder in its own process and print (and optionally write) the markdown report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", default="e5,use,minilm,joined", help="comma-separated embedder names")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--idle-wait", type=float, default=0.0, help="seconds to wait for an idle CPU per run"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.threads, args.repeats, args.idle_wait)))
        return
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if BASELINE not in names:
        names.append(BASELINE)  # ratios need the baseline from this run
    results = []
    for name in names:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        results.append(run_worker(name, args.threads, args.repeats, args.idle_wait))
    text = report(results, args.repeats, args.idle_wait)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
