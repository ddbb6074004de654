"""Associative search: hybrid search, similar cases and instruments, and crossover instruments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kg.errors import SearchUnavailable
from kg.search.models import CrossoverResponse, SearchResponse, SimilarResponse
from kg.search.service import SearchService

router = APIRouter(tags=["search"])


async def get_search(request: Request) -> SearchService:
    """Return the application's search service, or answer 503 when search is off.

    A coroutine although it does not wait: FastAPI runs a plain function on a worker thread, a hop
    that every search request would pay on top of the one for its endpoint.
    """
    service: SearchService | None = getattr(request.app.state, "search", None)
    if service is None:
        raise SearchUnavailable(
            "search is not available on this server (started without it or still loading)", where="search"
        )
    return service


Search = Annotated[SearchService, Depends(get_search)]
Lang = Annotated[str, Query(pattern="^(nl|en)$", description="Language of labels and explanations.")]
Facet = Annotated[list[str] | None, Query()]


@router.get("/search", response_model=SearchResponse, summary="Search instruments, cases and communities")
def search(
    service: Search,
    q: Annotated[
        str, Query(min_length=1, max_length=2000, description="What you need, in Dutch or English.")
    ],
    type: Annotated[
        list[str] | None, Query(description="instrument, case or community (repeatable).")
    ] = None,
    sector: Facet = None,
    phase: Facet = None,
    role: Facet = None,
    value_type: Facet = None,
    level: Facet = None,
    challenge: Facet = None,
    practice: Facet = None,
    kind: Facet = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    passages: Annotated[int, Query(ge=0, le=20, description="Best document passages to add.")] = 3,
    lang: Lang = "en",
) -> Response:
    """Rank items by meaning (multilingual embeddings), words (BM25, Dutch queries), names and graph concepts.

    Facet filters take concept slugs (``sector=logistics``) or ids (``sector-logistics``); values of one
    facet are alternatives, different facets must all hold. Each result says why it was found.
    """
    filters = {
        name: values
        for name, values in (
            ("sector", sector),
            ("phase", phase),
            ("role", role),
            ("value_type", value_type),
            ("level", level),
            ("challenge", challenge),
            ("practice", practice),
            ("kind", kind),
        )
        if values
    }
    response = service.search(
        q, types=type, filters=filters, limit=limit, offset=offset, passages=passages, lang=lang
    )
    # already a validated model: serialise it once instead of letting FastAPI validate it again
    return Response(response.model_dump_json(), media_type="application/json")


@router.get("/search/status", summary="State of the search indexes")
def search_status(service: Search) -> dict[str, object]:
    """Report index sizes, how each index was opened (loaded, rebuilt, updated), last sync and cache."""
    return service.status()


K = Annotated[int, Query(ge=1, le=100, description="How many results.")]
Diversity = Annotated[
    float, Query(ge=0.0, le=1.0, description="0: pure similarity; 1: spread results over sectors.")
]


@router.get("/cases/{slug}/similar", response_model=SimilarResponse, summary="Cases similar to a case")
def similar_cases(
    service: Search, slug: str, k: K = 10, diversity: Diversity = 1.0, lang: Lang = "en"
) -> SimilarResponse:
    """Return the most similar cases, deliberately spread across sectors, each with what it shares."""
    return service.similar(f"case/{slug}", k=k, diversity=diversity, lang=lang)


@router.get(
    "/instruments/{slug}/similar",
    response_model=SimilarResponse,
    summary="Instruments similar to an instrument",
)
def similar_instruments(
    service: Search, slug: str, k: K = 10, diversity: Diversity = 0.5, lang: Lang = "en"
) -> SimilarResponse:
    """Return similar instruments, each with shared phases and roles and the sectors where it is used."""
    return service.similar(f"instrument/{slug}", k=k, diversity=diversity, lang=lang)


class Situation(BaseModel):
    """A situation described in free text, to find comparable cases for."""

    model_config = ConfigDict(extra="forbid")

    situation: str = Field(min_length=1, max_length=2000, description="Your situation, Dutch or English.")
    sector: str | None = Field(default=None, description="Your own sector (results favour other sectors).")
    k: int = Field(default=10, ge=1, le=100)
    diversity: float = Field(default=1.0, ge=0.0, le=1.0)
    lang: str = Field(default="en", pattern="^(nl|en)$")


@router.post("/cases/similar", response_model=SimilarResponse, summary="Cases similar to a situation")
def similar_to_situation(service: Search, body: Situation) -> SimilarResponse:
    """Return the cases most like a described situation, spread across sectors, each explained."""
    return service.similar_to_text(
        body.situation, k=body.k, diversity=body.diversity, sector=body.sector, lang=body.lang
    )


class Need(BaseModel):
    """A need to find crossover instruments for."""

    model_config = ConfigDict(extra="forbid")

    need: str = Field(min_length=1, max_length=2000, description="What you need, Dutch or English.")
    sector: str | None = Field(default=None, description="Your sector; suggestions come from other sectors.")
    phase: str | None = Field(default=None, description="Your community's phase, e.g. start.")
    role: str | None = Field(default=None, description="Who will use it, e.g. facilitator or webber.")
    k: int = Field(default=10, ge=1, le=100)
    lang: str = Field(default="en", pattern="^(nl|en)$")


@router.post("/crossovers", response_model=CrossoverResponse, summary="Instruments proven in other sectors")
def post_crossovers(service: Search, body: Need) -> CrossoverResponse:
    """Return instruments that fit the need and were used in other sectors, ranked by fit and evidence."""
    return service.crossovers(
        body.need, sector=body.sector, phase=body.phase, role=body.role, k=body.k, lang=body.lang
    )
