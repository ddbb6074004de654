"""The moderation pages: the queue of proposed graphs, one item with its facts, and the decisions.

Routes in ``api/routes/moderation_pages.py`` call these. The JSON API (``api/routes/moderation.py``)
and these pages share one domain: :class:`~kg.contributions.Submissions` decides, and
:func:`~kg.contributions.review.review_item` lists an item's facts with their provenance. What is added
here is only what a browser needs: readable labels for the facts' IRIs, forms with the session's CSRF
token, a field error for a rejection without a reason, and a redirect (303) back to the queue with a
confirmation after each decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pyoxigraph as ox
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.requests import Request

from api.auth import SESSION_COOKIE, auth_state
from api.web.i18n import language_of, translator
from api.web.render import render
from kg.contributions import Submission, Submissions
from kg.contributions.review import ReviewFact, review_item
from kg.errors import LcGraphError, NotFound
from kg.graph import KnowledgeGraph
from kg.model import Label
from kg.permissions import Principal
from kg.results import PREFIXES

QUEUE_PATH = "/moderation"
ITEM_PATH = "/moderation/review/"
DECISIONS = ("approve", "reject")
MAX_REASON = 2000
LABEL_PREDICATES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "https://schema.org/name",
    "http://purl.org/dc/terms/title",
)


@dataclass(frozen=True)
class FactView:
    """One proposed fact as the item page shows it: readable terms and the provenance to judge it by."""

    number: int
    record: str
    subject: str
    predicate: str
    object: str
    object_is_iri: bool
    method: str
    confidence: float | None
    citation: str | None
    section: str | None
    passage: str | None


@dataclass
class ItemForm:
    """What the moderator sent with a decision, to show the item page again with the field errors.

    Attributes:
        excluded: record IRIs ticked to be left out.
        reason: the rejection reason as typed.
        errors: field name -> message (``reason``), or ``form`` for a refusal by the domain.
    """

    excluded: set[str] = field(default_factory=set)
    reason: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def item_href(item_id: str) -> str:
    """Return the path of an item's review page."""
    return ITEM_PATH + item_id


def csrf_of(request: Request) -> str:
    """Return the browser session's CSRF token for the page's forms (empty without a session)."""
    state = auth_state(request)
    key = state.session_key(request.cookies.get(SESSION_COOKIE))
    return state.csrf_token(key) if key is not None else ""


def login_redirect(request: Request) -> RedirectResponse:
    """Send an anonymous visitor to the sign-in page, to come back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": here}), status_code=303)


def denied_page(request: Request, detail: str | None = None) -> HTMLResponse:
    """Render the 403 page for a signed-in account that may not moderate (or a refused form)."""
    t = translator(language_of(request))
    return render(
        request,
        "error.html",
        {"heading": t("mod.forbidden_title"), "detail": detail or t("mod.forbidden")},
        status_code=403,
    )


def _accounts_names(request: Request, ids: set[str]) -> dict[str, str]:
    """Return the display names of the submitters (the id where an account is gone)."""
    accounts = auth_state(request).accounts
    names = {}
    for account_id in ids:
        try:
            names[account_id] = accounts.get(account_id).name or account_id
        except LcGraphError:
            names[account_id] = account_id
    return names


def queue_page(request: Request, kg: KnowledgeGraph) -> HTMLResponse:
    """Render the queue: every proposed graph (user submissions and ingested documents), newest first.

    A ``?done=approved|rejected&item=<id>`` (the redirect after a decision) shows a confirmation that
    names the item as the store now has it.
    """
    lang = language_of(request)
    t = translator(lang)
    items = Submissions(kg).queue()
    names = _accounts_names(request, {s.author for s in items if s.author})
    labels = kg.labels()
    rows = [
        {
            "sub": s,
            "kind": _translated(t, "mod.kind", s.kind),
            "subject": _label_of(s.entity, labels, own_labels(kg, s), lang, kg.settings.base_iri)
            if s.entity
            else "",
            "submitter": names.get(s.author, s.author)
            if s.author
            else t("mod.ingestion", method=_translated(t, "mod.method", s.method)),
            "date": (s.submitted_at or "")[:10],
            "href": item_href(s.id),
        }
        for s in items
    ]
    return render(request, "moderation_queue.html", {"rows": rows, "done": _done_note(request, kg, t)})


def _translated(t: Callable[..., str], prefix: str, value: str) -> str:
    """Return the interface word for ``prefix.value``, or the value itself when there is none."""
    key = f"{prefix}.{value}"
    text = t(key)
    return value if text == key else text


def _done_note(request: Request, kg: KnowledgeGraph, t: Callable[..., str]) -> str | None:
    """Return the confirmation of the decision the redirect names, checked against the stored state."""
    done = request.query_params.get("done")
    item = request.query_params.get("item")
    if done not in ("approved", "rejected") or not item or len(item) > 300:
        return None
    try:
        sub = Submissions(kg).get(item)
    except LcGraphError:
        return None
    if sub.state != done:
        return None
    return t(f"mod.done.{done}", title=sub.title or sub.id)


def _compact(iri: str, base: str = "") -> str:
    """Return ``prefix:local`` for an IRI in a known namespace, the path for one of ours, else the IRI."""
    if base and iri.startswith(base) and len(iri) > len(base):
        return iri[len(base) :].removeprefix("id/")
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _label_of(
    iri: str, labels: Mapping[str, Label], own: Mapping[str, Label], lang: str, base: str = ""
) -> str:
    """Return a readable name for an IRI: its label (public, or from the item itself), else compacted."""
    found = own.get(iri) or labels.get(iri)
    text = found.best(lang) if found is not None else ""
    return text or _compact(iri, base)


def own_labels(kg: KnowledgeGraph, sub: Submission) -> dict[str, Label]:
    """Return the labels an item gives its own entities (not public yet, so not among the graph's labels)."""
    own: dict[str, Label] = {}
    graph = ox.NamedNode(sub.graph)
    for predicate in LABEL_PREDICATES:
        for q in kg.store.quads(None, ox.NamedNode(predicate), None, graph):
            if not isinstance(q.object, ox.Literal) or isinstance(q.subject, ox.Triple):
                continue
            label = own.setdefault(q.subject.value, Label())
            if q.object.language == "en":
                label.en = label.en or q.object.value
            else:
                label.nl = label.nl or q.object.value
    return own


def fact_views(kg: KnowledgeGraph, sub: Submission, facts: Sequence[ReviewFact], lang: str) -> list[FactView]:
    """Return an item's facts with readable terms; a fact without its own record has the item's method.

    The facts about the item's own entity come first, then by subject and property, so that what belongs
    together is read together.
    """
    labels = kg.labels()
    own = own_labels(kg, sub)
    base = kg.settings.base_iri
    is_iri = {f.record: f.object.startswith(("http://", "https://", "urn:")) for f in facts}

    def order(f: ReviewFact) -> tuple[bool, str, str]:
        return (f.subject != sub.entity, f.subject, _label_of(f.predicate, labels, own, lang).casefold())

    facts = sorted(facts, key=order)
    return [
        FactView(
            number=n,
            record=f.record,
            subject=_label_of(f.subject, labels, own, lang, base),
            predicate=_label_of(f.predicate, labels, own, lang, base),
            object=_label_of(f.object, labels, own, lang, base) if is_iri[f.record] else f.object,
            object_is_iri=is_iri[f.record],
            method=f.method or sub.method,
            confidence=f.confidence,
            citation=f.citation,
            section=f.section,
            passage=f.passage,
        )
        for n, f in enumerate(facts, start=1)
    ]


def item_page(
    request: Request,
    kg: KnowledgeGraph,
    item_id: str,
    form: ItemForm | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render one queue item: its facts with provenance and passage, the approve and reject forms.

    Args:
        request: the request.
        kg: the knowledge graph.
        item_id: the queue item id (``contrib/...``, ``document/...``).
        form: what the moderator sent, when the page is shown again with an error.
        status_code: 400 when shown again for a form error.
    """
    lang = language_of(request)
    t = translator(lang)
    review = review_item(kg, item_id)
    sub = review.submission
    if sub.state != "proposed":
        raise NotFound(f"{item_id} is {sub.state}, not waiting for review", where="id")
    names = _accounts_names(request, {sub.author} if sub.author else set())
    submitter = (
        names.get(sub.author, sub.author)
        if sub.author
        else t("mod.ingestion", method=_translated(t, "mod.method", sub.method))
    )
    context: dict[str, object] = {
        "sub": sub,
        "kind": _translated(t, "mod.kind", sub.kind),
        "subject": _label_of(sub.entity, kg.labels(), own_labels(kg, sub), lang, kg.settings.base_iri)
        if sub.entity
        else "",
        "submitter": submitter,
        "date": (sub.submitted_at or "")[:10],
        "facts": fact_views(kg, sub, review.facts, lang),
        "any_passage": any(f.passage for f in review.facts),
        "chunks": review.chunks,
        "method_label": lambda m: _translated(t, "mod.method", m),
        "form": form or ItemForm(),
        "csrf_token": csrf_of(request),
        "action": item_href(sub.id),
    }
    return render(request, "moderation_item.html", context, status_code=status_code)


def decide(
    request: Request,
    kg: KnowledgeGraph,
    principal: Principal,
    item_id: str,
    fields: Mapping[str, str | list[str]],
) -> HTMLResponse | RedirectResponse:
    """Carry out the decision a form sent and redirect (303) to the queue with its confirmation.

    Args:
        request: the request.
        kg: the knowledge graph.
        principal: the moderator (already checked, CSRF included).
        item_id: the queue item id.
        fields: the form: ``decision`` (approve or reject), ``exclude`` (record IRIs, for approve) and
            ``reason`` (required for reject).

    A rejection without a reason shows the item again (400) with the error next to the field; a refusal by
    the domain (the item was decided meanwhile, an unknown record) shows it again with the message.
    """
    t = translator(language_of(request))
    decision = _one(fields.get("decision"))
    excluded = _many(fields.get("exclude"))
    reason = _one(fields.get("reason")).strip()
    form = ItemForm(excluded=set(excluded), reason=reason)
    if decision not in DECISIONS:
        form.errors["form"] = t("mod.failed", detail=f"decision must be one of {', '.join(DECISIONS)}")
        return item_page(request, kg, item_id, form, status_code=400)
    if decision == "reject" and not reason:
        form.errors["reason"] = t("mod.reason_required")
        return item_page(request, kg, item_id, form, status_code=400)
    if len(reason) > MAX_REASON:
        form.errors["reason"] = t("mod.failed", detail=f"the reason is longer than {MAX_REASON} characters")
        return item_page(request, kg, item_id, form, status_code=400)
    submissions = Submissions(kg)
    try:
        if decision == "approve":
            done = submissions.approve(principal, item_id, reason=reason or None, exclude=excluded)
        else:
            done = submissions.reject(principal, item_id, reason=reason)
    except NotFound:
        raise  # gone meanwhile: the route answers with the not-found page
    except LcGraphError as exc:
        form.errors["form"] = t("mod.failed", detail=exc.message)
        return item_page(request, kg, item_id, form, status_code=400)
    state = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(QUEUE_PATH + "?" + urlencode({"done": state, "item": done.id}), status_code=303)


def _one(value: str | list[str] | None) -> str:
    """Return a single form value ('' when absent; the first of repeated ones)."""
    if isinstance(value, list):
        return value[0] if value else ""
    return value or ""


def _many(value: str | list[str] | None) -> list[str]:
    """Return a repeatable form value as a list."""
    if value is None:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if v]
