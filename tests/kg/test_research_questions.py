"""Questions a researcher asks of the catalog, as saved SPARQL queries, answered over the public
endpoint logic. Expected answers are derived independently from the YAML entries (not from the
store), plus facts the source documents state outright."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from kg.catalog import Catalog, read_catalog
from kg.graph import KnowledgeGraph
from kg.queries import ExampleQuery, example_queries
from kg.sparql import SelectResult

LCD = "https://w3id.org/lcgraph/id/"
LCC = "https://w3id.org/lcgraph/concept/"


@cache
def catalog() -> Catalog:
    return read_catalog()


def run(kg: KnowledgeGraph, query_id: str) -> SelectResult:
    query = {q.id: q for q in example_queries()}[query_id]
    result = kg.sparql(query.text)
    assert isinstance(result, SelectResult)
    return result


def column(result: SelectResult, name: str) -> list[str]:
    return [row[name].value for row in result.rows if name in row]


def test_there_are_at_least_ten_documented_questions() -> None:
    queries = example_queries()
    assert len(queries) >= 10
    for q in queries:
        assert isinstance(q, ExampleQuery) and q.title and q.title_nl and q.description, q.id


def test_every_saved_query_runs_and_answers(catalog_kg: KnowledgeGraph) -> None:
    for q in example_queries():
        result = catalog_kg.sparql(q.text)
        assert isinstance(result, SelectResult) and result.rows, q.id


def test_facilitators_in_the_design_phase(catalog_kg: KnowledgeGraph) -> None:
    expected = {
        LCD + "instrument/" + e.slug
        for e in catalog().instruments
        if "facilitator" in e.target_roles and any(p.phase == "design" for p in e.phases)
    }
    assert set(column(run(catalog_kg, "01-facilitator-design-instruments"), "instrument")) == expected
    assert LCD + "instrument/designkit-structuur-processcan" in expected  # 001:3055, cue "opzet en werkwijze"


def test_energy_transition_cases_and_their_instruments(catalog_kg: KnowledgeGraph) -> None:
    narrower = {"energy-transition", "gas-free-neighbourhoods"}
    expected = {
        (LCD + "case/" + c.slug, LCD + "instrument/" + i)
        for c in catalog().cases
        if narrower & set(c.case.challenges)
        for i in c.case.instruments
    }
    result = run(catalog_kg, "02-energy-transition-cases-and-instruments")
    assert {(r["case"].value, r["instrument"].value) for r in result.rows} == expected
    assert (LCD + "case/gas-erop", LCD + "instrument/werkblad-micro-learning-communities") in expected


def test_sustain_phase_instruments(catalog_kg: KnowledgeGraph) -> None:
    expected = {
        LCD + "instrument/" + e.slug
        for e in catalog().instruments
        if any(p.phase == "sustain" for p in e.phases)
    }
    got = set(column(run(catalog_kg, "03-sustain-phase-instruments"), "instrument"))
    assert got == expected
    assert LCD + "instrument/seeds-of-innovation" in got  # 001:3449-3459


def test_instruments_per_phase(catalog_kg: KnowledgeGraph) -> None:
    counts: Counter[str] = Counter()
    for e in catalog().instruments:
        for phase in {p.phase for p in e.phases}:
            counts[LCC + "phase-" + phase] += 1
    result = run(catalog_kg, "04-instruments-per-phase")
    assert {r["phase"].value: int(r["instruments"].value) for r in result.rows} == dict(counts)
    assert column(result, "label")[:4] == ["Starten", "Ontwerpen", "Uitvoeren", "Verduurzamen"]


def test_cases_per_sector(catalog_kg: KnowledgeGraph) -> None:
    counts: Counter[str] = Counter(LCC + "sector-" + s for c in catalog().cases for s in set(c.case.sectors))
    result = run(catalog_kg, "05-cases-per-sector")
    assert {r["sector"].value: int(r["cases"].value) for r in result.rows} == dict(counts)


def test_communities_by_scale_level(catalog_kg: KnowledgeGraph) -> None:
    result = run(catalog_kg, "06-communities-by-scale-level")
    got = {
        (r["community"].value.rsplit("/", 1)[-1], r["level"].value.rsplit("-", 1)[-1]) for r in result.rows
    }
    # Levels the sources state (001:729-785): Gas erop! micro, Gelderland and AI hubs meso, ShareHouse macro.
    assert {
        ("gas-erop", "micro"),
        ("sharehouse", "macro"),
        ("logistieke-lcs-gelderland", "meso"),
        ("regionale-ai-hubs", "meso"),
    } <= got
    expected = {
        (c.slug, c.community.scale_level)
        for c in catalog().cases
        if c.community.scale_level and c.entity == "learning-community"
    }
    assert got == expected


def test_most_used_instruments(catalog_kg: KnowledgeGraph) -> None:
    counts: Counter[str] = Counter(
        LCD + "instrument/" + i for c in catalog().cases for i in set(c.case.instruments)
    )
    result = run(catalog_kg, "07-most-used-instruments")
    assert {r["instrument"].value: int(r["cases"].value) for r in result.rows} == dict(counts)
    assert counts[LCD + "instrument/seeds-of-innovation"] >= 2  # Greenport and its test LC (004)


def test_instruments_for_shared_vision(catalog_kg: KnowledgeGraph) -> None:
    expected = {
        LCD + "instrument/" + e.slug
        for e in catalog().instruments
        if "success-factor-sf05-shared-vision" in e.addresses
    }
    got = set(column(run(catalog_kg, "08-instruments-for-a-success-factor"), "instrument"))
    assert got == expected and LCD + "instrument/seeds-of-innovation" in got


def test_outcomes_by_value_cycle(catalog_kg: KnowledgeGraph) -> None:
    counts: Counter[str] = Counter(
        LCC + "value-cycle-" + o.value_cycle
        for c in catalog().cases
        for o in c.case.outcomes
        if o.value_cycle
    )
    result = run(catalog_kg, "09-outcomes-by-value-cycle")
    assert {r["cycle"].value: int(r["outcomes"].value) for r in result.rows} == dict(counts)


def test_provenance_of_a_fact(catalog_kg: KnowledgeGraph) -> None:
    seeds = next(e for e in catalog().instruments if e.slug == "seeds-of-innovation")
    result = run(catalog_kg, "10-provenance-of-a-fact")
    assert {r["phase"].value for r in result.rows} == {LCC + "phase-" + p.phase for p in seeds.phases}
    for row in result.rows:
        assert row["document"].value == LCD + "document/" + seeds.source.document_key
        assert row["citation"].value == seeds.source.cite
        assert row["method"].value == LCC + "extraction-method-curated"
        assert row["state"].value == LCC + "review-state-approved"


def test_role_synonyms(catalog_kg: KnowledgeGraph) -> None:
    expected = {
        LCD + "instrument/" + e.slug for e in catalog().instruments if "facilitator" in e.target_roles
    }
    assert set(column(run(catalog_kg, "11-instruments-for-a-role-synonym"), "instrument")) == expected


def test_communities_with_citizens(catalog_kg: KnowledgeGraph) -> None:
    expected = {LCD + "community/" + c.slug for c in catalog().cases if "citizens" in c.community.practices}
    assert expected, "the catalog should record citizen practices (e.g. Enable-dem, 001:2090-2096)"
    assert set(column(run(catalog_kg, "12-communities-with-citizens"), "community")) == expected


def test_instruments_from_education(catalog_kg: KnowledgeGraph) -> None:
    expected = {
        LCD + "instrument/" + e.slug for e in catalog().instruments if "education" in e.origin_sectors
    }
    got = set(column(run(catalog_kg, "13-instruments-from-education-for-other-sectors"), "instrument"))
    assert got == expected
    assert LCD + "instrument/reflectie-instrument-dialoogkwaliteit" in got  # PLCs of teachers, 001:3161


@pytest.mark.parametrize("query_id", ["14-partners-by-practice"])
def test_partners_by_practice(catalog_kg: KnowledgeGraph, query_id: str) -> None:
    practice = {o.slug: o.practice for o in catalog().organisations}
    orgs: dict[str, set[str]] = {}
    for c in catalog().cases:
        for p in c.community.participants:
            if practice.get(p):
                orgs.setdefault(practice[p] or "", set()).add(p)
    result = run(catalog_kg, query_id)
    got = {int(r["organisations"].value) for r in result.rows}
    assert got == {len(v) for v in orgs.values()}
