"""Entity linking: find the catalog's instruments, cases, organisations and concepts in text.

The lexicon is built from the graph's approved labels and synonyms in Dutch and English. Matching
is case-insensitive on normalised text (punctuation and spacing variants folded), so spelling
variants such as ShareHouse/Sharehouse or CHANGE GEAR/Change Gear link to one entity. Names in
tables are linked fuzzily (rapidfuzz) when no exact label matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from kg.graph import KnowledgeGraph
from ontology.vocab import LC

# Labels too generic to count as a mention on their own.
GENERIC = {
    "tool",
    "tools",
    "methode",
    "method",
    "werkvorm",
    "work form",
    "framework",
    "raamwerk",
    "hulpbron",
    "resource",
    "deelnemer",
    "deelnemers",
    "participant",
    "learning community",
    "learning communities",
    "case",
    "cases",
    "project",
    "onderwijs",
    "education",
    "overheid",
    "government",
    "bedrijven",
    "business",
    "kennis",
    "knowledge",
    "burgers",
    "citizens",
    "start",
    "design",
    "ontwerpen",
    "uitvoeren",
    "execution",
    "starten",
    "water",
    "energie",
    "energy",
    "zorg",
    "team",
    "hub",
    "lab",
    "netwerk",
    "micro",
    "meso",
    "macro",
    "nano",
    "ict",
    "ai",
    "leren",
    "learning",
    "werken",
    "working",
}
LINKED_SCHEMES = ("sector", "phase", "role", "lc-form", "value-cycle", "challenge", "practice")


def normalise(text: str) -> str:
    """Fold case, accents-insensitive forms of quotes and dashes, punctuation and whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    text = re.sub(r"[!?.,;:()\"“”\[\]]", " ", text)
    text = re.sub(r"[-_/]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class LexiconEntry:
    """One label of one entity."""

    iri: str
    label: str
    kind: str  # instrument, case, community, organisation, concept


@dataclass(frozen=True)
class Mention:
    """An entity found in a text, with the label that matched."""

    iri: str
    kind: str
    label: str
    start: int
    end: int


class Lexicon:
    """Labels of linkable entities with an efficient matcher over normalised text."""

    def __init__(self, entries: list[LexiconEntry]) -> None:
        self.entries = entries
        self._by_norm: dict[str, list[LexiconEntry]] = {}
        for entry in entries:
            norm = normalise(entry.label)
            if len(norm) < 4 or norm in GENERIC:
                continue
            self._by_norm.setdefault(norm, []).append(entry)
        alternatives = sorted(self._by_norm, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<![\w])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w])")
            if alternatives
            else None
        )
        self._instrument_names = {
            normalise(e.label): e for e in entries if e.kind == "instrument" and len(normalise(e.label)) >= 4
        }

    def __len__(self) -> int:
        return len(self._by_norm)

    def find(self, text: str) -> Iterator[Mention]:
        """Yield every entity mention in ``text`` (positions refer to the normalised text)."""
        if self._pattern is None:
            return
        for match in self._pattern.finditer(normalise(text)):
            for entry in self._by_norm[match.group(1)]:
                yield Mention(entry.iri, entry.kind, entry.label, match.start(), match.end())

    def link_instrument(self, name: str, *, threshold: float = 86.0) -> tuple[str, float] | None:
        """Link an instrument name from a table to a known instrument: exact, then fuzzy.

        Returns:
            the instrument IRI and a confidence in 0..1, or ``None`` when nothing is close enough.
        """
        norm = normalise(name)
        if norm in self._instrument_names:
            return self._instrument_names[norm].iri, 0.95
        if not self._instrument_names:
            return None
        choices = list(self._instrument_names)
        best = process.extractOne(norm, choices, scorer=fuzz.token_set_ratio)
        if best is None:
            return None
        label, score, _ = best
        partial = process.extractOne(norm, choices, scorer=fuzz.ratio)
        if score >= threshold and partial is not None and partial[1] >= 60:
            return self._instrument_names[label].iri, round(0.5 + score / 400, 3)
        if partial is not None and partial[1] >= threshold:
            return self._instrument_names[partial[0]].iri, round(0.5 + partial[1] / 400, 3)
        return None


def build_lexicon(kg: KnowledgeGraph) -> Lexicon:
    """Collect the labels and synonyms of instruments, cases, organisations and linked concepts."""
    visible = kg.visible_graphs()
    kinds = {
        "instrument": f"?s a <{LC.Instrument}>",
        "case": f"?s a <{LC.Case}>",
        "organisation": f"?s a <{LC.Organisation}>",
    }
    entries: list[LexiconEntry] = []
    for kind, pattern in kinds.items():
        q = (
            "SELECT ?s ?l WHERE { "
            + pattern
            + " . ?s <http://www.w3.org/2004/02/skos/core#prefLabel>"
            + "|<http://www.w3.org/2004/02/skos/core#altLabel> ?l }"
        )
        result = kg.store.query(q, default_graph=visible, named_graphs=visible)
        assert isinstance(result, ox.QuerySolutions)
        for row in result:
            s, label = row["s"], row["l"]
            if isinstance(s, ox.NamedNode) and isinstance(label, ox.Literal):
                entries.append(LexiconEntry(s.value, label.value, kind))
    schemes = " ".join(f"<https://w3id.org/lcgraph/concept/{s}>" for s in LINKED_SCHEMES)
    q = (
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?s ?l WHERE { "
        f"VALUES ?scheme {{ {schemes} }} ?s skos:inScheme ?scheme ; "
        "skos:prefLabel|skos:altLabel|skos:hiddenLabel ?l }"
    )
    result = kg.store.query(q, default_graph=visible, named_graphs=visible)
    assert isinstance(result, ox.QuerySolutions)
    for row in result:
        s, label = row["s"], row["l"]
        if isinstance(s, ox.NamedNode) and isinstance(label, ox.Literal):
            entries.append(LexiconEntry(s.value, label.value, "concept"))
    return Lexicon(entries)
