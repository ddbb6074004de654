"""Browser sessions over real HTTP: login, cookies, CSRF, logout and revocation across two servers."""

from __future__ import annotations

import httpx

from kg.accounts import AccountStore
from tests.auth.conftest import PASSWORD, Server


def login(server: Server, login: str = "fenna", password: str = PASSWORD) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=server.url)
    r = client.post("/auth/login", json={"login": login, "password": password})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def test_login_sets_safe_cookies_and_me_shows_the_account(server: Server) -> None:
    r = httpx.post(server.url + "/auth/login", json={"login": "fenna@example.org", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["account"]["id"] == "fenna" and body["account"]["roles"] == ["contributor:facilitator"]
    cookies = {c.split("=", 1)[0]: c.lower() for c in r.headers.get_list("set-cookie")}
    session = cookies["lcgraph_session"]
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "secure" not in session, "loopback: no Secure flag by default"
    assert "httponly" not in cookies["lcgraph_csrf"], "the page must be able to read its CSRF token"
    assert r.headers["cache-control"] == "no-store"
    client = httpx.Client(base_url=server.url, cookies=r.cookies)
    me = client.get("/auth/me").json()
    assert me["authenticated"] and me["via"] == "session" and me["account"]["email"] == "fenna@example.org"
    assert "experience:create" in me["permissions"] and "moderate" not in me["permissions"]
    assert client.get("/auth/csrf").json()["csrf_token"] == body["csrf_token"]


def test_anonymous_me_and_csrf(server: Server) -> None:
    me = httpx.get(server.url + "/auth/me").json()
    assert me == {
        "authenticated": False,
        "via": "anonymous",
        "account": None,
        "scopes": None,
        "permissions": ["public:read"],
    }
    assert httpx.get(server.url + "/auth/csrf").status_code == 401


def test_form_login_redirects_to_a_local_page_only(server: Server) -> None:
    form = {"login": "fenna", "password": PASSWORD, "next": "/instruments"}
    r = httpx.post(server.url + "/auth/login", data=form)
    assert r.status_code == 303 and r.headers["location"] == "/instruments"
    assert "lcgraph_session" in r.cookies
    r = httpx.post(server.url + "/auth/login", data={**form, "next": "//evil.example/"})
    assert r.status_code == 200 and r.json()["account"]["id"] == "fenna"


def test_session_works_on_the_other_server_and_logout_ends_it_everywhere(
    two_servers: tuple[Server, Server],
) -> None:
    a, b = two_servers
    client, csrf = login(a)
    other = httpx.Client(base_url=b.url, cookies=client.cookies)
    assert other.get("/auth/me").json()["account"]["id"] == "fenna"
    r = client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 204
    assert 'lcgraph_session=""' in r.headers.get("set-cookie", "") or "Max-Age=0" in r.headers.get(
        "set-cookie", ""
    )
    stale = httpx.Client(base_url=b.url, cookies={"lcgraph_session": other.cookies["lcgraph_session"]})
    assert stale.get("/auth/me").json()["authenticated"] is False


def test_disabling_the_account_ends_its_sessions(
    two_servers: tuple[Server, Server], accounts: AccountStore
) -> None:
    a, b = two_servers
    client, _ = login(a)
    assert client.get("/auth/me").json()["authenticated"]
    accounts.set_disabled("fenna")
    assert (
        httpx.Client(base_url=b.url, cookies=client.cookies).get("/auth/me").json()["authenticated"] is False
    )
    accounts.set_disabled("fenna", False)
    assert client.get("/auth/me").json()["authenticated"] is False, "re-enabling does not revive old sessions"


def test_forged_or_tampered_cookies_are_anonymous(server: Server) -> None:
    client, _ = login(server)
    value = client.cookies["lcgraph_session"]
    key, _, _sig = value.rpartition(".")
    for forged in (key + ".AAAA", "x" + value, key, "garbage", "a." * 300):
        me = httpx.get(server.url + "/auth/me", cookies={"lcgraph_session": forged}).json()
        assert me["authenticated"] is False, forged


def test_state_changing_cookie_requests_need_the_csrf_token(server: Server) -> None:
    client, csrf = login(server)
    no_token = client.post("/probe/experience")
    assert no_token.status_code == 403
    assert no_token.headers["content-type"] == "application/problem+json"
    assert no_token.json()["where"] == "csrf"
    wrong = client.post("/probe/experience", headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403
    other_client, other_csrf = login(server, "mo")
    assert client.post("/probe/experience", headers={"X-CSRF-Token": other_csrf}).status_code == 403, (
        "a CSRF token belongs to one session"
    )
    ok = client.post("/probe/experience", headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json() == {"account": "fenna", "via": "session"}
    as_form = client.post("/probe/experience", data={"csrf_token": csrf})
    assert as_form.status_code == 200
    assert client.post("/auth/logout").status_code == 403, "logout is state-changing too"
    assert client.get("/auth/me").json()["authenticated"]
    other_client.close()


def test_wrong_password_unknown_account_and_bad_requests(server: Server) -> None:
    for body in (
        {"login": "fenna", "password": "wrong password!"},
        {"login": "nobody", "password": PASSWORD},
    ):
        r = httpx.post(server.url + "/auth/login", json=body)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"] == "wrong account or password, or the account is disabled"
        assert "lcgraph_session" not in r.cookies
    assert httpx.post(server.url + "/auth/login", json={"login": "fenna"}).status_code == 400
    assert (
        httpx.post(
            server.url + "/auth/login", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        httpx.post(
            server.url + "/auth/login", content=b"x", headers={"content-type": "text/plain"}
        ).status_code
        == 400
    )
