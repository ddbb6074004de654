"""DOCX with python-docx: paragraph styles give headings and list items; each table row becomes a block.

Lines are numbered sequentially over the extracted text: one raw line per paragraph (more when it
holds line breaks) and one per table row (cells joined with `` | ``).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ingest.clean import BlockBuilder
from ingest.model import SourceDocument
from kg.errors import InvalidInput

__all__ = ["read_docx"]

_HEADING_STYLE = re.compile(r"^(?:heading|kop)\s*(\d)\b", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "titel"})
_LIST_STYLE = re.compile(r"^(?:list|lijst)", re.IGNORECASE)


def _style_name(paragraph: Any) -> str:
    """Return the paragraph's style name ('' when it has none or the style cannot be resolved)."""
    try:
        style = paragraph.style
    except Exception:
        return ""
    return str(getattr(style, "name", "") or "")


def _is_numbered(paragraph: Any) -> bool:
    """Return whether the paragraph has Word list numbering (``w:numPr``)."""
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.numPr is not None


def _add_paragraph(paragraph: Any, builder: BlockBuilder) -> None:
    text = paragraph.text
    style = _style_name(paragraph)
    if m := _HEADING_STYLE.match(style):
        builder.add("heading", text, level=max(1, min(int(m.group(1)), 6)))
    elif style.casefold() in _TITLE_STYLES:
        builder.add("heading", text, level=1)
    elif _LIST_STYLE.match(style) or _is_numbered(paragraph):
        builder.add("list_item", text)
    else:
        builder.add("paragraph", text)


def _add_table(table: Any, builder: BlockBuilder) -> None:
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is repeated for every grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            builder.add("table_row", " | ".join(cells))


def read_docx(path: Path, data: bytes, sha256: str) -> SourceDocument:
    """Read the body of a DOCX file (headers, footers and comments are left out).

    Args:
        path: the file (for the document and errors).
        data: its raw bytes.
        sha256: the hash of ``data``.

    Returns:
        The document, with language ``"und"`` (the caller detects it).

    Raises:
        InvalidInput: the file is not a readable DOCX or has no text.
    """
    import docx
    from docx.text.paragraph import Paragraph

    name = path.name
    try:
        document = docx.Document(io.BytesIO(data))
        builder = BlockBuilder()
        for item in document.iter_inner_content():
            if isinstance(item, Paragraph):
                _add_paragraph(item, builder)
            else:
                _add_table(item, builder)
        title = (document.core_properties.title or "").strip() or None
    except Exception as exc:
        raise InvalidInput(f"is not a readable DOCX: {exc or type(exc).__name__}", where=name) from exc
    blocks = builder.blocks()
    if not blocks:
        raise InvalidInput("has no text (the DOCX body is empty)", where=name)
    return SourceDocument(
        path=path,
        format="docx",
        sha256=sha256,
        title=title,
        language="und",
        blocks=blocks,
        raw_lines=builder.lines,
    )
