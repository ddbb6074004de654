"""The ``KnowledgeGraph`` facade: visibility, atomic graph writes, typed reads, provenance, SPARQL.

Every read goes through the public dataset (approved graphs only), so pending or rejected content
is invisible through every door. Writes replace one named graph and its registry entry in a
single transaction.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, XSD, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, PROV

from kg.config import Settings
from kg.errors import InvalidInput, NotFound
from kg.hooks import GraphListener
from kg.model import (
    CaseDetail,
    CaseSummary,
    CommunityDetail,
    CommunitySummary,
    ConceptRef,
    ConceptView,
    EntityRef,
    Fact,
    FactSource,
    GraphInfo,
    InstrumentDetail,
    InstrumentSummary,
    Label,
    OutcomeView,
    PhaseClaim,
    SchemeView,
)
from kg.provenance import Triple
from kg.public_mirror import PublicMirror
from kg.revision import Revision, RevisionWatcher, is_revision_quad, next_revision, read_revision
from kg.sparql import QueryExecutor, QueryOutcome
from kg.sparql_process import ProcessQueryExecutor, make_executor
from kg.store import ChangeSet, GraphStore, OxigraphStore, QueryResult, open_store
from kg.terms import label_of, quad
from ontology.vocab import LC, LCC, LCD, LCG, SCHEMA, concept

REGISTRY = LCG.registry
# Accounts, tokens and sessions (kg.accounts): never registered, so never part of the public dataset.
ACCOUNTS_GRAPH = LCG.accounts
# The audit trail of contributions and moderation (kg.contributions.audit): moderators and admins see it.
AUDIT_GRAPH = LCG.audit
PRIVATE_GRAPHS = frozenset({str(REGISTRY), str(ACCOUNTS_GRAPH), str(AUDIT_GRAPH)})
ONTOLOGY_GRAPH = LCG.ontology
CATALOG_GRAPH = LCG.catalog
APPROVED = concept("review-state", "approved")
REVIEW_PREFIX = str(LCC._NS) + "review-state-"
REVIEW_STATES = ("proposed", "approved", "rejected", "private")
METHOD_PREFIX = str(LCC._NS) + "extraction-method-"

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SLUG_PATH = re.compile(r"^[a-z]+/[a-z0-9]+(-[a-z0-9]+)*$")
Values = dict[str, list[OxTerm]]


def _n(iri: URIRef | str) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


def _local(iri: str, base: str) -> str:
    return iri[len(base) :] if iri.startswith(base) else iri


def content_hash(triples: Iterable[Triple]) -> str:
    """Return a hash of a set of triples that depends neither on order nor on blank-node labels."""
    items = list(triples)
    if any(isinstance(term, BNode) for triple in items for term in triple):
        graph = Graph()
        for triple in items:
            graph.add(triple)
        items = list(to_canonical_graph(graph))
    digest = hashlib.sha256()
    for line in sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in items):
        digest.update(line.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class RegistryEntry:
    """Who may see a registered graph: its review state and, for a user submission, its submitter."""

    state: str
    account_id: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """What a graph write did."""

    graph: str
    changed: bool
    triples: int


class KnowledgeGraph:
    """The knowledge graph as the rest of lcgraph sees it.

    Args:
        store: the backend holding the quads.
        settings: runtime settings (limits, base IRI).
    """

    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        # On-disk store: worker processes killed at the time limit; otherwise threads (kg.sparql_process).
        self.executor = make_executor(store, settings)
        self._lock = threading.Lock()
        # Set from before a write's main transaction until the mirror has it too (see public_query).
        self._mirror_gate = threading.Condition()
        self._mirror_writer: int | None = None
        self._closed = False
        self._generation = 0
        self._label_cache: tuple[int, dict[str, Label]] | None = None
        self._visible_cache: tuple[int, list[ox.NamedNode]] | None = None
        self._registry_cache: tuple[int, dict[str, RegistryEntry]] | None = None
        self.listeners: list[GraphListener] = []
        # An embedded store belongs to this process; any other store may be shared with other processes,
        # whose writes we learn of through the dataset revision (see kg.revision).
        self.shared = not isinstance(store, OxigraphStore)
        # The embedded store keeps a copy of its approved graphs for public reads (kg.public_mirror); the
        # revision token, replaced by every write, tells at the next open whether that copy is current.
        self.mirror = (
            PublicMirror.beside(store)
            if isinstance(store, OxigraphStore) and settings.public_mirror
            else None
        )
        self._tracks_revision = self.shared or self.mirror is not None
        self._revision: Revision | None = read_revision(store) if self._tracks_revision else None
        self.public_executor = self.executor
        if self.mirror is not None:
            assert isinstance(store, OxigraphStore) and self._revision is not None
            self.mirror.open_at(store, self._revision, self._approved_graphs)
            self.public_executor = make_executor(self.mirror.store, settings)
            store.write_hooks.append(self._follow_direct_write)
        self._watcher = (
            RevisionWatcher(self.refresh, settings.revision_poll_s).start()
            if self.shared and settings.revision_poll_s > 0
            else None
        )

    def subscribe(self, listener: GraphListener) -> None:
        """Tell ``listener`` about every graph written or removed from now on."""
        self.listeners.append(listener)

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeGraph:
        """Open the store the settings name and wrap it."""
        return cls(open_store(settings), settings)

    def close(self) -> None:
        """Stop watching the revision, release the query workers, the mirror and the store (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self._watcher is not None:
            self._watcher.stop()
        self.executor.close()
        if isinstance(self.store, OxigraphStore) and self._follow_direct_write in self.store.write_hooks:
            self.store.write_hooks.remove(self._follow_direct_write)
        if self.mirror is not None:
            self.public_executor.close()
            self.mirror.close()
        self.store.close()

    # ----------------------------------------------------------------- registry and visibility

    def graphs(self) -> list[GraphInfo]:
        """Describe every registered named graph."""
        q = f"""
        PREFIX lc: <{LC._NS}> PREFIX dct: <{DCTERMS}> PREFIX prov: <{PROV}>
        SELECT ?g ?title ?state ?method ?hash ?at WHERE {{ GRAPH <{REGISTRY}> {{
          ?g a lc:SourceGraph ; lc:reviewState ?state .
          OPTIONAL {{ ?g dct:title ?title }} OPTIONAL {{ ?g lc:extractionMethod ?method }}
          OPTIONAL {{ ?g lc:contentHash ?hash }} OPTIONAL {{ ?g prov:generatedAtTime ?at }} }} }}
        ORDER BY ?g"""
        out = []
        for row in self._select(q):
            g = row["g"].value
            out.append(
                GraphInfo(
                    iri=g,
                    title=_val(row.get("title")),
                    review_state=_local(row["state"].value, REVIEW_PREFIX),
                    method=_local(_val(row.get("method")) or "", METHOD_PREFIX) or None,
                    content_hash=_val(row.get("hash")),
                    generated_at=_val(row.get("at")),
                    triples=self.store.count(_n(g)),
                )
            )
        return out

    def visible_graphs(self) -> list[ox.NamedNode]:
        """Return the approved graphs: the dataset every public read sees.

        Cached per write generation: the registry only changes through this object's writes, and
        every read asks for the dataset, several times per request.
        """
        with self._lock:
            cached = self._visible_cache
            if cached is not None and cached[0] == self._generation:
                return list(cached[1])
            generation = self._generation
        graphs = self._approved_graphs()
        with self._lock:
            self._visible_cache = (generation, graphs)
        return list(graphs)

    def _approved_graphs(self) -> list[ox.NamedNode]:
        """Read the approved graphs from the registry (uncached; safe to call with the lock held)."""
        q = f"""SELECT ?g WHERE {{ GRAPH <{REGISTRY}> {{ ?g <{LC.reviewState}> <{APPROVED}> }} }}"""
        # A private graph stays private even if an imported registry claims it is approved.
        return [
            row["g"]
            for row in self._select(q)
            if isinstance(row["g"], ox.NamedNode) and row["g"].value not in PRIVATE_GRAPHS
        ]

    def _is_public_now(self, graph: str) -> bool:
        """Tell whether the registry holds ``graph`` as approved (uncached; safe with the lock held)."""
        if graph in PRIVATE_GRAPHS:
            return False
        return any(True for _ in self.store.quads(_n(graph), _n(LC.reviewState), _n(APPROVED), _n(REGISTRY)))

    @property
    def mirror_in_use(self) -> bool:
        """Tell whether public reads go to the mirror of the approved graphs (kg.public_mirror)."""
        return self.mirror is not None and self.mirror.usable

    def public_query(self, q: str) -> QueryResult:
        """Evaluate a trusted internal query over the public dataset: the mirror's union, else the list."""
        if self.mirror is not None and self.mirror.usable:
            self._wait_for_mirror()
            return self.mirror.store.query(q, union_default_graph=True)
        visible = self.visible_graphs()
        return self.store.query(q, default_graph=visible, named_graphs=visible)

    def _wait_for_mirror(self) -> None:
        """Wait while a write is between its main transaction and the mirror's.

        Why: a reader that saw the write in the main store (an instrument's new entity tag, read from the
        registry) must then see it in the mirror too, or it could send back the new tag with the old content
        and overwrite a change (tests/test_concurrency.py caught that). A query that starts after this
        returns sees every write whose main transaction it could have seen (oxigraph reads a snapshot taken
        when the query starts). The writing thread itself does not wait.
        """
        with self._mirror_gate:
            while self._mirror_writer is not None and self._mirror_writer != threading.get_ident():
                self._mirror_gate.wait()

    def route(
        self, default_graph: Sequence[ox.NamedNode], named_graphs: Sequence[ox.NamedNode]
    ) -> tuple[QueryExecutor | ProcessQueryExecutor, list[ox.NamedNode] | None, list[ox.NamedNode] | None]:
        """Choose where a user query over this dataset runs, and how its dataset is given.

        A dataset of public graphs only runs on the mirror: over its union default graph when it is the
        whole public dataset (``None, None``), else over the given graphs, which the mirror holds under the
        same names. A dataset with anything else (a moderator's, an owner's pending work) runs on the main
        store over the graph list.
        """
        default, named = list(default_graph), list(named_graphs)
        if self.mirror is None or not self.mirror.usable:
            return self.executor, default, named
        public = {g.value for g in self.visible_graphs()}
        asked_default, asked_named = {g.value for g in default}, {g.value for g in named}
        if not (asked_default <= public and asked_named <= public):
            return self.executor, default, named
        if asked_default == public and asked_named == public:
            return self.public_executor, None, None
        return self.public_executor, default, named

    def route_public(
        self,
    ) -> tuple[QueryExecutor | ProcessQueryExecutor, list[ox.NamedNode] | None, list[ox.NamedNode] | None]:
        """:meth:`route` for the whole public dataset (an anonymous query naming no graphs).

        The common case, answered without building the graph list: at 10^6 triples in 125 graphs the
        set comparisons of :meth:`route` cost about 0.1 ms, a tenth of a light query on the mirror.
        """
        if self.mirror is None or not self.mirror.usable:
            visible = self.visible_graphs()
            return self.executor, visible, list(visible)
        return self.public_executor, None, None

    def registry_entries(self) -> dict[str, RegistryEntry]:
        """Return the review state and submitter of every registered graph, keyed by graph IRI.

        Cached per write generation, like :meth:`visible_graphs`; :mod:`kg.visibility` builds the
        dataset of each principal from it.
        """
        with self._lock:
            cached = self._registry_cache
            if cached is not None and cached[0] == self._generation:
                return dict(cached[1])
            generation = self._generation
        q = f"""SELECT ?g ?state ?by WHERE {{ GRAPH <{REGISTRY}> {{
          ?g <{LC.reviewState}> ?state . OPTIONAL {{ ?g <{PROV.wasAttributedTo}> ?by }} }} }}"""
        entries: dict[str, RegistryEntry] = {}
        for row in self._select(q):
            g = row["g"]
            if not isinstance(g, ox.NamedNode) or g.value in PRIVATE_GRAPHS:
                continue
            by = _val(row.get("by"))
            entries[g.value] = RegistryEntry(
                state=_local(row["state"].value, REVIEW_PREFIX),
                account_id=by.rsplit("/", 1)[-1] if by else None,
            )
        with self._lock:
            self._registry_cache = (generation, entries)
        return dict(entries)

    def select_all(self, q: str) -> list[dict[str, OxTerm]]:
        """Run a trusted internal SELECT over the whole store, private graphs included (never user input)."""
        return self._select(q)

    def select_in(self, q: str, graphs: Sequence[ox.NamedNode]) -> list[dict[str, OxTerm]]:
        """Run a trusted internal SELECT over the given dataset (a principal's view, see kg.visibility)."""
        if self.mirror_in_use and {g.value for g in graphs} == {g.value for g in self.visible_graphs()}:
            return self._select(q, public=True)
        result = self.store.query(q, default_graph=list(graphs), named_graphs=list(graphs))
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: v for n in names if (v := sol[n]) is not None} for sol in result]

    def _select(self, q: str, *, public: bool = False) -> list[dict[str, OxTerm]]:
        """Run a SELECT over the whole store, or over the public dataset when ``public`` is set."""
        result = self.public_query(q) if public else self.store.query(q)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: v for n in names if (v := sol[n]) is not None} for sol in result]

    def _public_select(self, q: str) -> list[dict[str, OxTerm]]:
        """Run a SELECT over the approved graphs only."""
        return self._select(q, public=True)

    def select_public(self, q: str) -> list[dict[str, OxTerm]]:
        """Run a trusted internal SELECT over the approved graphs, without the public query policy.

        For derived data (the search index) that reads in bulk; user queries go through :meth:`sparql`.
        """
        return self._select(q, public=True)

    @property
    def generation(self) -> int:
        """A counter that grows with every write; equal values mean nothing was written in between."""
        return self._generation

    def refresh(self) -> bool:
        """Check whether another process wrote to a shared store; if so, drop caches and tell the listeners.

        Called by the revision watcher every ``revision_poll_s`` seconds; cheap (one small query) and a
        no-op for the embedded store. Returns whether something had changed.
        """
        if not self.shared:
            return False
        current = read_revision(self.store)
        with self._lock:
            if current == self._revision:
                return False
            self._revision = current
            self._generation += 1
        for listener in self.listeners:
            listener.dataset_changed()
        return True

    def _with_revision(self, changes: ChangeSet) -> Revision | None:
        """Add the replacement of the dataset revision to ``changes`` (shared stores, mirror; lock held).

        Returns the revision the store will hold after the write, or ``None`` when a write by another
        process went unnoticed so far (then the next :meth:`refresh` refreshes everything).
        """
        if not self._tracks_revision:
            return None
        seen, remove, add, after = next_revision(self.store)
        changes.remove.extend(remove)
        changes.add.extend(add)
        # One process owns an embedded store: a token it did not write came from another KnowledgeGraph of
        # this process on the same store object (tests), whose write it can simply follow.
        return after if not self.shared or seen == self._revision else None

    def _apply(self, changes: ChangeSet) -> None:
        """Apply a write's change set with the revision bump, and move to the next generation (lock held).

        The mirror of the approved graphs follows in its own transaction right after, still under the lock.
        """
        after = self._with_revision(changes)
        if self.mirror is None:
            self.store.apply(changes)
            self._generation += 1
            if self._tracks_revision:
                self._revision = after
            return
        touched = _graphs_touched(changes)
        with self._mirror_gate:
            self._mirror_writer = threading.get_ident()  # public reads wait until the mirror has it too
        try:
            self.mirror.writing.active = True  # our own write: _follow_direct_write leaves it to us
            try:
                self.store.apply(changes)
            finally:
                self.mirror.writing.active = False
            self._generation += 1
            self._revision = after
            if after is not None:
                assert isinstance(self.store, OxigraphStore)
                if len(touched) > _MIRROR_REBUILD_ABOVE:
                    self.mirror.rebuild(self.store, self._approved_graphs(), after)
                else:
                    public_now = [(g, self._is_public_now(g)) for g in sorted(touched)]
                    self.mirror.sync(self.store, public_now, after)
        finally:
            with self._mirror_gate:
                self._mirror_writer = None
                self._mirror_gate.notify_all()

    # ------------------------------------------------------------------------------- writes

    def registered_hash(self, graph: URIRef) -> str | None:
        """Return the content hash the registry holds for ``graph``."""
        for q in self.store.quads(_n(graph), _n(LC.contentHash), None, _n(REGISTRY)):
            return str(q.object.value) if isinstance(q.object, ox.Literal) else None
        return None

    def write_graph(
        self,
        graph: URIRef,
        triples: Sequence[Triple],
        *,
        title: str,
        method: str,
        review_state: str = "approved",
        digest: str | None = None,
        force: bool = False,
        meta: Sequence[Triple] = (),
        also: Sequence[ox.Quad] = (),
        check: Callable[[], None] | None = None,
        replaces: Sequence[URIRef] = (),
    ) -> WriteResult:
        """Replace a named graph and its registry entry in one transaction.

        Unchanged content (same hash) is a no-op unless ``force`` is set.

        Args:
            graph: the named graph to replace.
            triples: its new content.
            title: the registry title.
            method: the extraction method slug (curated, manual, rule, model).
            review_state: proposed, approved, rejected or private.
            digest: the content hash, when the caller computed it over something else (a file's bytes).
            force: write even when the content and state are unchanged.
            meta: more registry triples about ``graph`` (who submitted it, what kind of submission).
            also: more quads to add in the same transaction, in other graphs (an audit record).
            check: a precondition run under the write lock right before anything is read for the write;
                it raises (e.g. :class:`kg.errors.PreconditionFailed`) to abort, so a compare-and-set
                (an entity tag, "this slug is still free") cannot interleave with another write of this
                process. It may read ``self.store`` but must not call methods that take the lock.
            replaces: other graphs dropped, with their registry entries, in the same transaction (an
                approved proposal merged into the graph it changes).
        """
        if str(graph) in PRIVATE_GRAPHS:
            raise InvalidInput(
                "this graph is private and cannot be written as a source graph", where=str(graph)
            )
        digest = digest or content_hash(triples)
        with self._lock:
            if check is not None:
                check()
            state = concept("review-state", review_state)
            same_state = any(
                str(q.object) == f"<{state}>"
                for q in self.store.quads(_n(graph), _n(LC.reviewState), None, _n(REGISTRY))
            )
            if not force and same_state and self.registered_hash(graph) == digest:
                return WriteResult(str(graph), changed=False, triples=len(triples))
            try:
                add = [quad(s, p, o, graph) for s, p, o in triples]
            except TypeError as exc:
                raise InvalidInput(f"cannot store a triple: {exc}", where=str(graph)) from exc
            registry_old = list(self.store.quads(_n(graph), None, None, _n(REGISTRY)))
            now = datetime.now(UTC).replace(microsecond=0).isoformat()
            entry: list[Triple] = [
                *meta,
                (graph, RDF.type, LC.SourceGraph),
                (graph, DCTERMS.title, Literal(title)),
                (graph, LC.reviewState, state),
                (graph, LC.extractionMethod, concept("extraction-method", method)),
                (graph, LC.contentHash, Literal(digest)),
                (graph, PROV.generatedAtTime, Literal(now, datatype=XSD.dateTime)),
            ]
            add += [quad(s, p, o, REGISTRY) for s, p, o in entry]
            add += list(also)
            for other in replaces:
                registry_old += self.store.quads(_n(other), None, None, _n(REGISTRY))
            drop: list[ox.NamedNode | ox.DefaultGraph] = [_n(graph), *(_n(other) for other in replaces)]
            self._apply(ChangeSet(drop_graphs=drop, remove=registry_old, add=add))
        for listener in self.listeners:
            listener.graph_written(str(graph))
            for other in replaces:
                listener.graph_removed(str(other))
        return WriteResult(str(graph), changed=True, triples=len(triples))

    def set_review_state(
        self, graph: URIRef, review_state: str, *, also: Sequence[ox.Quad] = (), force: bool = False
    ) -> bool:
        """Move a registered graph to another review state (e.g. approve a proposed document graph).

        Tells the listeners, since the public dataset changes. Returns False when the graph was already
        in that state (unless ``force``); raises :class:`NotFound` for an unregistered graph and
        :class:`InvalidInput` for an unknown state. ``also`` are quads added in the same transaction (the
        audit record of the decision).
        """
        if review_state not in REVIEW_STATES:
            raise InvalidInput(
                f"unknown review state {review_state!r}; choose one of {', '.join(REVIEW_STATES)}",
                where="review_state",
            )
        state = concept("review-state", review_state)
        with self._lock:
            old = list(self.store.quads(_n(graph), _n(LC.reviewState), None, _n(REGISTRY)))
            if not old:
                raise NotFound(f"no registered graph {graph}")
            if not force and all(str(q.object) == f"<{state}>" for q in old):
                return False
            self._apply(ChangeSet(remove=old, add=[quad(graph, LC.reviewState, state, REGISTRY), *also]))
        for listener in self.listeners:
            listener.graph_written(str(graph))
        return True

    def record(self, changes: ChangeSet) -> None:
        """Apply a change to the audit graph only, in one transaction with the revision bump."""
        touched = {
            q.graph_name.value
            for q in [*changes.add, *changes.remove]
            if isinstance(q.graph_name, ox.NamedNode)
        }
        if changes.drop_graphs or not touched <= {str(AUDIT_GRAPH)}:
            raise InvalidInput("record() only adds to or removes from the audit graph")
        with self._lock:
            self._apply(changes)

    def remove_graph(self, graph: URIRef, *, also: Sequence[ox.Quad] = ()) -> bool:
        """Drop a named graph and its registry entry in one transaction; tell whether it existed.

        ``also`` are quads added in the same transaction (the audit record of the removal).
        """
        with self._lock:
            registry_old = list(self.store.quads(_n(graph), None, None, _n(REGISTRY)))
            existed = bool(registry_old) or self.store.count(_n(graph)) > 0
            self._apply(ChangeSet(drop_graphs=[_n(graph)], remove=registry_old, add=list(also)))
        if existed:
            for listener in self.listeners:
                listener.graph_removed(str(graph))
        return existed

    def import_quads(self, quads: Sequence[ox.Quad], *, replace: bool = False) -> int:
        """Add quads (an export of another lcgraph) in one transaction, optionally replacing all.

        The other store's revision token is left out: it tells that store's readers of its writes, and this
        write gets a token of its own.
        """
        with self._lock:
            drop: list[ox.NamedNode | ox.DefaultGraph] = (
                [*self.store.graphs(), ox.DefaultGraph()] if replace else []
            )
            self._apply(ChangeSet(drop_graphs=drop, add=[q for q in quads if not is_revision_quad(q)]))
        return len(quads)

    # --------------------------------------------------------------------------------- reads

    def _follow_direct_write(self, changes: ChangeSet) -> None:
        """Bring the mirror in line after a write that bypassed this object (``store.apply``/``load_quads``).

        Such writes (the accounts graph, bulk loads in tools and tests) carry no revision token; the mirror
        copies the public graphs they touched and keeps the token it had, which still matches the store.
        """
        if self.mirror is None or getattr(self.mirror.writing, "active", False):
            return
        touched = _graphs_touched(changes)
        if not touched:
            return  # private graphs only (accounts, audit): nothing public changed
        with self._lock:
            self._generation += 1  # cached visible graphs and labels may be stale too
            revision = self._revision if self._revision is not None else frozenset()
            assert isinstance(self.store, OxigraphStore)
            if len(touched) > _MIRROR_REBUILD_ABOVE:
                self.mirror.rebuild(self.store, self._approved_graphs(), revision)
            else:
                self.mirror.sync(self.store, [(g, self._is_public_now(g)) for g in sorted(touched)], revision)

    def sparql(self, text: str) -> QueryOutcome:
        """Run a public SPARQL query under the query policy."""
        visible = self.visible_graphs()
        executor, default, named = self.route(visible, visible)
        return executor.run(text, default_graph=default, named_graphs=named)

    def labels(self) -> dict[str, Label]:
        """Return the Dutch and English labels of every labelled node that is visible."""
        with self._lock:
            cached = self._label_cache
            if cached is not None and cached[0] == self._generation:
                return cached[1]
            generation = self._generation
        q = f"SELECT ?s ?l WHERE {{ ?s <{SKOS.prefLabel}>|<{RDFS.label}> ?l }}"
        labels: dict[str, Label] = {}
        for row in self._public_select(q):
            label = labels.setdefault(row["s"].value, Label())
            lit = row["l"]
            assert isinstance(lit, ox.Literal)
            if lit.language == "nl":
                label.nl = lit.value
            elif lit.language == "en":
                label.en = lit.value
            else:
                label.nl = label.nl or lit.value
                label.en = label.en or lit.value
        with self._lock:
            self._label_cache = (generation, labels)
        return labels

    def exists(self, iri: str) -> bool:
        """Tell whether a visible graph says anything about ``iri``."""
        return bool(self.public_query(f"ASK {{ <{iri}> ?p ?o }}"))

    def values(self, iri: str) -> Values:
        """Return every visible (predicate -> objects) of ``iri``."""
        out: Values = defaultdict(list)
        try:
            # Validates and escapes: a slug from a URL must not break out of the IRI into the query.
            subject = str(ox.NamedNode(iri))
        except ValueError:
            return out  # not an IRI, so nothing is known about it
        q = f"SELECT DISTINCT ?p ?o WHERE {{ {subject} ?p ?o }}"
        for row in self._public_select(q):
            out[row["p"].value].append(row["o"])
        return out

    def _linked_values(self, iri: str, predicate: URIRef) -> dict[str, Values]:
        """Return :meth:`values` of every node ``iri`` links to by ``predicate``, in one query.

        One query instead of one per node: each query over the public dataset costs in proportion to the
        number of approved graphs (bench/graph_suite: ~4 ms a point query at 10^6 triples, 125 graphs).
        """
        q = f"SELECT DISTINCT ?n ?p ?o WHERE {{ <{iri}> <{predicate}> ?n . ?n ?p ?o }}"
        out: dict[str, Values] = defaultdict(lambda: defaultdict(list))
        for row in self._public_select(q):
            out[row["n"].value][row["p"].value].append(row["o"])
        return out

    def values_of_type(self, cls: URIRef) -> dict[str, Values]:
        """Return every visible (subject -> predicate -> objects) for subjects of a class."""
        q = f"SELECT DISTINCT ?s ?p ?o WHERE {{ ?s a <{cls}> ; ?p ?o }}"
        out: dict[str, Values] = defaultdict(lambda: defaultdict(list))
        for row in self._public_select(q):
            out[row["s"].value][row["p"].value].append(row["o"])
        return out

    def facts(self, iri: str) -> list[Fact]:
        """Return every visible statement about ``iri`` with the sources of each."""
        q = f"""
        PREFIX lc: <{LC._NS}> PREFIX prov: <{PROV}> PREFIX rdf: <{RDF}>
        SELECT ?g ?p ?o ?doc ?cite ?section ?method ?conf ?state WHERE {{ GRAPH ?g {{
          <{iri}> ?p ?o .
          OPTIONAL {{ ?r rdf:subject <{iri}> ; rdf:predicate ?p ; rdf:object ?o .
            OPTIONAL {{ ?r prov:wasDerivedFrom ?doc }} OPTIONAL {{ ?r lc:citation ?cite }}
            OPTIONAL {{ ?r lc:section ?section }} OPTIONAL {{ ?r lc:extractionMethod ?method }}
            OPTIONAL {{ ?r lc:confidence ?conf }} OPTIONAL {{ ?r lc:reviewState ?state }} }} }} }}"""
        result = self.public_query(q)
        assert isinstance(result, ox.QuerySolutions)
        labels = self.labels()
        by_key: dict[tuple[str, str], Fact] = {}
        for sol in result:
            p, o, g = sol["p"], sol["o"], sol["g"]
            assert p is not None and o is not None and g is not None
            key = (str(p), str(o))
            fact = by_key.get(key)
            if fact is None:
                is_iri = isinstance(o, ox.NamedNode)
                fact = Fact(
                    predicate=p.value,
                    predicate_label=_predicate_label(p.value, labels),
                    value=o.value,
                    value_label=labels[o.value].best() if is_iri and o.value in labels else None,
                    language=o.language if isinstance(o, ox.Literal) else None,
                    is_iri=is_iri,
                )
                by_key[key] = fact
            conf = sol["conf"]
            fact.sources.append(
                FactSource(
                    graph=g.value,
                    document=_val(sol["doc"]),
                    citation=_val(sol["cite"]),
                    section=_val(sol["section"]),
                    method=_local(_val(sol["method"]) or "", METHOD_PREFIX) or None,
                    confidence=float(conf.value) if isinstance(conf, ox.Literal) else None,
                    review_state=_local(_val(sol["state"]) or "", REVIEW_PREFIX) or None,
                )
            )
        for fact in by_key.values():
            fact.sources.sort(key=lambda s: (s.graph, s.citation or "", s.section or ""))
        return sorted(by_key.values(), key=lambda f: (f.predicate, f.value, f.language or ""))

    # -------------------------------------------------------------------- typed entity views

    def _concept_ref(self, term: OxTerm, labels: dict[str, Label]) -> ConceptRef:
        return ConceptRef(
            iri=term.value, id=_local(term.value, str(LCC._NS)), label=labels.get(term.value, Label())
        )

    def _entity_ref(self, iri: str, labels: dict[str, Label], type_: str | None = None) -> EntityRef:
        return EntityRef(iri=iri, id=_local(iri, str(LCD)), label=labels.get(iri, Label()), type=type_)

    def _instrument_summary(self, iri: str, v: Values, labels: dict[str, Label]) -> InstrumentSummary:
        kinds = v.get(str(LC.instrumentKind), [])
        return InstrumentSummary(
            iri=iri,
            id=_local(iri, str(LCD)),
            code=_first_value(v, LC.catalogCode),
            name=_label(v, SKOS.prefLabel),
            kind=self._concept_ref(kinds[0], labels) if kinds else None,
            purpose=_label(v, LC.purpose),
            phases=self._concepts(v, LC.servesPhase, labels),
            target_roles=self._concepts(v, LC.targetRole, labels),
            origin_sectors=self._concepts(v, LC.originSector, labels),
        )

    def _concepts(self, v: Values, predicate: URIRef, labels: dict[str, Label]) -> list[ConceptRef]:
        refs = [
            self._concept_ref(t, labels) for t in v.get(str(predicate), []) if isinstance(t, ox.NamedNode)
        ]
        return sorted(refs, key=lambda r: r.id)

    def instruments(
        self,
        *,
        phase: str | None = None,
        role: str | None = None,
        sector: str | None = None,
        kind: str | None = None,
        text: str | None = None,
    ) -> list[InstrumentSummary]:
        """List visible instruments, filtered by phase, target role, origin sector, kind and text.

        Filters take concept ids (``phase-design``) or bare slugs (``design``).
        """
        labels = self.labels()
        out = []
        for iri, v in self.values_of_type(LC.Instrument).items():
            if phase and not _has_concept(v, LC.servesPhase, "phase", phase):
                continue
            if role and not _has_concept(v, LC.targetRole, "role", role):
                continue
            if sector and not _has_concept(v, LC.originSector, "sector", sector):
                continue
            if kind and not _has_concept(v, LC.instrumentKind, "instrument-kind", kind):
                continue
            if text and not _matches_text(v, text):
                continue
            out.append(self._instrument_summary(iri, v, labels))
        return sorted(out, key=lambda s: (not _name_matches(s.name, text), s.code or "~", s.name.best()))

    def instrument(self, slug_or_iri: str) -> InstrumentDetail:
        """Return everything visible about one instrument."""
        iri = self._iri("instrument", slug_or_iri)
        v = self.values(iri)
        if str(LC.Instrument) not in {t.value for t in v.get(str(RDF.type), [])}:
            raise NotFound(f"no instrument {slug_or_iri!r}")
        labels = self.labels()
        summary = self._instrument_summary(iri, v, labels)
        claims = []
        assignments = self._linked_values(iri, LC.phaseAssignment) if str(LC.phaseAssignment) in v else {}
        for node in v.get(str(LC.phaseAssignment), []):
            nv = assignments.get(node.value, {})
            phase = nv.get(str(LC.phase), [])
            basis = nv.get(str(LC.phaseBasis), [])
            if phase:
                claims.append(
                    PhaseClaim(
                        phase=self._concept_ref(phase[0], labels),
                        basis=self._concept_ref(basis[0], labels) if basis else None,
                    )
                )
        # The most used instruments have hundreds of cases (650 at 10^6 triples): read them straight from
        # the solutions, without a row dict each (bench/graph_suite, REST reads).
        used = self.public_query(f"SELECT DISTINCT ?c WHERE {{ ?c <{LC.usesInstrument}> <{iri}> }}")
        assert isinstance(used, ox.QuerySolutions)
        used_in = [self._entity_ref(case.value, labels, "Case") for (case,) in used if case is not None]
        origin = _label(v, LC.originContext)
        return InstrumentDetail(
            **summary.model_dump(),
            description=_label(v, DCTERMS.description),
            alt_names=sorted({t.value for t in v.get(str(SKOS.altLabel), [])}),
            target_group_text=_first_value(v, LC.targetGroupText),
            phase_claims=sorted(claims, key=lambda c: (c.phase.id, c.basis.id if c.basis else "")),
            url=_first_value(v, SCHEMA.url),
            origin_context=origin if (origin.nl or origin.en) else None,
            developers=sorted(
                (self._entity_ref(t.value, labels) for t in v.get(str(LC.developedBy), [])),
                key=lambda r: r.iri,
            ),
            developer_text=_first_value(v, LC.developerText),
            addresses=self._concepts(v, LC.addressesFactor, labels),
            boundary_mechanisms=self._concepts(v, LC.supportsBoundaryMechanism, labels),
            used_in=sorted(used_in, key=lambda r: (r.label.best(), r.iri)),
            facts=self.facts(iri),
        )

    def _case_summary(self, iri: str, v: Values, labels: dict[str, Label]) -> CaseSummary:
        community = v.get(str(LC.community), [])
        region = _label(v, LC.region)
        return CaseSummary(
            iri=iri,
            id=_local(iri, str(LCD)),
            code=_first_value(v, LC.catalogCode),
            name=_label(v, SKOS.prefLabel),
            sectors=self._concepts(v, LC.inSector, labels),
            challenges=self._concepts(v, LC.addressesChallenge, labels),
            region=region if (region.nl or region.en) else None,
            community=self._entity_ref(community[0].value, labels) if community else None,
        )

    def cases(
        self,
        *,
        sector: str | None = None,
        challenge: str | None = None,
        instrument: str | None = None,
        text: str | None = None,
    ) -> list[CaseSummary]:
        """List visible cases, filtered by sector, challenge, instrument used and text."""
        labels = self.labels()
        out = []
        wanted_instrument = self._iri("instrument", instrument) if instrument else None
        for iri, v in self.values_of_type(LC.Case).items():
            if sector and not _has_concept(v, LC.inSector, "sector", sector):
                continue
            if challenge and not _has_concept(v, LC.addressesChallenge, "challenge", challenge):
                continue
            if wanted_instrument and wanted_instrument not in {
                t.value for t in v.get(str(LC.usesInstrument), [])
            }:
                continue
            if text and not _matches_text(v, text):
                continue
            out.append(self._case_summary(iri, v, labels))
        return sorted(out, key=lambda s: (not _name_matches(s.name, text), s.code or "~", s.name.best()))

    def case(self, slug_or_iri: str) -> CaseDetail:
        """Return everything visible about one case."""
        iri = self._iri("case", slug_or_iri)
        v = self.values(iri)
        if str(LC.Case) not in {t.value for t in v.get(str(RDF.type), [])}:
            raise NotFound(f"no case {slug_or_iri!r}")
        labels = self.labels()
        outcomes = []
        reported = self._linked_values(iri, LC.reportsOutcome) if str(LC.reportsOutcome) in v else {}
        for node in v.get(str(LC.reportsOutcome), []):
            ov = reported.get(node.value, {})
            outcomes.append(
                OutcomeView(
                    iri=node.value,
                    text=_label(ov, DCTERMS.description),
                    level=_opt_concept(self, ov, LC.outcomeLevel, labels),
                    value_cycle=_opt_concept(self, ov, LC.valueCycle, labels),
                    capital=_opt_concept(self, ov, LC.capital, labels),
                    stakeholder=_opt_concept(self, ov, LC.stakeholderType, labels),
                )
            )
        return CaseDetail(
            **self._case_summary(iri, v, labels).model_dump(),
            description=_label(v, DCTERMS.description),
            phases=self._concepts(v, LC.inPhase, labels),
            practices=self._concepts(v, LC.hasPractice, labels),
            instruments=sorted(
                (self._entity_ref(t.value, labels, "Instrument") for t in v.get(str(LC.usesInstrument), [])),
                key=lambda r: r.label.best(),
            ),
            outcomes=sorted(outcomes, key=lambda o: o.iri),
            lessons=_labels_paired(v, LC.lessonLearned),
            principal_investigators=sorted(
                (
                    self._entity_ref(t.value, labels, "Person")
                    for t in v.get(str(LC.principalInvestigator), [])
                ),
                key=lambda r: r.iri,
            ),
            facts=self.facts(iri),
        )

    def _community_summary(self, iri: str, v: Values, labels: dict[str, Label]) -> CommunitySummary:
        types = {t.value for t in v.get(str(RDF.type), [])}
        region = _label(v, LC.region)
        return CommunitySummary(
            iri=iri,
            id=_local(iri, str(LCD)),
            code=_first_value(v, LC.catalogCode),
            name=_label(v, SKOS.prefLabel),
            type="LearningCommunity" if str(LC.LearningCommunity) in types else "Collective",
            forms=self._concepts(v, LC.hasForm, labels),
            scale_level=_opt_concept(self, v, LC.scaleLevel, labels),
            sectors=self._concepts(v, LC.inSector, labels),
            region=region if (region.nl or region.en) else None,
        )

    def communities(
        self, *, sector: str | None = None, form: str | None = None, level: str | None = None
    ) -> list[CommunitySummary]:
        """List visible communities and collectives, filtered by sector, form and scale level."""
        labels = self.labels()
        merged: dict[str, Values] = dict(self.values_of_type(LC.LearningCommunity))
        merged.update(self.values_of_type(LC.Collective))
        out = []
        for iri, v in merged.items():
            if sector and not _has_concept(v, LC.inSector, "sector", sector):
                continue
            if form and not _has_concept(v, LC.hasForm, "lc-form", form):
                continue
            if level and not _has_concept(v, LC.scaleLevel, "scale-level", level):
                continue
            out.append(self._community_summary(iri, v, labels))
        return sorted(out, key=lambda s: (s.code or "~", s.name.best()))

    def community(self, slug_or_iri: str) -> CommunityDetail:
        """Return everything visible about one community or collective."""
        iri = self._iri("community", slug_or_iri)
        v = self.values(iri)
        types = {t.value for t in v.get(str(RDF.type), [])}
        if not types & {str(LC.LearningCommunity), str(LC.Collective)}:
            raise NotFound(f"no community {slug_or_iri!r}")
        labels = self.labels()
        part_of = v.get(str(LC.partOf), [])
        parts_q = f"SELECT DISTINCT ?c WHERE {{ ?c <{LC.partOf}> <{iri}> }}"
        cases_q = f"SELECT DISTINCT ?c WHERE {{ ?c <{LC.community}> <{iri}> }}"
        return CommunityDetail(
            **self._community_summary(iri, v, labels).model_dump(),
            description=_label(v, DCTERMS.description),
            framework_level=_opt_concept(self, v, LC.frameworkLevel, labels),
            part_of=self._entity_ref(part_of[0].value, labels) if part_of else None,
            parts=sorted(
                (self._entity_ref(r["c"].value, labels) for r in self._public_select(parts_q)),
                key=lambda r: r.iri,
            ),
            participants=sorted(
                (
                    self._entity_ref(t.value, labels, "Organisation")
                    for t in v.get(str(LC.hasParticipant), [])
                ),
                key=lambda r: r.label.best(),
            ),
            practices=self._concepts(v, LC.hasPractice, labels),
            cases=sorted(
                (self._entity_ref(r["c"].value, labels, "Case") for r in self._public_select(cases_q)),
                key=lambda r: r.iri,
            ),
            is_counter_example=any(
                isinstance(t, ox.Literal) and t.value == "true" for t in v.get(str(LC.isCounterExample), [])
            ),
            facts=self.facts(iri),
        )

    def schemes(self) -> list[str]:
        """List the ids of the visible concept schemes."""
        q = f"SELECT ?s WHERE {{ ?s a <{SKOS.ConceptScheme}> }} ORDER BY ?s"
        return [_local(r["s"].value, str(LCC._NS)) for r in self._public_select(q)]

    def scheme(self, scheme_id: str) -> SchemeView:
        """Return one concept scheme with its concepts in notation/label order."""
        iri = str(LCC._NS) + scheme_id
        sv = self.values(iri)
        if str(SKOS.ConceptScheme) not in {t.value for t in sv.get(str(RDF.type), [])}:
            known = ", ".join(self.schemes())
            raise NotFound(f"no concept scheme {scheme_id!r}; known schemes: {known}")
        q = f"SELECT DISTINCT ?c WHERE {{ ?c <{SKOS.inScheme}> <{iri}> }}"
        concepts = []
        for row in self._public_select(q):
            c = row["c"].value
            cv = self.values(c)
            concepts.append(
                ConceptView(
                    iri=c,
                    id=_local(c, str(LCC._NS)),
                    label=_label(cv, SKOS.prefLabel),
                    alt_labels=sorted({t.value for t in cv.get(str(SKOS.altLabel), [])}),
                    definition=_label(cv, SKOS.definition),
                    broader=sorted(_local(t.value, str(LCC._NS)) for t in cv.get(str(SKOS.broader), [])),
                    notation=_first_value(cv, SKOS.notation),
                )
            )

        def order(c: ConceptView) -> tuple[int, str, str]:
            n = c.notation
            return (int(n) if n and n.isdigit() else 999, n or "", c.label.best())

        return SchemeView(
            iri=iri,
            id=scheme_id,
            label=_label(sv, SKOS.prefLabel),
            definition=_label(sv, SKOS.definition),
            concepts=sorted(concepts, key=order),
        )

    def _iri(self, kind: str, slug_or_iri: str) -> str:
        if slug_or_iri.startswith(("http://", "https://", "urn:")):
            return slug_or_iri
        return str(LCD[f"{kind}/{slug_or_iri}"])

    def resolve(self, name: str) -> list[EntityRef]:
        """Find entities by IRI, id (``instrument/x``), slug or label (case-insensitive)."""
        labels = self.labels()
        if name.startswith(("http://", "https://", "urn:")):
            return [self._entity_ref(name, labels)] if self.exists(name) else []
        if "/" in name and _SLUG_PATH.match(name) and self.exists(str(LCD[name])):
            return [self._entity_ref(str(LCD[name]), labels)]
        wanted = name.casefold().strip()
        hits = []
        if _SLUG.match(name):
            for kind in ("instrument", "case", "community", "organisation", "person", "document"):
                iri = str(LCD[f"{kind}/{name}"])
                if iri in labels:
                    hits.append(self._entity_ref(iri, labels))
        if hits:
            return hits
        for iri, label in labels.items():
            if wanted in {(label.nl or "").casefold(), (label.en or "").casefold()}:
                hits.append(self._entity_ref(iri, labels))
        if hits:
            return sorted(hits, key=lambda r: r.iri)
        for iri, label in labels.items():
            if wanted in (label.nl or "").casefold() or wanted in (label.en or "").casefold():
                hits.append(self._entity_ref(iri, labels))
        return sorted(hits, key=lambda r: r.iri)

    def resolve_incoming(self, iri: str) -> list[tuple[str, EntityRef]]:
        """Return (predicate label, entity) for visible statements that point at ``iri``."""
        labels = self.labels()
        q = (
            f"SELECT DISTINCT ?s ?p WHERE {{ ?s ?p <{iri}> "
            f"FILTER(?p != <{RDF.subject}> && ?p != <{RDF.object}>) }}"
        )
        refs = [
            (_predicate_label(r["p"].value, labels), self._entity_ref(r["s"].value, labels))
            for r in self._public_select(q)
        ]
        return sorted(refs, key=lambda x: (x[0], x[1].label.best()))

    def describe(self, iri: str) -> list[ox.Triple]:
        """Return the visible triples about ``iri`` plus labels of the nodes it links to."""
        try:
            iri = ox.NamedNode(iri).value  # validated: a path from a URL must not break out into the query
        except ValueError:
            return []
        q = f"""CONSTRUCT {{ <{iri}> ?p ?o . ?o <{SKOS.prefLabel}> ?l . ?r ?rp ?ro }} WHERE {{
            {{ <{iri}> ?p ?o . OPTIONAL {{ ?o <{SKOS.prefLabel}> ?l }} }}
            UNION {{ ?r <{RDF.subject}> <{iri}> ; ?rp ?ro }} }}"""
        result = self.public_query(q)
        assert isinstance(result, ox.QueryTriples)
        return list(result)


_MIRROR_REBUILD_ABOVE = 200
"""A write touching more graphs than this (a whole import) rebuilds the mirror instead of syncing each."""


def _graphs_touched(changes: ChangeSet) -> set[str]:
    """Name the graphs whose content or registry entry a change set alters (what the mirror must follow)."""
    touched = {g.value for g in changes.drop_graphs if isinstance(g, ox.NamedNode)}
    registry = str(REGISTRY)
    for q in (*changes.remove, *changes.add):
        graph = q.graph_name
        if not isinstance(graph, ox.NamedNode):
            continue
        if graph.value == registry:
            if isinstance(q.subject, ox.NamedNode):
                touched.add(q.subject.value)
        else:
            touched.add(graph.value)
    return touched - PRIVATE_GRAPHS - {registry}


def _val(term: OxTerm | None) -> str | None:
    return None if term is None else term.value


def _first_value(v: Values, predicate: URIRef) -> str | None:
    values = v.get(str(predicate), [])
    return values[0].value if values else None


def _label(v: Values, predicate: URIRef) -> Label:
    return label_of(v.get(str(predicate), []))


def _labels_paired(v: Values, predicate: URIRef) -> list[Label]:
    nl = [t.value for t in v.get(str(predicate), []) if isinstance(t, ox.Literal) and t.language == "nl"]
    en = [t.value for t in v.get(str(predicate), []) if isinstance(t, ox.Literal) and t.language == "en"]
    return [Label(nl=a, en=b) for a, b in zip(sorted(nl), sorted(en), strict=False)]


def _opt_concept(
    kg: KnowledgeGraph, v: Values, predicate: URIRef, labels: dict[str, Label]
) -> ConceptRef | None:
    values = v.get(str(predicate), [])
    return kg._concept_ref(values[0], labels) if values else None


def _concept_iri(scheme: str, value: str) -> str:
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return value
    prefix = f"{scheme}-"
    return str(LCC._NS) + (value if value.startswith(prefix) else prefix + value)


def _has_concept(v: Values, predicate: URIRef, scheme: str, value: str) -> bool:
    wanted = _concept_iri(scheme, value)
    present = {t.value for t in v.get(str(predicate), [])}
    return wanted in present


def _matches_text(v: Values, text: str) -> bool:
    needle = text.casefold()
    for predicate in (SKOS.prefLabel, SKOS.altLabel, LC.purpose, DCTERMS.description, LC.targetGroupText):
        for t in v.get(str(predicate), []):
            if isinstance(t, ox.Literal) and needle in t.value.casefold():
                return True
    return False


def _name_matches(name: Label, text: str | None) -> bool:
    """Tell whether a text filter occurs in a name (name matches are listed first)."""
    if not text:
        return False
    needle = text.casefold()
    return needle in (name.nl or "").casefold() or needle in (name.en or "").casefold()


def _predicate_label(iri: str, labels: dict[str, Label]) -> str:
    if iri in labels:
        return labels[iri].best()
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


__all__ = [
    "ACCOUNTS_GRAPH",
    "CATALOG_GRAPH",
    "ONTOLOGY_GRAPH",
    "PRIVATE_GRAPHS",
    "REGISTRY",
    "KnowledgeGraph",
    "WriteResult",
    "content_hash",
]
