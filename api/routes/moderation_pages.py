"""The moderation pages of the web UI (HTML): the queue, one item, and the decisions its forms post.

``GET /moderation`` lists what waits for review, ``GET /moderation/review/{id}`` shows one item's facts
with their provenance, ``POST /moderation/review/{id}`` approves or rejects it (form fields ``decision``,
``exclude``, ``reason`` and the session's ``csrf_token``) and redirects (303) to the queue. Anonymous
visitors are sent to ``/login``; signed-in accounts that may not moderate get a 403 page. The JSON API of
the same decisions is ``api/routes/moderation.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import current_principal, limit_writes
from api.deps import get_kg
from api.web import moderation
from api.web.i18n import language_of, translator
from api.web.pages import not_found_page
from kg.errors import Forbidden, NotFound
from kg.graph import KnowledgeGraph
from kg.permissions import Principal
from kg.visibility import can_moderate

router = APIRouter(tags=["web pages"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]


async def form_principal(request: Request) -> Principal | None:
    """Return who sends a request, or ``None`` when a session's form lacks the right CSRF token.

    The JSON API answers a CSRF refusal with problem+json; a browser form gets a page saying what happened.
    """
    try:
        return await current_principal(request)
    except Forbidden:
        return None


Viewer = Annotated[Principal, Depends(current_principal)]
FormSender = Annotated[Principal | None, Depends(form_principal)]
HTML = {"text/html": {"schema": {"type": "string"}}}
PAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    303: {"description": "Not signed in: to /login, with this page as `next`."},
    403: {"description": "Signed in without the moderator role (an HTML page).", "content": HTML},
}


def _gate(request: Request, principal: Principal) -> Response | None:
    """Return the answer for someone who may not moderate (sign in first, or 403), else ``None``."""
    if principal.is_anonymous:
        return moderation.login_redirect(request)
    if not can_moderate(principal):
        return moderation.denied_page(request)
    return None


@router.get(
    "/moderation",
    response_class=HTMLResponse,
    summary="Moderation queue (HTML, moderators)",
    responses=PAGE_RESPONSES,
)
def queue_page(request: Request, kg: KG, principal: Viewer) -> Response:
    """Show every proposed graph (submissions and ingested documents) with kind, subject, submitter, date."""
    return _gate(request, principal) or moderation.queue_page(request, kg)


@router.get(
    "/moderation/review/{item_id:path}",
    response_class=HTMLResponse,
    summary="Review one queue item (HTML, moderators)",
    responses={**PAGE_RESPONSES, 404: {"description": "No such item waiting for review.", "content": HTML}},
)
def item_page(request: Request, kg: KG, item_id: str, principal: Viewer) -> Response:
    """Show an item's facts with provenance and source passage, and the approve and reject forms."""
    gate = _gate(request, principal)
    if gate is not None:
        return gate
    try:
        return moderation.item_page(request, kg, item_id)
    except NotFound as exc:
        return not_found_page(request, exc.message)


@router.post(
    "/moderation/review/{item_id:path}",
    response_class=HTMLResponse,
    summary="Approve or reject a queue item (HTML form, moderators)",
    responses={
        **PAGE_RESPONSES,
        303: {"description": "Decided: back to the queue with a confirmation; not signed in: to /login."},
        400: {"description": "The item again, with what is wrong in the form.", "content": HTML},
        404: {"description": "No such item waiting for review.", "content": HTML},
    },
)
async def decide(request: Request, kg: KG, item_id: str, principal: FormSender) -> Response:
    """Approve (leaving out the ticked facts) or reject (with the required reason), then go to the queue."""
    if principal is None:
        detail = translator(language_of(request))("mod.csrf")
        return await run_in_threadpool(moderation.denied_page, request, detail)
    gate = await run_in_threadpool(_gate, request, principal)
    if gate is not None:
        return gate
    await limit_writes(request, principal)
    form = await request.form()
    fields: dict[str, str | list[str]] = {
        key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form
    }
    try:
        return await run_in_threadpool(moderation.decide, request, kg, principal, item_id, fields)
    except NotFound as exc:
        return await run_in_threadpool(not_found_page, request, exc.message)
