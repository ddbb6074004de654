"""User submissions as named graphs, with their submitter, kind and review state, and the moderation queue.

Every contribution (an instrument, one of its versions, a deprecation, a proposed edit, an experience, a
case, a development step, a self-assessment) is one named graph below ``lcg:contrib/``, registered like
every source graph (title, method *manual*, review state) plus who submitted it
(``prov:wasAttributedTo`` the account), what kind it is (``lc:submissionKind``), the entity it describes
(``dct:subject``) and, for a proposed edit, the graph it would replace (``lc:proposalFor``).

The review state decides who sees it (:mod:`kg.visibility`): contributions of trusted accounts and
moderators are approved at once; those of others are *proposed* and wait in the one moderation queue,
next to the document graphs that ingestion proposes; unshared self-assessments are *private*. Every
write here adds its audit record (:mod:`kg.contributions.audit`) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal as Lit

import pyoxigraph as ox
from pydantic import BaseModel, Field
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.contributions.audit import Change, account_node
from kg.contributions.checks import checked_item, checked_slug
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound
from kg.graph import REGISTRY, KnowledgeGraph
from kg.permissions import Permission, Principal, allowed
from kg.provenance import Triple, fact_iri
from kg.terms import to_rdflib
from kg.visibility import can_moderate, may_read_graph
from ontology.vocab import LC, LCG, concept

CONTRIB = "contrib/"
Kind = Lit["instrument", "version", "deprecation", "edit", "experience", "case", "step", "assessment"]


class Submission(BaseModel):
    """A registered source graph as the moderation queue and a contributor's own list show it."""

    id: str = Field(description="The graph's path below the graph namespace, e.g. 'contrib/experience/x'.")
    graph: str
    kind: str = Field(
        description="instrument, version, deprecation, edit, experience, case, step, assessment; "
        "document or entries for graphs proposed by ingestion."
    )
    title: str | None = None
    state: str = Field(description="proposed, approved, rejected or private.")
    author: str | None = Field(default=None, description="The submitter's account id (none for ingestion).")
    entity: str | None = Field(default=None, description="IRI of the entity the submission describes.")
    proposal_for: str | None = Field(default=None, description="For an edit: the graph it would replace.")
    submitted_at: str | None = None
    method: str = Field(
        default="manual", description="How the content was obtained: manual, rule, model, ..."
    )
    triples: int = 0


def graph_iri(item_id: str) -> URIRef:
    """Return the graph IRI of a queue item id (``contrib/...``, ``document/...``, ``submission/...``)."""
    item_id = checked_item(item_id)
    if item_id.startswith(("registry", "accounts", "audit")):
        raise NotFound(f"no submission {item_id!r}")
    return LCG[item_id]


def item_id(graph: str) -> str:
    """Return the queue item id of a graph IRI."""
    return graph.removeprefix(str(LCG))


def _kind_of_ingested(graph: str) -> str:
    local = item_id(graph)
    return "entries" if local.startswith("submission/") else "document"


class Submissions:
    """Write, read and moderate submissions.

    Args:
        kg: the knowledge graph (its writes are transactional; this class adds registry metadata and the
            audit record to each).
    """

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg

    # ------------------------------------------------------------------------------ reads

    def _entries(self, where: str = "") -> list[Submission]:
        q = f"""PREFIX lc: <{LC._NS}> PREFIX dct: <{DCTERMS}> PREFIX prov: <{PROV}>
        SELECT ?g ?title ?state ?by ?kind ?subject ?for ?at ?method WHERE {{ GRAPH <{REGISTRY}> {{
          ?g a lc:SourceGraph ; lc:reviewState ?state .
          OPTIONAL {{ ?g dct:title ?title }} OPTIONAL {{ ?g prov:wasAttributedTo ?by }}
          OPTIONAL {{ ?g lc:submissionKind ?kind }} OPTIONAL {{ ?g dct:subject ?subject }}
          OPTIONAL {{ ?g lc:proposalFor ?for }} OPTIONAL {{ ?g prov:generatedAtTime ?at }}
          OPTIONAL {{ ?g lc:extractionMethod ?method }} {where} }} }}
        ORDER BY DESC(?at) ?g"""
        out = []
        for row in self.kg.select_all(q):
            g = row["g"].value

            def val(name: str, row: dict[str, ox.NamedNode | ox.BlankNode | ox.Literal] = row) -> str | None:
                term = row.get(name)
                return None if term is None else str(term.value)

            by = val("by")
            out.append(
                Submission(
                    id=item_id(g),
                    graph=g,
                    kind=val("kind") or _kind_of_ingested(g),
                    title=val("title"),
                    state=(val("state") or "").rsplit("review-state-", 1)[-1],
                    author=by.rsplit("/", 1)[-1] if by else None,
                    entity=val("subject"),
                    proposal_for=val("for"),
                    submitted_at=val("at"),
                    method=(val("method") or "manual").rsplit("extraction-method-", 1)[-1],
                    triples=self.kg.store.count(ox.NamedNode(g)),
                )
            )
        return out

    def get(self, item: str) -> Submission:
        """Return one registered graph by queue item id; :class:`NotFound` when there is none."""
        graph = str(graph_iri(item))
        found = self._entries(f"FILTER(?g = <{graph}>)")
        if not found:
            raise NotFound(f"no submission {item!r}", where="id")
        return found[0]

    def find(self, graph: URIRef) -> Submission | None:
        """Return the submission registered for ``graph``, if any."""
        found = self._entries(f"FILTER(?g = <{graph}>)")
        return found[0] if found else None

    def visible_to(self, principal: Principal, item: str) -> Submission:
        """Return a submission the principal may read; :class:`NotFound` otherwise (no hint it exists)."""
        sub = self.get(item)
        if not may_read_graph(self.kg, principal, sub.graph):
            raise NotFound(f"no submission {item!r}", where="id")
        return sub

    def queue(self) -> list[Submission]:
        """Return every proposed graph, user submissions and ingested documents alike, newest first."""
        return self._entries(f"FILTER(?state = <{concept('review-state', 'proposed')}>)")

    def by_author(self, account_id: str) -> list[Submission]:
        """Return every submission of one account, newest first."""
        return self._entries(f"FILTER(?by = <{account_node(checked_slug(account_id, 'account'))}>)")

    def content(self, item: str) -> list[ox.Triple]:
        """Return the triples of a submission's graph (the caller has checked that it may be read)."""
        return [q.triple for q in self.kg.store.quads(None, None, None, ox.NamedNode(str(graph_iri(item))))]

    # ------------------------------------------------------------------------------ writes

    @staticmethod
    def initial_state(principal: Principal, *, private: bool = False) -> str:
        """Return the review state a new contribution of ``principal`` starts in."""
        if private:
            return "private"
        return "approved" if principal.trusted or can_moderate(principal) else "proposed"

    @staticmethod
    def may_edit(principal: Principal, sub: Submission) -> bool:
        """Tell whether ``principal`` may change ``sub`` directly: its owner, or a moderator/editor."""
        if principal.account_id is not None and principal.account_id == sub.author:
            return True
        return allowed(principal, Permission.INSTRUMENT_EDIT_ANY) or can_moderate(principal)

    def write(
        self,
        principal: Principal,
        *,
        kind: Kind,
        graph: URIRef,
        entity: URIRef,
        triples: Sequence[Triple],
        title: str,
        state: str,
        action: str = "submit",
        author: str | None = None,
        proposal_for: URIRef | None = None,
        reason: str | None = None,
        check: Callable[[], None] | None = None,
        replaces: Sequence[URIRef] = (),
    ) -> Submission:
        """Write one submission graph with its registry metadata and audit record, in one transaction.

        Args:
            principal: who makes the change (recorded in the audit trail).
            kind: what the graph holds.
            graph: the submission graph (replaced if it exists).
            entity: the entity the graph describes.
            triples: the content.
            title: a short human title for the queue.
            state: the review state to register.
            action: the audit action (submit, update, version, deprecate, propose-edit, edit).
            author: the owner to record; the principal when omitted (a moderator's edit keeps the owner).
            proposal_for: for a proposed edit, the graph it would replace.
            reason: why, for the audit trail.
            check: a precondition run under the store's write lock right before the write (see
                :meth:`kg.graph.KnowledgeGraph.write_graph`); it raises to abort.
            replaces: graphs dropped in the same transaction (the proposal an approved edit merges).
        """
        if principal.account_id is None:
            raise Forbidden("sign in to contribute")
        owner = author or principal.account_id
        meta: list[Triple] = [
            (graph, PROV.wasAttributedTo, account_node(owner)),
            (graph, LC.submissionKind, Literal(kind)),
            (graph, DCTERMS.subject, entity),
        ]
        if proposal_for is not None:
            meta.append((graph, LC.proposalFor, proposal_for))
        change = Change(action, principal.account_id, graph, entity, reason)
        self.kg.write_graph(
            graph,
            triples,
            title=title,
            method="manual",
            review_state=state,
            meta=meta,
            also=change.quads(),
            force=True,
            check=check,
            replaces=replaces,
        )
        found = self.find(graph)
        assert found is not None
        return found

    # ------------------------------------------------------------------------------ moderation

    def approve(
        self, principal: Principal, item: str, *, reason: str | None = None, exclude: Sequence[str] = ()
    ) -> Submission:
        """Approve a proposed submission (or ingested graph); a proposed edit replaces its target.

        Args:
            principal: the moderator.
            item: the queue item id.
            reason: an optional note for the audit trail.
            exclude: IRIs of provenance records (``lc:fact/...``) whose facts are left out before approving
                (a moderator's edit of an ingested graph).
        """
        sub = self._pending(item)
        graph = URIRef(sub.graph)
        entity = URIRef(sub.entity) if sub.entity else None
        if exclude:
            self._exclude_facts(principal, sub, exclude)
        if sub.kind == "edit" and sub.proposal_for:
            return self._merge_edit(principal, sub, reason)
        change = Change("approve", principal.account_id, graph, entity, reason)
        self.kg.set_review_state(graph, "approved", also=change.quads())
        return self.get(item)

    def reject(self, principal: Principal, item: str, *, reason: str) -> Submission:
        """Reject a proposed submission with a reason; it stays stored for provenance, unseen publicly."""
        if not reason or not reason.strip():
            raise InvalidInput("give the reason for a rejection", where="reason")
        sub = self._pending(item)
        entity = URIRef(sub.entity) if sub.entity else None
        change = Change("reject", principal.account_id, URIRef(sub.graph), entity, reason.strip())
        self.kg.set_review_state(URIRef(sub.graph), "rejected", also=change.quads())
        return self.get(item)

    def _pending(self, item: str) -> Submission:
        sub = self.get(item)
        if sub.state != "proposed":
            raise Conflict(f"{item} is {sub.state}, not waiting for review")
        return sub

    def _merge_edit(self, principal: Principal, sub: Submission, reason: str | None) -> Submission:
        """Replace the target of an approved edit with the proposal's content; drop the proposal graph."""
        assert sub.proposal_for is not None
        target = self.find(URIRef(sub.proposal_for))
        if target is None:
            raise Conflict(f"the graph {sub.proposal_for} that {sub.id} would change no longer exists")
        content = [_to_rdflib(t) for t in self.content(sub.id)]
        entity = URIRef(target.entity) if target.entity else URIRef(sub.proposal_for)
        merged = self.write(
            principal,
            kind=target.kind,  # type: ignore[arg-type]
            graph=URIRef(target.graph),
            entity=entity,
            triples=content,
            title=target.title or sub.title or target.id,
            state=target.state,
            action="approve",
            author=target.author,
            reason=reason or f"approved the edit {sub.id} proposed by {sub.author}",
            check=lambda: self._still_proposed(sub),
            replaces=[URIRef(sub.graph)],
        )
        return merged

    def _still_proposed(self, sub: Submission) -> None:
        """Raise :class:`Conflict` unless ``sub`` is still registered as proposed (run under the write lock).

        Two moderators approving one edit at the same moment both pass :meth:`_pending`; the merge drops
        the proposal in its own transaction, so this check lets exactly one of them merge it (without it
        the second would merge again, or read the removed proposal and empty the target).
        """
        graph, registry = ox.NamedNode(sub.graph), ox.NamedNode(str(REGISTRY))
        # A list, not the store's iterator: a pyoxigraph iterator left in this frame when the Conflict is
        # raised would be dropped on the event loop's thread with the traceback, which pyoxigraph refuses.
        found = list(self.kg.store.quads(graph, ox.NamedNode(str(LC.reviewState)), None, registry))
        states = {q.object for q in found}
        if states != {ox.NamedNode(str(concept("review-state", "proposed")))}:
            raise Conflict(f"{sub.id} was decided by someone else in the meantime")

    def _exclude_facts(self, principal: Principal, sub: Submission, records: Sequence[str]) -> None:
        """Remove the facts behind the given provenance records (and the records) from a pending graph."""
        graph = ox.NamedNode(sub.graph)
        content = self.content(sub.id)
        keep = set(content)
        # Facts entered by hand carry no stored record; their record IRI is derived from the fact itself
        # (the IRI the review lists), so a moderator can leave those out too.
        derived = {
            str(fact_iri(URIRef(sub.graph), _to_rdflib(t))): t
            for t in content
            if not isinstance(t.subject, ox.Triple) and not isinstance(t.object, ox.Triple)
        }
        removed = 0
        for record in records:
            try:
                node = ox.NamedNode(record)
            except ValueError:
                raise InvalidInput(f"{record!r} is not an IRI", where="exclude") from None
            described = {q.predicate.value: q.object for q in self.kg.store.quads(node, None, None, graph)}
            s, p, o = (described.get(str(x)) for x in (RDF.subject, RDF.predicate, RDF.object))
            if s is not None and p is not None and o is not None:
                keep.discard(ox.Triple(s, p, o))  # type: ignore[arg-type]
                keep -= {q.triple for q in self.kg.store.quads(node, None, None, graph)}
            elif record in derived:
                keep.discard(derived[record])
            else:
                raise InvalidInput(f"{record} is not a fact record of {sub.id}", where="exclude")
            removed += 1
        self.kg.write_graph(
            URIRef(sub.graph),
            [_to_rdflib(t) for t in keep],
            title=sub.title or sub.id,
            method=sub.method,
            review_state="proposed",
            meta=self._meta_of(sub),
            also=Change(
                "edit", principal.account_id, URIRef(sub.graph), None, f"left out {removed} fact(s)"
            ).quads(),
            force=True,
        )

    def _meta_of(self, sub: Submission) -> list[Triple]:
        """Return the submission metadata of a registry entry, to keep it across a rewrite."""
        graph = URIRef(sub.graph)
        meta: list[Triple] = []
        if sub.author:
            meta.append((graph, PROV.wasAttributedTo, account_node(sub.author)))
        if sub.kind not in ("document", "entries"):
            meta.append((graph, LC.submissionKind, Literal(sub.kind)))
        if sub.entity:
            meta.append((graph, DCTERMS.subject, URIRef(sub.entity)))
        if sub.proposal_for:
            meta.append((graph, LC.proposalFor, URIRef(sub.proposal_for)))
        return meta


def _to_rdflib(t: ox.Triple) -> Triple:
    """Convert a pyoxigraph triple back to rdflib terms for a rewrite."""
    s, p, o = t.subject, t.predicate, t.object
    if isinstance(s, ox.Triple) or isinstance(o, ox.Triple):
        raise InvalidInput("RDF-star triples cannot be part of a submission")
    return (to_rdflib(s), to_rdflib(p), to_rdflib(o))
