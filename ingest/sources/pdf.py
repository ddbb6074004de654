r"""PDF: the text layer of each page with pypdf; blocks keep their page and per-page line numbers.

``raw_lines`` holds the lines of every page in order, with a line holding only a form feed
(``"\f"``) between pages, the way text extractors traditionally separate pages; block spans count
lines within their page (see :func:`ingest.sources.raw_line`).
"""

from __future__ import annotations

import io
from pathlib import Path

from ingest.clean import build_context, clean_pages
from ingest.model import SourceDocument
from ingest.sources.text import split_lines
from kg.errors import InvalidInput

__all__ = ["PAGE_BREAK", "read_pdf"]

PAGE_BREAK = "\f"


def _metadata_title(reader: object) -> str | None:
    """Return the document title from the PDF metadata, unless it is missing or a file name."""
    try:
        meta = getattr(reader, "metadata", None)
        title = getattr(meta, "title", None) if meta is not None else None
    except Exception:
        return None
    if not isinstance(title, str):
        return None
    title = " ".join(title.split())
    lowered = title.casefold()
    if not title or lowered == "untitled" or lowered.endswith((".doc", ".docx", ".pdf", ".indd", ".pptx")):
        return None
    return title


def read_pdf(path: Path, data: bytes, sha256: str, *, max_pages: int = 2000) -> SourceDocument:
    """Read the text layer of a PDF.

    Args:
        path: the file (for the document and errors).
        data: its raw bytes.
        sha256: the hash of ``data``.
        max_pages: PDFs with more pages are refused before any page is read.

    Returns:
        The document with one block list over all pages (``Block.page`` set), ``pages`` set and
        language ``"und"`` (the caller detects it).

    Raises:
        InvalidInput: the PDF cannot be parsed, is encrypted, has no pages or too many, or has no
            text layer.
    """
    from pypdf import PdfReader

    name = path.name
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InvalidInput("is an encrypted PDF; a password is needed to read it", where=name)
        count = len(reader.pages)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"is not a readable PDF: {exc or type(exc).__name__}", where=name) from exc
    if count == 0:
        raise InvalidInput("is not a readable PDF: it has no pages", where=name)
    if count > max_pages:
        raise InvalidInput(f"has {count} pages; the limit is {max_pages}", where=name)
    pages: list[list[str]] = []
    for number in range(1, count + 1):
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except Exception as exc:
            raise InvalidInput(
                f"is not a readable PDF: page {number} cannot be read: {exc or type(exc).__name__}",
                where=f"{name}:page {number}",
            ) from exc
        pages.append(split_lines(text))
    if not any(line.strip() for page in pages for line in page):
        raise InvalidInput(
            f"has no text layer (scanned?); OCR is not supported ({count} page{'s' if count > 1 else ''})",
            where=name,
        )
    ctx = build_context(line for page in pages for line in page)
    raw_lines: list[str] = []
    for number, page in enumerate(pages, start=1):
        if number > 1:
            raw_lines.append(PAGE_BREAK)
        raw_lines.extend(page)
    return SourceDocument(
        path=path,
        format="pdf",
        sha256=sha256,
        title=_metadata_title(reader),
        language="und",
        blocks=clean_pages(pages, ctx=ctx),
        pages=count,
        raw_lines=raw_lines,
    )
