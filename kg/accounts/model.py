"""Accounts and their credentials as the rest of lcgraph sees them (plain frozen values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kg.permissions import Principal, Role, Scope


@dataclass(frozen=True)
class Identity:
    """An account at an OpenID Connect provider linked to one of ours."""

    issuer: str
    subject: str
    created: datetime | None = None


@dataclass(frozen=True)
class Account:
    """A user account (anonymous readers have none).

    Attributes:
        id: a slug such as ``jan-de-vries``; stable, used in the CLI and in audit trails.
        name: the display name.
        email: the e-mail address (lower case), if known.
        roles: contributor (with its kind), moderator, admin; none for a plain reader.
        trusted: whether moderators trust the account's contributions.
        disabled: a disabled account cannot sign in; its tokens and sessions are refused.
        created: when the account was made.
        has_password: whether a password is set (OpenID-only accounts have none).
        identities: linked OpenID Connect identities.
    """

    id: str
    name: str
    email: str | None
    roles: frozenset[Role]
    trusted: bool
    disabled: bool
    created: datetime
    has_password: bool = False
    identities: tuple[Identity, ...] = ()

    def principal(
        self, via: str, *, scopes: frozenset[Scope] | None = None, credential_id: str | None = None
    ) -> Principal:
        """Return this account as the principal of a request made by session or token."""
        return Principal(
            account_id=self.id,
            roles=self.roles,
            via=via,
            scopes=scopes,
            credential_id=credential_id,
            trusted=self.trusted,
        )


@dataclass(frozen=True)
class TokenInfo:
    """What is known about an API token (never its secret)."""

    id: str
    account_id: str
    scopes: frozenset[Scope]
    created: datetime
    expires: datetime | None = None
    last_used: datetime | None = None
    revoked: datetime | None = None
    note: str | None = None

    def state(self, now: datetime) -> str:
        """Return ``active``, ``expired`` or ``revoked``."""
        if self.revoked is not None:
            return "revoked"
        if self.expires is not None and self.expires <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: its record and the full token text, which is shown once and never stored."""

    info: TokenInfo
    token: str = field(repr=False)


__all__ = ["Account", "Identity", "IssuedToken", "TokenInfo"]
