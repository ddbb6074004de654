"""Public SPARQL in worker processes (``sparql_isolation=process``) against threads (the baseline).

One run, the catalog copied into an on-disk store, two servers over it (in this process, uvicorn on
127.0.0.1), one per executor, no search models:

1. latency of ``GET /sparql`` per query: medians (and p90) of ``--repeat`` timed requests after two
   warm-up requests, alternating between the servers so that load drifts hit both alike;
2. the first query after a write: the process path takes a store checkpoint and the worker reopens it;
3. stopping: ``--explode`` COUNT-over-a-cartesian-product queries at once at a 1 s limit; CPU seconds
   the server (and its workers) use in the second that starts one second after the last 503, and the
   latency of a cheap query then. Each executor is measured in a child process of its own, because the
   thread path cannot stop its queries: the child exits with them still running.

Usage: python -m bench.sparql_isolation [--repeat N] [--explode N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox
import uvicorn

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.store.base import ChangeSet
from kg.store.oxigraph import OxigraphStore

QUERIES = {
    "ASK (cheap)": ("ASK { ?s ?p ?o }", "application/sparql-results+json"),
    "SELECT 10 rows": ("SELECT * WHERE { ?s ?p ?o } LIMIT 10", "application/sparql-results+json"),
    "instruments with English names (~100 rows)": (
        "PREFIX lc: <https://w3id.org/lcgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?i ?name WHERE { ?i a lc:Instrument ; skos:prefLabel ?name FILTER(LANG(?name) = 'en') }",
        "application/sparql-results+json",
    ),
    "SELECT 2,000 rows": ("SELECT * WHERE { ?s ?p ?o } LIMIT 2000", "application/sparql-results+json"),
    "CONSTRUCT 500 triples (Turtle)": ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 500", "text/turtle"),
}
EXPLODING = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
CHEAP = "ASK { ?s ?p ?o }"


class Server:
    """A uvicorn server on 127.0.0.1 in a thread of this process, over ``kg``."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        config = uvicorn.Config(create_app(kg.settings, kg=kg), host="127.0.0.1", port=0, log_level="error")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/sparql"

    def stop(self) -> None:
        """Stop serving (the knowledge graph stays open)."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


def catalog_store(directory: Path) -> OxigraphStore:
    """Load the curated catalog and copy it into an on-disk store under ``directory``."""
    memory = KnowledgeGraph.open(Settings(store="memory", search_enabled=False))
    load_catalog(memory)
    store = OxigraphStore(directory / "store")
    store.load_quads(memory.store.quads())
    memory.close()
    return store


def open_kg(store: OxigraphStore, mode: str, **update: object) -> KnowledgeGraph:
    """A knowledge graph over ``store`` whose public SPARQL runs in ``mode`` (process or thread)."""
    assert store.path is not None
    settings = Settings(home=store.path.parent, search_enabled=False)
    return KnowledgeGraph(store, settings.model_copy(update={"sparql_isolation": mode, **update}))


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(client: httpx.Client, url: str, query: str, accept: str) -> float:
    """Send one query and return its latency in milliseconds (checking it answered 200)."""
    started = time.perf_counter()
    r = client.get(url, params={"query": query}, headers={"Accept": accept})
    elapsed = (time.perf_counter() - started) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url} answered {r.status_code} to {query!r}: {r.text[:300]}")
    return elapsed


def p90(values: list[float]) -> float:
    """The 90th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def latencies(servers: dict[str, Server], repeat: int) -> dict[str, dict[str, list[float]]]:
    """Time every query on every server, alternating between servers request by request."""
    out: dict[str, dict[str, list[float]]] = {}
    with httpx.Client(timeout=60, trust_env=False) as client:
        for name, (query, accept) in QUERIES.items():
            series: dict[str, list[float]] = {mode: [] for mode in servers}
            for server in servers.values():
                for _ in range(2):
                    timed(client, server.url, query, accept)
            for _ in range(repeat):
                for mode, server in servers.items():
                    series[mode].append(timed(client, server.url, query, accept))
            out[name] = series
    return out


def after_write(servers: dict[str, Server], store: OxigraphStore, repeat: int) -> dict[str, list[float]]:
    """Latency of the cheap query right after a small write (the process path re-snapshots)."""
    out: dict[str, list[float]] = {mode: [] for mode in servers}
    subject, predicate = ox.NamedNode("http://example.org/bench"), ox.NamedNode("http://example.org/n")
    graph = ox.NamedNode("http://example.org/bench-graph")
    with httpx.Client(timeout=60, trust_env=False) as client:
        for i in range(repeat):
            for mode, server in servers.items():
                store.apply(ChangeSet(add=[ox.Quad(subject, predicate, ox.Literal(str(i)), graph)]))
                out[mode].append(timed(client, server.url, CHEAP, "application/sparql-results+json"))
    store.apply(ChangeSet(drop_graphs=[graph]))
    return out


def stop_child(mode: str, home: Path, explode: int) -> None:
    """In a child process: fire the exploding queries, measure, print JSON, exit (threads still busy)."""
    store = OxigraphStore(home / "store")
    kg = open_kg(store, mode, query_timeout_s=1.0, max_concurrent_queries=explode)
    server = Server(kg)
    with httpx.Client(timeout=120, trust_env=False) as client:
        timed(client, server.url, CHEAP, "application/sparql-results+json")

        def bad(_: int) -> tuple[int, float]:
            r = client.get(server.url, params={"query": EXPLODING})
            return r.status_code, time.monotonic()

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=explode) as pool:
            answers = list(pool.map(bad, range(explode)))
        last = max(at for _, at in answers)
        time.sleep(max(0.0, last + 1.0 - time.monotonic()))
        pids = [os.getpid(), *getattr(kg.executor, "worker_pids", list)()]
        before = sum(cpu_seconds(pid) for pid in pids)
        time.sleep(1.0)
        used = sum(cpu_seconds(pid) for pid in pids) - before
        sent = time.monotonic()
        r = client.get(server.url, params={"query": CHEAP}, headers={"Accept": "application/json"})
        cheap_s = time.monotonic() - sent
    print(
        json.dumps(
            {
                "statuses": sorted(status for status, _ in answers),
                "answered_s": round(last - started, 2),
                "cpu_s": round(used, 2),
                "cheap_status": r.status_code,
                "cheap_ms": round(cheap_s * 1000, 1),
            }
        ),
        flush=True,
    )
    os._exit(0)  # the thread path's queries cannot be stopped: leave with them


def stopping(home: Path, explode: int) -> dict[str, dict[str, object]]:
    """Run :func:`stop_child` for each executor in a fresh process and collect its measurements."""
    out = {}
    for mode in ("thread", "process"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.sparql_isolation",
                "--stop-child",
                mode,
                "--home",
                str(home),
                "--explode",
                str(explode),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        out[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def report(
    lat: dict[str, dict[str, list[float]]],
    writes: dict[str, list[float]],
    stops: dict[str, dict[str, object]],
) -> str:
    """Render the measurements as markdown tables with process/thread ratios."""
    lines = [
        "# Public SPARQL: worker processes vs threads",
        "",
        f"Catalog on disk, `GET /sparql` over HTTP on 127.0.0.1, {os.cpu_count()} cores, "
        f"load average at the end {Path('/proc/loadavg').read_text().split()[0]}. "
        "Command: `python -m bench.sparql_isolation`.",
        "",
        "| query | threads median (p90) ms | processes median (p90) ms | processes / threads |",
        "|---|---:|---:|---:|",
    ]
    for name, series in {**lat, "ASK right after a write": writes}.items():
        t, p = series["thread"], series["process"]
        ratio = statistics.median(p) / statistics.median(t)
        lines.append(
            f"| {name} | {statistics.median(t):.2f} ({p90(t):.2f}) "
            f"| {statistics.median(p):.2f} ({p90(p):.2f}) | {ratio:.2f}x |"
        )
    lines += [
        "",
        "Exploding queries (COUNT over a cartesian product) fired at once at a 1 s limit:",
        "",
        "| executor | answers | last answer after s | CPU s in the 2nd second after it | cheap query then |",
        "|---|---|---:|---:|---|",
    ]
    for mode, m in stops.items():
        lines.append(
            f"| {mode} | {m['statuses']} | {m['answered_s']} | {m['cpu_s']} | {m['cheap_status']} in "
            f"{m['cheap_ms']} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Measure and print (or write) the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per query and server")
    parser.add_argument("--explode", type=int, default=4, help="exploding queries fired at once")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--stop-child", choices=["thread", "process"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stop_child:
        stop_child(args.stop_child, args.home, args.explode)
        return
    with tempfile.TemporaryDirectory(prefix="lcgraph-bench-") as tmp:
        home = Path(tmp)
        store = catalog_store(home)
        kgs = {mode: open_kg(store, mode) for mode in ("thread", "process")}
        servers = {mode: Server(kg) for mode, kg in kgs.items()}
        try:
            lat = latencies(servers, args.repeat)
            writes = after_write(servers, store, max(10, args.repeat // 5))
        finally:
            for server in servers.values():
                server.stop()
            for kg in kgs.values():
                kg.executor.close()
            store.close()
            del store  # release the directory for the child processes
        stops = stopping(home, args.explode)
    text = report(lat, writes, stops)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
