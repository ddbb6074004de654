"""The contribution forms: browser journeys (Debian chromium, axe-core, screenshots) and plain HTTP checks.

Everything runs on the search test server (``search_server`` over ``search_kg``, with the real search
service), which other modules share: the accounts here have ids of their own, the instrument and the case
planted here have slugs of their own, and the fixture removes every submission of these accounts at the end.
Only the first journey signs in through the /login page (the sign-in rate limit counts per address); the
others start from a session made in the store, the way the server itself records one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import expect
from rdflib import URIRef

from kg.accounts import AccountStore
from kg.accounts.credentials import mac, new_session_key, sign, signing_key
from kg.config import Settings
from kg.contributions import (
    Communities,
    ExperienceInput,
    Experiences,
    InstrumentInput,
    Instruments,
    Submissions,
)
from kg.entries import CaseEntry, SomeText
from kg.graph import KnowledgeGraph
from kg.permissions import Role
from tests.conftest import LiveServer
from tests.web.conftest import Visitor

PASSWORD = "forms-test-password-1"
ACCOUNTS: dict[str, tuple[str, list[Role], bool]] = {
    "forms-trusted-dev": ("Tessa Ontwikkelaar", [Role.DEVELOPER], True),
    "forms-dev": ("Dirk Nieuweling", [Role.DEVELOPER], False),
    "forms-webber": ("Wanda Webber", [Role.FACILITATOR], True),
    "forms-reader": ("Rik Lezer", [], False),
}
"""Account id -> (display name, roles, trusted)."""

INSTRUMENT = "formulierentestkompas"
COMMUNITY = "formulierentestwijk"
CASE = {
    "slug": COMMUNITY,
    "name": {"nl": "Formulierentestwijk", "en": "Form test district"},
    "entity": "learning-community",
    "community": {"practices": ["education", "government"], "forms": ["living-lab"]},
    "case": {
        "description": {
            "nl": "Een wijk waar bewoners en een hogeschool samen de warmtetransitie proberen.",
            "en": "A district where residents and a university of applied sciences try the heat transition.",
        },
        "sectors": ["energy"],
        "phases": ["start"],
    },
}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@dataclass
class Site:
    """The search test server with this module's accounts and planted content."""

    url: str
    kg: KnowledgeGraph
    settings: Settings

    def session(self, account_id: str) -> tuple[str, str]:
        """Start a browser session for an account; return the session cookie value and its CSRF token."""
        key = new_session_key()
        AccountStore(self.kg.store).create_session(account_id, ttl=timedelta(hours=1), session_key=key)
        secret = signing_key(self.settings)
        return sign(secret, "session", key), mac(secret, "csrf", key)

    def client(self, account_id: str | None = None) -> tuple[httpx.Client, str]:
        """Return an HTTP client acting as a browser (signed in as ``account_id``) and its CSRF token."""
        cookies, csrf = {}, ""
        if account_id is not None:
            cookie, csrf = self.session(account_id)
            cookies = {"lcgraph_session": cookie}
        return httpx.Client(base_url=self.url, headers=HTML, cookies=cookies, timeout=60), csrf

    def sign_in(self, visitor: Visitor, account_id: str) -> None:
        """Give a browser context the session cookie of an account."""
        cookie, _ = self.session(account_id)
        visitor.page.context.add_cookies([{"name": "lcgraph_session", "value": cookie, "url": self.url}])

    def submissions(self, account_id: str) -> list[str]:
        return [s.id for s in Submissions(self.kg).by_author(account_id)]


@pytest.fixture(scope="module")
def site(search_kg: KnowledgeGraph, search_server: LiveServer, memory_settings: Settings) -> Iterator[Site]:
    """Make the accounts, plant an instrument with one experience and a case; remove all of it afterwards."""
    accounts = AccountStore(search_kg.store)
    existing = {a.id for a in accounts.accounts()}
    for account_id, (name, roles, trusted) in ACCOUNTS.items():
        if account_id not in existing:
            accounts.create(account_id, name=name, roles=roles, trusted=trusted, password=PASSWORD)
    dev = accounts.get("forms-trusted-dev").principal("token")
    webber = accounts.get("forms-webber").principal("token")
    Instruments(search_kg).publish(
        dev,
        InstrumentInput(
            slug=INSTRUMENT,
            name=SomeText(nl="Formulierentestkompas"),
            kind="tool",
            purpose=SomeText(nl="Een kompas om bewonersavonden over warmte voor te bereiden."),
            description=SomeText(nl="Vragenkaarten en een tijdlijn voor de eerste bewonersavond."),
            phases=["start"],
            origin_sectors=["energy"],
        ),
    )
    Experiences(search_kg).report(
        webber,
        ExperienceInput(instrument=INSTRUMENT, context="Eerste proef in de wijk", rating=2, sector="energy"),
    )
    Communities(search_kg).create_case(webber, CaseEntry.model_validate(CASE))
    yield Site(search_server.url, search_kg, memory_settings)
    subs = Submissions(search_kg)
    for account_id in ACCOUNTS:
        for sub in subs.by_author(account_id):
            search_kg.remove_graph(URIRef(sub.graph))
    assert not search_kg.exists(f"{search_kg.settings.base_iri}id/instrument/{INSTRUMENT}")


def _submitted(path: str) -> re.Pattern[str]:
    """Match the entity page a form redirects to, with its ``?submitted=<id>`` confirmation."""
    return re.compile(re.escape(path) + r"\?submitted=.+$")


def _aggregate(page: Any) -> tuple[int, float]:
    count = int(page.get_attribute("#experience-count", "data-count"))
    mean = page.get_attribute("#experience-mean", "data-mean") if count else None
    return count, float(mean) if mean else 0.0


# ---------------------------------------------------------------------------------------------- journeys


def test_publish_an_instrument_and_see_it_found(dutch: Visitor, site: Site) -> None:
    page = dutch.page
    name = "IJsvogelcanvas voor buurtwarmte"
    # not signed in: the form sends us to the sign-in page, which brings us back
    dutch.visit("/instruments/new", "form-sign-in-first")
    assert urlparse(page.url).path == "/login" and page.url.endswith("?next=/instruments/new")
    page.get_by_label("Account of e-mailadres").fill("forms-trusted-dev")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.wait_for_url("**/instruments/new")
    expect(page.locator(".account-name")).to_contain_text("Tessa Ontwikkelaar")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    dutch.check("form-instrument-nl")
    page.get_by_role("group", name="Naam").get_by_label("Nederlands").fill(name)
    page.get_by_label("Korte naam in het webadres").fill("ijsvogelcanvas")
    page.get_by_label("Soort instrument").select_option("method")
    page.get_by_role("group", name="Doel").get_by_label("Nederlands").fill(
        "Buurtbewoners brengen samen hun warmtewensen en zorgen in kaart op één groot canvas."
    )
    page.get_by_role("group", name="Beschrijving").get_by_label("English").fill(
        "A large canvas on which residents map their wishes and worries about heating their homes."
    )
    page.get_by_role("group", name="Fasen waarin het helpt").get_by_label("Starten").check()
    page.get_by_role("group", name="Voor welke rollen").get_by_label("Ambassadeur").check()
    page.get_by_role("group", name="Sectoren van herkomst").get_by_label("Energie", exact=True).check()
    page.get_by_role("button", name="Publiceren").click()
    page.wait_for_url(_submitted("/id/instrument/ijsvogelcanvas"))
    expect(page.locator("h1")).to_have_text(name)
    expect(page.locator("#confirmation")).to_have_attribute("data-state", "approved")
    assert "Gepubliceerd" in page.inner_text("#confirmation")
    dutch.check("form-instrument-published")
    # approved at once, so indexed at once: the search box on the start page finds it
    page.get_by_role("link", name="Zoeken", exact=True).click()
    page.get_by_label("Zoekvraag").fill("IJsvogelcanvas warmtewensen van buurtbewoners")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    page.wait_for_selector(".result-group")
    found = page.locator("#group-instrument ~ ol .hit-title a", has_text="IJsvogelcanvas")
    expect(found.first).to_be_visible()
    dutch.check("form-instrument-found")
    found.first.click()
    page.wait_for_url("**/id/instrument/ijsvogelcanvas")
    # the owner may edit it; the edit form comes prefilled
    page.locator("#edit-instrument").click()
    expect(page.get_by_role("group", name="Naam").get_by_label("Nederlands")).to_have_value(name)
    expect(page.get_by_label("Soort instrument")).to_have_value("method")
    # signing out comes back to a page that offers to sign in again
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("link", name="Inloggen")).to_be_visible()


def test_an_untrusted_publication_awaits_moderation(english: Visitor, site: Site) -> None:
    page = english.page
    site.sign_in(english, "forms-dev")
    english.visit("/instruments/new", "form-instrument-en")
    page.get_by_role("group", name="Name").get_by_label("English").fill("Godwit street meter")
    page.get_by_label("Kind of instrument").select_option("tool")
    page.get_by_role("group", name="Purpose").get_by_label("English").fill("Measure how a street feels.")
    page.get_by_role("group", name="Description").get_by_label("English").fill("A walk with a checklist.")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(_submitted("/id/instrument/godwit-street-meter"))
    expect(page.locator("#confirmation")).to_have_attribute("data-state", "proposed")
    assert "Awaiting moderation" in page.inner_text("#confirmation")
    expect(page.locator("h1")).to_have_text("Received, awaiting moderation")
    english.check("form-instrument-awaiting-moderation")
    # nobody else sees it: not its page, not the API, not search
    anonymous, _ = site.client()
    with anonymous:
        assert anonymous.get("/id/instrument/godwit-street-meter").status_code == 404
        assert anonymous.get(page.url.replace(site.url, "")).status_code == 404
        assert anonymous.get("/instruments/godwit-street-meter", headers={"Accept": "*/*"}).status_code == 404
        r = anonymous.get("/search", params={"q": "Godwit street meter"}, headers={"Accept": "*/*"})
        assert r.status_code == 200 and "godwit-street-meter" not in r.text


def test_report_an_experience_and_see_the_aggregate_change(dutch: Visitor, site: Site) -> None:
    page = dutch.page
    site.sign_in(dutch, "forms-webber")
    dutch.visit(f"/id/instrument/{INSTRUMENT}", "form-experience-before")
    count, mean = _aggregate(page)
    assert count >= 1
    page.locator("#report-experience").click()
    page.wait_for_url(f"**/instruments/{INSTRUMENT}/experiences/new")
    dutch.check("form-experience-nl")
    page.get_by_label("Situatie").fill("Bewonersavond in een buurthuis, 30 deelnemers.")
    page.get_by_label("Sector", exact=True).select_option(label="Energie")
    page.get_by_label("Fase", exact=True).select_option(label="Starten")
    page.get_by_label("Waardering (1 tot 5)").fill("5")
    page.get_by_label("Wat werkte", exact=True).fill("De vragenkaarten openden het gesprek.")
    page.get_by_label("Wat werkte niet").fill("Te weinig tijd voor <b>jongeren</b>.")
    row = page.get_by_role("group", name="Opbrengst 1")
    row.get_by_label("Soort waarde").select_option(label="Onmiddellijke waarde")
    row.get_by_label("Wat je zag").fill("Twintig bewoners meldden zich voor een vervolg.")
    page.get_by_role("button", name="Ervaring delen").click()
    page.wait_for_url(_submitted(f"/id/instrument/{INSTRUMENT}"))
    expect(page.locator("#confirmation")).to_have_attribute("data-state", "approved")
    new_count, new_mean = _aggregate(page)
    assert new_count == count + 1
    assert new_mean == pytest.approx((mean * count + 5) / (count + 1), abs=0.01)
    report = page.locator(".experience", has_text="vragenkaarten")
    expect(report.locator(".what-did-not-work")).to_have_text("Te weinig tijd voor <b>jongeren</b>.")
    expect(report).to_contain_text("Onmiddellijke waarde")
    expect(report).to_contain_text("Energie")
    dutch.check("form-experience-after")


def test_validation_errors_beside_the_fields_with_values_kept(english: Visitor, site: Site) -> None:
    page = english.page
    site.sign_in(english, "forms-trusted-dev")
    english.visit("/instruments/new?lang=en", "form-validation-start")
    page.get_by_label("Kind of instrument").select_option("tool")
    page.get_by_role("group", name="Purpose").get_by_label("Nederlands").fill("Een doel dat blijft staan.")
    page.get_by_label("Website").fill("not a web address")
    page.get_by_role("button", name="Publish").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    assert "problems to fix" in summary.inner_text()
    name_nl = page.get_by_role("group", name="Name").get_by_label("Nederlands")
    expect(name_nl).to_have_attribute("aria-invalid", "true")
    assert "f-name-error" in (name_nl.get_attribute("aria-describedby") or "")
    expect(page.locator("#f-name-error")).to_contain_text("Dutch, English or both")
    expect(page.locator("#f-url-error")).to_contain_text("http://")
    # the values entered are still there
    expect(page.get_by_role("group", name="Purpose").get_by_label("Nederlands")).to_have_value(
        "Een doel dat blijft staan."
    )
    expect(page.get_by_label("Kind of instrument")).to_have_value("tool")
    expect(page.get_by_label("Website")).to_have_value("not a web address")
    english.check("form-validation-instrument")
    # a summary link takes the keyboard to the field
    summary.get_by_role("link").first.click()
    expect(name_nl).to_be_focused()
    # a rating of 7 is refused next to the rating
    english.visit(f"/instruments/{INSTRUMENT}/experiences/new", "form-validation-experience-start")
    page.get_by_label("Situation").fill("A context that stays.")
    page.get_by_label("Rating (1 to 5)").fill("7")
    page.get_by_role("button", name="Report the experience").click()
    expect(page.locator("#f-rating-error")).to_contain_text("at most 5")
    expect(page.get_by_label("Rating (1 to 5)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Situation")).to_have_value("A context that stays.")
    expect(page.get_by_label("Situation")).not_to_have_attribute("aria-invalid", "true")
    english.check("form-validation-experience")


def test_record_a_step_and_a_self_assessment(dutch: Visitor, site: Site) -> None:
    page = dutch.page
    site.sign_in(dutch, "forms-webber")
    dutch.visit(f"/id/community/{COMMUNITY}", "form-community")
    page.get_by_role("link", name="Ontwikkelstap vastleggen").click()
    page.wait_for_url(f"**/communities/{COMMUNITY}/steps/new")
    dutch.check("form-step-nl")
    page.get_by_label("Datum").fill("2026-02-03")
    page.get_by_label("Soort stap").select_option(label="Instrument ingezet")
    page.get_by_label("Titel").fill("Eerste bewonersavond met het kompas")
    page.get_by_label("Beschrijving", exact=True).fill("Dertig bewoners, twee docenten.")
    page.get_by_role("group", name="Toegepaste instrumenten").get_by_label("Formulierentestkompas").check()
    page.get_by_role("button", name="Stap vastleggen").click()
    page.wait_for_url(_submitted(f"/id/community/{COMMUNITY}"))
    expect(page.locator("#confirmation")).to_have_attribute("data-state", "approved")
    expect(page.locator("#confirmation")).to_contain_text("De ontwikkelstap is nu openbaar")
    dutch.check("form-step-recorded")
    page.get_by_role("link", name="Zelfevaluatie invullen").click()
    page.wait_for_url(f"**/communities/{COMMUNITY}/assessments/new")
    dutch.check("form-assessment-nl")
    page.get_by_label("Datum van de evaluatie").fill("2026-02-10")
    vision = page.get_by_role("group", name="Een gedeelde visie op de toekomst opbouwen")
    vision.get_by_label("Score").select_option("4")
    vision.get_by_label("Toelichting").fill("Iedereen wil van het gas af.")
    committed = page.get_by_role("group", name="Gedreven en persoonlijk gecommitteerd zijn")
    committed.get_by_label("Score").select_option("3")
    expect(page.get_by_label("Delen met andere communities")).not_to_be_checked()
    page.get_by_role("button", name="Evaluatie opslaan").click()
    page.wait_for_url(_submitted(f"/id/community/{COMMUNITY}"))
    expect(page.locator("#confirmation")).to_have_attribute("data-state", "private")
    dutch.check("form-assessment-saved")
    client, _ = site.client("forms-webber")
    with client:
        progress = client.get(f"/communities/{COMMUNITY}/progress", headers={"Accept": "*/*"}).json()
    assert [s["title"] for s in progress["steps"]] == ["Eerste bewonersavond met het kompas"]
    assert progress["steps"][0]["instruments"][0].endswith(f"/instrument/{INSTRUMENT}")
    scores = progress["assessments"][0]["scores"]
    assert scores["sf05-shared-vision"] == {"score": 4.0, "note": "Iedereen wil van het gas af."}
    assert scores["sf01-driven-committed"]["score"] == 3.0 and not progress["assessments"][0]["shared"]


def test_forms_at_phone_width(phone: Visitor, site: Site) -> None:
    page = phone.page
    site.sign_in(phone, "forms-webber")
    for path, name in (
        (f"/instruments/{INSTRUMENT}/experiences/new", "phone-form-experience"),
        (f"/communities/{COMMUNITY}/assessments/new", "phone-form-assessment"),
        (f"/communities/{COMMUNITY}/steps/new", "phone-form-step"),
        (f"/id/instrument/{INSTRUMENT}", "phone-instrument-experiences"),
    ):
        phone.visit(path, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a phone ({width}px)"
    # the errors of a refused post fit too
    phone.visit(f"/instruments/{INSTRUMENT}/experiences/new", "phone-form-experience-again")
    page.get_by_role("button", name="Ervaring delen").click()
    expect(page.locator("#error-summary")).to_be_focused()
    phone.check("phone-form-errors")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


# ---------------------------------------------------------------------------------------------- over HTTP

FORM_PATHS = [
    "/instruments/new",
    f"/instruments/{INSTRUMENT}/edit",
    f"/instruments/{INSTRUMENT}/experiences/new",
    f"/communities/{COMMUNITY}/steps/new",
    f"/communities/{COMMUNITY}/assessments/new",
]


def test_anonymous_visitors_are_sent_to_sign_in(site: Site) -> None:
    client, _ = site.client()
    with client:
        for path in FORM_PATHS:
            for method in ("GET", "POST"):
                r = client.request(method, path, data={"title": "x"} if method == "POST" else None)
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"] == "/login?next=" + path
        page = client.get(f"/id/instrument/{INSTRUMENT}").text
    assert f'href="/login?next=/instruments/{INSTRUMENT}/experiences/new"' in page
    assert 'href="/instruments/new"' not in page and 'id="edit-instrument"' not in page


def test_every_form_post_needs_the_csrf_token(site: Site) -> None:
    owners = {
        "/instruments/new": "forms-trusted-dev",
        f"/instruments/{INSTRUMENT}/edit": "forms-trusted-dev",
        f"/instruments/{INSTRUMENT}/experiences/new": "forms-webber",
        f"/communities/{COMMUNITY}/steps/new": "forms-webber",
        f"/communities/{COMMUNITY}/assessments/new": "forms-webber",
    }
    fields = {
        "name.nl": "Zonder token",
        "kind": "tool",
        "purpose.nl": "p",
        "description.nl": "d",
        "context": "c",
        "rating": "3",
        "on": "2026-01-01",
        "title": "t",
        "scores.sf05-shared-vision.score": "3",
    }
    for path in FORM_PATHS:
        account = owners[path]
        before = site.submissions(account)
        client, _ = site.client(account)
        with client:
            assert client.get(path).status_code == 200, path
            for token in (None, "wrong-token"):
                data = fields | ({"csrf_token": token} if token else {})
                r = client.post(path, data=data)
                assert r.status_code == 403, (path, token, r.status_code)
                assert r.headers["content-type"].startswith("text/html") and "CSRF" in r.text
        assert site.submissions(account) == before, f"{path} wrote without a CSRF token"


def test_accounts_without_the_permission_get_403(site: Site) -> None:
    reader, _ = site.client("forms-reader")
    with reader:
        for path in FORM_PATHS:
            r = reader.get(path)
            assert r.status_code == 403, (path, r.status_code)
            assert "<h1>Geen toegang</h1>" in r.text
        community = reader.get(f"/id/community/{COMMUNITY}").text
        assert 'id="record-step"' not in community and 'id="record-assessment"' not in community
        assert "Rik Lezer" in community and "Uitloggen" in community
    webber, _ = site.client("forms-webber")
    with webber:
        assert webber.get("/instruments/new").status_code == 403, "facilitators do not publish instruments"
        assert 'id="record-step"' in webber.get(f"/id/community/{COMMUNITY}").text
    other, _ = site.client("forms-dev")
    with other:
        r = other.get(f"/communities/{COMMUNITY}/steps/new")
        assert r.status_code == 403, "only the case's Webber (and moderators) record its development"
        assert 'id="record-step"' not in other.get(f"/id/community/{COMMUNITY}").text
        assert other.get("/instruments/seeds-of-innovation/edit").status_code == 409, "curated"
        assert other.get("/instruments/no-such-instrument/edit").status_code == 404
        assert other.get("/communities/no-such-community/steps/new").status_code in (403, 404)


def test_field_errors_are_rendered_beside_the_fields(site: Site) -> None:
    client, csrf = site.client("forms-trusted-dev")
    with client:
        r = client.post(
            "/instruments/new?lang=en",
            data={
                "csrf_token": csrf,
                "name.nl": "",
                "kind": "tool",
                "purpose.nl": "<script>alert(1)</script>",
                "description.en": "fine",
                "url": "ftp://example.org",
                "phases": ["start", "no-such-phase"],
            },
        )
        assert r.status_code == 400
        html = r.text
        assert 'id="error-summary" role="alert"' in html
        assert '<a href="#f-name-nl">' in html and '<a href="#f-url">' in html
        assert re.search(r'id="f-name-nl"[^>]*aria-invalid="true"[^>]*aria-describedby="f-name-error"', html)
        assert re.search(
            r'id="f-url"[^>]*aria-invalid="true"[^>]*aria-describedby="f-url-hint f-url-error"', html
        )
        assert 'id="f-url-error"' in html and 'value="ftp://example.org"' in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
        assert re.search(r'value="start" checked', html), "ticked boxes stay ticked"
        # the kg's own checks (an unknown phase) land beside their field as well
        r = client.post(
            "/instruments/new?lang=en",
            data={
                "csrf_token": csrf,
                "name.en": "Unknown phase",
                "kind": "tool",
                "purpose.en": "p",
                "description.en": "d",
                "phases": ["start", "no-such-phase"],
            },
        )
        assert r.status_code == 400 and 'id="f-phases-error"' in r.text and "no-such-phase" in r.text
        # a taken slug is reported beside the slug
        r = client.post(
            "/instruments/new",
            data={
                "csrf_token": csrf,
                "slug": "seeds-of-innovation",
                "name.nl": "Dubbel",
                "kind": "tool",
                "purpose.nl": "p",
                "description.nl": "d",
            },
        )
        assert r.status_code == 400 and 'id="f-slug-error"' in r.text
        # a self-assessment without any score says so at the factors
        r = client.post(
            f"/communities/{COMMUNITY}/assessments/new", data={"csrf_token": csrf, "on": "2026-01-01"}
        )
        assert r.status_code == 403, "the developer is not this community's Webber"
    webber, csrf = site.client("forms-webber")
    with webber:
        r = webber.post(
            f"/communities/{COMMUNITY}/assessments/new", data={"csrf_token": csrf, "on": "2026-01-01"}
        )
        assert r.status_code == 400 and 'id="f-scores-error"' in r.text
        r = webber.post(
            f"/communities/{COMMUNITY}/steps/new",
            data={
                "csrf_token": csrf,
                "on": "2026-13-01",
                "kind": "phase-transition",
                "title": "Naar ontwerp",
            },
        )
        assert r.status_code == 400 and 'id="f-on-error"' in r.text and 'value="Naar ontwerp"' in r.text


def test_someone_else_proposes_a_change_and_the_owner_edits(site: Site) -> None:
    other, csrf = site.client("forms-dev")
    with other:
        form = other.get(f"/instruments/{INSTRUMENT}/edit")
        assert form.status_code == 200 and 'value="Formulierentestkompas"' in form.text
        assert "niet de eigenaar" in form.text
        data = {
            "csrf_token": csrf,
            "name.nl": "Formulierentestkompas",
            "kind": "tool",
            "purpose.nl": "Een voorgestelde nieuwe doelomschrijving.",
            "description.nl": "d",
        }
        r = other.post(f"/instruments/{INSTRUMENT}/edit", data=data)
        assert r.status_code == 303 and "submitted=contrib/proposal/" in r.headers["location"]
        page = other.get(r.headers["location"]).text
        assert 'data-state="proposed"' in page and 'data-kind="edit"' in page
        assert "Een voorgestelde nieuwe doelomschrijving." not in page, "the public page is unchanged"
    owner, csrf = site.client("forms-trusted-dev")
    with owner:
        opened = re.search(r'name="etag" value="([^"]+)"', owner.get(f"/instruments/{INSTRUMENT}/edit").text)
        assert opened is not None, "the edit form carries the instrument's entity tag"
        data |= {"csrf_token": csrf, "etag": opened[1]}
        r = owner.post(
            f"/instruments/{INSTRUMENT}/edit",
            data=data | {"purpose.nl": "Een kompas voor de eerste bewonersavond."},
        )
        assert r.status_code == 303
        page = owner.get(r.headers["location"]).text
        assert 'data-state="approved"' in page and "Een kompas voor de eerste bewonersavond." in page
        # a second save from the same (now stale) form does not overwrite the change made meanwhile
        r = owner.post(
            f"/instruments/{INSTRUMENT}/edit", data=data | {"purpose.nl": "Een verouderde versie."}
        )
        assert r.status_code == 400 and "after you opened the form" not in r.text
        assert "nadat je het formulier opende" in r.text
        newer = re.search(r'name="etag" value="([^"]+)"', r.text)
        assert newer is not None and newer[1] != opened[1], "the form now carries the newest tag"
        assert "Een verouderde versie." in r.text, "the text entered is kept"
        # signing out by the header's form ends the session and returns to the page
        r = owner.post("/auth/logout", data={"csrf_token": csrf, "next": f"/id/instrument/{INSTRUMENT}"})
        assert r.status_code == 303 and r.headers["location"] == f"/id/instrument/{INSTRUMENT}"
        assert owner.get("/instruments/new").status_code == 303
