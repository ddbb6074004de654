"""The search API over real HTTP (uvicorn on 127.0.0.1) with the real models: every surface, its problem
responses, cross-lingual retrieval, freshness after writes, and the similarity graph through SPARQL."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import URIRef

from ingest.pipeline import review_document, run
from kg.graph import KnowledgeGraph
from kg.search.similarity_graph import LINKS_PER_ITEM, SIMILARITY_GRAPH
from tests.conftest import LiveServer
from tests.search_helpers import case_triples, instrument_triples, written

PROBLEM = "application/problem+json"
LCD = "https://w3id.org/lcgraph/id/"
NEED_NL = (
    "Welk hulpmiddel helpt de begeleider in de startfase om met alle partners gezamenlijke doelen te stellen?"
)
NEED_EN = "How do we keep companies and schools involved once the first enthusiasm is gone?"


def get(server: LiveServer, path: str, **params: Any) -> httpx.Response:
    return httpx.get(server.url + path, params=params, timeout=120)


def post(server: LiveServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=120)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [hit["item"]["id"] for hit in body["results"]]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and body["type"].startswith("/problems/")
    return body


# ----------------------------------------------------------------------------------------- surfaces


def test_search_ranks_with_reasons_and_facets(search_server: LiveServer) -> None:
    """GET /search answers a Dutch need with hits that each say why, facet counts, and the concepts the
    query names."""
    body = ok(get(search_server, "/search", q=NEED_NL, lang="nl", limit=5))
    assert body["language"] == "nl" and body["query"] == NEED_NL
    assert 0 < len(body["results"]) <= 5 and body["total"] >= len(body["results"])
    for hit in body["results"]:
        assert hit["why"] and all(isinstance(reason, str) and reason for reason in hit["why"])
        assert hit["item"]["type"] in ("Instrument", "Case", "Community")
    assert "type" in body["facets"] and sum(f["count"] for f in body["facets"]["type"]) == body["total"]
    named = {c["concept"]["id"] for c in body["query_concepts"]}
    assert {"role-facilitator", "phase-start"} <= named


def test_search_filters_by_type_and_sector(search_server: LiveServer) -> None:
    """Type and sector filters hold for every hit, and the facet counts reflect the filtered matches."""
    body = ok(get(search_server, "/search", q=NEED_EN, type="case", sector="logistics", limit=100))
    assert body["results"]
    for hit in body["results"]:
        assert hit["item"]["type"] == "Case"
        assert "sector-logistics" in hit["facets"]["sector"]
    assert body["facets"]["type"] == [
        {"value": "case", "label": {"nl": "case", "en": "case"}, "count": body["total"]}
    ]
    sectors = {f["value"]: f["count"] for f in body["facets"]["sector"]}
    assert sectors["sector-logistics"] == body["total"]
    both = ok(get(search_server, "/search", q=NEED_EN, type=["instrument", "community"], limit=100))
    assert {hit["item"]["type"] for hit in both["results"]} <= {"Instrument", "Community"}


def test_search_pages_with_limit_and_offset(search_server: LiveServer) -> None:
    """limit and offset page through one ranking."""
    whole = ok(get(search_server, "/search", q=NEED_EN, limit=8))
    first = ok(get(search_server, "/search", q=NEED_EN, limit=4))
    second = ok(get(search_server, "/search", q=NEED_EN, limit=4, offset=4))
    assert ids(first) + ids(second) == ids(whole)
    assert first["total"] == second["total"] == whole["total"]


def test_search_status(search_server: LiveServer) -> None:
    """GET /search/status names the embedders and reports index sizes and the last sync."""
    body = ok(get(search_server, "/search/status"))
    assert body["embedder"] == "joined" and body["chunk_embedder"] == "use"
    assert (
        body["counts"]["entities"] >= 100 and body["counts"]["entities_vectors"] >= body["counts"]["entities"]
    )
    assert set(body["indexes"]) == {"entities", "chunks", "sentences"}
    assert body["last_sync"]["seconds"] >= 0 and "hits" in body["query_cache"]


def test_similar_cases_explain_truly(search_server: LiveServer, search_kg: KnowledgeGraph) -> None:
    """GET /cases/{slug}/similar: k cases, never the source, each shared challenge, practice and
    instrument held by both cases (per the case views) and named in the explanation."""
    body = ok(get(search_server, "/cases/gas-erop/similar", k=4))
    assert body["source"]["id"] == "case/gas-erop"
    assert len(body["results"]) == 4
    source = search_kg.case("gas-erop")
    for item in body["results"]:
        assert item["item"]["type"] == "Case" and item["item"]["id"] != "case/gas-erop"
        other = search_kg.case(item["item"]["iri"])
        held = {
            "challenge": ({c.id for c in source.challenges}, {c.id for c in other.challenges}),
            "practice": ({c.id for c in source.practices}, {c.id for c in other.practices}),
            "instrument": ({i.id for i in source.instruments}, {i.id for i in other.instruments}),
        }
        for attribute in item["shared"]:
            ref = attribute["concept"] or attribute["entity"]
            if attribute["facet"] in held:
                mine, theirs = held[attribute["facet"]]
                assert ref["id"] in mine and ref["id"] in theirs, (item["item"]["id"], ref["id"])
            assert ref["label"]["en"] in item["explanation"]
        assert item["explanation"]


def test_similar_instruments(search_server: LiveServer) -> None:
    """GET /instruments/{slug}/similar: instruments other than the source, each explained."""
    body = ok(get(search_server, "/instruments/seeds-of-innovation/similar", k=5, lang="nl"))
    assert body["source"]["id"] == "instrument/seeds-of-innovation"
    assert len(body["results"]) == 5
    for item in body["results"]:
        assert item["item"]["type"] == "Instrument" and item["item"]["id"] != body["source"]["id"]
        assert "vergelijkbare beschrijving" in item["explanation"]


def test_cases_similar_to_a_situation(search_server: LiveServer) -> None:
    """POST /cases/similar takes a free-text situation and returns explained cases."""
    situation = "Installatiebedrijven en een mbo-school willen samen monteurs opleiden voor warmtepompen."
    body = ok(post(search_server, "/cases/similar", {"situation": situation, "k": 5, "sector": "energy"}))
    assert body["query"] == situation and 0 < len(body["results"]) <= 5
    for item in body["results"]:
        assert item["item"]["type"] == "Case" and item["explanation"]


def test_crossovers_with_true_evidence(search_server: LiveServer, search_kg: KnowledgeGraph) -> None:
    """POST /crossovers: every evidence case used the instrument and is outside the asker's sector; the
    reason names the closest evidence case."""
    body = ok(post(search_server, "/crossovers", {"need": NEED_EN, "sector": "education", "k": 6}))
    assert body["sector"] == "education" and 0 < len(body["results"]) <= 6
    assert any(result["evidence"] for result in body["results"])
    for result in body["results"]:
        for evidence in result["evidence"]:
            case = search_kg.case(evidence["case"]["iri"])
            assert result["instrument"]["id"] in {i.id for i in case.instruments}
            assert "sector-education" not in {s.id for s in case.sectors}
        if result["evidence"]:
            assert result["evidence"][0]["case"]["label"]["en"] in result["reason"]


# ----------------------------------------------------------------------------------------- problems


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("GET", "/search", {"q": ""}, 422),
        ("GET", "/search", {}, 422),
        ("GET", "/search", {"q": "   "}, 400),
        ("GET", "/search", {"q": "samen leren", "type": "person"}, 400),
        ("GET", "/search", {"q": "samen leren", "limit": 0}, 422),
        ("GET", "/search", {"q": "samen leren", "offset": -1}, 422),
        ("GET", "/search", {"q": "samen leren", "lang": "fr"}, 422),
        pytest.param("GET", "/search", {"q": "samen leren", "sector": "nonsense"}, 400),
        ("GET", "/cases/gas-erop/similar", {"k": 0}, 422),
        ("GET", "/cases/gas-erop/similar", {"k": 101}, 422),
        ("GET", "/cases/gas-erop/similar", {"diversity": 2}, 422),
        ("GET", "/instruments/seeds-of-innovation/similar", {"k": 1000}, 422),
        ("POST", "/cases/similar", {"situation": ""}, 422),
        ("POST", "/cases/similar", {"situation": "samen leren", "colour": "red"}, 422),
        ("POST", "/cases/similar", {"situation": "samen leren", "k": 0}, 422),
        pytest.param(
            "POST",
            "/cases/similar",
            {"situation": "samen leren", "sector": "nonsense"},
            400,
        ),
        ("POST", "/crossovers", {"need": "samen leren", "k": 101}, 422),
        ("POST", "/crossovers", {"need": "samen leren", "sector": "nonsense"}, 400),
        ("POST", "/crossovers", {"need": "samen leren", "phase": "someday"}, 400),
        ("POST", "/crossovers", {"need": "   "}, 400),
        ("GET", "/cases/no-such-case/similar", {}, 404),
        ("GET", "/instruments/no-such-tool/similar", {}, 404),
    ],
)
def test_bad_requests_are_problems(
    search_server: LiveServer, method: str, path: str, payload: dict[str, Any], status: int
) -> None:
    """Invalid input is a 400 (domain check) or 422 (request shape) problem, unknown items a 404 one."""
    response = get(search_server, path, **payload) if method == "GET" else post(search_server, path, payload)
    assert_problem(response, status)


def test_without_a_search_service_search_is_503(live_server: LiveServer) -> None:
    """An app given a graph but no search service answers every search surface with 503 and the rest of
    the API as usual."""
    for response in (
        get(live_server, "/search", q="samen leren"),
        get(live_server, "/search/status"),
        get(live_server, "/cases/gas-erop/similar"),
        get(live_server, "/instruments/seeds-of-innovation/similar"),
        post(live_server, "/cases/similar", {"situation": "samen leren"}),
        post(live_server, "/crossovers", {"need": "samen leren"}),
    ):
        body = assert_problem(response, 503)
        assert "search" in body["detail"]
    assert get(live_server, "/instruments").status_code == 200


# ------------------------------------------------------------------------------------ cross-lingual

POLLINATOR = instrument_triples(
    "pollinator-exchange-cards",
    name={"en": "Pollinator exchange cards"},
    purpose={"en": "Let beekeepers and arable farmers learn from each other."},
    description={
        "en": "A card game in which beekeepers and arable farmers trade what they know about pollinating "
        "insects and about sowing flowering field margins along their crops."
    },
)
DIKE = instrument_triples(
    "dijkgesprek",
    name={"nl": "Dijkgesprek"},
    purpose={"nl": "Waterschap, boeren en bewoners bereiden zich samen voor op extreem weer."},
    description={
        "nl": "Tijdens een wandeling over de dijk bespreken medewerkers van het waterschap, boeren en "
        "bewoners hoe zij zich voorbereiden op lange droge zomers en op hoogwater."
    },
)


@pytest.mark.parametrize(
    ("triples", "slug", "query"),
    [
        (
            POLLINATOR,
            "pollinator-exchange-cards",
            "Een spel waarmee imkers en akkerbouwers kennis uitwisselen over bijen en bloeiende akkerranden",
        ),
        (
            DIKE,
            "dijkgesprek",
            "a walk along the levee where the water authority, farmers and residents discuss getting ready "
            "for dry summers and floods",
        ),
    ],
    ids=["dutch-query-english-text", "english-query-dutch-text"],
)
def test_a_query_finds_an_item_described_only_in_the_other_language(
    search_server: LiveServer, search_kg: KnowledgeGraph, triples: list[Any], slug: str, query: str
) -> None:
    """An instrument described in one language only is found in the top 3 by a paraphrase in the other
    language, by meaning alone (no name match, no shared words)."""
    with written(search_kg, f"crosslingual-{slug}", triples):
        body = ok(get(search_server, "/search", q=query, limit=3))
        found = {hit["item"]["id"]: hit for hit in body["results"]}
        assert f"instrument/{slug}" in found, ids(body)
        hit = found[f"instrument/{slug}"]
        assert hit["channels"]["name"] == 0 and hit["matched_terms"] == []
    gone = ok(get(search_server, "/search", q=query, limit=100))
    assert f"instrument/{slug}" not in ids(gone)


# ---------------------------------------------------------------------------------------- freshness

NIGHT_SHIFT = instrument_triples(
    "nachtdienst-estafette",
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
NIGHT_SHIFT_QUERY = (
    "hoe geven zorgmedewerkers na de nacht hun lessen door aan de collega's van de vroege dienst"
)
DRONES = instrument_triples(
    "drone-oefenveld",
    name={"nl": "Drone-oefenveld", "en": "Drone practice field"},
    description={
        "nl": "Boeren en studenten oefenen samen met drones die de groei van gewassen op het land in kaart "
        "brengen.",
        "en": "Farmers and students practise together with drones that map how crops grow in the field.",
    },
)
DRONES_QUERY = "farmers and pupils learn to fly unmanned aircraft to survey their fields"


def test_a_new_instrument_is_found_at_once_and_gone_after_removal(
    search_server: LiveServer, search_kg: KnowledgeGraph
) -> None:
    """An approved instrument is the top hit for a paraphrase as soon as the write returns (no rebuild or
    sync call), and no longer found once its graph is removed."""
    new = "instrument/nachtdienst-estafette"
    assert new not in ids(ok(get(search_server, "/search", q=NIGHT_SHIFT_QUERY, limit=100)))
    with written(search_kg, "night-shift", NIGHT_SHIFT):
        body = ok(get(search_server, "/search", q=NIGHT_SHIFT_QUERY, limit=5))
        assert ids(body)[0] == new, ids(body)
        assert ok(get(search_server, "/instruments/nachtdienst-estafette/similar", k=3))["results"]
    after = ok(get(search_server, "/search", q=NIGHT_SHIFT_QUERY, limit=100))
    assert new not in ids(after)
    assert_problem(get(search_server, "/instruments/nachtdienst-estafette/similar"), 404)


def test_a_proposed_instrument_is_found_only_after_approval(
    search_server: LiveServer, search_kg: KnowledgeGraph
) -> None:
    """A proposed graph's instrument is not searchable; approving the graph makes it the top hit, and
    rejecting it again hides it."""
    new = "instrument/drone-oefenveld"
    with written(search_kg, "drones", DRONES, review_state="proposed") as graph:
        assert new not in ids(ok(get(search_server, "/search", q=DRONES_QUERY, limit=100)))
        assert search_kg.set_review_state(graph, "approved")
        assert ids(ok(get(search_server, "/search", q=DRONES_QUERY, limit=5)))[0] == new
        assert search_kg.set_review_state(graph, "rejected")
        assert new not in ids(ok(get(search_server, "/search", q=DRONES_QUERY, limit=100)))


# --------------------------------------------------------------------------------- similarity graph

LINKS = """PREFIX lc: <https://w3id.org/lcgraph/ontology#>
SELECT ?link ?source ?target ?score ?text ?overlap ?targetIsCase WHERE {
  ?link a lc:SimilarityLink ; lc:linkSource ?source ; lc:linkTarget ?target ; lc:similarityScore ?score ;
        lc:textSimilarity ?text ; lc:attributeOverlap ?overlap .
  ?source a lc:Case .
  BIND(EXISTS { ?target a lc:Case } AS ?targetIsCase)
}"""


def case_links(server: LiveServer) -> list[dict[str, str]]:
    """Return the similarity links whose source is a case, through the public SPARQL endpoint."""
    response = httpx.get(
        server.url + "/sparql",
        params={"query": LINKS},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def test_similarity_links_are_queryable_with_sparql(
    search_server: LiveServer, search_kg: KnowledgeGraph
) -> None:
    """Every case has its similarity links in the public graph, each from a case to another case, with a
    combined score, a text similarity and an attribute overlap."""
    links = case_links(search_server)
    cases = {c.iri for c in search_kg.cases()}
    per_source: dict[str, int] = {}
    for link in links:
        assert link["targetIsCase"] == "true" and link["target"] in cases
        assert link["source"] != link["target"]
        assert 0.0 <= float(link["overlap"]) <= 1.0 and -1.0 <= float(link["text"]) <= 1.0
        assert math.isfinite(float(link["score"]))
        per_source[link["source"]] = per_source.get(link["source"], 0) + 1
    assert set(per_source) == cases
    assert set(per_source.values()) == {LINKS_PER_ITEM}


def test_similarity_graph_follows_writes(search_server: LiveServer, search_kg: KnowledgeGraph) -> None:
    """Adding a case rewrites the similarity graph with links from the new case; removing it restores the
    links as they were."""
    before = {(link["source"], link["target"]) for link in case_links(search_server)}
    digest = search_kg.registered_hash(SIMILARITY_GRAPH)
    new = LCD + "case/test-heat-pump-academy"
    triples = case_triples(
        "test-heat-pump-academy",
        name="Warmtepompacademie",
        description={
            "nl": "Installateurs, een mbo-school en een energiecoöperatie leiden samen monteurs op voor "
            "warmtepompen en leren van elkaars praktijk.",
            "en": "Installers, a vocational school and an energy cooperative train heat pump fitters "
            "together and learn from each other's practice.",
        },
        sectors=["installation-energy"],
        instruments=["collega-interview"],
    )
    with written(search_kg, "heat-pump-case", triples):
        during = {(link["source"], link["target"]) for link in case_links(search_server)}
        assert search_kg.registered_hash(SIMILARITY_GRAPH) != digest
        assert len({t for s, t in during if s == new}) == LINKS_PER_ITEM
        assert {(s, t) for s, t in during if new not in (s, t)} <= before
    after = {(link["source"], link["target"]) for link in case_links(search_server)}
    assert after == before


# ----------------------------------------------------------------------------------- document chunks

REPORT = """# Verslag Kaaslab

## Aanleiding

In het Kaaslab werken kaasmakers van boerderijen en studenten van de zuivelopleiding samen aan het rijpen
van boerenkaas. Ze proeven elke maand de kazen en noteren wat het klimaat in de rijpingskelder deed.

## Werkwijze

De groep gebruikte Seeds of Innovation om ideeën voor nieuwe kaassoorten te verzamelen en te kiezen welke
ze verder uitwerken. Elke deelnemer bracht een eigen vraag uit de praktijk mee.
"""
CHEESE_QUERY = "studenten en boeren leren samen hoe je kaas laat rijpen in de kelder"


def document_passages(server: LiveServer, document: str) -> list[dict[str, Any]]:
    body = ok(get(server, "/search", q=CHEESE_QUERY, limit=3, passages=5))
    return [p for p in body["passages"] if p["document"] == document]


def test_an_approved_document_adds_passages(
    search_server: LiveServer, search_kg: KnowledgeGraph, tmp_path: Path
) -> None:
    """An ingested document is proposed: its passages stay out of search until it is approved, then come
    with their title and line span; rejected again, they are gone."""
    path = tmp_path / "kaaslab-verslag.md"
    path.write_text(REPORT, encoding="utf-8")
    before = ok(get(search_server, "/search/status"))["counts"]
    report = run(search_kg, [str(path)])
    [doc] = report.documents
    assert doc.status == "ingested" and doc.document and doc.graph and doc.chunks >= 1
    try:
        assert document_passages(search_server, doc.document) == []
        graph, changed = review_document(search_kg, str(path.name), "approved")
        assert changed and graph == doc.graph
        counts = ok(get(search_server, "/search/status"))["counts"]
        assert counts["chunks"] == counts["chunks_vectors"] == before["chunks"] + doc.chunks
        [passage, *_] = document_passages(search_server, doc.document)
        assert passage["source"] == "document" and passage["title"] == "Verslag Kaaslab"
        assert "Kaaslab" in passage["text"]
        start, end = (int(n) for n in passage["lines"].split("-"))
        assert 1 <= start <= end <= REPORT.count("\n") + 1
        review_document(search_kg, str(path.name), "rejected")
        assert document_passages(search_server, doc.document) == []
    finally:
        search_kg.remove_graph(URIRef(doc.graph))
    assert ok(get(search_server, "/search/status"))["counts"]["chunks"] == before["chunks"]
