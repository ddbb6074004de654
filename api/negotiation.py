"""Content negotiation: pick the best media type the client accepts among those we can produce."""

from __future__ import annotations


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Parse an Accept header into (media range, q) pairs, best first (stable for equal q)."""
    if not header:
        return [("*/*", 1.0)]
    ranges: list[tuple[str, float, int]] = []
    for index, part in enumerate(header.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media:
            continue
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        ranges.append((media, q, index))
    ranges.sort(key=lambda r: (-r[1], r[2]))
    return [(m, q) for m, q, _ in ranges]


def choose(header: str | None, offers: list[str]) -> str | None:
    """Return the first offer matched by the best-ranked acceptable range, or ``None``."""
    for media, q in parse_accept(header):
        if q <= 0:
            continue
        if media == "*/*":
            return offers[0]
        if media.endswith("/*"):
            major = media[:-1]
            for offer in offers:
                if offer.startswith(major):
                    return offer
            continue
        if media in offers:
            return media
    return None
