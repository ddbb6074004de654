"""``GET /export``: the dataset the caller may read, as a file (N-Quads, TriG, Turtle, N-Triples, JSON-LD).

Anonymous callers get the approved graphs; a signed-in contributor also their own submissions; a
moderator also the pending ones and the audit trail (:mod:`kg.visibility`). Quad formats keep the named
graphs, so an export names the source of every fact.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal
from api.deps import get_kg
from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.permissions import Principal
from kg.visibility import dataset_for

router = APIRouter(tags=["linked data"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
FORMATS = {
    "nq": (ox.RdfFormat.N_QUADS, "application/n-quads", True),
    "trig": (ox.RdfFormat.TRIG, "application/trig", True),
    "ttl": (ox.RdfFormat.TURTLE, "text/turtle", False),
    "nt": (ox.RdfFormat.N_TRIPLES, "application/n-triples", False),
    "jsonld": (ox.RdfFormat.JSON_LD, "application/ld+json", True),
}


def _export(kg: KnowledgeGraph, principal: Principal, fmt: str) -> bytes:
    rdf_format, _, quads = FORMATS[fmt]
    graphs = dataset_for(kg, principal)
    if quads:
        data = [q for g in graphs for q in kg.store.quads(None, None, None, g)]
        out = ox.serialize(data, format=rdf_format)
    else:
        construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        public = {g.value for g in graphs} == {g.value for g in kg.visible_graphs()}
        result = kg.public_query(construct) if public else kg.store.query(construct, default_graph=graphs)
        assert isinstance(result, ox.QueryTriples)
        out = ox.serialize(list(result), format=rdf_format)
    assert isinstance(out, bytes)
    return out


@router.get(
    "/export",
    summary="Export the dataset you may read",
    response_class=Response,
    responses={200: {"content": {v[1]: {} for v in FORMATS.values()}}},
)
async def export(
    kg: KG,
    principal: Annotated[Principal, Depends(current_principal)],
    format: Annotated[
        str, Query(description="nq, trig, jsonld (named graphs kept); ttl, nt (merged).")
    ] = "nq",
) -> Response:
    """Download every graph the caller may read, in one file."""
    if format not in FORMATS:
        raise InvalidInput(
            f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}", where="format"
        )
    body = await run_in_threadpool(_export, kg, principal, format)
    return Response(
        body,
        media_type=FORMATS[format][1],
        headers={"Content-Disposition": f'attachment; filename="lcgraph.{format}"'},
    )
