"""Entity tags and conditional requests (RFC 9110 §8.8.3, §13.1.1): ``ETag`` out, ``If-Match`` in.

The tags themselves come from the domain (:meth:`kg.contributions.Instruments.etag`); this module only
speaks their HTTP form: a strong tag is the opaque value in double quotes, ``If-Match`` is ``*`` or a
comma-separated list of tags, and ``If-Match`` uses the strong comparison, so weak tags (``W/"..."``)
never match. A missing ``If-Match`` is allowed: the write is then not conditional on what the client saw
(last writer wins), though it is still computed from and written over one consistent state.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header

from kg.errors import InvalidInput

_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            "The ETag of the instrument as you read it (e.g. from GET /instruments/{slug}), or `*`. "
            "When it is no longer current the change is refused with 412 and the current ETag; without "
            "If-Match the change replaces whatever is stored (last writer wins)."
        ),
    ),
]
"""The ``If-Match`` request header, as a route parameter (documented in the OpenAPI description)."""

ETAG_HEADER: dict[str, object] = {
    "ETag": {
        "description": "The instrument's entity tag: send it as If-Match with the next change.",
        "schema": {"type": "string"},
    }
}
"""The ``ETag`` response header, for the ``responses`` of a route."""


def quoted(etag: str) -> str:
    """Return the HTTP form (a strong entity tag in double quotes) of an opaque tag."""
    return f'"{etag}"'


def parse_if_match(header: str | None) -> str | frozenset[str] | None:
    """Parse an ``If-Match`` header into what the domain compares with.

    Returns:
        ``None`` without the header, ``"*"`` for any current tag, otherwise the opaque values of the strong
        tags in the list (weak ones dropped: they never match strongly, so an all-weak list matches nothing).

    Raises:
        InvalidInput: the header is neither ``*`` nor a list of quoted entity tags.
    """
    if header is None:
        return None
    text = header.strip()
    if text == "*":
        return "*"
    tags: set[str] = set()
    position = 0
    while position < len(text):
        match = _TAG.match(text, position)
        if match is None or match.end() == position:
            raise InvalidInput(
                f"If-Match must be * or a list of entity tags in double quotes, such as "
                f'"3f2a..."; got {header!r}',
                where="If-Match",
            )
        if not match.group(1):
            tags.add(match.group(2))
        position = match.end()
    if not tags and not text:
        raise InvalidInput("If-Match is empty; send an entity tag in double quotes, or *", where="If-Match")
    return frozenset(tags)
