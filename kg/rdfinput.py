"""Parse RDF handed to us (imports of exports) into quads, with one clear error for any bad input."""

from __future__ import annotations

import pyoxigraph as ox

from kg.errors import InvalidInput


def parse_quads(data: bytes, fmt: ox.RdfFormat, *, where: str) -> list[ox.Quad]:
    """Parse a whole RDF document into quads before anything is written.

    Args:
        data: the raw bytes.
        fmt: the RDF format (N-Quads, TriG, JSON-LD, ...).
        where: the file name, for the error.

    Raises:
        InvalidInput: the bytes are not valid in ``fmt`` (syntax, encoding, IRIs, literals), with
            the parser's message and position.
    """
    try:
        return [q for q in ox.parse(data, format=fmt) if isinstance(q, ox.Quad)]
    except (SyntaxError, ValueError, UnicodeError, OSError) as exc:
        raise InvalidInput(f"not valid {fmt.name}: {exc}", where=where) from None
