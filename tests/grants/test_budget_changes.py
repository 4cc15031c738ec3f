"""Budget changes of an agreement: asked for by the applicant (the new budget adds up to the award exactly), one
waiting at a time (the database holds it too), decided by a round admin who did not ask; the approved lines are
the budget spending is compared with and the agreement is closed against."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.grants.models import BudgetChange, BudgetChangeStatus, BudgetLine
from shanlian.grants.selectors_projects import budget_vs_actual
from shanlian.grants.services.agreements import agreement_close, tranche_request
from shanlian.grants.services.budget import budget_change_decide, budget_change_request, budget_change_withdraw, current_lines

from .test_agreements import active, funded, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(world):
    from shanlian.grants.models import PhaseKind

    r = world.round(PhaseKind.AGREEMENTS)
    p = funded(world, r)
    BudgetLine.objects.filter(proposal=p).update(quantity=50, amount="15000")  # two lines: ¥15,000 + ¥3,000
    BudgetLine.objects.create(proposal=p, n=2, category="activities", item="安全讲座", quantity=6, unit="场", unit_price="500",
                              amount="3000")
    return active(world, (r, p))


def codes(exc) -> set[str]:
    return {exc.code, *(c for errs in (exc.fields or {}).values() for c, _m in errs)}


def test_the_new_budget_adds_up_to_the_award_and_is_asked_for_by_the_applicant(world, agreement):
    manager = world.managers["长者互助队"]
    for kwargs, code in [
        ({"amounts": {1: "14000"}}, "budget_not_award"),
        ({"amounts": {7: "1000"}}, "unknown_line"),
        ({"amounts": {"x": "1000"}}, "unknown_line"),
        ({"amounts": {1: "-1"}}, "amount_negative"),
        ({"amounts": {1: "15000"}}, "no_change"),
        ({"amounts": {1: "14000"}, "new_lines": [{"category": "nope", "item": "x", "amount": "1000"}]}, "invalid_line_category"),
        ({"amounts": {1: "14000"}, "new_lines": [{"category": "other", "item": "", "amount": "1000"}]}, "required"),
        ({"amounts": {1: "14000"}, "new_lines": [{"category": "other", "item": "x", "amount": "0"}]}, "amount_not_positive"),
        ({"amounts": {1: "14000"}, "new_lines": [{"category": "other", "item": "x", "amount": "1000", "colour": "red"}]},
         "invalid_line"),
        ({"amounts": "14000"}, "invalid_amounts"),
        ({"amounts": {1: "1"}, "new_lines": [{"category": "other", "item": f"项{i}", "amount": "600"} for i in range(29)]},
         "too_many_lines"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            budget_change_request(actor=manager, agreement=agreement, reason="长者拒绝改造的户数较多", **kwargs)
        assert code in codes(refused.value), kwargs
    with pytest.raises(ValidationFailed) as refused:
        budget_change_request(actor=manager, agreement=agreement, amounts={1: "14000", 2: "4000"}, reason="")
    assert refused.value.code == "required"
    for outsider in (world.staff, world.admin, world.managers["青年志愿者协会"]):
        with pytest.raises(PermissionDenied):
            budget_change_request(actor=outsider, agreement=agreement, amounts={1: "14000", 2: "4000"}, reason="调整")
    change = budget_change_request(actor=manager, agreement=agreement, amounts={"1": "12000"},
                                   new_lines=[{"category": "publicity", "item": "宣传折页", "amount": "3000"}],
                                   reason="改造户数减少，增加安全宣传")
    assert change.number == 1 and change.status == BudgetChangeStatus.PENDING
    assert [(r["n"], r["amount"], r["quantity"]) for r in change.lines] == [(1, "12000.00", None), (2, "3000.00", "6.00"),
                                                                            (3, "3000.00", None)]
    assert [r["amount"] for r in change.lines_before] == ["15000.00", "3000.00"]
    assert AuditLog.objects.filter(action="grants.budget_change.request", object_id=str(change.pk)).exists()
    assert [r["amount"] for r in current_lines(agreement)] == ["15000.00", "3000.00"]  # not the budget until approved


def test_one_request_waits_at_a_time_in_the_service_and_in_the_database(world, agreement):
    manager = world.managers["长者互助队"]
    first = budget_change_request(actor=manager, agreement=agreement, amounts={1: "14000", 2: "4000"}, reason="多办讲座")
    with pytest.raises(Conflict) as refused:
        budget_change_request(actor=manager, agreement=agreement, amounts={1: "13000", 2: "5000"}, reason="再多办讲座")
    assert refused.value.code == "budget_change_pending"
    with pytest.raises(IntegrityError), transaction.atomic():  # a twin that got past the check meets the partial index
        BudgetChange.objects.create(agreement=agreement, number=2, lines=first.lines, lines_before=first.lines_before,
                                    reason="双击", requested_by=manager)
    with pytest.raises(PermissionDenied):
        budget_change_withdraw(actor=world.admin, change=first)
    assert budget_change_withdraw(actor=manager, change=first).status == BudgetChangeStatus.WITHDRAWN
    second = budget_change_request(actor=manager, agreement=agreement, amounts={1: "13000", 2: "5000"}, reason="再多办讲座")
    assert second.number == 2
    with pytest.raises(Conflict) as refused:  # a withdrawn request is not decided
        budget_change_decide(actor=world.admin, change=first, approve=True)
    assert refused.value.code == "invalid_transition"


def test_a_round_admin_who_did_not_ask_decides_and_the_approved_lines_are_the_budget(world, agreement):
    manager = world.managers["长者互助队"]
    change = budget_change_request(actor=manager, agreement=agreement, amounts={1: "12000"},
                                   new_lines=[{"category": "publicity", "item": "宣传折页", "amount": "3000"}], reason="增加宣传")
    for outsider in (world.staff, manager, world.city.users["street_officer"]):
        with pytest.raises(PermissionDenied):
            budget_change_decide(actor=outsider, change=change, approve=True)
    with pytest.raises(ValidationFailed) as refused:
        budget_change_decide(actor=world.admin, change=change, approve=False)  # a refusal says why
    assert refused.value.code == "required"
    approved = budget_change_decide(actor=world.admin, change=change, approve=True)
    assert approved.status == BudgetChangeStatus.APPROVED and approved.decided_by == world.admin
    assert budget_change_decide(actor=world.admin, change=change, approve=True).status == BudgetChangeStatus.APPROVED  # quiet
    with pytest.raises(Conflict):
        budget_change_decide(actor=world.admin, change=change, approve=False, note="改主意")
    assert [r["amount"] for r in current_lines(agreement)] == ["12000.00", "3000.00", "3000.00"]
    view = budget_vs_actual(agreement)
    assert [(r.n, r.budget.amount) for r in view.rows] == [(1, Decimal("12000.00")), (2, Decimal("3000.00")), (3, Decimal("3000.00"))]
    assert view.total.amount == Decimal("18000.00") and view.changes == 1 and view.spent is None

    rejected = budget_change_request(actor=manager, agreement=agreement, amounts={3: "0", 1: "15000"}, reason="取消宣传")
    budget_change_decide(actor=world.city.users["district_admin"], change=rejected, approve=False, note="宣传仍然必要")
    assert [r["amount"] for r in current_lines(agreement)] == ["12000.00", "3000.00", "3000.00"]


def test_the_requester_never_decides_even_as_superuser(world, agreement):
    su = get_user_model().objects.filter(is_superuser=True).first()
    change = budget_change_request(actor=su, agreement=agreement, amounts={1: "14000", 2: "4000"}, reason="代为提交")
    with pytest.raises(PermissionDenied) as refused:
        budget_change_decide(actor=su, change=change, approve=True)
    assert refused.value.code == "four_eyes"
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetChange.objects.filter(pk=change.pk).update(status="approved", decided_by=su, decided_at=change.requested_at)


def test_the_close_checks_actuals_against_the_approved_lines(world, agreement):
    manager = world.managers["长者互助队"]
    first = tranche_request(actor=world.staff, tranche=agreement.tranches.get(n=1))
    pay(world, first, "ICBC-2026-0101")
    change = budget_change_request(actor=manager, agreement=agreement, amounts={1: "12000"},
                                   new_lines=[{"category": "publicity", "item": "宣传折页", "amount": "3000"}], reason="增加宣传")
    with pytest.raises(Conflict) as refused:
        agreement_close(actor=world.admin, agreement=agreement, final_report="结项", actuals={1: "5000"})
    assert refused.value.code == "budget_change_pending"
    budget_change_withdraw(actor=manager, change=change)
    with pytest.raises(ValidationFailed) as refused:  # line 3 is not in the budget until a change adds it
        agreement_close(actor=world.admin, agreement=agreement, final_report="结项", actuals={1: "5000", 3: "1000"})
    assert refused.value.code == "unknown_line"
    change = budget_change_request(actor=manager, agreement=agreement, amounts={1: "12000"},
                                   new_lines=[{"category": "publicity", "item": "宣传折页", "amount": "3000"}], reason="增加宣传")
    budget_change_decide(actor=world.admin, change=change, approve=True)
    closed = agreement_close(actor=world.admin, agreement=agreement, final_report="完成改造与宣传", actuals={1: "5000", 3: "2200"})
    assert closed.actuals == {"1": "5000.00", "3": "2200.00"}
    view = budget_vs_actual(closed)
    assert [(r.n, r.spent and r.spent.amount, r.left and r.left.amount) for r in view.rows] == [
        (1, Decimal("5000.00"), Decimal("7000.00")), (2, None, None), (3, Decimal("2200.00"), Decimal("800.00"))]
    assert view.spent.amount == Decimal("7200.00")
    with pytest.raises(Conflict) as refused:
        budget_change_request(actor=manager, agreement=closed, amounts={1: "13000"}, reason="结项后")
    assert refused.value.code == "agreement_closed"
    assert closed.service_project.status == "closed"  # its registry entry closes with it
