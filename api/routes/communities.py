"""Learning communities and related collectives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_kg
from kg.graph import KnowledgeGraph
from kg.model import CommunityDetail, CommunitySummary

router = APIRouter(prefix="/communities", tags=["communities"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


@router.get("", response_model=list[CommunitySummary], summary="List communities")
def list_communities(
    kg: KG,
    sector: Annotated[str | None, Query(description="Sector id or slug.")] = None,
    form: Annotated[str | None, Query(description="Form id or slug, e.g. living-lab.")] = None,
    level: Annotated[str | None, Query(description="Scale level: nano, micro, meso, macro.")] = None,
) -> list[CommunitySummary]:
    """List learning communities and collectives, filtered by sector, form and scale level."""
    return kg.communities(sector=sector, form=form, level=level)


@router.get("/{slug}", response_model=CommunityDetail, summary="One community")
def get_community(kg: KG, slug: str) -> CommunityDetail:
    """Return a community with its forms, levels, participants, parts, cases and sources."""
    return kg.community(slug)
