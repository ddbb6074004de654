"""Public SPARQL evaluated in killable worker processes, so the time limit really stops a query.

Why: pyoxigraph cannot cancel a query. The thread executor of :mod:`kg.sparql` answers 503 at the
limit, but a query that yields no row until the end (``COUNT`` over a cartesian product, ``ORDER BY``
over a cross join) keeps evaluating, a core busy for minutes to hours, and four of them fill the pool.
Here each query runs in a worker process (:mod:`kg.sparql_worker`); at the limit the parent kills the
worker (SIGKILL), so its core is free at once, answers 503 and starts a replacement.

Data: a worker cannot share the parent's store (a RocksDB directory admits one read-write process, and
opening it read-only while the parent writes is undefined behaviour), so it reads a *snapshot*:

- on-disk store: a RocksDB checkpoint (``Store.backup``: hard links, ~0.1 s after a write) beside the
  store, opened read-only by the workers; identical data and blank-node labels, so identical answers;
- in-memory store (only with ``sparql_isolation="process"``; ``"auto"`` keeps the thread path for it):
  an N-Quads dump the worker loads into its own memory. That costs O(data) per write (0.5 s + 0.2 s
  for the 39k-quad catalog) and blank-node labels differ from the parent's.

A snapshot is made when a query arrives and the store's write counter (``OxigraphStore.version``)
moved since the last one, so every query sees every write committed before it started. Workers switch
to the newest snapshot at their next query; a superseded snapshot is deleted once no worker holds it.

The time limit counts from the moment the query is handed to a ready worker on its snapshot (and
includes any wait for a free slot, as in the thread executor): starting a worker (~0.2 s) or taking a
snapshot after a write is our cost, not the query's. Query-checking (the policy) stays in the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

import kg
from kg.config import Settings
from kg.errors import QueryRejected, QueryTimeout, StoreUnavailable, TooManyRows
from kg.results import serialize
from kg.sparql import AskResult, GraphResult, QueryExecutor, QueryOutcome, SelectResult, check_query
from kg.store.base import GraphStore
from kg.store.oxigraph import OxigraphStore

__all__ = ["Answer", "ProcessQueryExecutor", "answer_query", "answer_query_async", "make_executor"]

log = logging.getLogger(__name__)

SnapshotKind = Literal["rocksdb", "nquads"]
_START_TIMEOUT_S = 60.0
_SNAPSHOT_DIR = "sparql-snapshots"


@dataclass(frozen=True)
class Answer:
    """A query's result serialised for the caller.

    Attributes:
        is_graph: the result is a graph (CONSTRUCT/DESCRIBE), else a table or a boolean.
        format: the format the body is in (a key of ``kg.results.SELECT_FORMATS`` or ``GRAPH_FORMATS``);
            ``None`` when the caller accepts no format for this kind of result (the body is empty).
        body: the serialised result.
    """

    is_graph: bool
    format: str | None
    body: bytes


def make_executor(store: GraphStore, settings: Settings) -> QueryExecutor | ProcessQueryExecutor:
    """Build the query executor the settings ask for (``sparql_isolation``).

    ``auto`` (the default) evaluates in worker processes for the on-disk store and in threads for the
    in-memory store (a dump per write would cost more than it saves there) and for a remote store
    (the server evaluates; its own timeout applies there).
    """
    options = {
        "timeout_s": settings.query_timeout_s,
        "row_cap": settings.query_row_cap,
        "max_chars": settings.query_max_chars,
        "workers": settings.max_concurrent_queries,
    }
    mode = settings.sparql_isolation
    if isinstance(store, OxigraphStore) and (mode == "process" or (mode == "auto" and store.is_persistent)):
        return ProcessQueryExecutor(store, **options)  # type: ignore[arg-type]
    return QueryExecutor(store, **options)  # type: ignore[arg-type]


def answer_query(
    executor: QueryExecutor | ProcessQueryExecutor,
    text: str,
    *,
    default_graph: Sequence[ox.NamedNode] | None,
    named_graphs: Sequence[ox.NamedNode] | None,
    select_format: str | None,
    graph_format: str | None,
) -> Answer:
    """Check, evaluate and serialise a query with either executor.

    Args:
        executor: the knowledge graph's executor.
        text: the query.
        default_graph: the graphs the query's default graph is the union of; ``None``: every named graph
            of the executor's store (the public mirror).
        named_graphs: the only graphs ``GRAPH`` may reach; ``None``: every named graph of the store.
        select_format: the format for a SELECT/ASK result, ``None`` if none is acceptable.
        graph_format: the format for a CONSTRUCT/DESCRIBE result, ``None`` if none is acceptable.

    Raises:
        QueryRejected, QueryTimeout, TooManyRows: as :meth:`kg.sparql.QueryExecutor.run`.
    """
    if isinstance(executor, ProcessQueryExecutor):
        return executor.answer(
            text,
            default_graph=default_graph,
            named_graphs=named_graphs,
            select_format=select_format,
            graph_format=graph_format,
        )
    outcome = executor.run(text, default_graph=default_graph, named_graphs=named_graphs)
    is_graph = isinstance(outcome, GraphResult)
    name = graph_format if is_graph else select_format
    return Answer(is_graph, name, serialize(outcome, name) if name is not None else b"")


async def answer_query_async(
    executor: QueryExecutor | ProcessQueryExecutor,
    text: str,
    *,
    default_graph: Sequence[ox.NamedNode] | None,
    named_graphs: Sequence[ox.NamedNode] | None,
    select_format: str | None,
    graph_format: str | None,
) -> Answer:
    """:func:`answer_query` for the event loop: in a thread, unless a warm worker can take it at once."""
    if isinstance(executor, ProcessQueryExecutor):
        return await executor.answer_async(
            text,
            default_graph=default_graph,
            named_graphs=named_graphs,
            select_format=select_format,
            graph_format=graph_format,
        )
    return await asyncio.to_thread(
        answer_query,
        executor,
        text,
        default_graph=default_graph,
        named_graphs=named_graphs,
        select_format=select_format,
        graph_format=graph_format,
    )


class _WorkerDied(StoreUnavailable):
    """The worker process ended while it held a query (killed from outside, or crashed)."""


@dataclass(frozen=True)
class _Snapshot:
    """A read-only copy of the store at (at least) ``version`` that a worker can open."""

    version: int
    kind: SnapshotKind
    path: str


def _remove(path: Path) -> None:
    """Delete a snapshot (a checkpoint directory or a dump file); gone already is fine."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path) -> None:
    """Delete snapshot folders left behind by processes that died without cleaning up (``<pid>-*``)."""
    for entry in parent.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            _remove(entry)


class _Snapshots:
    """The snapshots of one store: made when the store moved on, deleted once superseded and unused.

    On-disk stores keep them in ``sparql-snapshots/<pid>-<random>/`` beside the store directory (the
    same file system, so checkpoints are hard links); in-memory stores in a temporary directory.
    """

    def __init__(self, store: OxigraphStore) -> None:
        self.store = store
        self.kind: SnapshotKind = "rocksdb" if store.path is not None else "nquads"
        if store.path is not None:
            parent = store.path.parent / _SNAPSHOT_DIR
            parent.mkdir(exist_ok=True)
            _remove_stale(parent)
            self.root = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=parent))
        else:
            self.root = Path(tempfile.mkdtemp(prefix=f"lcgraph-sparql-{os.getpid()}-"))
        self._made = 0
        self._latest: _Snapshot | None = None
        self._kept: list[_Snapshot] = []

    @property
    def latest(self) -> _Snapshot | None:
        """The newest snapshot made (maybe behind the store: compare its version)."""
        return self._latest

    def current(self) -> _Snapshot:
        """Return a snapshot holding every write committed so far, making one if the store moved on."""
        # Read the counter before copying: a write that commits during the copy then shows as a newer
        # version at the next query (one extra copy), never as a copy that misses it.
        version = self.store.version
        if self._latest is not None and self._latest.version == version:
            return self._latest
        self._made += 1
        if self.kind == "rocksdb":
            target = self.root / str(self._made)
            self.store.backup(target)
        else:
            target = self.root / f"{self._made}.nq"
            target.write_bytes(self.store.dump(ox.RdfFormat.N_QUADS))
        self._latest = _Snapshot(version, self.kind, str(target))
        self._kept.append(self._latest)
        return self._latest

    def collect(self, in_use: set[str]) -> None:
        """Delete the superseded snapshots that no worker holds or is about to open."""
        keep = []
        for snapshot in self._kept:
            if snapshot is self._latest or snapshot.path in in_use:
                keep.append(snapshot)
            else:
                _remove(Path(snapshot.path))
        self._kept = keep

    def close(self) -> None:
        """Delete every snapshot (and the snapshot folder beside the store, once no process uses it)."""
        shutil.rmtree(self.root, ignore_errors=True)
        if self.store.path is not None:
            with contextlib.suppress(OSError):  # another executor's snapshots are still there
                self.root.parent.rmdir()


class _Worker:
    """One worker process (``python -m kg.sparql_worker``) and the parent's end of its socket."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        # The worker imports kg from where this process did, whatever the working directory.
        source = str(Path(kg.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "kg.sparql_worker", str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            theirs.close()
        self.conn = Connection(ours.detach())
        self.pid = self.process.pid
        self.ready = False
        self.snapshot: str | None = None
        """The snapshot this worker has open or was told to open (kept until it moves on)."""

    def wait_ready(self, timeout_s: float) -> None:
        """Wait until the worker has started (at once if it has).

        Raises:
            StoreUnavailable: it did not start in time or exited while starting.
        """
        if self.ready:
            return
        try:
            started = self.conn.poll(timeout_s)
            message = self.conn.recv() if started else None
        except (EOFError, OSError):
            message = None
        if not message or message[0] != "ready":
            raise _WorkerDied(
                f"the SPARQL worker process did not start (exit code {self.process.poll()})", where="sparql"
            )
        self.ready = True

    def alive(self) -> bool:
        """Tell whether the process is still running."""
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the process at once (SIGKILL: its query's core is free now) and reap it."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not within a second."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)
        self.kill()


class _Pool:
    """The worker processes and snapshots of one executor (kept apart from it for the finaliser)."""

    def __init__(self, store: OxigraphStore, size: int) -> None:
        self.store = store
        self.size = size
        self.lock = threading.Lock()
        self.snapshot_lock = threading.Lock()
        self.idle: list[_Worker] = []
        self.workers: set[_Worker] = set()
        self.snapshots: _Snapshots | None = None
        self.killed: deque[int] = deque(maxlen=256)
        self.closed = False

    def take(self) -> _Worker:
        """Take an idle worker (warm ones first) or start one; the caller holds a query slot.

        When this leaves no idle worker, a spare starts in the background (up to the pool size), so the
        next query, such as a cheap one arriving while others explode, need not wait ~0.2 s for a start.
        """
        with self.lock:
            if self.closed:
                raise StoreUnavailable("the SPARQL workers are shut down", where="sparql")
            taken: _Worker | None = None
            while self.idle and taken is None:
                worker = self.idle.pop()
                # An idle worker has nothing to say: a readable socket means it died (end of file).
                if worker.alive() and not (worker.ready and worker.conn.poll(0)):
                    taken = worker
                else:
                    self.workers.discard(worker)
                    worker.kill()  # reap it
            if taken is None:
                taken = _Worker()
                self.workers.add(taken)
            if not self.idle and len(self.workers) < self.size:
                spare = _Worker()
                self.workers.add(spare)
                self.idle.append(spare)
            return taken

    def take_warm(self) -> tuple[_Worker, _Snapshot] | None:
        """Take an idle worker that has the current snapshot open, without waiting for anything.

        ``None`` when there is none, or when a snapshot must be taken first (a write since the last one)
        or is being taken: the caller then goes the blocking way (:meth:`take`, :meth:`snapshot_for`).
        """
        if not self.snapshot_lock.acquire(blocking=False):
            return None
        try:
            latest = self.snapshots.latest if self.snapshots is not None else None
            if latest is None or latest.version != self.store.version:
                return None
        finally:
            self.snapshot_lock.release()
        with self.lock:
            if self.closed:
                return None
            for i in range(len(self.idle) - 1, -1, -1):  # warm ones last in
                worker = self.idle[i]
                if worker.ready and worker.snapshot == latest.path:
                    if worker.alive() and not worker.conn.poll(0):
                        del self.idle[i]
                        return worker, latest
                    return None  # a dead one: the blocking path reaps and replaces it
        return None

    def give_back(self, worker: _Worker) -> None:
        """Put a worker that answered back in line (last in, first out: it is warm)."""
        with self.lock:
            if self.closed:
                worker.stop()
                return
            self.idle.append(worker)

    def kill(self, worker: _Worker) -> None:
        """Kill a worker, and start a replacement if no worker is left waiting for queries."""
        with self.lock:
            self.workers.discard(worker)
            if not self.closed and not self.idle and len(self.workers) < self.size:
                spare = _Worker()  # starts in the background; its first query waits until it is ready
                self.workers.add(spare)
                self.idle.append(spare)
        worker.kill()
        self.killed.append(worker.pid)

    def snapshot_for(self, worker: _Worker) -> _Snapshot:
        """Give ``worker`` the current snapshot (made now if the store moved on); drop unused old ones."""
        with self.snapshot_lock:
            if self.snapshots is None:
                self.snapshots = _Snapshots(self.store)
            snapshot = self.snapshots.current()
            worker.snapshot = snapshot.path
            with self.lock:
                in_use = {w.snapshot for w in self.workers if w.snapshot is not None}
            self.snapshots.collect(in_use)
            return snapshot

    def close(self) -> None:
        """Stop every worker and delete the snapshots (idempotent; also run at garbage collection)."""
        with self.lock:
            self.closed = True
            workers, self.workers, self.idle = list(self.workers), set(), []
        for worker in workers:
            worker.kill()  # read-only processes: nothing to flush
        with self.snapshot_lock:
            if self.snapshots is not None:
                self.snapshots.close()


class ProcessQueryExecutor:
    """Run policy-checked queries in worker processes that are killed at the time limit.

    The same policy, limits and results as :class:`kg.sparql.QueryExecutor`, which it replaces for the
    embedded store: the query is checked here, evaluated over the caller's dataset in a worker, and
    serialised there too (so a large serialisation is under the limit's control as well).

    Args:
        store: the embedded store (on disk, or in memory with a dump per write).
        timeout_s: wall-clock limit of one query.
        row_cap: most rows or triples one query may return.
        max_chars: longest query text accepted.
        workers: queries evaluated at once (worker processes, started when first needed).
        start_timeout_s: how long a new worker may take to start before the query fails.
    """

    def __init__(
        self,
        store: OxigraphStore,
        *,
        timeout_s: float,
        row_cap: int,
        max_chars: int,
        workers: int = 4,
        start_timeout_s: float = _START_TIMEOUT_S,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_chars = max_chars
        self.start_timeout_s = start_timeout_s
        self._slots = threading.BoundedSemaphore(workers)
        self._pool = _Pool(store, workers)
        # Workers and snapshots go with the executor even when nobody calls close() (tests, the CLI).
        self._finalizer = weakref.finalize(self, self._pool.close)

    def close(self) -> None:
        """Stop the workers (a running query ends with an error) and delete the snapshots."""
        self._finalizer()

    def worker_pids(self) -> list[int]:
        """Return the process ids of the running workers (for monitoring and tests)."""
        with self._pool.lock:
            return sorted(w.pid for w in self._pool.workers)

    def killed_pids(self) -> list[int]:
        """Return the ids of the workers killed (at the limit, or found dead), oldest first (last 256)."""
        return list(self._pool.killed)

    def run(
        self,
        text: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
    ) -> QueryOutcome:
        """Check and evaluate a query over the given dataset; see :meth:`kg.sparql.QueryExecutor.run`."""
        reply = self._evaluate(text, default_graph, named_graphs, None, None)
        outcome = reply[1]
        assert isinstance(outcome, SelectResult | GraphResult | AskResult)
        return outcome

    def answer(
        self,
        text: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
        select_format: str | None,
        graph_format: str | None,
    ) -> Answer:
        """Check, evaluate and serialise a query; see :func:`answer_query`."""
        return self._as_answer(self._evaluate(text, default_graph, named_graphs, select_format, graph_format))

    @staticmethod
    def _as_answer(reply: tuple[object, ...]) -> Answer:
        if reply[0] == "outcome":  # no format acceptable at all: the worker sent the result's kind
            return Answer(isinstance(reply[1], GraphResult), None, b"")
        _, is_graph, name, body = reply
        assert (name is None or isinstance(name, str)) and isinstance(body, bytes)
        return Answer(bool(is_graph), name, body)

    async def answer_async(
        self,
        text: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
        select_format: str | None,
        graph_format: str | None,
    ) -> Answer:
        """:meth:`answer` on the event loop: no thread hand-off in the common case.

        Why: each hand-off to a thread and back costs about half a millisecond on our 2-core machines,
        a good part of a light query's time (bench/graph_suite). When an idle worker already holds the
        current snapshot and a slot is free, the query is sent and its answer awaited on the loop (the
        socket watched with ``add_reader``); otherwise (a worker to start, a snapshot to take after a
        write, every slot busy) the blocking path runs in a thread, as before. Same policy, limits and
        answers either way; a cancelled request (the client went away) kills its worker.
        """
        check_query(text, max_chars=self.max_chars)
        warm = self._pool.take_warm()
        if warm is not None and not self._slots.acquire(blocking=False):
            self._pool.give_back(warm[0])
            warm = None
        if warm is None:
            return await asyncio.to_thread(
                self.answer,
                text,
                default_graph=default_graph,
                named_graphs=named_graphs,
                select_format=select_format,
                graph_format=graph_format,
            )
        worker, snapshot = warm
        try:
            request = self._request(default_graph, named_graphs, select_format, graph_format)
            reply = await self._exchange_async(worker, snapshot, text, request)
        except BaseException:
            self._slots.release()
            self._pool.kill(worker)
            raise
        self._slots.release()
        self._pool.give_back(worker)
        return self._as_answer(self._checked(reply))

    async def _exchange_async(
        self, worker: _Worker, snapshot: _Snapshot, text: str, request: tuple[object, ...]
    ) -> tuple[object, ...]:
        """Send a query to a warm worker and await its reply under the time limit."""
        loop = asyncio.get_running_loop()
        try:
            worker.conn.send(("query", snapshot.kind, snapshot.path, text, *request))
        except OSError as exc:
            raise _WorkerDied(f"the SPARQL worker is gone ({exc})", where="sparql") from exc
        deadline = loop.time() + self.timeout_s
        fd = worker.conn.fileno()
        while True:
            readable: asyncio.Future[None] = loop.create_future()

            def wake(future: asyncio.Future[None] = readable) -> None:
                if not future.done():
                    future.set_result(None)

            loop.add_reader(fd, wake)
            try:
                await asyncio.wait_for(readable, max(0.0, deadline - loop.time()))
            except TimeoutError:
                log.warning(
                    "SPARQL query stopped at the %g s limit; killing worker %d", self.timeout_s, worker.pid
                )
                raise QueryTimeout(self._timeout_message()) from None
            finally:
                loop.remove_reader(fd)
                # uvloop's add_reader makes the descriptor non-blocking; recv() must block until the
                # whole message is in (a large answer arrives in pieces), and the thread path expects it
                os.set_blocking(fd, True)
            try:
                reply: tuple[object, ...] = worker.conn.recv()
            except (EOFError, OSError):
                raise StoreUnavailable(
                    f"the SPARQL worker stopped unexpectedly (exit code {worker.process.poll()})",
                    where="sparql",
                ) from None
            if reply[0] == "opened":  # not expected for a warm worker, but harmless
                deadline = loop.time() + self.timeout_s
                continue
            return reply

    def _evaluate(
        self,
        text: str,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
        select_format: str | None,
        graph_format: str | None,
    ) -> tuple[object, ...]:
        """Check the query, run it in a worker under the limit, and return the worker's reply.

        Raises:
            QueryRejected: the policy refused it or it is not valid SPARQL.
            QueryTimeout: it ran past the limit (its worker was killed) or no slot freed up in time.
            TooManyRows: it produced more rows than the cap.
            StoreUnavailable: the worker could not start, died, or failed to read the snapshot.
        """
        check_query(text, max_chars=self.max_chars)
        deadline = time.monotonic() + self.timeout_s
        if not self._slots.acquire(timeout=self.timeout_s):
            raise QueryTimeout(
                f"the server is busy with other long queries; try again (limit {self.timeout_s:g} s)"
            )
        try:
            budget = deadline - time.monotonic()
            if budget <= 0:  # the wait for a slot used up the limit: do not start a doomed evaluation
                raise QueryTimeout(self._timeout_message())
            request = self._request(default_graph, named_graphs, select_format, graph_format)
            reply = self._in_worker(text, request, budget)
        finally:
            self._slots.release()
        return self._checked(reply)

    def _request(
        self,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
        select_format: str | None,
        graph_format: str | None,
    ) -> tuple[object, ...]:
        """Build the query request's dataset and format part (see kg.sparql_worker's protocol)."""
        return (
            None if default_graph is None else [g.value for g in default_graph],
            None if named_graphs is None else [g.value for g in named_graphs],
            self.row_cap,
            select_format,
            graph_format,
        )

    @staticmethod
    def _checked(reply: tuple[object, ...]) -> tuple[object, ...]:
        """Raise the error a worker's reply stands for; return an answer or outcome reply as it is."""
        kind = reply[0]
        if kind == "rejected":
            _, message, reason, where = reply
            raise QueryRejected(
                str(message), reason=str(reason), where=where if where is None else str(where)
            )
        if kind == "too-many-rows":
            raise TooManyRows(str(reply[1]))
        if kind == "failed":
            log.error("a SPARQL worker failed: %s", reply[1])
            raise StoreUnavailable("the query could not be evaluated; the store snapshot could not be read")
        return reply

    def _in_worker(
        self, text: str, request: tuple[object, ...], budget: float, *, retry: bool = True
    ) -> tuple[object, ...]:
        """Hand the query to a worker and wait at most ``budget`` seconds of its evaluation.

        The worker goes back in line only after a complete answer; on any failure (the limit, a dead
        worker, an error here) it is killed, so no worker is ever left with a query half done.
        """
        deadline = time.monotonic() + budget
        worker = self._pool.take()
        confirmed = worker.ready
        try:
            reply = self._exchange(worker, text, request, budget)
        except _WorkerDied:
            self._pool.kill(worker)
            remaining = deadline - time.monotonic()
            if confirmed or not retry or remaining <= 0:
                raise
            # A spare that never confirmed it was running can be found dead only by using it: killed
            # from outside while it started (a SIGKILL waits while the process is in uninterruptible
            # I/O, so it looked alive when taken). That says nothing about the query: once more on a
            # fresh worker, within the same limit. Only once, and never for a worker that had answered
            # before: a query that kills its worker runs at most twice.
            log.warning("SPARQL worker %d died before its first answer; retrying on a new one", worker.pid)
            return self._in_worker(text, request, remaining, retry=False)
        except BaseException:
            self._pool.kill(worker)
            raise
        self._pool.give_back(worker)
        return reply

    def _exchange(
        self, worker: _Worker, text: str, request: tuple[object, ...], budget: float
    ) -> tuple[object, ...]:
        try:
            worker.wait_ready(self.start_timeout_s)
            snapshot = self._pool.snapshot_for(worker)
            worker.conn.send(("query", snapshot.kind, snapshot.path, text, *request))
        except OSError as exc:
            raise _WorkerDied(f"the SPARQL worker is gone ({exc})", where="sparql") from exc
        deadline = time.monotonic() + budget
        while True:
            remaining = deadline - time.monotonic()
            try:
                ready = remaining > 0 and worker.conn.poll(remaining)
                reply: tuple[object, ...] | None = worker.conn.recv() if ready else None
            except (EOFError, OSError):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.process.wait(timeout=1)  # for its exit code
                raise _WorkerDied(
                    f"the SPARQL worker stopped unexpectedly (exit code {worker.process.poll()})",
                    where="sparql",
                ) from None
            if reply is None:
                log.warning(
                    "SPARQL query stopped at the %g s limit; killing worker %d", self.timeout_s, worker.pid
                )
                raise QueryTimeout(self._timeout_message())
            if reply[0] == "opened":  # the worker switched snapshots: the limit counts from now
                deadline = time.monotonic() + budget
                continue
            return reply

    def _timeout_message(self) -> str:
        return (
            f"the query ran longer than the limit of {self.timeout_s:g} s and was stopped; "
            "narrow it down (add LIMIT, more specific patterns) or use an export"
        )
