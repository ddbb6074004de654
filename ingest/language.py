"""Guess whether a text is Dutch or English from the frequency of function words (no model needed)."""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Language", "detect_language"]

Language = Literal["nl", "en", "und"]

# Frequent words that occur in one language only. Words both languages use ("in", "is", "we", "of"
# (Dutch "or"), "die", "over") are left out: they would count for both.
_DUTCH = frozenset(
    [
        "de", "het", "een", "van", "en", "niet", "dat", "zijn", "voor", "met", "op", "aan", "te", "er",
        "om", "bij", "naar", "deze", "als", "door", "maar", "dan", "ook", "wordt", "worden", "kan", "kunnen",
        "heeft", "hebben", "nog", "uit", "meer", "tot", "geen", "zich", "wat", "dit", "onze", "hun", "ze",
        "zij", "wij", "waar", "hoe", "wel", "zoals", "binnen", "tussen", "naast", "tijdens", "waarin",
        "waarbij", "daarnaast", "echter", "elkaar", "andere", "veel", "zowel", "mensen", "samen", "zou",
    ]
)  # fmt: skip
_ENGLISH = frozenset(
    [
        "the", "and", "to", "that", "not", "with", "for", "this", "are", "be", "by", "on", "it",
        "which", "from", "as", "or", "have", "has", "their", "they", "can", "an", "at", "been", "were",
        "would", "will", "these", "those", "between", "within", "how", "what", "where", "when", "more",
        "also", "other", "such", "into", "each", "our", "its", "there", "about", "should", "than", "while",
    ]
)  # fmt: skip
_TOKEN = re.compile(r"[^\W\d_]+")


def detect_language(text: str, *, min_hits: int = 3, margin: float = 0.6) -> Language:
    """Guess the language of ``text`` from the share of Dutch and English function words.

    Args:
        text: the text to classify (any length; long texts are sampled at their first 200,000 chars).
        min_hits: function words needed before any guess is made.
        margin: the share of the hits one language needs to win.

    Returns:
        ``"nl"`` or ``"en"``, or ``"und"`` when there is too little evidence or no clear winner.
    """
    dutch = english = 0
    for match in _TOKEN.finditer(text[:200_000]):
        word = match.group().casefold()
        if word in _DUTCH:
            dutch += 1
        elif word in _ENGLISH:
            english += 1
    total = dutch + english
    if total < min_hits:
        return "und"
    if dutch >= margin * total:
        return "nl"
    if english >= margin * total:
        return "en"
    return "und"
