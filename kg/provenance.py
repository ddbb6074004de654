"""Provenance of single facts: every triple gets a reified record of where it came from.

A record is an ``rdf:Statement`` in the same named graph as the fact, carrying the source
document, the citation (line or page span), the section, the extraction method, the confidence
and the review state. Its IRI is a hash of the graph and the triple, so re-writing a fact gives
the same record and loads stay idempotent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV
from rdflib.term import Node

from ontology.vocab import LC, LCF, concept


@dataclass(frozen=True)
class Provenance:
    """Where a group of facts comes from and how much it is trusted.

    Attributes:
        document: IRI of the source document, or ``None`` for a user submission.
        citation: the span in the source, e.g. ``"001:3103-3118"`` or ``"p. 12"``.
        section: the section of the source, when known.
        method: extraction method slug: curated, manual, rule or model.
        confidence: 0..1; curated facts are 1.
        review_state: proposed, approved or rejected.
    """

    document: URIRef | None
    citation: str | None = None
    section: str | None = None
    method: str = "curated"
    confidence: float = 1.0
    review_state: str = "approved"


Triple = tuple[Node, Node, Node]


def fact_iri(graph: URIRef, triple: Triple) -> URIRef:
    """Return the stable IRI of the provenance record of ``triple`` in ``graph``."""
    key = "\x1f".join([str(graph), *(t.n3() for t in triple)])
    return LCF[hashlib.sha1(key.encode("utf-8")).hexdigest()]


def provenance_triples(graph: URIRef, triple: Triple, prov: Provenance) -> list[Triple]:
    """Describe one fact's provenance as triples about its record."""
    record = fact_iri(graph, triple)
    s, p, o = triple
    out: list[Triple] = [
        (record, RDF.type, RDF.Statement),
        (record, RDF.subject, s),
        (record, RDF.predicate, p),
        (record, RDF.object, o),
        (record, LC.extractionMethod, concept("extraction-method", prov.method)),
        (record, LC.confidence, Literal(f"{prov.confidence:.3f}", datatype=XSD.decimal)),
        (record, LC.reviewState, concept("review-state", prov.review_state)),
    ]
    if prov.document is not None:
        out.append((record, PROV.wasDerivedFrom, prov.document))
    if prov.citation:
        out.append((record, LC.citation, Literal(prov.citation)))
    if prov.section:
        out.append((record, LC.section, Literal(prov.section)))
    return out


def with_provenance(graph: URIRef, facts: Iterable[tuple[Triple, Provenance]]) -> list[Triple]:
    """Return the facts followed by the provenance records of each (duplicates removed)."""
    seen: set[Triple] = set()
    out: list[Triple] = []
    for triple, prov in facts:
        if triple in seen:
            continue
        seen.add(triple)
        out.append(triple)
        out.extend(provenance_triples(graph, triple, prov))
    return out
