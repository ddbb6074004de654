"""Cleaning and segmentation of extracted text: small cases, then the real corpus (when present)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingest.clean import BlockBuilder, build_context, clean_lines, clean_pages, clean_text, join_lines
from ingest.language import detect_language
from ingest.model import Block

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


@cache
def corpus(prefix: str) -> tuple[list[str], list[Block]]:
    """Return the raw lines and blocks of the corpus file whose name starts with ``prefix``."""
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines, clean_lines(lines)


def kinds(blocks: list[Block]) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in blocks]


# --- line joining and hyphenation -----------------------------------------------------------------


def test_hyphen_at_line_end_is_removed() -> None:
    assert join_lines(["De samen-", "werking is goed."]) == "De samenwerking is goed."


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["in de regio Noord-", "Holland"], "in de regio Noord-Holland"),  # uppercase after the hyphen
        (["stuur een e-", "mail"], "stuur een e-mail"),  # a prefix that keeps its hyphen
        (["de ICT-", "sector"], "de ICT-sector"),  # an acronym
        (["in 2020-", "2022"], "in 2020-2022"),  # numbers
    ],
)
def test_real_hyphens_are_kept(lines: list[str], expected: str) -> None:
    assert join_lines(lines) == expected


def test_a_compound_spelled_with_a_hyphen_elsewhere_keeps_it() -> None:
    ctx = build_context(
        ["Andere leer-werkgemeenschappen bestaan ook.", "andere leer-", "werkgemeenschappen?"]
    )
    assert join_lines(["andere leer-", "werkgemeenschappen?"], ctx) == "andere leer-werkgemeenschappen?"
    assert join_lines(["andere leer-", "werkgemeenschappen?"]) == "andere leerwerkgemeenschappen?"


def test_urls_broken_at_a_slash_are_joined_without_space() -> None:
    assert (
        join_lines(["zie https://example.org/docs/", "rapport.pdf"])
        == "zie https://example.org/docs/rapport.pdf"
    )


def test_whitespace_and_ligature_glyphs_are_normalised() -> None:
    assert clean_text("  het \ufb01eldlab\u00a0en de  \ufb02ow\u00ad ") == "het fieldlab en de flow"


# --- lost ligatures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("scientif ic research", "scientific research"),
        ("de specif ieke context", "de specifieke context"),
        ("hun self-eff icacy groeit", "hun self-efficacy groeit"),
        ("de f inanciële middelen", "de financiële middelen"),
        ("een def initie van", "een definitie van"),
        ("geïdentif iceerd", "geïdentificeerd"),
    ],
)
def test_words_split_by_a_lost_ligature_are_joined(text: str, expected: str) -> None:
    assert clean_text(text, build_context([text])) == expected


@pytest.mark.parametrize(
    "text", ["het zijn teams of innovatie hubs", "dat effectief is", "zelf inzicht", "actief in"]
)
def test_real_word_pairs_after_an_f_are_left_alone(text: str) -> None:
    assert clean_text(text, build_context([text, "innovatie inzicht"])) == text


def test_lost_fi_is_repaired_when_the_document_shows_the_symptom() -> None:
    lines = [
        "Een 'eldlab is een plek.",
        "",
        "The financing of 5eldlabs in the Netherlands.",
        "",
        "Een eldlab.",
    ]
    text = " ".join(b.text for b in clean_lines(lines))
    assert "Een fieldlab is een plek." in text
    assert "financing of fieldlabs" in text
    assert "Een fieldlab." in text
    assert not re.search(r"(?<!fi)eldlab", text)


def test_lost_fi_repairs_do_not_run_without_the_symptom() -> None:
    ctx = build_context(["Er staan 5elden in de tabel."])
    assert not ctx.lost_fi
    assert clean_text("Er staan 5elden in de tabel.", ctx) == "Er staan 5elden in de tabel."


# --- segmentation ---------------------------------------------------------------------------------


def test_paragraphs_are_separated_by_blank_lines_and_keep_exact_spans() -> None:
    lines = ["Eerste regel van een", "alinea die doorloopt.", "", "", "Tweede alinea."]
    assert clean_lines(lines) == [
        Block("paragraph", "Eerste regel van een alinea die doorloopt.", 1, 2),
        Block("paragraph", "Tweede alinea.", 5, 5),
    ]


def test_a_sentence_broken_across_a_blank_line_is_one_paragraph() -> None:
    lines = [
        "Learning communities hebben als doel om bij te dragen aan grote maatschappelijke",
        "",
        "vraagstukken.",
    ]
    assert clean_lines(lines) == [
        Block(
            "paragraph",
            "Learning communities hebben als doel om bij te dragen aan grote maatschappelijke vraagstukken.",
            1,
            3,
        )
    ]


def test_markdown_headings_lists_and_tables() -> None:
    lines = [
        "# Titel",
        "",
        "## Sub",
        "Tekst van de",
        "sectie.",
        "",
        "- punt een",
        "* punt twee",
        "1. punt drie",
        "",
    ]
    lines += ["| Naam | Rol |", "|------|-----|", "| Jan | Docent |", "", "Onderwerp", "=========", "Meer."]
    blocks = clean_lines(lines, markdown=True)
    assert [(b.kind, b.text, b.level) for b in blocks if b.kind == "heading"] == [
        ("heading", "Titel", 1),
        ("heading", "Sub", 2),
        ("heading", "Onderwerp", 1),
    ]
    assert ("paragraph", "Tekst van de sectie.") in kinds(blocks)
    assert [b.text for b in blocks if b.kind == "list_item"] == ["punt een", "punt twee", "1. punt drie"]
    assert [b.text for b in blocks if b.kind == "table_row"] == ["Naam | Rol", "Jan | Docent"]
    onderwerp = next(b for b in blocks if b.text == "Onderwerp")
    assert (onderwerp.line_start, onderwerp.line_end) == (15, 16)


@pytest.mark.parametrize(
    ("lines", "text", "level"),
    [
        (["3.4 Uitvoeren", "", "In deze fase gebeurt veel."], "3.4 Uitvoeren", 2),
        (["Hoofdstuk 3", "", "Opbrengsten zijn er op drie niveaus."], "Hoofdstuk 3", 1),
        (
            ["2. Learning community als fieldlab", "", "Experts komen samen."],
            "2. Learning community als fieldlab",
            1,
        ),
        (["1\t Inleiding", "", "De manier waarop we werken verandert."], "1 Inleiding", 1),
        (["Inleiding", "", "Dit is de tekst van de inleiding."], "Inleiding", 1),
        (["1. Inleiding", "De Learning community is een vorm van samenwerking."], "1. Inleiding", 1),
    ],
)
def test_headings_are_found(lines: list[str], text: str, level: int) -> None:
    heading = clean_lines(lines)[0]
    assert (heading.kind, heading.text, heading.level, heading.line_start) == ("heading", text, level, 1)


def test_a_numbered_heading_may_wrap_onto_the_next_line() -> None:
    lines = [
        "2.1\t Hoe verhouden learning communities zich tot andere leer-",
        "werkgemeenschappen?",
        "",
        "Tekst.",
    ]
    heading = clean_lines(lines)[0]
    assert heading == Block(
        "heading",
        "2.1 Hoe verhouden learning communities zich tot andere leerwerkgemeenschappen?",
        1,
        2,
        level=2,
    )


def test_guessed_headings_nest_under_the_last_numbered_heading() -> None:
    blocks = clean_lines(["2.3 Opbrengsten", "", "Context", "", "Er is veel te zeggen over opbrengsten."])
    assert [(b.text, b.level) for b in blocks if b.kind == "heading"] == [
        ("2.3 Opbrengsten", 2),
        ("Context", 3),
    ]


def test_numbered_lists_and_table_of_contents_are_not_headings() -> None:
    lines = [
        "De fasen zijn:",
        "",
        "1. Starten: bepalen van het onderwerp",
        "en het verband",
        "",
        "2. Ontwerpen",
    ]
    lines += ["", "2.1 Introductie van een kennisbasis 16"]
    blocks = clean_lines(lines)
    assert [b.kind for b in blocks] == ["paragraph", "list_item", "list_item", "list_item"]
    assert blocks[1].text == "1. Starten: bepalen van het onderwerp en het verband"


def test_list_items_take_their_continuation_lines() -> None:
    lines = ["Punten:", "• eerste punt dat", "doorloopt", "– tweede punt", "Een nieuwe alinea."]
    assert kinds(clean_lines(lines)) == [
        ("paragraph", "Punten:"),
        ("list_item", "eerste punt dat doorloopt"),
        ("list_item", "tweede punt"),
        ("paragraph", "Een nieuwe alinea."),
    ]


def test_table_like_lines_become_rows() -> None:
    lines = ["Term\tAuteur\tKenmerk", "Field labs\tDe Heide, 2006.\tPraktisch", "", "Naam    Rol    Plaats"]
    lines += ["Jan    Docent    Delft", "", "NWO | REGIEORGAAN SIA | HUMAN CAPITAL TOPSECTOREN"]
    rows = [b for b in clean_lines(lines) if b.kind == "table_row"]
    assert [r.text for r in rows] == [
        "Term | Auteur | Kenmerk",
        "Field labs | De Heide, 2006. | Praktisch",
        "Naam | Rol | Plaats",
        "Jan | Docent | Delft",
        "NWO | REGIEORGAAN SIA | HUMAN CAPITAL TOPSECTOREN",
    ]
    assert [r.line_start for r in rows] == [1, 2, 4, 5, 7]


def test_running_headers_are_dropped() -> None:
    lines: list[str] = []
    for page in range(1, 4):
        lines += [f"Tekst op pagina {page}.", "", f"JAARVERSLAG LEARNING COMMUNITIES {page}", ""]
    assert [b.text for b in clean_lines(lines)] == [
        "Tekst op pagina 1.",
        "Tekst op pagina 2.",
        "Tekst op pagina 3.",
    ]


def test_pages_number_lines_per_page() -> None:
    blocks = clean_pages([["Inleiding", "", "Tekst een."], ["Tweede pagina met de doelenscan."]])
    assert [(b.page, b.line_start, b.kind) for b in blocks] == [
        (1, 1, "heading"),
        (1, 3, "paragraph"),
        (2, 1, "paragraph"),
    ]


def test_block_builder_numbers_lines_sequentially() -> None:
    builder = BlockBuilder()
    builder.add("heading", "Titel", level=1)
    builder.add("paragraph", "Regel een\nregel twee")
    builder.add("paragraph", "   ")
    builder.add("table_row", "a | b")
    assert builder.lines == ["Titel", "Regel een", "regel twee", "a | b"]
    assert builder.blocks() == [
        Block("heading", "Titel", 1, 1, level=1),
        Block("paragraph", "Regel een regel twee", 2, 3),
        Block("table_row", "a | b", 4, 4),
    ]


# --- language ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("De deelnemers van de learning community leren van en met elkaar.", "nl"),
        ("The participants of the community learn from each other and with their peers.", "en"),
        ("Learning community", "und"),
        ("", "und"),
        ("the de the de", "und"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- the real corpus -----------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_corpus_spans_are_exact_and_ordered(prefix: str) -> None:
    lines, blocks = corpus(prefix)
    assert blocks
    previous_end = 0
    for block in blocks:
        assert previous_end < block.line_start <= block.line_end <= len(lines), block
        assert lines[block.line_start - 1].strip(), block  # a block starts on a raw line with text
        assert block.text and block.text == block.text.strip()
        assert (block.level is not None) == (block.kind == "heading")
        previous_end = block.line_end


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_corpus_is_dutch(prefix: str) -> None:
    _, blocks = corpus(prefix)
    assert detect_language(" ".join(b.text for b in blocks)) == "nl"


@needs_corpus
def test_corpus_003_fieldlab_ligature_is_repaired() -> None:
    lines, blocks = corpus("003")
    text = "\n".join(b.text for b in blocks)
    assert "fieldlab" in text
    assert not re.search(r"(?<!fi)eldlab", text, re.IGNORECASE)
    (heading,) = [b for b in blocks if b.line_start == 53]
    assert heading.kind == "heading" and "Learning community als fieldlab" in heading.text
    (reference,) = [b for b in blocks if b.line_start == 103]
    assert "The financing of fieldlabs" in reference.text
    assert "5eldlabs" in lines[102]  # the raw line itself is untouched


@needs_corpus
def test_corpus_001_line_3042_is_in_the_doelenscan_block() -> None:
    lines, blocks = corpus("001")
    assert lines[3041].strip() == "Designkit Learning"
    (block,) = [b for b in blocks if b.line_start <= 3042 <= b.line_end]
    assert "doelenscan" in block.text


@needs_corpus
def test_corpus_001_sections_are_headings() -> None:
    _, blocks = corpus("001")
    headings = {b.line_start: (b.text, b.level) for b in blocks if b.kind == "heading"}
    assert headings[1144] == ("2.3 Opbrengsten van Learning communities", 2)
    assert headings[2842] == ("3.4 Uitvoeren", 2)
    assert not any("ONDERZOEKSPROGRAMMA" in b.text and b.line_start > 100 for b in blocks)  # running header


@needs_corpus
def test_corpus_002_split_words_are_repaired() -> None:
    _, blocks = corpus("002")
    text = "\n".join(b.text for b in blocks)
    for word in ("scientific", "specifieke", "self-efficacy", "financiële", "geïdentificeerd", "profiteren"):
        assert word in text
    for broken in ("scientif ic", "specif ieke", "eff icacy", "f inanc"):
        assert broken not in text
    assert "Learning communities zijn leer-werkgemeenschappen" in text  # a hyphenated line end undone
    assert "leer-werkgemeenschappen?" in text  # a real compound kept


@needs_corpus
def test_corpus_000_paragraphs_broken_by_blank_lines_are_joined() -> None:
    _, blocks = corpus("000")
    (block,) = [b for b in blocks if b.line_start <= 5 <= b.line_end]
    assert block.kind == "paragraph"
    assert "grote maatschappelijke vraagstukken. Om dit doel te bereiken" in block.text


def test_numbered_titles_are_not_taken_for_running_headers() -> None:
    lines = [line for n in range(1, 4) for line in (f"Hoofdstuk {n}", "", f"Stap {n}", "", "Tekst.", "")]
    assert [b.text for b in clean_lines(lines)].count("Tekst.") == 3
    assert [b.text for b in clean_lines(lines) if b.kind == "heading"] == [
        "Hoofdstuk 1", "Stap 1", "Hoofdstuk 2", "Stap 2", "Hoofdstuk 3", "Stap 3"
    ]  # fmt: skip
