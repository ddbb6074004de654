"""Reading real files of every supported format, and the errors for files that cannot be read."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from ingest.model import Block, SourceDocument
from ingest.sources import raw_line, read_document
from kg.errors import InvalidInput

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def make_pdf(path: Path, *, text: bool = True) -> Path:
    """Write a two-page PDF: a heading and a hyphenated paragraph, then "doelenscan" on page 2."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setTitle("Testrapport Learning communities")
    pages = [
        (
            "1. Inleiding",
            [
                "De Learning community is een vorm van samen-",
                "werking tussen bedrijven en het onderwijs in",
                "de regio Noord-",
                "Holland. Zo leren de deelnemers van elkaar.",
            ],
        ),
        (
            "2. Instrumenten",
            ["Met de doelenscan bepalen de deelnemers samen de", "doelen van de Learning community."],
        ),
    ]
    for heading, lines in pages:
        if text:
            c.setFont("Helvetica-Bold", 16)
            c.drawString(72, 780, heading)
            c.setFont("Helvetica", 11)
            for n, line in enumerate(lines):
                c.drawString(72, 750 - 14 * n, line)
        else:
            c.rect(72, 600, 200, 100, fill=1)  # a "scan": graphics only
        c.showPage()
    c.save()
    return path


def block_with(doc: SourceDocument, needle: str) -> Block:
    return next(b for b in doc.blocks if needle in b.text)


# --- formats --------------------------------------------------------------------------------------


def test_pdf_pages_headings_and_hyphenation(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "rapport.pdf")
    doc = read_document(path)
    assert (doc.format, doc.pages, doc.language) == ("pdf", 2, "nl")
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.title == "Testrapport Learning communities"
    heading = doc.blocks[0]
    assert (heading.kind, heading.text, heading.level, heading.page, heading.line_start) == (
        "heading",
        "1. Inleiding",
        1,
        1,
        1,
    )
    paragraph = block_with(doc, "samenwerking")
    assert "samenwerking tussen bedrijven" in paragraph.text and "Noord-Holland." in paragraph.text
    assert paragraph.page == 1
    scan = block_with(doc, "doelenscan")
    assert scan.page == 2 and scan.kind == "paragraph"
    assert "doelenscan" in raw_line(doc, scan.line_start, page=2)
    assert raw_line(doc, 1, page=2) == "2. Instrumenten"
    with pytest.raises(InvalidInput, match="page 3 does not exist"):
        raw_line(doc, 1, page=3)


def test_docx_headings_paragraphs_lists_and_tables(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Werkboek"
    document.add_heading("Instrumenten voor Learning communities", level=1)
    document.add_paragraph("De deelnemers gebruiken de doelenscan om samen de doelen te bepalen.")
    document.add_heading("Overzicht", level=2)
    document.add_paragraph("eerste stap van het proces", style="List Bullet")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Naam tool", "Doel", "Link"], strict=True):
        cell.text = text
    for cell, text in zip(
        table.rows[1].cells, ["Doelenscan", "Doelen bepalen", "https://designkit-lc.nl"], strict=True
    ):
        cell.text = text
    document.add_paragraph("Na de tabel volgt nog een alinea over de werkwijze.")
    path = tmp_path / "werkboek.docx"
    document.save(str(path))

    doc = read_document(path)
    assert (doc.format, doc.title, doc.language) == ("docx", "Werkboek", "nl")
    assert [(b.kind, b.level) for b in doc.blocks] == [
        ("heading", 1),
        ("paragraph", None),
        ("heading", 2),
        ("list_item", None),
        ("table_row", None),
        ("table_row", None),
        ("paragraph", None),
    ]
    rows = [b for b in doc.blocks if b.kind == "table_row"]
    assert [r.text for r in rows] == [
        "Naam tool | Doel | Link",
        "Doelenscan | Doelen bepalen | https://designkit-lc.nl",
    ]
    assert [b.line_start for b in doc.blocks] == list(range(1, 8))
    assert all(doc.raw_lines[b.line_start - 1] == b.text for b in doc.blocks)


HTML = """<!DOCTYPE html>
<html lang="nl"><head><title>Learning communities</title>
<style>body { color: red; }</style>
<script>alert("niet tonen");</script></head>
<body>
<!-- een opmerking -->
<nav><a href="/">Home</a></nav>
<h1>Learning communities in de regio</h1>
<p>Bedrijven en <b>onderwijs</b> werken samen<br>aan innovatie in de regio.</p>
<h2>Instrumenten</h2>
<ul><li>De doelenscan<ul><li>voor begeleiders</li></ul></li><li>De <em>actiescan</em></li></ul>
<table><tr><th>Naam</th><th>Doel</th></tr><tr><td>Doelenscan</td><td><p>Doelen</p><p>bepalen</p></td></tr></table>
<pre>regel een
  regel twee</pre>
<script>document.write("ook niet");</script>
</body></html>
"""


def test_html_structure_without_scripts_and_styles(tmp_path: Path) -> None:
    path = tmp_path / "pagina.html"
    path.write_text(HTML, encoding="utf-8")
    doc = read_document(path)
    assert (doc.format, doc.title, doc.language) == ("html", "Learning communities", "nl")
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("paragraph", "Home"),
        ("heading", "Learning communities in de regio"),
        ("paragraph", "Bedrijven en onderwijs werken samen aan innovatie in de regio."),
        ("heading", "Instrumenten"),
        ("list_item", "De doelenscan"),
        ("list_item", "voor begeleiders"),
        ("list_item", "De actiescan"),
        ("table_row", "Naam | Doel"),
        ("table_row", "Doelenscan | Doelen bepalen"),
        ("paragraph", "regel een regel twee"),
    ]
    assert [b.level for b in doc.blocks if b.kind == "heading"] == [1, 2]
    paragraph = doc.blocks[2]
    assert (paragraph.line_start, paragraph.line_end) == (3, 4)  # the <br> made two raw lines
    text = " ".join(doc.raw_lines)
    assert "alert" not in text and "color" not in text and "opmerking" not in text and "ook niet" not in text


def test_html_is_recognised_by_content_before_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(HTML, encoding="utf-8")
    assert read_document(path).format == "html"


def test_markdown_lines_are_the_file_lines(tmp_path: Path) -> None:
    source = (
        "# Learning communities\n\nEen korte inleiding over de\nsamenwerking.\n\n## Fasen\n\n"
        "- Starten\n- Ontwerpen\n1. Uitvoeren\n\n```\ncode blijft\n  zoals het is\n```\n"
    )
    path = tmp_path / "notities.md"
    path.write_bytes(source.replace("\n", "\r\n").encode("utf-8"))
    doc = read_document(path)
    assert doc.format == "markdown"
    assert doc.raw_lines == source.split("\n")[:-1]
    assert [(b.kind, b.text, b.line_start, b.line_end) for b in doc.blocks] == [
        ("heading", "Learning communities", 1, 1),
        ("paragraph", "Een korte inleiding over de samenwerking.", 3, 4),
        ("heading", "Fasen", 6, 6),
        ("list_item", "Starten", 8, 8),
        ("list_item", "Ontwerpen", 9, 9),
        ("list_item", "1. Uitvoeren", 10, 10),
        ("paragraph", "code blijft\n  zoals het is", 12, 15),
    ]
    assert doc.title == "Learning communities"


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8-sig"])
def test_plain_text_in_legacy_encodings_is_decoded(tmp_path: Path, encoding: str) -> None:
    text = "Coöperatie en carrière\n\nDe deelnemers in één café zijn het eens over de aanpak.\n"
    if encoding == "cp1252":
        text += "Zij spreken van “goed werk” – en dat is het ook.\n"
    path = tmp_path / "oud.txt"
    path.write_bytes(text.encode(encoding))
    doc = read_document(path)
    assert doc.format == "text"
    assert doc.raw_lines == text.split("\n")[:-1]
    assert doc.blocks[0].text == "Coöperatie en carrière"
    assert doc.language == "nl"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_text_line_numbers_match_the_raw_file() -> None:
    (path,) = CORPUS.glob("001_*.txt")
    doc = read_document(path)
    text = path.read_text(encoding="utf-8")
    assert doc.raw_lines == text.removesuffix("\n").split("\n")
    assert text.count("\n") == 4368  # what `wc -l` reports; the last line has no line break
    assert (doc.format, doc.language) == ("text", "nl")
    (block,) = [b for b in doc.blocks if b.line_start <= 3042 <= b.line_end]
    assert "doelenscan" in block.text and raw_line(doc, 3042).startswith("Designkit Learning")


# --- errors: each says what is wrong and where ------------------------------------------------------


def error(path: Path, **kwargs: int) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_document(path, **kwargs)
    err = caught.value
    assert err.where is not None and err.where.startswith(path.name), err.where
    assert path.name in str(err)
    return err


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in error(tmp_path / "weg.pdf").message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "leeg.txt"
    path.write_bytes(b"")
    assert "is empty" in error(path).message


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "wit.md"
    path.write_text("\n   \n\t\n", encoding="utf-8")
    assert "no text" in error(path).message


def test_oversized_file(tmp_path: Path) -> None:
    path = tmp_path / "groot.txt"
    path.write_text("tekst " * 400, encoding="utf-8")
    assert error(path, max_bytes=1000).message == "is 2.4 KB; the limit is 1 KB"


def test_oversized_file_in_megabytes(tmp_path: Path) -> None:
    path = tmp_path / "enorm.pdf"
    with path.open("wb") as f:
        f.truncate(60_200_000)  # sparse: nothing is written or read
    assert error(path).message == "is 60.2 MB; the limit is 50 MB"


def test_binary_content_under_a_text_suffix(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 10)
    err = error(path)
    assert "looks binary, not text" in err.message and "byte offset 0" in err.message


def test_binary_without_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "ruis.md"
    path.write_bytes(bytes(b for b in range(1, 32) if b not in (9, 10, 12, 13)) * 50 + b"tekst")
    assert "looks binary" in error(path).message


def test_undecodable_text(tmp_path: Path) -> None:
    path = tmp_path / "kapot.txt"
    path.write_bytes(b"Eerste regel\nHallo \x81\x8d\x8f\x90\x9d wereld \x81\x9d\n")
    err = error(path)
    assert "cannot be decoded as text" in err.message
    assert "0x81 at byte offset 19" in err.message
    assert err.where == "kapot.txt:line 2"


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = tmp_path / "kapot.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    assert error(path).message.startswith("is not a readable PDF")


def test_pdf_magic_wins_over_the_suffix(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "rapport.pdf")
    renamed = path.rename(tmp_path / "rapport.txt")
    assert read_document(renamed).format == "pdf"


def test_pdf_without_a_text_layer(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", text=False)
    message = error(path).message
    assert "has no text layer (scanned?); OCR is not supported" in message


def test_pdf_suffix_without_pdf_content(tmp_path: Path) -> None:
    path = tmp_path / "nep.pdf"
    path.write_text("Dit is geen PDF.", encoding="utf-8")
    assert error(path).message.startswith("is not a readable PDF")


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "kapot.docx"
    path.write_bytes(b"geen zip maar tekst")
    assert error(path).message.startswith("is not a readable DOCX")


def test_zip_that_is_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "archief.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("leesmij.txt", "hallo")
    assert "not a DOCX" in error(path).message


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "tabel.xlsx"
    path.write_text("a;b;c", encoding="utf-8")
    err = error(path)
    assert "unknown format" in err.message and ".xlsx" in err.message
