"""Load the ontology and the curated catalog into the store: validate first, then one transaction.

Loading is idempotent: each graph carries a content hash in the registry, and an unchanged graph
is not rewritten. A catalog with SHACL violations writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.catalog import CATALOG_DIR, catalog_facts, facts_graph, read_catalog
from kg.errors import InvalidInput
from kg.graph import CATALOG_GRAPH, ONTOLOGY_GRAPH, KnowledgeGraph, WriteResult, content_hash
from kg.provenance import Triple, with_provenance
from kg.validation import Violation, validate_graph
from ontology.resources import concepts_graph, ontology_graph


@dataclass
class LoadReport:
    """What a catalog load did."""

    instruments: int = 0
    cases: int = 0
    organisations: int = 0
    people: int = 0
    documents: int = 0
    facts: int = 0
    writes: list[WriteResult] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Tell whether anything was written."""
        return any(w.changed for w in self.writes)


def ontology_triples() -> list[Triple]:
    """Return the ontology and the concept schemes as one list of triples."""
    graph = Graph()
    for part in (ontology_graph(), concepts_graph()):
        for triple in part:
            graph.add(triple)
    return list(graph)


def load_catalog(
    kg: KnowledgeGraph,
    directory: Path = CATALOG_DIR,
    *,
    force: bool = False,
    validate: bool = True,
) -> LoadReport:
    """Validate the catalog in ``directory`` and write it with the ontology.

    Raises:
        InvalidInput: the entries do not read, do not resolve, or break a SHACL shape (nothing written).
    """
    catalog = read_catalog(directory)
    facts = catalog_facts(catalog)
    report = LoadReport(
        instruments=len(catalog.instruments),
        cases=len(catalog.cases),
        organisations=len(catalog.organisations),
        people=len(catalog.people),
        documents=len(catalog.documents),
        facts=len(facts),
    )
    triples = with_provenance(CATALOG_GRAPH, facts)
    onto = ontology_triples()
    unchanged = (
        not force
        and kg.registered_hash(CATALOG_GRAPH) is not None
        and kg.registered_hash(CATALOG_GRAPH) == content_hash(triples)
        and kg.registered_hash(ONTOLOGY_GRAPH) == content_hash(onto)
    )
    if validate and not unchanged:
        report.violations = validate_graph(facts_graph(facts))
        if any(v.severity == "Violation" for v in report.violations):
            raise InvalidInput(
                f"the catalog breaks {len(report.violations)} SHACL constraint(s); nothing was written",
                where=str(directory),
                problems=[str(v) for v in report.violations],
            )
    report.writes.append(
        kg.write_graph(
            ONTOLOGY_GRAPH, onto, title="lcgraph ontology and concept schemes", method="curated", force=force
        )
    )
    report.writes.append(
        kg.write_graph(CATALOG_GRAPH, triples, title="lcgraph curated catalog", method="curated", force=force)
    )
    return report
