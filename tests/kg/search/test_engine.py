"""Hybrid search over the catalog with the real models: filters, channels, paging, facets, reasons.

These tests assert properties of the ranking (filters hold, an exact name ranks first, channels follow the
rules the engine documents, counts add up), not the current order of results.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.search.engine import GRAPH_MAX_SHARED, GRAPH_WEIGHT, LEXICAL_WEIGHT, SearchEngine
from kg.search.service import SearchService

NEED_NL = "Hoe zorg ik als begeleider in de startfase dat alle partners dezelfde doelen voor ogen hebben?"
NEED_EN = "How can a facilitator make sure all partners share the same goals when the community starts?"


def test_status_describes_in_memory_indexes(search_service: SearchService) -> None:
    """The memory store keeps indexes in memory; counts agree with the entities the engine holds."""
    status = search_service.status()
    assert status["embedder"] == "joined" and status["chunk_embedder"] == "use"
    assert status["indexes"] == {"entities": "in memory", "chunks": "in memory", "sentences": "in memory"}
    counts = search_service.engine.counts()
    entities = search_service.engine.entities
    assert counts["entities"] == len(entities) >= 100
    assert counts["entities_vectors"] == sum(len(d.texts) for d in entities.values())
    assert counts["sentences_vectors"] == sum(len(s) for d in entities.values() for s in d.sentences.values())


def test_search_sees_exactly_the_visible_entities(
    search_service: SearchService, search_kg: KnowledgeGraph
) -> None:
    """Every catalog instrument and case is searchable, and nothing else of those types."""
    entities = search_service.engine.entities
    assert {i for i in entities if i.startswith("instrument/")} == {i.id for i in search_kg.instruments()}
    assert {i for i in entities if i.startswith("case/")} == {c.id for c in search_kg.cases()}


def test_an_exact_name_ranks_first(search_service: SearchService) -> None:
    """Typing an instrument's exact name puts it first, via the name channel, in either language."""
    for query in ("Seeds of Innovation", "seeds of innovation"):
        first = search_service.search(query, limit=3).results[0]
        assert first.item.id == "instrument/seeds-of-innovation"
        assert first.channels.name == 1.0
        assert any("name" in reason for reason in first.why)


@pytest.mark.parametrize(("query", "lang"), [(NEED_NL, "nl"), (NEED_EN, "en")])
def test_lexical_scores_come_with_the_words_shared(
    search_service: SearchService, query: str, lang: str
) -> None:
    """The query language is detected; a hit with a lexical score names the query words it contains, and
    its lexical score is at most the channel's weight (BM25 is taken relative to the best hit)."""
    response = search_service.search(query, limit=50, passages=0)
    assert response.language == lang
    weight = LEXICAL_WEIGHT[lang]
    for hit in response.results:
        assert 0.0 <= hit.channels.lexical <= weight + 1e-4
        if hit.channels.lexical > 0:
            assert hit.matched_terms
            assert any(reason.endswith(", ".join(hit.matched_terms)) for reason in hit.why)


def test_scores_add_up_and_are_sorted(search_service: SearchService) -> None:
    """A hit's score is the sum of its channels, and results come best first."""
    response = search_service.search(NEED_NL, limit=30, passages=0)
    scores = [hit.score for hit in response.results]
    assert scores == sorted(scores, reverse=True)
    for hit in response.results:
        c = hit.channels
        assert hit.score == pytest.approx(c.dense + c.lexical + c.name + c.graph, abs=2e-4)
        assert -1.0 <= c.dense <= 1.0


def test_query_concepts_boost_entities_that_have_them(
    search_service: SearchService, search_kg: KnowledgeGraph
) -> None:
    """Concepts the query names (role facilitator, phase start) give a graph boost exactly to the entities
    that carry them, and the reasons say so."""
    response = search_service.search("begeleider in de startfase", limit=100, passages=0)
    named = {(a.facet, a.concept.id) for a in response.query_concepts if a.concept}
    assert named == {("role", "role-facilitator"), ("phase", "phase-start")}
    entities = search_service.engine.entities
    for hit in response.results:
        doc = entities[hit.item.id]
        shared = {(f, c) for f, c in named if c in doc.facet(f)}
        assert {(a.facet, a.concept.id) for a in hit.concepts if a.concept} == shared
        assert hit.channels.graph == pytest.approx(GRAPH_WEIGHT * min(len(shared), GRAPH_MAX_SHARED))
        for facet, concept in shared:
            label = search_service.engine.concept_labels[concept].best("en")
            assert f"{facet}: {label}" in hit.why


def test_type_and_facet_filters_hold_for_every_result(search_service: SearchService) -> None:
    """Filtered results all have the type and every filtered facet; other facets hold alternatives."""
    response = search_service.search(
        NEED_EN, types=["case"], filters={"sector": ["logistics", "energy"]}, limit=100, passages=0
    )
    assert response.results
    for hit in response.results:
        assert hit.item.type == "Case"
        assert set(hit.facets["sector"]) & {"sector-logistics", "sector-energy"}
    both = search_service.search(
        NEED_EN, types=["instrument"], filters={"phase": ["start"], "role": ["facilitator"]}, limit=100
    )
    assert both.results
    for hit in both.results:
        assert "phase-start" in hit.facets["phase"] and "role-facilitator" in hit.facets["role"]


def test_facet_counts_count_the_matches(search_service: SearchService) -> None:
    """Facet counts are taken over all matches: per value, the number of matches that carry it."""
    response = search_service.search(NEED_EN, types=["case"], limit=100, passages=0)
    assert response.total == len(response.results) > 0
    assert {f.value: f.count for f in response.facets["type"]} == {"case": response.total}
    for facet, counts in response.facets.items():
        if facet == "type":
            continue
        expected = Counter(v for hit in response.results for v in hit.facets.get(facet, []))
        assert {f.value: f.count for f in counts} == dict(expected)
        assert all(f.label.en or f.label.nl for f in counts)


def test_paging_walks_the_same_ranking(search_service: SearchService) -> None:
    """Offset and limit page through one ranking without gaps or repeats; total does not change."""
    whole = search_service.search(NEED_NL, limit=12, passages=0)
    first = search_service.search(NEED_NL, limit=6, passages=0)
    second = search_service.search(NEED_NL, limit=6, offset=6, passages=0)
    assert whole.total == first.total == second.total
    assert [h.item.id for h in first.results + second.results] == [h.item.id for h in whole.results]
    beyond = search_service.search(NEED_NL, limit=5, offset=whole.total)
    assert beyond.results == [] and beyond.total == whole.total


def test_reasons_are_given_in_the_asked_language(search_service: SearchService) -> None:
    """Every hit has reasons; the meaning score is stated in Dutch or English as asked."""
    for lang, phrase in (("nl", "vergelijkbaar van betekenis"), ("en", "close in meaning")):
        response = search_service.search(NEED_NL, limit=5, lang=lang)
        for hit in response.results:
            assert hit.why and any(reason.startswith(phrase) for reason in hit.why)


def test_passages_come_from_the_hit_itself(search_service: SearchService) -> None:
    """A hit's matching passage is a sentence of its own description."""
    response = search_service.search(NEED_EN, limit=10)
    entities = search_service.engine.entities
    with_passage = [hit for hit in response.results if hit.passage is not None]
    assert with_passage
    for hit in with_passage:
        assert hit.passage is not None and hit.passage.source == "description"
        sentences = {s for ss in entities[hit.item.id].sentences.values() for s in ss}
        assert hit.passage.text in sentences
    assert search_service.search(NEED_EN, limit=3, passages=0).passages == []


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
        ({"passages": 21}, "passages"),
        ({"lang": "fr"}, "lang"),
        ({"types": ["person"]}, "type"),
        ({"filters": {"colour": ["red"]}}, "colour"),
    ],
)
def test_bad_search_arguments_are_invalid_input(
    search_service: SearchService, kwargs: dict[str, object], where: str
) -> None:
    """Out-of-range or unknown arguments are refused with InvalidInput naming the argument."""
    with pytest.raises(InvalidInput) as info:
        search_service.search("samenwerking", **kwargs)  # type: ignore[arg-type]
    assert info.value.where == where


@pytest.mark.parametrize("query", ["", "   ", "x" * 2001])
def test_bad_queries_are_invalid_input(search_service: SearchService, query: str) -> None:
    """Empty and over-long queries are refused before anything is encoded."""
    with pytest.raises(InvalidInput):
        search_service.search(query)


def test_unknown_facet_values_are_invalid_input(search_service: SearchService) -> None:
    """A facet value that is no concept of that facet is refused, not silently matched against nothing."""
    with pytest.raises(InvalidInput, match="nonsense"):
        search_service.search("samenwerking", filters={"sector": ["nonsense"]})


def test_vectors_are_unit_length(search_service: SearchService) -> None:
    """Entity vectors (mean of the language vectors) and query vectors have unit length; the chunk-space
    part of a joined query vector is the 512-d USE part."""
    engine = search_service.engine
    vector = engine.entity_vector("instrument/seeds-of-innovation")
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    query = engine.query_vector(NEED_EN)
    assert query.shape == (engine.embedder.dimension,)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    part = engine.chunk_query_vector(query)
    assert part.shape == (engine.chunk_embedder.dimension,) == (512,)
    assert np.linalg.norm(part) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(InvalidInput):
        engine.entity_vector("instrument/not-there")


def test_repeated_queries_hit_the_cache(search_service: SearchService) -> None:
    """Asking the same query again is answered from the query cache (status counts the hit)."""
    query = "een unieke vraag om de cache te testen"
    search_service.search(query, limit=1)
    before = search_service.engine.queries.hits
    search_service.search(query, limit=1, offset=1)
    assert search_service.engine.queries.hits == before + 1


def test_mismatched_chunk_embedder_is_refused(search_service: SearchService) -> None:
    """Chunks encoded by another model than the queries cannot be searched: the engine refuses them."""
    engine = search_service.engine
    with pytest.raises(InvalidInput, match="cannot be searched"):
        SearchEngine(engine.source, embedder=engine.chunk_embedder, chunk_embedder=engine.embedder)
    with pytest.raises(InvalidInput, match="no index"):
        engine.preload("nope", [], np.zeros((0, 896), dtype=np.float32))
