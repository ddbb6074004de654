"""The pages of the web UI: each function gathers what a page shows and renders its template.

Routes in ``api/routes/pages.py``, ``resources.py`` (entity pages, by content negotiation) and
``sparql.py`` (the editor, for browsers that GET the endpoint without a query) call these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from starlette.requests import Request

from api.oidc import oidc_config
from api.web.development import community_slug, development
from api.web.forms import community_extras, instrument_extras, pending_page
from api.web.i18n import language_of, translator
from api.web.render import local_path, render, viewer
from api.web.views import (
    community_cases,
    crossovers,
    kind_of,
    neighbourhood,
    ontology_terms,
    outcomes_by_value,
    similar,
    versions,
)
from kg.errors import LcGraphError, NotFound
from kg.graph import KnowledgeGraph
from kg.model import Label
from kg.queries import example_queries
from kg.search.models import SearchHit, SearchResponse
from kg.search.service import SearchService

FACET_NAMES = ("type", "sector", "phase", "role", "value_type")
RESULT_TYPES = ("instrument", "case", "community")
SEARCH_LIMIT = 30
GRAPH_VENDOR = ("cytoscape.min.js",)
SPARQL_VENDOR = ("codemirror.js", "codemirror.css", "sparql.js")
EXAMPLE_SEARCHES = {
    "nl": [
        "bewoners betrekken bij de energietransitie",
        "nieuwe partners laten instromen",
        "een community verduurzamen",
    ],
    "en": ["involve residents in the energy transition", "onboarding new partners", "sustaining a community"],
}
SHARE_URL = "https://www.linkedin.com/sharing/share-offsite/?url="


def search_service(request: Request) -> SearchService | None:
    """Return the application's search service, or ``None`` when the server runs without one."""
    service: SearchService | None = getattr(request.app.state, "search", None)
    return service


def home(request: Request, q: str | None, selected: Mapping[str, Sequence[str]]) -> HTMLResponse:
    """Render the start page: one search box, and for a query the results grouped by type with facets."""
    lang = language_of(request)
    service = search_service(request)
    query = (q or "").strip()
    response: SearchResponse | None = None
    error: str | None = None
    if query and service is not None:
        types = list(selected.get("type", [])) or None
        filters = {k: list(v) for k, v in selected.items() if k != "type" and v}
        try:
            response = service.search(
                query[:2000], types=types, filters=filters, limit=SEARCH_LIMIT, passages=3, lang=lang
            )
        except LcGraphError as exc:
            error = str(exc)
    groups: dict[str, list[SearchHit]] = {t: [] for t in RESULT_TYPES}
    for hit in response.results if response else []:
        groups.setdefault((hit.item.type or "other").lower(), []).append(hit)
    t = translator(lang)
    facets = []
    for name in FACET_NAMES:
        counts = response.facets.get(name, []) if response else []
        options = [
            {
                "value": c.value,
                "label": t(f"kind.{c.value}") if name == "type" else c.label.best(lang),
                "count": c.count,
                "checked": c.value in selected.get(name, []),
            }
            for c in counts
        ]
        # keep a chosen value visible even when no result carries it any more, so it can be unticked
        for value in selected.get(name, []):
            if value not in {o["value"] for o in options}:
                options.append({"value": value, "label": value, "count": 0, "checked": True})
        if options:
            facets.append({"name": name, "options": options})
    return render(
        request,
        "home.html",
        {
            "q": query,
            "search_on": service is not None,
            "result": response,
            "groups": [(name, hits) for name, hits in groups.items() if hits],
            "facets": facets,
            "filtered": any(selected.values()),
            "error": error,
            "examples": EXAMPLE_SEARCHES[lang],
        },
    )


def _share(request: Request, title: str, description: Label, kind: str) -> dict[str, str]:
    """Return the Open Graph values of an entity page and its LinkedIn share link."""
    lang = language_of(request)
    url = str(request.base_url).rstrip("/") + request.url.path
    text = " ".join(description.best(lang).split())
    if len(text) > 200:
        text = text[:197].rsplit(" ", 1)[0] + "…"
    return {
        "title": title,
        "description": text,
        "url": url,
        "type": "article",
        "kind": kind,
        "share_url": SHARE_URL + quote(url, safe=""),
    }


def entity_page(request: Request, kg: KnowledgeGraph, iri: str) -> HTMLResponse:
    """Render the page of an instrument, case or community, or the facts page of any other IRI."""
    lang = language_of(request)
    base = kg.settings.base_iri
    kind = kind_of(iri, base)
    slug = iri[len(base) :].split("/", 2)[-1] if kind in ("instrument", "case", "community") else ""
    service = search_service(request)
    graph = neighbourhood(kg, iri, lang)
    common: dict[str, object] = {
        "iri": iri,
        "graph": graph,
        "search_on": service is not None,
        "graph_labels": kg.labels(),
        "formats": [("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf")],
    }
    t = translator(lang)
    try:
        if kind == "instrument":
            inst = kg.instrument(slug)
            need = inst.purpose.best(lang) or inst.description.best(lang) or inst.name.best(lang)
            sector = inst.origin_sectors[0].id if inst.origin_sectors else None
            context = {
                "entity": inst,
                "facts": inst.facts,
                "versions": versions(kg, iri),
                "similar": similar(service, f"instrument/{slug}", lang, 0.5),
                "crossovers": crossovers(service, need, sector, lang, exclude=iri),
                "og": _share(request, inst.name.best(lang), inst.purpose or inst.description, "instrument"),
            }
            context |= instrument_extras(kg, viewer(request), slug, lang)
            return render(request, "instrument.html", common | context, vendor=GRAPH_VENDOR)
        if kind == "case":
            case = kg.case(slug)
            context = {
                "entity": case,
                "facts": case.facts,
                "outcome_groups": outcomes_by_value(case.outcomes, lang, t("entity.other_value")),
                "similar": similar(service, f"case/{slug}", lang, 1.0),
                "dev": development(kg, viewer(request), community_slug(case.community.iri), lang, t)
                if case.community
                else None,
                "og": _share(request, case.name.best(lang), case.description, "case"),
            }
            context["experiences"] = community_extras(kg, viewer(request), slug, lang)["experiences"]
            return render(request, "case.html", common | context, vendor=GRAPH_VENDOR)
        if kind == "community":
            com = kg.community(slug)
            cases = community_cases(kg, [c.id for c in com.cases])
            instruments = {i.iri: i for c in cases for i in c.instruments}
            outcomes = [o for c in cases for o in c.outcomes]
            context = {
                "entity": com,
                "facts": com.facts,
                "instruments": sorted(instruments.values(), key=lambda i: i.label.best(lang).casefold()),
                "outcome_groups": outcomes_by_value(outcomes, lang, t("entity.other_value")),
                "similar": similar(service, f"community/{slug}", lang, 1.0),
                "dev": development(kg, viewer(request), slug, lang, t),
            }
            context |= community_extras(kg, viewer(request), slug, lang)
            return render(request, "community.html", common | context, vendor=GRAPH_VENDOR)
    except NotFound:
        pass  # typed differently than its path says: show what is known about it
    labels = kg.labels()
    title = labels[iri].best(lang) if iri in labels else iri
    return render(
        request, "resource.html", common | {"title": title, "facts": kg.facts(iri)}, vendor=GRAPH_VENDOR
    )


def ontology_page(request: Request, kg: KnowledgeGraph) -> HTMLResponse:
    """Render the documentation of the ontology: classes, properties and concept schemes, with anchors."""
    classes, properties = ontology_terms(kg)
    schemes = []
    for scheme_id in kg.schemes():
        try:
            view = kg.scheme(scheme_id)
        except LcGraphError:
            continue
        schemes.append(
            {
                "href": local_path(view.iri, kg.settings.base_iri),
                "label": view.label,
                "count": len(view.concepts),
            }
        )
    return render(
        request, "ontology.html", {"classes": classes, "properties": properties, "schemes": schemes}
    )


def sparql_page(request: Request) -> HTMLResponse:
    """Render the SPARQL editor with the saved example queries."""
    examples = example_queries()
    chosen = request.query_params.get("example")
    first = next((q for q in examples if q.id == chosen), examples[0] if examples else None)
    return render(
        request,
        "sparql.html",
        {
            "examples": examples,
            "initial": first.text if first else "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
            "base_iri": request.app.state.settings.base_iri,
        },
        vendor=SPARQL_VENDOR,
    )


def login_page(request: Request) -> HTMLResponse:
    """Render the sign-in form, with an OpenID Connect button when a provider is configured."""
    settings = request.app.state.settings
    config = oidc_config(settings)
    provider = None
    if config is not None:
        provider = "LinkedIn" if settings.oidc_preset == "linkedin" else "OpenID Connect"
    nxt = request.query_params.get("next") or "/"
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    return render(request, "login.html", {"provider": provider, "next": nxt})


def not_found_page(request: Request, detail: str) -> HTMLResponse:
    """Render a 404 page for a browser (right after a contribution: its confirmation, for the submitter)."""
    kg: KnowledgeGraph | None = getattr(request.app.state, "kg", None)
    if kg is not None and request.query_params.get("submitted"):
        pending = pending_page(request, kg, viewer(request))
        if pending is not None:
            return pending
    return render(request, "error.html", {"detail": detail}, status_code=404)
