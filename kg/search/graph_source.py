"""The knowledge graph as the search engine's document source (approved graphs only)."""

from __future__ import annotations

from kg.graph import KnowledgeGraph
from kg.model import Label
from kg.search.concepts import ConceptMatcher
from kg.search.documents import ChunkDoc, EntityDoc, collect_chunks, collect_entities, concept_id
from kg.search.engine import DocumentSource
from ontology.vocab import LCC

__all__ = ["GraphSource"]


class GraphSource(DocumentSource):
    """Read entities, chunks and concepts from the public view of a :class:`KnowledgeGraph`."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg

    def entities(self) -> list[EntityDoc]:
        """Return every visible instrument, case and community."""
        return collect_entities(self.kg)

    def chunks(self) -> list[ChunkDoc]:
        """Return every chunk of an approved document graph."""
        return collect_chunks(self.kg)

    def concept_labels(self) -> dict[str, Label]:
        """Return concept id -> label for every visible concept."""
        prefix = str(LCC._NS)
        return {concept_id(iri): label for iri, label in self.kg.labels().items() if iri.startswith(prefix)}

    def concept_matcher(self) -> ConceptMatcher:
        """Return a matcher over the visible concepts' labels and synonyms."""
        return ConceptMatcher.from_graph(self.kg)
