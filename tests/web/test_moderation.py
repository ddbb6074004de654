"""The moderation pages, the development timeline with its self-assessment chart, and the API docs page.

One real server over its own in-memory catalog store (accounts of every role from
``tests/contrib/conftest.py``, passwords for browser sign-in), driven by Debian's chromium through
playwright (every visited page checked with axe-core and screenshotted; no request may leave
127.0.0.1) and by plain HTTP for the access rules (login redirect, 403, CSRF).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ingest.pipeline import run as ingest
from tests.contrib.conftest import Platform, start_platform
from tests.contrib.test_flows import INSTRUMENT
from tests.web.conftest import Visitor

PASSWORDS = {
    "mod": "moderator-password-1",
    "dev": "developer-password-1",
    "trusted-webber": "webber-password-1",
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A server of this module alone (nothing shared to clean up), with passwords for browser sign-in."""
    # every journey signs in through the form: allow more sign-ins per address than the default
    p, kg = start_platform(tmp_path_factory.mktemp("moderation"), login_rate_per_minute=600.0, login_burst=50)
    for account, password in PASSWORDS.items():
        p.accounts.set_password(account, password)
    yield p
    for client, _ in SESSIONS.values():
        client.close()
    SESSIONS.clear()
    p.server.stop()
    kg.close()


def _visitor(browser: Any, base: str, viewport: dict[str, int], locale: str = "nl-NL") -> Iterator[Visitor]:
    """Open a browser context on ``base``; afterwards check that no request left 127.0.0.1."""
    mobile = viewport["width"] < 500
    context = browser.new_context(
        locale=locale,
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        device_scale_factor=2 if mobile else 1,
    )
    page = context.new_page()
    visitor = Visitor(page=page, base=base)
    page.on("request", lambda request: visitor.requests.append(request.url))
    yield visitor
    context.close()
    outside = [u for u in visitor.requests if urlparse(u).hostname not in ("127.0.0.1", None)]
    outside = [u for u in outside if not re.match(r"^(data|blob|about):", u)]
    assert not outside, f"requests left the server: {outside}"


@pytest.fixture()
def desk(browser: Any, platform: Platform) -> Iterator[Visitor]:
    """A desktop browser that prefers Dutch."""
    yield from _visitor(browser, platform.server.url, DESKTOP)


@pytest.fixture()
def english(browser: Any, platform: Platform) -> Iterator[Visitor]:
    """A desktop browser that prefers English."""
    yield from _visitor(browser, platform.server.url, DESKTOP, "en-GB")


@pytest.fixture()
def phone(browser: Any, platform: Platform) -> Iterator[Visitor]:
    """A 375 px wide phone browser (Dutch)."""
    yield from _visitor(browser, platform.server.url, PHONE)


def sign_in(visitor: Visitor, account: str, path: str) -> None:
    """Open ``path``, get sent to /login, sign in there with the form, and land back on ``path``."""
    page = visitor.page
    page.goto(visitor.base + path)
    assert urlparse(page.url).path == "/login", page.url
    assert parse_qs(urlparse(page.url).query)["next"] == [path]
    page.fill("#login", account)
    page.fill("#password", PASSWORDS[account])
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    page.wait_for_load_state("load")
    assert urlparse(page.url).path == urlparse(path).path, page.url


SESSIONS: dict[tuple[str, str], tuple[httpx.Client, str]] = {}


def session(platform: Platform, account: str) -> tuple[httpx.Client, str]:
    """Return an HTTP client with a browser session of ``account`` (cookies) and its CSRF token.

    One sign-in per account and server: sign-ins are rate limited per address, and the browser
    journeys of this module sign in too.
    """
    key = (platform.server.url, account)
    if key not in SESSIONS:
        client = httpx.Client(base_url=platform.server.url, timeout=30)
        r = client.post("/auth/login", json={"login": account, "password": PASSWORDS[account]})
        assert r.status_code == 200, r.text
        SESSIONS[key] = (client, str(r.json()["csrf_token"]))
    return SESSIONS[key]


def submit_instrument(platform: Platform, slug: str) -> str:
    """Let the untrusted developer submit an instrument through the JSON API; return the queue item id."""
    r = platform.client("dev").post("/instruments", json={**INSTRUMENT, "slug": slug})
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "proposed"
    return str(r.json()["id"])


def state_of(platform: Platform, item: str) -> str:
    """Return an item's review state as the moderator's JSON API reports it."""
    r = platform.client("mod").get(f"/submissions/{item}")
    assert r.status_code == 200, r.text
    return str(r.json()["state"])


# ------------------------------------------------------------------------------------------ journeys


def test_moderate_a_proposed_fact(platform: Platform, desk: Visitor, browser: Any) -> None:
    """An untrusted developer's instrument is reviewed in the browser, one fact left out, and approved."""
    slug = "moderatie-warmtetafel"
    item = submit_instrument(platform, slug)
    anon = platform.client()
    assert anon.get(f"/instruments/{slug}").status_code == 404
    review = platform.client("mod").get(f"/moderation/items/{item}").json()

    # The moderator signs in through the /login page and lands on the queue.
    sign_in(desk, "mod", "/moderation")
    page = desk.page
    desk.check("moderation-queue")
    row = page.locator(f'tr[data-item="{item}"]')
    assert row.count() == 1
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "Instrument" and cells[3] == "Dev"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[4])
    assert page.locator('.site-nav a[href="/moderation"]').count() == 1  # moderators see the link

    # The item: every fact the JSON review lists, each with its provenance and a checkbox.
    row.locator("a").click()
    page.wait_for_load_state("load")
    assert urlparse(page.url).path == f"/moderation/review/{item}"
    desk.check("moderation-item")
    facts = page.locator(".review-fact")
    assert facts.count() == len(review["facts"]) > 5
    records = {f["record"] for f in review["facts"]}
    assert set(facts.evaluate_all("els => els.map(e => e.dataset.record)")) == records
    assert set(page.locator('[data-field="method"]').all_inner_texts()) == {"handmatig"}
    assert page.locator('input[type=checkbox][name="exclude"]').count() == len(records)
    description = INSTRUMENT["description"]["nl"]  # type: ignore[index]
    fact = facts.filter(has_text=description[:40])
    assert fact.count() == 1
    left_out = fact.get_attribute("data-record")
    fact.locator('input[name="exclude"]').check()

    with page.expect_navigation():
        page.click("#approve")
    assert urlparse(page.url).path == "/moderation"
    assert parse_qs(urlparse(page.url).query) == {"done": ["approved"], "item": [item]}
    assert "Goedgekeurd" in page.locator("#decision-done").inner_text()
    assert page.locator(f'tr[data-item="{item}"]').count() == 0
    desk.check("moderation-approved")

    # Public now, without the fact the moderator left out.
    assert state_of(platform, item) == "approved"
    public = anon.get(f"/instruments/{slug}")
    assert public.status_code == 200, public.text
    assert public.json()["name"]["nl"] == "Buurtwarmtetafel"
    assert description not in public.text
    assert left_out not in platform.client("mod").get(f"/moderation/items/{item}").text
    for visitor in _visitor(browser, platform.server.url, DESKTOP):  # an anonymous reader
        visitor.visit(f"/id/instrument/{slug}", "moderation-public-instrument")
        assert visitor.page.locator("h1").inner_text().startswith("Buurtwarmtetafel")
        assert visitor.page.locator('.site-nav a[href="/moderation"]').count() == 0


def test_rejection_needs_a_reason(platform: Platform, english: Visitor) -> None:
    """Rejecting without a reason shows the error next to the field; with a reason the item is rejected."""
    item = submit_instrument(platform, "moderatie-afgewezen")
    sign_in(english, "mod", f"/moderation/review/{item}")
    page = english.page
    with page.expect_navigation() as nav:
        page.click("#reject")
    assert nav.value is not None and nav.value.status == 400
    error = page.locator("#reason-error")
    assert error.inner_text() == "Give a reason for the rejection."
    assert page.locator("#reason").get_attribute("aria-invalid") == "true"
    assert "reason-error" in (page.locator("#reason").get_attribute("aria-describedby") or "")
    english.check("moderation-reject-error")
    assert state_of(platform, item) == "proposed"

    page.fill("#reason", "Dit instrument bestaat al onder een andere naam.")
    with page.expect_navigation():
        page.click("#reject")
    assert parse_qs(urlparse(page.url).query) == {"done": ["rejected"], "item": [item]}
    assert page.locator("#decision-done").inner_text().startswith("Rejected: Instrument:")
    assert state_of(platform, item) == "rejected"
    assert platform.client().get("/instruments/moderatie-afgewezen").status_code == 404
    trail = platform.client("mod").get(
        "/sparql",
        params={
            "query": "PREFIX lc: <https://w3id.org/lcgraph/ontology#> "
            "SELECT ?why WHERE { GRAPH ?g { ?c lc:changeReason ?why } }"
        },
        headers={"Accept": "application/sparql-results+json"},
    )
    assert "Dit instrument bestaat al onder een andere naam." in trail.text, trail.text


def test_moderation_queue_on_a_phone(platform: Platform, phone: Visitor) -> None:
    """The queue and an item read well at 375 px: no horizontal scrolling of the page itself."""
    item = submit_instrument(platform, "moderatie-telefoon")
    sign_in(phone, "mod", f"/moderation/review/{item}")
    phone.check("moderation-item-phone")
    width = phone.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 375px screen"
    phone.visit("/moderation", "moderation-queue-phone")
    assert phone.page.locator(f'tr[data-item="{item}"]').count() == 1


REPORT = """# Verslag Fieldlab Waterstof

In H2Hub gebruikten de partners Seeds of Innovation om de succesfactoren te bespreken.
Katapult heeft Seeds of Innovation ook toegepast bij het starten van nieuwe communities.
"""
USES = "https://w3id.org/lcgraph/ontology#usesInstrument"


def test_moderate_an_ingested_document(platform: Platform, desk: Visitor, tmp_path: Path) -> None:
    """A document's proposed facts show how they were found (rule, confidence, lines) and the passage."""
    path = tmp_path / "verslag-waterstof.md"
    path.write_text(REPORT, encoding="utf-8")
    [doc] = ingest(platform.kg, [str(path)]).documents
    assert doc.status == "ingested" and doc.graph
    item = doc.graph.removeprefix("https://w3id.org/lcgraph/graph/")
    review = platform.client("mod").get(f"/moderation/items/{item}").json()
    uses = {f["subject"].rsplit("/", 1)[-1]: f for f in review["facts"] if f["predicate"] == USES}
    assert set(uses) == {"h2hub", "katapult-netwerk"}

    sign_in(desk, "mod", "/moderation")
    page = desk.page
    cells = page.locator(f'tr[data-item="{item}"] td').all_inner_texts()
    assert cells[1] == "Document (ingelezen)" and cells[3] == "inlezen (regel)"
    page.locator(f'tr[data-item="{item}"] a').click()
    page.wait_for_load_state("load")
    desk.check("moderation-document")
    for fact in uses.values():
        box = page.locator(f'.review-fact[data-record="{fact["record"]}"]')
        assert box.locator('[data-field="method"]').inner_text() == "regel"
        assert _number(box.locator('[data-field="confidence"]').inner_text()) == fact["confidence"] == 0.5
        assert box.locator('[data-field="citation"]').inner_text().startswith(fact["citation"])
        assert re.match(r"L\d+(-L\d+)?$", fact["citation"])
        assert "In H2Hub gebruikten de partners Seeds of Innovation" in box.locator("blockquote").inner_text()
    page.locator(
        f'.review-fact[data-record="{uses["katapult-netwerk"]["record"]}"] input[name="exclude"]'
    ).check()
    with page.expect_navigation():
        page.click("#approve")
    assert parse_qs(urlparse(page.url).query) == {"done": ["approved"], "item": [item]}

    query = f"SELECT ?c WHERE {{ GRAPH <{doc.graph}> {{ ?c <{USES}> ?i }} }}"
    r = platform.client().get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    found = [b["c"]["value"].rsplit("/", 1)[-1] for b in r.json()["results"]["bindings"]]
    assert found == ["h2hub"]  # public now, without the fact the moderator left out


# ------------------------------------------------------------------------------------------ access


def test_anonymous_visitors_are_sent_to_login(platform: Platform) -> None:
    """Every moderation page and form sends an anonymous visitor to /login, to come back afterwards."""
    item = submit_instrument(platform, "moderatie-anoniem")
    anon = httpx.Client(base_url=platform.server.url, timeout=30)
    for method, path in (
        ("GET", "/moderation"),
        ("GET", f"/moderation/review/{item}"),
        ("POST", f"/moderation/review/{item}"),
    ):
        r = anon.request(method, path, data={"decision": "approve"} if method == "POST" else None)
        assert r.status_code == 303, (method, path, r.status_code)
        target = urlparse(r.headers["location"])
        assert target.path == "/login" and parse_qs(target.query)["next"] == [path]
    assert state_of(platform, item) == "proposed"


def test_non_moderators_get_403(platform: Platform) -> None:
    """A signed-in developer sees a 403 page on every moderation door, and cannot decide by form."""
    item = submit_instrument(platform, "moderatie-verboden")
    client, csrf = session(platform, "dev")
    for path in ("/moderation", f"/moderation/review/{item}"):
        r = client.get(path, headers={"Accept-Language": "en"})
        assert r.status_code == 403, (path, r.status_code)
        assert r.headers["content-type"].startswith("text/html")
        assert "Only moderators can see and review the moderation queue." in r.text
    r = client.post(f"/moderation/review/{item}", data={"csrf_token": csrf, "decision": "approve"})
    assert r.status_code == 403
    assert state_of(platform, item) == "proposed"
    # the header links to the moderation pages for moderators only
    assert 'href="/moderation"' not in client.get("/").text
    mod, _ = session(platform, "mod")
    assert 'href="/moderation"' in mod.get("/").text


def test_forms_without_the_csrf_token_are_refused(platform: Platform) -> None:
    """Approve and reject forms of a cookie session need the session's CSRF token; nothing changes without."""
    item = submit_instrument(platform, "moderatie-csrf")
    client, csrf = session(platform, "mod")
    path = f"/moderation/review/{item}"
    for form in (
        {"decision": "approve"},
        {"decision": "reject", "reason": "spam"},
        {"decision": "approve", "csrf_token": "not-the-token"},
        {"decision": "reject", "reason": "spam", "csrf_token": csrf[:-2] + "xx"},
    ):
        r = client.post(path, data=form, headers={"Accept-Language": "en"})
        assert r.status_code == 403, (form, r.status_code)
        assert "CSRF check" in r.text
        assert state_of(platform, item) == "proposed"
    # the token the page's forms carry is the session's, and works
    page = client.get(path)
    assert f'name="csrf_token" value="{csrf}"' in page.text
    r = client.post(path, data={"decision": "reject", "reason": "spam", "csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"].startswith("/moderation?done=rejected")
    assert state_of(platform, item) == "rejected"


def test_bad_decisions_are_explained(platform: Platform) -> None:
    """An unknown decision or fact record shows the item again with the problem; a decided item is gone."""
    item = submit_instrument(platform, "moderatie-fouten")
    client, csrf = session(platform, "mod")
    path = f"/moderation/review/{item}"
    r = client.post(path, data={"decision": "publish", "csrf_token": csrf}, headers={"Accept-Language": "en"})
    assert r.status_code == 400 and "decision must be one of approve, reject" in r.text
    bogus = "https://w3id.org/lcgraph/fact/0000"
    r = client.post(path, data={"decision": "approve", "exclude": bogus, "csrf_token": csrf})
    assert r.status_code == 400 and f"{bogus} is not a fact record of {item}" in r.text
    assert state_of(platform, item) == "proposed"
    assert client.post(path, data={"decision": "approve", "csrf_token": csrf}).status_code == 303
    assert client.get(path).status_code == 404
    again = client.post(path, data={"decision": "approve", "csrf_token": csrf})
    assert again.status_code == 404 and "is approved, not waiting for review" in again.text
    assert client.get("/moderation/review/contrib/instrument/no-such-thing").status_code == 404


# ------------------------------------------------------------------------------------------ timeline

COMMUNITY = "tijdlijn-warmtewijk"
CASE = {
    "slug": COMMUNITY,
    "name": {"nl": "Tijdlijn Warmtewijk", "en": "Timeline heat district"},
    "entity": "learning-community",
    "community": {"practices": ["education", "government"], "forms": ["living-lab"]},
    "case": {
        "description": {
            "nl": "Een wijk die samen van het gas af gaat.",
            "en": "A district leaving gas together.",
        },
        "sectors": ["energy"],
        "phases": ["start"],
    },
}
STEPS = [  # recorded out of date order: the page sorts them
    {"on": "2026-06-01", "kind": "phase-transition", "title": "Ontwerpfase", "phase": "design"},
    {
        "on": "2026-03-01",
        "kind": "activity",
        "title": "Eerste bewonersavond",
        "description": "Veertig bewoners.",
    },
    {
        "on": "2026-05-10",
        "kind": "instrument-applied",
        "title": "Zaaien met Seeds",
        "instruments": ["seeds-of-innovation"],
    },
]
FIRST = {"sf01-driven-committed": 2, "sf05-shared-vision": 3, "sf07-interim-results": 1.5}
SECOND = {"sf01-driven-committed": 4, "sf05-shared-vision": 3, "sf07-interim-results": 3.5}
PRIVATE = {"sf01-driven-committed": 5, "sf05-shared-vision": 5}
PEER = {"sf01-driven-committed": 3, "sf05-shared-vision": 5}  # another community's shared scores


@pytest.fixture(scope="module")
def community(platform: Platform) -> dict[str, Any]:
    """A documented case with three steps, two shared self-assessments and a private one; public progress."""
    webber = platform.client("trusted-webber")
    r = webber.post("/cases", json=CASE)
    assert r.status_code == 201, r.text
    for step in STEPS:
        r = webber.post(f"/communities/{COMMUNITY}/steps", json=step)
        assert r.status_code == 201, r.text
    for on, scores, shared in (
        ("2026-02-15", FIRST, True),
        ("2026-07-01", SECOND, True),
        ("2026-08-01", PRIVATE, False),
    ):
        body = {"on": on, "shared": shared, "scores": {f: {"score": s} for f, s in scores.items()}}
        r = webber.post(f"/communities/{COMMUNITY}/assessments", json=body)
        assert r.status_code == 201, r.text
    peer = {**CASE, "slug": "tijdlijn-buurwijk", "name": {"nl": "Buurwijk", "en": "Neighbour district"}}
    assert webber.post("/cases", json=peer).status_code == 201
    body = {"on": "2026-04-01", "shared": True, "scores": {f: {"score": s} for f, s in PEER.items()}}
    assert webber.post("/communities/tijdlijn-buurwijk/assessments", json=body).status_code == 201
    progress: dict[str, Any] = platform.client().get(f"/communities/{COMMUNITY}/progress").json()
    return progress


def _number(text: str) -> float:
    """Read a number as the Dutch page writes it (3,5; −1; +2)."""
    return float(text.replace(",", ".").replace("−", "-").replace("+", ""))


def check_timeline(visitor: Visitor, progress: dict[str, Any]) -> None:
    """Check the timeline block against the progress API: steps, one chart per factor, the table."""
    page = visitor.page
    block = page.locator('[data-block="timeline"]')
    steps = block.locator(".timeline .step")
    assert steps.locator("time").evaluate_all("els => els.map(e => e.dateTime)") == [
        s["on"] for s in progress["steps"]
    ]
    assert steps.locator(".step-title").all_inner_texts() == [
        "Eerste bewonersavond",
        "Zaaien met Seeds",
        "Ontwerpfase",
    ]
    assert steps.nth(0).locator(".step-kind").inner_text() == "Activiteit"
    assert steps.nth(2).locator(".step-phase").inner_text() == "Ontwerpen"
    assert steps.nth(1).locator('a[href="/id/instrument/seeds-of-innovation"]').count() == 1
    assert steps.nth(0).locator(".step-description").inner_text() == "Veertig bewoners."

    runs = progress["assessments"]
    factors = sorted({f for a in runs for f in a["scores"]})
    charts = block.locator("svg.chart")
    assert charts.evaluate_all("els => els.map(e => e.dataset.factor)") == factors
    for factor in factors:
        chart = block.locator(f'svg.chart[data-factor="{factor}"]')
        points = chart.locator("circle.point")
        expected = [(a["on"], a["scores"][factor]["score"]) for a in runs if factor in a["scores"]]
        got = points.evaluate_all("els => els.map(e => [e.dataset.on, Number(e.dataset.score)])")
        assert [tuple(p) for p in got] == expected
        ys = points.evaluate_all("els => els.map(e => Number(e.getAttribute('cy')))")
        # a higher score is drawn higher (smaller y), equal scores at the same height
        for (_, s1), (_, s2), y1, y2 in zip(expected, expected[1:], ys, ys[1:], strict=False):
            assert (s2 > s1) == (y2 < y1) and (s2 == s1) == (y2 == y1)
        assert chart.locator("polyline.line").count() == (1 if len(expected) > 1 else 0)
        peer = progress["peers"].get(factor)
        line = chart.locator("line.peer")
        assert line.count() == (0 if peer is None else 1)
        if peer is not None:
            assert float(line.get_attribute("data-mean") or "nan") == peer
        assert chart.get_attribute("role") == "img" and chart.locator("title").text_content()

    table = block.locator("table#assessment-table")
    assert table.locator("caption").text_content() == block.locator(".table-title").inner_text()
    heads = table.locator("thead th time").evaluate_all("els => els.map(e => e.dateTime)")
    assert heads == [a["on"] for a in runs]
    for factor in factors:
        row = table.locator(f'tr[data-factor="{factor}"]')
        cells = row.locator("td").all_inner_texts()
        scores = [_number(c) if c != "–" else None for c in cells[: len(runs)]]
        assert scores == [a["scores"].get(factor, {}).get("score") for a in runs]
        change = progress["change"].get(factor)
        assert (cells[len(runs)] == "–") if change is None else _number(cells[len(runs)]) == change
        peer = progress["peers"].get(factor)
        assert (cells[len(runs) + 1] == "–") if peer is None else _number(cells[len(runs) + 1]) == peer
    means = table.locator("tfoot td").all_inner_texts()[: len(runs)]
    assert [_number(m) for m in means] == [a["mean"] for a in runs]


def test_community_timeline_and_chart(community: dict[str, Any], desk: Visitor, phone: Visitor) -> None:
    """The community page shows the steps in date order and the shared assessments as chart and table."""
    assert [a["on"] for a in community["assessments"]] == [
        "2026-02-15",
        "2026-07-01",
    ]  # the private one is hidden
    assert community["change"] == {
        "sf01-driven-committed": 2.0,
        "sf05-shared-vision": 0.0,
        "sf07-interim-results": 2.0,
    }
    assert community["peers"] == {"sf01-driven-committed": 3.0, "sf05-shared-vision": 5.0}
    assert community["peer_count"] == 1
    desk.visit(f"/id/community/{COMMUNITY}", "timeline-community")
    check_timeline(desk, community)
    assert "privé" not in desk.page.locator("table#assessment-table").inner_text()
    desk.visit(f"/id/case/{COMMUNITY}", "timeline-case")
    check_timeline(desk, community)
    phone.visit(f"/id/community/{COMMUNITY}", "timeline-community-phone")
    check_timeline(phone, community)
    width = phone.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 375px screen"


def test_private_assessments_only_for_their_owner(
    platform: Platform, community: dict[str, Any], desk: Visitor
) -> None:
    """The Webber who recorded a private assessment sees it on the page, as the progress API shows it."""
    own = platform.client("trusted-webber").get(f"/communities/{COMMUNITY}/progress").json()
    assert [a["on"] for a in own["assessments"]] == ["2026-02-15", "2026-07-01", "2026-08-01"]
    desk.page.goto(desk.base + "/login?next=/id/community/" + COMMUNITY)
    desk.page.fill("#login", "trusted-webber")
    desk.page.fill("#password", PASSWORDS["trusted-webber"])
    with desk.page.expect_navigation():
        desk.page.click("#login-form button[type=submit]")
    desk.page.wait_for_load_state("load")
    assert urlparse(desk.page.url).path == f"/id/community/{COMMUNITY}"
    desk.check("timeline-owner")
    check_timeline(desk, own)
    assert "privé" in desk.page.locator("table#assessment-table thead").inner_text()
    hollow = desk.page.locator("svg.chart circle.point.private")
    private = hollow.evaluate_all("els => els.map(e => e.dataset.on)")
    assert set(private) == {"2026-08-01"}  # drawn hollow: only its owner sees it


# ------------------------------------------------------------------------------------------ API docs


def test_api_docs_page_renders_the_operations(platform: Platform, english: Visitor) -> None:
    """/docs is our page around the vendored Swagger UI: it lists the operations of /openapi.json."""
    r = httpx.get(platform.server.url + "/docs", timeout=30)
    assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
    assert "<script>" not in r.text and 'src="/static/vendor/swagger-ui-bundle.js"' in r.text
    spec = httpx.get(platform.server.url + "/openapi.json", timeout=30).json()
    page = english.page
    english.page.goto(english.base + "/")
    page.click('.site-nav a[href="/docs"]')
    page.wait_for_selector(".opblock", timeout=30_000)
    assert urlparse(page.url).path == "/docs"
    summaries = set(page.locator(".opblock-summary-path").evaluate_all("els => els.map(e => e.dataset.path)"))
    assert {"/moderation/queue", "/communities/{slug}/progress", "/instruments"} <= summaries
    assert summaries <= set(spec["paths"])
    assert page.locator(".opblock").count() >= 40
    english.check("api-docs")


def test_api_docs_on_a_phone(phone: Visitor) -> None:
    """The API documentation fits a 375 px screen (Dutch interface around it)."""
    phone.page.goto(phone.base + "/docs")
    phone.page.wait_for_selector(".opblock", timeout=30_000)
    assert phone.page.locator("h1").first.inner_text() == "API-documentatie"
    phone.check("api-docs-phone")
    width = phone.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a 375px screen"
