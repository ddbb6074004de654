"""The accounts graph is private: no public door (SPARQL, REST, linked data, public export) reads it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import URIRef

from kg.accounts import AccountStore
from kg.accounts.credentials import new_session_key
from kg.config import Settings
from kg.errors import InvalidInput
from kg.graph import ACCOUNTS_GRAPH, REGISTRY, KnowledgeGraph
from kg.loading import load_catalog
from kg.permissions import Role, Scope
from kg.store import ChangeSet
from tests.auth.conftest import PASSWORD, Server, auth_settings, make_app

ACCOUNTS = str(ACCOUNTS_GRAPH)
ISSUER = "https://issuer.invalid/oidc-private-marker"
# Strings that only account data contains (the public ontology defines the terms, so terms are no marker).
MARKERS = (
    "fenna@example.org",
    "$argon2",
    "/id/account/",
    "/id/token/",
    "/id/session/",
    "/id/identity/",
    ISSUER,
)


@pytest.fixture(scope="module")
def private_setup(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[KnowledgeGraph, Server, Settings]]:
    settings = auth_settings(tmp_path_factory.mktemp("private"))
    kg = KnowledgeGraph.open(settings)
    load_catalog(kg)
    accounts = AccountStore(kg.store)
    accounts.create("fenna", name="Fenna", email="fenna@example.org", roles=[Role.ADMIN], password=PASSWORD)
    accounts.create_token("fenna", frozenset({Scope.READ}), expires_in=timedelta(days=1))
    accounts.create_session("fenna", ttl=timedelta(hours=1), session_key=new_session_key())
    accounts.link_identity("fenna", ISSUER, "subject-1")
    assert accounts.store.count(ox.NamedNode(ACCOUNTS)) > 20
    server = Server(make_app(kg, settings)).start()
    yield kg, server, settings
    server.stop()
    kg.close()


def leaks(text: str) -> list[str]:
    return [m for m in MARKERS if m in text]


QUERIES = [
    "SELECT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    f"SELECT * FROM <{ACCOUNTS}> WHERE {{ ?s ?p ?o }}",
    f"SELECT * FROM NAMED <{ACCOUNTS}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{ACCOUNTS}> {{ ?s ?p ?o }} }}",
    f"SELECT * WHERE {{ GRAPH <{REGISTRY}> {{ ?s ?p ?o }} }}",
    "SELECT ?o WHERE { ?s <https://schema.org/email> ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    "DESCRIBE <https://w3id.org/lcgraph/id/account/fenna>",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
]


@pytest.mark.parametrize("query", QUERIES)
def test_sparql_endpoint_never_sees_accounts(
    private_setup: tuple[KnowledgeGraph, Server, Settings], query: str
) -> None:
    _, server, _ = private_setup
    for params in (
        {"query": query},
        {"query": query, "default-graph-uri": ACCOUNTS},
        {"query": query, "named-graph-uri": ACCOUNTS},
    ):
        r = httpx.post(
            server.url + "/sparql", data=params, headers={"Accept": "text/csv, text/turtle"}, timeout=60
        )
        assert r.status_code in (200, 400), r.text
        assert leaks(r.text) == [], (params, r.text[:300])
        assert ACCOUNTS not in r.text
    ask = f"ASK {{ GRAPH <{ACCOUNTS}> {{ ?s ?p ?o }} }}"
    assert (
        httpx.get(server.url + "/sparql", params={"query": ask, "format": "json"}).json()["boolean"] is False
    )


def test_the_markers_are_really_in_the_store(private_setup: tuple[KnowledgeGraph, Server, Settings]) -> None:
    """The negative checks above only mean something if the data they look for exists."""
    kg, _, _ = private_setup
    dump = kg.store.dump(ox.RdfFormat.N_QUADS).decode()
    assert all(m in dump for m in MARKERS)


def test_rest_and_linked_data_never_see_accounts(
    private_setup: tuple[KnowledgeGraph, Server, Settings],
) -> None:
    kg, server, _ = private_setup
    for path in ("/id/account/fenna", "/id/identity/x"):
        r = httpx.get(server.url + path, headers={"Accept": "text/turtle"})
        assert r.status_code == 404  # its message names the path asked for, nothing else
        assert "fenna@example.org" not in r.text and "$argon2" not in r.text
    graphs = httpx.get(server.url + "/graphs").text
    assert ACCOUNTS not in graphs
    assert leaks(httpx.get(server.url + "/stats").text) == []
    assert all(g.value != ACCOUNTS for g in kg.visible_graphs())
    assert kg.resolve("fenna") == [] and kg.resolve("Fenna") == []


def test_public_export_never_sees_accounts(private_setup: tuple[KnowledgeGraph, Server, Settings]) -> None:
    kg, _, _ = private_setup
    visible = kg.visible_graphs()
    result = kg.store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", default_graph=visible)
    assert isinstance(result, ox.QueryTriples)
    turtle = ox.serialize(list(result), format=ox.RdfFormat.TURTLE)
    assert isinstance(turtle, bytes) and len(turtle) > 100_000
    assert leaks(turtle.decode()) == []


def test_accounts_graph_cannot_be_made_public(private_setup: tuple[KnowledgeGraph, Server, Settings]) -> None:
    kg, server, _ = private_setup
    with pytest.raises(InvalidInput, match="private"):
        kg.write_graph(URIRef(ACCOUNTS), [], title="accounts", method="manual")
    # An imported registry that claims the graph is approved does not make it visible either.
    approved = ox.NamedNode("https://w3id.org/lcgraph/concept/review-state-approved")
    claim = ox.Quad(
        ox.NamedNode(ACCOUNTS),
        ox.NamedNode("https://w3id.org/lcgraph/ontology#reviewState"),
        approved,
        ox.NamedNode(str(REGISTRY)),
    )
    kg.import_quads([claim])
    try:
        assert all(g.value != ACCOUNTS for g in kg.visible_graphs())
        r = httpx.post(server.url + "/sparql", data={"query": QUERIES[0]}, headers={"Accept": "text/csv"})
        assert leaks(r.text) == []
    finally:
        kg.store.apply(ChangeSet(remove=[claim]))


def test_session_key_file_is_private(tmp_path: Path) -> None:
    from kg.accounts.credentials import signing_key

    settings = Settings(store="memory", home=tmp_path / "home")
    key = signing_key(settings)
    path = tmp_path / "home" / "session.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert signing_key(settings) == key and len(key) >= 32, "the same key for every process"
