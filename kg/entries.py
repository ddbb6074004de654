"""Schemas of structured entries (instruments, cases, organisations, people, documents).

The curated catalog is written in this format (``kg/catalog/*.yaml``); user submissions and case
entries from files use the same models, so one validation path serves all of them. The format is
documented in ``docs/data-model.md`` and published as JSON Schema by the API.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=120)]
CITATION = re.compile(r"^\d{3}:\d+(-\d+)?(,\s*\d+(-\d+)?)*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in Dutch and English (both required)."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)


class OptionalText(_Strict):
    """A text with at least one of Dutch and English."""

    nl: str | None = None
    en: str | None = None


class SomeText(OptionalText):
    """A text in Dutch, English or both (at least one)."""

    @model_validator(mode="after")
    def _one_language(self) -> SomeText:
        if not (self.nl or "").strip() and not (self.en or "").strip():
            raise ValueError("give the text in Dutch (nl), English (en) or both")
        return self


class Source(_Strict):
    """Where an entry's facts come from: a citation ``FFF:LLL[-LLL]`` into a corpus document."""

    cite: str
    section: str | None = None

    @field_validator("cite")
    @classmethod
    def _check_cite(cls, value: str) -> str:
        if not CITATION.match(value.strip()):
            raise ValueError(f"citation {value!r} is not of the form FFF:LLL or FFF:LLL-LLL")
        return value.strip()

    @property
    def document_key(self) -> str:
        """The three-digit key of the cited document."""
        return self.cite.split(":", 1)[0]


class PhaseAssignment(_Strict):
    """A phase an instrument serves and the basis of that claim."""

    phase: Slug
    basis: Slug = "placement"


class InstrumentEntry(_Strict):
    """A curated or submitted instrument (tool, method, work form, framework or resource).

    The curated catalog gives every text in both languages and a citation (``check_references`` says so);
    a contributor may write in one language and cites no corpus document.
    """

    slug: Slug
    code: str | None = None
    name: SomeText
    alt_names: list[str | OptionalText] = Field(default_factory=list)
    kind: Slug
    purpose: SomeText
    description: SomeText
    target_group_text: str | None = None
    target_roles: list[Slug] = Field(default_factory=list)
    phases: list[PhaseAssignment] = Field(default_factory=list)
    url: str | None = None
    origin_sectors: list[Slug] = Field(default_factory=list)
    origin_context: OptionalText | None = None
    developers: list[Slug] = Field(default_factory=list)
    developer_text: str | None = None
    addresses: list[str] = Field(default_factory=list)
    boundary_mechanisms: list[Slug] = Field(default_factory=list)
    adaptation_of: Slug | None = None
    source: Source | None = None


class OutcomeEntry(_Strict):
    """An outcome a case reports, classified by level, value cycle, capital and stakeholder."""

    text: Text
    level: Slug | None = None
    value_cycle: Slug | None = None
    capital: Slug | None = None
    stakeholder: Slug | None = None


class CommunityPart(_Strict):
    """The collaboration side of a case entry."""

    forms: list[Slug] = Field(default_factory=list)
    scale_level: Slug | None = None
    framework_level: Slug | None = None
    part_of: Slug | None = None
    participants: list[Slug] = Field(default_factory=list)
    practices: list[Slug] = Field(default_factory=list)
    description: Text | None = None


class CasePart(_Strict):
    """The application side of a case entry: context, instruments, outcomes."""

    description: Text
    sectors: list[Slug] = Field(default_factory=list)
    challenges: list[Slug] = Field(default_factory=list)
    region: OptionalText | None = None
    phases: list[Slug] = Field(default_factory=list)
    instruments: list[Slug] = Field(default_factory=list)
    outcomes: list[OutcomeEntry] = Field(default_factory=list)
    lessons: list[Text] = Field(default_factory=list)
    principal_investigators: list[Slug] = Field(default_factory=list)


class CaseEntry(_Strict):
    """A case together with the community (or collective) it is about."""

    slug: Slug
    code: str | None = None
    name: Text
    alt_names: list[str | OptionalText] = Field(default_factory=list)
    entity: Annotated[str, StringConstraints(pattern=r"^(learning-community|collective|counter-example)$")]
    community: CommunityPart
    case: CasePart
    source: Source | None = Field(
        default=None,
        description="Citation into a corpus document (FFF:LLL); required in the curated catalog, "
        "optional for submitted cases, which cite their submission file instead.",
    )


class OrganisationEntry(_Strict):
    """An organisation that takes part in communities or develops instruments."""

    slug: Slug
    name: str
    practice: Slug | None = None
    source: Source | None = None


class PersonEntry(_Strict):
    """A named person (principal investigator, contributor)."""

    slug: Slug
    name: str
    affiliation: Slug | None = None
    source: Source | None = None


class DocumentEntry(_Strict):
    """A source document of the corpus."""

    key: Annotated[str, StringConstraints(pattern=r"^\d{3}$")]
    file: str
    title: str
    description: Text | None = None
    year: int | None = None
    publisher: str | None = None


CASE_ENTRIES_SCHEMA_ID = "https://w3id.org/lcgraph/schema/case-entries.json"


def case_entry_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a file of case entries.

    A file holds either a list of case entries or an object ``{"entries": [...]}``; both forms are
    described (``anyOf``). The entry itself is :class:`CaseEntry`, the format of ``kg/catalog/cases.yaml``.
    Concept slugs, instrument, organisation and person slugs are checked against the graph when a
    file is ingested, not by the schema.
    """
    schema = TypeAdapter(list[CaseEntry]).json_schema(ref_template="#/$defs/{model}")
    defs = schema.pop("$defs", {})
    # The citation is checked by a validator; publish its pattern so editors can check it too.
    defs["Source"]["properties"]["cite"]["pattern"] = CITATION.pattern
    defs["Source"]["properties"]["cite"]["description"] = "FFF:LLL or FFF:LLL-LLL (document key : lines)"
    entry_list = {**schema, "description": "The case entries, one object per case."}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": CASE_ENTRIES_SCHEMA_ID,
        "title": "lcgraph case entries",
        "description": (
            "Cases and the learning communities (or collectives) they are about, as submitted by "
            "Webbers: a list of case entries or an object with an 'entries' list. Names and "
            "descriptions are required in Dutch and English; slugs are lower-case and hyphenated. "
            "See docs/case-entries.md."
        ),
        "anyOf": [
            entry_list,
            {
                "type": "object",
                "properties": {"$schema": {"type": "string"}, "entries": entry_list},
                "required": ["entries"],
                "additionalProperties": False,
            },
        ],
        "$defs": defs,
    }
