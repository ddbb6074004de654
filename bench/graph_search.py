"""Start-up and memory of the server with search enabled: the part of ``bench.graph_suite --search``.

Two measurements, both honest about what they are:

1. ``lcgraph serve`` with search on, over a generated 10^4-triple data set, started twice: the first start
   encodes the (few) entities and chunks and saves the index; the second finds the index on disk and only
   loads the models. The second start is the "server ready with the index on disk" figure; what it costs
   beyond the graph-only start is the embedding models (e5 + USE, plus the query encoder process).
2. The resident memory of 10^5 chunk vectors plus the entities of the 10^6 data set in the search engine:
   ``bench.search_latency.build`` (generated vectors, real models) in a child process, read from /proc.
   Added to the graph-only server's RSS at 10^6 this estimates the 10^6 + 10^5 figure; it is a sum of two
   measured processes, not one process measured (10^5 chunks as ``ingest`` writes them would be about
   7 x 10^6 triples: every chunk triple carries a provenance record).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Final

from bench.graph_suite import OurServer, load_store, log, rss_mib
from bench.synthetic import cached

ROOT: Final = Path(__file__).resolve().parents[1]
STARTUP_SIZE: Final = 10_000


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
    """Measure start-up with search and the memory of 10^5 chunk vectors; return report lines."""
    nquads, _ = cached(STARTUP_SIZE, workdir / "data", seed=seed)
    home = workdir / "search-home"
    load_store(nquads, home / "store")
    env = {"LCGRAPH_SEARCH_THREADS": "1", "LCGRAPH_SEARCH_QUERY_THREADS": "1"}
    graph_only = OurServer(home, search=False, log=workdir / "search-server.log")
    plain = [graph_only.start()]
    graph_only.stop()
    server = OurServer(home, search=True, env=env, log=workdir / "search-server.log")
    log("search: first start (encodes the index) ...")
    first = server.start(timeout_s=1800)
    server.stop()
    again = []
    rss = peak = encoder = 0.0
    for _ in range(2):
        again.append(server.start(timeout_s=600))
        rss, peak = rss_mib(server.pid)
        encoder = children_rss_mib(server.pid)
        server.stop()
    log(f"search: ready in {first:.1f} s (index built), {statistics.median(again):.1f} s (index on disk)")
    _, big = cached(size, workdir / "data", seed=seed)
    big_entities = sum(int(big["counts"][k]) for k in ("instruments", "cases", "communities"))  # type: ignore[index]
    log(f"search: engine memory with {big_entities} entities and 10^5 chunk vectors ...")
    engine = engine_memory(big_entities, 100_000)
    return [
        "## Start-up and memory with search enabled",
        "",
        f"`lcgraph serve` with search over the {STARTUP_SIZE:,}-triple data set "
        f"(`{os.path.basename(nquads)}`), "
        "one thread for the encoders. The graph-only start is measured in the same run.",
        "",
        "| what | value |",
        "|---|---:|",
        f"| graph only (`--no-search`), ready s | {plain[0]:.2f} |",
        f"| search on, first start (encodes and saves the index), ready s | {first:.1f} |",
        f"| search on, index on disk, ready s (2 starts) | {', '.join(f'{s:.1f}' for s in again)} |",
        f"| search on, index on disk: server RSS / peak MiB; query encoder process RSS MiB | "
        f"{rss:.0f} / {peak:.0f}; {encoder:.0f} |",
        f"| search engine with {big_entities:,} entities (the {size:,}-triple set) and 100,000 chunk vectors "
        f"(generated), real models: process RSS / peak MiB; query encoder process MiB | "
        f"{engine['rss']:.0f} / {engine['peak']:.0f}; {engine['encoder process']:.0f} |",
        "",
        verdict(plain[0], statistics.median(again)),
        "",
    ]


def verdict(graph_only: float, with_search: float) -> str:
    """Say what the start-up with search costs beyond the graph-only start."""
    extra = with_search - graph_only
    if with_search < 5.0:
        return (
            f"With the index on disk, search adds {extra:.1f} s to the start-up: under the 5 s target here. "
            "Not measured: the same at 10^6 triples (building that index encodes ~2,000 entities with their "
            "sentences and 3,425 chunks on one thread first, tens of minutes); the graph part does not grow "
            "with the size (see the graph-only rows above)."
        )
    return (
        f"With the index on disk, search adds {extra:.1f} s to the start-up (the embedding models). "
        "Proposal (kg/search is the lead's): serve the graph as soon as the store is open and load the "
        "models in the background, `/readyz` reporting search as `starting` and the search routes "
        "answering 503 until it is up."
    )
