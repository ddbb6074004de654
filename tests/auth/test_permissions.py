"""The permission table: roles grant, token scopes limit, anonymous only reads."""

from __future__ import annotations

import pytest

from kg.errors import InvalidInput
from kg.permissions import (
    ANONYMOUS,
    Permission,
    Principal,
    Role,
    Scope,
    allowed,
    parse_role,
    parse_scopes,
    scopes_allowed,
)

P = Permission


def account(*roles: Role, scopes: set[Scope] | None = None) -> Principal:
    return Principal(
        account_id="someone",
        roles=frozenset(roles),
        via="token" if scopes is not None else "session",
        scopes=frozenset(scopes) if scopes is not None else None,
    )


def test_anonymous_only_reads_public_data() -> None:
    assert allowed(ANONYMOUS, P.READ_PUBLIC)
    assert [p for p in Permission if allowed(ANONYMOUS, p)] == [P.READ_PUBLIC]


@pytest.mark.parametrize(
    ("roles", "may", "may_not"),
    [
        (
            (),
            {P.READ_PUBLIC, P.ACCOUNT_SELF, P.TOKENS_OWN},
            {P.EXPERIENCE_CREATE, P.MODERATE, P.USERS_MANAGE},
        ),
        ((Role.FACILITATOR,), {P.EXPERIENCE_CREATE, P.CASE_CREATE}, {P.INSTRUMENT_CREATE, P.MODERATE}),
        (
            (Role.DEVELOPER,),
            {P.INSTRUMENT_CREATE, P.INSTRUMENT_EDIT_OWN},
            {P.INSTRUMENT_EDIT_ANY, P.MODERATE},
        ),
        ((Role.MODERATOR,), {P.MODERATE, P.INSTRUMENT_EDIT_ANY}, {P.USERS_MANAGE}),
        ((Role.ADMIN,), set(Permission), set()),
    ],
)
def test_roles_grant(roles: tuple[Role, ...], may: set[Permission], may_not: set[Permission]) -> None:
    who = account(*roles)
    assert {p for p in may if not allowed(who, p)} == set()
    assert {p for p in may_not if allowed(who, p)} == set()


def test_token_scopes_limit_the_roles() -> None:
    admin_read = account(Role.ADMIN, scopes={Scope.READ})
    assert allowed(admin_read, P.READ_PUBLIC)
    assert not allowed(admin_read, P.EXPERIENCE_CREATE) and not allowed(admin_read, P.USERS_MANAGE)
    contributor_all = account(Role.FACILITATOR, scopes=set(Scope))
    assert allowed(contributor_all, P.EXPERIENCE_CREATE)
    assert not allowed(contributor_all, P.MODERATE), "a scope never adds what the roles lack"
    assert not any(allowed(account(Role.ADMIN, scopes=set(Scope)), P.TOKENS_OWN) for _ in [0]), (
        "tokens never mint tokens"
    )


def test_scopes_a_token_may_carry() -> None:
    assert scopes_allowed(frozenset()) == {Scope.READ}
    assert scopes_allowed(frozenset({Role.DEVELOPER})) == {Scope.READ, Scope.WRITE}
    assert scopes_allowed(frozenset({Role.MODERATOR})) == {Scope.READ, Scope.WRITE, Scope.MODERATE}
    assert scopes_allowed(frozenset({Role.ADMIN})) == set(Scope)


def test_parsing_roles_and_scopes() -> None:
    assert parse_role(" Moderator ") is Role.MODERATOR
    assert parse_scopes("read, write") == {Scope.READ, Scope.WRITE}
    for bad in ("contributor", "root"):
        with pytest.raises(InvalidInput, match="choose one of"):
            parse_role(bad)
    with pytest.raises(InvalidInput, match="unknown scope"):
        parse_scopes("read,everything")
    with pytest.raises(InvalidInput, match="at least one"):
        parse_scopes(" , ")
