"""Serialise materialised SPARQL results in the formats of the SPARQL 1.1 specifications.

SELECT/ASK: SPARQL Results JSON, XML, CSV and TSV. CONSTRUCT/DESCRIBE: Turtle, N-Triples, RDF/XML
and JSON-LD. Content negotiation happens at the edge; this module only knows formats.
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from kg.sparql import AskResult, GraphResult, QueryOutcome, SelectResult, too_many_rows

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
}
PREFIXES = {
    "lc": "https://w3id.org/lcgraph/ontology#",
    "lcc": "https://w3id.org/lcgraph/concept/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def _json_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def _xml_term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
    if term.datatype.value != XSD_STRING:
        return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
    return f"<literal>{escape(term.value)}</literal>"


def _csv_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def _tsv_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    return "" if term is None else str(term)


def serialize_select(result: SelectResult | AskResult, fmt: str) -> bytes:
    """Serialise a SELECT or ASK result in one of ``SELECT_FORMATS``."""
    if isinstance(result, AskResult):
        if fmt == "json":
            return json.dumps({"head": {}, "boolean": result.value}).encode()
        if fmt == "xml":
            return (
                '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{'true' if result.value else 'false'}</boolean></sparql>"
            ).encode()
        return (("true" if result.value else "false") + "\n").encode()
    if fmt == "json":
        doc = {
            "head": {"vars": result.variables},
            "results": {"bindings": [{k: _json_term(v) for k, v in row.items()} for row in result.rows]},
        }
        return json.dumps(doc, ensure_ascii=False).encode()
    if fmt == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        parts += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
        parts.append("</head>\n<results>")
        for row in result.rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(k)}>{_xml_term(v)}</binding>" for k, v in row.items()]
            parts.append("</result>")
        parts.append("</results>\n</sparql>\n")
        return "".join(parts).encode()
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([_csv_term(row.get(v)) for v in result.variables])
        return buffer.getvalue().encode()
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        lines += ["\t".join(_tsv_term(row.get(v)) for v in result.variables) for row in result.rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"unknown result format {fmt!r}")


def sort_triples(triples: list[ox.Triple], first: str | None = None) -> list[ox.Triple]:
    """Order triples by subject (``first`` leading), predicate and object, so Turtle groups subjects."""
    lead = f"<{first}>" if first else None
    return sorted(
        triples, key=lambda t: (str(t.subject) != lead, str(t.subject), str(t.predicate), str(t.object))
    )


def serialize_graph(result: GraphResult, fmt: str) -> bytes:
    """Serialise a CONSTRUCT/DESCRIBE result in one of ``GRAPH_FORMATS``."""
    _, rdf_format = GRAPH_FORMATS[fmt]
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.JSON_LD) else None
    out = ox.serialize(sort_triples(result.triples), format=rdf_format, prefixes=prefixes)
    assert isinstance(out, bytes)
    return out


def serialize(result: QueryOutcome, fmt: str) -> bytes:
    """Serialise any query outcome in a format fitting its kind."""
    if isinstance(result, GraphResult):
        return serialize_graph(result, fmt)
    return serialize_select(result, fmt)


NATIVE_SELECT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
# The fewest bytes one more row adds in oxigraph's output: "{}," in JSON, "<result></result>" in XML,
# an empty line in CSV ("\r\n") and TSV ("\n"). A body of at most row_cap times this holds at most
# row_cap rows, so the usual answer needs no count.
_SMALLEST_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}
# Formats oxigraph can read back, to count the rows of a body too large for that shortcut.
_COUNTABLE = {"json", "xml", "tsv"}


class _AnswerTooLarge(Exception):
    """The serialised answer outgrew the byte budget (raised inside oxigraph's writer, caught below)."""


class _CappedBuffer(io.BytesIO):
    """A binary buffer for oxigraph's serialiser that refuses to grow past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    def write(self, data: ReadableBuffer, /) -> int:
        """Append ``data``; raise :class:`_AnswerTooLarge` past the budget (oxigraph then stops)."""
        if self.tell() + memoryview(data).nbytes > self.max_bytes:
            raise _AnswerTooLarge
        return super().write(data)


def serialize_solutions(
    solutions: ox.QuerySolutions, fmt: str, *, row_cap: int, max_bytes: int
) -> bytes | None:
    """Serialise a lazy SELECT result with oxigraph's own writer, keeping the row cap.

    Args:
        solutions: the result of ``Store.query`` (consumed).
        fmt: a key of :data:`SELECT_FORMATS`.
        row_cap: the most rows accepted.
        max_bytes: the largest body written in memory.

    Returns:
        The body; ``None`` when it could not be decided here (the body passed ``max_bytes``, or a large
        CSV body, which oxigraph cannot read back to count): the caller evaluates again and counts row
        by row (:func:`kg.sparql.materialise`).

    Raises:
        TooManyRows: the result holds more than ``row_cap`` rows.
    """
    sink = _CappedBuffer(max_bytes)
    try:
        solutions.serialize(sink, format=NATIVE_SELECT_FORMATS[fmt])
    except _AnswerTooLarge:
        return None
    body = sink.getvalue()
    if len(body) <= row_cap * _SMALLEST_ROW_BYTES[fmt]:
        return body
    if fmt not in _COUNTABLE:
        return None
    parsed = ox.parse_query_results(body, format=NATIVE_SELECT_FORMATS[fmt])
    assert isinstance(parsed, ox.QuerySolutions)
    for rows, _ in enumerate(parsed, start=1):
        if rows > row_cap:
            raise too_many_rows(row_cap)
    return body
