"""oxigraph's own SELECT writer (kg.results.serialize_solutions) keeps the row cap and the answers.

What it proves: an answer is the same table as the row-by-row serialiser writes (parsed back, in every
format); the cap holds at exactly ``row_cap`` rows whether the body is small enough to need no count or
large enough to be counted; a body past the byte budget, or a large CSV body, is handed back to the
row-by-row path (``None``); and the worker process, given such an answer, still refuses it with the
cap's error.
"""

from __future__ import annotations

import csv
import io

import pyoxigraph as ox
import pytest

from kg.errors import TooManyRows
from kg.results import SELECT_FORMATS, serialize_select, serialize_solutions
from kg.sparql import materialise
from kg.sparql_worker import _evaluate

G = ox.NamedNode("http://example.org/g")
P = ox.NamedNode("http://example.org/p")
ALL = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"


def _store(rows: int, text: str = "v") -> ox.Store:
    """A store of ``rows`` triples, with every kind of term: IRIs, a blank node, tagged, typed literals."""
    store = ox.Store()
    for i in range(rows):
        if i % 4 == 0:
            obj: ox.Literal = ox.Literal(f"{text}{i}", language="nl")
        elif i % 4 == 1:
            obj = ox.Literal(i)
        elif i % 4 == 2:
            obj = ox.Literal(f'{text} "quoted"\t\ttab\nline, comma é {i}')
        else:
            obj = ox.Literal("2026-11-22", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
        subject: ox.NamedNode | ox.BlankNode = (
            ox.BlankNode(f"b{i}") if i == 3 else ox.NamedNode(f"http://example.org/s{i:05d}")
        )
        store.add(ox.Quad(subject, P, obj, G))
    return store


def _run(store: ox.Store, query: str = ALL) -> ox.QuerySolutions:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions)
    return result


def _table(body: bytes, fmt: str) -> list[tuple[str, ...]]:
    """Parse a body back into rows of term strings (CSV: the plain values it keeps)."""
    if fmt == "csv":
        return [tuple(row) for row in csv.reader(io.StringIO(body.decode(), newline=""))]
    parsed = ox.parse_query_results(
        body,
        format={
            "json": ox.QueryResultsFormat.JSON,
            "xml": ox.QueryResultsFormat.XML,
            "tsv": ox.QueryResultsFormat.TSV,
        }[fmt],
    )
    assert isinstance(parsed, ox.QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [tuple(str(solution[n]) for n in names) for solution in parsed]


@pytest.mark.parametrize("fmt", sorted(SELECT_FORMATS))
def test_native_answers_are_the_same_table(fmt: str) -> None:
    """Same rows, same order, same terms as the row-by-row serialiser, in every format."""
    store = _store(40)
    native = serialize_solutions(_run(store), fmt, row_cap=1000, max_bytes=10**6)
    assert native is not None
    reference = serialize_select(materialise(_run(store), 1000), fmt)  # type: ignore[arg-type]
    table = _table(native, fmt)
    assert len(table) == (41 if fmt == "csv" else 40)  # CSV keeps its header as a row
    assert table == _table(reference, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml", "tsv", "csv"])
def test_the_row_cap_holds_at_exactly_the_cap(fmt: str) -> None:
    """``row_cap`` rows pass, one more is refused (a body this large is counted; CSV goes row by row)."""
    store = _store(30)
    exactly = serialize_solutions(_run(store), fmt, row_cap=30, max_bytes=10**6)
    if fmt == "csv":
        assert exactly is None  # too large to decide without a count, and CSV cannot be read back
        return
    assert exactly is not None and len(_table(exactly, fmt)) == 30
    with pytest.raises(TooManyRows, match="more than 29 rows"):
        serialize_solutions(_run(store), fmt, row_cap=29, max_bytes=10**6)


@pytest.mark.parametrize("fmt", sorted(SELECT_FORMATS))
def test_a_body_far_below_the_cap_needs_no_count(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A body of at most ``row_cap`` times the smallest row cannot hold more rows: it is not read back."""
    store = _store(30)

    def no_parse(*_: object, **__: object) -> None:
        raise AssertionError("counted a body that needed no count")

    monkeypatch.setattr(ox, "parse_query_results", no_parse)
    body = serialize_solutions(_run(store), fmt, row_cap=10_000, max_bytes=10**6)
    assert body is not None and b"s00029" in body  # the last row is there
    with pytest.raises(AssertionError, match="needed no count"):
        serialize_solutions(_run(store), "json", row_cap=30, max_bytes=10**6)


def test_a_body_past_the_byte_budget_goes_back_to_the_row_by_row_path() -> None:
    """Past ``max_bytes`` oxigraph is stopped and the caller is told to count row by row."""
    store = _store(200, "x" * 100)
    assert serialize_solutions(_run(store), "json", row_cap=10**6, max_bytes=4096) is None
    assert serialize_solutions(_run(store), "json", row_cap=10**6, max_bytes=10**6) is not None


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_worker_refuses_too_many_rows_either_way(fmt: str) -> None:
    """The worker answers within the cap and refuses past it, also when it must count row by row (CSV)."""
    store = _store(50, "long " * 40)
    request = ("query", "rocksdb", "unused", ALL, None, None, 50, fmt, "ntriples")
    reply = _evaluate(store, request)
    assert reply[0] == "answer" and reply[2] == fmt
    assert isinstance(reply[3], bytes) and len(_table(reply[3], fmt)) == (51 if fmt == "csv" else 50)
    refused = _evaluate(store, (*request[:6], 49, fmt, "ntriples"))
    assert refused[0] == "too-many-rows" and "more than 49 rows" in str(refused[1])
