"""The contribution forms of the web UI (HTML): each path shows its form (GET) and takes it back (POST).

* ``/instruments/new`` publishes an instrument, ``/instruments/{slug}/edit`` changes one (or proposes the
  change), ``/instruments/{slug}/experiences/new`` reports an experience with it;
* ``/communities/{slug}/steps/new`` records a development step, ``/communities/{slug}/assessments/new`` a
  success-factor self-assessment.

Someone not signed in is sent to ``/login?next=...``; a signed-in account without the permission gets a
403 page; a post without the session's CSRF token (``csrf_token`` field) is refused with 403 before anything
is read. Posts count against the same write limit as the JSON API. The forms call the same
:mod:`kg.contributions` functions with the same input models as the JSON API (``api/routes/contributions.py``,
``api/routes/development.py``); the form logic is in :mod:`api.web.forms`. Not part of the OpenAPI
description: the JSON endpoints are the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, limit_writes
from api.deps import get_kg
from api.web import forms
from kg.contributions.checks import checked_slug
from kg.errors import Conflict, Forbidden, LcGraphError, NotFound, RateLimited, Unauthenticated
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal, allowed

router = APIRouter(tags=["web pages"], include_in_schema=False)
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
Values = dict[str, list[str]]
STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, RateLimited: 429}


async def _problem(request: Request, exc: LcGraphError) -> Response:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    return await run_in_threadpool(forms.problem_page, request, status, exc.message)


async def _allowed(request: Request, permission: Permission) -> Principal | Response:
    """Return the principal when it may use the form, else the answer: sign in, or 403."""
    try:
        principal = await current_principal(request)
    except Unauthenticated:
        return forms.login_redirect(request)
    except Forbidden:  # the session's CSRF token is missing or wrong
        return await run_in_threadpool(forms.problem_page, request, 403, forms.message(request, "form.csrf"))
    if principal.is_anonymous:
        return forms.login_redirect(request)
    if not allowed(principal, permission):
        detail = forms.message(request, "form.not_allowed", permission=permission.value)
        return await run_in_threadpool(forms.problem_page, request, 403, detail)
    return principal


async def _show(
    request: Request, permission: Permission, page: Callable[[Request, Principal], Response]
) -> Response:
    """Answer a GET: the form for who may use it, else sign-in, a 403, 404 or 409 page."""
    principal = await _allowed(request, permission)
    if isinstance(principal, Response):
        return principal
    try:
        return await run_in_threadpool(page, request, principal)
    except LcGraphError as exc:
        return await _problem(request, exc)


async def _take(
    request: Request, permission: Permission, submit: Callable[[Request, Principal, Values], Response]
) -> Response:
    """Answer a POST: count the write, read the fields and hand them to ``submit``."""
    principal = await _allowed(request, permission)
    if isinstance(principal, Response):
        return principal
    try:
        await limit_writes(request, principal)
        values = forms.form_values((await request.form()).multi_items())
        return await run_in_threadpool(submit, request, principal, values)
    except LcGraphError as exc:
        return await _problem(request, exc)


def _slug(slug: str, what: str) -> str:
    return checked_slug(slug, what)


# ---------------------------------------------------------------------------------------------- instruments


@router.get("/instruments/new")
async def new_instrument(request: Request, kg: KG) -> Response:
    """Show the form to publish an instrument."""
    return await _show(
        request,
        Permission.INSTRUMENT_CREATE,
        lambda req, principal: forms.instrument_form(req, kg, principal),
    )


@router.post("/instruments/new")
async def publish_instrument(request: Request, kg: KG) -> Response:
    """Publish an instrument from the form."""
    return await _take(
        request,
        Permission.INSTRUMENT_CREATE,
        lambda req, principal, values: forms.submit_instrument(req, kg, principal, values),
    )


@router.get("/instruments/{slug}/edit")
async def edit_instrument(request: Request, kg: KG, slug: str) -> Response:
    """Show the edit form of an instrument published on the platform, prefilled."""
    return await _show(
        request,
        Permission.EDIT_PROPOSE,
        lambda req, principal: forms.instrument_form(req, kg, principal, _slug(slug, "instrument")),
    )


@router.post("/instruments/{slug}/edit")
async def change_instrument(request: Request, kg: KG, slug: str) -> Response:
    """Change the instrument (owner, moderators) or propose the change (other contributors)."""
    return await _take(
        request,
        Permission.EDIT_PROPOSE,
        lambda req, principal, values: forms.submit_instrument(
            req, kg, principal, values, _slug(slug, "instrument")
        ),
    )


@router.get("/instruments/{slug}/experiences/new")
async def new_experience(request: Request, kg: KG, slug: str) -> Response:
    """Show the form to report an experience with an instrument."""
    return await _show(
        request,
        Permission.EXPERIENCE_CREATE,
        lambda req, principal: forms.experience_form(req, kg, _slug(slug, "instrument")),
    )


@router.post("/instruments/{slug}/experiences/new")
async def report_experience(request: Request, kg: KG, slug: str) -> Response:
    """Report an experience from the form."""
    return await _take(
        request,
        Permission.EXPERIENCE_CREATE,
        lambda req, principal, values: forms.submit_experience(
            req, kg, principal, _slug(slug, "instrument"), values
        ),
    )


# ---------------------------------------------------------------------------------------------- communities


@router.get("/communities/{slug}/steps/new")
async def new_step(request: Request, kg: KG, slug: str) -> Response:
    """Show the form to record a development step (the case's Webber and moderators)."""
    return await _show(
        request,
        Permission.CASE_CREATE,
        lambda req, principal: forms.step_form(req, kg, principal, _slug(slug, "community")),
    )


@router.post("/communities/{slug}/steps/new")
async def record_step(request: Request, kg: KG, slug: str) -> Response:
    """Record a development step from the form."""
    return await _take(
        request,
        Permission.CASE_CREATE,
        lambda req, principal, values: forms.submit_step(
            req, kg, principal, _slug(slug, "community"), values
        ),
    )


@router.get("/communities/{slug}/assessments/new")
async def new_assessment(request: Request, kg: KG, slug: str) -> Response:
    """Show the success-factor self-assessment form."""
    return await _show(
        request,
        Permission.CASE_CREATE,
        lambda req, principal: forms.assessment_form(req, kg, principal, _slug(slug, "community")),
    )


@router.post("/communities/{slug}/assessments/new")
async def record_assessment(request: Request, kg: KG, slug: str) -> Response:
    """Record a self-assessment from the form."""
    return await _take(
        request,
        Permission.CASE_CREATE,
        lambda req, principal, values: forms.submit_assessment(
            req, kg, principal, _slug(slug, "community"), values
        ),
    )
