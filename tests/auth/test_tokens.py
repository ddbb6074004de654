"""API tokens: made once, stored hashed, scoped within the roles, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pyoxigraph as ox
import pytest

from kg.accounts import AccountStore
from kg.accounts import store as store_module
from kg.errors import Forbidden, InvalidInput, NotFound
from kg.permissions import Permission, Role, Scope, allowed


def test_token_format_and_only_its_hash_is_stored(accounts: AccountStore) -> None:
    issued = accounts.create_token(
        "fenna", frozenset({Scope.READ, Scope.WRITE}), expires_in=timedelta(days=90)
    )
    prefix, token_id, secret = issued.token.split("_", 2)
    assert prefix == "lcg" and token_id == issued.info.id and len(secret) >= 40
    assert issued.token not in repr(issued)
    dump = accounts.store.dump(ox.RdfFormat.N_QUADS).decode()
    assert secret not in dump and issued.token not in dump
    principal = accounts.authenticate_token(issued.token)
    assert principal is not None and principal.account_id == "fenna" and principal.via == "token"
    assert principal.scopes == {Scope.READ, Scope.WRITE}
    assert allowed(principal, Permission.EXPERIENCE_CREATE) and not allowed(principal, Permission.MODERATE)
    assert accounts.token(token_id).last_used is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.replace("lcg_", "xyz_"),
        lambda t: "lcg_000000000000_" + t.split("_", 2)[2],
        lambda t: t.rsplit("_", 1)[0],
        lambda t: "",
    ],
)
def test_wrong_tokens_are_refused(accounts: AccountStore, mangle: object) -> None:
    issued = accounts.create_token("fenna", frozenset({Scope.READ}))
    assert accounts.authenticate_token(mangle(issued.token)) is None  # type: ignore[operator]


def test_scopes_never_exceed_the_roles(accounts: AccountStore) -> None:
    with pytest.raises(Forbidden, match="exceeds the roles"):
        accounts.create_token("fenna", frozenset({Scope.MODERATE}))
    with pytest.raises(Forbidden):
        accounts.create_token("rita", frozenset({Scope.WRITE}))
    assert accounts.create_token("mo", frozenset({Scope.MODERATE})).info.scopes == {Scope.MODERATE}
    with pytest.raises(InvalidInput):
        accounts.create_token("mo", frozenset())
    with pytest.raises(NotFound):
        accounts.create_token("nobody", frozenset({Scope.READ}))


def test_removing_a_role_takes_it_from_existing_tokens(accounts: AccountStore) -> None:
    issued = accounts.create_token("mo", frozenset({Scope.MODERATE, Scope.WRITE}))
    before = accounts.authenticate_token(issued.token)
    assert before is not None and allowed(before, Permission.MODERATE)
    accounts.set_roles("mo", remove=[Role.MODERATOR], add=[Role.FACILITATOR])
    after = accounts.authenticate_token(issued.token)
    assert after is not None and not allowed(after, Permission.MODERATE)
    assert allowed(after, Permission.EXPERIENCE_CREATE)


def test_revoked_token_is_refused(accounts: AccountStore) -> None:
    issued = accounts.create_token("fenna", frozenset({Scope.READ}))
    info = accounts.revoke_token(issued.info.id)
    assert info.revoked is not None and accounts.tokens("fenna")[0].revoked is not None
    assert accounts.authenticate_token(issued.token) is None
    assert accounts.revoke_token(issued.info.id).revoked == info.revoked
    with pytest.raises(NotFound):
        accounts.revoke_token("0123456789ab")


def test_expired_token_is_refused(accounts: AccountStore, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = accounts.create_token("fenna", frozenset({Scope.READ}), expires_in=timedelta(hours=1))
    forever = accounts.create_token("fenna", frozenset({Scope.READ}))
    assert accounts.authenticate_token(issued.token) is not None
    later = store_module.now_utc() + timedelta(hours=2)
    monkeypatch.setattr(store_module, "now_utc", lambda: later)
    assert accounts.authenticate_token(issued.token) is None
    assert accounts.token(issued.info.id).state(later) == "expired"
    assert accounts.authenticate_token(forever.token) is not None
    with pytest.raises(InvalidInput):
        accounts.create_token("fenna", frozenset({Scope.READ}), expires_in=timedelta(0))


def test_disabled_account_tokens_are_refused_until_enabled(accounts: AccountStore) -> None:
    issued = accounts.create_token("fenna", frozenset({Scope.READ}))
    accounts.set_disabled("fenna")
    assert accounts.authenticate_token(issued.token) is None
    with pytest.raises(Forbidden):
        accounts.create_token("fenna", frozenset({Scope.READ}))
    accounts.set_disabled("fenna", False)
    assert accounts.authenticate_token(issued.token) is not None
