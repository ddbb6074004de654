"""Types shared by the ingest stages: blocks of cleaned text, source documents and chunks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table_row", "list_item"]


@dataclass(frozen=True)
class Block:
    """A unit of cleaned text with the span of raw lines (and the page) it came from.

    Attributes:
        kind: heading, paragraph, table row or list item.
        text: cleaned text (broken lines joined, hyphenation undone, ligatures repaired).
        line_start: first 1-based line of the span in the document's extracted raw lines.
        line_end: last 1-based line of the span.
        page: 1-based page for paged formats (PDF), else ``None``.
        level: heading level (1 is the top) for headings, else ``None``.
    """

    kind: BlockKind
    text: str
    line_start: int
    line_end: int
    page: int | None = None
    level: int | None = None

    @property
    def citation(self) -> str:
        """Return the span as a citation: ``p. 3, L12-L14`` or ``L12-L14``."""
        lines = (
            f"L{self.line_start}"
            if self.line_start == self.line_end
            else f"L{self.line_start}-L{self.line_end}"
        )
        return f"p. {self.page}, {lines}" if self.page is not None else lines


@dataclass
class SourceDocument:
    """A document read, cleaned and segmented into blocks."""

    path: Path
    format: str
    sha256: str
    title: str | None
    language: str
    blocks: list[Block]
    pages: int | None = None
    raw_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """A section-bounded piece of a document, the unit the chunk index embeds."""

    index: int
    section: tuple[str, ...]
    text: str
    line_start: int
    line_end: int
    page_start: int | None = None
    page_end: int | None = None
