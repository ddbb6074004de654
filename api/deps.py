"""Request dependencies: the knowledge graph and settings held by the application.

They are ``async`` although they never wait: FastAPI runs a plain ``def`` dependency in its thread pool,
and each such hand-off costs about half a millisecond per request on our 2-core machines
(bench/graph_suite); these only read attributes.
"""

from __future__ import annotations

from fastapi import Request

from kg.config import Settings
from kg.errors import StoreUnavailable
from kg.graph import KnowledgeGraph


def kg_of(request: Request) -> KnowledgeGraph:
    """Return the application's knowledge graph (opened by the lifespan)."""
    kg: KnowledgeGraph | None = getattr(request.app.state, "kg", None)
    if kg is None:
        raise StoreUnavailable("the knowledge graph is not open yet")
    return kg


def settings_of(request: Request) -> Settings:
    """Return the application's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_kg(request: Request) -> KnowledgeGraph:
    """Return :func:`kg_of` as a dependency."""
    return kg_of(request)


async def get_settings(request: Request) -> Settings:
    """Return :func:`settings_of` as a dependency."""
    return settings_of(request)
