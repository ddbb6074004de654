"""A SPARQL worker process: evaluates policy-checked queries on a read-only snapshot of the store.

Started by :mod:`kg.sparql_process` as ``python -m kg.sparql_worker FD``, where ``FD`` is its end of a
socket pair. Why a process: pyoxigraph cannot cancel a query, and a query that yields no row until the
end (``COUNT`` over a cartesian product, ``ORDER BY`` over a huge join) keeps a core busy for minutes to
hours; a process can be killed at the time limit and its core is free at once.

The worker imports only pyoxigraph and the policy/serialisation modules (about 0.2 s to start), never
the settings or the store layer. It reads the data from a snapshot the parent made: a RocksDB
checkpoint of the on-disk store (opened read-only; identical data, identical blank-node labels) or an
N-Quads dump of an in-memory store (loaded into a memory store of its own). It keeps one snapshot open
and switches when a request names a newer one.

Protocol (pickled tuples over the socket; see :mod:`kg.sparql_process` for the parent side):

- worker -> parent at start: ``("ready", pid)``
- parent -> worker: ``("query", snapshot_kind, snapshot_path, text, default, named, row_cap,
  select_format, graph_format)``, where ``default``/``named`` are lists of graph IRIs or ``None`` (the
  union of the snapshot's named graphs / all of them); both formats ``None`` asks for the materialised
  outcome instead of a serialised body; ``None`` asks the worker to exit.
- worker -> parent: ``("opened", path)`` after switching snapshots (before evaluating), then one of
  ``("answer", is_graph, format, body)`` (format ``None``: no acceptable format for this result),
  ``("outcome", outcome)``, ``("rejected", message, reason, where)``, ``("too-many-rows", message)`` or
  ``("failed", description)``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection

import pyoxigraph as ox

from kg.errors import TooManyRows
from kg.results import serialize, serialize_solutions
from kg.sparql import GraphResult, materialise, syntax_error

__all__ = ["main"]

EMPTY_GRAPH = ox.NamedNode("urn:lcgraph:empty")
"""Stands in for an empty default graph, as in ``OxigraphStore.query`` (oxigraph needs one entry)."""

_PARENT_CHECK_S = 1.0
_ROW_BYTES_BUDGET = 1024
"""Bytes per row of the cap that oxigraph may write natively before the answer is counted row by row."""
_MIN_BYTES_BUDGET = 16 * 1024 * 1024


def _die_with_parent(parent: int) -> None:
    """Exit within a second of the parent's death, so no orphan keeps evaluating a query.

    An idle worker sees the socket close, but a busy one would run on; this daemon thread watches the
    parent instead (oxigraph releases the interpreter lock while it evaluates). Not ``PR_SET_PDEATHSIG``:
    Linux sends that when the parent *thread* ends, and the server starts workers from pool threads
    that come and go.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _open(kind: str, path: str) -> ox.Store:
    """Open a snapshot: a RocksDB checkpoint read-only, or an N-Quads dump into memory."""
    if kind == "rocksdb":
        return ox.Store.read_only(path)
    store = ox.Store()
    store.bulk_load(path=path, format=ox.RdfFormat.N_QUADS)
    return store


def _query(store: ox.Store, text: str, default: list[str] | None, named: list[str] | None) -> object:
    """Start evaluating ``text`` over the caller's dataset, exactly as ``OxigraphStore.query`` does.

    The visible graphs are the default graph (an empty list reaches nothing) and the only graphs
    ``GRAPH`` may name; no list: the union of the snapshot's named graphs (the public mirror holds
    nothing else).
    """
    named_nodes: list[ox.NamedNode | ox.BlankNode] | None = (
        None if named is None else [ox.NamedNode(g) for g in named]
    )
    if default is None:
        return store.query(text, use_default_graph_as_union=True, named_graphs=named_nodes)
    return store.query(
        text, default_graph=[ox.NamedNode(g) for g in default] or [EMPTY_GRAPH], named_graphs=named_nodes
    )


def _evaluate(store: ox.Store, request: tuple[object, ...]) -> tuple[object, ...]:
    """Evaluate one query request on ``store`` and return the reply tuple."""
    _, _, _, text, default, named, row_cap, select_format, graph_format = request
    assert isinstance(text, str) and isinstance(row_cap, int)
    assert default is None or isinstance(default, list)
    assert named is None or isinstance(named, list)
    try:
        result = _query(store, text, default, named)
    except SyntaxError as exc:
        rejected = syntax_error(exc)
        return ("rejected", rejected.message, rejected.reason, rejected.where)
    if isinstance(result, ox.QuerySolutions) and isinstance(select_format, str):
        # oxigraph writes the table itself: no Python object per term (kg.results)
        try:
            body = serialize_solutions(
                result,
                select_format,
                row_cap=row_cap,
                max_bytes=max(row_cap * _ROW_BYTES_BUDGET, _MIN_BYTES_BUDGET),
            )
        except TooManyRows as exc:
            return ("too-many-rows", exc.message)
        if body is not None:
            return ("answer", False, select_format, body)
        result = _query(store, text, default, named)  # too large to count there: count row by row
    try:
        outcome = materialise(result, row_cap)
    except TooManyRows as exc:
        return ("too-many-rows", exc.message)
    if select_format is None and graph_format is None:
        return ("outcome", outcome)
    is_graph = isinstance(outcome, GraphResult)
    name = graph_format if is_graph else select_format
    if name is None:
        return ("answer", is_graph, None, b"")
    assert isinstance(name, str)
    return ("answer", is_graph, name, serialize(outcome, name))


def serve(conn: Connection) -> None:
    """Answer query requests on ``conn`` until the parent sends ``None`` or goes away."""
    conn.send(("ready", os.getpid()))
    store: ox.Store | None = None
    opened: str | None = None
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            _, kind, path, *_ = request
            if path != opened:
                store = None  # release the old snapshot's files before opening the new one
                store = _open(kind, path)
                opened = path
                conn.send(("opened", path))
            assert store is not None
            reply = _evaluate(store, request)
        except Exception as exc:  # reported to the parent, which answers with a clear error
            reply = ("failed", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


def main(argv: list[str]) -> int:
    """Run the worker on the socket whose descriptor is ``argv[0]``; ``argv[1]`` is the parent's pid."""
    _die_with_parent(int(argv[1]))
    # The parent stops queries with SIGKILL; an interrupt meant for the server must not end a worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(Connection(int(argv[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
