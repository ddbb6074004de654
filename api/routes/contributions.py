"""Publishing: instruments (create, change or propose a change, version, deprecate), experience reports.

Every write needs a signed-in principal with the matching permission (``api.auth.require``) and counts
against the write rate limit; the rules of ownership and review live in :mod:`kg.contributions`.
Answers are the stored submission, with its review state: ``approved`` when it is public at once,
``proposed`` when it waits in the moderation queue.

Changes that replace something another writer may have changed too (``PUT /instruments/{slug}``, the
deprecation) honour ``If-Match`` with the instrument's ``ETag`` (:mod:`api.preconditions`); the
comparison happens inside the write, so of several changes based on one state exactly one is stored and
the others get 412 with the current tag.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, limit_writes, require
from api.deps import get_kg
from api.preconditions import ETAG_HEADER, IfMatch, parse_if_match, quoted
from api.problems import AUTH_RESPONSES, PRECONDITION_RESPONSES
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
from kg.contributions.checks import checked_item
from kg.contributions.experiences import ExperienceView
from kg.contributions.instruments import LineageView, VersionView, instrument_graph
from kg.contributions.submissions import item_id as item_of_graph
from kg.errors import NotFound
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
    responses={**PRECONDITION_RESPONSES, 200: {"headers": ETAG_HEADER}},
)
async def change_instrument(
    kg: KG,
    slug: str,
    body: InstrumentInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.EDIT_PROPOSE))],
    if_match: IfMatch = None,
) -> Submission:
    """Replace an instrument's description (owner, moderators) or propose the change (anyone else).

    A proposal answers with kind ``edit`` and state ``proposed``; it replaces the instrument once approved.
    Send the ``ETag`` of the instrument as you read it in ``If-Match``: if someone changed it since, nothing
    is written and the answer is 412 with the current tag. The answer's ``ETag`` is the instrument's tag
    after this change (unchanged for a proposal).
    """
    expected = parse_if_match(if_match)
    tagged = await run_in_threadpool(
        lambda: Instruments(kg).update_tagged(principal, slug, body, expected_etag=expected)
    )
    response.headers["ETag"] = quoted(tagged.etag)
    return tagged.submission


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
    responses=PRECONDITION_RESPONSES,
)
async def deprecate_instrument(
    kg: KG,
    slug: str,
    body: DeprecationInput,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.INSTRUMENT_EDIT_OWN))],
    if_match: IfMatch = None,
) -> Submission:
    """Mark an instrument as no longer recommended, with the reason and an optional successor.

    A deprecation replaces an earlier one, so it honours ``If-Match`` like ``PUT /instruments/{slug}``;
    it changes the instrument's ``ETag`` (read it again before the next change).
    """
    expected = parse_if_match(if_match)
    sub = await run_in_threadpool(
        lambda: Instruments(kg).deprecate(principal, slug, body, expected_etag=expected)
    )
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


@router.get(
    "/submissions/{item_id:path}",
    response_model=Submission,
    summary="One submission",
    responses={200: {"headers": ETAG_HEADER}},
)
async def get_submission(
    kg: KG, item_id: str, response: Response, principal: Annotated[Principal, Depends(current_principal)]
) -> Submission:
    """Return a submission its submitter or a moderator may see (public ones to anyone); 404 otherwise.

    For an instrument's own graph (``contrib/instrument/{slug}``) the ``ETag`` is the instrument's tag, so
    the owner of an instrument still waiting for review can change it with ``If-Match`` too.
    """
    # The tag is read before the submission: a write in between makes it older than what is shown, so a
    # change based on it is refused (412) rather than accepted over a state the caller never saw.
    tag = await run_in_threadpool(_instrument_tag, kg, item_id)
    sub = await run_in_threadpool(Submissions(kg).visible_to, principal, item_id)
    if tag is not None and sub.kind == "instrument":
        response.headers["ETag"] = quoted(tag)
    return sub


def _instrument_tag(kg: KnowledgeGraph, requested: str) -> str | None:
    """Return the entity tag of the instrument whose own graph the queue item ``requested`` is, if it is."""
    try:
        item = checked_item(requested)
    except NotFound:
        return None
    slug = item.rsplit("/", 1)[-1]
    if item_of_graph(str(instrument_graph(slug))) != item:
        return None
    try:
        return Instruments(kg).etag(slug)
    except NotFound:
        return None


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
