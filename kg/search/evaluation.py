"""Evaluate search against baselines on our evaluation set (``kg/search/eval_set.yaml``).

Four systems answer every query of the set:

- ``ours``: the hybrid search (joined e5 + USE, BM25 for Dutch queries, names, graph concepts), and for
  similar cases and crossovers the full method (graph overlap, sector diversity, evidence);
- ``dense``: the same joined embeddings alone (cosine only);
- ``bm25``: the lexical channel alone (BM25 with Dutch and English stemming, plus name matching);
- ``minilm``: all-MiniLM-L6-v2 (English only) embeddings alone, the baseline the embedding study used.

For each system, task (instrument, similar-case, crossover) and language it reports R@1, R@5 and MRR, where
a query's rank is that of the first expected answer (MRR counts 0 when none is returned).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kg.errors import InvalidInput
from kg.search.documents import ChunkDoc
from kg.search.engine import DocumentSource, SearchEngine
from kg.search.related import crossovers, similar_items, similar_to_text

__all__ = [
    "SYSTEMS",
    "EvalQuery",
    "EvalResult",
    "Score",
    "evaluate",
    "format_table",
    "load_eval_set",
]

SYSTEMS: Final = ("ours", "dense", "bm25", "minilm")
TASKS: Final = ("instrument", "similar-case", "crossover")
DEPTH: Final = 100


class EvalQuery(BaseModel):
    """One query of the evaluation set."""

    model_config = ConfigDict(extra="forbid")

    id: str
    task: Literal["instrument", "similar-case", "crossover"]
    lang: Literal["nl", "en"]
    query: str | None = None
    case: str | None = None
    sector: str | None = None
    phase: str | None = None
    role: str | None = None
    expected: list[str] = Field(min_length=1)
    grounds: str

    @model_validator(mode="after")
    def _has_input(self) -> EvalQuery:
        if not self.query and not self.case:
            raise ValueError("a query needs a query text or a source case")
        if self.task != "similar-case" and not self.query:
            raise ValueError(f"a {self.task} query needs a query text")
        return self


def default_eval_set() -> Path:
    """Return the path of the bundled evaluation set."""
    return Path(str(resources.files("kg.search").joinpath("eval_set.yaml")))


def load_eval_set(path: Path | None = None) -> list[EvalQuery]:
    """Read and check an evaluation set; raise :class:`InvalidInput` naming the bad entry."""
    path = path or default_eval_set()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the evaluation set: {exc}", where=str(path)) from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("queries"), list):
        raise InvalidInput("an evaluation set is a mapping with a 'queries' list", where=str(path))
    out = []
    for position, entry in enumerate(raw["queries"]):
        try:
            out.append(EvalQuery.model_validate(entry))
        except ValidationError as exc:
            ident = entry.get("id") if isinstance(entry, dict) else None
            raise InvalidInput(
                f"query {ident or position + 1}: {exc.errors()[0]['msg']}", where=str(path)
            ) from exc
    ids = [q.id for q in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidInput(f"duplicate query ids: {', '.join(duplicates)}", where=str(path))
    return out


@dataclass
class Score:
    """Recall at 1 and 5 and mean reciprocal rank over a group of queries."""

    n: int = 0
    hits1: int = 0
    hits5: int = 0
    rr: float = 0.0

    def add(self, rank: int | None) -> None:
        """Count one query whose first expected answer came at ``rank`` (1-based; None = not found)."""
        self.n += 1
        if rank is not None:
            self.hits1 += rank == 1
            self.hits5 += rank <= 5
            self.rr += 1.0 / rank

    @property
    def r1(self) -> float:
        """Recall at 1."""
        return self.hits1 / self.n if self.n else 0.0

    @property
    def r5(self) -> float:
        """Recall at 5."""
        return self.hits5 / self.n if self.n else 0.0

    @property
    def mrr(self) -> float:
        """Mean reciprocal rank."""
        return self.rr / self.n if self.n else 0.0


@dataclass
class EvalResult:
    """Scores per (system, task, language) with ``"all"`` as the language total, and per-query ranks."""

    scores: dict[tuple[str, str, str], Score] = field(default_factory=dict)
    ranks: dict[tuple[str, str], int | None] = field(default_factory=dict)

    def score(self, system: str, task: str, lang: str = "all") -> Score:
        """Return the score of a system on a task in a language (``all`` for both)."""
        return self.scores.get((system, task, lang), Score())


class _NoChunks(DocumentSource):
    """A document source that hides chunks (the MiniLM baseline ranks entities only)."""

    def __init__(self, inner: DocumentSource) -> None:
        self.inner = inner

    def entities(self) -> list:  # type: ignore[type-arg]
        """Return the inner source's entities."""
        return self.inner.entities()

    def chunks(self) -> list[ChunkDoc]:
        """Return no chunks."""
        return []


def baseline_engine(engine: SearchEngine, embedder_name: str = "minilm") -> SearchEngine:
    """Build an in-memory engine over the same entities with another embedder (entities only)."""
    from kg.search.embedder import load_embedder

    embedder = load_embedder(embedder_name, threads=None)
    other = SearchEngine(_NoChunks(engine.source), embedder=embedder, index_sentences=False)
    other.sync()
    return other


def _slug(entity_id: str) -> str:
    return entity_id.split("/", 1)[-1]


def _rank(ranked: Sequence[str], expected: Sequence[str]) -> int | None:
    wanted = set(expected)
    for position, item in enumerate(ranked[:DEPTH], start=1):
        if item in wanted:
            return position
    return None


def _plain(engine: SearchEngine, q: EvalQuery, type_: str, *, dense: bool, lexical: bool) -> list[str]:
    """Rank by one channel: a text query, or a source case's own text."""
    text = q.query
    if q.case and (q.task == "similar-case"):
        source = engine.entities.get(f"case/{q.case}")
        if source is None:
            raise InvalidInput(f"{q.id}: unknown case {q.case!r}", where=q.id)
        if dense:
            scores = engine.dense_scores(engine.entity_vector(source.id))
            ranked = sorted(
                (i for i in scores if i != source.id and engine.entities[i].type == type_),
                key=lambda i: -scores[i],
            )
            return [_slug(i) for i in ranked]
        text = " ".join(source.texts.values())[:1900]
    assert text is not None
    candidates = engine.score(text, types=[type_], dense=dense, lexical=lexical, graph=False)
    return [_slug(c.doc.id) for c in candidates if c.doc.id != f"case/{q.case}"]


def _ours(engine: SearchEngine, q: EvalQuery) -> list[str]:
    if q.task == "instrument":
        assert q.query is not None
        return [_slug(c.doc.id) for c in engine.score(q.query, types=["instrument"])]
    if q.task == "similar-case":
        if q.case:
            response = similar_items(engine, f"case/{q.case}", k=DEPTH)
        else:
            assert q.query is not None
            response = similar_to_text(engine, q.query, k=DEPTH, sector=q.sector)
        return [_slug(r.item.id) for r in response.results]
    assert q.query is not None
    found = crossovers(engine, q.query, sector=q.sector, phase=q.phase, role=q.role, k=DEPTH)
    return [_slug(r.instrument.id) for r in found.results]


def evaluate(
    engine: SearchEngine,
    queries: Sequence[EvalQuery],
    *,
    systems: Sequence[str] = SYSTEMS,
    minilm: SearchEngine | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalResult:
    """Run every query through every system and score them.

    Args:
        engine: a synced engine with the joined embedder (serves ``ours``, ``dense`` and ``bm25``).
        queries: the evaluation set.
        systems: which of :data:`SYSTEMS` to run.
        minilm: a synced MiniLM engine over the same entities; built when needed and not given.
        progress: called with the name of each system as it starts.
    """
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise InvalidInput(
            f"unknown system {unknown[0]!r}; choose from {', '.join(SYSTEMS)}", where="systems"
        )
    if "minilm" in systems and minilm is None:
        if progress is not None:
            progress("encoding the entities with MiniLM")
        minilm = baseline_engine(engine)
    result = EvalResult()
    for system in systems:
        if progress is not None:
            progress(system)
        for q in queries:
            type_ = "case" if q.task == "similar-case" else "instrument"
            if system == "ours":
                ranked = _ours(engine, q)
            elif system == "dense":
                ranked = _plain(engine, q, type_, dense=True, lexical=False)
            elif system == "bm25":
                ranked = _plain(engine, q, type_, dense=False, lexical=True)
            else:
                assert minilm is not None
                ranked = _plain(minilm, q, type_, dense=True, lexical=False)
            rank = _rank(ranked, q.expected)
            result.ranks[(system, q.id)] = rank
            for lang in (q.lang, "all"):
                result.scores.setdefault((system, q.task, lang), Score()).add(rank)
    return result


def format_table(result: EvalResult, systems: Sequence[str] = SYSTEMS) -> str:
    """Render the scores as a Markdown table: one row per task, language and system."""
    lines = [
        "| task | lang | system | n | R@1 | R@5 | MRR |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for task in TASKS:
        for lang in ("all", "nl", "en"):
            for system in systems:
                s = result.score(system, task, lang)
                if not s.n:
                    continue
                lines.append(
                    f"| {task} | {lang} | {system} | {s.n} | {s.r1:.2f} | {s.r5:.2f} | {s.mrr:.3f} |"
                )
    return "\n".join(lines)
