"""Answers of the search service, as pydantic models (the API returns them as JSON unchanged)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kg.model import ConceptRef, EntityRef, Label

__all__ = [
    "ChannelScores",
    "Crossover",
    "CrossoverEvidence",
    "CrossoverResponse",
    "FacetCount",
    "Passage",
    "SearchHit",
    "SearchResponse",
    "SharedAttribute",
    "SimilarItem",
    "SimilarResponse",
]


class ChannelScores(BaseModel):
    """How each evidence channel contributed to a score."""

    dense: float = Field(description="Cosine similarity of the query and the item (multilingual embedding).")
    lexical: float = Field(0.0, description="BM25 score relative to the best hit (0..1), Dutch queries only.")
    name: float = Field(0.0, description="1.0 exact name match, 0.9 name contained in the query.")
    graph: float = Field(0.0, description="Boost from concepts shared with the query or the context.")


class Passage(BaseModel):
    """A piece of text that supports a result, with where it comes from."""

    text: str
    score: float
    source: str = Field(description="'description' (the item's own text) or 'document' (an ingested file).")
    document: str | None = None
    title: str | None = None
    lines: str | None = Field(default=None, description="Line span in the source file, e.g. '3042-3053'.")
    section: str | None = None


class SharedAttribute(BaseModel):
    """One attribute two items (or a query and an item) have in common."""

    facet: str = Field(
        description="sector, phase, role, challenge, practice, value_type, level, instrument, ..."
    )
    concept: ConceptRef | None = None
    entity: EntityRef | None = None


class SearchHit(BaseModel):
    """One search result."""

    item: EntityRef
    code: str | None = None
    score: float
    channels: ChannelScores
    why: list[str] = Field(description="Short reasons, in the order they weigh.")
    matched_terms: list[str] = Field(default_factory=list)
    concepts: list[SharedAttribute] = Field(default_factory=list, description="Query concepts it shares.")
    facets: dict[str, list[str]] = Field(default_factory=dict)
    passage: Passage | None = None


class FacetCount(BaseModel):
    """How many results carry a facet value."""

    value: str
    label: Label
    count: int


class SearchResponse(BaseModel):
    """Ranked items for a query, with facet counts over all matches and the best document passages."""

    query: str
    language: str | None = Field(description="Detected query language (nl, en or null).")
    total: int = Field(description="Matches after filters, before the limit.")
    results: list[SearchHit]
    facets: dict[str, list[FacetCount]]
    passages: list[Passage] = Field(default_factory=list)
    query_concepts: list[SharedAttribute] = Field(default_factory=list)


class SimilarItem(BaseModel):
    """An item similar to a case, an instrument or a described situation, with why."""

    item: EntityRef
    code: str | None = None
    score: float
    similarity: float = Field(description="Cosine similarity of the texts.")
    overlap: float = Field(description="Weighted share of graph attributes in common (0..1).")
    sectors: list[ConceptRef] = Field(default_factory=list)
    shared: list[SharedAttribute] = Field(default_factory=list)
    explanation: str
    passage: Passage | None = None
    new_sectors: list[ConceptRef] = Field(
        default_factory=list, description="Sectors where this item is used and the source is not."
    )


class SimilarResponse(BaseModel):
    """Similar items for one source."""

    source: EntityRef | None = None
    query: str | None = None
    results: list[SimilarItem]


class CrossoverEvidence(BaseModel):
    """A case (or experience) where an instrument was used."""

    case: EntityRef
    sectors: list[ConceptRef] = Field(default_factory=list)
    similarity: float = Field(description="How close the case's situation is to the need (cosine).")
    shared: list[SharedAttribute] = Field(default_factory=list)


class Crossover(BaseModel):
    """An instrument proven elsewhere that fits a need."""

    instrument: EntityRef
    code: str | None = None
    score: float
    fit: float = Field(description="How well the instrument answers the need (search score).")
    evidence_score: float
    evidence: list[CrossoverEvidence]
    origin_sectors: list[ConceptRef] = Field(default_factory=list)
    phases: list[ConceptRef] = Field(default_factory=list)
    roles: list[ConceptRef] = Field(default_factory=list)
    reason: str


class CrossoverResponse(BaseModel):
    """Crossover suggestions for a need."""

    need: str
    sector: str | None = None
    phase: str | None = None
    role: str | None = None
    results: list[Crossover]
