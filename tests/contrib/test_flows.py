"""End-to-end flows over real HTTP: publish and version an instrument, report experiences, document a
community's development, moderate. Each test reads the result back through the public API."""

from __future__ import annotations

import httpx

from tests.contrib.conftest import Platform

INSTRUMENT = {
    "name": {"nl": "Buurtwarmtetafel", "en": "Neighbourhood heat table"},
    "kind": "work-form",
    "purpose": {"nl": "Bewoners en corporaties samen laten kiezen voor een warmteoplossing."},
    "description": {
        "nl": "Een reeks tafelgesprekken waarin bewoners, de woningcorporatie en de gemeente "
        "samen de opties voor aardgasvrij wonen doorlopen."
    },
    "target_roles": ["facilitator"],
    "phases": ["start", "design"],
    "origin_sectors": ["energy"],
}


def test_publish_instrument_and_a_new_version(platform: Platform) -> None:
    dev = platform.client("trusted-dev")
    anon = platform.client()
    r = dev.post("/instruments", json={**INSTRUMENT, "slug": "buurtwarmtetafel"})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["state"] == "approved" and sub["kind"] == "instrument" and sub["author"] == "trusted-dev"
    assert r.headers["location"] == f"/submissions/{sub['id']}"
    # Public at once, through the existing read API.
    got = anon.get("/instruments/buurtwarmtetafel")
    assert got.status_code == 200, got.text
    assert got.json()["name"]["nl"] == "Buurtwarmtetafel"
    # Two versions; the changelog is read back, newest first; an older number is refused.
    for version, log in (("1.0.0", "Eerste uitgave."), ("1.1.0", "Werkblad voor huurders toegevoegd.")):
        r = dev.post(
            "/instruments/buurtwarmtetafel/versions", json={"version": version, "changelog": {"nl": log}}
        )
        assert r.status_code == 201, r.text
    versions = anon.get("/instruments/buurtwarmtetafel/versions").json()
    assert [v["version"] for v in versions] == ["1.1.0", "1.0.0"]
    assert versions[0]["changelog"]["nl"] == "Werkblad voor huurders toegevoegd."
    r = dev.post(
        "/instruments/buurtwarmtetafel/versions", json={"version": "0.9.0", "changelog": {"nl": "x"}}
    )
    assert r.status_code == 400 and "not newer" in r.json()["detail"]
    r = dev.post("/instruments/buurtwarmtetafel/versions", json={"version": "v2", "changelog": {"nl": "x"}})
    assert r.status_code == 422
    # Someone else's tool: versions are the owner's (or a moderator's) business.
    r = platform.client("dev").post(
        "/instruments/buurtwarmtetafel/versions", json={"version": "2.0.0", "changelog": {"nl": "x"}}
    )
    assert r.status_code == 403


def test_untrusted_instrument_waits_for_review_then_is_public(platform: Platform) -> None:
    anon = platform.client()
    r = platform.client("dev").post(
        "/instruments", json={**INSTRUMENT, "slug": "wachtende-tafel", "adaptation_of": "buurtwarmtetafel"}
    )
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["state"] == "proposed"
    assert anon.get("/instruments/wachtende-tafel").status_code == 404
    assert platform.client("dev").get(f"/submissions/{sub['id']}").json()["state"] == "proposed"
    assert anon.get(f"/submissions/{sub['id']}").status_code == 404
    queue = platform.client("mod").get("/moderation/queue").json()
    assert sub["id"] in [item["id"] for item in queue]
    item = platform.client("mod").get(f"/moderation/items/{sub['id']}").json()
    assert any(f["object"] == "Buurtwarmtetafel" for f in item["facts"])
    r = platform.client("mod").post(f"/moderation/approve/{sub['id']}", json={"reason": "looks fine"})
    assert r.status_code == 200 and r.json()["state"] == "approved"
    assert anon.get("/instruments/wachtende-tafel").status_code == 200
    lineage = anon.get("/instruments/buurtwarmtetafel/lineage").json()
    assert lineage["derivatives"] == ["https://w3id.org/lcgraph/id/instrument/wachtende-tafel"]
    assert anon.get("/instruments/wachtende-tafel/lineage").json()["adaptation_of"] == [
        "https://w3id.org/lcgraph/id/instrument/buurtwarmtetafel"
    ]


def test_proposed_edit_replaces_the_instrument_once_approved(platform: Platform) -> None:
    anon = platform.client()
    changed = {**INSTRUMENT, "purpose": {"nl": "Samen kiezen, met een rekenmodel erbij."}}
    r = platform.client("webber").put("/instruments/buurtwarmtetafel", json=changed)
    assert r.status_code == 200, r.text
    proposal = r.json()
    assert proposal["kind"] == "edit" and proposal["state"] == "proposed"
    before = anon.get("/instruments/buurtwarmtetafel").json()
    assert "rekenmodel" not in str(before)
    r = platform.client("mod").post(f"/moderation/approve/{proposal['id']}", json={})
    assert r.status_code == 200, r.text
    after = anon.get("/instruments/buurtwarmtetafel").json()
    assert "rekenmodel" in str(after)
    assert platform.client("mod").get(f"/submissions/{proposal['id']}").status_code == 404


def test_experience_reports_change_the_aggregate(platform: Platform) -> None:
    anon = platform.client()
    before = anon.get("/instruments/seeds-of-innovation/experiences").json()["aggregate"]
    report = {
        "instrument": "seeds-of-innovation",
        "sector": "care-welfare",
        "phase": "execute",
        "context": "Een zorgcommunity van vier ziekenhuizen die samen leren over personeelstekorten.",
        "what_worked": "De scores maakten zichtbaar waar het gesprek over moest gaan.",
        "what_did_not_work": "De poster was te klein voor de groep.",
        "outcomes": [{"value_type": "applied", "text": "Het team paste het rooster aan."}],
        "rating": 4,
        "evidence_links": ["https://example.org/verslag"],
    }
    r = platform.client("trusted-webber").post("/experiences", json=report)
    assert r.status_code == 201, r.text
    r = platform.client("trusted-webber").post(
        "/experiences", json={**report, "rating": 2, "sector": "education"}
    )
    assert r.status_code == 201
    agg = anon.get("/instruments/seeds-of-innovation/experiences").json()
    a = agg["aggregate"]
    assert a["count"] == before["count"] + 2
    assert a["ratings"]["4"] == before["ratings"]["4"] + 1 and a["ratings"]["2"] == before["ratings"]["2"] + 1
    assert a["sectors"]["care-welfare"] >= 1 and a["value_types"]["applied"] >= 2
    assert agg["experiences"][0]["what_worked"].startswith("De scores")
    # An untrusted report does not count until approved.
    r = platform.client("webber").post("/experiences", json={**report, "rating": 5})
    assert r.json()["state"] == "proposed"
    assert anon.get("/instruments/seeds-of-innovation/experiences").json()["aggregate"]["count"] == a["count"]
    # Bad input says what and where.
    r = platform.client("webber").post("/experiences", json={**report, "sector": "space-travel"})
    assert r.status_code == 400 and "sector" in r.json()["detail"]
    r = platform.client("webber").post("/experiences", json={**report, "rating": 9})
    assert r.status_code == 422


def test_developer_follows_experiences_with_their_tools(platform: Platform) -> None:
    anon = platform.client()
    r = platform.client("trusted-webber").post(
        "/experiences",
        json={
            "instrument": "buurtwarmtetafel",
            "version": "1.1.0",
            "context": "Wijk in Zwolle.",
            "rating": 5,
            "sector": "energy",
            "phase": "start",
        },
    )
    assert r.status_code == 201, r.text
    mine = anon.get("/developers/trusted-dev/experiences").json()
    assert [e["instrument"].rsplit("/", 1)[-1] for e in mine] == ["buurtwarmtetafel"]
    assert mine[0]["version"] == "1.1.0"
    feed = anon.get("/feeds/developers/trusted-dev.atom")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    assert "Wijk in Zwolle." in feed.text and feed.text.count("<entry>") == 1
    feed = anon.get("/feeds/instruments/buurtwarmtetafel.atom")
    assert feed.text.count("<entry>") == 1


CASE = {
    "slug": "warmtewijk-zwolle",
    "name": {"nl": "Warmtewijk Zwolle", "en": "Heat district Zwolle"},
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


def test_community_steps_and_two_self_assessments_show_progress(platform: Platform) -> None:
    webber = platform.client("webber")
    r = webber.post("/cases", json=CASE)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "proposed"
    steps = [
        {"on": "2026-03-01", "kind": "activity", "title": "Eerste bewonersavond"},
        {
            "on": "2026-05-10",
            "kind": "instrument-applied",
            "title": "Warmtetafel",
            "instruments": ["buurtwarmtetafel"],
        },
        {
            "on": "2026-06-01",
            "kind": "phase-transition",
            "title": "Ontwerpfase",
            "phase": "design",
            "outcomes": [{"value_type": "potential", "text": "Drie scenario's liggen klaar."}],
        },
    ]
    for step in steps:
        r = webber.post("/communities/warmtewijk-zwolle/steps", json=step)
        assert r.status_code == 201, r.text
    first = {
        "sf05-shared-vision": {"score": 2, "note": "Nog geen gedeeld beeld."},
        "sf07-interim-results": {"score": 1},
    }
    second = {"sf05-shared-vision": {"score": 4}, "sf07-interim-results": {"score": 3, "note": "Scenario's."}}
    assert (
        webber.post(
            "/communities/warmtewijk-zwolle/assessments", json={"on": "2026-03-02", "scores": first}
        ).json()["state"]
        == "private"
    )
    assert (
        webber.post(
            "/communities/warmtewijk-zwolle/assessments", json={"on": "2026-06-02", "scores": second}
        ).status_code
        == 201
    )
    progress = webber.get("/communities/warmtewijk-zwolle/progress").json()
    assert [s["title"] for s in progress["steps"]] == ["Eerste bewonersavond", "Warmtetafel", "Ontwerpfase"]
    assert progress["steps"][2]["phase"] == "design"
    assert [a["on"] for a in progress["assessments"]] == ["2026-03-02", "2026-06-02"]
    assert progress["change"] == {"sf05-shared-vision": 2.0, "sf07-interim-results": 2.0}
    # Until a moderator approves the case, nobody else sees it; private scores stay the owner's.
    assert platform.client().get("/communities/warmtewijk-zwolle/progress").status_code == 404
    for sub in platform.client("mod").get("/moderation/queue").json():
        if "warmtewijk-zwolle" in sub["id"]:
            assert platform.client("mod").post(f"/moderation/approve/{sub['id']}", json={}).status_code == 200
    public = platform.client().get("/communities/warmtewijk-zwolle/progress").json()
    assert len(public["steps"]) == 3 and public["assessments"] == []
    # Someone else cannot write into this community's timeline.
    r = platform.client("trusted-webber").post("/communities/warmtewijk-zwolle/steps", json=steps[0])
    assert r.status_code == 403
    r = webber.post(
        "/communities/warmtewijk-zwolle/assessments",
        json={"on": "2026-07-01", "scores": {"sf99": {"score": 3}}},
    )
    assert r.status_code == 400 and "sf99" in r.json()["detail"]


def test_moderator_rejects_with_a_reason_and_the_audit_trail_answers_sparql(platform: Platform) -> None:
    r = platform.client("dev").post("/instruments", json={**INSTRUMENT, "slug": "spam-tafel"})
    sub = r.json()
    mod = platform.client("mod")
    assert mod.post(f"/moderation/reject/{sub['id']}", json={}).status_code == 400
    r = mod.post(f"/moderation/reject/{sub['id']}", json={"reason": "duplicate of buurtwarmtetafel"})
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert mod.post(f"/moderation/approve/{sub['id']}", json={}).status_code == 409
    assert platform.client().get("/instruments/spam-tafel").status_code == 404
    query = """PREFIX lc: <https://w3id.org/lcgraph/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
    SELECT ?action ?who ?why WHERE { GRAPH <https://w3id.org/lcgraph/graph/audit> {
      ?r a lc:ChangeRecord ; lc:changeAction ?action ; prov:wasAssociatedWith ?who ;
         lc:changedGraph <https://w3id.org/lcgraph/graph/%s> .
      OPTIONAL { ?r lc:changeReason ?why } } }""".replace("%s", sub["id"])
    rows = mod.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()
    got = {
        (b["action"]["value"], b["who"]["value"].rsplit("/", 1)[-1], b.get("why", {}).get("value"))
        for b in rows["results"]["bindings"]
    }
    assert got == {("submit", "dev", None), ("reject", "mod", "duplicate of buurtwarmtetafel")}
    # The same query as anonymous reaches nothing.
    anon_rows = (
        platform.client()
        .get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
        .json()
    )
    assert anon_rows["results"]["bindings"] == []


def test_browser_session_writes_need_the_csrf_token(platform: Platform) -> None:
    """A signed-in browser (session cookie) reports an experience only with the session's CSRF token."""
    platform.accounts.set_password("webber", "a long enough password 1")
    with httpx.Client(base_url=platform.server.url, timeout=30) as browser:
        r = browser.post("/auth/login", json={"login": "webber", "password": "a long enough password 1"})
        assert r.status_code == 200, r.text
        csrf = browser.get("/auth/csrf").json()["csrf_token"]
        report = {"instrument": "seeds-of-innovation", "context": "Sessie in de browser.", "rating": 3}
        denied = browser.post("/experiences", json=report)
        assert denied.status_code == 403 and denied.json()["where"] == "csrf"
        ok = browser.post("/experiences", json=report, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201 and ok.json()["author"] == "webber"


def test_slugs_the_pages_use_are_refused_or_avoided(platform: Platform) -> None:
    """``/instruments/new`` is the publish form: an instrument named ``new`` would be unreachable."""
    dev = platform.client("trusted-dev")
    r = dev.post("/instruments", json={**INSTRUMENT, "slug": "new"})
    assert r.status_code == 400 and r.json()["where"] == "slug" and "reserved" in r.json()["detail"]
    r = dev.post("/instruments", json={**INSTRUMENT, "name": {"nl": "New", "en": "New"}})
    assert r.status_code == 201, r.text
    assert r.json()["id"].endswith("instrument/new-instrument")
    assert platform.client().get("/instruments/new-instrument").status_code == 200


def test_experiences_in_a_community_show_on_its_pages(platform: Platform) -> None:
    """A report that names a community is listed on the community's and the case's page, with the
    instrument it was about; the JSON aggregate of the instrument counts it too."""
    case = {**CASE, "slug": "ervaringswijk", "name": {"nl": "Ervaringswijk", "en": "Experience district"}}
    r = platform.client("trusted-webber").post("/cases", json=case)
    assert r.status_code == 201 and r.json()["state"] == "approved", r.text
    report = {
        "instrument": "seeds-of-innovation",
        "community": "ervaringswijk",
        "context": "Gebruikt op de tweede bewonersavond in de Ervaringswijk.",
        "what_worked": "De kaarten hielpen om over vertrouwen te praten.",
        "rating": 5,
    }
    r = platform.client("trusted-dev").post("/experiences", json=report)
    assert r.status_code == 201 and r.json()["state"] == "approved", r.text
    anon = platform.client()
    for path in ("/id/community/ervaringswijk", "/id/case/ervaringswijk"):
        page = anon.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200, page.text[:300]
        assert report["context"] in page.text and report["what_worked"] in page.text, path
        assert 'class="experience-instrument" href="/id/instrument/seeds-of-innovation"' in page.text
        assert 'data-count="1"' in page.text
    other = anon.get("/id/community/gas-erop", headers={"Accept": "text/html"})
    assert report["context"] not in other.text
