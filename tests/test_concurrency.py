"""Many concurrent writers over real HTTP: optimistic concurrency (ETag / If-Match, 412) and no lost update.

Each test lines its writers up on a barrier and lets them fire at once from threads, each with its own
HTTP client, at a real uvicorn server. The races on one instrument run against the in-memory store and
the on-disk RocksDB store (pyoxigraph), whose transactions carry the writes; the rest against memory only,
to keep the module fast. What is proven:

- of many changes based on one entity tag exactly one is stored, the others get 412 with the current tag,
  and the stored state is exactly the winner's (a check outside the write lock lets several through);
- writers that re-read on 412 and retry (read-modify-write) lose no update: every token ends up stored;
- without If-Match every change is still applied whole and one after another (the final state is one
  writer's complete body), while a stale If-Match is refused where a missing one lets the last writer win;
- concurrent publications of one slug and additions of one version store one; concurrent writes to
  different instruments and concurrent experience reports all land and are all counted;
- a moderator's approval of a proposed edit (and a deprecation) changes the tag, so older tags get 412.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr
from rdflib.namespace import DCTERMS

from api.app import create_app
from kg.accounts import AccountStore
from kg.catalog import instrument_iri
from kg.config import Settings
from kg.contributions import InstrumentInput, Instruments
from kg.errors import PreconditionFailed
from kg.graph import KnowledgeGraph
from kg.permissions import Principal, Role, Scope
from tests.conftest import AppServer
from tests.contrib.conftest import ROLES, Platform
from tests.reliability.ledger import record

WRITERS = 16
"""Concurrent writers per race: more than the server's cores, so requests overlap inside the server."""

T = TypeVar("T")
_slugs = itertools.count()


def _platform(home: Path, store: str) -> tuple[Platform, KnowledgeGraph]:
    """Start a server over an empty store (``memory`` or on-disk ``oxigraph``) with one token per role.

    The write rate limit is lifted: the races below send more writes per second than it allows. The
    catalog is not loaded: it takes seconds and every test here writes and reads its own instruments.
    """
    settings = Settings(
        store=store,  # type: ignore[arg-type]
        home=home,
        search_enabled=False,
        session_secret=SecretStr("s" * 48),
        write_burst=100_000,
        write_rate_per_minute=1_000_000,
    )
    kg = KnowledgeGraph.open(settings)
    accounts = AccountStore(kg.store)
    tokens = {}
    for account_id, (roles, trusted) in ROLES.items():
        accounts.create(account_id, name=account_id.title(), roles=roles, trusted=trusted)
        scopes = {Scope.READ} | ({Scope.WRITE} if roles else set())
        if Role.MODERATOR in roles or Role.ADMIN in roles:
            scopes |= {Scope.MODERATE}
        tokens[account_id] = accounts.create_token(account_id, frozenset(scopes)).token
    server = AppServer(create_app(settings, kg=kg)).start()
    return Platform(server, kg, accounts, tokens), kg


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform over the in-memory store, shared by the tests of this module (each uses its own slugs)."""
    p, kg = _platform(tmp_path_factory.mktemp("concurrency-memory"), "memory")
    yield p
    p.server.stop()
    kg.close()


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform over the on-disk RocksDB store, whose transactions carry the writes."""
    p, kg = _platform(tmp_path_factory.mktemp("concurrency-disk"), "oxigraph")
    yield p
    p.server.stop()
    kg.close()


@pytest.fixture(params=["memory", "disk"])
def platform(request: pytest.FixtureRequest) -> Platform:
    """Each store in turn, for the races on one instrument (where the store's transaction matters)."""
    found: Platform = request.getfixturevalue(request.param)
    return found


def _body(
    description: str, *, name: str = "Gelijktijdigheidsmeter", slug: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": {"nl": name},
        "kind": "tool",
        "purpose": {"nl": "Laten zien dat gelijktijdige wijzigingen niet verloren gaan."},
        "description": {"nl": description},
    }
    if slug:
        body["slug"] = slug
    return body


def _publish(platform: Platform, description: str = "Begin.") -> str:
    """Publish a fresh instrument as a trusted developer (public at once) and return its slug."""
    slug = f"race-{next(_slugs)}"
    with platform.client("trusted-dev") as client:
        r = client.post("/instruments", json=_body(description, slug=slug))
    assert r.status_code == 201, r.text
    return slug


def _read(client: httpx.Client, slug: str) -> tuple[str, str]:
    """Return the ETag and the Dutch description of an instrument, as GET shows them."""
    r = client.get(f"/instruments/{slug}")
    assert r.status_code == 200, r.text
    return r.headers["etag"], r.json()["description"]["nl"]


SCENARIO = "concurrent writers with If-Match"


def _race(n: int, action: Callable[[int], T]) -> list[T]:
    """Run ``action(i)`` for ``i`` in ``range(n)`` in ``n`` threads released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def _clients(platform: Platform, who: str, n: int) -> list[httpx.Client]:
    return [platform.client(who) for _ in range(n)]


def test_of_many_changes_based_on_one_tag_exactly_one_is_stored(platform: Platform) -> None:
    """16 PUTs carrying one If-Match: one 200, fifteen 412 with the new tag; the winner's body is stored.

    Three rounds, each starting from the tag the previous round left. A check made outside the write
    lock would let several writers through and fail the "exactly one" count.
    """
    slug = _publish(platform)
    reader = platform.client()
    clients = _clients(platform, "trusted-dev", WRITERS)
    for round_ in range(3):
        tag, _ = _read(reader, slug)

        def put(i: int, tag: str = tag, round_: int = round_) -> httpx.Response:
            body = _body(f"Ronde {round_}, schrijver {i}.")
            return clients[i].put(f"/instruments/{slug}", json=body, headers={"If-Match": tag})

        responses = _race(WRITERS, put)
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * (WRITERS - 1), statuses
        winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
        new_tag = responses[winner].headers["etag"]
        assert new_tag != tag
        for r in responses:
            if r.status_code == 412:
                problem = r.json()
                assert r.headers["content-type"].startswith("application/problem+json")
                assert problem["where"] == "If-Match"
                assert "changed" in problem["detail"]
                # The refused writer learns the tag the winner left, to re-read and retry with.
                assert problem["etag"] == new_tag == r.headers["etag"]
        stored = _read(reader, slug) == (new_tag, f"Ronde {round_}, schrijver {winner}.")
        record(SCENARIO, faults=WRITERS - 1, inputs=WRITERS, lost=0 if stored else 1)
        assert stored, _read(reader, slug)
    for client in [reader, *clients]:
        client.close()


def test_read_modify_write_with_retry_loses_no_update(platform: Platform) -> None:
    """Writers that each append a token, re-reading on 412, end with every token stored exactly once."""
    slug = _publish(platform, "Tokens:")
    writers = 8
    clients = _clients(platform, "trusted-dev", writers)
    refused = [0] * writers

    def append(i: int) -> None:
        for _ in range(200):
            tag, description = _read(clients[i], slug)
            body = _body(f"{description} t{i}")
            r = clients[i].put(f"/instruments/{slug}", json=body, headers={"If-Match": tag})
            if r.status_code == 200:
                return
            assert r.status_code == 412, r.text
            refused[i] += 1
        raise AssertionError(f"writer {i} never got its change in")

    _race(writers, append)
    _, description = _read(clients[0], slug)
    tokens = description.removeprefix("Tokens:").split()
    missing = {f"t{i}" for i in range(writers)} - set(tokens)
    record(SCENARIO, faults=sum(refused), inputs=writers + sum(refused), lost=len(missing))
    assert sorted(tokens) == sorted(f"t{i}" for i in range(writers)), description
    # Eight writers released at once cannot all have read a fresh tag: some were refused and retried.
    assert sum(refused) >= 1, refused
    for client in clients:
        client.close()


def test_stale_if_match_is_refused_where_a_missing_one_lets_the_last_writer_win(memory: Platform) -> None:
    """Two writers read one state; the second to write loses the first's change without If-Match only."""
    slug = _publish(memory, "Start.")
    with memory.client("trusted-dev") as alice, memory.client("mod") as bob:
        tag, _ = _read(alice, slug)
        assert alice.put(f"/instruments/{slug}", json=_body("Alice."), headers={"If-Match": tag}).is_success
        stale = bob.put(f"/instruments/{slug}", json=_body("Bob."), headers={"If-Match": tag})
        assert stale.status_code == 412
        assert _read(alice, slug)[1] == "Alice."  # Alice's change survived
        # Without If-Match the documented rule is last writer wins, each change applied whole.
        blind = bob.put(f"/instruments/{slug}", json=_body("Bob."))
        assert blind.status_code == 200
        assert _read(alice, slug) == (blind.headers["etag"], "Bob.")


def test_unconditional_changes_are_applied_whole_and_one_after_another(platform: Platform) -> None:
    """16 PUTs without If-Match all succeed; the result is exactly one writer's body, not a mixture.

    Each body differs in name, description and URL; interleaved graph replacements would leave several
    descriptions or a name from one writer with another's URL.
    """
    slug = _publish(platform)
    clients = _clients(platform, "trusted-dev", WRITERS)

    def put(i: int) -> httpx.Response:
        body = _body(f"Schrijver {i}.", name=f"Meter {i}") | {"url": f"https://example.org/{i}"}
        return clients[i].put(f"/instruments/{slug}", json=body)

    responses = _race(WRITERS, put)
    assert [r.status_code for r in responses] == [200] * WRITERS, [r.text for r in responses]
    assert len({r.headers["etag"] for r in responses}) == WRITERS  # each write left a state of its own
    final = clients[0].get(f"/instruments/{slug}")
    i = int(final.json()["name"]["nl"].removeprefix("Meter "))
    assert final.json()["description"]["nl"] == f"Schrijver {i}."
    assert final.json()["url"] == f"https://example.org/{i}"
    assert final.headers["etag"] == responses[i].headers["etag"]  # the last write was writer i's, whole
    descriptions = platform.kg.select_all(
        f"SELECT ?d WHERE {{ GRAPH ?g {{ <{instrument_iri(slug)}> <{DCTERMS.description}> ?d }} }}"
    )
    assert len(descriptions) == 1, descriptions
    for client in clients:
        client.close()


def test_writers_on_different_instruments_all_succeed(memory: Platform) -> None:
    """Concurrent publications, then conditional changes, of different instruments: all land, none lost."""
    prefix = f"apart-{next(_slugs)}"
    clients = _clients(memory, "trusted-dev", WRITERS)

    def publish(i: int) -> httpx.Response:
        return clients[i].post("/instruments", json=_body(f"Eigen {i}.", slug=f"{prefix}-{i}"))

    assert [r.status_code for r in _race(WRITERS, publish)] == [201] * WRITERS
    tags = [_read(clients[i], f"{prefix}-{i}")[0] for i in range(WRITERS)]

    def change(i: int) -> httpx.Response:
        body = _body(f"Gewijzigd {i}.")
        return clients[i].put(f"/instruments/{prefix}-{i}", json=body, headers={"If-Match": tags[i]})

    responses = _race(WRITERS, change)
    assert [r.status_code for r in responses] == [200] * WRITERS, [r.text for r in responses]
    for i in range(WRITERS):
        assert _read(clients[i], f"{prefix}-{i}") == (responses[i].headers["etag"], f"Gewijzigd {i}.")
    for client in clients:
        client.close()


def test_concurrent_publications_of_one_slug_store_one(platform: Platform) -> None:
    """The slug is checked inside the write: one 201, the rest 409, and the winner's instrument is kept."""
    slug = f"one-slug-{next(_slugs)}"
    clients = _clients(platform, "trusted-dev", WRITERS)

    def publish(i: int) -> httpx.Response:
        return clients[i].post("/instruments", json=_body(f"Eerste {i}.", slug=slug))

    responses = _race(WRITERS, publish)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1), statuses
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    assert _read(clients[0], slug)[1] == f"Eerste {winner}."
    for client in clients:
        client.close()


def test_concurrent_additions_of_one_version_store_one(memory: Platform) -> None:
    """Versions are checked inside the write: one 201 per version number, the rest 409; no overwrite."""
    slug = _publish(memory)
    clients = _clients(memory, "trusted-dev", WRITERS)

    def add(i: int) -> httpx.Response:
        body = {"version": "2.0.0", "changelog": {"en": f"writer {i}"}}
        return clients[i].post(f"/instruments/{slug}/versions", json=body)

    responses = _race(WRITERS, add)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1), statuses
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    versions = clients[0].get(f"/instruments/{slug}/versions").json()
    assert [(v["version"], v["changelog"]) for v in versions] == [("2.0.0", {"en": f"writer {winner}"})]
    for client in clients:
        client.close()


def test_concurrent_experience_reports_are_all_counted(memory: Platform) -> None:
    """Reports on one instrument from four trusted accounts at once: every acknowledged one is counted."""
    slug = _publish(memory)
    accounts = ["trusted-dev", "trusted-webber", "mod", "admin"]
    clients = [memory.client(accounts[i % len(accounts)]) for i in range(WRITERS)]

    def report(i: int) -> httpx.Response:
        body = {"instrument": slug, "context": f"Gelijktijdig verslag {i}", "rating": 1 + i % 5}
        return clients[i].post("/experiences", json=body)

    responses = _race(WRITERS, report)
    acknowledged = [r for r in responses if r.status_code == 201]
    assert len(acknowledged) == WRITERS, [r.text for r in responses]
    assert len({r.headers["location"] for r in acknowledged}) == WRITERS
    answer = clients[0].get(f"/instruments/{slug}/experiences").json()
    assert answer["aggregate"]["count"] == len(acknowledged) == len(answer["experiences"])
    mean = sum(1 + i % 5 for i in range(WRITERS)) / WRITERS
    assert answer["aggregate"]["mean_rating"] == pytest.approx(mean, abs=0.005)  # shown to two decimals
    assert sum(answer["aggregate"]["ratings"].values()) == WRITERS
    for client in clients:
        client.close()


def test_approving_a_proposed_edit_makes_older_tags_stale(memory: Platform) -> None:
    """A proposal leaves the tag alone; its approval replaces the instrument, so the old tag gets 412."""
    slug = _publish(memory, "Van de eigenaar.")
    with memory.client("trusted-dev") as owner, memory.client("webber") as webber:
        tag, _ = _read(owner, slug)
        proposal = webber.put(f"/instruments/{slug}", json=_body("Voorgesteld."), headers={"If-Match": tag})
        assert proposal.status_code == 200, proposal.text
        assert (proposal.json()["kind"], proposal.json()["state"]) == ("edit", "proposed")
        assert proposal.headers["etag"] == tag == _read(owner, slug)[0]  # nothing public changed yet
        with memory.client("mod") as mod:
            approved = mod.post(f"/moderation/approve/{proposal.json()['id']}", json={})
        assert approved.status_code == 200, approved.text
        current, description = _read(owner, slug)
        assert (description, current != tag) == ("Voorgesteld.", True)
        stale = owner.put(
            f"/instruments/{slug}", json=_body("Over het voorstel heen."), headers={"If-Match": tag}
        )
        assert stale.status_code == 412
        assert stale.json()["etag"] == current
        assert _read(owner, slug)[1] == "Voorgesteld."  # the approved edit was not overwritten
        fresh = owner.put(
            f"/instruments/{slug}", json=_body("Na het voorstel."), headers={"If-Match": current}
        )
        assert fresh.status_code == 200, fresh.text


def test_concurrent_approvals_of_one_edit_merge_it_once(platform: Platform) -> None:
    """Two moderators approving one proposed edit at once: one 200, and the instrument keeps its content."""
    slug = _publish(platform, "Origineel.")
    with platform.client("webber") as webber:
        proposal = webber.put(f"/instruments/{slug}", json=_body("Voorstel."))
    assert proposal.json()["state"] == "proposed", proposal.text
    clients = [platform.client("mod"), platform.client("admin")]

    def approve(i: int) -> httpx.Response:
        return clients[i].post(f"/moderation/approve/{proposal.json()['id']}", json={})

    statuses = sorted(r.status_code for r in _race(2, approve))
    assert statuses[0] == 200 and statuses[1] in (404, 409), statuses
    # A second merge after the first removed the proposal would have emptied the instrument.
    assert _read(clients[0], slug)[1] == "Voorstel."
    for client in clients:
        client.close()


def test_concurrent_deprecations_based_on_one_tag_store_one(memory: Platform) -> None:
    """A deprecation replaces the previous one: of two based on one tag one is stored; the tag changes."""
    slug = _publish(memory)
    clients = _clients(memory, "trusted-dev", WRITERS)
    tag, _ = _read(clients[0], slug)

    def deprecate(i: int) -> httpx.Response:
        body = {"reason": f"Reden {i}"}
        return clients[i].post(f"/instruments/{slug}/deprecation", json=body, headers={"If-Match": tag})

    statuses = sorted(r.status_code for r in _race(WRITERS, deprecate))
    assert statuses == [201] + [412] * (WRITERS - 1), statuses
    assert _read(clients[0], slug)[0] != tag
    stale = clients[0].put(
        f"/instruments/{slug}", json=_body("Na de uitfasering."), headers={"If-Match": tag}
    )
    assert stale.status_code == 412
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ("*", 200),
        ('W/"{tag}"', 412),
        ('"elders", "{tag}"', 200),
        ('"elders"', 412),
        ("{tag}", 400),
        ("", 400),
    ],
)
def test_if_match_forms(memory: Platform, if_match: str, status: int) -> None:
    """``*`` and a list holding the tag match; a weak tag never does (strong comparison); no quotes is 400."""
    slug = _publish(memory)
    with memory.client("trusted-dev") as client:
        tag, _ = _read(client, slug)
        header = if_match.replace("{tag}", tag.strip('"'))
        r = client.put(f"/instruments/{slug}", json=_body("Vorm."), headers={"If-Match": header})
        assert r.status_code == status, r.text
        if status == 400:
            assert r.json()["where"] == "If-Match"
        if status != 200:
            assert _read(client, slug) == (tag, "Begin.")  # nothing was written


def test_the_domain_takes_the_tag_too(memory: Platform) -> None:
    """``Instruments.etag`` and ``expected_etag`` (a web form's hidden field) work without HTTP too."""
    slug = _publish(memory)
    instruments = Instruments(memory.kg)
    owner = Principal(account_id="trusted-dev", roles=frozenset({Role.DEVELOPER}), trusted=True)
    tag = instruments.etag(slug)
    with memory.client() as client:
        assert _read(client, slug)[0] == f'"{tag}"'
    data = InstrumentInput.model_validate(_body("Via het domein."))
    tagged = instruments.update_tagged(owner, slug, data, expected_etag=tag)
    assert tagged.etag == instruments.etag(slug) != tag
    with pytest.raises(PreconditionFailed) as failed:
        instruments.update(owner, slug, data, expected_etag=tag)
    assert failed.value.current_etag == tagged.etag


def test_concurrent_submissions_of_one_case_slug_store_one(memory: Platform) -> None:
    """A case's slug is checked inside the write too: one 201, the rest 409, the winner's case is kept."""
    slug = f"race-case-{next(_slugs)}"
    clients = _clients(memory, "trusted-webber", WRITERS)

    def submit(i: int) -> httpx.Response:
        return clients[i].post(
            "/cases",
            json={
                "slug": slug,
                "name": {"nl": f"Wijk {i}", "en": f"District {i}"},
                "entity": "learning-community",
                "community": {"practices": ["education"], "forms": ["living-lab"]},
                "case": {
                    "description": {"nl": f"Casus {i}.", "en": f"Case {i}."},
                    "sectors": ["energy"],
                    "phases": ["start"],
                },
            },
        )

    responses = _race(WRITERS, submit)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1), [(r.status_code, r.text[:120]) for r in responses]
    winner = next(i for i, r in enumerate(responses) if r.status_code == 201)
    got = clients[0].get(f"/cases/{slug}")
    assert got.status_code == 200, got.text
    assert got.json()["name"]["nl"] == f"Wijk {winner}"
    for client in clients:
        client.close()
