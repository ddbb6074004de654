"""Property tests of every parser we expose to outside input: case entries (JSON, YAML, CSV),
documents (text, Markdown, HTML, DOCX, PDF) and RDF imports. Random and mutated bytes must give a
result or a clear ``InvalidInput`` (or, for entries, a batch of problems), never another exception;
a failed RDF import leaves the store as it was.

Examples are derandomised (the same inputs every run, so CI is deterministic) and few enough that
the module runs in well under a minute on 2 cores.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.pdfgen import canvas

from ingest.entries import read_entries
from ingest.sources import read_document
from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.rdfinput import parse_quads
from kg.revision import is_revision_quad
from tests.reliability.ledger import record

DOCS = Path(__file__).resolve().parents[2] / "docs" / "case-entries.md"
SCENARIO = "hostile input to parsers (hypothesis)"


def fuzz(examples: int) -> settings:
    """Deterministic, deadline-free settings with a modest number of examples."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """A valid input with a few bytes replaced, inserted, deleted or a slice cut off or duplicated."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "replace" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "truncate":
            del data[at:]
        elif op == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


# -------------------------------------------------------------------------------- case entries


def _doc_example(fmt: str) -> bytes:
    match = re.search(rf"```{fmt}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match, fmt
    return match.group(1).encode()


ENTRY_SEEDS = {"json": _doc_example("json"), "yaml": _doc_example("yaml"), "csv": _doc_example("csv")}
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=30,
)


def _read_entries_or_problem(path: Path) -> None:
    try:
        batch = read_entries(path)
    except InvalidInput as exc:
        assert exc.message and exc.where == path.name
        return
    # Either entries were read, or every problem names the file.
    assert batch.records or batch.problems
    for problem in batch.problems:
        assert problem.startswith(path.name), problem


def test_entry_seeds_are_valid(tmp_path: Path) -> None:
    for fmt, seed in ENTRY_SEEDS.items():
        batch = read_entries(_write(tmp_path, f"cases.{fmt}", seed))
        assert batch.records and not batch.problems, (fmt, batch.problems)
        assert all(r.entry is not None for r in batch.records), fmt


@fuzz(120)
@given(fmt=st.sampled_from(sorted(ENTRY_SEEDS)), data=st.data())
def test_mutated_case_entries_give_entries_or_problems(tmp_path: Path, fmt: str, data: st.DataObject) -> None:
    raw = data.draw(mutated(ENTRY_SEEDS[fmt]))
    record(SCENARIO, faults=1, inputs=1)
    _read_entries_or_problem(_write(tmp_path, f"cases.{fmt}", raw))


@fuzz(80)
@given(value=JSON_VALUES, as_yaml=st.booleans())
def test_arbitrary_json_and_yaml_values_give_entries_or_problems(
    tmp_path: Path, value: object, as_yaml: bool
) -> None:
    import json

    import yaml

    if as_yaml:
        raw, name = yaml.safe_dump(value, allow_unicode=True).encode(), "cases.yaml"
    else:
        raw, name = json.dumps(value).encode(), "cases.json"
    record(SCENARIO, faults=1, inputs=1)
    _read_entries_or_problem(_write(tmp_path, name, raw))


@fuzz(60)
@given(raw=st.binary(max_size=2048), fmt=st.sampled_from(["json", "yaml", "csv"]))
def test_random_bytes_as_case_entries_give_problems(tmp_path: Path, raw: bytes, fmt: str) -> None:
    record(SCENARIO, faults=1, inputs=1)
    _read_entries_or_problem(_write(tmp_path, f"cases.{fmt}", raw))


# ----------------------------------------------------------------------------------- documents


def _docx_seed() -> bytes:
    document = docx.Document()
    document.add_heading("Leergemeenschap", level=1)
    document.add_paragraph("Werken, leren en innoveren komen samen in een leergemeenschap.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "Instrument", "Fase"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_seed() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle("Leergemeenschappen")
    for number in (1, 2):
        pdf.drawString(72, 720, f"Pagina {number}: werken, leren en innoveren.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


DOCUMENT_SEEDS = {
    "txt": b"Leergemeenschappen\n\nWerken, leren en innoveren.\n",
    "md": b"# Leergemeenschap\n\n- een lijst\n- van *dingen*\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "html": b"<!doctype html><html><head><title>LC</title></head><body><h1>Kop</h1><p>Tekst &amp; meer</p>"
    b"<table><tr><td>a</td><td>b</td></tr></table></body></html>",
}


def _read_document_or_problem(path: Path) -> None:
    try:
        doc = read_document(path)
    except InvalidInput as exc:
        assert exc.message
        assert exc.where is not None and exc.where.startswith(path.name), exc.where
        return
    assert doc.format in ("pdf", "docx", "html", "markdown", "text")
    assert len(doc.sha256) == 64


def test_document_seeds_are_read(tmp_path: Path) -> None:
    seeds = {**DOCUMENT_SEEDS, "docx": _docx_seed(), "pdf": _pdf_seed()}
    for suffix, seed in seeds.items():
        doc = read_document(_write(tmp_path, f"seed.{suffix}", seed))
        assert doc.blocks, suffix


@fuzz(100)
@given(suffix=st.sampled_from(sorted(DOCUMENT_SEEDS)), data=st.data())
def test_mutated_text_documents_are_read_or_refused(tmp_path: Path, suffix: str, data: st.DataObject) -> None:
    raw = data.draw(mutated(DOCUMENT_SEEDS[suffix]))
    record(SCENARIO, faults=1, inputs=1)
    _read_document_or_problem(_write(tmp_path, f"doc.{suffix}", raw))


@fuzz(60)
@given(raw=st.binary(max_size=4096), suffix=st.sampled_from(["txt", "md", "html", "docx", "pdf", "bin"]))
def test_random_bytes_as_documents_are_read_or_refused(tmp_path: Path, raw: bytes, suffix: str) -> None:
    record(SCENARIO, faults=1, inputs=1)
    _read_document_or_problem(_write(tmp_path, f"doc.{suffix}", raw))


@fuzz(60)
@given(data=st.data())
def test_mutated_docx_files_are_read_or_refused(tmp_path: Path, data: st.DataObject) -> None:
    raw = data.draw(mutated(DOCX_SEED))
    record(SCENARIO, faults=1, inputs=1)
    _read_document_or_problem(_write(tmp_path, "doc.docx", raw))


@fuzz(60)
@given(data=st.data())
def test_mutated_pdf_files_are_read_or_refused(tmp_path: Path, data: st.DataObject) -> None:
    raw = data.draw(mutated(PDF_SEED))
    record(SCENARIO, faults=1, inputs=1)
    _read_document_or_problem(_write(tmp_path, "doc.pdf", raw))


DOCX_SEED = _docx_seed()
PDF_SEED = _pdf_seed()


# ----------------------------------------------------------------------------------- RDF input

NQ_SEED = (
    b'<http://example.org/a> <http://example.org/p> "een \\"tekst\\""@nl <http://example.org/g> .\n'
    b"<http://example.org/a> <http://example.org/q> _:b1 <http://example.org/g> .\n"
    b'_:b1 <http://example.org/r> "3"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'
)
TRIG_SEED = (
    b"@prefix ex: <http://example.org/> .\n"
    b'ex:g { ex:a ex:p "tekst"@nl ; ex:q [ ex:r 3 ] , ( 1 2 ) . }\n'
    b"{ ex:a ex:p ex:b }\n"
)
JSONLD_SEED = (
    b'{"@context": {"ex": "http://example.org/"}, "@id": "ex:g", "@graph": ['
    b'{"@id": "ex:a", "ex:p": {"@value": "tekst", "@language": "nl"}, "ex:q": {"@id": "ex:b"}}]}'
)
RDF_SEEDS = {
    ox.RdfFormat.N_QUADS: NQ_SEED,
    ox.RdfFormat.TRIG: TRIG_SEED,
    ox.RdfFormat.JSON_LD: JSONLD_SEED,
}


def test_rdf_seeds_parse() -> None:
    for fmt, seed in RDF_SEEDS.items():
        assert parse_quads(seed, fmt, where="seed"), fmt


@fuzz(150)
@given(fmt=st.sampled_from(list(RDF_SEEDS)), data=st.data())
def test_mutated_rdf_parses_or_is_refused(fmt: ox.RdfFormat, data: st.DataObject) -> None:
    raw = data.draw(mutated(RDF_SEEDS[fmt]))
    record(SCENARIO, faults=1, inputs=1)
    try:
        quads = parse_quads(raw, fmt, where="upload.nq")
    except InvalidInput as exc:
        assert exc.where == "upload.nq" and exc.message.startswith("not valid ")
        return
    assert all(isinstance(q, ox.Quad) for q in quads)


@fuzz(60)
@given(raw=st.binary(max_size=1024), fmt=st.sampled_from(list(RDF_SEEDS)))
def test_random_bytes_as_rdf_are_refused_or_parse(raw: bytes, fmt: ox.RdfFormat) -> None:
    record(SCENARIO, faults=1, inputs=1)
    try:
        parse_quads(raw, fmt, where="upload")
    except InvalidInput as exc:
        assert exc.where == "upload"


IMPORT_SEED = NQ_SEED.replace(
    b'_:b1 <http://example.org/r> "3"', b'_:b1 <http://example.org/r> "3"', 1
).replace(b"\n_:b1 <http://example.org/r>", b"\n<http://example.org/b> <http://example.org/r>")


def test_replace_import_over_default_graph_blank_nodes(empty_kg: KnowledgeGraph) -> None:
    """Replacing a store whose default graph holds blank nodes clears it (DROP DEFAULT, since no DELETE
    DATA may name a blank node): afterwards the store holds exactly the new import."""
    quads = parse_quads(NQ_SEED, ox.RdfFormat.N_QUADS, where="seed")
    stray = ox.Quad(
        ox.BlankNode(), ox.NamedNode("http://example.org/p"), ox.Literal("old"), ox.DefaultGraph()
    )
    old = ox.Literal("old")
    empty_kg.import_quads([*quads, stray])
    assert [q for q in empty_kg.store.quads() if q.object == old]  # blank nodes are renamed on the way in
    empty_kg.import_quads(quads, replace=True)
    after = [q for q in empty_kg.store.quads() if not is_revision_quad(q)]  # the store's own token aside
    assert not [q for q in after if q.object == old]
    assert len(after) == len(set(quads))


@fuzz(40)
@given(data=st.data())
def test_a_failed_import_leaves_the_store_unchanged(empty_kg: KnowledgeGraph, data: st.DataObject) -> None:
    """The import path (parse everything, then one transaction) writes nothing for a bad file."""
    if not list(empty_kg.store.quads()):
        empty_kg.import_quads(parse_quads(IMPORT_SEED, ox.RdfFormat.N_QUADS, where="seed"))
    before = sorted(str(q) for q in empty_kg.store.quads())
    raw = data.draw(mutated(IMPORT_SEED))
    try:
        empty_kg.import_quads(parse_quads(raw, ox.RdfFormat.N_QUADS, where="upload.nq"), replace=True)
    except InvalidInput:
        after = sorted(str(q) for q in empty_kg.store.quads())
        record(SCENARIO, faults=1, inputs=1, lost=len(set(before) ^ set(after)))
        assert after == before
        return
    record(SCENARIO, inputs=1)
    # A mutation that still parses replaced the store with what it holds; put the seed back.
    empty_kg.import_quads(parse_quads(IMPORT_SEED, ox.RdfFormat.N_QUADS, where="seed"), replace=True)
