# Generated from lc.ttl and concepts.ttl by ontology/vocab_gen.py; do not edit.
"""Python names of the lcgraph vocabulary: ``LC`` (classes, properties), ``LCC`` (concepts), namespaces."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

__all__ = ["LC", "LCC", "LCD", "LCF", "LCG", "LCSH", "SCHEMA", "concept"]


class LC(DefinedNamespace):
    """Classes and properties of the lcgraph ontology (lc.ttl); unknown names raise AttributeError."""

    _NS = Namespace("https://w3id.org/lcgraph/ontology#")
    _fail = True

    Account: URIRef  # account
    ApiToken: URIRef  # API token
    Case: URIRef  # case
    ChangeRecord: URIRef  # change record
    Chunk: URIRef  # chunk
    Collective: URIRef  # collective
    DevelopmentStep: URIRef  # development step
    Document: URIRef  # document
    Experience: URIRef  # experience
    ExternalIdentity: URIRef  # external identity
    Framework: URIRef  # framework
    FundingInstrument: URIRef  # funding instrument
    Instrument: URIRef  # instrument
    InstrumentVersion: URIRef  # instrument version
    LearningActivity: URIRef  # learning activity
    LearningCommunity: URIRef  # learning community
    Mechanism: URIRef  # mechanism
    Method: URIRef  # method
    Organisation: URIRef  # organisation
    Outcome: URIRef  # outcome
    Person: URIRef  # person
    PhaseAssignment: URIRef  # phase assignment
    Programme: URIRef  # programme
    Project: URIRef  # project
    Region: URIRef  # region
    Resource: URIRef  # resource
    RoleAssignment: URIRef  # role assignment
    Session: URIRef  # session
    SimilarityLink: URIRef  # similarity link
    SourceGraph: URIRef  # source graph
    SuccessFactorAssessment: URIRef  # success factor assessment
    Tool: URIRef  # tool
    WorkForm: URIRef  # work form
    aboutInstrument: URIRef  # about instrument
    accountRole: URIRef  # account role
    adaptationOf: URIRef  # adaptation of
    adaptations: URIRef  # adaptations
    addressesChallenge: URIRef  # addresses challenge
    addressesFactor: URIRef  # addresses factor
    agent: URIRef  # agent
    appliedInstrument: URIRef  # applied instrument
    assessedCommunity: URIRef  # assessed community
    assessedOn: URIRef  # assessed on
    attributeOverlap: URIRef  # attribute overlap
    capital: URIRef  # capital
    catalogCode: URIRef  # catalog code
    changeAction: URIRef  # change action
    changeReason: URIRef  # change reason
    changedEntity: URIRef  # changed entity
    changedGraph: URIRef  # changed graph
    changelog: URIRef  # changelog
    chunkIndex: URIRef  # chunk index
    chunkOf: URIRef  # chunk of
    citation: URIRef  # citation
    community: URIRef  # community
    confidence: URIRef  # confidence
    contentHash: URIRef  # content hash
    context: URIRef  # context
    deprecated: URIRef  # deprecated
    developedBy: URIRef  # developed by
    developerText: URIRef  # developer (as printed)
    disabled: URIRef  # disabled
    endDate: URIRef  # end date
    evidenceLink: URIRef  # evidence link
    evidenceType: URIRef  # evidence type
    expiresAt: URIRef  # expires at
    extractionMethod: URIRef  # extraction method
    factor: URIRef  # factor
    factorCluster: URIRef  # factor cluster
    fileName: URIRef  # file name
    frameworkLevel: URIRef  # framework level
    fundedBy: URIRef  # funded by
    groupComposition: URIRef  # group composition
    hasForm: URIRef  # has form
    hasParticipant: URIRef  # has participant
    hasPractice: URIRef  # has practice
    hasVersion: URIRef  # has version
    inCase: URIRef  # in case
    inCommunity: URIRef  # in community
    inPhase: URIRef  # in phase
    inProgramme: URIRef  # in programme
    inRegion: URIRef  # in region
    inSector: URIRef  # in sector
    instrumentKind: URIRef  # instrument kind
    instrumentVersion: URIRef  # instrument version
    intendsOutcome: URIRef  # intends outcome
    isCounterExample: URIRef  # is counter-example
    language: URIRef  # language
    lastUsedAt: URIRef  # last used at
    lessonLearned: URIRef  # lesson learned
    lineEnd: URIRef  # last line
    lineStart: URIRef  # first line
    linkSource: URIRef  # link source
    linkTarget: URIRef  # link target
    mediaFormat: URIRef  # format
    mentions: URIRef  # mentions
    note: URIRef  # note
    observedOutcome: URIRef  # observed outcome
    ofAccount: URIRef  # of account
    oidcIssuer: URIRef  # OpenID issuer
    oidcSubject: URIRef  # OpenID subject
    originContext: URIRef  # origin context
    originSector: URIRef  # origin sector
    outcomeLevel: URIRef  # outcome level
    pageCount: URIRef  # page count
    pageEnd: URIRef  # last page
    pageStart: URIRef  # first page
    partOf: URIRef  # part of
    passwordHash: URIRef  # password hash
    phase: URIRef  # phase
    phaseAssignment: URIRef  # phase assignment
    phaseBasis: URIRef  # phase basis
    practiceType: URIRef  # practice type
    principalInvestigator: URIRef  # principal investigator
    proposalFor: URIRef  # proposal for
    purpose: URIRef  # purpose
    rating: URIRef  # rating
    region: URIRef  # region
    reportsOutcome: URIRef  # reports outcome
    reviewState: URIRef  # review state
    revokedAt: URIRef  # revoked at
    role: URIRef  # role
    scaleLevel: URIRef  # scale level
    score: URIRef  # score
    secretHash: URIRef  # secret hash
    section: URIRef  # section
    sectionTitle: URIRef  # section title
    servesPhase: URIRef  # serves phase
    shared: URIRef  # shared
    sharedAttribute: URIRef  # shared attribute
    similarTo: URIRef  # similar to
    similarityMethod: URIRef  # similarity method
    similarityScore: URIRef  # similarity score
    stakeholderType: URIRef  # stakeholder type
    startDate: URIRef  # start date
    stepKind: URIRef  # step kind
    submissionKind: URIRef  # submission kind
    supportsBoundaryMechanism: URIRef  # supports boundary mechanism
    targetGroupText: URIRef  # target group (as printed)
    targetRole: URIRef  # target role
    text: URIRef  # text
    textSimilarity: URIRef  # text similarity
    tokenScope: URIRef  # token scope
    trusted: URIRef  # trusted
    usesInstrument: URIRef  # uses instrument
    valueCycle: URIRef  # value cycle
    versionNumber: URIRef  # version number
    whatDidNotWork: URIRef  # what did not work
    whatWorked: URIRef  # what worked
    wilEmphasis: URIRef  # WIL emphasis


class LCC(DefinedNamespace):
    """SKOS concepts and schemes (concepts.ttl). Names are hyphenated: ``LCC["phase-start"]``."""

    _NS = Namespace("https://w3id.org/lcgraph/concept/")
    _fail = True
    _extras: list[str] = [  # noqa: RUF012
        "boundary-mechanism",
        "boundary-mechanism-coordination",
        "boundary-mechanism-identification",
        "boundary-mechanism-perspective-exchange",
        "boundary-mechanism-transformation",
        "capital",
        "capital-human",
        "capital-learning",
        "capital-reputational",
        "capital-social",
        "capital-tangible",
        "challenge",
        "challenge-ageing",
        "challenge-agriculture-water-food",
        "challenge-ai-literacy",
        "challenge-care-transition",
        "challenge-circular-city",
        "challenge-digital-divide",
        "challenge-digitalisation",
        "challenge-energy-transition",
        "challenge-gas-free-neighbourhoods",
        "challenge-health-care",
        "challenge-key-technologies",
        "challenge-labour-market-inclusion",
        "challenge-lifelong-development",
        "challenge-security",
        "challenge-societal-earning-capacity",
        "design-principle",
        "design-principle-autonomy",
        "design-principle-competence",
        "design-principle-context",
        "design-principle-cp1-interorganisational",
        "design-principle-cp2-mutual-dependence",
        "design-principle-cp3-intensive-involvement",
        "design-principle-cp4-scope-determines-setup",
        "design-principle-cp5-macro-complexity",
        "design-principle-cp6-context-dependence",
        "design-principle-culture",
        "design-principle-goals",
        "design-principle-outcomes",
        "design-principle-process",
        "design-principle-relatedness",
        "design-principle-structure",
        "extraction-method",
        "extraction-method-curated",
        "extraction-method-manual",
        "extraction-method-model",
        "extraction-method-rule",
        "framework-level",
        "framework-level-ecosystem",
        "framework-level-fieldlab",
        "framework-level-team",
        "instrument-kind",
        "instrument-kind-framework",
        "instrument-kind-method",
        "instrument-kind-resource",
        "instrument-kind-tool",
        "instrument-kind-work-form",
        "lc-form",
        "lc-form-centre-of-expertise",
        "lc-form-challenge-based-lc",
        "lc-form-civ",
        "lc-form-community-of-practice",
        "lc-form-fieldlab",
        "lc-form-generative-group",
        "lc-form-hub",
        "lc-form-hybrid-learning-environment",
        "lc-form-innovation-ecosystem",
        "lc-form-innovation-workplace",
        "lc-form-learning-lab",
        "lc-form-learning-network",
        "lc-form-living-lab",
        "lc-form-open-innovation-team",
        "lc-form-plc",
        "lc-form-praktijkwerkplaats",
        "lc-form-proeftuin",
        "lc-form-professional-workplace",
        "lc-form-public-private-partnership",
        "lc-form-skills-lab",
        "outcome-level",
        "outcome-level-macro",
        "outcome-level-meso",
        "outcome-level-micro",
        "phase",
        "phase-action",
        "phase-basis",
        "phase-basis-declared",
        "phase-basis-description-cue",
        "phase-basis-placement",
        "phase-design",
        "phase-evaluation",
        "phase-execute",
        "phase-orientation",
        "phase-start",
        "phase-sustain",
        "practice",
        "practice-business",
        "practice-citizens",
        "practice-education",
        "practice-government",
        "practice-knowledge",
        "practice-semi-public",
        "review-state",
        "review-state-approved",
        "review-state-private",
        "review-state-proposed",
        "review-state-rejected",
        "role",
        "role-ambassador",
        "role-boundary-worker",
        "role-community-builder",
        "role-community-manager",
        "role-consortium-leader",
        "role-coordinator",
        "role-core-group",
        "role-designer",
        "role-driver",
        "role-facilitator",
        "role-funder",
        "role-hrm-staff",
        "role-innovation-manager",
        "role-instrument-developer",
        "role-kwartiermaker",
        "role-line-manager",
        "role-moderator",
        "role-network-role",
        "role-owner-director",
        "role-participant",
        "role-programme-community-manager",
        "role-project-leader",
        "role-representative",
        "role-researcher",
        "role-steering-group",
        "role-student",
        "role-teacher",
        "role-webber",
        "scale-level",
        "scale-level-macro",
        "scale-level-meso",
        "scale-level-micro",
        "scale-level-nano",
        "sector",
        "sector-care-welfare",
        "sector-cross-sector",
        "sector-education",
        "sector-energy",
        "sector-horticulture",
        "sector-ict-ai",
        "sector-installation-energy",
        "sector-logistics",
        "sector-manufacturing",
        "sector-sustainability",
        "sector-transport",
        "sector-water",
        "stakeholder-type",
        "stakeholder-type-collectives",
        "stakeholder-type-education-institutions",
        "stakeholder-type-government-institutions",
        "stakeholder-type-organisations",
        "stakeholder-type-participants",
        "stakeholder-type-society",
        "step-kind",
        "step-kind-activity",
        "step-kind-decision",
        "step-kind-instrument-applied",
        "step-kind-outcome",
        "step-kind-phase-transition",
        "success-factor",
        "success-factor-cluster",
        "success-factor-cluster-content",
        "success-factor-cluster-people",
        "success-factor-cluster-precondition",
        "success-factor-cluster-process",
        "success-factor-cluster-sustaining-outcomes",
        "success-factor-sf01-driven-committed",
        "success-factor-sf02-qualities-roles",
        "success-factor-sf03-community-building",
        "success-factor-sf04-competition-sensitivity",
        "success-factor-sf05-shared-vision",
        "success-factor-sf06-together-awareness",
        "success-factor-sf07-interim-results",
        "success-factor-sf08-reputation",
        "success-factor-sf09-long-term-support",
        "success-factor-sf10-idea-application-gap",
        "success-factor-sf11-own-organisation",
        "success-factor-sf12-system-innovation",
        "value-cycle",
        "value-cycle-applied",
        "value-cycle-expected",
        "value-cycle-immediate",
        "value-cycle-potential",
        "value-cycle-realised",
        "value-cycle-transformative",
        "wil",
        "wil-innovating",
        "wil-learning",
        "wil-working",
    ]


LCD = Namespace("https://w3id.org/lcgraph/id/")
LCG = Namespace("https://w3id.org/lcgraph/graph/")
LCF = Namespace("https://w3id.org/lcgraph/fact/")
LCSH = Namespace("https://w3id.org/lcgraph/shapes#")
SCHEMA = Namespace("https://schema.org/")


def concept(scheme: str, slug: str) -> URIRef:
    """Return the IRI of concept ``slug`` in ``scheme``; raise AttributeError if it is not in concepts.ttl."""
    return LCC[f"{scheme}-{slug}"]
