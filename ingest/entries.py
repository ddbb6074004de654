"""Case and community entries submitted as files (JSON, YAML or CSV), validated and written for review.

Webbers describe their cases in the catalog's case format (:class:`kg.entries.CaseEntry`, see
``docs/case-entries.md``). A file is read into an :class:`EntryBatch`, every entry is validated
(pydantic, then cross-references against the current graph, then SHACL on the mapped facts) and
the valid entries are written into one named graph per file, ``lcg:submission/<sha256[:16]>``,
with review state *proposed*. Every problem names the file, the row (CSV, counted from the first
data row) or entry (JSON/YAML, counted from 1), the slug and the field:
``"cases.csv: row 3 (my-case), field instruments: unknown instrument 'x'"``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
import yaml
from pydantic import ValidationError
from rdflib import RDF, SKOS, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCTERMS

from kg.catalog import Catalog, CatalogMapper, case_iri, case_reference_problems, community_iri, facts_graph
from kg.entries import CaseEntry
from kg.errors import InvalidInput
from kg.graph import REGISTRY, KnowledgeGraph, content_hash
from kg.provenance import Provenance, Triple, with_provenance
from kg.validation import validate_graph
from ontology.vocab import LC, LCC, LCD, LCG

EntryFormat = Literal["json", "yaml", "csv"]
SUFFIXES: dict[str, EntryFormat] = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
MAX_BYTES = 10 * 1024 * 1024
SUBMISSION_PREFIX = "submission/"

# ------------------------------------------------------------------------------ CSV layout

CSV_COLUMNS: tuple[str, ...] = (
    "slug",
    "code",
    "name_nl",
    "name_en",
    "alt_names",
    "entity",
    "forms",
    "scale_level",
    "framework_level",
    "part_of",
    "participants",
    "practices",
    "community_description_nl",
    "community_description_en",
    "description_nl",
    "description_en",
    "sectors",
    "challenges",
    "region_nl",
    "region_en",
    "phases",
    "instruments",
    "principal_investigators",
    "lessons_nl",
    "lessons_en",
    "source_cite",
    "source_section",
)
"""The fixed CSV columns; outcomes add ``outcome_<n>_<part>`` columns (see :data:`OUTCOME_COLUMN`)."""

CSV_REQUIRED: tuple[str, ...] = (
    "slug",
    "name_nl",
    "name_en",
    "entity",
    "description_nl",
    "description_en",
)
CSV_LIST_SEPARATOR = ";"
OUTCOME_COLUMN = re.compile(r"^outcome_(\d+)_(nl|en|level|value_cycle|capital|stakeholder)$")
"""Outcome columns: ``outcome_1_nl``, ``outcome_1_en``, ``outcome_1_level``, ``outcome_1_value_cycle``,
``outcome_1_capital``, ``outcome_1_stakeholder``, then ``outcome_2_...`` and so on (any number)."""

_COMMUNITY_LISTS = ("forms", "participants", "practices")
_COMMUNITY_SINGLE = ("scale_level", "framework_level", "part_of")
_CASE_LISTS = ("sectors", "challenges", "phases", "instruments", "principal_investigators")

Loc = tuple[str | int, ...]


# ------------------------------------------------------------------------------- batches


@dataclass
class EntryRecord:
    """One entry of a submitted file: where it is, what it says, what is wrong with it.

    Attributes:
        number: the 1-based data row (CSV) or entry index (JSON/YAML).
        where: the location used in problems, e.g. ``"cases.csv: row 3 (my-case)"``.
        slug: the slug as written, when there is one.
        entry: the validated entry, or ``None`` when it did not validate.
        problems: every problem found in this entry.
        csv: whether the entry came from a CSV row (fields are then reported as column names).
        outcome_columns: for CSV rows, the ``<n>`` of ``outcome_<n>_*`` of each outcome, in order.
    """

    number: int
    where: str
    slug: str | None
    entry: CaseEntry | None = None
    problems: list[str] = field(default_factory=list)
    csv: bool = False
    outcome_columns: list[int] = field(default_factory=list)

    @property
    def citation(self) -> str:
        """Return the place of the entry in its file: ``"row 3"`` or ``"entry 3"``."""
        return f"{'row' if self.csv else 'entry'} {self.number}"

    @property
    def valid(self) -> bool:
        """Tell whether the entry validated and no problem was found."""
        return self.entry is not None and not self.problems

    def problem(self, loc: Loc | str, message: str) -> str:
        """Record and return a problem at a field of this entry.

        Args:
            loc: the field as a location (list positions counted from 1) or a dotted path.
            message: what is wrong.
        """
        text = f"{self.where}, field {self.field_name(loc)}: {message}"
        self.problems.append(text)
        return text

    def field_name(self, loc: Loc | str) -> str:
        """Return the user-facing name of a field: a CSV column for CSV rows, else a dotted path."""
        if isinstance(loc, str):
            loc = tuple(int(p) if p.isdigit() else p for p in loc.split("."))
        if self.csv:
            return _csv_column(loc, self.outcome_columns)
        return ".".join(str(p) for p in loc) or "(entry)"


@dataclass
class EntryBatch:
    """The entries read from one file.

    Attributes:
        path: the file.
        format: json, yaml or csv.
        sha256: hash of the raw bytes, the identity of the submission.
        records: one record per entry (valid or not), in file order.
        problems: problems of the file as a whole (syntax, header, shape); they block every entry.
    """

    path: Path
    format: EntryFormat
    sha256: str
    records: list[EntryRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def entries(self) -> list[CaseEntry]:
        """Return the entries that validated (and have no problem so far)."""
        return [r.entry for r in self.records if r.valid and r.entry is not None]

    @property
    def all_problems(self) -> list[str]:
        """Return the file problems followed by every entry problem, in file order."""
        return self.problems + [p for r in self.records for p in r.problems]


def _csv_column(loc: Loc, outcome_columns: Sequence[int]) -> str:
    """Map a location in a case entry to the CSV column that holds it."""
    parts = [p for p in loc if isinstance(p, str)]
    if not parts:
        return "(row)"
    head = parts[0]
    if head in ("slug", "code", "entity", "alt_names"):
        return head
    if head == "name":
        return f"name_{parts[1]}" if len(parts) > 1 and parts[1] in ("nl", "en") else "name_nl"
    if head == "source":
        return "source_section" if "section" in parts else "source_cite"
    rest = parts[1:]
    if head == "community" and rest:
        if rest[0] == "description":
            return f"community_description_{rest[1] if len(rest) > 1 else 'nl'}"
        return rest[0]
    if head == "case" and rest:
        name = rest[0]
        if name in ("description", "region"):
            return f"{name}_{rest[1] if len(rest) > 1 and rest[1] in ('nl', 'en') else 'nl'}"
        if name == "lessons":
            return f"lessons_{rest[1] if len(rest) > 1 and rest[1] in ('nl', 'en') else 'nl'}"
        if name == "outcomes":
            positions = [p for p in loc if isinstance(p, int)]
            if not positions:
                return "outcome_1_nl"
            pos = positions[0]
            number = outcome_columns[pos - 1] if 0 < pos <= len(outcome_columns) else pos
            part = rest[1] if len(rest) > 1 else "nl"
            if part == "text":
                part = rest[2] if len(rest) > 2 and rest[2] in ("nl", "en") else "nl"
            return f"outcome_{number}_{part}"
        return name
    return ".".join(str(p) for p in loc)


def _where(path: Path, unit: str, number: int, slug: object) -> str:
    label = slug if isinstance(slug, str) and slug.strip() else "?"
    return f"{path.name}: {unit} {number} ({label})"


def _validate_record(record: EntryRecord, raw: object) -> None:
    """Validate one raw entry with the CaseEntry model and record every error at its field."""
    if not isinstance(raw, dict):
        record.problem("(entry)", f"expected a mapping of fields, found {type(raw).__name__}")
        return
    try:
        record.entry = CaseEntry.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p + 1 if isinstance(p, int) else p for p in err["loc"])
            record.problem(loc, err["msg"])


# --------------------------------------------------------------------------------- reading


def detect_format(path: Path) -> EntryFormat:
    """Return the entry format of a file from its suffix.

    Raises:
        InvalidInput: the suffix is not .json, .yaml, .yml or .csv.
    """
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(SUFFIXES))
        raise InvalidInput(f"unknown entry format {path.suffix or '(none)'!r}; use {known}", where=path.name)
    return fmt


def read_entries(path: Path, *, max_bytes: int = MAX_BYTES) -> EntryBatch:
    """Read and validate (pydantic) the case entries of a JSON, YAML or CSV file.

    Nothing is checked against the graph here; see :func:`check_entry_references`. Problems are
    collected in the batch (per entry, or for the whole file when it cannot be read), not raised.

    Args:
        path: the file; its suffix selects the format.
        max_bytes: larger files are refused.

    Raises:
        InvalidInput: the file is missing, too large or of an unknown format.
    """
    fmt = detect_format(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror or exc}", where=path.name) from exc
    if len(raw) > max_bytes:
        raise InvalidInput(
            f"the file has {len(raw)} bytes, more than the limit of {max_bytes}", where=path.name
        )
    batch = EntryBatch(path=path, format=fmt, sha256=hashlib.sha256(raw).hexdigest())
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        batch.problems.append(f"{path.name}: byte {exc.start}: not UTF-8 text")
        return batch
    if fmt == "csv":
        _read_csv(batch, text)
    else:
        _read_structured(batch, text)
    if not batch.records and not batch.problems:
        batch.problems.append(f"{path.name}: the file holds no entries")
    _check_duplicate_slugs(batch)
    return batch


def _read_structured(batch: EntryBatch, text: str) -> None:
    name = batch.path.name
    data: Any
    if batch.format == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            batch.problems.append(f"{name}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}")
            return
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{name}: line {mark.line + 1}, column {mark.column + 1}" if mark is not None else name
            problem = getattr(exc, "problem", None) or str(exc)
            batch.problems.append(f"{where}: not valid YAML: {problem}")
            return
    if data is None:
        return
    if isinstance(data, dict):
        extra = sorted(set(data) - {"entries", "$schema"})
        if "entries" not in data or extra:
            what = f"unexpected keys {', '.join(map(str, extra))}" if extra else "no 'entries' list"
            batch.problems.append(f"{name}: expected a list of entries or {{'entries': [...]}}, found {what}")
            return
        data = data["entries"]
    if not isinstance(data, list):
        batch.problems.append(f"{name}: expected a list of entries, found {type(data).__name__}")
        return
    for number, raw in enumerate(data, start=1):
        slug = raw.get("slug") if isinstance(raw, dict) else None
        record = EntryRecord(number=number, where=_where(batch.path, "entry", number, slug), slug=_str(slug))
        _validate_record(record, raw)
        batch.records.append(record)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter (comma, semicolon or tab) that splits the header into the most known columns."""
    known = set(CSV_COLUMNS)

    def score(delimiter: str) -> int:
        cells = [c.strip().strip('"').lower() for c in header_line.split(delimiter)]
        return sum(1 for c in cells if c in known or OUTCOME_COLUMN.match(c))

    return max((",", ";", "\t"), key=score)


def _read_csv(batch: EntryBatch, text: str) -> None:
    name = batch.path.name
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = [c.strip().lower() for c in header]
        if not _check_header(batch, columns):
            return
        for number, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            cells = dict(zip(columns, values, strict=False))
            slug = (cells.get("slug") or "").strip()
            record = EntryRecord(
                number=number, where=_where(batch.path, "row", number, slug), slug=slug or None, csv=True
            )
            batch.records.append(record)
            if len(values) > len(columns):
                extra = values[len(columns)]
                record.problem(
                    f"column {len(columns) + 1}",
                    f"unexpected value {extra[:40]!r} after the last column (the header has {len(columns)} "
                    f"columns, the row {len(values)} values; quote values that contain the delimiter)",
                )
                continue
            _validate_record(record, _row_to_entry(cells, record))
    except csv.Error as exc:
        batch.problems.append(f"{name}: line {reader.line_num}: not valid CSV: {exc}")


def _check_header(batch: EntryBatch, columns: list[str]) -> bool:
    name = batch.path.name
    known = set(CSV_COLUMNS)
    ok = True
    unknown = [c for c in columns if c not in known and not OUTCOME_COLUMN.match(c)]
    for column in unknown:
        batch.problems.append(f"{name}: header, field {column or '(empty)'}: unknown column")
        ok = False
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            batch.problems.append(f"{name}: header, field {column}: column appears more than once")
            ok = False
        seen.add(column)
    for column in CSV_REQUIRED:
        if column not in seen:
            batch.problems.append(f"{name}: header, field {column}: required column is missing")
            ok = False
    return ok


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(CSV_LIST_SEPARATOR) if part.strip()]


def _cell(cells: dict[str, str], column: str) -> str | None:
    value = (cells.get(column) or "").strip()
    return value or None


def _text(cells: dict[str, str], prefix: str) -> dict[str, str] | None:
    text = {lang: v for lang in ("nl", "en") if (v := _cell(cells, f"{prefix}_{lang}")) is not None}
    return text or None


def _row_to_entry(cells: dict[str, str], record: EntryRecord) -> dict[str, Any]:
    """Turn one CSV row into the nested case-entry structure (empty cells are left out)."""
    entry: dict[str, Any] = {}
    for column in ("slug", "code", "entity"):
        if (value := _cell(cells, column)) is not None:
            entry[column] = value
    if (name := _text(cells, "name")) is not None:
        entry["name"] = name
    entry["alt_names"] = _split(cells.get("alt_names"))
    community: dict[str, Any] = {c: _split(cells.get(c)) for c in _COMMUNITY_LISTS}
    community.update({c: _cell(cells, c) for c in _COMMUNITY_SINGLE})
    community["description"] = _text(cells, "community_description")
    case: dict[str, Any] = {c: _split(cells.get(c)) for c in _CASE_LISTS}
    if (description := _text(cells, "description")) is not None:
        case["description"] = description
    case["region"] = _text(cells, "region")
    case["lessons"] = [
        {k: v for k, v in (("nl", nl), ("en", en)) if v is not None}
        for nl, en in zip_longest(_split(cells.get("lessons_nl")), _split(cells.get("lessons_en")))
    ]
    outcomes: dict[int, dict[str, Any]] = {}
    for column, value in cells.items():
        match = OUTCOME_COLUMN.match(column)
        if match and value.strip():
            outcomes.setdefault(int(match.group(1)), {})[match.group(2)] = value.strip()
    case["outcomes"] = []
    for number in sorted(outcomes):
        parts = outcomes[number]
        text = {k: parts.pop(k) for k in ("nl", "en") if k in parts}
        case["outcomes"].append({"text": text, **parts})
        record.outcome_columns.append(number)
    entry["community"] = community
    entry["case"] = case
    if (cite := _cell(cells, "source_cite")) is not None:
        entry["source"] = {"cite": cite, "section": _cell(cells, "source_section")}
    return entry


def _check_duplicate_slugs(batch: EntryBatch) -> None:
    first: dict[str, int] = {}
    for record in batch.records:
        if record.slug is None:
            continue
        if record.slug in first:
            unit = "row" if record.csv else "entry"
            record.problem("slug", f"slug {record.slug!r} is already used by {unit} {first[record.slug]}")
        else:
            first[record.slug] = record.number


# ---------------------------------------------------------------------- cross-references


@dataclass(frozen=True)
class KnownTerms:
    """What entries may refer to: the concepts and entities of the current graph.

    Attributes:
        concepts: concept ids ``"<scheme>-<slug>"`` (for example ``"sector-energy"``).
        instruments: instrument slugs.
        organisations: organisation slugs.
        people: person slugs.
        cases: case slugs.
        communities: community and collective slugs.
        documents: corpus document keys (``"001"``), the targets of ``source.cite``.
    """

    concepts: frozenset[str] = frozenset()
    instruments: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    people: frozenset[str] = frozenset()
    cases: frozenset[str] = frozenset()
    communities: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()

    @property
    def case_or_community(self) -> frozenset[str]:
        """Return the slugs taken by a case or a community (they share the slug of their entry)."""
        return self.cases | self.communities


def known_terms(kg: KnowledgeGraph, *, exclude: Iterable[str] = ()) -> KnownTerms:
    """Collect what entries may refer to from the approved graphs of ``kg`` (SPARQL over the store).

    Args:
        kg: the knowledge graph.
        exclude: graph IRIs to leave out (the submission being re-checked, so its own slugs do not
            count as taken).
    """
    excluded = {str(g) for g in exclude}
    graphs = [g for g in kg.visible_graphs() if g.value not in excluded]
    if not graphs:
        return KnownTerms()
    q = f"""
    PREFIX lc: <{LC._NS}> PREFIX skos: <{SKOS._NS}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT DISTINCT ?kind ?x WHERE {{
      {{ ?x skos:inScheme ?scheme . BIND("concept" AS ?kind) }}
      UNION {{ ?x a/rdfs:subClassOf* lc:Instrument . BIND("instrument" AS ?kind) }}
      UNION {{ ?x a/rdfs:subClassOf* lc:Organisation . BIND("organisation" AS ?kind) }}
      UNION {{ ?x a/rdfs:subClassOf* lc:Person . BIND("person" AS ?kind) }}
      UNION {{ ?x a lc:Case . BIND("case" AS ?kind) }}
      UNION {{ ?x a ?type . VALUES ?type {{ lc:LearningCommunity lc:Collective }}
               BIND("community" AS ?kind) }}
      UNION {{ ?x a/rdfs:subClassOf* lc:Document . BIND("document" AS ?kind) }}
    }}"""
    result = kg.store.query(q, default_graph=graphs)
    assert isinstance(result, ox.QuerySolutions)
    found: dict[str, set[str]] = {k: set() for k in _PREFIXES}
    for row in result:
        kind, x = row["kind"], row["x"]
        if not isinstance(kind, ox.Literal) or not isinstance(x, ox.NamedNode):
            continue
        base = str(LCC._NS) if kind.value == "concept" else str(LCD) + _PREFIXES[kind.value]
        if x.value.startswith(base):
            found[kind.value].add(x.value[len(base) :])
    return KnownTerms(
        concepts=frozenset(found["concept"]),
        instruments=frozenset(found["instrument"]),
        organisations=frozenset(found["organisation"]),
        people=frozenset(found["person"]),
        cases=frozenset(found["case"]),
        communities=frozenset(found["community"]),
        documents=frozenset(found["document"]),
    )


_PREFIXES = {
    "concept": "",
    "instrument": "instrument/",
    "organisation": "organisation/",
    "person": "person/",
    "case": "case/",
    "community": "community/",
    "document": "document/",
}


def _reference_problems(record: EntryRecord, known: KnownTerms, batch_slugs: frozenset[str]) -> list[str]:
    """Check one validated entry against the graph and the batch; record and return its problems."""
    entry = record.entry
    if entry is None:
        return []
    out: list[str] = []
    if entry.slug in known.case_or_community:
        out.append(
            record.problem(
                "slug", f"{entry.slug!r} is already a case or community in the graph; choose a new slug"
            )
        )
    found = case_reference_problems(
        entry,
        record.where,
        concepts=known.concepts,
        instruments=known.instruments,
        organisations=known.organisations,
        people=known.people,
        cases=known.case_or_community | batch_slugs,
        documents=known.documents,
    )
    prefix = f"{record.where}, field "
    for problem in found:
        # Re-locate "<where>, field <path>: <message>" so CSV rows name their column.
        path, _, message = problem[len(prefix) :].partition(": ")
        out.append(record.problem(path, message))
    return out


def check_entry_references(entries: Iterable[EntryRecord], known: KnownTerms) -> list[str]:
    """Check the cross-references of validated entries against the graph and the batch itself.

    Instruments, organisations, people, concept slugs and corpus documents must exist in ``known``;
    ``community.part_of`` may also name another entry of the batch; a slug must not already be a
    case or community of the graph. Problems are recorded on each entry and returned.

    Args:
        entries: the records of a batch (records that did not validate are skipped).
        known: the terms of the current graph, see :func:`known_terms`.
    """
    records = list(entries)
    batch_slugs = frozenset(r.entry.slug for r in records if r.entry is not None)
    out: list[str] = []
    for record in records:
        out += _reference_problems(record, known, batch_slugs)
    return out


# ------------------------------------------------------------------------- facts and SHACL


def submission_graph(sha256: str) -> URIRef:
    """Return the named graph of a submitted file: ``lcg:submission/<sha256[:16]>``."""
    return LCG[f"{SUBMISSION_PREFIX}{sha256[:16]}"]


def submission_document(sha256: str) -> URIRef:
    """Return the ``lc:Document`` node that stands for a submitted file."""
    return LCD[f"document/submission-{sha256[:16]}"]


def _provenance(doc: URIRef, citation: str | None) -> Provenance:
    return Provenance(
        document=doc, citation=citation, method="manual", confidence=1.0, review_state="proposed"
    )


def _document_facts(batch: EntryBatch, doc: URIRef, submitter: str | None) -> list[tuple[Triple, Provenance]]:
    """Describe the submitted file: name, format, hash and (when given) who submitted it."""
    prov = _provenance(doc, None)
    title = f"Case entries: {batch.path.name}"
    triples: list[Triple] = [
        (doc, RDF.type, LC.Document),
        (doc, DCTERMS.title, RdfLiteral(title)),
        (doc, SKOS.prefLabel, RdfLiteral(title)),
        (doc, LC.fileName, RdfLiteral(batch.path.name)),
        (doc, LC.mediaFormat, RdfLiteral(batch.format)),
        (doc, DCTERMS.identifier, RdfLiteral(f"sha256:{batch.sha256}")),
    ]
    if submitter:
        triples.append((doc, DCTERMS.creator, RdfLiteral(submitter)))
    return [(t, prov) for t in triples]


def _entry_facts(records: Iterable[EntryRecord], doc: URIRef) -> list[tuple[Triple, Provenance]]:
    """Map entries to facts with the catalog's mapping; each fact cites its row or entry of the file."""
    mapper = CatalogMapper(Catalog())
    out: list[tuple[Triple, Provenance]] = []
    for record in records:
        if record.entry is None:
            continue
        prov = _provenance(doc, record.citation)
        out += [(t, prov) for t in mapper.case_triples(record.entry)]
    return out


_FIELD_OF: dict[str, str] = {
    str(SKOS.prefLabel): "name",
    str(SKOS.altLabel): "alt_names",
    str(LC.catalogCode): "code",
    str(LC.community): "entity",
    str(LC.isCounterExample): "entity",
    str(LC.hasForm): "community.forms",
    str(LC.scaleLevel): "community.scale_level",
    str(LC.frameworkLevel): "community.framework_level",
    str(LC.partOf): "community.part_of",
    str(LC.hasParticipant): "community.participants",
    str(LC.hasPractice): "community.practices",
    str(LC.inSector): "case.sectors",
    str(LC.addressesChallenge): "case.challenges",
    str(LC.region): "case.region",
    str(LC.inPhase): "case.phases",
    str(LC.usesInstrument): "case.instruments",
    str(LC.reportsOutcome): "case.outcomes",
    str(LC.lessonLearned): "case.lessons",
    str(LC.principalInvestigator): "case.principal_investigators",
    str(DCTERMS.source): "source",
    str(LC.citation): "source",
}
_OUTCOME_FIELD_OF: dict[str, str] = {
    str(DCTERMS.description): "text",
    str(LC.outcomeLevel): "level",
    str(LC.valueCycle): "value_cycle",
    str(LC.capital): "capital",
    str(LC.stakeholderType): "stakeholder",
}


def _shacl_field(side: str, path: str | None) -> str:
    """Name the entry field a SHACL result is about (``side``: case, community or ``case.outcomes.<n>``)."""
    if path is None:
        return side
    if side.startswith("case.outcomes."):
        return f"{side}.{_OUTCOME_FIELD_OF.get(path, path.rsplit('#', 1)[-1])}"
    if path == str(DCTERMS.description):
        return f"{side}.description"
    return _FIELD_OF.get(path, path.rsplit("#", 1)[-1].rsplit("/", 1)[-1])


def _context_types(kg: KnowledgeGraph, iris: Sequence[str], exclude: str) -> list[Triple]:
    """Return the ``rdf:type`` of entities the entries point at, from the approved graphs."""
    graphs = [g for g in kg.visible_graphs() if g.value != exclude]
    if not iris or not graphs:
        return []
    values = " ".join(f"<{iri}>" for iri in iris)
    q = f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?s {{ {values} }} ?s a ?t }}"
    result = kg.store.query(q, default_graph=graphs)
    assert isinstance(result, ox.QuerySolutions)
    out: list[Triple] = []
    for row in result:
        s, t = row["s"], row["t"]
        if isinstance(s, ox.NamedNode) and isinstance(t, ox.NamedNode):
            out.append((URIRef(s.value), RDF.type, URIRef(t.value)))
    return out


def check_entry_shapes(kg: KnowledgeGraph, records: Sequence[EntryRecord], *, exclude: str = "") -> list[str]:
    """Validate the facts of the entries with the SHACL shapes; record violations on their entries.

    The entities the entries point at (instruments, organisations, ...) are looked up in the approved
    graphs so that class constraints can be checked. Results about those entities themselves are
    not the submitter's business and are dropped.

    Args:
        kg: the knowledge graph that supplies the referenced entities.
        records: the entries to check (only those with a validated entry are mapped).
        exclude: a graph IRI to leave out of the lookup (the submission's own graph).

    Returns:
        Warnings (SHACL results of lower severity), as problem texts; violations are recorded on
        the entries.
    """
    owners: dict[str, tuple[EntryRecord, str]] = {}
    for record in records:
        if record.entry is None:
            continue
        slug = record.entry.slug
        owners[str(case_iri(slug))] = (record, "case")
        owners[str(community_iri(slug))] = (record, "community")
        for n in range(1, len(record.entry.case.outcomes) + 1):
            owners[str(LCD[f"case/{slug}/outcome/{n}"])] = (record, f"case.outcomes.{n}")
    if not owners:
        return []
    data = facts_graph(_entry_facts(records, URIRef(str(LCD["document/check"]))))
    subjects = {str(s) for s in data.subjects()}
    referenced = sorted(
        {str(o) for o in data.objects() if isinstance(o, URIRef) and str(o).startswith(str(LCD))} - subjects
    )
    for triple in _context_types(kg, referenced, exclude):
        data.add(triple)
    warnings: list[str] = []
    for v in validate_graph(data):
        owner = owners.get(v.focus)
        if owner is None:
            continue
        record, side = owner
        message = v.message + (f" (value: {v.value})" if v.value else "")
        if v.severity == "Violation":
            record.problem(_shacl_field(side, v.path), message)
        else:
            warnings.append(
                f"{record.where}, field {record.field_name(_shacl_field(side, v.path))}: {message}"
            )
    return warnings


def _drop_orphans(records: Sequence[EntryRecord], known: KnownTerms) -> None:
    """Mark entries invalid whose ``part_of`` names an entry of the batch that has problems."""
    changed = True
    while changed:
        changed = False
        valid = {r.entry.slug for r in records if r.valid and r.entry is not None}
        for record in records:
            entry = record.entry
            if not record.valid or entry is None or entry.community.part_of is None:
                continue
            part_of = entry.community.part_of
            if part_of not in valid and part_of not in known.case_or_community:
                record.problem("community.part_of", f"{part_of!r} is an entry of this file that has problems")
                changed = True


# ---------------------------------------------------------------------------------- ingest


@dataclass
class EntriesReport:
    """What ingesting one file of entries did.

    Attributes:
        file: the file name.
        graph: the submission graph the entries went (or would go) into.
        document: the ``lc:Document`` node standing for the file.
        read: entries (rows) read from the file.
        written: entries in the graph after the call (0 when nothing was written).
        skipped: entries left out because they have problems (partial mode).
        problems: every problem of the skipped entries.
        warnings: SHACL results below violation severity.
        changed: whether the store changed (re-ingesting the same file does not change it).
        triples: triples in the graph's content (facts, provenance records, the document node).
        review_state: the review state of the graph after the call.
    """

    file: str
    graph: str
    document: str
    read: int = 0
    written: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed: bool = False
    triples: int = 0
    review_state: str | None = None


def _review_state(kg: KnowledgeGraph, graph: URIRef) -> str | None:
    prefix = str(LCC._NS) + "review-state-"
    state = ox.NamedNode(str(LC.reviewState))
    for q in kg.store.quads(ox.NamedNode(str(graph)), state, None, ox.NamedNode(str(REGISTRY))):
        value = q.object.value if isinstance(q.object, ox.NamedNode) else ""
        if value.startswith(prefix):
            return value[len(prefix) :]
    return None


def ingest_entries(
    kg: KnowledgeGraph, path: Path, *, partial: bool = False, submitter: str | None = None
) -> EntriesReport:
    """Validate the case entries of a file and write them into its submission graph for review.

    Entries are validated with the model, then their cross-references are checked against the
    approved graphs and the file itself, then the mapped facts are checked with SHACL. The valid
    entries are written, with a provenance record per fact (the file's document node, citation
    ``"row 3"`` or ``"entry 3"``, method *manual*, confidence 1, review state *proposed*), into
    ``lcg:submission/<sha256[:16]>`` in one transaction. The same file again is a no-op, whatever the
    review state of its graph by then.

    Args:
        kg: the knowledge graph to write into.
        path: a JSON, YAML or CSV file of case entries (``docs/case-entries.md``).
        partial: write the valid entries and report the others, instead of writing nothing.
        submitter: who submitted the file (stored on its document node).

    Raises:
        InvalidInput: the file cannot be read, or an entry has a problem (and ``partial`` is not set),
            or no entry is valid. ``problems`` lists every problem; nothing was written.
    """
    batch = read_entries(path)
    graph = submission_graph(batch.sha256)
    doc = submission_document(batch.sha256)
    name = path.name
    if batch.problems:
        raise InvalidInput(
            f"the file cannot be read as case entries ({len(batch.problems)} problem(s)); "
            "nothing was written",
            where=name,
            problems=batch.all_problems,
        )
    known = known_terms(kg, exclude=[str(graph)])
    check_entry_references(batch.records, known)
    _drop_orphans(batch.records, known)
    warnings = check_entry_shapes(kg, [r for r in batch.records if r.valid], exclude=str(graph))
    _drop_orphans(batch.records, known)
    problems = batch.all_problems
    valid = [r for r in batch.records if r.valid]
    invalid = len(batch.records) - len(valid)
    if problems and not partial:
        raise InvalidInput(
            f"{invalid} of {len(batch.records)} entries have problems ({len(problems)}); nothing was written",
            where=name,
            problems=problems,
        )
    if not valid:
        raise InvalidInput(
            f"none of the {len(batch.records)} entries is valid; nothing was written",
            where=name,
            problems=problems,
        )
    triples = with_provenance(graph, _document_facts(batch, doc, submitter) + _entry_facts(valid, doc))
    digest = content_hash(triples)
    report = EntriesReport(
        file=name,
        graph=str(graph),
        document=str(doc),
        read=len(batch.records),
        written=len(valid),
        skipped=invalid,
        problems=problems,
        warnings=warnings,
        triples=len(triples),
    )
    if kg.registered_hash(graph) != digest:
        title = f"Case entries {name}" + (f" submitted by {submitter}" if submitter else "")
        result = kg.write_graph(
            graph, triples, title=title, method="manual", review_state="proposed", digest=digest
        )
        report.changed = result.changed
    report.review_state = _review_state(kg, graph)
    return report


__all__ = [
    "CSV_COLUMNS",
    "CSV_REQUIRED",
    "OUTCOME_COLUMN",
    "EntriesReport",
    "EntryBatch",
    "EntryRecord",
    "KnownTerms",
    "check_entry_references",
    "check_entry_shapes",
    "detect_format",
    "ingest_entries",
    "known_terms",
    "read_entries",
    "submission_document",
    "submission_graph",
]
