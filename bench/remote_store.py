"""The remote store against the embedded one, and how soon a write shows up in another process.

One run, the catalog loaded into both stores, no search models:

1. read latency through the ``KnowledgeGraph`` API (what a REST request does): ``instrument(slug)``
   (about 15 store queries) and a public SPARQL SELECT, on the embedded on-disk oxigraph store (the
   baseline of the ratios) and on the remote store (``oxigraph serve`` on 127.0.0.1, SPARQL 1.1 Protocol);
2. write-to-visible delay: a second ``KnowledgeGraph`` over the same server, standing in for another
   worker, with the revision watcher at ``--poll`` seconds; the first writes a new approved graph and we
   time, from the moment the write returns, until the second lists it among its visible graphs (writes
   start at random moments of the poll cycle, so the delay spreads over the interval).

Medians (and p90) of ``--repeat`` timed runs after two warm-up runs.

Usage: python -m bench.remote_store [--repeat N] [--poll SECONDS]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import Literal, URIRef

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.store.oxigraph_server import OxigraphServer

SPARQL = """PREFIX lc: <https://w3id.org/lcgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?i ?name WHERE { ?i a lc:Instrument ; skos:prefLabel ?name FILTER(LANG(?name) = "en") }
ORDER BY ?name"""


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(2):
        action()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _reads(kg: KnowledgeGraph, repeat: int) -> dict[str, list[float]]:
    return {
        "instrument(seeds-of-innovation)": _timed(lambda: kg.instrument("seeds-of-innovation"), repeat),
        "SPARQL: instruments with English names": _timed(lambda: kg.sparql(SPARQL), repeat),
    }


def _visibility_delays(
    writer: KnowledgeGraph, reader: KnowledgeGraph, repeat: int, poll: float
) -> list[float]:
    delays = []
    rng = random.Random(7)
    for i in range(repeat):
        time.sleep(rng.uniform(0, poll))  # writes arrive at random moments of the reader's poll cycle
        graph = URIRef(f"https://w3id.org/lcgraph/graph/bench/remote-{i}")
        triples = [(URIRef(f"https://example.org/bench/{i}"), URIRef("https://example.org/p"), Literal(i))]
        reader.visible_graphs()  # warm the reader's cache, as a busy worker would have it
        writer.write_graph(graph, triples, title=f"bench {i}", method="manual")
        started = time.perf_counter()
        while str(graph) not in {g.value for g in reader.visible_graphs()}:
            time.sleep(0.002)
        delays.append((time.perf_counter() - started) * 1000)
        writer.remove_graph(graph)
    return delays


def main() -> None:
    """Run the measurements and print markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per row")
    parser.add_argument("--poll", type=float, default=0.5, help="revision poll interval of the reader (s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, OxigraphServer(Path(tmp) / "server") as server:
        embedded = KnowledgeGraph.open(Settings(home=Path(tmp) / "home"))
        remote_settings = Settings(store="sparql", sparql_url=server.url, home=Path(tmp), revision_poll_s=0)
        remote = KnowledgeGraph.open(remote_settings)
        load_catalog(embedded)
        load_catalog(remote)
        base = _reads(embedded, args.repeat)
        other = _reads(remote, args.repeat)
        print(f"read latency, ms (median of {args.repeat}; embedded on-disk store = 1.00)\n")
        print("| operation | embedded p50 | remote p50 | remote p90 | ratio p50 |")
        print("|---|---:|---:|---:|---:|")
        for name, times in base.items():
            b, r = statistics.median(times), statistics.median(other[name])
            print(f"| {name} | {b:.1f} | {r:.1f} | {_p(other[name], 0.9):.1f} | {r / b:.2f} |")
        embedded.close()
        reader = KnowledgeGraph.open(remote_settings.model_copy(update={"revision_poll_s": args.poll}))
        delays = _visibility_delays(remote, reader, max(5, args.repeat // 2), args.poll)
        print(f"\nwrite visible in another KnowledgeGraph (revision poll {args.poll:g} s), ms\n")
        print("| writes | p50 | p90 | max |")
        print("|---:|---:|---:|---:|")
        print(
            f"| {len(delays)} | {statistics.median(delays):.0f} | {_p(delays, 0.9):.0f} | {max(delays):.0f} |"
        )
        reader.close()
        remote.close()


if __name__ == "__main__":
    main()
