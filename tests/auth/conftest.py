"""Fixtures of the account tests: settings, an account store, real servers over one shared store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, FastAPI

from api.app import create_app
from api.auth import limit_writes, require
from kg.accounts import AccountStore, passwords
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.permissions import Permission, Principal, Role
from kg.store import OxigraphStore
from tests.conftest import AppServer as Server

PASSWORD = "correct horse battery staple"
SECRET = "s" * 48


def auth_settings(home: Path, **overrides: object) -> Settings:
    """Settings for an account test: in-memory store, no search, a fixed signing secret."""
    values: dict[str, object] = {
        "store": "memory",
        "home": home,
        "search_enabled": False,
        "session_secret": SECRET,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def probe_router() -> APIRouter:
    """Endpoints a later issue will own, stood in by probes: one per kind of permission check."""
    router = APIRouter()

    @router.post("/probe/experience")
    async def experience(
        principal: Annotated[Principal, Depends(require(Permission.EXPERIENCE_CREATE))],
        _limit: Annotated[Principal, Depends(limit_writes)],
    ) -> dict[str, str | None]:
        return {"account": principal.account_id, "via": principal.via}

    @router.post("/probe/moderate")
    async def moderate(
        principal: Annotated[Principal, Depends(require(Permission.MODERATE))],
    ) -> dict[str, str | None]:
        return {"account": principal.account_id}

    return router


def make_app(kg: KnowledgeGraph, settings: Settings) -> FastAPI:
    app = create_app(settings, kg=kg)
    app.include_router(probe_router())
    return app


@pytest.fixture(autouse=True)
def cheap_argon2(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with argon2id at a low cost (8 MiB, one pass) so the suite stays quick on two shared cores.

    test_passwords.py keeps the production parameters: it is where they are tested.
    """
    if request.module.__name__.endswith("test_passwords"):
        return
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    )


@pytest.fixture()
def shared_store() -> Iterator[OxigraphStore]:
    """One store that several knowledge-graph objects (standing in for server processes) share."""
    store = OxigraphStore(None)
    yield store


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return auth_settings(tmp_path)


@pytest.fixture()
def kg(shared_store: OxigraphStore, settings: Settings) -> KnowledgeGraph:
    return KnowledgeGraph(shared_store, settings)


@pytest.fixture()
def accounts(shared_store: OxigraphStore) -> AccountStore:
    """The account store with three accounts: a facilitator, a moderator, and a reader without role."""
    store = AccountStore(shared_store)
    store.create(
        "fenna",
        name="Fenna Facilitator",
        email="fenna@example.org",
        roles=[Role.FACILITATOR],
        password=PASSWORD,
    )
    store.create("mo", name="Mo Moderator", email="mo@example.org", roles=[Role.MODERATOR], password=PASSWORD)
    store.create("rita", name="Rita Reader", password=PASSWORD)
    return store


@pytest.fixture()
def two_servers(
    shared_store: OxigraphStore, settings: Settings, accounts: AccountStore
) -> Iterator[tuple[Server, Server]]:
    """Two servers, each with its own knowledge graph and app, over one store: like two worker processes."""
    graphs = [KnowledgeGraph(shared_store, settings) for _ in range(2)]
    servers = [Server(make_app(g, settings)).start() for g in graphs]
    yield servers[0], servers[1]
    for s in servers:
        s.stop()
    for g in graphs:
        g.executor.close()


@pytest.fixture()
def server(two_servers: tuple[Server, Server]) -> Server:
    return two_servers[0]
