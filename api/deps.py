"""Request dependencies: the knowledge graph and settings held by the application."""

from __future__ import annotations

from fastapi import Request

from kg.config import Settings
from kg.errors import StoreUnavailable
from kg.graph import KnowledgeGraph


def get_kg(request: Request) -> KnowledgeGraph:
    """Return the application's knowledge graph (opened by the lifespan)."""
    kg: KnowledgeGraph | None = getattr(request.app.state, "kg", None)
    if kg is None:
        raise StoreUnavailable("the knowledge graph is not open yet")
    return kg


def get_settings(request: Request) -> Settings:
    """Return the application's settings."""
    settings: Settings = request.app.state.settings
    return settings
