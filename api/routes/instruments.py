"""Instruments: list with filters, and one instrument with everything known about it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_kg
from kg.graph import KnowledgeGraph
from kg.model import InstrumentDetail, InstrumentSummary

router = APIRouter(prefix="/instruments", tags=["instruments"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


@router.get("", response_model=list[InstrumentSummary], summary="List instruments")
def list_instruments(
    kg: KG,
    phase: Annotated[
        str | None, Query(description="Phase id or slug: start, design, execute, sustain.")
    ] = None,
    role: Annotated[str | None, Query(description="Target role id or slug, e.g. facilitator.")] = None,
    sector: Annotated[str | None, Query(description="Origin sector id or slug, e.g. horticulture.")] = None,
    kind: Annotated[
        str | None, Query(description="Kind: tool, method, work-form, framework, resource.")
    ] = None,
    q: Annotated[
        str | None, Query(description="Text in the name, purpose or description (nl or en).")
    ] = None,
) -> list[InstrumentSummary]:
    """List instruments, filtered by phase, target role, origin sector, kind and text."""
    return kg.instruments(phase=phase, role=role, sector=sector, kind=kind, text=q)


@router.get("/{slug}", response_model=InstrumentDetail, summary="One instrument")
def get_instrument(kg: KG, slug: str) -> InstrumentDetail:
    """Return an instrument with its phases (and their basis), roles, origin, cases and fact sources."""
    return kg.instrument(slug)
