"""The contribution forms of the web UI: instruments, experiences, development steps, self-assessments.

Publish or edit an instrument, report an experience with one, record a development step of a community,
fill in a success-factor self-assessment.

Each form is a server-rendered page (GET) that posts form-encoded fields back to itself. A post is turned
into the JSON shape of the API's pydantic input model (:class:`~kg.contributions.InstrumentInput`,
:class:`~kg.contributions.ExperienceInput`, :class:`~kg.contributions.StepInput`,
:class:`~kg.contributions.AssessmentInput`) and handed to the same :mod:`kg.contributions` function the JSON
API calls, so there is one validation path. What it refuses (a pydantic ``ValidationError`` or a kg
:class:`~kg.errors.InvalidInput`) comes back as messages next to the fields concerned, with a summary at the
top and every entered value kept. Success is a 303 redirect to the entity page with ``?submitted=<id>``,
where the page says whether the contribution is public or waits for moderation
(:mod:`api.web.viewer`).

Routes (authentication, CSRF, rate limits) live in ``api/routes/forms.py``; this module holds no HTTP
beyond the request it renders for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.requests import Request

from api.web.i18n import language_of, translator
from api.web.render import local_path, render
from api.web.viewer import SUBMITTED_PARAM, confirmation
from kg.catalog import instrument_iri
from kg.contributions import (
    AssessmentInput,
    Communities,
    ExperienceInput,
    Experiences,
    InstrumentExperiences,
    InstrumentInput,
    Instruments,
    StepInput,
    Submission,
    Submissions,
)
from kg.contributions.communities import success_factors
from kg.contributions.instruments import instrument_graph
from kg.errors import Conflict, Forbidden, InvalidInput, LcGraphError, NotFound, PreconditionFailed
from kg.graph import KnowledgeGraph
from kg.model import Label
from kg.permissions import Permission, Principal, allowed
from ontology.vocab import LC, concept

OUTCOME_ROWS = 3
"""Outcome rows (value type + text) the experience and step forms offer."""
RATINGS = (1, 2, 3, 4, 5)
LANGS = ("nl", "en")
Values = Mapping[str, Sequence[str]]

# ---------------------------------------------------------------------------------------------- state


def field_id(name: str) -> str:
    """Return the HTML id of the control for field ``name`` (``name.nl`` -> ``f-name-nl``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


@dataclass(frozen=True)
class Option:
    """One choice of a select or checkbox group."""

    value: str
    label: str
    hint: str = ""


@dataclass
class FormState:
    """The values a form shows and the problems found in them.

    Attributes:
        values: the entered values by field name (every field may carry several, like checkboxes).
        errors: messages by field name (a field, or a group such as ``name`` or ``target_roles``).
        summary: ``(control id, message)`` for the summary at the top, in the order found.
    """

    values: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    summary: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str:
        """Return the (first) value of a field, or ``""``."""
        found = self.values.get(name)
        return found[0] if found else ""

    def chosen(self, name: str) -> list[str]:
        """Return every value of a field (checkbox groups)."""
        return list(self.values.get(name, []))

    def error(self, name: str) -> str:
        """Return the messages about a field, joined, or ``""``."""
        return " ".join(self.errors.get(name, []))

    def add_error(self, key: str | None, message: str, anchor: str, label: str = "") -> None:
        """Record a problem about ``key`` (``None``: the form as a whole), linked from the summary.

        The summary names the field (``label``) before the message; beside the field the message suffices.
        """
        if key is not None and message not in self.errors.get(key, []):
            self.errors.setdefault(key, []).append(message)
        self.summary.append((anchor, f"{label}: {message}" if label else message))


def form_values(items: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """Collect posted form fields (strings only, files ignored) by name, stripped of outer spaces."""
    out: dict[str, list[str]] = {}
    for name, value in items:
        if isinstance(value, str) and name != "csrf_token":
            out.setdefault(name, []).append(value.strip())
    return out


@dataclass(frozen=True)
class Layout:
    """Which field names a form has, to put each message next to the right control.

    Attributes:
        fields: the names of single controls (``name.nl``, ``rating``, ``scores.sf01-x.score``).
        groups: group name -> the control a summary link focuses (``name`` -> ``name.nl``).
    """

    fields: frozenset[str]
    groups: Mapping[str, str]
    labels: Mapping[str, Callable[[Callable[..., str]], str]] = field(default_factory=dict)

    def key_for(self, loc: Sequence[str | int]) -> str | None:
        """Return the field or group that a location (``("outcomes", 0, "text")``) is about."""
        parts = [str(p) for p in loc]
        for n in range(len(parts), 0, -1):
            key = ".".join(parts[:n])
            if key in self.fields or key in self.groups:
                return key
        return None

    def label(self, key: str | None, t: Callable[..., str]) -> str:
        """Return the name of a field or group for the summary (``name.nl``: that of ``name``), or ``""``."""
        parts = key.split(".") if key else []
        for n in range(len(parts), 0, -1):
            found = self.labels.get(".".join(parts[:n]))
            if found is not None:
                return found(t)
        return ""

    def anchor(self, key: str | None) -> str:
        """Return the id the summary links to for ``key`` (the form itself when unknown)."""
        if key is None:
            return "contribution-form"
        return field_id(self.groups.get(key, key))


# ---------------------------------------------------------------------------------------------- messages

PYDANTIC_MESSAGES = {
    "missing": "form.err.missing",
    "string_too_short": "form.err.missing",
    "string_too_long": "form.err.too_long",
    "less_than_equal": "form.err.le",
    "greater_than_equal": "form.err.ge",
    "int_parsing": "form.err.integer",
    "int_from_float": "form.err.integer",
    "float_parsing": "form.err.number",
    "date_parsing": "form.err.date",
    "date_from_datetime_parsing": "form.err.date",
    "date_from_datetime_inexact": "form.err.date",
    "too_long": "form.err.too_many",
    "bool_parsing": "form.err.invalid",
}
SOME_TEXT = "give the text in Dutch (nl), English (en) or both"


def pydantic_message(err: Mapping[str, Any], t: Callable[..., str]) -> str:
    """Put one pydantic error into words of the interface (falling back to pydantic's own)."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    msg = str(err.get("msg", ""))
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return t("form.err.url") if pattern.startswith("^https?") else t("form.err.pattern")
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
        return t("form.err.some_text") if SOME_TEXT in text else text
    if kind in PYDANTIC_MESSAGES:
        if kind == "string_too_short" and int(ctx.get("min_length", 1)) > 1:
            return t("form.err.too_short", n=ctx.get("min_length"))
        values = {k: ctx[k] for k in ("max_length", "le", "ge") if k in ctx}
        return t(PYDANTIC_MESSAGES[kind], n=next(iter(values.values()), ""))
    return msg


def remap(loc: Sequence[str | int], rows: Mapping[str, Sequence[int]]) -> list[str | int]:
    """Turn a location in the validated data back into form field names.

    Empty outcome rows are left out before validation, so ``("outcomes", 0, ...)`` may be about row 2.
    """
    out = list(loc)
    if len(out) >= 2 and isinstance(out[1], int) and str(out[0]) in rows:
        kept = rows[str(out[0])]
        if out[1] < len(kept):
            out[1] = kept[out[1]]
    return out


def collect_errors(
    form: FormState,
    layout: Layout,
    exc: ValidationError | LcGraphError,
    t: Callable[..., str],
    rows: Mapping[str, Sequence[int]] | None = None,
    where: str | None = None,
) -> None:
    """Record the problems of a refused post next to the fields they concern."""
    if isinstance(exc, ValidationError):
        for err in exc.errors():
            key = layout.key_for(remap(err.get("loc", ()), rows or {}))
            form.add_error(key, pydantic_message(err, t), layout.anchor(key), layout.label(key, t))
        return
    fallback = where or exc.where
    default = layout.key_for(fallback.split(".")) if fallback else None
    # kg joins its problems as "field: message; field: message": put each beside its own field
    for part in exc.message.split("; "):
        head, sep, rest = part.partition(": ")
        named = layout.key_for(head.split(".")) if sep and " " not in head else None
        key = named or default
        form.add_error(key, rest if named else part, layout.anchor(key), layout.label(key, t))


# ---------------------------------------------------------------------------------------------- parsing


def _one(values: Values, name: str) -> str:
    found = values.get(name) or [""]
    return found[0].strip()


def _opt(values: Values, name: str) -> str | None:
    return _one(values, name) or None


def _text(values: Values, name: str) -> dict[str, str | None]:
    return {lang: _opt(values, f"{name}.{lang}") for lang in LANGS}


def _lines(values: Values, name: str) -> list[str]:
    return [line.strip() for line in _one(values, name).splitlines() if line.strip()]


def _many(values: Values, name: str) -> list[str]:
    return [v for v in values.get(name, []) if v]


def _put(data: MutableMapping[str, Any], key: str, value: str) -> None:
    """Set a required field only when given, so an empty one is reported as missing."""
    if value:
        data[key] = value


def _outcomes(values: Values) -> tuple[list[dict[str, str]], list[int]]:
    rows: list[dict[str, str]] = []
    kept: list[int] = []
    for i in range(OUTCOME_ROWS):
        value_type, text = _one(values, f"outcomes.{i}.value_type"), _one(values, f"outcomes.{i}.text")
        if value_type or text:
            row: dict[str, str] = {"text": text}
            _put(row, "value_type", value_type)
            rows.append(row)
            kept.append(i)
    return rows, kept


def instrument_data(values: Values, *, with_slug: bool = True) -> dict[str, object]:
    """Return the :class:`InstrumentInput` fields of a posted instrument form."""
    origin = _text(values, "origin_context")
    data: dict[str, object] = {
        "name": _text(values, "name"),
        "alt_names": _lines(values, "alt_names"),
        "purpose": _text(values, "purpose"),
        "description": _text(values, "description"),
        "target_group_text": _opt(values, "target_group_text"),
        "target_roles": _many(values, "target_roles"),
        "phases": _many(values, "phases"),
        "url": _opt(values, "url"),
        "origin_sectors": _many(values, "origin_sectors"),
        "origin_context": origin if any(origin.values()) else None,
        "developer_text": _opt(values, "developer_text"),
        "adaptation_of": _opt(values, "adaptation_of"),
    }
    _put(data, "kind", _one(values, "kind"))
    if with_slug:
        data["slug"] = _opt(values, "slug")
    return data


def experience_data(values: Values, instrument: str, lang: str) -> tuple[dict[str, object], list[int]]:
    """Return the :class:`ExperienceInput` fields of a posted experience form (and the outcome rows kept)."""
    outcomes, kept = _outcomes(values)
    data: dict[str, object] = {
        "instrument": instrument,
        "version": _opt(values, "version"),
        "case": _opt(values, "case"),
        "community": _opt(values, "community"),
        "sector": _opt(values, "sector"),
        "phase": _opt(values, "phase"),
        "context": _one(values, "context"),
        "group_composition": _opt(values, "group_composition"),
        "what_worked": _opt(values, "what_worked"),
        "what_did_not_work": _opt(values, "what_did_not_work"),
        "adaptations": _opt(values, "adaptations"),
        "outcomes": outcomes,
        "evidence_links": _lines(values, "evidence_links"),
        "language": _one(values, "language") or lang,
        "used_on": _opt(values, "used_on"),
    }
    _put(data, "rating", _one(values, "rating"))
    return data, kept


def step_data(values: Values, lang: str) -> tuple[dict[str, object], list[int]]:
    """Return the :class:`StepInput` fields of a posted step form (and the outcome rows kept)."""
    outcomes, kept = _outcomes(values)
    data: dict[str, object] = {
        "title": _one(values, "title"),
        "description": _opt(values, "description"),
        "phase": _opt(values, "phase"),
        "instruments": _many(values, "instruments"),
        "outcomes": outcomes,
        "language": _one(values, "language") or lang,
    }
    _put(data, "on", _one(values, "on"))
    _put(data, "kind", _one(values, "kind"))
    return data, kept


def assessment_data(values: Values, factors: Sequence[str], lang: str) -> dict[str, object]:
    """Return the :class:`AssessmentInput` fields of a posted self-assessment (factors left empty skipped)."""
    scores: dict[str, dict[str, str | None]] = {}
    for factor in factors:
        score, note = _one(values, f"scores.{factor}.score"), _opt(values, f"scores.{factor}.note")
        if score or note:
            entry: dict[str, str | None] = {"note": note}
            if score:
                entry["score"] = score
            scores[factor] = entry
    data: dict[str, object] = {
        "scores": scores,
        "shared": _one(values, "shared") in ("on", "true", "1"),
        "language": _one(values, "language") or lang,
    }
    _put(data, "on", _one(values, "on"))
    return data


# ---------------------------------------------------------------------------------------------- layouts


def _named(key: str, **values: object) -> Callable[[Callable[..., str]], str]:
    """Return the label of a field: the interface string ``key`` in the page's language."""
    return lambda t: t(key, **values)


def _literal(text: str) -> Callable[[Callable[..., str]], str]:
    """Return a label that is the same in every language (a concept's label, already translated)."""
    return lambda _t: text


def _row_field(row: int, key: str) -> Callable[[Callable[..., str]], str]:
    """Return the label of one control of an outcome row: "Outcome 2, value type"."""
    return lambda t: f"{t('form.outcome_n', n=row + 1)}, {t(key).lower()}"


def _labels(prefix: str, names: Iterable[str]) -> dict[str, Callable[[Callable[..., str]], str]]:
    return {name: _named(f"{prefix}.{name}") for name in names}


_OUTCOME_LABELS = {
    "outcomes": _named("form.outcomes"),
    **{f"outcomes.{i}": _named("form.outcome_n", n=i + 1) for i in range(OUTCOME_ROWS)},
    **{
        f"outcomes.{i}.{part}": _row_field(i, key)
        for i in range(OUTCOME_ROWS)
        for part, key in (("value_type", "form.value_type"), ("text", "form.outcome_text"))
    },
    "language": _named("form.language"),
}
_TEXT_GROUPS = ("name", "purpose", "description", "origin_context")
INSTRUMENT_LAYOUT = Layout(
    fields=frozenset(
        {f"{g}.{lang}" for g in _TEXT_GROUPS for lang in LANGS}
        | {"slug", "alt_names", "kind", "target_group_text", "url", "developer_text", "adaptation_of"}
    ),
    groups={
        **{g: f"{g}.nl" for g in _TEXT_GROUPS},
        "target_roles": "target_roles-0",
        "phases": "phases-0",
        "origin_sectors": "origin_sectors-0",
    },
    labels={
        **_labels("form.instrument", ("name", "slug", "kind", "purpose", "description", "phases")),
        **_labels("form.instrument", ("origin_context", "url", "alt_names")),
        "target_roles": _named("form.instrument.roles"),
        "target_group_text": _named("form.instrument.target_group"),
        "origin_sectors": _named("form.instrument.sectors"),
        "developer_text": _named("form.instrument.developer"),
        "adaptation_of": _named("form.instrument.adaptation_of"),
    },
)
_OUTCOME_FIELDS = {f"outcomes.{i}.{p}" for i in range(OUTCOME_ROWS) for p in ("value_type", "text")}
_OUTCOME_GROUPS = {
    "outcomes": "outcomes.0.value_type",
    **{f"outcomes.{i}": f"outcomes.{i}.text" for i in range(3)},
}
EXPERIENCE_LAYOUT = Layout(
    fields=frozenset(
        {
            "version",
            "case",
            "community",
            "sector",
            "phase",
            "context",
            "group_composition",
            "what_worked",
            "what_did_not_work",
            "adaptations",
            "rating",
            "evidence_links",
            "language",
            "used_on",
        }
        | _OUTCOME_FIELDS
    ),
    groups=_OUTCOME_GROUPS,
    labels={
        **_OUTCOME_LABELS,
        **_labels("form.experience", ("context", "sector", "phase", "case", "community", "version")),
        **_labels("form.experience", ("used_on", "rating", "adaptations")),
        "group_composition": _named("form.experience.group"),
        "what_worked": _named("form.experience.worked"),
        "what_did_not_work": _named("form.experience.not_worked"),
        "evidence_links": _named("form.experience.evidence"),
    },
)
STEP_LAYOUT = Layout(
    fields=frozenset({"on", "kind", "title", "description", "phase", "language"} | _OUTCOME_FIELDS),
    groups={**_OUTCOME_GROUPS, "instruments": "instruments-0"},
    labels={
        **_OUTCOME_LABELS,
        **_labels("form.step", ("on", "kind", "description", "phase", "instruments")),
        "title": _named("form.step.step_title"),
    },
)


def assessment_layout(factors: Sequence[Option]) -> Layout:
    """Return the layout of the self-assessment form for the given success factors."""
    fields = {"on", "shared", "language"}
    groups = {"scores": f"scores.{factors[0].value}.score" if factors else "on"}
    labels = {
        "on": _named("form.assessment.on"),
        "shared": _named("form.assessment.shared"),
        "language": _named("form.language"),
    }
    for factor in factors:
        f = factor.value
        fields |= {f"scores.{f}.score", f"scores.{f}.note"}
        groups[f"scores.{f}"] = f"scores.{f}.score"
        labels[f"scores.{f}"] = _literal(factor.label)
    return Layout(fields=frozenset(fields), groups=groups, labels=labels)


# ---------------------------------------------------------------------------------------------- choices


def concept_options(kg: KnowledgeGraph, scheme: str, lang: str) -> list[Option]:
    """Return the concepts of a scheme as choices (value: the slug the input models take)."""
    try:
        view = kg.scheme(scheme)
    except LcGraphError:
        return []
    prefix = scheme + "-"
    return [
        Option(c.id.removeprefix(prefix), c.label.best(lang) or c.id, c.definition.best(lang))
        for c in view.concepts
    ]


def instrument_options(kg: KnowledgeGraph, lang: str, exclude: str | None = None) -> list[Option]:
    """Return the public instruments as choices, by name."""
    found = [
        Option(i.id.split("/", 1)[-1], i.name.best(lang) or i.id)
        for i in kg.instruments()
        if i.id.split("/", 1)[-1] != exclude
    ]
    return sorted(found, key=lambda o: o.label.casefold())


def _entity_options(items: Iterable[Any], lang: str) -> list[Option]:
    return sorted(
        (Option(i.id.split("/", 1)[-1], i.name.best(lang) or i.id) for i in items),
        key=lambda o: o.label.casefold(),
    )


# ---------------------------------------------------------------------------------------------- pages


def login_redirect(request: Request, path: str | None = None) -> RedirectResponse:
    """Send someone who is not signed in to the sign-in page, to come back to ``path`` afterwards."""
    target = path or request.url.path
    return RedirectResponse("/login?next=" + quote(target, safe="/"), status_code=303)


def message(request: Request, key: str, **values: object) -> str:
    """Return an interface string in the request's language."""
    return translator(language_of(request))(key, **values)


def problem_page(request: Request, status: int, message: str) -> HTMLResponse:
    """Render the page a form flow answers with when it cannot go on (403, 404, 409, 429)."""
    t = translator(language_of(request))
    titles = {403: "form.denied", 404: "error.title", 409: "form.conflict", 429: "form.too_many"}
    return render(
        request,
        "form_problem.html",
        {"title": t(titles.get(status, "form.problem")), "detail": message, "status": status},
        status_code=status,
    )


def done(kind: str, slug: str, sub: Submission) -> RedirectResponse:
    """Redirect to the entity page after a contribution, where it confirms the submission's state."""
    path = f"/id/{kind}/{slug}?{SUBMITTED_PARAM}={quote(sub.id, safe='/')}"
    return RedirectResponse(path, status_code=303)


def _page(
    request: Request, template: str, form: FormState, context: dict[str, object], status: int
) -> HTMLResponse:
    return render(
        request,
        template,
        {"form": form, "field_id": field_id, "outcome_rows": range(OUTCOME_ROWS), **context},
        status_code=status,
    )


def _instrument_values(kg: KnowledgeGraph, slug: str) -> dict[str, list[str]]:
    """Return the form values of a public instrument (to prefill the edit form)."""
    inst = kg.instrument(slug)
    out: dict[str, list[str]] = {}

    def text(name: str, value: Label | None) -> None:
        for lang in LANGS:
            out[f"{name}.{lang}"] = [getattr(value, lang, None) or ""] if value else [""]

    def slugs(name: str, refs: Iterable[Any], scheme: str) -> None:
        out[name] = [r.id.removeprefix(scheme + "-") for r in refs]

    text("name", inst.name)
    text("purpose", inst.purpose)
    text("description", inst.description)
    text("origin_context", inst.origin_context)
    out["alt_names"] = ["\n".join(inst.alt_names)]
    out["kind"] = [inst.kind.id.removeprefix("instrument-kind-")] if inst.kind else []
    slugs("target_roles", inst.target_roles, "role")
    slugs("phases", inst.phases, "phase")
    slugs("origin_sectors", inst.origin_sectors, "sector")
    out["target_group_text"] = [inst.target_group_text or ""]
    out["url"] = [inst.url or ""]
    out["developer_text"] = [inst.developer_text or ""]
    adapts = kg.values(str(instrument_iri(slug))).get(str(LC.adaptationOf), [])
    out["adaptation_of"] = [adapts[0].value.rsplit("/", 1)[-1]] if adapts else []
    return out


def _editable(kg: KnowledgeGraph, slug: str) -> Submission:
    """Return the submission of an instrument published on the platform, or refuse (404, 409)."""
    sub = Submissions(kg).find(instrument_graph(slug))
    if sub is None:
        if kg.exists(str(instrument_iri(slug))):
            raise Conflict(
                "this instrument belongs to the curated catalog; report experiences with it, or ask the "
                "editors to change the catalog"
            )
        raise NotFound(f"no instrument {slug!r}")
    if sub.state != "approved":
        raise Conflict("this instrument awaits moderation; it can be changed once a moderator approved it")
    return sub


def instrument_form(
    request: Request,
    kg: KnowledgeGraph,
    principal: Principal,
    slug: str | None = None,
    form: FormState | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render the publish form (no ``slug``) or the edit form of instrument ``slug`` (prefilled)."""
    lang = language_of(request)
    title = None
    direct = True
    if slug is not None:
        sub = _editable(kg, slug)
        title = kg.instrument(slug).name.best(lang)
        direct = Submissions.may_edit(principal, sub)
        if form is None:
            form = FormState(values=_instrument_values(kg, slug) | {"etag": [Instruments(kg).etag(slug)]})
    context: dict[str, object] = {
        "slug": slug,
        "instrument_title": title,
        "direct": direct,
        "action": f"/instruments/{slug}/edit" if slug else "/instruments/new",
        "kinds": concept_options(kg, "instrument-kind", lang),
        "roles": concept_options(kg, "role", lang),
        "phases": concept_options(kg, "phase", lang),
        "sectors": concept_options(kg, "sector", lang),
        "instruments": instrument_options(kg, lang, exclude=slug),
    }
    return _page(request, "form_instrument.html", form or FormState(), context, status)


def submit_instrument(
    request: Request, kg: KnowledgeGraph, principal: Principal, values: Values, slug: str | None = None
) -> Response:
    """Publish (or, with ``slug``, change) an instrument from a posted form; re-render it when refused."""
    t = translator(language_of(request))
    form = FormState(values={k: list(v) for k, v in values.items()})
    instruments = Instruments(kg)
    if slug is not None:
        _editable(kg, slug)
    try:
        data = InstrumentInput.model_validate(instrument_data(values, with_slug=slug is None))
        if slug is None:
            sub = instruments.publish(principal, data)
        else:
            # the entity tag the form was opened with: a change made since then is not overwritten
            sub = instruments.update(principal, slug, data, expected_etag=_one(values, "etag") or None)
    except PreconditionFailed as exc:
        form.values["etag"] = [exc.current_etag or ""]
        form.add_error(None, t("form.changed_meanwhile"), INSTRUMENT_LAYOUT.anchor(None))
    except ValidationError as exc:
        collect_errors(form, INSTRUMENT_LAYOUT, exc, t)
    except InvalidInput as exc:
        collect_errors(form, INSTRUMENT_LAYOUT, exc, t)
    except Conflict as exc:
        if slug is not None:
            raise
        collect_errors(form, INSTRUMENT_LAYOUT, exc, t, where="slug")
    else:
        target = sub.entity.rsplit("/", 1)[-1] if sub.entity else (slug or "")
        return done("instrument", target, sub)
    return instrument_form(request, kg, principal, slug, form, status=400)


def _public_instrument(kg: KnowledgeGraph, slug: str) -> Any:
    try:
        return kg.instrument(slug)
    except NotFound:
        raise NotFound(f"no public instrument {slug!r}") from None


def experience_form(
    request: Request,
    kg: KnowledgeGraph,
    slug: str,
    form: FormState | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render the form to report an experience with instrument ``slug``."""
    lang = language_of(request)
    inst = _public_instrument(kg, slug)
    versions = [Option(v.version, v.version) for v in Instruments(kg).versions(slug)]
    if form is None:
        form = FormState(values={"language": [lang]})
    context: dict[str, object] = {
        "slug": slug,
        "instrument_title": inst.name.best(lang),
        "versions": versions,
        "cases": _entity_options(kg.cases(), lang),
        "communities": _entity_options(kg.communities(), lang),
        "sectors": concept_options(kg, "sector", lang),
        "phases": concept_options(kg, "phase", lang),
        "value_types": concept_options(kg, "value-cycle", lang),
        "ratings": RATINGS,
    }
    return _page(request, "form_experience.html", form, context, status)


def submit_experience(
    request: Request, kg: KnowledgeGraph, principal: Principal, slug: str, values: Values
) -> Response:
    """Report an experience from a posted form; re-render the form with the problems when refused."""
    lang = language_of(request)
    t = translator(lang)
    _public_instrument(kg, slug)
    form = FormState(values={k: list(v) for k, v in values.items()})
    data, kept = experience_data(values, slug, lang)
    try:
        sub = Experiences(kg).report(principal, ExperienceInput.model_validate(data))
    except (ValidationError, InvalidInput) as exc:
        collect_errors(form, EXPERIENCE_LAYOUT, exc, t, rows={"outcomes": kept})
    else:
        return done("instrument", slug, sub)
    return experience_form(request, kg, slug, form, status=400)


def _community(kg: KnowledgeGraph, principal: Principal, slug: str) -> Any:
    Communities(kg).check_may_record(principal, slug)
    return kg.community(slug)


def step_form(
    request: Request,
    kg: KnowledgeGraph,
    principal: Principal,
    slug: str,
    form: FormState | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render the form to record a development step of community ``slug``."""
    lang = language_of(request)
    com = _community(kg, principal, slug)
    if form is None:
        form = FormState(values={"on": [date.today().isoformat()], "language": [lang]})
    context: dict[str, object] = {
        "slug": slug,
        "community_title": com.name.best(lang),
        "kinds": concept_options(kg, "step-kind", lang),
        "phases": concept_options(kg, "phase", lang),
        "value_types": concept_options(kg, "value-cycle", lang),
        "instruments": instrument_options(kg, lang),
    }
    return _page(request, "form_step.html", form, context, status)


def submit_step(
    request: Request, kg: KnowledgeGraph, principal: Principal, slug: str, values: Values
) -> Response:
    """Record a development step from a posted form; re-render the form with the problems when refused."""
    lang = language_of(request)
    t = translator(lang)
    _community(kg, principal, slug)
    form = FormState(values={k: list(v) for k, v in values.items()})
    data, kept = step_data(values, lang)
    try:
        sub = Communities(kg).add_step(principal, slug, StepInput.model_validate(data))
    except (ValidationError, InvalidInput) as exc:
        collect_errors(form, STEP_LAYOUT, exc, t, rows={"outcomes": kept})
    else:
        return done("community", slug, sub)
    return step_form(request, kg, principal, slug, form, status=400)


def factor_options(kg: KnowledgeGraph, lang: str) -> list[Option]:
    """Return the twelve success factors in order, with their labels and definitions."""
    labels = {o.value: o for o in concept_options(kg, "success-factor", lang)}
    return [labels.get(f) or Option(f, f) for f in success_factors()]


def assessment_form(
    request: Request,
    kg: KnowledgeGraph,
    principal: Principal,
    slug: str,
    form: FormState | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Render the self-assessment of the twelve success factors for community ``slug``."""
    lang = language_of(request)
    com = _community(kg, principal, slug)
    if form is None:
        form = FormState(values={"on": [date.today().isoformat()], "language": [lang]})
    factors = factor_options(kg, lang)
    context: dict[str, object] = {
        "slug": slug,
        "community_title": com.name.best(lang),
        "factors": factors,
        "score_options": [Option(str(n), translator(lang)(f"form.assessment.score_{n}")) for n in RATINGS],
    }
    return _page(request, "form_assessment.html", form, context, status)


def submit_assessment(
    request: Request, kg: KnowledgeGraph, principal: Principal, slug: str, values: Values
) -> Response:
    """Record a self-assessment from a posted form; re-render the form with the problems when refused."""
    lang = language_of(request)
    t = translator(lang)
    _community(kg, principal, slug)
    factors = factor_options(kg, lang)
    form = FormState(values={k: list(v) for k, v in values.items()})
    try:
        data = AssessmentInput.model_validate(assessment_data(values, [f.value for f in factors], lang))
        sub = Communities(kg).assess(principal, slug, data)
    except (ValidationError, InvalidInput) as exc:
        collect_errors(form, assessment_layout(factors), exc, t)
    else:
        return done("community", slug, sub)
    return assessment_form(request, kg, principal, slug, form, status=400)


# ---------------------------------------------------------------------------------------------- entity pages


@dataclass(frozen=True)
class Bar:
    """One bar of a histogram: a value, its count and its share of the largest count (0-100)."""

    label: str
    count: int
    percent: int


def _bars(counts: Mapping[str, int], label: Callable[[str], str]) -> list[Bar]:
    top = max(counts.values(), default=0)
    return [Bar(label(k), n, round(100 * n / top) if top else 0) for k, n in counts.items()]


def experience_block(
    kg: KnowledgeGraph, found: InstrumentExperiences | None, lang: str, *, place: bool = False
) -> dict[str, object] | None:
    """Return the context of the experiences block (``_experiences.html``) for the reports ``found``.

    ``place``: the block is on a case or community page, so each report names its instrument and there
    is no "report an experience" link there (a report starts from the instrument's page).
    """
    if found is None:
        return None
    labels = kg.labels()

    def concept_label(scheme: str) -> Callable[[str], str]:
        def name(value: str) -> str:
            found = labels.get(str(concept(scheme, value)))
            return found.best(lang) if found else value

        return name

    def of(iri: str | None) -> str:
        if not iri:
            return ""
        found = labels.get(iri)
        return found.best(lang) if found else iri.rsplit("/", 1)[-1]

    agg = found.aggregate
    return {
        "count": agg.count,
        "mean": agg.mean_rating,
        "ratings": _bars({str(k): v for k, v in sorted(agg.ratings.items())}, str),
        "sectors": _bars(agg.sectors, concept_label("sector")),
        "phases": _bars(agg.phases, concept_label("phase")),
        "reports": found.experiences,
        "name": of,
        "value_type": concept_label("value-cycle"),
        "place": place,
    }


def instrument_extras(kg: KnowledgeGraph, principal: Principal, slug: str, lang: str) -> dict[str, object]:
    """Return what an instrument page adds for contributions: its experiences and the links to forms."""
    try:
        found: InstrumentExperiences | None = Experiences(kg).for_instrument(slug)
    except LcGraphError:
        found = None
    experiences = experience_block(kg, found, lang)
    sub = Submissions(kg).find(instrument_graph(slug))
    edit = None
    if sub is not None and sub.state == "approved" and allowed(principal, Permission.EDIT_PROPOSE):
        edit = "edit" if Submissions.may_edit(principal, sub) else "propose"
    return {
        "experiences": experiences,
        "contribute": {
            "signed_in": not principal.is_anonymous,
            "publish": allowed(principal, Permission.INSTRUMENT_CREATE),
            "report": allowed(principal, Permission.EXPERIENCE_CREATE),
            "edit": edit,
            "report_path": f"/instruments/{slug}/experiences/new",
            "edit_path": f"/instruments/{slug}/edit",
        },
    }


def community_extras(kg: KnowledgeGraph, principal: Principal, slug: str, lang: str) -> dict[str, object]:
    """Return what a community or case page adds for contributions.

    That is the experiences reported there, and the links to record steps and self-assessments (for
    those who may).
    """
    try:
        found: InstrumentExperiences | None = Experiences(kg).for_community(slug)
    except LcGraphError:
        found = None
    may = False
    if allowed(principal, Permission.CASE_CREATE):
        try:
            Communities(kg).check_may_record(principal, slug)
            may = True
        except (Forbidden, NotFound):
            may = False
    return {
        "experiences": experience_block(kg, found, lang, place=True),
        "record": {
            "allowed": may,
            "step_path": f"/communities/{slug}/steps/new",
            "assessment_path": f"/communities/{slug}/assessments/new",
        },
    }


def pending_page(request: Request, kg: KnowledgeGraph, principal: Principal) -> HTMLResponse | None:
    """Render the confirmation of a contribution whose entity is not public yet, for its submitter.

    ``None`` when the request names no submission about this page's entity that ``principal`` may see.
    """
    found = confirmation(request, principal, kg)
    if found is None or not found.submission.entity:
        return None
    if local_path(found.submission.entity, kg.settings.base_iri) != request.url.path:
        return None
    return render(request, "form_received.html", {"submission": found.submission})


__all__ = [
    "FormState",
    "Layout",
    "Option",
    "assessment_form",
    "community_extras",
    "experience_block",
    "experience_form",
    "field_id",
    "form_values",
    "instrument_extras",
    "instrument_form",
    "login_redirect",
    "message",
    "pending_page",
    "problem_page",
    "step_form",
    "submit_assessment",
    "submit_experience",
    "submit_instrument",
    "submit_step",
]
