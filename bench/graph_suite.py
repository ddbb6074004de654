"""SPARQL and REST reads at 10^4, 10^5 and 10^6 triples: ours against the bare engines, in one run.

For each size the synthetic data set (``bench.synthetic``, deterministic) is bulk-loaded into on-disk
pyoxigraph stores, and then measured side by side on the public dataset (the approved graphs), which is
what an anonymous query sees:

* **ours**: ``lcgraph serve --no-search`` in a child process (uvicorn on 127.0.0.1) over the whole data
  set (approved, proposed and private graphs, the registry), queried at ``POST /sparql`` (form-encoded),
  which runs the query policy and answers from the public mirror (``kg.public_mirror``; its first start
  builds it);
* **oxigraph-server**: ``oxigraph serve --union-default-graph`` (the same engine as a server,
  ``kg.store.oxigraph_server``) over a store holding only the approved graphs, queried at ``/query``: the
  fastest way the bare server answers the public view;
* **pyoxigraph**: the bare engine in this process over another copy of only the approved graphs, over its
  union default graph, results materialised (every binding read);
* **rdflib**: an in-memory ``rdflib.Dataset`` (default graph = union) holding the approved graphs only;
* **pyoxigraph, graph list**: the bare engine over the whole data set with the approved graphs as the
  default and named graphs: how lcgraph answered before the mirror, for comparison.

Both HTTP systems answer SPARQL JSON (N-Triples for CONSTRUCT) and the client parses it; each query's
row count must agree across every system, or the run stops. Rounds alternate the order of the systems
per query, so machine noise hits all of them alike; the first (warm-up) round is not counted. rdflib
gets a time budget per query (it needs seconds per query at 10^6).

REST reads: ``GET /instruments/{slug}`` (the most used instrument, one from the middle of the
distribution) and ``GET /cases/{slug}`` over HTTP, against the SPARQL queries that answer them
(recorded from a ``KnowledgeGraph`` over a fourth copy, with its mirror and warm caches, so they stay
what the route runs), replayed on the bare public store in process and on the oxigraph server over
HTTP; plus the same ``KnowledgeGraph`` call in process (no HTTP) to show where the time goes.

Also per size: load time, server start-up to ``/readyz`` 200 (median of several starts), resident
memory (VmRSS and peak VmHWM from /proc) of our server and of the oxigraph server after the queries,
rdflib's memory, and disk use. ``--search`` additionally starts our server with search enabled over
the largest size (models loaded, index built or loaded from disk) and reports that start-up and memory.

Targets (issue 7): ours/oxigraph-server median <= 1.5x on every query at 10^6; REST <= 2x the bare
SPARQL that answers it; server ready in < 5 s at 10^6 with the index on disk; RSS < 2 GiB at 10^6
triples plus 10^5 chunk vectors.

Usage: python -m bench.graph_suite [--sizes 10000,100000,1000000] [--rounds N] [--quick] [--search]
       [--workdir DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from bench.synthetic import GENERATOR_VERSION, cached
from kg.store.oxigraph_server import OxigraphServer, free_port

ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_OUT: Final = ROOT / "bench" / "results" / "graph.md"
SYSTEMS: Final = ("ours", "oxigraph-server", "pyoxigraph", "rdflib")
RDFLIB_BUDGET_S: Final = 20.0
"""Seconds of rdflib time per query and size; rdflib stops being asked once a query has used them up."""
BUDGET_S: Final = 30.0
"""The same for every other system (at 10^6 one query can take seconds): at least two counted runs."""
SPARQL_TARGET: Final = 1.5
REST_TARGET: Final = 2.0
STARTUP_TARGET_S: Final = 5.0
RSS_TARGET_MIB: Final = 2048.0

PREFIXES: Final = """PREFIX lc: <https://w3id.org/lcgraph/ontology#>
PREFIX lcc: <https://w3id.org/lcgraph/concept/>
PREFIX lcd: <https://w3id.org/lcgraph/id/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(f"[graph_suite {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def queries(samples: dict[str, str]) -> dict[str, str]:
    """Return the query set: the anchors' Q1-Q8 in our vocabulary, plus a fact page's provenance query."""
    case = f"<https://w3id.org/lcgraph/id/case/{samples['case']}>"
    q = {
        "Q1_point": f"SELECT ?p ?o WHERE {{ {case} ?p ?o }}",
        "Q2_join3": """SELECT ?case ?instrument ?sector ?community WHERE {
  ?case a lc:Case ; lc:usesInstrument ?instrument ; lc:community ?community .
  ?instrument lc:originSector ?sector }""",
        "Q3_optional_filter": """SELECT ?case ?experience ?rating WHERE {
  ?case a lc:Case ; lc:inPhase lcc:phase-execute .
  OPTIONAL { ?experience lc:inCase ?case ; lc:rating ?rating }
  FILTER(!BOUND(?rating) || ?rating >= 4) }""",
        "Q4a_contains": """SELECT ?s ?label WHERE {
  ?s skos:prefLabel ?label . FILTER(LANG(?label) = "nl" && CONTAINS(LCASE(?label), "samen")) }""",
        "Q4b_regex": """SELECT ?s ?text WHERE {
  ?s lc:purpose ?text . FILTER(LANG(?text) = "en" && REGEX(?text, "learn.*work", "i")) }""",
        "Q5_groupby": """SELECT ?sector (COUNT(DISTINCT ?case) AS ?cases) WHERE {
  ?case a lc:Case ; lc:inSector ?sector } GROUP BY ?sector""",
        "Q6_path": """SELECT ?x ?type WHERE {
  ?x rdf:type ?type . ?type rdfs:subClassOf* lc:Instrument }""",
        "Q7_orderby_limit": """SELECT ?e ?date WHERE {
  ?e a lc:Experience ; dct:date ?date } ORDER BY DESC(?date) ?e LIMIT 10""",
        "Q8_construct": f"""CONSTRUCT {{ {case} ?p ?o . ?o skos:prefLabel ?l }} WHERE {{
  {case} ?p ?o . OPTIONAL {{ ?o skos:prefLabel ?l }} }}""",
        "Q9_provenance": f"""SELECT ?g ?p ?o ?doc ?cite WHERE {{ GRAPH ?g {{
  {case} ?p ?o .
  OPTIONAL {{ ?r rdf:subject {case} ; rdf:predicate ?p ; rdf:object ?o ;
    prov:wasDerivedFrom ?doc ; lc:citation ?cite }} }} }}""",
    }
    return {name: PREFIXES + text for name, text in q.items()}


def is_graph_query(text: str) -> bool:
    """Tell whether a query is a CONSTRUCT (answered as triples)."""
    return "CONSTRUCT" in text.split("WHERE")[0]


# --------------------------------------------------------------------------------------------- systems


def count_answer(response: httpx.Response, graph: bool) -> int:
    """Parse an HTTP answer (SPARQL JSON or N-Triples) and return its rows or triples."""
    if response.status_code != 200:
        raise SystemExit(f"HTTP {response.status_code} from {response.url}: {response.text[:500]}")
    if graph:
        return sum(1 for line in response.text.splitlines() if line.strip())
    return len(response.json()["results"]["bindings"])


class HttpSparql:
    """A SPARQL 1.1 Protocol endpoint queried by POST (form-encoded), keep-alive, from this process."""

    def __init__(self, url: str, graphs: Sequence[str] = ()) -> None:
        self.url = url
        self.client = httpx.Client(timeout=300, trust_env=False)
        self.dataset = [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]

    def run(self, text: str) -> int:
        """Run a query; return its row (or triple) count."""
        graph = is_graph_query(text)
        accept = "application/n-triples" if graph else "application/sparql-results+json"
        body = urlencode([("query", text), *self.dataset])
        headers = {"accept": accept, "content-type": "application/x-www-form-urlencoded"}
        response = self.client.post(self.url, content=body, headers=headers)
        return count_answer(response, graph)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


class BareOxigraph:
    """Bare pyoxigraph over the approved graphs, results fully materialised."""

    def __init__(self, store: ox.Store, graphs: Sequence[str]) -> None:
        self.store = store
        self.graphs = [ox.NamedNode(g) for g in graphs]

    def run(
        self, text: str, default_graph: list[Any] | None = None, named_graphs: list[Any] | None = None
    ) -> int:
        """Run a query; return its row (or triple) count."""
        result = self.store.query(
            text,
            default_graph=default_graph if default_graph is not None else self.graphs,
            named_graphs=named_graphs if named_graphs is not None else self.graphs,
        )
        return _materialise(result)

    def run_union(self, text: str) -> int:
        """Run a query over the union of every graph (``use_default_graph_as_union``); return its rows."""
        result = self.store.query(text, use_default_graph_as_union=True)
        return _materialise(result)


class RdflibDataset:
    """rdflib's in-memory Dataset holding the approved graphs; the default graph is their union."""

    def __init__(self, nquads: Path, graphs: Sequence[str]) -> None:
        from rdflib import Dataset

        wanted = {f"<{g}>" for g in graphs}
        kept = []
        with nquads.open(encoding="utf-8") as lines:
            for line in lines:
                parts = line.rstrip().rsplit(" ", 2)
                if len(parts) == 3 and parts[1] in wanted:
                    kept.append(line)
        self.dataset = Dataset(default_union=True)
        self.dataset.parse(data="".join(kept), format="nquads")

    def run(self, text: str) -> int:
        """Run a query; return its row (or triple) count."""
        return len(list(self.dataset.query(text)))


# --------------------------------------------------------------------------------------------- processes


def rss_mib(pid: int) -> tuple[float, float]:
    """Return (VmRSS, VmHWM) of a process in MiB, from /proc."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def disk_mib(path: Path) -> float:
    """Return the size of the files under ``path`` in MiB."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            total += (Path(folder) / name).stat().st_size
    return total / 2**20


def lcgraph_command() -> list[str]:
    """Return the command that runs the ``lcgraph`` CLI of this interpreter's environment."""
    script = Path(sys.executable).with_name("lcgraph")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from lcgraph.cli import main; main()"]


class OurServer:
    """``lcgraph serve`` in a child process over ``home``; ``start`` returns the seconds to ``/readyz``."""

    def __init__(self, home: Path, *, search: bool, env: dict[str, str] | None = None, log: Path) -> None:
        self.home = home
        self.search = search
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 600.0) -> float:
        """Start the server and wait until it is ready; return the seconds that took."""
        env = {
            **os.environ,
            "LCGRAPH_HOME": str(self.home),
            # the policy stays on; the cap only lets Q2-sized answers through at 10^6
            "LCGRAPH_QUERY_ROW_CAP": "200000",
            "LCGRAPH_QUERY_TIMEOUT_S": "120",
            **self.extra_env,
        }
        command = [*lcgraph_command(), "serve", "--port", str(self.port)]
        if not self.search:
            command.append("--no-search")
        with self.log_path.open("ab") as out:
            started = time.perf_counter()
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = started + timeout_s
        with httpx.Client(timeout=2, trust_env=False) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(
                        f"lcgraph serve exited with {self.process.returncode}; see {self.log_path}"
                    )
                try:
                    if client.get(self.url + "/readyz").status_code == 200:
                        return time.perf_counter() - started
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        self.stop()
        raise SystemExit(f"lcgraph serve was not ready within {timeout_s:.0f} s; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def public_nquads(nquads: Path, approved: Sequence[str]) -> Path:
    """Write (once) the N-Quads of the approved graphs only, beside ``nquads``; return its path."""
    target = nquads.with_name(nquads.stem + "-public.nq")
    if target.exists():
        return target
    wanted = {f"<{g}>" for g in approved}
    tmp = target.with_suffix(".tmp")
    with nquads.open(encoding="utf-8") as lines, tmp.open("w", encoding="utf-8") as out:
        for line in lines:
            parts = line.rstrip().rsplit(" ", 2)
            if len(parts) == 3 and parts[1] in wanted:
                out.write(line)
    tmp.replace(target)
    return target


def load_store(nquads: Path, directory: Path) -> float:
    """Bulk-load the N-Quads file into a new on-disk store at ``directory``; return the seconds.

    A public mirror beside it (``store-public``, from an earlier run) is deleted too: the data files carry
    the revision token they were written with, so a mirror left over from the same data would count as
    current and the first start would not build it, which is what that start is meant to measure.
    """
    if directory.exists():
        shutil.rmtree(directory)
    mirror = directory.with_name(directory.name + "-public")
    shutil.rmtree(mirror, ignore_errors=True)
    mirror.with_name(mirror.name + ".json").unlink(missing_ok=True)
    directory.mkdir(parents=True)
    started = time.perf_counter()
    store = ox.Store(str(directory))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    store.optimize()
    del store
    gc.collect()
    return time.perf_counter() - started


# --------------------------------------------------------------------------------------------- REST


Recorded = tuple[str, str, dict[str, Any]]
"""A query a ``KnowledgeGraph`` issued: which store ("public" mirror or "main"), its text, its dataset."""


class RecordingStore:
    """Wraps a ``GraphStore`` and records the queries it is asked into a shared list."""

    def __init__(self, inner: Any, where: str, recorded: list[Recorded]) -> None:
        self.inner = inner
        self.where = where
        self.recorded = recorded

    def query(self, sparql: str, **kwargs: Any) -> Any:
        self.recorded.append((self.where, sparql, dict(kwargs)))
        return self.inner.query(sparql, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@dataclass
class RestPage:
    """One REST read: its path, the in-process call, and the SPARQL it issues with warm caches."""

    name: str
    path: str
    call: Callable[[], object]
    queries: list[Recorded]


def open_kg(home: Path) -> tuple[Any, float]:
    """Open a ``KnowledgeGraph`` on ``home/store`` in process (building its mirror); return it, seconds."""
    from kg.config import Settings
    from kg.graph import KnowledgeGraph

    started = time.perf_counter()
    kg = KnowledgeGraph.open(Settings(home=home, search_enabled=False, sparql_isolation="thread"))
    return kg, time.perf_counter() - started


def rest_pages(kg: Any, samples: dict[str, str]) -> list[RestPage]:
    """Build the REST reads and record the queries each issues once the caches are warm."""
    recorded: list[Recorded] = []
    kg.store = RecordingStore(kg.store, "main", recorded)
    kg.mirror.store = RecordingStore(kg.mirror.store, "public", recorded)
    pages = []
    for name, path, call in (
        ("instrument (most used)", f"/instruments/{samples['instrument_head']}", kg.instrument),
        ("instrument (mid)", f"/instruments/{samples['instrument_mid']}", kg.instrument),
        ("case", f"/cases/{samples['case']}", kg.case),
    ):
        slug = path.rsplit("/", 1)[1]
        call(slug)  # warms the label and visibility caches
        recorded.clear()
        call(slug)
        pages.append(RestPage(name, path, lambda call=call, slug=slug: call(slug), list(recorded)))
    kg.store, kg.mirror.store = kg.store.inner, kg.mirror.store.inner
    return pages


# --------------------------------------------------------------------------------------------- measuring


@dataclass
class Series:
    """Latencies (seconds) and the row count of one query on one system."""

    times: list[float] = field(default_factory=list)
    rows: int | None = None

    def pct(self, p: float) -> float:
        """Return a percentile in ms (nearest rank)."""
        ordered = sorted(self.times)
        k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[k] * 1000

    @property
    def median(self) -> float:
        return statistics.median(self.times) * 1000


@dataclass
class SizeResult:
    """Everything measured at one size."""

    size: int
    counts: dict[str, Any]
    load_s: float
    startup_s: list[float]
    oxigraph_startup_s: float
    sparql: dict[str, dict[str, Series]]
    rest: dict[str, dict[str, Series]]
    memory: dict[str, float]
    disk_mib: float
    rdflib_load_s: float
    loadavg: tuple[str, str]
    rounds: int


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """Call ``fn`` and return (seconds, its result)."""
    started = time.perf_counter()
    rows = fn()
    return time.perf_counter() - started, rows


def interleave(
    runners: dict[str, Callable[[], int]], rounds: int, series: dict[str, Series], budget: dict[str, float]
) -> None:
    """Run every system ``rounds`` times, rotating the order each round; round 0 only warms up.

    A system named in ``budget`` stops once its counted time exceeds the budget (seconds).
    """
    names = list(runners)
    for r in range(rounds + 1):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            s = series.setdefault(name, Series())
            if name in budget and r > 1 and sum(s.times) > budget[name]:
                continue
            seconds, rows = timed(runners[name])
            if s.rows is None:
                s.rows = rows
            elif s.rows != rows:
                raise SystemExit(f"{name} returned {rows} rows, earlier {s.rows}")
            if r > 0:
                s.times.append(seconds)


def check_rows(query: str, series: dict[str, Series]) -> None:
    """Stop the run when the systems disagree on a query's row count."""
    counts = {name: s.rows for name, s in series.items()}
    if len(set(counts.values())) != 1:
        raise SystemExit(f"row counts differ on {query}: {counts}")


def measure_size(
    size: int, workdir: Path, rounds: int, starts: int, seed: int, use_rdflib: bool
) -> SizeResult:
    """Generate (or reuse) the data set of ``size`` triples and measure every system on it."""
    loadavg_start = Path("/proc/loadavg").read_text().split()[0]
    nquads, meta = cached(size, workdir / "data", seed=seed)
    counts: dict[str, Any] = dict(meta["counts"])  # type: ignore[call-overload]
    samples: dict[str, str] = dict(meta["samples"])  # type: ignore[call-overload]
    approved: list[str] = list(meta["approved"])  # type: ignore[call-overload]
    base = workdir / f"run-{size}"
    public = public_nquads(nquads, approved)
    log(f"{size}: {counts['quads']} quads; loading four stores ...")
    load_s = load_store(nquads, base / "ours" / "store")
    load_store(public, base / "oxigraph")
    load_store(public, base / "bare")
    load_store(nquads, base / "kg" / "store")
    disk = disk_mib(base / "ours" / "store")
    server_log = base / "server.log"

    # start-up: the first start builds the public mirror; the first starts are stopped again, the last
    # one serves the queries
    startup = []
    ours = OurServer(base / "ours", search=False, log=server_log)
    for i in range(starts):
        startup.append(ours.start())
        if i < starts - 1:
            ours.stop()
    mirror_disk = disk_mib(base / "ours" / "store-public")
    log(f"{size}: our server ready in {startup[0]:.2f} s (first start), all: {startup}")
    oxi = OxigraphServer(
        base / "oxigraph", log_path=base / "oxigraph.log", startup_s=120, union_default_graph=True
    )
    started = time.perf_counter()
    oxi.start()
    oxi_startup = time.perf_counter() - started
    bare_store = ox.Store(str(base / "bare"))
    kg, mirror_build_s = open_kg(base / "kg")
    log(f"{size}: in-process KnowledgeGraph open (mirror built) in {mirror_build_s:.1f} s")
    rdflib_load_s = 0.0
    rdflib_mib = 0.0
    rdf: RdflibDataset | None = None
    if use_rdflib:
        before = rss_mib(os.getpid())[0]
        started = time.perf_counter()
        rdf = RdflibDataset(nquads, approved)
        rdflib_load_s = time.perf_counter() - started
        gc.collect()
        rdflib_mib = rss_mib(os.getpid())[0] - before
        log(f"{size}: rdflib loaded in {rdflib_load_s:.1f} s (+{rdflib_mib:.0f} MiB)")

    try:
        our_http = HttpSparql(ours.url + "/sparql")
        oxi_http = HttpSparql(oxi.url + "/query")
        bare = BareOxigraph(bare_store, [])
        listed = BareOxigraph(kg.store._store, approved)
        sparql: dict[str, dict[str, Series]] = {}
        for name, text in queries(samples).items():
            runners: dict[str, Callable[[], int]] = {
                "ours": lambda t=text: our_http.run(t),
                "oxigraph-server": lambda t=text: oxi_http.run(t),
                "pyoxigraph": lambda t=text: bare.run_union(t),
            }
            if rdf is not None:
                runners["rdflib"] = lambda t=text: rdf.run(t)  # type: ignore[union-attr]
            runners["pyoxigraph-list"] = lambda t=text: listed.run(t)
            series: dict[str, Series] = {}
            budget = {name: BUDGET_S for name in runners} | {"rdflib": RDFLIB_BUDGET_S}
            interleave(runners, rounds, series, budget)
            check_rows(name, series)
            sparql[name] = series
            log(
                f"{size}: {name}: {series['ours'].rows} rows; "
                + ", ".join(f"{k} {v.median:.2f} ms" for k, v in series.items())
            )

        pages = rest_pages(kg, samples)
        rest: dict[str, dict[str, Series]] = {}
        with httpx.Client(base_url=ours.url, timeout=300, trust_env=False) as client:
            for page in pages:

                def http(path: str = page.path) -> int:
                    response = client.get(path)
                    if response.status_code != 200:
                        raise SystemExit(f"GET {path}: {response.status_code} {response.text[:300]}")
                    return len(response.json())

                def replay_main(q: str, kwargs: dict[str, Any]) -> int:
                    # a read of the whole store (none expected with warm caches): the same store in process
                    return _materialise(kg.store._store.query(q, **_ox_kwargs(kwargs)))

                def bare_sparql(p: RestPage = page) -> int:
                    return sum(
                        bare.run_union(q) if where == "public" else replay_main(q, kw)
                        for where, q, kw in p.queries
                    )

                def oxi_sparql(p: RestPage = page) -> int:
                    return sum(
                        oxi_http.run(q) if where == "public" else replay_main(q, kw)
                        for where, q, kw in p.queries
                    )

                def in_process(p: RestPage = page) -> int:
                    p.call()
                    return 0

                series = {}
                interleave(
                    {
                        "REST over HTTP": http,
                        "bare SPARQL (pyoxigraph)": bare_sparql,
                        "bare SPARQL (oxigraph-server)": oxi_sparql,
                        "KnowledgeGraph in process": in_process,
                    },
                    rounds,
                    series,
                    {},
                )
                series["_queries"] = Series(rows=len(page.queries))
                rest[f"{page.name}: GET {page.path}"] = series
                log(
                    f"{size}: {page.path}: "
                    + ", ".join(f"{k} {v.median:.2f} ms" for k, v in series.items() if v.times)
                )
        our_rss, our_hwm = rss_mib(ours.pid)
        assert oxi.pid is not None
        oxi_rss, oxi_hwm = rss_mib(oxi.pid)
        memory = {
            "ours RSS": our_rss,
            "ours peak": our_hwm,
            "oxigraph-server RSS": oxi_rss,
            "oxigraph-server peak": oxi_hwm,
            "rdflib (growth of this process)": rdflib_mib,
            "mirror build s": mirror_build_s,
            "mirror disk": mirror_disk,
        }
        our_http.close()
        oxi_http.close()
    finally:
        ours.stop()
        oxi.stop()
        kg.close()
        del bare_store
        rdf = None
        gc.collect()
    return SizeResult(
        size=size,
        counts=counts,
        load_s=load_s,
        startup_s=startup,
        oxigraph_startup_s=oxi_startup,
        sparql=sparql,
        rest=rest,
        memory=memory,
        disk_mib=disk,
        rdflib_load_s=rdflib_load_s,
        loadavg=(loadavg_start, Path("/proc/loadavg").read_text().split()[0]),
        rounds=rounds,
    )


# --------------------------------------------------------------------------------------------- report


def fmt(ms: float) -> str:
    """Format milliseconds with sensible precision."""
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def cell(s: Series | None) -> str:
    """Render ``median (p95 / p99) [n]``."""
    if s is None or not s.times:
        return "–"
    return f"{fmt(s.median)} ({fmt(s.pct(95))} / {fmt(s.pct(99))}) [{len(s.times)}]"


def label(size: int) -> str:
    """Render a size as a power of ten."""
    exponent = len(str(size)) - 1
    return f"10^{exponent}" if size == 10**exponent else f"{size:,}"


def render_size(r: SizeResult) -> list[str]:
    """Render the tables of one size."""
    c = r.counts
    out = [
        f"## {label(r.size)} triples",
        "",
        f"{c['quads']:,} quads in {c['graphs']} graphs ({c['approved graphs']} approved): "
        f"{c['instruments']:,} instruments, {c['cases']:,} cases, {c['communities']:,} communities, "
        f"{c['organisations']:,} organisations, {c['experiences']:,} experiences, {c['chunks']:,} chunks. "
        f"Load average at start / end: {r.loadavg[0]} / {r.loadavg[1]}. {r.rounds} rounds.",
        "",
        "### SPARQL: median (p95 / p99) ms [runs]",
        "",
        "| query | rows | ours `/sparql` | oxigraph-server | pyoxigraph | rdflib | ours / oxigraph-server "
        "| ours / pyoxigraph | pyoxigraph, graph list over the whole store (our way before the mirror) |",
        "|---|---:|---|---|---|---|---:|---:|---|",
    ]
    for name, series in r.sparql.items():
        ours, oxi, bare = series["ours"], series["oxigraph-server"], series["pyoxigraph"]
        listed = series.get("pyoxigraph-list")
        list_cell = "–" if listed is None else f"{cell(listed)}, {listed.median / ours.median:.1f}x ours"
        out.append(
            f"| {name} | {ours.rows:,} | {cell(ours)} | {cell(oxi)} | {cell(bare)} "
            f"| {cell(series.get('rdflib'))} "
            f"| **{ours.median / oxi.median:.2f}** | {ours.median / bare.median:.1f} | {list_cell} |"
        )
    out += [
        "",
        "### REST reads against the SPARQL that answers them: median (p95 / p99) ms [runs]",
        "",
        "| page | queries | REST over HTTP | bare SPARQL, pyoxigraph | bare SPARQL, oxigraph-server | "
        "KnowledgeGraph in process | REST / bare pyoxigraph | REST / bare oxigraph-server |",
        "|---|---:|---|---|---|---|---:|---:|",
    ]
    for name, series in r.rest.items():
        rest, bare, oxi = (
            series["REST over HTTP"],
            series["bare SPARQL (pyoxigraph)"],
            series["bare SPARQL (oxigraph-server)"],
        )
        out.append(
            f"| {name} | {series['_queries'].rows} | {cell(rest)} | {cell(bare)} | {cell(oxi)} "
            f"| {cell(series['KnowledgeGraph in process'])} | **{rest.median / bare.median:.2f}** "
            f"| {rest.median / oxi.median:.2f} |"
        )
    m = r.memory
    later = r.startup_s[1:]
    later_cell = f"{statistics.median(later):.2f} ({', '.join(f'{s:.2f}' for s in later)})" if later else "–"
    out += [
        "",
        "### Load, start-up, memory, disk",
        "",
        "| what | value |",
        "|---|---:|",
        f"| bulk load into an on-disk store (s) | {r.load_s:.2f} |",
        f"| disk use of the store (MiB) | {r.disk_mib:.0f} |",
        f"| disk use of the public mirror beside it (MiB) | {m.get('mirror disk', 0):.0f} |",
        f"| our server (`lcgraph serve --no-search`) ready, first start after the bulk load (builds the "
        f"public mirror), s | {r.startup_s[0]:.2f} |",
        f"| our server ready, later starts (mirror current), median s (each start) | {later_cell} |",
        f"| `KnowledgeGraph.open` in process on another copy, building its mirror, s "
        f"| {m.get('mirror build s', 0):.2f} |",
        f"| oxigraph server answering, s | {r.oxigraph_startup_s:.2f} |",
        f"| our server RSS after the queries / peak (MiB) | {m['ours RSS']:.0f} / {m['ours peak']:.0f} |",
        f"| oxigraph server RSS / peak (MiB) | {m['oxigraph-server RSS']:.0f} "
        f"/ {m['oxigraph-server peak']:.0f} |",
        f"| rdflib Dataset: load s / memory MiB | {r.rdflib_load_s:.1f} "
        f"/ {m['rdflib (growth of this process)']:.0f} |",
        "",
    ]
    return out


def machine() -> str:
    """Describe the machine and the software versions."""
    import rdflib

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, pyoxigraph {ox.__version__}, "
        f"rdflib {rdflib.__version__}, generator v{GENERATOR_VERSION}"
    )


def targets(results: list[SizeResult]) -> list[str]:
    """Check the issue's targets at the largest size measured."""
    r = max(results, key=lambda x: x.size)
    worst = max(r.sparql.items(), key=lambda kv: kv[1]["ours"].median / kv[1]["oxigraph-server"].median)
    ratio = worst[1]["ours"].median / worst[1]["oxigraph-server"].median
    rest_worst = max(
        r.rest.items(),
        key=lambda kv: kv[1]["REST over HTTP"].median / kv[1]["bare SPARQL (pyoxigraph)"].median,
    )
    rest_ratio = rest_worst[1]["REST over HTTP"].median / rest_worst[1]["bare SPARQL (pyoxigraph)"].median
    start = statistics.median(r.startup_s[1:] or r.startup_s)

    def verdict(ok: bool) -> str:
        return "**pass**" if ok else "**FAIL**"

    return [
        f"## Targets at {label(r.size)} triples",
        "",
        "| target | measured | verdict |",
        "|---|---|---|",
        f"| `/sparql` median <= {SPARQL_TARGET}x the oxigraph server on every query | worst {ratio:.2f}x "
        f"({worst[0]}) | {verdict(ratio <= SPARQL_TARGET)} |",
        f"| REST reads <= {REST_TARGET}x the bare SPARQL that answers them | worst {rest_ratio:.2f}x "
        f"({rest_worst[0]}) | {verdict(rest_ratio <= REST_TARGET)} |",
        f"| server ready < {STARTUP_TARGET_S:.0f} s (graph only, no search; mirror current) "
        f"| {start:.2f} s | "
        f"{verdict(start < STARTUP_TARGET_S)} |",
        f"| RSS < 2 GiB (graph only; with search see below) | {r.memory['ours peak']:.0f} MiB peak | "
        f"{verdict(r.memory['ours peak'] < RSS_TARGET_MIB)} |",
        "",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the suite and write the markdown report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated triple counts")
    parser.add_argument(
        "--rounds", type=int, default=None, help="counted rounds per query (default 20; --quick 5)"
    )
    parser.add_argument(
        "--starts", type=int, default=None, help="server starts per size (default 3; --quick 1)"
    )
    parser.add_argument("--quick", action="store_true", help="10^4 only, few rounds: a smoke run")
    parser.add_argument("--no-rdflib", action="store_true", help="leave rdflib out")
    parser.add_argument("--search", action="store_true", help="also start with search enabled (largest size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="data and stores (default: a temporary dir)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds = args.rounds or (5 if args.quick else 20)
    starts = args.starts or (1 if args.quick else 3)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lcgraph-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"work directory {workdir}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    results = [measure_size(size, workdir, rounds, starts, args.seed, not args.no_rdflib) for size in sizes]
    lines = [
        "# Graph reads: ours against the bare engines",
        "",
        f"Written by `python -m bench.graph_suite {' '.join(argv if argv is not None else sys.argv[1:])}` "
        f"on {time.strftime('%Y-%m-%d %H:%M')}: {machine()}.",
        "All systems are measured in one run on the same data and queries, interleaved per round; "
        "HTTP rows include the client's JSON parsing. See the module docstring for the method.",
        "",
    ]
    lines += targets(results)
    for r in results:
        lines += render_size(r)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")  # written now: the search part may fail
    if args.search:
        from bench.graph_search import search_startup

        try:
            lines += search_startup(max(sizes), workdir, args.seed)
        except (Exception, SystemExit) as exc:  # report it with the rest rather than lose the run
            lines += ["## Start-up and memory with search enabled", "", f"Failed: {exc}"[:3000], ""]
        args.out.write_text("\n".join(lines), encoding="utf-8")
    (args.out.with_suffix(".json")).write_text(
        json.dumps(
            [
                {
                    "size": r.size,
                    "counts": r.counts,
                    "sparql": {q: {k: v.times for k, v in s.items()} for q, s in r.sparql.items()},
                    "rest": {q: {k: v.times for k, v in s.items()} for q, s in r.rest.items()},
                    "startup_s": r.startup_s,
                    "memory": r.memory,
                    "disk_mib": r.disk_mib,
                }
                for r in results
            ]
        ),
        encoding="utf-8",
    )
    print("\n".join(lines))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


def _ox_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Translate ``GraphStore.query`` keyword arguments into pyoxigraph's."""
    out: dict[str, Any] = {}
    if kwargs.get("default_graph") is not None:
        out["default_graph"] = list(kwargs["default_graph"])
    if kwargs.get("named_graphs") is not None:
        out["named_graphs"] = list(kwargs["named_graphs"])
    if kwargs.get("union_default_graph"):
        out["use_default_graph_as_union"] = True
    return out


def _materialise(result: ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean) -> int:
    """Read every value of every row (as an HTTP answer must) and return the row count."""
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        n = 0
        for solution in result:
            for name in names:
                solution[name]
            n += 1
        return n
    if isinstance(result, ox.QueryBoolean):
        return 1
    return sum(1 for _ in result)


if __name__ == "__main__":
    main()
