"""Instruments: list with filters, and one instrument with everything known about it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import get_kg
from api.preconditions import ETAG_HEADER, quoted
from kg.contributions import Instruments
from kg.errors import NotFound
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


@router.get(
    "/{slug}",
    response_model=InstrumentDetail,
    summary="One instrument",
    responses={200: {"headers": ETAG_HEADER}},
)
def get_instrument(kg: KG, slug: str, response: Response) -> InstrumentDetail:
    """Return an instrument with its phases (and their basis), roles, origin, cases and fact sources.

    The ``ETag`` is the tag of the instrument's own description (what ``PUT`` and a deprecation replace),
    to send as ``If-Match`` with a change. It does not cover what other graphs add to this answer (the
    cases that used the instrument, fact sources), so it is no cache validator and ``If-None-Match`` is
    not answered with 304.
    """
    # The tag is read before the instrument: a write in between makes it older than what is shown, so a
    # change based on it is refused (412) rather than accepted over a state the caller never saw.
    try:
        tag: str | None = Instruments(kg).etag(slug)
    except NotFound:
        tag = None
    detail = kg.instrument(slug)
    if tag is not None:
        response.headers["ETag"] = quoted(tag)
    return detail
