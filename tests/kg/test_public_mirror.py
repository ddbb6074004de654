"""The public mirror (kg.public_mirror): exactly the approved graphs, kept in step, rebuilt when behind."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef

from kg.config import Settings
from kg.graph import ACCOUNTS_GRAPH, KnowledgeGraph
from kg.permissions import ANONYMOUS
from kg.sparql import SelectResult
from kg.store import ChangeSet, OxigraphStore
from kg.visibility import dataset_for

EX = "https://example.org/mirror/"
P = URIRef(EX + "p")


def graph(name: str) -> URIRef:
    return URIRef(EX + "graph/" + name)


def write(kg: KnowledgeGraph, name: str, value: str, state: str = "approved") -> None:
    kg.write_graph(
        graph(name), [(URIRef(EX + name), P, Literal(value))], title=name, method="manual", review_state=state
    )


def mirrored(kg: KnowledgeGraph) -> dict[str, set[str]]:
    """The mirror's content: graph name -> the literal values in it."""
    assert kg.mirror is not None
    out: dict[str, set[str]] = {}
    for q in kg.mirror.store.quads():
        assert isinstance(q.graph_name, ox.NamedNode), "the mirror's default graph must stay empty"
        out.setdefault(q.graph_name.value, set()).add(q.object.value)
    return out


def public_in_main(kg: KnowledgeGraph) -> dict[str, set[str]]:
    """The approved graphs of the main store, read over the graph list (the reference)."""
    out: dict[str, set[str]] = {}
    for g in kg.visible_graphs():
        for q in kg.store.quads(None, None, None, g):
            out.setdefault(g.value, set()).add(q.object.value)
    return out


def anonymous_graphs(kg: KnowledgeGraph) -> set[str]:
    result = kg.sparql("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(result, SelectResult)
    return {row["g"].value for row in result.rows}


def test_the_mirror_follows_every_kind_of_write(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    try:
        assert kg.mirror_in_use
        write(kg, "a", "a1")
        write(kg, "b", "b1", state="proposed")
        write(kg, "c", "c1", state="private")
        assert mirrored(kg) == {str(graph("a")): {"a1"}}
        assert anonymous_graphs(kg) == {str(graph("a"))}

        kg.set_review_state(graph("b"), "approved")  # a registry-only change makes b public
        write(kg, "a", "a2")  # replaced content: the old value must not linger
        assert mirrored(kg) == {str(graph("a")): {"a2"}, str(graph("b")): {"b1"}}

        kg.set_review_state(graph("a"), "rejected")
        kg.remove_graph(graph("b"))
        assert mirrored(kg) == {}
        assert anonymous_graphs(kg) == set()
        assert mirrored(kg) == public_in_main(kg)
    finally:
        kg.close()


def test_an_import_replacing_everything_is_mirrored(
    catalog_kg: KnowledgeGraph, memory_settings: Settings
) -> None:
    target = KnowledgeGraph.open(memory_settings)
    try:
        write(target, "gone", "x")
        quads = list(ox.parse(catalog_kg.store.dump(ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS))
        target.import_quads([q for q in quads if isinstance(q, ox.Quad)], replace=True)
        assert str(graph("gone")) not in mirrored(target)
        assert set(mirrored(target)) == {g.value for g in catalog_kg.visible_graphs()}
        assert target.mirror is not None
        assert target.mirror.store.count() == sum(
            catalog_kg.store.count(g) for g in catalog_kg.visible_graphs()
        )
    finally:
        target.close()


QUERIES = [
    "SELECT ?s ?label WHERE { ?s a <https://w3id.org/lcgraph/ontology#Instrument> ; "
    "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p",
    "SELECT ?c ?i WHERE { ?c <https://w3id.org/lcgraph/ontology#usesInstrument> ?i }",
    "ASK { ?s ?p ?o }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_public_sparql_on_the_mirror_equals_the_graph_list(catalog_kg: KnowledgeGraph, query: str) -> None:
    visible = catalog_kg.visible_graphs()
    executor, default, named = catalog_kg.route(visible, visible)
    assert executor is catalog_kg.public_executor and default is None and named is None
    on_mirror = catalog_kg.sparql(query)
    on_main = catalog_kg.executor.run(query, default_graph=visible, named_graphs=visible)
    if isinstance(on_main, SelectResult):
        assert isinstance(on_mirror, SelectResult)
        assert len(on_main.rows) > 0

        def key(rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]) -> list[str]:
            return sorted(str(sorted((k, str(v)) for k, v in r.items())) for r in rows)

        assert key(on_mirror.rows) == key(on_main.rows)
    else:
        assert on_mirror == on_main


def test_a_dataset_with_non_public_graphs_runs_on_the_main_store(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    try:
        write(kg, "a", "a1")
        write(kg, "z", "z1")
        write(kg, "mine", "m1", state="proposed")
        anyone = dataset_for(kg, ANONYMOUS)
        assert kg.route(anyone, anyone)[0] is kg.public_executor
        # one public graph asked for by name (the protocol's default-graph-uri): still the mirror
        executor, default, _ = kg.route([ox.NamedNode(str(graph("a")))], anyone)
        assert executor is kg.public_executor and default == [ox.NamedNode(str(graph("a")))]
        with_pending = [*anyone, ox.NamedNode(str(graph("mine")))]
        executor, default, named = kg.route(with_pending, with_pending)
        assert executor is kg.executor and named == with_pending
        result = executor.run("SELECT ?o WHERE { ?s ?p ?o }", default_graph=default, named_graphs=named)
        assert isinstance(result, SelectResult)
        assert {r["o"].value for r in result.rows} >= {"a1", "m1"}
    finally:
        kg.close()


def test_a_mirror_behind_the_store_is_rebuilt_at_open(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    write(kg, "a", "a1")
    assert kg.mirror is not None and kg.mirror.state_path is not None
    state_path = kg.mirror.state_path
    before = state_path.read_text()
    write(kg, "b", "b1")
    kg.close()
    # as if the process died after the main store's transaction and before the mirror's
    mirror = OxigraphStore(disk_settings.store_path.with_name("store-public"))
    mirror.apply(ChangeSet(drop_graphs=[ox.NamedNode(str(graph("b")))]))
    mirror.close()
    state_path.write_text(before)
    kg = KnowledgeGraph.open(disk_settings)
    try:
        assert mirrored(kg) == {str(graph("a")): {"a1"}, str(graph("b")): {"b1"}}
        assert json.loads(state_path.read_text())["revision"] != json.loads(before)["revision"]
    finally:
        kg.close()


def test_a_missing_or_torn_state_file_rebuilds(disk_settings: Settings) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    write(kg, "a", "a1")
    assert kg.mirror is not None and kg.mirror.state_path is not None
    state_path = kg.mirror.state_path
    kg.close()
    for damage in ("", "{not json", json.dumps({"version": 99, "revision": []})):
        state_path.write_text(damage)
        kg = KnowledgeGraph.open(disk_settings)
        try:
            assert kg.mirror_in_use and mirrored(kg) == {str(graph("a")): {"a1"}}
            assert json.loads(state_path.read_text())["version"] == 1
        finally:
            kg.close()


def test_a_failed_sync_falls_back_to_the_main_store(
    disk_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    kg = KnowledgeGraph.open(disk_settings)
    try:
        write(kg, "a", "a1")
        assert kg.mirror is not None

        def full_disk(changes: ChangeSet) -> None:
            raise OSError("No space left on device")

        monkeypatch.setattr(kg.mirror.store, "apply", full_disk)
        write(kg, "b", "b1")  # the main store takes the write; the mirror cannot
        assert not kg.mirror_in_use
        assert anonymous_graphs(kg) == {str(graph("a")), str(graph("b"))}
        assert kg.exists(EX + "b")
        assert kg.mirror.state_path is not None and not kg.mirror.state_path.exists()
        monkeypatch.undo()
    finally:
        kg.close()
    kg = KnowledgeGraph.open(disk_settings)
    try:
        assert kg.mirror_in_use and set(mirrored(kg)) == {str(graph("a")), str(graph("b"))}
    finally:
        kg.close()


def test_without_the_mirror_reads_use_the_graph_list(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", public_mirror=False)
    kg = KnowledgeGraph.open(settings)
    try:
        write(kg, "a", "a1")
        write(kg, "b", "b1", state="proposed")
        assert kg.mirror is None and not kg.mirror_in_use
        assert anonymous_graphs(kg) == {str(graph("a"))}
        assert not (tmp_path / "home" / "store-public").exists()
    finally:
        kg.close()


def test_blank_nodes_keep_their_structure_across_large_writes(empty_kg: KnowledgeGraph) -> None:
    node = BNode()
    triples = [(node, P, Literal(str(i))) for i in range(6_000)]  # more than one INSERT DATA chunk
    triples.append((URIRef(EX + "root"), P, node))
    empty_kg.write_graph(graph("big"), triples, title="big", method="manual")
    result = empty_kg.sparql(f"SELECT (COUNT(?v) AS ?n) WHERE {{ <{EX}root> <{P}> ?b . ?b <{P}> ?v }}")
    assert isinstance(result, SelectResult)
    assert int(result.rows[0]["n"].value) == 6_000


def test_writes_that_bypass_the_knowledge_graph_reach_the_mirror(empty_kg: KnowledgeGraph) -> None:
    """A bulk load straight into the store (tools, tests) is followed; the accounts graph never is."""
    source = KnowledgeGraph.open(Settings(store="memory"))
    try:
        write(source, "loaded", "l1")
        write(source, "pending", "p1", state="proposed")
        empty_kg.store.load_quads(source.store.quads())
    finally:
        source.close()
    assert mirrored(empty_kg) == {str(graph("loaded")): {"l1"}}
    assert anonymous_graphs(empty_kg) == {str(graph("loaded"))}
    secret = ox.Quad(
        ox.NamedNode(EX + "someone"), ox.NamedNode(str(P)), ox.Literal("s"), ox.NamedNode(str(ACCOUNTS_GRAPH))
    )
    empty_kg.store.apply(ChangeSet(add=[secret]))
    assert str(ACCOUNTS_GRAPH) not in mirrored(empty_kg)


def test_a_reader_that_saw_a_write_in_the_store_sees_it_in_the_mirror(
    disk_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a write's main transaction and the mirror's, public reads wait (KnowledgeGraph.public_query).

    Otherwise a reader could take an instrument's new entity tag from the store and its old content from
    the mirror, and overwrite someone's change with it (a lost update under If-Match).
    """
    kg = KnowledgeGraph.open(disk_settings)
    try:
        write(kg, "a", "a1")
        assert kg.mirror is not None
        real_sync = kg.mirror.sync
        syncing = threading.Event()

        def slow_sync(*args: Any, **kwargs: Any) -> None:
            syncing.set()
            time.sleep(0.5)
            real_sync(*args, **kwargs)

        monkeypatch.setattr(kg.mirror, "sync", slow_sync)
        writer = threading.Thread(target=write, args=(kg, "a", "a2"))
        writer.start()
        assert syncing.wait(10)
        in_store = {q.object.value for q in kg.store.quads(None, None, None, ox.NamedNode(str(graph("a"))))}
        assert in_store == {"a2"}  # the main store has the write; the mirror does not yet
        assert [o.value for o in kg.values(EX + "a")[str(P)]] == ["a2"]  # so a public read waits for it
        writer.join()
    finally:
        kg.close()
