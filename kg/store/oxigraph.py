"""The embedded backend: a pyoxigraph ``Store``, on disk (the default) or in memory (tests).

An on-disk store is an ACID RocksDB directory that one process may open at a time; opening a
directory another process holds raises ``StoreUnavailable`` with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreUnavailable
from kg.store.base import ChangeSet, QueryResult

# Quads per INSERT DATA block; keeps single update strings of moderate size while the whole
# change set still commits as one SPARQL update (one transaction).
_INSERT_CHUNK = 5_000


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    """Render a term in SPARQL/N-Triples syntax (pyoxigraph's ``str`` does exactly that)."""
    return str(term)


def _quad_block(quads: Sequence[ox.Quad]) -> str:
    """Render quads as the body of an ``INSERT DATA``/``DELETE DATA`` block, grouped by graph."""
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        key = "" if isinstance(q.graph_name, ox.DefaultGraph) else _term(q.graph_name)
        by_graph.setdefault(key, []).append(f"{_term(q.subject)} {_term(q.predicate)} {_term(q.object)} .")
    parts = []
    for graph, lines in by_graph.items():
        body = "\n".join(lines)
        parts.append(f"GRAPH {graph} {{\n{body}\n}}" if graph else body)
    return "\n".join(parts)


def _has_blank_node(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def render_update(changes: ChangeSet) -> str:
    """Render a change set as one SPARQL 1.1 update request (a sequence of operations)."""
    ops: list[str] = [
        "DROP SILENT DEFAULT" if isinstance(g, ox.DefaultGraph) else f"DROP SILENT GRAPH {_term(g)}"
        for g in changes.drop_graphs
    ]
    for i in range(0, len(changes.remove), _INSERT_CHUNK):
        ops.append("DELETE DATA {\n" + _quad_block(changes.remove[i : i + _INSERT_CHUNK]) + "\n}")
    # A blank node may not span two INSERT DATA operations (oxigraph refuses it; each operation would make
    # a fresh node of it): a change set with blank nodes is inserted in one operation.
    chunk = len(changes.add) if any(_has_blank_node(q) for q in changes.add) else _INSERT_CHUNK
    for i in range(0, len(changes.add), max(chunk, 1)):
        ops.append("INSERT DATA {\n" + _quad_block(changes.add[i : i + chunk]) + "\n}")
    return " ;\n".join(ops)


class OxigraphStore:
    """A ``GraphStore`` backed by pyoxigraph.

    Args:
        path: directory of the on-disk store (created if missing); ``None`` for an in-memory store.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.version = 0
        """Counts committed writes through this object; a reader compares it to know its copy is current
        (the SPARQL worker snapshots of :mod:`kg.sparql_process`). Bumped after each commit, so a copy
        taken while a write commits may be newer than its version says, never older."""
        self.write_hooks: list[Callable[[ChangeSet], None]] = []
        """Called with each committed change set (``load_quads`` as an addition), in the writer's thread:
        how the knowledge graph's public mirror follows writes that bypass it (kg.public_mirror)."""
        if path is None:
            self._store = ox.Store()
            return
        try:
            path.mkdir(parents=True, exist_ok=True)
            self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot open the store: {exc}. Is another lcgraph process (a server?) using it?",
                where=str(path),
            ) from exc

    @property
    def is_persistent(self) -> bool:
        """Tell whether the store survives the process."""
        return self.path is not None

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        union_default_graph: bool = False,
    ) -> QueryResult:
        """Evaluate a SPARQL query; see ``GraphStore.query``."""
        if default_graph is not None:
            # An empty list would mean "no default graph" to us; oxigraph needs at least one entry.
            return self._store.query(
                sparql,
                default_graph=list(default_graph) or [ox.NamedNode("urn:lcgraph:empty")],
                named_graphs=list(named_graphs) if named_graphs is not None else None,
            )
        return self._store.query(
            sparql,
            use_default_graph_as_union=union_default_graph,
            named_graphs=list(named_graphs) if named_graphs is not None else None,
        )

    def apply(self, changes: ChangeSet) -> None:
        """Apply a change set as one SPARQL update, which oxigraph runs in one transaction."""
        # Materialise first: a change set whose iterables fail part-way must write nothing.
        changes = ChangeSet(list(changes.drop_graphs), list(changes.remove), list(changes.add))
        if changes.is_empty():
            return
        try:
            self._store.update(render_update(changes))
        finally:
            self.version += 1  # a failed update may still have touched the store: count it
        for hook in self.write_hooks:
            hook(changes)

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal | None = None,
        graph: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """Iterate over matching quads."""
        return iter(self._store.quads_for_pattern(subject, predicate, obj, graph))

    def graphs(self) -> list[ox.NamedNode]:
        """List named graphs that hold quads."""
        return [g for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def count(self, graph: ox.NamedNode | None = None) -> int:
        """Count quads with a SPARQL aggregate (fast on oxigraph's indexes)."""
        if graph is None:
            q = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        else:
            q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {_term(graph)} {{ ?s ?p ?o }} }}"
        result = self._store.query(q)
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            value = row["n"]
            assert isinstance(value, ox.Literal)
            return int(value.value)
        return 0

    def dump(self, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> bytes:
        """Serialise the dataset or one graph."""
        if graph is not None:
            out = self._store.dump(format=fmt, from_graph=graph)
        else:
            out = self._store.dump(format=fmt)
        assert isinstance(out, bytes)
        return out

    def load_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads transactionally (materialised first, so a failing iterator writes nothing)."""
        batch = list(quads)
        try:
            self._store.extend(batch)
        finally:
            self.version += 1
        if self.write_hooks:
            added = ChangeSet(add=batch)
            for hook in self.write_hooks:
                hook(added)
        return len(batch)

    def backup(self, target: Path) -> None:
        """Write a consistent checkpoint of the on-disk store to ``target`` (which must not exist).

        RocksDB takes the checkpoint at one sequence number, so it holds every committed transaction up to
        that point and none after it: each write of the knowledge graph is one transaction, so a snapshot
        never holds half a graph. The checkpoint is itself a store directory (hard links where possible).
        """
        if self.path is None:
            raise StoreUnavailable("an in-memory store cannot be backed up", where="store")
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreUnavailable(f"cannot write the store checkpoint: {exc}", where=str(target)) from exc

    def close(self) -> None:
        """Flush pending writes; the store is released when garbage-collected."""
        if self.path is not None:
            self._store.flush()
        del self._store
