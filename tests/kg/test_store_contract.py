"""One contract suite, run against every store backend: on-disk oxigraph, in-memory, and a remote SPARQL
server (a real ``oxigraph serve`` on 127.0.0.1, started once per module and emptied between tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store import ChangeSet, GraphStore, OxigraphStore
from kg.store.oxigraph_server import OxigraphServer
from kg.store.remote import SparqlProtocolStore

EX = "http://example.org/"
G1 = ox.NamedNode(EX + "g1")
G2 = ox.NamedNode(EX + "g2")


def q(s: str, o: str, g: ox.NamedNode = G1) -> ox.Quad:
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), ox.Literal(o), g)


@pytest.fixture(scope="module")
def oxigraph_server() -> Iterator[OxigraphServer]:
    with OxigraphServer(None) as server:
        yield server
    assert server.pid is None


@pytest.fixture(params=["disk", "memory", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[GraphStore]:
    s: GraphStore
    if request.param == "remote":
        server: OxigraphServer = request.getfixturevalue("oxigraph_server")
        remote = SparqlProtocolStore.at(server.url)
        remote.update("DROP ALL")
        s = remote
    else:
        s = OxigraphStore(tmp_path / "store" if request.param == "disk" else None)
    yield s
    s.close()


def test_apply_adds_and_counts(store: GraphStore) -> None:
    store.apply(ChangeSet(add=[q("a", "1"), q("b", "2"), q("c", "3", G2)]))
    assert store.count() == 3
    assert store.count(G1) == 2
    assert sorted(g.value for g in store.graphs()) == [G1.value, G2.value]


def test_apply_drop_remove_add_in_order(store: GraphStore) -> None:
    store.apply(ChangeSet(add=[q("a", "1"), q("b", "2"), q("c", "3", G2)]))
    store.apply(ChangeSet(drop_graphs=[G1], remove=[q("c", "3", G2)], add=[q("d", "4")]))
    assert [x.subject.value for x in store.quads(None, None, None, G1)] == [EX + "d"]
    assert store.count(G2) == 0


def test_literals_with_language_datatype_and_escapes_round_trip(store: GraphStore) -> None:
    tricky = [
        ox.Quad(
            ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal('quote " and \\ and\nnewline'), G1
        ),
        ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("één", language="nl"), G1),
        ox.Quad(
            ox.NamedNode(EX + "s"),
            ox.NamedNode(EX + "p"),
            ox.Literal("0.5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")),
            G1,
        ),
        ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.DefaultGraph()),
    ]
    store.apply(ChangeSet(add=tricky))
    assert set(store.quads()) == set(tricky)


def test_query_respects_dataset(store: GraphStore) -> None:
    store.apply(ChangeSet(add=[q("a", "public", G1), q("b", "secret", G2)]))
    result = store.query(
        "SELECT ?o FROM <http://example.org/g2> WHERE { ?s ?p ?o }", default_graph=[G1], named_graphs=[G1]
    )
    assert isinstance(result, ox.QuerySolutions)
    assert [row["o"].value for row in result] == ["public"]  # type: ignore[union-attr]
    result = store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", default_graph=[G1], named_graphs=[G1])
    assert [row["o"].value for row in result] == ["public"]  # type: ignore[union-attr]


def test_failing_change_set_leaves_no_trace(store: GraphStore) -> None:
    store.apply(ChangeSet(add=[q("a", "1")]))
    before = set(store.quads())
    bad = ChangeSet(add=[q(f"n{i}", str(i)) for i in range(2000)])

    class Exploding(list[ox.Quad]):
        def __iter__(self) -> Iterator[ox.Quad]:
            for i, item in enumerate(super().__iter__()):
                if i == 1500:
                    raise RuntimeError("disk on fire")
                yield item

    bad.add = Exploding(bad.add)
    with pytest.raises(RuntimeError):
        store.apply(bad)
    assert set(store.quads()) == before


def test_load_quads_is_all_or_nothing(store: GraphStore) -> None:
    def quads() -> Iterator[ox.Quad]:
        for i in range(100):
            if i == 60:
                raise ValueError("bad row 60")
            yield q(f"s{i}", str(i))

    with pytest.raises(ValueError):
        store.load_quads(quads())
    assert store.count() == 0
    assert store.load_quads(iter([q("x", "1")])) == 1
    assert store.count() == 1


def test_dump_round_trip(store: GraphStore) -> None:
    store.apply(ChangeSet(add=[q("a", "1"), q("b", "2", G2)]))
    data = store.dump(ox.RdfFormat.N_QUADS)
    copy = OxigraphStore(None)
    copy.load_quads(ox.parse(data, format=ox.RdfFormat.N_QUADS))  # type: ignore[arg-type]
    assert set(copy.quads()) == set(store.quads())
