"""Derived search state saved beside the vector indexes, so a server start need not rebuild it.

Why: at 10^6 triples, rebuilding the BM25 index from the entity texts took ~1.5-2.5 s of every start
(tokenising and stemming every description), on the same two cores the query encoder processes load on.

A saved state is one pickle file holding a header (the file format, what the state is, and a key), then
the payload. It is used only when the header matches what the caller expects; anything else (a missing,
torn or corrupt file, another format, another key) reads as "nothing saved" and the caller rebuilds. The
key covers the source code that decides what the state holds (:func:`code_key`), so a code change that
alters tokenising or the document fields cannot bring back state built the old way. Files are written
crash-safe (a temporary file, then an atomic rename). They live in the index directory, which only
lcgraph writes (the same trust as the faiss files beside them).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
from importlib import metadata
from pathlib import Path
from typing import Final

__all__ = ["FORMAT_VERSION", "code_key", "load_state", "save_state"]

log = logging.getLogger(__name__)

FORMAT_VERSION: Final = 1
_CODE_MODULES: Final = ("lexical.py", "engine.py", "documents.py")
"""Modules of this package whose code decides what saved state holds (BM25 fields, tokens, documents)."""


@functools.cache
def code_key() -> str:
    """Return a digest of the code that builds the saved state (and the stemmer's version).

    Computed once per process (reads three small source files, a few milliseconds).
    """
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _CODE_MODULES:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes() + b"\0")
    try:
        digest.update(metadata.version("snowballstemmer").encode())
    except metadata.PackageNotFoundError:
        digest.update(b"no snowballstemmer")
    return digest.hexdigest()


def save_state(path: Path, kind: str, key: str, payload: object) -> None:
    """Write ``payload`` to ``path`` under ``kind`` and ``key``, crash-safe (temporary file, rename).

    A failure to write is logged, not raised: the state is a cache, and the next start rebuilds it.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            pickle.dump({"format": FORMAT_VERSION, "kind": kind, "key": key}, out, protocol=5)
            pickle.dump(payload, out, protocol=5)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError) as exc:
        log.warning("could not save the search state %s (%s); the next start rebuilds it", path, exc)
        tmp.unlink(missing_ok=True)


def load_state(path: Path, kind: str, key: str) -> object | None:
    """Return the payload saved at ``path`` if its header names ``kind`` and ``key``, else None.

    None also stands for a missing, torn or corrupt file: the caller then rebuilds the state.
    """
    try:
        with path.open("rb") as src:
            header = pickle.load(src)
            if (
                not isinstance(header, dict)
                or header.get("format") != FORMAT_VERSION
                or header.get("kind") != kind
                or header.get("key") != key
            ):
                return None
            payload: object = pickle.load(src)
            return payload
    except FileNotFoundError:
        return None
    except Exception as exc:  # any unreadable file (torn, foreign, classes since changed) means rebuild
        log.warning(
            "the saved search state %s is unreadable (%s: %s); rebuilding it", path, type(exc).__name__, exc
        )
        return None
