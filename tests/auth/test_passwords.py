"""Passwords: argon2id hashes, verification, the length policy, rehashing when parameters change."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kg.accounts import AccountStore, passwords
from kg.accounts.store import account_iri
from kg.errors import InvalidInput
from tests.auth.conftest import PASSWORD


def test_hash_is_argon2id_and_verifies() -> None:
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "!")
    assert not passwords.verify_password(stored, "")
    assert passwords.hash_password(PASSWORD) != stored, "every hash has its own salt"


def test_no_stored_hash_never_verifies() -> None:
    assert not passwords.verify_password(None, PASSWORD)
    assert not passwords.verify_password("not a hash", PASSWORD)


@pytest.mark.parametrize("bad", ["", "Qz9!pw", "x" * 11, "y" * 1025])
def test_policy_gives_a_clear_error_without_the_password(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        passwords.hash_password(bad)
    assert info.value.where == "password"
    assert "at least 12" in info.value.message or "at most 1024" in info.value.message
    if bad:
        assert bad not in str(info.value)


def test_changed_parameters_are_detected() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    old = weak.hash(PASSWORD)
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password(PASSWORD))


def test_sign_in_rehashes_an_old_hash(accounts: AccountStore, monkeypatch: pytest.MonkeyPatch) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", weak)
    accounts.create("old-timer", name="Old Timer", password=PASSWORD)
    before = accounts._props(account_iri("old-timer"))
    monkeypatch.undo()
    assert accounts.authenticate_password("old-timer", PASSWORD) is not None
    after = accounts._props(account_iri("old-timer"))
    key = "https://w3id.org/lcgraph/ontology#passwordHash"
    assert before[key][0].value != after[key][0].value
    assert not passwords.needs_rehash(after[key][0].value)
    assert accounts.authenticate_password("old-timer", PASSWORD) is not None


def test_sign_in_by_id_or_email_and_refusals(accounts: AccountStore) -> None:
    assert accounts.authenticate_password("fenna", PASSWORD) is not None
    assert accounts.authenticate_password("FENNA@example.org", PASSWORD) is not None
    assert accounts.authenticate_password("fenna", "wrong password!!") is None
    assert accounts.authenticate_password("nobody", PASSWORD) is None
    accounts.set_disabled("fenna")
    assert accounts.authenticate_password("fenna", PASSWORD) is None
