"""The public mirror: a second embedded store that holds the approved graphs and nothing else.

Why: every public read (anonymous SPARQL, entity pages, stats, the search index) evaluates over the
approved graphs. Handing oxigraph that dataset as a list of default graphs costs in proportion to the
number of graphs: at 10^6 triples in 125 approved graphs a three-way join took 10.5 s, against 156 ms
over the union of all graphs (``bench/graph_suite``). A store that holds only public graphs answers
the same queries over its union default graph, and ``GRAPH ?g`` reaches exactly the public graphs.

How it stays equal to the approved part of the main store (the main store stays the single truth):

- :class:`kg.graph.KnowledgeGraph` calls :meth:`PublicMirror.sync` after each of its transactions, under
  its write lock, with the graphs the transaction touched (the graphs written or dropped, and the graphs
  whose registry entry changed). Each is dropped from the mirror and, when it is approved now, copied
  from the main store, all in one update (one transaction of the mirror).
- Every write of the main store also replaces its dataset revision token (:mod:`kg.revision`). The mirror
  records the token it reflects in a state file beside it, after its own transaction. At open a missing
  or different token means the mirror may be behind: a crash between the two transactions, a restored
  backup, a bulk load that bypassed lcgraph, or a home from before the mirror. Then it is rebuilt.
- A failed sync (a full disk) marks the mirror unusable for the rest of the process, whose reads then
  fall back to the graph list; the state file still names the old token, so the next start rebuilds.

Blank nodes keep their structure but not their labels: each copy inserts them afresh.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.revision import Revision
from kg.store.base import ChangeSet
from kg.store.oxigraph import OxigraphStore

__all__ = ["PublicMirror"]

log = logging.getLogger(__name__)

_STATE_VERSION = 1
_REBUILD_BATCH = 200_000
_OPEN: weakref.WeakKeyDictionary[OxigraphStore, PublicMirror] = weakref.WeakKeyDictionary()
"""The mirror of each open main store: knowledge graphs sharing a store object share its mirror (a RocksDB
directory admits one opener)."""
_OPEN_LOCK = threading.Lock()


class PublicMirror:
    """The approved graphs of a main store, in a store of their own.

    Args:
        store: the mirror's store (on disk beside the main store, or in memory for an in-memory main).
        state_path: the file recording the main store revision the mirror reflects (``None`` in memory).
    """

    def __init__(self, store: OxigraphStore, state_path: Path | None) -> None:
        self.store = store
        self.state_path = state_path
        self.usable = False
        """Whether reads may use the mirror: set by a rebuild or a matching state, unset by a failed sync."""
        self._revision: Revision | None = None
        self._users = 0
        self.writing = threading.local()
        """``writing.active`` is set in a thread while a knowledge graph applies its own write (which it
        then syncs itself); write hooks seeing it leave the write alone."""

    @classmethod
    def beside(cls, main: OxigraphStore) -> PublicMirror:
        """Open the mirror of ``main``: ``<store>-public/`` and its state file next to an on-disk store.

        Every caller gets the same object for the same main store and must :meth:`close` it once.
        """
        with _OPEN_LOCK:
            mirror = _OPEN.get(main)
            if mirror is None:
                if main.path is None:
                    mirror = cls(OxigraphStore(None), None)
                else:
                    path = main.path.with_name(main.path.name + "-public")
                    mirror = cls(OxigraphStore(path), path.with_name(path.name + ".json"))
                _OPEN[main] = mirror
            mirror._users += 1
            return mirror

    def _read_state(self) -> Revision | None:
        """Return the revision the state file names, or ``None`` when it is missing or unreadable."""
        if self.state_path is None:
            return self._revision
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            if state.get("version") != _STATE_VERSION:
                return None
            return frozenset(str(token) for token in state["revision"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write_state(self, revision: Revision) -> None:
        """Record ``revision`` (atomically: a torn file reads as missing, which only costs a rebuild)."""
        self._revision = revision
        if self.state_path is None:
            return
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        state = {"version": _STATE_VERSION, "revision": sorted(revision)}
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.state_path)

    def open_at(
        self,
        main: OxigraphStore,
        revision: Revision,
        public_graphs: Callable[[], Sequence[ox.NamedNode]],
    ) -> None:
        """Make the mirror usable for ``main`` at ``revision``: as is when its state matches, else rebuilt."""
        recorded = self._read_state()
        if recorded is not None and recorded == revision:
            self.usable = True
            return
        if self.usable and self._revision == revision:
            return  # shared with another knowledge graph on the same store, and current
        self.rebuild(main, public_graphs(), revision)

    def rebuild(self, main: OxigraphStore, graphs: Sequence[ox.NamedNode], revision: Revision) -> None:
        """Replace the mirror's content by a copy of ``graphs`` from ``main`` and record ``revision``.

        Logs its progress: at 10^6 quads this takes tens of seconds, and happens only when the mirror was
        missing or behind.
        """
        self.usable = False
        started = time.monotonic()
        total = sum(main.count(g) for g in graphs)
        if total > _REBUILD_BATCH:
            log.info("building the public mirror: %d quads in %d approved graphs", total, len(graphs))
        self.store.apply(ChangeSet(drop_graphs=[*self.store.graphs(), ox.DefaultGraph()]))
        copied = 0
        batch: list[ox.Quad] = []
        for graph in graphs:
            for q in main.quads(None, None, None, graph):
                batch.append(q)
                if len(batch) >= _REBUILD_BATCH:
                    copied += self.store.load_quads(batch)
                    batch = []
                    log.info("public mirror: %d of %d quads copied", copied, total)
        copied += self.store.load_quads(batch)
        self._write_state(revision)
        self.usable = True
        if total > _REBUILD_BATCH:
            log.info("public mirror built: %d quads in %.1f s", copied, time.monotonic() - started)

    def sync(self, main: OxigraphStore, graphs: Iterable[tuple[str, bool]], revision: Revision) -> None:
        """Bring the given graphs in line with ``main`` in one transaction, and record ``revision``.

        Args:
            main: the main store, already holding the write.
            graphs: each touched graph with whether it is public now (approved and not private).
            revision: the main store's revision after the write.
        """
        if not self.usable:
            return
        drop: list[ox.NamedNode | ox.DefaultGraph] = []
        add: list[ox.Quad] = []
        for graph, public in graphs:
            node = ox.NamedNode(graph)
            drop.append(node)
            if public:
                add.extend(main.quads(None, None, None, node))
        try:
            if drop:
                self.store.apply(ChangeSet(drop_graphs=drop, add=add))
            self._write_state(revision)
        except Exception:
            # The main store holds the write; reads fall back to it, and the next start rebuilds the mirror.
            self.usable = False
            log.exception("the public mirror could not follow a write; public reads use the main store now")
            with contextlib.suppress(OSError):
                if self.state_path is not None:
                    self.state_path.unlink()

    def close(self) -> None:
        """Release this user's hold; the last one flushes and releases the mirror's store."""
        with _OPEN_LOCK:
            self._users -= 1
            if self._users > 0:
                return
            for main, mirror in list(_OPEN.items()):
                if mirror is self:
                    del _OPEN[main]
        self.store.close()
