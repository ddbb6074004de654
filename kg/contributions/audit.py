"""The audit trail: one ``lc:ChangeRecord`` (a PROV activity) per change, kept in its own named graph.

Every contribution, edit, version, deprecation, moderation decision and grant of trust adds a record in
the same transaction as the change itself, so the trail can never disagree with the data. The audit
graph is private to moderators and admins (see :mod:`kg.visibility`): rejection reasons and pending
titles must not leak to anonymous readers. Researchers with the moderator role query it with SPARQL::

    SELECT ?when ?who ?action ?graph ?why WHERE { GRAPH <https://w3id.org/lcgraph/graph/audit> {
      ?r a lc:ChangeRecord ; prov:endedAtTime ?when ; prov:wasAssociatedWith ?who ;
         lc:changeAction ?action ; lc:changedGraph ?graph . OPTIONAL { ?r lc:changeReason ?why } } }
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import PROV

from kg.graph import AUDIT_GRAPH
from kg.terms import quad
from ontology.vocab import LC, LCD

ACTIONS = frozenset(
    {
        "submit",
        "update",
        "version",
        "deprecate",
        "propose-edit",
        "approve",
        "reject",
        "edit",
        "withdraw",
        "trust",
        "distrust",
    }
)


def account_node(account_id: str) -> URIRef:
    """Return the IRI of an account as the audit trail and submissions name it."""
    return LCD[f"account/{account_id}"]


def now_iso() -> str:
    """Return the current UTC time, to the second, in ISO 8601."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Change:
    """One change to record.

    Attributes:
        action: one of :data:`ACTIONS`.
        account_id: who made it (``None`` for the system, e.g. an ingest run).
        graph: the source graph written, moved or removed.
        entity: the instrument, case, community, experience or account it was about, if any.
        reason: why, in the words of whoever made it.
    """

    action: str
    account_id: str | None
    graph: URIRef
    entity: URIRef | None = None
    reason: str | None = None

    def quads(self, at: str | None = None) -> list[ox.Quad]:
        """Return the change record as quads of the audit graph."""
        if self.action not in ACTIONS:
            raise ValueError(f"unknown audit action {self.action!r}")
        at = at or now_iso()
        record = LCD[f"change/{at[:10]}-{secrets.token_hex(6)}"]
        triples = [
            (record, RDF.type, LC.ChangeRecord),
            (record, RDF.type, PROV.Activity),
            (record, LC.changeAction, Literal(self.action)),
            (record, LC.changedGraph, self.graph),
            (record, PROV.endedAtTime, Literal(at, datatype=XSD.dateTime)),
        ]
        if self.account_id is not None:
            triples.append((record, PROV.wasAssociatedWith, account_node(self.account_id)))
        if self.entity is not None:
            triples.append((record, LC.changedEntity, self.entity))
        if self.reason:
            triples.append((record, LC.changeReason, Literal(self.reason)))
        return [quad(s, p, o, AUDIT_GRAPH) for s, p, o in triples]
