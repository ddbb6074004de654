"""What the search indexes read from the graph: entity texts per language, facets, links, visibility."""

from __future__ import annotations

import pytest

from kg.graph import KnowledgeGraph
from kg.search.concepts import facet_of
from kg.search.documents import (
    ENTITY_TYPES,
    FACETS,
    EntityDoc,
    collect_chunks,
    collect_entities,
    concept_id,
    split_sentences,
)
from ontology.vocab import LCC
from tests.search_helpers import instrument_triples, written


@pytest.fixture(scope="module")
def catalog_docs(catalog_kg: KnowledgeGraph) -> dict[str, EntityDoc]:
    return {doc.id: doc for doc in collect_entities(catalog_kg)}


def test_every_catalog_entity_is_collected_once(
    catalog_kg: KnowledgeGraph, catalog_docs: dict[str, EntityDoc]
) -> None:
    """Each instrument, case and community of the catalog becomes exactly one document of its type."""
    by_type = {t: {d.id for d in catalog_docs.values() if d.type == t} for t in ENTITY_TYPES}
    assert by_type["instrument"] == {i.id for i in catalog_kg.instruments()}
    assert by_type["case"] == {c.id for c in catalog_kg.cases()}
    assert by_type["community"] == {c.id for c in catalog_kg.communities()}
    assert all(d.id.startswith(d.type + "/") for d in catalog_docs.values())


def test_catalog_instruments_have_dutch_and_english_text(catalog_docs: dict[str, EntityDoc]) -> None:
    """The catalog describes instruments in both languages; both texts hold the name and the target group."""
    instruments = [d for d in catalog_docs.values() if d.type == "instrument"]
    assert len(instruments) >= 62
    for doc in instruments:
        assert set(doc.texts) == {"nl", "en"}, doc.id
        assert doc.name.nl and doc.name.nl in doc.texts["nl"]
        assert doc.name.en and doc.name.en in doc.texts["en"]
        assert doc.names and doc.name.nl in doc.names


def test_facet_values_are_concepts_of_that_facet(catalog_docs: dict[str, EntityDoc]) -> None:
    """Every facet value is a concept id whose scheme is that facet (no sector among the phases, ...)."""
    seen = set()
    for doc in catalog_docs.values():
        for facet, values in doc.facets.items():
            assert facet in FACETS
            for value in values:
                assert facet_of(value) == facet, (doc.id, facet, value)
                seen.add(facet)
    assert {"sector", "phase", "role", "challenge", "practice", "value_type", "level", "kind"} <= seen


def test_case_facets_and_links_match_the_case_view(
    catalog_kg: KnowledgeGraph, catalog_docs: dict[str, EntityDoc]
) -> None:
    """A case's document holds the sectors, challenges, phases, practices, instruments and outcome types
    the typed case view shows."""
    for case in catalog_kg.cases()[:12]:
        detail = catalog_kg.case(case.id.split("/", 1)[1])
        doc = catalog_docs[case.id]
        assert doc.facet("sector") == {c.id for c in detail.sectors}
        assert doc.facet("challenge") == {c.id for c in detail.challenges}
        assert doc.facet("phase") == {c.id for c in detail.phases}
        assert doc.facet("practice") == {c.id for c in detail.practices}
        assert {link for link in doc.links if link.startswith("instrument/")} == {
            i.id for i in detail.instruments
        }
        assert doc.facet("value_type") == {o.value_cycle.id for o in detail.outcomes if o.value_cycle}
        assert {o.level.id for o in detail.outcomes if o.level} <= doc.facet("level")


def test_links_are_symmetric(catalog_docs: dict[str, EntityDoc]) -> None:
    """When a case links an instrument (it used it), the instrument links the case back."""
    pairs = 0
    for doc in catalog_docs.values():
        for link in doc.links:
            assert link in catalog_docs, (doc.id, link)
            assert doc.id in catalog_docs[link].links, (doc.id, link)
            pairs += 1
    assert pairs > 50


def test_only_approved_graphs_are_collected(empty_kg: KnowledgeGraph) -> None:
    """An instrument in a proposed graph is not searchable; approving the graph makes it so."""
    triples = instrument_triples(
        "draft-tool",
        name={"nl": "Conceptinstrument", "en": "Draft tool"},
        description={"nl": "Een instrument dat nog beoordeeld wordt.", "en": "A tool under review."},
    )
    with written(empty_kg, "draft", triples, review_state="proposed") as graph:
        assert [d.id for d in collect_entities(empty_kg)] == []
        empty_kg.set_review_state(graph, "approved")
        assert [d.id for d in collect_entities(empty_kg)] == ["instrument/draft-tool"]
        empty_kg.set_review_state(graph, "rejected")
        assert collect_entities(empty_kg) == []
    assert collect_chunks(empty_kg) == []


def test_one_language_only_gives_one_text(empty_kg: KnowledgeGraph) -> None:
    """An entry described in English only has an English text and no Dutch one (the name alone is not a
    description); its facets come from its phases and roles."""
    triples = instrument_triples(
        "english-only",
        name={"nl": "Alleen Engels", "en": "English only"},
        description={"en": "A checklist for the first meeting. It lists who brings what to the table."},
        phases=["start"],
        roles=["facilitator"],
    )
    with written(empty_kg, "english-only", triples):
        [doc] = collect_entities(empty_kg)
    assert set(doc.texts) == {"en"}
    assert doc.texts["en"].startswith("English only. A checklist for the first meeting.")
    assert set(doc.sentences) == {"en"} and len(doc.sentences["en"]) == 2
    assert doc.facet("phase") == {"phase-start"} and doc.facet("role") == {"role-facilitator"}
    assert doc.facet("kind") == {"instrument-kind-tool"}


def test_a_name_alone_is_indexed_as_its_text(empty_kg: KnowledgeGraph) -> None:
    """An entity with nothing but a name is still findable by that name."""
    triples = instrument_triples("bare", name={"en": "Bare name"}, description={})
    with written(empty_kg, "bare", triples):
        [doc] = collect_entities(empty_kg)
    assert doc.texts == {"en": "Bare name"}


def test_digest_changes_exactly_with_the_text(empty_kg: KnowledgeGraph) -> None:
    """The per-language digest changes when that language's text changes, and only then."""

    def doc_with(en: str) -> EntityDoc:
        triples = instrument_triples(
            "digest", name={"nl": "Digest", "en": "Digest"}, description={"nl": "Vaste tekst.", "en": en}
        )
        with written(empty_kg, "digest", triples):
            [doc] = collect_entities(empty_kg)
        return doc

    first, same, changed = doc_with("Old text."), doc_with("Old text."), doc_with("New text.")
    assert first.digest("en") == same.digest("en")
    assert first.digest("en") != changed.digest("en")
    assert first.digest("nl") == changed.digest("nl")


def test_concept_id_and_sentences() -> None:
    """Concept IRIs shorten to their local id; prose splits into sentences, dropping tiny fragments."""
    assert concept_id(str(LCC["sector-logistics"])) == "sector-logistics"
    assert concept_id("https://example.org/x/phase-start") == "phase-start"
    text = "De groep start in maart met een kick-off. Daarna volgt elke maand een werksessie. Ok. Klaar!"
    assert split_sentences(text) == (
        "De groep start in maart met een kick-off.",
        "Daarna volgt elke maand een werksessie.",
    )
    assert split_sentences("") == ()
