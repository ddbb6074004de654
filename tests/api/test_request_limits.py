"""Request bodies over ``max_request_bytes`` get 413 with a problem+json message on every route that
accepts a body, whether the size is announced (Content-Length) or only seen while streaming."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from kg.config import Settings
from kg.graph import KnowledgeGraph
from tests.conftest import LiveServer
from tests.reliability.ledger import record

LIMIT = 4096
SCENARIO = "request limits over HTTP"


def body_routes(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) of the app that takes a request body, path parameters filled in."""
    spec = create_app(settings).openapi()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "x", path))
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    ]


@pytest.fixture(scope="module")
def limits_settings(memory_settings: Settings) -> Settings:
    return memory_settings.model_copy(update={"max_request_bytes": LIMIT, "search_enabled": False})


@pytest.fixture(scope="module")
def limited_server(catalog_kg: KnowledgeGraph, limits_settings: Settings) -> Iterator[LiveServer]:
    kg = KnowledgeGraph(catalog_kg.store, limits_settings)
    server = LiveServer(kg, limits_settings)
    server.start()
    yield server
    server.stop()
    kg.executor.close()


def test_there_are_body_routes_to_check(limits_settings: Settings) -> None:
    assert ("POST", "/sparql") in body_routes(limits_settings)


def _assert_413(r: httpx.Response) -> None:
    assert r.status_code == 413, (r.status_code, r.text[:200])
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["type"] == "/problems/request-too-large" and body["status"] == 413
    assert f"{LIMIT / 1000:g} KB" in body["detail"] and "max_request_bytes" in body["detail"]


def test_every_body_route_refuses_an_announced_oversized_body(
    limited_server: LiveServer, limits_settings: Settings
) -> None:
    routes = body_routes(limits_settings)
    with httpx.Client(base_url=limited_server.url, timeout=10) as client:
        for method, path in routes:
            r = client.request(
                method, path, content=b"x" * (LIMIT + 1), headers={"Content-Type": "application/json"}
            )
            _assert_413(r)
            assert "4.097 KB" in r.json()["detail"]
    record(SCENARIO, faults=len(routes), inputs=len(routes))


def test_every_body_route_refuses_an_oversized_streamed_body(
    limited_server: LiveServer, limits_settings: Settings
) -> None:
    """A chunked body carries no Content-Length: the middleware counts the bytes as they arrive."""
    routes = body_routes(limits_settings)

    def chunks(n: int) -> Iterator[bytes]:
        for _ in range(n):
            yield b"y" * 1024

    headers = {"Content-Type": "application/sparql-query"}
    refused = 0
    with httpx.Client(base_url=limited_server.url, timeout=10) as client:
        for method, path in routes:
            r = client.request(method, path, content=chunks(64), headers=headers)  # 16 times the limit
            assert "content-length" not in r.request.headers
            if r.status_code != 413:
                # A route that never reads its body holds none of it in memory; it must answer the
                # same as to a small body then (logout needs no body).
                small = client.request(method, path, content=chunks(1), headers=headers)
                assert (r.status_code, r.text) == (small.status_code, small.text), (method, path)
                continue
            _assert_413(r)
            refused += 1
    assert refused >= 3  # /sparql, /cases/similar, /crossovers read their bodies
    record(SCENARIO, faults=len(routes), inputs=len(routes))


def test_a_body_under_the_limit_is_not_refused(limited_server: LiveServer) -> None:
    query = "ASK { ?s ?p ?o }" + " " * (LIMIT - 100)
    r = httpx.post(
        limited_server.url + "/sparql",
        content=query.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    record(SCENARIO, inputs=1)
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_the_413_is_declared_in_the_openapi_of_sparql(limits_settings: Settings) -> None:
    spec = create_app(limits_settings).openapi()
    assert "413" in spec["paths"]["/sparql"]["post"]["responses"]
