"""Ingest throughput on the seed corpus, next to baselines measured in the same run.

Stages, each timed over the same files: reading the bytes (the floor), reading and cleaning
(`read_document`), chunking, extraction, and the whole pipeline into a fresh in-memory store with
the catalog loaded (one transaction per document). Prints a markdown table with medians over
repeats and each stage's cost relative to reading and cleaning. When the search issue lands its
encoder, the encoder's chunks/s joins this table.

Usage: python -m bench.ingest_throughput [CORPUS_DIR] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rdflib import URIRef

from ingest.chunk import chunk
from ingest.extract import extract
from ingest.linking import build_lexicon
from ingest.pipeline import run
from ingest.sources import read_document
from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Return the median wall time of ``fn`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print (and optionally write) the markdown report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.is_file())
    if not files:
        raise SystemExit(f"no files in {args.corpus}")
    size = sum(p.stat().st_size for p in files)
    docs = [read_document(p) for p in files]
    lines = sum(len(d.raw_lines) for d in docs)
    chunks = [chunk(d) for d in docs]
    n_chunks = sum(len(c) for c in chunks)

    kg = KnowledgeGraph.open(Settings(store="memory"))
    load_catalog(kg)
    lexicon = build_lexicon(kg)

    t_bytes = timed(lambda: [p.read_bytes() for p in files], args.repeats)
    t_read = timed(lambda: [read_document(p) for p in files], args.repeats)
    t_chunk = timed(lambda: [chunk(d) for d in docs], args.repeats)
    t_extract = timed(
        lambda: [
            extract(d, URIRef(f"urn:bench:{i}"), c, lexicon)
            for i, (d, c) in enumerate(zip(docs, chunks, strict=True))
        ],
        args.repeats,
    )

    def pipeline() -> None:
        fresh = KnowledgeGraph.open(Settings(store="memory"))
        load_catalog(fresh, validate=False)
        start = time.perf_counter()
        run(fresh, [str(p) for p in files])
        pipeline.elapsed = time.perf_counter() - start  # type: ignore[attr-defined]
        fresh.close()

    elapsed = []
    for _ in range(args.repeats):
        pipeline()
        elapsed.append(pipeline.elapsed)  # type: ignore[attr-defined]
    t_pipeline = statistics.median(elapsed)

    rows = [
        ("read bytes (floor)", t_bytes),
        ("read + clean (baseline)", t_read),
        ("chunk", t_chunk),
        ("extract (link + rules)", t_extract),
        ("whole pipeline into the store", t_pipeline),
    ]
    out = [
        f"# Ingest throughput: {len(files)} files, {size / 1e6:.2f} MB, {lines} lines, {n_chunks} chunks",
        "",
        f"Median of {args.repeats} runs. Ratio = stage time / read + clean time, measured in this run.",
        "",
        "| stage | seconds | files/s | lines/s | chunks/s | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, seconds in rows:
        out.append(
            f"| {name} | {seconds:.3f} | {len(files) / seconds:.1f} | {lines / seconds:,.0f} | "
            f"{n_chunks / seconds:,.0f} | {seconds / t_read:.2f} |"
        )
    report = "\n".join(out) + "\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    kg.close()


if __name__ == "__main__":
    main()
