"""Stored XSS: hostile text in every free-text field stays text on every page that shows it.

Content with script payloads is published (approved at once, by a moderator account) through the same
kg-layer calls the API uses: an instrument (name, purpose, description in both languages), an
experience report (context, group, what worked and did not, adaptations, an outcome), a case with its
community (name, description), a development step (title, description) and a shared self-assessment
(a note). Each page that shows them is opened in Chromium; the test fails if the page gained an element
or attribute from a payload (an event handler, an inline script, a ``javascript:`` link, an ``iframe``),
if a script ran (a global the payloads set, a dialog), or if the payload text is not on the page at all
(then the page did not show the field, and the check proved nothing).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from rdflib import URIRef

from kg.accounts import AccountStore
from kg.accounts.credentials import new_session_key, sign, signing_key
from kg.contributions import (
    AssessmentInput,
    Communities,
    ExperienceInput,
    Experiences,
    InstrumentInput,
    Instruments,
    StepInput,
    Submissions,
)
from kg.entries import CaseEntry, SomeText
from kg.graph import KnowledgeGraph
from kg.permissions import Principal, Role
from tests.conftest import LiveServer
from tests.reliability.ledger import record
from tests.web.conftest import Visitor

MARK = "Xsskompas"
"""A word in every payload, so the test can see the payload reached the page as text."""

PAYLOADS = (
    f'{MARK} <img src=x onerror="window.__xss=1">',
    f"{MARK} <script>window.__xss=2</script>",
    f'{MARK} "><svg onload="window.__xss=3"></svg>',
    f'{MARK} \'><iframe src="javascript:window.__xss=4"></iframe>',
    f'{MARK} </textarea></title><a href="javascript:window.__xss=5">klik</a>',
    f"{MARK} {{{{ 7*7 }}}} {{% raw %}} ${{7*7}}",
)
SLUG = "xss-kompas"
PENDING_SLUG = "xss-wachtend"
CASE_SLUG = "xss-wijk"
AUTHOR = Principal(account_id="xss-mod", roles=frozenset({Role.MODERATOR}), via="token")
PROPOSER = Principal(account_id="xss-dev", roles=frozenset({Role.DEVELOPER}), via="token")

INJECTED = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
      if (/^\\s*javascript:/i.test(attr.value)) bad.push(el.tagName + ' ' + attr.name + '=' + attr.value);
    }
    if (el.tagName === 'SCRIPT' && !el.src) bad.push('inline script: ' + el.textContent.slice(0, 60));
    if (el.tagName === 'IFRAME') bad.push('iframe');
  }
  return {bad, ran: window.__xss === undefined ? null : window.__xss, text: document.body.innerText};
}"""


def payload(i: int) -> str:
    """The payload for field number ``i`` (each field gets one; all of them are used)."""
    return PAYLOADS[i % len(PAYLOADS)]


@dataclass
class Planted:
    graphs: list[str]
    pending_item: str
    session_cookie: str


@pytest.fixture(scope="module")
def planted(search_kg: KnowledgeGraph, search_server: LiveServer) -> Iterator[Planted]:
    """Publish the hostile content (approved at once); remove it afterwards."""
    instrument = Instruments(search_kg).publish(
        AUTHOR,
        InstrumentInput(
            slug=SLUG,
            name=SomeText(nl=payload(0), en=payload(1)),
            kind="tool",
            purpose=SomeText(nl=payload(2), en=payload(3)),
            description=SomeText(nl=payload(4), en=payload(5)),
            target_roles=["facilitator"],
            phases=["start"],
            origin_sectors=["energy"],
        ),
    )
    experience = Experiences(search_kg).report(
        AUTHOR,
        ExperienceInput(
            instrument=SLUG,
            context=payload(0),
            group_composition=payload(1),
            what_worked=payload(2),
            what_did_not_work=payload(3),
            adaptations=payload(4),
            outcomes=[{"value_type": "immediate", "text": payload(5)}],  # type: ignore[list-item]
            rating=4,
            sector="care-welfare",
            phase="start",
        ),
    )
    case = Communities(search_kg).create_case(
        AUTHOR,
        CaseEntry.model_validate(
            {
                "slug": CASE_SLUG,
                "name": {"nl": payload(1), "en": payload(2)},
                "entity": "learning-community",
                "community": {"practices": ["education"], "forms": ["living-lab"]},
                "case": {
                    "description": {"nl": payload(3), "en": payload(4)},
                    "sectors": ["energy"],
                    "phases": ["start"],
                },
            }
        ),
    )
    communities = Communities(search_kg)
    step = communities.add_step(
        AUTHOR,
        CASE_SLUG,
        StepInput(on=date(2026, 3, 1), kind="activity", title=payload(5), description=payload(0)),
    )
    assessment = communities.assess(
        AUTHOR,
        CASE_SLUG,
        AssessmentInput(
            on=date(2026, 4, 1),
            scores={"sf05-shared-vision": {"score": 3, "note": payload(1)}},  # type: ignore[dict-item]
            shared=True,
        ),
    )
    subs = [instrument, experience, case, step, assessment]
    assert all(sub.state == "approved" for sub in subs), [sub.state for sub in subs]
    # an untrusted developer's proposal: hostile text on the moderator's queue and review pages
    pending = Instruments(search_kg).publish(
        PROPOSER,
        InstrumentInput(
            slug=PENDING_SLUG,
            name=SomeText(nl=payload(2)),
            kind="tool",
            purpose=SomeText(nl=payload(3)),
            description=SomeText(nl=payload(4)),
        ),
    )
    assert pending.state == "proposed"
    accounts = AccountStore(search_kg.store)
    if AUTHOR.account_id not in {a.id for a in accounts.accounts()}:
        accounts.create(AUTHOR.account_id, name=payload(5), roles=[Role.MODERATOR])
    key = new_session_key()
    accounts.create_session(AUTHOR.account_id, ttl=timedelta(hours=1), session_key=key)
    cookie = sign(signing_key(search_kg.settings), "session", key)
    yield Planted([sub.graph for sub in subs], pending.id, cookie)
    for who in ("xss-mod", "xss-dev"):
        for sub in Submissions(search_kg).by_author(who):
            search_kg.remove_graph(URIRef(sub.graph))


PAGES = (
    f"/id/instrument/{SLUG}",
    f"/id/case/{CASE_SLUG}",
    f"/id/community/{CASE_SLUG}",
    f"/?q={MARK}",
)


def check_page(visitor: Visitor, path: str, name: str) -> None:
    """Open ``path`` and fail if a payload became markup or ran, or if no payload text is shown."""
    page: Any = visitor.page
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    visitor.visit(path, name)
    found = page.evaluate(INJECTED)
    record("stored XSS in free-text fields", faults=len(PAYLOADS), inputs=1, lost=len(found["bad"]))
    assert not found["bad"], f"{path}: markup from a payload: {found['bad']}"
    assert found["ran"] is None, f"{path}: a payload ran ({found['ran']})"
    assert not dialogs, f"{path}: dialogs {dialogs}"
    shown = found["text"] + " ".join(
        page.eval_on_selector_all("input, textarea", "els => els.map(e => e.value)")
    )
    assert MARK in shown, f"{path}: the hostile fields are not shown, so nothing was checked"


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_hostile_text_stays_text(planted: Planted, english: Visitor, path: str, lang: str) -> None:
    """No payload becomes markup or runs, in either language, and the payload text is visible."""
    sep = "&" if "?" in path else "?"
    check_page(
        english, f"{path}{sep}lang={lang}", f"xss-{lang}-{path.strip('/').split('?')[0].replace('/', '-')}"
    )


def test_hostile_text_stays_text_for_a_moderator(planted: Planted, english: Visitor) -> None:
    """The queue, the review page (pending text), and the edit form prefilled with stored text."""
    english.page.context.add_cookies(
        [{"name": "lcgraph_session", "value": planted.session_cookie, "url": english.base}]
    )
    for path, name in (
        ("/moderation", "xss-moderation-queue"),
        (f"/moderation/review/{planted.pending_item}", "xss-moderation-item"),
        (f"/instruments/{SLUG}/edit", "xss-edit-form"),
        (f"/instruments/{SLUG}/experiences/new", "xss-experience-form"),
    ):
        check_page(english, path, name)


def test_feeds_and_json_keep_payloads_as_data(planted: Planted, search_server: LiveServer) -> None:
    """The Atom feed is well-formed XML whose text holds the payload; JSON answers are not HTML."""
    with httpx.Client(base_url=search_server.url, timeout=60) as client:
        feed = client.get(f"/feeds/instruments/{SLUG}.atom")
        assert feed.status_code == 200, feed.text[:300]
        root = ET.fromstring(feed.content)  # raises if a payload broke the XML
        assert MARK in "".join(root.itertext())
        assert "<script>" not in feed.text and "<img src=x" not in feed.text
        answer = client.get(f"/instruments/{SLUG}", headers={"Accept": "application/json"})
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.headers["x-content-type-options"] == "nosniff"
