"""Publishing: instruments (create, change or propose a change, version, deprecate), experience reports.

Every write needs a signed-in principal with the matching permission (``api.auth.require``) and counts
against the write rate limit; the rules of ownership and review live in :mod:`kg.contributions`.
Answers are the stored submission, with its review state: ``approved`` when it is public at once,
``proposed`` when it waits in the moderation queue.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, limit_writes, require
from api.deps import get_kg
from api.problems import AUTH_RESPONSES
from kg.contributions import (
    DeprecationInput,
    ExperienceInput,
    Experiences,
    InstrumentExperiences,
    InstrumentInput,
    Instruments,
    Submission,
    Submissions,
    VersionInput,
)
from kg.contributions.experiences import ExperienceView
from kg.contributions.instruments import LineageView, VersionView
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal

router = APIRouter(tags=["contributions"], responses=AUTH_RESPONSES)
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
Limited = Depends(limit_writes)


def _created(response: Response, sub: Submission) -> Submission:
    response.headers["Location"] = f"/submissions/{sub.id}"
    return sub


@router.post(
    "/instruments",
    status_code=201,
    response_model=Submission,
    summary="Publish an instrument",
    dependencies=[Limited],
)
async def publish_instrument(
    kg: KG,
    body: InstrumentInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.INSTRUMENT_CREATE))],
) -> Submission:
    """Publish a new instrument: public at once for trusted developers, otherwise after review."""
    sub = await run_in_threadpool(Instruments(kg).publish, principal, body)
    return _created(response, sub)


@router.put(
    "/instruments/{slug}",
    response_model=Submission,
    summary="Change an instrument, or propose a change",
    dependencies=[Limited],
)
async def change_instrument(
    kg: KG,
    slug: str,
    body: InstrumentInput,
    principal: Annotated[Principal, Depends(require(Permission.EDIT_PROPOSE))],
) -> Submission:
    """Replace an instrument's description (owner, moderators) or propose the change (anyone else).

    A proposal answers with kind ``edit`` and state ``proposed``; it replaces the instrument once approved.
    """
    return await run_in_threadpool(Instruments(kg).update, principal, slug, body)


@router.post(
    "/instruments/{slug}/versions",
    status_code=201,
    response_model=Submission,
    summary="Add a version of an instrument",
    dependencies=[Limited],
)
async def add_version(
    kg: KG,
    slug: str,
    body: VersionInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.INSTRUMENT_EDIT_OWN))],
) -> Submission:
    """Add a version (semantic version, changelog, release date); only the owner or a moderator may."""
    sub = await run_in_threadpool(Instruments(kg).add_version, principal, slug, body)
    return _created(response, sub)


@router.get("/instruments/{slug}/versions", response_model=list[VersionView], summary="Versions")
def list_versions(kg: KG, slug: str) -> list[VersionView]:
    """List the public versions of an instrument, newest first, with their changelogs."""
    return Instruments(kg).versions(slug)


@router.post(
    "/instruments/{slug}/deprecation",
    status_code=201,
    response_model=Submission,
    summary="Deprecate an instrument",
    dependencies=[Limited],
)
async def deprecate_instrument(
    kg: KG,
    slug: str,
    body: DeprecationInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.INSTRUMENT_EDIT_OWN))],
) -> Submission:
    """Mark an instrument as no longer recommended, with the reason and an optional successor."""
    sub = await run_in_threadpool(Instruments(kg).deprecate, principal, slug, body)
    return _created(response, sub)


@router.get("/instruments/{slug}/lineage", response_model=LineageView, summary="Adaptations")
def lineage(kg: KG, slug: str) -> LineageView:
    """Show what an instrument was adapted from and which instruments adapt it (PROV lineage)."""
    return Instruments(kg).lineage(slug)


@router.get(
    "/instruments/{slug}/experiences",
    response_model=InstrumentExperiences,
    summary="Experiences with an instrument",
)
def instrument_experiences(kg: KG, slug: str) -> InstrumentExperiences:
    """Aggregate the public experience reports on an instrument (count, rating, sectors, phases)."""
    return Experiences(kg).for_instrument(slug)


@router.post(
    "/experiences",
    status_code=201,
    response_model=Submission,
    summary="Report an experience with an instrument",
    dependencies=[Limited],
)
async def report_experience(
    kg: KG,
    body: ExperienceInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.EXPERIENCE_CREATE))],
) -> Submission:
    """Report how an instrument worked in a case or community."""
    sub = await run_in_threadpool(Experiences(kg).report, principal, body)
    return _created(response, sub)


@router.get("/submissions/{item_id:path}", response_model=Submission, summary="One submission")
async def get_submission(
    kg: KG, item_id: str, principal: Annotated[Principal, Depends(current_principal)]
) -> Submission:
    """Return a submission its submitter or a moderator may see (public ones to anyone); 404 otherwise."""
    return await run_in_threadpool(Submissions(kg).visible_to, principal, item_id)


@router.get("/me/submissions", response_model=list[Submission], summary="My submissions")
async def my_submissions(
    kg: KG, principal: Annotated[Principal, Depends(require(Permission.SUBMISSION_READ_OWN))]
) -> list[Submission]:
    """List everything the signed-in account submitted, with its review state, newest first."""
    assert principal.account_id is not None
    return await run_in_threadpool(Submissions(kg).by_author, principal.account_id)


@router.get(
    "/developers/{account_id}/experiences",
    response_model=list[ExperienceView],
    summary="Experiences with a developer's instruments",
)
def developer_experiences(kg: KG, account_id: str) -> list[ExperienceView]:
    """List the public experience reports on every instrument the account published, newest first."""
    return Experiences(kg).for_developer(account_id)
