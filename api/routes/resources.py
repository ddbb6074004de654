"""Dereferenceable IRIs: every IRI the platform mints answers in the negotiated format.

Turtle, JSON-LD, N-Triples, RDF/XML or HTML, chosen by the Accept header (or a ``format`` parameter).

``/id/...`` serves instance data, ``/concept/...`` SKOS concepts, ``/ontology`` the ontology.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import get_kg
from api.negotiation import choose
from api.problems import problem
from kg.errors import NotFound
from kg.graph import ONTOLOGY_GRAPH, KnowledgeGraph
from kg.results import PREFIXES, sort_triples

router = APIRouter(tags=["linked data"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]

RDF_MEDIA = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "text/html": None,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
FORMAT_PARAM = {
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
    "html": "text/html",
}
FormatParam = Annotated[str | None, Query(description="ttl, jsonld, nt, rdf or html (overrides Accept).")]


def _negotiate(request: Request, fmt: str | None) -> str | None:
    if fmt:
        return FORMAT_PARAM.get(fmt.lower())
    return choose(request.headers.get("accept"), list(RDF_MEDIA))


def _render(iri: str, triples: list[ox.Triple], media: str, kg: KnowledgeGraph) -> Response:
    if media == "text/html":
        return HTMLResponse(_html(iri, kg))
    rdf_format = RDF_MEDIA[media]
    assert rdf_format is not None
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
    body = ox.serialize(sort_triples(triples, first=iri), format=rdf_format, prefixes=prefixes)
    assert isinstance(body, bytes)
    return Response(body, media_type=media, headers={"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'})


def _html(iri: str, kg: KnowledgeGraph) -> str:
    labels = kg.labels()
    label = labels.get(iri)
    title = label.best("nl") if label else iri
    rows = []
    for fact in kg.facts(iri):
        value = escape(fact.value_label or fact.value)
        if fact.is_iri:
            value = f'<a href="{escape(_local_path(fact.value, kg))}">{value}</a>'
        lang = f' <span class="lang">@{escape(fact.language)}</span>' if fact.language else ""
        src = "; ".join(escape(" ".join(x for x in (s.citation, s.method) if x)) for s in fact.sources)
        rows.append(f"<tr><th>{escape(fact.predicate_label)}</th><td>{value}{lang}</td><td>{src}</td></tr>")
    return f"""<!doctype html><html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · lcgraph</title>
<link rel="alternate" type="text/turtle" href="?format=ttl">
<link rel="alternate" type="application/ld+json" href="?format=jsonld">
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}}
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;vertical-align:top;padding:.3rem;
border-bottom:1px solid #ddd}}th{{width:14rem}}td:last-child{{color:#555;font-size:.85em}}.lang{{color:#555}}
code{{word-break:break-all}}</style></head><body>
<h1>{escape(title)}</h1><p><code>{escape(iri)}</code></p>
<p>Also as <a href="?format=ttl">Turtle</a> · <a href="?format=jsonld">JSON-LD</a></p>
<table><thead><tr><th>property</th><td>value</td><td>source</td></tr></thead><tbody>
{"".join(rows)}</tbody></table></body></html>"""


def _local_path(iri: str, kg: KnowledgeGraph) -> str:
    base = kg.settings.base_iri
    return "/" + iri[len(base) :] if iri.startswith(base) else iri


def _serve(request: Request, kg: KnowledgeGraph, iri: str, fmt: str | None) -> Response:
    media = _negotiate(request, fmt)
    if media is None:
        return problem(406, "not-acceptable", "not acceptable", f"offered: {', '.join(RDF_MEDIA)}")
    triples = kg.describe(iri)
    if not triples:
        raise NotFound(f"nothing is known about {iri}")
    return _render(iri, triples, media, kg)


@router.get("/id/{path:path}", summary="Dereference an entity IRI", response_class=Response)
def dereference_entity(request: Request, kg: KG, path: str, format: FormatParam = None) -> Response:
    """Describe an instrument, case, community, organisation, person or document."""
    return _serve(request, kg, kg.settings.base_iri + "id/" + path, format)


@router.get("/concept/{concept_id}", summary="Dereference a concept IRI", response_class=Response)
def dereference_concept(request: Request, kg: KG, concept_id: str, format: FormatParam = None) -> Response:
    """Describe a SKOS concept or concept scheme."""
    return _serve(request, kg, kg.settings.base_iri + "concept/" + concept_id, format)


@router.get("/ontology", summary="The ontology document", response_class=Response)
def ontology(request: Request, kg: KG, format: FormatParam = None) -> Response:
    """Return the ontology (classes, properties, concept schemes) in the negotiated RDF format."""
    media = _negotiate(request, format)
    if media is None:
        return problem(406, "not-acceptable", "not acceptable", f"offered: {', '.join(RDF_MEDIA)}")
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    if graph not in kg.visible_graphs():
        raise NotFound("the ontology is not loaded; run `lcgraph load`")
    iri = kg.settings.base_iri + "ontology"
    if media == "text/html":
        return _render(iri, kg.describe(iri), media, kg)
    triples = [q.triple for q in kg.store.quads(None, None, None, graph)]
    return _render(iri, triples, media, kg)
