"""Find the graph's concepts (phase, role, sector, practice, ...) that a free-text query mentions.

This is the graph evidence a query carries by itself: "begeleider in de startfase" names the role
facilitator and the phase start. Search boosts entities that share such concepts and says so in the
explanation. Labels and synonyms come from the SKOS concepts in the graph (Dutch and English), matched on
stems, so "startfase" and "starting phase" both find ``phase-start``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pyoxigraph as ox
from rdflib import SKOS

from kg.search.documents import concept_id
from kg.search.lexical import tokenize

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["FACET_OF_PREFIX", "ConceptMatch", "ConceptMatcher", "facet_of"]

FACET_OF_PREFIX: Final[dict[str, str]] = {
    "phase-": "phase",
    "role-": "role",
    "sector-": "sector",
    "practice-": "practice",
    "challenge-": "challenge",
    "value-cycle-": "value_type",
    "outcome-level-": "level",
    "scale-level-": "level",
    "instrument-kind-": "kind",
    "lc-form-": "form",
}
"""Concept id prefix -> the search facet it belongs to."""

_MATCHED_FACETS: Final = frozenset(
    {"phase", "role", "sector", "practice", "challenge", "value_type", "level"}
)
_MIN_STEM: Final = 4


def facet_of(concept: str) -> str | None:
    """Return the facet a concept id belongs to (``phase-start`` -> ``phase``), or None."""
    for prefix, facet in FACET_OF_PREFIX.items():
        if concept.startswith(prefix) and not concept.startswith("phase-basis-"):
            return facet
    return None


@dataclass(frozen=True)
class ConceptMatch:
    """A concept a query mentions.

    Attributes:
        concept: the concept id, e.g. ``role-facilitator``.
        facet: its facet, e.g. ``role``.
        label: the label or synonym found in the query.
    """

    concept: str
    facet: str
    label: str


class ConceptMatcher:
    """Match query text against concept labels and synonyms on word stems.

    Args:
        labels: ``(concept id, label, language)`` triples.
    """

    def __init__(self, labels: Iterable[tuple[str, str, str | None]]) -> None:
        self._entries: list[tuple[frozenset[str], str, str, str]] = []
        seen: set[tuple[frozenset[str], str]] = set()
        for concept, label, lang in labels:
            facet = facet_of(concept)
            if facet not in _MATCHED_FACETS:
                continue
            stems = frozenset(tokenize(label, lang))
            # one short generic word ("AI", "ict") would fire on too many queries
            if not stems or (len(stems) == 1 and len(next(iter(stems))) < _MIN_STEM):
                continue
            if (stems, concept) in seen:
                continue
            seen.add((stems, concept))
            self._entries.append((stems, concept, facet or "", label))

    @classmethod
    def from_graph(cls, kg: KnowledgeGraph) -> ConceptMatcher:
        """Build the matcher from every visible SKOS concept's preferred and alternative labels."""
        q = f"""SELECT ?c ?l WHERE {{ ?c a <{SKOS.Concept}> ; <{SKOS.prefLabel}>|<{SKOS.altLabel}> ?l }}"""
        rows = kg.select_public(q)
        return cls(
            (concept_id(row["c"].value), row["l"].value, row["l"].language or None)
            for row in rows
            if isinstance(row["l"], ox.Literal)
        )

    def __len__(self) -> int:
        """Return the number of (concept, label) entries."""
        return len(self._entries)

    def match(self, text: str) -> list[ConceptMatch]:
        """Return the concepts whose full label (all its stems) occurs in ``text``, one per concept."""
        stems = frozenset(tokenize(text, None))
        found: dict[str, ConceptMatch] = {}
        for label_stems, concept, facet, label in self._entries:
            if concept not in found and label_stems <= stems:
                found[concept] = ConceptMatch(concept=concept, facet=facet, label=label)
        return sorted(found.values(), key=lambda m: (m.facet, m.concept))
