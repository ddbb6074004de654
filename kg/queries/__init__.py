"""Saved example queries: the questions a researcher asks of the catalog, each explaining the ontology."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

QUERY_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class ExampleQuery:
    """A saved SPARQL query with a title in English and Dutch and a description."""

    id: str
    title: str
    title_nl: str
    description: str
    text: str


def _header(text: str, key: str) -> str:
    prefix = f"# {key}:"
    for line in text.splitlines():
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    return ""


def example_queries(directory: Path = QUERY_DIR) -> list[ExampleQuery]:
    """Return the saved queries in file order."""
    out = []
    for path in sorted(directory.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        out.append(
            ExampleQuery(
                id=path.stem,
                title=_header(text, "title"),
                title_nl=_header(text, "title@nl"),
                description=_header(text, "description"),
                text=text,
            )
        )
    return out
