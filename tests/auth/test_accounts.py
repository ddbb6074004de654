"""The account store: validation, uniqueness, lookups, identities; every change one transaction."""

from __future__ import annotations

import pytest

from kg.accounts import AccountStore
from kg.errors import Conflict, InvalidInput, NotFound
from kg.permissions import Role
from kg.store import ChangeSet


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ({"account_id": "Bad Id", "name": "X"}, "id"),
        ({"account_id": "-x", "name": "X"}, "id"),
        ({"account_id": "x" * 41, "name": "X"}, "id"),
        ({"account_id": "kees", "name": " "}, "name"),
        ({"account_id": "kees", "name": "K", "email": "not-an-address"}, "email"),
        ({"account_id": "kees", "name": "K", "password": "too short"}, "password"),
    ],
)
def test_invalid_accounts_are_refused_and_nothing_is_written(
    accounts: AccountStore, args: dict[str, str], where: str
) -> None:
    before = accounts.store.count()
    account_id = args.pop("account_id")
    with pytest.raises(InvalidInput) as info:
        accounts.create(account_id, **args)  # type: ignore[arg-type]
    assert info.value.where == where
    assert accounts.store.count() == before


def test_ids_and_emails_are_unique(accounts: AccountStore) -> None:
    with pytest.raises(Conflict):
        accounts.create("fenna", name="Other")
    with pytest.raises(Conflict):
        accounts.create("fenna-2", name="Other", email="FENNA@example.org")


def test_lookups(accounts: AccountStore) -> None:
    assert [a.id for a in accounts.accounts()] == ["fenna", "mo", "rita"]
    found = accounts.find("Fenna@Example.org")
    assert found is not None and found.id == "fenna" and found.roles == {Role.FACILITATOR}
    assert accounts.find("nobody") is None and accounts.find("x@y.z") is None
    with pytest.raises(NotFound):
        accounts.get("nobody")
    rita = accounts.get("rita")
    assert rita.roles == frozenset() and rita.email is None and not rita.trusted and not rita.disabled


def test_identities_link_to_one_account(accounts: AccountStore) -> None:
    linked = accounts.link_identity("fenna", "https://issuer.example", "abc")
    assert [(i.issuer, i.subject) for i in linked.identities] == [("https://issuer.example", "abc")]
    found = accounts.find_by_identity("https://issuer.example", "abc")
    assert found is not None and found.id == "fenna"
    assert accounts.find_by_identity("https://issuer.example", "abd") is None
    assert accounts.find_by_identity("https://other.example", "abc") is None
    with pytest.raises(Conflict):
        accounts.link_identity("mo", "https://issuer.example", "abc")
    assert accounts.link_identity("fenna", "https://issuer.example", "abc") == linked
    assert accounts.free_id("Fenna") == "fenna-2" and accounts.free_id("Zoë Z.") == "zoe-z"


def test_every_change_is_one_change_set(accounts: AccountStore, monkeypatch: pytest.MonkeyPatch) -> None:
    applied: list[ChangeSet] = []
    real = accounts.store.apply
    monkeypatch.setattr(accounts.store, "apply", lambda c: (applied.append(c), real(c))[1])
    accounts.create("piet", name="Piet", roles=[Role.DEVELOPER, Role.MODERATOR])
    accounts.set_roles("piet", remove=[Role.MODERATOR])
    accounts.set_disabled("piet")
    assert len(applied) == 3
    assert accounts.get("piet").roles == {Role.DEVELOPER} and accounts.get("piet").disabled
