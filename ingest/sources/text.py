r"""Plain text and Markdown: decode the bytes (UTF-8 first, then a detected encoding) and segment the lines.

Raw lines are the file's lines exactly (split at ``\n``, a trailing ``\r`` removed), so a block's line
span is the 1-based line number an editor or ``sed -n`` shows for the raw file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ingest.clean import clean_lines
from ingest.model import SourceDocument
from kg.errors import InvalidInput

__all__ = ["decode_text", "read_text", "split_lines"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ALLOWED_CONTROLS = frozenset(b"\t\n\r\x0c")
_SAMPLE = 65_536


def _line_of(data: bytes, offset: int) -> int:
    """Return the 1-based line that holds byte ``offset``."""
    return data.count(b"\n", 0, offset) + 1


def check_not_binary(data: bytes, name: str) -> None:
    """Reject bytes that are not text: NUL bytes, or many control characters.

    Args:
        data: the raw bytes (without a UTF-16/32 byte-order mark; those legitimately contain NULs).
        name: the file name for the error.

    Raises:
        InvalidInput: the content looks binary.
    """
    nul = data.find(b"\x00", 0, _SAMPLE)
    if nul >= 0:
        where = f"{name}:line {_line_of(data, nul)}"
        raise InvalidInput(f"looks binary, not text (a NUL byte at byte offset {nul})", where=where)
    sample = data[:_SAMPLE]
    controls = sum(1 for b in sample if (b < 0x20 and b not in _ALLOWED_CONTROLS) or b == 0x7F)
    if sample and controls / len(sample) > 0.05:
        raise InvalidInput(
            f"looks binary, not text ({controls / len(sample):.0%} control characters)", where=name
        )


def _control_share(text: str) -> float:
    sample = text[:_SAMPLE]
    bad = sum(1 for c in sample if (ord(c) < 0x20 and c not in "\t\n\r\x0c") or 0x7F <= ord(c) < 0xA0)
    return bad / len(sample) if sample else 0.0


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Decode text bytes: a byte-order mark, else UTF-8, else the encoding charset-normalizer finds.

    Args:
        data: the raw bytes.
        name: the file name for errors.

    Returns:
        The text and the name of the encoding used.

    Raises:
        InvalidInput: the bytes look binary, or no encoding decodes them with confidence (the message
            names the first byte that is not UTF-8 and its offset).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"cannot be decoded as {encoding} (it starts with a {encoding} byte-order mark): "
                    f"{exc.reason} at byte offset {exc.start}",
                    where=f"{name}:line {_line_of(data, exc.start)}",
                ) from exc
    check_not_binary(data, name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    found = _detect(data)
    if found is not None:
        return found
    offset = utf8_error.start
    raise InvalidInput(
        f"cannot be decoded as text: not UTF-8 (byte 0x{data[offset]:02x} at byte offset {offset}) "
        "and no other encoding fits with confidence",
        where=f"{name}:line {_line_of(data, offset)}",
    )


def _detect(data: bytes) -> tuple[str, str] | None:
    """Return the text and encoding when Windows-1252 or a detected encoding decodes ``data`` cleanly."""
    try:
        text = data.decode("cp1252")  # the usual encoding of Dutch and English text that is not UTF-8
    except UnicodeDecodeError:
        pass
    else:
        non_ascii = sum(1 for c in text[:_SAMPLE] if ord(c) > 0x7F)
        if _control_share(text) == 0.0 and non_ascii <= 0.1 * len(text[:_SAMPLE]):
            return text, "cp1252"
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None or best.chaos > 0.1 or best.coherence < 0.1:
        return None
    text = str(best)
    return (text, best.encoding) if _control_share(text) < 0.01 else None


def split_lines(text: str) -> list[str]:
    r"""Split ``text`` into lines the way editors number them (``\n``, ``\r\n`` or ``\r``).

    A final line break does not start another line.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def read_text(path: Path, data: bytes, sha256: str, *, markdown: bool) -> SourceDocument:
    """Read a plain text or Markdown file.

    Args:
        path: the file (for the document and errors).
        data: its raw bytes.
        sha256: the hash of ``data``.
        markdown: segment as Markdown (``#`` headings, lists, tables, fenced code).

    Returns:
        The document, with language ``"und"`` (the caller detects it).
    """
    text, _ = decode_text(data, path.name)
    lines = split_lines(text)
    if not any(line.strip() for line in lines):
        raise InvalidInput("has no text (only whitespace)", where=path.name)
    blocks = clean_lines(lines, markdown=markdown)
    return SourceDocument(
        path=path,
        format="markdown" if markdown else "text",
        sha256=sha256,
        title=None,
        language="und",
        blocks=blocks,
        raw_lines=lines,
    )
