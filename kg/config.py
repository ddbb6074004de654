"""Settings for lcgraph, read from the environment (prefix ``LCGRAPH_``).

Settings are built once at the edge (CLI, app factory) and passed down as an argument; nothing in
``kg`` reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration of a knowledge graph and the services around it."""

    model_config = SettingsConfigDict(env_prefix="LCGRAPH_", extra="ignore")

    home: Path = Field(default=Path("./data"), description="Data directory; the store lives in home/store.")
    store: Literal["oxigraph", "memory", "sparql"] = Field(
        default="oxigraph",
        description="Store backend: on-disk oxigraph (default), in memory (tests), or a SPARQL server.",
    )
    base_iri: str = Field(
        default="https://w3id.org/lcgraph/", description="Base of every IRI the platform mints."
    )
    host: str = Field(default="127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port of the HTTP server.")
    query_timeout_s: float = Field(default=10.0, gt=0, description="Wall-clock limit of one SPARQL query.")
    query_row_cap: int = Field(
        default=10_000, gt=0, description="Most result rows one SPARQL query may return."
    )
    query_max_chars: int = Field(default=20_000, gt=0, description="Longest SPARQL query text accepted.")
    max_concurrent_queries: int = Field(default=4, gt=0, description="SPARQL queries evaluated at once.")
    sparql_isolation: Literal["auto", "process", "thread"] = Field(
        default="auto",
        description="Where public SPARQL runs: worker processes killed at the time limit (process), threads "
        "that answer 503 but run on (thread), or auto: processes for the on-disk store, else threads.",
    )
    public_mirror: bool = Field(
        default=True,
        description="Keep a copy of the approved graphs beside the embedded store (home/store-public) and "
        "answer public reads from its union default graph, much faster than over a list of graphs at scale "
        "(kg.public_mirror). Costs the disk space of the public data once more and a copy per write.",
    )
    max_request_bytes: int = Field(
        default=10_000_000, gt=0, description="Largest HTTP request body accepted; larger ones get 413."
    )

    sparql_url: str | None = Field(
        default=None,
        description="Base URL of an oxigraph-style SPARQL server (store=sparql): /query, /update and /store.",
    )
    sparql_query_url: str | None = Field(default=None, description="Query endpoint; default sparql_url/query")
    sparql_update_url: str | None = Field(
        default=None, description="Update endpoint; default sparql_url/update."
    )
    sparql_store_url: str | None = Field(
        default=None, description="Graph Store Protocol endpoint; default sparql_url/store."
    )
    sparql_user: str | None = Field(default=None, description="User for HTTP basic auth at the SPARQL server")
    sparql_password: SecretStr | None = Field(default=None, description="Password for HTTP basic auth.")
    sparql_token: SecretStr | None = Field(default=None, description="Bearer token for the SPARQL server.")
    sparql_timeout_s: float = Field(default=30.0, gt=0, description="Connect and read timeout of a request.")
    revision_poll_s: float = Field(
        default=0.5,
        ge=0,
        description="With store=sparql: how often a process checks the dataset revision for others' writes "
        "(0 turns the watcher off; kg.refresh() still checks on demand).",
    )

    search_enabled: bool = Field(
        default=True, description="Load the embedding models and serve /search, /similar and /crossovers."
    )
    search_embedder: str = Field(
        default="joined", description="Embedder for entities and queries: joined, e5, use or minilm."
    )
    chunk_embedder: str = Field(
        default="use", description="Embedder for document chunks (long texts; USE is ~20x cheaper than e5)."
    )
    search_threads: int = Field(
        default=1, gt=0, description="CPU threads per encode; 1 keeps a busy server responsive on 2 cores."
    )
    search_query_process: bool = Field(
        default=True,
        description="Encode queries in a child process, out of reach of the server's interpreter lock.",
    )
    search_query_processes: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Query encoder processes: under load each encodes batches on one core (one per core).",
    )
    search_query_threads: int = Field(
        default=1,
        gt=0,
        description="CPU threads of the query encoder for a batch, or while other queries wait.",
    )
    search_query_idle_threads: int = Field(
        default=2,
        gt=0,
        description="CPU threads of the query encoder for a query that arrives alone (idle server).",
    )
    search_cache_size: int = Field(default=2048, ge=0, description="Query vectors kept in the LRU cache.")

    # Accounts, sessions and sign-in (docs/accounts.md).
    session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs session and CSRF cookies; default: home/session.key, created (0600) "
        "on first use. Give every server process sharing one store the same key.",
    )
    session_ttl_hours: float = Field(default=336.0, gt=0, description="Lifetime of a browser session.")
    cookie_secure: bool | None = Field(
        default=None, description="Mark cookies Secure; default: on unless the request is to a loopback host."
    )
    login_rate_per_minute: float = Field(
        default=10.0, gt=0, description="Login attempts per minute per address and per account."
    )
    login_burst: int = Field(default=5, gt=0, description="Login attempts allowed at once before limiting.")
    write_rate_per_minute: float = Field(
        default=60.0, gt=0, description="Writes per minute per token, account or address."
    )
    write_burst: int = Field(default=20, gt=0, description="Writes allowed at once before limiting.")
    oidc_preset: Literal["", "linkedin"] = Field(
        default="", description="OpenID Connect provider preset: linkedin fills in issuer and scopes."
    )
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer URL (discovery base).")
    oidc_client_id: str | None = Field(default=None, description="OpenID Connect client id.")
    oidc_client_secret: SecretStr | None = Field(default=None, description="OpenID Connect client secret.")
    oidc_scopes: str | None = Field(
        default=None, description="Scopes asked for; default: openid profile email."
    )
    oidc_redirect_url: str | None = Field(
        default=None, description="Our callback URL as registered at the provider (.../auth/oidc/callback)."
    )
    oidc_new_account_roles: str = Field(
        default="",
        description="Roles of accounts created at first OpenID sign-in (comma-separated; empty: reader).",
    )
    oidc_allow_signup: bool = Field(
        default=True, description="Create an account at the first OpenID sign-in of an unknown identity."
    )

    @property
    def index_path(self) -> Path:
        """Directory of the search indexes (one subdirectory per index)."""
        return self.home / "index"

    @property
    def store_path(self) -> Path:
        """Directory of the on-disk store."""
        return self.home / "store"
