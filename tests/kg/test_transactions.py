"""Writes are transactional: a multi-step update that fails part-way leaves the store untouched,
and data written survives closing and reopening the on-disk store."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.config import Settings
from kg.errors import InvalidInput, StoreUnavailable
from kg.graph import KnowledgeGraph
from kg.store import OxigraphStore
from kg.store.base import ChangeSet
from kg.store.oxigraph import render_update

EX = "http://example.org/"


def test_update_failing_in_its_last_operation_rolls_back_the_earlier_ones(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    keep = ox.Quad(ox.NamedNode(EX + "keep"), ox.NamedNode(EX + "p"), ox.Literal("1"), ox.NamedNode(EX + "g"))
    store.apply(ChangeSet(add=[keep]))
    new = [
        ox.Quad(
            ox.NamedNode(EX + f"n{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.NamedNode(EX + "g2")
        )
        for i in range(1000)
    ]
    update = render_update(ChangeSet(drop_graphs=[ox.NamedNode(EX + "g")], add=new))
    # The last operation fails (the graph does not exist and SILENT is absent): nothing may stick.
    with pytest.raises(Exception):  # noqa: B017
        store._store.update(update + " ;\nDROP GRAPH <http://example.org/does-not-exist>")
    assert set(store.quads()) == {keep}
    store.close()


def test_write_graph_with_a_bad_triple_half_way_writes_nothing(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    graph = URIRef(EX + "graph")
    good = [(URIRef(EX + f"s{i}"), URIRef(EX + "p"), Literal(i)) for i in range(500)]
    kg.write_graph(graph, good[:10], title="first", method="manual")
    before = set(kg.store.quads())
    bad = [*good[:250], (URIRef(EX + "s"), Literal("not a predicate"), Literal(1)), *good[250:]]
    with pytest.raises(InvalidInput):
        kg.write_graph(graph, bad, title="second", method="manual")  # type: ignore[arg-type]
    assert set(kg.store.quads()) == before
    kg.close()


def test_data_survives_a_restart(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    graph = URIRef(EX + "graph")
    kg.write_graph(
        graph, [(URIRef(EX + "s"), URIRef(EX + "p"), Literal("persisted"))], title="t", method="manual"
    )
    kg.close()
    reopened = KnowledgeGraph.open(disk_settings)
    assert [g.iri for g in reopened.graphs()] == [str(graph)]
    assert reopened.registered_hash(graph) is not None
    assert "persisted" in {
        q.object.value for q in reopened.store.quads(None, None, None, ox.NamedNode(str(graph)))
    }
    reopened.close()


def test_second_process_gets_a_clear_error(disk_settings: Settings) -> None:
    import subprocess
    import sys

    kg = KnowledgeGraph.open(disk_settings)
    code = (
        "from kg.config import Settings\nfrom kg.graph import KnowledgeGraph\n"
        f"KnowledgeGraph.open(Settings(home={str(disk_settings.home)!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    kg.close()
    assert proc.returncode != 0
    assert "StoreUnavailable" in proc.stderr
    assert "another lcgraph process" in proc.stderr
    _ = StoreUnavailable
