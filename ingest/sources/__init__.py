"""Read a document file of any supported format into a cleaned, segmented :class:`SourceDocument`.

The format is detected from the content first (``%PDF-``, a ZIP holding ``word/document.xml``, an HTML
start) and from the file suffix second. Every problem raises :class:`kg.errors.InvalidInput` naming
the file (and the page or line when known).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from io import BytesIO
from pathlib import Path

from ingest.language import detect_language
from ingest.model import SourceDocument
from kg.errors import InvalidInput

__all__ = ["SUFFIXES", "check_archive", "detect_format", "raw_line", "read_document"]

SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
_HTML_START = re.compile(
    rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html)[\s>]", re.IGNORECASE | re.DOTALL
)


def _size(n: float) -> str:
    """Format a byte count for people: ``512 bytes``, ``2.5 KB``, ``60.2 MB``."""
    if n < 1000:
        return f"{n:g} bytes"
    if n < 1_000_000:
        return f"{n / 1000:.1f} KB"
    return f"{n / 1_000_000:.1f} MB"


def _limit(n: int) -> str:
    """Format a size limit without needless decimals: ``50 MB``, ``100 bytes``."""
    for unit, size in (("MB", 1_000_000), ("KB", 1000)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def detect_format(data: bytes, suffix: str, name: str) -> str:
    """Return the format of a file: ``pdf``, ``docx``, ``html``, ``markdown`` or ``text``.

    Args:
        data: the raw bytes; magic bytes decide first.
        suffix: the file suffix (any case); decides when the content is not recognised.
        name: the file name for errors.

    Raises:
        InvalidInput: a ZIP archive that is not a DOCX, or an unknown suffix.
    """
    suffix = suffix.lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if _is_docx(data):
            return "docx"
        raise InvalidInput(
            "is a ZIP archive but not a DOCX document (no word/document.xml); supported formats: "
            + ", ".join(sorted(set(SUFFIXES.values()))),
            where=name,
        )
    head = data[:2048].removeprefix(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return "html"
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise InvalidInput(
        f"has an unknown format (suffix {suffix or '(none)'!r}); supported: " + ", ".join(sorted(SUFFIXES)),
        where=name,
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """Return the bytes of ``path`` after checking that it exists, is a file, and is not too large."""
    name = path.name or str(path)
    if not path.exists():
        raise InvalidInput("file not found", where=name)
    if not path.is_file():
        raise InvalidInput("is not a regular file (a directory?)", where=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput(f"is {_size(size)}; the limit is {_limit(max_bytes)}", where=name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot be read: {exc.strerror or exc}", where=name) from exc
    if len(data) > max_bytes:  # the file grew after stat()
        raise InvalidInput(f"is {_size(len(data))}; the limit is {_limit(max_bytes)}", where=name)
    if not data:
        raise InvalidInput("is empty (0 bytes)", where=name)
    return data


def _title(doc: SourceDocument) -> str | None:
    """Return a title: a short first block (not a sentence ending in a period), else the first heading."""
    if doc.blocks:
        first = doc.blocks[0].text.strip()
        if first and len(first) <= 120 and not first.endswith("."):
            return first
    heading = next((b.text.strip() for b in doc.blocks if b.kind == "heading" and b.text.strip()), None)
    return heading[:200] if heading else None


MAX_PAGES = 2000
"""PDFs with more pages are refused (the largest corpus report has about 200)."""
MAX_UNZIPPED_BYTES = 200_000_000
"""DOCX archives that unpack to more than this are refused (zip bombs)."""
MAX_ZIP_RATIO = 100
"""DOCX members (over 1 MB unpacked) compressed more than this many times are refused (zip bombs)."""
MAX_ZIP_MEMBERS = 10_000


def check_archive(data: bytes, name: str, *, max_unzipped: int, max_ratio: float) -> None:
    """Refuse a ZIP archive (a DOCX) that would unpack to too much, before anything decompresses it.

    The sizes are the ones the archive declares; ``zipfile`` never inflates a member past its declared
    size (a member that lies fails its CRC check), so the declared sizes bound the work.

    Raises:
        InvalidInput: too many members, too large unpacked in total, or a member compressed
            suspiciously well (a decompression ratio over ``max_ratio``).
    """
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(f"is not a readable DOCX: {exc}", where=name) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise InvalidInput(
            f"is a DOCX archive of {len(members)} files; the limit is {MAX_ZIP_MEMBERS}", where=name
        )
    total = sum(m.file_size for m in members)
    if total > max_unzipped:
        raise InvalidInput(
            f"unpacks to {_size(total)}; the limit is {_limit(max_unzipped)} (a zip bomb?)", where=name
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1_000_000 and ratio > max_ratio:
            raise InvalidInput(
                f"member {member.filename} unpacks {ratio:.0f} times larger than it is packed "
                f"({_size(member.file_size)}); the limit is {max_ratio:g} times (a zip bomb?)",
                where=name,
            )


def read_document(
    path: Path,
    *,
    max_bytes: int = 50_000_000,
    max_pages: int = MAX_PAGES,
    max_unzipped: int = MAX_UNZIPPED_BYTES,
    max_ratio: float = MAX_ZIP_RATIO,
) -> SourceDocument:
    """Read, clean and segment one document file.

    Args:
        path: a PDF, DOCX, HTML, Markdown or plain text file.
        max_bytes: files larger than this are refused.
        max_pages: PDFs with more pages are refused.
        max_unzipped: DOCX files unpacking to more bytes than this are refused.
        max_ratio: DOCX files with a member compressed more than this many times are refused.

    Returns:
        The document: format, SHA-256 of the raw bytes, title, language (``nl``/``en``/``und``), blocks
        and raw lines (line numbers in blocks refer to these; see :func:`raw_line`).

    Raises:
        InvalidInput: the file is missing, empty, too large, of an unknown format, binary under a text
            suffix, not decodable, a corrupt PDF/DOCX, a PDF without a text layer or with too many
            pages, or a DOCX that unpacks to too much (a zip bomb). ``where`` names the
            file, plus the page or line when known.
    """
    path = Path(path)
    data = _read_bytes(path, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    fmt = detect_format(data, path.suffix, path.name)
    if fmt == "pdf":
        from ingest.sources.pdf import read_pdf

        doc = read_pdf(path, data, digest, max_pages=max_pages)
    elif fmt == "docx":
        from ingest.sources.docx import read_docx

        check_archive(data, path.name, max_unzipped=max_unzipped, max_ratio=max_ratio)
        doc = read_docx(path, data, digest)
    elif fmt == "html":
        from ingest.sources.html import read_html

        doc = read_html(path, data, digest)
    else:
        from ingest.sources.text import read_text

        doc = read_text(path, data, digest, markdown=fmt == "markdown")
    doc.language = detect_language("\n".join(b.text for b in doc.blocks))
    if not doc.title:
        doc.title = _title(doc)
    return doc


def raw_line(doc: SourceDocument, line: int, page: int | None = None) -> str:
    """Return the raw line a block or chunk anchor points at.

    Args:
        doc: the document.
        line: the 1-based line number (per page for PDFs).
        page: the 1-based page for paged documents (PDF), else ``None``.

    Returns:
        The raw extracted line.

    Raises:
        InvalidInput: the page or line does not exist.
    """
    lines = doc.raw_lines
    if page is not None:
        from ingest.sources.pdf import PAGE_BREAK

        pages: list[list[str]] = [[]]
        for text in lines:
            if text == PAGE_BREAK:
                pages.append([])
            else:
                pages[-1].append(text)
        if not 1 <= page <= len(pages):
            raise InvalidInput(f"page {page} does not exist ({len(pages)} pages)", where=doc.path.name)
        lines = pages[page - 1]
    if not 1 <= line <= len(lines):
        where = f"{doc.path.name}:page {page}" if page is not None else doc.path.name
        raise InvalidInput(f"line {line} does not exist ({len(lines)} lines)", where=where)
    return lines[line - 1]
