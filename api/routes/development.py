"""Cases and communities that Webbers document, their development timeline and self-assessments.

``POST /cases`` takes a case entry (the format of ``GET /schemas/case-entries``, one entry); the owner of
a case, and moderators, record steps and assessments of its community; ``GET .../progress`` shows each
reader what it may see (an owner sees private assessments, others only shared ones).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, limit_writes, require
from api.deps import get_kg
from api.problems import AUTH_RESPONSES
from kg.contributions import AssessmentInput, Communities, Progress, StepInput, Submission
from kg.entries import CaseEntry
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal

router = APIRouter(tags=["communities"], responses=AUTH_RESPONSES)
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
Webber = Annotated[Principal, Depends(require(Permission.CASE_CREATE))]


@router.post(
    "/cases",
    status_code=201,
    response_model=Submission,
    summary="Document a case and its community",
    dependencies=[Depends(limit_writes)],
)
async def create_case(kg: KG, body: CaseEntry, response: Response, principal: Webber) -> Submission:
    """Store a case with its community; public at once for trusted accounts, otherwise after review."""
    sub = await run_in_threadpool(Communities(kg).create_case, principal, body)
    response.headers["Location"] = f"/submissions/{sub.id}"
    return sub


@router.post(
    "/communities/{slug}/steps",
    status_code=201,
    response_model=Submission,
    summary="Record a development step",
    dependencies=[Depends(limit_writes)],
)
async def add_step(kg: KG, slug: str, body: StepInput, principal: Webber) -> Submission:
    """Add a step (phase transition, activity, instrument applied, outcome, decision) to the timeline."""
    return await run_in_threadpool(Communities(kg).add_step, principal, slug, body)


@router.post(
    "/communities/{slug}/assessments",
    status_code=201,
    response_model=Submission,
    summary="Record a success-factor self-assessment",
    dependencies=[Depends(limit_writes)],
)
async def assess(kg: KG, slug: str, body: AssessmentInput, principal: Webber) -> Submission:
    """Score the twelve success factors of Seeds of Innovation (1-5, with a note); private unless shared."""
    return await run_in_threadpool(Communities(kg).assess, principal, slug, body)


@router.get("/communities/{slug}/progress", response_model=Progress, summary="Development and progress")
async def progress(
    kg: KG, slug: str, principal: Annotated[Principal, Depends(current_principal)]
) -> Progress:
    """Return the timeline, the assessments over time, the change per factor and the peers' shared means."""
    return await run_in_threadpool(Communities(kg).progress, principal, slug)
