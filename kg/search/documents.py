"""What the search indexes hold, read in bulk from the approved graphs only.

One :class:`EntityDoc` per instrument, case and community; one :class:`ChunkDoc` per document chunk.

An entity document carries its text per language (the catalog describes everything in Dutch and in
English; a submitted entry may have one language only), its names for exact-name matching, the concept ids
of its facets (sector, phase, role, ...) for filters, re-ranking and explanations, and its links to other
entities (cases that used an instrument, instruments a case used) as evidence.

Every document has a ``digest`` of exactly what gets encoded, so the index can tell which vectors are
still current after a graph write and re-encode only the changed ones.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import pyoxigraph as ox
from rdflib import RDF, SKOS
from rdflib.namespace import DCTERMS

from kg.model import Label
from kg.terms import label_of
from ontology.vocab import LC, LCC, LCD

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal

__all__ = [
    "ENTITY_TYPES",
    "FACETS",
    "ChunkDoc",
    "EntityDoc",
    "collect_chunks",
    "collect_entities",
    "concept_id",
    "split_sentences",
]

ENTITY_TYPES: Final = ("instrument", "case", "community")
"""The entity types the entity index holds, as they appear in entity ids (``instrument/<slug>``)."""

FACETS: Final = ("sector", "phase", "role", "value_type", "level", "challenge", "practice", "kind", "form")
"""Facet names; every value is a concept id such as ``sector-logistics`` (see ``ontology/concepts.ttl``)."""

_FACET_PREDICATES: Final[dict[str, tuple[str, ...]]] = {
    "sector": (str(LC.inSector), str(LC.originSector)),
    "phase": (str(LC.servesPhase), str(LC.inPhase)),
    "role": (str(LC.targetRole),),
    "challenge": (str(LC.addressesChallenge),),
    "practice": (str(LC.hasPractice),),
    "kind": (str(LC.instrumentKind),),
    "form": (str(LC.hasForm),),
    "level": (str(LC.scaleLevel),),
}
"""Facet values read directly from an entity; value types and outcome levels come from its outcomes."""

_TARGET_GROUP: Final = {"nl": "Doelgroep", "en": "Target group"}


def concept_id(iri: str) -> str:
    """Return the local id of a concept IRI (``.../concept/sector-logistics`` -> ``sector-logistics``)."""
    prefix = str(LCC._NS)
    return iri[len(prefix) :] if iri.startswith(prefix) else iri.rsplit("/", 1)[-1]


def split_sentences(text: str) -> tuple[str, ...]:
    """Split prose into sentences (for the "matching passage" of an explanation)."""
    parts = re.split(r"(?<=[.!?;])\s+(?=[A-Z0-9'\"(])", text.strip())
    return tuple(p.strip() for p in parts if len(p.strip()) > 20)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class EntityDoc:
    """One searchable instrument, case or community.

    Attributes:
        id: path below the id namespace, e.g. ``instrument/seeds-of-innovation``.
        iri: the entity's IRI.
        type: ``instrument``, ``case`` or ``community``.
        name: Dutch and English name.
        code: catalog code (``A01``, ``C12``) if any.
        names: every name and alternative name, for exact-name matching.
        texts: per language (``nl``, ``en``), the text that is embedded and indexed lexically.
        facets: per facet name (:data:`FACETS`), the concept ids that apply.
        links: ids of linked entities: for an instrument the cases that used it, for a case the
            instruments it used and its community, for a community its cases.
        sentences: per language, the description's sentences (candidates for a "matching passage").
    """

    id: str
    iri: str
    type: str
    name: Label
    code: str | None = None
    names: tuple[str, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    facets: Mapping[str, frozenset[str]] = field(default_factory=dict)
    links: frozenset[str] = frozenset()
    sentences: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def digest(self, lang: str) -> str:
        """Return a short hash of the text encoded for ``lang`` (changes exactly when the vector would)."""
        return _digest(self.id, lang, self.texts.get(lang, ""))

    def facet(self, name: str) -> frozenset[str]:
        """Return the concept ids of facet ``name`` (empty if none)."""
        return self.facets.get(name, frozenset())

    @functools.cached_property
    def facet_pairs(self) -> tuple[tuple[str, str], ...]:
        """Return every ``(facet, concept id)`` of the entity, computed once (facet counting reads it)."""
        return tuple((facet, value) for facet, values in self.facets.items() for value in sorted(values))


@dataclass(frozen=True)
class ChunkDoc:
    """One passage of an ingested document.

    Attributes:
        id: the chunk's IRI.
        document: the document's IRI.
        title: the document's title or file name.
        text: the passage.
        lang: its language (``nl``, ``en`` or ``None``).
        line_start: first line in the source file.
        line_end: last line in the source file.
        section: the section path, if known.
        mentions: ids of the entities the passage mentions (from ingestion's entity linking).
    """

    id: str
    document: str
    title: str
    text: str
    lang: str | None
    line_start: int
    line_end: int
    section: str | None = None
    mentions: frozenset[str] = frozenset()

    def digest(self) -> str:
        """Return a short hash of the encoded text."""
        return _digest(self.id, self.text)


# ------------------------------------------------------------------------------------- reading


def _local_id(iri: str) -> str:
    base = str(LCD)
    return iri[len(base) :] if iri.startswith(base) else iri


def _texts(parts: list[tuple[str, Label]], target_group: str | None) -> dict[str, str]:
    """Join the labelled parts (name, purpose, description) into one text per language present."""
    texts: dict[str, str] = {}
    for lang in ("nl", "en"):
        pieces = [getattr(label, lang) for _, label in parts if getattr(label, lang)]
        if len(pieces) <= 1:  # the name alone is not a description in this language
            continue
        text = " ".join(p.rstrip(".") + "." for p in pieces)
        if target_group:
            text += f" {_TARGET_GROUP[lang]}: {target_group.rstrip('.')}."
        texts[lang] = text
    if not texts:  # nothing but a name: index the name in whichever language it has
        for lang in ("nl", "en"):
            value = getattr(parts[0][1], lang) if parts else None
            if value:
                texts[lang] = value
    return texts


def _outcome_facets(kg: KnowledgeGraph) -> dict[str, dict[str, set[str]]]:
    """Return, per case IRI, the value cycles and outcome levels of its reported outcomes."""
    q = f"""SELECT ?case ?value ?level WHERE {{
      ?case <{LC.reportsOutcome}> ?o .
      OPTIONAL {{ ?o <{LC.valueCycle}> ?value }} OPTIONAL {{ ?o <{LC.outcomeLevel}> ?level }} }}"""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"value_type": set(), "level": set()})
    for row in kg.select_public(q):
        facets = out[row["case"].value]
        if "value" in row:
            facets["value_type"].add(concept_id(row["value"].value))
        if "level" in row:
            facets["level"].add(concept_id(row["level"].value))
    return out


def collect_entities(kg: KnowledgeGraph) -> list[EntityDoc]:
    """Read every visible instrument, case and community as an :class:`EntityDoc`, sorted by id."""
    typed: dict[str, tuple[str, dict[str, list[OxTerm]]]] = {}
    for cls, kind in (
        (LC.Instrument, "instrument"),
        (LC.Case, "case"),
        (LC.LearningCommunity, "community"),
        (LC.Collective, "community"),
    ):
        for iri, values in kg.values_of_type(cls).items():
            typed.setdefault(iri, (kind, values))
    uses = kg.select_public(f"SELECT DISTINCT ?c ?i WHERE {{ ?c <{LC.usesInstrument}> ?i }}")
    links: dict[str, set[str]] = defaultdict(set)
    for row in uses:
        case, instrument = row["c"].value, row["i"].value
        if case in typed and instrument in typed:
            links[case].add(_local_id(instrument))
            links[instrument].add(_local_id(case))
    outcomes = _outcome_facets(kg)
    docs = []
    for iri, (kind, values) in typed.items():
        for community in values.get(str(LC.community), []):
            if community.value in typed:
                links[iri].add(_local_id(community.value))
                links[community.value].add(_local_id(iri))
        docs.append(_entity(iri, kind, values, links.get(iri, set()), outcomes.get(iri)))
    return sorted(docs, key=lambda d: d.id)


def _entity(
    iri: str,
    kind: str,
    values: Mapping[str, list[OxTerm]],
    links: set[str],
    outcome_facets: Mapping[str, set[str]] | None,
) -> EntityDoc:
    name = label_of(values.get(str(SKOS.prefLabel), []))
    purpose = label_of(values.get(str(LC.purpose), []))
    description = label_of(values.get(str(DCTERMS.description), []))
    alt_names = sorted({t.value for t in values.get(str(SKOS.altLabel), []) if isinstance(t, ox.Literal)})
    target = values.get(str(LC.targetGroupText), [])
    target_group = target[0].value if target else None
    facets: dict[str, set[str]] = defaultdict(set)
    for facet, predicates in _FACET_PREDICATES.items():
        for predicate in predicates:
            facets[facet].update(concept_id(t.value) for t in values.get(predicate, []))
    for facet, ids in (outcome_facets or {}).items():
        facets[facet].update(ids)
    code = values.get(str(LC.catalogCode), [])
    parts = [("name", name), ("purpose", purpose), ("description", description)]
    return EntityDoc(
        id=_local_id(iri),
        iri=iri,
        type=kind,
        name=name,
        code=code[0].value if code else None,
        names=tuple(dict.fromkeys([n for n in (name.nl, name.en) if n] + alt_names)),
        texts=_texts(parts, target_group if kind == "instrument" else None),
        facets={k: frozenset(v) for k, v in facets.items() if v},
        links=frozenset(links),
        sentences={
            lang: split_sentences(getattr(description, lang) or "")
            for lang in ("nl", "en")
            if getattr(description, lang)
        },
    )


def collect_chunks(kg: KnowledgeGraph) -> list[ChunkDoc]:
    """Read every visible document chunk as a :class:`ChunkDoc`, sorted by document and position."""
    q = f"""SELECT ?c ?doc ?text ?start ?end ?index ?section ?title ?file WHERE {{
      ?c <{RDF.type}> <{LC.Chunk}> ; <{LC.chunkOf}> ?doc ; <{LC.text}> ?text ;
         <{LC.lineStart}> ?start ; <{LC.lineEnd}> ?end ; <{LC.chunkIndex}> ?index .
      OPTIONAL {{ ?c <{LC.sectionTitle}> ?section }}
      OPTIONAL {{ ?doc <{DCTERMS.title}> ?title }} OPTIONAL {{ ?doc <{LC.fileName}> ?file }} }}"""
    mentions: dict[str, set[str]] = defaultdict(set)
    for row in kg.select_public(
        f"SELECT ?c ?e WHERE {{ ?c a <{LC.Chunk}> ; <{LC.mentions}> ?e . FILTER(isIRI(?e)) }}"
    ):
        mentions[row["c"].value].add(_local_id(row["e"].value))
    chunks: dict[str, tuple[int, ChunkDoc]] = {}
    for row in kg.select_public(q):
        iri = row["c"].value
        if iri in chunks:
            continue
        text = row["text"]
        lang = text.language if isinstance(text, ox.Literal) else None
        title = row.get("title") or row.get("file")
        chunks[iri] = (
            int(row["index"].value),
            ChunkDoc(
                id=iri,
                document=row["doc"].value,
                title=title.value if title is not None else row["doc"].value,
                text=text.value,
                lang=lang,
                line_start=int(row["start"].value),
                line_end=int(row["end"].value),
                section=row["section"].value if "section" in row else None,
                mentions=frozenset(mentions.get(iri, set())),
            ),
        )
    return [doc for _, doc in sorted(chunks.values(), key=lambda item: (item[1].document, item[0]))]
