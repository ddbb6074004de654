"""Cases: list with filters, and one case with its instruments, outcomes and sources."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_kg
from kg.graph import KnowledgeGraph
from kg.model import CaseDetail, CaseSummary

router = APIRouter(prefix="/cases", tags=["cases"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


@router.get("", response_model=list[CaseSummary], summary="List cases")
def list_cases(
    kg: KG,
    sector: Annotated[str | None, Query(description="Sector id or slug, e.g. logistics.")] = None,
    challenge: Annotated[
        str | None, Query(description="Challenge id or slug, e.g. energy-transition.")
    ] = None,
    instrument: Annotated[str | None, Query(description="Slug of an instrument the case used.")] = None,
    q: Annotated[str | None, Query(description="Text in the name or description (nl or en).")] = None,
) -> list[CaseSummary]:
    """List cases, filtered by sector, societal challenge, instrument used and text."""
    return kg.cases(sector=sector, challenge=challenge, instrument=instrument, text=q)


@router.get("/{slug}", response_model=CaseDetail, summary="One case")
def get_case(kg: KG, slug: str) -> CaseDetail:
    """Return a case with its community, instruments, outcomes by value type, lessons and sources."""
    return kg.case(slug)
