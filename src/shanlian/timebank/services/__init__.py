"""Every write of the time bank, one typed function each, in a transaction."""

from .activities import ConsoleNotifier, activity_publish, reminders_send, signup_cancel, signup_create
from .attendance import (
    check_in,
    check_out,
    covered_hours,
    hours_agency_approve,
    hours_approve,
    hours_decline,
    hours_late_entry,
    qr_check,
    qr_token,
)
from .catalog import catalog_item_create, redemption_cancel, redemption_create, redemption_fulfil
from .certificates import certificate_issue
from .quiz import (
    ImportRefused,
    ImportResult,
    RowProblem,
    question_clean,
    quiz_question_create,
    quiz_question_edit,
    quiz_question_reactivate,
    quiz_question_retire,
    quiz_questions_import,
)
from .volunteers import credits_give, family_link, is_certified, next_star, quiz_start, quiz_submit, star_level, volunteer_register

__all__ = [
    "ConsoleNotifier",
    "ImportRefused",
    "ImportResult",
    "RowProblem",
    "activity_publish",
    "catalog_item_create",
    "certificate_issue",
    "check_in",
    "check_out",
    "covered_hours",
    "credits_give",
    "family_link",
    "hours_agency_approve",
    "hours_approve",
    "hours_decline",
    "hours_late_entry",
    "is_certified",
    "next_star",
    "qr_check",
    "qr_token",
    "question_clean",
    "quiz_question_create",
    "quiz_question_edit",
    "quiz_question_reactivate",
    "quiz_question_retire",
    "quiz_questions_import",
    "quiz_start",
    "quiz_submit",
    "redemption_cancel",
    "redemption_create",
    "redemption_fulfil",
    "reminders_send",
    "signup_cancel",
    "signup_create",
    "star_level",
    "volunteer_register",
]
