"""An embedder that runs in its own process, so a busy server cannot starve it.

Why: USE (pure numpy) takes Python's global interpreter lock on every small operation. In a server
process the HTTP threads hold that lock most of the time, and measured on 2 cores the joined encoder fell
from 11 to 3.4 queries/s next to one busy Python thread, while it kept 10.2 next to a busy *process*.
So the server encodes queries in a child process (started with ``spawn``, loading the model offline like
any other embedder) and the request threads only wait on a pipe.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from kg.errors import ModelUnavailable
from kg.search.embedder import Vectors, load_embedder

__all__ = ["ProcessEmbedder"]

_START_TIMEOUT_S = 300.0


def _serve(conn: Connection, name: str, threads: int) -> None:
    """Child process: load the embedder, then answer ``(kind, texts)`` requests until ``None`` arrives."""
    # idle OpenMP threads sleep instead of spinning: the server's request threads need the same cores
    os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    try:
        embedder = load_embedder(name, threads=threads)
    except Exception as exc:  # reported to the parent, which raises it as ModelUnavailable
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", embedder.dimension))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        kind, texts = request
        try:
            encode = embedder.encode_queries if kind == "query" else embedder.encode_passages
            conn.send(("ok", encode(texts)))
        except Exception as exc:  # the parent re-raises it for the caller
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class ProcessEmbedder:
    """The :class:`kg.search.embedder.Embedder` ``name``, running in a child process.

    Args:
        name: the embedder name (see ``load_embedder``).
        threads: CPU threads the child encodes with.

    Raises:
        ModelUnavailable: the child could not load the model (the message says why).
    """

    def __init__(self, name: str, *, threads: int = 1) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: Any = context.Process(
            target=_serve, args=(child, name, threads), name=f"lcgraph-encoder-{name}", daemon=True
        )
        self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._name = name
        if not self._conn.poll(_START_TIMEOUT_S):
            self.close()
            raise ModelUnavailable(f"the {name} encoder process did not start", where=f"embedder {name}")
        status, payload = self._conn.recv()
        if status != "ready":
            self.close()
            raise ModelUnavailable(f"the {name} encoder process failed: {payload}", where=f"embedder {name}")
        self._dimension = int(payload)

    @property
    def name(self) -> str:
        """Short stable name of the model."""
        return self._name

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        """Encode queries in the child process."""
        return self._call("query", texts)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages in the child process."""
        return self._call("passage", texts)

    def _call(self, kind: str, texts: Sequence[str]) -> Vectors:
        items = list(texts)
        if not items:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock:
            try:
                self._conn.send((kind, items))
                status, payload = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                raise ModelUnavailable(
                    f"the {self._name} encoder process is gone ({exc})", where=f"embedder {self._name}"
                ) from exc
        if status != "ok":
            raise ModelUnavailable(f"encoding failed: {payload}", where=f"embedder {self._name}")
        vectors: Vectors = payload
        return vectors

    def close(self) -> None:
        """Stop the child process."""
        try:
            with self._lock:
                self._conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        self._conn.close()
