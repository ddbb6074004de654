"""Backups of an lcgraph home: a consistent store checkpoint, the search indexes and a manifest.

A backup is a directory::

    store/        a RocksDB checkpoint of the embedded store (itself a valid store directory)
    index/        a copy of the saved search indexes (``settings.index_path``), if there are any
    backup.json   the manifest: time, lcgraph version, quad count, sha256 of every index file, revision

Why it is consistent while the store is being written: the checkpoint is taken at one RocksDB sequence
number, and every write of :class:`kg.graph.KnowledgeGraph` is one transaction (graph and registry entry
together), so the snapshot holds each graph whole or not at all. The indexes are copied *after* the
checkpoint while the search engine's sync lock is held (no index save is half done), so they are never
newer than the store; their own manifests let the restored server see what changed since and encode
only that.

:func:`restore` copies a backup into an empty home through a staging directory next to it, checks the
quad count and the index checksums against the manifest, and only then moves it into place; it never
writes into an existing dataset.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.config import Settings
from kg.errors import InvalidInput, NotFound, StoreUnavailable
from kg.graph import KnowledgeGraph
from kg.revision import REVISION_PREDICATE
from kg.store.oxigraph import OxigraphStore
from ontology.vocab import LCG

__all__ = [
    "BACKUP_FORMAT",
    "INDEX_DIR",
    "MANIFEST_FILE",
    "STORE_DIR",
    "BackupManifest",
    "backup_home",
    "count_quads",
    "read_manifest",
    "restore",
    "server_backup_dir",
    "snapshot",
]

BACKUP_FORMAT = 1
"""Version of the backup layout; :func:`restore` refuses others."""
MANIFEST_FILE = "backup.json"
STORE_DIR = "store"
INDEX_DIR = "index"


@dataclass
class BackupManifest:
    """What a backup holds (``backup.json``).

    Attributes:
        format: the layout version (:data:`BACKUP_FORMAT`).
        created_at: when the checkpoint was taken (UTC, ISO 8601).
        lcgraph_version: the version that wrote the backup.
        quads: quads in the store checkpoint (checked again after a restore).
        generation: the writing process's write generation at the checkpoint (informative).
        revision: the dataset revision tokens in the checkpoint (empty for a store only one process writes).
        index_files: sha256 of every file under ``index/``, by path relative to it.
    """

    format: int
    created_at: str
    lcgraph_version: str
    quads: int
    generation: int
    revision: list[str] = field(default_factory=list)
    index_files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the manifest as pretty-printed JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _version() -> str:
    try:
        return version("lcgraph")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksums(directory: Path) -> dict[str, str]:
    """Return the sha256 of every file under ``directory`` by relative POSIX path."""
    if not directory.is_dir():
        return {}
    return {
        p.relative_to(directory).as_posix(): _sha256(p) for p in sorted(directory.rglob("*")) if p.is_file()
    }


def count_quads(store_dir: Path) -> int:
    """Count the quads of a store directory, opened read-only (it must not be open elsewhere)."""
    try:
        store = ox.Store.read_only(str(store_dir))
    except OSError as exc:
        raise StoreUnavailable(f"cannot open the store copy: {exc}", where=str(store_dir)) from exc
    try:
        return len(store)
    finally:
        del store


def _require_empty(target: Path, what: str) -> None:
    """Refuse a target that exists and holds anything (exit 2 at the CLI)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(f"refusing to write the {what} into a non-empty directory", where=str(target))


def snapshot(
    kg: KnowledgeGraph,
    target: Path,
    *,
    index_dir: Path | None,
    index_guard: AbstractContextManager[Any] | None = None,
) -> BackupManifest:
    """Write a backup of an open knowledge graph to ``target`` (absent or empty) and return its manifest.

    Args:
        kg: the open graph; its store must be the embedded on-disk one.
        target: the backup directory.
        index_dir: the saved search indexes to copy (``settings.index_path``), or ``None``.
        index_guard: held around the checkpoint and the index copy so no index save is under way
            (the search engine's ``sync_lock`` in a server that runs search).
    """
    store = kg.store
    if not isinstance(store, OxigraphStore) or not store.is_persistent:
        raise InvalidInput(
            "backup needs the embedded on-disk store; back up a SPARQL server with its own tools",
            where="LCGRAPH_STORE",
        )
    _require_empty(target, "backup")
    target.mkdir(parents=True, exist_ok=True)
    with index_guard or nullcontext():
        created = datetime.now(UTC).replace(microsecond=0).isoformat()
        generation = kg.generation
        store.backup(target / STORE_DIR)
        if index_dir is not None and index_dir.is_dir():
            shutil.copytree(index_dir, target / INDEX_DIR)
    snap = ox.Store.read_only(str(target / STORE_DIR))
    try:
        quads = len(snap)
        registry = ox.NamedNode(str(LCG.registry))
        revision = sorted(
            q.object.value
            for q in snap.quads_for_pattern(registry, ox.NamedNode(str(REVISION_PREDICATE)), None, registry)
            if isinstance(q.object, ox.Literal)
        )
    finally:
        del snap
    manifest = BackupManifest(
        format=BACKUP_FORMAT,
        created_at=created,
        lcgraph_version=_version(),
        quads=quads,
        generation=generation,
        revision=revision,
        index_files=_checksums(target / INDEX_DIR),
    )
    (target / MANIFEST_FILE).write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


def backup_home(settings: Settings, target: Path) -> BackupManifest:
    """Back up a home no process holds: open its store here, snapshot it, close it.

    Raises :class:`NotFound` when there is no store, and :class:`StoreUnavailable` when another process (a
    running server) holds it: then ask that server (``POST /admin/backup``).
    """
    if settings.store != "oxigraph":
        raise InvalidInput(
            "backup needs the embedded on-disk store; back up a SPARQL server with its own tools",
            where="LCGRAPH_STORE",
        )
    if not settings.store_path.is_dir():
        raise NotFound("there is no store to back up", where=str(settings.store_path))
    kg = KnowledgeGraph(OxigraphStore(settings.store_path), settings)
    try:
        return snapshot(kg, target, index_dir=settings.index_path)
    finally:
        kg.close()


def server_backup_dir(home: Path) -> Path:
    """Return a fresh directory under ``home/backups`` for a backup a server makes (never a client's path)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return home / "backups" / f"{stamp}-{secrets.token_hex(3)}"


def read_manifest(backup: Path) -> BackupManifest:
    """Read and check the manifest of a backup directory.

    Raises:
        NotFound: ``backup`` is not a directory.
        InvalidInput: the manifest is missing, malformed or of another format, or the store is missing.
    """
    if not backup.is_dir():
        raise NotFound("no such backup directory", where=str(backup))
    path = backup / MANIFEST_FILE
    if not path.is_file():
        raise InvalidInput(f"not a complete backup: {MANIFEST_FILE} is missing", where=str(backup))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = BackupManifest(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidInput(f"the backup manifest is unreadable: {exc}", where=str(path)) from exc
    if manifest.format != BACKUP_FORMAT:
        raise InvalidInput(
            f"backup format {manifest.format} is not supported (this lcgraph reads {BACKUP_FORMAT})",
            where=str(path),
        )
    if not (backup / STORE_DIR).is_dir():
        raise InvalidInput(f"not a complete backup: {STORE_DIR}/ is missing", where=str(backup))
    return manifest


def restore(backup: Path, home: Path) -> BackupManifest:
    """Restore a backup into ``home``, which must be absent or empty; return the backup's manifest.

    Everything is copied into a staging directory next to ``home`` and checked there (index checksums,
    then the quad count of the copied store) before it is moved into place, so a failed restore leaves
    ``home`` as it was and an existing dataset is never touched.
    """
    manifest = read_manifest(backup)
    _require_empty(home, "restored dataset")
    home = home.resolve()
    home.parent.mkdir(parents=True, exist_ok=True)
    staging = home.parent / f".{home.name}.restoring-{secrets.token_hex(4)}"
    try:
        shutil.copytree(backup / STORE_DIR, staging / STORE_DIR)
        if (backup / INDEX_DIR).is_dir():
            shutil.copytree(backup / INDEX_DIR, staging / INDEX_DIR)
        found = _checksums(staging / INDEX_DIR)
        if found != manifest.index_files:
            bad = sorted(
                k
                for k in found.keys() | manifest.index_files.keys()
                if found.get(k) != manifest.index_files.get(k)
            )
            raise InvalidInput(
                f"the backup's index files differ from its manifest: {', '.join(bad[:5])}",
                where=str(backup / INDEX_DIR),
            )
        quads = count_quads(staging / STORE_DIR)
        if quads != manifest.quads:
            raise InvalidInput(
                f"the restored store holds {quads} quads, the manifest says {manifest.quads}",
                where=str(backup / STORE_DIR),
            )
        if home.exists():
            home.rmdir()  # empty, checked above
        staging.rename(home)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return manifest
