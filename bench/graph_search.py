"""Start-up and memory of the server with search enabled: the part of ``bench.graph_suite --search``.

Measured on the largest data set of the run (10^6 triples in the full suite), honest about what each is:

1. ``lcgraph serve --no-search`` over a fresh bulk load: the first start builds the public mirror, the
   second is the graph-only start with everything current.
2. ``lcgraph serve`` with search on: the first start encodes every entity and chunk with the real models
   and saves the indexes (minutes); the next two find them on disk and only load the models. Those two
   are the "server ready with the index on disk" figure. Resident memory is read from /proc for the
   server and, summed, for its child processes (the query encoder processes).
3. 10^5 chunk vectors: the data set holds only a few thousand chunks (10^5 chunks as ``ingest`` writes
   them would be about 7 x 10^6 triples, every chunk triple carrying a provenance record). So the search
   engine is built twice in a child process with generated vectors and the real models
   (``bench.search_latency.build``): with the data set's entities and chunk count, and with 10^5 chunks.
   The difference is what 10^5 chunk vectors add; added to the measured server it estimates the
   10^6 + 10^5 figure (a sum of measured parts, not one process measured).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Final

from bench.graph_suite import OurServer, load_store, log, rss_mib
from bench.synthetic import cached

ROOT: Final = Path(__file__).resolve().parents[1]


def children_rss_mib(pid: int) -> float:
    """Return the summed VmRSS (MiB) of a process's children (the query encoder process)."""
    total = 0.0
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            total += rss_mib(int(child))[0]
    except OSError:
        pass
    return total


def engine_memory(entities: int, chunks: int) -> dict[str, float]:
    """Build the search engine with generated vectors in a child process; return its memory in MiB."""
    code = f"""
import json, os
from bench.search_latency import build
from bench.graph_search import children_rss_mib
from bench.graph_suite import rss_mib
bench = build({entities}, {chunks}, 48, 0, query_process=True, query_threads=(1, 1))
rss, peak = rss_mib(os.getpid())
print(json.dumps({{"rss": rss, "peak": peak, "encoder process": children_rss_mib(os.getpid())}}))
bench.engine.close()
bench.kg.close()
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the search engine build failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def search_startup(size: int, workdir: Path, seed: int) -> list[str]:
    """Measure start-up and memory with search at ``size`` triples; return report lines."""
    nquads, meta = cached(size, workdir / "data", seed=seed)
    counts = meta["counts"]
    home = workdir / "search-home"
    if home.exists():
        shutil.rmtree(home)
    load_store(nquads, home / "store")
    log_path = workdir / "search-server.log"
    graph_only = OurServer(home, search=False, log=log_path)
    plain = []
    for _ in range(2):  # the first builds the public mirror
        plain.append(graph_only.start())
        graph_only.stop()
    # the first start encodes everything: on both cores, to save the run time (not a measured figure)
    builder = OurServer(home, search=True, env={"LCGRAPH_SEARCH_THREADS": "2"}, log=log_path)
    log(f"search: first start at {size:,} triples (encodes and saves the index; minutes) ...")
    first = builder.start(timeout_s=7200)
    builder.stop()
    server = OurServer(home, search=True, log=log_path)
    again = []
    rss = peak = children = 0.0
    for _ in range(2):
        again.append(server.start(timeout_s=600))
        rss, peak = rss_mib(server.pid)
        children = children_rss_mib(server.pid)
        server.stop()
    log(f"search: ready in {first:.1f} s (index built), {again} s (index on disk)")
    entities = sum(int(counts[k]) for k in ("instruments", "cases", "communities"))  # type: ignore[index]
    chunks = int(counts["chunks"])  # type: ignore[index]
    log(f"search: engine memory with {entities} entities and {chunks} / 100,000 chunk vectors ...")
    small = engine_memory(entities, chunks)
    large = engine_memory(entities, 100_000)
    added = large["rss"] - small["rss"]
    total = rss + children
    ready = statistics.median(again)
    return [
        "## Start-up and memory with search enabled",
        "",
        f"`lcgraph serve` over the {size:,}-triple data set (`{os.path.basename(nquads)}`: {entities:,} "
        f"entities, {chunks:,} chunks), real models, default settings. See `bench/graph_search.py`.",
        "",
        "| what | value |",
        "|---|---:|",
        f"| graph only (`--no-search`): first start (builds the public mirror), then mirror current, ready s "
        f"| {plain[0]:.2f}, {plain[1]:.2f} |",
        f"| search on, first start (encodes and saves the index, 2 encoder threads), ready s | {first:.0f} |",
        f"| search on, index on disk, ready s (2 starts) | {', '.join(f'{s:.2f}' for s in again)} |",
        f"| search on, index on disk: server RSS / peak MiB; its child processes (query encoders) RSS MiB; "
        f"total | {rss:.0f} / {peak:.0f}; {children:.0f}; **{total:.0f}** |",
        f"| search engine alone, {entities:,} entities + {chunks:,} chunk vectors (generated): "
        f"RSS / peak MiB "
        f"| {small['rss']:.0f} / {small['peak']:.0f} |",
        f"| the same with 100,000 chunk vectors: RSS / peak MiB | {large['rss']:.0f} / {large['peak']:.0f} |",
        f"| estimate at {size:,} triples + 100,000 chunk vectors: the measured total + {added:.0f} MiB "
        f"| **{total + added:.0f}** |",
        "",
        verdict(plain[1], ready, total + added),
        "",
    ]


def verdict(graph_only: float, with_search: float, memory_mib: float) -> str:
    """Say whether start-up and memory meet the targets, and what search costs beyond the graph."""
    start_ok = with_search < 5.0
    memory_ok = memory_mib < 2048
    return (
        f"Start-up with the index on disk: {with_search:.2f} s, "
        f"{'under' if start_ok else 'over'} the 5 s target "
        f"({with_search - graph_only:.2f} s beyond the graph-only start: loading the embedding models and "
        f"the indexes). Memory at 10^6 triples plus 10^5 chunk vectors: {memory_mib:.0f} MiB estimated, "
        f"{'under' if memory_ok else 'over'} the 2 GiB target."
    )
