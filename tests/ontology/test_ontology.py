"""The ontology parses, is complete (bilingual labels and definitions), is consistent under HermiT,
and the generated vocabulary module is in step with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Graph, URIRef
from rdflib.namespace import DCTERMS

from ontology import vocab, vocab_gen
from ontology.resources import CONCEPTS_TTL, ONTOLOGY_TTL, SHAPES_TTL, concepts_graph, ontology_graph

LC_NS = "https://w3id.org/lcgraph/ontology#"
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


def _languages(graph: Graph, subject: URIRef, predicates: tuple[URIRef, ...]) -> set[str]:
    return {o.language for p in predicates for o in graph.objects(subject, p) if getattr(o, "language", None)}


def test_files_parse() -> None:
    for path in (ONTOLOGY_TTL, CONCEPTS_TTL, SHAPES_TTL):
        assert len(Graph().parse(path)) > 50, path


def test_every_class_and_property_has_nl_en_label_and_definition() -> None:
    g = ontology_graph()
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(LC_NS)}
    assert len(terms) > 60
    gaps = []
    for term in sorted(terms):
        if not {"nl", "en"} <= _languages(g, term, (RDFS.label, SKOS.prefLabel)):
            gaps.append(f"{term}: label")
        if not {"nl", "en"} <= _languages(g, term, (SKOS.definition,)):
            gaps.append(f"{term}: definition")
    assert gaps == []


def test_every_concept_and_scheme_has_nl_en_label_and_definition() -> None:
    g = concepts_graph()
    nodes = set(g.subjects(RDF.type, SKOS.Concept)) | set(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(nodes) > 150
    gaps = [
        str(n)
        for n in nodes
        if not {"nl", "en"} <= _languages(g, n, (SKOS.prefLabel,))  # type: ignore[arg-type]
        or not {"nl", "en"} <= _languages(g, n, (SKOS.definition,))  # type: ignore[arg-type]
    ]
    assert gaps == []


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("phase", {"start", "design", "execute", "sustain"}),
        ("value-cycle", {"expected", "immediate", "potential", "applied", "realised", "transformative"}),
        ("capital", {"human", "social", "tangible", "reputational", "learning"}),
        ("practice", {"government", "business", "semi-public", "knowledge", "education", "citizens"}),
        ("outcome-level", {"micro", "meso", "macro"}),
        ("framework-level", {"ecosystem", "fieldlab", "team"}),
    ],
)
def test_concept_schemes_hold_the_concepts_of_the_domain(scheme: str, expected: set[str]) -> None:
    g = concepts_graph()
    base = "https://w3id.org/lcgraph/concept/"
    members = {
        str(c)[len(base) + len(scheme) + 1 :] for c in g.subjects(SKOS.inScheme, URIRef(base + scheme))
    }
    assert expected <= members


def test_twelve_success_factors_in_order() -> None:
    g = concepts_graph()
    scheme = URIRef("https://w3id.org/lcgraph/concept/success-factor")
    notations = sorted(int(str(g.value(c, SKOS.notation))) for c in g.subjects(SKOS.inScheme, scheme))
    assert notations == list(range(1, 13))


def test_role_synonyms_are_findable() -> None:
    g = concepts_graph()
    facilitator = URIRef("https://w3id.org/lcgraph/concept/role-facilitator")
    alt = {str(o).casefold() for o in g.objects(facilitator, SKOS.altLabel)}
    assert "procesbegeleider" in alt
    broader = set(g.objects(facilitator, SKOS.broader))
    assert URIRef("https://w3id.org/lcgraph/concept/role-network-role") in broader


def test_reuses_standard_vocabularies() -> None:
    g = ontology_graph()
    parents = {str(o) for o in g.objects(None, RDFS.subClassOf)} | {
        str(o) for o in g.objects(None, RDFS.subPropertyOf)
    }
    for ns in ("http://www.w3.org/ns/prov#", "http://xmlns.com/foaf/0.1/", "http://www.w3.org/ns/org#"):
        assert any(p.startswith(ns) for p in parents), ns
    assert (URIRef("https://w3id.org/lcgraph/ontology"), RDF.type, OWL.Ontology) in g
    assert g.value(URIRef("https://w3id.org/lcgraph/ontology"), DCTERMS.title) is not None


def test_vocab_module_is_generated_from_the_ontology() -> None:
    generated = vocab_gen.generate([ONTOLOGY_TTL, CONCEPTS_TTL])
    assert generated == Path(vocab.__file__).read_text(encoding="utf-8"), "run `make vocab`"


def test_vocab_rejects_typos() -> None:
    with pytest.raises(AttributeError):
        _ = vocab.LC.Instrumnet
    assert str(vocab.LC.Instrument) == LC_NS + "Instrument"
    assert str(vocab.concept("phase", "start")).endswith("phase-start")


@pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs Java")
def test_hermit_finds_the_ontology_consistent(tmp_path: Path) -> None:
    import owlready2

    merged = ontology_graph() + concepts_graph()
    rdfxml = tmp_path / "lc.owl"
    merged.serialize(rdfxml, format="xml")
    world = owlready2.World()
    onto = world.get_ontology(rdfxml.as_uri()).load()
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
    assert len(list(onto.classes())) > 20
