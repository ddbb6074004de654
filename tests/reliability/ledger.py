"""A ledger of what the reliability tests did: scenarios run, faults injected, inputs tried, data lost.

Tests call :func:`record` as they go; nothing else changes about them (they assert on their own).
When the environment names a ledger file (``LCGRAPH_RELIABILITY_LEDGER``, set by
``tests/reliability/report.py``), the counts are written there as JSON when the test process
exits, and the report renders them as a table. Without it, :func:`record` only counts in memory.

Adding a row to ``make reliability``: call ``record("my scenario", faults=..., inputs=..., lost=...)``
in a test (counts add up over calls) and list the test file in ``report.TEST_FILES``.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from pathlib import Path

ENV = "LCGRAPH_RELIABILITY_LEDGER"
FIELDS = ("faults", "inputs", "lost")

_lock = threading.Lock()
_rows: dict[str, dict[str, int]] = {}


def record(scenario: str, *, faults: int = 0, inputs: int = 0, lost: int = 0) -> None:
    """Add counts to a scenario's row.

    Args:
        scenario: the row's name, as it should read in the report.
        faults: faults injected (hostile requests, corrupt files, killed processes, ...).
        inputs: inputs tried (requests sent, generated examples parsed, files read, ...).
        lost: items of data lost or changed that should not have been (quads, entries); must be 0.
    """
    with _lock:
        row = _rows.setdefault(scenario, dict.fromkeys(FIELDS, 0))
        row["faults"] += faults
        row["inputs"] += inputs
        row["lost"] += lost


def snapshot() -> dict[str, dict[str, int]]:
    """Return a copy of the counts so far."""
    with _lock:
        return {name: dict(row) for name, row in _rows.items()}


def _flush() -> None:
    target = os.environ.get(ENV)
    if not target:
        return
    path = Path(target)
    existing: dict[str, dict[str, int]] = json.loads(path.read_text()) if path.exists() else {}
    for name, row in snapshot().items():
        merged = existing.setdefault(name, dict.fromkeys(FIELDS, 0))
        for key in FIELDS:
            merged[key] = merged.get(key, 0) + row[key]
    path.write_text(json.dumps(existing, indent=2, sort_keys=True))


atexit.register(_flush)
