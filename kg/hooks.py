"""Listeners the knowledge graph tells about graph writes (the search index subscribes here)."""

from __future__ import annotations

from typing import Protocol


class GraphListener(Protocol):
    """Something that keeps derived data (an index, a cache) in step with the named graphs."""

    def graph_written(self, graph: str) -> None:
        """React to a named graph that was created or replaced."""
        ...

    def graph_removed(self, graph: str) -> None:
        """React to a named graph that was dropped."""
        ...

    def dataset_changed(self) -> None:
        """React to writes another process made to a shared store (which graphs changed is not known)."""
        ...
