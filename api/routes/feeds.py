"""Atom feeds of public experience reports: per instrument and per developer, so developers can follow use.

Feed readers and platforms people already use (Slack, Teams, LinkedIn tools, e-mail digests) subscribe to
these; only approved reports appear.
"""

from __future__ import annotations

from typing import Annotated
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.deps import get_kg
from kg.catalog import instrument_iri
from kg.contributions.audit import now_iso
from kg.contributions.experiences import Experiences, ExperienceView
from kg.graph import KnowledgeGraph

router = APIRouter(prefix="/feeds", tags=["contributions"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]
ATOM = "application/atom+xml"


def _entry(base: str, e: ExperienceView) -> str:
    slug = e.instrument.rsplit("/", 1)[-1]
    title = f"Experience with {slug}" + (f" (rating {e.rating}/5)" if e.rating else "")
    parts = [
        ("Context", e.context),
        ("What worked", e.what_worked),
        ("What did not work", e.what_did_not_work),
        ("Adaptations", e.adaptations),
    ]
    summary = "\n".join(f"{k}: {v}" for k, v in parts if v)
    return (
        "<entry>"
        f"<id>{escape(e.iri)}</id>"
        f"<title>{escape(title)}</title>"
        f"<updated>{escape(e.created or now_iso())}</updated>"
        f"<author><name>{escape(e.author or 'lcgraph')}</name></author>"
        f'<link rel="alternate" href="{escape(base + "instruments/" + slug + "/experiences")}"/>'
        f'<category term="{escape(slug)}"/>'
        f'<summary type="text">{escape(summary)}</summary>'
        "</entry>"
    )


def _feed(request: Request, feed_id: str, title: str, entries: list[ExperienceView]) -> Response:
    base = str(request.base_url)
    updated = max((e.created or "" for e in entries), default="") or now_iso()
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(feed_id)}</id><title>{escape(title)}</title><updated>{escape(updated)}</updated>"
        f'<link rel="self" href="{escape(str(request.url))}"/>'
        + "".join(_entry(base, e) for e in entries[:100])
        + "</feed>"
    )
    return Response(body, media_type=ATOM)


@router.get(
    "/instruments/{slug}.atom",
    summary="Atom feed of experiences with an instrument",
    response_class=Response,
    responses={200: {"content": {ATOM: {}}}},
)
def instrument_feed(request: Request, kg: KG, slug: str) -> Response:
    """Follow new public experience reports on one instrument."""
    experiences = Experiences(kg).for_instrument(slug).experiences
    return _feed(request, str(instrument_iri(slug)) + "#experiences", f"Experiences with {slug}", experiences)


@router.get(
    "/developers/{account_id}.atom",
    summary="Atom feed of experiences with a developer's instruments",
    response_class=Response,
    responses={200: {"content": {ATOM: {}}}},
)
def developer_feed(request: Request, kg: KG, account_id: str) -> Response:
    """Follow new public experience reports on every instrument a developer published."""
    experiences = Experiences(kg).for_developer(account_id)
    return _feed(
        request,
        f"{request.base_url}feeds/developers/{account_id}",
        f"Experiences with the instruments of {account_id}",
        experiences,
    )
