"""Search latency over HTTP at 10^4 entities and 10^5 chunks, next to the bare encoder and faiss, in one run.

The corpus is synthetic and generated in memory: ``--entities`` instruments, cases and communities (Dutch and
English texts drawn from the word frequencies of the catalog's descriptions, names, facets with real concept
ids) and ``--chunks`` document chunks. Their vectors are not encoded (10^5 chunks take hours with e5 on 2
cores) but generated: each mixes two real passage vectors (catalog descriptions encoded with the
real models at start) plus noise, unit length, preloaded into the engine so that its sync encodes nothing.
The queries are the query texts of the evaluation set (Dutch and English, all distinct), encoded by the real
``joined`` model (e5 + USE) as the server does: a query that arrives alone on the idle thread count
(``search_query_idle_threads``, 2), a batch of concurrent queries on the busy count (``search_query_threads``,
1).

Measured in one run, on the same queries, each after a few warm-up queries that are not counted:

1. the bare encoder, one query at a time (``encode_queries([q], threads=n)``), on the busy and on the idle
   thread count; the faster of the two is the baseline of every ratio (what the bare encoder reaches);
2. the bare indexes: faiss over the entity vectors (top 100, and all of them, as ``/search`` ranks) and over
   the chunk vectors (top 3); BM25 with name matching over all entities; the concept matcher; the engine's
   whole scoring; and the whole search in process with the query vector cached (no encoder, no HTTP);
3. ``GET /search?q=...&limit=10&passages=3`` over HTTP to a uvicorn server on 127.0.0.1 in this process, with
   1 client and with 8 concurrent clients, each query sent once, with an empty query cache (every query is
   new to the server). The clients run in a separate process, so they do not take the server's GIL;
4. the same with the query cache warm (every query asked before): the cache effect, labelled as such.

Targets (from the issue): with one client, p99 under 100 ms; with 8 clients, at least 0.8 x the queries/s of
the bare encoder on the same queries. ``cpu/wall`` is the CPU time of this process (the server) over the
wall time of a row: about 1.0 is one busy core, 2.0 both. ``others`` is the CPUs other programs kept busy
meanwhile (from /proc/stat, without the HTTP clients): a benchmark on 2 cores is only valid on a quiet
machine, so each row first waits up to ``--idle-wait`` seconds for one, and a disturbed row shows.

Usage: python -m bench.search_latency [--entities N] [--chunks N] [--queries N] [--clients N] [--quick]
       [--seed N] [--idle-wait SECONDS] [--query-threads N] [--query-idle-threads N]
       [--query-processes N] [--out FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from bench.encoder_throughput import wait_for_idle
from kg.model import Label
from kg.search.concepts import ConceptMatcher
from kg.search.documents import ChunkDoc, EntityDoc
from kg.search.engine import CANDIDATE_POOL, DocumentSource

ROOT: Final = Path(__file__).resolve().parents[1]
CATALOG_FILES: Final = tuple(
    ROOT / "kg" / "catalog" / name for name in ("instruments_a.yaml", "instruments_b.yaml", "cases.yaml")
)
DEFAULT_OUT: Final = ROOT / "bench" / "results" / "search.md"
CODE_DIRS: Final = ("kg", "api")
"""The code a search request runs through (for the version line of the report)."""
ID_BASE: Final = "https://w3id.org/lcgraph/id/"
DOCUMENT_BASE: Final = "https://w3id.org/lcgraph/graph/document/syn"
LIMIT: Final = 10
PASSAGES: Final = 3
CACHE_SIZE: Final = 2048
P99_TARGET_MS: Final = 100.0
CONCURRENT_TARGET: Final = 0.8
FACET_PREFIXES: Final = {
    "sector": "sector-",
    "phase": "phase-",
    "role": "role-",
    "practice": "practice-",
    "challenge": "challenge-",
    "value_type": "value-cycle-",
    "level": "outcome-level-",
    "kind": "instrument-kind-",
    "form": "lc-form-",
}
FACETS_BY_TYPE: Final[dict[str, dict[str, tuple[int, int]]]] = {
    # facet -> (fewest, most) concept ids per entity, roughly as in the catalog
    "instrument": {"phase": (1, 2), "role": (1, 3), "kind": (1, 1), "sector": (0, 2), "practice": (0, 1)},
    "case": {
        "sector": (1, 2),
        "phase": (1, 1),
        "role": (1, 2),
        "value_type": (1, 2),
        "level": (1, 1),
        "challenge": (0, 1),
        "practice": (1, 2),
    },
    "community": {"sector": (1, 2), "form": (1, 1), "practice": (1, 2), "challenge": (0, 1)},
}
TYPE_WEIGHTS: Final = {"instrument": 0.5, "case": 0.35, "community": 0.15}
_WORD: Final = re.compile(r"[^\W\d_][\w'-]*")

# --------------------------------------------------------------------------------------------- corpus


def catalog_texts() -> dict[str, list[str]]:
    """Return every Dutch and English prose text of the catalog (descriptions, purposes), per language."""
    out: dict[str, list[str]] = {"nl": [], "en": []}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if set(node) == {"nl", "en"} and all(isinstance(v, str) for v in node.values()):
                for lang in ("nl", "en"):
                    if len(node[lang]) > 80:
                        out[lang].append(" ".join(node[lang].split()))
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in CATALOG_FILES:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return out


def prose(rng: random.Random, words: Sequence[str], count: int) -> str:
    """Return ``count`` words drawn from ``words`` (so with their frequencies) as sentences of 6-16 words."""
    sentences = []
    while count > 0:
        size = min(count, rng.randint(6, 16))
        picked = rng.choices(words, k=size)
        sentences.append(" ".join([picked[0].capitalize(), *picked[1:]]) + ".")
        count -= size
    return " ".join(sentences)


def facet_ids(concepts: Sequence[str]) -> dict[str, list[str]]:
    """Return the real concept ids of every facet, e.g. ``sector`` -> ``[sector-care-welfare, ...]``."""
    out: dict[str, list[str]] = {}
    for facet, prefix in FACET_PREFIXES.items():
        ids = sorted(c for c in concepts if c.startswith(prefix) and not c.startswith("phase-basis"))
        if not ids:
            raise SystemExit(f"no concepts for facet {facet!r}: is the concept scheme loaded?")
        out[facet] = ids
    return out


def make_entities(
    n: int, words: dict[str, list[str]], facets: dict[str, list[str]], rng: random.Random
) -> list[EntityDoc]:
    """Generate ``n`` entities: most in Dutch and English, a few in one language; names end in a number."""
    kinds = rng.choices(list(TYPE_WEIGHTS), weights=list(TYPE_WEIGHTS.values()), k=n)
    docs = []
    for i, kind in enumerate(kinds):
        name = Label(
            nl=f"{rng.choice(words['nl']).capitalize()} {rng.choice(words['nl'])} {i:05d}",
            en=f"{rng.choice(words['en']).capitalize()} {rng.choice(words['en'])} {i:05d}",
        )
        roll = rng.random()
        langs = ("nl",) if roll < 0.05 else ("en",) if roll < 0.1 else ("nl", "en")
        texts = {
            lang: f"{getattr(name, lang)}. {prose(rng, words[lang], rng.randint(35, 70))}" for lang in langs
        }
        chosen = {
            facet: frozenset(rng.sample(facets[facet], rng.randint(low, min(high, len(facets[facet])))))
            for facet, (low, high) in FACETS_BY_TYPE[kind].items()
        }
        entity_id = f"{kind}/syn-{i:05d}"
        docs.append(
            EntityDoc(
                id=entity_id,
                iri=ID_BASE + entity_id,
                type=kind,
                name=name,
                names=tuple(dict.fromkeys(v for v in (name.nl, name.en) if v)),
                texts=texts,
                facets={facet: ids for facet, ids in chosen.items() if ids},
            )
        )
    return docs


def make_chunks(n: int, words: dict[str, list[str]], rng: random.Random) -> list[ChunkDoc]:
    """Generate ``n`` chunks of 40-90 words in documents of about 50 chunks (70% Dutch documents)."""
    chunks = []
    document, lang, line = -1, "nl", 1
    for i in range(n):
        if i % 50 == 0:
            document += 1
            lang = "nl" if rng.random() < 0.7 else "en"
            line = 1
        size = rng.randint(40, 90)
        lines = 1 + size // 12
        chunks.append(
            ChunkDoc(
                id=f"{DOCUMENT_BASE}/chunk/{i}",
                document=f"{DOCUMENT_BASE}-{document:05d}",
                title=f"Synthetisch document {document}",
                text=prose(rng, words[lang], size),
                lang=lang,
                line_start=line,
                line_end=line + lines - 1,
            )
        )
        line += lines + 1
    return chunks


class SyntheticSource(DocumentSource):
    """Generated entities and chunks; concept labels and matcher from the real concept scheme."""

    def __init__(
        self,
        entities: list[EntityDoc],
        chunks: list[ChunkDoc],
        labels: dict[str, Label],
        matcher: ConceptMatcher,
    ) -> None:
        self._entities = entities
        self._chunks = chunks
        self._labels = labels
        self._matcher = matcher

    def entities(self) -> list[EntityDoc]:
        return list(self._entities)

    def chunks(self) -> list[ChunkDoc]:
        return list(self._chunks)

    def concept_labels(self) -> dict[str, Label]:
        return dict(self._labels)

    def concept_matcher(self) -> ConceptMatcher:
        return self._matcher


# --------------------------------------------------------------------------------------------- vectors


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix`` as float32 rows of unit length."""
    out = np.ascontiguousarray(matrix, dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def mixed_vectors(base: np.ndarray, n: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` unit vectors ``m + (a - m) + 0.5 (b - m) + noise``, ``a`` and ``b`` rows of ``base``.

    ``m`` is the mean of ``base`` (real passage vectors) and the noise has length about ``noise``. Mixing
    around the mean keeps the real vectors' geometry: the query cosines spread as they do over real
    catalog texts (checked for the joined vectors: standard deviation 0.055 against 0.054, and about the
    same share within 0.15 of the best), without the vectors being copies of the real ones.
    """
    mean = base.mean(axis=0)
    centred = base - mean
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    scale = np.float32(noise / np.sqrt(base.shape[1]))
    for start in range(0, n, 8192):
        size = min(8192, n - start)
        picks = rng.integers(len(base), size=(size, 2))
        block = mean + centred[picks[:, 0]] + centred[picks[:, 1]] * np.float32(0.5)
        block += rng.standard_normal(block.shape, dtype=np.float32) * scale
        out[start : start + size] = unit_rows(block)
    return out


def entity_vectors(
    docs: Sequence[EntityDoc], base: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Return the ids (as the engine's sync names them) and vectors of every entity text.

    The Dutch and English vectors of one entity lie close together, as a multilingual encoder puts them.
    """
    core = mixed_vectors(base, len(docs), 0.3, rng)
    ids: list[str] = []
    rows: list[int] = []
    for row, doc in enumerate(docs):
        for lang in doc.texts:
            ids.append(f"{doc.id}|{lang}|{doc.digest(lang)}")
            rows.append(row)
    scale = np.float32(0.3 / np.sqrt(base.shape[1]))
    vectors = core[rows] + rng.standard_normal((len(rows), base.shape[1]), dtype=np.float32) * scale
    return ids, unit_rows(vectors)


def chunk_vectors(
    chunks: Sequence[ChunkDoc], base: np.ndarray, rng: np.random.Generator
) -> tuple[list[str], np.ndarray]:
    """Return the ids (as the engine's sync names them) and vectors of every chunk."""
    return [f"{c.id}|{c.digest()}" for c in chunks], mixed_vectors(base, len(chunks), 0.3, rng)


# --------------------------------------------------------------------------------------------- measuring


@dataclass
class Row:
    """One measured line of the report: per-query latencies and the wall and CPU time of the whole run."""

    name: str
    latencies: list[float]
    wall: float
    cpu: float | None = None
    others: float | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def ms(self, percentile: float) -> float:
        """Return a latency percentile in milliseconds."""
        return float(np.percentile(self.latencies, percentile)) * 1000.0

    @property
    def qps(self) -> float:
        """Queries per second over the whole run."""
        return len(self.latencies) / self.wall

    @property
    def cpu_per_wall(self) -> float | None:
        """CPU seconds of this process per wall second (None when not measured)."""
        return None if self.cpu is None else self.cpu / self.wall


def cpu_jiffies() -> tuple[int, int]:
    """Return the machine's (busy, total) CPU time so far, in jiffies of all CPUs (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:9]]  # guest time is already in user time
    return sum(fields) - fields[3] - fields[4], sum(fields)  # idle and iowait are not busy


class LoadMeter:
    """Measure, from creation to :meth:`read`, the wall time, this process's CPU time, and the other load.

    The other load is the number of CPUs the rest of the machine kept busy meanwhile (all busy CPU time
    minus this process's, per wall second): clearly above 0 means another program took CPU from the row.
    :meth:`start` first waits up to :attr:`idle_wait` seconds for the machine to be idle.
    """

    idle_wait: float = 0.0
    """Seconds to wait at most for an idle machine before each measurement."""

    @classmethod
    def start(cls) -> LoadMeter:
        """Wait (up to :attr:`idle_wait` s) until other programs leave the CPUs idle, then start measuring."""
        if cls.idle_wait > 0:
            wait_for_idle(cls.idle_wait, threshold=0.1)
        return cls()

    def __init__(self) -> None:
        self._jiffies = cpu_jiffies()
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def read(self) -> tuple[float, float, float]:
        """Return (wall seconds, this process's CPU seconds, CPUs kept busy by other processes)."""
        wall, cpu = time.perf_counter() - self._wall, time.process_time() - self._cpu
        busy, total = (now - then for now, then in zip(cpu_jiffies(), self._jiffies, strict=True))
        cpus = os.cpu_count() or 1
        machine = cpus * busy / total if total else 0.0
        return wall, cpu, max(0.0, machine - cpu / wall) if wall > 0 else 0.0


def timed_loop(name: str, fn: Callable[[int], object], count: int, warmup: Callable[[], object]) -> Row:
    """Call ``fn(i)`` for every ``i`` in ``range(count)`` in turn, after ``warmup()``; time each call."""
    warmup()
    latencies = []
    meter = LoadMeter.start()
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        latencies.append(time.perf_counter() - start)
    wall, cpu, others = meter.read()
    return Row(name, latencies, wall, cpu, others)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a background thread; yield its URL; always stop it."""
    import httpx
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    url = f"http://127.0.0.1:{port}"
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the benchmark server did not start")
            time.sleep(0.05)
        gc.freeze()  # as the app's lifespan does in `lcgraph serve` (api/app.py)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            print("warning: the benchmark server did not stop within 15 s", file=sys.stderr)


def client_worker(spec: dict[str, Any], ready: Callable[[], None]) -> dict[str, Any]:
    """Send the queries of ``spec`` from ``spec['clients']`` threads, each with its own connection.

    Runs in its own process. Every client first sends its warm-up queries (not timed); then ``ready()`` is
    called, and when it returns all clients start together and take the next unsent query until none is
    left, so each query is sent exactly once. Returns the per-request latencies, the wall time from the
    start to the last answer, the failed requests and the mean response size.
    """
    import httpx

    queries: list[str] = spec["queries"]
    clients: int = spec["clients"]
    params = {"limit": spec["limit"], "passages": spec["passages"]}
    warmed = threading.Barrier(clients + 1)
    go = threading.Event()
    lock = threading.Lock()
    position = 0
    latencies: list[float] = [0.0] * len(queries)
    errors: list[str] = []
    sizes: list[int] = []
    finished: list[float] = []

    def run(warmup: list[str]) -> None:
        nonlocal position
        with httpx.Client(base_url=spec["url"], timeout=300, trust_env=False) as client:
            try:
                for query in warmup:
                    client.get("/search", params={"q": query, **params}).raise_for_status()
            finally:
                warmed.wait()
            go.wait()
            while True:
                with lock:
                    mine, position = position, position + 1
                if mine >= len(queries):
                    break
                start = time.perf_counter()
                response = client.get("/search", params={"q": queries[mine], **params})
                latencies[mine] = time.perf_counter() - start
                if response.status_code != 200:
                    errors.append(f"{response.status_code}: {response.text[:200]}")
                sizes.append(len(response.content))
            finished.append(time.perf_counter())

    warmups: list[str] = spec["warmup"]
    threads = [
        threading.Thread(target=run, args=(warmups[i::clients],), name=f"client-{i}") for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    warmed.wait()
    ready()
    start, cpu = time.perf_counter(), time.process_time()
    go.set()
    for thread in threads:
        thread.join()
    return {
        "cpu": time.process_time() - cpu,
        "latencies": latencies,
        "wall": max(finished) - start if finished else 0.0,
        "errors": errors,
        "bytes": sum(sizes) / max(len(sizes), 1),
    }


def client_main() -> None:
    """The client process: read the spec line, warm up, say ``ready``, wait for ``go``, print the result."""

    def ready() -> None:
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("client: expected 'go'")

    spec = json.loads(sys.stdin.readline())
    print(json.dumps(client_worker(spec, ready)), flush=True)


def http_row(
    name: str,
    url: str,
    queries: list[str],
    warmup: list[str],
    clients: int,
    cache: Callable[[], tuple[int, int, int]],
) -> Row:
    """Run ``clients`` HTTP clients in a fresh process against ``url``; return their latencies as a row.

    ``cpu/wall`` covers the timed part only: this process's CPU time is read when the clients have
    warmed up and again when they are done; so are the query cache's (hits, misses, batches) from ``cache``.
    """
    spec = {
        "url": url,
        "queries": queries,
        "warmup": warmup,
        "clients": clients,
        "limit": LIMIT,
        "passages": PASSAGES,
    }
    command = [sys.executable, "-m", "bench.search_latency", "--client"]
    with subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        try:
            process.stdin.write(json.dumps(spec) + "\n")
            process.stdin.flush()
            line = process.stdout.readline().strip()
            if line != "ready":
                raise SystemExit(f"{name}: the client process failed\n{line}\n{process.stderr.read()}")
            meter = LoadMeter.start()
            cache0 = cache()
            process.stdin.write("go\n")
            process.stdin.flush()
            line = process.stdout.readline()
            cache1 = cache()
            _, cpu, others = meter.read()
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
        if process.returncode != 0 or not line.strip():
            raise SystemExit(f"{name}: the client process failed\n{process.stderr.read()}")
    result = json.loads(line)
    if result["errors"]:
        raise SystemExit(f"{name}: {len(result['errors'])} requests failed, e.g. {result['errors'][0]}")
    hits, misses, batches = (after - before for after, before in zip(cache1, cache0, strict=True))
    notes = {"bytes": result["bytes"], "hits": hits, "misses": misses, "batches": batches}
    others = max(0.0, others - result["cpu"] / result["wall"]) if result["wall"] else others
    return Row(name, result["latencies"], result["wall"], cpu, others, notes)


# --------------------------------------------------------------------------------------------- the run


def log(message: str) -> None:
    """Print a progress line on stderr."""
    print(message, file=sys.stderr, flush=True)


@dataclass
class Bench:
    """Everything one run builds: the store, the models, the engine, the service and the application."""

    kg: Any
    embedder: Any
    engine: Any
    service: Any
    app: Any
    texts: dict[str, list[str]]
    sizes: dict[str, Any]
    seconds: dict[str, float]
    query_threads: tuple[int, int]
    """The query encoder's CPU threads for a lone query and for a batch."""


def build(
    entities: int,
    chunks: int,
    base_texts: int,
    seed: int,
    *,
    query_process: bool,
    query_threads: tuple[int, int],
    query_processes: int = 1,
) -> Bench:
    """Generate the corpus and its vectors, load the real models, sync the engine, build the application."""
    from api.app import create_app
    from kg.config import Settings
    from kg.graph import KnowledgeGraph
    from kg.loading import load_catalog
    from kg.search.embedder import load_embedder
    from kg.search.encoder_process import ProcessEmbedder
    from kg.search.engine import SearchEngine
    from kg.search.graph_source import GraphSource
    from kg.search.index import set_faiss_threads
    from kg.search.service import SearchService

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    settings = Settings(store="memory")
    kg = KnowledgeGraph.open(settings)
    try:
        load_catalog(kg, validate=False)  # the concept scheme: labels, the query concept matcher
        concepts = GraphSource(kg)
        labels, matcher = concepts.concept_labels(), concepts.concept_matcher()
        seconds["store with the concept scheme"] = time.perf_counter() - start

        start = time.perf_counter()
        texts = catalog_texts()
        words = {lang: [w for text in items for w in _WORD.findall(text)] for lang, items in texts.items()}
        rng = random.Random(seed)
        docs = make_entities(entities, words, facet_ids(list(labels)), rng)
        passages = make_chunks(chunks, words, rng)
        seconds["texts generated"] = time.perf_counter() - start
        log(f"generated {len(docs)} entities and {len(passages)} chunks; loading the models ...")

        start = time.perf_counter()
        set_faiss_threads(1)
        embedder = load_embedder("joined", threads=1)
        chunk_embedder = load_embedder("use", threads=1)
        # the bare-encoder baselines run the query encoder's two configurations (a lone query on the idle
        # count, a batch on the busy count), in this process; the encoder caps its threads per call
        idle, busy = query_threads
        most = max(idle, busy)
        bare = embedder if most == 1 else load_embedder("joined", threads=most)
        query_embedder = ProcessEmbedder("joined", threads=most) if query_process else None
        extras = query_processes - 1 if query_process else 0
        extra_query_embedders = [ProcessEmbedder("joined", threads=most) for _ in range(extras)]
        seconds["models loaded (joined, use, query encoder)"] = time.perf_counter() - start

        start = time.perf_counter()
        pool = texts["nl"] + texts["en"]
        rng.shuffle(pool)
        joined_base = embedder.encode_passages(pool[:base_texts])
        use_base = chunk_embedder.encode_passages(pool[: 4 * base_texts])
        seconds[f"real base vectors encoded ({base_texts} joined, {min(4 * base_texts, len(pool))} use)"] = (
            time.perf_counter() - start
        )

        start = time.perf_counter()
        np_rng = np.random.default_rng(seed)
        entity_ids, entity_matrix = entity_vectors(docs, joined_base, np_rng)
        chunk_ids, chunk_matrix = chunk_vectors(passages, use_base, np_rng)
        seconds["vectors generated"] = time.perf_counter() - start

        start = time.perf_counter()
        engine = SearchEngine(
            SyntheticSource(docs, passages, labels, matcher),
            embedder=embedder,
            chunk_embedder=chunk_embedder,
            directory=None,
            cache_size=CACHE_SIZE,
            query_embedder=query_embedder,
            extra_query_embedders=extra_query_embedders,
            query_threads=query_threads,
        )
        engine.preload("entities", entity_ids, entity_matrix)
        engine.preload("chunks", chunk_ids, chunk_matrix)
        del entity_matrix, chunk_matrix
        report = engine.sync()
        if any(report.encoded.values()) or any(report.removed.values()):
            raise SystemExit(f"the sync should encode nothing after the preload, but: {report}")
        service = SearchService(kg, engine, similarity_graph=False)
        app = create_app(settings, kg=kg, search_service=service)
        seconds["engine filled and synced (BM25 built)"] = time.perf_counter() - start
    except BaseException:
        kg.close()
        raise
    where = f"{query_processes} own process(es)" if query_process else "in the server process"
    sizes: dict[str, Any] = {
        "entities": len(docs),
        "entity vectors": len(entity_ids),
        "chunks": len(passages),
        "chunk vectors": engine.counts()["chunks_vectors"],
        "base texts": base_texts,
    }
    sizes["query encoder"] = f"{where}, {idle} thread(s) for a lone query, {busy} for a batch"
    return Bench(kg, bare, engine, service, app, texts, sizes, seconds, query_threads)


def fresh_cache(engine: Any) -> None:
    """Give the engine an empty query cache (a new query encoder), so every query is new to the server."""
    from kg.search.query_encoder import QueryEncoder

    old = engine.queries
    engine.queries = QueryEncoder(
        old.embedder,
        extra_embedders=old.embedders[1:],
        cache_size=CACHE_SIZE,
        idle_threads=old._idle_threads,
        busy_threads=old._busy_threads,
    )
    old.close()


def cache_counters(engine: Any) -> Callable[[], tuple[int, int, int]]:
    """Return a function reading the engine's current query cache (hits, misses, batches encoded)."""

    def read() -> tuple[int, int, int]:
        queries = engine.queries
        return queries.hits, queries.misses, queries.batches

    return read


class WarmUps:
    """Hands out query-like texts that are not among the measured queries, a few per warm-up."""

    def __init__(self, texts: dict[str, list[str]], exclude: set[str]) -> None:
        pairs = zip(texts["nl"], texts["en"], strict=False)
        self._items = [" ".join(t.split()[:25]) for pair in pairs for t in pair if t not in exclude]
        self._next = 0

    def take(self, n: int) -> list[str]:
        """Return the next ``n`` warm-up texts (they start over when all were used)."""
        out = [self._items[(self._next + i) % len(self._items)] for i in range(n)]
        self._next += n
        return out


def measure(bench: Bench, queries: list[str], clients: int) -> dict[str, Row]:
    """Take every measurement of the report, by key; the server runs only for the HTTP rows."""
    from kg.search.language import detect_language

    engine, service, embedder = bench.engine, bench.service, bench.embedder
    warm = WarmUps(bench.texts, set(queries))
    n = len(queries)
    rows: dict[str, Row] = {}

    log("bare encoder ...")
    vectors: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * n

    idle, busy = bench.query_threads
    for key, threads in (("encoder", busy), ("encoder_idle", idle)):
        if key == "encoder_idle" and idle == busy:
            continue

        def encode(i: int, threads: int = threads) -> None:
            vectors[i] = embedder.encode_queries([queries[i]], threads=threads)[0]

        rows[key] = timed_loop(
            f"bare encoder (joined, {threads} thread(s), one query at a time, in process)",
            encode,
            n,
            lambda threads=threads: embedder.encode_queries(warm.take(3), threads=threads),  # type: ignore[misc]
        )
    chunk_queries = [engine.chunk_query_vector(v) for v in vectors]
    langs = [detect_language(q) for q in queries]

    def repeat(fn: Callable[[int], object]) -> Callable[[], object]:
        return lambda: [fn(i) for i in range(min(3, n))]

    log("bare indexes and scoring ...")
    in_process: list[tuple[str, str, Callable[[int], object]]] = [
        ("faiss100", "faiss, entity vectors, top 100", lambda i: engine.dense_scores(vectors[i], k=100)),
        (
            "faiss_all",
            f"faiss, entity vectors, nearest {CANDIDATE_POOL} (as /search does)",
            lambda i: engine.dense_scores(vectors[i], k=CANDIDATE_POOL),
        ),
        (
            "chunks",
            f"faiss, chunk vectors, top {PASSAGES}",
            lambda i: engine.search_chunks(chunk_queries[i], PASSAGES),
        ),
        (
            "bm25",
            f"BM25 + name match, best {CANDIDATE_POOL} (as /search does)",
            lambda i: engine.bm25.search(queries[i], lang=langs[i], k=CANDIDATE_POOL),
        ),
        ("matcher", "concept matcher", lambda i: engine.matcher.match(queries[i])),
        (
            "score",
            "engine.score: dense + BM25 + names + concepts",
            lambda i: engine.score(queries[i], vector=vectors[i]),
        ),
    ]
    for key, name, fn in in_process:
        rows[key] = timed_loop(name, fn, n, repeat(fn))
    rows["in_process"] = Row("(measured last, when every query vector is cached)", [], 1.0)  # keeps its place

    counters = cache_counters(engine)
    with serve(bench.app) as url:
        log(f"server on {url}; 1 client, new queries ...")
        fresh_cache(engine)
        rows["http_1"] = http_row(
            "HTTP /search, 1 client, new queries", url, queries, warm.take(4), 1, counters
        )
        log(f"{clients} clients, new queries ...")
        fresh_cache(engine)
        rows["http_n"] = http_row(
            f"HTTP /search, {clients} clients, new queries",
            url,
            queries,
            warm.take(2 * clients),
            clients,
            counters,
        )
        log(f"{clients} clients, repeated queries ...")
        rows["http_n_cached"] = http_row(
            f"HTTP /search, {clients} clients, repeated queries (cached vectors)",
            url,
            queries,
            warm.take(2 * clients),
            clients,
            counters,
        )
        log("1 client, repeated queries ...")
        rows["http_1_cached"] = http_row(
            "HTTP /search, 1 client, repeated queries (cached vectors)",
            url,
            queries,
            warm.take(4),
            1,
            counters,
        )

    log("search in process, cached vectors ...")
    totals: list[int] = []
    before = counters()

    def search(i: int) -> None:
        totals.append(service.search(queries[i], limit=LIMIT, passages=PASSAGES).total)

    row = timed_loop(
        "search in process, cached vector (no encoder, no HTTP)",
        search,
        n,
        lambda: [service.search(q, limit=LIMIT, passages=PASSAGES) for q in queries[:3]],
    )
    misses = counters()[1] - before[1]
    row.notes.update(matches=float(np.median(totals)), misses=misses)
    rows["in_process"] = row
    return rows


# --------------------------------------------------------------------------------------------- report


def machine() -> str:
    """Describe the CPUs this process may use."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            found = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
        model = found[0] if found else model
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable CPU(s) of {os.cpu_count()} ({model}), {platform.system()} {platform.machine()}"


def code_version() -> str:
    """Return the checked-out commit, marked when the code measured has local changes ("" without git).

    Read at start, when the modules are imported: edits made while the benchmark runs are not measured.
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", *CODE_DIRS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{commit} + local changes in {', '.join(CODE_DIRS)}" if dirty else commit


def notes(row: Row) -> str:
    """Describe what the query cache did during an HTTP row, and the response size."""
    parts = []
    if "misses" in row.notes and "hits" in row.notes:
        batches = row.notes["batches"]
        encoded = row.notes["misses"]
        size = f", {encoded / batches:.1f} per batch" if batches else ""
        parts.append(f"cache: {row.notes['hits']} hits, {encoded} encoded in {batches} batches{size}")
    if "bytes" in row.notes:
        parts.append(f"{row.notes['bytes'] / 1024:.1f} KB per response")
    if "matches" in row.notes:
        parts.append(f"median {row.notes['matches']:.0f} matches (total) per query")
    return "; ".join(parts)


def render(rows: dict[str, Row], bench: Bench, queries: list[str], clients: int, seed: int, code: str) -> str:
    """Render the rows, the targets and the cost breakdown as markdown."""
    # the baseline is the faster of the bare encoder's configurations: what the bare encoder reaches
    base_key = max((key for key in ("encoder", "encoder_idle") if key in rows), key=lambda k: rows[k].qps)
    rows[base_key].name += ": baseline"
    base = rows[base_key].qps
    sizes = bench.sizes
    out = [
        f"# Search latency: {sizes['entities']:,} entities ({sizes['entity vectors']:,} vectors), "
        f"{sizes['chunks']:,} chunks, {len(queries)} queries; query encoder: {sizes['query encoder']}",
        "",
        f"Machine: {machine()}; Python {platform.python_version()}; code {code or 'unknown'}. "
        "Encoder (`joined` = e5 + USE) on the thread counts named above, faiss on one thread, as the "
        "server runs them. Synthetic "
        f"corpus (seed {seed}): vectors generated from {sizes['base texts']} real catalog passages, not "
        f"encoded. Queries: the evaluation set's {len(queries)} query texts (Dutch and English, all "
        f"distinct), `GET /search?limit={LIMIT}&passages={PASSAGES}`. Latency per query (p99 of "
        f"{len(queries)} queries is about the slowest one); ratio = queries/s / the bare encoder's "
        "queries/s in this run; cpu/wall = this (server) process's CPU time / wall time; others = CPUs "
        "kept busy by other programs meanwhile (not the HTTP clients): well above 0 means the row was "
        f"disturbed. Each row waited up to {LoadMeter.idle_wait:g} s for an idle machine.",
        "",
        "| measurement | p50 ms | p99 ms | queries/s | ratio | cpu/wall | others | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows.values():
        cpu, others = row.cpu_per_wall, row.others
        out.append(
            f"| {row.name} | {row.ms(50):.1f} | {row.ms(99):.1f} | {row.qps:,.1f} | {row.qps / base:.2f} "
            f"| {'–' if cpu is None else f'{cpu:.2f}'} | {'–' if others is None else f'{others:.2f}'} "
            f"| {notes(row)} |"
        )
    single, many = rows["http_1"], rows["http_n"]
    p99_ok = single.ms(99) < P99_TARGET_MS
    ratio = many.qps / base
    out += [
        "",
        "## Targets",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| 1 client, new queries: p99 < {P99_TARGET_MS:.0f} ms | {single.ms(99):.1f} ms | "
        f"{'PASS' if p99_ok else 'FAIL'} |",
        f"| {clients} clients, new queries: >= {CONCURRENT_TARGET:.1f} x bare encoder ({base:.1f} q/s) | "
        f"{many.qps:.1f} q/s ({ratio:.2f} x) | {'PASS' if ratio >= CONCURRENT_TARGET else 'FAIL'} |",
    ]
    out += breakdown(rows)
    out += ["", "## Set-up (not measured above)", "", "| step | seconds |", "|---|---:|"]
    out += [f"| {step} | {seconds:.1f} |" for step, seconds in bench.seconds.items()]
    return "\n".join(out) + "\n"


def breakdown(rows: dict[str, Row]) -> list[str]:
    """Split a single-client request into its parts, per query, from rows timed separately.

    Every row times the same queries in the same order, so a part is a difference of two rows per query
    (e.g. the whole search in process minus ``engine.score``). Means are shown because means of parts add
    up to the mean of the whole; medians of the per-query differences are shown beside them.
    """

    def ms(key: str) -> np.ndarray:
        return np.asarray(rows[key].latencies) * 1000.0

    parts = [
        (
            "encoder (bare, one query, the idle thread count)",
            ms("encoder_idle" if "encoder_idle" in rows else "encoder"),
        ),
        (f"faiss: nearest {CANDIDATE_POOL} entity vectors (`dense_scores`)", ms("faiss_all")),
        (f"BM25 + name match, best {CANDIDATE_POOL} (`bm25.search`)", ms("bm25")),
        ("concept matcher", ms("matcher")),
        (
            "rest of `engine.score` (a candidate per entity, fusion, sort)",
            ms("score") - ms("faiss_all") - ms("bm25") - ms("matcher"),
        ),
        (
            "`SearchService.search` beyond scoring (matches, facet counts, hits, chunk faiss, ...)",
            ms("in_process") - ms("score"),
        ),
        (
            "HTTP, routing, validation and JSON (1 client cached - in process)",
            ms("http_1_cached") - ms("in_process"),
        ),
    ]
    total = sum(float(values.mean()) for _, values in parts)
    measured = ms("http_1")
    out = [
        "",
        "## Where a single-client request goes",
        "",
        "Per query, from the rows above (same queries, same order): a part is the difference of two rows. "
        f"Measured over HTTP (1 client, new queries): mean {measured.mean():.1f} ms, median "
        f"{np.median(measured):.1f} ms.",
        "",
        "| part | mean ms | share | median ms |",
        "|---|---:|---:|---:|",
    ]
    out += [
        f"| {name} | {values.mean():.1f} | {values.mean() / total:.0%} | {np.median(values):.1f} |"
        for name, values in parts
    ]
    out.append(f"| sum | {total:.1f} | 100% | |")
    return out


def main() -> None:
    """Build the corpus and the server, measure, and print (and write) the markdown report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=None, help="entities (default 10000; --quick 500)")
    parser.add_argument("--chunks", type=int, default=None, help="chunks (default 100000; --quick 5000)")
    parser.add_argument("--queries", type=int, default=None, help="first N evaluation queries (default all)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--base-texts", type=int, default=None, help="real passages the vectors are mixed from (default 48)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=None,
        help="seconds to wait at most for an idle machine before each row (default 30; --quick 0)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--out",
        "--output",
        dest="out",
        type=Path,
        default=None,
        help=f"report file (default {DEFAULT_OUT.relative_to(ROOT)}; none with --quick)",
    )
    parser.add_argument(
        "--query-threads",
        type=int,
        default=None,
        help="threads of the query encoder for a batch (default: the setting, 1)",
    )
    parser.add_argument(
        "--query-idle-threads",
        type=int,
        default=None,
        help="threads of the query encoder for a lone query (default: the setting, 2)",
    )
    parser.add_argument(
        "--no-query-process",
        action="store_true",
        help="encode queries in the server process (for comparison)",
    )
    parser.add_argument(
        "--query-processes",
        type=int,
        help="query encoder processes (default: the server's search_query_processes)",
    )
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main()
        return
    quick = args.quick
    entities = args.entities or (500 if quick else 10_000)
    chunks = args.chunks or (5_000 if quick else 100_000)
    base_texts = args.base_texts or (12 if quick else 48)
    out = args.out or (None if quick else DEFAULT_OUT)
    LoadMeter.idle_wait = args.idle_wait if args.idle_wait is not None else (0.0 if quick else 30.0)
    from kg.search.evaluation import load_eval_set

    queries = list(dict.fromkeys(q.query for q in load_eval_set() if q.query))
    queries = queries[: args.queries or (24 if quick else len(queries))]
    code = code_version()
    started = time.perf_counter()
    from kg.config import Settings

    defaults = Settings()
    bench = build(
        entities,
        chunks,
        base_texts,
        args.seed,
        query_process=defaults.search_query_process and not args.no_query_process,
        query_threads=(
            args.query_idle_threads or defaults.search_query_idle_threads,
            args.query_threads or defaults.search_query_threads,
        ),
        query_processes=args.query_processes or defaults.search_query_processes,
    )
    log(f"ready in {time.perf_counter() - started:.0f} s: {bench.sizes}")
    try:
        started = time.perf_counter()
        rows = measure(bench, queries, args.clients)
        log(f"measured in {time.perf_counter() - started:.0f} s")
    finally:
        bench.service.close()
        bench.kg.close()
    text = render(rows, bench, queries, args.clients, args.seed, code)
    print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
