"""One visibility model: content in a graph that is not approved is invisible through every read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdflib import RDF, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.sparql import SelectResult
from ontology.vocab import LC, LCC, LCD, LCG

SECRET = LCD["instrument/secret-pending-tool"]


def _with_pending(memory_settings: Settings) -> KnowledgeGraph:
    kg = KnowledgeGraph.open(memory_settings)
    load_catalog(kg)
    triples = [
        (SECRET, RDF.type, LC.Instrument),
        (SECRET, RDF.type, LC.Tool),
        (SECRET, SKOS.prefLabel, Literal("Geheim hulpmiddel", lang="nl")),
        (SECRET, SKOS.prefLabel, Literal("Secret tool", lang="en")),
        (SECRET, LC.instrumentKind, LCC["instrument-kind-tool"]),
        (SECRET, LC.purpose, Literal("pending purpose", lang="en")),
        (SECRET, LC.servesPhase, LCC["phase-design"]),
        # A pending claim about a public entity must not leak either.
        (LCD["instrument/seeds-of-innovation"], DCTERMS.description, Literal("PENDING CLAIM", lang="en")),
    ]
    kg.write_graph(
        URIRef(str(LCG["submission/1"])), triples, title="pending", method="manual", review_state="proposed"
    )
    return kg


@pytest.fixture(scope="module")
def kg_with_pending(memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    """A catalog plus a pending submission; read-only tests share it."""
    kg = _with_pending(memory_settings)
    yield kg
    kg.close()


@pytest.fixture()
def own_kg_with_pending(memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    """A private copy for tests that change it."""
    kg = _with_pending(memory_settings)
    yield kg
    kg.close()


def test_pending_entity_is_not_listed_or_found(kg_with_pending: KnowledgeGraph) -> None:
    kg = kg_with_pending
    assert str(SECRET) not in {i.iri for i in kg.instruments()}
    assert str(SECRET) not in {i.iri for i in kg.instruments(phase="design")}
    assert kg.resolve("Secret tool") == []
    assert not kg.exists(str(SECRET))
    assert kg.describe(str(SECRET)) == []


def test_pending_claim_about_public_entity_is_hidden(kg_with_pending: KnowledgeGraph) -> None:
    detail = kg_with_pending.instrument("seeds-of-innovation")
    assert "PENDING CLAIM" not in (detail.description.en or "")
    assert all("PENDING" not in f.value for f in detail.facts)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?o WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'PENDING') || CONTAINS(STR(?o), 'Secret')) }",
        "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), 'PENDING')) }",
        "SELECT ?o FROM <https://w3id.org/lcgraph/graph/submission/1> "
        "WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), 'PENDING') || CONTAINS(STR(?o), 'Secret')) }",
        "SELECT ?o FROM NAMED <https://w3id.org/lcgraph/graph/submission/1> "
        "WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), 'PENDING')) }",
        "SELECT ?o WHERE { GRAPH <https://w3id.org/lcgraph/graph/submission/1> { ?s ?p ?o } }",
        "SELECT ?o WHERE { GRAPH <https://w3id.org/lcgraph/graph/registry> { ?s ?p ?o } }",
    ],
)
def test_pending_content_is_invisible_to_sparql(kg_with_pending: KnowledgeGraph, query: str) -> None:
    result = kg_with_pending.sparql(query)
    assert isinstance(result, SelectResult)
    assert [r for r in result.rows if "PENDING" in r["o"].value or "Secret" in r["o"].value] == []


def test_approving_makes_it_visible(own_kg_with_pending: KnowledgeGraph) -> None:
    kg = own_kg_with_pending
    graph = URIRef(str(LCG["submission/1"]))
    q = kg.store.quads(None, None, None, None)
    triples = [
        (URIRef(x.subject.value), URIRef(x.predicate.value), _lit_or_iri(x.object))
        for x in q
        if x.graph_name.value == str(graph)  # type: ignore[union-attr]
    ]
    kg.write_graph(graph, triples, title="approved now", method="manual", review_state="approved")
    assert str(SECRET) in {i.iri for i in kg.instruments(phase="design")}


def _lit_or_iri(term: object) -> URIRef | Literal:
    import pyoxigraph as ox

    assert isinstance(term, ox.NamedNode | ox.Literal)
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    return Literal(term.value, lang=term.language) if term.language else Literal(term.value)
