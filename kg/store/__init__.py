"""Store backends behind the ``GraphStore`` protocol, chosen by a setting."""

from __future__ import annotations

from kg.config import Settings
from kg.errors import StoreUnavailable
from kg.store.base import ChangeSet, GraphStore, QueryResult
from kg.store.oxigraph import OxigraphStore

__all__ = ["ChangeSet", "GraphStore", "OxigraphStore", "QueryResult", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the store the settings name: on-disk oxigraph under ``home/store``, in memory, or remote."""
    if settings.store == "memory":
        return OxigraphStore(None)
    if settings.store == "sparql":
        return _open_remote(settings)
    return OxigraphStore(settings.store_path)


def _open_remote(settings: Settings) -> GraphStore:
    """Connect to the SPARQL server the settings name (``sparql_url`` or the three endpoint URLs)."""
    from kg.store.remote import SparqlProtocolStore

    base = (settings.sparql_url or "").rstrip("/")
    urls = {
        "query": settings.sparql_query_url or (base and f"{base}/query"),
        "update": settings.sparql_update_url or (base and f"{base}/update"),
        "store": settings.sparql_store_url or (base and f"{base}/store"),
    }
    missing = [name for name, url in urls.items() if not url]
    if missing:
        raise StoreUnavailable(
            "store=sparql needs LCGRAPH_SPARQL_URL (or LCGRAPH_SPARQL_QUERY_URL, _UPDATE_URL and "
            f"_STORE_URL); missing: {', '.join(missing)}",
            where="settings",
        )
    return SparqlProtocolStore(
        urls["query"],
        urls["update"],
        urls["store"],
        username=settings.sparql_user,
        password=settings.sparql_password.get_secret_value() if settings.sparql_password else None,
        token=settings.sparql_token.get_secret_value() if settings.sparql_token else None,
        timeout_s=settings.sparql_timeout_s,
        max_connections=settings.max_concurrent_queries + 8,
    )
