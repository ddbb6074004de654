"""The FastAPI application factory.

``create_app(settings)`` opens the store in the lifespan (or uses the ``kg`` it is given, for
tests), registers the routers and the problem+json error handlers.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import problems
from api.limits import BodySizeLimit
from api.routes import (
    admin,
    auth,
    cases,
    communities,
    concepts,
    contributions,
    development,
    docs_page,
    export,
    feeds,
    forms,
    health,
    instruments,
    moderation,
    moderation_pages,
    oidc,
    pages,
    resources,
    schemas,
    search,
    sparql,
    stats,
)
from api.security_headers import SecurityHeaders
from api.web.render import STATIC_DIR, warn_if_vendor_missing
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.search.service import SearchService

DESCRIPTION = """
A knowledge graph of Learning Communities: the instruments (tools, methods, work forms and
frameworks) to start, design, run and sustain them, the cases where they were used, and the
concepts (phases, roles, sectors, practices, value types, success factors) that connect them.
Every fact carries its provenance. The SPARQL endpoint implements the SPARQL 1.1 Protocol.
"""

TAGS = [
    {"name": "instruments", "description": "Tools and methods for Learning Communities."},
    {"name": "cases", "description": "Documented applications of instruments in a community and context."},
    {"name": "communities", "description": "Learning communities and related collectives."},
    {"name": "concepts", "description": "SKOS concept schemes: phases, roles, sectors, practices, ..."},
    {"name": "sparql", "description": "SPARQL 1.1 Protocol endpoint (read-only)."},
    {"name": "linked data", "description": "Dereferenceable IRIs with content negotiation."},
    {"name": "search", "description": "Hybrid search, similar cases and instruments, crossover instruments."},
    {"name": "status", "description": "Health, readiness and statistics."},
    {"name": "schemas", "description": "JSON Schemas of the formats lcgraph accepts (case entries)."},
    {"name": "contributions", "description": "Publish instruments and versions, report experiences, feeds."},
    {"name": "moderation", "description": "The review queue, decisions and trust (moderators)."},
    {"name": "accounts", "description": "Sign-in (password or OpenID Connect), sessions and CSRF tokens."},
    {"name": "web pages", "description": "The web UI (HTML): search, sign-in, and the graph view's data."},
]


def create_app(
    settings: Settings | None = None,
    *,
    kg: KnowledgeGraph | None = None,
    search_service: SearchService | None = None,
    close_on_shutdown: bool = False,
) -> FastAPI:
    """Build the application.

    Args:
        settings: runtime settings; read from the environment when omitted.
        kg: an already open knowledge graph (tests); otherwise the lifespan opens and closes one.
        search_service: a running search service over ``kg``. Without one, an application that opens its
            own store also opens the search service (when ``settings.search_enabled``); one given a ``kg``
            but no service answers the search endpoints with 503.
        close_on_shutdown: close the given ``kg`` and ``search_service`` when the app shuts down
            (``lcgraph serve``): uvicorn re-raises SIGTERM after its shutdown, so code after
            ``uvicorn.run`` never runs, and the store would not be flushed (its next open then replays
            the write-ahead log: ~30 s after building the public mirror at 10^6 quads).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = kg is None
        warn_if_vendor_missing()
        app.state.kg = kg if kg is not None else KnowledgeGraph.open(settings)
        owns_search = search_service is None and owned and settings.search_enabled
        try:
            if owns_search:
                app.state.search = SearchService.open(app.state.kg, settings)
            if owned:
                # A server process (lcgraph serve): what is open now (store, models, indexes, the app) lives
                # as long as the process, so move it out of the collector's generations and a full
                # collection walks only what requests create. The search engine froze its own heap already;
                # this adds what was made after (full collections of ~28 ms sat in search's p99 tail).
                # freeze() is O(1). Not for an app given its graph (tests: their garbage would stay).
                gc.freeze()
            yield
        finally:
            if owns_search and app.state.search is not None:
                app.state.search.close()
            app.state.search = search_service
            if close_on_shutdown and search_service is not None:
                search_service.close()
            if owned or close_on_shutdown:
                app.state.kg.close()
            app.state.kg = None

    app = FastAPI(
        title="lcgraph",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,  # replaced by our own /docs page (api/routes/docs_page.py, vendored Swagger UI)
        license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        responses=problems.COMMON_RESPONSES,
    )
    app.state.settings = settings
    app.state.kg = kg
    app.state.search = search_service
    problems.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so refusals and errors get the headers too
    for module in (
        sparql,  # first: routes are matched in order, and SPARQL is the hottest door (bench/graph_suite)
        forms,  # before the rest: /instruments/new is a form, not the instrument with slug "new"
        search,
        health,
        stats,
        instruments,
        cases,
        communities,
        concepts,
        resources,
        schemas,
        contributions,
        development,
        moderation,
        feeds,
        export,
        auth,
        oidc,
        admin,
        pages,
        moderation_pages,
        docs_page,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
