"""The dependency direction is enforced: api -> kg -> ontology, ingest -> kg -> ontology."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    r = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Contracts: 2 kept, 0 broken" in r.stdout


def test_ontology_imports_rdflib_and_the_standard_library_only() -> None:
    for path in (ROOT / "ontology").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                for name in names:
                    top = name.split(".")[0]
                    assert top in sys.stdlib_module_names or top in {"rdflib", "ontology"}, (path, name)


def test_nothing_happens_at_import(tmp_path: Path) -> None:
    """Importing every package opens no store, creates no data directory and loads no model."""
    code = (
        "import sys, kg.graph, kg.loading, kg.validation, api.app, lcgraph.cli, ontology.vocab; "
        "print(sorted(m for m in ('torch', 'pyshacl', 'owlready2', 'uvicorn') if m in sys.modules))"
    )
    env = {"PYTHONPATH": str(ROOT), "LCGRAPH_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "['pyshacl']"  # kg.validation imports the validator, nothing runs
    assert not (tmp_path / "home").exists() and not (tmp_path / "data").exists()
