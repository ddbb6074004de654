"""What a page shows about its viewer: the signed-in account in the header, and the note after a contribution.

:func:`api.web.render.viewer` resolves who views a page (the principal); this module adds what the header
needs for a signed-in person (display name, the session's CSRF token for the logout and contribution forms)
and the confirmation shown after a contribution. The confirmation is read from the submission itself
(``?submitted=<id>``), so it states the real review state, and only the submitter, moderators or (for
public items) anyone see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from api.auth import SESSION_COOKIE, auth_state
from kg.contributions import Submission, Submissions
from kg.errors import LcGraphError
from kg.graph import KnowledgeGraph
from kg.permissions import Principal

SUBMITTED_PARAM = "submitted"


@dataclass(frozen=True)
class SignedIn:
    """The signed-in account a page is rendered for.

    Attributes:
        account_id: the account id.
        name: the account's display name.
        csrf_token: the browser session's CSRF token (``None`` for an API token, which needs none).
        permissions: what the account may do (values of :class:`~kg.permissions.Permission`).
    """

    account_id: str
    name: str
    csrf_token: str | None
    permissions: frozenset[str] = frozenset()

    def can(self, permission: str) -> bool:
        """Tell whether the account may do ``permission`` (e.g. ``instrument:create``)."""
        return permission in self.permissions


def signed_in(request: Request, principal: Principal) -> SignedIn | None:
    """Return the header's view of a signed-in principal, or ``None`` for an anonymous reader."""
    if principal.account_id is None:
        return None
    cached: SignedIn | None = getattr(request.state, "signed_in", None)
    if cached is not None and cached.account_id == principal.account_id:
        return cached
    try:
        state = auth_state(request)
        name = state.accounts.get(principal.account_id).name
    except LcGraphError:
        return None
    csrf = None
    if principal.via == "session":
        key = state.session_key(request.cookies.get(SESSION_COOKIE))
        csrf = state.csrf_token(key) if key is not None else None
    permissions = frozenset(p.value for p in principal.permissions())
    found = SignedIn(principal.account_id, name or principal.account_id, csrf, permissions)
    request.state.signed_in = found
    return found


@dataclass(frozen=True)
class Confirmation:
    """What a page says after a contribution: the submission and the state it is in."""

    submission: Submission

    @property
    def state(self) -> str:
        """approved, proposed, private or rejected."""
        return self.submission.state

    @property
    def kind(self) -> str:
        """instrument, edit, experience, step, assessment, ..."""
        return self.submission.kind


def confirmation(
    request: Request, principal: Principal, kg: KnowledgeGraph | None = None
) -> Confirmation | None:
    """Return the confirmation of ``?submitted=<id>`` when ``principal`` may see that submission."""
    item = request.query_params.get(SUBMITTED_PARAM)
    kg = kg or getattr(request.app.state, "kg", None)
    if not item or kg is None or len(item) > 300:
        return None
    try:
        sub = Submissions(kg).visible_to(principal, item)
    except LcGraphError:
        return None
    return Confirmation(sub)
