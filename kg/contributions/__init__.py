"""Contributions: instruments, versions, experiences, cases, development steps, self-assessments, moderation.

Each contribution is a named graph with its submitter and review state (:mod:`.submissions`); every change
leaves an audit record (:mod:`.audit`); who sees what is decided once, in :mod:`kg.visibility`.
"""

from kg.contributions.communities import AssessmentInput, Communities, Progress, StepInput
from kg.contributions.experiences import ExperienceInput, Experiences, InstrumentExperiences
from kg.contributions.instruments import DeprecationInput, InstrumentInput, Instruments, VersionInput
from kg.contributions.submissions import Submission, Submissions

__all__ = [
    "AssessmentInput",
    "Communities",
    "DeprecationInput",
    "ExperienceInput",
    "Experiences",
    "InstrumentExperiences",
    "InstrumentInput",
    "Instruments",
    "Progress",
    "StepInput",
    "Submission",
    "Submissions",
    "VersionInput",
]
