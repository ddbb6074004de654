"""Every response carries the security headers: pages, JSON, RDF, feeds, static files, errors, refusals.

The routes are read from the application itself (every GET route without a path parameter, plus the
parameterised ones filled with catalog slugs), so a route added later is checked without editing this
file. HTML pages must keep their own stricter-than-default policy: scripts only from this server, no
inline code, no framing.
"""

from __future__ import annotations

import httpx
import pytest

from api.security_headers import NON_HTML_CSP, SECURITY_HEADERS
from tests.conftest import LiveServer
from tests.reliability.ledger import record

FILLED = (
    "/instruments/seeds-of-innovation",
    "/instruments/seeds-of-innovation/versions",
    "/instruments/seeds-of-innovation/experiences",
    "/instruments/seeds-of-innovation/lineage",
    "/cases/gas-erop",
    "/communities/gas-erop",
    "/feeds/instruments/seeds-of-innovation.atom",
    "/export?format=ttl",
    "/sparql?query=SELECT%20*%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20LIMIT%201",
    "/static/app.css",
    "/no/such/page",
    "/instruments/no-such-instrument",
    "/search?q=",
)
"""Routes with parameters (and a few errors) that a browser may be led to open."""


def get_paths(server: LiveServer) -> list[str]:
    """Every GET route of the running application without a path parameter, and :data:`FILLED`."""
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    plain = [path for path, ops in spec["paths"].items() if "get" in ops and "{" not in path]
    assert len(plain) >= 15, f"expected the application's GET routes, got {plain}"
    return plain + list(FILLED)


def assert_secured(response: httpx.Response, where: str) -> None:
    """Check one response's headers; ``where`` names it in the failure."""
    for name, value in SECURITY_HEADERS:
        got = response.headers.get(name)
        assert got, f"{where} ({response.status_code}): no {name}"
        if name != "Content-Security-Policy":
            assert got == value, f"{where}: {name} is {got!r}"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp, f"{where}: may be framed: {csp}"
    if response.headers.get("content-type", "").startswith("text/html"):
        scripts = next((part for part in csp.split(";") if "script-src" in part), "")
        assert "'self'" in scripts and "unsafe-inline" not in scripts, f"{where}: scripts {csp}"
    elif not response.headers.get("content-type", "").startswith("text/css"):
        assert csp == NON_HTML_CSP or "default-src 'none'" in csp, f"{where}: policy {csp}"


def test_every_get_route_answers_with_the_security_headers(live_server: LiveServer) -> None:
    """All GET routes (including error answers) carry nosniff, frame denial, referrer and CSP headers."""
    checked = 0
    with httpx.Client(base_url=live_server.url, timeout=30, follow_redirects=False) as client:
        for path in get_paths(live_server):
            for accept in ("application/json", "text/html"):
                response = client.get(path, headers={"Accept": accept})
                # 503: this server runs without search; no other server error is expected
                assert response.status_code < 500 or response.status_code == 503, (
                    f"{path}: {response.status_code} {response.text[:200]}"
                )
                assert_secured(response, f"GET {path} ({accept})")
                checked += 1
    record("security headers on every response", inputs=checked)
    assert checked >= 60


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("post", "/sparql", {"content": b"x" * 11_000_000, "headers": {"Content-Type": "text/plain"}}, 413),
        ("delete", "/search", {}, 405),
        ("post", "/experiences", {"json": {"rating": 3}}, 401),
        ("get", "/export?format=nonsense", {}, 400),
    ],
)
def test_refusals_carry_the_headers_too(
    live_server: LiveServer, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    """A refused request (too large, wrong method, not signed in, bad parameter) is no exception."""
    response = httpx.request(method, live_server.url + path, timeout=60, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.text[:300]
    assert_secured(response, f"{method.upper()} {path}")
    record("security headers on every response", faults=1, inputs=1)


def test_pages_keep_their_own_policy(live_server: LiveServer) -> None:
    """The HTML policy (scripts and styles from this server) is not replaced by the API's ``'none'``."""
    response = httpx.get(live_server.url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and csp != NON_HTML_CSP
    assert response.headers.get_list("Content-Security-Policy") == [csp], "exactly one policy"
