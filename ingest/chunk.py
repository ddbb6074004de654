"""Cut a cleaned document into section-bounded chunks of bounded size, with page and line anchors.

A chunk holds whole blocks where it can: the blocks of one section are packed greedily up to
``max_chars``; a block longer than that is split at sentence boundaries (a single sentence longer than
``max_chars`` stays whole). Small chunks (under ``min_chars``) are then merged with a neighbour when the
result still fits, but never across a top-level section boundary. Each chunk carries the heading path
of its section and the span of raw lines (and pages) of the blocks it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.model import Block, Chunk, SourceDocument
from kg.errors import InvalidInput

__all__ = ["chunk", "split_sentences"]

_BOUNDARY = re.compile(r"[.!?…][\"”’)\]]*(\s+)(?=[\"“‘(\[]?[A-Z0-9À-ÖØ-Þ])")
_ABBREVIATIONS = frozenset(
    [
        "al", "bijv", "bv", "ca", "d.w.z", "dr", "drs", "e.g", "etc", "excl", "fig", "i.e", "incl", "ing",
        "ir", "jr", "m.a.w", "mr", "nr", "o.a", "p", "pp", "prof", "resp", "st", "vs", "zg", "zgn", "z.g",
    ]
)  # fmt: skip


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences at ``.``, ``!``, ``?`` or ``…`` followed by a capital or digit.

    Periods after common abbreviations ("bijv.", "o.a.", "et al.") and initials ("M.") do not end a
    sentence.

    Args:
        text: one paragraph of cleaned text.

    Returns:
        The sentences, stripped, in order; joined with single spaces they give back ``text`` (modulo
        whitespace).
    """
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] == ".":
            token = re.findall(r"[\w.]+$", text[start : m.start()])
            word = token[0].casefold() if token else ""
            if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue
        sentence = text[start : m.start(1)].strip()
        if sentence:
            out.append(sentence)
        start = m.end(1)
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


@dataclass(frozen=True)
class _Unit:
    """A block, or a sentence-aligned piece of a long block, with the block's anchors."""

    text: str
    line_start: int
    line_end: int
    page: int | None


@dataclass
class _Piece:
    """Units that will become one chunk, with their section path and top-level section id."""

    section: tuple[str, ...]
    top: int | None
    units: list[_Unit] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(u.text) for u in self.units) + max(len(self.units) - 1, 0)


def _units(block: Block, max_chars: int) -> list[_Unit]:
    """Return ``block`` as one unit, or as sentence groups of at most ``max_chars`` when it is longer."""
    if len(block.text) <= max_chars:
        return [_Unit(block.text, block.line_start, block.line_end, block.page)]
    groups: list[str] = []
    for sentence in split_sentences(block.text):
        if groups and len(groups[-1]) + 1 + len(sentence) <= max_chars:
            groups[-1] = f"{groups[-1]} {sentence}"
        else:
            groups.append(sentence)
    return [_Unit(g, block.line_start, block.line_end, block.page) for g in groups]


_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s")


def _number(text: str) -> tuple[str, ...] | None:
    """Return the section number of a heading ("2.3 Opbrengsten" -> ("2", "3")), if it has one."""
    m = _NUMBER.match(text)
    return tuple(m.group(1).split(".")) if m else None


def _is_parent(parent: str, child: str) -> bool:
    """Return whether a numbered heading could contain another (numbers agree on the shared prefix)."""
    p, c = _number(parent), _number(child)
    return p is None or c is None or len(p) >= len(c) or c[: len(p)] == p


def _sections(blocks: list[Block], max_chars: int) -> list[_Piece]:
    """Group the blocks into sections by heading (a heading starts a section and belongs to it).

    A numbered heading closes enclosing numbered headings whose number does not prefix its own
    ("1.1 ..." does not belong under "5. Bijlagen" taken from a table of contents).
    """
    stack: list[tuple[int, str, int]] = []  # (level, heading text, block index)
    sections: list[_Piece] = []
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            level = block.level or 1
            while stack and (stack[-1][0] >= level or not _is_parent(stack[-1][1], block.text)):
                stack.pop()
            stack.append((level, block.text, index))
            sections.append(_Piece(tuple(text for _, text, _ in stack), stack[0][2]))
        elif not sections:
            sections.append(_Piece((), None))
        sections[-1].units.extend(_units(block, max_chars))
    return sections


def _split_unit(unit: _Unit, room: int) -> tuple[_Unit, _Unit] | None:
    """Split ``unit`` at a sentence boundary so that the first part fits in ``room`` characters."""
    head: list[str] = []
    sentences = split_sentences(unit.text)
    for sentence in sentences[:-1]:
        if len(" ".join([*head, sentence])) > room:
            break
        head.append(sentence)
    if not head:
        return None
    tail = sentences[len(head) :]
    return (
        _Unit(" ".join(head), unit.line_start, unit.line_end, unit.page),
        _Unit(" ".join(tail), unit.line_start, unit.line_end, unit.page),
    )


def _pack(section: _Piece, max_chars: int, min_chars: int) -> list[_Piece]:
    """Pack the units of one section greedily into pieces of at most ``max_chars``.

    When a unit does not fit and the open piece is still under ``min_chars`` (typically a heading on
    its own), the unit is split at a sentence boundary to fill the piece.
    """
    pieces: list[_Piece] = []
    units = list(section.units)
    while units:
        unit = units.pop(0)
        last = pieces[-1] if pieces else None
        if last is not None and last.size + 1 + len(unit.text) <= max_chars:
            last.units.append(unit)
            continue
        if last is not None and last.size < min_chars:
            split = _split_unit(unit, max_chars - last.size - 1)
            if split is not None:
                last.units.append(split[0])
                units.insert(0, split[1])
                continue
        pieces.append(_Piece(section.section, section.top, [unit]))
    return pieces


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def _merge_small(pieces: list[_Piece], max_chars: int, min_chars: int) -> list[_Piece]:
    """Merge pieces under ``min_chars`` into a neighbour of the same top-level section when they fit."""
    merged: list[_Piece] = []
    for piece in pieces:
        last = merged[-1] if merged else None
        if (
            last is not None
            and (last.size < min_chars or piece.size < min_chars)
            and last.top == piece.top
            and last.size + 1 + piece.size <= max_chars
        ):
            last.section = _common_prefix(last.section, piece.section)
            last.units.extend(piece.units)
        else:
            merged.append(piece)
    return merged


def chunk(doc: SourceDocument, *, max_chars: int = 1500, min_chars: int = 200) -> list[Chunk]:
    """Cut ``doc`` into chunks by section, with line and page anchors.

    Args:
        doc: a document read by :func:`ingest.sources.read_document`.
        max_chars: the largest chunk; only a single sentence longer than this makes a longer chunk.
        min_chars: chunks smaller than this are merged with a neighbour in the same top-level section
            when the result fits in ``max_chars``.

    Returns:
        The chunks in document order, numbered from 0.

    Raises:
        InvalidInput: when the size limits are inconsistent.
    """
    if max_chars < 1 or min_chars < 0 or min_chars > max_chars:
        raise InvalidInput(
            f"chunk sizes must satisfy 0 <= min_chars <= max_chars and max_chars >= 1; "
            f"got min_chars={min_chars}, max_chars={max_chars}",
            where="chunk",
        )
    pieces = [p for section in _sections(doc.blocks, max_chars) for p in _pack(section, max_chars, min_chars)]
    chunks: list[Chunk] = []
    for piece in _merge_small(pieces, max_chars, min_chars):
        units = piece.units
        pages = [u.page for u in units if u.page is not None]
        chunks.append(
            Chunk(
                index=len(chunks),
                section=piece.section,
                text="\n".join(u.text for u in units),
                line_start=units[0].line_start,
                line_end=max(u.line_end for u in units if u.page == units[-1].page),
                page_start=pages[0] if pages else None,
                page_end=pages[-1] if pages else None,
            )
        )
    return chunks
