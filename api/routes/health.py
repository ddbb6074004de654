"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kg.graph import ONTOLOGY_GRAPH

router = APIRouter(tags=["status"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Answer as long as the process runs."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the store is open and the ontology is loaded")
async def readyz(request: Request) -> JSONResponse:
    """Answer 200 when queries can be served, 503 with the reason otherwise."""
    kg = getattr(request.app.state, "kg", None)
    if kg is None:
        return JSONResponse({"status": "starting", "detail": "the store is not open"}, status_code=503)
    graphs = {g.value for g in kg.visible_graphs()}
    if str(ONTOLOGY_GRAPH) not in graphs:
        return JSONResponse(
            {"status": "empty", "detail": "no ontology loaded; run `lcgraph load`"}, status_code=503
        )
    # where public reads are answered (kg.public_mirror): "mirror", or "graph list" (no mirror, or it failed)
    public_reads = "mirror" if kg.mirror_in_use else "graph list"
    return JSONResponse({"status": "ready", "graphs": len(graphs), "public_reads": public_reads})
