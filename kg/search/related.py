"""Similar cases and instruments, and crossover instruments, each with an explanation that is true.

Every explanation is built from the same sets the score uses: the shared attributes it names are the
intersection of the two items' facets (or of the query's concepts and the item's facets) as read from the
graph, so what it says can be checked against the graph.

- Similar items: ``(1 - GRAPH_SHARE) * cosine + GRAPH_SHARE * overlap``, where overlap is a weighted share of
  instruments, challenges, phases, practices and outcome types in common; then a greedy pick that lowers
  an item's score for every already picked item (and the source) in the same sector, so the list spans
  sectors on purpose.
- Crossovers: instruments that fit the need (the hybrid search score) and were used in cases in another
  sector than the asker's (or come from one), ranked by fit plus evidence; the reason names the case closest
  to the need, what it shares with the need, and the instrument's target role and phase.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np

from kg.errors import InvalidInput, NotFound
from kg.model import ConceptRef, EntityRef, Label
from kg.search.concepts import ConceptMatch
from kg.search.documents import EntityDoc
from kg.search.engine import Candidate, SearchEngine, normalise_filters
from kg.search.models import (
    Crossover,
    CrossoverEvidence,
    CrossoverResponse,
    Passage,
    SharedAttribute,
    SimilarItem,
    SimilarResponse,
)

__all__ = ["concept_ref", "crossovers", "entity_ref", "passage_model", "similar_items", "similar_to_text"]

GRAPH_SHARE: Final = 0.35
"""Weight of graph overlap against text similarity for similar items."""
LEXICAL_SHARE: Final = 0.3
"""Weight of BM25 between the two descriptions (relative to the best), for names and terms they share."""
SECTOR_PENALTY: Final = 0.03
"""Score lost per already picked item (or the source) in the same sector, at diversity 1."""
OVERLAP_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "case": {
        "instrument": 0.3,
        "challenge": 0.25,
        "practice": 0.15,
        "phase": 0.1,
        "value_type": 0.1,
        "level": 0.1,
    },
    "instrument": {"phase": 0.3, "role": 0.3, "kind": 0.15, "case": 0.25},
    "community": {"practice": 0.35, "form": 0.35, "level": 0.3},
}
"""Per source type, which attributes count for overlap and how much."""
EVIDENCE_WEIGHT: Final = 0.08
PHASE_ROLE_BOOST: Final = 0.04

_WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "instrument": "shares instruments",
        "case": "used in the same cases",
        "challenge": "same challenge",
        "practice": "same practices",
        "phase": "same phase",
        "value_type": "same value types",
        "level": "same outcome level",
        "role": "same target role",
        "kind": "same kind",
        "form": "same form",
        "sector": "same sector",
        "similar": "similar description",
        "passage": "matching passage",
        "used_in": "used in {sector} case {case}",
        "origin": "comes from {sector}",
        "close": "a similar situation",
        "targets": "targets {roles}",
        "in_phase": "in the {phases} phase",
        "new_sectors": "used where the source is not: {sectors}",
        "none": "unknown sector",
    },
    "nl": {
        "instrument": "deelt instrumenten",
        "case": "gebruikt in dezelfde cases",
        "challenge": "zelfde opgave",
        "practice": "zelfde praktijken",
        "phase": "zelfde fase",
        "value_type": "zelfde waardetypen",
        "level": "zelfde niveau van opbrengst",
        "role": "zelfde doelrol",
        "kind": "zelfde soort",
        "form": "zelfde vorm",
        "sector": "zelfde sector",
        "similar": "vergelijkbare beschrijving",
        "passage": "passende passage",
        "used_in": "gebruikt in {sector}-case {case}",
        "origin": "komt uit {sector}",
        "close": "een vergelijkbare situatie",
        "targets": "richt zich op {roles}",
        "in_phase": "in de fase {phases}",
        "new_sectors": "gebruikt waar de bron nog niet is: {sectors}",
        "none": "onbekende sector",
    },
}


def _lang(lang: str) -> str:
    if lang not in _WORDS:
        raise InvalidInput(f"language must be nl or en, not {lang!r}", where="lang")
    return lang


def entity_ref(doc: EntityDoc) -> EntityRef:
    """Return a reference to an indexed entity."""
    return EntityRef(iri=doc.iri, id=doc.id, label=doc.name, type=doc.type.capitalize())


def concept_ref(engine: SearchEngine, concept: str) -> ConceptRef:
    """Return a reference to a concept id with its label."""
    from ontology.vocab import LCC

    label = engine.concept_labels.get(concept) or Label(nl=concept, en=concept)
    return ConceptRef(iri=str(LCC._NS) + concept, id=concept, label=label)


def _label(label: Label, lang: str) -> str:
    return label.best(lang)


def passage_model(score: float, text: str, chunk: object | None) -> Passage:
    """Describe a passage found by :meth:`SearchEngine.best_passage`."""
    from kg.search.documents import ChunkDoc

    if isinstance(chunk, ChunkDoc):
        return Passage(
            text=text,
            score=round(score, 4),
            source="document",
            document=chunk.document,
            title=chunk.title,
            lines=f"{chunk.line_start}-{chunk.line_end}",
            section=chunk.section,
        )
    return Passage(text=text, score=round(score, 4), source="description")


def _attributes(doc: EntityDoc, source_type: str) -> dict[str, frozenset[str]]:
    """Return the attribute sets overlap is measured on, for items of ``source_type``."""
    out = {
        facet: doc.facet(facet)
        for facet in OVERLAP_WEIGHTS[source_type]
        if facet not in ("instrument", "case")
    }
    out["instrument"] = frozenset(link for link in doc.links if link.startswith("instrument/"))
    out["case"] = frozenset(link for link in doc.links if link.startswith("case/"))
    return out


def _overlap(
    source: dict[str, frozenset[str]], other: dict[str, frozenset[str]], weights: dict[str, float]
) -> tuple[float, dict[str, frozenset[str]]]:
    """Weighted Jaccard over the attributes the source has; also the shared values per attribute."""
    total = 0.0
    got = 0.0
    shared: dict[str, frozenset[str]] = {}
    for facet, weight in weights.items():
        mine = source.get(facet, frozenset())
        if not mine:
            continue
        theirs = other.get(facet, frozenset())
        total += weight
        common = mine & theirs
        if common:
            got += weight * len(common) / len(mine | theirs)
            shared[facet] = common
    return (got / total if total else 0.0), shared


def _shared_models(engine: SearchEngine, shared: dict[str, frozenset[str]]) -> list[SharedAttribute]:
    out = []
    for facet in sorted(shared):
        for value in sorted(shared[facet]):
            if facet in ("instrument", "case"):
                doc = engine.entities.get(value)
                if doc is not None:
                    out.append(SharedAttribute(facet=facet, entity=entity_ref(doc)))
            else:
                out.append(SharedAttribute(facet=facet, concept=concept_ref(engine, value)))
    return out


def _describe_shared(engine: SearchEngine, shared: dict[str, frozenset[str]], lang: str) -> list[str]:
    words = _WORDS[lang]
    parts = []
    for facet in (
        "instrument",
        "case",
        "challenge",
        "phase",
        "role",
        "practice",
        "value_type",
        "level",
        "kind",
        "form",
    ):
        values = shared.get(facet)
        if not values:
            continue
        if facet in ("instrument", "case"):
            names = [_label(engine.entities[v].name, lang) for v in sorted(values) if v in engine.entities]
        else:
            names = [_label(concept_ref(engine, v).label, lang) for v in sorted(values)]
        parts.append(f"{words[facet]}: {', '.join(names)}")
    return parts


def _sectors(doc: EntityDoc) -> frozenset[str]:
    return doc.facet("sector")


def _used_sectors(engine: SearchEngine, doc: EntityDoc) -> frozenset[str]:
    """Sectors an item is in, or (an instrument) was used in or comes from."""
    sectors = set(doc.facet("sector"))
    for link in doc.links:
        other = engine.entities.get(link)
        if other is not None and other.type == "case":
            sectors |= other.facet("sector")
    return frozenset(sectors)


def _diverse_pick(
    scored: list[tuple[float, EntityDoc]], k: int, diversity: float, seen_sectors: list[frozenset[str]]
) -> list[tuple[float, EntityDoc]]:
    """Greedily pick ``k`` items, lowering each item's score for every picked one in the same sector."""
    picked: list[tuple[float, EntityDoc]] = []
    remaining = list(scored)
    sectors = list(seen_sectors)
    while remaining and len(picked) < k:

        def adjusted(item: tuple[float, EntityDoc]) -> float:
            mine = _sectors(item[1])
            repeats = sum(1 for s in sectors if mine & s)
            return item[0] - diversity * SECTOR_PENALTY * repeats

        best = max(remaining, key=lambda item: (adjusted(item), item[1].id))
        remaining.remove(best)
        picked.append(best)
        sectors.append(_sectors(best[1]))
    return picked


def similar_scores(
    engine: SearchEngine, entity_id: str, *, vector: np.ndarray | None = None
) -> list[tuple[float, EntityDoc, float, float, dict[str, frozenset[str]]]]:
    """Score every other item of the source's type: (score, item, cosine, overlap, shared), best first."""
    source = engine.entities.get(entity_id)
    if source is None:
        raise NotFound(f"no searchable {entity_id.split('/', 1)[0]} {entity_id.split('/', 1)[-1]!r}")
    vector = engine.entity_vector(entity_id) if vector is None else vector
    weights = OVERLAP_WEIGHTS[source.type]
    mine = _attributes(source, source.type)
    lexical = engine.lexical_similarity(source)
    out = []
    for other_id, cosine in engine.dense_scores(vector).items():
        other = engine.entities.get(other_id)
        if other is None or other.type != source.type or other_id == entity_id:
            continue
        overlap, shared = _overlap(mine, _attributes(other, source.type), weights)
        words = LEXICAL_SHARE * lexical.get(other_id, 0.0)
        score = (1 - GRAPH_SHARE) * cosine + GRAPH_SHARE * overlap + words
        out.append((score, other, cosine, overlap, shared))
    out.sort(key=lambda item: (-item[0], item[1].id))
    return out


def similar_items(
    engine: SearchEngine, entity_id: str, *, k: int = 10, diversity: float = 1.0, lang: str = "en"
) -> SimilarResponse:
    """Return the items of the same type most similar to ``entity_id``, diverse across sectors, explained."""
    lang = _lang(lang)
    _check_k(k)
    if not 0.0 <= diversity <= 1.0:
        raise InvalidInput(f"diversity must be between 0 and 1, not {diversity}", where="diversity")
    source = engine.entities.get(entity_id)
    if source is None:
        raise NotFound(f"no searchable {entity_id.split('/', 1)[0]} {entity_id.split('/', 1)[-1]!r}")
    vector = engine.entity_vector(entity_id)
    mine_sectors = _used_sectors(engine, source)
    scores = similar_scores(engine, entity_id, vector=vector)
    scored = [(score, other) for score, other, *_ in scores]
    details = {other.id: (cosine, overlap, shared) for _, other, cosine, overlap, shared in scores}
    picked = _diverse_pick(scored, k, diversity, [_sectors(source)] if _sectors(source) else [])
    chunk_vector = engine.chunk_query_vector(vector)
    results = []
    for score, other in picked:
        cosine, overlap, shared = details[other.id]
        new = sorted(_used_sectors(engine, other) - mine_sectors) if source.type == "instrument" else []
        results.append(
            _similar_item(engine, other, score, cosine, overlap, shared, chunk_vector, lang, new_sectors=new)
        )
    return SimilarResponse(source=entity_ref(source), results=results)


def similar_to_text(
    engine: SearchEngine,
    text: str,
    *,
    type_: str = "case",
    k: int = 10,
    diversity: float = 1.0,
    sector: str | None = None,
    lang: str = "en",
) -> SimilarResponse:
    """Return the items of ``type_`` most similar to a described situation, diverse across sectors."""
    lang = _lang(lang)
    _check_k(k)
    vector = engine.query_vector(text)
    candidates = engine.score(text, types=[type_], vector=vector)
    own = engine.check_filters(normalise_filters({"sector": [sector]} if sector else None)).get(
        "sector", frozenset()
    )
    scored = [(c.score, c.doc) for c in candidates]
    picked = _diverse_pick(scored, k, diversity, [own] if own else [])
    by_id = {c.doc.id: c for c in candidates}
    chunk_vector = engine.chunk_query_vector(vector)
    results = []
    for score, doc in picked:
        c = by_id[doc.id]
        shared: dict[str, frozenset[str]] = {}
        for match in c.concepts:
            shared.setdefault(match.facet, frozenset())
            shared[match.facet] = shared[match.facet] | {match.concept}
        overlap = len(c.concepts) / max(1, len(engine.matcher.match(text)))
        results.append(_similar_item(engine, doc, score, c.dense, overlap, shared, chunk_vector, lang))
    return SimilarResponse(query=text, results=results)


def _similar_item(
    engine: SearchEngine,
    doc: EntityDoc,
    score: float,
    cosine: float,
    overlap: float,
    shared: dict[str, frozenset[str]],
    chunk_vector: np.ndarray,
    lang: str,
    *,
    new_sectors: Sequence[str] = (),
) -> SimilarItem:
    words = _WORDS[lang]
    parts = _describe_shared(engine, shared, lang)
    parts.append(f"{words['similar']} ({cosine:.2f})")
    if new_sectors:
        names = ", ".join(_label(concept_ref(engine, s).label, lang) for s in new_sectors)
        parts.append(words["new_sectors"].format(sectors=names))
    best = engine.best_passage(doc.id, chunk_vector)
    passage = passage_model(*best) if best is not None else None
    explanation = "; ".join(parts)
    if passage is not None:
        explanation += f'. {words["passage"].capitalize()}: "{passage.text}"'
    return SimilarItem(
        item=entity_ref(doc),
        code=doc.code,
        score=round(score, 4),
        similarity=round(cosine, 4),
        overlap=round(overlap, 4),
        sectors=[concept_ref(engine, s) for s in sorted(_sectors(doc))],
        shared=_shared_models(engine, shared),
        explanation=explanation,
        passage=passage,
        new_sectors=[concept_ref(engine, s) for s in new_sectors],
    )


def crossovers(
    engine: SearchEngine,
    need: str,
    *,
    sector: str | None = None,
    phase: str | None = None,
    role: str | None = None,
    k: int = 10,
    lang: str = "en",
) -> CrossoverResponse:
    """Return instruments proven in other sectors that fit ``need``, ranked by fit and evidence."""
    lang = _lang(lang)
    _check_k(k)
    given = normalise_filters(
        {key: [value] for key, value in (("sector", sector), ("phase", phase), ("role", role)) if value}
    )
    own_sector = given.get("sector", frozenset())
    for facet, values in given.items():
        unknown = [v for v in values if v not in engine.concept_labels] if engine.concept_labels else []
        if unknown:
            raise InvalidInput(f"unknown {facet} {unknown[0]!r}", where=facet)
    vector = engine.query_vector(need)
    candidates = engine.score(need, types=["instrument"], vector=vector)
    mentioned = engine.matcher.match(need)
    results: list[Crossover] = []
    for c in candidates:
        evidence = _evidence(engine, c, vector, own_sector, mentioned)
        origin = c.doc.facet("sector") - own_sector if own_sector else c.doc.facet("sector")
        if not evidence and not origin:
            continue  # not proven anywhere else
        boost = sum(
            PHASE_ROLE_BOOST
            for facet in ("phase", "role")
            if facet in given and c.doc.facet(facet) & given[facet]
        )
        evidence_score = math.log1p(sum(0.5 + 0.5 * max(0.0, e.similarity) for e in evidence)) + (
            0.25 if origin else 0.0
        )
        score = c.score + boost + EVIDENCE_WEIGHT * evidence_score
        results.append(
            Crossover(
                instrument=entity_ref(c.doc),
                code=c.doc.code,
                score=round(score, 4),
                fit=round(c.score, 4),
                evidence_score=round(evidence_score, 4),
                evidence=evidence,
                origin_sectors=[concept_ref(engine, s) for s in sorted(c.doc.facet("sector"))],
                phases=[concept_ref(engine, s) for s in sorted(c.doc.facet("phase"))],
                roles=[concept_ref(engine, s) for s in sorted(c.doc.facet("role"))],
                reason=_reason(engine, c, evidence, origin, given, lang),
            )
        )
    results.sort(key=lambda r: (-r.score, r.instrument.id))
    return CrossoverResponse(need=need, sector=sector, phase=phase, role=role, results=results[:k])


def _evidence(
    engine: SearchEngine,
    c: Candidate,
    vector: np.ndarray,
    own_sector: frozenset[str],
    mentioned: Sequence[ConceptMatch],
) -> list[CrossoverEvidence]:
    """Return the cases in other sectors that used the instrument, closest to the need first."""
    out = []
    for link in sorted(c.doc.links):
        case = engine.entities.get(link)
        if case is None or case.type != "case":
            continue
        if own_sector and case.facet("sector") & own_sector:
            continue
        if not case.facet("sector"):
            continue  # a case without a sector proves nothing about other sectors
        try:
            similarity = float(engine.entity_vector(case.id) @ vector)
        except InvalidInput:
            similarity = 0.0
        shared: dict[str, frozenset[str]] = {}
        for match in mentioned:
            if match.concept in case.facet(match.facet):
                shared[match.facet] = shared.get(match.facet, frozenset()) | {match.concept}
        out.append(
            CrossoverEvidence(
                case=entity_ref(case),
                sectors=[concept_ref(engine, s) for s in sorted(case.facet("sector"))],
                similarity=round(similarity, 4),
                shared=_shared_models(engine, shared),
            )
        )
    out.sort(key=lambda e: -e.similarity)
    return out


def _reason(
    engine: SearchEngine,
    c: Candidate,
    evidence: list[CrossoverEvidence],
    origin: frozenset[str],
    given: dict[str, frozenset[str]],
    lang: str,
) -> str:
    words = _WORDS[lang]
    parts = []
    if evidence:
        best = evidence[0]
        sector = ", ".join(_label(s.label, lang) for s in best.sectors) or words["none"]
        parts.append(words["used_in"].format(sector=sector, case=_label(best.case.label, lang)))
        in_common = [a.concept for a in best.shared if a.concept is not None]
        if in_common:
            parts[-1] += f" ({', '.join(_label(concept.label, lang) for concept in in_common)})"
        else:
            parts[-1] += f" ({words['close']}, {best.similarity:.2f})"
        others = len(evidence) - 1
        if others > 0:
            parts[-1] += f" +{others}"
    if origin:
        parts.append(
            words["origin"].format(
                sector=", ".join(_label(concept_ref(engine, s).label, lang) for s in sorted(origin))
            )
        )
    roles = sorted(c.doc.facet("role") & given["role"]) if "role" in given else sorted(c.doc.facet("role"))
    phases = (
        sorted(c.doc.facet("phase") & given["phase"]) if "phase" in given else sorted(c.doc.facet("phase"))
    )
    target = []
    if roles:
        target.append(
            words["targets"].format(
                roles=", ".join(_label(concept_ref(engine, r).label, lang) for r in roles)
            )
        )
    if phases:
        target.append(
            words["in_phase"].format(
                phases=", ".join(_label(concept_ref(engine, p).label, lang) for p in phases)
            )
        )
    if target:
        parts.append(" ".join(target))
    if c.name:
        parts.insert(0, "name match" if lang == "en" else "naam komt overeen")
    return "; ".join(parts)


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 100:
        raise InvalidInput(f"k must be an integer from 1 to 100, not {k!r}", where="k")
