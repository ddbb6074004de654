"""Fixtures of the contribution tests: a catalog store with accounts of every role and a real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from kg.accounts import AccountStore
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.permissions import Role, Scope
from tests.conftest import AppServer

ROLES: dict[str, tuple[list[Role], bool]] = {
    "dev": ([Role.DEVELOPER], False),
    "trusted-dev": ([Role.DEVELOPER], True),
    "webber": ([Role.FACILITATOR], False),
    "trusted-webber": ([Role.FACILITATOR], True),
    "mod": ([Role.MODERATOR], False),
    "admin": ([Role.ADMIN], False),
    "reader": ([], False),
}
"""Account id -> (roles, trusted) of the accounts every contribution test can act as."""


@dataclass
class Platform:
    """A running server over a catalog store, with one API token per account (all scopes it may have)."""

    server: AppServer
    kg: KnowledgeGraph
    accounts: AccountStore
    tokens: dict[str, str]

    def client(self, who: str | None = None) -> httpx.Client:
        """Return an HTTP client acting as account ``who`` (anonymous when ``None``)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.server.url, headers=headers, timeout=30)


def start_platform(home: Path, **overrides: object) -> tuple[Platform, KnowledgeGraph]:
    """Load the catalog into a fresh in-memory store, make the accounts and tokens, start a server.

    ``overrides`` are further settings (e.g. higher sign-in limits for browser journeys).
    """
    settings = Settings(
        store="memory",
        home=home,
        search_enabled=False,
        session_secret="s" * 48,
        **overrides,  # type: ignore[arg-type]
    )
    kg = KnowledgeGraph.open(settings)
    load_catalog(kg)
    accounts = AccountStore(kg.store)
    tokens = {}
    for account_id, (roles, trusted) in ROLES.items():
        accounts.create(account_id, name=account_id.title(), roles=roles, trusted=trusted)
        scopes = {Scope.READ} | ({Scope.WRITE} if roles else set())
        if Role.MODERATOR in roles or Role.ADMIN in roles:
            scopes |= {Scope.MODERATE}
        if Role.ADMIN in roles:
            scopes |= {Scope.ADMIN}
        tokens[account_id] = accounts.create_token(account_id, frozenset(scopes)).token
    server = AppServer(create_app(settings, kg=kg)).start()
    return Platform(server, kg, accounts, tokens), kg


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform shared by the tests of one module (they write different slugs)."""
    p, kg = start_platform(tmp_path_factory.mktemp("contrib"))
    yield p
    p.server.stop()
    kg.close()
