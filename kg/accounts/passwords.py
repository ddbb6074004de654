"""Password hashing with argon2id (``argon2-cffi``): hash, verify, and rehash when parameters change.

Hashes are PHC strings (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``) that carry their parameters, so
raising the cost later only needs :func:`needs_rehash` at the next successful sign-in.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kg.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
"""Shortest password accepted: length is what makes a password strong."""

MAX_PASSWORD_LENGTH = 1024
"""Longest password accepted, so nobody can make the server hash megabytes."""

_HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults (64 MiB, t=3).


@cache
def _dummy_hash() -> str:
    """Return a hash to verify against when there is none, made once on first use."""
    return _HASHER.hash("lcgraph-timing-equaliser-not-a-password")


def check_policy(password: str) -> None:
    """Raise :class:`InvalidInput` when ``password`` is too short or too long (never echoing it)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters", where="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters", where="password"
        )


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """Check the policy and return the argon2id hash of ``password``."""
    check_policy(password)
    return (hasher or _HASHER).hash(password)


def rehash(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """Hash a password that just verified with the current parameters (no policy check: it is in use)."""
    return (hasher or _HASHER).hash(password)


def verify_password(stored: str | None, password: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Tell whether ``password`` matches ``stored``; without a stored hash, spend the same time and say no.

    Taking the same time whether or not the account exists keeps sign-in from revealing which ids exist.
    """
    h = hasher or _HASHER
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        if stored is None:
            h.verify(_dummy_hash(), password + "\x00")
            return False
        return h.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, *, hasher: PasswordHasher | None = None) -> bool:
    """Tell whether ``stored`` was made with other parameters than the current ones."""
    try:
        return (hasher or _HASHER).check_needs_rehash(stored)
    except InvalidHashError:
        return True


__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "check_policy",
    "hash_password",
    "needs_rehash",
    "rehash",
    "verify_password",
]
