"""Query vectors for a busy server: an LRU cache of repeated queries and micro-batching of concurrent ones.

The encoder is the cost of a search (about 40 ms of e5 + USE per query on one core) and runs one batch at a
time. Concurrent requests are therefore queued and a single worker thread encodes everything waiting as one
batch: an idle server adds no delay (a lone query is encoded at once), a loaded one amortises the per-call
overhead over the batch. Repeated queries (suggestions, paging, evaluation runs) come from the cache.
"""

from __future__ import annotations

import queue
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Final

import numpy as np

from kg.errors import InvalidInput
from kg.search.embedder import Embedder, Vectors

__all__ = ["QueryEncoder"]

_STOP: Final = object()


def _key(text: str) -> str:
    return " ".join(text.split())


class QueryEncoder:
    """Encode queries through a cache and a batching worker.

    Args:
        embedder: the query embedder.
        cache_size: query vectors kept (least recently used are dropped); 0 disables the cache.
        max_batch: most queries encoded in one call.
    """

    def __init__(self, embedder: Embedder, *, cache_size: int = 2048, max_batch: int = 16) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._closed = False
        self.hits = 0
        self.misses = 0
        self.batches = 0
        self._worker.start()

    def encode(self, text: str) -> np.ndarray:
        """Return the unit query vector of ``text`` (from the cache when it was asked before)."""
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("query must be a non-empty string", where="query")
        key = _key(text)
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        if self._closed:
            raise RuntimeError("the query encoder is closed")
        future: Future[np.ndarray] = Future()
        self._queue.put((key, future))
        vector = future.result()
        if self._cache_size:
            with self._cache_lock:
                self._cache[key] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return vector

    def encode_many(self, texts: list[str]) -> Vectors:
        """Encode several queries (each through the cache)."""
        if not texts:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.vstack([self.encode(text) for text in texts])

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    self._queue.put(_STOP)
                    break
                batch.append(item)
            texts = [item[0] for item in batch]  # type: ignore[index]
            futures: list[Future[np.ndarray]] = [item[1] for item in batch]  # type: ignore[index]
            try:
                vectors = self.embedder.encode_queries(texts)
            except Exception as exc:
                for future in futures:
                    future.set_exception(exc)
                continue
            self.batches += 1
            for row, future in enumerate(futures):
                future.set_result(vectors[row].copy())

    def close(self) -> None:
        """Stop the worker thread (queries already queued are still answered)."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._worker.join(timeout=10)
