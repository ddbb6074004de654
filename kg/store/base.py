"""The ``GraphStore`` protocol every backend implements, and the change set it applies atomically.

Terms at this boundary are pyoxigraph terms (``NamedNode``, ``Literal``, ``Quad``): the embedded
backend uses them natively and remote backends parse results into them, so hot paths never
convert between term libraries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyoxigraph as ox

QueryResult = ox.QuerySolutions | ox.QueryTriples | ox.QueryBoolean


@dataclass
class ChangeSet:
    """A set of changes applied in one transaction: graphs dropped, then quads removed, then added.

    Attributes:
        drop_graphs: graphs removed entirely before anything else happens (``ox.DefaultGraph()`` clears
            the default graph, which may hold blank nodes that no ``DELETE DATA`` can name).
        remove: quads deleted.
        add: quads inserted.
    """

    drop_graphs: list[ox.NamedNode | ox.DefaultGraph] = field(default_factory=list)
    remove: list[ox.Quad] = field(default_factory=list)
    add: list[ox.Quad] = field(default_factory=list)

    def is_empty(self) -> bool:
        """Tell whether applying the change set would do nothing."""
        return not (self.drop_graphs or self.remove or self.add)


@runtime_checkable
class GraphStore(Protocol):
    """A quad store with SPARQL, atomic change sets and RDF import/export."""

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        union_default_graph: bool = False,
    ) -> QueryResult:
        """Evaluate a SPARQL 1.1 query over the given dataset and return lazy results."""
        ...

    def apply(self, changes: ChangeSet) -> None:
        """Apply a change set in one transaction: all of it or nothing."""
        ...

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal | None = None,
        graph: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """Iterate over the quads that match a pattern (``None`` matches anything)."""
        ...

    def graphs(self) -> list[ox.NamedNode]:
        """List the named graphs that hold at least one quad."""
        ...

    def count(self, graph: ox.NamedNode | None = None) -> int:
        """Count the quads in one graph, or in the whole store."""
        ...

    def dump(self, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> bytes:
        """Serialise the whole dataset (quad formats) or one graph (triple formats)."""
        ...

    def load_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads in one transaction and return how many were given."""
        ...

    def close(self) -> None:
        """Flush and release the store."""
        ...
