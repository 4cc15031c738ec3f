"""The evaluation app's tables (re-exported: import from `shanlian.evaluation.models`)."""

from .assessments import (
    REVIEWER_ROLES,
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
from .capacity import (
    ActionItem,
    ActionStatus,
    Advice,
    Answer,
    CoachingSession,
    Diagnosis,
    DiagnosisStatus,
    Dimension,
    Question,
    Questionnaire,
    QuestionnaireKind,
    Respondent,
    RespondentRole,
    StaffAssessment,
    StaffScore,
)
from .frameworks import (
    MAX_DEPTH,
    Framework,
    FrameworkKind,
    FrameworkStatus,
    GradeBand,
    Indicator,
    IndicatorKind,
    IndicatorSource,
    Scoring,
    StationResult,
    result_label,
    results_of,
)
from .satisfaction import Audience, Survey, SurveyResponse
from .supervision import (
    Finding,
    Rectification,
    Reminder,
    Severity,
    SupervisionGroup,
    SupervisionSession,
    SupervisionTask,
    TaskKind,
    TaskStatus,
)
from .supervision import Rating as CheckRating

__all__ = [
    "MAX_DEPTH", "REVIEWER_ROLES", "ActionItem", "ActionStatus", "Advice", "Answer", "Assessment", "AssessmentStatus", "Audience", "Call",
    "CallStatus", "CheckRating", "CoachingSession", "Diagnosis", "DiagnosisStatus", "Dimension", "Evidence", "Finding",
    "Framework", "FrameworkKind", "FrameworkStatus", "GradeBand", "Indicator", "IndicatorKind", "IndicatorSource", "Objection", "Question",
    "Questionnaire", "QuestionnaireKind", "RaterKind", "Rating", "Rectification", "Reminder", "Respondent",
    "RespondentRole", "Reviewer", "ReviewerStatus", "Scoring", "Severity", "StationResult", "StaffAssessment", "StaffScore",
    "SupervisionGroup", "SupervisionSession", "SupervisionTask", "Survey", "SurveyResponse", "TaskKind", "TaskStatus",
    "result_label", "results_of",
]
