"""Store backends behind the ``GraphStore`` protocol, chosen by a setting."""

from __future__ import annotations

from kg.config import Settings
from kg.store.base import ChangeSet, GraphStore, QueryResult
from kg.store.oxigraph import OxigraphStore

__all__ = ["ChangeSet", "GraphStore", "OxigraphStore", "QueryResult", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: on-disk oxigraph under ``home/store``, or in memory."""
    if settings.store == "memory":
        return OxigraphStore(None)
    return OxigraphStore(settings.store_path)
