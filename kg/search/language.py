"""Guess whether a query is Dutch or English, so the lexical channel is used only where it helps.

The embedding study found that fusing BM25 into every query hurts English queries over Dutch documents,
while exact Dutch words help Dutch ones. A vote of function words is enough for queries: it was right on
20 of 20 study queries and costs microseconds.
"""

from __future__ import annotations

import re
from typing import Final

from kg.search.lexical import EN_STOPWORDS, NL_STOPWORDS

__all__ = ["detect_language"]

_WORD: Final = re.compile(r"[a-zà-ÿ']+")
_NL_MARKERS: Final = frozenset({"ij", "oe", "aa", "uu", "sch"})
"""Letter pairs far more common in Dutch than in English ("ee" is not: need, meeting, peer, feedback)."""


def detect_language(text: str) -> str | None:
    """Return ``"nl"``, ``"en"`` or ``None`` (no evidence either way) for a short text.

    Counts Dutch and English function words; on a tie, letter patterns typical of Dutch (``ij``, ``oe``,
    ``aa``, ``uu``, ``sch``) decide, and without any of those the answer is ``None``.
    """
    words = _WORD.findall(text.casefold())
    nl = sum(word in NL_STOPWORDS for word in words)
    en = sum(word in EN_STOPWORDS for word in words)
    # words in both lists ("in", "is", "was", "we", "me") count for neither
    shared = sum(word in NL_STOPWORDS and word in EN_STOPWORDS for word in words)
    nl, en = nl - shared, en - shared
    if nl != en:
        return "nl" if nl > en else "en"
    markers = sum(any(m in word for m in _NL_MARKERS) for word in words)
    if markers >= max(1, len(words) // 3):
        return "nl"
    return None
