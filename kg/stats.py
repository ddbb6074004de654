"""Counts of what the public graph holds, for ``lcgraph stats`` and ``GET /stats``."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import OWL, RDF, SKOS

from kg.graph import KnowledgeGraph
from kg.model import Stats
from ontology.vocab import LC, LCC


def _count(kg: KnowledgeGraph, where: str) -> int:
    result = kg.public_query(f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }}")
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        n = row["n"]
        assert isinstance(n, ox.Literal)
        return int(n.value)
    return 0


def _grouped(kg: KnowledgeGraph, where: str) -> dict[str, int]:
    result = kg.public_query(
        f"SELECT ?k (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {where} }} GROUP BY ?k ORDER BY DESC(?n) ?k"
    )
    assert isinstance(result, ox.QuerySolutions)
    out: dict[str, int] = {}
    base = str(LCC._NS)
    for row in result:
        k, n = row["k"], row["n"]
        assert k is not None and isinstance(n, ox.Literal)
        out[k.value.removeprefix(base)] = int(n.value)
    return out


def collect_stats(kg: KnowledgeGraph) -> Stats:
    """Count entities, concepts, ontology terms, provenance records and triples."""
    return Stats(
        triples=kg.store.count(),
        graphs=kg.graphs(),
        instruments=_count(kg, f"?x a <{LC.Instrument}>"),
        cases=_count(kg, f"?x a <{LC.Case}>"),
        communities=_count(kg, f"{{ ?x a <{LC.LearningCommunity}> }} UNION {{ ?x a <{LC.Collective}> }}"),
        learning_communities=_count(kg, f"?x a <{LC.LearningCommunity}>"),
        organisations=_count(kg, f"?x a <{LC.Organisation}>"),
        people=_count(kg, f"?x a <{LC.Person}>"),
        documents=_count(kg, f"?x a <{LC.Document}>"),
        concepts=_count(kg, f"?x a <{SKOS.Concept}>"),
        concept_schemes=_count(kg, f"?x a <{SKOS.ConceptScheme}>"),
        classes=_count(kg, f"?x a <{OWL.Class}> FILTER(STRSTARTS(STR(?x), '{LC._NS}'))"),
        properties=_count(
            kg,
            f"VALUES ?t {{ <{OWL.ObjectProperty}> <{OWL.DatatypeProperty}> <{OWL.AnnotationProperty}> }} "
            f"?x a ?t FILTER(STRSTARTS(STR(?x), '{LC._NS}'))",
        ),
        fact_records=_count(kg, f"?x a <{RDF.Statement}>"),
        instruments_by_kind=_grouped(kg, f"?x a <{LC.Instrument}> ; <{LC.instrumentKind}> ?k"),
        instruments_by_phase=_grouped(kg, f"?x a <{LC.Instrument}> ; <{LC.servesPhase}> ?k"),
        cases_by_sector=_grouped(kg, f"?x a <{LC.Case}> ; <{LC.inSector}> ?k"),
    )
