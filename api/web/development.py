"""A community's development on its case and community pages: the timeline and the self-assessment chart.

The numbers come from :meth:`kg.contributions.Communities.progress` for the page's viewer, so the page
shows exactly what ``GET /communities/{slug}/progress`` shows the same principal (private assessments
to their owner only). The chart is server-rendered SVG, one small chart per success factor (small
multiples: twelve lines in one chart cannot be told apart), with the same numbers in a table beside it.
No script and no inline style: geometry goes in SVG attributes, colours in ``app.css`` classes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from kg.contributions import Communities, Progress
from kg.errors import NotFound
from kg.graph import KnowledgeGraph
from kg.model import Label
from kg.permissions import Principal
from ontology.vocab import concept

# One small chart: a viewBox of WIDTH x HEIGHT with room for the score labels (left) and dates (below).
WIDTH, HEIGHT = 220.0, 120.0
LEFT, RIGHT, TOP, BOTTOM = 22.0, 10.0, 8.0, 22.0
LOW, HIGH = 1.0, 5.0


@dataclass(frozen=True)
class Point:
    """One score in a factor's chart."""

    x: float
    y: float
    on: str
    score: float
    private: bool = False


@dataclass(frozen=True)
class FactorChart:
    """The small chart of one success factor: its points, the peers' mean line and the grid."""

    factor: str
    label: str
    points: list[Point]
    polyline: str
    peer: float | None
    peer_y: float | None
    change: float | None
    description: str


@dataclass(frozen=True)
class StepRow:
    """A development step as the timeline lists it."""

    on: str
    kind: str
    title: str
    description: str | None
    phase: str | None
    instruments: list[tuple[str, str]]
    outcomes: list[str]


@dataclass(frozen=True)
class Development:
    """Everything the ``timeline`` block of a case or community page shows."""

    slug: str
    steps: list[StepRow]
    dates: list[str]
    private: list[bool]
    charts: list[FactorChart]
    rows: list[dict[str, object]]
    means: list[str]
    peer_count: int
    grid: list[tuple[float, float]]
    x_labels: list[tuple[float, str, str]]


def score_y(score: float) -> float:
    """Return the SVG y of a score (1 at the bottom of the plot area, 5 at the top)."""
    span = HEIGHT - TOP - BOTTOM
    return round(TOP + (HIGH - score) / (HIGH - LOW) * span, 2)


def date_xs(dates: list[str]) -> list[float]:
    """Return the SVG x of each date, spaced by time (one date sits in the middle)."""
    span = WIDTH - LEFT - RIGHT
    if not dates:
        return []
    days = [date.fromisoformat(d).toordinal() for d in dates]
    first, last = min(days), max(days)
    if first == last:
        return [round(LEFT + span / 2, 2) for _ in days]
    return [round(LEFT + (d - first) / (last - first) * span, 2) for d in days]


def format_number(value: float, lang: str, *, signed: bool = False) -> str:
    """Write a score or a change as people read it: 3, 3,5 (Dutch) or 3.5, with a sign for changes."""
    text = f"{value:g}"
    if lang == "nl":
        text = text.replace(".", ",")
    if signed and value > 0:
        text = "+" + text
    return text.replace("-", "−")


def community_slug(iri: str) -> str:
    """Return the slug of a community IRI (its last path segment)."""
    return iri.rstrip("/").rsplit("/", 1)[-1]


def development(
    kg: KnowledgeGraph,
    principal: Principal,
    slug: str,
    lang: str,
    t: Callable[..., str],
) -> Development | None:
    """Return the timeline and charts of community ``slug`` as ``principal`` may see them.

    Returns ``None`` when the community is unknown to the principal (the page then says nothing is
    recorded), like the JSON API's 404.
    """
    try:
        progress = Communities(kg).progress(principal, slug)
    except NotFound:
        return None
    labels = kg.labels()
    return build(progress, slug, labels, lang, t)


def _label(labels: Mapping[str, Label], iri: str, lang: str, fallback: str) -> str:
    found = labels.get(iri)
    return (found.best(lang) if found is not None else "") or fallback


def build(
    progress: Progress, slug: str, labels: Mapping[str, Label], lang: str, t: Callable[..., str]
) -> Development:
    """Lay out a community's progress: steps in date order, one chart and one table row per factor."""
    steps = [
        StepRow(
            on=s.on[:10],
            kind=_label(labels, str(concept("step-kind", s.kind)), lang, s.kind),
            title=s.title,
            description=s.description,
            phase=_label(labels, str(concept("phase", s.phase)), lang, s.phase) if s.phase else None,
            instruments=[(i, _label(labels, i, lang, community_slug(i))) for i in s.instruments],
            outcomes=[o.text for o in s.outcomes],
        )
        for s in sorted(progress.steps, key=lambda s: (s.on, s.iri))
    ]
    runs = sorted(progress.assessments, key=lambda a: a.on)
    dates = [a.on for a in runs]
    xs = date_xs(dates)
    factors = sorted({f for a in runs for f in a.scores} | set(progress.change))
    charts: list[FactorChart] = []
    rows: list[dict[str, object]] = []
    for factor in factors:
        name = _label(labels, str(concept("success-factor", factor)), lang, factor)
        points = [
            Point(x, score_y(a.scores[factor].score), a.on, a.scores[factor].score, not a.shared)
            for x, a in zip(xs, runs, strict=True)
            if factor in a.scores
        ]
        peer = progress.peers.get(factor)
        change = progress.change.get(factor)
        values = ", ".join(f"{p.on}: {format_number(p.score, lang)}" for p in points)
        if peer is not None:
            values += "; " + t("dev.peer_label", mean=format_number(peer, lang))
        charts.append(
            FactorChart(
                factor=factor,
                label=name,
                points=points,
                polyline=" ".join(f"{p.x},{p.y}" for p in points),
                peer=peer,
                peer_y=score_y(peer) if peer is not None else None,
                change=change,
                description=t("dev.chart_label", factor=name, values=values),
            )
        )
        rows.append(
            {
                "factor": factor,
                "label": name,
                "scores": [
                    format_number(a.scores[factor].score, lang) if factor in a.scores else "–" for a in runs
                ],
                "change": format_number(change, lang, signed=True) if change is not None else "–",
                "peer": format_number(peer, lang) if peer is not None else "–",
            }
        )
    # the first and last date under the plot (x, text, text-anchor), kept inside the viewBox
    x_labels: list[tuple[float, str, str]] = []
    if dates and dates[-1] != dates[0]:
        x_labels = [(xs[0], dates[0], "start"), (xs[-1], dates[-1], "end")]
    elif dates:
        x_labels = [(xs[0], dates[0], "middle")]
    return Development(
        slug=slug,
        steps=steps,
        dates=dates,
        private=[not a.shared for a in runs],
        charts=charts,
        rows=rows,
        means=[format_number(a.mean, lang) for a in runs],
        peer_count=progress.peer_count,
        grid=[(s, score_y(s)) for s in (1.0, 2.0, 3.0, 4.0, 5.0)],
        x_labels=x_labels,
    )
