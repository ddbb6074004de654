"""The curated catalog: complete, valid against the shapes, with provenance on every fact, and
loading it is idempotent. Bad entries are reported with file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml

from kg.catalog import CATALOG_DIR, catalog_facts, facts_graph, read_catalog
from kg.errors import InvalidInput
from kg.graph import CATALOG_GRAPH, KnowledgeGraph
from kg.loading import load_catalog
from kg.validation import validate_graph


def test_catalog_covers_the_domain_brief() -> None:
    catalog = read_catalog()
    codes = {e.code for e in catalog.instruments if e.code}
    expected = (
        {f"A{i:02d}" for i in range(1, 18)}
        | {f"B{i:02d}" for i in range(1, 35)}
        | {f"C{i:02d}" for i in range(1, 12)}
    )
    assert expected <= codes
    assert {c.code for c in catalog.cases} >= {f"C{i:02d}" for i in range(1, 37)}
    assert len(catalog.documents) == 5


def test_every_instrument_is_bilingual_with_purpose_and_source() -> None:
    for e in read_catalog().instruments:
        assert e.name.nl and e.name.en and e.purpose.nl and e.purpose.en, e.slug
        assert e.source.cite, e.slug


def test_whole_catalog_passes_shacl_with_zero_violations() -> None:
    violations = validate_graph(facts_graph(catalog_facts(read_catalog())))
    assert [str(v) for v in violations] == []


def test_every_fact_has_a_provenance_record(catalog_kg: KnowledgeGraph) -> None:
    q = f"""
    PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CATALOG_GRAPH}> {{
      ?s ?p ?o FILTER(?p NOT IN (rdf:subject, rdf:predicate, rdf:object))
      FILTER NOT EXISTS {{ ?s a rdf:Statement }}
      FILTER NOT EXISTS {{ ?r rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                           <https://w3id.org/lcgraph/ontology#citation> ?c }} }} }}"""
    result = catalog_kg.store.query(q)
    assert isinstance(result, ox.QuerySolutions)
    missing = [int(r["n"].value) for r in result]  # type: ignore[union-attr]
    assert missing == [0]


def test_facts_of_seeds_of_innovation_cite_their_source(catalog_kg: KnowledgeGraph) -> None:
    facts = catalog_kg.facts("https://w3id.org/lcgraph/id/instrument/seeds-of-innovation")
    assert facts
    for fact in facts:
        assert fact.sources and all(s.method == "curated" and s.citation for s in fact.sources)
        assert all(
            s.document and s.document.startswith("https://w3id.org/lcgraph/id/document/")
            for s in fact.sources
        )


def test_load_is_idempotent(empty_kg: KnowledgeGraph) -> None:
    first = load_catalog(empty_kg)
    assert first.changed
    triples = empty_kg.store.count()
    second = load_catalog(empty_kg)
    assert not second.changed
    assert empty_kg.store.count() == triples


def _copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path: Path, slug: str, **changes: object) -> None:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["slug"] == slug:
            entry.update(changes)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _instrument_file(directory: Path, slug: str) -> Path:
    for path in sorted(directory.glob("instruments*.yaml")):
        if any(e["slug"] == slug for e in yaml.safe_load(path.read_text(encoding="utf-8"))):
            return path
    raise AssertionError(slug)


def test_bad_entries_are_reported_with_file_entry_and_field_and_nothing_is_written(
    tmp_path: Path, empty_kg: KnowledgeGraph
) -> None:
    directory = _copy_catalog(tmp_path)
    path = _instrument_file(directory, "seeds-of-innovation")
    _edit(path, "seeds-of-innovation", kind="gadget", phases=[{"phase": "lunch", "basis": "placement"}])
    with pytest.raises(InvalidInput) as info:
        load_catalog(empty_kg, directory)
    problems = "\n".join(info.value.problems)
    assert f"{path.name}: seeds-of-innovation, field kind: 'gadget'" in problems
    assert "field phases.phase: 'lunch'" in problems
    assert empty_kg.store.count() == 0


def test_missing_required_field_names_the_field(tmp_path: Path, empty_kg: KnowledgeGraph) -> None:
    directory = _copy_catalog(tmp_path)
    path = _instrument_file(directory, "seeds-of-innovation")
    _edit(path, "seeds-of-innovation", purpose={"nl": "alleen Nederlands"})
    with pytest.raises(InvalidInput) as info:
        load_catalog(empty_kg, directory)
    assert any(
        "seeds-of-innovation, field purpose: the curated catalog gives it in nl and en" in p
        for p in info.value.problems
    )


def test_a_failed_reload_keeps_the_previous_catalog(tmp_path: Path, empty_kg: KnowledgeGraph) -> None:
    load_catalog(empty_kg)
    before = set(empty_kg.store.quads())
    directory = _copy_catalog(tmp_path)
    cases = sorted(directory.glob("cases*.yaml"))[0]
    cases.write_text(cases.read_text(encoding="utf-8") + "\n- slug: Not A Slug\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        load_catalog(empty_kg, directory)
    assert set(empty_kg.store.quads()) == before
