"""Cases and communities that Webbers document: creation, a development timeline and self-assessments.

A Webber creates a case together with its community (the case-entry format of the catalog,
:class:`kg.entries.CaseEntry`, in a graph ``lcg:contrib/case/<slug>``), then records development steps
(phase transitions, activities, instruments applied, outcomes, decisions) and periodic self-assessments of
the twelve success factors of Seeds of Innovation (a score from 1 to 5 and a note per factor). An
assessment is private unless its owner shares it; shared scores of other communities are averaged for
comparison. The owner of the case and moderators may add steps and assessments.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import date

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict, Field
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDFS

from kg.catalog import (
    Catalog,
    CatalogMapper,
    case_iri,
    case_reference_problems,
    community_iri,
    known_concepts,
)
from kg.contributions.audit import account_node
from kg.contributions.checks import checked_slug, unknown_concepts
from kg.contributions.experiences import ObservedOutcome
from kg.contributions.submissions import CONTRIB, Submission, Submissions
from kg.entries import CaseEntry, Slug
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound
from kg.graph import KnowledgeGraph
from kg.permissions import Principal
from kg.provenance import Triple
from kg.visibility import can_moderate, dataset_for, may_read_graph
from ontology.vocab import LC, LCD, LCG, concept

FACTOR_PREFIX = "success-factor-"


def success_factors() -> list[str]:
    """Return the twelve success-factor slugs (``sf01-driven-committed``, ...) in order."""
    return sorted(
        c.removeprefix(FACTOR_PREFIX) for c in known_concepts() if c.startswith(FACTOR_PREFIX + "sf")
    )


class StepInput(BaseModel):
    """One step in a community's development."""

    model_config = ConfigDict(extra="forbid")

    on: date
    kind: Slug = Field(description="phase-transition, activity, instrument-applied, outcome or decision.")
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=4000)
    phase: Slug | None = Field(
        default=None, description="The phase entered (phase transitions) or worked in."
    )
    instruments: list[Slug] = Field(default_factory=list, max_length=20)
    outcomes: list[ObservedOutcome] = Field(default_factory=list, max_length=20)
    language: str = Field(default="nl", pattern="^(nl|en)$")


class FactorScore(BaseModel):
    """The score of one success factor and the reason for it."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=1, le=5)
    note: str | None = Field(default=None, max_length=2000)


class AssessmentInput(BaseModel):
    """A self-assessment of (some of) the twelve success factors on one date."""

    model_config = ConfigDict(extra="forbid")

    on: date
    scores: dict[str, FactorScore] = Field(description="Factor slug (e.g. sf05-shared-vision) to score.")
    shared: bool = Field(default=False, description="Let other communities see these scores.")
    language: str = Field(default="nl", pattern="^(nl|en)$")


class StepView(BaseModel):
    """A recorded step, for the timeline."""

    iri: str
    on: str
    kind: str
    title: str
    description: str | None = None
    phase: str | None = None
    instruments: list[str] = Field(default_factory=list)
    outcomes: list[ObservedOutcome] = Field(default_factory=list)


class AssessmentView(BaseModel):
    """One dated self-assessment."""

    on: str
    shared: bool
    scores: dict[str, FactorScore]
    mean: float


class Progress(BaseModel):
    """A community's development: its timeline, its assessments over time and how its scores moved."""

    community: str
    steps: list[StepView]
    assessments: list[AssessmentView]
    change: dict[str, float] = Field(description="Per factor: last score minus first score.")
    peers: dict[str, float] = Field(
        description="Per factor: the mean of the latest shared scores of other communities."
    )
    peer_count: int


class Communities:
    """Create cases with their communities, record their steps and assessments, read their progress."""

    def __init__(self, kg: KnowledgeGraph, submissions: Submissions | None = None) -> None:
        self.kg = kg
        self.submissions = submissions or Submissions(kg)

    def create_case(self, principal: Principal, entry: CaseEntry) -> Submission:
        """Store a case and its community; public at once for trusted accounts, else reviewed first."""
        case = case_iri(entry.slug)

        def still_free() -> None:
            """Run again inside the write: of two submissions of one slug only one is stored."""
            taken = any(True for _ in self.kg.store.quads(ox.NamedNode(str(case)), None, None, None))
            if taken or self.kg.store.count(ox.NamedNode(str(case_graph(entry.slug)))) > 0:
                raise Conflict(f"a case {entry.slug!r} exists already; choose another slug")

        still_free()
        names = self._slugs()
        problems = case_reference_problems(
            entry,
            entry.slug,
            concepts=known_concepts(),
            instruments=names["Instrument"],
            organisations=names["Organisation"],
            people=names["Person"],
            cases=names["LearningCommunity"] | names["Collective"],
        )
        if problems:
            raise InvalidInput("; ".join(problems), where=entry.slug)
        assert principal.account_id is not None
        triples = CatalogMapper(Catalog()).case_triples(entry)
        extra: list[Triple] = [
            (case, PROV.wasAttributedTo, account_node(principal.account_id)),
            (community_iri(entry.slug), PROV.wasAttributedTo, account_node(principal.account_id)),
        ]
        return self.submissions.write(
            principal,
            kind="case",
            graph=case_graph(entry.slug),
            entity=case,
            triples=[*triples, *extra],
            title=f"Case: {entry.name.en}",
            state=self.submissions.initial_state(principal),
            check=still_free,
        )

    def _slugs(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        q = f"""SELECT ?s ?t WHERE {{ ?s a ?t . FILTER(STRSTARTS(STR(?t), "{LC._NS}")) }}"""
        for row in self.kg.select_public(q):
            out[row["t"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1]].add(row["s"].value.rsplit("/", 1)[-1])
        return out

    def _owner_check(self, principal: Principal, slug: str) -> None:
        """Allow the case's submitter and moderators to record steps and assessments (curated: moderators)."""
        slug = checked_slug(slug, "community")
        sub = self.submissions.find(case_graph(slug))
        if sub is None:
            if not self.kg.exists(str(community_iri(slug))):
                raise NotFound(f"no community {slug!r}")
            if can_moderate(principal):
                return
        elif not may_read_graph(self.kg, principal, sub.graph):
            raise NotFound(f"no community {slug!r}")
        elif self.submissions.may_edit(principal, sub):
            return
        raise Forbidden(f"only the Webber who documented {slug!r} or a moderator may record its development")

    def check_may_record(self, principal: Principal, slug: str) -> None:
        """Raise :class:`Forbidden` (or :class:`NotFound`) unless ``principal`` may record for ``slug``.

        The same check :meth:`add_step` and :meth:`assess` make, for pages that offer those forms.
        """
        self._owner_check(principal, slug)

    def add_step(self, principal: Principal, slug: str, data: StepInput) -> Submission:
        """Record a development step on the community's timeline."""
        self._owner_check(principal, slug)
        problems = unknown_concepts(
            [
                ("kind", "step-kind", [data.kind]),
                ("phase", "phase", [data.phase]),
                ("outcomes.value_type", "value-cycle", [o.value_type for o in data.outcomes]),
            ]
        )
        if data.kind == "phase-transition" and not data.phase:
            problems.append("phase: a phase transition names the phase entered")
        for instrument in data.instruments:
            if not self.kg.exists(str(LCD[f"instrument/{instrument}"])):
                problems.append(f"instruments: no instrument {instrument!r}")
        if problems:
            raise InvalidInput("; ".join(problems), where=problems[0].split(":", 1)[0])
        key = f"{data.on.isoformat()}-{secrets.token_hex(3)}"
        step = LCD[f"community/{slug}/step/{key}"]
        com = community_iri(slug)
        lang = data.language
        triples: list[Triple] = [
            (step, RDF.type, LC.DevelopmentStep),
            (step, LC.inCommunity, com),
            (step, LC.stepKind, concept("step-kind", data.kind)),
            (step, RDFS.label, Literal(data.title, lang=lang)),
            (step, DCTERMS.date, Literal(data.on.isoformat(), datatype=XSD.date)),
        ]
        if data.description:
            triples.append((step, DCTERMS.description, Literal(data.description, lang=lang)))
        if data.phase:
            triples.append((step, LC.inPhase, concept("phase", data.phase)))
        for instrument in data.instruments:
            triples.append((step, LC.appliedInstrument, LCD[f"instrument/{instrument}"]))
        for n, outcome in enumerate(data.outcomes, start=1):
            o = LCD[f"community/{slug}/step/{key}/outcome/{n}"]
            triples += [
                (step, LC.reportsOutcome, o),
                (o, RDF.type, LC.Outcome),
                (o, LC.valueCycle, concept("value-cycle", outcome.value_type)),
                (o, DCTERMS.description, Literal(outcome.text, lang=lang)),
            ]
        return self.submissions.write(
            principal,
            kind="step",
            graph=LCG[f"{CONTRIB}community/{slug}/step/{key}"],
            entity=step,
            triples=triples,
            title=f"{slug}: {data.title}",
            state=self.submissions.initial_state(principal),
        )

    def assess(self, principal: Principal, slug: str, data: AssessmentInput) -> Submission:
        """Record a self-assessment; private unless shared (shared ones of untrusted accounts wait)."""
        self._owner_check(principal, slug)
        factors = set(success_factors())
        unknown = [f for f in data.scores if f not in factors]
        if unknown or not data.scores:
            raise InvalidInput(
                f"unknown success factor(s) {', '.join(unknown) or '(none given)'}; "
                f"choose from {', '.join(sorted(factors))}",
                where="scores",
            )
        key = f"{data.on.isoformat()}-{secrets.token_hex(3)}"
        com = community_iri(slug)
        when = Literal(f"{data.on.isoformat()}T00:00:00Z", datatype=XSD.dateTime)
        triples: list[Triple] = []
        for factor, fs in sorted(data.scores.items()):
            a = LCD[f"community/{slug}/assessment/{key}/{factor}"]
            triples += [
                (a, RDF.type, LC.SuccessFactorAssessment),
                (a, LC.assessedCommunity, com),
                (a, LC.factor, concept("success-factor", factor)),
                (a, LC.score, Literal(f"{fs.score:g}", datatype=XSD.decimal)),
                (a, LC.assessedOn, when),
                (a, LC.shared, Literal(data.shared)),
            ]
            if fs.note:
                triples.append((a, LC.note, Literal(fs.note, lang=data.language)))
        return self.submissions.write(
            principal,
            kind="assessment",
            graph=LCG[f"{CONTRIB}community/{slug}/assessment/{key}"],
            entity=com,
            triples=triples,
            title=f"{slug}: self-assessment of {data.on.isoformat()}",
            state=self.submissions.initial_state(principal, private=not data.shared),
        )

    def progress(self, principal: Principal, slug: str) -> Progress:
        """Return the timeline and assessments the principal may see, with the change and peer means."""
        slug = checked_slug(slug, "community")
        view = dataset_for(self.kg, principal)
        com = str(community_iri(slug))
        if not self.kg.select_in(f"SELECT ?p WHERE {{ <{com}> ?p ?o }} LIMIT 1", view):
            raise NotFound(f"no community {slug!r}")
        steps = self._steps(com, view)
        assessments = self._assessments(view, f"BIND(<{com}> AS ?c)")
        mine = assessments.get(com, [])
        change: dict[str, float] = {}
        if len(mine) >= 2:
            first, last = mine[0], mine[-1]
            change = {
                f: round(last.scores[f].score - first.scores[f].score, 2)
                for f in last.scores
                if f in first.scores
            }
        others = self._assessments(self.kg.visible_graphs(), f"FILTER(?c != <{com}>)")
        latest = [runs[-1] for runs in others.values() if runs and runs[-1].shared]
        sums: dict[str, list[float]] = defaultdict(list)
        for a in latest:
            for f, fs in a.scores.items():
                sums[f].append(fs.score)
        peers = {f: round(sum(v) / len(v), 2) for f, v in sorted(sums.items())}
        return Progress(
            community=com, steps=steps, assessments=mine, change=change, peers=peers, peer_count=len(latest)
        )

    def _steps(self, com: str, view: list[ox.NamedNode]) -> list[StepView]:
        q = f"""PREFIX lc: <{LC._NS}> PREFIX dct: <{DCTERMS}>
        SELECT ?s ?on ?kind ?title ?desc ?phase ?i ?o ?ov ?ot WHERE {{
          ?s a lc:DevelopmentStep ; lc:inCommunity <{com}> ; dct:date ?on ; lc:stepKind ?kind ;
             <{RDFS.label}> ?title .
          OPTIONAL {{ ?s dct:description ?desc }} OPTIONAL {{ ?s lc:inPhase ?phase }}
          OPTIONAL {{ ?s lc:appliedInstrument ?i }}
          OPTIONAL {{ ?s lc:reportsOutcome ?o . ?o lc:valueCycle ?ov ; dct:description ?ot }} }}"""
        steps: dict[str, StepView] = {}
        for r in self.kg.select_in(q, view):
            s = steps.setdefault(
                r["s"].value,
                StepView(
                    iri=r["s"].value,
                    on=str(r["on"].value),
                    kind=r["kind"].value.rsplit("step-kind-", 1)[-1],
                    title=str(r["title"].value),
                    description=str(r["desc"].value) if "desc" in r else None,
                    phase=r["phase"].value.rsplit("phase-", 1)[-1] if "phase" in r else None,
                ),
            )
            if "i" in r and r["i"].value not in s.instruments:
                s.instruments.append(r["i"].value)
            if "ov" in r:
                out = ObservedOutcome(
                    value_type=r["ov"].value.rsplit("value-cycle-", 1)[-1], text=str(r["ot"].value)
                )
                if out not in s.outcomes:
                    s.outcomes.append(out)
        return sorted(steps.values(), key=lambda s: (s.on, s.iri))

    def _assessments(self, view: list[ox.NamedNode], where: str) -> dict[str, list[AssessmentView]]:
        q = f"""PREFIX lc: <{LC._NS}>
        SELECT ?c ?on ?f ?score ?note ?shared WHERE {{ {where}
          ?a a lc:SuccessFactorAssessment ; lc:assessedCommunity ?c ; lc:factor ?f ; lc:score ?score ;
             lc:assessedOn ?on . OPTIONAL {{ ?a lc:note ?note }} OPTIONAL {{ ?a lc:shared ?shared }} }}"""
        runs: dict[tuple[str, str], AssessmentView] = {}
        for r in self.kg.select_in(q, view):
            key = (r["c"].value, str(r["on"].value))
            a = runs.setdefault(key, AssessmentView(on=key[1][:10], shared=False, scores={}, mean=0.0))
            a.scores[r["f"].value.rsplit(FACTOR_PREFIX, 1)[-1]] = FactorScore(
                score=float(r["score"].value), note=str(r["note"].value) if "note" in r else None
            )
            shared = r.get("shared")
            a.shared = a.shared or (shared is not None and str(shared.value) == "true")
        out: dict[str, list[AssessmentView]] = defaultdict(list)
        for (c, _), a in sorted(runs.items()):
            a.mean = round(sum(s.score for s in a.scores.values()) / len(a.scores), 2)
            out[c].append(a)
        return out


def case_graph(slug: str) -> URIRef:
    """Return the graph of a case (and its community) documented on the platform."""
    return LCG[f"{CONTRIB}case/{slug}"]
