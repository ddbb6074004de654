"""Convert RDF terms between rdflib (parsing, serialising, SHACL) and pyoxigraph (the store)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.model import Label

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
OxGraphName = ox.NamedNode | ox.BlankNode | ox.DefaultGraph


def to_ox(term: Node) -> OxTerm:
    """Convert an rdflib term to the equivalent pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to a pyoxigraph term")


def to_rdflib(term: OxTerm | ox.DefaultGraph) -> Node:
    """Convert a pyoxigraph term to the equivalent rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def quad(s: Node, p: Node, o: Node, g: URIRef | None) -> ox.Quad:
    """Build a pyoxigraph quad from rdflib terms (``g=None`` is the default graph)."""
    subject = to_ox(s)
    predicate = to_ox(p)
    if isinstance(subject, ox.Literal) or not isinstance(predicate, ox.NamedNode):
        raise TypeError(f"invalid triple subject/predicate: {s!r} {p!r}")
    graph: OxGraphName = ox.DefaultGraph() if g is None else ox.NamedNode(str(g))
    return ox.Quad(subject, predicate, to_ox(o), graph)


def label_of(terms: Iterable[OxTerm]) -> Label:
    """Collect Dutch and English literals into a :class:`Label`; an untagged literal serves both languages."""
    label = Label()
    for term in terms:
        if not isinstance(term, ox.Literal):
            continue
        if term.language == "nl":
            label.nl = label.nl or term.value
        elif term.language == "en":
            label.en = label.en or term.value
        else:
            label.nl = label.nl or term.value
            label.en = label.en or term.value
    return label
