"""OpenID Connect sign-in end to end against a real provider (npm ``oidc-provider``) on 127.0.0.1.

The browser is an httpx client that follows redirects and fills in the provider's own login and consent
forms. Needs node and npm; the fixture runs ``npm ci`` in tests/oidc when node_modules is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from kg.accounts import AccountStore
from kg.graph import KnowledgeGraph
from kg.permissions import Role
from kg.store import OxigraphStore
from tests.auth.conftest import PASSWORD, Server, auth_settings, make_app
from tests.conftest import free_port

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node (and npm) for oidc-provider")


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, int]]:
    """Run the real provider; yield (issuer, port of our server it redirects back to)."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True, timeout=300)
    port, our_port = free_port(), free_port()
    env = {
        "PATH": os.environ["PATH"],
        "PORT": str(port),
        "REDIRECT_URI": f"http://127.0.0.1:{our_port}/auth/oidc/callback",
        "CLIENT_SECRET": CLIENT_SECRET,
    }
    process = subprocess.Popen(
        ["node", "provider.mjs"],
        cwd=OIDC_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "READY", f"the provider did not start: {line!r}"
        yield f"http://127.0.0.1:{port}", our_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture()
def site(provider: tuple[str, int], tmp_path: Path) -> Iterator[tuple[Server, AccountStore]]:
    issuer, our_port = provider
    settings = auth_settings(
        tmp_path,
        oidc_issuer=issuer,
        oidc_client_id="lcgraph-test",
        oidc_client_secret=CLIENT_SECRET,
        oidc_new_account_roles="contributor:facilitator",
    )
    store = OxigraphStore(None)
    kg = KnowledgeGraph(store, settings)
    server = Server(make_app(kg, settings), port=our_port).start()
    yield server, AccountStore(store)
    server.stop()
    kg.executor.close()


FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S | re.I)
INPUT = re.compile(r"<input[^>]*>", re.I)


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', tag)
    return unescape(match.group(1)) if match else None


def browse_through_provider(browser: httpx.Client, start: str) -> httpx.Response:
    """Follow the sign-in: submit each form the provider shows (login, then consent) until it lets go."""
    response = browser.get(start)
    for _ in range(5):
        form = FORM.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if form is None:
            return response
        fields: dict[str, str] = {}
        for tag in INPUT.findall(form.group(2)):
            name = _attr(tag, "name")
            if name:
                fields[name] = _attr(tag, "value") or ""
        if "login" in fields:
            fields |= {"login": "ada-0001", "password": "any password the dev form ignores"}
        response = browser.post(str(response.url.join(unescape(form.group(1)))), data=fields)
    raise AssertionError("the provider kept showing forms")


def test_discovery_login_redirect_carries_pkce_state_and_nonce(site: tuple[Server, AccountStore]) -> None:
    server, _ = site
    r = httpx.get(server.url + "/auth/oidc/login")
    assert r.status_code == 303
    location = httpx.URL(r.headers["location"])
    params = dict(location.params)
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["scope"] == "openid profile email"
    assert params["redirect_uri"] == server.url + "/auth/oidc/callback"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("lcgraph_oidc="))
    assert "HttpOnly" in cookie and "Path=/auth/oidc" in cookie


def test_sign_in_creates_and_then_finds_the_account(site: tuple[Server, AccountStore]) -> None:
    server, accounts = site
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        me = browse_through_provider(browser, server.url + "/auth/oidc/login?next=/auth/me")
        assert me.url == server.url + "/auth/me", me.text[:500]
        body = me.json()
    assert body["authenticated"] and body["via"] == "session"
    account = body["account"]
    assert (
        account["id"] == "ada" and account["name"] == "Ada Lovelace" and account["email"] == "ada@example.org"
    )
    assert account["roles"] == ["contributor:facilitator"]
    assert account["identities"] == [
        {"issuer": accounts.get("ada").identities[0].issuer, "subject": "ada-0001"}
    ]
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        again = browse_through_provider(browser, server.url + "/auth/oidc/login?next=/auth/me").json()
    assert again["account"]["id"] == "ada"
    assert [a.id for a in accounts.accounts()] == ["ada"], "the second sign-in finds the linked account"


def test_signed_in_user_links_the_identity_and_email_alone_never_links(
    site: tuple[Server, AccountStore],
) -> None:
    server, accounts = site
    accounts.create(
        "ada-l", name="Ada L.", email="ada@example.org", roles=[Role.DEVELOPER], password=PASSWORD
    )
    with httpx.Client(follow_redirects=True, timeout=30) as stranger:
        refused = browse_through_provider(stranger, server.url + "/auth/oidc/login?next=/auth/me")
        assert refused.status_code == 409 and refused.json()["where"] == "email"
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        assert (
            browser.post(
                server.url + "/auth/login", json={"login": "ada-l", "password": PASSWORD}
            ).status_code
            == 200
        )
        me = browse_through_provider(browser, server.url + "/auth/oidc/login?next=/auth/me").json()
    assert me["account"]["id"] == "ada-l" and me["account"]["identities"][0]["subject"] == "ada-0001"
    assert [a.id for a in accounts.accounts()] == ["ada-l"]


def test_forged_callbacks_are_refused(site: tuple[Server, AccountStore]) -> None:
    server, _ = site
    with httpx.Client(timeout=30) as browser:
        started = browser.get(server.url + "/auth/oidc/login")
        assert started.status_code == 303
        wrong_state = browser.get(server.url + "/auth/oidc/callback", params={"code": "x", "state": "not-it"})
        assert wrong_state.status_code == 400 and "state does not match" in wrong_state.json()["detail"]
        state = dict(httpx.URL(started.headers["location"]).params)["state"]
        bad_code = browser.get(server.url + "/auth/oidc/callback", params={"code": "forged", "state": state})
        assert bad_code.status_code == 401 and "refused the code" in bad_code.json()["detail"]
    no_cookie = httpx.get(server.url + "/auth/oidc/callback", params={"code": "x", "state": "y"})
    assert no_cookie.status_code == 400 and "no sign-in is under way" in no_cookie.json()["detail"]
    denied = httpx.get(server.url + "/auth/oidc/callback", params={"error": "access_denied"})
    assert denied.status_code == 401


def test_not_configured_is_404(tmp_path: Path) -> None:
    settings = auth_settings(tmp_path)
    kg = KnowledgeGraph(OxigraphStore(None), settings)
    server = Server(make_app(kg, settings)).start()
    try:
        r = httpx.get(server.url + "/auth/oidc/login")
        assert r.status_code == 404 and "not configured" in r.json()["detail"]
    finally:
        server.stop()
        kg.executor.close()
