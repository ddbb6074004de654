"""Two API worker processes over one remote store stay consistent: REST, SPARQL and search.

The setup is the production one, scaled down: a real ``oxigraph serve`` on 127.0.0.1 holding the catalog,
and two separate ``lcgraph serve`` processes (real HTTP on 127.0.0.1, the real search models) pointed at
it with ``LCGRAPH_STORE=sparql``. Writes come from a third party, this test process, through the
``KnowledgeGraph`` API against the same server, as ``lcgraph load``/``ingest``/``documents`` would make
them. Each worker learns of them through the dataset revision (``kg.revision``), polled every 0.2 s here.

Starting the workers loads the models in each (about 15 s) and encodes the catalog once: the first
worker encodes and saves the indexes, the second waits on the index lock and loads them. Everything is
started once for the module and stopped by the fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.search.embedder import embedder_dimension
from kg.search.index import VectorIndex
from kg.store.oxigraph_server import OxigraphServer, free_port
from tests.search_helpers import graph_iri, instrument_triples

pytestmark = pytest.mark.timeout(900)

SLUG = "nachtdienst-estafette"
NEW = f"instrument/{SLUG}"
NIGHT_SHIFT = instrument_triples(
    SLUG,
    name={"nl": "Nachtdienst-estafette", "en": "Night shift relay"},
    description={
        "nl": "Aan het eind van de nachtdienst vertellen verpleegkundigen in de ouderenzorg de ochtendploeg "
        "in vijf minuten wat zij die nacht hebben geleerd.",
        "en": "At the end of the night shift, nurses in elderly care tell the morning team in five minutes "
        "what they learned that night.",
    },
    phases=["execute"],
    roles=["participant"],
)
QUERY = "hoe geven zorgmedewerkers na de nacht hun lessen door aan de collega's van de vroege dienst"
ASK = f"ASK {{ <https://w3id.org/lcgraph/id/{NEW}> ?p ?o }}"


@dataclass
class Worker:
    """One ``lcgraph serve`` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=60)

    def ask(self, query: str) -> bool:
        response = httpx.get(
            self.url + "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return bool(response.json()["boolean"])

    def search_ids(self, query: str) -> list[str]:
        response = self.get("/search", q=query, type="instrument", limit=10)
        assert response.status_code == 200, response.text
        return [hit["item"]["id"] for hit in response.json()["results"]]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start_worker(server: OxigraphServer, home: Path, name: str) -> Worker:
    port = free_port()
    env = {
        **os.environ,
        "LCGRAPH_STORE": "sparql",
        "LCGRAPH_SPARQL_URL": server.url,
        "LCGRAPH_HOME": str(home),
        "LCGRAPH_REVISION_POLL_S": "0.2",
        "LCGRAPH_SEARCH_ENABLED": "true",
        "LCGRAPH_SEARCH_QUERY_PROCESS": "false",  # one process per worker is enough here
    }
    log = home / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "lcgraph.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Worker(process, port, log)


def _wait_ready(worker: Worker, deadline: float) -> None:
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            raise RuntimeError(
                f"worker exited with {worker.process.returncode}:\n{worker.log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(worker.url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"worker did not start in time:\n{worker.log.read_text()[-3000:]}")


def eventually(check: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    """Wait until ``check`` holds; the bound only keeps a broken build from hanging, it is not measured."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}")
        time.sleep(0.1)


JOINED_DIM = embedder_dimension("joined")
UNSEEDED = 12
"""Entity vectors left out of the seeded index: the first worker encodes them, the second loads."""


def seed_without_some_entities(seed: Path, index: Path) -> None:
    """Copy the session's catalog index to ``index`` minus :data:`UNSEEDED` entity vectors."""
    shutil.copytree(seed, index)
    entities = VectorIndex.load(index / "entities", embedder="joined", dimension=JOINED_DIM, fingerprint=None)
    entities.remove(sorted(entities.ids())[:UNSEEDED])
    entities.save(index / "entities", embedder="joined", fingerprint="seeded")


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, catalog_index_seed: Path
) -> Iterator[tuple[KnowledgeGraph, list[Worker]]]:
    home = tmp_path_factory.mktemp("workers")
    seed_without_some_entities(catalog_index_seed, home / "index")
    with OxigraphServer(home / "oxigraph", log_path=home / "oxigraph.log") as server:
        settings = Settings(store="sparql", sparql_url=server.url, home=home, revision_poll_s=0)
        writer = KnowledgeGraph.open(settings)
        load_catalog(writer)
        workers = [_start_worker(server, home, "a"), _start_worker(server, home, "b")]
        try:
            deadline = time.monotonic() + 600
            for worker in workers:
                _wait_ready(worker, deadline)
            yield writer, workers
        finally:
            for worker in workers:
                worker.stop()
            writer.close()
    assert all(w.process.poll() is not None for w in workers)
    assert server.pid is None


def test_both_workers_serve_the_shared_catalog(cluster: tuple[KnowledgeGraph, list[Worker]]) -> None:
    _, workers = cluster
    for worker in workers:
        response = worker.get("/instruments/seeds-of-innovation")
        assert response.status_code == 200, response.text
        assert response.json()["code"] == "A06"
    statuses = [w.get("/search/status").json()["indexes"]["entities"] for w in workers]
    # exactly one worker encoded what the seeded index lacked; the other loaded what it saved (the lock)
    assert sorted(s.split(" ")[0] for s in statuses) == ["loaded", "updated"], statuses
    assert f"{UNSEEDED} encoded" in next(s for s in statuses if s.startswith("updated")), statuses


def test_a_write_elsewhere_is_seen_by_both_workers_and_a_removal_too(
    cluster: tuple[KnowledgeGraph, list[Worker]],
) -> None:
    writer, workers = cluster
    graph = graph_iri("two-workers")
    for worker in workers:
        assert worker.get(f"/instruments/{SLUG}").status_code == 404
        assert not worker.ask(ASK)
        assert NEW not in worker.search_ids(QUERY)
    writer.write_graph(graph, NIGHT_SHIFT, title="two workers", method="manual")
    try:
        for worker in workers:
            eventually(
                lambda w=worker: w.get(f"/instruments/{SLUG}").status_code == 200, f"REST on {worker.url}"
            )
            assert worker.ask(ASK)
            eventually(lambda w=worker: NEW in w.search_ids(QUERY), f"search on {worker.url}")
        # a change of review state is a write too: hidden from both doors of both workers
        assert writer.set_review_state(graph, "rejected")
        for worker in workers:
            eventually(
                lambda w=worker: w.get(f"/instruments/{SLUG}").status_code == 404, f"hidden on {worker.url}"
            )
            # the derived similarity graph still names it until that worker's search sync re-derives it
            eventually(lambda w=worker: not w.ask(ASK), f"SPARQL on {worker.url}")
            eventually(lambda w=worker: NEW not in w.search_ids(QUERY), f"unsearchable on {worker.url}")
        assert writer.set_review_state(graph, "approved")
        for worker in workers:
            eventually(lambda w=worker: NEW in w.search_ids(QUERY), f"search again on {worker.url}")
    finally:
        writer.remove_graph(graph)
    for worker in workers:
        eventually(
            lambda w=worker: w.get(f"/instruments/{SLUG}").status_code == 404, f"removed on {worker.url}"
        )
        eventually(lambda w=worker: not w.ask(ASK), f"SPARQL on {worker.url}")
        eventually(lambda w=worker: NEW not in w.search_ids(QUERY), f"removed from search on {worker.url}")
