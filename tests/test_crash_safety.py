"""Crash safety: real processes killed with SIGKILL mid-write never leave corrupt or half-applied data.

Three scenarios, each with a fixed seed and a few kills of a real child process:

- graph writes: a child applies ``write_graph`` / ``set_review_state`` / ``remove_graph`` through
  :class:`kg.graph.KnowledgeGraph` on the on-disk store (tests/reliability/crash_child.py), acknowledging
  each operation in an fsync'ed side file. After each kill the store must reopen and hold exactly the
  state of the acknowledged operations, or of those plus the one in flight: every graph whole (its
  triples and registry hash those of one write) or absent, no registry entry without its graph or vice
  versa. The next child continues where the store is, and the test keeps writing at the end.
- ingest: ``lcgraph ingest`` (the real CLI) on copies of the seed corpus, killed after it reports a
  document; every document graph is absent or identical to an uninterrupted run's, every reported
  document is there, and re-running the ingest ends with exactly the uninterrupted run's graphs.
- search index saves: a child saves :class:`kg.search.index.VectorIndex` versions in a loop; after each
  kill the index loads and is exactly the last acknowledged version or the one in flight.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyoxigraph as ox
import pytest
from rdflib import URIRef

from ingest.pipeline import run as ingest_run
from kg.config import Settings
from kg.graph import REGISTRY, KnowledgeGraph, content_hash
from kg.loading import load_catalog
from kg.search.index import Manifest, VectorIndex
from kg.terms import quad
from ontology.vocab import LCG
from tests.reliability.crash_child import (
    BASE,
    INDEX_DIM,
    apply_graph_op,
    graph_iri,
    graph_op,
    index_vectors,
    title_of,
    written_triples,
)
from tests.reliability.ledger import record

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
LCGRAPH = [sys.executable, "-m", "lcgraph.cli"]
REGISTRY_NODE = ox.NamedNode(str(REGISTRY))
DOCUMENT_PREFIX = str(LCG["document/"])
# What write_graph puts in a registry entry: type, title, state, method, hash, time; one value each.
REGISTRY_FIELDS = 6
GRAPH_KILLS = 8
INGEST_KILLS = 6
INDEX_KILLS = 8

Model = dict[int, tuple[int, str]]
"""The crash graphs as the schedule leaves them: graph number -> (index of its write, review state)."""


def spawn(mode: str, path: Path, acks: Path, start: int, log: Path) -> subprocess.Popen[bytes]:
    """Start the writing child (tests/reliability/crash_child.py) with its stderr in ``log``."""
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_child", mode, str(path), str(acks), str(start)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def read_acks(acks: Path) -> list[int]:
    """Return the acknowledged operation indexes (whole lines only)."""
    if not acks.exists():
        return []
    text = acks.read_text(encoding="ascii")
    return [int(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def kill_while_writing(
    proc: subprocess.Popen[bytes], acks: Path, start: int, delay: float, log: Path
) -> list[int]:
    """Wait until the child acknowledged an operation at or after ``start``, then ``delay`` s, then kill -9.

    Returns the operations the child acknowledged in this round (``start`` on, in order).
    """
    deadline = time.monotonic() + 120
    while not [i for i in read_acks(acks) if i >= start]:
        if proc.poll() is not None:
            pytest.fail(f"the child exited with {proc.returncode} before writing: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the child acknowledged nothing within 120 s")
        time.sleep(0.01)
    time.sleep(delay)
    assert proc.poll() is None, "the child stopped by itself; it should write until killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return [i for i in read_acks(acks) if i >= start]


# ------------------------------------------------------------------------------ graph writes


def replay(count: int) -> Model:
    """Return the crash graphs after operations ``0 .. count - 1`` of the schedule."""
    state: Model = {}
    for index in range(count):
        op = graph_op(index)
        if op.kind == "write":
            state[op.graph] = (index, op.state)
        elif op.kind == "review" and op.graph in state:
            state[op.graph] = (state[op.graph][0], op.state)
        elif op.kind == "remove":
            state.pop(op.graph, None)
    return state


def observe(kg: KnowledgeGraph) -> tuple[Model, list[str]]:
    """Read the crash graphs back and check each is whole and registered; return the state and problems."""
    problems: list[str] = []
    fields: dict[str, Counter[str]] = {}
    for q in kg.store.quads(None, None, None, REGISTRY_NODE):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(BASE):
            fields.setdefault(q.subject.value, Counter())[q.predicate.value] += 1
    for iri, counts in fields.items():
        if len(counts) != REGISTRY_FIELDS or set(counts.values()) != {1}:
            problems.append(f"{iri}: half a registry entry {dict(counts)}")
    registry = {info.iri: info for info in kg.graphs() if info.iri.startswith(BASE)}
    stored = {g.value for g in kg.store.graphs() if g.value.startswith(BASE)}
    state: Model = {}
    for iri in sorted(registry.keys() | stored | fields.keys()):
        info = registry.get(iri)
        if info is None or iri not in stored:
            problems.append(
                f"{iri}: {'graph without registry entry' if info is None else 'entry without graph'}"
            )
            continue
        match = re.fullmatch(r"write (\d+)", info.title or "")
        op = graph_op(int(match[1])) if match else None
        if op is None or op.kind != "write" or graph_iri(op.graph) != graph_iri(int(iri[len(BASE) :])):
            problems.append(f"{iri}: registry title {info.title!r} names no write of this graph")
            continue
        expected = written_triples(op)
        want = {quad(s, p, o, graph_iri(op.graph)) for s, p, o in expected}
        have = set(kg.store.quads(None, None, None, ox.NamedNode(iri)))
        if have != want:
            problems.append(f"{iri}: {len(have)} quads, {len(have ^ want)} differ from {title_of(op)}")
        if info.content_hash != content_hash(expected):
            problems.append(f"{iri}: the registry hash is not the hash of {title_of(op)}")
        state[op.graph] = (op.index, info.review_state)
    problems += mirror_problems(kg)
    return state, problems


def mirror_problems(kg: KnowledgeGraph) -> list[str]:
    """Check that the public mirror (kg.public_mirror) holds exactly the approved crash graphs, in full."""
    if kg.mirror is None or not kg.mirror_in_use:
        return ["the public mirror is not in use after the restart"]
    approved = {g.value for g in kg.visible_graphs() if g.value.startswith(BASE)}
    mirrored = {g.value for g in kg.mirror.store.graphs() if g.value.startswith(BASE)}
    problems = [f"{iri}: approved but not in the mirror" for iri in sorted(approved - mirrored)]
    problems += [f"{iri}: in the mirror but not approved" for iri in sorted(mirrored - approved)]
    for iri in sorted(approved & mirrored):
        node = ox.NamedNode(iri)
        if set(kg.mirror.store.quads(None, None, None, node)) != set(kg.store.quads(None, None, None, node)):
            problems.append(f"{iri}: the mirror's copy differs from the store")
    return problems


def _open(home: Path) -> KnowledgeGraph:
    return KnowledgeGraph.open(Settings(home=home, search_enabled=False))


def test_kill_9_during_graph_writes_loses_and_half_applies_nothing(tmp_path: Path) -> None:
    rng = random.Random(8008)
    home, acks, log = tmp_path / "home", tmp_path / "acks", tmp_path / "child.log"
    done = 0  # operations the store holds; where the next child starts
    attempted = graphs_checked = in_flight_committed = lost = 0
    problems: list[str] = []
    for _ in range(GRAPH_KILLS):
        proc = spawn("graph", home, acks, done, log)
        acked = kill_while_writing(proc, acks, done, rng.uniform(0.0, 0.5), log)
        assert acked == list(range(done, done + len(acked))), "acknowledgements come in schedule order"
        upto = done + len(acked)  # operations 0 .. upto - 1 were acknowledged; upto was in flight
        attempted += len(acked) + 1
        kg = _open(home)
        try:
            observed, found = observe(kg)
        finally:
            kg.close()
        graphs_checked += len(observed)
        lost += len(found)  # each is a corrupt or half-registered graph
        before, after = replay(upto), replay(upto + 1)
        if observed == before:
            done = upto
        elif observed == after:
            done, in_flight_committed = upto + 1, in_flight_committed + 1
        else:  # a graph in neither state: an acknowledged write lost, or half an operation applied
            wrong = [
                g
                for g in sorted(before.keys() | after.keys() | observed.keys())
                if observed.get(g) not in (before.get(g), after.get(g))
            ]
            found.append(f"after op {upto - 1}: graphs {wrong} hold {observed}, acknowledged {before}")
            lost += max(1, len(wrong))
        problems += found
    # The store keeps working: more operations in-process, then a clean reopen shows all of them.
    kg = _open(home)
    try:
        for index in range(done, done + 10):
            apply_graph_op(kg, graph_op(index))
        attempted += 10
    finally:
        kg.close()
    kg = _open(home)
    try:
        final, found = observe(kg)
    finally:
        kg.close()
    problems += found
    lost += len(found) + (final != replay(done + 10))
    graphs_checked += len(final)
    record("kill -9 during graph writes", faults=GRAPH_KILLS, inputs=attempted, lost=lost)
    print(
        f"graph writes: {GRAPH_KILLS} kills, {attempted} operations, {graphs_checked} graphs checked, "
        f"{in_flight_committed} kills after the commit of an unacknowledged operation"
    )
    assert problems == []
    assert final == replay(done + 10)
    assert lost == 0


# ------------------------------------------------------------------------------------ ingest

Snapshot = dict[str, tuple[frozenset[ox.Quad], str | None]]
"""Document graphs: graph IRI -> (its quads, the content hash its registry entry holds)."""


def documents(kg: KnowledgeGraph) -> tuple[Snapshot, list[str]]:
    """Read every document graph with its registry hash; report graphs and entries without each other."""
    problems: list[str] = []
    fields: dict[str, Counter[str]] = {}
    for q in kg.store.quads(None, None, None, REGISTRY_NODE):
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(DOCUMENT_PREFIX):
            fields.setdefault(q.subject.value, Counter())[q.predicate.value] += 1
    for iri, counts in fields.items():
        if len(counts) != REGISTRY_FIELDS or set(counts.values()) != {1}:
            problems.append(f"{iri}: half a registry entry {dict(counts)}")
    stored = {g.value for g in kg.store.graphs() if g.value.startswith(DOCUMENT_PREFIX)}
    for iri in sorted(stored ^ fields.keys()):
        problems.append(
            f"{iri}: {'graph without registry entry' if iri in stored else 'entry without graph'}"
        )
    snapshot = {
        iri: (frozenset(kg.store.quads(None, None, None, ox.NamedNode(iri))), kg.registered_hash(URIRef(iri)))
        for iri in stored
    }
    return snapshot, problems


@pytest.fixture(scope="module")
def ingest_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Snapshot, dict[str, str]]:
    """A closed home with the catalog, a folder of documents, and what an uninterrupted ingest makes of it.

    Returns the home, the folder, the uninterrupted run's document graphs and file name -> graph IRI.
    """
    if not CORPUS.exists():
        pytest.skip("the seed corpus is not beside the repo")
    base = tmp_path_factory.mktemp("crash-ingest")
    folder = base / "docs"
    folder.mkdir()
    for name in ("000", "002", "003", "004", "001"):  # 20-200 kB of Dutch text each
        source = next(CORPUS.glob(f"{name}_*.txt"))
        shutil.copy(source, folder / f"verslag-{name}.txt")
        if name != "001":
            shutil.copy(source, folder / f"kopie-{name}.md")
    (folder / "notities.md").write_text(
        "# Notities\n\nDe Webber Community gebruikte intervisie en de Actiescan in ShareHouse.\n",
        encoding="utf-8",
    )
    home = base / "home"
    kg = _open(home)
    load_catalog(kg)
    kg.close()
    reference_home = base / "reference"
    shutil.copytree(home, reference_home)
    kg = _open(reference_home)
    try:
        report = ingest_run(kg, [str(folder)])
        reference, problems = documents(kg)
    finally:
        kg.close()
    assert report.totals["ingested"] == len(list(folder.iterdir())) and problems == []
    graphs = {Path(d.path).name: d.graph for d in report.documents if d.graph is not None}
    return home, folder, reference, graphs


def run_ingest(home: Path, folder: Path) -> subprocess.Popen[str]:
    """Start ``lcgraph ingest`` (the real CLI) on ``folder``; it reports each document on stderr."""
    env = {**os.environ, "LCGRAPH_HOME": str(home), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.Popen(
        [*LCGRAPH, "ingest", str(folder)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


REPORTED = re.compile(r"^(ingested|unchanged) \d+/\d+: (.+)$")


def test_kill_9_during_ingest_leaves_whole_documents_and_a_rerun_completes(
    ingest_setup: tuple[Path, Path, Snapshot, dict[str, str]], tmp_path: Path
) -> None:
    base_home, folder, reference, graphs = ingest_setup
    home = tmp_path / "home"
    shutil.copytree(base_home, home)
    rng = random.Random(4711)
    kills = checked = lost = 0
    problems: list[str] = []
    reported: set[str] = set()  # graphs of documents the CLI reported done before a kill
    for round_no in range(INGEST_KILLS):
        proc = run_ingest(home, folder)
        assert proc.stderr is not None
        # Round r kills after the (r + 1)-th document report (done or unchanged) and a random delay, so
        # the kills move through the folder: each one lands in the extraction or write of a later document.
        lines: list[str] = []
        while sum(bool(REPORTED.match(line.strip())) for line in lines) <= round_no:
            lines.append(proc.stderr.readline())
            if not lines[-1]:
                break
        time.sleep(rng.uniform(0.0, 0.4))
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        lines += proc.stderr.read().splitlines()
        proc.wait(timeout=60)
        assert finished or proc.returncode == -signal.SIGKILL, lines
        reported |= {graphs[m[2]] for line in lines if (m := REPORTED.match(line.strip()))}
        kg = _open(home)
        try:
            snapshot, found = documents(kg)
        finally:
            kg.close()
        for iri, (quads, digest) in sorted(snapshot.items()):
            want = reference.get(iri)
            if want is None or (quads, digest) != want:
                found.append(f"{iri}: {len(quads)} quads, not the graph of an uninterrupted run")
        found += [
            f"{iri}: reported before the kill, missing after" for iri in sorted(reported - snapshot.keys())
        ]
        checked += len(snapshot)
        problems += found
        lost += len(found)
        if finished:
            break
    # Re-running the interrupted ingest completes and ends exactly where an uninterrupted run ends.
    env = {**os.environ, "LCGRAPH_HOME": str(home), "NO_COLOR": "1"}
    rerun = subprocess.run(
        [*LCGRAPH, "ingest", str(folder)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    kg = _open(home)
    try:
        final, found = documents(kg)
        again = ingest_run(kg, [str(folder)])
        unchanged, _ = documents(kg)
    finally:
        kg.close()
    differ = sorted(iri for iri in final.keys() | reference.keys() if final.get(iri) != reference.get(iri))
    problems += found + [f"{iri}: differs from the uninterrupted run after the re-run" for iri in differ]
    lost += len(found) + len(differ)
    checked += len(final)
    record("kill -9 during ingest", faults=kills, inputs=checked, lost=lost)
    print(
        f"ingest: {kills} kills, {len(graphs)} documents, {len(reported)} reported before a kill, "
        f"{checked} document graphs checked"
    )
    assert problems == []
    assert lost == 0
    assert kills >= INGEST_KILLS // 2, "most rounds were killed mid-ingest"
    assert again.totals["unchanged"] == len(graphs) and unchanged == final, "a second re-run is a no-op"


# ------------------------------------------------------------------------------ search index


def load_version(directory: Path) -> tuple[int, list[str]]:
    """Load the saved index the way the search engine does; return its version and what is wrong with it."""
    index = VectorIndex.load(directory, embedder="crash-test", dimension=INDEX_DIM, fingerprint=None)
    version = int(Manifest.read(directory).fingerprint.removeprefix("version-"))
    ids, vectors = index_vectors(version)
    problems = []
    if sorted(index.ids()) != sorted(ids):
        problems.append(f"version {version}: {len(index)} ids, not the {len(ids)} saved")
    elif not np.array_equal(index.vectors(ids), vectors):
        problems.append(f"version {version}: vectors differ from those saved")
    return version, problems


def temporary_files(directory: Path) -> list[str]:
    """List the temporary files of saves in ``directory`` (only a killed save leaves any)."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_kill_9_during_index_saves_leaves_a_loadable_index(tmp_path: Path) -> None:
    rng = random.Random(1234)
    directory, acks, log = tmp_path / "index", tmp_path / "acks", tmp_path / "child.log"
    done = saves = in_flight_committed = lost = litter = 0
    problems: list[str] = []
    for _ in range(INDEX_KILLS):
        proc = spawn("index", directory, acks, done, log)
        acked = kill_while_writing(proc, acks, done, rng.uniform(0.0, 0.3), log)
        assert acked == list(range(done, done + len(acked)))
        last = done + len(acked) - 1  # the last acknowledged save; last + 1 was in flight
        saves += len(acked) + 1
        litter += len(temporary_files(directory))
        version, found = load_version(directory)
        if version not in (last, last + 1):
            found.append(f"loaded version {version}; the last acknowledged save was {last}")
        in_flight_committed += version == last + 1
        done = version + 1
        problems += found
        lost += len(found)
    index = VectorIndex(INDEX_DIM)
    index.upsert(*index_vectors(done))
    index.save(directory, embedder="crash-test", fingerprint=f"version-{done}")
    version, found = load_version(directory)
    problems += found
    lost += len(found) + (version != done)
    # Not data lost but disk: a temporary file may be as large as the index, so the next save removes them.
    problems += [
        f"{name}: left by a killed save, still there after the next" for name in temporary_files(directory)
    ]
    record("kill -9 during search index saves", faults=INDEX_KILLS, inputs=saves + 1, lost=lost)
    print(
        f"index saves: {INDEX_KILLS} kills, {saves + 1} saves, {in_flight_committed} kills after an "
        f"unacknowledged save committed; {litter} temporary files seen after kills"
    )
    assert problems == []
    assert version == done and lost == 0
