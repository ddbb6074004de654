"""The readers-writer lock of the search engine: readers share, a writer is alone, nesting is safe."""

from __future__ import annotations

import threading
import time

import pytest

from kg.search.rwlock import ReadWriteLock


def test_readers_hold_the_lock_together() -> None:
    """Two threads read at the same time (both are inside before either leaves)."""
    lock = ReadWriteLock()
    inside = threading.Barrier(2, timeout=5)

    def reader() -> None:
        with lock.read():
            inside.wait()  # would time out if the second reader were kept out

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not inside.broken


def test_a_writer_waits_for_readers_and_keeps_them_out() -> None:
    """The writer enters only after the reader left, and a reader arriving meanwhile waits for it."""
    lock = ReadWriteLock()
    events: list[str] = []
    reading = threading.Event()

    def reader(name: str, hold: float) -> None:
        with lock.read():
            events.append(f"{name} in")
            reading.set()
            time.sleep(hold)
            events.append(f"{name} out")

    def writer() -> None:
        with lock.write():
            events.append("writer in")
            time.sleep(0.1)
            events.append("writer out")

    first = threading.Thread(target=reader, args=("r1", 0.2))
    first.start()
    reading.wait(5)
    w = threading.Thread(target=writer)
    w.start()
    first.join(5)
    time.sleep(0.02)  # the writer is in now
    second = threading.Thread(target=reader, args=("r2", 0.0))
    second.start()
    w.join(5)
    second.join(5)
    assert events.index("r1 out") < events.index("writer in")
    assert events.index("writer out") < events.index("r2 in")


def test_nested_reads_and_writes_do_not_deadlock_but_upgrading_is_refused() -> None:
    """A reader may read again, the writer may write and read again; a reader may not start writing."""
    lock = ReadWriteLock()
    with (
        lock.read(),
        lock.read(),
        pytest.raises(RuntimeError, match="cannot take the write lock"),
        lock.write(),
    ):
        pass
    with lock.write(), lock.write(), lock.read():
        pass
    with lock.write():  # everything was released
        pass
