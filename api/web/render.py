"""The Jinja2 environment of the web UI and the one function routes call to answer with a page."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request

from api.auth import SESSION_COOKIE, auth_state
from api.web.i18n import LANG_COOKIE, LANGUAGES, language_of, translator
from api.web.viewer import confirmation, signed_in
from kg.model import Label
from kg.permissions import ANONYMOUS, Principal
from kg.visibility import can_moderate

WEB_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
# What `make vendor` copies from web/node_modules (web/package-lock.json pins the versions).
VENDOR_FILES = (
    "cytoscape.min.js",
    "codemirror.js",
    "codemirror.css",
    "sparql.js",
    "axe.min.js",
    "swagger-ui-bundle.js",
    "swagger-ui.css",
)
# Everything comes from this server: scripts only from files (no inline code), no other origins at all.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
LANG_COOKIE_SECONDS = 365 * 24 * 3600

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Return the template environment (built on first use, then shared)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def missing_vendor_files(names: tuple[str, ...] = VENDOR_FILES) -> list[str]:
    """Return the vendored browser files that are not on disk (``make vendor`` puts them there)."""
    return [name for name in names if not (VENDOR_DIR / name).is_file()]


def warn_if_vendor_missing() -> None:
    """Log once, at start-up, which vendored browser files are missing and how to get them."""
    missing = missing_vendor_files()
    if missing:
        logger.warning(
            "web UI: vendored browser files missing in %s: %s; run `make vendor` (the SPARQL editor "
            "and graph views degrade with a visible message until then)",
            VENDOR_DIR,
            ", ".join(missing),
        )


def local_path(iri: str, base_iri: str) -> str:
    """Return the path on this server that serves ``iri``, or the IRI itself when it is not ours."""
    return "/" + iri[len(base_iri) :] if iri.startswith(base_iri) else iri


def url_with(request: Request, **params: str | None) -> str:
    """Return the current path with some query parameters replaced (``None`` removes one)."""
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    items += [(k, v) for k, v in params.items() if v is not None]
    query = urlencode(items)
    return request.url.path + ("?" + query if query else "")


def viewer(request: Request) -> Principal:
    """Return who views a page: the principal the route resolved, else the session's or token's.

    Pages that need no permission do not resolve the principal; the header still shows links by role
    (moderation), so a page looks the session (or API token) up here. Only reading: CSRF does not apply,
    and an unknown or expired credential views the page as anonymous. Call it from a worker thread
    (page routes are plain ``def``), since it may read the accounts graph.
    """
    cached: Principal | None = getattr(request.state, "principal", None) or getattr(
        request.state, "viewer", None
    )
    if cached is not None:
        return cached
    found: Principal | None = None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        found = auth_state(request).accounts.authenticate_token(token.strip())
    elif SESSION_COOKIE in request.cookies:
        state = auth_state(request)
        session_key = state.session_key(request.cookies.get(SESSION_COOKIE))
        found = state.accounts.session_principal(session_key) if session_key else None
    principal = found or ANONYMOUS
    # not request.state.principal: that one is CSRF-checked, and a write must still be checked
    request.state.viewer = principal
    return principal


def render(
    request: Request,
    template: str,
    context: dict[str, object],
    *,
    status_code: int = 200,
    vendor: tuple[str, ...] = (),
) -> HTMLResponse:
    """Render ``template`` in the request's language and answer with it.

    Args:
        request: the request (its ``lang`` parameter, cookie or Accept-Language pick the language).
        template: file name under ``api/web/templates``.
        context: values for the template.
        status_code: HTTP status of the answer.
        vendor: vendored files the page needs; the page says so visibly when one is missing.
    """
    lang = language_of(request)
    base_iri: str = request.app.state.settings.base_iri
    principal = viewer(request)

    def label(value: Label | None) -> str:
        return value.best(lang) if value is not None else ""

    html = (
        environment()
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            other_lang="en" if lang == "nl" else "nl",
            t=translator(lang),
            label=label,
            local=lambda iri: local_path(iri, base_iri),
            url_with=lambda **params: url_with(request, **params),
            vendor_missing=missing_vendor_files(vendor) if vendor else [],
            viewer=principal,
            is_moderator=can_moderate(principal),
            signed_in=signed_in(request, principal),
            confirmation=confirmation(request, principal),
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_SECONDS, samesite="lax", httponly=True)
    return response
