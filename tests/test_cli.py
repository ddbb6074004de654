"""The command line, run as a user runs it: a real process on a real on-disk store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rdf_helpers import assert_isomorphic, read_quads, without_revision

LCGRAPH = [sys.executable, "-m", "lcgraph.cli"]


def run(home: Path, *args: str, input_: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LCGRAPH_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [*LCGRAPH, *args], capture_output=True, text=True, env=env, input=input_, timeout=300
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("lcgraph-home")
    first = run(home, "load")
    assert first.returncode == 0, first.stderr
    assert "written" in first.stdout
    yield home


def test_load_twice_is_a_no_op(home: Path) -> None:
    again = run(home, "load")
    assert again.returncode == 0, again.stderr
    assert "unchanged" in again.stdout and "written" not in again.stdout


def test_stats(home: Path) -> None:
    table = run(home, "stats")
    assert table.returncode == 0 and "instruments" in table.stdout
    data = json.loads(run(home, "stats", "--json").stdout)
    assert data["instruments"] >= 62 and data["cases"] == 36
    assert data["fact_records"] > 1000


def test_show_by_name_and_slug_with_sources(home: Path) -> None:
    by_name = run(home, "show", "Seeds of Innovation")
    assert by_name.returncode == 0, by_name.stderr
    assert "instrument/seeds-of-innovation" in by_name.stdout
    assert "001:" in by_name.stdout and "curated" in by_name.stdout
    as_json = json.loads(run(home, "show", "gas-erop", "--json").stdout)
    assert as_json["iri"].endswith("/gas-erop") and as_json["facts"]


def test_show_unknown_is_exit_4(home: Path) -> None:
    r = run(home, "show", "no such thing at all")
    assert r.returncode == 4 and "nothing matches" in r.stderr


def test_sparql_formats(home: Path) -> None:
    q = "SELECT ?i WHERE { ?i a <https://w3id.org/lcgraph/ontology#Instrument> } ORDER BY ?i LIMIT 3"
    table = run(home, "sparql", q)
    assert table.returncode == 0 and "3 row(s)" in table.stdout
    as_json = json.loads(run(home, "sparql", q, "--format", "json").stdout)
    assert len(as_json["results"]["bindings"]) == 3
    as_csv = run(home, "sparql", q, "--format", "csv").stdout.splitlines()
    assert as_csv[0] == "i" and len(as_csv) == 4
    from_stdin = run(home, "sparql", "-", "--format", "tsv", input_=q)
    assert from_stdin.stdout.startswith("?i\n")


def test_sparql_refusals_are_exit_2(home: Path) -> None:
    r = run(home, "sparql", "DELETE WHERE { ?s ?p ?o }")
    assert r.returncode == 2 and "read-only" in r.stderr
    r = run(home, "sparql", "SELECT ?s WHERE { ?s ?p }")
    assert r.returncode == 2 and "not valid SPARQL" in r.stderr


def test_export_import_round_trip_is_lossless(home: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.nq"
    assert run(home, "export", "--format", "nq", "--output", str(original)).returncode == 0
    # TriG is round-tripped in process (tests/kg/test_export_import.py); here the CLI's own paths
    for fmt in ("nq", "jsonld"):
        dump = tmp_path / f"dump.{fmt}"
        r = run(home, "export", "--format", fmt, "--output", str(dump))
        assert r.returncode == 0, r.stderr
        other = tmp_path / f"other-{fmt}"
        imported = run(other, "import", str(dump))
        assert imported.returncode == 0, imported.stderr
        back = tmp_path / f"back.{fmt}"
        run(other, "export", "--format", "nq", "--output", str(back))
        # each store keeps a revision token of its own (kg.revision); the import leaves the other's out
        assert_isomorphic(without_revision(read_quads(back)), without_revision(read_quads(original)))


def test_export_turtle_is_the_public_graph(home: Path) -> None:
    r = run(home, "export", "--format", "ttl")
    assert r.returncode == 0 and "seeds-of-innovation" in r.stdout


def test_import_rejects_bad_input_and_keeps_data(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://a> <http://b> <http://c> <http://g> .\nthis is not n-quads\n")
    before = json.loads(run(home, "stats", "--json").stdout)["triples"]
    r = run(home, "import", str(bad))
    assert r.returncode == 2 and "bad.nq" in r.stderr
    assert json.loads(run(home, "stats", "--json").stdout)["triples"] == before


def test_store_locked_by_another_process_is_exit_3(home: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from kg.config import Settings; from kg.graph import KnowledgeGraph;"
            f"kg = KnowledgeGraph.open(Settings(home={str(home)!r}));"
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        r = run(home, "stats")
        assert r.returncode == 3 and "another lcgraph process" in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_load_prints_every_shacl_violation_with_its_focus_node(tmp_path: Path) -> None:
    import shutil

    import yaml

    from kg.catalog import CATALOG_DIR

    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG_DIR, catalog, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = next(
        p for p in sorted(catalog.glob("instruments*.yaml")) if "seeds-of-innovation" in p.read_text()
    )
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["slug"] in ("seeds-of-innovation", "partnerschapskaart"):
            # A known concept, but of the wrong scheme: only the SHACL shapes catch this.
            entry["addresses"] = ["phase-start"]
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    home = tmp_path / "home"
    r = run(home, "load", "--catalog", str(catalog))
    assert r.returncode == 2
    assert "SHACL" in r.stderr and "nothing was written" in r.stderr
    for slug in ("seeds-of-innovation", "partnerschapskaart"):
        assert f"https://w3id.org/lcgraph/id/instrument/{slug}" in r.stderr
    assert "addressesFactor" in r.stderr
    stats = run(home, "stats", "--json")
    assert json.loads(stats.stdout)["triples"] == 0
