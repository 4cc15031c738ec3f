"""The evaluation app's tables (re-exported: import from `shanlian.evaluation.models`)."""

from .assessments import (
    Assessment,
    AssessmentStatus,
    Call,
    CallStatus,
    Evidence,
    Objection,
    RaterKind,
    Rating,
    Reviewer,
    ReviewerStatus,
)
from .frameworks import (
    MAX_DEPTH,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    GradeBand,
    Indicator,
    IndicatorKind,
    Scoring,
)

__all__ = [
    "MAX_DEPTH", "Assessment", "AssessmentStatus", "Call", "CallStatus", "Evidence", "Framework", "FrameworkKind",
    "FrameworkStatus", "GradeBand", "Indicator", "IndicatorKind", "Objection", "RaterKind", "Rating", "Reviewer",
    "ReviewerStatus", "Scoring",
]
