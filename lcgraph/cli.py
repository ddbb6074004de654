"""``lcgraph``: load, inspect, query, export/import and serve the knowledge graph.

Errors are one clear line on stderr (plus the list of problems, when there are several) and a
non-zero exit code: 2 for invalid input or a refused query, 3 when the store cannot be opened,
4 when something is not found.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pyoxigraph as ox
import typer
from rich.console import Console
from rich.table import Table

from kg.catalog import CATALOG_DIR
from kg.config import Settings
from kg.errors import (
    InvalidInput,
    LcGraphError,
    ModelUnavailable,
    NotFound,
    QueryRejected,
    StoreUnavailable,
    TooManyRows,
)
from kg.graph import KnowledgeGraph
from kg.loading import load_catalog
from kg.rdfinput import parse_quads
from kg.results import PREFIXES, serialize
from kg.sparql import AskResult, GraphResult, SelectResult
from kg.stats import collect_stats

app = typer.Typer(
    help="lcgraph: a knowledge graph of Learning Community instruments, cases and concepts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
}
QUAD_FORMATS = {"nq", "trig", "jsonld"}
SUFFIX_FORMATS = {
    ".nq": "nq",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".ttl": "ttl",
    ".nt": "nt",
}


def _exit_code(exc: LcGraphError) -> int:
    if isinstance(exc, StoreUnavailable | ModelUnavailable):
        return 3
    if isinstance(exc, NotFound):
        return 4
    if isinstance(exc, InvalidInput | QueryRejected | TooManyRows):
        return 2
    return 1


@contextmanager
def _graph(*, one_query: bool = False) -> Iterator[KnowledgeGraph]:
    """Open the knowledge graph named by the environment and report errors as one line.

    ``one_query``: the command runs a single query and exits, so unless ``LCGRAPH_SPARQL_ISOLATION`` says
    otherwise it evaluates in this process: worker processes (and the store checkpoint they read) pay off
    for a server that must cancel runaway queries, not for a command the user can interrupt.
    """
    kg: KnowledgeGraph | None = None
    try:
        settings = Settings()
        if one_query and "LCGRAPH_SPARQL_ISOLATION" not in os.environ:
            settings = settings.model_copy(update={"sparql_isolation": "thread"})
        kg = KnowledgeGraph.open(settings)
        yield kg
    except LcGraphError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        for problem in getattr(exc, "problems", []):
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(_exit_code(exc)) from None
    finally:
        if kg is not None:
            kg.close()


@app.command()
def load(
    catalog: Annotated[Path, typer.Option(help="Catalog directory (YAML entries).")] = CATALOG_DIR,
    force: Annotated[bool, typer.Option(help="Rewrite even when nothing changed.")] = False,
) -> None:
    """Validate the curated catalog (SHACL) and load it with the ontology; re-running is a no-op."""
    with _graph() as kg:
        with out.status("validating and loading the catalog ..."):
            report = load_catalog(kg, catalog, force=force)
        for w in report.writes:
            state = "[green]written[/]" if w.changed else "[dim]unchanged[/]"
            out.print(f"{w.graph}: {w.triples} triples, {state}")
        out.print(
            f"catalog: {report.instruments} instruments, {report.cases} cases, "
            f"{report.organisations} organisations, {report.people} people, {report.documents} documents, "
            f"{report.facts} facts with provenance"
        )
        for v in report.violations:
            out.print(f"[yellow]{v}[/]")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Print counts of what the graph holds."""
    with _graph() as kg:
        s = collect_stats(kg)
        if as_json:
            print(s.model_dump_json(indent=2))
            return
        table = Table(title="lcgraph", show_header=True)
        table.add_column("what")
        table.add_column("count", justify="right")
        for label, value in [
            ("triples (all graphs)", s.triples),
            ("instruments", s.instruments),
            ("cases", s.cases),
            ("communities and collectives", s.communities),
            ("  of which learning communities", s.learning_communities),
            ("organisations", s.organisations),
            ("people", s.people),
            ("source documents", s.documents),
            ("concept schemes", s.concept_schemes),
            ("concepts", s.concepts),
            ("ontology classes", s.classes),
            ("ontology properties", s.properties),
            ("facts with provenance records", s.fact_records),
        ]:
            table.add_row(label, str(value))
        out.print(table)
        graphs = Table(title="named graphs")
        for col in ("graph", "state", "triples"):
            graphs.add_column(col)
        for g in s.graphs:
            graphs.add_row(g.iri, g.review_state, str(g.triples))
        out.print(graphs)
        for title, data in [
            ("instruments by kind", s.instruments_by_kind),
            ("instruments by phase", s.instruments_by_phase),
            ("cases by sector", s.cases_by_sector),
        ]:
            out.print(f"{title}: " + ", ".join(f"{k} {v}" for k, v in data.items()))


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="IRI, id (instrument/x), slug or name of an entity.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show an entity, its relations, and where each fact comes from."""
    with _graph() as kg:
        hits = kg.resolve(name)
        if not hits:
            raise NotFound(f"nothing matches {name!r}; try a slug such as 'seeds-of-innovation' or an IRI")
        if len(hits) > 1 and not any(h.label.best().casefold() == name.casefold() for h in hits[:1]):
            err.print(f"{len(hits)} entities match {name!r}; showing the first. Others:")
            for h in hits[1:10]:
                err.print(f"  {h.id}  {h.label.best()}", markup=False)
        hit = hits[0]
        facts = kg.facts(hit.iri)
        if as_json:
            print(
                json.dumps(
                    {"iri": hit.iri, "facts": [f.model_dump() for f in facts]}, indent=2, ensure_ascii=False
                )
            )
            return
        out.print(f"[bold]{hit.label.best('nl')}[/] / {hit.label.best('en')}")
        out.print(f"[dim]{hit.iri}[/]")
        table = Table(show_header=True, expand=True)
        table.add_column("property", style="cyan", no_wrap=True)
        table.add_column("value")
        table.add_column("source", style="dim")
        for f in facts:
            value = f.value_label or f.value
            if f.language:
                value = f"{value} @{f.language}"
            sources = "; ".join(
                " ".join(x for x in (s.citation, s.section and f"§{s.section}", s.method) if x)
                for s in f.sources
            )
            table.add_row(f.predicate_label, value, sources)
        out.print(table)
        incoming = kg.resolve_incoming(hit.iri)
        if incoming:
            out.print("[bold]referenced by[/]")
            for predicate, ref in incoming:
                out.print(f"  {predicate}  {ref.label.best()}  [dim]{ref.iri}[/]")


def _read_query(query: str) -> str:
    if query == "-":
        return sys.stdin.read()
    if query.startswith("@"):
        return Path(query[1:]).read_text(encoding="utf-8")
    return query


@app.command()
def sparql(
    query: Annotated[str, typer.Argument(help="The query, '@file.rq' to read a file, or '-' for stdin.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="table, json, csv, tsv, xml (SELECT/ASK); "
            "turtle, ntriples, jsonld, rdfxml (CONSTRUCT/DESCRIBE).",
        ),
    ] = "table",
) -> None:
    """Run a read-only SPARQL query over the public (approved) graphs."""
    with _graph(one_query=True) as kg:
        result = kg.sparql(_read_query(query))
        if fmt == "table":
            _print_table(result)
            return
        if isinstance(result, GraphResult) and fmt in ("json", "csv", "tsv", "xml"):
            raise QueryRejected(
                f"format {fmt!r} is for SELECT/ASK; use turtle, ntriples, jsonld or rdfxml", reason="format"
            )
        if not isinstance(result, GraphResult) and fmt in ("turtle", "ntriples", "jsonld", "rdfxml"):
            raise QueryRejected(
                f"format {fmt!r} is for CONSTRUCT/DESCRIBE; use table, json, csv, tsv or xml", reason="format"
            )
        try:
            data = serialize(result, fmt)
        except (KeyError, ValueError):
            raise QueryRejected(f"unknown format {fmt!r}", reason="format") from None
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


TABLE_PREFIXES = {"lcd:": "https://w3id.org/lcgraph/id/", **{f"{k}:": v for k, v in PREFIXES.items()}}


def _compact(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    """Shorten our IRIs with the usual prefixes for reading in a terminal table."""
    if isinstance(term, ox.NamedNode):
        for prefix, ns in TABLE_PREFIXES.items():
            if term.value.startswith(ns):
                return prefix + term.value[len(ns) :]
    return term.value


def _print_table(result: SelectResult | GraphResult | AskResult) -> None:
    if isinstance(result, AskResult):
        out.print("true" if result.value else "false")
        return
    if isinstance(result, GraphResult):
        sys.stdout.buffer.write(serialize(result, "turtle"))
        return
    table = Table(show_header=True)
    for v in result.variables:
        table.add_column(v, overflow="fold")
    for row in result.rows:
        table.add_row(*[_compact(row[v]) if v in row else "" for v in result.variables])
    out.print(table)
    out.print(f"[dim]{len(result.rows)} row(s)[/]")


@app.command(name="export")
def export_(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="nq, trig, jsonld (all named graphs, lossless); ttl, nt (public graphs merged into one).",
        ),
    ] = "nq",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export the graph; nq, trig and jsonld keep every named graph and re-import losslessly."""
    if fmt not in EXPORT_FORMATS:
        err.print(
            f"[bold red]error:[/] unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
        raise typer.Exit(2)
    with _graph() as kg:
        if fmt in QUAD_FORMATS:
            data = kg.store.dump(EXPORT_FORMATS[fmt])
        else:
            result = kg.public_query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
            assert isinstance(result, ox.QueryTriples)
            serialised = ox.serialize(list(result), format=EXPORT_FORMATS[fmt])
            assert isinstance(serialised, bytes)
            data = serialised
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            output.write_bytes(data)
            err.print(f"wrote {len(data)} bytes to {output}")


@app.command(name="import")
def import_(
    path: Annotated[Path, typer.Argument(help="File exported by `lcgraph export` (nq, trig, jsonld).")],
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="Format; default: from the suffix.")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace everything in the store.")] = False,
) -> None:
    """Import an export in one transaction (with --replace, the store ends up equal to the file)."""
    name = fmt or SUFFIX_FORMATS.get(path.suffix.lower())
    if name not in QUAD_FORMATS:
        err.print(
            f"[bold red]error:[/] {path}: cannot import format {name or path.suffix!r}; "
            "use an nq, trig or jsonld export (they keep named graphs and provenance)"
        )
        raise typer.Exit(2)
    if not path.exists():
        err.print(f"[bold red]error:[/] {path}: no such file")
        raise typer.Exit(2)
    with _graph() as kg:
        quads = parse_quads(path.read_bytes(), EXPORT_FORMATS[name], where=str(path))
        n = kg.import_quads(quads, replace=replace)
        out.print(f"imported {n} quads from {path}" + (" (store replaced)" if replace else ""))


@app.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files, folders or glob patterns (pdf, docx, html, md, txt).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    force: Annotated[bool, typer.Option(help="Re-extract files that did not change.")] = False,
    max_mb: Annotated[float, typer.Option(help="Refuse files larger than this many megabytes.")] = 50.0,
    partial: Annotated[
        bool, typer.Option(help="Case entries: write the valid entries and report the others.")
    ] = False,
) -> None:
    """Ingest documents and case entries: one named graph per file, proposed for review.

    Documents: pdf, docx, html, markdown, text. Case entries: json, yaml, csv (docs/case-entries.md).
    Re-running on unchanged files is a no-op.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.pipeline import DocumentReport, run

    with _graph() as kg:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=True, disable=as_json) as bar:
            task = bar.add_task("ingesting", total=None)

            def advance(doc: DocumentReport, done: int, total: int) -> None:
                name = Path(doc.path).name
                bar.update(task, completed=done, total=total, description=f"{doc.status} {name}")
                if not err.is_terminal and not as_json:
                    # No live bar without a terminal: one line per document keeps logs informative.
                    err.print(f"{doc.status} {done}/{total}: {name}", highlight=False, markup=False)

            report = run(
                kg, paths, progress=advance, max_bytes=int(max_mb * 1_000_000), force=force, partial=partial
            )
        if as_json:
            print(report.to_json())
        else:
            _print_ingest_report(report)
        if report.totals["failed"]:
            raise typer.Exit(2)


def _print_ingest_report(report: Any) -> None:
    table = Table(title="ingest", show_header=True)
    for col in ("file", "status", "format", "lang", "chunks", "linked", "new", "facts", "problems"):
        table.add_column(col)
    for d in report.documents:
        table.add_row(
            Path(d.path).name,
            d.status,
            d.format or "",
            d.language or "",
            str(d.chunks),
            str(d.entities_linked),
            str(d.new_entities),
            str(sum(d.facts.values())),
            "; ".join(d.problems[:3]) + (f" (+{len(d.problems) - 3} more)" if len(d.problems) > 3 else ""),
        )
    out.print(table)
    totals = report.totals
    out.print(
        f"{totals['documents']} document(s): {totals['ingested']} ingested, {totals['unchanged']} unchanged, "
        f"{totals['failed']} failed; {totals['chunks']} chunks, {totals['entities_linked']} entities linked, "
        f"{totals['new_entities']} new candidate entities, {totals['facts']} candidate facts"
    )
    if report.facts_by_kind:
        out.print("facts per kind: " + ", ".join(f"{k} {v}" for k, v in report.facts_by_kind.items()))


documents_app = typer.Typer(
    help="Ingested documents: list, approve, reject and remove.", no_args_is_help=True
)
app.add_typer(documents_app, name="documents")


@documents_app.command("list")
def documents_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List ingested documents with their review state and size."""
    from ingest.pipeline import list_documents

    with _graph() as kg:
        docs = list_documents(kg)
        if as_json:
            print(json.dumps(docs, indent=2, ensure_ascii=False))
            return
        table = Table(show_header=True)
        for col in ("id", "title", "state", "triples"):
            table.add_column(col)
        for d in docs:
            table.add_row(str(d["id"]), str(d["title"] or ""), str(d["state"]), str(d["triples"]))
        out.print(table)


@documents_app.command("approve")
def documents_approve(
    idents: Annotated[list[str], typer.Argument(help="Document ids, graph IRIs or file names.")],
) -> None:
    """Approve ingested documents: their facts and chunks become public (REST, SPARQL, search)."""
    _review(idents, "approved")


@documents_app.command("reject")
def documents_reject(
    idents: Annotated[list[str], typer.Argument(help="Document ids, graph IRIs or file names.")],
) -> None:
    """Reject ingested documents: their facts and chunks stay out of every public view."""
    _review(idents, "rejected")


def _review(idents: list[str], state: str) -> None:
    from ingest.pipeline import review_document

    with _graph() as kg:
        for ident in idents:
            graph, changed = review_document(kg, ident, state)
            out.print(f"{state} {graph}" if changed else f"{graph} was already {state}", soft_wrap=True)


@documents_app.command("remove")
def documents_remove(
    ident: Annotated[str, typer.Argument(help="Document id (see `documents list`), graph IRI or file name.")],
) -> None:
    """Remove an ingested document: its graph, chunks and candidate facts, in one transaction."""
    from ingest.pipeline import remove_document

    with _graph() as kg:
        graph = remove_document(kg, ident)
        out.print(f"removed {graph}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    search: Annotated[bool, typer.Option(help="Load the models and serve search (default on).")] = True,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (more than 1 needs LCGRAPH_STORE=sparql).")
    ] = 1,
) -> None:
    """Serve the REST API, the SPARQL endpoint and the web pages.

    The search indexes are loaded (and brought up to date with the graph) before the server starts.
    """
    import uvicorn

    from api.app import create_app

    settings = Settings()
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = settings.model_copy(update=overrides)
    if workers > 1:
        _serve_workers(settings, workers, search=search)
        return
    from kg.search.service import SearchService
    from lcgraph.search_cli import _progress

    with _graph() as kg:
        service: SearchService | None = None
        try:
            if search:
                err.print("loading the search models and indexes ...")
                with _progress() as progress:
                    service = SearchService.open(kg, settings, progress=progress)
                counts = service.engine.counts()
                err.print(
                    f"search ready: {counts['entities']} entities, {counts['chunks']} chunks "
                    f"({', '.join(f'{k}: {v}' for k, v in service.engine.status.items())})"
                )
            # the app closes both at shutdown: after SIGTERM uvicorn re-raises it, and the finally
            # blocks here do not run (closing twice is harmless)
            application = create_app(settings, kg=kg, search_service=service, close_on_shutdown=True)
            where = f"http://{settings.host}:{settings.port}/"
            out.print(f"lcgraph serving on {where} (data: {settings.home.resolve()})")
            uvicorn.run(application, host=settings.host, port=settings.port, log_level="info")
        finally:
            if service is not None:
                service.close()


def _serve_workers(settings: Settings, workers: int, *, search: bool) -> None:
    """Run ``workers`` uvicorn worker processes over a shared SPARQL store (``create_app`` as factory).

    Each worker opens its own connection pool and search service; the first to start encodes and saves
    the indexes, the others load them (see ``kg.search.index_lock``).
    """
    import os

    import uvicorn

    if settings.store != "sparql":
        err.print(
            "[bold red]error:[/] --workers needs a shared store: set LCGRAPH_STORE=sparql and "
            "LCGRAPH_SPARQL_URL (the embedded store admits one process)",
            highlight=False,
        )
        raise typer.Exit(2)
    if not search:
        os.environ["LCGRAPH_SEARCH_ENABLED"] = "false"  # the workers read their settings from the environment
    out.print(f"lcgraph serving on http://{settings.host}:{settings.port}/ with {workers} workers")
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_level="info",
    )


def main() -> None:
    """Run the command line."""
    from lcgraph import backup_cli, search_cli, users_cli  # noqa: F401  (they register their commands)

    app()


if __name__ == "__main__":
    main()
