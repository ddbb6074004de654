"""One visibility model through every door: pending, rejected and private content planted in the search
test store stays invisible to anonymous readers through REST, search, similar, crossovers, SPARQL
(including queries over all graphs), exports and feeds, and shows up once approved (so the checks can fail).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from rdflib import URIRef

from kg.accounts import AccountStore
from kg.contributions import (
    AssessmentInput,
    Communities,
    ExperienceInput,
    Experiences,
    InstrumentInput,
    Instruments,
    Submissions,
)
from kg.entries import SomeText
from kg.graph import KnowledgeGraph
from kg.permissions import Principal, Role, Scope
from tests.conftest import LiveServer

SECRET_NAME = "Zwaluwstaartkompas"
SECRET_CONTEXT = "Kwetsbare-groep-kwikstaart ervaring die nog beoordeeld moet worden"
SECRET_NOTE = "Privé-notitie-merelzang over de visie"
REJECTED_NAME = "Roerdompmeter"

DEV = Principal(account_id="vis-dev", roles=frozenset({Role.DEVELOPER}), via="token")
MOD = Principal(account_id="vis-mod", roles=frozenset({Role.MODERATOR}), via="token")


@dataclass
class Planted:
    pending_instrument: str
    pending_experience: str
    private_assessment: str
    rejected_instrument: str
    mod_token: str


def _instrument(slug: str, name: str) -> InstrumentInput:
    return InstrumentInput(
        slug=slug,
        name=SomeText(nl=name),
        kind="tool",
        purpose=SomeText(
            nl=f"{name}: bewoners en woningcorporaties op één lijn krijgen bij aardgasvrij wonen."
        ),
        description=SomeText(nl=f"Met de {name} brengen buurtbewoners hun warmtewensen in kaart."),
        target_roles=["facilitator"],
        phases=["start"],
        origin_sectors=["energy"],
    )


@pytest.fixture(scope="module")
def planted(search_kg: KnowledgeGraph, search_server: LiveServer) -> Iterator[Planted]:
    """Plant pending, rejected and private content; remove all of it afterwards."""
    subs = Submissions(search_kg)
    pending = Instruments(search_kg).publish(DEV, _instrument("zwaluwstaartkompas", SECRET_NAME))
    rejected = Instruments(search_kg).publish(DEV, _instrument("roerdompmeter", REJECTED_NAME))
    rejected = subs.reject(MOD, rejected.id, reason="test of a rejected instrument")
    experience = Experiences(search_kg).report(
        DEV, ExperienceInput(instrument="seeds-of-innovation", context=SECRET_CONTEXT, rating=1)
    )
    assessment = Communities(search_kg).assess(
        MOD,
        "gas-erop",
        AssessmentInput(
            on=date(2026, 1, 5), scores={"sf05-shared-vision": {"score": 2, "note": SECRET_NOTE}}
        ),
    )
    assert (pending.state, rejected.state, assessment.state) == ("proposed", "rejected", "private")
    accounts = AccountStore(search_kg.store)
    if "vis-mod" not in {a.id for a in accounts.accounts()}:
        accounts.create("vis-mod", name="Visibility Moderator", roles=[Role.MODERATOR])
    token = accounts.create_token("vis-mod", frozenset({Scope.READ, Scope.MODERATE})).token
    yield Planted(pending.graph, experience.graph, assessment.graph, rejected.graph, token)
    for sub in subs.by_author("vis-dev") + subs.by_author("vis-mod"):
        search_kg.remove_graph(URIRef(sub.graph))


SECRETS = (SECRET_NAME, SECRET_CONTEXT, SECRET_NOTE, REJECTED_NAME, "zwaluwstaartkompas", "roerdompmeter")


def _clean(text: str, *also: str) -> None:
    for secret in (*SECRETS, *also):
        assert secret not in text, f"{secret!r} leaked"


def test_rest_doors(planted: Planted, search_server: LiveServer) -> None:
    with httpx.Client(base_url=search_server.url, timeout=60) as anon:
        assert anon.get("/instruments/zwaluwstaartkompas").status_code == 404
        assert anon.get("/instruments/roerdompmeter").status_code == 404
        assert (
            anon.get("/id/instrument/zwaluwstaartkompas", headers={"Accept": "text/turtle"}).status_code
            == 404
        )
        _clean(anon.get("/instruments", params={"q": "kompas"}).text)
        _clean(anon.get("/instruments").text)
        _clean(anon.get("/instruments/seeds-of-innovation/experiences").text)
        _clean(anon.get("/communities/gas-erop/progress").text)
        for graph in (planted.pending_instrument, planted.private_assessment, planted.rejected_instrument):
            item = graph.split("/graph/", 1)[1]
            assert anon.get(f"/submissions/{item}").status_code == 404
        assert anon.get("/moderation/queue").status_code == 401


def _answer_without_echo(r: httpx.Response) -> str:
    """Return a search answer without the query it echoes (the query may name the secret itself)."""
    assert r.status_code == 200, r.text
    body = r.json()
    body.pop("query", None)
    return json.dumps(body, ensure_ascii=False)


def test_search_similar_and_crossovers(planted: Planted, search_server: LiveServer) -> None:
    with httpx.Client(base_url=search_server.url, timeout=120) as anon:
        need = (
            "bewoners en woningcorporaties op één lijn krijgen bij aardgasvrij wonen, warmtewensen in kaart"
        )
        _clean(_answer_without_echo(anon.get("/search", params={"q": SECRET_NAME})))
        _clean(_answer_without_echo(anon.get("/search", params={"q": need, "k": 30})))
        _clean(_answer_without_echo(anon.get("/search", params={"q": SECRET_CONTEXT})))
        _clean(anon.get("/instruments/seeds-of-innovation/similar", params={"k": 30}).text)
        _clean(anon.post("/crossovers", json={"need": need, "k": 20}).text)
        _clean(anon.post("/cases/similar", json={"situation": need, "k": 10}).text)


TRICKY = [
    "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), 'waluwstaart')) }",
    "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * FROM <{pending}> WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'waluw')) }",
    "SELECT * FROM NAMED <{pending}> WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?s), 'waluw')) }",
    "SELECT * WHERE { GRAPH <{private}> { ?s ?p ?o } }",
    "SELECT * WHERE { GRAPH <https://w3id.org/lcgraph/graph/audit> { ?s ?p ?o } }",
    "SELECT * WHERE { GRAPH <https://w3id.org/lcgraph/graph/registry> { ?s ?p ?o } }",
    "SELECT * WHERE { GRAPH <https://w3id.org/lcgraph/graph/accounts> { ?s ?p ?o } }",
    "SELECT ?o WHERE { ?s <https://w3id.org/lcgraph/ontology#note> ?o }",
    "SELECT ?o WHERE { ?s <https://w3id.org/lcgraph/ontology#context> ?o }",
    "DESCRIBE <https://w3id.org/lcgraph/id/instrument/zwaluwstaartkompas>",
    "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?s), 'contrib')) }",
]


def test_sparql_including_queries_over_all_graphs(planted: Planted, search_server: LiveServer) -> None:
    hidden = (
        planted.pending_instrument,
        planted.private_assessment,
        planted.rejected_instrument,
        planted.pending_experience,
        "graph/audit",
        "graph/registry",
        "graph/accounts",
    )
    with httpx.Client(base_url=search_server.url, timeout=60) as anon:
        for template in TRICKY:
            q = template.replace("{pending}", planted.pending_instrument).replace(
                "{private}", planted.private_assessment
            )
            accept = (
                "text/turtle"
                if q.startswith(("DESCRIBE", "CONSTRUCT"))
                else "application/sparql-results+json"
            )
            r = anon.get("/sparql", params={"query": q}, headers={"Accept": accept})
            assert r.status_code == 200, (q, r.text)
            _clean(r.text, *hidden)
            r = anon.post(
                "/sparql",
                data={
                    "query": q,
                    "default-graph-uri": planted.pending_instrument,
                    "named-graph-uri": planted.private_assessment,
                },
                headers={"Accept": accept},
            )
            assert r.status_code == 200, (q, r.text)
            _clean(r.text, *hidden)
    # The same door shows a moderator the pending content (so the anonymous checks above can fail).
    with httpx.Client(
        base_url=search_server.url, timeout=60, headers={"Authorization": f"Bearer {planted.mod_token}"}
    ) as mod:
        r = mod.get(
            "/sparql", params={"query": TRICKY[0]}, headers={"Accept": "application/sparql-results+json"}
        )
        assert SECRET_NAME in r.text


def test_export_and_feeds(planted: Planted, search_server: LiveServer) -> None:
    with httpx.Client(base_url=search_server.url, timeout=120) as anon:
        for fmt in ("nq", "ttl"):
            r = anon.get("/export", params={"format": fmt})
            assert r.status_code == 200 and len(r.content) > 100_000
            _clean(
                r.text,
                planted.pending_instrument,
                planted.private_assessment,
                "graph/audit",
                "$argon2id$",
                "graph/accounts>",
            )
        _clean(anon.get("/feeds/instruments/seeds-of-innovation.atom").text)
        _clean(anon.get("/feeds/developers/vis-dev.atom").text)
        assert anon.get("/export", params={"format": "xls"}).status_code == 400


def test_approval_opens_every_door(
    planted: Planted, search_kg: KnowledgeGraph, search_server: LiveServer
) -> None:
    """Runs last: once approved, the pending instrument is found by search, REST and SPARQL."""
    Submissions(search_kg).approve(MOD, planted.pending_instrument.split("/graph/", 1)[1])
    with httpx.Client(base_url=search_server.url, timeout=120) as anon:
        assert anon.get("/instruments/zwaluwstaartkompas").status_code == 200
        assert "zwaluwstaartkompas" in _answer_without_echo(anon.get("/search", params={"q": SECRET_NAME}))
        assert (
            SECRET_NAME
            in anon.get(
                "/sparql", params={"query": TRICKY[0]}, headers={"Accept": "application/sparql-results+json"}
            ).text
        )
