"""Chunking: section paths, size bounds, merging of small pieces and line/page anchors."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.chunk import chunk, split_sentences
from ingest.model import Block, Chunk, SourceDocument
from ingest.sources import read_document
from kg.errors import InvalidInput

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")


def doc_of(blocks: list[Block], raw_lines: int | None = None) -> SourceDocument:
    n = raw_lines or max(b.line_end for b in blocks)
    return SourceDocument(Path("t.txt"), "text", "0" * 64, None, "nl", blocks, raw_lines=["x"] * n)


def sentence(i: int, words: int = 12) -> str:
    return " ".join(["Learning"] + [f"woord{i}"] * (words - 1)) + "."


@cache
def corpus_doc(prefix: str) -> SourceDocument:
    (path,) = CORPUS.glob(f"{prefix}_*.txt")
    return read_document(path)


def assert_well_formed(chunks: list[Chunk], doc: SourceDocument, max_chars: int) -> None:
    """Indexes run from 0, anchors are monotonic and in range, sizes are bounded."""
    assert [c.index for c in chunks] == list(range(len(chunks)))
    previous = (0, 0)
    for c in chunks:
        assert 1 <= c.line_start <= c.line_end <= len(doc.raw_lines) or c.page_start is not None, c
        start = (c.page_start or 0, c.line_start)
        assert start >= previous, (c, previous)
        assert (c.page_end or 0, c.line_end) >= start
        previous = start
        if len(c.text) > max_chars:  # only a single oversize sentence may exceed the limit
            assert len(split_sentences(c.text)) == 1 and "\n" not in c.text, c


def test_split_sentences_respects_abbreviations_and_initials() -> None:
    text = "Zie bijv. Wenger et al. (2011) en M. Endedijk. Dat werkt! Klopt dat? Ja. 2020 was een jaar."
    assert split_sentences(text) == [
        "Zie bijv. Wenger et al. (2011) en M. Endedijk.",
        "Dat werkt!",
        "Klopt dat?",
        "Ja.",
        "2020 was een jaar.",
    ]


def test_sections_follow_the_heading_path() -> None:
    blocks = [
        Block("paragraph", "Voorwoord zonder kop. " * 12, 1, 1),
        Block("heading", "1 Inleiding", 3, 3, level=1),
        Block("paragraph", "Tekst van de inleiding. " * 12, 5, 6),
        Block("heading", "1.1 Achtergrond", 8, 8, level=2),
        Block("paragraph", "Tekst van de achtergrond. " * 12, 10, 12),
        Block("heading", "2 Methode", 14, 14, level=1),
        Block("paragraph", "Tekst van de methode. " * 12, 16, 17),
    ]
    chunks = chunk(doc_of(blocks), max_chars=400, min_chars=50)
    assert [c.section for c in chunks] == [
        (),
        ("1 Inleiding",),
        ("1 Inleiding", "1.1 Achtergrond"),
        ("2 Methode",),
    ]
    assert [(c.line_start, c.line_end) for c in chunks] == [(1, 1), (3, 6), (8, 12), (14, 17)]
    assert chunks[1].text.startswith("1 Inleiding\nTekst van de inleiding.")


def test_small_blocks_merge_but_never_across_a_top_level_section() -> None:
    blocks = [
        Block("heading", "A", 1, 1, level=1),
        Block("paragraph", "Kort.", 2, 2),
        Block("heading", "A.1", 3, 3, level=2),
        Block("paragraph", "Ook kort.", 4, 4),
        Block("heading", "B", 5, 5, level=1),
        Block("paragraph", "Nog korter.", 6, 6),
    ]
    chunks = chunk(doc_of(blocks), max_chars=500, min_chars=200)
    assert [(c.section, c.text) for c in chunks] == [
        (("A",), "A\nKort.\nA.1\nOok kort."),
        (("B",), "B\nNog korter."),
    ]


def test_big_blocks_split_at_sentences_and_chunks_stay_bounded() -> None:
    long_text = " ".join(sentence(i) for i in range(40))
    blocks = [Block("heading", "Kop", 1, 1, level=1), Block("paragraph", long_text, 2, 30)]
    doc = doc_of(blocks)
    chunks = chunk(doc, max_chars=300, min_chars=100)
    assert len(chunks) > 5
    assert_well_formed(chunks, doc, 300)
    assert all(len(c.text) <= 300 for c in chunks)
    assert chunks[0].text.startswith("Kop\nLearning")  # the heading is filled up with sentences
    assert " ".join(c.text.replace("Kop\n", "") for c in chunks) == long_text


def test_a_single_oversize_sentence_is_kept_whole() -> None:
    giant = sentence(1, words=200)
    blocks = [Block("paragraph", "Inleiding. " + giant + " Slot.", 1, 3)]
    chunks = chunk(doc_of(blocks), max_chars=500, min_chars=0)
    assert giant in [c.text for c in chunks]
    assert_well_formed(chunks, doc_of(blocks), 500)


def test_pages_are_anchored() -> None:
    blocks = [
        Block("heading", "1. Inleiding", 1, 1, page=1, level=1),
        Block("paragraph", "Tekst op pagina een.", 2, 5, page=1),
        Block("paragraph", "Tekst op pagina twee met de doelenscan.", 1, 2, page=2),
    ]
    (only,) = chunk(doc_of(blocks), max_chars=1500, min_chars=200)
    assert (only.page_start, only.page_end, only.line_start, only.line_end) == (1, 2, 1, 2)


def test_inconsistent_limits_are_refused() -> None:
    with pytest.raises(InvalidInput, match="min_chars"):
        chunk(doc_of([Block("paragraph", "x", 1, 1)]), max_chars=100, min_chars=200)


def test_an_empty_document_has_no_chunks() -> None:
    assert chunk(SourceDocument(Path("e.txt"), "text", "0" * 64, None, "und", [])) == []


@needs_corpus
@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_corpus_chunks_are_well_formed(prefix: str) -> None:
    doc = corpus_doc(prefix)
    chunks = chunk(doc)
    assert chunks
    assert_well_formed(chunks, doc, 1500)
    covered = {line for c in chunks for line in range(c.line_start, c.line_end + 1)}
    assert all(b.line_start in covered for b in doc.blocks)


@needs_corpus
def test_corpus_001_chunk_sections_reflect_headings() -> None:
    chunks = chunk(corpus_doc("001"))
    (hit,) = [c for c in chunks if c.line_start <= 3042 <= c.line_end]
    assert hit.section[0] == "3.4 Uitvoeren"
    assert "doelenscan" in hit.text
    tops = {c.section[0] for c in chunks if c.section}
    assert {"2.3 Opbrengsten van Learning communities", "3.4 Uitvoeren"} <= tops
    numbered = [b for b in corpus_doc("001").blocks if b.kind == "heading" and b.text[:4].count(".") == 1]
    for c in chunks:  # a chunk never spans two top-level (here: "N.M") sections; one may only open it
        inside = [b for b in numbered if c.line_start <= b.line_start <= c.line_end]
        assert all(b.line_start == c.line_start for b in inside), (c, inside)
