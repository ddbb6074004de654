"""Turn a read document into candidate facts, each with its provenance and a confidence.

Rules, not a model: rows of instrument tables (name, purpose, target group, link) linked to the
catalog's instruments (or proposed as new ones); mentions of instruments, cases, organisations,
sectors, phases, roles and value types per chunk; and "instrument used in case" where a sentence
names both with a usage verb. Everything goes to the document's own graph as *proposed*.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from rdflib import RDF, SKOS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS

from ingest.linking import Lexicon, Mention, normalise
from ingest.model import Chunk, SourceDocument
from ingest.tables import TableRow, extract_rows
from kg.provenance import Provenance, Triple
from ontology.vocab import LC, LCD, SCHEMA

USAGE = re.compile(
    r"\b(gebruik\w*|ingezet|inzetten|toegepast|toepassen|werkt(en)? met|ontwikkeld|getest"
    r"|used|applied|uses|tested)\b",
    re.IGNORECASE,
)


@dataclass
class Extraction:
    """Candidate facts of one document and what was found, for the report."""

    facts: list[tuple[Triple, Provenance]] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)
    new_entities: set[str] = field(default_factory=set)
    kinds: Counter[str] = field(default_factory=Counter)
    rows: list[TableRow] = field(default_factory=list)

    def add(self, kind: str, triple: Triple, prov: Provenance) -> None:
        """Record one fact of a kind (used for the per-kind counts of the report)."""
        self.facts.append((triple, prov))
        self.kinds[kind] += 1


def chunk_iri(document: URIRef, index: int) -> URIRef:
    """Return the IRI of chunk ``index`` of ``document``."""
    return URIRef(f"{document}/chunk/{index}")


def _span(line_start: int, line_end: int, page: int | None = None) -> str:
    lines = f"L{line_start}" if line_start == line_end else f"L{line_start}-L{line_end}"
    return f"p. {page}, {lines}" if page is not None else lines


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", normalise(text)).strip("-")[:60] or "unnamed"


def _prov(document: URIRef, citation: str, confidence: float, section: str | None = None) -> Provenance:
    return Provenance(
        document=document,
        citation=citation,
        section=section,
        method="rule",
        confidence=confidence,
        review_state="proposed",
    )


def extract(doc: SourceDocument, document: URIRef, chunks: list[Chunk], lexicon: Lexicon) -> Extraction:
    """Extract candidate facts from a document and its chunks."""
    out = Extraction()
    _table_rows(doc, document, lexicon, out)
    _mentions(doc, document, chunks, lexicon, out)
    return out


def _table_rows(doc: SourceDocument, document: URIRef, lexicon: Lexicon, out: Extraction) -> None:
    def known(name: str) -> bool:
        return lexicon.link_instrument(name, threshold=101) is not None

    for row in extract_rows(doc.raw_lines, known_name=known):
        out.rows.append(row)
        citation = row.citation
        linked = lexicon.link_instrument(row.name)
        if linked is not None:
            iri, confidence = URIRef(linked[0]), linked[1]
            out.linked.add(str(iri))
        else:
            iri = LCD[f"instrument/candidate-{_slug(row.name)}"]
            confidence = 0.6
            out.new_entities.add(str(iri))
            prov = _prov(document, citation, confidence)
            out.add("new-instrument", (iri, RDF.type, LC.Instrument), prov)
            out.add(
                "new-instrument", (iri, SKOS.prefLabel, Literal(row.name, lang=doc.language or "nl")), prov
            )
        prov = _prov(document, citation, confidence)
        lang = doc.language if doc.language in ("nl", "en") else "nl"
        if row.purpose:
            out.add("instrument-purpose", (iri, LC.purpose, Literal(row.purpose, lang=lang)), prov)
        if row.target_group:
            out.add(
                "instrument-target-group",
                (iri, LC.targetGroupText, Literal(row.target_group, lang=lang)),
                prov,
            )
        for url in row.links:
            out.add("instrument-link", (iri, SCHEMA.url, Literal(url, datatype=XSD.anyURI)), prov)
        out.add("instrument-source", (iri, DCTERMS.source, document), prov)


def _mentions(
    doc: SourceDocument, document: URIRef, chunks: list[Chunk], lexicon: Lexicon, out: Extraction
) -> None:
    for chunk in chunks:
        node = chunk_iri(document, chunk.index)
        citation = _span(chunk.line_start, chunk.line_end, chunk.page_start)
        section = " > ".join(chunk.section) or None
        found: dict[str, Mention] = {}
        for mention in lexicon.find(chunk.text):
            found.setdefault(mention.iri, mention)
        for iri, mention in sorted(found.items()):
            out.linked.add(iri)
            out.add(
                f"mention-{mention.kind}",
                (node, LC.mentions, URIRef(iri)),
                _prov(document, citation, 0.8, section),
            )
        _usage(chunk, document, lexicon, out, citation, section)


def _usage(
    chunk: Chunk, document: URIRef, lexicon: Lexicon, out: Extraction, citation: str, section: str | None
) -> None:
    """Propose "case uses instrument" where one sentence names both and a usage verb."""
    for sentence in re.split(r"(?<=[.!?])\s+", chunk.text):
        if not USAGE.search(sentence):
            continue
        mentions = list(lexicon.find(sentence))
        instruments = {m.iri for m in mentions if m.kind == "instrument"}
        cases = {m.iri for m in mentions if m.kind == "case"}
        for case in sorted(cases):
            for instrument in sorted(instruments):
                out.add(
                    "case-uses-instrument",
                    (URIRef(case), LC.usesInstrument, URIRef(instrument)),
                    _prov(document, citation, 0.5, section),
                )


def document_facts(
    doc: SourceDocument, document: URIRef, chunks: list[Chunk]
) -> list[tuple[Triple, Provenance]]:
    """Describe the document and its chunks (the chunk index reads these)."""
    prov = Provenance(document=document, citation=doc.path.name, method="rule", review_state="proposed")
    facts: list[tuple[Triple, Provenance]] = []

    def add(triple: Triple) -> None:
        facts.append((triple, prov))

    add((document, RDF.type, LC.Document))
    add((document, LC.fileName, Literal(doc.path.name)))
    add((document, LC.mediaFormat, Literal(doc.format)))
    add((document, LC.language, Literal(doc.language)))
    add((document, LC.contentHash, Literal(doc.sha256)))
    if doc.title:
        add((document, DCTERMS.title, Literal(doc.title)))
    if doc.pages:
        add((document, LC.pageCount, Literal(doc.pages)))
    for chunk in chunks:
        node = chunk_iri(document, chunk.index)
        chunk_prov = Provenance(
            document=document,
            citation=_span(chunk.line_start, chunk.line_end, chunk.page_start),
            method="rule",
            review_state="proposed",
        )
        triples: list[Triple] = [
            (node, RDF.type, LC.Chunk),
            (node, LC.chunkOf, document),
            (node, LC.chunkIndex, Literal(chunk.index)),
            (node, LC.text, Literal(chunk.text, lang=doc.language if doc.language in ("nl", "en") else None)),
            (node, LC.lineStart, Literal(chunk.line_start)),
            (node, LC.lineEnd, Literal(chunk.line_end)),
        ]
        if chunk.section:
            triples.append((node, LC.sectionTitle, Literal(" > ".join(chunk.section))))
        if chunk.page_start is not None:
            triples.append((node, LC.pageStart, Literal(chunk.page_start)))
        if chunk.page_end is not None:
            triples.append((node, LC.pageEnd, Literal(chunk.page_end)))
        facts += [(t, chunk_prov) for t in triples]
    return facts


def document_id(path_name: str) -> str:
    """Return the stable id of an ingested file: a slug of its name plus a short hash of it."""
    digest = hashlib.sha1(path_name.encode("utf-8")).hexdigest()[:8]
    return f"{_slug(path_name)}-{digest}"


__all__ = ["Extraction", "chunk_iri", "document_facts", "document_id", "extract"]
