"""Case entries submitted as JSON, YAML or CSV: validated against the current graph (model, references,
SHACL), written atomically into one proposed submission graph per file, every problem with file, row
and field; the JSON Schema and the documentation examples agree with the ingester."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import yaml
from fastapi.testclient import TestClient
from rdflib import URIRef

from api.app import create_app
from ingest.entries import (
    EntryRecord,
    check_entry_shapes,
    ingest_entries,
    known_terms,
    read_entries,
    submission_graph,
)
from kg.config import Settings
from kg.entries import CaseEntry, case_entry_json_schema
from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.provenance import Triple
from kg.terms import to_rdflib

DOCS = Path(__file__).resolve().parents[2] / "docs" / "case-entries.md"
LC = "https://w3id.org/lcgraph/ontology#"
LCD = "https://w3id.org/lcgraph/id/"
LCC = "https://w3id.org/lcgraph/concept/"


@pytest.fixture()
def kg(catalog_kg: KnowledgeGraph, memory_settings: Settings) -> Iterator[KnowledgeGraph]:
    """A fresh in-memory graph holding a copy of the loaded catalog (cheaper than loading it again)."""
    fresh = KnowledgeGraph.open(memory_settings)
    fresh.store.load_quads(list(catalog_kg.store.quads()))
    yield fresh
    fresh.close()


def doc_example(fmt: str) -> str:
    match = re.search(rf"```{fmt}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match, fmt
    return match.group(1)


def entry(slug: str, **changes: Any) -> dict[str, Any]:
    """A valid case entry (as parsed JSON/YAML), with top-level fields replaced by ``changes``."""
    base: dict[str, Any] = {
        "slug": slug,
        "name": {"nl": f"Case {slug}", "en": f"Case {slug}"},
        "entity": "learning-community",
        "community": {"forms": ["living-lab"], "participants": ["tno"], "practices": ["knowledge"]},
        "case": {
            "description": {"nl": "Een wijk wordt aardgasvrij.", "en": "A neighbourhood goes gas-free."},
            "sectors": ["energy"],
            "challenges": ["gas-free-neighbourhoods"],
            "instruments": ["seeds-of-innovation"],
            "outcomes": [{"text": {"nl": "Een plan.", "en": "A plan."}, "level": "meso"}],
        },
        "source": {"cite": "001:3103-3117"},
    }
    base.update(changes)
    return base


def row(slug: str, **changes: str) -> dict[str, str]:
    """A valid CSV row, with cells replaced by ``changes``."""
    cells = {
        "slug": slug,
        "name_nl": f"Case {slug}",
        "name_en": f"Case {slug}",
        "entity": "learning-community",
        "forms": "living-lab",
        "participants": "tno",
        "practices": "knowledge;citizens",
        "description_nl": "Een wijk wordt aardgasvrij.",
        "description_en": "A neighbourhood goes gas-free.",
        "sectors": "energy",
        "challenges": "gas-free-neighbourhoods",
        "instruments": "seeds-of-innovation",
        "outcome_1_nl": "Een plan.",
        "outcome_1_en": "A plan.",
        "outcome_1_level": "meso",
        "lessons_nl": "Begin klein;Vier successen",
        "lessons_en": "Start small;Celebrate successes",
        "source_cite": "001:3103-3117",
    }
    cells.update(changes)
    return cells


def write_csv(path: Path, rows: list[dict[str, str]], *, delimiter: str = ",") -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def graph_triples(kg: KnowledgeGraph, graph: str) -> list[Triple]:
    return [
        (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))  # type: ignore[arg-type]
        for q in kg.store.quads(None, None, None, ox.NamedNode(graph))
    ]


def approve(kg: KnowledgeGraph, graph: str) -> None:
    """Approve a graph as a curator would: same content (and content hash), new review state."""
    iri = URIRef(graph)
    kg.write_graph(
        iri, graph_triples(kg, graph), title="approved", method="manual", digest=kg.registered_hash(iri)
    )


def has(kg: KnowledgeGraph, graph: str, s: str, p: str, o: ox.NamedNode | ox.Literal) -> bool:
    return any(True for _ in kg.store.quads(ox.NamedNode(s), ox.NamedNode(p), o, ox.NamedNode(graph)))


def problems_of(info: pytest.ExceptionInfo[InvalidInput]) -> str:
    return "\n".join(info.value.problems)


# ------------------------------------------------------------------------------ valid files


@pytest.mark.parametrize("fmt", ["json", "yaml", "csv"])
def test_documented_example_ingests_into_a_proposed_submission_graph(
    fmt: str, kg: KnowledgeGraph, tmp_path: Path
) -> None:
    path = tmp_path / f"cases.{fmt}"
    path.write_text(doc_example(fmt), encoding="utf-8")
    report = ingest_entries(kg, path, submitter="Webber Anna")
    graph = report.graph
    assert graph == str(submission_graph(read_entries(path).sha256))
    assert graph.startswith("https://w3id.org/lcgraph/graph/submission/")
    assert (report.read, report.written, report.skipped, report.problems) == (1, 1, 0, [])
    assert report.changed and report.review_state == "proposed"
    case = f"{LCD}case/warmtewijk-proeftuin-oost"
    community = f"{LCD}community/warmtewijk-proeftuin-oost"
    assert has(kg, graph, case, f"{LC}usesInstrument", ox.NamedNode(f"{LCD}instrument/seeds-of-innovation"))
    assert has(kg, graph, case, f"{LC}inSector", ox.NamedNode(f"{LCC}sector-energy"))
    assert has(
        kg, graph, case, f"{LC}addressesChallenge", ox.NamedNode(f"{LCC}challenge-gas-free-neighbourhoods")
    )
    assert has(kg, graph, community, f"{LC}hasParticipant", ox.NamedNode(f"{LCD}organisation/tno"))
    assert has(kg, graph, report.document, f"{LC}fileName", ox.Literal(path.name))
    assert has(kg, graph, report.document, "http://purl.org/dc/terms/creator", ox.Literal("Webber Anna"))
    # Invisible while proposed ...
    assert "warmtewijk-proeftuin-oost" not in {c.id.split("/")[-1] for c in kg.cases()}
    assert not kg.exists(case)
    # ... visible once a curator approves the graph.
    approve(kg, graph)
    cases = {c.id: c for c in kg.cases(sector="energy", instrument="seeds-of-innovation")}
    assert "case/warmtewijk-proeftuin-oost" in cases
    detail = kg.case("warmtewijk-proeftuin-oost")
    assert [o.level.id for o in detail.outcomes if o.level] == ["outcome-level-meso"]
    sources = [s for f in detail.facts for s in f.sources if s.graph == graph]
    assert sources and all(
        s.method == "manual"
        and s.citation == ("row 1" if fmt == "csv" else "entry 1")
        and s.document == report.document
        and s.confidence == 1.0
        and s.review_state == "proposed"
        for s in sources
    )


def test_reingesting_the_same_file_is_a_no_op_also_after_approval(kg: KnowledgeGraph, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", [row("case-a", part_of=""), row("case-b", part_of="case-a")])
    first = ingest_entries(kg, path)
    assert first.changed and first.written == 2
    before = set(kg.store.quads())
    again = ingest_entries(kg, path)
    assert not again.changed and again.graph == first.graph and again.triples == first.triples
    assert set(kg.store.quads()) == before
    # Approved meanwhile: the same file neither clashes with its own slugs nor demotes the graph.
    approve(kg, first.graph)
    after_approval = ingest_entries(kg, path)
    assert not after_approval.changed and after_approval.review_state == "approved"


def test_csv_from_excel_semicolons_bom_and_sparse_outcome_columns(kg: KnowledgeGraph, tmp_path: Path) -> None:
    cells = row("excel-case", outcome_1_nl="", outcome_1_en="", outcome_1_level="")
    cells.update({"outcome_3_nl": "Drie.", "outcome_3_en": "Three.", "outcome_3_value_cycle": "applied"})
    path = write_csv(tmp_path / "excel.csv", [cells], delimiter=";")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    batch = read_entries(path)
    assert batch.problems == [] and len(batch.entries) == 1
    parsed = batch.entries[0]
    assert [o.value_cycle for o in parsed.case.outcomes] == ["applied"]
    assert [(lesson.nl, lesson.en) for lesson in parsed.case.lessons] == [
        ("Begin klein", "Start small"),
        ("Vier successen", "Celebrate successes"),
    ]
    assert parsed.community.practices == ["knowledge", "citizens"]
    # A bad value in outcome 3 is reported at its own column.
    cells["outcome_3_level"] = "giga"
    bad = write_csv(tmp_path / "bad.csv", [cells])
    with pytest.raises(InvalidInput) as info:
        ingest_entries(kg, bad)
    assert (
        "bad.csv: row 1 (excel-case), field outcome_3_level: 'giga' is not a concept of the 'outcome-level'"
        in (problems_of(info))
    )


def test_known_terms_come_from_the_approved_graphs(kg: KnowledgeGraph, tmp_path: Path) -> None:
    known = known_terms(kg)
    assert {"sector-energy", "challenge-gas-free-neighbourhoods", "phase-start"} <= known.concepts
    assert "seeds-of-innovation" in known.instruments and "tno" in known.organisations
    assert "gas-erop" in known.cases and "gas-erop" in known.communities
    assert "maaike-endedijk" in known.people and "001" in known.documents
    path = tmp_path / "one.json"
    path.write_text(json.dumps([entry("pending-case")]), encoding="utf-8")
    ingest_entries(kg, path)
    assert "pending-case" not in known_terms(kg).cases  # proposed graphs do not count


# ---------------------------------------------------------------------------- invalid files


def bad_csv(tmp_path: Path) -> Path:
    """Row 1 valid; row 2 unknown instrument; row 3 no English name; row 4 one value too many."""
    path = write_csv(
        tmp_path / "cases.csv",
        [
            row("good-case"),
            row("unknown-instrument", instruments="seeds-of-innovation;magic-wand"),
            row("no-english-name", name_en=""),
            row("too-many-values"),
        ],
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_invalid_csv_rows_are_reported_by_file_row_and_field_and_nothing_is_written(
    kg: KnowledgeGraph, tmp_path: Path
) -> None:
    path = bad_csv(tmp_path)
    before = set(kg.store.quads())
    with pytest.raises(InvalidInput) as info:
        ingest_entries(kg, path)
    text = problems_of(info)
    assert "cases.csv: row 2 (unknown-instrument), field instruments: unknown instrument 'magic-wand'" in text
    assert "cases.csv: row 3 (no-english-name), field name_en: Field required" in text
    assert "cases.csv: row 4 (too-many-values), field column 19: unexpected value 'surplus'" in text
    assert "good-case" not in text
    assert info.value.where == "cases.csv" and "nothing was written" in info.value.message
    assert set(kg.store.quads()) == before


def test_partial_mode_writes_the_valid_rows_and_reports_the_rest(kg: KnowledgeGraph, tmp_path: Path) -> None:
    report = ingest_entries(kg, bad_csv(tmp_path), partial=True)
    assert (report.read, report.written, report.skipped) == (4, 1, 3)
    assert len(report.problems) == 3 and all(p.startswith("cases.csv: row ") for p in report.problems)
    subjects = {str(s) for s, _, _ in graph_triples(kg, report.graph)}
    assert f"{LCD}case/good-case" in subjects
    assert not {f"{LCD}case/unknown-instrument", f"{LCD}case/no-english-name"} & subjects


def test_partial_mode_skips_entries_that_are_part_of_a_skipped_entry(
    kg: KnowledgeGraph, tmp_path: Path
) -> None:
    parent = entry("parent", case={**entry("x")["case"], "instruments": ["nope"]})
    child = entry("child", community={"part_of": "parent"})
    path = tmp_path / "tree.yaml"
    path.write_text(yaml.safe_dump({"entries": [parent, child, entry("loner")]}), encoding="utf-8")
    report = ingest_entries(kg, path, partial=True)
    assert report.written == 1 and report.skipped == 2
    assert (
        "tree.yaml: entry 2 (child), field community.part_of: 'parent' is an entry of this file"
        in "\n".join(report.problems)
    )


def test_yaml_bad_concept_missing_name_and_taken_slug(kg: KnowledgeGraph, tmp_path: Path) -> None:
    bad_sector = entry("bad-sector", case={**entry("x")["case"], "sectors": ["energie"]})
    no_name = entry("no-name", name={"nl": "Alleen Nederlands"})
    taken = entry("gas-erop")
    path = tmp_path / "cases.yaml"
    path.write_text(yaml.safe_dump([bad_sector, no_name, taken], allow_unicode=True), encoding="utf-8")
    before = set(kg.store.quads())
    with pytest.raises(InvalidInput) as info:
        ingest_entries(kg, path)
    text = problems_of(info)
    assert (
        "cases.yaml: entry 1 (bad-sector), field case.sectors: 'energie' is not a concept of the 'sector'"
        in text
    )
    assert "cases.yaml: entry 2 (no-name), field name.en: Field required" in text
    assert "cases.yaml: entry 3 (gas-erop), field slug: 'gas-erop' is already a case or community" in text
    assert set(kg.store.quads()) == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "broken.yaml",
            "- slug: a\n  name: {nl: x, en: y\n- slug: b\n",
            "broken.yaml: line 3, column 7: not valid YAML",
        ),
        ("broken.json", '[{"slug": "a",\n  "name": }]', "broken.json: line 2, column 11: not valid JSON"),
        (
            "quote.csv",
            ",".join(row("a")) + '\n"a,b\n',
            "quote.csv: line 2: not valid CSV: unexpected end of data",
        ),
        ("header.csv", "slug,naam_nl\nx,y\n", "header.csv: header, field naam_nl: unknown column"),
        ("shape.json", '{"cases": []}', "shape.json: expected a list of entries or {'entries': [...]}"),
        ("empty.yaml", "", "empty.yaml: the file holds no entries"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole_even_in_partial_mode(
    kg: KnowledgeGraph, tmp_path: Path, name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = set(kg.store.quads())
    with pytest.raises(InvalidInput) as info:
        ingest_entries(kg, path, partial=True)
    assert expected in problems_of(info)
    assert set(kg.store.quads()) == before


def test_duplicate_slugs_in_one_file_and_unknown_format(kg: KnowledgeGraph, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [row("same"), row("same")])
    with pytest.raises(InvalidInput) as info:
        ingest_entries(kg, path)
    assert "dup.csv: row 2 (same), field slug: slug 'same' is already used by row 1" in problems_of(info)
    other = tmp_path / "cases.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(InvalidInput, match="unknown entry format"):
        read_entries(other)


def test_shacl_checks_the_mapped_facts_against_the_graph(empty_kg: KnowledgeGraph, tmp_path: Path) -> None:
    # In an empty graph nothing is an lc:Instrument or an lc:Organisation: the shapes say so per field.
    record = EntryRecord(number=2, where="cases.csv: row 2 (lonely)", slug="lonely", csv=True)
    record.entry = CaseEntry.model_validate(entry("lonely"))
    check_entry_shapes(empty_kg, [record])
    text = "\n".join(record.problems)
    assert (
        "cases.csv: row 2 (lonely), field instruments: Each instrument a case uses must be an lc:Instrument"
        in text
    )
    assert "field participants: Each participant of a learning community must be an organisation" in text


# ------------------------------------------------------------------------------ JSON Schema


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_json_schema_describes_the_documented_examples() -> None:
    schema = case_entry_json_schema()
    assert schema["$id"] == "https://w3id.org/lcgraph/schema/case-entries.json"
    assert schema["title"] and schema["description"]
    assert {ref.removeprefix("#/$defs/") for ref in _refs(schema)} <= set(schema["$defs"])
    json_example = json.loads(doc_example("json"))
    yaml_example = yaml.safe_load(doc_example("yaml"))
    try:
        import jsonschema
    except ImportError:  # not a dependency: fall back to the model the schema is generated from
        for data in (json_example["entries"], yaml_example):
            assert [CaseEntry.model_validate(e).slug for e in data] == ["warmtewijk-proeftuin-oost"]
        assert schema["$defs"]["CaseEntry"]["required"] == [
            "slug",
            "name",
            "entity",
            "community",
            "case",
            "source",
        ]
    else:
        validator = jsonschema.Draft202012Validator(schema)
        validator.validate(json_example)
        validator.validate(yaml_example)
        assert not validator.is_valid([{**yaml_example[0], "name": {"nl": "alleen nl"}}])


def test_schema_is_served_over_http(catalog_kg: KnowledgeGraph, memory_settings: Settings) -> None:
    with TestClient(create_app(memory_settings, kg=catalog_kg)) as client:
        response = client.get("/schemas/case-entries.json")
        spec = client.get("/openapi.json").json()
    assert response.status_code == 200
    assert response.json() == case_entry_json_schema()
    operation = spec["paths"]["/schemas/case-entries.json"]["get"]
    assert operation["tags"] == ["schemas"] and operation["summary"] and operation["description"]
