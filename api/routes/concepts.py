"""SKOS concept schemes (phases, roles, sectors, practices, value types, success factors, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import get_kg
from kg.graph import KnowledgeGraph
from kg.model import SchemeView

router = APIRouter(prefix="/concepts", tags=["concepts"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


@router.get("", response_model=list[str], summary="List concept schemes")
def list_schemes(kg: KG) -> list[str]:
    """List the ids of the concept schemes."""
    return kg.schemes()


@router.get("/{scheme}", response_model=SchemeView, summary="One concept scheme")
def get_scheme(kg: KG, scheme: str) -> SchemeView:
    """Return a scheme's concepts with Dutch and English labels, synonyms and definitions."""
    return kg.scheme(scheme)
