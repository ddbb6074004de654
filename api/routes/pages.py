"""The web UI's own routes: the start page with search, the sign-in page and the graph view's data.

Entity pages live at the entity IRIs (``/id/...``, negotiated in ``resources.py``), the SPARQL editor
at ``/sparql`` and the ontology documentation at ``/ontology`` (both negotiated by their routers).
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import get_kg
from api.web import pages
from api.web.i18n import language_of
from api.web.views import neighbourhood
from kg.errors import NotFound
from kg.graph import KnowledgeGraph

router = APIRouter(tags=["web pages"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
Facet = Annotated[list[str] | None, Query()]


@router.get("/", response_class=HTMLResponse, summary="Start page: search (HTML)")
def home(
    request: Request,
    q: Annotated[str | None, Query(max_length=2000, description="What you need, Dutch or English.")] = None,
    type: Facet = None,
    sector: Facet = None,
    phase: Facet = None,
    role: Facet = None,
    value_type: Facet = None,
) -> HTMLResponse:
    """Show the search box; with ``q``, the results grouped by type, with facets to narrow them."""
    selected = {"type": type or [], "sector": sector or [], "phase": phase or [], "role": role or []}
    selected["value_type"] = value_type or []
    return pages.home(request, q, selected)


@router.get("/login", response_class=HTMLResponse, summary="Sign-in page (HTML)")
def login(request: Request) -> HTMLResponse:
    """Show the password form (it posts to ``/auth/login``) and, when configured, OpenID Connect."""
    return pages.login_page(request)


@router.get("/graph/neighbourhood", summary="An entity's neighbourhood for the graph view")
def graph_neighbourhood(
    request: Request,
    kg: KG,
    iri: Annotated[str, Query(max_length=500, description="IRI of the entity (or its path, /id/...).")],
) -> JSONResponse:
    """Return the nodes one link away from an entity (either direction) and the links, labelled."""
    base = kg.settings.base_iri
    if iri.startswith("/"):
        iri = base + iri[1:]
    if not iri.startswith(base):
        raise NotFound(f"only IRIs of this graph ({base}...) have a neighbourhood here", where="iri")
    try:
        iri = ox.NamedNode(iri).value  # validated before it goes into a query
    except ValueError:
        raise NotFound(f"not a valid IRI: {iri!r}", where="iri") from None
    if not kg.exists(iri):
        raise NotFound(f"nothing is known about {iri}")
    return JSONResponse(neighbourhood(kg, iri, language_of(request)).as_json())
