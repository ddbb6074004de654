"""The remote store beyond the contract: transactions on the server, errors, the dataset revision.

Everything runs against a real ``oxigraph serve`` on 127.0.0.1 (or a real socket that misbehaves on
purpose); every server started here is stopped here.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from pydantic import SecretStr
from rdflib import Literal, URIRef

from kg.config import Settings
from kg.errors import InvalidInput, QueryRejected, QueryTimeout, StoreUnavailable
from kg.graph import KnowledgeGraph
from kg.revision import read_revision
from kg.search.index_lock import IndexLock
from kg.store import ChangeSet, open_store
from kg.store.oxigraph import render_update
from kg.store.oxigraph_server import OxigraphServer, free_port
from kg.store.remote import SparqlProtocolStore, redact_url

EX = "http://example.org/"
G = URIRef(EX + "graph")


def _settings(server: OxigraphServer, **kw: object) -> Settings:
    return Settings(store="sparql", sparql_url=server.url, home=Path("/nonexistent-lcgraph-home"), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[OxigraphServer]:
    with OxigraphServer(None) as running:
        yield running
    assert running.pid is None


@pytest.fixture()
def store(server: OxigraphServer) -> Iterator[SparqlProtocolStore]:
    s = SparqlProtocolStore.at(server.url)
    s.update("DROP ALL")
    yield s
    s.close()


def test_an_update_failing_in_its_last_operation_leaves_the_server_unchanged(
    store: SparqlProtocolStore,
) -> None:
    keep = ox.Quad(ox.NamedNode(EX + "keep"), ox.NamedNode(EX + "p"), ox.Literal("1"), ox.NamedNode(EX + "g"))
    store.apply(ChangeSet(add=[keep]))
    new = [
        ox.Quad(
            ox.NamedNode(EX + f"n{i}"), ox.NamedNode(EX + "p"), ox.Literal(str(i)), ox.NamedNode(EX + "g2")
        )
        for i in range(1000)
    ]
    update = render_update(ChangeSet(drop_graphs=[ox.NamedNode(EX + "g")], add=new))
    # oxigraph answers 500 ("the graph does not exist") and rolls the whole request back
    with pytest.raises(StoreUnavailable, match="does not exist"):
        store.update(update + " ;\nDROP GRAPH <http://example.org/does-not-exist>")
    assert set(store.quads()) == {keep}


def test_write_graph_with_a_bad_triple_half_way_writes_nothing(server: OxigraphServer) -> None:
    kg = KnowledgeGraph.open(_settings(server, revision_poll_s=0))
    kg.store.apply(ChangeSet(drop_graphs=kg.store.graphs()))
    good = [(URIRef(EX + f"s{i}"), URIRef(EX + "p"), Literal(i)) for i in range(500)]
    kg.write_graph(G, good[:10], title="first", method="manual")
    before = set(kg.store.quads())
    bad = [*good[:250], (URIRef(EX + "s"), Literal("not a predicate"), Literal(1)), *good[250:]]
    with pytest.raises(InvalidInput):
        kg.write_graph(G, bad, title="second", method="manual")  # type: ignore[arg-type]
    assert set(kg.store.quads()) == before
    kg.close()


def test_data_survives_a_server_restart(tmp_path: Path) -> None:
    port = free_port()
    with OxigraphServer(tmp_path / "data", port=port) as first:
        kg = KnowledgeGraph.open(_settings(first, revision_poll_s=0))
        kg.write_graph(
            G, [(URIRef(EX + "s"), URIRef(EX + "p"), Literal("persisted"))], title="t", method="manual"
        )
        kg.close()
    with OxigraphServer(tmp_path / "data", port=port) as second:
        reopened = KnowledgeGraph.open(_settings(second, revision_poll_s=0))
        assert [g.iri for g in reopened.graphs()] == [str(G)]
        assert "persisted" in {
            q.object.value for q in reopened.store.quads(None, None, None, ox.NamedNode(str(G)))
        }
        reopened.close()


def test_an_invalid_query_is_rejected_with_its_position(server: OxigraphServer) -> None:
    kg = KnowledgeGraph.open(_settings(server, revision_poll_s=0))
    with pytest.raises(QueryRejected) as info:
        kg.sparql("SELECT ?s WHERE { ?s ?p ")
    assert info.value.reason == "query-syntax"
    assert info.value.where is not None and info.value.where.startswith("line 1")
    kg.close()


def test_a_refused_connection_names_the_endpoint_but_not_the_credentials() -> None:
    port = free_port()  # nothing listens there
    settings = Settings(
        store="sparql",
        sparql_url=f"http://alice:s3cret-pw@127.0.0.1:{port}",
        sparql_token=None,
        home=Path("/nonexistent-lcgraph-home"),
    )
    store = open_store(settings)
    with pytest.raises(StoreUnavailable) as info:
        store.count()
    text = str(info.value)
    assert f"http://127.0.0.1:{port}/query" in text
    assert "s3cret" not in text and "alice" not in text
    store.close()
    assert redact_url("https://u:p@h.example:8443/sparql?key=v#f") == "https://h.example:8443/sparql"


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request with 401 and remembers the Authorization header it got."""

    seen: list[str | None] = []  # noqa: RUF012

    def do_POST(self) -> None:
        _Recorder.seen.append(self.headers.get("Authorization"))
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b"unauthorized"
        self.send_response(401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def test_a_bearer_token_is_sent_and_a_401_says_check_the_credentials() -> None:
    httpd = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        settings = Settings(
            store="sparql", sparql_url=url, sparql_token=SecretStr("tok-123"), home=Path("/nonexistent")
        )
        store = open_store(settings)
        with pytest.raises(StoreUnavailable, match="check the credentials") as info:
            store.count()
        assert "tok-123" not in str(info.value)
        assert _Recorder.seen[-1] == "Bearer tok-123"
        store.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_a_server_that_never_answers_gives_a_query_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)  # accepts connections in the kernel, never answers
        store = SparqlProtocolStore.at(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=0.5)
        with pytest.raises(QueryTimeout, match="did not answer"):
            store.query("ASK {}")
        store.close()


class _Listener:
    def __init__(self) -> None:
        self.changed = threading.Event()
        self.written: list[str] = []

    def graph_written(self, graph: str) -> None:
        self.written.append(graph)

    def graph_removed(self, graph: str) -> None:
        self.written.append(graph)

    def dataset_changed(self) -> None:
        self.changed.set()


def test_a_write_through_one_graph_object_reaches_another_through_the_revision(
    server: OxigraphServer,
) -> None:
    """Two KnowledgeGraphs with their own connection pools stand in for two processes."""
    writer = KnowledgeGraph.open(_settings(server, revision_poll_s=0))
    writer.store.apply(ChangeSet(drop_graphs=writer.store.graphs()))  # bypasses the revision ...
    writer.refresh()  # ... so catch up first
    reader = KnowledgeGraph.open(_settings(server, revision_poll_s=0))
    listener = _Listener()
    reader.subscribe(listener)
    assert reader.visible_graphs() == []  # cached now
    before = read_revision(writer.store)
    writer.write_graph(G, [(URIRef(EX + "s"), URIRef(EX + "p"), Literal("x"))], title="t", method="manual")
    after = read_revision(writer.store)
    assert len(after) == 1 and after != before
    assert writer.refresh() is False  # its own write: nothing new for the writer
    assert reader.visible_graphs() == []  # the cache has not heard yet ...
    assert reader.refresh() is True  # ... until the revision check
    assert listener.changed.is_set()
    assert [g.value for g in reader.visible_graphs()] == [str(G)]
    assert reader.refresh() is False
    writer.close()
    reader.close()


def test_the_watcher_tells_listeners_of_another_process_write(server: OxigraphServer) -> None:
    reader = KnowledgeGraph.open(_settings(server, revision_poll_s=0.05))
    listener = _Listener()
    reader.subscribe(listener)
    code = (
        "from pathlib import Path\nfrom rdflib import Literal, URIRef\n"
        "from kg.config import Settings\nfrom kg.graph import KnowledgeGraph\n"
        f"kg = KnowledgeGraph.open(Settings(store='sparql', sparql_url={server.url!r}, revision_poll_s=0))\n"
        f"kg.write_graph(URIRef({EX + 'other'!r}), [(URIRef('{EX}s'), URIRef('{EX}p'), Literal('y'))], "
        "title='t', method='manual')\nkg.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert listener.changed.wait(timeout=20), "the watcher did not notice the other process's write"
    assert EX + "other" in {g.value for g in reader.visible_graphs()}
    reader.close()
    assert reader._watcher is not None and not reader._watcher._thread.is_alive()


def test_the_index_lock_excludes_another_process(tmp_path: Path) -> None:
    lock = IndexLock(tmp_path / "index")
    probe = (
        "import fcntl, os, sys\n"
        f"fd = os.open({str(lock.path)!r}, os.O_RDWR)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept BlockingIOError:\n    sys.exit(7)\n"
    )
    with lock, lock:  # re-entrant in this process
        held = subprocess.run([sys.executable, "-c", probe], timeout=30)
    free = subprocess.run([sys.executable, "-c", probe], timeout=30)
    assert held.returncode == 7
    assert free.returncode == 0
