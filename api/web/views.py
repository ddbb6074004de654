"""What the web pages show, gathered from the knowledge graph and the search service.

Plain functions over :class:`~kg.graph.KnowledgeGraph` and :class:`~kg.search.service.SearchService`
that return values for the templates; no HTTP here beyond the types the routes hand in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import OWL, RDF, RDFS, SKOS
from rdflib.namespace import DCTERMS

from kg.errors import LcGraphError
from kg.graph import ONTOLOGY_GRAPH, KnowledgeGraph
from kg.model import CaseDetail, Label, OutcomeView
from kg.search.models import Crossover, SimilarItem
from kg.search.service import SearchService
from ontology.vocab import LC

logger = logging.getLogger(__name__)

ENTITY_KINDS = ("instrument", "case", "community")
NEIGHBOUR_LIMIT = 40
SUGGESTIONS = 5


@dataclass
class Node:
    """A node of an entity's neighbourhood."""

    id: str
    label: str
    kind: str
    href: str


@dataclass
class Edge:
    """A labelled link between two nodes of a neighbourhood."""

    source: str
    target: str
    label: str


@dataclass
class Neighbourhood:
    """An entity and the nodes one step away from it, either direction."""

    center: Node
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """Return the neighbourhood as the graph view's JSON (nodes and edges, centre first)."""
        return {
            "center": self.center.id,
            "nodes": [vars(n) for n in [self.center, *self.nodes]],
            "edges": [vars(e) for e in self.edges],
        }


def kind_of(iri: str, base_iri: str) -> str:
    """Return what an IRI names: instrument, case, community, concept, ... or ``other``."""
    if not iri.startswith(base_iri):
        return "other"
    rest = iri[len(base_iri) :]
    if rest.startswith("id/"):
        return rest.split("/")[1] if rest.count("/") >= 2 else "other"
    if rest.startswith("concept/"):
        return "concept"
    return "other"


def _is_entity(iri: str, base_iri: str) -> bool:
    """Tell whether ``iri`` names an entity or concept of ours (not a node inside one, such as a claim)."""
    if not iri.startswith(base_iri):
        return False
    rest = iri[len(base_iri) :]
    return (rest.startswith("id/") and rest.count("/") == 2) or (
        rest.startswith("concept/") and rest.count("/") == 1
    )


def _href(iri: str, base_iri: str) -> str:
    return "/" + iri[len(base_iri) :] if iri.startswith(base_iri) else iri


def neighbourhood(kg: KnowledgeGraph, iri: str, lang: str, limit: int = NEIGHBOUR_LIMIT) -> Neighbourhood:
    """Return the entities and concepts linked to ``iri`` (out- and incoming), at most ``limit``."""
    base = kg.settings.base_iri
    labels = kg.labels()

    def node(target: str) -> Node:
        found = labels.get(target)
        text = found.best(lang) if found else target.rsplit("/", 1)[-1]
        return Node(id=target, label=text or target, kind=kind_of(target, base), href=_href(target, base))

    def predicate(p: str, fallback: str) -> str:
        found = labels.get(p)
        return (found.best(lang) if found else "") or fallback

    center = node(iri)
    result = Neighbourhood(center=center)
    seen = {iri}
    for fact in kg.facts(iri):
        if not fact.is_iri or fact.predicate == str(RDF.type) or not _is_entity(fact.value, base):
            continue
        if fact.value not in seen and len(seen) <= limit:
            seen.add(fact.value)
            result.nodes.append(node(fact.value))
        if fact.value in seen:
            result.edges.append(Edge(iri, fact.value, predicate(fact.predicate, fact.predicate_label)))
    for label_text, ref in kg.resolve_incoming(iri):
        if not _is_entity(ref.iri, base):
            continue
        if ref.iri not in seen and len(seen) <= limit:
            seen.add(ref.iri)
            result.nodes.append(node(ref.iri))
        if ref.iri in seen:
            result.edges.append(Edge(ref.iri, iri, label_text))
    result.nodes.sort(key=lambda n: (n.kind, n.label.casefold()))
    return result


@dataclass
class Version:
    """One recorded version of an instrument."""

    number: str
    changelog: Label
    issued: str | None = None


def versions(kg: KnowledgeGraph, iri: str) -> list[Version]:
    """Return the recorded versions of an instrument, newest number last."""
    out = []
    for term in kg.values(iri).get(str(LC.hasVersion), []):
        v = kg.values(term.value)
        number = next((t.value for t in v.get(str(LC.versionNumber), [])), term.value.rsplit("/", 1)[-1])
        log = Label()
        for t in v.get(str(LC.changelog), []):
            if isinstance(t, ox.Literal) and t.language == "en":
                log.en = t.value
            else:
                log.nl = log.nl or t.value
        issued = next((t.value for t in v.get(str(DCTERMS.issued), [])), None)
        out.append(Version(number=number, changelog=log, issued=issued))
    return sorted(
        out, key=lambda x: [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in x.number.split(".")]
    )


def similar(search: SearchService | None, entity_id: str, lang: str, diversity: float) -> list[SimilarItem]:
    """Return items similar to ``entity_id`` (``case/<slug>``), or none when search is off or fails."""
    if search is None:
        return []
    try:
        return search.similar(entity_id, k=SUGGESTIONS, diversity=diversity, lang=lang).results
    except LcGraphError as exc:
        logger.info("no similar items for %s: %s", entity_id, exc)
        return []


def crossovers(
    search: SearchService | None, need: str, sector: str | None, lang: str, exclude: str
) -> list[Crossover]:
    """Return instruments from other sectors that answer ``need``, without ``exclude`` itself."""
    if search is None or not need.strip():
        return []
    try:
        found = search.crossovers(need, sector=sector, k=SUGGESTIONS + 1, lang=lang).results
    except LcGraphError as exc:
        logger.info("no crossovers for %r: %s", need, exc)
        return []
    return [c for c in found if c.instrument.iri != exclude][:SUGGESTIONS]


def outcomes_by_value(
    outcomes: list[OutcomeView], lang: str, other: str
) -> list[tuple[str, list[OutcomeView]]]:
    """Group outcomes by their value type (the value-creation cycle), in a stable order."""
    groups: dict[str, list[OutcomeView]] = defaultdict(list)
    for outcome in outcomes:
        key = outcome.value_cycle.label.best(lang) if outcome.value_cycle else other
        groups[key].append(outcome)
    return sorted(groups.items(), key=lambda item: (item[0] == other, item[0]))


def community_cases(kg: KnowledgeGraph, ids: list[str]) -> list[CaseDetail]:
    """Return the details of a community's cases (for its instruments and outcomes)."""
    out = []
    for case_id in ids:
        try:
            out.append(kg.case(case_id.split("/", 1)[-1]))
        except LcGraphError:
            continue
    return out


@dataclass
class Term:
    """A class or property of the ontology, as its documentation shows it."""

    iri: str
    anchor: str
    kind: str
    label: Label
    definition: Label
    parents: list[tuple[str, str]] = field(default_factory=list)
    domain: list[tuple[str, str]] = field(default_factory=list)
    range: list[tuple[str, str]] = field(default_factory=list)


PROPERTY_KINDS = {
    str(OWL.ObjectProperty): "object",
    str(OWL.DatatypeProperty): "datatype",
    str(OWL.AnnotationProperty): "annotation",
}


def ontology_terms(kg: KnowledgeGraph) -> tuple[list[Term], list[Term]]:
    """Return the ontology's own classes and properties (``lc:`` terms) with labels and definitions."""
    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    ns = str(LC._NS)
    values: dict[str, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for q in kg.store.quads(None, None, None, graph):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ns):
            values[q.subject.value][q.predicate.value].append(q.object)

    def texts(v: dict[str, list[object]], p: str) -> Label:
        out = Label()
        for t in v.get(p, []):
            if isinstance(t, ox.Literal):
                if t.language == "en":
                    out.en = t.value
                else:
                    out.nl = out.nl or t.value
        return out

    def refs(v: dict[str, list[object]], p: str) -> list[tuple[str, str]]:
        out = []
        for t in v.get(p, []):
            if isinstance(t, ox.NamedNode):
                local = t.value[len(ns) :] if t.value.startswith(ns) else ""
                out.append((f"#{local}" if local else t.value, f"lc:{local}" if local else _curie(t.value)))
        return sorted(out, key=lambda r: r[1])

    classes, properties = [], []
    for iri, v in values.items():
        types = {t.value for t in v.get(str(RDF.type), []) if isinstance(t, ox.NamedNode)}
        term = Term(
            iri=iri,
            anchor=iri[len(ns) :],
            kind="class",
            label=texts(v, str(RDFS.label)),
            definition=texts(v, str(SKOS.definition)),
        )
        if str(OWL.Class) in types:
            term.parents = refs(v, str(RDFS.subClassOf))
            classes.append(term)
        elif kinds := [PROPERTY_KINDS[t] for t in types if t in PROPERTY_KINDS]:
            term.kind = kinds[0]
            term.parents = refs(v, str(RDFS.subPropertyOf))
            term.domain = refs(v, str(RDFS.domain))
            term.range = refs(v, str(RDFS.range))
            properties.append(term)
    classes.sort(key=lambda t: t.anchor.casefold())
    properties.sort(key=lambda t: t.anchor.casefold())
    return classes, properties


PREFIXES = {
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.w3.org/ns/org#": "org:",
    "https://schema.org/": "schema:",
    "http://purl.org/dc/terms/": "dct:",
    "http://www.w3.org/2002/07/owl#": "owl:",
}


def _curie(iri: str) -> str:
    for ns, prefix in PREFIXES.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri
