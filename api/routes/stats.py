"""Statistics and the list of named graphs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import get_kg
from kg.graph import KnowledgeGraph
from kg.model import GraphInfo, Stats
from kg.stats import collect_stats

router = APIRouter(tags=["status"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


@router.get("/stats", response_model=Stats, summary="Counts of what the graph holds")
def stats(kg: KG) -> Stats:
    """Count instruments, cases, communities, concepts, provenance records and triples."""
    return collect_stats(kg)


@router.get("/graphs", response_model=list[GraphInfo], summary="The public named graphs and their provenance")
def graphs(kg: KG) -> list[GraphInfo]:
    """List the approved named graphs (one per source) with title, method and content hash."""
    return [g for g in kg.graphs() if g.review_state == "approved"]
