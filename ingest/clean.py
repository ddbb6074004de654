"""Turn extracted raw text lines into cleaned, typed blocks with exact line spans.

Text extracted from PDFs breaks paragraphs into lines, hyphenates words at line ends, flattens tables
into lines and sometimes loses ligature glyphs ("eldlab" for "fieldlab", "scientif ic" for
"scientific"). This module repairs those artefacts conservatively and segments the lines into
:class:`~ingest.model.Block` objects (headings, paragraphs, list items, table rows) whose
``line_start``/``line_end`` point at the 1-based raw lines they came from.

Everything here is a pure function of its input. The entry points are :func:`clean_lines` (one run
of lines, e.g. a text file), :func:`clean_pages` (a paged document) and, for readers that know the
structure themselves (DOCX, HTML), :func:`build_context` with :func:`clean_text`.

Repairs that need knowledge of the whole document (is a hyphenated form used elsewhere? does the
document show the lost-"fi" symptom?) read a :class:`RepairContext` built once per document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ingest.model import Block, BlockKind

__all__ = [
    "RepairContext",
    "build_context",
    "clean_lines",
    "clean_pages",
    "clean_text",
    "join_lines",
]

# --- character-level normalisation -------------------------------------------------------------

_CHAR_MAP = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u200b": "",  # zero-width space
    "\ufeff": "",  # stray byte-order mark
}
_CHAR_TABLE = str.maketrans(_CHAR_MAP)
_SOFT_HYPHEN = "\u00ad"


def _wordset(words: str) -> frozenset[str]:
    """Return the space-separated ``words`` as a set."""
    return frozenset(words.split())


_LETTER = r"[^\W\d_]"
_WORD = re.compile(rf"{_LETTER}+(?:[-'’]{_LETTER}+)*")
_SPACES = re.compile(r"[ \t]+")

# Words that do not end a sentence, heading or paragraph (a line ending in one continues).
_FUNCTION_WORDS = _wordset(
    "de het een van en in op voor met aan te of die dat om bij naar als door is zijn tot uit over "
    "zoals waarin waarbij dan maar ook wordt worden kan the a an and to for with on by or at from "
    "that which as into"
)

# --- lost ligatures ------------------------------------------------------------------------------

# "fi" lost in extraction: "eldlab" (fieldlab), "5eldlabs" / "'eldlab" (the glyph became 5 or ').
_LOST_FI_SYMPTOM = re.compile(rf"(?<!{_LETTER})eldlabs?\b", re.IGNORECASE)
_LOST_FI_ELD = re.compile(rf"(?<!{_LETTER})[5'’]?(eld)(?=labs?\b|work\b)", re.IGNORECASE)
_LOST_FI_GLYPH = re.compile(rf"(?<!{_LETTER})[5'’]({_LETTER}{{2,}})")
_KNOWN_FI_WORDS = _wordset(
    "fieldlab fieldlabs fieldwork field fields financing financial finance financiering financiële "
    "figuur figure figures first final finale finaal fiets"
)

# "fi"/"ffi" split by a space: "scientif ic", "specif ieke", "self-eff icacy", "de f inanciële".
_SPLIT_FI = re.compile(rf"(?<![\w-])((?:{_LETTER}+-)*{_LETTER}*f)\s(i{_LETTER}+)")
_SPLIT_FRAGMENTS = _wordset(
    "ic ics ical ically iek ieke ieken iciteit icacy iciency icient icienties icant icante icatie icaties "
    "ication ications iceerd iceren iceert iteren iteert itable initie inities initief initieve inanciële "
    "inancieel inanciering inancial inance inancing ijn ijne iguur iguren igure igures iets ied ier"
)
# A left part that shows the symptom: consonant + "if" (scientif, specif, identif), or a known stem.
_SPLIT_LEFT = re.compile(rf"(?:^|-)(?:{_LETTER}*[^\W\d_aeiouy]if|[ae]ff|diff|suff|eff|def|prof|f|ff)$", re.I)
_COMMON_I_WORDS = _wordset(
    "i in is it its if ik ie iets ieder iedere iedereen iemand immers indien inderdaad into"
)

# --- hyphenation ---------------------------------------------------------------------------------

# Prefixes whose hyphen is real even before a lowercase part: "e-mail", "self-efficacy", "co-creatie".
_KEEP_HYPHEN_PREFIXES = _wordset("e x ex co self non niet anti pre post multi semi oud vice")
_URL_TAIL = re.compile(r"(?:https?://|www\.)\S*[/_\-.=?&#]$")
_TERMINAL = ".!?…"


@dataclass(frozen=True)
class RepairContext:
    """Document-wide facts the repairs consult.

    Attributes:
        words: casefolded words that occur in the document (hyphenated compounds and their parts).
        counts: occurrences of each casefolded word.
        split_right: occurrences of each casefolded word right after an "…f " token (split candidates).
        compounds: casefolded hyphenated compounds that occur inside a line ("leer-werkgemeenschap").
        lost_fi: the document shows the lost-"fi" symptom ("eldlab" for "fieldlab").
        running: keys of running headers and footers (repeated lines with a page number).
    """

    words: frozenset[str] = frozenset()
    counts: Mapping[str, int] = field(default_factory=dict)
    split_right: Mapping[str, int] = field(default_factory=dict)
    compounds: frozenset[str] = frozenset()
    lost_fi: bool = False
    running: frozenset[str] = frozenset()


def _normalize_line(line: str) -> str:
    """Return ``line`` with ligature glyphs expanded, odd spaces unified and line end whitespace cut."""
    return unicodedata.normalize("NFC", line.translate(_CHAR_TABLE)).rstrip()


_PAGE_LABEL = re.compile(r"^(?:pagina|page|blz\.?|p\.)\s*#(?:\s*(?:van|of|/)\s*#)?$")


def _running_key(line: str) -> str | None:
    """Return the key of a possible running header/footer line, or ``None`` when it cannot be one.

    Candidates carry a page number at the start or end and either read "Pagina 3 van 10" or have at
    least three words ("ONDERZOEKSPROGRAMMA EN NETWERK LEARNING COMMUNITIES 2"); short numbered
    titles such as "Hoofdstuk 2" or "Stap 3" are never candidates.
    """
    s = _SPACES.sub(" ", line.strip())
    if not s or len(s) > 100 or not (s[0].isdigit() or s[-1].isdigit()):
        return None
    key = re.sub(r"\d+", "#", s).casefold()
    if _PAGE_LABEL.match(key):
        return key
    if len(re.findall(rf"{_LETTER}{{2,}}", key)) < 3 or _CHAPTER.match(s) or _NUM_HEADING.match(s):
        return None
    return key


def build_context(lines: Iterable[str]) -> RepairContext:
    """Collect the document-wide facts that the repairs consult.

    Args:
        lines: every raw line of the document (all pages).

    Returns:
        The repair context for :func:`clean_text`, :func:`join_lines` and the segmenters.
    """
    counts: Counter[str] = Counter()
    split_right: Counter[str] = Counter()
    compounds: set[str] = set()
    running: Counter[str] = Counter()
    page_numbers: dict[str, set[str]] = {}
    lost_fi = False
    for raw in lines:
        line = _normalize_line(raw)
        if not lost_fi and _LOST_FI_SYMPTOM.search(line):
            lost_fi = True
        key = _running_key(line)
        if key is not None:
            running[key] += 1
            page_numbers.setdefault(key, set()).add(" ".join(re.findall(r"\d+", line)))
        body = line[:-1] if line.endswith("-") else line
        for match in _WORD.finditer(body):
            word = match.group().casefold()
            counts[word] += 1
            if "-" in word:
                compounds.add(word)
                counts.update(word.split("-"))
        for match in _SPLIT_FI.finditer(line):
            split_right[match.group(2).casefold()] += 1
    return RepairContext(
        words=frozenset(counts),
        counts=dict(counts),
        split_right=dict(split_right),
        compounds=frozenset(compounds),
        lost_fi=lost_fi,
        running=frozenset(key for key, n in running.items() if n >= 3 and len(page_numbers[key]) >= 2),
    )


def _match_case(template: str, word: str) -> str:
    """Return ``word`` capitalised like ``template`` (first letter only)."""
    return word[:1].upper() + word[1:] if template[:1].isupper() else word


def _repair_lost_fi(text: str, ctx: RepairContext) -> str:
    """Restore a lost "fi" ligature ("5eldlabs" -> "fieldlabs") in a document that shows the symptom."""
    if not ctx.lost_fi:
        return text
    text = _LOST_FI_ELD.sub(lambda m: _match_case(m.group(1), "field"), text)

    def glyph(m: re.Match[str]) -> str:
        candidate = "fi" + m.group(1)
        known = candidate.casefold() in ctx.words or candidate.casefold() in _KNOWN_FI_WORDS
        return candidate if known and m.group(1).casefold() not in ctx.words else m.group()

    return _LOST_FI_GLYPH.sub(glyph, text)


def _repair_split_words(text: str, ctx: RepairContext) -> str:
    """Join words split after an "f" by a lost ligature ("scientif ic" -> "scientific").

    A pair "<left>f <right>" (right starting with "i") is joined when the right part is a known
    fragment ("ic", "ieke", "icacy", ...), when the joined word occurs elsewhere in the document, or
    when the left part shows the symptom (consonant + "if", "eff", a lone "f") and the right part is
    never used as a word on its own.
    """

    def join(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        r = right.casefold()
        joined = (left + right).casefold()
        stem = joined.rsplit("-", 1)[-1]
        if r in _SPLIT_FRAGMENTS or joined in ctx.words or (stem != joined and stem in ctx.words):
            return left + right
        standalone = ctx.counts.get(r, 0) - ctx.split_right.get(r, 0)
        if _SPLIT_LEFT.search(left) and r not in _COMMON_I_WORDS and standalone <= 0:
            return left + right
        return m.group()

    return _SPLIT_FI.sub(join, text)


def clean_text(text: str, ctx: RepairContext | None = None) -> str:
    """Normalise one piece of text and apply the ligature repairs.

    Args:
        text: text of one block (lines already joined).
        ctx: the document's repair context; without one only document-independent repairs run.

    Returns:
        The text with ligature glyphs expanded, soft hyphens removed, lost ligatures repaired and
        runs of whitespace collapsed to one space.
    """
    ctx = ctx or RepairContext()
    text = _normalize_line(text).replace(_SOFT_HYPHEN, "")
    text = _repair_lost_fi(text, ctx)
    text = _repair_split_words(text, ctx)
    return re.sub(r"\s+", " ", text).strip()


def _keep_hyphen(left: str, right: str, ctx: RepairContext) -> bool:
    """Decide whether the hyphen of ``left-`` + ``right`` at a line break is a real one."""
    left_word = re.findall(rf"(?:{_LETTER}|\d)+(?:-(?:{_LETTER}|\d)+)*$", left)
    right_word = re.findall(rf"^(?:{_LETTER}|\d)+(?:-(?:{_LETTER}|\d)+)*", right)
    if not left_word or not right_word:
        return True
    lw, rw = left_word[0], right_word[0]
    last = lw.rsplit("-", 1)[-1]
    if rw[0].isupper() or rw[0].isdigit() or last[-1].isdigit():
        return True  # "Noord-Holland", "2020-2022"
    if last.casefold() in _KEEP_HYPHEN_PREFIXES or (len(last) >= 2 and last.isupper()):
        return True  # "e-mail", "ICT-bedrijf"
    compound = f"{lw}-{rw}".casefold()
    joined = f"{lw}{rw}".casefold()
    return compound in ctx.compounds and joined not in ctx.words


def join_lines(lines: Sequence[str], ctx: RepairContext | None = None) -> str:
    """Join the lines of one paragraph into a single cleaned string.

    Lines are joined with one space, except that a hyphen at a line end is removed ("samen-" +
    "werking" -> "samenwerking") unless it is a real hyphen (uppercase or digit after it, a prefix like
    "e-", an acronym, or a compound the document spells with a hyphen elsewhere), and URLs broken at
    a slash are joined without a space.

    Args:
        lines: the raw lines of the paragraph, in order.
        ctx: the document's repair context.

    Returns:
        The cleaned text (see :func:`clean_text`).
    """
    ctx = ctx or RepairContext()
    out = ""
    for raw in lines:
        line = _normalize_line(raw).strip()
        if not line:
            continue
        if not out:
            out = line
        elif out.endswith(_SOFT_HYPHEN):
            out = out[:-1] + line
        elif re.search(rf"(?:{_LETTER}|\d)-$", out) and re.match(rf"(?:{_LETTER}|\d)", line):
            out = out + line if _keep_hyphen(out[:-1], line, ctx) else out[:-1] + line
        elif _URL_TAIL.search(out.rsplit(" ", 1)[-1]):
            out = out + line
        else:
            out = f"{out} {line}"
    return clean_text(out, ctx)


# --- segmentation ---------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)(?:\s+#+)?\s*$")
_SETEXT = re.compile(r"^(={3,}|-{3,})\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_NUM_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){1,4})\.?\s+(\S.*)$")
_NUM1_HEADING = re.compile(r"^(\d{1,2})(\.\s+|\s*\t\s*)(\S.*)$")
_CHAPTER = re.compile(
    r"^(?:hoofdstuk|chapter|bijlage|appendix)\s+(?:\d{1,2}|[IVX]{1,5})\b(?:[.:]\s*\S.*)?$", re.IGNORECASE
)
_NUMBER_ONLY = re.compile(r"^\d{1,2}\.?$")
_TOC_TAIL = re.compile(r"\S\s+\d{1,3}$")
# Bullets, including a lone letter before a wide gap: a symbol-font bullet extracted as text ("f  Doe").
_BULLET = re.compile(r"^(?:[-*+•·▪◦●○■□➢►▸–—]\s+(?=\S)|[a-z§](?: {2,}|\t\s*)(?=[A-Z]))")
_ENUM = re.compile(r"^(?:\d{1,2}[.)]|[a-z]\)|\([a-z0-9]{1,2}\))\s+(?=\S)")
_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?$")
_MULTISPACE = re.compile(r"\S(?: {2,}|\t)\S")


@dataclass
class _Draft:
    """A block under construction: its kind, its raw lines and their span."""

    kind: BlockKind
    lines: list[str]
    start: int
    end: int
    page: int | None = None
    level: int | None = None
    explicit: bool = False  # the heading level comes from markup or numbering, not from a guess
    text: str | None = None  # preset text (markdown heading without '#', table row cells)
    verbatim: bool = False  # fenced code: lines kept as they are


def _starts_lower(s: str) -> bool:
    """Return whether ``s`` starts like the continuation of a sentence (lowercase, not a URL)."""
    return bool(s) and s[0].islower() and not re.match(r"(?:https?://|www\.)", s)


def _ends_sentence(s: str) -> bool:
    """Return whether ``s`` ends a sentence or clause (terminal punctuation, optionally quoted)."""
    s = s.rstrip(" )”’\"'*")
    return bool(s) and (s[-1] in _TERMINAL or s[-1] in ":;")


def _last_word(s: str) -> str:
    words = re.findall(rf"{_LETTER}+", s)
    return words[-1].casefold() if words else ""


def _invites_continuation(s: str) -> bool:
    """Return whether a line cannot end a paragraph (ends in a comma, hyphen or function word)."""
    s = s.rstrip()
    return s.endswith((",", "-", _SOFT_HYPHEN)) or _last_word(s) in _FUNCTION_WORDS


def _heading_like(s: str) -> bool:
    """Return whether a line looks like an unnumbered heading: short, capitalised, no final stop."""
    if not s or len(s) > 70 or not s[0].isupper() or s.endswith(","):
        return False
    if (_ends_sentence(s) and not s.endswith("?")) or "://" in s or "www." in s or "@" in s:
        return False
    if len(s.split()) > 10 or _last_word(s) in _FUNCTION_WORDS or s.endswith("-"):
        return False
    letters = sum(c.isalpha() for c in s)
    return letters >= 3 and letters >= 0.6 * len(s.replace(" ", ""))


def _table_cells(s: str, neighbours: Sequence[str]) -> list[str] | None:
    """Return the cells of a table-like line, or ``None`` when the line is not a table row.

    A line is a table row when it has ``|`` separators (at least two, or a leading ``|``), tab
    separators with at least two cells (not a bullet or number followed by a tab), or, within a run
    of such lines, at least three cells separated by runs of spaces.
    """
    if s.startswith("|") or s.count(" | ") >= 2:
        cells = [c.strip() for c in s.strip("|").split("|")]
        return [c for c in cells if c] or None
    if "\t" in s:
        cells = [c.strip() for c in s.split("\t") if c.strip()]
        marker = _BULLET.match(cells[0] + " x") or re.fullmatch(r"[\d.]+|[-–•]", cells[0])
        return cells if len(cells) >= 2 and not marker else None
    cells = [c.strip() for c in re.split(r" {2,}", s) if c.strip()]
    if len(cells) >= 3 and any(len(re.split(r" {2,}", n.strip())) >= 3 for n in neighbours if n.strip()):
        return cells
    return None


def _structural(s: str) -> bool:
    """Return whether a line starts a new structure (heading, list item, table row)."""
    return bool(
        _MD_HEADING.match(s)
        or _NUM_HEADING.match(s)
        or _CHAPTER.match(s)
        or _BULLET.match(s)
        or _ENUM.match(s)
        or s.startswith("|")
        or "\t" in s
    )


def _continues_across_blank(last: str, s: str) -> bool:
    """Return whether ``s`` after blank line(s) continues the paragraph that ended with ``last``."""
    if _ends_sentence(last) or _structural(s):
        return False
    return _starts_lower(s) or (_invites_continuation(last) and (s[0].isalnum() or s[0] == "("))


def _bad_heading_end(text: str) -> bool:
    return text.rstrip().endswith((".", ",", ";", ":"))


class _Segmenter:
    """Walks the lines of one page (or one text) and collects :class:`_Draft` blocks."""

    def __init__(self, lines: Sequence[str], *, page: int | None, ctx: RepairContext, markdown: bool) -> None:
        self.norm = [_normalize_line(x) for x in lines]
        self.s: list[str] = []
        for line in self.norm:
            stripped = line.strip()
            key = _running_key(stripped) if stripped else None
            self.s.append("" if key is not None and key in ctx.running else stripped)
        self.page = page
        self.markdown = markdown
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None

    def line(self, j: int) -> str:
        """Return the stripped line at 0-based index ``j`` ('' past the end)."""
        return self.s[j] if 0 <= j < len(self.s) else ""

    def content_near(self, i: int, step: int) -> str:
        """Return the nearest non-blank line before (step -1) or after (step 1) index ``i``."""
        j = i + step
        while 0 <= j < len(self.s):
            if self.s[j]:
                return self.s[j]
            j += step
        return ""

    def close(self) -> None:
        """Finish the open paragraph or list item."""
        if self.current is not None:
            self.drafts.append(self.current)
            self.current = None

    def emit(
        self,
        kind: BlockKind,
        i: int,
        j: int,
        *,
        level: int | None = None,
        explicit: bool = False,
        text: str | None = None,
    ) -> None:
        """Close the open block and add a finished block spanning 0-based lines ``i`` to ``j``."""
        self.close()
        lines = [self.s[k] for k in range(i, j + 1) if self.s[k]]
        self.drafts.append(_Draft(kind, lines, i + 1, j + 1, self.page, level, explicit, text))

    def numbered_heading(self, i: int, continuation: bool) -> int | None:
        """Return the last index of a numbered heading starting at ``i`` (with continuation lines)."""
        parts, j = [self.s[i]], i + 1
        while continuation and len(parts) < 3 and self.line(j):
            nxt = self.line(j)
            if _structural(nxt) or not (_starts_lower(nxt) or parts[-1].endswith("-")):
                break
            parts.append(nxt)
            j += 1
        text = " ".join(parts)
        after = self.line(j)
        if len(text) > 160 or _bad_heading_end(text) or _last_word(text) in _FUNCTION_WORDS:
            return None
        if not after and _starts_lower(self.content_near(j - 1, 1)):
            return None  # the text goes on after a blank line: a wrapped sentence, not a heading
        if after and not (_structural(after) or after[0].isupper()):
            return None
        return j - 1

    def run(self) -> list[_Draft]:
        """Segment all lines and return the drafts in order."""
        i, n, blanks = 0, len(self.s), 0
        fence: _Draft | None = None
        while i < n:
            s = self.s[i]
            if fence is not None:
                fence.end = i + 1
                if _FENCE.match(s):
                    self.drafts.append(fence)
                    fence = None
                else:
                    fence.lines.append(self.norm[i])
                i += 1
                continue
            if not s:
                blanks += 1
                i += 1
                continue
            group_start = i == 0 or not self.s[i - 1]
            if self.current is not None and blanks:
                cur = self.current
                if cur.kind != "heading" and blanks <= 3 and _continues_across_blank(cur.lines[-1], s):
                    cur.lines.append(s)
                    cur.end = i + 1
                    blanks = 0
                    i += 1
                    continue
                self.close()
            blanks = 0
            if self.markdown and _FENCE.match(s):
                self.close()
                fence = _Draft("paragraph", [], i + 1, i + 1, self.page, verbatim=True)
                i += 1
                continue
            step = self.classify(i, group_start)
            if step < 0:  # a separator: behaves like a blank line
                self.close()
                blanks = 1
                step = 1
            i += step
        if fence is not None:
            self.drafts.append(fence)
        self.close()
        return self.drafts

    def classify(self, i: int, group_start: bool) -> int:
        """Handle the non-blank line at ``i``; return the lines consumed, or -1 for a separator line."""
        s, nxt, prev = self.s[i], self.line(i + 1), self.line(i - 1)
        if m := _MD_HEADING.match(s):
            self.emit("heading", i, i, level=len(m.group(1)), explicit=True, text=m.group(2))
            return 1
        if self.markdown and _SETEXT.match(nxt) and not _structural(s) and self.current is None:
            self.emit("heading", i, i + 1, level=1 if nxt.startswith("=") else 2, explicit=True, text=s)
            return 2
        if re.fullmatch(r"[-=_*~|:+ ]{3,}", s) or (not self.markdown and _NUMBER_ONLY.match(s)):
            return -1
        if not self.markdown and (step := self.classify_numbered(i, group_start)):
            return step
        if (cells := _table_cells(s, (prev, nxt))) is not None:
            self.emit("table_row", i, i, text=" | ".join(cells))
            return 1
        if m := _BULLET.match(s):
            self.close()
            self.current = _Draft("list_item", [s[m.end() :]], i + 1, i + 1, self.page)
            return 1
        if _ENUM.match(s):
            self.close()
            self.current = _Draft("list_item", [s], i + 1, i + 1, self.page)
            return 1
        if not self.markdown and self.heuristic_heading(i, group_start):
            self.emit("heading", i, i)
            return 1
        cur = self.current
        if cur is not None and (
            cur.kind == "paragraph" or not s[0].isupper() or _invites_continuation(cur.lines[-1])
        ):
            cur.lines.append(s)
            cur.end = i + 1
        else:
            self.close()
            self.current = _Draft("paragraph", [s], i + 1, i + 1, self.page)
        return 1

    def classify_numbered(self, i: int, group_start: bool) -> int:
        """Emit a chapter or numbered heading (or a table-of-contents entry) at ``i``; return lines used."""
        s = self.s[i]
        if _CHAPTER.match(s) and len(s) <= 80 and not _bad_heading_end(s):
            toc = len(s.split()) > 2 and _TOC_TAIL.search(s)
            self.emit("list_item" if toc else "heading", i, i, level=1, explicit=True)
            return 1
        m = _NUM_HEADING.match(s)
        m1 = None if m else _NUM1_HEADING.match(s)
        title = m.group(2) if m else m1.group(3) if m1 else ""
        if not title or not (title[0].isupper() or title[0] == "("):
            return 0
        if m:
            level, tabbed = m.group(1).count(".") + 1, True
        else:
            assert m1 is not None
            level, tabbed = 1, "\t" in m1.group(2)
            nxt = self.line(i + 1)
            alone = group_start and not nxt and len(s) <= 100
            # Without a blank line after it (common in PDF text), a short title before a longer
            # capitalised line is still a heading: "1. Inleiding" + "De Learning community is ...".
            prev_ends = group_start or self.line(i - 1).rstrip(" )”’\"'*")[-1:] in _TERMINAL
            alone = alone or (
                prev_ends and _heading_like(title) and nxt[:1].isupper() and len(s) <= 0.6 * len(nxt)
            )
            neighbours = (self.content_near(i, -1), self.content_near(i, 1))
            listy = any(_ENUM.match(x) or _TOC_TAIL.search(x) for x in neighbours) or neighbours[0].endswith(
                ":"
            )
            before = self.current or (self.drafts[-1] if self.drafts else None)
            if before is not None and before.kind == "list_item" and before.lines:
                listy = listy or bool(re.match(rf"{int(m1.group(1)) - 1}[.)]\s", before.lines[0]))
            if not tabbed and (not alone or listy):
                return 0
        last = self.numbered_heading(i, continuation=tabbed)
        if last is None:
            return 0
        if _TOC_TAIL.search(self.s[last]):
            self.emit("list_item", i, last)
        else:
            self.emit("heading", i, last, level=level, explicit=True)
        return last - i + 1

    def heuristic_heading(self, i: int, group_start: bool) -> bool:
        """Return whether the line at ``i`` is an unnumbered heading (short, alone or before a long line)."""
        s, nxt, prev = self.s[i], self.line(i + 1), self.line(i - 1)
        if not _heading_like(s):
            return False
        if not group_start and prev.rstrip(" )”’\"'*")[-1:] not in _TERMINAL:
            return False
        if not nxt:
            return True
        return _structural(nxt) or (nxt[0].isupper() and len(s) <= 0.6 * len(nxt))


def _assign_levels(drafts: list[_Draft]) -> None:
    """Give guessed headings a level: that of the first explicit heading before it, else one deeper."""
    top = next((d.level or 1 for d in drafts if d.kind == "heading" and d.explicit), 1)
    last: int | None = None
    for d in drafts:
        if d.kind != "heading":
            continue
        if d.explicit:
            last = d.level
        else:
            d.level = top if last is None else min(last + 1, 6)


def _finalize(drafts: list[_Draft], ctx: RepairContext) -> list[Block]:
    """Turn drafts into blocks with cleaned text; drop blocks whose text is empty."""
    _assign_levels(drafts)
    blocks: list[Block] = []
    for d in drafts:
        if d.verbatim:
            text = "\n".join(_normalize_line(x) for x in d.lines).strip("\n")
        elif d.text is not None:
            text = clean_text(d.text, ctx)
        else:
            text = join_lines(d.lines, ctx)
        if text.strip():
            level = d.level if d.kind == "heading" else None
            blocks.append(Block(d.kind, text, d.start, d.end, d.page, level))
    return blocks


def clean_lines(
    lines: Sequence[str], *, markdown: bool = False, ctx: RepairContext | None = None
) -> list[Block]:
    """Segment the raw lines of an unpaged text into cleaned blocks.

    Args:
        lines: the raw lines; block spans are 1-based indexes into this sequence.
        markdown: treat the text as Markdown (``#``/underlined headings, fenced code, no guessed
            headings, and ``1.`` lines are list items).
        ctx: a repair context; built from ``lines`` when omitted.

    Returns:
        The blocks in document order.
    """
    ctx = ctx or build_context(lines)
    return _finalize(_Segmenter(lines, page=None, ctx=ctx, markdown=markdown).run(), ctx)


def clean_pages(pages: Sequence[Sequence[str]], *, ctx: RepairContext | None = None) -> list[Block]:
    """Segment the raw lines of a paged document; spans are numbered per page and pages are 1-based.

    Args:
        pages: the raw lines of each page.
        ctx: a repair context; built from all pages when omitted.

    Returns:
        The blocks of all pages in order, each with its ``page`` set.
    """
    ctx = ctx or build_context(line for page in pages for line in page)
    drafts: list[_Draft] = []
    for number, page in enumerate(pages, start=1):
        drafts.extend(_Segmenter(page, page=number, ctx=ctx, markdown=False).run())
    return _finalize(drafts, ctx)


class BlockBuilder:
    """Collect the blocks of a structured source (DOCX, HTML) and number their lines sequentially.

    Readers that know the structure call :meth:`add` for each heading, paragraph, list item or table
    row in document order; each piece of text becomes one or more raw lines (split at line breaks)
    and one block spanning them.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._items: list[tuple[BlockKind, int, int, int | None]] = []

    def add(self, kind: BlockKind, text: str, level: int | None = None) -> None:
        r"""Append a block; text without any visible character is ignored.

        Args:
            kind: the block kind.
            text: its text; ``\n`` separates raw lines.
            level: the heading level (headings only).
        """
        parts = [_normalize_line(p) for p in text.replace("\r", "\n").split("\n")]
        parts = [p for p in parts if p.strip()]
        if not parts:
            return
        start = len(self.lines) + 1
        self.lines.extend(parts)
        self._items.append((kind, start, len(self.lines), level if kind == "heading" else None))

    def blocks(self) -> list[Block]:
        """Return the collected blocks with cleaned text (repairs use the whole text as context)."""
        ctx = build_context(self.lines)
        out: list[Block] = []
        for kind, start, end, level in self._items:
            text = join_lines(self.lines[start - 1 : end], ctx)
            if text:
                out.append(Block(kind, text, start, end, None, level))
        return out
