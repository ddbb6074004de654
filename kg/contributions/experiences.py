"""Experience reports: how an instrument (and version) worked in a case or community, and their aggregates.

A report is a graph ``lcg:contrib/experience/<id>`` describing one ``lc:Experience``: the instrument and
version, the case or community, sector and phase, context, group composition, what worked and what did
not, adaptations, observed outcomes by value type (``lc:Outcome`` nodes with a ``lc:valueCycle``), a
rating from 1 to 5 and evidence links. Aggregates and lists read the public dataset only, so a pending
report never shows in an instrument's numbers or feeds.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.catalog import case_iri, community_iri, instrument_iri
from kg.contributions.audit import account_node, now_iso
from kg.contributions.checks import checked_slug, unknown_concepts
from kg.contributions.submissions import CONTRIB, Submission, Submissions
from kg.entries import Slug
from kg.errors import InvalidInput, NotFound
from kg.graph import KnowledgeGraph
from kg.permissions import Principal
from kg.provenance import Triple
from ontology.vocab import LC, LCD, LCG, concept

Lang = str


class ObservedOutcome(BaseModel):
    """One result the practitioner saw, classified by value type (a value-creation cycle)."""

    model_config = ConfigDict(extra="forbid")

    value_type: Slug = Field(description="expected, immediate, potential, applied, realised, transformative.")
    text: str = Field(min_length=1, max_length=2000)


class ExperienceInput(BaseModel):
    """A structured report of using an instrument."""

    model_config = ConfigDict(extra="forbid")

    instrument: Slug
    version: str | None = Field(
        default=None, max_length=40, pattern=r"^[0-9A-Za-z.+-]+$", description="The version used, if known."
    )
    case: Slug | None = None
    community: Slug | None = None
    sector: Slug | None = None
    phase: Slug | None = None
    context: str = Field(min_length=1, max_length=4000)
    group_composition: str | None = Field(default=None, max_length=2000)
    what_worked: str | None = Field(default=None, max_length=4000)
    what_did_not_work: str | None = Field(default=None, max_length=4000)
    adaptations: str | None = Field(default=None, max_length=4000)
    outcomes: list[ObservedOutcome] = Field(default_factory=list, max_length=20)
    rating: int = Field(ge=1, le=5)
    evidence_links: list[str] = Field(default_factory=list, max_length=10)
    language: str = Field(default="nl", pattern="^(nl|en)$", description="Language of the free texts.")
    used_on: date | None = None


class ExperienceView(BaseModel):
    """One public experience report."""

    iri: str
    instrument: str
    version: str | None = None
    case: str | None = None
    community: str | None = None
    sector: str | None = None
    phase: str | None = None
    context: str | None = None
    what_worked: str | None = None
    what_did_not_work: str | None = None
    adaptations: str | None = None
    group_composition: str | None = None
    rating: int | None = None
    outcomes: list[ObservedOutcome] = Field(default_factory=list)
    evidence_links: list[str] = Field(default_factory=list)
    author: str | None = None
    created: str | None = None


class ExperienceAggregate(BaseModel):
    """What the public reports on one instrument (or made in one community) add up to."""

    instrument: str = Field(description="What the reports are about: the instrument (or the community).")
    count: int
    mean_rating: float | None
    ratings: dict[int, int] = Field(description="How many reports gave each rating 1-5.")
    sectors: dict[str, int]
    phases: dict[str, int]
    value_types: dict[str, int]


class InstrumentExperiences(BaseModel):
    """An instrument's aggregate and its reports, newest first."""

    aggregate: ExperienceAggregate
    experiences: list[ExperienceView]


_FIELDS = {
    "context": LC.context,
    "group_composition": LC.groupComposition,
    "what_worked": LC.whatWorked,
    "what_did_not_work": LC.whatDidNotWork,
    "adaptations": LC.adaptations,
}


class Experiences:
    """Write experience reports and read them back per instrument and per developer."""

    def __init__(self, kg: KnowledgeGraph, submissions: Submissions | None = None) -> None:
        self.kg = kg
        self.submissions = submissions or Submissions(kg)

    def report(self, principal: Principal, data: ExperienceInput) -> Submission:
        """Store a report; it is public at once for trusted accounts, otherwise it waits for review."""
        problems = unknown_concepts(
            [
                ("sector", "sector", [data.sector]),
                ("phase", "phase", [data.phase]),
                ("outcomes.value_type", "value-cycle", [o.value_type for o in data.outcomes]),
            ]
        )
        if problems:
            raise InvalidInput("; ".join(problems), where=problems[0].split(":", 1)[0])
        instrument = instrument_iri(data.instrument)
        if not self.kg.exists(str(instrument)):
            raise InvalidInput(f"no instrument {data.instrument!r}", where="instrument")
        for field_name, iri in (
            ("case", data.case and case_iri(data.case)),
            ("community", data.community and community_iri(data.community)),
        ):
            if iri and not self.kg.exists(str(iri)):
                raise InvalidInput(f"no {field_name} {getattr(data, field_name)!r}", where=field_name)
        version = None
        if data.version:
            version = LCD[f"instrument/{data.instrument}/version/{data.version}"]
            if not self.kg.exists(str(version)):
                raise InvalidInput(f"{data.instrument} has no version {data.version}", where="version")
        for link in data.evidence_links:
            if not link.startswith(("https://", "http://")):
                raise InvalidInput(f"{link!r} is not a web address", where="evidence_links")
        assert principal.account_id is not None
        key = f"{date.today().isoformat()}-{secrets.token_hex(4)}"
        e = LCD[f"experience/{key}"]
        triples = self._triples(e, key, data, instrument, version, principal.account_id)
        return self.submissions.write(
            principal,
            kind="experience",
            graph=LCG[f"{CONTRIB}experience/{key}"],
            entity=e,
            triples=triples,
            title=f"Experience with {data.instrument} (rating {data.rating})",
            state=self.submissions.initial_state(principal),
        )

    @staticmethod
    def _triples(
        e: URIRef, key: str, data: ExperienceInput, instrument: URIRef, version: URIRef | None, author: str
    ) -> list[Triple]:
        lang = data.language
        triples: list[Triple] = [
            (e, RDF.type, LC.Experience),
            (e, LC.aboutInstrument, instrument),
            (e, LC.rating, Literal(data.rating, datatype=XSD.integer)),
            (e, PROV.wasAttributedTo, account_node(author)),
            (e, DCTERMS.created, Literal(now_iso(), datatype=XSD.dateTime)),
        ]
        if version is not None:
            triples.append((e, LC.instrumentVersion, version))
        if data.case:
            triples.append((e, LC.inCase, case_iri(data.case)))
        if data.community:
            triples.append((e, LC.inCommunity, community_iri(data.community)))
        if data.sector:
            triples.append((e, LC.inSector, concept("sector", data.sector)))
        if data.phase:
            triples.append((e, LC.inPhase, concept("phase", data.phase)))
        if data.used_on:
            triples.append((e, DCTERMS.date, Literal(data.used_on.isoformat(), datatype=XSD.date)))
        for name, predicate in _FIELDS.items():
            text = getattr(data, name)
            if text:
                triples.append((e, predicate, Literal(text, lang=lang)))
        for n, outcome in enumerate(data.outcomes, start=1):
            o = LCD[f"experience/{key}/outcome/{n}"]
            triples += [
                (e, LC.reportsOutcome, o),
                (o, RDF.type, LC.Outcome),
                (o, LC.valueCycle, concept("value-cycle", outcome.value_type)),
                (o, DCTERMS.description, Literal(outcome.text, lang=lang)),
            ]
        for link in data.evidence_links:
            triples.append((e, LC.evidenceLink, Literal(link, datatype=XSD.anyURI)))
        return triples

    def _views(self, where: str) -> list[ExperienceView]:
        q = f"""PREFIX lc: <{LC._NS}> PREFIX dct: <{DCTERMS}> PREFIX prov: <{PROV}>
        SELECT ?e ?p ?o ?ov ?ot WHERE {{ {where} ?e a lc:Experience ; ?p ?o .
          OPTIONAL {{ ?e lc:reportsOutcome ?o . ?o lc:valueCycle ?ov ; dct:description ?ot }} }}"""
        views: dict[str, dict[str, object]] = {}
        for row in self.kg.select_public(q):
            v = views.setdefault(
                row["e"].value, {"iri": row["e"].value, "outcomes": {}, "evidence_links": []}
            )
            p, o = row["p"].value, row["o"]
            value = str(o.value)
            for name, predicate in _FIELDS.items():
                if p == str(predicate):
                    v[name] = value
            simple = {
                str(LC.aboutInstrument): "instrument",
                str(LC.inCase): "case",
                str(LC.inCommunity): "community",
                str(LC.inSector): "sector",
                str(LC.inPhase): "phase",
                str(DCTERMS.created): "created",
                str(LC.instrumentVersion): "version",
            }
            if p in simple:
                v[simple[p]] = value.rsplit("/", 1)[-1] if p == str(LC.instrumentVersion) else value
            elif p == str(LC.rating):
                v["rating"] = int(value)
            elif p == str(PROV.wasAttributedTo):
                v["author"] = value.rsplit("/", 1)[-1]
            elif p == str(LC.evidenceLink):
                links = v["evidence_links"]
                assert isinstance(links, list)
                if value not in links:
                    links.append(value)
            if "ov" in row:
                outcomes = v["outcomes"]
                assert isinstance(outcomes, dict)
                outcomes[row["o"].value] = ObservedOutcome(
                    value_type=row["ov"].value.rsplit("value-cycle-", 1)[-1], text=str(row["ot"].value)
                )
        out = []
        for v in views.values():
            outcomes = v.pop("outcomes")
            assert isinstance(outcomes, dict)
            out.append(ExperienceView(**v, outcomes=[outcomes[k] for k in sorted(outcomes)]))  # type: ignore[arg-type]
        return sorted(out, key=lambda x: x.created or "", reverse=True)

    def for_instrument(self, slug: str) -> InstrumentExperiences:
        """Return the public reports on an instrument and what they add up to."""
        s = instrument_iri(checked_slug(slug, "instrument"))
        if not self.kg.exists(str(s)):
            raise NotFound(f"no instrument {slug!r}")
        views = self._views(f"?e <{LC.aboutInstrument}> <{s}> .")
        return InstrumentExperiences(aggregate=aggregate(str(s), views), experiences=views)

    def for_community(self, slug: str) -> InstrumentExperiences:
        """Return the public reports made in a community or its case, and what they add up to.

        A case and its community share their slug; a report may name either, so both are read.
        """
        slug = checked_slug(slug, "community")
        community, case = community_iri(slug), case_iri(slug)
        if not (self.kg.exists(str(community)) or self.kg.exists(str(case))):
            raise NotFound(f"no community or case {slug!r}")
        where = f"{{ ?e <{LC.inCommunity}> <{community}> }} UNION {{ ?e <{LC.inCase}> <{case}> }}"
        views = self._views(where)
        return InstrumentExperiences(aggregate=aggregate(str(community), views), experiences=views)

    def for_developer(self, account_id: str) -> list[ExperienceView]:
        """Return the public reports on every instrument the account published, newest first."""
        return self._views(
            f"?e <{LC.aboutInstrument}> ?i . "
            f"?i <{PROV.wasAttributedTo}> <{account_node(checked_slug(account_id, 'account'))}> ."
        )


def aggregate(instrument: str, views: list[ExperienceView]) -> ExperienceAggregate:
    """Sum up reports: count, mean rating, and where (sector, phase) and with what value they were used."""
    ratings = Counter(v.rating for v in views if v.rating is not None)
    total = sum(ratings.values())

    def local(value: str | None, scheme: str) -> str | None:
        return value.rsplit(f"{scheme}-", 1)[-1] if value else None

    return ExperienceAggregate(
        instrument=instrument,
        count=len(views),
        mean_rating=round(sum(r * n for r, n in ratings.items()) / total, 2) if total else None,
        ratings={r: ratings.get(r, 0) for r in range(1, 6)},
        sectors=dict(Counter(s for v in views if (s := local(v.sector, "sector"))).most_common()),
        phases=dict(Counter(p for v in views if (p := local(v.phase, "phase"))).most_common()),
        value_types=dict(Counter(o.value_type for v in views for o in v.outcomes).most_common()),
    )
