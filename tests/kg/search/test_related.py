"""Similar cases, similar instruments and crossovers: every explanation checked against the graph.

Whatever the ranking, what an explanation claims must be true of the graph as its typed views show it
(``kg.case``, ``kg.instrument``): an attribute called shared is held by both items, an evidence case really
used the instrument and lies in another sector than the asker's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import pytest

from kg.errors import InvalidInput, NotFound
from kg.graph import KnowledgeGraph
from kg.model import CaseDetail, InstrumentDetail
from kg.search.models import SharedAttribute
from kg.search.service import SearchService

CaseView = Callable[[str], CaseDetail]
InstrumentView = Callable[[str], InstrumentDetail]

NEEDS = [
    ("Hoe houden we partners over langere tijd betrokken bij de community?", "energy", None, None),
    ("a tool to agree on shared goals when a new learning community starts", "care-welfare", "start", None),
    ("studenten en werknemers samen laten leren op de werkvloer", "education", None, "facilitator"),
    ("how do we measure what the community has delivered for the partners", "logistics", None, None),
]


@pytest.fixture(scope="module")
def case_view(search_kg: KnowledgeGraph) -> CaseView:
    @cache
    def view(entity_id: str) -> CaseDetail:
        return search_kg.case(f"https://w3id.org/lcgraph/id/{entity_id}")

    return view


@pytest.fixture(scope="module")
def instrument_view(search_kg: KnowledgeGraph) -> InstrumentView:
    @cache
    def view(entity_id: str) -> InstrumentDetail:
        return search_kg.instrument(f"https://w3id.org/lcgraph/id/{entity_id}")

    return view


def case_attributes(case: CaseDetail) -> dict[str, set[str]]:
    """What a case holds per overlap attribute, read from its typed view."""
    return {
        "instrument": {i.id for i in case.instruments},
        "challenge": {c.id for c in case.challenges},
        "practice": {c.id for c in case.practices},
        "phase": {c.id for c in case.phases},
        "value_type": {o.value_cycle.id for o in case.outcomes if o.value_cycle},
        "level": {o.level.id for o in case.outcomes if o.level},
        "sector": {c.id for c in case.sectors},
    }


def instrument_attributes(instrument: InstrumentDetail) -> dict[str, set[str]]:
    """What an instrument holds per overlap attribute, read from its typed view."""
    return {
        "phase": {c.id for c in instrument.phases},
        "role": {c.id for c in instrument.target_roles},
        "kind": {instrument.kind.id} if instrument.kind else set(),
        "case": {c.id for c in instrument.used_in},
    }


def used_sectors(instrument: InstrumentDetail, case_view: CaseView) -> set[str]:
    """The sectors an instrument comes from or was used in, per the graph."""
    sectors = {c.id for c in instrument.origin_sectors}
    for case in instrument.used_in:
        sectors |= {c.id for c in case_view(case.id).sectors}
    return sectors


def shared_ids(shared: Sequence[SharedAttribute]) -> dict[str, set[str]]:
    """Group the ids of shared concepts and entities by facet."""
    out: dict[str, set[str]] = {}
    for attribute in shared:
        ref = attribute.concept or attribute.entity
        assert ref is not None, attribute
        out.setdefault(attribute.facet, set()).add(ref.id)
    return out


def test_similar_cases_share_what_they_say_they_share(
    search_service: SearchService, case_view: CaseView
) -> None:
    """For every catalog case: each result's shared instruments, challenges, practices, phases, value
    types and outcome levels are exactly those both cases hold, and the explanation names each of them."""
    checked = 0
    for source_id in sorted(i for i in search_service.engine.entities if i.startswith("case/")):
        source = case_attributes(case_view(source_id))
        response = search_service.similar(source_id, k=5)
        assert response.source is not None and response.source.id == source_id
        assert 0 < len(response.results) <= 5
        for item in response.results:
            assert item.item.type == "Case" and item.item.id != source_id
            other = case_attributes(case_view(item.item.id))
            claimed = shared_ids(item.shared)
            for facet in ("instrument", "challenge", "practice", "phase", "value_type", "level"):
                truth = source[facet] & other[facet]
                assert claimed.get(facet, set()) == truth, (source_id, item.item.id, facet)
            for attribute in item.shared:
                ref = attribute.concept or attribute.entity
                assert ref is not None and ref.label.best("en") in item.explanation
            assert {s.id for s in item.sectors} == other["sector"]
            checked += 1
    assert checked >= 100


def test_similar_case_measures_are_in_range(search_service: SearchService) -> None:
    """Overlap is a share (0..1), similarity a cosine; an item overlaps exactly when it shares something,
    and the explanation states its similarity."""
    for item in search_service.similar("case/gas-erop", k=10).results:
        assert 0.0 <= item.overlap <= 1.0 and -1.0 <= item.similarity <= 1.0
        assert (item.overlap > 0) == bool(item.shared)
        assert "similar description (" in item.explanation


def test_diversity_zero_is_pure_similarity_and_one_spreads_sectors(search_service: SearchService) -> None:
    """Without diversity results come by score; with it the lists span at least as many sectors overall."""
    plain_sectors = diverse_sectors = 0
    for source_id in sorted(i for i in search_service.engine.entities if i.startswith("case/"))[:15]:
        plain = search_service.similar(source_id, k=5, diversity=0.0).results
        scores = [item.score for item in plain]
        assert scores == sorted(scores, reverse=True)
        diverse = search_service.similar(source_id, k=5, diversity=1.0).results
        plain_sectors += len({s.id for item in plain for s in item.sectors})
        diverse_sectors += len({s.id for item in diverse for s in item.sectors})
    assert diverse_sectors > plain_sectors


def test_similar_instruments_share_what_they_say_they_share(
    search_service: SearchService, instrument_view: InstrumentView, case_view: CaseView
) -> None:
    """For instruments used in cases: shared phases, roles, kind and cases hold for both instruments; each
    "new sector" is one the result is used in and the source is not."""
    sources = sorted(
        doc.id for doc in search_service.engine.entities.values() if doc.type == "instrument" and doc.links
    )[:15]
    assert sources
    for source_id in sources:
        source_view = instrument_view(source_id)
        source = instrument_attributes(source_view)
        mine = used_sectors(source_view, case_view)
        for item in search_service.similar(source_id, k=5).results:
            assert item.item.type == "Instrument" and item.item.id != source_id
            other_view = instrument_view(item.item.id)
            other = instrument_attributes(other_view)
            claimed = shared_ids(item.shared)
            for facet in ("phase", "role", "kind", "case"):
                assert claimed.get(facet, set()) == source[facet] & other[facet], (source_id, item.item.id)
            theirs = used_sectors(other_view, case_view)
            for sector in item.new_sectors:
                assert sector.id in theirs and sector.id not in mine
                assert sector.label.best("en") in item.explanation


@pytest.mark.parametrize(("need", "sector", "phase", "role"), NEEDS)
def test_crossover_evidence_is_true(
    search_service: SearchService,
    case_view: CaseView,
    instrument_view: InstrumentView,
    need: str,
    sector: str,
    phase: str | None,
    role: str | None,
) -> None:
    """Each evidence case used the instrument and lies outside the asker's sector; the reason names the
    closest one; an instrument without such evidence comes from another sector."""
    own = f"sector-{sector}"
    response = search_service.crossovers(need, sector=sector, phase=phase, role=role, k=10)
    assert 0 < len(response.results) <= 10
    scores = [r.score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    mentioned = {m.concept for m in search_service.engine.matcher.match(need)}
    for result in response.results:
        assert result.instrument.type == "Instrument"
        for evidence in result.evidence:
            case = case_view(evidence.case.id)
            assert result.instrument.id in {i.id for i in case.instruments}
            sectors = {c.id for c in case.sectors}
            assert sectors and own not in sectors
            assert {s.id for s in evidence.sectors} == sectors
            for attribute in evidence.shared:
                assert attribute.concept is not None and attribute.concept.id in mentioned
        similarities = [e.similarity for e in result.evidence]
        assert similarities == sorted(similarities, reverse=True)
        if result.evidence:
            assert result.evidence[0].case.label.best("en") in result.reason
        else:
            origins = {c.id for c in instrument_view(result.instrument.id).origin_sectors}
            assert origins - {own}
            assert {s.id for s in result.origin_sectors} == origins


def test_crossover_reasons_in_dutch(search_service: SearchService) -> None:
    """Asked in Dutch, the reason names the evidence case in its Dutch label and says "gebruikt in"."""
    response = search_service.crossovers(NEEDS[0][0], sector="energy", k=5, lang="nl")
    with_evidence = [r for r in response.results if r.evidence]
    assert with_evidence
    for result in with_evidence:
        assert "gebruikt in" in result.reason
        assert result.evidence[0].case.label.best("nl") in result.reason


def test_similar_to_a_situation_shares_only_what_it_mentions(search_service: SearchService) -> None:
    """Cases similar to a described situation: the shared concepts are ones the text names and the case
    has; the explanation says how close the description is."""
    text = "Een leergemeenschap in de zorg en welzijn waar mbo-studenten en wijkverpleegkundigen samen leren"
    response = search_service.similar_to_text(text, k=8, sector="care-welfare")
    assert response.query == text and 0 < len(response.results) <= 8
    mentioned = {(m.facet, m.concept) for m in search_service.engine.matcher.match(text)}
    assert ("sector", "sector-care-welfare") in mentioned
    for item in response.results:
        assert item.item.type == "Case"
        doc = search_service.engine.entities[item.item.id]
        for attribute in item.shared:
            assert attribute.concept is not None
            assert (attribute.facet, attribute.concept.id) in mentioned
            assert attribute.concept.id in doc.facet(attribute.facet)
        assert "similar description" in item.explanation


def test_unknown_items_are_not_found(search_service: SearchService) -> None:
    """Similar items of an unknown case or instrument is NotFound, naming it."""
    with pytest.raises(NotFound, match="no-such-case"):
        search_service.similar("case/no-such-case")
    with pytest.raises(NotFound):
        search_service.similar("instrument/no-such-tool")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.similar("case/gas-erop", k=0),
        lambda s: s.similar("case/gas-erop", k=101),
        lambda s: s.similar("case/gas-erop", k=True),
        lambda s: s.similar("case/gas-erop", diversity=1.5),
        lambda s: s.similar("case/gas-erop", lang="de"),
        lambda s: s.similar_to_text("samen leren", k=0),
        lambda s: s.similar_to_text("   "),
        lambda s: s.crossovers("samen leren", sector="nonsense"),
        lambda s: s.crossovers("samen leren", phase="someday"),
        lambda s: s.crossovers("samen leren", k=500),
    ],
)
def test_bad_arguments_are_invalid_input(
    search_service: SearchService, call: Callable[[SearchService], object]
) -> None:
    """Out-of-range k or diversity, unknown languages, sectors and phases, and empty texts are refused."""
    with pytest.raises(InvalidInput):
        call(search_service)


def test_an_unknown_sector_for_a_situation_is_invalid_input(search_service: SearchService) -> None:
    """Similar cases for a situation in an unknown sector are refused, as crossovers refuse it."""
    with pytest.raises(InvalidInput, match="nonsense"):
        search_service.similar_to_text("samen leren", sector="nonsense")
