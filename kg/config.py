"""Settings for lcgraph, read from the environment (prefix ``LCGRAPH_``).

Settings are built once at the edge (CLI, app factory) and passed down as an argument; nothing in
``kg`` reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration of a knowledge graph and the services around it."""

    model_config = SettingsConfigDict(env_prefix="LCGRAPH_", extra="ignore")

    home: Path = Field(default=Path("./data"), description="Data directory; the store lives in home/store.")
    store: Literal["oxigraph", "memory"] = Field(
        default="oxigraph", description="Store backend: on-disk oxigraph (default) or in-memory (tests)."
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
    search_query_threads: int = Field(
        default=1, gt=0, description="CPU threads of the query encoder process."
    )
    search_cache_size: int = Field(default=2048, ge=0, description="Query vectors kept in the LRU cache.")

    @property
    def index_path(self) -> Path:
        """Directory of the search indexes (one subdirectory per index)."""
        return self.home / "index"

    @property
    def store_path(self) -> Path:
        """Directory of the on-disk store."""
        return self.home / "store"
