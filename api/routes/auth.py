"""Sign-in for browsers: ``POST /auth/login``, ``POST /auth/logout``, ``GET /auth/me``, ``GET /auth/csrf``.

A login sets an HttpOnly session cookie and a CSRF cookie; the session is recorded in the private accounts
graph, so any server process sharing the store accepts it and a logout (or disabling the account) ends it
everywhere. Passwords, tokens and cookies are never logged or echoed, also not in error answers.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import (
    FORM_TYPES,
    auth_state,
    check_login_rate,
    clear_session_cookies,
    current_principal,
    set_session_cookies,
)
from kg.accounts import Account
from kg.accounts.credentials import new_session_key
from kg.errors import InvalidInput, Unauthenticated
from kg.permissions import Principal

router = APIRouter(tags=["accounts"])
MAX_LOGIN_BODY = 8_192
PURGE_EVERY = 50  # logins between purges of long-ended session records
LOGIN_TYPES = ("application/json", "application/x-www-form-urlencoded")
LOGIN_SCHEMA = {
    "type": "object",
    "properties": {
        "login": {"type": "string", "description": "Account id or e-mail address."},
        "password": {"type": "string", "format": "password"},
        "next": {"type": "string", "description": "Local path to redirect to (forms)."},
    },
    "required": ["login", "password"],
}


class IdentityView(BaseModel):
    """A linked OpenID Connect identity."""

    issuer: str
    subject: str


class AccountView(BaseModel):
    """An account as its owner sees it."""

    id: str
    name: str
    email: str | None
    roles: list[str]
    trusted: bool
    identities: list[IdentityView]


class MeView(BaseModel):
    """Who the request is made by and what it may do."""

    authenticated: bool
    via: str = Field(description="anonymous, session or token")
    account: AccountView | None = None
    scopes: list[str] | None = Field(default=None, description="The token's scopes (token requests only).")
    permissions: list[str]


class LoginResult(BaseModel):
    """The answer to a successful login: the account and the CSRF token for later state-changing requests."""

    account: AccountView
    csrf_token: str


class CsrfView(BaseModel):
    """The CSRF token of the current session."""

    csrf_token: str


def account_view(account: Account) -> AccountView:
    """Describe an account for its owner."""
    return AccountView(
        id=account.id,
        name=account.name,
        email=account.email,
        roles=sorted(r.value for r in account.roles),
        trusted=account.trusted,
        identities=[IdentityView(issuer=i.issuer, subject=i.subject) for i in account.identities],
    )


async def _credentials(request: Request) -> tuple[str, str, str | None]:
    """Read ``login`` (or ``account``/``email``), ``password`` and ``next`` from a JSON or form body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_LOGIN_BODY:
        raise InvalidInput("the login request is too large", where="body")
    fields: dict[str, object]
    if content_type == "application/json":
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            raise InvalidInput("the body is not valid JSON", where="body") from None
        if not isinstance(parsed, dict):
            raise InvalidInput("send a JSON object with login and password", where="body")
        fields = parsed
    elif content_type in FORM_TYPES:
        fields = dict((await request.form()).items())
    else:
        raise InvalidInput("send the login as application/json or a form", where="content-type")
    login = fields.get("login") or fields.get("account") or fields.get("email")
    password = fields.get("password")
    nxt = fields.get("next")
    if not isinstance(login, str) or not login.strip():
        raise InvalidInput("give the account id or e-mail address as 'login'", where="login")
    if not isinstance(password, str) or not password:
        raise InvalidInput("give the password as 'password'", where="password")
    return login.strip(), password, nxt if isinstance(nxt, str) else None


def safe_next(nxt: str | None) -> str | None:
    """Accept only a local path as the place to go after login (no open redirects)."""
    if nxt and nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt and len(nxt) < 500:
        return nxt
    return None


@router.post(
    "/auth/login",
    response_model=LoginResult,
    summary="Sign in with account id or e-mail and password (sets a session cookie)",
    responses={401: {"description": "Wrong login or password."}, 429: {"description": "Too many attempts."}},
    openapi_extra={
        "requestBody": {"required": True, "content": {t: {"schema": LOGIN_SCHEMA} for t in LOGIN_TYPES}}
    },
)
async def login(request: Request) -> Response:
    """Check the password, start a session, set the session and CSRF cookies.

    Accepts JSON or a form with ``login`` (account id or e-mail) and ``password``; a form may add
    ``next`` (a local path) to be redirected there. Limited per address and per account.
    """
    state = auth_state(request)
    login_name, password, nxt = await _credentials(request)
    check_login_rate(state, request, login_name)
    account = await run_in_threadpool(state.accounts.authenticate_password, login_name, password)
    if account is None:
        raise Unauthenticated("wrong account or password, or the account is disabled")
    session_key = new_session_key()
    await run_in_threadpool(
        state.accounts.create_session, account.id, ttl=state.session_ttl, session_key=session_key
    )
    request.app.state.logins = getattr(request.app.state, "logins", 0) + 1
    if request.app.state.logins % PURGE_EVERY == 0:
        await run_in_threadpool(state.accounts.purge_sessions)
    target = safe_next(nxt)
    response: Response
    if target is not None:
        response = RedirectResponse(target, status_code=303)
    else:
        result = LoginResult(account=account_view(account), csrf_token=state.csrf_token(session_key))
        response = JSONResponse(result.model_dump(), headers={"Cache-Control": "no-store"})
    set_session_cookies(response, request, state, session_key)
    return response


@router.post("/auth/logout", status_code=204, summary="End the browser session (needs the CSRF token)")
async def logout(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    """Revoke the current session everywhere and clear the cookies.

    A form (the web UI's sign-out button) may add ``next``, a local path, to be redirected there (303).
    """
    state = auth_state(request)
    session_key: str | None = getattr(request.state, "session_key", None)
    if principal.via == "session" and session_key is not None:
        await run_in_threadpool(state.accounts.revoke_session, session_key)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    nxt = (await request.form()).get("next") if content_type in FORM_TYPES else None
    target = safe_next(nxt if isinstance(nxt, str) else None)
    response = RedirectResponse(target, status_code=303) if target else Response(status_code=204)
    clear_session_cookies(response, request, state.settings)
    return response


@router.get("/auth/me", response_model=MeView, summary="Who am I: account, roles and permissions")
async def me(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> MeView:
    """Describe the principal of this request (anonymous without credentials)."""
    account = None
    if principal.account_id is not None:
        found = await run_in_threadpool(auth_state(request).accounts.get, principal.account_id)
        account = account_view(found)
    return MeView(
        authenticated=not principal.is_anonymous,
        via=principal.via,
        account=account,
        scopes=sorted(s.value for s in principal.scopes) if principal.scopes is not None else None,
        permissions=sorted(p.value for p in principal.permissions()),
    )


@router.get("/auth/csrf", response_model=CsrfView, summary="The CSRF token of the browser session")
async def csrf(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> CsrfView:
    """Return the token that state-changing requests of this session send as ``X-CSRF-Token``."""
    session_key: str | None = getattr(request.state, "session_key", None)
    if principal.via != "session" or session_key is None:
        raise Unauthenticated("CSRF tokens belong to browser sessions: sign in first (API tokens need none)")
    return CsrfView(csrf_token=auth_state(request).csrf_token(session_key))
