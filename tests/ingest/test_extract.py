"""Instrument tables rebuilt from flattened PDF text, and entity linking against the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.linking import build_lexicon, normalise
from ingest.tables import extract_rows
from kg.catalog import read_catalog
from kg.graph import KnowledgeGraph

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
MAIN_REPORT = CORPUS / "001_9e5f9df7b70c8960.txt"
needs_corpus = pytest.mark.skipif(not MAIN_REPORT.exists(), reason="the seed corpus is not beside the repo")

TABLE = """Inleiding van de sectie.

Naam tool Doel Doelgroep Link

Designkit Learning
communities: doelenscan

Een hulpmiddel om de doelen van de Learning
community te bepalen.

Begeleiders van Learning
communities

https://www.example.org/downloads/
van_taal_naar_tool.pdf

Community ster methode Een methode voor gezamenlijke beeldvorming over
doelen bij het opzetten van een Learning community.

Ontwerpers van een Learning
community

https://www.example.org/ster-
methode.pdf
 3.5 Verduurzamen
"""


def test_rows_of_a_flattened_table() -> None:
    rows = extract_rows(TABLE.splitlines())
    assert [r.name for r in rows] == ["Designkit Learning communities: doelenscan", "Community ster methode"]
    first, second = rows
    assert first.purpose.startswith("Een hulpmiddel om de doelen")
    assert first.target_group == "Begeleiders van Learning communities"
    assert first.links == ["https://www.example.org/downloads/van_taal_naar_tool.pdf"]
    assert (first.line_start, first.line_end) == (5, 15)
    assert second.purpose.startswith("Een methode voor gezamenlijke beeldvorming")
    assert second.links == ["https://www.example.org/ster-methode.pdf"]


def test_no_table_no_rows() -> None:
    assert extract_rows(["Gewone tekst", "", "zonder tabel"]) == []


def test_normalise_folds_spelling_variants() -> None:
    assert normalise("ShareHouse") == normalise("Sharehouse")
    assert normalise("CHANGE GEAR") == normalise("Change Gear")
    assert normalise("Gas Erop!") == normalise("Gas erop!")
    assert normalise("ENABLE-dem") == normalise("Enable-dem")


@needs_corpus
def test_all_seventeen_table_instruments_link_to_their_catalog_entries(catalog_kg: KnowledgeGraph) -> None:
    lexicon = build_lexicon(catalog_kg)
    rows = extract_rows(MAIN_REPORT.read_text(encoding="utf-8").splitlines())
    assert len(rows) == 17
    codes = {e.slug: e.code for e in read_catalog().instruments}
    linked = []
    for row in rows:
        hit = lexicon.link_instrument(row.name)
        assert hit is not None, row.name
        linked.append(codes[hit[0].rsplit("/", 1)[-1]])
        assert row.purpose and row.target_group and row.links, row.name
    assert sorted(linked) == [f"A{i:02d}" for i in range(1, 18)]  # each once: no duplicates
    first = rows[0]
    assert first.line_start == 3042  # domain brief: A01 at 001:3042


def test_mentions_link_spelling_variants(catalog_kg: KnowledgeGraph) -> None:
    lexicon = build_lexicon(catalog_kg)
    text = "In Sharehouse en in Change Gear werkten ze samen; ook Gas Erop! gebruikte de Seeds of innovation."
    found = {m.iri.rsplit("/", 1)[-1] for m in lexicon.find(text)}
    assert {"sharehouse", "change-gear", "gas-erop", "seeds-of-innovation"} <= found
