"""Rebuild instrument tables that PDF extraction flattened into lines.

Reports list instruments in tables with the header "Naam tool | Doel | Doelgroep | Link" (name,
purpose, target group, link). After text extraction each cell becomes one or more lines separated
by blank lines, and a name and the start of its purpose can share a line. This module walks the
paragraphs after such a header and assigns them to cells by their shape: links hold URLs, target
groups name a group of people "of Learning communities", names are short and come first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

HEADER = re.compile(r"^\s*naam(\s+tool)?\s+doel\s+doelgroep\s+link\s*$", re.IGNORECASE)
URL = re.compile(r"https?://\S+")
TARGET_START = re.compile(
    r"^(begeleiders|deelnemers|ontwerpers|ontwikkelaars|facilitators|facilitatoren|opstarters|docenten|"
    r"onderzoekers|trekkers|coördinatoren|coordinatoren)\b",
    re.IGNORECASE,
)
PURPOSE_START = re.compile(
    r"\b(Een|De|Het|Dit|Deze|Instrument|Hulpmiddel|Raamwerk|Toetsings|Methode|Tool|Participanten|Deelnemers)\b"
)
SECTION = re.compile(r"^\s*\d+(\.\d+)*\s+[A-Z]")


@dataclass
class Paragraph:
    """Consecutive non-blank lines with their 1-based span."""

    lines: list[str]
    start: int
    end: int

    @property
    def text(self) -> str:
        """Return the paragraph as one line (hyphenation at line ends undone)."""
        out = ""
        for line in (x.strip() for x in self.lines):
            if out.endswith("-") and line[:1].islower():
                out = out[:-1] + line
            elif out.endswith(("/", "_")) or (out and line.startswith(("/", "_"))):
                out += line
            else:
                out = f"{out} {line}" if out else line
        return out.strip()

    @property
    def link_text(self) -> str:
        """Return the paragraph as one line for link cells: line breaks inside URLs are closed."""
        out = ""
        for line in (x.strip() for x in self.lines):
            if out and (out.endswith(("-", "/", "_", ".", "%", "=")) or line.startswith(("/", "_"))):
                out += line
            else:
                out = f"{out} {line}" if out else line
        return out.strip()


@dataclass
class TableRow:
    """One instrument of a table, with the line span each cell came from."""

    name: str
    purpose: str = ""
    target_group: str = ""
    links: list[str] = field(default_factory=list)
    link_text: str = ""
    line_start: int = 0
    line_end: int = 0

    @property
    def citation(self) -> str:
        """Return the row's line span as ``L<start>-L<end>``."""
        return f"L{self.line_start}-L{self.line_end}"


def paragraphs(lines: list[str], start: int, stop: int) -> list[Paragraph]:
    """Split ``lines[start:stop]`` (0-based indexes) into paragraphs with 1-based spans."""
    out: list[Paragraph] = []
    current: list[str] = []
    first = 0
    for index in range(start, stop):
        line = lines[index]
        if line.strip():
            if not current:
                first = index + 1
            current.append(line)
        elif current:
            out.append(Paragraph(current, first, first + len(current) - 1))
            current = []
    if current:
        out.append(Paragraph(current, first, first + len(current) - 1))
    return out


def _join_url(text: str) -> list[str]:
    """Find URLs in a link cell whose lines were broken inside the URL."""
    squashed = re.sub(r"(?<=[/_\-.%?=&])\s+(?=\S)", "", text)
    squashed = re.sub(r"(https?://\S+?)\s+(?=[\w%\-/.]*(/|\.pdf|\.pptx|\.nl|\.com))", r"\1", squashed)
    return [u.rstrip(".,;)") for u in URL.findall(squashed)]


def _is_link(p: Paragraph) -> bool:
    text = p.text
    return bool(URL.search(text)) or text.startswith(("(p.", "(Tabel", "(p ", "Appendix"))


def _is_target(p: Paragraph) -> bool:
    text = p.text
    # Target-group cells are short noun phrases ("Begeleiders van Learning communities"), not sentences.
    return bool(TARGET_START.match(text)) and len(text) < 100 and not text.rstrip().endswith(".")


def split_name(text: str, known_name: Callable[[str], bool] | None = None) -> tuple[str, str]:
    """Split a first cell line into (name, start of purpose) when they share a line."""
    words = text.split()
    if known_name is not None:
        for cut in range(len(words) - 1, 0, -1):
            if known_name(" ".join(words[:cut])):
                return " ".join(words[:cut]), " ".join(words[cut:])
    for match in PURPOSE_START.finditer(text):
        if match.start() > 0:
            return text[: match.start()].strip(), text[match.start() :].strip()
    return text, ""


def find_tables(lines: list[str]) -> list[tuple[int, int]]:
    """Return (first, stop) 0-based line ranges of the bodies of instrument tables."""
    ranges: list[tuple[int, int]] = []
    index = 0
    while index < len(lines):
        if HEADER.match(lines[index]):
            start = index + 1
            stop = start
            while stop < len(lines) and not (SECTION.match(lines[stop]) and not HEADER.match(lines[stop])):
                stop += 1
            ranges.append((start, stop))
            index = stop
        else:
            index += 1
    # Continuation pages repeat the header; merge ranges that touch.
    merged: list[tuple[int, int]] = []
    for first, stop in ranges:
        if merged and first - merged[-1][1] <= 1:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((first, stop))
    return merged


def extract_rows(lines: list[str], known_name: Callable[[str], bool] | None = None) -> list[TableRow]:
    """Extract every instrument row of every instrument table in ``lines``."""
    rows: list[TableRow] = []
    for first, stop in find_tables(lines):
        current: TableRow | None = None
        stage = "name"
        for p in paragraphs(lines, first, stop):
            if HEADER.match(p.text):
                continue
            text = re.sub(r"\s*naam tool doel doelgroep link\s*$", "", p.text, flags=re.IGNORECASE)
            if _is_link(p) and current is not None and stage in ("target", "link", "purpose"):
                link_text = re.sub(
                    r"\s*naam tool doel doelgroep link\s*$", "", p.link_text, flags=re.IGNORECASE
                )
                current.links += _join_url(link_text)
                current.link_text = f"{current.link_text} {link_text}".strip()
                current.line_end = p.end
                stage = "link"
            elif _is_target(p) and current is not None and stage in ("purpose", "name"):
                current.target_group = text
                current.line_end = p.end
                stage = "target"
            elif current is not None and stage in ("name", "purpose"):
                # A name on its own paragraph is followed by its purpose; a purpose may span paragraphs.
                current.purpose = f"{current.purpose} {text}".strip()
                current.line_end = p.end
                stage = "purpose"
            elif current is None or stage == "link":
                if current is not None:
                    rows.append(current)
                name, purpose = split_name(text, known_name)
                current = TableRow(name=name, purpose=purpose, line_start=p.start, line_end=p.end)
                stage = "purpose" if purpose else "name"
            else:
                current.link_text = f"{current.link_text} {text}".strip()
                current.line_end = p.end
        if current is not None:
            rows.append(current)
    return [r for r in rows if r.name and (r.purpose or r.target_group or r.links)]
