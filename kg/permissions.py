"""Roles, token scopes and permissions: the one table every write endpoint asks.

A principal (anonymous, or an account signed in by session or API token) may do something when the
permission is granted by one of its roles *and*, for a token, by one of the token's scopes. Anonymous is
the absence of an account: it only reads what is public. Endpoints never test roles directly; they ask
:func:`allowed` (through ``api.auth.require``), so this module is the whole access policy and the
permission-matrix test can read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kg.errors import InvalidInput


class Role(StrEnum):
    """A role an account holds (anonymous is no account, so it is not a role)."""

    FACILITATOR = "contributor:facilitator"
    DEVELOPER = "contributor:developer"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Scope(StrEnum):
    """What an API token may be used for; a token never exceeds its account's roles."""

    READ = "read"
    WRITE = "write"
    MODERATE = "moderate"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a principal may do."""

    READ_PUBLIC = "public:read"
    ACCOUNT_SELF = "account:self"
    TOKENS_OWN = "tokens:manage-own"
    INSTRUMENT_CREATE = "instrument:create"
    INSTRUMENT_EDIT_OWN = "instrument:edit-own"
    INSTRUMENT_EDIT_ANY = "instrument:edit-any"
    EDIT_PROPOSE = "edit:propose"
    EXPERIENCE_CREATE = "experience:create"
    EXPERIENCE_EDIT_OWN = "experience:edit-own"
    CASE_CREATE = "case:create"
    SUBMISSION_READ_OWN = "submission:read-own"
    MODERATE = "moderate"
    USERS_MANAGE = "users:manage"
    BACKUP_CREATE = "backup:create"


P = Permission
_ACCOUNT = frozenset({P.READ_PUBLIC, P.ACCOUNT_SELF, P.TOKENS_OWN, P.SUBMISSION_READ_OWN})
_CONTRIBUTOR = _ACCOUNT | {P.EXPERIENCE_CREATE, P.EXPERIENCE_EDIT_OWN, P.CASE_CREATE, P.EDIT_PROPOSE}
# Moderators maintain every instrument (versions, deprecation), which the owner-only permission gates.
_MODERATOR = _CONTRIBUTOR | {P.MODERATE, P.INSTRUMENT_EDIT_ANY, P.INSTRUMENT_EDIT_OWN}

ANONYMOUS_PERMISSIONS: frozenset[Permission] = frozenset({P.READ_PUBLIC})
"""What anyone may do without an account."""

ACCOUNT_PERMISSIONS: frozenset[Permission] = _ACCOUNT
"""What every enabled account may do, whatever its roles (a reader account has no role)."""

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.FACILITATOR: _CONTRIBUTOR,
    Role.DEVELOPER: _CONTRIBUTOR | {P.INSTRUMENT_CREATE, P.INSTRUMENT_EDIT_OWN},
    Role.MODERATOR: _MODERATOR,
    Role.ADMIN: frozenset(Permission),
}
"""The permissions each role grants (on top of :data:`ACCOUNT_PERMISSIONS`)."""

SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.READ: frozenset({P.READ_PUBLIC, P.ACCOUNT_SELF, P.SUBMISSION_READ_OWN}),
    Scope.WRITE: frozenset(
        {
            P.INSTRUMENT_CREATE,
            P.INSTRUMENT_EDIT_OWN,
            P.INSTRUMENT_EDIT_ANY,
            P.EDIT_PROPOSE,
            P.EXPERIENCE_CREATE,
            P.EXPERIENCE_EDIT_OWN,
            P.CASE_CREATE,
        }
    ),
    Scope.MODERATE: frozenset({P.MODERATE}),
    Scope.ADMIN: frozenset({P.USERS_MANAGE, P.BACKUP_CREATE}),
}
"""The permissions a token scope lets through (intersected with the account's).

No scope lets ``tokens:manage-own`` through: tokens are made by a signed-in person (browser or CLI), never
by another token.
"""


def parse_role(text: str) -> Role:
    """Return the role named by ``text`` or raise :class:`InvalidInput` listing the valid ones."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {text!r}; choose one of {valid}", where="role") from None


def parse_scopes(text: str | list[str]) -> frozenset[Scope]:
    """Parse scopes given as ``"read,write"`` or a list; raise :class:`InvalidInput` on unknown ones."""
    items = text.split(",") if isinstance(text, str) else text
    out = set()
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        try:
            out.add(Scope(item))
        except ValueError:
            valid = ", ".join(s.value for s in Scope)
            raise InvalidInput(f"unknown scope {item!r}; choose from {valid}", where="scope") from None
    if not out:
        raise InvalidInput("give at least one scope (read, write, moderate, admin)", where="scope")
    return frozenset(out)


def role_permissions(roles: frozenset[Role]) -> frozenset[Permission]:
    """Return everything an enabled account with ``roles`` may do."""
    granted = set(ACCOUNT_PERMISSIONS)
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)


def scopes_allowed(roles: frozenset[Role]) -> frozenset[Scope]:
    """Return the scopes a token of an account with ``roles`` may carry.

    A scope is allowed when the roles grant at least one permission it lets through, so a reader may have
    ``read`` tokens, a contributor ``write`` ones, a moderator ``moderate`` and an admin every scope.
    """
    granted = role_permissions(roles)
    return frozenset(s for s, perms in SCOPE_PERMISSIONS.items() if perms & granted)


@dataclass(frozen=True)
class Principal:
    """Who is making a request.

    Attributes:
        account_id: the account's id, or ``None`` for an anonymous reader.
        roles: the account's roles (empty for anonymous and plain readers).
        via: how the principal was established: ``anonymous``, ``session`` or ``token``.
        scopes: the token's scopes; ``None`` when not limited (a browser session, or anonymous).
        credential_id: the token id or session key (for rate limits and revocation), if any.
        trusted: whether moderators trust the account.
    """

    account_id: str | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    via: str = "anonymous"
    scopes: frozenset[Scope] | None = None
    credential_id: str | None = None
    trusted: bool = False

    @property
    def is_anonymous(self) -> bool:
        """Tell whether no account is signed in."""
        return self.account_id is None

    def permissions(self) -> frozenset[Permission]:
        """Return everything this principal may do."""
        if self.account_id is None:
            return ANONYMOUS_PERMISSIONS
        granted = role_permissions(self.roles)
        if self.scopes is not None:
            through: set[Permission] = set()
            for scope in self.scopes:
                through |= SCOPE_PERMISSIONS[scope]
            granted = granted & frozenset(through)
        return granted | ANONYMOUS_PERMISSIONS


ANONYMOUS = Principal()


def allowed(principal: Principal, permission: Permission) -> bool:
    """Tell whether ``principal`` may do ``permission``: granted by a role and let through by the scopes."""
    return permission in principal.permissions()


__all__ = [
    "ACCOUNT_PERMISSIONS",
    "ANONYMOUS",
    "ANONYMOUS_PERMISSIONS",
    "ROLE_PERMISSIONS",
    "SCOPE_PERMISSIONS",
    "Permission",
    "Principal",
    "Role",
    "Scope",
    "allowed",
    "parse_role",
    "parse_scopes",
    "role_permissions",
    "scopes_allowed",
]
