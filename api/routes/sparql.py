"""The SPARQL 1.1 Protocol endpoint (query operation only; the endpoint is read-only).

Queries arrive by GET ``?query=``, POST form-encoded ``query=`` or POST
``application/sparql-query``. Results are negotiated by Accept (or a ``format`` parameter):
SPARQL JSON, XML, CSV, TSV for SELECT/ASK; Turtle, N-Triples, JSON-LD, RDF/XML for
CONSTRUCT/DESCRIBE. Updates are refused with 400.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

import pyoxigraph as ox
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import reading_principal
from api.deps import get_kg
from api.negotiation import choose
from api.problems import problem
from api.web.pages import sparql_page
from kg.errors import QueryRejected
from kg.graph import KnowledgeGraph
from kg.queries import example_queries
from kg.results import GRAPH_FORMATS, SELECT_FORMATS
from kg.sparql_process import answer_query_async
from kg.visibility import dataset_for

router = APIRouter(tags=["sparql"])
KG = Annotated[KnowledgeGraph, Depends(get_kg)]

SELECT_MEDIA = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_MEDIA = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
    "application/rdf+xml": "rdfxml",
    "application/xml": "rdfxml",
}
SELECT_ALIASES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"}
GRAPH_ALIASES = {
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "ntriples": "ntriples",
    "nt": "ntriples",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
}
UPDATE_MESSAGE = "SPARQL updates are not accepted here; this endpoint is read-only"

QUERY_DOC = "A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)."
OPENAPI_POST = {
    "requestBody": {
        "required": True,
        "content": {
            "application/sparql-query": {"schema": {"type": "string"}},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string", "description": QUERY_DOC},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["query"],
                }
            },
        },
    }
}
RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "Query results in the negotiated format.",
        "content": {m: {} for m in [*SELECT_FORMATS.values(), *(v[0] for v in GRAPH_FORMATS.values())]},
    },
    400: {"description": "Malformed query, update or SERVICE refused, row cap exceeded (problem+json)."},
    406: {"description": "No acceptable result format."},
    413: {"description": "Query text longer than the limit."},
    503: {"description": "Query ran past the time limit."},
}


def _format_for(result_is_graph: bool, accept: str | None, fmt: str | None) -> str | None:
    """Pick the result format: a known ``format`` parameter wins, otherwise the Accept header."""
    if fmt:
        name = (GRAPH_ALIASES if result_is_graph else SELECT_ALIASES).get(fmt.lower())
        if name is not None:
            return name
    media = GRAPH_MEDIA if result_is_graph else SELECT_MEDIA
    chosen = choose(accept, list(media))
    return media[chosen] if chosen else None


async def _answer(
    request: Request,
    kg: KnowledgeGraph,
    query: str | None,
    accept: str | None,
    fmt: str | None,
    default_graphs: list[str],
    named_graphs: list[str],
) -> Response:
    if query is None:
        raise QueryRejected("missing the 'query' parameter", reason="missing-query")
    # The caller's dataset (kg.visibility): anonymous callers see the approved graphs only, and naming
    # another graph in FROM, FROM NAMED, GRAPH or the protocol's graph parameters reaches nothing more.
    # A public dataset is answered by the mirror of the approved graphs (kg.public_mirror), others by the
    # main store over the graph list. The format is chosen for both kinds of result up front, so that a
    # worker process can serialise it (see kg.sparql_process); which one applies is known only once the
    # query ran. The worker's answer is awaited on the event loop when a warm worker is free, else in a
    # thread: each hand-off to a thread costs about half a millisecond here (bench/graph_suite).
    principal = await reading_principal(request)
    if principal.is_anonymous and not default_graphs and not named_graphs:
        executor, dataset_default, dataset_named = kg.route_public()
    else:
        visible = dataset_for(kg, principal)
        visible_iris = {g.value for g in visible}
        default = (
            [ox.NamedNode(g) for g in default_graphs if g in visible_iris] if default_graphs else visible
        )
        named = [ox.NamedNode(g) for g in named_graphs if g in visible_iris] if named_graphs else visible
        executor, dataset_default, dataset_named = kg.route(default, named)
    answer = await answer_query_async(
        executor,
        query,
        default_graph=dataset_default,
        named_graphs=dataset_named,
        select_format=_format_for(False, accept, fmt),
        graph_format=_format_for(True, accept, fmt),
    )
    is_graph, name, body = answer.is_graph, answer.format, answer.body
    if name is None:
        offered = ", ".join(sorted(GRAPH_MEDIA if is_graph else SELECT_MEDIA))
        return problem(
            406, "not-acceptable", "not acceptable", f"cannot produce {accept or fmt}; offered: {offered}"
        )
    media = GRAPH_FORMATS[name][0] if is_graph else SELECT_FORMATS[name]
    charset = "" if media.endswith("json") else "; charset=utf-8"
    return Response(
        content=body, media_type=media + charset if charset else media, headers={"Vary": "Accept"}
    )


class ExampleQueryView(BaseModel):
    """A saved example query: a question a researcher asks, in English and Dutch, with its SPARQL."""

    id: str
    title: str
    title_nl: str
    description: str
    query: str


@router.get("/sparql/examples", response_model=list[ExampleQueryView], summary="Saved example queries")
def sparql_examples() -> list[ExampleQueryView]:
    """List the saved example queries that explain the ontology by asking real questions of the catalog."""
    return [
        ExampleQueryView(id=q.id, title=q.title, title_nl=q.title_nl, description=q.description, query=q.text)
        for q in example_queries()
    ]


@router.get("/sparql", summary="SPARQL query (GET)", responses=RESPONSES)
async def sparql_get(
    request: Request,
    kg: KG,
    query: Annotated[str | None, Query(description=QUERY_DOC)] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
    format: Annotated[
        str | None, Query(description="Result format override, e.g. json, csv, turtle.")
    ] = None,
) -> Response:
    """Run a read-only query given in the URL (SPARQL 1.1 Protocol, query via GET).

    A browser (Accept: text/html) that sends no query gets the SPARQL editor page instead.
    """
    if query is None and "update" not in request.query_params:
        wanted = choose(request.headers.get("accept"), ["application/sparql-results+json", "text/html"])
        if wanted == "text/html":
            return sparql_page(request)
    if "update" in request.query_params:
        raise QueryRejected(UPDATE_MESSAGE, reason="update-refused")
    return await _answer(
        request,
        kg,
        query,
        request.headers.get("accept"),
        format,
        default_graph_uri or [],
        named_graph_uri or [],
    )


@router.post("/sparql", summary="SPARQL query (POST)", responses=RESPONSES, openapi_extra=OPENAPI_POST)
async def sparql_post(request: Request, kg: KG) -> Response:
    """Run a read-only query sent as a form (``query=``) or as ``application/sparql-query``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    params = {k: v for k, v in parse_qs(request.url.query).items()}
    fmt: str | None = next(iter(params.get("format", [])), None)
    if content_type == "application/sparql-update":
        raise QueryRejected(UPDATE_MESSAGE, reason="update-refused")
    if content_type == "application/sparql-query":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise QueryRejected("the query body is not UTF-8", reason="query-encoding") from None
        return await _answer(
            request,
            kg,
            text,
            request.headers.get("accept"),
            fmt,
            params.get("default-graph-uri", []),
            params.get("named-graph-uri", []),
        )
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        if "update" in form:
            raise QueryRejected(UPDATE_MESSAGE, reason="update-refused")
        query = next(iter(form.get("query", [])), None)
        fmt = fmt or next(iter(form.get("format", [])), None)
        return await _answer(
            request,
            kg,
            query,
            request.headers.get("accept"),
            fmt,
            form.get("default-graph-uri", []) + params.get("default-graph-uri", []),
            form.get("named-graph-uri", []) + params.get("named-graph-uri", []),
        )
    return problem(
        415,
        "unsupported-media-type",
        "unsupported media type",
        "send the query as application/sparql-query or application/x-www-form-urlencoded, "
        f"not {content_type!r}",
    )
