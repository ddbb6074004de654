"""The SPARQL 1.1 Protocol endpoint answers a real client (SPARQLWrapper) over real HTTP in every
result format, and refuses malformed, update, SERVICE and over-long requests with a precise 4xx."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph
from tests.conftest import LiveServer

SELECT = """PREFIX lc: <https://w3id.org/lcgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?i ?name WHERE { ?i a lc:Instrument ; skos:prefLabel ?name FILTER(LANG(?name) = "nl") }
ORDER BY ?name"""
CONSTRUCT = """PREFIX lc: <https://w3id.org/lcgraph/ontology#> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?i skos:prefLabel ?name } WHERE { ?i a lc:Instrument ; skos:prefLabel ?name }"""
SEEDS = "https://w3id.org/lcgraph/id/instrument/seeds-of-innovation"


def _client(server: LiveServer, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sw = SPARQLWrapper(server.url + "/sparql")
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select_json(live_server: LiveServer, method: str) -> None:
    result = _client(live_server, SELECT, JSON, method).queryAndConvert()
    assert isinstance(result, dict)
    iris = {b["i"]["value"] for b in result["results"]["bindings"]}
    assert SEEDS in iris and len(iris) >= 62


def test_select_xml(live_server: LiveServer) -> None:
    doc = _client(live_server, SELECT, XML).queryAndConvert()
    uris = [n.firstChild.data for n in doc.getElementsByTagName("uri")]  # type: ignore[union-attr]
    assert SEEDS in uris


def test_select_csv(live_server: LiveServer) -> None:
    raw = _client(live_server, SELECT, CSV).queryAndConvert()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8") if isinstance(raw, bytes) else raw)))
    assert SEEDS in {r["i"] for r in rows}


def test_select_tsv(live_server: LiveServer) -> None:
    raw = _client(live_server, SELECT, TSV).queryAndConvert()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    lines = text.splitlines()
    assert lines[0] == "?i\t?name"
    assert any(line.startswith(f"<{SEEDS}>\t") for line in lines[1:])


def test_ask(live_server: LiveServer) -> None:
    result = _client(live_server, f"ASK {{ <{SEEDS}> ?p ?o }}", JSON).queryAndConvert()
    assert result == {"head": {}, "boolean": True}


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
def test_construct_in_rdf_formats(live_server: LiveServer, fmt: str) -> None:
    converted = _client(live_server, CONSTRUCT, fmt).queryAndConvert()
    if isinstance(converted, Graph):
        graph = converted
    else:
        data = converted.decode("utf-8") if isinstance(converted, bytes) else str(converted)
        graph = Graph().parse(data=data, format={TURTLE: "turtle", N3: "turtle", JSONLD: "json-ld"}[fmt])
    assert any(str(s) == SEEDS for s in graph.subjects())


def test_describe(live_server: LiveServer) -> None:
    r = httpx.get(
        live_server.url + "/sparql",
        params={"query": f"DESCRIBE <{SEEDS}>"},
        headers={"Accept": "text/turtle"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert "Seeds of Innovation" in r.text


def test_post_sparql_query_body_and_form(live_server: LiveServer) -> None:
    body = httpx.post(
        live_server.url + "/sparql",
        content=SELECT,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert body.status_code == 200 and SEEDS in body.text
    form = httpx.post(
        live_server.url + "/sparql",
        data={"query": SELECT},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert form.status_code == 200 and SEEDS in json.dumps(form.json())


def _problem(r: httpx.Response, status: int, kind: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == f"/problems/{kind}"
    return body  # type: ignore[no-any-return]


def test_malformed_query_is_400_with_position(live_server: LiveServer) -> None:
    r = httpx.get(live_server.url + "/sparql", params={"query": "SELECT ?s WHERE { ?s ?p }"})
    body = _problem(r, 400, "query-syntax")
    assert str(body["where"]).startswith("line 1, column")


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "POST", "data": {"update": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
        {"method": "POST", "content": "DROP ALL", "headers": {"Content-Type": "application/sparql-update"}},
        {"method": "GET", "params": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
        {"method": "POST", "data": {"query": "LOAD <http://example.org/x.ttl>"}},
    ],
)
def test_updates_and_load_are_400(live_server: LiveServer, request_kwargs: dict[str, object]) -> None:
    method = str(request_kwargs.pop("method"))
    r = httpx.request(method, live_server.url + "/sparql", **request_kwargs)  # type: ignore[arg-type]
    body = _problem(r, 400, "update-refused")
    assert "read-only" in str(body["detail"])


def test_service_is_400(live_server: LiveServer) -> None:
    q = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    _problem(httpx.get(live_server.url + "/sparql", params={"query": q}), 400, "service-refused")


def test_over_long_query_is_413(live_server: LiveServer) -> None:
    q = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 30_000
    body = _problem(httpx.post(live_server.url + "/sparql", data={"query": q}), 413, "query-too-long")
    assert "limit is 20000" in str(body["detail"])


def test_missing_query_is_400(live_server: LiveServer) -> None:
    _problem(httpx.get(live_server.url + "/sparql"), 400, "missing-query")


def test_row_cap_is_400(live_server: LiveServer) -> None:
    q = "SELECT * WHERE { ?s ?p ?o }"
    body = _problem(httpx.get(live_server.url + "/sparql", params={"query": q}), 400, "too-many-rows")
    assert "LIMIT" in str(body["detail"])


def test_unacceptable_format_is_406(live_server: LiveServer) -> None:
    r = httpx.get(
        live_server.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "image/png"}
    )
    assert r.status_code == 406


def test_time_limit_is_503_with_a_clear_message(
    catalog_kg: KnowledgeGraph, memory_settings: Settings
) -> None:
    settings = memory_settings.model_copy(update={"query_timeout_s": 0.5, "query_row_cap": 10**9})
    kg = KnowledgeGraph(catalog_kg.store, settings)
    heavy = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    with TestClient(create_app(settings, kg=kg)) as client:
        r = client.get("/sparql", params={"query": heavy})
    kg.executor.close()
    assert r.status_code == 503
    assert r.json()["type"] == "/problems/query-timeout"
    assert "0.5 s" in r.json()["detail"]
