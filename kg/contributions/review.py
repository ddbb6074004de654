"""What a moderator sees of a queue item: its facts with provenance and source passage; trust decisions.

For an ingested document the facts are the candidate statements ingestion proposed (the document's text
chunks are counted, not listed); each shows how it was found (method, confidence), where (citation,
section) and the passage of the document it was taken from, so a moderator can judge it without opening
the source. For a user submission the facts are what the contributor wrote.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from pydantic import BaseModel, Field
from rdflib import RDF, URIRef

from kg.accounts import AccountStore
from kg.accounts.model import Account
from kg.contributions.audit import Change, account_node
from kg.contributions.submissions import Submission, Submissions
from kg.errors import InvalidInput
from kg.graph import ACCOUNTS_GRAPH, KnowledgeGraph
from kg.permissions import Principal
from kg.provenance import fact_iri
from kg.store import ChangeSet
from kg.terms import to_rdflib
from ontology.vocab import LC

_LINES = re.compile(r"L(\d+)(?:-L(\d+))?")
PASSAGE_CHARS = 700
Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


class ReviewFact(BaseModel):
    """One fact of a queue item with its provenance."""

    record: str = Field(
        description="The fact's provenance-record IRI (pass it in 'exclude' to leave it out)."
    )
    subject: str
    predicate: str
    object: str
    method: str | None = None
    confidence: float | None = None
    citation: str | None = None
    section: str | None = None
    passage: str | None = Field(default=None, description="The source text the fact was taken from.")


class ReviewItem(BaseModel):
    """A queue item as a moderator reviews it."""

    submission: Submission
    facts: list[ReviewFact]
    chunks: int = Field(description="Text chunks of an ingested document (not listed).")


def _text(term: Term) -> str:
    return str(term.value) if not isinstance(term, ox.Triple) else str(term)


def review_item(kg: KnowledgeGraph, item: str, *, limit: int = 2000) -> ReviewItem:
    """Return a queue item's facts (up to ``limit``) with provenance and passages."""
    sub = Submissions(kg).get(item)
    graph = ox.NamedNode(sub.graph)
    quads = list(kg.store.quads(None, None, None, graph))
    by_subject: dict[str, dict[str, list[Term]]] = {}
    for q in quads:
        by_subject.setdefault(str(q.subject), {}).setdefault(q.predicate.value, []).append(q.object)
    chunk_type = ox.NamedNode(str(LC.Chunk))
    statement = ox.NamedNode(str(RDF.Statement))
    chunks = {s for s, props in by_subject.items() if chunk_type in props.get(str(RDF.type), [])}
    records = {s for s, props in by_subject.items() if statement in props.get(str(RDF.type), [])}
    passages = _passages(quads, chunks)
    facts: list[ReviewFact] = []
    for q in quads:
        s = str(q.subject)
        if s in chunks or s in records or isinstance(q.subject, ox.Triple):
            continue
        triple = (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))  # type: ignore[arg-type]
        record = str(fact_iri(URIRef(sub.graph), triple))
        prov = by_subject.get(f"<{record}>", {})

        def first(predicate: URIRef, prov: dict[str, list[Term]] = prov) -> str | None:
            values = prov.get(str(predicate))
            return _text(values[0]) if values else None

        citation = first(LC.citation)
        confidence = first(LC.confidence)
        facts.append(
            ReviewFact(
                record=record,
                subject=_text(q.subject),
                predicate=q.predicate.value,
                object=_text(q.object),
                method=(first(LC.extractionMethod) or "").rsplit("extraction-method-", 1)[-1] or None,
                confidence=float(confidence) if confidence else None,
                citation=citation,
                section=first(LC.section),
                passage=_passage_for(citation, passages),
            )
        )
        if len(facts) >= limit:
            break
    return ReviewItem(submission=sub, facts=facts, chunks=len(chunks))


def _passages(quads: list[ox.Quad], chunks: set[str]) -> list[tuple[int, int, str]]:
    """Return ``(first line, last line, text)`` of each chunk of the graph."""
    props: dict[str, dict[str, str]] = {}
    wanted = {str(LC.lineStart): "start", str(LC.lineEnd): "end", str(LC.text): "text"}
    for q in quads:
        s = str(q.subject)
        if s in chunks and q.predicate.value in wanted:
            props.setdefault(s, {})[wanted[q.predicate.value]] = _text(q.object)
    out = []
    for p in props.values():
        if {"start", "end", "text"} <= p.keys():
            out.append((int(p["start"]), int(p["end"]), p["text"]))
    return sorted(out)


def _passage_for(citation: str | None, passages: list[tuple[int, int, str]]) -> str | None:
    """Return the chunk text that covers the first line a citation names (shortened)."""
    if not citation or not passages:
        return None
    m = _LINES.search(citation)
    if m is None:
        return None
    line = int(m[1])
    for start, end, text in passages:
        if start <= line <= end:
            return text if len(text) <= PASSAGE_CHARS else text[: PASSAGE_CHARS - 1] + "…"
    return None


def set_trust(
    kg: KnowledgeGraph, accounts: AccountStore, principal: Principal, account_id: str, trusted: bool
) -> Account:
    """Grant or withdraw trust, and record the decision in the audit trail."""
    if principal.account_id == account_id and trusted:
        raise InvalidInput("moderators cannot grant trust to themselves", where="account")
    account = accounts.set_trusted(account_id, trusted)
    action = "trust" if trusted else "distrust"
    change = Change(action, principal.account_id, ACCOUNTS_GRAPH, account_node(account_id))
    kg.record(ChangeSet(add=change.quads()))
    return account
