"""The search service over a knowledge graph: open and keep the indexes current, answer searches.

:class:`SearchService` subscribes to the graph (:class:`kg.hooks.GraphListener`): every write or removal of
an approved graph syncs the indexes at once, re-encoding only the entities and chunks whose text changed,
so a newly approved instrument is findable as soon as the write returns. After each sync that changed
anything it rewrites the derived named graph ``lcg:similarity`` (see :mod:`kg.search.similarity_graph`),
so researchers can combine similarity with SPARQL.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from itertools import chain
from typing import Final

from kg.config import Settings
from kg.errors import InvalidInput
from kg.graph import KnowledgeGraph
from kg.search.documents import FACETS
from kg.search.embedder import Embedder, LazyEmbedder
from kg.search.encoder_process import ProcessEmbedder
from kg.search.engine import Candidate, ProgressCallback, SearchEngine, SyncReport
from kg.search.graph_source import GraphSource
from kg.search.index import set_faiss_threads
from kg.search.index_lock import IndexLock
from kg.search.models import (
    ChannelScores,
    CrossoverResponse,
    FacetCount,
    SearchHit,
    SearchResponse,
    SharedAttribute,
    SimilarResponse,
)
from kg.search.related import (
    concept_ref,
    crossovers,
    entity_ref,
    passage_model,
    similar_items,
    similar_to_text,
)
from kg.search.similarity_graph import SIMILARITY_GRAPH, write_similarity_graph

__all__ = ["RELEVANCE_MARGIN", "SearchService"]

log = logging.getLogger(__name__)

RELEVANCE_MARGIN: Final = 0.15
"""A result counts as a match (for ``total`` and facet counts) when its fused score is within this margin
of the best one, or it matches by name; further items are ranked but not counted."""
FACET_NAMES: Final = ("type", *FACETS)


class SearchService:
    """Search, similar items and crossovers over the approved graphs, kept current with every write.

    Args:
        kg: the knowledge graph.
        engine: a search engine reading from ``kg`` (see :meth:`open`).
        similarity_graph: keep the derived ``lcg:similarity`` graph current.
        index_lock: held around every sync when several workers share the saved indexes (shared store).
    """

    def __init__(
        self,
        kg: KnowledgeGraph,
        engine: SearchEngine,
        *,
        similarity_graph: bool = True,
        index_lock: IndexLock | None = None,
    ) -> None:
        self.kg = kg
        self.engine = engine
        self.similarity_graph = similarity_graph
        self.index_lock = index_lock
        self.last_sync: SyncReport | None = None
        self.last_sync_s: float | None = None
        self._closed = False
        # an OpenMP thread count belongs to its thread: the pool's threads search on one, as a server must
        self._pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="search-chunks", initializer=set_faiss_threads, initargs=(1,)
        )
        kg.subscribe(self)

    @classmethod
    def open(
        cls,
        kg: KnowledgeGraph,
        settings: Settings,
        *,
        progress: ProgressCallback | None = None,
        similarity_graph: bool = True,
    ) -> SearchService:
        """Load the embedders (offline), load or rebuild the saved indexes, and sync them with the graph.

        Indexes live under ``settings.index_path`` for the on-disk store and in memory for the memory store.
        With a shared (``sparql``) store every worker keeps its own indexes in memory and shares the saved
        copy under ``settings.index_path`` behind an :class:`IndexLock` (see :mod:`kg.search.index_lock`).
        """
        threads = settings.search_threads
        set_faiss_threads(threads)
        # the query encoder process loads while the indexes are checked; the passage embedders load
        # only if the sync has texts to encode (a server whose saved index is current never needs them)
        query_threads = max(settings.search_query_threads, settings.search_query_idle_threads)
        query_embedders = (
            [
                ProcessEmbedder(settings.search_embedder, threads=query_threads, wait=False)
                for _ in range(settings.search_query_processes)
            ]
            if settings.search_query_process
            else []
        )
        query_embedder = query_embedders[0] if query_embedders else None
        try:
            embedder: Embedder = LazyEmbedder(settings.search_embedder, threads=threads)
            chunk_embedder = (
                LazyEmbedder(settings.chunk_embedder, threads=threads)
                if settings.search_embedder == "joined"
                else embedder
            )
        except BaseException:
            for one in query_embedders:
                one.close()
            raise
        directory = settings.index_path if settings.store in ("oxigraph", "sparql") else None
        index_lock = IndexLock(settings.index_path) if settings.store == "sparql" else None
        try:
            with index_lock or nullcontext():  # load what another worker saved only once it has finished
                engine = SearchEngine(
                    GraphSource(kg),
                    embedder=embedder,
                    chunk_embedder=chunk_embedder,
                    directory=directory,
                    cache_size=settings.search_cache_size,
                    query_embedder=query_embedder,
                    extra_query_embedders=query_embedders[1:],
                    query_threads=(settings.search_query_idle_threads, settings.search_query_threads)
                    if query_embedder is not None
                    else None,
                )
                service = cls(kg, engine, similarity_graph=similarity_graph, index_lock=index_lock)
                service.sync(progress)
            for one in query_embedders:
                one.wait_ready()
        except BaseException:
            for one in query_embedders:
                one.close()  # the engine (if built) holds no other process or thread worth more
            raise
        return service

    # ------------------------------------------------------------------------------- keeping current

    def sync(self, progress: ProgressCallback | None = None) -> SyncReport:
        """Bring the indexes in line with the graph, then refresh the similarity graph if anything changed."""
        started = time.perf_counter()
        with self.index_lock or nullcontext():
            report = self.engine.sync(progress)
        self.last_sync = report
        self.last_sync_s = time.perf_counter() - started
        if self.similarity_graph and (report.changed or not self._similarity_graph_present()):
            write_similarity_graph(self.kg, self.engine)
        log.info("search index synced in %.1f s: %s", self.last_sync_s, report)
        return report

    def _similarity_graph_present(self) -> bool:
        """Tell whether the registry holds the similarity graph.

        Reads the registry entries (one small query, cached per write generation), not
        :meth:`KnowledgeGraph.graphs`, which also counts the triples of every graph: ~1 s at 10^6 triples,
        spent at every server start.
        """
        return str(SIMILARITY_GRAPH) in self.kg.registry_entries()

    def graph_written(self, graph: str) -> None:
        """Sync after a graph write (the derived similarity graph itself is skipped)."""
        if graph != str(SIMILARITY_GRAPH):
            self.sync()

    def graph_removed(self, graph: str) -> None:
        """Sync after a graph removal."""
        if graph != str(SIMILARITY_GRAPH):
            self.sync()

    def dataset_changed(self) -> None:
        """Sync after another process wrote to the shared store (the sync finds what changed)."""
        self.sync()

    def close(self) -> None:
        """Stop the query worker and the chunk-search threads (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.engine.close()
        self._pool.shutdown(wait=True)

    def status(self) -> dict[str, object]:
        """Describe the indexes: sizes, how each was opened, the last sync, the query cache."""
        return {
            "embedder": self.engine.embedder.name,
            "chunk_embedder": self.engine.chunk_embedder.name,
            "counts": self.engine.counts(),
            "indexes": dict(self.engine.status),
            "last_sync": None
            if self.last_sync is None
            else {
                "seconds": round(self.last_sync_s or 0.0, 3),
                "encoded": self.last_sync.encoded,
                "removed": self.last_sync.removed,
            },
            "query_cache": {"hits": self.engine.queries.hits, "misses": self.engine.queries.misses},
        }

    # ------------------------------------------------------------------------------- answering

    def search(
        self,
        query: str,
        *,
        types: Sequence[str] | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        limit: int = 10,
        offset: int = 0,
        passages: int = 3,
        lang: str = "en",
    ) -> SearchResponse:
        """Rank instruments, cases and communities for a query, with reasons, facet counts and passages.

        Args:
            query: free text, Dutch or English.
            types: entity types to keep; None keeps all.
            filters: facet -> concept ids or slugs (``{"sector": ["logistics"]}``).
            limit: results to return (1-100).
            offset: results to skip (paging).
            passages: best document passages to add (0-20).
            lang: language of labels in reasons (``nl`` or ``en``).
        """
        if isinstance(limit, bool) or not 1 <= limit <= 100:
            raise InvalidInput(f"limit must be from 1 to 100, not {limit}", where="limit")
        if offset < 0:
            raise InvalidInput(f"offset must not be negative, not {offset}", where="offset")
        if not 0 <= passages <= 20:
            raise InvalidInput(f"passages must be from 0 to 20, not {passages}", where="passages")
        if lang not in ("nl", "en"):
            raise InvalidInput(f"lang must be nl or en, not {lang!r}", where="lang")
        for type_ in types or ():
            if type_ not in ("instrument", "case", "community"):
                raise InvalidInput(
                    f"unknown type {type_!r}; choose instrument, case or community", where="type"
                )
        # checked before the encoder's work; scoring then fills in the language and the query's concepts
        prepared = self.engine.prepare(query, types=types, filters=filters)
        vector = self.engine.query_vector(query)
        chunk_vector = self.engine.chunk_query_vector(vector)
        # the chunk search (faiss, which releases the interpreter lock) runs beside the entity scoring
        chunk_hits = (
            self._pool.submit(self.engine.search_chunks, chunk_vector, passages) if passages else None
        )
        candidates = self.engine.score(query, vector=vector, prepared=prepared)
        # the fused score without the name channel, once per candidate (as Candidate.score adds them)
        rest = [c.dense + c.lexical + c.name + c.graph - c.name for c in candidates]
        top = max(rest, default=0.0)
        matches = [
            c
            for c, value in zip(candidates, rest, strict=True)
            if value >= top - RELEVANCE_MARGIN or c.name > 0
        ]
        hits = [self._hit(c, chunk_vector, lang) for c in matches[offset : offset + limit]]
        found = [
            SharedAttribute(facet=m.facet, concept=concept_ref(self.engine, m.concept))
            for m in prepared.mentioned
        ]
        return SearchResponse(
            query=query,
            language=prepared.lang,
            total=len(matches),
            results=hits,
            facets=self._facet_counts(matches, lang),
            passages=[passage_model(score, chunk.text, chunk) for chunk, score in chunk_hits.result()]
            if chunk_hits is not None
            else [],
            query_concepts=found,
        )

    def _hit(self, c: Candidate, chunk_vector: object, lang: str) -> SearchHit:
        import numpy as np

        why = []
        if c.name >= 1.0:
            why.append("exact name match" if lang == "en" else "naam komt exact overeen")
        elif c.name > 0:
            why.append("the query names it" if lang == "en" else "de vraag noemt de naam")
        why.append(
            f"close in meaning ({c.dense:.2f})"
            if lang == "en"
            else f"vergelijkbaar van betekenis ({c.dense:.2f})"
        )
        if c.lexical > 0 and c.matched_terms:
            why.append(
                ("shared words: " if lang == "en" else "gedeelde woorden: ") + ", ".join(c.matched_terms)
            )
        concepts = [
            SharedAttribute(facet=m.facet, concept=concept_ref(self.engine, m.concept)) for m in c.concepts
        ]
        for shared in concepts:
            assert shared.concept is not None
            why.append(f"{shared.facet.replace('_', ' ')}: {shared.concept.label.best(lang)}")
        best = self.engine.best_passage(c.doc.id, np.asarray(chunk_vector))
        return SearchHit(
            item=entity_ref(c.doc),
            code=c.doc.code,
            score=round(c.score, 4),
            channels=ChannelScores(
                dense=round(c.dense, 4), lexical=round(c.lexical, 4), name=c.name, graph=round(c.graph, 4)
            ),
            why=why,
            matched_terms=list(c.matched_terms),
            concepts=concepts,
            facets={facet: sorted(values) for facet, values in c.doc.facets.items()},
            passage=passage_model(*best) if best is not None else None,
        )

    def _facet_counts(self, matches: Sequence[Candidate], lang: str) -> dict[str, list[FacetCount]]:
        """Count the matches per type and per facet value, most frequent first (one pass over them)."""
        from kg.model import Label

        out: dict[str, list[FacetCount]] = {}
        types = Counter([c.doc.type for c in matches])
        out["type"] = [FacetCount(value=t, label=Label(nl=t, en=t), count=n) for t, n in types.most_common()]
        codes = self.engine.facet_codes
        if all(codes.entities.get(c.doc.id) is c.doc for c in matches):
            per_facet = codes.count([c.doc.id for c in matches])
        else:  # a sync replaced documents while this search ran: count their own facets
            per_facet = {}
            for (facet, value), n in Counter(chain.from_iterable(c.doc.facet_pairs for c in matches)).items():
                per_facet.setdefault(facet, []).append((value, n))
            for values in per_facet.values():
                values.sort(key=lambda item: (-item[1], item[0]))
        labels = self.engine.concept_labels
        for facet in FACETS:
            counts = per_facet.get(facet)
            if counts:
                out[facet] = [
                    FacetCount(value=value, label=labels.get(value) or Label(nl=value, en=value), count=n)
                    for value, n in counts
                ]
        return out

    def similar(
        self, entity_id: str, *, k: int = 10, diversity: float = 1.0, lang: str = "en"
    ) -> SimilarResponse:
        """Return the cases (or instruments, communities) most like ``entity_id`` (``case/<slug>``)."""
        return similar_items(self.engine, entity_id, k=k, diversity=diversity, lang=lang)

    def similar_to_text(
        self,
        text: str,
        *,
        type_: str = "case",
        k: int = 10,
        diversity: float = 1.0,
        sector: str | None = None,
        lang: str = "en",
    ) -> SimilarResponse:
        """Return the cases most like a described situation, spread over sectors."""
        return similar_to_text(
            self.engine, text, type_=type_, k=k, diversity=diversity, sector=sector, lang=lang
        )

    def crossovers(
        self,
        need: str,
        *,
        sector: str | None = None,
        phase: str | None = None,
        role: str | None = None,
        k: int = 10,
        lang: str = "en",
    ) -> CrossoverResponse:
        """Return instruments proven in other sectors that fit a need, with reasons."""
        return crossovers(self.engine, need, sector=sector, phase=phase, role=role, k=k, lang=lang)
