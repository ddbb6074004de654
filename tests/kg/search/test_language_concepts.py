"""Query language detection, concepts named in a query, and facet filter checks (no models needed)."""

from __future__ import annotations

import pytest

from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.search.concepts import ConceptMatcher, facet_of
from kg.search.documents import FACETS
from kg.search.engine import MAX_QUERY_CHARS, check_query, normalise_filters
from kg.search.language import detect_language


@pytest.fixture(scope="module")
def matcher(catalog_kg: KnowledgeGraph) -> ConceptMatcher:
    return ConceptMatcher.from_graph(catalog_kg)


@pytest.mark.parametrize(
    "text",
    [
        "Hoe krijg ik bewoners en woningcorporaties op één lijn?",
        "Welk hulpmiddel helpt de begeleider om met de groep doelen vast te stellen?",
        "kennisdeling tussen bedrijven en het onderwijs",
        "samenwerking schoolbestuur",
    ],
)
def test_dutch_queries_are_detected_as_dutch(text: str) -> None:
    """Dutch sentences and Dutch keyword queries are recognised as Dutch."""
    assert detect_language(text) == "nl"


@pytest.mark.parametrize(
    "text",
    [
        "How do I get residents and housing associations on the same page?",
        "Which tool helps the facilitator to set goals with the group?",
        "a way to share what we learned with the other partners",
    ],
)
def test_english_queries_are_detected_as_english(text: str) -> None:
    """English sentences are recognised as English."""
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", "   ", "12345", "stakeholder map"])
def test_no_evidence_is_none(text: str) -> None:
    """Without function words or Dutch letter patterns the detector does not guess."""
    assert detect_language(text) is None


@pytest.mark.parametrize("text", ["peer feedback sessions", "team meeting agenda", "need assessment tool"])
def test_english_keyword_queries_are_not_taken_for_dutch(text: str) -> None:
    """Short English keyword queries (no function words) are not classed as Dutch.

    Dutch routes a query through the Dutch stemmer and the BM25 channel, which the embedding study found to
    hurt English queries; doubled vowels as in "feedback" or "meeting" are common English spelling.
    """
    assert detect_language(text) != "nl"


def test_matcher_finds_role_and_phase_in_dutch(matcher: ConceptMatcher) -> None:
    """ "begeleider in de startfase" names the role facilitator and the phase start, each once."""
    found = matcher.match("begeleider in de startfase")
    assert {(m.facet, m.concept) for m in found} == {("role", "role-facilitator"), ("phase", "phase-start")}
    assert all(m.label for m in found)


def test_matcher_finds_the_same_concepts_in_english(matcher: ConceptMatcher) -> None:
    """The English wording of the same need finds the same two concepts (labels are bilingual)."""
    found = {m.concept for m in matcher.match("a facilitator in the starting phase")}
    assert {"role-facilitator", "phase-start"} <= found


def test_matcher_finds_multiword_sector_label(matcher: ConceptMatcher) -> None:
    """A label of several words matches when all its words occur, not when only some do."""
    assert [m.concept for m in matcher.match("een project in zorg en welzijn")] == ["sector-care-welfare"]
    assert "sector-logistics" in {m.concept for m in matcher.match("partners along the supply chain")}
    assert "sector-logistics" not in {m.concept for m in matcher.match("a chain of schools")}


def test_matcher_ignores_text_without_concepts(matcher: ConceptMatcher) -> None:
    """Everyday text without any concept label matches nothing."""
    assert matcher.match("het weer is mooi vandaag") == []


def test_matcher_results_have_the_facet_of_their_concept(matcher: ConceptMatcher) -> None:
    """Every match's facet is the facet its concept id belongs to."""
    found = matcher.match("webber en facilitator in de startfase van een logistiek project in de zorg")
    assert found
    for m in found:
        assert facet_of(m.concept) == m.facet


def test_matcher_from_labels_skips_short_generic_words() -> None:
    """A one-word label shorter than four letters ("AI") is not matched; other facets are skipped."""
    m = ConceptMatcher(
        [
            ("sector-ict-ai", "AI", "en"),
            ("sector-logistics", "logistiek", "nl"),
            ("review-state-approved", "approved", "en"),
        ]
    )
    assert len(m) == 1
    assert m.match("AI in de logistiek")[0].concept == "sector-logistics"
    assert m.match("approved") == []


def test_normalise_filters_turns_slugs_into_ids() -> None:
    """Bare slugs get their scheme prefix, ids stay as they are, blanks are dropped."""
    out = normalise_filters(
        {
            "sector": ["logistics", "sector-energy"],
            "phase": ["start"],
            "role": ["facilitator"],
            "value_type": ["realised"],
            "kind": ["tool"],
            "practice": ["  "],
        }
    )
    assert out == {
        "sector": frozenset({"sector-logistics", "sector-energy"}),
        "phase": frozenset({"phase-start"}),
        "role": frozenset({"role-facilitator"}),
        "value_type": frozenset({"value-cycle-realised"}),
        "kind": frozenset({"instrument-kind-tool"}),
    }


def test_normalise_filters_level_covers_outcome_and_scale_levels() -> None:
    """A bare level slug stands for both the outcome level and the scale level of that name."""
    assert normalise_filters({"level": ["micro"]}) == {
        "level": frozenset({"outcome-level-micro", "scale-level-micro"})
    }


def test_normalise_filters_rejects_an_unknown_facet() -> None:
    """An unknown facet name is InvalidInput naming the facet and the choices."""
    with pytest.raises(InvalidInput, match="unknown facet 'colour'") as info:
        normalise_filters({"colour": ["red"]})
    assert info.value.where == "colour"
    for facet in FACETS:
        assert facet in str(info.value)


def test_normalise_filters_of_nothing_is_empty() -> None:
    """No filters (None or empty) is no constraint."""
    assert normalise_filters(None) == {}
    assert normalise_filters({}) == {}


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
def test_check_query_rejects_empty_and_non_text(bad: object) -> None:
    """An empty, blank or non-text query is InvalidInput at the query parameter."""
    with pytest.raises(InvalidInput, match="non-empty") as info:
        check_query(bad)
    assert info.value.where == "q"


def test_check_query_rejects_an_over_long_query() -> None:
    """A query over the limit is refused with its length; one at the limit passes."""
    assert check_query("a" * MAX_QUERY_CHARS)
    with pytest.raises(InvalidInput, match=str(MAX_QUERY_CHARS + 1)):
        check_query("a" * (MAX_QUERY_CHARS + 1))
