"""Secrets of API tokens, session cookies and CSRF tokens: making, hashing, signing, checking.

* API tokens read ``lcg_<token-id>_<secret>``: the id finds the record, the secret (32 random bytes) is
  stored only as its SHA-256 (a fast hash suffices for a high-entropy secret) and compared in constant time.
* Session cookies and CSRF tokens are HMAC-SHA256 signatures under one signing key, shared by every server
  process of a deployment: configured (``LCGRAPH_SESSION_SECRET``) or kept in ``home/session.key`` (0600).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from kg.config import Settings
from kg.errors import StoreUnavailable

TOKEN_PREFIX = "lcg"
KEY_FILE = "session.key"


def new_token() -> tuple[str, str, str]:
    """Return ``(token_id, secret, token)`` for a fresh API token; ``token`` is shown to its owner once."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return token_id, secret, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def parse_token(token: str) -> tuple[str, str] | None:
    """Split a presented token into ``(token_id, secret)``, or ``None`` when it is not one of ours."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    token_id, secret = parts[1], parts[2]
    if len(token_id) != 12 or any(c not in "0123456789abcdef" for c in token_id) or len(secret) > 128:
        return None
    return token_id, secret


def hash_secret(secret: str) -> str:
    """Return the SHA-256 hex digest of a high-entropy secret (what the store keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(stored_hash: str, secret: str) -> bool:
    """Compare a presented secret with its stored hash in constant time."""
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_secret(secret).encode("ascii"))


def new_session_key() -> str:
    """Return a random session key (the part of a session cookie that names the session)."""
    return secrets.token_urlsafe(24)


def signing_key(settings: Settings) -> bytes:
    """Return the key that signs cookies: the configured secret, or ``home/session.key`` (made if missing).

    The file is created with mode 0600 in one ``open(O_CREAT | O_EXCL)``, so two processes starting at
    once agree on one key and no other user can read it.
    """
    if settings.session_secret is not None:
        value = settings.session_secret.get_secret_value().encode("utf-8")
        if len(value) < 32:
            raise StoreUnavailable("the session secret is too short: use at least 32 characters")
        return value
    path = Path(settings.home) / KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes().strip()
        else:
            key = secrets.token_hex(32).encode("ascii")
            with os.fdopen(fd, "wb") as f:
                f.write(key + b"\n")
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot read or create the session key: {exc.strerror}; set LCGRAPH_SESSION_SECRET",
            where=str(path),
        ) from None
    if len(key) < 32:
        raise StoreUnavailable("the session key file is damaged (too short)", where=str(path))
    return key


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(key: bytes, purpose: str, value: str) -> str:
    """Return ``value.signature``, signed for one ``purpose`` (so it cannot serve another purpose)."""
    return f"{value}.{_mac(key, purpose, value)}"


def unsign(key: bytes, purpose: str, signed: str) -> str | None:
    """Return the value of a signed string, or ``None`` when the signature does not match."""
    value, sep, mac = signed.rpartition(".")
    if not sep or not value:
        return None
    if hmac.compare_digest(mac.encode("ascii", "replace"), _mac(key, purpose, value).encode("ascii")):
        return value
    return None


def mac(key: bytes, purpose: str, value: str) -> str:
    """Return only the signature of ``value`` for ``purpose`` (CSRF tokens bound to a session)."""
    return _mac(key, purpose, value)


__all__ = [
    "TOKEN_PREFIX",
    "hash_secret",
    "mac",
    "new_session_key",
    "new_token",
    "parse_token",
    "secret_matches",
    "sign",
    "signing_key",
    "unsign",
]
