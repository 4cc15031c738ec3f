"""Agreements and tranches: a funded proposal's agreement, signed by the applicant and then the fund (the award moves
out of the round's reservation into the project), tranches paid through the four-eyes payouts only after their
milestone's evidence is accepted, and the close with the leftover back in the fund."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.models import PayoutStatus, ProjectStatus
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.grants.models import (
    AgreementStatus,
    BudgetLine,
    Milestone,
    PhaseKind,
    Proposal,
    ProposalStatus,
    Result,
    TrancheStatus,
)
from shanlian.grants.services.agreements import (
    agreement_close,
    agreement_draft,
    agreement_sign,
    evidence_decide,
    evidence_submit,
    tranche_request,
)
from shanlian.grants.services.funds import reservations_sync

from .conftest import hold_of

pytestmark = pytest.mark.django_db


def funded(world, round, *, award: str = "18000") -> Proposal:
    group = world.groups["长者互助队"]
    p = Proposal.objects.create(
        round=round, number=1, applicant=group, submitted_by=world.managers["长者互助队"], title="耆乐安居·长者居家安全改造",
        summary="为独居长者上门评估居家安全并加装扶手、防滑垫和感应夜灯。", beneficiaries="北京街独居及高龄长者",
        beneficiary_count=60, outcomes="60户长者家中完成安全改造，跌倒风险评估全覆盖。", requested="20000", accepted_price=award,
        status=ProposalStatus.FUNDED, starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 12, 31), submitted_at=timezone.now())
    BudgetLine.objects.create(proposal=p, n=1, category="materials", item="扶手与防滑垫", quantity=60, unit="户",
                              unit_price="300", amount="18000")
    for n, (title, day) in enumerate([("完成60户入户评估", dt.date(2026, 5, 31)), ("完成40户安全改造", dt.date(2026, 9, 30)),
                                      ("全部改造完成并回访", dt.date(2026, 12, 15))], start=1):
        Milestone.objects.create(proposal=p, n=n, title=title, due_on=day)
    Result.objects.create(round=round, proposal=p, rank=1, votes=120, funded=True, amount=award, fund=round.fund,
                          reason_code="greedy_funded", reason_params={"approvals": 120}, decided_at=timezone.now())
    reservations_sync(actor=world.admin, round=round)  # as the allocation leaves it: the fund holds the award
    return p


@pytest.fixture
def deal(world):
    r = world.round(PhaseKind.AGREEMENTS)
    return r, funded(world, r)


def available(fund) -> Decimal:
    fund.account.refresh_from_db()
    return fund.account.balance - fund.account.held


PLAN = [{"percent": 40}, {"percent": 40, "milestone": 1}, {"percent": 20, "milestone": 3}]


def test_tranches_add_up_to_the_award(world, deal):
    r, p = deal
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN, reporting_dates=[dt.date(2026, 6, 30)])
    assert [t.amount.amount for t in a.tranches.all()] == [Decimal("7200.00"), Decimal("7200.00"), Decimal("3600.00")]
    odd = funded(world, world.round(PhaseKind.AGREEMENTS, title="另一轮", budget="30000"), award="10000.01")
    b = agreement_draft(actor=world.staff, proposal=odd, tranches=[{"percent": 33}, {"percent": 33, "milestone": 1},
                                                                   {"percent": 34, "milestone": 2}])
    assert sum(t.amount.amount for t in b.tranches.all()) == Decimal("10000.01")
    for plan, code in [
        ([{"amount": "9000"}, {"amount": "8000", "milestone": 1}], "tranches_not_award"),
        ([{"percent": 50}, {"percent": 40, "milestone": 1}], "tranches_not_award"),
        ([{"amount": "9000"}, {"amount": "9000"}], "milestone_required"),
        ([{"amount": "9000"}, {"amount": "9000", "milestone": 7}], "unknown_milestone"),
        ([{"amount": "6000", "milestone": 2}, {"amount": "12000", "milestone": 1}], "milestone_order"),
        ([{"amount": "3000"}] * 7, "tranches_count"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            agreement_draft(actor=world.staff, proposal=p, tranches=plan)
        assert refused.value.code == code, plan
    assert [t.amount.amount for t in a.tranches.all()] == [Decimal("7200.00"), Decimal("7200.00"), Decimal("3600.00")]


def test_only_a_funded_proposal_in_the_agreements_phase(world, deal):
    r, p = deal
    Proposal.objects.filter(pk=p.pk).update(status=ProposalStatus.NOT_FUNDED)
    p.refresh_from_db()
    with pytest.raises(Conflict) as refused:
        agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    assert refused.value.code == "not_funded"
    early = world.round(PhaseKind.VOTE, title="尚在投票的一轮", budget="30000")
    q = funded(world, early)
    with pytest.raises(Conflict) as refused:
        agreement_draft(actor=world.staff, proposal=q, tranches=PLAN)
    assert refused.value.code == "phase_closed"


def test_signed_by_both_sides_the_award_moves_from_the_reservation_to_the_project(world, deal):
    r, p = deal
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    before = available(world.fund)
    with pytest.raises(PermissionDenied):
        agreement_sign(actor=world.admin, agreement=a)  # the applicant signs first
    with pytest.raises(PermissionDenied):
        agreement_sign(actor=world.managers["青年志愿者协会"], agreement=a)
    a = agreement_sign(actor=world.managers["长者互助队"], agreement=a)
    assert a.status == AgreementStatus.SIGNED_APPLICANT
    with pytest.raises(PermissionDenied):
        agreement_sign(actor=world.staff, agreement=a)  # the station runs the round; the fund's money is the custodian's
    a = agreement_sign(actor=world.admin, agreement=a)
    assert a.status == AgreementStatus.ACTIVE and a.project.by_agreement and a.project.budget.amount == 18000
    a.project.restricted_account.refresh_from_db()
    assert a.project.restricted_account.balance == Decimal("18000.00")
    assert hold_of(r) is None  # the fund held this award alone; it is now the project's
    assert available(world.fund) == before  # nothing else moved
    assert agreement_sign(actor=world.admin, agreement=a).status == AgreementStatus.ACTIVE  # again: quiet
    with pytest.raises(Conflict):
        agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)


def active(world, deal):
    r, p = deal
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    agreement_sign(actor=world.managers["长者互助队"], agreement=a)
    return agreement_sign(actor=world.admin, agreement=a)


def pay(world, tranche, ref: str) -> None:
    payout = cs.payout_approve(actor=world.admin, payout=tranche.payout)
    cs.payout_pay(actor=world.admin, payout=payout, payment_reference=ref)


def test_tranches_are_paid_in_order_after_their_milestones_through_four_eyes(world, deal):
    a = active(world, deal)
    with pytest.raises(ValidationFailed) as refused:  # the project's money is the agreement's, not any payout's
        cs.payout_request(actor=world.staff, fund=world.fund, project=a.project, title="其他开支", payee="某公司", lines=[("杂费", "100")])
    assert refused.value.code == "project_by_agreement"
    first, second, third = a.tranches.all()
    first = tranche_request(actor=world.staff, tranche=first)
    assert first.status == TrancheStatus.REQUESTED and first.payout.amount.amount == Decimal("7200.00")
    assert first.payout.payee == "广州市越秀区北京街长者互助服务队"
    with pytest.raises(PermissionDenied):
        cs.payout_approve(actor=world.staff, payout=first.payout)
    with pytest.raises(Conflict) as refused:
        tranche_request(actor=world.staff, tranche=second)
    assert refused.value.code == "tranche_order"
    pay(world, first, "ICBC-2026-0001")
    with pytest.raises(Conflict) as refused:
        tranche_request(actor=world.staff, tranche=second)
    assert refused.value.code == "milestone_not_accepted"
    with pytest.raises(PermissionDenied):
        evidence_submit(actor=world.staff, agreement=a, milestone=1, text="评估完成")
    evidence = evidence_submit(actor=world.managers["长者互助队"], agreement=a, milestone=1,
                               text="完成60户入户评估，建立长者居家安全档案。", person_times=186, sessions=12)
    with pytest.raises(Conflict) as refused:
        evidence_submit(actor=world.managers["长者互助队"], agreement=a, milestone=1, text="再交一次")
    assert refused.value.code == "evidence_pending"
    with pytest.raises(ValidationFailed):
        evidence_decide(actor=world.staff, evidence=evidence, accept=False)  # a refusal says why
    evidence_decide(actor=world.staff, evidence=evidence, accept=True)
    second = tranche_request(actor=world.staff, tranche=second)
    assert tranche_request(actor=world.staff, tranche=second).payout_id == second.payout_id  # again: the same request
    cs.payout_reject(actor=world.admin, payout=second.payout, note="发票抬头有误")
    second = tranche_request(actor=world.staff, tranche=second)  # asked again after the rejection
    assert second.payout.status == PayoutStatus.REQUESTED
    pay(world, second, "ICBC-2026-0002")


def test_the_close_returns_the_leftover_to_the_fund(world, deal):
    a = active(world, deal)
    first = tranche_request(actor=world.staff, tranche=a.tranches.get(n=1))
    with pytest.raises(Conflict) as refused:
        agreement_close(actor=world.admin, agreement=a, final_report="项目结项")
    assert refused.value.code == "tranche_pending"
    pay(world, first, "ICBC-2026-0003")
    before = available(world.fund)
    with pytest.raises(ValidationFailed) as refused:
        agreement_close(actor=world.admin, agreement=a, final_report="结项", actuals={1: "99999"})
    assert refused.value.code == "actuals_over_award"
    with pytest.raises(PermissionDenied):
        agreement_close(actor=world.staff, agreement=a, final_report="结项")
    closed = agreement_close(actor=world.admin, agreement=a, final_report="完成60户评估与32户改造，其余因长者拒绝改造未实施。",
                             actuals={1: "7200"})
    assert closed.status == AgreementStatus.CLOSED and closed.actuals == {"1": "7200.00"}
    closed.project.refresh_from_db()
    assert closed.project.status == ProjectStatus.ENDED
    assert available(world.fund) == before + Decimal("10800.00")  # the two tranches never asked for
