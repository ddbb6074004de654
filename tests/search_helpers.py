"""Small hand-written instruments and cases for the search tests, written as their own named graphs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from rdflib import RDF, SKOS, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.graph import KnowledgeGraph
from kg.provenance import Triple
from ontology.vocab import LC, LCD, LCG, concept

TEST_GRAPHS = LCG["test/"]


def _texts(subject: URIRef, predicate: URIRef, texts: Mapping[str, str]) -> list[Triple]:
    return [(subject, predicate, Literal(text, lang=lang)) for lang, text in texts.items()]


def instrument_triples(
    slug: str,
    *,
    name: Mapping[str, str],
    description: Mapping[str, str],
    purpose: Mapping[str, str] | None = None,
    phases: Sequence[str] = (),
    roles: Sequence[str] = (),
    sectors: Sequence[str] = (),
    kind: str = "tool",
) -> list[Triple]:
    """Return the facts of an instrument as the catalog states them, in the languages given."""
    s = LCD[f"instrument/{slug}"]
    triples: list[Triple] = [
        (s, RDF.type, LC.Instrument),
        (s, LC.instrumentKind, concept("instrument-kind", kind)),
    ]
    triples += _texts(s, SKOS.prefLabel, name)
    triples += _texts(s, LC.purpose, purpose or {})
    triples += _texts(s, DCTERMS.description, description)
    triples += [(s, LC.servesPhase, concept("phase", p)) for p in phases]
    triples += [(s, LC.targetRole, concept("role", r)) for r in roles]
    triples += [(s, LC.originSector, concept("sector", x)) for x in sectors]
    return triples


def case_triples(
    slug: str,
    *,
    name: str,
    description: Mapping[str, str],
    sectors: Sequence[str] = (),
    instruments: Sequence[str] = (),
) -> list[Triple]:
    """Return the facts of a case that used catalog instruments (by slug)."""
    s = LCD[f"case/{slug}"]
    triples: list[Triple] = [(s, RDF.type, LC.Case), (s, SKOS.prefLabel, Literal(name))]
    triples += _texts(s, DCTERMS.description, description)
    triples += [(s, LC.inSector, concept("sector", x)) for x in sectors]
    triples += [(s, LC.usesInstrument, LCD[f"instrument/{i}"]) for i in instruments]
    return triples


def graph_iri(name: str) -> URIRef:
    """Return the IRI of a test graph."""
    return URIRef(f"{TEST_GRAPHS}{name}")


@contextmanager
def written(
    kg: KnowledgeGraph, name: str, triples: Sequence[Triple], *, review_state: str = "approved"
) -> Iterator[URIRef]:
    """Write ``triples`` as the named graph ``name`` and remove that graph again afterwards."""
    graph = graph_iri(name)
    kg.write_graph(graph, triples, title=f"search test {name}", method="manual", review_state=review_state)
    try:
        yield graph
    finally:
        kg.remove_graph(graph)
