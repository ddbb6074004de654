"""Who is asking: the request's principal (anonymous, a session or an API token) and permission checks.

* ``Authorization: Bearer lcg_...`` names an API token; a wrong, expired or revoked one is a 401 (never a
  silent fall-back to anonymous). Bearer requests need no CSRF token: browsers do not add that header
  on their own.
* Otherwise the ``lcgraph_session`` cookie (HMAC-signed session key) names a session recorded in the
  private accounts graph; every state-changing request it authenticates must carry the session's CSRF
  token in the ``X-CSRF-Token`` header or a ``csrf_token`` form field.
* Without either, the principal is anonymous.

Endpoints declare what they need with ``Depends(require(Permission.X))``: 401 with ``WWW-Authenticate``
for anonymous, 403 for a known principal without the permission (see :mod:`kg.permissions`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import ip_address
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import kg_of
from api.ratelimit import RateLimits
from kg.accounts import AccountStore
from kg.accounts.credentials import mac, sign, signing_key, unsign
from kg.config import Settings
from kg.errors import Forbidden, Unauthenticated
from kg.permissions import ANONYMOUS, Permission, Principal, allowed, role_permissions

SESSION_COOKIE = "lcgraph_session"
CSRF_COOKIE = "lcgraph_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass
class AuthState:
    """What authentication needs, built once per application on first use."""

    accounts: AccountStore
    key: bytes
    limits: RateLimits
    settings: Settings

    @property
    def session_ttl(self) -> timedelta:
        """How long a browser session lasts."""
        return timedelta(hours=self.settings.session_ttl_hours)

    def session_cookie(self, session_key: str) -> str:
        """Return the signed cookie value naming a session."""
        return sign(self.key, "session", session_key)

    def session_key(self, cookie: str | None) -> str | None:
        """Return the session key of a cookie whose signature holds, else ``None``."""
        if not cookie or len(cookie) > 200:
            return None
        return unsign(self.key, "session", cookie)

    def csrf_token(self, session_key: str) -> str:
        """Return the CSRF token bound to a session (the same for the session's whole life)."""
        return mac(self.key, "csrf", session_key)


def auth_state(request: Request) -> AuthState:
    """Return the application's authentication state, making it on first use (over the app's store)."""
    kg = kg_of(request)
    state: AuthState | None = getattr(request.app.state, "auth", None)
    if state is None or state.accounts.store is not kg.store:
        settings: Settings = request.app.state.settings
        state = AuthState(
            accounts=AccountStore(kg.store),
            key=signing_key(settings),
            limits=RateLimits.from_settings(settings),
            settings=settings,
        )
        request.app.state.auth = state
    return state


def client_address(request: Request) -> str:
    """Return the client's address (the proxy's, unless the server is told to trust forwarded headers)."""
    return request.client.host if request.client else "unknown"


def is_loopback(host: str | None) -> bool:
    """Tell whether a host name or address is loopback."""
    if not host:
        return False
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookies_secure(settings: Settings, request: Request) -> bool:
    """Tell whether cookies get the Secure flag: as configured, else on unless served on loopback."""
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return not is_loopback(request.url.hostname)


def set_session_cookies(response: Response, request: Request, state: AuthState, session_key: str) -> str:
    """Set the session cookie (HttpOnly) and the CSRF cookie (readable by the page); return the CSRF token."""
    secure = cookies_secure(state.settings, request)
    max_age = int(state.session_ttl.total_seconds())
    csrf = state.csrf_token(session_key)
    response.set_cookie(
        SESSION_COOKIE,
        state.session_cookie(session_key),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure, path="/"
    )
    return csrf


def clear_session_cookies(response: Response, request: Request, settings: Settings) -> None:
    """Remove the session and CSRF cookies from the browser."""
    secure = cookies_secure(settings, request)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, httponly=name == SESSION_COOKIE, samesite="lax")


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated("use 'Authorization: Bearer <token>' with an lcgraph API token")
    return value.strip()


async def _presented_csrf(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in FORM_TYPES:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def current_principal(request: Request) -> Principal:
    """Return who makes this request (resolved once per request) and enforce CSRF for cookie sessions."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = ANONYMOUS
    token = _bearer(request)
    if token is not None:
        state = auth_state(request)
        found = await run_in_threadpool(state.accounts.authenticate_token, token)
        if found is None:
            raise Unauthenticated("the API token is unknown, expired or revoked, or its account is disabled")
        principal = found
    elif SESSION_COOKIE in request.cookies:
        state = auth_state(request)
        session_key = state.session_key(request.cookies.get(SESSION_COOKIE))
        if session_key is not None:
            found = await run_in_threadpool(state.accounts.session_principal, session_key)
            if found is not None:
                if request.method not in SAFE_METHODS:
                    presented = await _presented_csrf(request)
                    expected = state.csrf_token(session_key)
                    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
                        raise Forbidden(
                            "missing or invalid CSRF token: send the token from GET /auth/csrf in the "
                            "X-CSRF-Token header or the csrf_token form field",
                            where="csrf",
                        )
                principal = found
                request.state.session_key = session_key
    request.state.principal = principal
    return principal


async def reading_principal(request: Request) -> Principal:
    """Return who reads: like :func:`current_principal`, but lenient about CSRF.

    A read sent by POST without the CSRF token (a SPARQL form) reads as anonymous instead of failing,
    since a read changes nothing.
    """
    try:
        return await current_principal(request)
    except Forbidden:
        request.state.principal = ANONYMOUS
        return ANONYMOUS


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """Return a dependency that yields the principal when it may do ``permission`` (401/403 otherwise)."""

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if allowed(principal, permission):
            return principal
        if principal.is_anonymous:
            raise Unauthenticated(f"sign in or send an API token to do this ({permission.value})")
        by_roles = permission in role_permissions(principal.roles)
        reason = "the token's scopes do not include" if by_roles else "your roles do not grant"
        raise Forbidden(f"{reason} {permission.value}", where="permission")

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


async def limit_writes(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """Count one write against the token, account or address making it (429 when over the limit).

    Future write endpoints add ``Depends(limit_writes)`` next to their ``require(...)``.
    """
    if principal.via == "token" and principal.credential_id:
        key = f"token:{principal.credential_id}"
    elif principal.account_id:
        key = f"account:{principal.account_id}"
    else:
        key = f"address:{client_address(request)}"
    auth_state(request).limits.writes.check(key, "writes")
    return principal


def check_login_rate(state: AuthState, request: Request, login: str) -> None:
    """Count a login attempt per address and per account name; raise :class:`RateLimited` when over."""
    state.limits.login_address.check(
        f"address:{client_address(request)}", "sign-in attempts from your address"
    )
    state.limits.login_account.check(
        f"login:{login.strip().lower()[:254]}", "sign-in attempts for this account"
    )


__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AuthState",
    "auth_state",
    "check_login_rate",
    "clear_session_cookies",
    "client_address",
    "cookies_secure",
    "current_principal",
    "limit_writes",
    "reading_principal",
    "require",
    "set_session_cookies",
]
