"""The SPARQL query policy and executor behind every public query door.

Policy: read-only (updates and LOAD refused), no ``SERVICE`` (no federated calls from our server),
a maximum query length, a wall-clock limit and a row cap, each answered with a precise error. The
query runs over the public dataset: the union of approved graphs as default graph, and only
approved graphs for ``GRAPH``/``FROM NAMED`` (explicit ``FROM`` clauses cannot widen it).

Results are materialised (up to the cap) inside a worker thread; oxigraph releases the GIL while
it evaluates, so the caller can give up at the deadline. A query that overruns keeps its worker
until oxigraph finishes it (pyoxigraph cannot cancel a query); the bounded worker pool keeps such
queries from piling up. :mod:`kg.sparql_process` evaluates in killable worker processes instead,
so an overrunning query really stops; :func:`materialise` is shared by both.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import QueryRejected, QueryTimeout, TooManyRows

if TYPE_CHECKING:
    # Only for types: the worker processes import this module and must start fast, and importing
    # kg.store pulls in the settings (pydantic), a quarter of a second.
    from kg.store.base import GraphStore

QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")

# A lexer shaped on the SPARQL 1.1 terminals. It errs on the side of splitting: every token it
# reads as code is also code to oxigraph, so a keyword cannot hide from the policy inside what the
# lexer takes for a string, an IRI or a comment. Backslash escapes (``ex:a\'``, ``ex:a\#``) are
# consumed as code, comments end at CR or LF (as oxigraph ends them), and IRIs may hold ``\u``
# escapes. Oxigraph's parser matches keywords by prefix (``SERVICEex:e`` reads as
# ``SERVICE ex:e``), so the checks look inside words, not only at whole words.
_TOKEN = re.compile(
    r"""
      (?P<ws>[ \t\r\n]+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>'''(?:(?:''|')?(?:[^'\\]|\\[\s\S]))*'''
               | \"\"\"(?:(?:""|")?(?:[^"\\]|\\[\s\S]))*\"\"\"
               | '(?:[^'\\\r\n]|\\[\s\S])*'
               | "(?:[^"\\\r\n]|\\[\s\S])*")
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<esc>\\[\s\S])
    | (?P<var>[?$][A-Za-z0-9_]+)
    | (?P<bnode>_:[A-Za-z0-9_]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
    | (?P<pname>(?:[A-Za-z][A-Za-z0-9_-]*)?:(?:[A-Za-z0-9_.:-]|%[0-9A-Fa-f]{2}|\\[\s\S])*)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<punct>[\s\S])
    """,
    re.VERBOSE,
)
_OPEN = {"(": ")", "[": "]", "{": "}"}
_MAX_READINGS = 32


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _readings(text: str) -> list[list[_Token]]:
    """Split a query into tokens, once per way oxigraph could read an ambiguous ``<``.

    Inside parentheses after an operand, ``<a#b'c>`` may be an IRI or a less-than operator followed
    by code (where ``#`` and ``'`` open a comment or a string). Oxigraph decides by grammar; the
    policy does not parse, so it checks both readings and refuses when either is refused.

    Raises:
        QueryRejected: the query has too many such ambiguities to check them all.
    """
    readings: list[list[_Token]] = []
    pending: list[tuple[int, tuple[str, ...], list[_Token], bool]] = [(0, (), [], False)]
    while pending:
        pos, stack, tokens, as_operator = pending.pop()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            assert match is not None and match.lastgroup is not None  # ``punct`` matches any character
            kind, token = match.lastgroup, match.group()
            if kind == "iri" and as_operator:
                kind, token, as_operator = "punct", "<", False
            elif kind == "iri" and stack[-1:] == ("(",) and ("#" in token or "'" in token):
                previous = next((t for t in reversed(tokens) if t.kind not in ("ws", "comment")), None)
                if previous is not None and (previous.kind != "punct" or previous.text in ")]"):
                    if len(readings) + len(pending) >= _MAX_READINGS:
                        raise QueryRejected(
                            "the query has too many '<' that could be IRIs or comparisons to check; "
                            "put spaces around comparison operators",
                            reason="query-too-complex",
                        )
                    pending.append((pos, stack, list(tokens), True))
            if kind == "punct":
                if token in _OPEN:
                    stack = (*stack, token)
                elif stack and token == _OPEN[stack[-1]]:
                    stack = stack[:-1]
            tokens.append(_Token(kind, token))
            pos += len(token)
        readings.append(tokens)
    return readings


def _reaches_service(tokens: list[_Token]) -> bool:
    """Return whether oxigraph could read a ``SERVICE`` clause in these tokens."""
    significant = [t for t in tokens if t.kind not in ("ws", "comment")]
    for index, token in enumerate(significant):
        if token.kind in ("name", "lang") and "SERVICE" in token.text.upper():
            return True
        if token.kind == "pname" and "SERVICE" in token.text.split(":", 1)[0].upper():
            following = significant[index + 1] if index + 1 < len(significant) else None
            # ``service:x { ... }`` is SERVICE <:x> to oxigraph; ``?s service:load ?o`` is a name.
            if following is not None and following.text == "{":
                return True
    return False


@dataclass(frozen=True)
class QueryPlan:
    """A query that passed the policy checks."""

    text: str
    form: str


def check_query(text: str, *, max_chars: int) -> QueryPlan:
    """Check a query against the policy before it runs.

    Accepted queries are remembered (the last 256): the check tokenises the text in Python, about
    0.1 ms for a query with a prologue of prefixes, and the same queries come back (saved examples,
    pages, dashboards).

    Raises:
        QueryRejected: for an empty, over-long, update, LOAD or SERVICE request, with the reason.
    """
    return _checked_query(text, max_chars)


@functools.lru_cache(maxsize=256)
def _checked_query(text: str, max_chars: int) -> QueryPlan:
    """:func:`check_query`, cached (a refusal raises, so only accepted queries are kept)."""
    if not text or not text.strip():
        raise QueryRejected("the query is empty", reason="empty-query")
    if len(text) > max_chars:
        raise QueryRejected(
            f"the query is {len(text)} characters long; the limit is {max_chars}",
            reason="query-too-long",
            status=413,
        )
    readings = _readings(text)
    words = [t.text.upper() for t in readings[0] if t.kind == "name"]
    # The first keyword after the prologue (PREFIX/BASE) decides what the request is.
    significant = [w for w in words if w not in ("PREFIX", "BASE")]
    first = significant[0] if significant else ""
    if first in UPDATE_KEYWORDS or ("LOAD" in words and first not in QUERY_FORMS):
        raise QueryRejected(
            f"SPARQL updates are not accepted here ({first} found); this endpoint is read-only",
            reason="update-refused",
        )
    if any(_reaches_service(tokens) for tokens in readings):
        raise QueryRejected(
            "federated queries (SERVICE) are not allowed on this endpoint",
            reason="service-refused",
        )
    form = next((w for w in significant if w in QUERY_FORMS), None)
    if form is None:
        raise QueryRejected(
            "not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE",
            reason="query-syntax",
        )
    return QueryPlan(text=text, form=form)


@dataclass
class SelectResult:
    """Materialised SELECT results."""

    variables: list[str]
    rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]


@dataclass
class GraphResult:
    """Materialised CONSTRUCT/DESCRIBE results."""

    triples: list[ox.Triple] = field(default_factory=list)


@dataclass
class AskResult:
    """An ASK result."""

    value: bool


QueryOutcome = SelectResult | GraphResult | AskResult


def syntax_error(exc: SyntaxError) -> QueryRejected:
    """Translate oxigraph's parse error into the policy's rejection, with the line and column."""
    message = str(exc)
    match = re.search(r"at (\d+):(\d+)", message)
    where = f"line {match.group(1)}, column {match.group(2)}" if match else None
    return QueryRejected(f"the query is not valid SPARQL: {message}", reason="query-syntax", where=where)


class QueryExecutor:
    """Run policy-checked queries with a time limit and a row cap on a bounded worker pool."""

    def __init__(
        self,
        store: GraphStore,
        *,
        timeout_s: float,
        row_cap: int,
        max_chars: int,
        workers: int = 4,
    ) -> None:
        self.store = store
        self.timeout_s = timeout_s
        self.row_cap = row_cap
        self.max_chars = max_chars
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparql")
        self._slots = threading.BoundedSemaphore(workers)

    def close(self) -> None:
        """Stop accepting queries; running ones finish in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def run(
        self,
        text: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None,
        named_graphs: Sequence[ox.NamedNode] | None,
    ) -> QueryOutcome:
        """Check and evaluate a query over the given dataset.

        ``default_graph=None`` evaluates over the union of the store's named graphs (the public mirror
        of kg.public_mirror, which holds the public dataset and nothing else); ``named_graphs=None`` lets
        ``GRAPH`` reach every named graph of the store.

        Raises:
            QueryRejected: the policy refused it or it is not valid SPARQL.
            QueryTimeout: it ran past the time limit (or no worker freed up in time).
            TooManyRows: it produced more rows than the cap.
        """
        plan = check_query(text, max_chars=self.max_chars)
        deadline = time.monotonic() + self.timeout_s
        if not self._slots.acquire(timeout=self.timeout_s):
            raise QueryTimeout(
                f"the server is busy with other long queries; try again (limit {self.timeout_s:g} s)"
            )
        cancelled = threading.Event()
        try:
            future: Future[QueryOutcome] = self._pool.submit(
                self._evaluate,
                plan,
                None if default_graph is None else list(default_graph),
                None if named_graphs is None else list(named_graphs),
                cancelled,
            )
        except RuntimeError:
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            cancelled.set()
            raise QueryTimeout(
                f"the query ran longer than the limit of {self.timeout_s:g} s and was stopped; "
                "narrow it down (add LIMIT, more specific patterns) or use an export"
            ) from None

    def _evaluate(
        self,
        plan: QueryPlan,
        default_graph: list[ox.NamedNode] | None,
        named_graphs: list[ox.NamedNode] | None,
        cancelled: threading.Event,
    ) -> QueryOutcome:
        try:
            result = self.store.query(
                plan.text,
                default_graph=default_graph,
                named_graphs=named_graphs,
                union_default_graph=default_graph is None,
            )
        except SyntaxError as exc:
            raise syntax_error(exc) from exc
        error: Exception | None = None
        try:
            return self._materialise(result, cancelled)
        except Exception as exc:
            # The traceback's frames hold the result iterator; drop them here, in this thread.
            error = exc.with_traceback(None)
        finally:
            # pyoxigraph result iterators belong to the thread that made them: drop it here, not
            # in whichever thread later releases an exception's traceback.
            del result
        assert error is not None
        raise error

    def _materialise(self, result: object, cancelled: threading.Event) -> QueryOutcome:
        return materialise(result, self.row_cap, cancelled)


def too_many_rows(row_cap: int) -> TooManyRows:
    """Build the error for a SELECT answer of more than ``row_cap`` rows (one wording for every path)."""
    return TooManyRows(
        f"the query returns more than {row_cap} rows; add LIMIT/OFFSET to page "
        "through the results or use `lcgraph export` for bulk data"
    )


def materialise(result: object, row_cap: int, cancelled: threading.Event | None = None) -> QueryOutcome:
    """Read a lazy oxigraph result into memory, up to ``row_cap`` rows or triples.

    Args:
        result: what ``Store.query`` returned.
        row_cap: the most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) accepted.
        cancelled: set when the caller gave up; reading stops at the next row.

    Raises:
        TooManyRows: the result holds more than ``row_cap`` rows or triples.
    """
    if isinstance(result, ox.QueryBoolean):
        return AskResult(bool(result))
    if isinstance(result, ox.QuerySolutions):
        variables = [v.value for v in result.variables]
        rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]] = []
        for solution in result:
            if cancelled is not None and cancelled.is_set():
                break
            if len(rows) >= row_cap:
                raise too_many_rows(row_cap)
            row = {}
            for name in variables:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return SelectResult(variables, rows)
    assert isinstance(result, ox.QueryTriples)
    triples: list[ox.Triple] = []
    for triple in result:
        if cancelled is not None and cancelled.is_set():
            break
        if len(triples) >= row_cap:
            raise TooManyRows(
                f"the query returns more than {row_cap} triples; narrow it down or use "
                "`lcgraph export` for bulk data"
            )
        triples.append(triple)
    return GraphResult(triples)
