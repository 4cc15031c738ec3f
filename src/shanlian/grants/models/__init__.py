"""The grants app's tables (re-exported: import from `shanlian.grants.models`)."""

from .agreements import (
    Agreement,
    AgreementStatus,
    BudgetChange,
    BudgetChangeStatus,
    Evidence,
    EvidenceStatus,
    Tranche,
    TrancheStatus,
)
from .projects import (
    BrandPlan,
    BrandPlanStatus,
    BrandStage,
    ProgressPhoto,
    ProgressReport,
    ProjectOrigin,
    ProjectStatus,
    ServiceProject,
)
from .proposals import (
    BudgetLine,
    LineCategory,
    Milestone,
    Need,
    NeedSource,
    NeedSupport,
    Proposal,
    ProposalAttachment,
    ProposalRevision,
    ProposalStatus,
)
from .reviews import Assignment, AssignmentStatus, Criterion, ReviewerTie, Score
from .rounds import PHASE_ORDER, BallotKind, GrantRound, Phase, PhaseExtension, PhaseKind, RoundFund, RoundKind, RoundStatus, Rule
from .votes import Ballot, BallotChannel, BallotChoice, PaperKeying, PaperStatus, Result

__all__ = [
    "PHASE_ORDER", "Agreement", "AgreementStatus", "Evidence", "EvidenceStatus", "Tranche", "TrancheStatus",
    "Assignment", "AssignmentStatus", "Ballot", "BallotChannel", "BallotChoice", "BallotKind", "BudgetLine",
    "Criterion", "GrantRound", "LineCategory", "Milestone", "Need", "NeedSource", "NeedSupport", "PaperKeying",
    "PaperStatus", "Phase", "PhaseExtension", "PhaseKind", "Proposal", "ProposalAttachment", "ProposalRevision",
    "ProposalStatus", "Result", "BrandStage", "ProgressPhoto", "ProgressReport", "ProjectOrigin", "ProjectStatus",
    "ServiceProject", "ReviewerTie", "RoundStatus", "Rule", "Score", "BrandPlan", "BrandPlanStatus", "BudgetChange",
    "BudgetChangeStatus", "RoundKind", "RoundFund",
]
