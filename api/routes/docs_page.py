"""The interactive API documentation at ``/docs``: our own page around the vendored Swagger UI.

FastAPI's default ``/docs`` loads Swagger UI from a CDN with an inline script; this page serves the
pinned copy from ``/static/vendor`` (``make vendor``) and starts it from a static file
(``/static/docs.js``), so the page keeps the strict Content-Security-Policy and never leaves the server.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.render import render

router = APIRouter(tags=["web pages"])
SWAGGER_VENDOR = ("swagger-ui-bundle.js", "swagger-ui.css")


@router.get("/docs", response_class=HTMLResponse, summary="Interactive API documentation (HTML)")
def docs(request: Request) -> HTMLResponse:
    """Show the operations of ``/openapi.json`` in Swagger UI, served from this server."""
    return render(request, "docs.html", {"spec_url": request.app.openapi_url}, vendor=SWAGGER_VENDOR)
