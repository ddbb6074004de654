"""The query encoder's cache and micro-batching, with a tiny deterministic embedder.

The fake embedder stands in for the model on purpose: these tests are about which texts reach the model in
which batches and which vector each caller gets back, not about search quality.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from kg.errors import InvalidInput
from kg.search.embedder import Embedder, Vectors
from kg.search.query_encoder import QueryEncoder

DIM = 8


def expected_vector(text: str) -> np.ndarray:
    """The unit vector the fake embedder gives ``text`` (seeded by its hash, so distinct per text)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    unit: np.ndarray = v / np.linalg.norm(v)
    return unit


class FakeEmbedder:
    """An :class:`Embedder` that records every call and can be made slow or made to fail."""

    def __init__(self, *, delay_s: float = 0.0, fail_on: str | None = None) -> None:
        self.calls: list[list[str]] = []
        self.threads: list[int | None] = []
        self.delay_s = delay_s
        self.fail_on = fail_on
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return "fake"

    @property
    def dimension(self) -> int:
        return DIM

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        with self._lock:
            self.calls.append(list(texts))
            self.threads.append(threads)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError(f"cannot encode {self.fail_on!r}")
        time.sleep(self.delay_s)
        return np.vstack([expected_vector(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        return self.encode_queries(texts)


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def encoder(fake: FakeEmbedder) -> Iterator[QueryEncoder]:
    enc = QueryEncoder(fake, cache_size=4)
    yield enc
    enc.close()


def test_the_fake_is_an_embedder(fake: FakeEmbedder) -> None:
    """The stand-in satisfies the Embedder protocol the encoder is written against."""
    assert isinstance(fake, Embedder)


def test_a_query_gets_its_own_vector(encoder: QueryEncoder) -> None:
    """A lone query is encoded and its vector returned unchanged."""
    np.testing.assert_allclose(encoder.encode("samen leren"), expected_vector("samen leren"))
    assert encoder.misses == 1 and encoder.batches == 1


def test_repeated_queries_come_from_the_cache(encoder: QueryEncoder, fake: FakeEmbedder) -> None:
    """The same query (up to white space) reaches the model once; later asks are cache hits."""
    first = encoder.encode("samen leren")
    again = encoder.encode("  samen   leren ")
    np.testing.assert_array_equal(first, again)
    assert fake.calls == [["samen leren"]]
    assert (encoder.hits, encoder.misses) == (1, 1)


def test_the_cache_drops_the_least_recently_used(encoder: QueryEncoder, fake: FakeEmbedder) -> None:
    """With room for four, a fifth query evicts the one used longest ago, not one used recently."""
    for text in ("a1", "a2", "a3", "a4"):
        encoder.encode(text)
    encoder.encode("a1")  # now the most recently used
    encoder.encode("a5")  # evicts a2
    calls = len(fake.calls)
    encoder.encode("a1")
    assert len(fake.calls) == calls
    encoder.encode("a2")
    assert len(fake.calls) == calls + 1 and fake.calls[-1] == ["a2"]


def test_cache_size_zero_disables_the_cache(fake: FakeEmbedder) -> None:
    """Without a cache every ask goes to the model."""
    enc = QueryEncoder(fake, cache_size=0)
    try:
        enc.encode("x")
        enc.encode("x")
    finally:
        enc.close()
    assert fake.calls == [["x"], ["x"]] and enc.hits == 0


def test_encode_many_matches_one_by_one(encoder: QueryEncoder) -> None:
    """encode_many stacks the same vectors encode gives; no texts is an empty matrix."""
    texts = ["een", "twee", "drie"]
    many = encoder.encode_many(texts)
    assert many.shape == (3, DIM)
    for row, text in zip(many, texts, strict=True):
        np.testing.assert_allclose(row, expected_vector(text))
    assert encoder.encode_many([]).shape == (0, DIM)


@pytest.mark.parametrize("bad", ["", "   "])
def test_an_empty_query_is_invalid_input(encoder: QueryEncoder, fake: FakeEmbedder, bad: str) -> None:
    """Blank queries are refused before they reach the model."""
    with pytest.raises(InvalidInput, match="non-empty"):
        encoder.encode(bad)
    assert fake.calls == []


def test_concurrent_queries_are_batched_and_each_gets_its_own_vector() -> None:
    """Eight threads asking at once for distinct texts: every caller gets the vector of its own text, each
    text is encoded exactly once, and the model is called fewer times than there were callers."""
    slow = FakeEmbedder(delay_s=0.2)
    enc = QueryEncoder(slow, cache_size=0)
    texts = [f"vraag nummer {i}" for i in range(8)]
    start = threading.Barrier(len(texts))

    def ask(text: str) -> tuple[str, np.ndarray]:
        start.wait()
        return text, enc.encode(text)

    try:
        with ThreadPoolExecutor(len(texts)) as pool:
            answers = list(pool.map(ask, texts))
    finally:
        enc.close()
    for text, vector in answers:
        np.testing.assert_allclose(vector, expected_vector(text))
    encoded = [t for call in slow.calls for t in call]
    assert sorted(encoded) == sorted(texts)
    assert enc.batches == len(slow.calls) < len(texts)
    assert max(len(call) for call in slow.calls) > 1


def test_a_lone_query_gets_the_idle_threads_and_a_batch_the_busy_threads() -> None:
    """One query at a time is encoded with every idle thread; queries arriving together share one batch
    encoded with the busy count, so the server's request threads keep a core under load."""
    slow = FakeEmbedder(delay_s=0.2)
    enc = QueryEncoder(slow, cache_size=0, idle_threads=2, busy_threads=1)
    texts = [f"samen {i}" for i in range(6)]
    start = threading.Barrier(len(texts))

    def ask(text: str) -> np.ndarray:
        start.wait()
        return enc.encode(text)

    try:
        enc.encode("alleen")
        with ThreadPoolExecutor(len(texts)) as pool:
            list(pool.map(ask, texts))
    finally:
        enc.close()
    assert slow.calls[0] == ["alleen"] and slow.threads[0] == 2
    batched = [n for call, n in zip(slow.calls, slow.threads, strict=True) if len(call) > 1]
    assert batched and set(batched) == {1}
    assert enc.idle_batches == sum(1 for n in slow.threads if n == 2) >= 1


class ContendedEmbedder(FakeEmbedder):
    """A fake that reports the CPU its threads got, like the encoder process on a busy machine."""

    def __init__(self) -> None:
        super().__init__()
        self.other_programs = False
        self.last_cpu_per_wall: float | None = None
        self.last_seconds: float | None = None

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        used = threads or 1
        self.last_cpu_per_wall = 1.05 if self.other_programs and used > 1 else 0.97 * used
        self.last_seconds = 0.001 if texts and texts[0].startswith("kort") else 0.05
        return super().encode_queries(texts, threads=threads)


def test_lone_queries_leave_the_idle_count_while_the_cores_are_contended() -> None:
    """Two threads are used while they get two CPUs' worth; a lone query that got about one CPU (other
    programs hold a core) sends lone queries to one thread until the retry pause has passed."""
    from kg.search import query_encoder

    now = [0.0]
    contended = ContendedEmbedder()
    real_clock = time.perf_counter

    def clock() -> float:
        return now[0] + real_clock()

    enc = QueryEncoder(contended, cache_size=0, idle_threads=2, busy_threads=1, clock=clock)
    try:
        for i in range(3):
            enc.encode(f"rustig {i}")
        assert contended.threads == [2, 2, 2]
        contended.other_programs = True
        enc.encode("kort")  # too short a call to judge: the idle count stays
        assert contended.threads[-1] == 2
        enc.encode("druk")  # one starved call may be a blip: two threads again ...
        enc.encode("nog steeds druk")  # ... a second one is not ...
        enc.encode("en nog steeds druk")
        assert contended.threads[-3:] == [2, 2, 1]  # ... and the next query goes to one thread
        contended.other_programs = False
        enc.encode("weer rustig maar te vroeg")
        assert contended.threads[-1] == 1
        now[0] += query_encoder.RETRY_AFTER_S
        enc.encode("weer rustig")
        enc.encode("en nog eens")
        assert contended.threads[-2:] == [2, 2]  # retried after the pause, and kept
        assert enc._pace.contended == 1
    finally:
        enc.close()


def test_without_thread_counts_the_embedder_keeps_its_own() -> None:
    """No idle/busy counts: the embedder is called without a thread count."""
    fake = FakeEmbedder()
    enc = QueryEncoder(fake, cache_size=0)
    try:
        enc.encode("gewoon")
    finally:
        enc.close()
    assert fake.threads == [None]


def test_batches_never_exceed_max_batch() -> None:
    """Queued queries are split into batches of at most ``max_batch``."""
    slow = FakeEmbedder(delay_s=0.1)
    enc = QueryEncoder(slow, cache_size=0, max_batch=3)
    texts = [f"q{i}" for i in range(10)]
    start = threading.Barrier(len(texts))

    def ask(text: str) -> np.ndarray:
        start.wait()
        return enc.encode(text)

    try:
        with ThreadPoolExecutor(len(texts)) as pool:
            vectors = list(pool.map(ask, texts))
    finally:
        enc.close()
    assert all(len(call) <= 3 for call in slow.calls)
    assert sum(len(call) for call in slow.calls) == len(texts)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(vector, expected_vector(text))


def test_a_model_error_reaches_the_caller_and_the_worker_goes_on() -> None:
    """An encoding error is raised to the caller whose batch failed; the next query is still answered."""
    failing = FakeEmbedder(fail_on="boem")
    enc = QueryEncoder(failing)
    try:
        with pytest.raises(RuntimeError, match="boem"):
            enc.encode("boem")
        np.testing.assert_allclose(enc.encode("daarna"), expected_vector("daarna"))
    finally:
        enc.close()


def test_after_close_only_cached_queries_are_answered(fake: FakeEmbedder) -> None:
    """A closed encoder still serves its cache but refuses to encode anything new."""
    enc = QueryEncoder(fake)
    enc.encode("bekend")
    enc.close()
    np.testing.assert_allclose(enc.encode("bekend"), expected_vector("bekend"))
    with pytest.raises(RuntimeError, match="closed"):
        enc.encode("nieuw")
    enc.close()  # closing twice is harmless


def test_two_embedders_encode_concurrent_batches_side_by_side_on_the_busy_threads() -> None:
    """With two embedders (two encoder processes) a burst of queries is shared between them, each batch on
    the busy thread count, every caller gets its own vector, and a lone query still gets the idle count."""
    first, second = FakeEmbedder(delay_s=0.15), FakeEmbedder(delay_s=0.15)
    enc = QueryEncoder(first, extra_embedders=[second], cache_size=0, idle_threads=2, busy_threads=1)
    texts = [f"tegelijk {i}" for i in range(12)]
    start = threading.Barrier(len(texts))

    def ask(text: str) -> np.ndarray:
        start.wait()
        return enc.encode(text)

    try:
        lone = enc.encode("alleen")
        with ThreadPoolExecutor(len(texts)) as pool:
            vectors = list(pool.map(ask, texts))
    finally:
        enc.close()
    np.testing.assert_allclose(lone, expected_vector("alleen"), rtol=1e-6)
    for text, vector in zip(texts, vectors, strict=True):
        np.testing.assert_allclose(vector, expected_vector(text), rtol=1e-6)
    encoded = [t for one in (first, second) for call in one.calls for t in call]
    assert sorted(encoded) == sorted(["alleen", *texts]), "every query encoded exactly once"
    assert first.calls and second.calls, "both embedders took part of the burst"
    lone_threads = [
        n
        for one in (first, second)
        for call, n in zip(one.calls, one.threads, strict=True)
        if call == ["alleen"]
    ]
    assert lone_threads == [2]
    batch_threads = {
        n for one in (first, second) for call, n in zip(one.calls, one.threads, strict=True) if len(call) > 1
    }
    assert batch_threads == {1}, "a batch is encoded on the busy count, one core per encoder"


def test_extra_embedders_must_be_the_same_model(fake: FakeEmbedder) -> None:
    """A second embedder of another model would give vectors of another space: refused at once."""

    class Other(FakeEmbedder):
        @property
        def name(self) -> str:
            return "other"

    with pytest.raises(InvalidInput, match="same model"):
        QueryEncoder(fake, extra_embedders=[Other()])
