"""Exact vector search on faiss, saved on disk with a manifest that is checked at load.

A :class:`VectorIndex` holds L2-normalised float32 vectors keyed by string ids (entity IRIs, chunk ids)
and answers exact inner-product (cosine) queries through ``faiss.IndexIDMap2`` over ``IndexFlatIP``.
Entities and document chunks each get their own index, in their own directory.

A flat index costs one pass over every vector per query (about 14 ms for 10^5 chunk vectors of 512
floats on one core). An index given ``approximate_above`` therefore switches itself to an inverted-file
index (``IndexIVFFlat``, trained on its own vectors, with a hash-table direct map so vectors can still be
removed, replaced and read back) once it holds that many vectors: a query then scans the ``nprobe``
nearest of about ``4 * sqrt(n)`` cells, under a millisecond at 10^5, at a small loss of recall. It is
retrained when it has grown fourfold since the last training. Entities stay exact; chunks and sentences
(which only supply passages) use the switch.

On disk a saved index is three files in one directory: ``index.faiss`` (the serialised faiss index),
``ids.json`` (faiss label -> string id) and ``manifest.json`` (:class:`Manifest`: embedder, dimension,
graph fingerprint, count, timestamps, format version and the sha256 of the two data files). The
manifest is the commit point: it is replaced last, and :meth:`VectorIndex.load` only accepts data
files whose checksums it records. While a save replaces the data files, the committed ones are kept
aside as ``*.prev`` (removed once the new manifest is in place), so a crash at any moment leaves either
the previous index or the new one loadable, never a mix (the next save deletes the temporary files a
killed save left behind). Anything that does not match what the caller expects raises
:class:`IndexStale` with a reason, and the caller rebuilds.

faiss is imported by the functions that need it, so ``import kg.search.index`` stays light.

Example:
    >>> index = VectorIndex(384)  # doctest: +SKIP
    >>> index.upsert(["lc:i1", "lc:i2"], embedder.encode_passages(texts))  # doctest: +SKIP
    >>> path = "var/index/entities"  # doctest: +SKIP
    >>> index.save(path, embedder="joined", fingerprint=fp)  # doctest: +SKIP
    >>> VectorIndex.load(path, embedder="joined", dimension=384, fingerprint=fp)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from kg.errors import InvalidInput, LcGraphError

__all__ = [
    "FORMAT_VERSION",
    "IDS_FILE",
    "INDEX_FILE",
    "MANIFEST_FILE",
    "IndexStale",
    "Manifest",
    "VectorIndex",
    "set_faiss_threads",
]

FORMAT_VERSION: Final = 1
"""Version of the on-disk layout; a manifest with another version is stale."""

INDEX_FILE: Final = "index.faiss"
IDS_FILE: Final = "ids.json"
MANIFEST_FILE: Final = "manifest.json"
MIN_APPROXIMATE: Final = 1_000
"""Fewest vectors an inverted-file index is built for: below it, a flat scan is as fast and exact."""
TRAIN_SAMPLE: Final = 40_000
"""Most vectors the inverted-file index is trained on (k-means cost grows with it)."""
NPROBE_MIN: Final = 16
NPROBE_DIVISOR: Final = 24
"""Cells scanned per query: ``max(NPROBE_MIN, cells // NPROBE_DIVISOR)``, about 4-6% of the vectors."""
_DATA_FILES: Final = (INDEX_FILE, IDS_FILE)
_PREV_SUFFIX: Final = ".prev"

UNIT_TOLERANCE: Final = 1e-3
"""How far a stored vector's L2 norm may be from 1."""

Vectors = npt.NDArray[np.float32]
"""A ``(n, dimension)`` float32 matrix whose rows have unit L2 norm."""


class IndexStale(LcGraphError):
    """A saved index cannot be used as it is; rebuild it.

    Attributes:
        reason: why, one of ``"missing"``, ``"corrupt"``, ``"format-changed"``, ``"embedder-changed"``,
            ``"dimension-changed"`` or ``"fingerprint-changed"``.
    """

    code = "index-stale"

    def __init__(self, message: str, *, reason: str, where: str | None = None) -> None:
        super().__init__(f"{reason}: {message}", where=where)
        self.reason = reason


def _faiss() -> Any:
    """Import faiss on first use (it loads OpenMP and BLAS, which plain imports of this module need not)."""
    import faiss

    return faiss


def set_faiss_threads(n: int) -> None:
    """Set the number of OpenMP threads faiss uses in the calling thread (the server uses 1).

    Args:
        n: a positive thread count.

    Raises:
        InvalidInput: ``n`` is not a positive integer.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInput(f"faiss threads must be a positive integer, got {n!r}", where="threads")
    _faiss().omp_set_num_threads(n)


def _now() -> str:
    """Return the current UTC time as an ISO 8601 string."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Manifest:
    """What a saved index was built from; stored as ``manifest.json`` next to the index.

    Attributes:
        embedder: name of the embedder that produced the vectors (see ``kg.search.embedder``).
        dimension: length of every vector.
        fingerprint: the caller's fingerprint of the graph content the index was built from.
        count: number of vectors.
        created_at: when the index was first built (ISO 8601, UTC).
        updated_at: when it was last saved (ISO 8601, UTC).
        format_version: version of the on-disk layout (:data:`FORMAT_VERSION`).
        checksums: sha256 (hex) of each data file, by file name.
    """

    embedder: str
    dimension: int
    fingerprint: str
    count: int
    created_at: str
    updated_at: str
    format_version: int = FORMAT_VERSION
    checksums: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the manifest as pretty-printed JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest.

        Args:
            text: JSON as written by :meth:`to_json`.

        Returns:
            The manifest.

        Raises:
            IndexStale: (reason ``"corrupt"``) the text is not a well-formed manifest.
        """
        try:
            raw = json.loads(text)
        except ValueError as exc:
            raise IndexStale(f"manifest is not JSON ({exc})", reason="corrupt", where=MANIFEST_FILE) from exc
        if not isinstance(raw, dict):
            raise IndexStale("manifest is not a JSON object", reason="corrupt", where=MANIFEST_FILE)
        types: dict[str, type] = {
            "embedder": str,
            "dimension": int,
            "fingerprint": str,
            "count": int,
            "created_at": str,
            "updated_at": str,
            "format_version": int,
            "checksums": dict,
        }
        for key, kind in types.items():
            value = raw.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise IndexStale(
                    f"manifest field {key!r} is missing or not a {kind.__name__}",
                    reason="corrupt",
                    where=MANIFEST_FILE,
                )
        checksums = raw["checksums"]
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in checksums.items()):
            raise IndexStale(
                "manifest checksums must map names to strings", reason="corrupt", where=MANIFEST_FILE
            )
        return cls(**{key: raw[key] for key in types})

    @classmethod
    def read(cls, directory: str | os.PathLike[str]) -> Manifest:
        """Read ``manifest.json`` from ``directory``.

        Raises:
            IndexStale: the manifest is missing (reason ``"missing"``) or malformed (``"corrupt"``).
        """
        path = Path(directory) / MANIFEST_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise IndexStale("no saved index here", reason="missing", where=str(path)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexStale(f"cannot read the manifest ({exc})", reason="corrupt", where=str(path)) from exc
        return cls.from_json(text)


def _sha256_file(path: Path) -> str | None:
    """Return the sha256 of the file at ``path``, or None when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _committed(directory: Path, name: str, manifest: Manifest) -> Path | None:
    """Return the copy of data file ``name`` the manifest vouches for: the file itself or its ``.prev``."""
    expected = manifest.checksums.get(name)
    if expected is None:
        return None
    for path in (directory / name, directory / (name + _PREV_SUFFIX)):
        if _sha256_file(path) == expected:
            return path
    return None


def _write_temp(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new temporary file in ``directory``, flushed to disk, and return its path."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def _remove_stale_temps(directory: Path) -> None:
    """Delete the temporary files of saves killed part-way (each may be as large as the index itself).

    Saves into one directory never overlap (one process owns the index, or holds its ``IndexLock``), so
    a temporary file present when a save starts belongs to a save that died.
    """
    for name in (*_DATA_FILES, MANIFEST_FILE):
        for leftover in directory.glob(f".{name}.*.tmp"):
            leftover.unlink(missing_ok=True)


def _fsync_directory(directory: Path) -> None:
    """Flush the directory entry changes (renames) of ``directory`` to disk, where the OS allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _check_ids(ids: Sequence[str], *, unique: bool = True) -> list[str]:
    """Return ``ids`` as a list; refuse a bare string, non-strings, empty ids and (if ``unique``) repeats."""
    if isinstance(ids, str) or not isinstance(ids, Sequence):
        raise InvalidInput(f"ids must be a sequence of strings, got {type(ids).__name__}", where="ids")
    items = list(ids)
    seen: set[str] = set()
    for position, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise InvalidInput(f"every id must be a non-empty string, got {item!r}", where=f"ids[{position}]")
        if unique and item in seen:
            raise InvalidInput(f"id {item!r} occurs more than once", where=f"ids[{position}]")
        seen.add(item)
    return items


def _check_vectors(vectors: object, dimension: int, *, where: str, unit: bool) -> Vectors:
    """Return ``vectors`` as a C-contiguous ``(n, dimension)`` float32 matrix, or raise InvalidInput.

    Args:
        vectors: the caller's array; a 1-D array is taken as one row.
        dimension: the required row length.
        where: the argument name, for messages.
        unit: require every row to have unit L2 norm (stored vectors; queries may have any length).
    """
    if not isinstance(vectors, np.ndarray):
        raise InvalidInput(f"{where} must be a numpy array, got {type(vectors).__name__}", where=where)
    if vectors.dtype != np.float32:
        raise InvalidInput(
            f"{where} must have dtype float32, got {vectors.dtype} (convert with .astype(np.float32))",
            where=where,
        )
    matrix = vectors.reshape(1, -1) if vectors.ndim == 1 else vectors
    if matrix.ndim != 2:
        raise InvalidInput(f"{where} must be 1-D or 2-D, got shape {vectors.shape}", where=where)
    if matrix.shape[1] != dimension:
        raise InvalidInput(
            f"{where} must have {dimension} columns (the index dimension), got shape {vectors.shape}",
            where=where,
        )
    if not np.isfinite(matrix).all():
        row = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise InvalidInput(f"{where} row {row} contains NaN or infinity", where=f"{where}[{row}]")
    if unit and len(matrix):
        norms = np.linalg.norm(matrix, axis=1)
        bad = np.flatnonzero(np.abs(norms - 1.0) > UNIT_TOLERANCE)
        if len(bad):
            row = int(bad[0])
            raise InvalidInput(
                f"{where} row {row} has L2 norm {norms[row]:.4f}; vectors must be L2-normalised",
                where=f"{where}[{row}]",
            )
    result: Vectors = np.ascontiguousarray(matrix, dtype=np.float32)
    return result


class VectorIndex:
    """Inner-product search over unit float32 vectors keyed by string ids (exact unless told otherwise).

    Not thread-safe for writes: guard :meth:`upsert`/:meth:`remove` against concurrent searches.

    Args:
        dimension: length of every vector.
        approximate_above: from this many vectors on, search an inverted-file index instead of scanning
            every vector (see the module docstring); None keeps the search exact at any size.

    Raises:
        InvalidInput: ``dimension`` is not a positive integer, or ``approximate_above`` is below
            :data:`MIN_APPROXIMATE`.
    """

    def __init__(self, dimension: int, *, approximate_above: int | None = None) -> None:
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
            raise InvalidInput(f"dimension must be a positive integer, got {dimension!r}", where="dimension")
        if approximate_above is not None and approximate_above < MIN_APPROXIMATE:
            raise InvalidInput(
                f"approximate_above must be at least {MIN_APPROXIMATE}, got {approximate_above!r}",
                where="approximate_above",
            )
        faiss = _faiss()
        self._dimension = dimension
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._label_of: dict[str, int] = {}
        self._id_of: dict[int, str] = {}
        self._next_label = 0
        self._created_at: str | None = None
        self._approximate_above = approximate_above
        self._trained_on = 0

    @property
    def approximate(self) -> bool:
        """Tell whether searches use the inverted-file index (True) or scan every vector (False)."""
        return not isinstance(self._index, _faiss().IndexIDMap2)

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension

    def __len__(self) -> int:
        """Return the number of stored vectors."""
        return len(self._label_of)

    def __contains__(self, item: object) -> bool:
        """Tell whether a vector is stored under the id ``item``."""
        return item in self._label_of

    def ids(self) -> list[str]:
        """Return the stored ids, in insertion order."""
        return list(self._label_of)

    def upsert(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Store ``vectors`` under ``ids``, replacing the vector of any id already stored.

        Args:
            ids: distinct non-empty string ids, one per row.
            vectors: a ``(len(ids), dimension)`` float32 matrix of unit rows.

        Raises:
            InvalidInput: bad ids, a row count that differs from ``len(ids)``, or vectors of the wrong
                type, dtype, shape or norm. Nothing is changed.
        """
        items = _check_ids(ids)
        matrix = _check_vectors(vectors, self._dimension, where="vectors", unit=True)
        if matrix.shape[0] != len(items):
            raise InvalidInput(f"got {len(items)} ids but {matrix.shape[0]} vectors", where="vectors")
        if not items:
            return
        existing = [self._label_of[item] for item in items if item in self._label_of]
        if existing:
            self._index.remove_ids(np.asarray(existing, dtype=np.int64))
        labels = np.empty(len(items), dtype=np.int64)
        for position, item in enumerate(items):
            label = self._label_of.get(item)
            if label is None:
                label = self._next_label
                self._next_label += 1
                self._label_of[item] = label
                self._id_of[label] = item
            labels[position] = label
        self._index.add_with_ids(matrix, labels)
        self._maybe_retrain()

    def _maybe_retrain(self) -> None:
        """Switch to (or retrain) the inverted-file index when the size calls for it, or back to flat."""
        threshold = self._approximate_above
        if self.approximate and (threshold is None or len(self) < threshold // 2):
            self._rebuild_flat()
            return
        if threshold is None or len(self) < threshold:
            return
        if self.approximate and len(self) < 4 * self._trained_on:
            return
        faiss = _faiss()
        labels = np.fromiter(self._id_of, dtype=np.int64, count=len(self._id_of))
        matrix = self._reconstruct(labels)
        sample = matrix
        if len(matrix) > TRAIN_SAMPLE:
            picks = np.random.default_rng(len(matrix)).choice(len(matrix), TRAIN_SAMPLE, replace=False)
            sample = matrix[np.sort(picks)]
        # about 4 sqrt(n) cells, but no more than k-means can place with 39 training points each
        cells = int(min(max(4 * math.sqrt(len(labels)), 16), len(sample) // 39))
        quantizer = faiss.IndexFlatIP(self._dimension)
        ivf = faiss.IndexIVFFlat(quantizer, self._dimension, cells, faiss.METRIC_INNER_PRODUCT)
        ivf.own_fields = True
        quantizer.this.disown()  # the IVF index frees its quantizer
        ivf.train(sample)
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.add_with_ids(matrix, labels)
        ivf.nprobe = max(NPROBE_MIN, cells // NPROBE_DIVISOR)
        self._index = ivf
        self._trained_on = len(labels)

    def _rebuild_flat(self) -> None:
        """Go back to an exact flat index holding the same vectors under the same labels."""
        faiss = _faiss()
        labels = np.fromiter(self._id_of, dtype=np.int64, count=len(self._id_of))
        matrix = self._reconstruct(labels)
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(self._dimension))
        if len(labels):
            flat.add_with_ids(matrix, labels)
        self._index = flat
        self._trained_on = 0

    def _reconstruct(self, labels: npt.NDArray[np.int64]) -> Vectors:
        """Read stored vectors back by faiss label, in one call."""
        if not len(labels):
            return np.zeros((0, self._dimension), dtype=np.float32)
        out: Vectors = np.asarray(self._index.reconstruct_batch(labels), dtype=np.float32)
        return out.reshape(len(labels), self._dimension)

    def remove(self, ids: Sequence[str]) -> int:
        """Remove the vectors stored under ``ids``; ids that are not stored are ignored.

        Args:
            ids: string ids.

        Returns:
            The number of vectors removed.

        Raises:
            InvalidInput: ``ids`` is not a sequence of non-empty strings.
        """
        items = list(dict.fromkeys(_check_ids(ids, unique=False)))
        labels = [self._label_of.pop(item) for item in items if item in self._label_of]
        if labels:
            self._index.remove_ids(np.asarray(labels, dtype=np.int64))
            for label in labels:
                del self._id_of[label]
            self._maybe_retrain()
        return len(labels)

    def vectors(self, ids: Sequence[str]) -> Vectors:
        """Return the stored vectors of ``ids`` as a ``(len(ids), dimension)`` matrix.

        Raises:
            InvalidInput: an id is not stored.
        """
        if isinstance(ids, str) or not isinstance(ids, Sequence):
            _check_ids(ids, unique=False)  # raises, saying why
        label_of = self._label_of
        try:  # every stored id is a non-empty string: one lookup per id checks it (searches call this)
            labels = [label_of[item] for item in ids]
        except (KeyError, TypeError):
            items = _check_ids(ids, unique=False)
            missing = [item for item in items if item not in label_of]
            raise InvalidInput(f"no vector stored under {missing[0]!r}", where="ids") from None
        return self._reconstruct(np.asarray(labels, dtype=np.int64))

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """Return the ``k`` stored vectors with the highest inner product with each query.

        Args:
            queries: one ``(dimension,)`` float32 vector or a ``(n, dimension)`` matrix of them.
            k: how many hits per query (fewer when the index holds fewer vectors).

        Returns:
            One list per query row of ``(id, score)`` pairs, best first.

        Raises:
            InvalidInput: ``k`` is not a positive integer, or the queries have the wrong type, dtype or shape.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise InvalidInput(f"k must be a positive integer, got {k!r}", where="k")
        matrix = _check_vectors(queries, self._dimension, where="queries", unit=False)
        if not len(self) or not len(matrix):
            return [[] for _ in range(len(matrix))]
        scores, labels = self._index.search(matrix, min(k, len(self)))
        id_of = self._id_of
        # as plain Python numbers first: reading numpy scalars one at a time costs more than the search
        return [
            [(id_of[label], score) for score, label in zip(row_s, row_l, strict=True) if label >= 0]
            for row_s, row_l in zip(scores.tolist(), labels.tolist(), strict=True)
        ]

    def save(self, directory: str | os.PathLike[str], *, embedder: str, fingerprint: str) -> Manifest:
        """Write the index to ``directory`` (created if needed), crash-safely, and return its manifest.

        The data files are written to temporary files in ``directory`` and flushed, then moved into
        place (the committed ones kept aside as ``*.prev``), and the manifest is replaced last: until
        it is, :meth:`load` still finds the previous index.

        Args:
            directory: where the index lives; one index per directory.
            embedder: name of the embedder that produced the vectors.
            fingerprint: the caller's fingerprint of the graph content the index was built from.

        Returns:
            The manifest written.

        Raises:
            InvalidInput: ``embedder`` or ``fingerprint`` is not a string.
            OSError: the files cannot be written; the previously saved index is left loadable.
        """
        if not isinstance(embedder, str) or not embedder:
            raise InvalidInput(f"embedder must be a non-empty string, got {embedder!r}", where="embedder")
        if not isinstance(fingerprint, str):
            raise InvalidInput(f"fingerprint must be a string, got {fingerprint!r}", where="fingerprint")
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(target)
        data = {
            INDEX_FILE: _faiss().serialize_index(self._index).tobytes(),
            IDS_FILE: json.dumps({"labels": list(self._id_of), "ids": list(self._id_of.values())}).encode(),
        }
        try:
            previous: Manifest | None = Manifest.read(target)
        except IndexStale:
            previous = None
        now = _now()
        manifest = Manifest(
            embedder=embedder,
            dimension=self._dimension,
            fingerprint=fingerprint,
            count=len(self),
            created_at=self._created_at or now,
            updated_at=now,
            checksums={name: hashlib.sha256(blob).hexdigest() for name, blob in data.items()},
        )
        temps: dict[str, Path] = {}
        try:
            for name, blob in data.items():
                temps[name] = _write_temp(target, name, blob)
            temps[MANIFEST_FILE] = _write_temp(target, MANIFEST_FILE, manifest.to_json().encode())
            for name in _DATA_FILES:
                if previous is not None and _committed(target, name, previous) == target / name:
                    os.replace(target / name, target / (name + _PREV_SUFFIX))
                os.replace(temps[name], target / name)
                del temps[name]
            _fsync_directory(target)
            os.replace(temps[MANIFEST_FILE], target / MANIFEST_FILE)
            del temps[MANIFEST_FILE]
            _fsync_directory(target)
        finally:
            for leftover in temps.values():
                leftover.unlink(missing_ok=True)
        for name in _DATA_FILES:
            (target / (name + _PREV_SUFFIX)).unlink(missing_ok=True)
        self._created_at = manifest.created_at
        return manifest

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike[str],
        *,
        embedder: str,
        dimension: int,
        fingerprint: str | None,
        approximate_above: int | None = None,
    ) -> VectorIndex:
        """Load the index saved in ``directory``, if it was built the way the caller expects.

        Args:
            directory: where :meth:`save` wrote the index.
            embedder: the embedder the caller will encode queries with.
            dimension: that embedder's dimension.
            fingerprint: the current graph fingerprint, or None to accept any.
            approximate_above: as for the constructor.

        Returns:
            The index.

        Raises:
            IndexStale: with ``reason`` ``"missing"``, ``"corrupt"``, ``"format-changed"``,
                ``"embedder-changed"``, ``"dimension-changed"`` or ``"fingerprint-changed"``: rebuild it.
        """
        target = Path(directory)
        manifest = Manifest.read(target)
        where = str(target)
        if manifest.format_version != FORMAT_VERSION:
            raise IndexStale(
                f"saved with format {manifest.format_version}, this code reads {FORMAT_VERSION}",
                reason="format-changed",
                where=where,
            )
        if manifest.embedder != embedder:
            raise IndexStale(
                f"built with embedder {manifest.embedder!r}, not {embedder!r}",
                reason="embedder-changed",
                where=where,
            )
        if manifest.dimension != dimension:
            raise IndexStale(
                f"built with dimension {manifest.dimension}, not {dimension}",
                reason="dimension-changed",
                where=where,
            )
        if fingerprint is not None and manifest.fingerprint != fingerprint:
            raise IndexStale(
                f"built from graph fingerprint {manifest.fingerprint!r}, the graph is now {fingerprint!r}",
                reason="fingerprint-changed",
                where=where,
            )
        paths: dict[str, Path] = {}
        for name in _DATA_FILES:
            found = _committed(target, name, manifest)
            if found is None:
                missing = not (target / name).exists() and not (target / (name + _PREV_SUFFIX)).exists()
                raise IndexStale(
                    f"{name} is {'missing' if missing else 'truncated or does not match the manifest'}",
                    reason="missing" if missing else "corrupt",
                    where=str(target / name),
                )
            paths[name] = found
        index = cls._from_files(paths, manifest, where=where, approximate_above=approximate_above)
        index._maybe_retrain()  # a flat index saved below the threshold may now be above it, or vice versa
        return index

    @classmethod
    def _from_files(
        cls, paths: dict[str, Path], manifest: Manifest, *, where: str, approximate_above: int | None
    ) -> VectorIndex:
        """Build an index from data files the manifest vouches for, checking they agree with it."""
        try:
            raw = json.loads(paths[IDS_FILE].read_bytes())
            labels, names = raw["labels"], raw["ids"]
            if not (
                isinstance(labels, list)
                and isinstance(names, list)
                and len(labels) == len(names)
                and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in labels)
                and all(isinstance(x, str) and x for x in names)
                and len(set(labels)) == len(labels)
                and len(set(names)) == len(names)
            ):
                raise ValueError("labels and ids must be equally long lists of distinct labels and ids")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexStale(f"{IDS_FILE} is malformed ({exc})", reason="corrupt", where=where) from exc
        faiss = _faiss()
        try:
            blob = np.frombuffer(paths[INDEX_FILE].read_bytes(), dtype=np.uint8)
            loaded = faiss.deserialize_index(blob)
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexStale(
                f"{INDEX_FILE} cannot be read by faiss ({exc})", reason="corrupt", where=where
            ) from exc
        if not isinstance(loaded, faiss.IndexIDMap2 | faiss.IndexIVFFlat) or loaded.d != manifest.dimension:
            raise IndexStale(
                f"{INDEX_FILE} is not an id-mapped index of dimension {manifest.dimension}",
                reason="corrupt",
                where=where,
            )
        stored = _stored_labels(loaded)
        if not (loaded.ntotal == manifest.count == len(labels)) or stored != set(labels):
            raise IndexStale(
                f"{INDEX_FILE} holds {loaded.ntotal} vectors, {IDS_FILE} {len(labels)} ids, "
                f"the manifest says {manifest.count}",
                reason="corrupt",
                where=where,
            )
        index = cls(manifest.dimension, approximate_above=approximate_above)
        index._index = loaded
        index._trained_on = loaded.ntotal if index.approximate else 0
        index._id_of = dict(zip(labels, names, strict=True))
        index._label_of = {name: label for label, name in index._id_of.items()}
        index._next_label = max(labels, default=-1) + 1
        index._created_at = manifest.created_at
        return index


def _stored_labels(index: Any) -> set[int]:
    """Return the faiss labels held by a flat id-mapped index or an inverted-file index."""
    faiss = _faiss()
    if isinstance(index, faiss.IndexIDMap2):
        return set(faiss.vector_to_array(index.id_map).tolist())
    lists = index.invlists
    labels: set[int] = set()
    for cell in range(index.nlist):
        size = lists.list_size(cell)
        if size:
            labels.update(faiss.rev_swig_ptr(lists.get_ids(cell), size).tolist())
    return labels
