"""User journeys through the web UI in a real browser (Debian chromium), checked with axe-core."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.web.conftest import Visitor

SUGGESTION_LINKS = "#similar-h-section .card h3 a, #crossovers-h-section .card h3 a"


def test_search_in_dutch_and_open_a_crossover(dutch: Visitor) -> None:
    page = dutch.page
    dutch.visit("/", "home-nl")
    assert page.get_attribute("html", "lang") == "nl"
    page.get_by_label("Zoekvraag").fill("bewoners betrekken bij de energietransitie")
    page.get_by_role("button", name="Zoeken", exact=True).click()
    page.wait_for_selector(".result-group")
    dutch.check("search-nl")
    assert "resultaten voor" in page.inner_text(".result-count")
    assert page.locator(".hit .why").count() > 0
    # open the first instrument found, then one of its suggestions from other sectors
    page.locator("#group-instrument ~ ol .hit-title a").first.click()
    page.wait_for_selector("body.page-instrument")
    dutch.check("instrument-nl")
    assert page.locator(".card .reason").count() > 0, "an instrument page explains its suggestions"
    title = page.locator(SUGGESTION_LINKS).first.inner_text()
    page.locator(SUGGESTION_LINKS).first.click()
    page.wait_for_selector("body.page-entity")
    assert page.inner_text("h1") == title
    dutch.check("suggestion-nl")


def test_search_in_english_facets_and_similar_cases(english: Visitor) -> None:
    page = english.page
    english.visit("/?q=onboarding+new+partners+in+a+regional+network", "search-en")
    assert page.get_attribute("html", "lang") == "en"
    assert "results for" in page.inner_text(".result-count")
    # narrow to cases with the facet checkbox and the Apply button
    page.get_by_role("group", name="Type").get_by_label("Case").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**type=case**")
    assert page.locator(".result-group").count() == 1
    assert page.locator(".hit[data-type=case]").count() > 0
    english.check("search-en-cases")
    page.locator(".hit[data-type=case] .hit-title a").first.click()
    page.wait_for_selector("body.page-case")
    english.check("case-en")
    assert page.get_by_role("heading", name="Outcomes by value type").is_visible()
    similar = page.locator("#similar-h-section .card")
    assert similar.count() > 0 and "across sectors" in page.inner_text("#similar-h")
    # share metadata for link previews
    assert page.get_attribute("meta[property='og:url']", "content").startswith("http://127.0.0.1")
    assert page.get_attribute("meta[name='twitter:card']", "content") == "summary"
    share = page.get_attribute("a.share", "href")
    assert share.startswith("https://www.linkedin.com/sharing/share-offsite/?url=http%3A%2F%2F127.0.0.1")
    similar.first.locator("h3 a").click()
    page.wait_for_selector("body.page-case")
    english.check("similar-case-en")


def test_language_switch_and_keyboard(dutch: Visitor) -> None:
    page = dutch.page
    dutch.visit("/ontology", "ontology-nl")
    assert page.get_attribute("html", "lang") == "nl"
    assert page.get_by_role("heading", name="Klassen").is_visible()
    page.get_by_role("link", name="EN (English)").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.get_by_role("heading", name="Classes").is_visible()
    dutch.check("ontology-en")
    # the choice sticks (cookie) on the next page without ?lang
    page.goto(dutch.base + "/login")
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_label("Password").is_visible()
    dutch.check("login-en")
    # keyboard: the first Tab reaches the skip link, Enter moves focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # a wrong password is reported in the page, not as a JSON document
    page.get_by_label("Account or e-mail address").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#login-error:not([hidden])")
    assert "Sign-in failed" in page.inner_text("#login-error")


def test_ontology_documents_terms_with_anchors(english: Visitor) -> None:
    page = english.page
    english.visit("/ontology?lang=en#Instrument", "ontology-anchor")
    term = page.locator("dt#Instrument")
    assert term.is_visible() and "instrument" in term.inner_text().lower()
    assert page.locator("dt#hasVersion").count() == 1
    assert page.locator("dt[lang], dd p[lang=nl]").count() > 10, "Dutch definitions shown beside English"


def test_sparql_saved_query_table_and_csv(english: Visitor, tmp_path: Path) -> None:
    page = english.page
    english.visit("/sparql", "sparql-editor")
    page.wait_for_selector(".CodeMirror")
    page.locator("a.example-load[data-example='07-most-used-instruments']").click()
    assert "07-most-used-instruments" in page.url
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#results-table tbody tr")
    assert page.locator("#results-table tbody tr").count() > 3
    assert "rows" in page.inner_text("#status")
    english.check("sparql-results")
    with page.expect_download() as info:
        page.click("#dl-csv")
    path = tmp_path / "results.csv"
    info.value.save_as(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 3 and "," in lines[0]
    # a CONSTRUCT query offers Turtle instead of CSV
    page.locator("a.example-load").first.click()
    page.evaluate(
        "document.querySelector('.CodeMirror').CodeMirror.setValue("
        "'CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 5')"
    )
    expect(page.locator("#dl-csv")).to_have_attribute("aria-disabled", "true")
    expect(page.locator("#dl-ttl")).not_to_have_attribute("aria-disabled", "true")
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#results pre")
    assert "a " in page.inner_text("#results pre") or "rdf:type" in page.inner_text("#results pre")


def test_graph_view_renders_nodes(english: Visitor) -> None:
    page = english.page
    english.visit("/id/instrument/seeds-of-innovation", "graph-instrument")
    page.wait_for_selector("#graph[data-state=ready]")
    assert int(page.get_attribute("#graph", "data-nodes")) > 3
    assert page.locator(".graph-list a").count() > 3, "the keyboard fallback list has the same links"
    english.check("graph-instrument-ready")


def test_phone_width_layout(phone: Visitor) -> None:
    page = phone.page
    for path, name in (
        ("/?q=kennisdeling+tussen+onderwijs+en+bedrijven", "phone-search"),
        ("/id/instrument/seeds-of-innovation", "phone-instrument"),
        ("/sparql", "phone-sparql"),
    ):
        phone.visit(path, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways on a phone ({width}px)"
