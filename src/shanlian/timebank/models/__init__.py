"""The time bank: volunteers, quiz, activities, attendance, hours, credits (ledger unit HOUR), catalog."""

from .activities import Activity, ActivityStatus, Category, Shift, Signup, SignupStatus
from .attendance import Attendance, HoursRecord, HoursStatus
from .catalog import CatalogItem, Redemption, RedemptionStatus
from .certificates import ServiceCertificate
from .volunteers import FamilyLink, Notification, QuizAttempt, QuizQuestion, Skill, Volunteer, quiz_pool

__all__ = [
    "Activity",
    "ActivityStatus",
    "Attendance",
    "CatalogItem",
    "Category",
    "FamilyLink",
    "HoursRecord",
    "HoursStatus",
    "Notification",
    "QuizAttempt",
    "QuizQuestion",
    "Redemption",
    "RedemptionStatus",
    "ServiceCertificate",
    "Shift",
    "Signup",
    "SignupStatus",
    "Skill",
    "Volunteer",
    "quiz_pool",
]
