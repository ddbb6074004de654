"""Checks shared by every contribution: concept slugs that belong to the scheme a field names."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache

from rdflib import RDF, SKOS, URIRef

from kg.errors import NotFound
from ontology.resources import concepts_graph
from ontology.vocab import LCC


@cache
def scheme_members() -> dict[str, frozenset[str]]:
    """Return, per concept scheme (``phase``, ``sector``, ...), the slugs of its concepts (read once)."""
    graph = concepts_graph()
    ns = str(LCC._NS)
    out: dict[str, set[str]] = {}
    for scheme in graph.subjects(RDF.type, SKOS.ConceptScheme):
        name = str(scheme).removeprefix(ns)
        members = out.setdefault(name, set())
        for c in graph.subjects(SKOS.inScheme, URIRef(str(scheme))):
            members.add(str(c).removeprefix(ns).removeprefix(name + "-"))
    return {k: frozenset(v) for k, v in out.items()}


def unknown_concepts(fields: Iterable[tuple[str, str, Sequence[str | None]]]) -> list[str]:
    """Return one problem per slug that is not a concept of its scheme.

    Args:
        fields: ``(field name, scheme, slugs)`` triples, e.g. ``("phases", "phase", ["start"])``.
    """
    schemes = scheme_members()
    problems = []
    for field_name, scheme, slugs in fields:
        members = schemes.get(scheme, frozenset())
        for slug in slugs:
            if slug is not None and slug not in members:
                problems.append(
                    f"{field_name}: {slug!r} is not a {scheme}; choose from {', '.join(sorted(members))}"
                )
    return problems


_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_ITEM = re.compile(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$")


def checked_slug(slug: str, what: str = "entity") -> str:
    """Return ``slug`` if it can name one of our entities; otherwise raise :class:`NotFound`.

    Every slug that reaches a SPARQL text or an IRI passes here first, so no request can smuggle
    syntax into a query.
    """
    if len(slug) > 120 or not _SLUG.match(slug):
        raise NotFound(f"no {what} {slug!r}")
    return slug


def checked_item(item: str) -> str:
    """Return a queue item id (a graph path such as ``contrib/experience/x``) or raise :class:`NotFound`."""
    item = item.strip().strip("/")
    if len(item) > 300 or not _ITEM.match(item) or ".." in item:
        raise NotFound(f"no submission {item!r}")
    return item
