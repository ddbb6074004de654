"""Export then import gives an isomorphic dataset, in every lossless format."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from tests.rdf_helpers import assert_isomorphic, without_revision


@pytest.mark.parametrize("fmt", [ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG])
def test_round_trip_is_lossless(
    catalog_kg: KnowledgeGraph, memory_settings: Settings, fmt: ox.RdfFormat
) -> None:
    data = catalog_kg.store.dump(fmt)
    target = KnowledgeGraph.open(memory_settings)
    quads = [q for q in ox.parse(data, format=fmt) if isinstance(q, ox.Quad)]
    target.import_quads(quads)
    # Each store has a revision token of its own (kg.revision); everything else is copied.
    assert_isomorphic(
        without_revision(set(target.store.quads())), without_revision(set(catalog_kg.store.quads()))
    )
    # The copy behaves the same: same registry, same visible graphs, same entity views.
    assert [g.iri for g in target.graphs()] == [g.iri for g in catalog_kg.graphs()]
    assert target.instrument("seeds-of-innovation") == catalog_kg.instrument("seeds-of-innovation")
    target.close()


def test_round_trip_through_rdflib_is_isomorphic(catalog_kg: KnowledgeGraph) -> None:
    from rdflib import Dataset

    data = catalog_kg.store.dump(ox.RdfFormat.N_QUADS)
    ds = Dataset()
    ds.parse(data=data.decode("utf-8"), format="nquads")
    back = ds.serialize(format="nquads").encode("utf-8")
    again = {q for q in ox.parse(back, format=ox.RdfFormat.N_QUADS) if isinstance(q, ox.Quad)}
    assert_isomorphic(again, set(catalog_kg.store.quads()))
