"""The curated catalog: read the YAML entries that ship with lcgraph and turn them into facts.

Every fact carries its provenance (source document, line span, section, method ``curated``).
Reading reports every problem with its file, entry and field; nothing is written here.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF

from kg.entries import (
    CaseEntry,
    DocumentEntry,
    InstrumentEntry,
    OptionalText,
    OrganisationEntry,
    PersonEntry,
    Source,
    Text,
)
from kg.errors import InvalidInput
from kg.provenance import Provenance, Triple
from ontology.vocab import LC, LCC, LCD, SCHEMA

CATALOG_DIR = Path(__file__).resolve().parent

KIND_CLASS = {
    "tool": LC.Tool,
    "method": LC.Method,
    "work-form": LC.WorkForm,
    "framework": LC.Framework,
    "resource": LC.Resource,
}

M = TypeVar("M", bound=BaseModel)


@dataclass
class Catalog:
    """The validated entries of a catalog directory."""

    instruments: list[InstrumentEntry] = field(default_factory=list)
    cases: list[CaseEntry] = field(default_factory=list)
    organisations: list[OrganisationEntry] = field(default_factory=list)
    people: list[PersonEntry] = field(default_factory=list)
    documents: list[DocumentEntry] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    """The file each entry came from, keyed ``"<kind>:<slug>"`` (for problem reports)."""

    def file_of(self, kind: str, slug: str) -> str:
        """Return the file name an entry was read from."""
        return self.files.get(f"{kind}:{slug}", f"{kind}.yaml")


def instrument_iri(slug: str) -> URIRef:
    """Return the IRI of the instrument with this slug."""
    return LCD[f"instrument/{slug}"]


def case_iri(slug: str) -> URIRef:
    """Return the IRI of the case with this slug."""
    return LCD[f"case/{slug}"]


def community_iri(slug: str) -> URIRef:
    """Return the IRI of the community (or collective) with this slug."""
    return LCD[f"community/{slug}"]


def organisation_iri(slug: str) -> URIRef:
    """Return the IRI of the organisation with this slug."""
    return LCD[f"organisation/{slug}"]


def person_iri(slug: str) -> URIRef:
    """Return the IRI of the person with this slug."""
    return LCD[f"person/{slug}"]


def document_iri(key: str) -> URIRef:
    """Return the IRI of the corpus document with this three-digit key."""
    return LCD[f"document/{key}"]


def _load_yaml(path: Path, problems: list[str]) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark is not None else path.name
        problems.append(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}")
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(f"{path.name}: expected a list of entries, found {type(data).__name__}")
        return []
    return data


def _validate(path: Path, model: type[M], problems: list[str]) -> list[M]:
    out: list[M] = []
    for index, raw in enumerate(_load_yaml(path, problems), start=1):
        label = raw.get("slug") or raw.get("key") if isinstance(raw, dict) else None
        try:
            out.append(model.model_validate(raw))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(f"{path.name}: entry {index} ({label or '?'}), field {loc}: {err['msg']}")
    return out


def read_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Read and validate every catalog file in ``directory`` (``instruments*.yaml``, ``cases*.yaml``, ...).

    Raises:
        InvalidInput: with one problem per bad entry field, duplicate slug or dangling reference.
    """
    problems: list[str] = []
    kinds = ("instruments", "cases", "organisations", "people", "documents")
    files = {kind: sorted(directory.glob(f"{kind}*.yaml")) for kind in kinds}
    for kind, paths in files.items():
        if not paths:
            problems.append(f"{directory / (kind + '.yaml')}: missing catalog file ({kind})")
    if problems:
        raise InvalidInput("the catalog is incomplete", where=str(directory), problems=problems)

    origin: dict[str, str] = {}

    def read_all(kind: str, model: type[M]) -> list[M]:
        out: list[M] = []
        for path in files[kind]:
            for entry in _validate(path, model, problems):
                key = getattr(entry, "slug", None) or getattr(entry, "key", "")
                origin[f"{kind}:{key}"] = path.name
                out.append(entry)
        return out

    catalog = Catalog(
        instruments=read_all("instruments", InstrumentEntry),
        cases=read_all("cases", CaseEntry),
        organisations=read_all("organisations", OrganisationEntry),
        people=read_all("people", PersonEntry),
        documents=read_all("documents", DocumentEntry),
        files=origin,
    )
    problems.extend(check_references(catalog))
    if problems:
        raise InvalidInput(
            f"the catalog has {len(problems)} problem(s)", where=str(directory), problems=problems
        )
    return catalog


def _duplicates(kind: str, slugs: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for slug in slugs:
        if slug in seen:
            out.append(f"{kind}: slug {slug!r} is used more than once")
        seen.add(slug)
    return out


def known_concepts() -> set[str]:
    """Return the local names of every concept (``phase-start``, ``sector-healthcare``, ...)."""
    return {name for name in dir(LCC) if not name.startswith("_")} | set(getattr(LCC, "_extras", []))


def check_references(catalog: Catalog) -> list[str]:
    """Return one problem per duplicate slug, dangling reference or unknown concept."""
    problems: list[str] = []
    problems += _duplicates("instruments.yaml", (e.slug for e in catalog.instruments))
    problems += _duplicates("cases.yaml", (e.slug for e in catalog.cases))
    problems += _duplicates("organisations.yaml", (e.slug for e in catalog.organisations))
    problems += _duplicates("people.yaml", (e.slug for e in catalog.people))
    problems += _duplicates("documents.yaml", (e.key for e in catalog.documents))
    instruments = {e.slug for e in catalog.instruments}
    cases = {e.slug for e in catalog.cases}
    orgs = {e.slug for e in catalog.organisations}
    people = {e.slug for e in catalog.people}
    docs = {e.key for e in catalog.documents}
    known = known_concepts()

    def concept_ok(where: str, scheme: str, slug: str | None) -> None:
        if slug is not None and f"{scheme}-{slug}" not in known:
            problems.append(f"{where}: {slug!r} is not a concept of the {scheme!r} scheme")

    def source_ok(where: str, source: Source | None) -> None:
        if source is not None and source.document_key not in docs:
            problems.append(f"{where}: source {source.cite!r} names an unknown document")

    for e in catalog.instruments:
        w = f"{catalog.file_of('instruments', e.slug)}: {e.slug}"
        concept_ok(f"{w}, field kind", "instrument-kind", e.kind)
        for r in e.target_roles:
            concept_ok(f"{w}, field target_roles", "role", r)
        for ph in e.phases:
            concept_ok(f"{w}, field phases.phase", "phase", ph.phase)
            concept_ok(f"{w}, field phases.basis", "phase-basis", ph.basis)
        for s in e.origin_sectors:
            concept_ok(f"{w}, field origin_sectors", "sector", s)
        for d in e.developers:
            if d not in orgs and d not in people:
                problems.append(f"{w}, field developers: {d!r} is neither an organisation nor a person")
        for a in e.addresses:
            if a not in known:
                problems.append(f"{w}, field addresses: {a!r} is not a known concept id")
        for b in e.boundary_mechanisms:
            concept_ok(f"{w}, field boundary_mechanisms", "boundary-mechanism", b)
        source_ok(f"{w}, field source", e.source)
        if e.source is None:
            problems.append(f"{w}, field source: the curated catalog needs a citation")
        for field_name in ("name", "purpose", "description"):
            text = getattr(e, field_name)
            if not (text.nl and text.en):
                problems.append(f"{w}, field {field_name}: the curated catalog gives it in nl and en")
        if e.adaptation_of is not None and e.adaptation_of not in instruments:
            problems.append(f"{w}, field adaptation_of: unknown instrument {e.adaptation_of!r}")
    for c in catalog.cases:
        problems += case_reference_problems(
            c,
            f"{catalog.file_of('cases', c.slug)}: {c.slug}",
            concepts=known,
            instruments=instruments,
            organisations=orgs,
            people=people,
            cases=cases,
            documents=docs,
        )
        if c.source is None:
            problems.append(
                f"{catalog.file_of('cases', c.slug)}: {c.slug}, field source: "
                "the curated catalog needs a citation"
            )
    for o_ in catalog.organisations:
        concept_ok(f"organisations.yaml: {o_.slug}, field practice", "practice", o_.practice)
        source_ok(f"organisations.yaml: {o_.slug}, field source", o_.source)
    for p_ in catalog.people:
        if p_.affiliation is not None and p_.affiliation not in orgs:
            problems.append(
                f"people.yaml: {p_.slug}, field affiliation: unknown organisation {p_.affiliation!r}"
            )
        source_ok(f"people.yaml: {p_.slug}, field source", p_.source)
    return problems


def case_reference_problems(
    entry: CaseEntry,
    where: str,
    *,
    concepts: Container[str],
    instruments: Container[str],
    organisations: Container[str],
    people: Container[str],
    cases: Container[str],
    documents: Container[str] | None = None,
) -> list[str]:
    """Return one problem per unknown concept or dangling reference of one case entry.

    The catalog checks against its own entries; submitted case entries (``ingest``) check against
    the current graph. Every problem reads ``"<where>, field <field>: <message>"`` where ``field`` is
    the dotted path in the entry (outcomes counted from 1).

    Args:
        entry: the validated case entry.
        where: the prefix that locates the entry, e.g. ``"cases.yaml: gas-erop"``.
        concepts: known concept ids (``"<scheme>-<slug>"``).
        instruments: known instrument slugs.
        organisations: known organisation slugs.
        people: known person slugs.
        cases: known case (and community) slugs, for ``community.part_of``.
        documents: known corpus document keys; ``None`` skips the source check.
    """
    problems: list[str] = []
    c = entry
    w = where

    def concept_ok(field_: str, scheme: str, slug: str | None) -> None:
        if slug is not None and f"{scheme}-{slug}" not in concepts:
            problems.append(f"{w}, field {field_}: {slug!r} is not a concept of the {scheme!r} scheme")

    for f_ in c.community.forms:
        concept_ok("community.forms", "lc-form", f_)
    concept_ok("community.scale_level", "scale-level", c.community.scale_level)
    concept_ok("community.framework_level", "framework-level", c.community.framework_level)
    if c.community.part_of is not None and c.community.part_of not in cases:
        problems.append(f"{w}, field community.part_of: unknown case {c.community.part_of!r}")
    for p in c.community.participants:
        if p not in organisations:
            problems.append(f"{w}, field community.participants: unknown organisation {p!r}")
    for pr in c.community.practices:
        concept_ok("community.practices", "practice", pr)
    for s in c.case.sectors:
        concept_ok("case.sectors", "sector", s)
    for ch in c.case.challenges:
        concept_ok("case.challenges", "challenge", ch)
    for ph_ in c.case.phases:
        concept_ok("case.phases", "phase", ph_)
    for i in c.case.instruments:
        if i not in instruments:
            problems.append(f"{w}, field case.instruments: unknown instrument {i!r}")
    for n, o in enumerate(c.case.outcomes, start=1):
        concept_ok(f"case.outcomes.{n}.level", "outcome-level", o.level)
        concept_ok(f"case.outcomes.{n}.value_cycle", "value-cycle", o.value_cycle)
        concept_ok(f"case.outcomes.{n}.capital", "capital", o.capital)
        concept_ok(f"case.outcomes.{n}.stakeholder", "stakeholder-type", o.stakeholder)
    for pi in c.case.principal_investigators:
        if pi not in people:
            problems.append(f"{w}, field case.principal_investigators: unknown person {pi!r}")
    if c.source is not None and documents is not None and c.source.document_key not in documents:
        problems.append(f"{w}, field source: source {c.source.cite!r} names an unknown document")
    return problems


def _concept(scheme: str, slug: str) -> URIRef:
    return LCC[f"{scheme}-{slug}"]


def _texts(subject: URIRef, predicate: URIRef, text: Text | OptionalText | None) -> Iterator[Triple]:
    if text is None:
        return
    if text.nl:
        yield (subject, predicate, Literal(text.nl.strip(), lang="nl"))
    if text.en:
        yield (subject, predicate, Literal(text.en.strip(), lang="en"))


def _alt_names(subject: URIRef, names: list[str | OptionalText]) -> Iterator[Triple]:
    for name in names:
        if isinstance(name, str):
            yield (subject, SKOS.altLabel, Literal(name))
        else:
            yield from _texts(subject, SKOS.altLabel, name)


class CatalogMapper:
    """Map validated catalog entries to facts, each with the provenance of its entry."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._slugs_of_people = {p.slug for p in catalog.people}

    def _prov(self, source: Source | None) -> Provenance:
        if source is None:
            return Provenance(document=None, method="curated")
        return Provenance(
            document=document_iri(source.document_key),
            citation=source.cite,
            section=source.section,
            method="curated",
        )

    def facts(self) -> Iterator[tuple[Triple, Provenance]]:
        """Yield every fact of the catalog with its provenance."""
        for d in self.catalog.documents:
            for t in self._document(d):
                yield t, Provenance(document=document_iri(d.key), citation=d.key, method="curated")
        for o in self.catalog.organisations:
            prov = self._prov(o.source)
            for t in self._organisation(o):
                yield t, prov
        for p in self.catalog.people:
            prov = self._prov(p.source)
            for t in self._person(p):
                yield t, prov
        for i in self.catalog.instruments:
            prov = self._prov(i.source)
            for t in self._instrument(i):
                yield t, prov
        for c in self.catalog.cases:
            prov = self._prov(c.source)
            for t in self.case_triples(c):
                yield t, prov

    def _document(self, d: DocumentEntry) -> Iterator[Triple]:
        s = document_iri(d.key)
        yield (s, RDF.type, LC.Document)
        yield (s, DCTERMS.title, Literal(d.title))
        yield (s, SKOS.prefLabel, Literal(d.title))
        yield (s, DCTERMS.identifier, Literal(d.file))
        yield from _texts(s, DCTERMS.description, d.description)
        if d.year is not None:
            yield (s, DCTERMS.issued, Literal(str(d.year), datatype=XSD.gYear))
        if d.publisher:
            yield (s, DCTERMS.publisher, Literal(d.publisher))

    def _organisation(self, o: OrganisationEntry) -> Iterator[Triple]:
        s = organisation_iri(o.slug)
        yield (s, RDF.type, LC.Organisation)
        yield (s, SKOS.prefLabel, Literal(o.name))
        yield (s, RDFS.label, Literal(o.name))
        if o.practice:
            yield (s, LC.practiceType, _concept("practice", o.practice))
        if o.source:
            yield (s, DCTERMS.source, document_iri(o.source.document_key))

    def _person(self, p: PersonEntry) -> Iterator[Triple]:
        s = person_iri(p.slug)
        yield (s, RDF.type, LC.Person)
        yield (s, FOAF.name, Literal(p.name))
        yield (s, SKOS.prefLabel, Literal(p.name))
        if p.affiliation:
            yield (s, SCHEMA.affiliation, organisation_iri(p.affiliation))

    def _agent(self, slug: str) -> URIRef:
        return person_iri(slug) if slug in self._slugs_of_people else organisation_iri(slug)

    def _instrument(self, e: InstrumentEntry) -> Iterator[Triple]:
        s = instrument_iri(e.slug)
        yield (s, RDF.type, LC.Instrument)
        yield (s, RDF.type, KIND_CLASS[e.kind])
        yield from _texts(s, SKOS.prefLabel, e.name)
        yield from _alt_names(s, e.alt_names)
        if e.code:
            yield (s, LC.catalogCode, Literal(e.code))
        yield (s, LC.instrumentKind, _concept("instrument-kind", e.kind))
        yield from _texts(s, LC.purpose, e.purpose)
        yield from _texts(s, DCTERMS.description, e.description)
        if e.target_group_text:
            yield (s, LC.targetGroupText, Literal(e.target_group_text, lang="nl"))
        for role in e.target_roles:
            yield (s, LC.targetRole, _concept("role", role))
        for ph in e.phases:
            phase = _concept("phase", ph.phase)
            node = LCD[f"instrument/{e.slug}/phase/{ph.phase}-{ph.basis}"]
            yield (s, LC.servesPhase, phase)
            yield (s, LC.phaseAssignment, node)
            yield (node, LC.phase, phase)
            yield (node, LC.phaseBasis, _concept("phase-basis", ph.basis))
        if e.url:
            yield (s, SCHEMA.url, Literal(e.url.strip(), datatype=XSD.anyURI))
        for sector in e.origin_sectors:
            yield (s, LC.originSector, _concept("sector", sector))
        yield from _texts(s, LC.originContext, e.origin_context)
        for dev in e.developers:
            yield (s, LC.developedBy, self._agent(dev))
        if e.developer_text:
            yield (s, LC.developerText, Literal(e.developer_text))
        for concept_id in e.addresses:
            yield (s, LC.addressesFactor, LCC[concept_id])
        for mech in e.boundary_mechanisms:
            yield (s, LC.supportsBoundaryMechanism, _concept("boundary-mechanism", mech))
        if e.adaptation_of:
            yield (s, LC.adaptationOf, instrument_iri(e.adaptation_of))
        if e.source is not None:
            yield (s, DCTERMS.source, document_iri(e.source.document_key))
            yield (s, LC.citation, Literal(e.source.cite))

    def instrument_triples(self, e: InstrumentEntry) -> list[Triple]:
        """Return the facts of one instrument entry (curated or submitted)."""
        return list(self._instrument(e))

    def case_triples(self, e: CaseEntry) -> Iterator[Triple]:
        """Return the facts of one case entry: the community (or collective) side and the case side."""
        case = case_iri(e.slug)
        com = community_iri(e.slug)
        doc = document_iri(e.source.document_key) if e.source is not None else None
        # The community (or collective) side.
        yield (com, RDF.type, LC.LearningCommunity if e.entity == "learning-community" else LC.Collective)
        if e.entity == "counter-example":
            yield (com, LC.isCounterExample, Literal(True))
        yield from _texts(com, SKOS.prefLabel, e.name)
        yield from _alt_names(com, e.alt_names)
        if e.code:
            yield (com, LC.catalogCode, Literal(e.code))
        yield from _texts(com, DCTERMS.description, e.community.description)
        for form in e.community.forms:
            yield (com, LC.hasForm, _concept("lc-form", form))
        if e.community.scale_level:
            yield (com, LC.scaleLevel, _concept("scale-level", e.community.scale_level))
        if e.community.framework_level:
            yield (com, LC.frameworkLevel, _concept("framework-level", e.community.framework_level))
        if e.community.part_of:
            yield (com, LC.partOf, community_iri(e.community.part_of))
        for org in e.community.participants:
            yield (com, LC.hasParticipant, organisation_iri(org))
        for practice in e.community.practices:
            yield (com, LC.hasPractice, _concept("practice", practice))
        for sector in e.case.sectors:
            yield (com, LC.inSector, _concept("sector", sector))
        yield from _texts(com, LC.region, e.case.region)
        if doc is not None and e.source is not None:
            yield (com, DCTERMS.source, doc)
            yield (com, LC.citation, Literal(e.source.cite))
        # The case side.
        yield (case, RDF.type, LC.Case)
        yield from _texts(case, SKOS.prefLabel, e.name)
        yield from _alt_names(case, e.alt_names)
        if e.code:
            yield (case, LC.catalogCode, Literal(e.code))
        yield (case, LC.community, com)
        yield from _texts(case, DCTERMS.description, e.case.description)
        for sector in e.case.sectors:
            yield (case, LC.inSector, _concept("sector", sector))
        for challenge in e.case.challenges:
            yield (case, LC.addressesChallenge, _concept("challenge", challenge))
        yield from _texts(case, LC.region, e.case.region)
        for phase in e.case.phases:
            yield (case, LC.inPhase, _concept("phase", phase))
        for practice in e.community.practices:
            yield (case, LC.hasPractice, _concept("practice", practice))
        for instrument in e.case.instruments:
            yield (case, LC.usesInstrument, instrument_iri(instrument))
        for n, o in enumerate(e.case.outcomes, start=1):
            out = LCD[f"case/{e.slug}/outcome/{n}"]
            yield (case, LC.reportsOutcome, out)
            yield (out, RDF.type, LC.Outcome)
            yield from _texts(out, DCTERMS.description, o.text)
            if o.level:
                yield (out, LC.outcomeLevel, _concept("outcome-level", o.level))
            if o.value_cycle:
                yield (out, LC.valueCycle, _concept("value-cycle", o.value_cycle))
            if o.capital:
                yield (out, LC.capital, _concept("capital", o.capital))
            if o.stakeholder:
                yield (out, LC.stakeholderType, _concept("stakeholder-type", o.stakeholder))
        for lesson in e.case.lessons:
            yield from _texts(case, LC.lessonLearned, lesson)
        for pi in e.case.principal_investigators:
            yield (case, LC.principalInvestigator, person_iri(pi))
        if doc is not None and e.source is not None:
            yield (case, DCTERMS.source, doc)
            yield (case, LC.citation, Literal(e.source.cite))


def catalog_facts(catalog: Catalog) -> list[tuple[Triple, Provenance]]:
    """Return every fact of a validated catalog with its provenance."""
    return list(CatalogMapper(catalog).facts())


def facts_graph(facts: Iterable[tuple[Triple, Provenance]]) -> Graph:
    """Collect facts (without provenance records) into an rdflib graph, e.g. for SHACL."""
    graph = Graph()
    for (s, p, o), _ in facts:
        graph.add((s, p, o))
    return graph


__all__ = [
    "CATALOG_DIR",
    "Catalog",
    "CatalogMapper",
    "case_iri",
    "case_reference_problems",
    "catalog_facts",
    "community_iri",
    "document_iri",
    "facts_graph",
    "instrument_iri",
    "organisation_iri",
    "person_iri",
    "read_catalog",
]
