"""The ingest pipeline: files in; one named graph per document out, in one transaction each.

For every file: read and clean it, chunk it by section, extract candidate facts, and replace the
document's graph (registered as *proposed*) in a single transaction. A document whose bytes did
not change since the last run is skipped (its registry entry carries the content hash), so
re-running an ingest is a no-op. A failing document is reported and leaves the store untouched;
the other documents go ahead.
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import URIRef

from ingest.chunk import chunk as make_chunks
from ingest.entries import ingest_entries
from ingest.extract import document_facts, document_id, extract
from ingest.linking import Lexicon, build_lexicon
from ingest.sources import read_document
from kg.errors import InvalidInput, LcGraphError
from kg.graph import KnowledgeGraph
from kg.provenance import with_provenance
from ontology.vocab import LCD, LCG

# Bump when extraction changes, so unchanged files are re-extracted once.
EXTRACTOR_VERSION = "1"
DOCUMENT_SUFFIXES = {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt"}
ENTRY_SUFFIXES = {".json", ".yaml", ".yml", ".csv"}
SUPPORTED_SUFFIXES = DOCUMENT_SUFFIXES | ENTRY_SUFFIXES
DEFAULT_MAX_BYTES = 50_000_000

Progress = Callable[["DocumentReport", int, int], None]


@dataclass
class DocumentReport:
    """What happened to one file."""

    path: str
    status: str  # ingested, unchanged, failed
    kind: str = "document"  # document, or entries (a file of case entries)
    graph: str | None = None
    document: str | None = None
    format: str | None = None
    language: str | None = None
    pages: int | None = None
    chunks: int = 0
    entities_linked: int = 0
    new_entities: int = 0
    facts: dict[str, int] = field(default_factory=dict)
    instrument_rows: int = 0
    entries_written: int = 0
    entries_skipped: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """What an ingest run did, document by document, with totals."""

    documents: list[DocumentReport] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        """Sum the per-document counts."""
        facts: Counter[str] = Counter()
        for d in self.documents:
            facts.update(d.facts)
        return {
            "documents": len(self.documents),
            "ingested": sum(d.status == "ingested" for d in self.documents),
            "unchanged": sum(d.status == "unchanged" for d in self.documents),
            "failed": sum(d.status == "failed" for d in self.documents),
            "chunks": sum(d.chunks for d in self.documents),
            "entities_linked": sum(d.entities_linked for d in self.documents),
            "new_entities": sum(d.new_entities for d in self.documents),
            "facts": sum(facts.values()),
        }

    @property
    def facts_by_kind(self) -> dict[str, int]:
        """Sum facts per kind over all documents."""
        facts: Counter[str] = Counter()
        for d in self.documents:
            facts.update(d.facts)
        return dict(sorted(facts.items()))

    def to_json(self) -> str:
        """Serialise the report (documents, totals, facts per kind) as JSON."""
        return json.dumps(
            {
                "totals": self.totals,
                "facts_by_kind": self.facts_by_kind,
                "documents": [asdict(d) for d in self.documents],
            },
            indent=2,
            ensure_ascii=False,
        )


def expand_paths(paths: Iterable[str]) -> list[Path]:
    """Expand files, folders (recursively, supported suffixes) and glob patterns, sorted, unique.

    Raises:
        InvalidInput: when a path matches nothing.
    """
    found: list[Path] = []
    for raw in paths:
        matches = (
            [Path(m) for m in sorted(glob.glob(raw, recursive=True))]
            if any(c in raw for c in "*?[")
            else [Path(raw)]
        )
        if not matches or not all(m.exists() for m in matches):
            raise InvalidInput("no such file or folder", where=raw)
        for match in matches:
            if match.is_dir():
                found += sorted(
                    p for p in match.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                )
            else:
                found.append(match)
    unique: dict[Path, None] = {}
    for p in found:
        unique.setdefault(p.resolve(), None)
    return list(unique)


def _document_iri(kg: KnowledgeGraph, path: Path, doc_id: str) -> URIRef:
    """Reuse the catalog's document node when the file is a known corpus document."""
    q = (
        "SELECT ?d WHERE { ?d a <https://w3id.org/lcgraph/ontology#Document> ; "
        f"<http://purl.org/dc/terms/identifier> {json.dumps(path.name)} }} LIMIT 1"
    )
    visible = kg.visible_graphs()
    result = kg.store.query(q, default_graph=visible, named_graphs=visible)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        d = row["d"]
        if isinstance(d, ox.NamedNode):
            return URIRef(d.value)
    return LCD[f"document/{doc_id}"]


def ingest_file(
    kg: KnowledgeGraph,
    path: Path,
    lexicon: Lexicon,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    force: bool = False,
) -> DocumentReport:
    """Ingest one file into its own named graph (one transaction); see the module docstring."""
    report = DocumentReport(path=str(path), status="failed")
    doc_id = document_id(path.name)
    graph = LCG[f"document/{doc_id}"]
    report.graph = str(graph)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InvalidInput(
                f"is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB", where=path.name
            )
        digest = f"{hashlib.sha256(path.read_bytes()).hexdigest()}:{EXTRACTOR_VERSION}"
        if not force and kg.registered_hash(graph) == digest:
            report.status = "unchanged"
            return report
        doc = read_document(path, max_bytes=max_bytes)
        chunks = make_chunks(doc)
        document = _document_iri(kg, path, doc_id)
        extraction = extract(doc, document, chunks, lexicon)
        facts = document_facts(doc, document, chunks) + extraction.facts
        triples = with_provenance(graph, facts)
        kg.write_graph(
            graph,
            triples,
            title=doc.title or path.name,
            method="rule",
            review_state="proposed",
            digest=digest,
            force=True,
        )
    except LcGraphError as exc:
        report.problems.append(str(exc))
        return report
    report.status = "ingested"
    report.document = str(document)
    report.format = doc.format
    report.language = doc.language
    report.pages = doc.pages
    report.chunks = len(chunks)
    report.entities_linked = len(extraction.linked)
    report.new_entities = len(extraction.new_entities)
    report.facts = dict(sorted(extraction.kinds.items()))
    report.instrument_rows = len(extraction.rows)
    return report


def run(
    kg: KnowledgeGraph,
    paths: Iterable[str],
    *,
    progress: Progress | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    force: bool = False,
    partial: bool = False,
) -> IngestReport:
    """Ingest every file the paths name; one transaction per document.

    Documents (pdf, docx, html, markdown, text) go through reading, chunking and extraction; files
    of case entries (json, yaml, csv) are validated and written as a submission.

    Args:
        kg: the knowledge graph (with the catalog loaded, for entity linking).
        paths: files, folders and glob patterns.
        progress: called as ``progress(report of the file, done, total)`` after each file.
        max_bytes: files larger than this are refused.
        force: re-extract files whose content did not change.
        partial: for case entries, write the valid entries and report the others.
    """
    files = expand_paths(paths)
    lexicon = build_lexicon(kg)
    report = IngestReport()
    for done, path in enumerate(files, start=1):
        if path.suffix.lower() in ENTRY_SUFFIXES:
            report.documents.append(_ingest_entries(kg, path, partial=partial))
        else:
            report.documents.append(ingest_file(kg, path, lexicon, max_bytes=max_bytes, force=force))
        if progress is not None:
            progress(report.documents[-1], done, len(files))
    return report


def _ingest_entries(kg: KnowledgeGraph, path: Path, *, partial: bool) -> DocumentReport:
    """Ingest a file of case entries (all or nothing unless ``partial``)."""
    report = DocumentReport(path=str(path), status="failed", kind="entries")
    try:
        result = ingest_entries(kg, path, partial=partial)
    except InvalidInput as exc:
        report.problems = exc.problems or [str(exc)]
        return report
    report.status = "ingested" if result.changed else "unchanged"
    report.graph = result.graph
    report.document = result.document
    report.format = path.suffix.lower().lstrip(".")
    report.entries_written = result.written
    report.entries_skipped = result.skipped
    report.facts = {"case-entry": result.written} if result.changed else {}
    report.problems = list(result.problems)
    return report


def list_documents(kg: KnowledgeGraph) -> list[dict[str, str | int | None]]:
    """List the ingested document graphs with their state and size."""
    prefix = str(LCG["document/"])
    return [
        {
            "id": g.iri[len(prefix) :],
            "graph": g.iri,
            "title": g.title,
            "state": g.review_state,
            "triples": g.triples,
        }
        for g in kg.graphs()
        if g.iri.startswith(prefix)
    ]


def remove_document(kg: KnowledgeGraph, ident: str) -> str:
    """Remove an ingested document's graph (facts, chunks, provenance) in one transaction.

    Args:
        kg: the knowledge graph.
        ident: the document id (as listed), its graph IRI, or the file name it was ingested from.

    Raises:
        InvalidInput: when nothing matches.
    """
    graph = resolve_document(kg, ident)
    kg.remove_graph(URIRef(graph))
    return graph


def resolve_document(kg: KnowledgeGraph, ident: str) -> str:
    """Return the graph IRI of an ingested document given its id, graph IRI or file name.

    Raises:
        InvalidInput: when nothing matches.
    """
    candidates = [ident, str(LCG[f"document/{ident}"]), str(LCG[f"document/{document_id(Path(ident).name)}"])]
    known = {d["graph"] for d in list_documents(kg)}
    for graph in candidates:
        if graph in known:
            return graph
    raise InvalidInput("no ingested document with this id, graph or file name", where=ident)


def review_document(kg: KnowledgeGraph, ident: str, state: str) -> tuple[str, bool]:
    """Set an ingested document's review state (``approved`` makes its facts and chunks public).

    Returns the graph IRI and whether the state changed.
    """
    graph = resolve_document(kg, ident)
    return graph, kg.set_review_state(URIRef(graph), state)
