"""Publishing instruments on the platform: create, update (or propose an update), version, deprecate, lineage.

An instrument a developer publishes lives in its own graph ``lcg:contrib/instrument/<slug>`` and is mapped
to RDF exactly like a curated one (:class:`kg.catalog.CatalogMapper`). Its owner (the submitter) and
moderators change it directly; anyone else with a contributor role proposes a change, which waits in the
moderation queue and replaces the instrument's graph once approved. Versions (semantic version plus
changelog) and a deprecation are graphs of their own, so they can be added to curated instruments too.
An instrument may be declared an adaptation of another (``lc:adaptationOf``, a ``prov:wasDerivedFrom``),
so developers see the derivatives of their tools.

Concurrency. Every instrument has an *entity tag* (:meth:`Instruments.etag`): a digest of the registry
entries (content hash and review state) of the graphs an update or a deprecation replaces: the instrument's
own graph (for a curated instrument, the graphs that describe it) and its deprecation graph. The content
hash is one the registry already keeps for every graph, so a tag costs a few index lookups and no new
stored state, and it changes exactly when what a change would replace changes (an update, an approved
proposal, a deprecation, a review decision). :meth:`Instruments.update` and :meth:`Instruments.deprecate`
take the tag the caller based its change on (``expected_etag``) and raise
:class:`~kg.errors.PreconditionFailed` when it is no longer current. The comparison runs inside the write
(``check`` of :meth:`kg.graph.KnowledgeGraph.write_graph`, under the lock that serialises every write of
the process), so two changes based on the same state can never both be written. Without a tag the change
is still compared with the state it was computed from (owner, creation time, review state) and recomputed
when another write came first. Publishing and adding a version check "slug still free" and "version still
new" the same way.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Collection
from datetime import date
from typing import NamedTuple, TypeVar

import pyoxigraph as ox
from pydantic import BaseModel, ConfigDict, Field, field_validator
from rdflib import RDF, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from kg.accounts.store import slugify
from kg.catalog import Catalog, CatalogMapper, instrument_iri
from kg.contributions.audit import account_node, now_iso
from kg.contributions.checks import checked_slug, unknown_concepts
from kg.contributions.submissions import CONTRIB, Submission, Submissions
from kg.entries import InstrumentEntry, OptionalText, PhaseAssignment, Slug, SomeText
from kg.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from kg.graph import REGISTRY, KnowledgeGraph, content_hash
from kg.permissions import Permission, Principal, allowed
from kg.provenance import Triple
from ontology.vocab import LC, LCD, LCG

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")


class InstrumentInput(BaseModel):
    """An instrument as a developer publishes it (texts in Dutch, English or both)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug | None = Field(default=None, description="Made from the name when omitted.")
    name: SomeText
    alt_names: list[str] = Field(default_factory=list, max_length=20)
    kind: Slug = Field(description="tool, method, work-form, framework or resource.")
    purpose: SomeText
    description: SomeText
    target_group_text: str | None = Field(default=None, max_length=2000)
    target_roles: list[Slug] = Field(default_factory=list, description="Role slugs, e.g. facilitator.")
    phases: list[Slug] = Field(default_factory=list, description="start, design, execute, sustain.")
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    origin_sectors: list[Slug] = Field(default_factory=list)
    origin_context: OptionalText | None = None
    developer_text: str | None = Field(default=None, max_length=500)
    adaptation_of: Slug | None = Field(default=None, description="The instrument this one adapts.")

    def entry(self, slug: str) -> InstrumentEntry:
        """Return the catalog entry this publication maps to (phases declared by the contributor)."""
        data = self.model_dump(exclude={"slug", "phases"})
        return InstrumentEntry(
            slug=slug, phases=[PhaseAssignment(phase=p, basis="declared") for p in self.phases], **data
        )


class VersionInput(BaseModel):
    """A new version of an instrument."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(description="A semantic version, e.g. 2.1.0.", max_length=40)
    changelog: SomeText
    released: date | None = None

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value.strip()):
            raise ValueError(f"{value!r} is not a semantic version such as 1.0.0 or 2.1.0-beta")
        return value.strip()


class DeprecationInput(BaseModel):
    """Why an instrument should no longer be recommended."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)
    replaced_by: Slug | None = None


class VersionView(BaseModel):
    """One version of an instrument."""

    iri: str
    version: str
    changelog: dict[str, str]
    released: str | None = None
    state: str


class LineageView(BaseModel):
    """Where an instrument comes from and what was derived from it."""

    instrument: str
    adaptation_of: list[str] = Field(description="IRIs of the instruments it adapts (nearest first).")
    derivatives: list[str] = Field(description="IRIs of instruments declared adaptations of it.")


RESERVED_SLUGS: frozenset[str] = frozenset({"new", "edit", "similar", "versions", "lineage", "experiences"})
"""Slugs an instrument may not take: words the web pages and API routes use below ``/instruments/``."""


def instrument_graph(slug: str) -> URIRef:
    """Return the graph of an instrument published on the platform."""
    return LCG[f"{CONTRIB}instrument/{slug}"]


def _slug_from(name: SomeText) -> str:
    return slugify(name.en or name.nl or "instrument")[:60].strip("-") or "instrument"


def _version_key(version: str) -> tuple[int, int, int, int, str]:
    m = SEMVER.match(version)
    assert m is not None
    pre = version.split("-", 1)[1] if "-" in version else ""
    return int(m[1]), int(m[2]), int(m[3]), 0 if pre else 1, pre


_ATTEMPTS = 32
"""How often a change without a precondition is recomputed when other writes keep coming first.

Each failed attempt means another write landed, so a writer among n simultaneous ones fails at most n - 1
times; only a stream of more than this many competing writes ends in :class:`Conflict`."""
_PROPOSALS = str(LCG[f"{CONTRIB}proposal/"])
_REGISTRY = ox.NamedNode(str(REGISTRY))
_CONTENT_HASH = ox.NamedNode(str(LC.contentHash))
_REVIEW_STATE = ox.NamedNode(str(LC.reviewState))
_T = TypeVar("_T")

Entries = dict[str, tuple[str, str]]
"""Graph IRI -> (content hash, review state): the registry entries an instrument's entity tag covers."""


class Tagged(NamedTuple):
    """A stored submission, with the instrument's entity tag as the write left it."""

    submission: Submission
    etag: str


def deprecation_graph(slug: str) -> URIRef:
    """Return the graph that holds the deprecation of an instrument (replaced by each new deprecation)."""
    return LCG[f"{CONTRIB}instrument/{slug}/deprecation"]


def tag_of(entries: Entries) -> str:
    """Return the entity tag of a set of registry entries (order-free; 128 bits of a SHA-256)."""
    digest = hashlib.sha256()
    for graph in sorted(entries):
        content, state = entries[graph]
        digest.update(f"{graph} {content} {state}\n".encode())
    return digest.hexdigest()[:32]


def etag_matches(current: str, expected: str | Collection[str]) -> bool:
    """Tell whether ``current`` satisfies the expected tag(s); ``"*"`` accepts any current tag."""
    wanted = {expected} if isinstance(expected, str) else set(expected)
    return "*" in wanted or current in wanted


class _Unchanged:
    """A write precondition: the tagged registry entries are still those the change was computed from.

    Runs under the write lock (``check`` of :meth:`kg.graph.KnowledgeGraph.write_graph`), so it sees
    every write that came first and none can come between it and the write it guards.
    """

    def __init__(self, instruments: Instruments, slug: str, base: Entries) -> None:
        self.instruments = instruments
        self.slug = slug
        self.base = base

    def __call__(self) -> None:
        now = self.instruments.entries(self.slug)
        if now != self.base:
            current = None if now is None else tag_of(now)
            raise PreconditionFailed(
                f"instrument {self.slug!r} changed while this change was being made "
                f"(its entity tag is now {current}); read it again and redo the change",
                current_etag=current,
            )


class Instruments:
    """Write and read instruments published on the platform."""

    def __init__(self, kg: KnowledgeGraph, submissions: Submissions | None = None) -> None:
        self.kg = kg
        self.submissions = submissions or Submissions(kg)

    def _check(self, entry: InstrumentEntry) -> None:
        problems = unknown_concepts(
            [
                ("kind", "instrument-kind", [entry.kind]),
                ("target_roles", "role", entry.target_roles),
                ("phases", "phase", [p.phase for p in entry.phases]),
                ("origin_sectors", "sector", entry.origin_sectors),
            ]
        )
        if problems:
            raise InvalidInput("; ".join(problems), where=problems[0].split(":", 1)[0])
        if entry.adaptation_of and not self._exists(entry.adaptation_of):
            raise InvalidInput(f"no instrument {entry.adaptation_of!r} to adapt", where="adaptation_of")
        if entry.adaptation_of == entry.slug:
            raise InvalidInput("an instrument cannot adapt itself", where="adaptation_of")

    def _exists(self, slug: str, *, anywhere: bool = False) -> bool:
        iri = instrument_iri(slug)
        if anywhere:
            found = self.kg.store.quads(
                ox.NamedNode(str(iri)), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(LC.Instrument)), None
            )
            return any(True for _ in found)
        return self.kg.exists(str(iri))

    def _triples(self, principal_owner: str, entry: InstrumentEntry, created: str | None) -> list[Triple]:
        s = instrument_iri(entry.slug)
        triples = CatalogMapper(Catalog()).instrument_triples(entry)
        now = now_iso()
        triples += [
            (s, PROV.wasAttributedTo, account_node(principal_owner)),
            (s, DCTERMS.created, Literal(created or now, datatype=XSD.dateTime)),
            (s, DCTERMS.modified, Literal(now, datatype=XSD.dateTime)),
        ]
        return triples

    def entries(self, slug: str) -> Entries | None:
        """Return the registry entries the entity tag of ``slug`` covers; ``None`` when nothing describes it.

        The instrument's own graph when it was published here, else every graph that types it (the
        catalog, documents), but never a proposed edit; plus its deprecation graph once there is one.
        Reads the store directly, without the knowledge graph's lock, so a write check may call it.
        """
        own = self._registry_entry(instrument_graph(slug))
        if own is not None:
            found: Entries = {str(instrument_graph(slug)): own}
        else:
            iri = ox.NamedNode(str(instrument_iri(slug)))
            instrument_type = ox.NamedNode(str(LC.Instrument))
            typed = list(self.kg.store.quads(iri, ox.NamedNode(str(RDF.type)), instrument_type, None))
            graphs = {
                q.graph_name.value
                for q in typed
                if isinstance(q.graph_name, ox.NamedNode) and not q.graph_name.value.startswith(_PROPOSALS)
            }
            found = {g: self._registry_entry(URIRef(g)) or ("", "") for g in graphs}
        if not found:
            return None
        deprecation = self._registry_entry(deprecation_graph(slug))
        if deprecation is not None:
            found[str(deprecation_graph(slug))] = deprecation
        return found

    def _registry_entry(self, graph: URIRef) -> tuple[str, str] | None:
        """Return the (content hash, review state) the registry holds for ``graph``, if it is registered."""
        content = state = ""
        quads = list(self.kg.store.quads(ox.NamedNode(str(graph)), None, None, _REGISTRY))
        for q in quads:
            if isinstance(q.object, ox.Triple):
                continue
            if q.predicate == _CONTENT_HASH:
                content = q.object.value
            elif q.predicate == _REVIEW_STATE:
                state = q.object.value.rsplit("review-state-", 1)[-1]
        return (content, state) if quads else None

    def etag(self, slug: str) -> str:
        """Return the entity tag of an instrument: send it back as ``expected_etag`` with a change.

        Raises:
            NotFound: no graph describes the instrument.
        """
        slug = checked_slug(slug, "instrument")
        found = self.entries(slug)
        if found is None:
            raise NotFound(f"no instrument {slug!r}")
        return tag_of(found)

    def _attempts(
        self, slug: str, expected_etag: str | Collection[str] | None, attempt: Callable[[Entries], _T]
    ) -> _T:
        """Run ``attempt`` on the current entries of ``slug`` until its guarded write goes through.

        With ``expected_etag`` a state other than the expected one raises :class:`PreconditionFailed`
        (before or during the write); without it, the change is recomputed from the newer state.
        """
        for _ in range(_ATTEMPTS):
            base = self.entries(slug)
            if base is None:
                raise NotFound(f"no instrument {slug!r}")
            if expected_etag is not None and not etag_matches(tag_of(base), expected_etag):
                raise PreconditionFailed(
                    f"instrument {slug!r} changed since you read it: its entity tag is now "
                    f"{tag_of(base)}; read it again and redo the change",
                    current_etag=tag_of(base),
                )
            try:
                return attempt(base)
            except PreconditionFailed:
                if expected_etag is not None:
                    raise
        raise Conflict(f"instrument {slug!r} kept changing while this change was being made; try again")

    def publish(self, principal: Principal, data: InstrumentInput) -> Submission:
        """Publish a new instrument; trusted developers' instruments are public at once, others wait.

        The slug is checked again inside the write, so of two publications of one slug only one is stored.
        """
        slug = data.slug or _slug_from(data.name)
        if slug in RESERVED_SLUGS:
            if data.slug:
                raise InvalidInput(f"{slug!r} is a reserved word; choose another slug", where="slug")
            slug = f"{slug}-instrument"
        if self._exists(slug, anywhere=True):
            raise Conflict(f"an instrument {slug!r} exists already; choose another slug")
        entry = data.entry(slug)
        self._check(entry)
        assert principal.account_id is not None

        def still_free() -> None:
            if self._exists(slug, anywhere=True) or self._registry_entry(instrument_graph(slug)) is not None:
                raise Conflict(f"an instrument {slug!r} exists already; choose another slug")

        return self.submissions.write(
            principal,
            kind="instrument",
            graph=instrument_graph(slug),
            entity=instrument_iri(slug),
            triples=self._triples(principal.account_id, entry, None),
            title=f"Instrument: {data.name.en or data.name.nl}",
            state=self.submissions.initial_state(principal),
            check=still_free,
        )

    def update(
        self,
        principal: Principal,
        slug: str,
        data: InstrumentInput,
        *,
        expected_etag: str | Collection[str] | None = None,
    ) -> Submission:
        """Change a published instrument, or propose the change when the principal may not make it directly.

        The owner and moderators change it directly (an untrusted owner's change to an approved instrument
        is proposed, so the public version stays reviewed); other contributors propose an edit.

        Args:
            principal: who makes the change.
            slug: the instrument.
            data: its new description (replaces the whole description).
            expected_etag: the entity tag (:meth:`etag`) the change is based on, or several, or ``"*"``;
                ``None`` accepts any state (the change is still computed from, and written over, one state).

        Raises:
            PreconditionFailed: the instrument's tag is not ``expected_etag``; nothing was written.
        """
        return self.update_tagged(principal, slug, data, expected_etag=expected_etag).submission

    def update_tagged(
        self,
        principal: Principal,
        slug: str,
        data: InstrumentInput,
        *,
        expected_etag: str | Collection[str] | None = None,
    ) -> Tagged:
        """Do :meth:`update` and also return the instrument's entity tag as this write left it."""
        slug = checked_slug(slug, "instrument")
        return self._attempts(
            slug, expected_etag, lambda base: self._update_once(principal, slug, data, base)
        )

    def _update_once(self, principal: Principal, slug: str, data: InstrumentInput, base: Entries) -> Tagged:
        """Compute the change from the state ``base`` tags and write it only if that is still the state."""
        current = self.submissions.find(instrument_graph(slug))
        if current is None:
            if self._exists(slug):
                raise Conflict(
                    f"{slug!r} is a curated catalog instrument; add versions or experiences to it, "
                    "or ask the editors to change the catalog"
                )
            raise NotFound(f"no instrument {slug!r}")
        if data.slug not in (None, slug):
            raise InvalidInput("the slug of an instrument cannot change", where="slug")
        entry = data.entry(slug)
        self._check(entry)
        created = self._created(slug)
        owner = current.author or principal.account_id or ""
        triples = self._triples(owner, entry, created)
        title = f"Instrument: {data.name.en or data.name.nl}"
        direct = self.submissions.may_edit(principal, current)
        needs_review = current.state == "approved" and self.submissions.initial_state(principal) != "approved"
        unchanged = _Unchanged(self, slug, base)
        if direct and not needs_review:
            sub = self.submissions.write(
                principal,
                kind="instrument",
                graph=instrument_graph(slug),
                entity=instrument_iri(slug),
                triples=triples,
                title=title,
                state=current.state,
                action="update" if principal.account_id == current.author else "edit",
                author=current.author,
                check=unchanged,
            )
            after = {**base, str(instrument_graph(slug)): (content_hash(triples), current.state)}
            return Tagged(sub, tag_of(after))
        sub = self.submissions.write(
            principal,
            kind="edit",
            graph=LCG[f"{CONTRIB}proposal/{slug}-{secrets.token_hex(4)}"],
            entity=instrument_iri(slug),
            triples=triples,
            title=f"Proposed change to {slug}",
            state="proposed",
            action="propose-edit",
            proposal_for=instrument_graph(slug),
            check=unchanged,
        )
        return Tagged(sub, tag_of(base))

    def _created(self, slug: str) -> str | None:
        rows = self.kg.select_all(
            f"SELECT ?c WHERE {{ GRAPH <{instrument_graph(slug)}> {{ "
            f"<{instrument_iri(slug)}> <{DCTERMS.created}> ?c }} }}"
        )
        return str(rows[0]["c"].value) if rows else None

    def _may_maintain(self, principal: Principal, slug: str) -> None:
        """Allow the owner of a published instrument, and moderators for any instrument."""
        slug = checked_slug(slug, "instrument")
        if not self._exists(slug, anywhere=True):
            raise NotFound(f"no instrument {slug!r}")
        current = self.submissions.find(instrument_graph(slug))
        if current is not None and self.submissions.may_edit(principal, current):
            return
        if allowed(principal, Permission.INSTRUMENT_EDIT_ANY):
            return
        raise Forbidden(f"only the owner of {slug!r} or a moderator may do this")

    def _version_numbers(self, slug: str) -> frozenset[str]:
        """Return every version number stated for ``slug`` in any graph (lock-free, for write checks)."""
        rows = self.kg.select_all(
            f"SELECT ?n WHERE {{ GRAPH ?g {{ <{instrument_iri(slug)}> <{LC.hasVersion}> ?v . "
            f"?v <{LC.versionNumber}> ?n }} }}"
        )
        return frozenset(str(r["n"].value) for r in rows)

    def add_version(self, principal: Principal, slug: str, data: VersionInput) -> Submission:
        """Add a version (semantic version, changelog) to an instrument; versions only go up.

        The versions the new one was checked against (and links to as its predecessor) are compared again
        inside the write; when another version came first, the check is redone, so two concurrent
        additions of one version store one, and a version never links past one added meanwhile.
        """
        self._may_maintain(principal, slug)
        for _ in range(_ATTEMPTS):
            existing = self._version_numbers(slug)

            def same_versions(existing: frozenset[str] = existing) -> None:
                if self._version_numbers(slug) != existing:
                    raise PreconditionFailed(f"the versions of {slug!r} changed", current_etag=None)

            try:
                return self._write_version(principal, slug, data, existing, same_versions)
            except PreconditionFailed:
                continue
        raise Conflict(f"the versions of {slug!r} kept changing while this one was added; try again")

    def _write_version(
        self,
        principal: Principal,
        slug: str,
        data: VersionInput,
        existing: frozenset[str],
        check: Callable[[], None],
    ) -> Submission:
        if data.version in existing:
            raise Conflict(f"{slug} already has version {data.version}")
        if existing and _version_key(data.version) <= max(_version_key(v) for v in existing):
            raise InvalidInput(
                f"version {data.version} is not newer than {max(existing, key=_version_key)}", where="version"
            )
        s = instrument_iri(slug)
        v = LCD[f"instrument/{slug}/version/{data.version}"]
        triples: list[Triple] = [
            (s, LC.hasVersion, v),
            (v, RDF.type, LC.InstrumentVersion),
            (v, PROV.specializationOf, s),
            (v, LC.versionNumber, Literal(data.version)),
            (v, PROV.wasAttributedTo, account_node(principal.account_id or "")),
            (v, DCTERMS.issued, Literal((data.released or date.today()).isoformat(), datatype=XSD.date)),
        ]
        for lang in ("nl", "en"):
            text = getattr(data.changelog, lang)
            if text:
                triples.append((v, LC.changelog, Literal(text, lang=lang)))
        if existing:
            previous = max(existing, key=_version_key)
            triples.append((v, PROV.wasRevisionOf, LCD[f"instrument/{slug}/version/{previous}"]))
        return self.submissions.write(
            principal,
            kind="version",
            graph=LCG[f"{CONTRIB}instrument/{slug}/version/{data.version}"],
            entity=v,
            triples=triples,
            title=f"{slug} version {data.version}",
            state=self.submissions.initial_state(principal),
            action="version",
            check=check,
        )

    def deprecate(
        self,
        principal: Principal,
        slug: str,
        data: DeprecationInput,
        *,
        expected_etag: str | Collection[str] | None = None,
    ) -> Submission:
        """Mark an instrument as no longer recommended, with the reason and an optional successor.

        A new deprecation replaces the previous one, so it takes ``expected_etag`` like :meth:`update`.

        Raises:
            PreconditionFailed: the instrument's tag is not ``expected_etag``; nothing was written.
        """
        return self.deprecate_tagged(principal, slug, data, expected_etag=expected_etag).submission

    def deprecate_tagged(
        self,
        principal: Principal,
        slug: str,
        data: DeprecationInput,
        *,
        expected_etag: str | Collection[str] | None = None,
    ) -> Tagged:
        """Do :meth:`deprecate` and also return the instrument's entity tag as this write left it."""
        slug = checked_slug(slug, "instrument")
        self._may_maintain(principal, slug)
        if data.replaced_by and not self._exists(data.replaced_by):
            raise InvalidInput(f"no instrument {data.replaced_by!r}", where="replaced_by")
        s = instrument_iri(slug)
        triples: list[Triple] = [(s, LC.deprecated, Literal(True)), (s, LC.note, Literal(data.reason))]
        if data.replaced_by:
            triples.append((s, DCTERMS.isReplacedBy, instrument_iri(data.replaced_by)))
        graph = deprecation_graph(slug)
        state = self.submissions.initial_state(principal)

        def attempt(base: Entries) -> Tagged:
            sub = self.submissions.write(
                principal,
                kind="deprecation",
                graph=graph,
                entity=s,
                triples=triples,
                title=f"{slug} deprecated",
                state=state,
                action="deprecate",
                reason=data.reason,
                check=_Unchanged(self, slug, base),
            )
            return Tagged(sub, tag_of({**base, str(graph): (content_hash(triples), state)}))

        return self._attempts(slug, expected_etag, attempt)

    def versions(self, slug: str, *, include_pending: bool = False) -> list[VersionView]:
        """Return the versions of an instrument, newest first (public ones unless ``include_pending``)."""
        slug = checked_slug(slug, "instrument")
        s = instrument_iri(slug)
        q = f"""SELECT ?v ?n ?log ?issued ?g WHERE {{ GRAPH ?g {{ <{s}> <{LC.hasVersion}> ?v .
          ?v <{LC.versionNumber}> ?n . OPTIONAL {{ ?v <{LC.changelog}> ?log }}
          OPTIONAL {{ ?v <{DCTERMS.issued}> ?issued }} }} }}"""
        rows = self.kg.select_all(q) if include_pending else self.kg.select_public(q)
        entries = self.kg.registry_entries()
        found: dict[str, VersionView] = {}
        for row in rows:
            iri = row["v"].value
            g = row["g"].value
            view = found.setdefault(
                iri,
                VersionView(
                    iri=iri,
                    version=str(row["n"].value),
                    changelog={},
                    released=str(row["issued"].value) if "issued" in row else None,
                    state=entries[g].state if g in entries else "approved",
                ),
            )
            log = row.get("log")
            if log is not None:
                view.changelog[getattr(log, "language", None) or "nl"] = str(log.value)
        return sorted(found.values(), key=lambda v: _version_key(v.version), reverse=True)

    def lineage(self, slug: str) -> LineageView:
        """Return what the (public) instrument adapts, transitively, and what adapts it."""
        slug = checked_slug(slug, "instrument")
        s = str(instrument_iri(slug))
        if not self.kg.exists(s):
            raise NotFound(f"no instrument {slug!r}")
        up = self.kg.select_public(
            f"SELECT ?a (COUNT(?mid) AS ?d) WHERE {{ <{s}> <{LC.adaptationOf}>+ ?a . "
            f"?a <{LC.adaptationOf}>* ?mid . }} GROUP BY ?a ORDER BY DESC(?d)"
        )
        down = self.kg.select_public(f"SELECT ?d WHERE {{ ?d <{LC.adaptationOf}> <{s}> }} ORDER BY ?d")
        return LineageView(
            instrument=s,
            adaptation_of=[r["a"].value for r in up],
            derivatives=[r["d"].value for r in down],
        )
