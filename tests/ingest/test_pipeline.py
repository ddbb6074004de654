"""The ingest pipeline end to end: the seed corpus into a store with the catalog, idempotency,
atomic replacement and removal, bad files, and a process killed mid-ingest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from ingest.pipeline import IngestReport, list_documents, remove_document, run
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="the seed corpus is not beside the repo")
LC = "https://w3id.org/lcgraph/ontology#"
LCD = "https://w3id.org/lcgraph/id/"


def select(kg: KnowledgeGraph, query: str) -> list[dict[str, str]]:
    result = kg.store.query(query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: row[n].value for n in names if row[n] is not None} for row in result]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def corpus_kg() -> Iterator[tuple[KnowledgeGraph, IngestReport]]:
    if not CORPUS.exists():
        pytest.skip("the seed corpus is not beside the repo")
    kg = KnowledgeGraph.open(Settings(store="memory"))
    load_catalog(kg)
    report = run(kg, [str(CORPUS)])
    yield kg, report
    kg.close()


@needs_corpus
def test_corpus_ingests_every_document(corpus_kg: tuple[KnowledgeGraph, IngestReport]) -> None:
    _, report = corpus_kg
    assert report.totals["ingested"] == 5 and report.totals["failed"] == 0
    assert all(d.chunks > 0 and d.language == "nl" for d in report.documents)


@needs_corpus
def test_the_seventeen_table_instruments_are_linked_not_duplicated(
    corpus_kg: tuple[KnowledgeGraph, IngestReport],
) -> None:
    kg, report = corpus_kg
    main = next(d for d in report.documents if d.path.endswith("001_9e5f9df7b70c8960.txt"))
    assert main.instrument_rows == 17
    rows = select(
        kg,
        f"""SELECT DISTINCT ?i ?code WHERE {{ GRAPH <{main.graph}> {{ ?i <{LC}targetGroupText> ?t }}
            GRAPH <https://w3id.org/lcgraph/graph/catalog> {{ ?i <{LC}catalogCode> ?code }} }}""",
    )
    assert sorted(r["code"] for r in rows) == [f"A{i:02d}" for i in range(1, 18)]
    new = select(kg, f"SELECT ?i WHERE {{ GRAPH <{main.graph}> {{ ?i a <{LC}Instrument> }} }}")
    assert new == []  # every row linked to its catalog entry


@needs_corpus
def test_provenance_points_at_the_right_lines(corpus_kg: tuple[KnowledgeGraph, IngestReport]) -> None:
    kg, report = corpus_kg
    main = next(d for d in report.documents if d.path.endswith("001_9e5f9df7b70c8960.txt"))
    raw = (CORPUS / "001_9e5f9df7b70c8960.txt").read_text(encoding="utf-8").splitlines()
    rows = select(
        kg,
        f"""PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT ?s ?o ?cite ?conf ?state ?doc WHERE {{ GRAPH <{main.graph}> {{
          ?r rdf:subject ?s ; rdf:predicate <{LC}purpose> ; rdf:object ?o ; <{LC}citation> ?cite ;
             <{LC}confidence> ?conf ; <{LC}reviewState> ?state ;
             <http://www.w3.org/ns/prov#wasDerivedFrom> ?doc }} }}""",
    )
    assert len(rows) == 17
    for row in rows:
        first, last = (int(x) for x in row["cite"].lstrip("L").split("-L"))
        span = " ".join(raw[first - 1 : last]).casefold()
        name_word = row["s"].rsplit("/", 1)[-1].split("-")[0]
        assert row["o"].split()[0].casefold() in span, row
        assert name_word[:5] in span.replace(" ", "").replace("-", "") or row["s"].endswith(
            "pitstop-methode"
        ), row
        assert row["state"].endswith("review-state-proposed") and 0 < float(row["conf"]) <= 1
        assert row["doc"] == LCD + "document/001"  # the catalog's node for this corpus file


@needs_corpus
def test_most_named_cases_are_recognised(corpus_kg: tuple[KnowledgeGraph, IngestReport]) -> None:
    kg, _ = corpus_kg
    rows = select(
        kg,
        f"""SELECT DISTINCT ?case WHERE {{ GRAPH ?g {{ ?chunk <{LC}mentions> ?case }}
            GRAPH <https://w3id.org/lcgraph/graph/catalog> {{ ?case a <{LC}Case> }} }}""",
    )
    assert len(rows) >= 24, sorted(r["case"] for r in rows)


@needs_corpus
def test_proposed_facts_stay_invisible(corpus_kg: tuple[KnowledgeGraph, IngestReport]) -> None:
    kg, _ = corpus_kg
    detail = kg.instrument("designkit-doelenscan")
    assert all(s.review_state == "approved" for f in detail.facts for s in f.sources)


def _kg(tmp_path: Path) -> KnowledgeGraph:
    kg = KnowledgeGraph.open(Settings(home=tmp_path / "home"))
    load_catalog(kg)
    return kg


def test_reingest_is_a_no_op_and_a_change_replaces_the_graph(tmp_path: Path) -> None:
    kg = _kg(tmp_path)
    doc = tmp_path / "verslag.md"
    doc.write_text(
        "# Verslag\n\nIn ShareHouse werkten we met Seeds of Innovation en sprints.\n", encoding="utf-8"
    )
    first = run(kg, [str(doc)])
    assert first.totals["ingested"] == 1
    before = set(kg.store.quads())
    second = run(kg, [str(doc)])
    assert second.totals["unchanged"] == 1 and set(kg.store.quads()) == before
    doc.write_text("# Verslag\n\nIn EnTranCe in Groningen gebruikten ze intervisie.\n", encoding="utf-8")
    third = run(kg, [str(doc)])
    assert third.totals["ingested"] == 1
    graph = third.documents[0].graph
    mentioned = {
        r["e"].rsplit("/", 1)[-1]
        for r in select(kg, f"SELECT ?e WHERE {{ GRAPH <{graph}> {{ ?c <{LC}mentions> ?e }} }}")
    }
    assert "entrance" in mentioned and "sharehouse" not in mentioned
    assert [d["graph"] for d in list_documents(kg)] == [graph]
    remove_document(kg, "verslag.md")
    assert list_documents(kg) == []
    assert select(kg, f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 1") == []
    kg.close()


def test_a_bad_file_is_reported_and_the_rest_goes_ahead(tmp_path: Path) -> None:
    kg = _kg(tmp_path)
    good = tmp_path / "goed.txt"
    good.write_text("De Webber Community gebruikt de Actiescan.\n", encoding="utf-8")
    bad = tmp_path / "kapot.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + os.urandom(2000))
    empty = tmp_path / "leeg.txt"
    empty.write_bytes(b"")
    before = len(list(kg.store.quads()))
    report = run(kg, [str(tmp_path / "*")])
    status = {Path(d.path).name: d for d in report.documents}
    assert status["goed.txt"].status == "ingested"
    assert status["kapot.pdf"].status == "failed" and "kapot.pdf" in status["kapot.pdf"].problems[0]
    assert status["leeg.txt"].status == "failed" and "empty" in status["leeg.txt"].problems[0]
    assert len(list_documents(kg)) == 1 and len(list(kg.store.quads())) > before
    kg.close()


@needs_corpus
# Killing an ingest half-way (kill -9, several rounds, then a re-run) is tested in
# tests/test_crash_safety.py::test_kill_9_during_ingest_leaves_whole_documents_and_a_rerun_completes.


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("kapot.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200, "not a readable pdf"),
        ("leeg.md", b"", "empty"),
        ("plaatje.txt", bytes(range(256)) * 40, "binary"),
        ("latin.txt", b"Dit is \x81\x8d\x8f\x90\x9d tekst \x81\x8d\x8f\x90\x9d" * 50, "decode"),
        ("groot.txt", b"woord " * 400_000, "limit"),
    ],
)
def test_each_bad_file_gets_a_clear_error_and_the_store_stays_untouched(
    catalog_kg: KnowledgeGraph, tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    kg = catalog_kg  # shared read-only fixture: a failed ingest must not change it
    before = set(kg.store.quads())
    path = tmp_path / name
    path.write_bytes(content)
    report = run(kg, [str(path)], max_bytes=1_000_000)
    (doc,) = report.documents
    assert doc.status == "failed"
    assert name in doc.problems[0] and expected in doc.problems[0].lower(), doc.problems
    assert set(kg.store.quads()) == before
