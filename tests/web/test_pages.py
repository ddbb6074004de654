"""The web pages over HTTP (no browser): negotiation, language, sharing metadata, degraded modes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(catalog_kg: KnowledgeGraph, memory_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(memory_settings, kg=catalog_kg)) as c:
        yield c


def test_instrument_page_by_negotiation_keeps_rdf(client: TestClient) -> None:
    r = client.get("/id/instrument/seeds-of-innovation", headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    assert '<meta property="og:title" content="Seeds of Innovation">' in html
    assert 'property="og:url" content="http://testserver/id/instrument/seeds-of-innovation"' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "linkedin.com/sharing/share-offsite/?url=http%3A%2F%2Ftestserver%2Fid%2Finstrument" in html
    assert 'data-block="experiences"' in html
    assert "Greenport" in html, "where the instrument is used"
    ttl = client.get("/id/instrument/seeds-of-innovation", headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle") and "seeds-of-innovation" in ttl.text
    jsonld = client.get("/id/instrument/seeds-of-innovation?format=jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")


def test_case_and_community_pages(client: TestClient, catalog_kg: KnowledgeGraph) -> None:
    case = catalog_kg.cases()[0]
    r = client.get(f"/id/{case.id}", headers=HTML)
    assert r.status_code == 200 and 'id="outcomes-h"' in r.text and 'property="og:type"' in r.text
    community = catalog_kg.communities()[0]
    r = client.get(f"/id/{community.id}", headers=HTML)
    assert r.status_code == 200 and "page-community" in r.text
    concept = client.get("/concept/phase-start", headers=HTML)
    assert concept.status_code == 200 and "Starten" in concept.text
    missing = client.get("/id/instrument/no-such-thing", headers=HTML)
    assert missing.status_code == 404 and "<html" in missing.text


def test_search_without_the_search_service_says_so(client: TestClient) -> None:
    r = client.get("/?q=energie", headers=HTML)
    assert r.status_code == 200 and 'id="search-unavailable"' in r.text
    page = client.get("/id/instrument/seeds-of-innovation", headers=HTML).text
    assert "zoeken staat uit" in page


def test_language_from_parameter_cookie_and_accept_language(client: TestClient) -> None:
    assert '<html lang="nl">' in client.get("/login", headers=HTML).text
    english = client.get("/login", headers={**HTML, "Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and english.headers["content-language"] == "en"
    switched = client.get("/login?lang=en", headers=HTML)
    assert switched.cookies.get("lcgraph_lang") == "en"
    assert '<html lang="en">' in client.get("/", headers=HTML).text, "the cookie keeps the choice"
    client.get("/?lang=nl", headers=HTML)
    assert '<html lang="nl">' in client.get("/", headers=HTML).text


def test_sparql_get_without_query(client: TestClient) -> None:
    editor = client.get("/sparql", headers=HTML)
    assert editor.status_code == 200 and "07-most-used-instruments" in editor.text
    assert "/static/vendor/codemirror.js" in editor.text
    machine = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert machine.status_code == 400, "a client that wants results still learns the query is missing"
    csv = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s a ?t } LIMIT 2", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")


def test_ontology_page_and_rdf(client: TestClient) -> None:
    html = client.get("/ontology", headers=HTML).text
    assert 'id="Instrument"' in html and 'id="hasVersion"' in html and 'lang="en"' in html
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).text.count("owl:Class") > 10


def test_neighbourhood_json(client: TestClient) -> None:
    r = client.get("/graph/neighbourhood", params={"iri": "/id/instrument/seeds-of-innovation"})
    data = r.json()
    assert data["center"].endswith("/id/instrument/seeds-of-innovation")
    kinds = {n["kind"] for n in data["nodes"]}
    assert {"instrument", "case", "concept"} <= kinds
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in data["edges"])
    assert client.get("/graph/neighbourhood", params={"iri": "https://example.org/x"}).status_code == 404
    assert client.get("/graph/neighbourhood", params={"iri": "/id/instrument/nope"}).status_code == 404
    assert client.get("/graph/neighbourhood", params={"iri": "/id/x> ?p ?o } #"}).status_code == 404


def test_static_files_and_missing_vendor_files(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert client.get("/static/app.css").status_code == 200
    import api.web.render as render

    monkeypatch.setattr(render, "VENDOR_DIR", tmp_path)
    page = client.get("/sparql", headers=HTML).text
    assert 'data-vendor-missing="codemirror.js codemirror.css sparql.js"' in page


def test_login_page_offers_openid_when_configured(
    catalog_kg: KnowledgeGraph, memory_settings: Settings
) -> None:
    settings = memory_settings.model_copy(update={"oidc_preset": "linkedin", "oidc_client_id": "abc"})
    with TestClient(create_app(settings, kg=catalog_kg)) as c:
        html = c.get("/login?next=/sparql", headers=HTML).text
    assert 'action="/auth/login"' in html and 'name="password"' in html
    assert "/auth/oidc/login?next=/sparql" in html and "LinkedIn" in html
