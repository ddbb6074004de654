"""Domain objects returned by the knowledge graph (and serialised by the API as JSON)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Label(BaseModel):
    """A name in Dutch and English (either may be missing for proper names)."""

    nl: str | None = None
    en: str | None = None

    def best(self, lang: str = "en") -> str:
        """Return the label in ``lang``, falling back to the other language."""
        first, second = (self.en, self.nl) if lang == "en" else (self.nl, self.en)
        return first or second or ""


class ConceptRef(BaseModel):
    """A reference to a SKOS concept (phase, sector, role, ...)."""

    iri: str
    id: str = Field(description="Local name, e.g. 'phase-start'.")
    label: Label


class EntityRef(BaseModel):
    """A reference to another entity of the graph."""

    iri: str
    id: str = Field(description="Path below the id namespace, e.g. 'instrument/seeds-of-innovation'.")
    label: Label
    type: str | None = None


class FactSource(BaseModel):
    """Provenance of one fact."""

    graph: str
    document: str | None = None
    citation: str | None = None
    section: str | None = None
    method: str | None = None
    confidence: float | None = None
    review_state: str | None = None


class Fact(BaseModel):
    """One statement about an entity with the sources it comes from."""

    predicate: str
    predicate_label: str
    value: str
    value_label: str | None = None
    language: str | None = None
    is_iri: bool = False
    sources: list[FactSource] = Field(default_factory=list)


class PhaseClaim(BaseModel):
    """A phase an instrument serves, with the basis of the claim (placement or description cue)."""

    phase: ConceptRef
    basis: ConceptRef | None = None


class InstrumentSummary(BaseModel):
    """What a list of instruments shows."""

    iri: str
    id: str
    code: str | None = None
    name: Label
    kind: ConceptRef | None = None
    purpose: Label
    phases: list[ConceptRef] = Field(default_factory=list)
    target_roles: list[ConceptRef] = Field(default_factory=list)
    origin_sectors: list[ConceptRef] = Field(default_factory=list)


class InstrumentDetail(InstrumentSummary):
    """Everything the graph knows about an instrument."""

    description: Label
    alt_names: list[str] = Field(default_factory=list)
    target_group_text: str | None = None
    phase_claims: list[PhaseClaim] = Field(default_factory=list)
    url: str | None = None
    origin_context: Label | None = None
    developers: list[EntityRef] = Field(default_factory=list)
    developer_text: str | None = None
    addresses: list[ConceptRef] = Field(default_factory=list)
    boundary_mechanisms: list[ConceptRef] = Field(default_factory=list)
    used_in: list[EntityRef] = Field(default_factory=list, description="Cases that used the instrument.")
    facts: list[Fact] = Field(default_factory=list)


class OutcomeView(BaseModel):
    """An outcome a case reports."""

    iri: str
    text: Label
    level: ConceptRef | None = None
    value_cycle: ConceptRef | None = None
    capital: ConceptRef | None = None
    stakeholder: ConceptRef | None = None


class CaseSummary(BaseModel):
    """What a list of cases shows."""

    iri: str
    id: str
    code: str | None = None
    name: Label
    sectors: list[ConceptRef] = Field(default_factory=list)
    challenges: list[ConceptRef] = Field(default_factory=list)
    region: Label | None = None
    community: EntityRef | None = None


class CaseDetail(CaseSummary):
    """Everything the graph knows about a case."""

    description: Label
    phases: list[ConceptRef] = Field(default_factory=list)
    practices: list[ConceptRef] = Field(default_factory=list)
    instruments: list[EntityRef] = Field(default_factory=list)
    outcomes: list[OutcomeView] = Field(default_factory=list)
    lessons: list[Label] = Field(default_factory=list)
    principal_investigators: list[EntityRef] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)


class CommunitySummary(BaseModel):
    """What a list of communities shows."""

    iri: str
    id: str
    code: str | None = None
    name: Label
    type: str
    forms: list[ConceptRef] = Field(default_factory=list)
    scale_level: ConceptRef | None = None
    sectors: list[ConceptRef] = Field(default_factory=list)
    region: Label | None = None


class CommunityDetail(CommunitySummary):
    """Everything the graph knows about a community or collective."""

    description: Label
    framework_level: ConceptRef | None = None
    part_of: EntityRef | None = None
    parts: list[EntityRef] = Field(default_factory=list)
    participants: list[EntityRef] = Field(default_factory=list)
    practices: list[ConceptRef] = Field(default_factory=list)
    cases: list[EntityRef] = Field(default_factory=list)
    is_counter_example: bool = False
    facts: list[Fact] = Field(default_factory=list)


class ConceptView(BaseModel):
    """A concept of a scheme with its labels, synonyms and definition."""

    iri: str
    id: str
    label: Label
    alt_labels: list[str] = Field(default_factory=list)
    definition: Label
    broader: list[str] = Field(default_factory=list)
    notation: str | None = None


class SchemeView(BaseModel):
    """A concept scheme and its concepts."""

    iri: str
    id: str
    label: Label
    definition: Label
    concepts: list[ConceptView]


class GraphInfo(BaseModel):
    """A named graph as the registry describes it."""

    iri: str
    title: str | None = None
    review_state: str
    method: str | None = None
    content_hash: str | None = None
    generated_at: str | None = None
    triples: int = 0


class Stats(BaseModel):
    """Counts of what the graph holds."""

    triples: int
    graphs: list[GraphInfo]
    instruments: int
    cases: int
    communities: int
    learning_communities: int
    organisations: int
    people: int
    documents: int
    concepts: int
    concept_schemes: int
    classes: int
    properties: int
    fact_records: int
    instruments_by_kind: dict[str, int]
    instruments_by_phase: dict[str, int]
    cases_by_sector: dict[str, int]
