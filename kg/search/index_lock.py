"""An inter-process lock on a search index directory, for several workers that share one machine.

Workers over a shared (remote) store each keep their own indexes in memory, but they share the saved
copy under ``settings.index_path`` so that only the first worker to start pays for encoding: the others
wait, load what it saved, and encode only what changed since. Loading and saving an index are not safe
against a concurrent save by another process (two savers could interleave their file replacements), so
every load-and-sync and every sync-and-save holds this lock: an exclusive ``flock`` on
``<directory>/.lock``. The kernel releases it when a process dies, so a crashed worker never blocks the
others.

The lock is re-entrant within a process (a thread that holds it may take it again), which lets the
service's start-up take it around opening the engine and its first sync.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["IndexLock"]


class IndexLock:
    """Exclusive, re-entrant, inter-process lock on one index directory.

    Args:
        directory: the index directory (created if missing); the lock file is ``.lock`` inside it.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"
        self._local = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self) -> IndexLock:
        self._local.acquire()
        try:
            if self._depth == 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
        except BaseException:
            self._local.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        finally:
            self._local.release()
