"""Errors as RFC 9457 problem details (``application/problem+json``), translated in one place."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    LcGraphError,
    ModelUnavailable,
    NotFound,
    PreconditionFailed,
    QueryRejected,
    QueryTimeout,
    RateLimited,
    SearchUnavailable,
    StoreUnavailable,
    TooManyRows,
    Unauthenticated,
)

log = logging.getLogger("lcgraph.api")
PROBLEM = "application/problem+json"


def problem(status: int, kind: str, title: str, detail: str, **extra: object) -> JSONResponse:
    """Build a problem+json response."""
    body: dict[str, object] = {
        "type": f"/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def status_of(exc: LcGraphError) -> int:
    """Map a domain error to its HTTP status."""
    if isinstance(exc, QueryRejected):
        return exc.status
    return {
        NotFound: 404,
        InvalidInput: 400,
        TooManyRows: 400,
        QueryTimeout: 503,
        Conflict: 409,
        PreconditionFailed: 412,
        StoreUnavailable: 503,
        ModelUnavailable: 503,
        SearchUnavailable: 503,
        Unauthenticated: 401,
        Forbidden: 403,
        RateLimited: 429,
    }.get(type(exc), 400)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem response."""

    @app.exception_handler(LcGraphError)
    async def _domain(_request: Request, exc: LcGraphError) -> JSONResponse:
        kind = exc.reason if isinstance(exc, QueryRejected) else exc.code
        # A failed precondition names the tag the resource has now, in the body and as ETag, to retry with.
        current = exc.current_etag if isinstance(exc, PreconditionFailed) else None
        response = problem(
            status_of(exc),
            kind,
            kind.replace("-", " "),
            exc.message,
            where=exc.where or ("If-Match" if isinstance(exc, PreconditionFailed) else None),
            problems=getattr(exc, "problems", None) or None,
            etag=f'"{current}"' if current else None,
        )
        if current:
            response.headers["ETag"] = f'"{current}"'
        if isinstance(exc, Unauthenticated):
            response.headers["WWW-Authenticate"] = 'Bearer realm="lcgraph"'
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', []))}: {err.get('msg', 'invalid')}"
            for err in exc.errors()
        ]
        return problem(422, "invalid-request", "invalid request", "; ".join(problems), problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal", "internal error", "an unexpected error occurred; it has been logged")


class ProblemDetails(BaseModel):
    """An error as RFC 9457 problem details; ``where`` says where the problem is, when known."""

    type: str
    title: str
    status: int
    detail: str
    where: str | None = None
    problems: list[str] | None = None
    etag: str | None = Field(default=None, description="For 412: the resource's current ETag, to retry with.")


def _declared(description: str) -> dict[str, object]:
    return {"description": description, "model": ProblemDetails, "content": {PROBLEM: {}}}


COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    400: _declared("Invalid input or a refused request (problem+json)."),
    404: _declared("No such entity, scheme or resource, or not visible (problem+json)."),
    406: _declared("None of the formats in Accept (or the format parameter) can be produced (problem+json)."),
    413: _declared("Request body larger than the limit (problem+json)."),
    503: _declared("A service the request needs is unavailable, or a time limit ran out (problem+json)."),
}
"""Error responses every operation may give, declared once for the OpenAPI description."""

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: _declared("Not signed in, or the API token is unknown, expired or revoked (problem+json)."),
    403: _declared(
        "Signed in, but the roles, the token's scopes or ownership do not allow it (problem+json)."
    ),
    409: _declared("Conflicts with what is stored: a taken slug, an existing version, a decided item."),
    422: _declared("The body does not match the schema (field errors)."),
    429: _declared("Too many writes or sign-in attempts; retry later (problem+json)."),
}
"""Responses of the operations that need a signed-in principal."""

PRECONDITION_RESPONSES: dict[int | str, dict[str, object]] = {
    412: _declared(
        "If-Match names another entity tag: the resource changed since it was read; nothing was written. "
        "The problem's etag (and the ETag header) is the current tag (problem+json)."
    ),
}
"""Responses of the operations that honour ``If-Match`` (see :mod:`api.preconditions`)."""
