"""Document limits: file size, DOCX decompression ratio and unpacked size (zip bombs), PDF page
count. Each is refused with an ``InvalidInput`` that names the file, before the expensive work."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas

from ingest.sources import read_document
from kg.errors import InvalidInput
from tests.reliability.ledger import record

SCENARIO = "document limits (ingest)"


def _docx_bytes(text: str = "Een leergemeenschap verbindt werken, leren en innoveren.") -> bytes:
    document = docx.Document()
    document.add_heading("Titel", level=1)
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _with_member(data: bytes, name: str, payload: bytes) -> bytes:
    """Return the DOCX ``data`` with one more (deflated) member."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, payload, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _pdf_bytes(pages: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for number in range(1, pages + 1):
        pdf.drawString(72, 720, f"Pagina {number}: een leergemeenschap in de praktijk.")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_plain_docx_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plain.docx"
    path.write_bytes(_docx_bytes())
    doc = read_document(path)
    assert doc.format == "docx" and any("leergemeenschap" in b.text for b in doc.blocks)


def test_a_zip_bomb_docx_is_refused_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = _with_member(_docx_bytes(), "word/media/image1.bin", b"\0" * 60_000_000)
    path = tmp_path / "bom.docx"
    path.write_bytes(bomb)
    assert len(bomb) < 200_000  # 60 MB of zeros packs to about 60 KB: a ratio near 1000
    with pytest.raises(InvalidInput) as info:
        read_document(path)
    record(SCENARIO, faults=1, inputs=1)
    assert info.value.where == "bom.docx"
    assert "word/media/image1.bin" in info.value.message and "zip bomb" in info.value.message
    assert "the limit is 100 times" in info.value.message


def test_a_docx_unpacking_to_too_much_is_refused(tmp_path: Path) -> None:
    # Incompressible members keep the ratio low; only the total gives this one away.
    import os

    data = _with_member(_docx_bytes(), "word/media/noise.bin", os.urandom(3_000_000))
    path = tmp_path / "groot.docx"
    path.write_bytes(data)
    with pytest.raises(InvalidInput) as info:
        read_document(path, max_unzipped=2_000_000)
    record(SCENARIO, faults=1, inputs=1)
    assert info.value.where == "groot.docx"
    assert info.value.message.startswith("unpacks to 3.") and "the limit is 2 MB" in info.value.message


def test_a_pdf_with_too_many_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lang.pdf"
    path.write_bytes(_pdf_bytes(30))
    with pytest.raises(InvalidInput) as info:
        read_document(path, max_pages=25)
    record(SCENARIO, faults=1, inputs=1)
    assert info.value.where == "lang.pdf"
    assert info.value.message == "has 30 pages; the limit is 25"
    assert read_document(path, max_pages=30).pages == 30


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "groot.txt"
    path.write_bytes(b"tekst " * 50_000)
    with pytest.raises(InvalidInput) as info:
        read_document(path, max_bytes=100_000)
    record(SCENARIO, faults=1, inputs=1)
    assert info.value.where == "groot.txt"
    assert "is 300.0 KB; the limit is 100 KB" in info.value.message
