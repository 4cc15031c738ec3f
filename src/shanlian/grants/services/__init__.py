"""Every write of the grants app, one typed function each (`<noun>_<verb>`), in a transaction."""

from .agreements import agreement_close, agreement_draft, agreement_sign, evidence_decide, evidence_submit, tranche_request
from .budget import budget_change_decide, budget_change_request, budget_change_withdraw, current_lines
from .needs import need_merge, need_submit, need_support
from .projects import (
    brand_list_add,
    brand_plan_review,
    brand_plan_save,
    brand_stage_set,
    contest_create,
    contest_winners_register,
    progress_report_submit,
    project_close,
    service_project_register,
)
from .proposals import proposal_return, proposal_save, proposal_screen, proposal_submit, proposal_withdraw
from .results import allocation_run, result_override, result_payer_set
from .reviews import criteria_set, review_recuse, review_submit, reviews_assign, tie_declare
from .rounds import phase_extend, round_close, round_create, round_open
from .votes import ballot_cast, paper_ballot_key

__all__ = [
    "agreement_close", "agreement_draft", "agreement_sign", "allocation_run", "ballot_cast", "criteria_set",
    "evidence_decide", "evidence_submit", "need_merge", "need_submit", "need_support", "paper_ballot_key",
    "phase_extend", "proposal_return", "proposal_save", "proposal_screen", "proposal_submit", "proposal_withdraw",
    "result_override", "review_recuse", "review_submit", "reviews_assign", "round_close", "round_create", "round_open",
    "tie_declare", "tranche_request", "budget_change_decide", "budget_change_request", "budget_change_withdraw",
    "current_lines", "brand_list_add", "brand_plan_review", "brand_plan_save", "brand_stage_set", "contest_create",
    "contest_winners_register", "progress_report_submit", "project_close", "service_project_register", "result_payer_set",
]
