"""The derived named graph ``lcg:similarity``: the search index's similarity links, queryable with SPARQL.

For every case and instrument, its :data:`LINKS_PER_ITEM` most similar items of the same type become an
``lc:SimilarityLink`` (source, target, combined score, text similarity, attribute overlap, shared
attributes, method) plus the shortcut triple ``source lc:similarTo target``. The graph is approved (it is
derived from approved graphs only) and rewritten after every index sync that changed something, so a
researcher can write, for instance::

    SELECT ?case ?other ?score WHERE {
      ?link a lc:SimilarityLink ; lc:linkSource ?case ; lc:linkTarget ?other ; lc:similarityScore ?score .
      ?other lc:inSector lcc:sector-care-welfare .
    }
"""

from __future__ import annotations

import hashlib
from typing import Final

from rdflib import RDF, XSD, Literal, URIRef

from kg.graph import KnowledgeGraph, WriteResult
from kg.provenance import Triple
from kg.search.engine import SearchEngine
from kg.search.related import GRAPH_SHARE, similar_scores
from ontology.vocab import LC, LCC, LCG

__all__ = ["LINKS_PER_ITEM", "SIMILARITY_GRAPH", "similarity_triples", "write_similarity_graph"]

SIMILARITY_GRAPH: Final = URIRef(str(LCG) + "similarity")
LINKS_PER_ITEM: Final = 5
LINK_TYPES: Final = ("case", "instrument")


def _link_iri(source: str, target: str) -> URIRef:
    digest = hashlib.sha1(f"{source} {target}".encode()).hexdigest()[:16]
    return URIRef(f"{LCG}similarity/link/{digest}")


def _decimal(value: float) -> Literal:
    return Literal(f"{value:.4f}", datatype=XSD.decimal)


def similarity_triples(engine: SearchEngine, *, per_item: int = LINKS_PER_ITEM) -> list[Triple]:
    """Return the triples of the similarity graph for the engine's current indexes."""
    method = Literal(
        f"{engine.embedder.name} cosine x {1 - GRAPH_SHARE:.2f} + attribute overlap x {GRAPH_SHARE:.2f}"
    )
    triples: list[Triple] = []
    for doc in sorted(engine.entities.values(), key=lambda d: d.id):
        if doc.type not in LINK_TYPES or not doc.texts:
            continue
        for score, other, cosine, overlap, shared in similar_scores(engine, doc.id)[:per_item]:
            link = _link_iri(doc.iri, other.iri)
            triples += [
                (URIRef(doc.iri), LC.similarTo, URIRef(other.iri)),
                (link, RDF.type, LC.SimilarityLink),
                (link, LC.linkSource, URIRef(doc.iri)),
                (link, LC.linkTarget, URIRef(other.iri)),
                (link, LC.similarityScore, _decimal(score)),
                (link, LC.textSimilarity, _decimal(cosine)),
                (link, LC.attributeOverlap, _decimal(overlap)),
                (link, LC.similarityMethod, method),
            ]
            for _facet, values in sorted(shared.items()):
                for value in sorted(values):
                    target = engine.entities.get(value)
                    iri = URIRef(target.iri) if target is not None else URIRef(str(LCC._NS) + value)
                    triples.append((link, LC.sharedAttribute, iri))
    return triples


def write_similarity_graph(kg: KnowledgeGraph, engine: SearchEngine) -> WriteResult:
    """Replace ``lcg:similarity`` with the current links (a no-op when nothing changed)."""
    return kg.write_graph(
        SIMILARITY_GRAPH,
        similarity_triples(engine),
        title="Similarity links derived by the search index",
        method="model",
        review_state="approved",
    )
