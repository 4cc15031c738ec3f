"""The cases app's tables, re-exported: beneficiaries and what belongs to them, consent and data-subject requests."""

from .beneficiaries import (
    SENSITIVE,
    SENSITIVE_BY_NAME,
    Allowance,
    AllowanceKind,
    Beneficiary,
    BeneficiaryStatus,
    CareArea,
    Category,
    Guardian,
    HouseholdMember,
    LivingSituation,
    Relation,
    Sensitive,
)
from .cycle import (
    OPEN_STATUSES,
    Assessment,
    AssessmentKind,
    CareKind,
    Case,
    CaseSource,
    CaseStatus,
    Goal,
    GoalResult,
    Instrument,
    Plan,
    PlanStatus,
    RecordKind,
    Referral,
    ReferralStatus,
    Review,
    ReviewGoal,
    ReviewKind,
    ServiceRecord,
)
from .privacy import Consent, ConsentText, DataRequest, GivenBy, RequestKind, RequestStatus
from .purposes import Purpose, Recipient

__all__ = [
    "OPEN_STATUSES", "Assessment", "AssessmentKind", "CareKind", "Case", "CaseSource", "CaseStatus", "Goal", "GoalResult",
    "Instrument", "Plan", "PlanStatus", "RecordKind", "Referral", "ReferralStatus", "Review", "ReviewGoal", "ReviewKind",
    "ServiceRecord",
    "SENSITIVE", "SENSITIVE_BY_NAME", "Allowance", "AllowanceKind", "Beneficiary", "BeneficiaryStatus", "CareArea", "Category",
    "Consent", "ConsentText", "DataRequest", "GivenBy", "Guardian", "HouseholdMember", "LivingSituation", "Purpose", "Recipient",
    "Relation", "RequestKind", "RequestStatus", "Sensitive",
]
