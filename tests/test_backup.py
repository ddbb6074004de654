"""Backup and restore: consistent snapshots while a server writes, isomorphic restores, same search."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from pydantic import SecretStr
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.accounts import AccountStore
from kg.backup import MANIFEST_FILE, read_manifest, restore, snapshot
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.permissions import Role, Scope
from ontology.vocab import LCG
from tests.conftest import LiveServer
from tests.rdf_helpers import assert_isomorphic
from tests.reliability.ledger import record

LCGRAPH = [str(Path(sys.executable).parent / "lcgraph")]
BURST = "https://example.org/burst/"
P = URIRef("https://example.org/p")
REGISTRY = ox.NamedNode(str(LCG.registry))
QUERIES = ["peer coaching for teachers", "samenwerking in de zorg", "intervisie"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LCGRAPH_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("LCGRAPH_TOKEN", None)
    return subprocess.run([*LCGRAPH, *args], capture_output=True, text=True, env=env, timeout=300)


def store_quads(store_dir: Path) -> set[ox.Quad]:
    store = ox.Store.read_only(str(store_dir))
    try:
        return set(store.quads_for_pattern(None, None, None, None))
    finally:
        del store


@pytest.fixture(scope="module")
def catalog_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk home holding the catalog, closed again (no process holds it)."""
    home = tmp_path_factory.mktemp("catalog-home")
    kg = KnowledgeGraph.open(Settings(home=home, search_enabled=False))
    load_catalog(kg)
    kg.close()
    return home


def test_offline_backup_restores_an_isomorphic_dataset(catalog_home: Path, tmp_path: Path) -> None:
    backup_dir, restored = tmp_path / "backup", tmp_path / "restored"
    made = run(catalog_home, "backup", str(backup_dir))
    assert made.returncode == 0, made.stderr
    manifest = read_manifest(backup_dir)
    original = store_quads(catalog_home / "store")
    assert manifest.quads == len(original) > 1000
    done = run(catalog_home, "restore", str(backup_dir), str(restored))
    assert done.returncode == 0, done.stderr
    copy = store_quads(restored / "store")
    assert_isomorphic(copy, original)
    record("backup and restore", inputs=len(original), lost=len(original ^ copy))


def _burst_graph(i: int) -> tuple[URIRef, list[tuple[URIRef, URIRef, Literal]], str]:
    """Write number ``i``: one of 12 graphs, 3 to 9 triples all marked ``i``, title ``burst i``."""
    graph = URIRef(f"{BURST}{i % 12}")
    triples = [(URIRef(f"{graph}#s"), P, Literal(f"{i}:{k}")) for k in range(3 + i % 7)]
    return graph, triples, f"burst {i}"


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term) if isinstance(term, ox.Triple) else term.value


def _half_graphs(store_dir: Path) -> tuple[int, list[str]]:
    """Check every burst graph of a store is whole; return how many there are and what is wrong."""
    store = ox.Store.read_only(str(store_dir))
    problems: list[str] = []
    graphs = 0
    try:
        titles = {
            _text(q.subject): _text(q.object)
            for q in store.quads_for_pattern(None, ox.NamedNode(str(DCTERMS.title)), None, REGISTRY)
            if _text(q.subject).startswith(BURST)
        }
        named = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        for iri in sorted(named | titles.keys()):
            if not iri.startswith(BURST):
                continue
            graphs += 1
            values = [_text(q.object) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(iri))]
            marks = {v.split(":")[0] for v in values}
            if iri not in titles or len(marks) != 1:
                problems.append(f"{iri}: registry {titles.get(iri)!r}, writes {sorted(marks)}")
                continue
            i = int(marks.pop())
            if titles[iri] != f"burst {i}" or len(values) != 3 + i % 7:
                problems.append(f"{iri}: {len(values)} triples of write {i}, registry {titles[iri]!r}")
    finally:
        del store
    return graphs, problems


def test_backup_while_the_server_writes_is_a_consistent_snapshot(tmp_path: Path) -> None:
    home = tmp_path / "served"
    settings = Settings(home=home, search_enabled=False, session_secret=SecretStr("s" * 48))
    kg = KnowledgeGraph.open(settings)
    accounts = AccountStore(kg.store)
    accounts.create("admin", name="Admin", roles=[Role.ADMIN])
    accounts.create("reader", name="Reader")
    admin = accounts.create_token("admin", frozenset({Scope.ADMIN})).token
    reader = accounts.create_token("reader", frozenset({Scope.READ})).token
    server = LiveServer(kg, settings)
    server.start()
    writes = 0
    stop = threading.Event()

    def writer() -> None:
        nonlocal writes
        while not stop.is_set():
            graph, triples, title = _burst_graph(writes)
            kg.write_graph(graph, triples, title=title, method="manual")
            writes += 1

    thread = threading.Thread(target=writer, daemon=True)
    try:
        anonymous = httpx.post(server.url + "/admin/backup", timeout=10)
        assert anonymous.status_code == 401
        refused = httpx.post(
            server.url + "/admin/backup", headers={"Authorization": f"Bearer {reader}"}, timeout=10
        )
        assert refused.status_code == 403
        thread.start()
        while writes < 20:
            stop.wait(0.01)
        before = writes
        made = run(home, "backup", str(tmp_path / "backup"), "--server", server.url, "--token", admin)
        after = writes
        stop.set()
        thread.join(timeout=30)
        assert made.returncode == 0, made.stderr + made.stdout
        assert after > before, "the writer kept writing while the backup ran"
    finally:
        stop.set()
        server.stop()
        kg.close()
    assert not server.thread.is_alive()
    manifest = read_manifest(tmp_path / "backup")
    graphs, problems = _half_graphs(tmp_path / "backup" / "store")
    record("backup during a write burst", inputs=writes, lost=len(problems))
    assert problems == []
    assert graphs == 12
    assert manifest.quads == len(store_quads(tmp_path / "backup" / "store"))
    assert list((home / "backups").iterdir()), "the server wrote its copy under its own home/backups"


def test_restore_refuses_a_non_empty_home_and_broken_backups(catalog_home: Path, tmp_path: Path) -> None:
    backup_dir = tmp_path / "backup"
    assert run(catalog_home, "backup", str(backup_dir)).returncode == 0
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    refused = run(catalog_home, "restore", str(backup_dir), str(occupied))
    assert refused.returncode == 2 and "non-empty" in refused.stderr
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"], "an existing dataset is never touched"
    assert run(catalog_home, "restore", str(tmp_path / "absent"), str(tmp_path / "x")).returncode == 4

    wrong_count = tmp_path / "wrong-count"
    shutil.copytree(backup_dir, wrong_count)
    manifest = json.loads((wrong_count / MANIFEST_FILE).read_text())
    manifest["quads"] += 1
    (wrong_count / MANIFEST_FILE).write_text(json.dumps(manifest))
    bad = run(catalog_home, "restore", str(wrong_count), str(tmp_path / "restored"))
    assert bad.returncode == 2 and "quads" in bad.stderr
    assert not (tmp_path / "restored").exists(), "a failed restore leaves nothing behind"

    incomplete = tmp_path / "incomplete"
    shutil.copytree(backup_dir, incomplete)
    (incomplete / MANIFEST_FILE).unlink()
    missing = run(catalog_home, "restore", str(incomplete), str(tmp_path / "restored"))
    assert missing.returncode == 2 and MANIFEST_FILE in missing.stderr
    assert not (tmp_path / "restored").exists()
    assert not list(tmp_path.glob(".restored.restoring-*")), "the staging directory is cleaned up"
    record("restore of broken backups", faults=3, inputs=4)


@pytest.fixture(scope="module")
def search_round_trip(
    catalog_home: Path, tmp_path_factory: pytest.TempPathFactory, catalog_index_seed: Path
) -> dict[str, Any]:
    """Search the catalog, back it up with its indexes, restore into a new home and search again there.

    Everything is closed before the tests run (the module's other tests open the same home).
    """
    from kg.search.service import SearchService

    def answers(service: SearchService) -> list[list[tuple[str, float]]]:
        return [[(h.item.id, h.score) for h in service.search(q).results] for q in QUERIES]

    base = tmp_path_factory.mktemp("search-round-trip")
    settings = Settings(home=catalog_home, search_query_process=False)
    if not settings.index_path.exists():  # the session's catalog vectors: no minute of encoding here
        shutil.copytree(catalog_index_seed, settings.index_path)
    kg = KnowledgeGraph.open(settings)
    service = SearchService.open(kg, settings)
    try:
        before = answers(service)
        snapshot(kg, base / "backup", index_dir=settings.index_path, index_guard=service.engine.sync_lock)
    finally:
        service.close()
        kg.close()
    restore(base / "backup", base / "restored")
    restored_settings = Settings(home=base / "restored", search_query_process=False)
    kg = KnowledgeGraph.open(restored_settings)
    service = SearchService.open(kg, restored_settings)
    try:
        return {"before": before, "after": answers(service), "status": dict(service.engine.status)}
    finally:
        service.close()
        kg.close()


def test_restored_search_gives_identical_results(search_round_trip: dict[str, Any]) -> None:
    assert all(search_round_trip["before"]), "every query finds something"
    assert search_round_trip["after"] == search_round_trip["before"]


def test_restored_index_is_loaded_not_rebuilt(search_round_trip: dict[str, Any]) -> None:
    assert search_round_trip["status"] and set(search_round_trip["status"].values()) == {"loaded"}
