"""The search service on an on-disk store: saved indexes are loaded, brought up to date when the graph
changed while the service was down, rebuilt when corrupt, and searches reflect the graph.

A small graph of four instruments keeps encoding cheap. The first open goes through
``SearchService.open`` (models loaded from their packages, indexes under ``<home>/index``); the reopens wire
the same engine with the session's already loaded embedders, to save loading the models again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.provenance import Triple
from kg.search.documents import split_sentences
from kg.search.engine import LEXICAL_STATE, SearchEngine
from kg.search.graph_source import GraphSource
from kg.search.index import INDEX_FILE, MANIFEST_FILE
from kg.search.lexical import BM25Index
from kg.search.service import SearchService
from tests.search_helpers import graph_iri, instrument_triples

GRAPH = graph_iri("small-catalog")

SMALL = {
    "dijkwandeling": (
        {"nl": "Dijkwandeling", "en": "Dike walk"},
        {
            "nl": "Boeren, bewoners en het waterschap lopen samen over de dijk en bespreken hoe ze zich "
            "voorbereiden op droogte en hoogwater.",
            "en": "Farmers, residents and the water board walk the dike together and discuss how they "
            "prepare for drought and high water.",
        },
    ),
    "cobot-lab": (
        {"nl": "Cobot-lab", "en": "Cobot lab"},
        {
            "nl": "Studenten en operators programmeren samen een robotarm op de werkvloer van een "
            "metaalbedrijf.",
            "en": "Students and operators program a robot arm together on the shop floor of a metal company.",
        },
    ),
    "mantelzorgkaart": (
        {"nl": "Mantelzorgkaart", "en": "Carer map"},
        {
            "nl": "Wijkteams brengen in kaart wie in de buurt voor een naaste met dementie zorgt.",
            "en": "Neighbourhood teams map who in the area looks after a relative with dementia.",
        },
    ),
    "zonnecooperatie-gids": (
        {"nl": "Startgids zonnecoöperatie", "en": "Solar cooperative starter guide"},
        {
            "nl": "Een stappenplan voor bewoners die samen een coöperatie voor zonnepanelen op daken "
            "oprichten.",
            "en": "A step-by-step plan for residents who together set up a cooperative for solar "
            "panels on roofs.",
        },
    ),
}
CHANGED_SLUG = "cobot-lab"
CHANGED_EN = (
    "Growers and students install sensors that measure temperature and humidity in greenhouses. "
    "They read the data together every week."
)
CHANGED_QUERY = "measuring the climate inside glasshouses with sensors"
ROBOT_QUERY = "leren programmeren van een robot in de fabriek"


def small_triples(*, changed: bool = False) -> list[Triple]:
    triples: list[Triple] = []
    for slug, (name, description) in SMALL.items():
        texts = dict(description)
        if changed and slug == CHANGED_SLUG:
            texts["en"] = CHANGED_EN
        triples += instrument_triples(slug, name=name, description=texts)
    return triples


def top(service: SearchService, query: str) -> str:
    return service.search(query, limit=1, passages=0).results[0].item.id


@dataclass
class Built:
    """A home with the small graph and its saved indexes, and what the first open reported."""

    home: Path
    status: dict[str, object]
    encoded: dict[str, int]
    top_before_change: str


@contextmanager
def reopened(settings: Settings, like: SearchService) -> Iterator[tuple[KnowledgeGraph, SearchService]]:
    """Open the store and a search service on its saved indexes, as ``SearchService.open`` does."""
    kg = KnowledgeGraph.open(settings)
    service: SearchService | None = None
    try:
        engine = SearchEngine(
            GraphSource(kg),
            embedder=like.engine.embedder,
            chunk_embedder=like.engine.chunk_embedder,
            directory=settings.index_path,
        )
        service = SearchService(kg, engine)
        service.sync()
        yield kg, service
    finally:
        if service is not None:
            service.close()
        kg.close()


def disk(home: Path) -> Settings:
    return Settings(home=home, store="oxigraph")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, search_service: SearchService) -> Built:
    """Write the small graph to a fresh on-disk store and open the search service on it once."""
    home = tmp_path_factory.mktemp("search-home")
    settings = disk(home)
    kg = KnowledgeGraph.open(settings)
    try:
        kg.write_graph(GRAPH, small_triples(), title="small catalog", method="manual")
        service = SearchService.open(kg, settings)
        try:
            status = service.status()
            assert service.last_sync is not None
            encoded = dict(service.last_sync.encoded)
            before = top(service, CHANGED_QUERY)
        finally:
            service.close()
    finally:
        kg.close()
    return Built(home=home, status=status, encoded=encoded, top_before_change=before)


@pytest.fixture
def home(built: Built, tmp_path: Path) -> Path:
    """A private copy of the built home, so each test may change it."""
    copy = tmp_path / "home"
    shutil.copytree(built.home, copy)
    return copy


def test_first_open_builds_and_saves_every_index(built: Built) -> None:
    """A store without saved indexes gets them built (every text encoded) and saved under home/index."""
    indexes = built.status["indexes"]
    assert isinstance(indexes, dict)
    assert indexes == {"entities": "rebuilt", "chunks": "rebuilt", "sentences": "rebuilt"}
    assert built.encoded["entities"] == 2 * len(SMALL)
    assert built.encoded["chunks"] == 0
    for name in ("entities", "chunks", "sentences"):
        assert (built.home / "index" / name / MANIFEST_FILE).is_file()
    assert built.top_before_change != f"instrument/{CHANGED_SLUG}"


def test_reopening_an_unchanged_graph_loads_and_encodes_nothing(
    home: Path, search_service: SearchService
) -> None:
    """Reopened on the same graph, every index is loaded as saved and not one text is encoded again."""
    with reopened(disk(home), search_service) as (_, service):
        status = service.status()
        assert status["indexes"] == {"entities": "loaded", "chunks": "loaded", "sentences": "loaded"}
        assert status["last_sync"] is not None
        assert service.last_sync is not None
        assert set(service.last_sync.encoded.values()) == {0}
        assert set(service.last_sync.removed.values()) == {0}
        assert top(service, ROBOT_QUERY) == f"instrument/{CHANGED_SLUG}"


def change_while_closed(settings: Settings) -> None:
    """Change one description of the small catalog while no search service runs."""
    kg = KnowledgeGraph.open(settings)
    try:
        kg.write_graph(GRAPH, small_triples(changed=True), title="small catalog", method="manual")
    finally:
        kg.close()


def test_a_graph_changed_while_closed_is_brought_up_to_date(
    home: Path, search_service: SearchService
) -> None:
    """A description changed while the service was down: at reopen the index is updated, only the changed
    text (and its sentences) is encoded, and searches see the new text."""
    settings = disk(home)
    change_while_closed(settings)
    with reopened(settings, search_service) as (_, service):
        indexes = service.status()["indexes"]
        assert isinstance(indexes, dict)
        assert indexes["entities"].startswith("updated"), indexes
        assert indexes["sentences"].startswith("updated"), indexes
        assert indexes["chunks"] == "loaded"
        assert service.last_sync is not None
        assert service.last_sync.encoded == {
            "entities": 1,
            "sentences": len(split_sentences(CHANGED_EN)),
            "chunks": 0,
        }
        assert service.last_sync.removed["entities"] == 1
        assert top(service, CHANGED_QUERY) == f"instrument/{CHANGED_SLUG}"
        assert service.engine.counts()["entities_vectors"] == 2 * len(SMALL)


def test_a_corrupt_index_is_rebuilt_and_search_still_works(home: Path, search_service: SearchService) -> None:
    """Damaged index bytes are detected at reopen; the index is rebuilt from the graph and saved again."""
    data = home / "index" / "entities" / INDEX_FILE
    raw = bytearray(data.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(64)
    data.write_bytes(bytes(raw))
    with reopened(disk(home), search_service) as (_, service):
        indexes = service.status()["indexes"]
        assert isinstance(indexes, dict)
        assert indexes["entities"].startswith("rebuilt (corrupt"), indexes
        assert indexes["sentences"] == "loaded"
        assert service.last_sync is not None
        assert service.last_sync.encoded["entities"] == 2 * len(SMALL)
        assert service.last_sync.encoded["sentences"] == 0
        assert top(service, ROBOT_QUERY) == f"instrument/{CHANGED_SLUG}"
    with reopened(disk(home), search_service) as (_, service):
        assert service.status()["indexes"] == {
            "entities": "loaded",
            "chunks": "loaded",
            "sentences": "loaded",
        }


def test_a_truncated_index_file_is_rebuilt(home: Path, search_service: SearchService) -> None:
    """A data file cut short (a crash mid-copy) is treated like corruption, not trusted."""
    data = home / "index" / "sentences" / INDEX_FILE
    data.write_bytes(data.read_bytes()[:100])
    with reopened(disk(home), search_service) as (_, service):
        indexes = service.status()["indexes"]
        assert isinstance(indexes, dict)
        assert indexes["sentences"].startswith("rebuilt (corrupt"), indexes
        assert service.last_sync is not None
        assert service.last_sync.encoded["sentences"] > 0
        assert service.last_sync.encoded["entities"] == 0


@contextmanager
def counting_bm25_adds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record the id of every document added to any BM25 index meanwhile."""
    added: list[str] = []
    original = BM25Index.add

    def add(self: BM25Index, doc_id: str, fields: Mapping[str, str], lang: str | None) -> None:
        added.append(doc_id)
        original(self, doc_id, fields, lang)

    with monkeypatch.context() as patch:
        patch.setattr(BM25Index, "add", add)
        yield added


def test_the_saved_bm25_index_is_loaded_and_kept_current(
    home: Path, search_service: SearchService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first open saved the BM25 index; a reopen loads it and indexes no text again, and a text
    changed while closed is re-indexed alone (the saved entries carry the digests of their texts)."""
    assert (home / "index" / LEXICAL_STATE).is_file()
    with counting_bm25_adds(monkeypatch) as added, reopened(disk(home), search_service) as (_, service):
        assert added == []
        assert len(service.engine.bm25) == len(SMALL)
        assert top(service, "Dijkwandeling") == "instrument/dijkwandeling"
    settings = disk(home)
    change_while_closed(settings)
    with counting_bm25_adds(monkeypatch) as added, reopened(settings, search_service) as (_, service):
        assert added == [f"instrument/{CHANGED_SLUG}"]
        hits = service.engine.bm25.search("greenhouses sensors humidity", lang="en")
        assert hits[0].doc_id == f"instrument/{CHANGED_SLUG}"
    with counting_bm25_adds(monkeypatch) as added, reopened(settings, search_service):
        assert added == []  # the update was saved too


@pytest.mark.parametrize("damage", ["garbage", "truncated", "other code"])
def test_an_unusable_saved_bm25_index_is_rebuilt(
    home: Path, search_service: SearchService, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    """A torn or foreign BM25 state, or one saved by other code, is not used: BM25 is built from the
    graph, searches work, and a good state is saved again."""
    path = home / "index" / LEXICAL_STATE
    if damage == "garbage":
        path.write_bytes(b"not a pickle at all")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    else:
        monkeypatch.setattr("kg.search.engine.code_key", lambda: "another version of the code")
    with counting_bm25_adds(monkeypatch) as added, reopened(disk(home), search_service) as (_, service):
        assert sorted(added) == sorted(f"instrument/{slug}" for slug in SMALL)
        assert top(service, "Dijkwandeling") == "instrument/dijkwandeling"
    with counting_bm25_adds(monkeypatch) as added, reopened(disk(home), search_service):
        assert added == []
