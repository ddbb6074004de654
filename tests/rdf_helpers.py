"""Compare RDF datasets in tests, up to blank-node renaming."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.revision import is_revision_quad
from kg.terms import to_rdflib


def _graphs(quads: set[ox.Quad]) -> dict[str, Graph]:
    out: dict[str, Graph] = {}
    for q in quads:
        name = "" if isinstance(q.graph_name, ox.DefaultGraph) else q.graph_name.value
        out.setdefault(name, Graph()).add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return out


def assert_isomorphic(left: set[ox.Quad], right: set[ox.Quad]) -> None:
    """Compare two datasets graph by graph, up to blank-node renaming."""
    a, b = _graphs(left), _graphs(right)
    assert sorted(a) == sorted(b)
    for name in a:
        assert len(a[name]) == len(b[name]), name
        assert isomorphic(a[name], b[name]), name


def read_quads(path: Path, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> set[ox.Quad]:
    """Parse a dataset file into a set of quads."""
    return {q for q in ox.parse(path=str(path), format=fmt) if isinstance(q, ox.Quad)}


def without_revision(quads: set[ox.Quad]) -> set[ox.Quad]:
    """Leave out the store's revision token (kg.revision), which each store keeps for itself."""
    return {q for q in quads if not is_revision_quad(q)}
