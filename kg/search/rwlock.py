"""A readers-writer lock: searches read the indexes side by side, a sync's swap-in writes alone.

Why not one mutex: faiss and the sparse BM25 matrix release Python's interpreter lock while they work,
so two searches (or the entity and the chunk search of one request) can use both cores, but only if the
lock that keeps a sync from changing the indexes under them lets several readers in at once.

Readers are preferred: a reader waits only while a writer holds the lock, never for a waiting writer, so
a thread may take the read lock again while it holds it (nested reads) without deadlock. Writes are short
(the encoded vectors are swapped in) and rare, so writers are not starved in practice. The writer may
re-enter the write lock and may read while writing; a reader may not upgrade to writing (that raises).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["ReadWriteLock"]


class ReadWriteLock:
    """Many readers or one writer, reader-preferring, re-entrant for the writer."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers: dict[int, int] = {}
        self._writer: int | None = None
        self._write_depth = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        """Hold the lock for reading (with other readers) for the duration of the ``with`` block."""
        me = threading.get_ident()
        with self._cond:
            while self._writer is not None and self._writer != me:
                self._cond.wait()
            self._readers[me] = self._readers.get(me, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                left = self._readers[me] - 1
                if left:
                    self._readers[me] = left
                else:
                    del self._readers[me]
                    if not self._readers:
                        self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        """Hold the lock alone for the duration of the ``with`` block.

        Raises:
            RuntimeError: the calling thread holds the read lock (upgrading could deadlock).
        """
        me = threading.get_ident()
        with self._cond:
            if self._writer != me and me in self._readers:
                raise RuntimeError("a thread holding the read lock cannot take the write lock")
            while (self._writer is not None and self._writer != me) or (self._writer != me and self._readers):
                self._cond.wait()
            self._writer = me
            self._write_depth += 1
        try:
            yield
        finally:
            with self._cond:
                self._write_depth -= 1
                if not self._write_depth:
                    self._writer = None
                    self._cond.notify_all()
