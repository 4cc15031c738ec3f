"""The API of micro-venture rounds: the agreements operations (mounted at /api/grants).

Both sides of an agreement use it, as on the pages: the round's staff draft it for a funded proposal, decide on the
evidence and ask for the tranches; the applicant's managers sign it and send evidence; the fund's custodian (or the
area's administrators) signs it into force and closes it. An agreement the caller is on neither side of is a 404.
Every write is one agreements service; a tranche's payout is then approved and paid on the charity API
(POST /api/charity/payouts/{payout_id}/approve, /pay) by a finance officer of the custodian who did not ask for it.

Amounts are strings of yuan with two decimals ("7200.00"); times ISO 8601 in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.charity.models import Purpose
from shanlian.core.errors import PermissionDenied, field_error
from shanlian.core.money import Money
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.selectors import actor_scope

from . import selectors_agreements as sel
from .models import Agreement, AgreementStatus, BudgetChangeStatus, Evidence, LineCategory, Tranche
from .services.agreements import (
    MAX_TRANCHES,
    agreement_close,
    agreement_draft,
    agreement_sign,
    evidence_decide,
    evidence_submit,
    tranche_request,
)
from .services.budget import MAX_LINES, budget_change_decide, budget_change_request, budget_change_withdraw

router = Router(tags=["grants"])

SmallN = Annotated[int, Field(ge=1, le=32767)]
AmountText = Annotated[str, Field(min_length=1, max_length=24, examples=["7200.00"])]


def yuan(value: Any) -> str:
    amount = value.amount if isinstance(value, Money) else Decimal(value or 0)
    return f"{amount:.2f}"


def local_iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(timezone.get_default_timezone()).isoformat() if value is not None else None


# -- shapes -----------------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class ProposalRef(Schema):
    id: int
    number: int
    title: str


class FundRef(Schema):
    code: str
    name: str


class MoneyByState(Schema):
    paid: str = Field(..., description="Tranches paid.")
    pending: str = Field(..., description="Tranches asked for, waiting for approval or the payment.")
    scheduled: str = Field(..., description="Tranches not yet asked for (or asked for and rejected).")


class AgreementOut(Schema):
    id: int
    proposal: ProposalRef
    round: Ref
    fund: FundRef
    applicant: Ref
    payee: str
    amount: str = Field(..., examples=["18000.00"])
    status: str = Field(..., description="draft, signed_app (signed by the applicant), active (in force), closed.")
    status_label: str
    reporting_dates: list[str]
    drafted_at: str | None
    signed_by_applicant_at: str | None
    signed_by_fund_at: str | None
    closed_at: str | None
    project_id: int | None = Field(..., description="The fund's project the award became, once in force.")
    money: MoneyByState


class AgreementPage(PageOut):
    results: list[AgreementOut]


class PayoutRef(Schema):
    id: int
    status: str
    status_label: str


class TrancheOut(Schema):
    id: int
    n: int
    amount: str
    milestone: int | None = Field(..., description="The milestone whose accepted evidence releases it (none: an advance).")
    state: str = Field(..., description="scheduled, or its payout's status: requested, approved, paid, rejected, lapsed.")
    state_label: str
    payout: PayoutRef | None
    may_request: bool = Field(False, description="The caller may ask for it now.")


class EvidenceOut(Schema):
    id: int
    milestone: int
    text: str
    person_times: int
    sessions: int
    status: str = Field(..., description="pending, accepted, rejected.")
    submitted_by: str
    submitted_at: str | None
    decided_by: str | None
    decided_at: str | None
    note: str
    may_decide: bool = Field(False, description="The caller may accept or reject it (never the one who sent it).")


class MilestoneOut(Schema):
    n: int
    title: str
    due_on: dt.date
    tranches: list[int]
    accepted: bool
    evidence: list[EvidenceOut]


class LineOut(Schema):
    n: int
    category: str
    item: str
    budget: str
    actual: str | None = Field(..., description="Spent, as reported at the close.")


class ChangeLineOut(Schema):
    n: int
    item: str
    before: str | None = Field(..., description="None: a line the change adds.")
    after: str


class BudgetChangeOut(Schema):
    id: int
    number: int
    status: str = Field(..., description="pending, approved, rejected, withdrawn.")
    reason: str
    lines: list[ChangeLineOut] = Field(..., description="Every line of the budget it asks for, with the amount before.")
    requested_by: str
    requested_at: str | None
    decided_by: str | None
    decided_at: str | None
    note: str
    may_decide: bool = False
    may_withdraw: bool = False


class AgreementDetailOut(AgreementOut):
    tranches: list[TrancheOut]
    milestones: list[MilestoneOut]
    lines: list[LineOut] = Field(..., description="The budget as it stands (the latest approved change's lines).")
    budget_changes: list[BudgetChangeOut]
    final_report: str
    actions: list[str] = Field(..., description="What the caller may do now: sign_applicant, sign_fund, redraft, evidence, "
                               "close, budget_change (and see may_request, may_decide, may_withdraw).")


class AgreementFilter(PageIn):
    status: AgreementStatus | None = None


class TrancheIn(Schema):
    amount: AmountText | None = Field(None, description="Yuan; every tranche an amount, adding up to the award exactly.")
    percent: int | None = Field(None, ge=1, le=100, description="Or every tranche a share of the award, adding up to 100.")
    milestone: SmallN | None = Field(None, description="The milestone releasing it; only the first may have none.")


class DraftIn(Schema):
    tranches: list[TrancheIn] = Field(..., max_length=2 * MAX_TRANCHES, description=f"1 to {MAX_TRANCHES} tranches, in order.")
    reporting_dates: list[dt.date] = Field([], max_length=24, description="Up to 12 dates, within the project's period.")


class EvidenceIn(Schema):
    milestone: SmallN
    text: str = Field(..., max_length=2000, description="What was done.")
    person_times: int = Field(0, ge=0, le=1_000_000, description="Person-times served (人次).")
    sessions: int = Field(0, ge=0, le=100_000, description="Sessions (场次).")


class DecisionIn(Schema):
    accept: bool
    note: str = Field("", max_length=300, description="Why not: required when not accepted.")


class ActualIn(Schema):
    line: SmallN = Field(..., description="The budget line's number.")
    amount: AmountText


class SignIn(Schema):
    area: Purpose | None = Field(None, description="The fund's signature only: the project's service area in the registry "
                                 "(else the needs it answers say).")


class NewLineIn(Schema):
    category: LineCategory
    item: str = Field(..., max_length=100)
    amount: AmountText
    unit: str = Field("", max_length=10)


class BudgetChangeIn(Schema):
    amounts: list[ActualIn] = Field([], max_length=MAX_LINES, description="New amounts of lines by number (0: nothing more "
                                    "on it); lines not named keep theirs.")
    new_lines: list[NewLineIn] = Field([], max_length=MAX_LINES)
    reason: str = Field(..., max_length=500)


class ChangeDecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=300, description="Why not: required when not approved.")


class CloseIn(Schema):
    final_report: str = Field(..., max_length=5000)
    actuals: list[ActualIn] = Field([], max_length=200, description="Spent per budget line; at most the award in all.")


# -- answers ----------------------------------------------------------------------------------------------------


def _name(user: Any) -> str:
    return (user.first_name or user.username) if user is not None else ""


def agreement_out(a: Agreement, money: dict[str, Money]) -> dict[str, Any]:
    p = a.proposal
    return {
        "id": a.pk, "proposal": {"id": p.pk, "number": p.number, "title": p.title},
        "round": {"id": p.round_id, "name": p.round.title}, "fund": {"code": p.round.fund.code, "name": p.round.fund.name},
        "applicant": {"id": p.applicant_id, "name": p.applicant.name}, "payee": a.payee, "amount": yuan(a.amount),
        "status": a.status, "status_label": str(a.get_status_display()), "reporting_dates": list(a.reporting_dates or []),
        "drafted_at": local_iso(a.drafted_at), "signed_by_applicant_at": local_iso(a.signed_by_applicant_at),
        "signed_by_fund_at": local_iso(a.signed_by_fund_at), "closed_at": local_iso(a.closed_at), "project_id": a.project_id,
        "money": {k: yuan(v) for k, v in money.items()},
    }


def tranche_out(row: sel.TrancheRow) -> dict[str, Any]:
    t = row.tranche
    payout = t.payout
    return {"id": t.pk, "n": t.n, "amount": yuan(t.amount), "milestone": t.milestone.n if t.milestone is not None else None,
            "state": row.state, "state_label": str(row.state_label), "may_request": row.may_request,
            "payout": {"id": payout.pk, "status": payout.status, "status_label": str(payout.get_status_display())}
            if payout is not None else None}


def evidence_out(e: Evidence, milestone_n: int, may_decide: bool = False) -> dict[str, Any]:
    return {"id": e.pk, "milestone": milestone_n, "text": e.text, "person_times": e.person_times, "sessions": e.sessions,
            "status": e.status, "submitted_by": _name(e.submitted_by), "submitted_at": local_iso(e.submitted_at),
            "decided_by": _name(e.decided_by) if e.decided_by_id else None, "decided_at": local_iso(e.decided_at),
            "note": e.note, "may_decide": may_decide}


def change_out(row: sel.ChangeRow) -> dict[str, Any]:
    c = row.change
    return {"id": c.pk, "number": c.number, "status": c.status, "reason": c.reason,
            "lines": [{"n": x.n, "item": x.item, "before": yuan(x.before) if x.before is not None else None, "after": yuan(x.after)}
                      for x in row.lines],
            "requested_by": _name(c.requested_by), "requested_at": local_iso(c.requested_at),
            "decided_by": _name(c.decided_by) if c.decided_by_id else None, "decided_at": local_iso(c.decided_at), "note": c.note,
            "may_decide": row.may_decide, "may_withdraw": row.may_withdraw}


def detail_out(request: ApiRequest, agreement_id: int) -> dict[str, Any]:
    scope = actor_scope(request.auth)
    agreement, sides = sel.agreement_get(scope=scope, actor=request.auth, agreement_id=agreement_id)
    view = sel.agreement_view(agreement=agreement, sides=sides, user_id=request.auth.pk)
    return {
        **agreement_out(agreement, view.money),
        "tranches": [tranche_out(row) for row in view.tranches],
        "milestones": [{"n": m.milestone.n, "title": m.milestone.title, "due_on": m.milestone.due_on, "tranches": m.tranches,
                        "accepted": m.accepted,
                        "evidence": [evidence_out(e, m.milestone.n, e.pk in view.decidable) for e in m.evidence]}
                       for m in view.milestones],
        "lines": [{"n": line.n, "category": str(line.category), "item": line.item, "budget": yuan(line.budget),
                   "actual": yuan(line.actual) if line.actual is not None else None} for line in view.lines],
        "budget_changes": [change_out(row) for row in view.changes],
        "final_report": agreement.final_report, "actions": sorted(view.actions),
    }


# -- operations -------------------------------------------------------------------------------------------------


@router.get("/agreements", response={200: AgreementPage, **errors(400, 401)}, summary="Grant agreements you are a party to")
def agreements_index(request: ApiRequest, filters: Query[AgreementFilter]) -> Any:
    """The round's staff see their rounds' agreements, applicants their organizations'; newest first, with the money
    paid, asked for and still scheduled."""
    page = paginate(sel.agreements_list(scope=actor_scope(request.auth), status=filters.status or ""), filters)
    page["results"] = [agreement_out(a, sel.money_by_state(a)) for a in page["results"]]
    return page


@router.get("/agreements/{id:agreement_id}", response={200: AgreementDetailOut, **errors(400, 401, 404)},
            summary="One grant agreement")
def agreements_detail(request: ApiRequest, agreement_id: int) -> Any:
    """With its tranches and their payouts, the evidence per milestone, the budget against what was spent, and what
    the caller may do now."""
    return detail_out(request, agreement_id)


@router.post("/proposals/{id:proposal_id}/agreement", response={200: AgreementDetailOut, 201: AgreementDetailOut,
                                                                 **errors(400, 401, 403, 404, 409)},
             summary="Draft the agreement of a funded proposal")
def agreements_draft(request: ApiRequest, proposal_id: int, payload: DraftIn) -> Any:
    """The round's staff, in the agreements phase: the tranches as amounts or shares adding up to the award, each after
    the first released by a milestone (in order), and the dates of progress reports. Drafting again (while no one has
    signed) replaces the draft: 200; the first draft: 201."""
    proposal = sel.proposal_for_agreement(scope=actor_scope(request.auth), proposal_id=proposal_id)
    rows: list[dict[str, Any]] = []
    for t in payload.tranches:
        if (t.amount is None) == (t.percent is None):
            raise field_error("tranches", "tranche_amount_or_percent", _("Give each tranche an amount or a share, not both."))
        rows.append({"amount": t.amount} if t.amount is not None else {"percent": t.percent})
        rows[-1]["milestone"] = t.milestone
    if len({"amount" in r for r in rows}) > 1:
        raise field_error("tranches", "tranches_mixed", _("Give every tranche as an amount, or every one as a share."))
    existed = sel.agreement_of(proposal) is not None
    agreement = agreement_draft(actor=request.auth, proposal=proposal, tranches=rows, reporting_dates=payload.reporting_dates)
    return Status(200 if existed else 201, detail_out(request, agreement.pk))


@router.post("/agreements/{id:agreement_id}/sign", response={200: AgreementDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Sign an agreement")
def agreements_sign(request: ApiRequest, agreement_id: int, payload: SignIn | None = None) -> Any:
    """The applicant's managers sign first; then the fund's custodian or the area's administrators sign it into force
    (the award moves from the round's reservation to the fund's project, and the project enters the registry of
    service projects). Signing again is quiet."""
    agreement, _sides = sel.agreement_get(scope=actor_scope(request.auth), actor=request.auth, agreement_id=agreement_id)
    area = payload.area if payload is not None and payload.area is not None else None
    agreement_sign(actor=request.auth, agreement=agreement, area=str(area) if area is not None else None)
    return detail_out(request, agreement_id)


@router.post("/agreements/{id:agreement_id}/evidence", response={201: EvidenceOut, **errors(400, 401, 403, 404, 409)},
             summary="Show a milestone done")
def agreements_evidence(request: ApiRequest, agreement_id: int, payload: EvidenceIn) -> Any:
    """The applicant's managers, while the agreement is in force: what was done, person-times and sessions. One at a
    time per milestone: again only after a rejection."""
    agreement, _sides = sel.agreement_get(scope=actor_scope(request.auth), actor=request.auth, agreement_id=agreement_id)
    evidence = evidence_submit(actor=request.auth, agreement=agreement, milestone=payload.milestone, text=payload.text,
                               person_times=payload.person_times, sessions=payload.sessions)
    evidence = Evidence.objects.select_related("submitted_by", "decided_by").get(pk=evidence.pk)
    return Status(201, evidence_out(evidence, payload.milestone))


@router.post("/evidence/{id:evidence_id}/decision", response={200: EvidenceOut, **errors(400, 401, 403, 404, 409)},
             summary="Accept or reject a milestone's evidence")
def evidence_decision(request: ApiRequest, evidence_id: int, payload: DecisionIn) -> Any:
    """The round's staff, never the one who sent it; a rejection says why. Accepted evidence releases its tranche."""
    evidence, _sides = sel.evidence_get(scope=actor_scope(request.auth), actor=request.auth, evidence_id=evidence_id)
    evidence_decide(actor=request.auth, evidence=evidence, accept=payload.accept, note=payload.note)
    fresh = Evidence.objects.select_related("submitted_by", "decided_by", "milestone").get(pk=evidence_id)
    return evidence_out(fresh, fresh.milestone.n)


@router.post("/tranches/{id:tranche_id}/request", response={200: TrancheOut, **errors(400, 401, 403, 404, 409)},
             summary="Ask for a tranche's payout")
def tranches_request(request: ApiRequest, tranche_id: int) -> Any:
    """The round's staff who may ask the fund for payouts, in order, each once its milestone's evidence is accepted:
    a payout request of the fund's project, approved and paid on the charity API by a finance officer of the
    custodian who did not ask for it. Asking again while it waits answers with the same payout; after a rejection, a
    new one."""
    tranche, sides = sel.tranche_get(scope=actor_scope(request.auth), actor=request.auth, tranche_id=tranche_id)
    if not sides.staff:
        raise PermissionDenied("not_round_staff", _("Only the staff running this round may do this."))
    tranche = tranche_request(actor=request.auth, tranche=tranche)
    fresh = Tranche.objects.select_related("payout", "milestone").get(pk=tranche.pk)
    state = sel.tranche_state(fresh)
    return tranche_out(sel.TrancheRow(tranche=fresh, state=state, state_label=sel.TRANCHE_STATE_LABELS.get(state, state)))


@router.post("/agreements/{id:agreement_id}/close", response={200: AgreementDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Close an agreement with its final report")
def agreements_close(request: ApiRequest, agreement_id: int, payload: CloseIn) -> Any:
    """The fund's custodian or the area's administrators, once no tranche's payout is waiting: tranches not asked for
    are not paid, and what the project did not spend goes back to the fund."""
    agreement, _sides = sel.agreement_get(scope=actor_scope(request.auth), actor=request.auth, agreement_id=agreement_id)
    actuals: dict[int, Any] = {}
    for row in payload.actuals:
        if row.line in actuals:
            raise field_error("actuals", "duplicate_line", _("Each budget line once."))
        actuals[row.line] = row.amount
    agreement_close(actor=request.auth, agreement=agreement, final_report=payload.final_report, actuals=actuals)
    return detail_out(request, agreement_id)


# -- budget changes ---------------------------------------------------------------------------------------------


def _change_answer(request: ApiRequest, change_id: int) -> dict[str, Any]:
    change, sides = sel.budget_change_get(scope=actor_scope(request.auth), actor=request.auth, change_id=change_id)
    user_id = request.auth.pk
    row = sel.ChangeRow(change=change, lines=sel.change_lines(change),
                        may_decide=sides.admin and change.status == BudgetChangeStatus.PENDING and change.requested_by_id != user_id,
                        may_withdraw=sides.applicant and change.status == BudgetChangeStatus.PENDING)
    return change_out(row)


@router.post("/agreements/{id:agreement_id}/budget-changes", response={201: BudgetChangeOut, **errors(400, 401, 403, 404, 409)},
             summary="Ask to change an agreement's budget")
def budget_changes_create(request: ApiRequest, agreement_id: int, payload: BudgetChangeIn) -> Any:
    """The applicant's managers, until the agreement is closed, one request at a time: new amounts for lines and new
    lines, the budget still adding up to the award exactly. A round administrator other than the requester decides."""
    agreement, _sides = sel.agreement_get(scope=actor_scope(request.auth), actor=request.auth, agreement_id=agreement_id)
    amounts: dict[int, Any] = {}
    for row in payload.amounts:
        if row.line in amounts:
            raise field_error("amounts", "duplicate_line", _("Each budget line once."))
        amounts[row.line] = row.amount
    change = budget_change_request(actor=request.auth, agreement=agreement, amounts=amounts, reason=payload.reason,
                                   new_lines=[{"category": str(x.category), "item": x.item, "amount": x.amount, "unit": x.unit}
                                              for x in payload.new_lines])
    return Status(201, _change_answer(request, change.pk))


@router.post("/budget-changes/{id:change_id}/decision", response={200: BudgetChangeOut, **errors(400, 401, 403, 404, 409)},
             summary="Approve or reject a budget change")
def budget_changes_decide(request: ApiRequest, change_id: int, payload: ChangeDecisionIn) -> Any:
    """The fund's custodian or the area's administrators, never the requester; a rejection says why. Approved, its
    lines are the budget the close is reported against."""
    change, _sides = sel.budget_change_get(scope=actor_scope(request.auth), actor=request.auth, change_id=change_id)
    budget_change_decide(actor=request.auth, change=change, approve=payload.approve, note=payload.note)
    return _change_answer(request, change_id)


@router.post("/budget-changes/{id:change_id}/withdraw", response={200: BudgetChangeOut, **errors(400, 401, 403, 404, 409)},
             summary="Withdraw a budget change still waiting")
def budget_changes_withdraw(request: ApiRequest, change_id: int) -> Any:
    change, _sides = sel.budget_change_get(scope=actor_scope(request.auth), actor=request.auth, change_id=change_id)
    budget_change_withdraw(actor=request.auth, change=change)
    return _change_answer(request, change_id)
