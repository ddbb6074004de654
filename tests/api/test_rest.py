"""The REST API over real HTTP (an in-process ASGI client): lists, filters, details, concepts,
problem+json errors, dereferenceable IRIs and a complete OpenAPI description."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph


@pytest.fixture(scope="module")
def client(catalog_kg: KnowledgeGraph, memory_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(memory_settings, kg=catalog_kg)) as c:
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert ready.json()["public_reads"] == "mirror"  # kg.public_mirror answers the public reads


def test_readiness_is_503_on_an_empty_store(empty_kg: KnowledgeGraph, memory_settings: Settings) -> None:
    with TestClient(create_app(memory_settings, kg=empty_kg)) as c:
        r = c.get("/readyz")
    assert r.status_code == 503 and "lcgraph load" in r.json()["detail"]


def test_list_instruments_and_filters(client: TestClient) -> None:
    all_ = client.get("/instruments").json()
    assert len(all_) >= 62
    design = client.get("/instruments", params={"phase": "design"}).json()
    assert design and all(any(p["id"] == "phase-design" for p in i["phases"]) for i in design)
    assert len(design) < len(all_)
    facilitators = client.get("/instruments", params={"role": "facilitator"}).json()
    assert facilitators and all(
        any(r["id"] == "role-facilitator" for r in i["target_roles"]) for i in facilitators
    )
    horticulture = client.get("/instruments", params={"sector": "horticulture"}).json()
    assert "instrument/seeds-of-innovation" in {i["id"] for i in horticulture}
    text = client.get("/instruments", params={"q": "seeds"}).json()
    assert text[0]["id"] == "instrument/seeds-of-innovation"  # name matches rank first
    assert len(text) < len(all_)
    both = client.get("/instruments", params={"phase": "execute", "role": "facilitator"}).json()
    assert {i["id"] for i in both} <= {i["id"] for i in facilitators}


def test_instrument_detail_has_phases_with_basis_and_sources(client: TestClient) -> None:
    r = client.get("/instruments/seeds-of-innovation")
    assert r.status_code == 200
    body = r.json()
    assert body["name"]["nl"] == "Seeds of Innovation"
    assert body["code"] == "A06"
    assert {c["phase"]["id"] for c in body["phase_claims"]} >= {"phase-execute", "phase-sustain"}
    assert "case/greenport-west-holland" in {c["id"] for c in body["used_in"]}
    assert body["url"].startswith("https://www.dehaagsehogeschool.nl/")
    assert len(body["addresses"]) == 12
    assert all(f["sources"] for f in body["facts"])


def test_unknown_instrument_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/instruments/does-not-exist")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"] == "/problems/not-found"
    assert "does-not-exist" in r.json()["detail"]


def test_cases_and_filters(client: TestClient) -> None:
    cases = client.get("/cases").json()
    assert len(cases) == 36
    logistics = client.get("/cases", params={"sector": "logistics"}).json()
    assert "case/change-gear" in {c["id"] for c in logistics}
    with_seeds = client.get("/cases", params={"instrument": "seeds-of-innovation"}).json()
    assert "case/greenport-west-holland" in {c["id"] for c in with_seeds}
    gas = client.get("/cases/gas-erop").json()
    assert gas["region"]["nl"] == "Oost-Nederland"
    assert "instrument/sprints" in {i["id"] for i in gas["instruments"]}
    assert gas["community"]["id"] == "community/gas-erop"
    assert gas["outcomes"]


def test_communities(client: TestClient) -> None:
    communities = client.get("/communities").json()
    assert len(communities) == 36
    macro = client.get("/communities", params={"level": "macro"}).json()
    assert [c["id"] for c in macro] == ["community/sharehouse"]
    gas = client.get("/communities/gas-erop").json()
    assert gas["scale_level"]["id"] == "scale-level-micro"
    assert "community/engberink-total-station" in {p["id"] for p in gas["parts"]}
    shell = client.get("/communities/shell-leerwerkgemeenschappen").json()
    assert shell["is_counter_example"] is True and shell["type"] == "Collective"


def test_concepts(client: TestClient) -> None:
    schemes = client.get("/concepts").json()
    assert {"phase", "role", "sector", "practice", "value-cycle", "success-factor"} <= set(schemes)
    phase = client.get("/concepts/phase").json()
    top = [c["label"]["nl"] for c in phase["concepts"] if not c["broader"]]
    assert top[:4] == ["Starten", "Ontwerpen", "Uitvoeren", "Verduurzamen"]
    r = client.get("/concepts/nope")
    assert r.status_code == 404 and "known schemes" in r.json()["detail"]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "text/html"),
        ("*/*", "text/turtle"),
    ],
)
def test_iris_dereference_by_content_negotiation(client: TestClient, accept: str, media: str) -> None:
    r = client.get("/id/instrument/seeds-of-innovation", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert "seeds-of-innovation" in r.text


def test_every_iri_of_ours_dereferences(client: TestClient, catalog_kg: KnowledgeGraph) -> None:
    import pyoxigraph as ox

    base = "https://w3id.org/lcgraph/"
    iris = {
        q.subject.value
        for q in catalog_kg.store.quads()
        if isinstance(q.subject, ox.NamedNode)
        and q.subject.value.startswith((base + "id/", base + "concept/"))
    }
    assert len(iris) > 300
    for iri in sorted(iris):
        r = client.get("/" + iri[len(base) :], headers={"Accept": "text/turtle"})
        assert r.status_code == 200, iri


def test_concept_and_ontology_dereference(client: TestClient) -> None:
    r = client.get("/concept/phase-start", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and "Starten" in r.text
    onto = client.get("/ontology", headers={"Accept": "text/turtle"})
    assert onto.status_code == 200 and "owl:Ontology" in onto.text


def test_stats_and_graphs(client: TestClient) -> None:
    stats = client.get("/stats").json()
    assert stats["instruments"] >= 62 and stats["cases"] == 36
    graphs = {g["iri"] for g in client.get("/graphs").json()}
    assert "https://w3id.org/lcgraph/graph/catalog" in graphs


def test_openapi_is_complete(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in [
        "/instruments",
        "/instruments/{slug}",
        "/cases",
        "/cases/{slug}",
        "/communities",
        "/communities/{slug}",
        "/concepts/{scheme}",
        "/sparql",
        "/healthz",
        "/readyz",
    ]:
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/sparql"])
    assert "application/sparql-query" in paths["/sparql"]["post"]["requestBody"]["content"]
    for path, ops in paths.items():
        for op in ops.values():
            assert op.get("summary") and op.get("description"), path


def test_saved_example_queries_are_listed_and_run(client: TestClient) -> None:
    examples = client.get("/sparql/examples").json()
    assert len(examples) >= 10
    for example in examples:
        assert example["title"] and example["title_nl"] and example["description"]
        r = client.post(
            "/sparql", data={"query": example["query"]}, headers={"Accept": "application/sparql-results+json"}
        )
        assert r.status_code == 200, example["id"]
        assert r.json()["results"]["bindings"], example["id"]
