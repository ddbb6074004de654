"""Deterministic synthetic data in lcgraph's ontology and named-graph layout, at 10^4 to 10^6 triples.

The generator writes what ``kg`` writes, so the REST routes, the ``/sparql`` public view and the search
sync see it as ordinary approved data:

* ``lcg:ontology``: the real ontology and concept schemes (the same triples and content hash as
  ``lcgraph load``);
* ``lcg:catalog`` (method ``curated``): organisations, people, source documents, instruments with
  versions and phase assignments, learning communities and collectives, cases with outcomes and
  lessons, in the catalog mapper's predicates (``kg/catalog``);
* ``lcg:submission/syn-<n>`` (method ``manual``): practitioners' experiences with instruments, twenty
  per submission, as case-entry files arrive;
* ``lcg:document/syn-<n>`` (method ``rule``): documents cut into chunks with mentions of instruments and
  cases, as ``ingest`` writes them. One document in ten stays *proposed* (invisible to public reads).
* ``lcg:registry``: one entry per graph (``lc:SourceGraph``, title, review state, method, content hash,
  time), as ``KnowledgeGraph.write_graph`` writes it.

Every fact has its provenance record (``rdf:Statement`` with source, citation, section, method,
confidence and review state) in its graph, as ``kg.provenance`` builds it. Content hashes of generated
graphs are SHA-256 over their sorted N-Triples lines (``kg.graph.content_hash`` goes through rdflib and
would take minutes at 10^6; nothing compares them with a real load).

Texts are Dutch and English sentences drawn from the word frequencies of the real catalog's descriptions.
Degrees follow power laws: how often an instrument is used by cases and mentioned by chunks (Zipf,
s = 1.1), how many cases a community has and how many communities an organisation joins (s = 0.8).
The same ``seed`` and size give byte-identical N-Quads.

Usage: python -m bench.synthetic --triples 100000 [--chunks N] [--seed 0] --out data.nq
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import json
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pyoxigraph as ox
from rdflib import RDF, SKOS, XSD, Graph
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, PROV

from bench.search_latency import _WORD, catalog_texts, prose
from kg.graph import content_hash
from kg.loading import ontology_triples
from kg.terms import quad
from ontology.vocab import LC, LCC, LCD, LCF, LCG, SCHEMA

GENERATOR_VERSION: Final = "2"
"""Bumped whenever the output changes, so cached data sets are regenerated."""
TIMESTAMP: Final = "2026-01-01T00:00:00+00:00"
ZIPF_USE: Final = 1.1
ZIPF_MEMBERSHIP: Final = 0.8
EXPERIENCES_PER_SUBMISSION: Final = 20
CHUNKS_PER_DOCUMENT: Final = 50
PROPOSED_EVERY: Final = 10
"""Every tenth document graph stays proposed: present in the store, invisible to public reads."""

ONTOLOGY_GRAPH: Final = ox.NamedNode(str(LCG.ontology))
CATALOG_GRAPH: Final = ox.NamedNode(str(LCG.catalog))
REGISTRY: Final = ox.NamedNode(str(LCG.registry))
SCHEMES: Final = (
    "phase",
    "phase-basis",
    "instrument-kind",
    "role",
    "practice",
    "sector",
    "challenge",
    "lc-form",
    "scale-level",
    "framework-level",
    "outcome-level",
    "stakeholder-type",
    "value-cycle",
    "capital",
    "success-factor",
    "boundary-mechanism",
)
KIND_CLASS: Final = {
    "tool": LC.Tool,
    "method": LC.Method,
    "work-form": LC.WorkForm,
    "framework": LC.Framework,
    "resource": LC.Resource,
}

_NODES: dict[str, ox.NamedNode] = {}


def node(iri: object) -> ox.NamedNode:
    """Return the (cached) pyoxigraph node of an IRI."""
    key = str(iri)
    found = _NODES.get(key)
    if found is None:
        found = _NODES[key] = ox.NamedNode(key)
    return found


def text(value: str, lang: str | None = None) -> ox.Literal:
    """Return a plain or language-tagged literal."""
    return ox.Literal(value, language=lang) if lang else ox.Literal(value)


def typed(value: object, datatype: object) -> ox.Literal:
    """Return a typed literal."""
    return ox.Literal(str(value), datatype=node(datatype))


@functools.cache
def ontology() -> tuple[list[ox.Quad], str]:
    """Return the ontology graph's quads and content hash (parsed once per process)."""
    triples = ontology_triples()
    # rdflib names blank nodes at random and iterates in no fixed order: canonical labels, sorted
    canonical = sorted(to_canonical_graph(Graph().__iadd__(triples)), key=lambda t: tuple(x.n3() for x in t))
    quads = [quad(s, p, o, LCG.ontology) for s, p, o in canonical]
    return quads, content_hash(triples)


@functools.cache
def vocabulary() -> dict[str, list[str]]:
    """Return the words of the catalog's Dutch and English prose, with their frequencies (read once)."""
    texts = catalog_texts()
    return {lang: [w for t in items for w in _WORD.findall(t)] for lang, items in texts.items()}


@functools.cache
def concept_slugs() -> dict[str, list[str]]:
    """Return the concept ids of each scheme we generate from, sorted (``sector`` -> ``sector-energy``...)."""
    prefix = str(LCC._NS)
    out: dict[str, list[str]] = {s: [] for s in SCHEMES}
    in_scheme = str(SKOS.inScheme)
    for q in ontology()[0]:
        s, p, o = q.subject, q.predicate, q.object
        if p.value == in_scheme and isinstance(o, ox.NamedNode) and o.value.startswith(prefix):
            scheme = o.value[len(prefix) :]
            if scheme in out:
                out[scheme].append(s.value[len(prefix) :])
    for scheme, ids in out.items():
        if not ids:
            raise SystemExit(f"concept scheme {scheme!r} is empty: is ontology/concepts.ttl complete?")
        ids.sort()
    # sub-phases are placements too, but catalog entries use the four main phases
    out["phase"] = [
        c for c in out["phase"] if c in {f"phase-{p}" for p in ("start", "design", "execute", "sustain")}
    ]
    return out


class Zipf:
    """Draw ranks ``0..n-1`` with probability proportional to ``1 / (rank + 1) ** s``."""

    def __init__(self, n: int, s: float) -> None:
        self.n = n
        self.cumulative = list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(n)))

    def draw(self, rng: random.Random) -> int:
        """Return one rank."""
        return min(bisect(self.cumulative, rng.random() * self.cumulative[-1]), self.n - 1)

    def sample(self, rng: random.Random, k: int) -> list[int]:
        """Return up to ``k`` distinct ranks (fewer when draws repeat), in draw order."""
        return list(dict.fromkeys(self.draw(rng) for _ in range(k)))


@dataclass(frozen=True)
class Prov:
    """Provenance shared by a group of facts (see ``kg.provenance.Provenance``)."""

    document: ox.NamedNode | None
    citation: str | None
    section: str | None
    method: str
    confidence: float
    review_state: str


class GraphWriter:
    """Collect the facts of one named graph, each followed by its provenance record."""

    def __init__(self, graph: ox.NamedNode) -> None:
        self.graph = graph
        self.triples: list[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.Literal]] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._prefix = str(graph)

    def fact(self, s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal, prov: Prov) -> None:
        """Add a fact and its provenance record (a repeated fact once, as ``with_provenance`` does)."""
        key = (str(s), str(p), str(o))
        if key in self._seen:
            return
        self._seen.add(key)
        record = node(LCF[hashlib.sha1("\x1f".join((self._prefix, *key)).encode("utf-8")).hexdigest()])
        self.triples += [
            (s, p, o),
            (record, node(RDF.type), node(RDF.Statement)),
            (record, node(RDF.subject), s),
            (record, node(RDF.predicate), p),
            (record, node(RDF.object), o),
            (record, node(LC.extractionMethod), node(LCC[f"extraction-method-{prov.method}"])),
            (record, node(LC.confidence), typed(f"{prov.confidence:.3f}", XSD.decimal)),
            (record, node(LC.reviewState), node(LCC[f"review-state-{prov.review_state}"])),
        ]
        if prov.document is not None:
            self.triples.append((record, node(PROV.wasDerivedFrom), prov.document))
        if prov.citation:
            self.triples.append((record, node(LC.citation), text(prov.citation)))
        if prov.section:
            self.triples.append((record, node(LC.section), text(prov.section)))

    def texts(self, s: ox.NamedNode, p: object, value: dict[str, str], prov: Prov) -> None:
        """Add one literal per language of a ``{nl, en}`` text."""
        for lang, body in value.items():
            self.fact(s, node(p), text(body, lang), prov)

    def quads(self) -> list[ox.Quad]:
        """Return the graph's triples as quads."""
        return [ox.Quad(s, p, o, self.graph) for s, p, o in self.triples]

    def digest(self) -> str:
        """Return a content hash: SHA-256 over the sorted N-Triples lines."""
        h = hashlib.sha256()
        for line in sorted(f"{s} {p} {o}" for s, p, o in self.triples):
            h.update(line.encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()


def registry_quads(
    graph: ox.NamedNode, *, title: str, method: str, review_state: str, digest: str
) -> list[ox.Quad]:
    """Describe a graph in the registry as ``KnowledgeGraph.write_graph`` does (with a fixed time)."""
    meta: list[tuple[object, ox.NamedNode | ox.Literal]] = [
        (RDF.type, node(LC.SourceGraph)),
        (DCTERMS.title, text(title)),
        (LC.reviewState, node(LCC[f"review-state-{review_state}"])),
        (LC.extractionMethod, node(LCC[f"extraction-method-{method}"])),
        (LC.contentHash, text(digest)),
        (PROV.generatedAtTime, typed(TIMESTAMP, XSD.dateTime)),
    ]
    return [ox.Quad(graph, node(p), o, REGISTRY) for p, o in meta]


@dataclass
class Plan:
    """How many entities of each kind one data set gets (all derived from the number of cases)."""

    cases: int
    chunks: int

    @property
    def instruments(self) -> int:
        return max(3, self.cases // 5)

    @property
    def communities(self) -> int:
        return max(2, self.cases // 2)

    @property
    def organisations(self) -> int:
        return max(3, self.cases // 2)

    @property
    def people(self) -> int:
        return max(2, self.cases // 5)

    @property
    def sources(self) -> int:
        return max(2, self.cases // 100)

    @property
    def experiences(self) -> int:
        return self.cases


TRIPLES_PER_CASE: Final = 625.0
"""Measured triples per case of the catalog, submissions and registry together (generator version 1)."""
TRIPLES_PER_CHUNK: Final = 73.0
"""Measured triples per chunk with its mentions and provenance."""
CHUNK_SHARE: Final = 0.25
"""Share of the triples in document graphs when the number of chunks is not given."""
FIXED_TRIPLES: Final = 4050
"""The ontology and concept schemes with their registry entries."""


def plan_for(triples: int, chunks: int | None = None) -> Plan:
    """Choose entity counts that give about ``triples`` triples (and ``chunks`` chunks when given)."""
    if chunks is None:
        chunks = max(10, round(triples * CHUNK_SHARE / TRIPLES_PER_CHUNK))
    rest = max(triples - FIXED_TRIPLES - chunks * TRIPLES_PER_CHUNK, triples * 0.1)
    return Plan(cases=max(4, round(rest / TRIPLES_PER_CASE)), chunks=chunks)


@dataclass
class Dataset:
    """A generated data set: its quads and what the benchmark needs to know about it."""

    quads: list[ox.Quad]
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    approved: list[str] = field(default_factory=list)
    """The approved named graphs: the public dataset."""


class Generator:
    """Build one data set; every random choice comes from one seeded ``random.Random``, in a fixed order."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.concepts = concept_slugs()

    # ------------------------------------------------------------------------------------- helpers

    def name(self, i: int) -> dict[str, str]:
        """Return a Dutch and an English name that end in the entity's number (unique, findable)."""
        nl, en = self.words["nl"], self.words["en"]
        r = self.rng
        return {
            "nl": f"{r.choice(nl).capitalize()} {r.choice(nl)} {i}",
            "en": f"{r.choice(en).capitalize()} {r.choice(en)} {i}",
        }

    def prose2(self, low: int, high: int) -> dict[str, str]:
        """Return a Dutch and an English text of ``low..high`` words each."""
        return {lang: prose(self.rng, self.words[lang], self.rng.randint(low, high)) for lang in ("nl", "en")}

    def pick(self, scheme: str, low: int, high: int) -> list[str]:
        """Return ``low..high`` distinct concept ids of a scheme."""
        ids = self.concepts[scheme]
        return self.rng.sample(ids, self.rng.randint(low, min(high, len(ids))))

    def cite(self, source: int) -> Prov:
        """Return curated provenance citing a line span of synthetic source document ``source``."""
        line = self.rng.randint(1, 4000)
        return Prov(
            node(LCD[f"document/syn-{source:04d}"]),
            f"syn{source:04d}:{line}-{line + self.rng.randint(2, 40)}",
            f"{self.rng.randint(1, 9)}.{self.rng.randint(1, 9)}",
            "curated",
            1.0,
            "approved",
        )

    # ------------------------------------------------------------------------------------- catalog

    def catalog(self, w: GraphWriter, samples: dict[str, str]) -> None:
        """Write sources, organisations, people, instruments, communities and cases into ``w``."""
        plan, r, c = self.plan, self.rng, node
        for d in range(plan.sources):
            doc = c(LCD[f"document/syn-{d:04d}"])
            prov = Prov(doc, f"syn{d:04d}", None, "curated", 1.0, "approved")
            title = f"Synthetisch rapport {d}: {self.name(d)['nl']}"
            w.fact(doc, c(RDF.type), c(LC.Document), prov)
            w.fact(doc, c(DCTERMS.title), text(title), prov)
            w.fact(doc, c(SKOS.prefLabel), text(title), prov)
            w.fact(doc, c(DCTERMS.identifier), text(f"syn{d:04d}.pdf"), prov)
            w.texts(doc, DCTERMS.description, self.prose2(15, 30), prov)
            w.fact(doc, c(DCTERMS.issued), typed(2015 + d % 11, XSD.gYear), prov)
        for o in range(plan.organisations):
            org, prov = c(LCD[f"organisation/syn-org-{o:06d}"]), self.cite(r.randrange(plan.sources))
            w.fact(org, c(RDF.type), c(LC.Organisation), prov)
            w.fact(org, c(SKOS.prefLabel), text(f"Organisatie {self.name(o)['nl']}"), prov)
            w.fact(org, c(LC.practiceType), c(LCC[r.choice(self.concepts["practice"])]), prov)
            w.fact(org, c(DCTERMS.source), prov.document or c(LCD["document/syn-0000"]), prov)
        for p in range(plan.people):
            person, prov = c(LCD[f"person/syn-person-{p:06d}"]), self.cite(r.randrange(plan.sources))
            w.fact(person, c(RDF.type), c(LC.Person), prov)
            w.fact(person, c(SKOS.prefLabel), text(f"Persoon {p}"), prov)
            org = c(LCD[f"organisation/syn-org-{r.randrange(plan.organisations):06d}"])
            w.fact(person, c(SCHEMA.affiliation), org, prov)
        for i in range(plan.instruments):
            self.instrument(w, i)
        samples["instrument_head"] = "syn-instrument-000000"
        samples["instrument_mid"] = f"syn-instrument-{plan.instruments // 20:06d}"
        samples["instrument_tail"] = f"syn-instrument-{plan.instruments - 1:06d}"
        members = Zipf(plan.organisations, ZIPF_MEMBERSHIP)
        for m in range(plan.communities):
            self.community(w, m, members)
        uses = Zipf(plan.instruments, ZIPF_USE)
        homes = Zipf(plan.communities, ZIPF_MEMBERSHIP)
        for k in range(plan.cases):
            self.case(w, k, uses, homes)
        samples["case"] = f"syn-case-{plan.cases // 2:06d}"
        samples["case_first"] = "syn-case-000000"

    def instrument(self, w: GraphWriter, i: int) -> None:
        """Write one instrument with its phase assignments and 0-3 versions."""
        r, c = self.rng, node
        s = c(LCD[f"instrument/syn-instrument-{i:06d}"])
        prov = self.cite(r.randrange(self.plan.sources))
        kind = r.choice(sorted(KIND_CLASS))
        w.fact(s, c(RDF.type), c(LC.Instrument), prov)
        w.fact(s, c(RDF.type), c(KIND_CLASS[kind]), prov)
        w.texts(s, SKOS.prefLabel, self.name(i), prov)
        w.fact(s, c(LC.catalogCode), text(f"S{i:06d}"), prov)
        w.fact(s, c(LC.instrumentKind), c(LCC[f"instrument-kind-{kind}"]), prov)
        w.texts(s, LC.purpose, self.prose2(8, 20), prov)
        w.texts(s, DCTERMS.description, self.prose2(20, 50), prov)
        if r.random() < 0.7:
            w.fact(s, c(LC.targetGroupText), text(prose(r, self.words["nl"], 6), "nl"), prov)
        for role in self.pick("role", 1, 3):
            w.fact(s, c(LC.targetRole), c(LCC[role]), prov)
        for phase in self.pick("phase", 1, 2):
            assignment = c(f"{s.value}/phase/{phase.removeprefix('phase-')}")
            w.fact(s, c(LC.servesPhase), c(LCC[phase]), prov)
            w.fact(s, c(LC.phaseAssignment), assignment, prov)
            w.fact(assignment, c(LC.phase), c(LCC[phase]), prov)
            w.fact(assignment, c(LC.phaseBasis), c(LCC[r.choice(self.concepts["phase-basis"])]), prov)
        if r.random() < 0.6:
            w.fact(s, c(SCHEMA.url), typed(f"https://example.org/instrument/{i}", XSD.anyURI), prov)
        for sector in self.pick("sector", 0, 2):
            w.fact(s, c(LC.originSector), c(LCC[sector]), prov)
        if r.random() < 0.5:
            w.texts(s, LC.originContext, self.prose2(4, 10), prov)
        if r.random() < 0.7:
            dev = c(LCD[f"organisation/syn-org-{r.randrange(self.plan.organisations):06d}"])
            w.fact(s, c(LC.developedBy), dev, prov)
        for factor in self.pick("success-factor", 0, 2):
            w.fact(s, c(LC.addressesFactor), c(LCC[factor]), prov)
        for mechanism in self.pick("boundary-mechanism", 0, 1):
            w.fact(s, c(LC.supportsBoundaryMechanism), c(LCC[mechanism]), prov)
        assert prov.document is not None
        w.fact(s, c(DCTERMS.source), prov.document, prov)
        w.fact(s, c(LC.citation), text(prov.citation or ""), prov)
        for v in range(r.choice((0, 0, 1, 1, 2, 3))):
            version = c(f"{s.value}/version/{v + 1}")
            w.fact(s, c(LC.hasVersion), version, prov)
            w.fact(version, c(RDF.type), c(LC.InstrumentVersion), prov)
            w.fact(version, c(LC.versionNumber), text(f"{v + 1}.{r.randint(0, 9)}"), prov)
            w.texts(version, LC.changelog, self.prose2(5, 15), prov)

    def community(self, w: GraphWriter, m: int, members: Zipf) -> None:
        """Write one learning community (or, one in six, a collective)."""
        r, c = self.rng, node
        s = c(LCD[f"community/syn-community-{m:06d}"])
        prov = self.cite(r.randrange(self.plan.sources))
        w.fact(s, c(RDF.type), c(LC.Collective if m % 6 == 5 else LC.LearningCommunity), prov)
        w.texts(s, SKOS.prefLabel, self.name(m), prov)
        w.fact(s, c(LC.catalogCode), text(f"M{m:06d}"), prov)
        w.texts(s, DCTERMS.description, self.prose2(20, 45), prov)
        for form in self.pick("lc-form", 1, 2):
            w.fact(s, c(LC.hasForm), c(LCC[form]), prov)
        if r.random() < 0.6:
            w.fact(s, c(LC.scaleLevel), c(LCC[r.choice(self.concepts["scale-level"])]), prov)
        if r.random() < 0.3:
            w.fact(s, c(LC.frameworkLevel), c(LCC[r.choice(self.concepts["framework-level"])]), prov)
        if m > 10 and r.random() < 0.1:
            w.fact(s, c(LC.partOf), c(LCD[f"community/syn-community-{r.randrange(m):06d}"]), prov)
        for org in members.sample(r, r.randint(1, 6)):
            w.fact(s, c(LC.hasParticipant), c(LCD[f"organisation/syn-org-{org:06d}"]), prov)
        for practice in self.pick("practice", 1, 3):
            w.fact(s, c(LC.hasPractice), c(LCC[practice]), prov)
        for sector in self.pick("sector", 1, 2):
            w.fact(s, c(LC.inSector), c(LCC[sector]), prov)
        w.fact(s, c(LC.region), text(f"Regio {r.randint(1, 40)}", "nl"), prov)
        assert prov.document is not None
        w.fact(s, c(DCTERMS.source), prov.document, prov)
        w.fact(s, c(LC.citation), text(prov.citation or ""), prov)

    def case(self, w: GraphWriter, k: int, uses: Zipf, homes: Zipf) -> None:
        """Write one case with its instruments (Zipf), outcomes and lessons."""
        r, c = self.rng, node
        s = c(LCD[f"case/syn-case-{k:06d}"])
        prov = self.cite(r.randrange(self.plan.sources))
        w.fact(s, c(RDF.type), c(LC.Case), prov)
        w.texts(s, SKOS.prefLabel, self.name(k), prov)
        w.fact(s, c(LC.catalogCode), text(f"C{k:06d}"), prov)
        w.fact(s, c(LC.community), c(LCD[f"community/syn-community-{homes.draw(r):06d}"]), prov)
        w.texts(s, DCTERMS.description, self.prose2(25, 60), prov)
        for sector in self.pick("sector", 1, 2):
            w.fact(s, c(LC.inSector), c(LCC[sector]), prov)
        for challenge in self.pick("challenge", 0, 2):
            w.fact(s, c(LC.addressesChallenge), c(LCC[challenge]), prov)
        w.fact(s, c(LC.region), text(f"Regio {r.randint(1, 40)}", "nl"), prov)
        for phase in self.pick("phase", 1, 1):
            w.fact(s, c(LC.inPhase), c(LCC[phase]), prov)
        for practice in self.pick("practice", 1, 3):
            w.fact(s, c(LC.hasPractice), c(LCC[practice]), prov)
        for instrument in uses.sample(r, r.randint(1, 6)):
            w.fact(s, c(LC.usesInstrument), c(LCD[f"instrument/syn-instrument-{instrument:06d}"]), prov)
        for n in range(r.randint(0, 3)):
            out = c(f"{s.value}/outcome/{n + 1}")
            w.fact(s, c(LC.reportsOutcome), out, prov)
            w.fact(out, c(RDF.type), c(LC.Outcome), prov)
            w.texts(out, DCTERMS.description, self.prose2(8, 20), prov)
            for scheme, predicate in (
                ("outcome-level", LC.outcomeLevel),
                ("value-cycle", LC.valueCycle),
                ("capital", LC.capital),
                ("stakeholder-type", LC.stakeholderType),
            ):
                if r.random() < 0.8:
                    w.fact(out, c(predicate), c(LCC[r.choice(self.concepts[scheme])]), prov)
        for _ in range(r.randint(0, 2)):
            w.texts(s, LC.lessonLearned, self.prose2(8, 18), prov)
        if r.random() < 0.3:
            w.fact(
                s,
                c(LC.principalInvestigator),
                c(LCD[f"person/syn-person-{r.randrange(self.plan.people):06d}"]),
                prov,
            )
        assert prov.document is not None
        w.fact(s, c(DCTERMS.source), prov.document, prov)
        w.fact(s, c(LC.citation), text(prov.citation or ""), prov)

    # --------------------------------------------------------------------------------- submissions

    def experiences(self) -> list[GraphWriter]:
        """Write the experiences, twenty per submission graph."""
        plan, r, c = self.plan, self.rng, node
        uses = Zipf(plan.instruments, ZIPF_USE)
        writers = []
        for e in range(plan.experiences):
            sub = e // EXPERIENCES_PER_SUBMISSION
            if e % EXPERIENCES_PER_SUBMISSION == 0:
                writers.append(GraphWriter(c(LCG[f"submission/syn-{sub:06d}"])))
            w = writers[-1]
            doc = c(LCD[f"document/submission-syn-{sub:06d}"])
            prov = Prov(doc, f"row {e % EXPERIENCES_PER_SUBMISSION + 2}", None, "manual", 1.0, "proposed")
            s = c(LCD[f"experience/syn-experience-{e:06d}"])
            instrument = uses.draw(r)
            case = r.randrange(plan.cases)
            w.fact(s, c(RDF.type), c(LC.Experience), prov)
            w.fact(s, c(LC.aboutInstrument), c(LCD[f"instrument/syn-instrument-{instrument:06d}"]), prov)
            w.fact(s, c(LC.inCase), c(LCD[f"case/syn-case-{case:06d}"]), prov)
            w.fact(s, c(LC.rating), typed(r.randint(1, 5), XSD.integer), prov)
            w.fact(
                s,
                c(DCTERMS.date),
                typed(f"20{r.randint(15, 25)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}", XSD.date),
                prov,
            )
            lang = "nl" if r.random() < 0.7 else "en"
            for predicate in (LC.whatWorked, LC.whatDidNotWork, LC.context, LC.observedOutcome):
                if r.random() < 0.8:
                    w.fact(s, c(predicate), text(prose(r, self.words[lang], r.randint(10, 30)), lang), prov)
        return writers

    # ----------------------------------------------------------------------------------- documents

    def documents(self, samples: dict[str, str]) -> list[tuple[GraphWriter, bool]]:
        """Write the ingested documents (50 chunks each); return each graph and whether it is approved."""
        plan, r, c = self.plan, self.rng, node
        mentioned = Zipf(plan.instruments, ZIPF_USE)
        out: list[tuple[GraphWriter, bool]] = []
        n_docs = max(1, -(-plan.chunks // CHUNKS_PER_DOCUMENT))
        for d in range(n_docs):
            w = GraphWriter(c(LCG[f"document/syn-{d:06d}"]))
            doc = c(LCD[f"document/syn-ingested-{d:06d}"])
            lang = "nl" if r.random() < 0.7 else "en"
            file_name = f"rapport-{d:06d}.pdf"
            dprov = Prov(doc, file_name, None, "rule", 1.0, "proposed")
            w.fact(doc, c(RDF.type), c(LC.Document), dprov)
            w.fact(doc, c(LC.fileName), text(file_name), dprov)
            w.fact(doc, c(LC.mediaFormat), text("pdf"), dprov)
            w.fact(doc, c(LC.language), text(lang), dprov)
            w.fact(doc, c(LC.contentHash), text(hashlib.sha256(file_name.encode()).hexdigest()), dprov)
            w.fact(doc, c(DCTERMS.title), text(f"Rapport {self.name(d)[lang]}"), dprov)
            w.fact(doc, c(LC.pageCount), typed(r.randint(5, 120), XSD.integer), dprov)
            line = 1
            size = min(CHUNKS_PER_DOCUMENT, plan.chunks - d * CHUNKS_PER_DOCUMENT)
            for i in range(size):
                chunk = c(f"{doc.value}/chunk/{i}")
                words = r.randint(40, 90)
                end = line + words // 12
                cprov = Prov(doc, f"{line}-{end}", None, "rule", 1.0, "proposed")
                w.fact(chunk, c(RDF.type), c(LC.Chunk), cprov)
                w.fact(chunk, c(LC.chunkOf), doc, cprov)
                w.fact(chunk, c(LC.chunkIndex), typed(i, XSD.integer), cprov)
                w.fact(chunk, c(LC.text), text(prose(r, self.words[lang], words), lang), cprov)
                w.fact(chunk, c(LC.lineStart), typed(line, XSD.integer), cprov)
                w.fact(chunk, c(LC.lineEnd), typed(end, XSD.integer), cprov)
                if i % 5 == 0:
                    w.fact(chunk, c(LC.sectionTitle), text(f"{i // 5 + 1}. {self.name(i)[lang]}"), cprov)
                mprov = Prov(doc, f"{line}-{end}", None, "rule", 0.8, "proposed")
                for instrument in mentioned.sample(r, r.choice((0, 1, 1, 2))):
                    target = c(LCD[f"instrument/syn-instrument-{instrument:06d}"])
                    w.fact(chunk, c(LC.mentions), target, mprov)
                line = end + 2
            out.append((w, d % PROPOSED_EVERY != PROPOSED_EVERY - 1))
        samples["document_graph"] = str(LCG["document/syn-000000"])
        return out

    # ------------------------------------------------------------------------------------- all

    def build(self) -> Dataset:
        """Generate every graph and its registry entry."""
        samples: dict[str, str] = {}
        onto, onto_hash = ontology()
        quads = list(onto)
        quads += registry_quads(
            ONTOLOGY_GRAPH,
            title="lcgraph ontology and concept schemes",
            method="curated",
            review_state="approved",
            digest=onto_hash,
        )
        approved = [ONTOLOGY_GRAPH.value]
        catalog = GraphWriter(CATALOG_GRAPH)
        self.catalog(catalog, samples)
        written: list[tuple[GraphWriter, str, str, bool]] = [
            (catalog, "lcgraph synthetic catalog", "curated", True)
        ]
        written += [
            (w, f"synthetic experiences {w.graph.value[-6:]}", "manual", True) for w in self.experiences()
        ]
        written += [(w, f"rapport {w.graph.value[-6:]}", "rule", ok) for w, ok in self.documents(samples)]
        for w, title, method, ok in written:
            quads += w.quads()
            quads += registry_quads(
                w.graph,
                title=title,
                method=method,
                review_state="approved" if ok else "proposed",
                digest=w.digest(),
            )
            if ok:
                approved.append(w.graph.value)
        plan = self.plan
        counts = {
            "quads": len(quads),
            "graphs": len(written) + 1,
            "approved graphs": len(approved),
            "instruments": plan.instruments,
            "cases": plan.cases,
            "communities": plan.communities,
            "organisations": plan.organisations,
            "experiences": plan.experiences,
            "chunks": plan.chunks,
        }
        return Dataset(quads=quads, counts=counts, samples=samples, approved=approved)


def generate(triples: int, *, seed: int = 0, chunks: int | None = None) -> Dataset:
    """Generate a data set of about ``triples`` quads (``chunks`` document chunks when given)."""
    return Generator(plan_for(triples, chunks), seed).build()


def write_nquads(data: Dataset, path: Path) -> None:
    """Write the quads as N-Quads, in generation order (deterministic bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ox.serialize(data.quads, output=str(path), format=ox.RdfFormat.N_QUADS)


def cached(
    triples: int, directory: Path, *, seed: int = 0, chunks: int | None = None
) -> tuple[Path, dict[str, object]]:
    """Return the N-Quads file and the description of a data set, generating them on first use."""
    key = f"syn-{triples}-c{chunks if chunks is not None else 'auto'}-s{seed}-v{GENERATOR_VERSION}"
    data_path, meta_path = directory / f"{key}.nq", directory / f"{key}.json"
    if data_path.is_file() and meta_path.is_file():
        return data_path, json.loads(meta_path.read_text(encoding="utf-8"))
    data = generate(triples, seed=seed, chunks=chunks)
    tmp = data_path.with_suffix(".tmp")
    write_nquads(data, tmp)
    tmp.replace(data_path)
    meta: dict[str, object] = {"counts": data.counts, "samples": data.samples, "approved": data.approved}
    meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return data_path, meta


def main(argv: Sequence[str] | None = None) -> None:
    """Write one data set as N-Quads and print its counts."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--triples", type=int, default=10_000, help="about how many quads (default 10000)")
    parser.add_argument(
        "--chunks", type=int, default=None, help="document chunks (default: a quarter of the data)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="N-Quads file to write")
    args = parser.parse_args(argv)
    data = generate(args.triples, seed=args.seed, chunks=args.chunks)
    write_nquads(data, args.out)
    print(json.dumps({"counts": data.counts, "samples": data.samples}, indent=1))


if __name__ == "__main__":
    main()
