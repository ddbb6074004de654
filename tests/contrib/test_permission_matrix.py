"""The permission matrix: every role against every write endpoint, with the expected allow or deny.

Deny means 401 for anonymous callers and 403 for signed-in ones; allow means the request got past the
access check (2xx, or a 4xx about the content such as 404/409, never 401/403 and never a 5xx). A new
state-changing route that is not listed here fails the completeness test, so the matrix stays whole.
"""

from __future__ import annotations

import itertools

import pytest
from fastapi.routing import APIRoute

from tests.contrib.conftest import Platform

ROLES = ["anonymous", "reader", "webber", "dev", "mod", "admin"]
_counter = itertools.count()


def _slug(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


def _instrument(slug: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "name": {"nl": "Matrixinstrument"},
        "kind": "tool",
        "purpose": {"nl": "Toetsen wie wat mag."},
        "description": {"nl": "Een instrument dat alleen voor de toegangstest bestaat."},
    }
    if slug:
        body["slug"] = slug
    return body


# (method, path template, body factory, roles allowed). "{own}" is an instrument/community the role owns,
# made before the call when the role may make one.
MATRIX: list[tuple[str, str, object, set[str]]] = [
    ("POST", "/instruments", lambda: _instrument(_slug("matrix")), {"dev", "admin"}),
    ("PUT", "/instruments/matrix-base", lambda: _instrument(), {"webber", "dev", "mod", "admin"}),
    (
        "POST",
        "/instruments/matrix-base/versions",
        lambda: {"version": f"1.{next(_counter)}.0", "changelog": {"en": "x"}},
        {"dev", "mod", "admin"},
    ),
    (
        "POST",
        "/instruments/seeds-of-innovation/versions",
        lambda: {"version": f"9.{next(_counter)}.0", "changelog": {"en": "x"}},
        {"mod", "admin"},
    ),
    (
        "POST",
        "/instruments/matrix-base/deprecation",
        lambda: {"reason": "only a test"},
        {"dev", "mod", "admin"},
    ),
    (
        "POST",
        "/experiences",
        lambda: {"instrument": "seeds-of-innovation", "context": "test", "rating": 3},
        {"webber", "dev", "mod", "admin"},
    ),
    (
        "POST",
        "/cases",
        lambda: {
            "slug": _slug("matrix-case"),
            "name": {"nl": "Matrixcasus", "en": "Matrix case"},
            "entity": "learning-community",
            "community": {},
            "case": {"description": {"nl": "Een testcasus.", "en": "A test case."}},
        },
        {"webber", "dev", "mod", "admin"},
    ),
    (
        "POST",
        "/communities/gas-erop/steps",
        lambda: {"on": "2026-01-01", "kind": "activity", "title": "t"},
        {"mod", "admin"},
    ),
    (
        "POST",
        "/communities/gas-erop/assessments",
        lambda: {"on": "2026-01-01", "scores": {"sf05-shared-vision": {"score": 3}}},
        {"mod", "admin"},
    ),
    ("POST", "/moderation/approve/contrib/no-such-item", lambda: {}, {"mod", "admin"}),
    ("POST", "/moderation/reject/contrib/no-such-item", lambda: {"reason": "x"}, {"mod", "admin"}),
    ("POST", "/moderation/trust/webber", lambda: {}, {"mod", "admin"}),
    ("DELETE", "/moderation/trust/webber", lambda: {}, {"mod", "admin"}),
    ("POST", "/admin/backup", lambda: {}, {"admin"}),
]

NOT_WRITES = {
    ("POST", "/sparql"),  # a read sent by POST (SPARQL 1.1 Protocol)
    ("POST", "/crossovers"),  # a search with a body
    ("POST", "/cases/similar"),  # a search with a body
    ("POST", "/auth/login"),  # its own rate limits; tested in tests/auth
    ("POST", "/auth/logout"),  # ends the caller's own session; tested in tests/auth
}


def test_matrix_covers_every_state_changing_route(platform: Platform) -> None:
    from api.app import create_app

    app = create_app(platform.kg.settings, kg=platform.kg)
    listed = {(m, p.split("/", 2)[1]) for m, p, _, _ in MATRIX}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods - {"GET", "HEAD", "OPTIONS"}:
            if (method, route.path) in NOT_WRITES or route.path.startswith("/auth/oidc"):
                continue
            assert (method, route.path.split("/", 2)[1]) in listed, (
                f"{method} {route.path} is not in the matrix"
            )


@pytest.fixture(scope="module")
def base_instrument(platform: Platform) -> str:
    r = platform.client("dev").post("/instruments", json=_instrument("matrix-base"))
    assert r.status_code == 201, r.text
    return "matrix-base"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_permission_matrix(
    platform: Platform,
    base_instrument: str,
    role: str,
    method: str,
    path: str,
    body: object,
    allowed: set[str],
) -> None:
    client = platform.client(None if role == "anonymous" else role)
    payload = body() if callable(body) else body  # type: ignore[operator]
    r = client.request(method, path, json=payload)
    if role in allowed:
        assert r.status_code not in (401, 403) and r.status_code < 500, (
            role,
            method,
            path,
            r.status_code,
            r.text,
        )
    else:
        expected = 401 if role == "anonymous" else 403
        assert r.status_code == expected, (role, method, path, r.status_code, r.text)
