"""The child side of the kill -9 scenarios: a process that writes in a loop until it is killed.

Run as ``python -m tests.reliability.crash_child graph HOME ACKS START`` (graph writes through
:class:`kg.graph.KnowledgeGraph` on the on-disk store under ``HOME``) or ``... index DIR ACKS START``
(saves of a :class:`kg.search.index.VectorIndex` to ``DIR``). Operation ``i`` is a pure function of
``i`` (see :func:`graph_op` and :func:`index_vectors`), so the parent can replay the same schedule in
a model. After each operation returns, the child appends ``i`` to the file ``ACKS`` and fsyncs it:
a line there means "this operation was acknowledged as committed". The parent kills the child with
SIGKILL and then checks the store against the model.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rdflib import XSD, Literal, URIRef

from kg.config import Settings
from kg.errors import NotFound
from kg.graph import KnowledgeGraph
from kg.provenance import Triple

BASE = "https://example.org/crash/"
P = URIRef("https://example.org/crash#value")
Q = URIRef("https://example.org/crash#order")
GRAPHS = 5
STATES = ("proposed", "approved", "rejected")
INDEX_IDS = 400
INDEX_DIM = 32
MAX_OPS = 1_000_000  # a bound, not a target: the parent kills the child long before


@dataclass(frozen=True)
class GraphOp:
    """Operation ``index`` of the graph schedule.

    Attributes:
        index: its place in the schedule.
        kind: ``write`` (write_graph), ``review`` (set_review_state) or ``remove`` (remove_graph).
        graph: which of the :data:`GRAPHS` graphs it touches.
        state: the review state it writes (``write`` and ``review``).
        size: number of triples (``write``).
    """

    index: int
    kind: str
    graph: int
    state: str
    size: int


def graph_iri(graph: int) -> URIRef:
    """Return the IRI of crash graph number ``graph``."""
    return URIRef(f"{BASE}{graph}")


def graph_op(index: int) -> GraphOp:
    """Return operation ``index`` of the schedule (deterministic: seeded by ``index``)."""
    rnd = random.Random(index)
    kind = rnd.choices(("write", "review", "remove"), weights=(7, 2, 1))[0]
    return GraphOp(index, kind, rnd.randrange(GRAPHS), rnd.choice(STATES), rnd.randint(200, 2000))


def written_triples(op: GraphOp) -> list[Triple]:
    """Return the triples a ``write`` operation puts in its graph: every object carries its index."""
    node = f"{BASE}{op.graph}/"
    triples: list[Triple] = []
    for k in range(op.size):
        subject = URIRef(f"{node}s{k // 4}")
        if k % 4 == 3:
            triples.append((subject, Q, Literal(op.index * 10_000 + k, datatype=XSD.integer)))
        else:
            lang = ("nl", "en", None)[k % 4]
            triples.append((subject, P, Literal(f"write {op.index} triple {k}", lang=lang)))
    return triples


def title_of(op: GraphOp) -> str:
    """Return the registry title a ``write`` operation gives its graph."""
    return f"write {op.index}"


def index_vectors(version: int) -> tuple[list[str], np.ndarray]:
    """Return the ids and unit vectors of index save number ``version`` (seeded by ``version``)."""
    rng = np.random.default_rng(version)
    count = INDEX_IDS // 2 + version % (INDEX_IDS // 2)
    ids = [f"item-{version % 7}-{k}" for k in range(count)]
    vectors = rng.standard_normal((count, INDEX_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ids, vectors


def _acknowledge(acks: Path, index: int) -> None:
    """Append ``index`` to the acknowledgement file and make it durable before going on."""
    with acks.open("a", encoding="ascii") as handle:
        handle.write(f"{index}\n")
        handle.flush()
        os.fsync(handle.fileno())


def apply_graph_op(kg: KnowledgeGraph, op: GraphOp) -> None:
    """Apply ``op`` through the real write path of :class:`kg.graph.KnowledgeGraph`."""
    graph = graph_iri(op.graph)
    if op.kind == "write":
        kg.write_graph(graph, written_triples(op), title=title_of(op), method="manual", review_state=op.state)
    elif op.kind == "review":
        with contextlib.suppress(NotFound):  # reviewing an absent graph changes nothing (as in the model)
            kg.set_review_state(graph, op.state)
    else:
        kg.remove_graph(graph)


def write_graphs(home: Path, acks: Path, start: int) -> None:
    """Apply graph operations from ``start`` on, acknowledging each, until killed."""
    kg = KnowledgeGraph.open(Settings(home=home, search_enabled=False))
    for index in range(start, start + MAX_OPS):
        apply_graph_op(kg, graph_op(index))
        _acknowledge(acks, index)
    kg.close()


def save_indexes(directory: Path, acks: Path, start: int) -> None:
    """Save index versions from ``start`` on into ``directory``, acknowledging each, until killed."""
    from kg.search.index import VectorIndex

    for version in range(start, start + MAX_OPS):
        index = VectorIndex(INDEX_DIM)
        index.upsert(*index_vectors(version))
        index.save(directory, embedder="crash-test", fingerprint=f"version-{version}")
        _acknowledge(acks, version)


def main(argv: list[str]) -> int:
    """Run the child named by ``argv``: ``graph|index PATH ACKS START``."""
    mode, path, acks, start = argv
    if mode == "graph":
        write_graphs(Path(path), Path(acks), int(start))
    elif mode == "index":
        save_indexes(Path(path), Path(acks), int(start))
    else:
        print(f"unknown mode {mode!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
