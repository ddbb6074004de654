"""Query vectors for a busy server: an LRU cache of repeated queries and micro-batching of concurrent ones.

The encoder is the cost of a search (about 60 ms of e5 + USE per query on one core) and each embedder runs
one batch at a time. Concurrent requests are therefore queued and a worker thread per embedder encodes
everything waiting as one batch: an idle server adds no delay (a lone query is encoded at once, on every
core), a loaded one amortises the per-call overhead over the batch. With two embedders (two encoder
processes, one per core) a loaded server keeps both cores encoding on one thread each, which is what the
cores allow: one process on two OpenMP threads loses its second core to the request threads and waits for
it at every barrier. Repeated queries (suggestions, paging, evaluation runs) come from the cache.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Final

import numpy as np

from kg.errors import InvalidInput
from kg.search.embedder import Embedder, Vectors

__all__ = ["QueryEncoder"]

_STOP: Final = object()


RETRY_AFTER_S: Final = 30.0
"""After a lone query found the cores contended, how long lone queries use the busy thread count."""
STARVED_CALLS: Final = 2
STARVED_WINDOW: Final = 3
"""Contention is declared when ``STARVED_CALLS`` of the last ``STARVED_WINDOW`` judged idle calls starved."""
JUDGED_FROM_S: Final = 0.02
"""Shortest call whose CPU share is taken as a sign of contention."""
CONTENDED: Final = 0.75
"""A call on ``n`` threads that got less than ``CONTENDED * n`` CPU seconds per wall second was contended."""


def _key(text: str) -> str:
    return " ".join(text.split())


class _ThreadPace:
    """Choose the thread count for a lone query: the idle count, unless the cores were found contended.

    The signal is the CPU the encoder got per wall second of a call on the idle count (reported by the
    embedder as ``last_cpu_per_wall``; :class:`kg.search.encoder_process.ProcessEmbedder` measures it in
    its child). Two OpenMP threads that both run use about two CPU seconds per second; when other programs
    hold a core, the threads wait for each other and the figure drops towards one, while the call takes
    several times longer than on one thread. When two of the last three judged calls were starved, lone
    queries use the busy count for
    :data:`RETRY_AFTER_S` before the idle count is tried again. An embedder that does not report the
    figure always gets the idle count.
    """

    def __init__(self, idle: int | None, busy: int | None, clock: Callable[[], float]) -> None:
        self.idle = idle
        self.busy = busy
        self._clock = clock
        self._contended_until = -math.inf
        self._recent: deque[bool] = deque(maxlen=STARVED_WINDOW)
        self.contended = 0
        """How many times the idle count was found contended."""

    def choose(self) -> int | None:
        """Return the thread count for the next lone query."""
        if self.idle == self.busy or self._clock() >= self._contended_until:
            return self.idle
        return self.busy

    def record(self, threads: int | None, cpu_per_wall: float | None, seconds: float | None) -> None:
        """Note what a call on ``threads`` got; a starved call on the idle count starts a busy spell.

        Calls shorter than :data:`JUDGED_FROM_S` are not judged: in a very short call the threads spend
        much of it starting and stopping, whatever the load.
        """
        if threads is None or threads != self.idle or self.idle == self.busy or cpu_per_wall is None:
            return
        if seconds is None or seconds < JUDGED_FROM_S:
            return
        self._recent.append(cpu_per_wall < CONTENDED * threads)
        if sum(self._recent) >= STARVED_CALLS:  # one starved call may be a blip; two in three are not
            self._contended_until = self._clock() + RETRY_AFTER_S
            self._recent.clear()
            self.contended += 1


class QueryEncoder:
    """Encode queries through a cache and a batching worker.

    Args:
        embedder: the query embedder.
        extra_embedders: more embedders of the same model (e.g. further encoder processes), each with a
            worker of its own; under load they encode batches side by side.
        cache_size: query vectors kept (least recently used are dropped); 0 disables the cache.
        max_batch: most queries encoded in one call.
        idle_threads: CPU threads for a query that arrives alone (nothing else waiting); None leaves the
            embedder's own setting.
        busy_threads: CPU threads for a batch, or for a query while others wait; None as above.

        clock: time source (tests pass a fake one).

    Why two thread counts: a lone query is waited on by its user and has the machine to itself, so every
    core shortens it (e5 on 2 threads takes about 0.6 of the time on 1); under load the server's request
    threads need the other core, and batches keep the encoder busy on one. A lone query only *usually*
    has the machine to itself: when other programs keep the cores busy, OpenMP threads wait for each other
    and two threads become several times slower than one. So the encoder watches whether its threads got
    the CPU they asked for (:class:`_ThreadPace`) and falls back to the busy count for a while if not.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        extra_embedders: Sequence[Embedder] = (),
        cache_size: int = 2048,
        max_batch: int = 16,
        idle_threads: int | None = None,
        busy_threads: int | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.embedder = embedder
        self.embedders = [embedder, *extra_embedders]
        for other in extra_embedders:
            if other.name != embedder.name or other.dimension != embedder.dimension:
                raise InvalidInput("every query embedder must be the same model", where="extra_embedders")
        self._idle_threads = idle_threads
        self._busy_threads = busy_threads
        self._clock = clock
        self._pace = _ThreadPace(idle_threads, busy_threads, clock)
        self.idle_batches = 0
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = threading.Lock()
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._busy_workers = 0
        self._busy_lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._run, args=(one,), name=f"query-encoder-{i}", daemon=True)
            for i, one in enumerate(self.embedders)
        ]
        self._closed = False
        self.hits = 0
        self.misses = 0
        self.batches = 0
        for worker in self._workers:
            worker.start()

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

    def _run(self, embedder: Embedder) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            with self._busy_lock:
                self._busy_workers += 1
                others_busy = self._busy_workers > 1
            try:
                self._encode_batch(embedder, first, others_busy)
            finally:
                with self._busy_lock:
                    self._busy_workers -= 1

    def _encode_batch(self, embedder: Embedder, first: object, others_busy: bool) -> None:
        """Encode ``first`` and whatever else waits (up to ``max_batch``) on ``embedder``."""
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
        # a lone query has the cores to itself only if no other worker is encoding
        alone = len(batch) == 1 and self._queue.empty() and not others_busy
        threads = self._pace.choose() if alone else self._busy_threads
        try:
            vectors = (
                embedder.encode_queries(texts)
                if threads is None
                else embedder.encode_queries(texts, threads=threads)
            )
        except Exception as exc:
            for future in futures:
                future.set_exception(exc)
            return
        self._pace.record(
            threads,
            getattr(embedder, "last_cpu_per_wall", None),
            getattr(embedder, "last_seconds", None),
        )
        with self._busy_lock:
            self.batches += 1
            self.idle_batches += alone and threads == self._idle_threads
        for row, future in enumerate(futures):
            future.set_result(vectors[row].copy())

    def close(self) -> None:
        """Stop the worker thread (queries already queued are still answered)."""
        if not self._closed:
            self._closed = True
            for _ in self._workers:
                self._queue.put(_STOP)
            for worker in self._workers:
                worker.join(timeout=10)
