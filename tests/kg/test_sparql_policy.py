"""The query policy refuses updates, LOAD and SERVICE, over-long and malformed queries with the
reason, and enforces the time limit and the row cap."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.errors import QueryRejected, QueryTimeout, TooManyRows
from kg.sparql import QueryExecutor, SelectResult, check_query
from kg.store import ChangeSet, OxigraphStore


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX ex: <http://example.org/>\ninsert data { ex:a ex:b ex:c }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <http://example.org/g>",
        "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "# a comment first\nCREATE GRAPH <http://example.org/g>",
    ],
)
def test_updates_are_refused(text: str) -> None:
    with pytest.raises(QueryRejected) as info:
        check_query(text, max_chars=10_000)
    assert info.value.reason == "update-refused"
    assert "read-only" in info.value.message


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://x/> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o . SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(text: str) -> None:
    with pytest.raises(QueryRejected) as info:
        check_query(text, max_chars=10_000)
    assert info.value.reason == "service-refused"


@pytest.mark.parametrize(
    "text",
    [
        'SELECT ?s WHERE { ?s ?p "SERVICE and INSERT in a string" }',
        "PREFIX service: <http://example.org/service#>\nSELECT ?s WHERE { ?s service:load ?insert }",
        "SELECT ?s WHERE { ?s <http://example.org/SERVICE> ?o } # SERVICE in a comment",
        "ASK { ?s ?p ?o }",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1",
        "DESCRIBE <http://example.org/x>",
    ],
)
def test_keywords_inside_strings_iris_comments_and_names_are_fine(text: str) -> None:
    plan = check_query(text, max_chars=10_000)
    assert plan.form in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def test_too_long_is_413() -> None:
    with pytest.raises(QueryRejected) as info:
        check_query("SELECT * WHERE { ?s ?p ?o }" + " " * 200, max_chars=100)
    assert info.value.status == 413
    assert "limit is 100" in info.value.message


def test_empty_query_is_refused() -> None:
    with pytest.raises(QueryRejected):
        check_query("   ", max_chars=100)


def _executor(n: int = 50, **kwargs: float) -> tuple[QueryExecutor, list[ox.NamedNode]]:
    store = OxigraphStore(None)
    g = ox.NamedNode("http://example.org/g")
    store.apply(
        ChangeSet(
            add=[
                ox.Quad(
                    ox.NamedNode(f"http://example.org/s{i}"),
                    ox.NamedNode("http://example.org/p"),
                    ox.Literal(str(i)),
                    g,
                )
                for i in range(n)
            ]
        )
    )
    params = {"timeout_s": 5.0, "row_cap": 1000, "max_chars": 10_000, **kwargs}
    return QueryExecutor(
        store,
        timeout_s=params["timeout_s"],
        row_cap=int(params["row_cap"]),
        max_chars=int(params["max_chars"]),
    ), [g]


def test_malformed_query_reports_line_and_column() -> None:
    ex, graphs = _executor()
    with pytest.raises(QueryRejected) as info:
        ex.run("SELECT ?s WHERE {\n  ?s ?p \n}", default_graph=graphs, named_graphs=graphs)
    assert info.value.reason == "query-syntax"
    assert info.value.where is not None and info.value.where.startswith("line ")


def test_row_cap() -> None:
    ex, graphs = _executor(n=50, row_cap=10)
    with pytest.raises(TooManyRows) as info:
        ex.run("SELECT ?s WHERE { ?s ?p ?o }", default_graph=graphs, named_graphs=graphs)
    assert "more than 10 rows" in str(info.value)
    ok = ex.run("SELECT ?s WHERE { ?s ?p ?o } LIMIT 10", default_graph=graphs, named_graphs=graphs)
    assert isinstance(ok, SelectResult) and len(ok.rows) == 10


def test_time_limit_answers_instead_of_hanging() -> None:
    ex, graphs = _executor(n=400, timeout_s=0.5, row_cap=10**9)
    # A streaming cross product: 400^3 rows; the worker stops at the next row once abandoned.
    heavy = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
    with pytest.raises(QueryTimeout) as info:
        ex.run(heavy, default_graph=graphs, named_graphs=graphs)
    assert "0.5 s" in str(info.value)
