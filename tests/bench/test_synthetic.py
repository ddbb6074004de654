"""The benchmark data generator: deterministic, and its data reads like ordinary approved data.

Runs the generator at a tiny size; the REST routes and the SPARQL endpoint must see the generated
instruments and cases, and the proposed document graph must stay invisible.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bench.synthetic import Dataset, generate, plan_for, write_nquads
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.store import OxigraphStore

SIZE = 12_000
CHUNKS = 500  # ten documents, so one of them stays proposed


@pytest.fixture(scope="module")
def data() -> Dataset:
    return generate(SIZE, seed=7, chunks=CHUNKS)


@pytest.fixture(scope="module")
def client(data: Dataset, memory_settings: Settings) -> Iterator[TestClient]:
    kg = KnowledgeGraph(OxigraphStore(None), memory_settings)
    kg.store.load_quads(data.quads)
    try:
        with TestClient(create_app(memory_settings, kg=kg)) as c:
            yield c
    finally:
        kg.close()


def test_same_seed_same_bytes_other_seed_other_data(data: Dataset, tmp_path: Path) -> None:
    again = generate(SIZE, seed=7, chunks=CHUNKS)
    write_nquads(data, tmp_path / "a.nq")
    write_nquads(again, tmp_path / "b.nq")
    assert (tmp_path / "a.nq").read_bytes() == (tmp_path / "b.nq").read_bytes()
    assert again.samples == data.samples and again.approved == data.approved
    other = generate(SIZE, seed=8, chunks=CHUNKS)
    write_nquads(other, tmp_path / "c.nq")
    assert (tmp_path / "c.nq").read_bytes() != (tmp_path / "a.nq").read_bytes()


def test_size_is_close_to_the_target() -> None:
    data = generate(30_000, seed=0)
    assert 0.8 * 30_000 < data.counts["quads"] < 1.2 * 30_000
    assert plan_for(10**6).cases > plan_for(10**5).cases > plan_for(10**4).cases


def test_generated_instrument_and_case_pages_read(client: TestClient, data: Dataset) -> None:
    assert client.get("/readyz").status_code == 200
    head = client.get(f"/instruments/{data.samples['instrument_head']}")
    assert head.status_code == 200, head.text
    body = head.json()
    assert body["name"]["nl"] and body["name"]["en"] and body["phases"] and body["facts"]
    assert body["used_in"], "the most used instrument (Zipf rank 1) is used by cases"
    assert all(s["method"] == "curated" for f in body["facts"] for s in f["sources"])
    case = client.get(f"/cases/{data.samples['case']}")
    assert case.status_code == 200, case.text
    assert case.json()["instruments"] and case.json()["community"]
    listed = client.get("/instruments").json()
    assert len(listed) == data.counts["instruments"]


def test_public_view_sees_approved_graphs_only(client: TestClient, data: Dataset) -> None:
    query = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/lcgraph/ontology#Chunk> }"
    r = client.get("/sparql", params={"query": query}, headers={"accept": "application/sparql-results+json"})
    visible = int(r.json()["results"]["bindings"][0]["n"]["value"])
    assert visible == CHUNKS - 50, "the proposed tenth document's chunks are invisible"
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": graphs}, headers={"accept": "application/sparql-results+json"})
    seen = {b["g"]["value"] for b in r.json()["results"]["bindings"]}
    assert seen == set(data.approved)
