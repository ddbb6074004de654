"""The faiss vector index: exact search, upsert/remove, crash-safe save, manifest checks at load."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from kg.errors import InvalidInput
from kg.search.index import (
    IDS_FILE,
    INDEX_FILE,
    MANIFEST_FILE,
    IndexStale,
    Manifest,
    VectorIndex,
    set_faiss_threads,
)

DIM = 16


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    normalised: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return normalised


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> None:
    set_faiss_threads(1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


@pytest.fixture
def filled(rng: np.random.Generator) -> tuple[VectorIndex, list[str], np.ndarray]:
    ids = [f"lc:item{i}" for i in range(200)]
    vectors = unit(rng, len(ids))
    index = VectorIndex(DIM)
    index.upsert(ids, vectors)
    return index, ids, vectors


def test_top1_is_brute_force_argmax(
    filled: tuple[VectorIndex, list[str], np.ndarray], rng: np.random.Generator
) -> None:
    index, ids, vectors = filled
    queries = unit(rng, 30)
    hits = index.search(queries, 5)
    expected = np.argmax(queries @ vectors.T, axis=1)
    assert [row[0][0] for row in hits] == [ids[i] for i in expected]
    for query, row in zip(queries, hits, strict=True):
        assert len(row) == 5
        scores = [score for _, score in row]
        assert scores == sorted(scores, reverse=True)
        assert scores[0] == pytest.approx(float(np.max(vectors @ query)), abs=1e-5)


def test_single_vector_query_and_k_larger_than_index(rng: np.random.Generator) -> None:
    index = VectorIndex(DIM)
    assert index.search(unit(rng, 1)[0], 3) == [[]]
    vectors = unit(rng, 2)
    index.upsert(["a", "b"], vectors)
    hits = index.search(vectors[0], 10)
    assert len(hits) == 1
    assert [hit_id for hit_id, _ in hits[0]] == ["a", "b"]


def test_upsert_replaces(filled: tuple[VectorIndex, list[str], np.ndarray], rng: np.random.Generator) -> None:
    index, ids, _ = filled
    new = unit(rng, 1)
    index.upsert([ids[7]], new)
    assert len(index) == len(ids)
    assert index.ids().count(ids[7]) == 1
    top_id, top_score = index.search(new, 1)[0][0]
    assert top_id == ids[7]
    assert top_score == pytest.approx(1.0, abs=1e-5)


def test_upsert_mixed_new_and_existing(
    filled: tuple[VectorIndex, list[str], np.ndarray], rng: np.random.Generator
) -> None:
    index, ids, _ = filled
    new = unit(rng, 2)
    index.upsert([ids[0], "lc:new"], new)
    assert len(index) == len(ids) + 1
    assert [row[0][0] for row in index.search(new, 1)] == [ids[0], "lc:new"]


def test_remove(filled: tuple[VectorIndex, list[str], np.ndarray]) -> None:
    index, ids, vectors = filled
    assert index.remove([ids[3], ids[3], "lc:absent"]) == 1
    assert len(index) == len(ids) - 1
    assert ids[3] not in index
    assert ids[3] not in index.ids()
    hits = index.search(vectors[3], len(ids))
    assert ids[3] not in {hit_id for hit_id, _ in hits[0]}
    assert len(hits[0]) == len(ids) - 1
    index.upsert([ids[3]], vectors[3:4])
    assert index.search(vectors[3], 1)[0][0][0] == ids[3]


def test_save_load_round_trip(
    filled: tuple[VectorIndex, list[str], np.ndarray], rng: np.random.Generator, tmp_path: Path
) -> None:
    index, ids, _ = filled
    index.remove(ids[:5])
    manifest = index.save(tmp_path, embedder="joined", fingerprint="fp1")
    assert manifest.count == len(ids) - 5
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_FILE, IDS_FILE, MANIFEST_FILE])
    assert Manifest.read(tmp_path) == manifest
    loaded = VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint="fp1")
    queries = unit(rng, 20)
    assert loaded.search(queries, 10) == index.search(queries, 10)
    assert loaded.ids() == index.ids()
    assert len(loaded) == len(index)
    # labels continue after load: a new id does not collide with a stored one
    loaded.upsert(["lc:fresh"], queries[:1])
    assert loaded.search(queries[0], 1)[0][0][0] == "lc:fresh"
    assert len(loaded) == len(index) + 1
    # a second save keeps created_at and moves updated_at forward (or equal within the second)
    again = loaded.save(tmp_path, embedder="joined", fingerprint="fp2")
    assert again.created_at == manifest.created_at
    assert again.updated_at >= manifest.updated_at
    assert len(VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)) == len(loaded)


@pytest.mark.parametrize(
    ("embedder", "dimension", "fingerprint", "reason"),
    [
        ("e5", DIM, "fp1", "embedder-changed"),
        ("joined", DIM + 1, "fp1", "dimension-changed"),
        ("joined", DIM, "fp2", "fingerprint-changed"),
    ],
)
def test_load_refuses_a_different_build(
    filled: tuple[VectorIndex, list[str], np.ndarray],
    tmp_path: Path,
    embedder: str,
    dimension: int,
    fingerprint: str,
    reason: str,
) -> None:
    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path, embedder=embedder, dimension=dimension, fingerprint=fingerprint)
    assert caught.value.reason == reason
    assert caught.value.code == "index-stale"
    assert reason in str(caught.value)


def test_fingerprint_none_skips_the_check(
    filled: tuple[VectorIndex, list[str], np.ndarray], tmp_path: Path
) -> None:
    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    assert len(VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)) == len(
        filled[0]
    )


def test_missing_directory_or_files(
    filled: tuple[VectorIndex, list[str], np.ndarray], tmp_path: Path
) -> None:
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path / "nothing", embedder="joined", dimension=DIM, fingerprint=None)
    assert caught.value.reason == "missing"
    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    (tmp_path / IDS_FILE).unlink()
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)
    assert caught.value.reason == "missing"
    assert IDS_FILE in str(caught.value)


def test_truncated_index_file_is_stale(
    filled: tuple[VectorIndex, list[str], np.ndarray], tmp_path: Path
) -> None:
    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    path = tmp_path / INDEX_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)
    assert caught.value.reason == "corrupt"
    assert INDEX_FILE in str(caught.value)


def test_truncated_index_matching_a_forged_manifest_is_stale(
    filled: tuple[VectorIndex, list[str], np.ndarray], tmp_path: Path
) -> None:
    """Even with a matching checksum (manifest edited by hand), faiss failing is IndexStale, not a crash."""
    import hashlib

    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    path = tmp_path / INDEX_FILE
    truncated = path.read_bytes()[:100]
    path.write_bytes(truncated)
    raw = json.loads((tmp_path / MANIFEST_FILE).read_text())
    raw["checksums"][INDEX_FILE] = hashlib.sha256(truncated).hexdigest()
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(raw))
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)
    assert caught.value.reason == "corrupt"


def test_corrupt_manifest_is_stale(filled: tuple[VectorIndex, list[str], np.ndarray], tmp_path: Path) -> None:
    filled[0].save(tmp_path, embedder="joined", fingerprint="fp1")
    (tmp_path / MANIFEST_FILE).write_text('{"embedder": "joined"')
    with pytest.raises(IndexStale) as caught:
        VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint=None)
    assert caught.value.reason == "corrupt"


def crash_on(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make os.replace fail when it is about to put ``name`` in place (a crash between writes)."""
    real = os.replace

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(dst).name == name:
            raise OSError(f"simulated crash before {name}")
        real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("crash_at", [MANIFEST_FILE, IDS_FILE, INDEX_FILE])
def test_crash_during_save_keeps_the_previous_index(
    filled: tuple[VectorIndex, list[str], np.ndarray],
    rng: np.random.Generator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    crash_at: str,
) -> None:
    index, ids, _ = filled
    index.save(tmp_path, embedder="joined", fingerprint="old")
    queries = unit(rng, 10)
    before = index.search(queries, 5)
    index.upsert(["lc:extra"], unit(rng, 1))
    index.remove(ids[:50])
    with monkeypatch.context() as patch:
        crash_on(patch, crash_at)
        with pytest.raises(OSError, match="simulated crash"):
            index.save(tmp_path, embedder="joined", fingerprint="new")
    loaded = VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint="old")
    assert len(loaded) == len(ids)
    assert loaded.search(queries, 5) == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # a second interrupted save must not lose the committed index either
    with monkeypatch.context() as patch:
        crash_on(patch, MANIFEST_FILE)
        with pytest.raises(OSError):
            index.save(tmp_path, embedder="joined", fingerprint="newer")
    assert (
        VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint="old").search(queries, 5)
        == before
    )
    # and a save that completes replaces it and tidies up
    index.save(tmp_path, embedder="joined", fingerprint="new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([INDEX_FILE, IDS_FILE, MANIFEST_FILE])
    reloaded = VectorIndex.load(tmp_path, embedder="joined", dimension=DIM, fingerprint="new")
    assert len(reloaded) == len(ids) + 1 - 50
    assert reloaded.search(queries, 5) == index.search(queries, 5)


@pytest.mark.parametrize(
    ("vectors", "message"),
    [
        (np.zeros((2, DIM), dtype=np.float64), "dtype float32"),
        ([[0.0] * DIM] * 2, "numpy array"),
        (np.full((2, DIM + 1), (DIM + 1) ** -0.5, dtype=np.float32), f"{DIM} columns"),
        (np.ones((2, 2, DIM), dtype=np.float32), "1-D or 2-D"),
        (np.ones((2, DIM), dtype=np.float32), "L2-normalised"),
        (np.full((2, DIM), np.nan, dtype=np.float32), "NaN"),
        (np.full((3, DIM), DIM**-0.5, dtype=np.float32), "2 ids but 3 vectors"),
    ],
)
def test_upsert_rejects_bad_vectors(vectors: object, message: str) -> None:
    index = VectorIndex(DIM)
    with pytest.raises(InvalidInput, match=message):
        index.upsert(["a", "b"], vectors)  # type: ignore[arg-type]
    assert len(index) == 0


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ("ab", "sequence of strings"),
        (["a", "a"], "more than once"),
        (["a", ""], "non-empty string"),
        (["a", 3], "non-empty"),
    ],
)
def test_upsert_rejects_bad_ids(ids: object, message: str, rng: np.random.Generator) -> None:
    with pytest.raises(InvalidInput, match=message):
        VectorIndex(DIM).upsert(ids, unit(rng, 2))  # type: ignore[arg-type]


def test_search_rejects_bad_queries(filled: tuple[VectorIndex, list[str], np.ndarray]) -> None:
    index = filled[0]
    with pytest.raises(InvalidInput, match="dtype float32"):
        index.search(np.zeros(DIM), 1)
    with pytest.raises(InvalidInput, match=f"{DIM} columns"):
        index.search(np.zeros((1, 3), dtype=np.float32), 1)
    with pytest.raises(InvalidInput, match="k must be a positive integer"):
        index.search(np.zeros(DIM, dtype=np.float32), 0)
    with pytest.raises(InvalidInput, match="dimension"):
        VectorIndex(0)
    with pytest.raises(InvalidInput, match="threads"):
        set_faiss_threads(0)


def test_ten_thousand_vectors_384_dims(rng: np.random.Generator) -> None:
    vectors = unit(rng, 10_000, 384)
    index = VectorIndex(384)
    index.upsert([f"chunk{i}" for i in range(len(vectors))], vectors)
    queries = vectors[:100] + 0.01 * unit(rng, 100, 384)
    hits = index.search(queries, 10)
    assert len(hits) == 100
    assert all(len(row) == 10 for row in hits)
    assert [row[0][0] for row in hits] == [f"chunk{i}" for i in np.argmax(queries @ vectors.T, axis=1)]


def test_import_does_not_load_faiss() -> None:
    import subprocess
    import sys

    code = "import sys, kg.search.index; print('faiss' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- approximate (IVF) mode


def clustered(rng: np.random.Generator, n: int, dim: int = 32, centres: int = 40) -> np.ndarray:
    """Unit vectors around a few centres, as embeddings of texts on a few topics are."""
    base = rng.standard_normal((centres, dim)).astype(np.float32)
    points = base[rng.integers(0, centres, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    normalised: np.ndarray = points / np.linalg.norm(points, axis=1, keepdims=True)
    return normalised


def test_an_index_switches_to_ivf_at_its_threshold_and_keeps_recall(rng: np.random.Generator) -> None:
    """Below the threshold the index is flat and exact; from it on, an IVF index whose top-5 agrees with
    the exact answer for nearly every query, and whose vectors read back unchanged."""
    vectors = clustered(rng, 4000)
    ids = [f"chunk{i}" for i in range(len(vectors))]
    exact = VectorIndex(32)
    exact.upsert(ids, vectors)
    index = VectorIndex(32, approximate_above=3000)
    index.upsert(ids[:2500], vectors[:2500])
    assert not index.approximate
    index.upsert(ids[2500:], vectors[2500:])
    assert index.approximate and len(index) == 4000
    queries = clustered(np.random.default_rng(7), 100)
    found = index.search(queries, 5)
    truth = exact.search(queries, 5)
    recall = np.mean(
        [len({i for i, _ in f} & {i for i, _ in t}) / 5 for f, t in zip(found, truth, strict=True)]
    )
    assert recall >= 0.9
    np.testing.assert_allclose(index.vectors(["chunk3", "chunk3999"]), vectors[[3, 3999]], atol=1e-6)


def test_ivf_upsert_remove_save_and_load(rng: np.random.Generator, tmp_path: Path) -> None:
    """Replacing and removing vectors work on the IVF index, and it saves and loads as it was; a load
    without the threshold, or a shrink below half of it, returns to an exact flat index."""
    vectors = clustered(rng, 3000)
    ids = [f"c{i}" for i in range(len(vectors))]
    index = VectorIndex(32, approximate_above=2000)
    index.upsert(ids, vectors)
    assert index.approximate
    assert index.remove(["c1", "c2", "missing"]) == 2
    assert "c1" not in index and len(index) == 2998
    index.upsert(["c3"], vectors[[10]])
    np.testing.assert_allclose(index.vectors(["c3"]), vectors[[10]], atol=1e-6)
    assert index.search(vectors[10], 1)[0][0][0] in {"c3", "c10"}
    index.save(tmp_path, embedder="use", fingerprint="fp")
    loaded = VectorIndex.load(
        tmp_path, embedder="use", dimension=32, fingerprint="fp", approximate_above=2000
    )
    assert loaded.approximate and sorted(loaded.ids()) == sorted(index.ids())
    query = clustered(np.random.default_rng(3), 1)[0]
    assert loaded.search(query, 5) == index.search(query, 5)
    flat = VectorIndex.load(tmp_path, embedder="use", dimension=32, fingerprint="fp")
    assert not flat.approximate and len(flat) == 2998
    stored = flat.ids()
    brute = flat.vectors(stored) @ query
    found = flat.search(query, 5)[0]
    np.testing.assert_allclose([score for _, score in found], np.sort(brute)[::-1][:5], rtol=1e-5)
    loaded.remove([f"c{i}" for i in range(4, 2200)])
    assert not loaded.approximate and len(loaded) == 3000 - 2 - (2200 - 4)


def test_the_threshold_must_be_worth_an_ivf_index() -> None:
    """A tiny threshold is refused with the reason."""
    with pytest.raises(InvalidInput, match="approximate_above"):
        VectorIndex(8, approximate_above=10)
