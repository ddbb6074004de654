"""Dereferenceable IRIs: every IRI the platform mints answers in the negotiated format.

Turtle, JSON-LD, N-Triples, RDF/XML or HTML, chosen by the Accept header (or a ``format`` parameter).

``/id/...`` serves instance data, ``/concept/...`` SKOS concepts, ``/ontology`` the ontology.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.deps import get_kg
from api.negotiation import choose
from api.problems import problem
from api.web.pages import entity_page, not_found_page, ontology_page
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


def _render(iri: str, triples: list[ox.Triple], media: str) -> Response:
    rdf_format = RDF_MEDIA[media]
    assert rdf_format is not None
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
    body = ox.serialize(sort_triples(triples, first=iri), format=rdf_format, prefixes=prefixes)
    assert isinstance(body, bytes)
    return Response(body, media_type=media, headers={"Vary": "Accept", "Link": f'<{iri}>; rel="canonical"'})


def _serve(request: Request, kg: KnowledgeGraph, iri: str, fmt: str | None) -> Response:
    media = _negotiate(request, fmt)
    if media is None:
        return problem(406, "not-acceptable", "not acceptable", f"offered: {', '.join(RDF_MEDIA)}")
    triples = kg.describe(iri)
    if not triples:
        if media == "text/html":
            return not_found_page(request, f"nothing is known about {iri}")
        raise NotFound(f"nothing is known about {iri}")
    if media == "text/html":
        # the web UI's page of the entity (instrument, case, community) or of its facts
        return entity_page(request, kg, iri)
    return _render(iri, triples, media)


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
        return ontology_page(request, kg)
    triples = [q.triple for q in kg.store.quads(None, None, None, graph)]
    return _render(iri, triples, media)
