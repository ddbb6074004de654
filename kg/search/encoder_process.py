"""An embedder that runs in its own process, so a busy server cannot starve it.

Why: USE (pure numpy) takes Python's global interpreter lock on every small operation. In a server
process the HTTP threads hold that lock most of the time, and measured on 2 cores the joined encoder fell
from 11 to 3.4 queries/s next to one busy Python thread, while it kept 10.2 next to a busy *process*.
So the server encodes queries in a child process (started with ``spawn``, loading the model offline like
any other embedder) and the request threads only wait on a pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
import types
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from kg.errors import ModelUnavailable
from kg.search.embedder import Vectors, embedder_dimension, load_bare_embedder, load_embedder

__all__ = ["ProcessEmbedder"]

_START_TIMEOUT_S = 300.0
_MAIN_SWAP = threading.Lock()
BARE_ENGINES = ("e5", "use", "joined")
"""Embedders the child runs on their engines alone (:class:`kg.search.embedder.BareEmbedder`)."""


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Hide the parent's ``__main__`` module while a child process is spawned.

    Why: ``spawn`` re-runs the parent's main module in the child (as ``__mp_main__``) so that pickled
    objects defined there resolve. For ``lcgraph serve`` that is the console script, which imports the
    whole command line (rdflib, pyshacl, the catalog, ...): 1.3-1.8 s of CPU per encoder process at
    start-up, on the cores the server needs for its own start. The child's target lives in this module
    and needs nothing from ``__main__``, so the child is given an empty one instead.
    """
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def _serve(conn: Connection, name: str, threads: int) -> None:
    """Child process: load the embedder, then answer ``(kind, texts)`` requests until ``None`` arrives."""
    # idle OpenMP threads sleep instead of spinning: the server's request threads need the same cores
    os.environ.setdefault("GOMP_SPINCOUNT", "20000")
    try:
        # the engines alone load in well under a second; sentence-transformers would take ~8 s and 400 MB
        embedder = (
            load_bare_embedder(name, threads=threads)
            if name in BARE_ENGINES
            else load_embedder(name, threads=threads)
        )
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
        kind, texts, call_threads = request
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            if kind == "query":
                vectors = embedder.encode_queries(texts, threads=call_threads)
            else:
                vectors = embedder.encode_passages(texts)
            # CPU seconds per wall second of the call: about the thread count when every thread ran
            seconds = max(time.perf_counter() - wall, 1e-9)
            conn.send(("ok", (vectors, (time.process_time() - cpu) / seconds, seconds)))
        except Exception as exc:  # the parent re-raises it for the caller
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class ProcessEmbedder:
    """The :class:`kg.search.embedder.Embedder` ``name``, running in a child process.

    Args:
        name: the embedder name (see ``load_embedder``).
        threads: CPU threads the child encodes with (the most a single call may ask for).
        wait: wait here until the model is loaded (else see :meth:`wait_ready`).

    Raises:
        ModelUnavailable: the child could not load the model (the message says why).
    """

    def __init__(self, name: str, *, threads: int = 1, wait: bool = True) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: Any = context.Process(
            target=_serve, args=(child, name, threads), name=f"lcgraph-encoder-{name}", daemon=True
        )
        with _bare_main():
            self._process.start()
        child.close()
        self._lock = threading.Lock()
        self._name = name
        self._threads = threads
        self._dimension = embedder_dimension(name)
        self._ready = False
        self.last_cpu_per_wall: float | None = None
        """CPU seconds per wall second the child spent on the last encode: near the thread count asked
        for when every thread ran, well below it when other programs held the cores."""
        self.last_seconds: float | None = None
        """Wall seconds of the last encode in the child."""
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until the child has loaded its model (at once if it has); raise if it could not.

        A caller that has other start-up work can construct with ``wait=False``, do it while the child
        loads, and call this afterwards; the first encode waits too.

        Raises:
            ModelUnavailable: the child did not start, died, or could not load the model.
        """
        with self._lock:
            if self._ready:
                return
            name = self._name
            if not self._conn.poll(_START_TIMEOUT_S):
                self._stop()
                raise ModelUnavailable(f"the {name} encoder process did not start", where=f"embedder {name}")
            try:
                status, payload = self._conn.recv()
            except (EOFError, OSError) as exc:  # the child died before it could say why
                self._stop()
                raise ModelUnavailable(
                    f"the {name} encoder process exited while starting (exit code {self._process.exitcode})",
                    where=f"embedder {name}",
                ) from exc
            if status != "ready" or int(payload) != self._dimension:
                self._stop()
                raise ModelUnavailable(
                    f"the {name} encoder process failed: {payload}", where=f"embedder {name}"
                )
            self._ready = True

    @property
    def name(self) -> str:
        """Short stable name of the model."""
        return self._name

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._dimension

    def encode_queries(self, texts: Sequence[str], *, threads: int | None = None) -> Vectors:
        """Encode queries in the child process, on ``threads`` CPU threads (at most the loaded count)."""
        return self._call("query", texts, threads)

    def encode_passages(self, texts: Sequence[str]) -> Vectors:
        """Encode passages in the child process."""
        return self._call("passage", texts, None)

    def _call(self, kind: str, texts: Sequence[str], threads: int | None) -> Vectors:
        items = list(texts)
        if not items:
            return np.zeros((0, self._dimension), dtype=np.float32)
        if threads is not None:
            threads = max(1, min(threads, self._threads))
        self.wait_ready()
        with self._lock:
            try:
                self._conn.send((kind, items, threads))
                status, payload = self._conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                raise ModelUnavailable(
                    f"the {self._name} encoder process is gone ({exc})", where=f"embedder {self._name}"
                ) from exc
        if status != "ok":
            raise ModelUnavailable(f"encoding failed: {payload}", where=f"embedder {self._name}")
        vectors: Vectors = payload[0]
        self.last_cpu_per_wall = float(payload[1])
        self.last_seconds = float(payload[2])
        return vectors

    def close(self) -> None:
        """Stop the child process."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        """Ask the child to exit, kill it if it does not, and close the pipe (lock held or not needed)."""
        with contextlib.suppress(OSError, ValueError):  # the pipe may already be closed or broken
            self._conn.send(None)
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout=5)
        self._conn.close()
