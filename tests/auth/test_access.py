"""Access over real HTTP: bearer tokens, 401/403, rate limits (429), no secret in any answer or log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from kg.accounts import AccountStore
from kg.graph import KnowledgeGraph
from kg.permissions import Role, Scope
from kg.store import OxigraphStore
from tests.auth.conftest import PASSWORD, Server, auth_settings, make_app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_anonymous_write_is_401_with_www_authenticate(server: Server) -> None:
    r = httpx.post(server.url + "/probe/experience")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="lcgraph"'
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/unauthenticated" and "experience:create" in r.json()["detail"]


def test_tokens_over_http(server: Server, accounts: AccountStore) -> None:
    write = accounts.create_token("fenna", frozenset({Scope.READ, Scope.WRITE})).token
    read = accounts.create_token("fenna", frozenset({Scope.READ})).token
    moderate = accounts.create_token("mo", frozenset({Scope.MODERATE})).token
    ok = httpx.post(server.url + "/probe/experience", headers=bearer(write))
    assert ok.status_code == 200 and ok.json() == {"account": "fenna", "via": "token"}, "no CSRF for bearer"
    denied = httpx.post(server.url + "/probe/experience", headers=bearer(read))
    assert denied.status_code == 403 and "scopes" in denied.json()["detail"]
    by_role = httpx.post(server.url + "/probe/moderate", headers=bearer(write))
    assert by_role.status_code == 403 and "roles" in by_role.json()["detail"]
    assert httpx.post(server.url + "/probe/moderate", headers=bearer(moderate)).status_code == 200
    me = httpx.get(server.url + "/auth/me", headers=bearer(read)).json()
    assert me["via"] == "token" and me["scopes"] == ["read"] and me["account"]["id"] == "fenna"
    for bad in ("lcg_nope", write[:-3] + "abc", "Basic abc"):
        headers = {"Authorization": bad} if bad.startswith("Basic") else bearer(bad)
        r = httpx.get(server.url + "/auth/me", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    accounts.revoke_token(write.split("_")[1])
    assert httpx.post(server.url + "/probe/experience", headers=bearer(write)).status_code == 401


@pytest.fixture()
def strict_server(tmp_path: Path) -> Iterator[tuple[Server, AccountStore]]:
    """A server whose limits are tiny: two logins and three writes at once, slow refill."""
    settings = auth_settings(
        tmp_path, login_burst=2, login_rate_per_minute=1, write_burst=3, write_rate_per_minute=1
    )
    store = OxigraphStore(None)
    accounts = AccountStore(store)
    accounts.create("fenna", name="Fenna", roles=[], password=PASSWORD)
    accounts.set_roles("fenna", add=[Role.FACILITATOR])
    kg = KnowledgeGraph(store, settings)
    server = Server(make_app(kg, settings)).start()
    yield server, accounts
    server.stop()
    kg.executor.close()


def test_login_rate_limit_answers_429(strict_server: tuple[Server, AccountStore]) -> None:
    server, _ = strict_server
    answers = [
        httpx.post(server.url + "/auth/login", json={"login": "fenna", "password": "wrong password!"})
        for _ in range(3)
    ]
    assert [r.status_code for r in answers] == [401, 401, 429]
    limited = answers[-1]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["type"] == "/problems/rate-limited" and "try again in" in limited.json()["detail"]
    right = httpx.post(server.url + "/auth/login", json={"login": "fenna", "password": PASSWORD})
    assert right.status_code == 429, "the right password does not jump the queue"


def test_write_rate_limit_per_token(strict_server: tuple[Server, AccountStore]) -> None:
    server, accounts = strict_server
    first = accounts.create_token("fenna", frozenset({Scope.WRITE}), expires_in=timedelta(days=1)).token
    second = accounts.create_token("fenna", frozenset({Scope.WRITE})).token
    codes = [
        httpx.post(server.url + "/probe/experience", headers=bearer(first)).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert httpx.post(server.url + "/probe/experience", headers=bearer(second)).status_code == 200


def test_no_secret_in_answers_or_logs(
    tmp_path: Path, accounts: AccountStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = auth_settings(tmp_path)
    kg = KnowledgeGraph(accounts.store, settings)
    server = Server(make_app(kg, settings), log_level="debug").start()
    try:
        token = accounts.create_token("fenna", frozenset({Scope.READ, Scope.WRITE})).token
        wrong_password = "Wr0ng-but-secret-passphrase"
        bodies = []
        bodies.append(
            httpx.post(server.url + "/auth/login", json={"login": "fenna", "password": wrong_password})
        )
        bodies.append(
            httpx.post(server.url + "/auth/login", data={"login": "fenna", "password": wrong_password})
        )
        bodies.append(
            httpx.post(server.url + "/auth/login", json={"login": wrong_password, "password": PASSWORD})
        )
        ok = httpx.post(server.url + "/auth/login", json={"login": "fenna", "password": PASSWORD})
        cookie = ok.cookies["lcgraph_session"]
        bodies.append(ok)
        bodies.append(httpx.get(server.url + "/auth/me", headers=bearer(token)))
        bodies.append(httpx.get(server.url + "/auth/me", headers=bearer(token + "x")))
        bodies.append(httpx.post(server.url + "/probe/experience", cookies={"lcgraph_session": cookie}))
        bodies.append(httpx.post(server.url + "/auth/logout", cookies={"lcgraph_session": cookie + "x"}))
        secret_part = token.split("_", 2)[2]
        for r in bodies:
            for secret in (wrong_password, PASSWORD, secret_part, cookie.split(".")[0]):
                assert secret not in r.text, (r.request.url, r.text)
        # Our server's records only: the test's own HTTP client logs the cookies it receives.
        server_log = "\n".join(
            r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
        )
        assert "POST /auth/login" in server_log, "no access log captured: the check would prove nothing"
        for secret in (wrong_password, PASSWORD, secret_part, cookie.split(".")[0]):
            assert secret not in server_log
    finally:
        server.stop()
        kg.executor.close()
