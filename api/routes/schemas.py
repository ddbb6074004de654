"""JSON Schemas of the formats lcgraph accepts, for editors and submission tools."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kg.entries import case_entry_json_schema

router = APIRouter(prefix="/schemas", tags=["schemas"])


@router.get(
    "/case-entries.json",
    response_model=dict[str, Any],
    summary="JSON Schema of case entries",
    response_description="A JSON Schema (draft 2020-12) document.",
)
def case_entries_schema() -> dict[str, Any]:
    """Return the JSON Schema of a file of case entries (a list, or ``{"entries": [...]}``).

    Webbers can point their editor at it (``$schema``) to check a JSON or YAML file while they
    write it; the format is described in ``docs/case-entries.md``. References to instruments,
    organisations and concepts are checked against the graph when the file is ingested.
    """
    return case_entry_json_schema()
