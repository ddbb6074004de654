"""OpenID Connect sign-in (authorization-code flow with PKCE, state and nonce): the client side.

Generic over any provider with a discovery document; ``oidc_preset=linkedin`` fills in LinkedIn's issuer
and scopes. The ID token's signature is checked against the provider's JWKS (``joserfc``), as are its
issuer, audience, expiry and nonce. Discovery and keys are cached for an hour; an unknown key id refetches
the keys once (providers rotate them).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet

from kg.config import Settings
from kg.errors import InvalidInput, Unauthenticated

PRESETS: dict[str, dict[str, str]] = {
    "linkedin": {"issuer": "https://www.linkedin.com/oauth", "scopes": "openid profile email"},
}
DEFAULT_SCOPES = "openid profile email"
CACHE_SECONDS = 3600.0
LEEWAY_SECONDS = 60
ASYMMETRIC_ALGS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@dataclass(frozen=True)
class OidcConfig:
    """One OpenID Connect provider and our client registration at it."""

    issuer: str
    client_id: str
    client_secret: str = ""
    scopes: str = DEFAULT_SCOPES
    redirect_url: str | None = None
    timeout_s: float = 10.0

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"OidcConfig(issuer={self.issuer!r}, client_id={self.client_id!r})"


def oidc_config(settings: Settings) -> OidcConfig | None:
    """Return the configured provider (preset values first, explicit settings win), or ``None`` if unset."""
    preset = PRESETS.get(settings.oidc_preset, {})
    issuer = settings.oidc_issuer or preset.get("issuer")
    if not issuer or not settings.oidc_client_id:
        return None
    return OidcConfig(
        issuer=issuer.rstrip("/"),
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else "",
        scopes=settings.oidc_scopes or preset.get("scopes", DEFAULT_SCOPES),
        redirect_url=settings.oidc_redirect_url,
    )


def pkce_pair() -> tuple[str, str]:
    """Return a PKCE ``(code_verifier, code_challenge)`` pair (S256)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class OidcUser:
    """Who the provider says signed in."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    preferred_username: str | None


class OidcClient:
    """Talks to one provider: discovery, authorization URL, code exchange, ID-token verification."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def _get_json(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.config.timeout_s, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated(
                f"the sign-in provider did not answer properly ({type(exc).__name__})"
            ) from None
        if not isinstance(data, dict):
            raise Unauthenticated("the sign-in provider answered with something unexpected")
        return data

    def discovery(self) -> dict[str, Any]:
        """Return the provider's discovery document (cached), checking that it names our issuer."""
        with self._lock:
            if self._discovery and time.monotonic() - self._discovery[0] < CACHE_SECONDS:
                return self._discovery[1]
        doc = self._get_json(self.config.issuer + "/.well-known/openid-configuration")
        if str(doc.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise Unauthenticated("the sign-in provider's discovery document names another issuer")
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(doc.get(field), str):
                raise Unauthenticated(f"the sign-in provider's discovery document lacks {field}")
        with self._lock:
            self._discovery = (time.monotonic(), doc)
        return doc

    def keys(self, *, refresh: bool = False) -> KeySet:
        """Return the provider's signing keys (cached; ``refresh`` fetches them again)."""
        with self._lock:
            if not refresh and self._keys and time.monotonic() - self._keys[0] < CACHE_SECONDS:
                return self._keys[1]
        data = self._get_json(self.discovery()["jwks_uri"])
        try:
            keyset = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (jose_errors.JoseError, ValueError, KeyError, TypeError):
            raise Unauthenticated("the sign-in provider's keys cannot be read") from None
        with self._lock:
            self._keys = (time.monotonic(), keyset)
        return keyset

    def authorization_url(self, redirect_url: str, *, state: str, nonce: str, code_challenge: str) -> str:
        """Return the provider URL that starts a sign-in."""
        params = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": redirect_url,
            "scope": self.config.scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        endpoint: str = self.discovery()["authorization_endpoint"]
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def exchange(self, code: str, *, redirect_url: str, code_verifier: str) -> dict[str, Any]:
        """Exchange an authorization code for tokens at the token endpoint."""
        doc = self.discovery()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_url,
            "code_verifier": code_verifier,
        }
        # client_secret_basic is the default when a provider lists nothing; LinkedIn only takes _post.
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        auth: tuple[str, str] | None = None
        if "client_secret_basic" in methods:
            auth = (self.config.client_id, self.config.client_secret)
        else:
            data |= {"client_id": self.config.client_id, "client_secret": self.config.client_secret}
        try:
            response = httpx.post(
                doc["token_endpoint"],
                data=data,
                auth=auth,
                headers={"Accept": "application/json"},
                timeout=self.config.timeout_s,
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise Unauthenticated(
                f"the sign-in provider did not answer properly ({type(exc).__name__})"
            ) from None
        if response.status_code != 200 or not isinstance(body, dict) or "id_token" not in body:
            error = body.get("error") if isinstance(body, dict) else None
            raise Unauthenticated(
                f"the sign-in provider refused the code ({str(error or response.status_code)[:60]})"
            )
        return body

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """Verify an ID token: signature (JWKS), iss, aud, azp, exp, iat and nonce; return its claims."""
        allowed = (
            set(self.discovery().get("id_token_signing_alg_values_supported") or ["RS256"]) & ASYMMETRIC_ALGS
        )
        if not allowed:
            raise Unauthenticated("the sign-in provider signs ID tokens with no algorithm we accept")
        try:
            try:
                token = jwt.decode(id_token, self.keys(), algorithms=sorted(allowed))
            except (jose_errors.InvalidKeyIdError, jose_errors.MissingKeyError, ValueError):
                token = jwt.decode(id_token, self.keys(refresh=True), algorithms=sorted(allowed))
            registry = jwt.JWTClaimsRegistry(
                leeway=LEEWAY_SECONDS,
                iss={"essential": True, "value": self.config.issuer},
                sub={"essential": True},
                aud={"essential": True, "value": self.config.client_id},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except jose_errors.JoseError as exc:
            raise Unauthenticated(
                f"the ID token from the sign-in provider is not valid ({exc.error})"
            ) from None
        claims = dict(token.claims)
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.config.client_id:
            raise Unauthenticated("the ID token was issued to another client")
        return claims

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """Return the userinfo claims (when the provider has the endpoint), else an empty dict."""
        endpoint = self.discovery().get("userinfo_endpoint")
        if not isinstance(endpoint, str) or not access_token:
            return {}
        return self._get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})

    def sign_in(self, code: str, *, redirect_url: str, code_verifier: str, nonce: str) -> OidcUser:
        """Finish a sign-in: exchange the code, verify the ID token, fill in profile claims from userinfo."""
        tokens = self.exchange(code, redirect_url=redirect_url, code_verifier=code_verifier)
        claims = self.verify_id_token(str(tokens["id_token"]), nonce=nonce)
        if not claims.get("email") or not claims.get("name"):
            info = self.userinfo(str(tokens.get("access_token", "")))
            if info.get("sub") == claims["sub"]:
                claims = {**info, **claims}
        return OidcUser(
            issuer=self.config.issuer,
            subject=str(claims["sub"]),
            email=str(claims["email"]) if claims.get("email") else None,
            email_verified=claims.get("email_verified") in (True, "true"),
            name=str(claims["name"]) if claims.get("name") else None,
            preferred_username=str(claims["preferred_username"])
            if claims.get("preferred_username")
            else None,
        )


def encode_pending(data: dict[str, str]) -> str:
    """Encode the pending sign-in (state, nonce, verifier, next) for a signed cookie."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_pending(value: str) -> dict[str, str]:
    """Decode what :func:`encode_pending` made (the signature was checked before)."""
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except ValueError:
        raise InvalidInput("the sign-in cookie is damaged; start the sign-in again", where="oidc") from None
    if not isinstance(data, dict):
        raise InvalidInput("the sign-in cookie is damaged; start the sign-in again", where="oidc")
    return {str(k): str(v) for k, v in data.items()}


__all__ = [
    "PRESETS",
    "OidcClient",
    "OidcConfig",
    "OidcUser",
    "decode_pending",
    "encode_pending",
    "oidc_config",
    "pkce_pair",
]
