"""Generate ``ontology/vocab.py`` (the Python names of the lc: and lcc: terms) from the Turtle files.

Run ``python -m ontology.vocab_gen`` (``make vocab``) after changing ``lc.ttl`` or ``concepts.ttl``.
The output is deterministic, so a test can compare it with the checked-in module.
"""

from __future__ import annotations

import keyword
import sys
from collections.abc import Iterable
from pathlib import Path

from rdflib import OWL, RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DefinedNamespace, DefinedNamespaceMeta

HERE = Path(__file__).resolve().parent
ONTOLOGY_TTL = HERE / "lc.ttl"
CONCEPTS_TTL = HERE / "concepts.ttl"
VOCAB_PY = HERE / "vocab.py"

LC_NS = "https://w3id.org/lcgraph/ontology#"
LCC_NS = "https://w3id.org/lcgraph/concept/"

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
CONCEPT_TYPES = (SKOS.Concept, SKOS.ConceptScheme, SKOS.Collection)

# Names a DefinedNamespace cannot expose as terms (they resolve to something else or are reserved).
TAKEN = {name for name in (*dir(DefinedNamespaceMeta), *dir(DefinedNamespace)) if not name.startswith("__")}

HEADER = '''\
# Generated from lc.ttl and concepts.ttl by ontology/vocab_gen.py; do not edit.
"""Python names of the lcgraph vocabulary: ``LC`` (classes, properties), ``LCC`` (concepts), namespaces."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["LC", "LCC", "LCD", "LCF", "LCG", "LCSH", "SCHEMA", "concept"]
'''

LC_HEAD = '''
class LC(DefinedNamespace):
    """Classes and properties of the lcgraph ontology (lc.ttl); unknown names raise AttributeError."""

    _NS = Namespace("https://w3id.org/lcgraph/ontology#")
    _fail = True
'''

LCC_HEAD = '''

class LCC(DefinedNamespace):
    """SKOS concepts and schemes (concepts.ttl). Names are hyphenated: ``LCC["phase-start"]``."""

    _NS = Namespace("https://w3id.org/lcgraph/concept/")
    _fail = True
    _extras: list[str] = [  # noqa: RUF012'''

FOOTER = '''

LCD = Namespace("https://w3id.org/lcgraph/id/")
LCG = Namespace("https://w3id.org/lcgraph/graph/")
LCF = Namespace("https://w3id.org/lcgraph/fact/")
LCSH = Namespace("https://w3id.org/lcgraph/shapes#")
SCHEMA = Namespace("https://schema.org/")


def concept(scheme: str, slug: str) -> URIRef:
    """Return the IRI of concept ``slug`` in ``scheme``; raise AttributeError if it is not in concepts.ttl."""
    return LCC[f"{scheme}-{slug}"]
'''


def _load(ttl_paths: Iterable[Path]) -> Graph:
    graph = Graph()
    for path in ttl_paths:
        graph.parse(path, format="turtle")
    return graph


def _english_label(graph: Graph, term: URIRef) -> str:
    labels = [
        o
        for p in (RDFS.label, SKOS.prefLabel)
        for o in graph.objects(term, p)
        if isinstance(o, Literal) and o.language == "en"
    ]
    if not labels:
        labels = [o for o in graph.objects(term, RDFS.label) if isinstance(o, Literal)]
    return " ".join(str(min(labels, key=str)).split()) if labels else ""


def _lc_terms(graph: Graph) -> list[tuple[str, str]]:
    names: dict[str, str] = {}
    for term_type in TERM_TYPES:
        for term in graph.subjects(RDF.type, term_type):
            if isinstance(term, URIRef) and str(term).startswith(LC_NS):
                name = str(term)[len(LC_NS) :]
                usable = name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_")
                if not usable or name in TAKEN:
                    raise ValueError(f"lc:{name} cannot be a Python attribute of a DefinedNamespace")
                names[name] = _english_label(graph, term)
    return sorted(names.items())


def _lcc_names(graph: Graph) -> list[str]:
    names = {
        str(node)[len(LCC_NS) :]
        for concept_type in CONCEPT_TYPES
        for node in graph.subjects(RDF.type, concept_type)
        if isinstance(node, URIRef) and str(node).startswith(LCC_NS)
    }
    names.discard("")
    return sorted(names)


def generate(ttl_paths: list[Path]) -> str:
    """Return the source of ``ontology/vocab.py`` for the given Turtle files.

    Args:
        ttl_paths: the ontology (``lc.ttl``) and, normally, the concept schemes (``concepts.ttl``).

    Returns:
        The module text: ``LC`` with one annotated attribute per lc: class or property, ``LCC`` with every
        concept and scheme local name in ``_extras``, the other namespaces and ``concept()``.

    Raises:
        ValueError: an lc: local name cannot be used as a Python attribute.

    """
    graph = _load(ttl_paths)
    lines = [HEADER, LC_HEAD]
    for name, label in _lc_terms(graph):
        lines.append(f"    {name}: URIRef  # {label}" if label else f"    {name}: URIRef")
    lines.append(LCC_HEAD)
    lines += [f'        "{name}",' for name in _lcc_names(graph)]
    lines.append("    ]")
    return "\n".join(lines) + "\n" + FOOTER


def main(argv: list[str] | None = None) -> int:
    """Write ``ontology/vocab.py`` from ``lc.ttl`` and ``concepts.ttl`` (or from the paths given).

    Args:
        argv: optional Turtle paths; defaults to the two files next to this module.

    Returns:
        The process exit code.

    """
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or [ONTOLOGY_TTL, CONCEPTS_TTL]
    VOCAB_PY.write_text(generate(paths), encoding="utf-8")
    print(f"wrote {VOCAB_PY}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
