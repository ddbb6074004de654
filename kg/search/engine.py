"""The search engine: entity and chunk indexes kept in step with the approved graphs, and hybrid ranking.

Three vector indexes, each on disk with a checked manifest (``kg.search.index``):

- ``entities``: one vector per entity and language (``instrument/x|nl|<digest>``), from the query embedder
  (``joined`` = e5 + USE by default), so a Dutch query meets the Dutch and the English description;
- ``chunks``: one vector per document chunk, from USE (about 20x cheaper than e5 for long passages; the
  study's choice for chunks); the USE half of the joined query vector searches it;
- ``sentences``: the sentences of entity descriptions, also USE, for the "matching passage" of explanations.

Vector ids carry a digest of the encoded text, so a sync after any graph change (incremental, through
:class:`kg.hooks.GraphListener`, or at start-up against a saved index) re-encodes exactly the texts that
changed and drops the ones that went away. A saved index that cannot be used (corrupt, another embedder,
another dimension, another format) is detected at load and rebuilt; one built from an older graph is
brought up to date the same way, and :attr:`SearchEngine.status` says which happened.

Ranking (:meth:`SearchEngine.score`) adds, per entity: the dense cosine (best language); BM25 relative to
the best lexical hit, for Dutch queries only (the study: blind fusion hurts English queries over Dutch
text); an exact or near-exact name match, which ranks first; and a small boost per concept (phase, role,
practice, ...) the query mentions and the entity has.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from kg.errors import InvalidInput
from kg.model import Label
from kg.search.concepts import ConceptMatch, ConceptMatcher
from kg.search.documents import FACETS, ChunkDoc, EntityDoc
from kg.search.embedder import Embedder, Vectors, joined_part
from kg.search.index import IndexStale, Manifest, VectorIndex, set_faiss_threads
from kg.search.language import detect_language
from kg.search.lexical import BM25Index
from kg.search.query_encoder import QueryEncoder
from kg.search.rwlock import ReadWriteLock
from kg.search.saved_state import code_key, load_state, save_state

__all__ = [
    "GRAPH_WEIGHT",
    "LEXICAL_WEIGHT",
    "NAME_WEIGHT",
    "Candidate",
    "DocumentSource",
    "PreparedQuery",
    "SearchEngine",
    "SyncReport",
]

log = logging.getLogger(__name__)

LEXICAL_WEIGHT: Final[dict[str | None, float]] = {"nl": 0.15, "en": 0.15, None: 0.15}
"""Weight of relative BM25 per detected query language.

The embedding study found BM25 hurts English queries over Dutch-only text (plain RRF). Our entities are
described in both languages, and ``lcgraph eval`` measured the opposite here: adding 0.15 x relative BM25
lifts instrument MRR from 0.71 to 0.82 (nl) and from 0.73 to 0.87 (en), with a flat optimum between 0.1
and 0.2 for both. The weight stays per language so it can follow the data (e.g. for Dutch-only sources).
"""
NAME_WEIGHT: Final = 1.0
"""A name match outweighs any cosine: exact and near-exact names rank first."""
GRAPH_WEIGHT: Final = 0.02
"""Boost per query concept the entity shares (at most :data:`GRAPH_MAX_SHARED` count)."""
GRAPH_MAX_SHARED: Final = 3
MAX_QUERY_CHARS: Final = 2000
ENCODE_BATCH: Final = 16
CANDIDATE_POOL: Final = 256
"""Unfiltered searches score the union of the nearest vectors and the best BM25 hits, this many each."""
PASSAGE_APPROXIMATE_ABOVE: Final = 20_000
"""Chunk and sentence vectors from which passage search uses an inverted-file index (faiss IVF): a flat
scan of 10^5 chunk vectors costs about 14 ms per query on one core, the IVF index under 1 ms."""
CHUNK_PASSAGE_MARGIN: Final = 0.05
LIST_MENTIONS: Final = 5
LEXICAL_STATE: Final = "lexical.pickle"
"""The saved BM25 index and the digests of the texts it holds, in the index directory (see
:mod:`kg.search.saved_state`): loaded at start, then only entities whose texts changed are re-indexed."""
"""A chunk naming this many cases, instruments, communities or organisations is a list (references,
partners), not a passage about any one of them."""

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(index_name, done, total)`` while texts are encoded."""


class DocumentSource(ABC):
    """Where the engine reads its documents from; the graph in production, generated ones in benchmarks."""

    @abstractmethod
    def entities(self) -> list[EntityDoc]:
        """Return every entity that should be searchable."""

    @abstractmethod
    def chunks(self) -> list[ChunkDoc]:
        """Return every document chunk that should be searchable."""

    def concept_labels(self) -> dict[str, Label]:
        """Return concept id -> label, for facets and explanations."""
        return {}

    def concept_matcher(self) -> ConceptMatcher:
        """Return the matcher for concepts mentioned in queries."""
        return ConceptMatcher([])


@dataclass
class SyncReport:
    """What a sync changed."""

    entities: int = 0
    chunks: int = 0
    encoded: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Tell whether any vector was added or removed."""
        return any(self.encoded.values()) or any(self.removed.values())


@dataclass(slots=True)
class Candidate:
    """One entity's evidence for a query."""

    doc: EntityDoc
    dense: float = 0.0
    lexical: float = 0.0
    name: float = 0.0
    matched_terms: tuple[str, ...] = ()
    concepts: Sequence[ConceptMatch] = ()
    graph: float = 0.0

    @property
    def score(self) -> float:
        """The fused score."""
        return self.dense + self.lexical + self.name + self.graph


@dataclass(slots=True)
class PreparedQuery:
    """A query checked ahead of its vector, and what scoring found (see :meth:`SearchEngine.prepare`)."""

    query: str
    lang: str | None
    types: set[str] | None
    filters: dict[str, frozenset[str]]
    pool: int | None
    lexical: bool
    dense: bool
    graph: bool
    entities: Mapping[str, EntityDoc]
    """The engine's entities when the query was planned (one generation for the whole scoring)."""
    candidates: dict[str, Candidate] = field(default_factory=dict)
    mentioned: list[ConceptMatch] = field(default_factory=list)
    """The concepts the query mentions (empty when ``graph`` is off), known once it is scored."""
    scored: bool = False


@dataclass(frozen=True)
class FacetCodes:
    """Every ``(facet, concept id)`` of the entities as a number, for counting facets with numpy.

    Attributes:
        entities: the entities numbered (one sync's); the codes hold for these documents only.
        pairs: the pairs of the facets in :data:`FACETS`, in facet order, then by concept id; a code is
            a position in this list.
        of: entity id -> the codes of its pairs.
    """

    entities: Mapping[str, EntityDoc]
    pairs: list[tuple[str, str]]
    of: dict[str, npt.NDArray[np.intp]]

    @classmethod
    def build(cls, entities: Mapping[str, EntityDoc]) -> FacetCodes:
        """Return the codes of the facet values of ``entities`` (built once per sync)."""
        order = {facet: i for i, facet in enumerate(FACETS)}
        found = {pair for doc in entities.values() for pair in doc.facet_pairs if pair[0] in order}
        pairs = sorted(found, key=lambda pair: (order[pair[0]], pair[1]))
        code = {pair: i for i, pair in enumerate(pairs)}
        of = {
            doc.id: np.fromiter((code[p] for p in doc.facet_pairs if p in code), dtype=np.intp)
            for doc in entities.values()
        }
        return cls(entities, pairs, of)

    def count(self, entity_ids: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        """Return facet -> ``(concept id, entities having it)``, most frequent first, then by id."""
        of = self.of
        empty = np.zeros(0, dtype=np.intp)
        codes = np.concatenate([of.get(entity_id, empty) for entity_id in entity_ids] or [empty])
        counts = np.bincount(codes, minlength=len(self.pairs))
        out: dict[str, list[tuple[str, int]]] = {}
        found = np.flatnonzero(counts)
        for code, n in zip(found.tolist(), counts[found].tolist(), strict=True):
            facet, value = self.pairs[code]
            out.setdefault(facet, []).append((value, n))
        for values in out.values():
            values.sort(key=lambda item: -item[1])  # stable: equal counts stay in id order
        return out


def _fingerprint(ids: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for item in sorted(ids):
        digest.update(item.encode("utf-8") + b"\n")
    return digest.hexdigest()


class _Channel:
    """One vector index with the embedder that fills it and where it is saved."""

    def __init__(
        self, name: str, embedder: Embedder, directory: Path | None, *, approximate_above: int | None = None
    ) -> None:
        self.name = name
        self.embedder = embedder
        self.directory = directory
        self.approximate_above = approximate_above
        self.index = VectorIndex(embedder.dimension, approximate_above=approximate_above)
        self.status = "new"

    def load(self) -> None:
        """Load the saved index if it is usable; otherwise note why it must be rebuilt."""
        if self.directory is None:
            self.status = "in memory"
            return
        try:
            self.index = VectorIndex.load(
                self.directory,
                embedder=self.embedder.name,
                dimension=self.embedder.dimension,
                fingerprint=None,
                approximate_above=self.approximate_above,
            )
            self.status = "loaded"
        except IndexStale as exc:
            self.index = VectorIndex(self.embedder.dimension, approximate_above=self.approximate_above)
            self.status = "rebuilt" if exc.reason == "missing" else f"rebuilt ({exc.reason}: {exc})"
            if exc.reason != "missing":
                log.warning("search index %s is unusable and is rebuilt: %s", self.name, exc)

    def saved_fingerprint(self) -> str | None:
        """Return the fingerprint of the saved index, if any."""
        if self.directory is None:
            return None
        try:
            return Manifest.read(self.directory).fingerprint
        except IndexStale:
            return None

    def plan(self, wanted: Mapping[str, str]) -> tuple[list[str], list[str]]:
        """Return the wanted ids that are missing and the stored ids no longer wanted."""
        have = set(self.index.ids())
        return sorted(wanted.keys() - have), sorted(have - wanted.keys())

    def encode(self, texts: Sequence[str], progress: ProgressCallback | None) -> Vectors:
        """Encode passages in batches, reporting progress."""
        parts = [np.zeros((0, self.embedder.dimension), dtype=np.float32)]
        for start in range(0, len(texts), ENCODE_BATCH):
            parts.append(self.embedder.encode_passages(list(texts[start : start + ENCODE_BATCH])))
            if progress is not None:
                progress(self.name, min(start + ENCODE_BATCH, len(texts)), len(texts))
        return np.vstack(parts)

    def apply(self, added: Sequence[str], vectors: Vectors, stale: Sequence[str]) -> None:
        """Store new vectors and drop stale ones (the caller holds the engine's lock)."""
        if self.status == "loaded" and (added or stale):
            self.status = f"updated (graph changed: {len(added)} encoded, {len(stale)} dropped)"
        if len(added):
            self.index.upsert(list(added), vectors)
        if stale:
            self.index.remove(list(stale))

    def save(self) -> None:
        """Save the index (crash-safe) if it lives on disk."""
        if self.directory is not None:
            self.index.save(
                self.directory, embedder=self.embedder.name, fingerprint=_fingerprint(self.index.ids())
            )


class SearchEngine:
    """Entity, chunk and sentence indexes plus the lexical index, and the hybrid scoring over them.

    Thread-safe: searches run concurrently with each other; a sync encodes outside the lock and swaps
    its changes in under it, so searches never see a half-updated index.

    Args:
        source: where documents come from.
        embedder: entity and query embedder (``joined`` by default).
        chunk_embedder: chunk and sentence embedder (``use``); its vectors must be the ``use`` part of
            the query embedder's when that is ``joined``, or the query embedder's own otherwise.
        directory: where the indexes are saved; None keeps them in memory.
        cache_size: query vectors cached.
        index_sentences: index description sentences (for explanations); baselines skip them.
        query_embedder: the same model as ``embedder`` elsewhere (e.g. in its own process) for queries;
            closed with the engine.
        extra_query_embedders: more of the same (further encoder processes) that encode queries side by
            side under load (see :class:`QueryEncoder`); closed with the engine.
        query_threads: ``(idle, busy)`` CPU threads of the query encoder for a lone query and for a
            batch (see :class:`QueryEncoder`); None leaves the query embedder's own setting.
    """

    def __init__(
        self,
        source: DocumentSource,
        *,
        embedder: Embedder,
        chunk_embedder: Embedder | None = None,
        directory: Path | None = None,
        cache_size: int = 2048,
        index_sentences: bool = True,
        query_embedder: Embedder | None = None,
        extra_query_embedders: Sequence[Embedder] = (),
        query_threads: tuple[int, int] | None = None,
    ) -> None:
        self.source = source
        self.index_sentences = index_sentences
        self.embedder = embedder
        self.chunk_embedder = chunk_embedder or embedder
        if chunk_embedder is not None and embedder.name != "joined" and chunk_embedder.name != embedder.name:
            raise InvalidInput(
                f"chunk embedder {chunk_embedder.name!r} cannot be searched with {embedder.name!r} queries",
                where="chunk_embedder",
            )
        if query_embedder is not None and (
            query_embedder.name != embedder.name or query_embedder.dimension != embedder.dimension
        ):
            raise InvalidInput(
                "the query embedder must be the entity embedder's model", where="query_embedder"
            )
        self._query_embedders = [one for one in (query_embedder, *extra_query_embedders) if one is not None]
        idle, busy = query_threads if query_threads is not None else (None, None)
        self.queries = QueryEncoder(
            query_embedder or embedder,
            extra_embedders=extra_query_embedders,
            cache_size=cache_size,
            idle_threads=idle,
            busy_threads=busy,
        )
        self._entities_channel = _Channel("entities", embedder, directory / "entities" if directory else None)
        # passages may come from an approximate index once there are many; entity scores stay exact
        self._chunks_channel = _Channel(
            "chunks",
            self.chunk_embedder,
            directory / "chunks" if directory else None,
            approximate_above=PASSAGE_APPROXIMATE_ABOVE,
        )
        self._sentences_channel = _Channel(
            "sentences",
            self.chunk_embedder,
            directory / "sentences" if directory else None,
            approximate_above=PASSAGE_APPROXIMATE_ABOVE,
        )
        self._channels = (self._entities_channel, self._chunks_channel, self._sentences_channel)
        for channel in self._channels:
            channel.load()
        self._lock = ReadWriteLock()
        # an OpenMP thread count belongs to its thread: the pool's thread searches on one, as a server must
        self._pool = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="entity-faiss", initializer=set_faiss_threads, initargs=(1,)
        )
        self._sync_lock = threading.Lock()
        self.entities: dict[str, EntityDoc] = {}
        self.chunks: dict[str, ChunkDoc] = {}
        self._vector_ids: dict[str, list[str]] = {}
        self._sentence_ids: dict[str, list[str]] = {}
        self._passage_chunks: dict[str, list[tuple[ChunkDoc, str]]] = {}
        self.bm25 = BM25Index(field_boosts={"name": 3.0})
        self._bm25_digest: dict[str, str] = {}
        self._lexical_path = directory / LEXICAL_STATE if directory is not None else None
        self._lexical_saved = False
        self._load_lexical()
        self.concept_labels: dict[str, Label] = {}
        self.facet_codes = FacetCodes.build({})
        self.matcher = ConceptMatcher([])
        self.listeners: list[Callable[[SyncReport], None]] = []
        self.status: dict[str, str] = {}
        self._heap_frozen = False

    # ------------------------------------------------------------------------------- syncing

    @property
    def sync_lock(self) -> threading.Lock:
        """The lock every sync (so every save) holds: hold it to copy the saved indexes whole (backups)."""
        return self._sync_lock

    def sync(self, progress: ProgressCallback | None = None) -> SyncReport:
        """Bring every index in line with the source; encode only what changed, then save."""
        with self._sync_lock:
            # the chunks are read on the pool's thread meanwhile: the store evaluates queries outside the
            # interpreter lock, so the two reads overlap (at 10^6 triples 2.1 s instead of 3.4 s)
            chunk_docs = self._pool.submit(self.source.chunks)
            entities = {doc.id: doc for doc in self.source.entities()}
            chunks = {doc.id: doc for doc in chunk_docs.result()}
            entity_texts = {
                f"{doc.id}|{lang}|{doc.digest(lang)}": text
                for doc in entities.values()
                for lang, text in doc.texts.items()
            }
            sentence_texts = {
                f"{doc.id}|{lang}|{i}|{doc.digest(lang)}": sentence
                for doc in entities.values()
                for lang, sentences in doc.sentences.items()
                for i, sentence in enumerate(sentences)
                if self.index_sentences
            }
            chunk_texts = {f"{doc.id}|{doc.digest()}": doc.text for doc in chunks.values()}
            report = SyncReport(entities=len(entities), chunks=len(chunks))
            saved = {channel.name: channel.saved_fingerprint() for channel in self._channels}
            plans = []
            for channel, wanted in (
                (self._entities_channel, entity_texts),
                (self._sentences_channel, sentence_texts),
                (self._chunks_channel, chunk_texts),
            ):
                with self._lock.read():
                    missing, stale = channel.plan(wanted)
                # encoding takes seconds per batch: searches go on meanwhile with the current indexes
                vectors = channel.encode([wanted[item] for item in missing], progress)
                plans.append((channel, missing, vectors, stale))
                report.encoded[channel.name] = len(missing)
                report.removed[channel.name] = len(stale)
            with self._lock.write():  # faiss writes must not overlap searches
                for channel, missing, vectors, stale in plans:
                    channel.apply(missing, vectors, stale)
                lexical_changed = self._swap_documents(entities, chunks, entity_texts, sentence_texts)
            for channel in self._channels:
                if (
                    report.encoded[channel.name]
                    or report.removed[channel.name]
                    or saved[channel.name] is None
                ):
                    channel.save()
                self.status[channel.name] = channel.status
            if lexical_changed or not self._lexical_saved:
                self._save_lexical()
        if not self._heap_frozen:
            # the models and indexes live as long as the process: keep the collector from walking them on
            # every request (measured: a full collection took ~370 ms with 10^4 entities, the p99 tail)
            gc.collect()
            gc.freeze()
            self._heap_frozen = True
        if report.changed:
            for listener in self.listeners:
                listener(report)
        return report

    def _swap_documents(
        self,
        entities: dict[str, EntityDoc],
        chunks: dict[str, ChunkDoc],
        entity_texts: Mapping[str, str],
        sentence_texts: Mapping[str, str],
    ) -> bool:
        """Install a sync's documents and bring BM25 in line with them; return whether BM25 changed."""
        vector_ids: dict[str, list[str]] = {}
        for item in entity_texts:
            vector_ids.setdefault(item.split("|", 1)[0], []).append(item)
        sentence_ids: dict[str, list[str]] = {}
        for item in sentence_texts:
            sentence_ids.setdefault(item.split("|", 1)[0], []).append(item)
        # per entity, the chunks that mention it and are not lists, with their vector ids: computed once
        # per sync instead of hashing every chunk's text for every search result
        mentioning: dict[str, list[tuple[ChunkDoc, str]]] = {}
        for chunk in chunks.values():
            if chunk.mentions and not _is_list(chunk):
                vector_id = f"{chunk.id}|{chunk.digest()}"
                for entity in chunk.mentions:
                    mentioning.setdefault(entity, []).append((chunk, vector_id))
        lexical_changed = False
        for doc_id in list(self._bm25_digest):
            if doc_id not in entities:
                self.bm25.remove(doc_id)
                del self._bm25_digest[doc_id]
                lexical_changed = True
        for doc in entities.values():
            digest = _lexical_digest(doc)
            if self._bm25_digest.get(doc.id) != digest:
                fields = {"name": "\n".join(doc.names)}
                fields.update({f"text_{lang}": text for lang, text in doc.texts.items()})
                self.bm25.add(doc.id, fields, None)
                self._bm25_digest[doc.id] = digest
                lexical_changed = True
        self.entities = entities
        self.facet_codes = FacetCodes.build(entities)
        self.chunks = chunks
        self._vector_ids = vector_ids
        self._sentence_ids = sentence_ids
        self._passage_chunks = mentioning
        self.bm25.prepare()
        self.concept_labels = self.source.concept_labels()
        self.matcher = self.source.concept_matcher()
        return lexical_changed

    def _load_lexical(self) -> None:
        """Start from the saved BM25 index, if there is a usable one (the first sync then checks it).

        Each entry carries the digest of the texts and names it was built from, so the sync re-indexes
        exactly the entities whose text changed and drops the ones that went away, as it does after a
        write; a state saved by other code (:func:`kg.search.saved_state.code_key`) is not loaded at all.
        """
        if self._lexical_path is None:
            return
        saved = load_state(self._lexical_path, "bm25", code_key())
        if (
            isinstance(saved, tuple)
            and len(saved) == 2
            and isinstance(saved[0], BM25Index)
            and isinstance(saved[1], dict)
        ):
            self.bm25, self._bm25_digest = saved
            self._lexical_saved = True
        elif saved is not None:
            log.warning("the saved BM25 index %s holds something else; rebuilding it", self._lexical_path)

    def _save_lexical(self) -> None:
        """Save the BM25 index with its digests (the sync lock is held: no other writer)."""
        if self._lexical_path is None:
            return
        with self._lock.read():
            save_state(self._lexical_path, "bm25", code_key(), (self.bm25, self._bm25_digest))
        self._lexical_saved = True

    def save_copy(self, directory: Path) -> None:
        """Write the indexes as a saved index under ``directory`` (``entities/``, ``chunks/``, ...).

        The copy loads like an index the engine saved itself, so it can seed another home whose graph
        holds the same texts (a restore drill, a new worker, a test): its first sync then encodes only
        the texts the copy lacks, instead of the whole graph.
        """
        with self._lock.read():
            for channel in self._channels:
                channel.index.save(
                    directory / channel.name,
                    embedder=channel.embedder.name,
                    fingerprint=_fingerprint(channel.index.ids()),
                )

    def preload(self, name: str, ids: Sequence[str], vectors: Vectors) -> None:
        """Put ready-made vectors into the ``entities``, ``chunks`` or ``sentences`` index.

        Ids must follow the sync's scheme (``<entity id>|<lang>|<digest>``, ``<chunk id>|<digest>``), so
        the next sync keeps them instead of encoding. Benchmarks use this for generated corpora.
        """
        channel = {c.name: c for c in self._channels}.get(name)
        if channel is None:
            raise InvalidInput(f"no index {name!r}", where="name")
        with self._lock.write():
            channel.index.upsert(list(ids), vectors)

    def close(self) -> None:
        """Stop the query workers (and the query encoder processes, if any)."""
        self.queries.close()
        self._pool.shutdown(wait=True)
        for one in self._query_embedders:
            close = getattr(one, "close", None)
            if close is not None:
                close()

    # ------------------------------------------------------------------------------- reading

    def __len__(self) -> int:
        """Return the number of searchable entities."""
        return len(self.entities)

    def counts(self) -> dict[str, int]:
        """Return the number of vectors per index and of entities and chunks."""
        with self._lock.read():
            out = {channel.name + "_vectors": len(channel.index) for channel in self._channels}
        out.update(entities=len(self.entities), chunks=len(self.chunks))
        return out

    def query_vector(self, text: str) -> np.ndarray:
        """Encode a query (cached, batched with concurrent ones)."""
        check_query(text)
        return self.queries.encode(text)

    def chunk_query_vector(self, vector: np.ndarray) -> np.ndarray:
        """Return the part of a query vector that searches chunk and sentence vectors."""
        if self.embedder.name == "joined" and self.chunk_embedder.name == "use":
            part: np.ndarray = joined_part(vector, "use")[0]
            return part
        return vector

    def entity_vector(self, entity_id: str) -> np.ndarray:
        """Return an entity's vector: the mean of its language vectors, unit length."""
        with self._lock.read():
            ids = self._vector_ids.get(entity_id)
            if not ids:
                raise InvalidInput(f"{entity_id!r} has no indexed text", where="id")
            mean = self._entities_channel.index.vectors(ids).mean(axis=0)
        norm = float(np.linalg.norm(mean))
        unit: np.ndarray = (mean / norm if norm > 0 else mean).astype(np.float32)
        return unit

    def dense_scores(self, vector: np.ndarray, *, k: int | None = None) -> dict[str, float]:
        """Return entity id -> best cosine over its language vectors, for the ``k`` nearest vectors (all)."""
        with self._lock.read():
            index = self._entities_channel.index
            limit = len(index) if k is None else min(k, len(index))
            if not limit:
                return {}
            hits = index.search(vector, limit)[0]
        scores: dict[str, float] = {}
        for vector_id, score in hits:
            entity = vector_id.split("|", 1)[0]
            if score > scores.get(entity, -math.inf):
                scores[entity] = score
        return scores

    def prepare(
        self,
        query: str,
        *,
        types: Sequence[str] | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        lexical: bool = True,
        dense: bool = True,
        graph: bool = True,
        pool: int | None = CANDIDATE_POOL,
    ) -> PreparedQuery:
        """Check a query and its restrictions before it is encoded; pass the result to :meth:`score`.

        The arguments are those of :meth:`score`; a bad query or filter raises :class:`InvalidInput` here,
        not after the encoder's work. After :meth:`score`, the plan also tells the query's language and the
        concepts it mentions (so a caller need not detect or match them again). Use a plan once.
        """
        return self._plan(query, types, filters, lexical=lexical, dense=dense, graph=graph, pool=pool)

    def score(
        self,
        query: str,
        *,
        types: Sequence[str] | None = None,
        filters: Mapping[str, Sequence[str]] | None = None,
        lexical: bool = True,
        dense: bool = True,
        graph: bool = True,
        vector: np.ndarray | None = None,
        pool: int | None = CANDIDATE_POOL,
        prepared: PreparedQuery | None = None,
    ) -> list[Candidate]:
        """Score entities for a query; return every candidate that passes the filters, best first.

        Args:
            query: the query text.
            types: entity types to keep (``instrument``, ``case``, ``community``); None keeps all.
            filters: facet -> concept ids; an entity must have at least one of the ids of every facet.
            lexical: use BM25 and name matching.
            dense: use the embedding.
            graph: boost entities sharing concepts the query mentions.
            vector: the query vector, if already encoded.
            pool: nearest vectors and best BM25 hits to consider (None: all). Ignored when ``types`` or
                ``filters`` restrict the results, so a filtered search still ranks every entity that passes.
            prepared: what :meth:`prepare` returned for ``query``; its settings replace ``types`` to
                ``pool``, and it is filled in here.
        """
        if prepared is None:
            plan = self._plan(query, types, filters, lexical=lexical, dense=dense, graph=graph, pool=pool)
        elif prepared.query != query or prepared.scored:
            raise InvalidInput("the prepared query is another query or was scored before", where="prepared")
        else:
            plan = prepared
        plan.scored = True
        dense_hits: Future[dict[str, float]] | None = None
        if plan.dense:
            qvec = self.query_vector(query) if vector is None else vector
            # faiss releases the interpreter lock: the entity search runs beside BM25 on the other core
            dense_hits = self._pool.submit(self.dense_scores, qvec, k=plan.pool)
        self._score_lexical(plan)
        candidates = plan.candidates
        if dense_hits is not None:
            entities, types_, filters_ = plan.entities, plan.types, plan.filters
            restricted = types_ is not None or bool(filters_)
            for entity_id, cosine in dense_hits.result().items():
                c = candidates.get(entity_id)
                if c is None:
                    doc = entities.get(entity_id)
                    if doc is None or (restricted and not _passes(doc, types_, filters_)):
                        continue
                    c = candidates[entity_id] = Candidate(doc)
                c.dense = cosine
        if plan.dense and plan.lexical and plan.pool is not None:
            self._fill_dense(candidates, qvec)
        mentioned = plan.mentioned
        if mentioned:
            wanted = [(m, m.facet, m.concept) for m in mentioned]
            for c in candidates.values():
                facets = c.doc.facets
                c.concepts = [m for m, facet, concept in wanted if concept in facets.get(facet, ())]
                c.graph = GRAPH_WEIGHT * min(len(c.concepts), GRAPH_MAX_SHARED)
        # the key adds the channels as Candidate.score does, without a property call per candidate
        return sorted(
            candidates.values(), key=lambda c: (-(c.dense + c.lexical + c.name + c.graph), c.doc.id)
        )

    def _plan(
        self,
        query: str,
        types: Sequence[str] | None,
        filters: Mapping[str, Sequence[str]] | None,
        *,
        lexical: bool,
        dense: bool,
        graph: bool,
        pool: int | None,
    ) -> PreparedQuery:
        """Check a query and its restrictions; return a plan with no candidates yet."""
        check_query(query)
        wanted_types = set(types) if types else None
        wanted_filters = self.check_filters(normalise_filters(filters))
        if wanted_types or wanted_filters:
            pool = None
        return PreparedQuery(
            query=query,
            lang=detect_language(query),
            types=wanted_types,
            filters=wanted_filters,
            pool=pool,
            lexical=lexical,
            dense=dense,
            graph=graph,
            entities=self.entities,
        )

    def _score_lexical(self, plan: PreparedQuery) -> None:
        """Add the BM25 and name-match candidates and the query's concepts to ``plan`` (needs no vector)."""
        if plan.lexical:
            weight = LEXICAL_WEIGHT[plan.lang] if plan.dense else 1.0
            with self._lock.read():
                hits = self.bm25.search(plan.query, lang=plan.lang, k=plan.pool or max(1, len(self.bm25)))
            best = max((hit.score - 1000.0 * hit.name_score for hit in hits), default=0.0)
            candidates, entities, types_, filters_ = plan.candidates, plan.entities, plan.types, plan.filters
            restricted = types_ is not None or bool(filters_)
            for hit in hits:
                c = candidates.get(hit.doc_id)
                if c is None:
                    doc = entities.get(hit.doc_id)
                    if doc is None or (restricted and not _passes(doc, types_, filters_)):
                        continue
                    c = candidates[hit.doc_id] = Candidate(doc)
                bm25 = hit.score - 1000.0 * hit.name_score
                c.lexical = weight * (bm25 / best if best > 0 else 0.0)
                c.name = NAME_WEIGHT * hit.name_score
                c.matched_terms = hit.matched_terms
        if plan.graph:
            plan.mentioned = self.matcher.match(plan.query)

    def check_filters(self, filters: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
        """Raise :class:`InvalidInput` for a filter value naming no known concept (if labels are known)."""
        known = self.concept_labels
        if not known:
            return filters
        for facet, values in filters.items():
            groups: dict[str, set[str]] = {}
            for value in values:
                # a bare level slug stands for an outcome level and a scale level: one of them must exist
                bare = (
                    value.removeprefix("outcome-level-").removeprefix("scale-level-")
                    if facet == "level"
                    else value
                )
                groups.setdefault(bare, set()).add(value)
            unknown = sorted(bare for bare, ids in groups.items() if not ids & known.keys())
            if unknown:
                raise InvalidInput(f"unknown {facet} {unknown[0]!r}", where=facet)
        return filters

    def lexical_similarity(self, doc: EntityDoc) -> dict[str, float]:
        """Return entity id -> BM25 of ``doc``'s own text against it, relative to the best other entity."""
        text = " ".join(doc.texts.values())
        with self._lock.read():  # BM25 only: name matching a whole description against every name is slow
            scores = {key: value for key, value in self.bm25.bm25_scores(text).items() if key != doc.id}
        best = max(scores.values(), default=0.0)
        return {key: value / best for key, value in scores.items()} if best > 0 else {}

    def _fill_dense(self, candidates: dict[str, Candidate], vector: np.ndarray) -> None:
        """Give the candidates that came from BM25 alone their exact cosine (best language)."""
        missing = [c for c in candidates.values() if c.dense == 0.0]
        if not missing:
            return
        ids: list[str] = []
        owners: list[Candidate] = []
        with self._lock.read():
            vector_ids = self._vector_ids
            for c in missing:
                found = vector_ids.get(c.doc.id)
                if found:
                    ids.extend(found)
                    owners.extend([c] * len(found))
            if not ids:
                return
            scores = (self._entities_channel.index.vectors(ids) @ vector).tolist()
        for c, score in zip(owners, scores, strict=True):
            c.dense = max(c.dense, score) if c.dense else score

    def best_passage(
        self, entity_id: str, vector: np.ndarray, *, documents: bool = True
    ) -> tuple[float, str, ChunkDoc | None] | None:
        """Return the entity's sentence or mentioning chunk closest to a chunk-space query vector."""
        with self._lock.read():
            best: tuple[float, str, ChunkDoc | None] | None = None
            sentence_ids = self._sentence_ids.get(entity_id, [])
            if sentence_ids:
                scores = self._sentences_channel.index.vectors(sentence_ids) @ vector
                row = int(np.argmax(scores))
                doc = self.entities[entity_id]
                _, lang, position, _ = sentence_ids[row].split("|")
                best = (float(scores[row]), doc.sentences[lang][int(position)], None)
            passage_chunks = self._passage_chunks.get(entity_id, []) if documents else []
            if passage_chunks:
                vector_ids = [vector_id for _, vector_id in passage_chunks]
                scores = self._chunks_channel.index.vectors(vector_ids) @ vector
                row = int(np.argmax(scores))
                chunk = passage_chunks[row][0]
                # a document passage must beat the item's own description clearly to be shown instead
                if best is None or float(scores[row]) > best[0] + CHUNK_PASSAGE_MARGIN:
                    best = (float(scores[row]), chunk.text, chunk)
        return best

    def search_chunks(self, vector: np.ndarray, k: int) -> list[tuple[ChunkDoc, float]]:
        """Return the ``k`` chunks nearest to a chunk-space query vector."""
        with self._lock.read():
            index = self._chunks_channel.index
            if not len(index):
                return []
            hits = index.search(vector, min(k, len(index)))[0]
        out = []
        for vector_id, score in hits:
            chunk = self.chunks.get(vector_id.rsplit("|", 1)[0])
            if chunk is not None:
                out.append((chunk, score))
        return out


def _lexical_digest(doc: EntityDoc) -> str:
    """Return what the BM25 entry of ``doc`` is built from, as digests: its texts and its names."""
    return "".join(doc.digest(lang) for lang in sorted(doc.texts)) + "\n".join(doc.names)


def _is_list(chunk: ChunkDoc) -> bool:
    named = [
        m for m in chunk.mentions if m.startswith(("case/", "instrument/", "community/", "organisation/"))
    ]
    return len(named) >= LIST_MENTIONS


def check_query(text: object) -> str:
    """Return the query if it is usable, else raise :class:`InvalidInput` saying why."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("query must be a non-empty text", where="q")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}", where="q")
    return text


def normalise_filters(filters: Mapping[str, Sequence[str]] | None) -> dict[str, frozenset[str]]:
    """Check facet filters and turn bare slugs into concept ids (``logistics`` -> ``sector-logistics``)."""
    prefixes = {
        "sector": "sector-",
        "phase": "phase-",
        "role": "role-",
        "value_type": "value-cycle-",
        "challenge": "challenge-",
        "practice": "practice-",
        "kind": "instrument-kind-",
        "form": "lc-form-",
    }
    out: dict[str, frozenset[str]] = {}
    for facet, values in (filters or {}).items():
        if facet not in FACETS:
            raise InvalidInput(f"unknown facet {facet!r}; choose from {', '.join(FACETS)}", where=facet)
        ids = set()
        for value in values:
            value = value.strip()
            if not value:
                continue
            prefix = prefixes.get(facet)
            if facet == "level" and not value.startswith(("outcome-level-", "scale-level-")):
                ids.update({f"outcome-level-{value}", f"scale-level-{value}"})
            elif prefix and not value.startswith(prefix):
                ids.add(prefix + value)
            else:
                ids.add(value)
        if ids:
            out[facet] = frozenset(ids)
    return out


def _passes(doc: EntityDoc, types: set[str] | None, filters: Mapping[str, frozenset[str]]) -> bool:
    if types is not None and doc.type not in types:
        return False
    return all(doc.facet(facet) & wanted for facet, wanted in filters.items())
