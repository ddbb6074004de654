"""OpenID Connect sign-in: ``GET /auth/oidc/login`` (to the provider) and ``GET /auth/oidc/callback``.

The pending sign-in (state, nonce, PKCE verifier, where to go after) travels in a short-lived signed
HttpOnly cookie, so any server process can finish a sign-in another one started. At the callback the
identity (issuer, subject) finds its linked account; a signed-in user links a new identity to their
account; otherwise a new account is made (``oidc_allow_signup``) with ``oidc_new_account_roles``. An
identity is never linked to an existing account by e-mail alone: that would let whoever controls an
address at some provider take over the account.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.auth import AuthState, auth_state, cookies_secure, current_principal, set_session_cookies
from api.oidc import OidcClient, OidcUser, decode_pending, encode_pending, oidc_config, pkce_pair
from api.routes.auth import safe_next
from kg.accounts import Account
from kg.accounts.credentials import new_session_key, sign, unsign
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from kg.permissions import Principal, parse_role

router = APIRouter(tags=["accounts"])
PENDING_COOKIE = "lcgraph_oidc"
PENDING_SECONDS = 600


def _client(request: Request) -> OidcClient:
    """Return the application's OpenID client, or 404 when sign-in by OpenID is not configured."""
    config = oidc_config(request.app.state.settings)
    if config is None:
        raise NotFound(
            "OpenID Connect sign-in is not configured (LCGRAPH_OIDC_ISSUER, LCGRAPH_OIDC_CLIENT_ID)"
        )
    client: OidcClient | None = getattr(request.app.state, "oidc", None)
    if client is None or client.config != config:
        client = OidcClient(config)
        request.app.state.oidc = client
    return client


def _redirect_url(request: Request, client: OidcClient) -> str:
    return client.config.redirect_url or str(request.url_for("oidc_callback"))


@router.get("/auth/oidc/login", summary="Sign in with the configured OpenID Connect provider (redirect)")
def oidc_login(
    request: Request, next: Annotated[str | None, Query(description="Local path to return to.")] = None
) -> Response:
    """Redirect to the provider's sign-in page with state, nonce and a PKCE challenge."""
    client = _client(request)
    state = auth_state(request)
    verifier, challenge = pkce_pair()
    pending = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "next": safe_next(next) or "/",
        "at": str(int(time.time())),
    }
    url = client.authorization_url(
        _redirect_url(request, client),
        state=pending["state"],
        nonce=pending["nonce"],
        code_challenge=challenge,
    )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        sign(state.key, "oidc", encode_pending(pending)),
        max_age=PENDING_SECONDS,
        httponly=True,
        samesite="lax",
        secure=cookies_secure(state.settings, request),
        path="/auth/oidc",
    )
    return response


def _pending(request: Request, state: AuthState, returned_state: str) -> dict[str, str]:
    raw = request.cookies.get(PENDING_COOKIE)
    value = unsign(state.key, "oidc", raw) if raw and len(raw) < 2000 else None
    if value is None:
        raise InvalidInput("no sign-in is under way in this browser; start again", where="oidc")
    pending = decode_pending(value)
    if time.time() - int(pending.get("at", "0")) > PENDING_SECONDS:
        raise InvalidInput("the sign-in took too long; start again", where="oidc")
    if not hmac.compare_digest(pending.get("state", "").encode(), returned_state.encode()):
        raise InvalidInput("the sign-in state does not match; start again", where="oidc")
    return pending


def _account_for(state: AuthState, user: OidcUser, principal: Principal) -> Account:
    """Find, link or create the account of a verified OpenID user."""
    accounts = state.accounts
    linked = accounts.find_by_identity(user.issuer, user.subject)
    if linked is not None:
        if principal.account_id is not None and principal.account_id != linked.id:
            raise Conflict("this sign-in identity is linked to another account", where="identity")
        return linked
    if principal.account_id is not None and principal.via == "session":
        return accounts.link_identity(principal.account_id, user.issuer, user.subject)
    if not state.settings.oidc_allow_signup:
        raise Forbidden(
            "no account is linked to this sign-in identity; ask an administrator", where="identity"
        )
    email = user.email if user.email_verified else None
    if email and accounts.find(email) is not None:
        raise Conflict(
            "an account with this e-mail address exists: sign in to it first, then sign in with the provider "
            "again to link the two",
            where="email",
        )
    roles = [parse_role(r) for r in state.settings.oidc_new_account_roles.split(",") if r.strip()]
    hint = user.preferred_username or (email.split("@")[0] if email else None) or user.name or "user"
    account = accounts.create(
        accounts.free_id(hint), name=(user.name or hint)[:200], email=email, roles=roles
    )
    return accounts.link_identity(account.id, user.issuer, user.subject)


@router.get("/auth/oidc/callback", name="oidc_callback", summary="Where the OpenID Connect provider returns")
def oidc_callback(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """Check state, exchange the code, verify the ID token, sign in (linking or creating the account)."""
    auth = auth_state(request)
    if error:
        raise Unauthenticated(f"the sign-in provider reported {error[:60]!r}")
    if not code or not state:
        raise InvalidInput("the provider's answer lacks code or state", where="oidc")
    pending = _pending(request, auth, state)
    client = _client(request)
    user = client.sign_in(
        code,
        redirect_url=_redirect_url(request, client),
        code_verifier=pending["verifier"],
        nonce=pending["nonce"],
    )
    account = _account_for(auth, user, principal)
    if account.disabled:
        raise Unauthenticated("wrong account or password, or the account is disabled")
    session_key = new_session_key()
    auth.accounts.create_session(account.id, ttl=auth.session_ttl, session_key=session_key)
    response = RedirectResponse(pending.get("next") or "/", status_code=303)
    set_session_cookies(response, request, auth, session_key)
    response.delete_cookie(PENDING_COOKIE, path="/auth/oidc")
    return response
