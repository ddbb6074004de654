"""The moderation queue: user submissions and ingested documents waiting for review, and the decisions.

Moderators see each item's facts with their provenance and source passage, approve (optionally leaving
out single facts), reject with a reason, and grant or withdraw trust. Every decision is recorded in the
audit trail (``lcg:audit``), which moderators can query with SPARQL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import auth_state, limit_writes, require
from api.deps import get_kg
from api.problems import AUTH_RESPONSES
from kg.contributions import Submission, Submissions
from kg.contributions.review import ReviewItem, review_item, set_trust
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal

router = APIRouter(prefix="/moderation", tags=["moderation"], responses=AUTH_RESPONSES)
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
Moderator = Annotated[Principal, Depends(require(Permission.MODERATE))]


class Decision(BaseModel):
    """A moderator's decision on a queue item."""

    reason: str | None = Field(default=None, max_length=2000, description="Required for a rejection.")
    exclude: list[str] = Field(
        default_factory=list, max_length=500, description="Fact-record IRIs to leave out before approving."
    )


class TrustView(BaseModel):
    """An account's trust after a moderator's decision."""

    account: str
    trusted: bool


@router.get("/queue", response_model=list[Submission], summary="Items waiting for review")
async def queue(kg: KG, principal: Moderator) -> list[Submission]:
    """List every proposed graph (user submissions and ingested documents), newest first."""
    return await run_in_threadpool(Submissions(kg).queue)


@router.get("/items/{item_id:path}", response_model=ReviewItem, summary="One item with its facts")
async def item(kg: KG, item_id: str, principal: Moderator) -> ReviewItem:
    """Return an item's facts, each with its provenance and the source passage it was taken from."""
    return await run_in_threadpool(review_item, kg, item_id)


@router.post(
    "/approve/{item_id:path}",
    response_model=Submission,
    summary="Approve an item",
    dependencies=[Depends(limit_writes)],
)
async def approve(kg: KG, item_id: str, body: Decision, principal: Moderator) -> Submission:
    """Approve an item (a proposed edit replaces its target); ``exclude`` leaves single facts out."""
    return await run_in_threadpool(
        lambda: Submissions(kg).approve(principal, item_id, reason=body.reason, exclude=body.exclude)
    )


@router.post(
    "/reject/{item_id:path}",
    response_model=Submission,
    summary="Reject an item",
    dependencies=[Depends(limit_writes)],
)
async def reject(kg: KG, item_id: str, body: Decision, principal: Moderator) -> Submission:
    """Reject an item with a reason; it stays stored for provenance and is never shown publicly."""
    return await run_in_threadpool(
        lambda: Submissions(kg).reject(principal, item_id, reason=body.reason or "")
    )


@router.post(
    "/trust/{account_id}",
    response_model=TrustView,
    summary="Trust an account (its contributions skip the queue)",
    dependencies=[Depends(limit_writes)],
)
async def trust(request: Request, kg: KG, account_id: str, principal: Moderator) -> TrustView:
    """Grant trust to an account; its later contributions are public at once."""
    accounts = auth_state(request).accounts
    account = await run_in_threadpool(set_trust, kg, accounts, principal, account_id, True)
    return TrustView(account=account.id, trusted=account.trusted)


@router.delete(
    "/trust/{account_id}",
    response_model=TrustView,
    summary="Withdraw trust from an account",
    dependencies=[Depends(limit_writes)],
)
async def distrust(request: Request, kg: KG, account_id: str, principal: Moderator) -> TrustView:
    """Withdraw trust; the account's later contributions wait for review again."""
    accounts = auth_state(request).accounts
    account = await run_in_threadpool(set_trust, kg, accounts, principal, account_id, False)
    return TrustView(account=account.id, trusted=account.trusted)
