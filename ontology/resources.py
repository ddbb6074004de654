"""Locate and parse the ontology files that ship with the package (nothing is read at import)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rdflib import Graph

HERE = Path(__file__).resolve().parent
ONTOLOGY_TTL = HERE / "lc.ttl"
CONCEPTS_TTL = HERE / "concepts.ttl"
SHAPES_TTL = HERE / "shapes.ttl"


@cache
def _parse(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle")
    return graph


def ontology_graph() -> Graph:
    """Return the OWL ontology (classes and properties) as a fresh rdflib graph."""
    return _copy(_parse(ONTOLOGY_TTL))


def concepts_graph() -> Graph:
    """Return the SKOS concept schemes as a fresh rdflib graph."""
    return _copy(_parse(CONCEPTS_TTL))


def shapes_graph() -> Graph:
    """Return the SHACL shapes as a fresh rdflib graph."""
    return _copy(_parse(SHAPES_TTL))


def _copy(graph: Graph) -> Graph:
    out = Graph()
    for prefix, ns in graph.namespaces():
        out.bind(prefix, ns, override=True)
    for triple in graph:
        out.add(triple)
    return out
