"""The remote backend: any SPARQL 1.1 endpoint, over the SPARQL 1.1 Protocol and the Graph Store Protocol.

``SparqlProtocolStore`` lets several lcgraph processes (API workers, the CLI) share one dataset held by
a SPARQL server such as ``oxigraph serve``. Queries and updates use the SPARQL 1.1 Protocol; whole-dataset
dumps and bulk loads use the Graph Store Protocol. Results are parsed into the same pyoxigraph types the
embedded store returns (``QuerySolutions``, ``QueryTriples``, ``QueryBoolean``), so no caller can tell the
backends apart.

What the protocol gives and what we rely on the server for:

- ``apply`` sends one update request (``render_update``, shared with the embedded store). SPARQL 1.1 does
  not require a request to be atomic; oxigraph (and Fuseki) run it as one transaction, and a failing
  request leaves the store unchanged (tested).
- The dataset of a query (``default_graph``, ``named_graphs``) goes in ``default-graph-uri`` and
  ``named-graph-uri``, which override any ``FROM`` in the query text. ``union_default_graph`` has no
  standard parameter: we send oxigraph's ``union-default-graph``.
- ``load_quads`` POSTs N-Quads to the store URL without a ``graph`` parameter (a dataset POST, which
  oxigraph and Fuseki accept and load in one transaction); ``dump`` GETs the store URL.
- Blank nodes cannot be addressed through SPARQL (a blank node in a query is a variable), so ``quads``
  refuses blank-node patterns. Blank nodes in results keep the labels the server gives them.

Failures become :class:`kg.errors.StoreUnavailable` (connection refused, timeouts, server errors),
``SyntaxError`` for a query the server rejects as invalid (as pyoxigraph raises, so the query policy
words it the same way), :class:`kg.errors.QueryTimeout` for a query that outlives the read timeout, and
:class:`kg.errors.InvalidInput` for an update the server refuses. Messages name the endpoint without
credentials.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator, Sequence

import httpx
import pyoxigraph as ox

from kg.errors import InvalidInput, QueryTimeout, StoreUnavailable
from kg.store.base import ChangeSet, QueryResult
from kg.store.oxigraph import render_update

__all__ = ["SparqlProtocolStore", "redact_url"]

_RESULTS_JSON = "application/sparql-results+json"
_N_TRIPLES = "application/n-triples"
_N_QUADS = "application/n-quads"
# Solutions and booleans as SPARQL JSON, graphs as N-Triples: both parse losslessly into pyoxigraph terms.
_QUERY_ACCEPT = f"{_RESULTS_JSON}, {_N_TRIPLES};q=0.9"
_EMPTY_GRAPH = ox.NamedNode("urn:lcgraph:empty")
_MESSAGE_CHARS = 300

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def redact_url(url: str) -> str:
    """Return ``url`` without user info, query or fragment: safe to show in messages and logs."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _pattern(term: Term | ox.DefaultGraph | None, variable: str) -> str:
    """Render a pattern position: the term in SPARQL syntax, or a variable when unbound."""
    if term is None:
        return variable
    if isinstance(term, ox.BlankNode):
        raise InvalidInput(
            "a blank node cannot be matched through the SPARQL protocol (it would be a variable)",
            where="quads",
        )
    return str(term)


def _triples(data: bytes) -> ox.QueryTriples:
    """Turn N-Triples into a genuine ``ox.QueryTriples`` by replaying them through an in-memory store."""
    scratch = ox.Store()
    scratch.extend(
        ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
        for t in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
        if isinstance(t, ox.Triple)
    )
    result = scratch.query("CONSTRUCT WHERE { ?s ?p ?o }")
    assert isinstance(result, ox.QueryTriples)
    return result


class SparqlProtocolStore:
    """A ``GraphStore`` that talks to a SPARQL 1.1 server over HTTP with a pooled client.

    Args:
        query_url: the SPARQL query endpoint (``.../query`` on oxigraph).
        update_url: the SPARQL update endpoint (``.../update``).
        store_url: the Graph Store Protocol endpoint (``.../store``).
        username: user for HTTP basic authentication (with ``password``).
        password: password for HTTP basic authentication.
        token: bearer token, sent as ``Authorization: Bearer``; exclusive with basic authentication.
        timeout_s: connect and read timeout of one request.
        max_connections: size of the connection pool.
    """

    def __init__(
        self,
        query_url: str,
        update_url: str,
        store_url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 30.0,
        max_connections: int = 16,
    ) -> None:
        if token and username:
            raise InvalidInput("give either a bearer token or a user and password, not both", where="sparql")
        self.query_url = query_url
        self.update_url = update_url
        self.store_url = store_url
        self.where = redact_url(query_url)
        self._secrets = [s for s in (password, token) if s]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            auth=httpx.BasicAuth(username, password or "") if username else None,
            headers=headers,
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            follow_redirects=False,
        )

    @classmethod
    def at(cls, base_url: str, **kwargs: object) -> SparqlProtocolStore:
        """Connect to an oxigraph-style server whose endpoints are ``/query``, ``/update`` and ``/store``."""
        base = base_url.rstrip("/")
        return cls(f"{base}/query", f"{base}/update", f"{base}/store", **kwargs)  # type: ignore[arg-type]

    @property
    def is_persistent(self) -> bool:
        """Tell whether the store survives this process (the server keeps it)."""
        return True

    # ------------------------------------------------------------------------------- HTTP

    def _clean(self, text: str) -> str:
        """Shorten a server message and blank out anything that looks like our credentials."""
        text = " ".join(text.split())[:_MESSAGE_CHARS]
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _send(self, method: str, url: str, *, what: str, **kwargs: object) -> httpx.Response:
        """Send one request; turn transport failures into ``StoreUnavailable``/``QueryTimeout``."""
        where = redact_url(url)
        try:
            return self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.ConnectTimeout as exc:
            raise StoreUnavailable(
                f"the SPARQL server did not accept a connection in time ({what})", where=where
            ) from exc
        except httpx.ReadTimeout as exc:
            if what == "query":
                raise QueryTimeout(
                    f"the SPARQL server did not answer the query within {self._client.timeout.read:g} s",
                    where=where,
                ) from exc
            raise StoreUnavailable(f"the SPARQL server did not answer in time ({what})", where=where) from exc
        except httpx.ConnectError as exc:
            raise StoreUnavailable(
                f"cannot connect to the SPARQL server ({what}): "
                f"{self._clean(str(exc)) or 'connection refused'}",
                where=where,
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreUnavailable(
                f"the request to the SPARQL server failed ({what}): "
                f"{type(exc).__name__}: {self._clean(str(exc))}",
                where=where,
            ) from exc

    def _fail(self, response: httpx.Response, what: str) -> StoreUnavailable:
        """Describe an unexpected HTTP status as ``StoreUnavailable``."""
        hint = " (check the credentials)" if response.status_code in (401, 403) else ""
        return StoreUnavailable(
            f"the SPARQL server answered {response.status_code} to a {what}{hint}: "
            f"{self._clean(response.text)}",
            where=redact_url(str(response.request.url)),
        )

    # ------------------------------------------------------------------------------- GraphStore

    def query(
        self,
        sparql: str,
        *,
        default_graph: Sequence[ox.NamedNode] | None = None,
        named_graphs: Sequence[ox.NamedNode] | None = None,
        union_default_graph: bool = False,
    ) -> QueryResult:
        """Evaluate a SPARQL query on the server and parse the results into pyoxigraph objects.

        The request is a form-encoded POST, so a dataset of many graphs does not overflow a URL.
        """
        form: list[tuple[str, str]] = [("query", sparql)]
        if default_graph is not None:
            # As in the embedded store, an empty list means an empty default graph, not "all graphs".
            form += [("default-graph-uri", g.value) for g in (list(default_graph) or [_EMPTY_GRAPH])]
            if named_graphs is None:
                # The protocol's dataset then has no named graphs; pyoxigraph's has all of them.
                named_graphs = self.graphs()
        if named_graphs is not None:
            form += [("named-graph-uri", g.value) for g in (list(named_graphs) or [_EMPTY_GRAPH])]
        if union_default_graph and default_graph is None:
            form.append(("union-default-graph", ""))  # oxigraph-specific; there is no standard one
        response = self._send(
            "POST",
            self.query_url,
            what="query",
            content=urllib.parse.urlencode(form).encode("ascii"),
            headers={"Accept": _QUERY_ACCEPT, "Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code == 400:
            # what pyoxigraph raises for an invalid query, so the query policy reports both alike
            raise SyntaxError(self._clean(response.text))
        if response.status_code != 200:
            raise self._fail(response, "query")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == _RESULTS_JSON:
            return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
        if media == _N_TRIPLES:
            return _triples(response.content)
        raise StoreUnavailable(
            f"the SPARQL server answered a query with {media or 'no content type'}; "
            f"expected {_RESULTS_JSON} or {_N_TRIPLES}",
            where=self.where,
        )

    def update(self, sparql: str) -> None:
        """Send one SPARQL update request (the server runs it as one transaction, or not at all)."""
        response = self._send(
            "POST",
            self.update_url,
            what="update",
            content=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )
        if response.status_code in (200, 204):
            return
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 404):
            raise InvalidInput(
                f"the SPARQL server refused the update: {self._clean(response.text)}",
                where=redact_url(self.update_url),
            )
        raise self._fail(response, "update")

    def apply(self, changes: ChangeSet) -> None:
        """Apply a change set as ONE update request (materialised first: a failing iterator sends nothing)."""
        changes = ChangeSet(list(changes.drop_graphs), list(changes.remove), list(changes.add))
        if changes.is_empty():
            return
        self.update(render_update(changes))

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None = None,
        predicate: ox.NamedNode | None = None,
        obj: ox.NamedNode | ox.BlankNode | ox.Literal | None = None,
        graph: ox.NamedNode | ox.DefaultGraph | None = None,
    ) -> Iterator[ox.Quad]:
        """Iterate over matching quads (one SELECT; blank-node patterns are refused, see the module)."""
        s, p, o = _pattern(subject, "?s"), _pattern(predicate, "?p"), _pattern(obj, "?o")
        triple = f"{s} {p} {o}"
        if isinstance(graph, ox.DefaultGraph):
            where = f"{{ {triple} }}"
        elif graph is not None:
            where = f"{{ GRAPH {graph} {{ {triple} }} }}"
        else:
            where = f"{{ {{ {triple} }} UNION {{ GRAPH ?g {{ {triple} }} }} }}"
        result = self.query(f"SELECT * WHERE {where}")
        assert isinstance(result, ox.QuerySolutions)
        out: list[ox.Quad] = []
        for row in result:
            found_s = subject if subject is not None else row["s"]
            found_p = predicate if predicate is not None else row["p"]
            found_o = obj if obj is not None else row["o"]
            found_g = graph if graph is not None else (row["g"] or ox.DefaultGraph())
            assert isinstance(found_s, ox.NamedNode | ox.BlankNode)
            assert isinstance(found_p, ox.NamedNode)
            assert isinstance(found_o, ox.NamedNode | ox.BlankNode | ox.Literal)
            assert isinstance(found_g, ox.NamedNode | ox.DefaultGraph)
            out.append(ox.Quad(found_s, found_p, found_o, found_g))
        return iter(out)

    def graphs(self) -> list[ox.NamedNode]:
        """List the named graphs the server holds (``GRAPH ?g {}`` matches each once)."""
        result = self.query("SELECT ?g WHERE { GRAPH ?g { } }")
        assert isinstance(result, ox.QuerySolutions)
        return [g for row in result if isinstance(g := row["g"], ox.NamedNode)]

    def count(self, graph: ox.NamedNode | None = None) -> int:
        """Count quads with a SPARQL aggregate on the server."""
        if graph is None:
            q = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
        else:
            q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}"
        result = self.query(q)
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            value = row["n"]
            assert isinstance(value, ox.Literal)
            return int(value.value)
        return 0

    def dump(self, fmt: ox.RdfFormat, graph: ox.NamedNode | None = None) -> bytes:
        """Serialise the dataset or one graph with a Graph Store Protocol GET."""
        if graph is None and not fmt.supports_datasets:
            # the same refusal as pyoxigraph's, so both backends behave alike
            raise ValueError(f"A RDF format supporting datasets was expected, {fmt.name} found")
        params = {"graph": graph.value} if graph is not None else None
        response = self._send(
            "GET", self.store_url, what="dump", params=params, headers={"Accept": fmt.media_type}
        )
        if response.status_code == 404 and graph is not None:
            return b""  # an empty (non-existent) graph serialises to nothing, as in the embedded store
        if response.status_code != 200:
            raise self._fail(response, "dump")
        return response.content

    def load_quads(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads in one Graph Store Protocol POST of N-Quads (one transaction on the server)."""
        batch = list(quads)
        if not batch:
            return 0
        body = ox.serialize(batch, format=ox.RdfFormat.N_QUADS)
        assert isinstance(body, bytes)
        response = self._send(
            "POST", self.store_url, what="load", content=body, headers={"Content-Type": _N_QUADS}
        )
        if response.status_code not in (200, 201, 204):
            if response.status_code == 400:
                raise InvalidInput(
                    f"the SPARQL server refused the data: {self._clean(response.text)}",
                    where=redact_url(self.store_url),
                )
            raise self._fail(response, "load")
        return len(batch)

    def close(self) -> None:
        """Close the connection pool (the data stays on the server)."""
        self._client.close()
