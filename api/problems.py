"""Errors as RFC 9457 problem details (``application/problem+json``), translated in one place."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kg.errors import (
    Conflict,
    InvalidInput,
    LcGraphError,
    ModelUnavailable,
    NotFound,
    QueryRejected,
    QueryTimeout,
    SearchUnavailable,
    StoreUnavailable,
    TooManyRows,
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
        StoreUnavailable: 503,
        ModelUnavailable: 503,
        SearchUnavailable: 503,
    }.get(type(exc), 400)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every error into a problem response."""

    @app.exception_handler(LcGraphError)
    async def _domain(_request: Request, exc: LcGraphError) -> JSONResponse:
        kind = exc.reason if isinstance(exc, QueryRejected) else exc.code
        return problem(
            status_of(exc),
            kind,
            kind.replace("-", " "),
            exc.message,
            where=exc.where,
            problems=getattr(exc, "problems", None) or None,
        )

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
