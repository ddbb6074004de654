"""``lcgraph search | similar | crossovers | eval``: the associative search from the command line.

Each command opens the graph, loads the embedders (offline) and the saved indexes (re-encoding only what
changed since they were saved, with a progress bar), answers, and exits.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg.config import Settings
from kg.errors import InvalidInput, LcGraphError
from kg.search.engine import ProgressCallback
from kg.search.service import SearchService
from lcgraph.cli import _exit_code, _graph, app, err, out

T = TypeVar("T")


@contextmanager
def open_search(settings: Settings | None = None) -> Iterator[SearchService]:
    """Open the graph and the search service, showing index-building progress on stderr.

    A command asks one question and exits, so unless ``LCGRAPH_SEARCH_QUERY_PROCESSES`` says otherwise it
    starts one query encoder process, not the server's pool (each loads the models: ~200 MB, seconds).
    """
    settings = settings or Settings()
    if "LCGRAPH_SEARCH_QUERY_PROCESSES" not in os.environ:
        settings = settings.model_copy(update={"search_query_processes": 1})
    with _graph(one_query=True) as kg, _progress() as progress:
        service: SearchService | None = None
        try:
            service = SearchService.open(kg, settings, progress=progress)
            yield service
        except LcGraphError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            raise typer.Exit(_exit_code(exc)) from None
        finally:
            if service is not None:
                service.close()


@contextmanager
def _progress() -> Iterator[ProgressCallback]:
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("encoding {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        yield advance


Lang = Annotated[str, typer.Option("--lang", help="Language of labels and explanations: nl or en.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What you need, in Dutch or English.")],
    type_: Annotated[
        list[str] | None, typer.Option("--type", "-t", help="instrument, case or community (repeatable).")
    ] = None,
    sector: Annotated[list[str] | None, typer.Option(help="Sector slug filter (repeatable).")] = None,
    phase: Annotated[list[str] | None, typer.Option(help="Phase slug filter (repeatable).")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Target role slug filter (repeatable).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-k", help="Number of results.")] = 10,
    lang: Lang = "en",
    as_json: AsJson = False,
) -> None:
    """Search instruments, cases and communities; each result says why it was found."""
    filters = {k: v for k, v in (("sector", sector), ("phase", phase), ("role", role)) if v}
    with open_search() as service:
        response = _run(lambda: service.search(query, types=type_, filters=filters, limit=limit, lang=lang))
        if as_json:
            print(response.model_dump_json(indent=2))
            return
        table = Table(show_header=True)
        for col in ("#", "type", "code", "name", "score", "why"):
            table.add_column(col)
        for rank, hit in enumerate(response.results, start=1):
            table.add_row(
                str(rank),
                hit.item.type or "",
                hit.code or "",
                hit.item.label.best(lang),
                f"{hit.score:.3f}",
                "; ".join(hit.why),
            )
        out.print(f"{response.total} matches (query language: {response.language or 'unknown'})")
        out.print(table)


@app.command()
def similar(
    ident: Annotated[
        str,
        typer.Argument(help="case/<slug> or instrument/<slug>; with --text, a situation in free text."),
    ],
    text: Annotated[bool, typer.Option("--text", help="IDENT is a free-text situation.")] = False,
    sector: Annotated[str | None, typer.Option(help="With --text: your own sector.")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    diversity: Annotated[float, typer.Option(help="0: pure similarity; 1: spread over sectors.")] = 1.0,
    lang: Lang = "en",
    as_json: AsJson = False,
) -> None:
    """Show the cases (or instruments) most similar to one, or to a described situation, with reasons."""
    with open_search() as service:
        if text:
            response = _run(
                lambda: service.similar_to_text(ident, k=k, diversity=diversity, sector=sector, lang=lang)
            )
        else:
            entity = ident if "/" in ident else f"case/{ident}"
            response = _run(lambda: service.similar(entity, k=k, diversity=diversity, lang=lang))
        if as_json:
            print(response.model_dump_json(indent=2))
            return
        table = Table(show_header=True)
        for col in ("#", "code", "name", "sectors", "score", "explanation"):
            table.add_column(col)
        for rank, item in enumerate(response.results, start=1):
            table.add_row(
                str(rank),
                item.code or "",
                item.item.label.best(lang),
                ", ".join(s.label.best(lang) for s in item.sectors),
                f"{item.score:.3f}",
                item.explanation,
            )
        out.print(table)


@app.command()
def crossovers(
    need: Annotated[str, typer.Argument(help="The need, in Dutch or English.")],
    sector: Annotated[str | None, typer.Option(help="Your sector (suggestions come from others).")] = None,
    phase: Annotated[str | None, typer.Option(help="Your community's phase, e.g. start.")] = None,
    role: Annotated[str | None, typer.Option(help="Who will use it, e.g. facilitator.")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    lang: Lang = "en",
    as_json: AsJson = False,
) -> None:
    """Suggest instruments proven in other sectors that fit a need, each with its reason."""
    with open_search() as service:
        response = _run(
            lambda: service.crossovers(need, sector=sector, phase=phase, role=role, k=k, lang=lang)
        )
        if as_json:
            print(response.model_dump_json(indent=2))
            return
        table = Table(show_header=True)
        for col in ("#", "code", "instrument", "score", "reason"):
            table.add_column(col)
        for rank, item in enumerate(response.results, start=1):
            table.add_row(
                str(rank), item.code or "", item.instrument.label.best(lang), f"{item.score:.3f}", item.reason
            )
        out.print(table)


@app.command(name="eval")
def eval_(
    eval_set: Annotated[
        Path | None, typer.Option("--set", help="Evaluation set (YAML); default: the bundled one.")
    ] = None,
    system: Annotated[
        list[str] | None,
        typer.Option("--system", help="ours, dense, bm25, minilm (repeatable; default all)."),
    ] = None,
    as_json: AsJson = False,
    show_misses: Annotated[bool, typer.Option(help="List queries ours did not rank first.")] = False,
) -> None:
    """Evaluate search on the evaluation set against dense-only, BM25-only and MiniLM baselines.

    Runs on a fresh in-memory graph with the bundled catalog, so results do not depend on local data.
    """
    from kg.graph import KnowledgeGraph
    from kg.loading import load_catalog
    from kg.search.evaluation import SYSTEMS, evaluate, format_table, load_eval_set

    settings = Settings(store="memory")
    systems = system or list(SYSTEMS)
    kg = KnowledgeGraph.open(settings)
    service: SearchService | None = None
    try:
        queries = load_eval_set(eval_set)
        load_catalog(kg)
        with _progress() as progress:
            service = SearchService.open(kg, settings, progress=progress, similarity_graph=False)
            result = evaluate(
                service.engine, queries, systems=systems, progress=lambda s: err.print(f"running {s} ...")
            )
    except LcGraphError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None
    finally:
        if service is not None:
            service.close()
        kg.close()
    if as_json:
        rows = [
            {"system": s, "task": t, "lang": lang, "n": v.n, "r1": v.r1, "r5": v.r5, "mrr": v.mrr}
            for (s, t, lang), v in sorted(result.scores.items())
        ]
        print(json.dumps(rows, indent=2))
        return
    print(f"{len(queries)} queries; rank = position of the first expected answer")
    print(format_table(result, systems))
    if show_misses and "ours" in systems:
        for q in queries:
            rank = result.ranks[("ours", q.id)]
            if rank != 1:
                print(f"  {q.id}: rank {rank or '-'} (expected {', '.join(q.expected)})")


def _run(call: Callable[[], T]) -> T:
    """Call ``call``; report a domain error as one line and exit with its code."""
    try:
        return call()
    except InvalidInput as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from None
    except LcGraphError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(_exit_code(exc)) from None
