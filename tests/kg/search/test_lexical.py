"""The lexical channel: Dutch/English stemming, stop-words, BM25, name matching, incremental updates."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from kg.errors import InvalidInput
from kg.search.lexical import BM25Index, LexicalHit, dutch_algorithm, tokenize

CATALOG = Path(__file__).resolve().parents[3] / "kg" / "catalog"


def _index(docs: dict[str, tuple[str, str]], lang: str = "nl") -> BM25Index:
    index = BM25Index()
    for doc_id, (name, text) in docs.items():
        index.add(doc_id, {"name": name, "text": text}, lang)
    return index


def _ids(hits: list[LexicalHit]) -> list[str]:
    return [hit.doc_id for hit in hits]


# --- tokenize -------------------------------------------------------------------------------------------


def test_dutch_algorithm_prefers_dutch_porter() -> None:
    import snowballstemmer

    expected = "dutch_porter" if "dutch_porter" in snowballstemmer.algorithms() else "dutch"
    assert dutch_algorithm() == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [("samenwerking", "samenwerkingen"), ("bewoners", "bewoner"), ("gemeenten", "gemeente")],
)
def test_dutch_stemming_matches_inflections(one: str, other: str) -> None:
    assert tokenize(one, "nl") == tokenize(other, "nl") != []


@pytest.mark.parametrize(
    ("one", "other"),
    [("communities", "community"), ("residents", "resident"), ("collaborating", "collaboration")],
)
def test_english_stemming_matches_inflections(one: str, other: str) -> None:
    assert tokenize(one, "en") == tokenize(other, "en") != []


def test_stopwords_are_dropped() -> None:
    assert tokenize("de en het van een", "nl") == []
    assert tokenize("the of and to a", "en") == []
    assert tokenize("De bewoners van de wijk", "nl") == tokenize("bewoners wijk", "nl")


def test_case_accents_digits_and_hyphens() -> None:
    assert tokenize("Coöperatie", "nl") == tokenize("cooperatie", "nl")
    assert "2024" in tokenize("in 2024", "nl")
    stems = tokenize("co-creatie", "nl")
    assert stems[:2] == tokenize("co creatie", "nl")
    assert stems[2:] == tokenize("cocreatie", "nl")


def test_undetermined_language_gives_both_stems() -> None:
    both = set(tokenize("communities", "und"))
    assert set(tokenize("communities", "nl")) <= both
    assert set(tokenize("communities", "en")) <= both
    assert tokenize("communities", "nl-NL") == tokenize("communities", "nl")
    assert tokenize("x", "mul") == tokenize("x", None) == []


# --- BM25 -----------------------------------------------------------------------------------------------


def test_rare_matching_term_ranks_first() -> None:
    index = _index(
        {
            "a": ("Overleg", "Het overleg met de gemeente over de wijk."),
            "b": ("Wijkavond", "Een avond over de wijk met de gemeente en de wijk."),
            "c": ("Huurders", "Huurders en de woningcorporatie over de renovatie van de wijk."),
        }
    )
    hits = index.search("renovatie wijk", lang="nl")
    assert _ids(hits)[0] == "c"
    assert hits[0].matched_terms == tuple(sorted(set(tokenize("renovatie wijk", "nl"))))
    assert index.idf(tokenize("renovatie", "nl")[0]) > index.idf(tokenize("wijk", "nl")[0])


def test_inflected_query_finds_document() -> None:
    index = _index({"a": ("Bewonersavond", "Samenwerkingen tussen bewoners."), "b": ("Iets", "Geen match.")})
    assert _ids(index.search("samenwerking bewoner", lang="nl")) == ["a"]
    assert _ids(index.search("samenwerking bewoner")) == ["a"]


def test_auto_language_takes_the_better_stemming() -> None:
    index = BM25Index()
    index.add("en", {"text": "Communities of residents collaborating"}, "en")
    index.add("nl", {"text": "Samenwerkingen met bewoners"}, "nl")
    assert _ids(index.search("community collaboration")) == ["en"]
    assert _ids(index.search("samenwerking bewoner")) == ["nl"]
    auto = index.bm25_scores("community collaboration")
    assert auto["en"] == index.bm25_scores("community collaboration", lang="en")["en"]


def test_name_field_is_boosted() -> None:
    index = _index({"named": ("Wijkschouw", "Een wandeling."), "text": ("Wandeling", "Een wijkschouw.")})
    scores = index.bm25_scores("wijkschouw", lang="nl")
    assert scores["named"] > scores["text"]


def test_empty_and_stopword_queries_return_nothing() -> None:
    index = _index({"a": ("Overleg", "De wijk.")})
    assert index.search("") == []
    assert index.search("   ") == []
    assert index.search("de van het", lang="nl") == []
    assert BM25Index().search("wijk") == []


def test_invalid_input_is_rejected() -> None:
    index = _index({"a": ("Overleg", "De wijk.")})
    with pytest.raises(InvalidInput):
        index.search("wijk", k=0)
    with pytest.raises(InvalidInput):
        index.add("", {"text": "x"}, "nl")
    with pytest.raises(InvalidInput):
        index.add("b", {"text": 3}, "nl")  # type: ignore[dict-item]
    with pytest.raises(InvalidInput):
        BM25Index(field_boosts={"name": 0.0})


# --- names ----------------------------------------------------------------------------------------------

NAMED_DOCS = {
    "seeds": ("Seeds of Innovation", "Een dialoogtool voor de tuinbouw."),
    "ster": ("Community-ster methode", "Een methode om rollen in kaart te brengen."),
    "noisy": (
        "Innovatieverhalen",
        "Innovation, innovation and more innovation: seeds, seeds and seeds of innovation in every "
        "community, with a methode per community and a ster for each community methode.",
    ),
    "other": ("Wijkschouw", "Seeds of change for the community."),
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Seeds of Innovation", "seeds"),
        ("seeds of innovation", "seeds"),
        ("SEEDS OF INNOVATION!", "seeds"),
        ("Community ster methode", "ster"),
        ("community-ster methode", "ster"),
        ("hoe werkt de Community ster methode in een wijk", "ster"),
    ],
)
def test_name_query_ranks_the_entity_first(query: str, expected: str) -> None:
    index = _index(NAMED_DOCS, lang="und")
    assert index.bm25_scores(query).get("noisy", 0.0) > 0.0  # the noise doc does match the words
    for lang in (None, "nl", "en"):
        hits = index.search(query, lang=lang)
        assert hits[0].doc_id == expected
        assert hits[0].name_score >= 0.9


def test_name_match_scores() -> None:
    index = _index(NAMED_DOCS, lang="und")
    assert index.name_match("Seeds of Innovation") == [("seeds", 1.0)]
    assert index.name_match("communityster methode") == [("ster", 1.0)]
    # the query contains the whole name / the name contains the whole query
    assert index.name_match("ik zoek de tool seeds of innovation") == [("seeds", 0.9)]
    assert index.name_match("seeds of") == [("seeds", 0.9)]
    # too short to count as a partial match
    assert index.name_match("of") == []
    assert index.name_match("seeds") == []
    assert index.name_match("") == []


def test_several_names_per_document() -> None:
    index = BM25Index()
    index.add(
        "scan", {"name": "Designkit: doelenscan\nDesign kit: goals scan", "alt_names": "Doelenscan"}, "und"
    )
    index.add("other", {"text": "doelenscan doelenscan doelenscan"}, "und")
    assert index.name_match("design kit goals scan") == [("scan", 1.0)]
    assert index.name_match("goals scan") == [("scan", 0.9)]
    assert _ids(index.search("Doelenscan")) == ["scan", "other"]


# --- incremental updates and determinism ----------------------------------------------------------------

DOCS = {
    "a": ("Overleg", "Het overleg met bewoners over de renovatie van de wijk."),
    "b": ("Wijkavond", "Een avond voor bewoners en de gemeente over de wijk."),
    "c": ("Huurders", "Huurders en de woningcorporatie over de renovatie."),
    "d": ("Renovatieteam", "Het team plant de renovatie met bewoners en huurders."),
}


def _scores(index: BM25Index, query: str) -> list[tuple[str, float]]:
    return [(hit.doc_id, hit.score) for hit in index.search(query, k=100)]


def test_remove_updates_document_frequencies() -> None:
    index = _index(DOCS)
    stem = tokenize("renovatie", "nl")[0]
    before = index.search("renovatie bewoners", lang="nl", k=100)
    assert "d" in _ids(before) and index.doc_freq(stem) == 3
    idf_before = index.idf(stem)
    assert index.remove("d") is True
    assert index.remove("d") is False
    assert "d" not in index and len(index) == 3
    assert index.doc_freq(stem) == 2 and index.idf(stem) > idf_before
    after = index.search("renovatie bewoners", lang="nl", k=100)
    assert "d" not in _ids(after)
    fresh = _index({key: value for key, value in DOCS.items() if key != "d"})
    for query in ("renovatie bewoners", "huurders", "Renovatieteam", "wijk gemeente"):
        assert _scores(index, query) == _scores(fresh, query)
    assert _scores(index, "renovatie bewoners") != [
        (hit.doc_id, hit.score) for hit in before if hit.doc_id != "d"
    ]


def test_add_again_replaces_and_incremental_equals_fresh() -> None:
    index = _index(DOCS)
    index.add("b", {"name": "Iets anders", "text": "Over tuinbouw."}, "nl")
    index.remove("c")
    index.add("c", {"name": DOCS["c"][0], "text": DOCS["c"][1]}, "nl")
    fresh = _index({**DOCS, "b": ("Iets anders", "Over tuinbouw.")})
    for query in ("renovatie bewoners", "tuinbouw", "wijk", "Huurders"):
        assert _scores(index, query) == _scores(fresh, query)
    assert index.doc_freq(tokenize("wijk", "nl")[0]) == 1
    for doc_id in list(DOCS):
        index.remove(doc_id)
    assert len(index) == 0 and index.doc_freq(tokenize("wijk", "nl")[0]) == 0
    assert index.search("renovatie") == []


def test_ordering_is_deterministic() -> None:
    twins = {doc_id: ("Naam", "Dezelfde tekst over de wijk.") for doc_id in ("z", "m", "a", "q")}
    index = _index(twins)
    hits = index.search("wijk")
    assert _ids(hits) == ["a", "m", "q", "z"]
    assert len({hit.score for hit in hits}) == 1
    reversed_index = _index(dict(reversed(list(twins.items()))))
    assert _scores(reversed_index, "wijk") == _scores(index, "wijk")
    assert index.search("wijk", k=2) == hits[:2]
    assert all(math.isfinite(hit.score) for hit in hits)


def test_import_is_light() -> None:
    code = "import sys, kg.search.lexical; print('snowballstemmer' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- the real catalog -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(str(text) for text in value.values() if text)
    return str(value or "")


@pytest.fixture(scope="module")
def catalog_index() -> BM25Index:
    index = BM25Index()
    paths = sorted(CATALOG.glob("instruments_*.yaml"))
    assert paths, "no instrument catalog found"
    for path in paths:
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            fields = {
                "name": _text(entry["name"]),
                "alt_names": "\n".join(entry.get("alt_names") or []),
                "text": _text(entry.get("description")),
            }
            index.add(entry["slug"], fields, "und")
    assert len(index) > 50
    return index


@pytest.mark.parametrize("lang", [None, "nl"])
def test_catalog_name_query(catalog_index: BM25Index, lang: str | None) -> None:
    hits = catalog_index.search("doelenscan", lang=lang)
    assert hits[0].doc_id == "designkit-doelenscan"
    assert hits[0].name_score == 1.0
    assert catalog_index.search("Seeds of Innovation", lang=lang)[0].doc_id == "seeds-of-innovation"
    assert (
        catalog_index.search("Trust assessment framework", lang=lang)[0].doc_id == "afwegingskader-vertrouwen"
    )


@pytest.mark.parametrize("lang", [None, "nl"])
def test_catalog_dutch_question(catalog_index: BM25Index, lang: str | None) -> None:
    hits = catalog_index.search("hoe bouw ik vertrouwen op in een community", lang=lang, k=5)
    assert "afwegingskader-vertrouwen" in _ids(hits)
    assert all(hit.name_score == 0.0 for hit in hits)  # no name is in that question
