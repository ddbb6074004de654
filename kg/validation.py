"""SHACL validation of instance data against ``ontology/shapes.ttl``.

Data is validated together with the ontology and the concept schemes, so shapes can check that a
value is a concept of the right scheme. Each violation keeps its focus node, path and message, so
the CLI and the API can say exactly what is wrong and where.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyshacl import validate
from rdflib import SH, Graph
from rdflib.term import Node

from ontology.resources import concepts_graph, ontology_graph, shapes_graph


@dataclass(frozen=True)
class Violation:
    """One SHACL result: which node, which property, what is wrong, how bad."""

    focus: str
    path: str | None
    message: str
    severity: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.focus}" + (f" {self.path}" if self.path else "")
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: {where}: {self.message}{value}"


def _text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def validate_graph(data: Graph) -> list[Violation]:
    """Validate instance data with the shapes; return every result (empty when it conforms)."""
    full = Graph()
    for part in (data, ontology_graph(), concepts_graph()):
        for triple in part:
            full.add(triple)
    conforms, report, _ = validate(
        data_graph=full,
        shacl_graph=shapes_graph(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    if conforms:
        return []
    assert isinstance(report, Graph)
    out: list[Violation] = []
    # Only top-level results: nested ones (sh:detail of sh:node checks) repeat the same problem.
    for result in report.objects(None, SH.result):
        severity = report.value(result, SH.resultSeverity)
        out.append(
            Violation(
                focus=_text(report.value(result, SH.focusNode)) or "?",
                path=_text(report.value(result, SH.resultPath)),
                message=_text(report.value(result, SH.resultMessage)) or "does not conform",
                severity=str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation",
                value=_text(report.value(result, SH.value)),
            )
        )
    out.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return out
