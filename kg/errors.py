"""The one error hierarchy of lcgraph; the HTTP edge and the CLI translate it once."""

from __future__ import annotations


class LcGraphError(Exception):
    """Base of every error lcgraph raises on purpose.

    Attributes:
        code: a short stable identifier (used as the problem type at the HTTP edge).
        where: where the problem is (file, line, field, query position), when known.
    """

    code = "error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class NotFound(LcGraphError):
    """The requested entity, graph or resource does not exist (or is not visible)."""

    code = "not-found"


class InvalidInput(LcGraphError):
    """Input failed validation; nothing was written."""

    code = "invalid-input"

    def __init__(self, message: str, *, where: str | None = None, problems: list[str] | None = None) -> None:
        super().__init__(message, where=where)
        self.problems = problems or []


class QueryRejected(LcGraphError):
    """A SPARQL request was refused by the query policy before it ran."""

    code = "query-rejected"

    def __init__(self, message: str, *, reason: str, where: str | None = None, status: int = 400) -> None:
        super().__init__(message, where=where)
        self.reason = reason
        self.status = status


class QueryTimeout(LcGraphError):
    """A SPARQL query ran longer than the configured limit and was abandoned."""

    code = "query-timeout"


class TooManyRows(LcGraphError):
    """A SPARQL query produced more rows than the configured cap."""

    code = "too-many-rows"


class Conflict(LcGraphError):
    """The write conflicts with the current state (for example a duplicate identifier)."""

    code = "conflict"


class PreconditionFailed(LcGraphError):
    """The entity changed since the caller read it (its entity tag differs); nothing was written.

    Attributes:
        current_etag: the entity tag the entity has now, so the caller can re-read and retry.
    """

    code = "precondition-failed"

    def __init__(self, message: str, *, current_etag: str | None, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.current_etag = current_etag


class StoreUnavailable(LcGraphError):
    """The store cannot be opened (locked by another process, missing, or corrupt)."""

    code = "store-unavailable"


class ModelUnavailable(LcGraphError):
    """A model (an embedder) cannot be loaded: a package it needs is missing or its weights are."""

    code = "model-unavailable"


class SearchUnavailable(LcGraphError):
    """The search service is not running in this process (disabled, or its models are still loading)."""

    code = "search-unavailable"


class Unauthenticated(LcGraphError):
    """The request needs an account and carries no valid credentials (or wrong ones)."""

    code = "unauthenticated"


class Forbidden(LcGraphError):
    """The principal is known but not allowed to do this (role, token scope, or CSRF check)."""

    code = "forbidden"


class RateLimited(LcGraphError):
    """Too many requests of one kind from one token, account or address; retry after ``retry_after`` s."""

    code = "rate-limited"

    def __init__(self, message: str, *, retry_after: float, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.retry_after = retry_after
