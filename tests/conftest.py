"""Shared fixtures: a loaded catalog in memory (read-only tests), fresh stores, a live server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.search.service import SearchService


@pytest.fixture(scope="session")
def memory_settings() -> Settings:
    # a fixed signing key: browser sign-in on the test servers never writes home/session.key
    return Settings(
        store="memory",
        home=Path("/nonexistent-lcgraph-home"),
        session_secret="lcgraph-tests-session-secret-0123456789",
        # the tests run one at a time: building the session's index on both cores saves ~25 s of e5
        search_threads=2,
    )


@pytest.fixture(scope="session")
def catalog_kg(memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    """The full curated catalog loaded once into an in-memory store. Do not write to it."""
    kg = KnowledgeGraph.open(memory_settings)
    load_catalog(kg)
    yield kg
    kg.close()


@pytest.fixture()
def disk_settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", query_timeout_s=5.0)


@pytest.fixture()
def empty_kg(memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    kg = KnowledgeGraph.open(memory_settings)
    yield kg
    kg.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """A real uvicorn server on 127.0.0.1 for one application, stopped by the fixture that made it."""

    def __init__(self, app: FastAPI, *, log_level: str = "warning", port: int | None = None) -> None:
        self.port = port or free_port()
        # At debug level, leave logging unconfigured so records reach the root logger (and caplog).
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level=log_level,
            lifespan="on",
            log_config=None if log_level == "debug" else uvicorn.config.LOGGING_CONFIG,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("test server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "a test server did not shut down"


class LiveServer(AppServer):
    """A real server for the app over ``kg`` (and, if given, a search service), stopped by the fixture."""

    def __init__(
        self, kg: KnowledgeGraph, settings: Settings, *, search_service: SearchService | None = None
    ) -> None:
        super().__init__(create_app(settings, kg=kg, search_service=search_service))


@pytest.fixture(scope="session")
def live_server(catalog_kg: KnowledgeGraph, memory_settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(catalog_kg, memory_settings)
    server.start()
    yield server
    server.stop()
    assert not server.thread.is_alive(), "the test server did not shut down"


@pytest.fixture(scope="session")
def search_kg(memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    """A second in-memory catalog graph, for the search tests: they write to it and remove what they wrote."""
    kg = KnowledgeGraph.open(memory_settings)
    load_catalog(kg)
    yield kg
    kg.close()


@pytest.fixture(scope="session")
def search_service(search_kg: KnowledgeGraph, memory_settings: Settings) -> Iterator[SearchService]:
    """The real search service (joined e5 + USE, one thread) over ``search_kg``, built once per session."""
    service = SearchService.open(search_kg, memory_settings)
    yield service
    service.close()


@pytest.fixture(scope="session")
def catalog_index_seed(search_service: SearchService, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's catalog vectors as a saved index, to copy into a home before its search starts.

    Encoding the catalog with e5 takes about a minute on 2 cores; a home seeded with this copy encodes
    only what its graph has and the copy lacks (tests that check the encoding itself drop some ids).
    """
    seed = tmp_path_factory.mktemp("index-seed") / "index"
    search_service.engine.save_copy(seed)
    return seed


@pytest.fixture(scope="session")
def search_server(
    search_kg: KnowledgeGraph, memory_settings: Settings, search_service: SearchService
) -> Iterator[LiveServer]:
    """A live server over ``search_kg`` with the session's search service."""
    server = LiveServer(search_kg, memory_settings, search_service=search_service)
    server.start()
    yield server
    server.stop()
    assert not server.thread.is_alive(), "the search test server did not shut down"
