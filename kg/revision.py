"""The dataset revision: how processes that share one SPARQL store notice each other's writes.

With the embedded store one process owns the data, so a process-local write counter is enough to keep
caches and the search index current. When several processes (API workers, the CLI) share a remote
store, each must learn of writes made by the others. The mechanism:

- The registry graph holds one revision triple, ``<lcg:registry> schema:version "<random token>"``.
- Every write of :class:`kg.graph.KnowledgeGraph` replaces it with a fresh token *in the same change set*
  (one update request, one transaction on the server), so a process that sees the new token also sees
  the data written with it.
- Each process remembers the token set it last saw. A :class:`RevisionWatcher` thread asks the server
  for the current set every ``revision_poll_s`` seconds (one tiny query); when it differs, the process
  bumps its generation (dropping cached visible graphs and labels) and tells its listeners (the search
  service re-syncs, encoding only texts that changed).

Two processes writing at the same moment may each remove the token they read and add their own, leaving
two tokens; readers compare the whole set, which still changes with every write, and the next write
removes both. A process that writes after missing someone else's write forgets its remembered set, so
its next check refreshes everything.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable

import pyoxigraph as ox

from kg.errors import LcGraphError
from kg.store.base import GraphStore
from ontology.vocab import LCG, SCHEMA

__all__ = [
    "REVISION_PREDICATE",
    "Revision",
    "RevisionWatcher",
    "is_revision_quad",
    "next_revision",
    "read_revision",
]

log = logging.getLogger(__name__)

Revision = frozenset[str]
"""The set of revision tokens in the store (normally exactly one; empty before the first write)."""

REVISION_PREDICATE = SCHEMA.version
_REGISTRY = ox.NamedNode(str(LCG.registry))
_PREDICATE = ox.NamedNode(str(REVISION_PREDICATE))


def _revision_quads(store: GraphStore) -> list[ox.Quad]:
    return list(store.quads(_REGISTRY, _PREDICATE, None, _REGISTRY))


def is_revision_quad(q: ox.Quad) -> bool:
    """Tell whether ``q`` is a revision token (operational state of one store, never data to copy)."""
    return q.predicate == _PREDICATE and q.subject == _REGISTRY and q.graph_name == _REGISTRY


def read_revision(store: GraphStore) -> Revision:
    """Return the revision tokens the store holds now (one small query)."""
    return frozenset(q.object.value for q in _revision_quads(store) if isinstance(q.object, ox.Literal))


def next_revision(store: GraphStore) -> tuple[Revision, list[ox.Quad], list[ox.Quad], Revision]:
    """Read the current revision and prepare its replacement by a fresh token.

    Returns:
        The revision read, the quads that remove it, the quad that adds the new token, and the revision
        the store holds once those are applied (assuming no other process writes in between).
    """
    old = _revision_quads(store)
    token = secrets.token_hex(16)
    current = frozenset(q.object.value for q in old if isinstance(q.object, ox.Literal))
    return current, old, [ox.Quad(_REGISTRY, _PREDICATE, ox.Literal(token), _REGISTRY)], frozenset({token})


class RevisionWatcher:
    """A daemon thread that calls ``check`` every ``interval_s`` seconds until stopped.

    Failures of a check (the server is down for a moment) are logged and retried at the next tick; the
    process keeps serving from what it has.

    Args:
        check: the function to call (``KnowledgeGraph.refresh``).
        interval_s: seconds between checks.
    """

    def __init__(self, check: Callable[[], object], interval_s: float) -> None:
        self.check = check
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lcgraph-revision", daemon=True)

    def start(self) -> RevisionWatcher:
        """Start watching."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching and wait for a running check to finish."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except LcGraphError as exc:
                log.warning("dataset revision check failed: %s", exc)
            except Exception:  # a listener's failure must not end the watching
                log.exception("dataset revision check failed")
