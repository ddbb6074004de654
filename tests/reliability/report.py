"""Run the reliability tests and print what they did as a markdown table (``make reliability``).

Each row is a scenario; its counts come from the tests themselves (``tests.reliability.ledger``),
so the table reports what actually ran. The exit status is non-zero when a test failed or any data
was lost.

Adding a scenario: call ``record("name", faults=..., inputs=..., lost=...)`` from its tests and add
its test files to ``TEST_FILES`` below (``--fast`` runs ``FAST_FILES`` only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.reliability.ledger import ENV, FIELDS

ROOT = Path(__file__).resolve().parents[2]
FAST_FILES = [
    "tests/api/test_sparql_abuse.py",
    "tests/api/test_request_limits.py",
    "tests/ingest/test_limits.py",
    "tests/ingest/test_parsers_property.py",
    "tests/api/test_security_headers.py",
    "tests/test_concurrency.py",
]
TEST_FILES = [
    *FAST_FILES,
    "tests/api/test_openapi_fuzz.py",
    "tests/test_backup.py",
    "tests/test_crash_safety.py",
    "tests/api/test_sparql_cancel.py",
    "tests/web/test_xss.py",
]


def render(rows: dict[str, dict[str, int]]) -> str:
    """Render the ledger as a markdown table with a total row."""
    lines = [
        "| scenario | faults injected | inputs tried | data lost |",
        "|---|---:|---:|---:|",
    ]
    totals = dict.fromkeys(FIELDS, 0)
    for name in sorted(rows):
        row = rows[name]
        lines.append(f"| {name} | {row['faults']} | {row['inputs']} | {row['lost']} |")
        for key in FIELDS:
            totals[key] += row[key]
    lines.append(f"| **total** | {totals['faults']} | {totals['inputs']} | {totals['lost']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the tests, print the table, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="Run the fast subset only.")
    parser.add_argument("--out", type=Path, help="Also write the table to this file.")
    args = parser.parse_args(argv)
    files = FAST_FILES if args.fast else TEST_FILES
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger.json"
        started = time.monotonic()
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
            cwd=ROOT,
            env={**os.environ, ENV: str(ledger)},
            check=False,
        )
        elapsed = time.monotonic() - started
        rows: dict[str, dict[str, int]] = json.loads(ledger.read_text()) if ledger.exists() else {}
    table = render(rows)
    lost = sum(row["lost"] for row in rows.values())
    verdict = "passed" if tests.returncode == 0 else f"FAILED (pytest exit {tests.returncode})"
    summary = (
        f"\n{len(rows)} scenarios, {len(files)} test files, {elapsed:.0f} s; "
        f"tests {verdict}; data lost: {lost}"
    )
    print("\n" + table + summary)
    if args.out is not None:
        args.out.write_text(table + "\n" + summary + "\n")
    return 0 if tests.returncode == 0 and lost == 0 and rows else 1


if __name__ == "__main__":
    sys.exit(main())
