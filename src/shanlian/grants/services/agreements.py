"""Grant agreements: drafted for a funded proposal, signed by the applicant and then the fund (the award becomes the
project's money, out of the round's reservation), paid in tranches through the fund's four-eyes payouts, each after
its milestone's evidence is accepted, and closed with the final report (the leftover goes back to the fund)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity import services as cs
from shanlian.charity.models import LeftoverRule, Payout, PayoutStatus, Purpose
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import amount_in, int_in, model_text, text_in
from shanlian.core.money import CENT, Money
from shanlian.core.transitions import transition

from ..access import require_applicant_for, require_round_admin, require_round_staff
from ..models import (
    Agreement,
    AgreementStatus,
    BudgetChangeStatus,
    Evidence,
    EvidenceStatus,
    GrantRound,
    Milestone,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    RoundFund,
    RoundStatus,
    Tranche,
    TrancheStatus,
)
from ..phases import require_open
from .budget import current_lines
from .funds import reservations_sync
from .projects import project_close_with_agreement, project_from_agreement

MAX_TRANCHES = 6


def _tranche_amounts(award: Money, tranches: list[dict[str, Any]]) -> list[Money]:
    """Amounts given in yuan must add up to the award exactly; shares in percent (adding up to 100) are cut to the
    fen, the last tranche taking what the cuts left, so they add up too."""
    if all("percent" in t for t in tranches):
        shares = [int_in(t["percent"], field="tranches", minimum=1, maximum=100) for t in tranches]
        if sum(shares) != 100:
            raise field_error("tranches", "tranches_not_award", _("The tranches' shares add up to 100%."))
        amounts = [Money((award.amount * p / 100).quantize(CENT, rounding=ROUND_DOWN)) for p in shares[:-1]]
        return [*amounts, award - sum(amounts, Money(0))]
    amounts = [amount_in(t.get("amount"), field="tranches") for t in tranches]
    if sum(amounts, Money(0)) != award:
        raise field_error("tranches", "tranches_not_award", lazy_format(
            _("The tranches add up to %(sum)s; the award is %(award)s."), {"sum": sum(amounts, Money(0)), "award": award}))
    return amounts


@transaction.atomic
def agreement_draft(*, actor: Any, proposal: Proposal, tranches: list[dict[str, Any]],
                    reporting_dates: list[date] | tuple[date, ...] = ()) -> Agreement:
    """The agreement for a funded proposal: its award, its tranches (each {"amount"} or {"percent"}, and the number of
    the milestone that releases it; only the first, an advance, may have none) and the dates of its progress reports.
    Drafted again while no one has signed."""
    round: GrantRound = proposal.round
    require_round_staff(actor, round)
    require_open(round, PhaseKind.AGREEMENTS)
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    result = getattr(locked, "result", None)
    if locked.status != ProposalStatus.FUNDED or result is None or not result.funded:
        raise Conflict("not_funded", _("Only a funded proposal gets an agreement."))
    if not 1 <= len(tranches) <= MAX_TRANCHES:
        raise field_error("tranches", "tranches_count", lazy_format(_("From 1 to %(n)s tranches."), {"n": MAX_TRANCHES}))
    milestones = {m.n: m for m in locked.milestones.all()}
    chosen: list[Milestone | None] = []
    for i, t in enumerate(tranches):
        n = t.get("milestone")
        if n is None:
            if i:
                raise field_error("tranches", "milestone_required", _("Every tranche after the first is released by a milestone."))
            chosen.append(None)
            continue
        milestone = milestones.get(n) if isinstance(n, int) else None
        if milestone is None:
            raise field_error("tranches", "unknown_milestone", lazy_format(_("The proposal has no milestone %(n)s."), {"n": n}))
        if any(m is not None and m.n >= milestone.n for m in chosen):
            raise field_error("tranches", "milestone_order", _("Each tranche's milestone comes after the one before."))
        chosen.append(milestone)
    amounts = _tranche_amounts(result.amount, tranches)
    dates = sorted(set(reporting_dates))
    if len(dates) > 12 or any(not isinstance(d, date) or not locked.starts_on <= d <= locked.ends_on for d in dates):
        raise field_error("reporting_dates", "reporting_dates", _("Up to 12 reporting dates, within the project's period."))
    agreement = Agreement.objects.filter(proposal=locked).first()
    if agreement is not None and agreement.status != AgreementStatus.DRAFT:
        raise Conflict("agreement_signed", _("The agreement has been signed; it can no longer be drafted again."))
    if agreement is None:
        agreement = Agreement(proposal=locked, drafted_by=actor)
    agreement.amount, agreement.payee = result.amount, locked.applicant.name[:128]
    agreement.reporting_dates = [d.isoformat() for d in dates]
    agreement.save()
    agreement.tranches.all().delete()
    Tranche.objects.bulk_create([Tranche(agreement=agreement, n=i, amount=a, milestone=m)
                                 for i, (a, m) in enumerate(zip(amounts, chosen, strict=True), start=1)])
    audit_log(actor=actor, action="grants.agreement.draft", obj=agreement,
              after={"amount": str(agreement.amount), "tranches": [str(a) for a in amounts]})
    return agreement


@transaction.atomic
def agreement_sign(*, actor: Any, agreement: Agreement, area: str | None = None) -> Agreement:
    """The applicant signs first; the paying fund's signature (the custodian or the area's administrators) puts it in
    force: the fund's project is made, the award moves to it out of the fund's reservation, and the project enters the
    registry of service projects (`area`: its service area, else the proposal's main need category)."""
    proposal = agreement.proposal
    round = GrantRound.objects.select_for_update(of=("self",)).select_related("fund__division").get(pk=proposal.round_id)
    if round.status != RoundStatus.OPEN:
        raise Conflict("round_not_open", _("This round is not open."))
    if Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.DRAFT:
        require_applicant_for(actor, proposal.applicant_id)
        return transition(agreement, to=AgreementStatus.SIGNED_APPLICANT, allowed_from=[AgreementStatus.DRAFT], actor=actor,
                          action="grants.agreement.sign_applicant",
                          changes=lambda a: {"signed_by_applicant": actor, "signed_by_applicant_at": timezone.now()})
    fund = Result.objects.select_related("fund__division").get(proposal=proposal).fund
    if fund is None:  # an agreement is drafted for a funded proposal only, and a funded result names its fund
        raise Conflict("not_funded", _("Only a funded proposal gets an agreement."))
    require_round_admin(actor, round.fund)
    require_round_admin(actor, fund)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status == AgreementStatus.ACTIVE:
        return locked
    if locked.status != AgreementStatus.SIGNED_APPLICANT:
        raise Conflict("invalid_transition", _("The applicant signs first."))
    purpose = fund.purpose if fund.restricted else next(iter(proposal.needs.values_list("category", flat=True)), Purpose.GENERAL)
    project = cs.project_create(actor=actor, fund=fund, title=proposal.title, purpose=purpose, budget=locked.amount,
                                starts_on=proposal.starts_on, ends_on=proposal.ends_on, description=proposal.summary[:2000],
                                leftover_rule=LeftoverRule.FUND_GENERAL, by_agreement=True)
    # The paying fund's reservation is released and the award granted in one step, then re-made for its other awards.
    share = RoundFund.objects.select_for_update(of=("self",)).select_related("hold").get(round=round, fund=fund)
    cs.project_grant(actor=actor, project=project, amount=locked.amount, previous=share.hold)
    signed = transition(locked, to=AgreementStatus.ACTIVE, allowed_from=[AgreementStatus.SIGNED_APPLICANT], actor=actor,
                        action="grants.agreement.sign_fund", audit={"project": project.pk, "fund": fund.pk},
                        changes=lambda a: {"project": project, "signed_by_fund": actor, "signed_by_fund_at": timezone.now()})
    reservations_sync(actor=actor, round=round)
    project_from_agreement(actor=actor, agreement=signed, area=area)
    return signed


def _in_force(agreement: Agreement) -> None:
    if agreement.status != AgreementStatus.ACTIVE:
        raise Conflict("agreement_not_in_force", _("The agreement is not in force."))


@transaction.atomic
def evidence_submit(*, actor: Any, agreement: Agreement, milestone: int, text: str, person_times: Any = 0,
                    sessions: Any = 0) -> Evidence:
    """The applicant shows a milestone done: what was done, person-times (人次) and sessions (场次)."""
    require_applicant_for(actor, agreement.proposal.applicant_id)
    _in_force(agreement)
    text = text_in(text, field="text", max_length=2000, required=True, multiline=True)
    times = int_in(person_times, field="person_times", minimum=0, maximum=1_000_000)
    count = int_in(sessions, field="sessions", minimum=0, maximum=100_000)
    found = agreement.proposal.milestones.filter(n=milestone).first() if isinstance(milestone, int) else None
    if found is None:
        raise field_error("milestone", "unknown_milestone", lazy_format(_("The proposal has no milestone %(n)s."), {"n": milestone}))
    if Evidence.objects.filter(agreement=agreement, milestone=found, status__in=[EvidenceStatus.PENDING, EvidenceStatus.ACCEPTED]).exists():
        raise Conflict("evidence_pending", _("This milestone's evidence is waiting for review or already accepted."))
    evidence = Evidence.objects.create(agreement=agreement, milestone=found, text=text, person_times=times, sessions=count,
                                       submitted_by=actor)
    audit_log(actor=actor, action="grants.evidence.submit", obj=evidence, after={"milestone": found.n})
    return evidence


@transaction.atomic
def evidence_decide(*, actor: Any, evidence: Evidence, accept: bool, note: str = "") -> Evidence:
    """The round's staff accept a milestone's evidence (its tranche may then be asked for) or say why not."""
    require_round_staff(actor, evidence.agreement.proposal.round)
    note = model_text(Evidence, "note", note, required=not accept)
    if evidence.submitted_by_id == actor.pk:
        raise PermissionDenied("four_eyes", _("Whoever showed the evidence cannot accept it."))
    to = EvidenceStatus.ACCEPTED if accept else EvidenceStatus.REJECTED
    return transition(evidence, to=to, allowed_from=[EvidenceStatus.PENDING], actor=actor, action=f"grants.evidence.{to}",
                      changes=lambda e: {"decided_by": actor, "decided_at": timezone.now(), "note": note})


@transaction.atomic
def tranche_request(*, actor: Any, tranche: Tranche) -> Tranche:
    """Ask for a tranche: a payout request of the fund's project, decided by a second person at the custodian as
    every payout is. Only in order, only once its milestone's evidence is accepted; a rejected request may be made
    again."""
    locked = (Tranche.objects.select_for_update(of=("self",))
              .select_related("agreement__proposal", "agreement__project", "payout").get(pk=tranche.pk))
    agreement = locked.agreement
    _in_force(agreement)
    if locked.status == TrancheStatus.REQUESTED and locked.payout is not None and locked.payout.status not in (
            PayoutStatus.REJECTED, PayoutStatus.LAPSED):
        return locked
    earlier = agreement.tranches.filter(n__lt=locked.n).exclude(payout__status=PayoutStatus.PAID)
    if earlier.exists():
        raise Conflict("tranche_order", _("The tranches before this one are paid first."))
    if locked.milestone_id is not None and not Evidence.objects.filter(
            agreement=agreement, milestone_id=locked.milestone_id, status=EvidenceStatus.ACCEPTED).exists():
        raise Conflict("milestone_not_accepted", _("This tranche is paid after its milestone's evidence is accepted."))
    proposal = agreement.proposal
    assert agreement.project is not None
    attempt = Payout.objects.filter(external_id__startswith=f"grants.tranche:{locked.pk}:").count() + 1
    payout = cs.payout_request(
        actor=actor, fund=agreement.project.fund, project=agreement.project, title=f"{proposal.title} 第{locked.n}期资助款"[:128],
        payee=agreement.payee, lines=[(f"第{locked.n}期资助款", locked.amount)],
        external_id=f"grants.tranche:{locked.pk}:{attempt}", _by_agreement=True,
    )
    locked.status, locked.payout = TrancheStatus.REQUESTED, payout
    locked.save(update_fields=["status", "payout"])
    audit_log(actor=actor, action="grants.tranche.request", obj=locked, after={"payout": payout.pk, "amount": str(locked.amount)})
    return locked


@transaction.atomic
def agreement_close(*, actor: Any, agreement: Agreement, final_report: str, actuals: dict[int, Any] | None = None) -> Agreement:
    """Close with the final report (and what was spent per budget line): tranches not asked for are not paid, and
    whatever is left in the project goes back to the fund by a ledger entry."""
    round = agreement.proposal.round
    require_round_admin(actor, round.fund)
    report = text_in(final_report, field="final_report", max_length=5000, required=True, multiline=True)
    lines = {int(line["n"]): line for line in current_lines(agreement)}  # the budget as last approved
    spent: dict[str, str] = {}
    for n, value in (actuals or {}).items():
        if n not in lines:
            raise field_error("actuals", "unknown_line", lazy_format(_("The budget has no line %(n)s."), {"n": n}))
        spent[str(n)] = str(amount_in(value, field="actuals", positive=False).amount)
    if sum((Decimal(v) for v in spent.values()), Decimal(0)) > agreement.amount.amount:
        raise field_error("actuals", "actuals_over_award", _("More spent than the award."))
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.status == AgreementStatus.CLOSED:
        return locked
    _in_force(locked)
    if locked.tranches.filter(payout__status__in=[PayoutStatus.REQUESTED, PayoutStatus.APPROVED]).exists():
        raise Conflict("tranche_pending", _("A tranche's payout is still waiting to be decided or paid."))
    if locked.budget_changes.filter(status=BudgetChangeStatus.PENDING).exists():
        raise Conflict("budget_change_pending", _("A budget change is waiting for a decision; decide it or withdraw it first."))
    assert locked.project is not None
    cs.project_end(actor=actor, project=locked.project)
    closed = transition(locked, to=AgreementStatus.CLOSED, allowed_from=[AgreementStatus.ACTIVE], actor=actor,
                        action="grants.agreement.close",
                        changes=lambda a: {"final_report": report, "actuals": spent, "closed_at": timezone.now()})
    project_close_with_agreement(actor=actor, agreement=closed)
    return closed
