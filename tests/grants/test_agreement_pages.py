"""The agreement pages, both sides: the round's staff draft, the applicant signs, the fund signs, the applicant shows a
milestone done, another staff member accepts it, the staff ask for each tranche (a payout a second person at the
custodian approves), the tranche shows as paid, and the round's admin closes with the final report. And every
refusal on the way comes back as a clear message with a 4xx, nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from shanlian.charity import services as cs
from shanlian.grants.models import Agreement, AgreementStatus, Evidence, EvidenceStatus, PhaseKind, ProposalStatus, TrancheStatus
from shanlian.grants.services.agreements import agreement_draft, agreement_sign
from shanlian.grants.services.budget import budget_change_request

from .test_agreements import PLAN, available, funded

pytestmark = pytest.mark.django_db

DRAFT = {"mode": "percent", "value_1": "40", "milestone_1": "", "value_2": "40", "milestone_2": "1", "value_3": "20",
         "milestone_3": "3", "report_1": "2026-06-30", "report_2": "2026-10-31"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def deal(world):
    r = world.round(PhaseKind.AGREEMENTS)
    return r, funded(world, r)


@pytest.fixture
def sides(world):
    """The staff (the fund's station worker), the applicant's manager, the round's admin (the custodian's finance
    officer), and outsiders: another group's manager and another street's worker."""
    return {"staff": client_for(world.staff), "applicant": client_for(world.managers["长者互助队"]),
            "admin": client_for(world.admin), "other_group": client_for(world.managers["青年志愿者协会"]),
            "other_worker": client_for(world.city.users["other_worker"])}


def error_code(response) -> list[str]:
    return [part.split('"')[0] for part in response.content.decode().split('data-error-code="')[1:]]


def active(world, p) -> Agreement:
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    agreement_sign(actor=world.managers["长者互助队"], agreement=a)
    return agreement_sign(actor=world.admin, agreement=a)


def test_happy_path_through_the_pages(world, deal, sides):
    r, p = deal
    staff, applicant, admin = sides["staff"], sides["applicant"], sides["admin"]

    listed = staff.get(reverse("grants:agreement_list"))
    assert listed.status_code == 200 and reverse("grants:agreement_new", args=[p.pk]) in listed.content.decode()
    form = staff.get(reverse("grants:agreement_new", args=[p.pk]))
    assert form.status_code == 200 and "¥18,000.00" in form.content.decode()
    drafted = staff.post(reverse("grants:agreement_new", args=[p.pk]), DRAFT)
    a = Agreement.objects.get(proposal=p)
    assert drafted.status_code == 302 and drafted["Location"] == reverse("grants:agreement", args=[a.pk])
    assert [t.amount.amount for t in a.tranches.all()] == [Decimal("7200.00"), Decimal("7200.00"), Decimal("3600.00")]
    assert a.reporting_dates == ["2026-06-30", "2026-10-31"]
    again = staff.get(reverse("grants:agreement_new", args=[p.pk]))  # the draft as it stands, in amounts
    assert 'value="7200.00"' in again.content.decode()

    page = applicant.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert 'data-testid="sign"' in page and "广州市越秀区北京街长者互助服务队" in page
    assert 'data-testid="sign"' not in staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert applicant.post(reverse("grants:agreement_sign", args=[a.pk])).status_code == 302
    a.refresh_from_db()
    assert a.status == AgreementStatus.SIGNED_APPLICANT
    assert 'data-testid="sign"' in admin.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert admin.post(reverse("grants:agreement_sign", args=[a.pk])).status_code == 302
    a.refresh_from_db()
    assert a.status == AgreementStatus.ACTIVE and a.project is not None

    first, second, third = a.tranches.all()
    page = staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert reverse("grants:tranche_request", args=[first.pk]) in page
    assert reverse("grants:tranche_request", args=[second.pk]) not in page
    assert staff.post(reverse("grants:tranche_request", args=[first.pk])).status_code == 302
    first.refresh_from_db()
    assert first.status == TrancheStatus.REQUESTED and first.payout.requested_by == world.staff
    page = staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert reverse("charity:payout_detail", args=[first.payout_id]) in page  # the staff's link to the payout
    assert reverse("charity:payout_detail", args=[first.payout_id]) not in applicant.get(
        reverse("grants:agreement", args=[a.pk])).content.decode()
    # The second person, at the custodian, approves and pays it on charity's payout pages.
    assert admin.post(reverse("charity:payout_approve", args=[first.payout_id])).status_code == 302
    assert admin.post(reverse("charity:payout_pay", args=[first.payout_id]), {"pay-payment_reference": "ICBC-2026-0101"}).status_code == 302

    shown = applicant.post(reverse("grants:evidence_new", args=[a.pk]), {
        "milestone": "1", "text": "完成60户入户评估，建立长者居家安全档案。", "person_times": "186", "sessions": "12"})
    assert shown.status_code == 302
    evidence = Evidence.objects.get(agreement=a)
    page = staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert reverse("grants:evidence_decide", args=[evidence.pk]) in page and "186" in page
    accepted = staff.post(reverse("grants:evidence_decide", args=[evidence.pk]), {f"decide-{evidence.pk}-accept": "1"})
    assert accepted.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.ACCEPTED and evidence.decided_by == world.staff

    assert staff.post(reverse("grants:tranche_request", args=[second.pk])).status_code == 302
    second.refresh_from_db()
    cs.payout_approve(actor=world.admin, payout=second.payout)  # a second person, through charity's services
    cs.payout_pay(actor=world.admin, payout=second.payout, payment_reference="ICBC-2026-0102")
    page = applicant.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert page.count('data-state="paid"') == 2 and 'data-testid="money-paid">¥14,400.00' in page
    listed = applicant.get(reverse("grants:agreement_list")).content.decode()
    assert 'data-testid="paid">¥14,400.00' in listed and 'data-testid="scheduled">¥3,600.00' in listed

    before = available(world.fund)
    close = reverse("grants:agreement_close", args=[a.pk])
    assert 'data-testid="close-form"' not in staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    closed = admin.post(close, {"final_report": "完成60户评估与32户改造，其余因长者拒绝改造未实施。", "actual_1": "14,000"})
    assert closed.status_code == 302
    a.refresh_from_db()
    assert a.status == AgreementStatus.CLOSED and a.actuals == {"1": "14000.00"}
    assert available(world.fund) == before + Decimal("3600.00")  # the tranche never asked for
    page = applicant.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert 'data-testid="final-report"' in page and 'data-testid="actual-total">¥14,000.00' in page


def test_signed_by_the_wrong_side_is_refused(world, deal, sides):
    r, p = deal
    a = agreement_draft(actor=world.staff, proposal=p, tranches=PLAN)
    sign = reverse("grants:agreement_sign", args=[a.pk])
    refused = sides["admin"].post(sign)  # the applicant signs first
    assert refused.status_code == 403 and "not_applicant" in error_code(refused)
    assert sides["staff"].post(sign).status_code == 403
    a.refresh_from_db()
    assert a.status == AgreementStatus.DRAFT and a.signed_by_applicant is None
    sides["applicant"].post(sign)
    refused = sides["staff"].post(sign)  # the station runs the round; the fund's signature is the custodian's
    assert refused.status_code == 403 and "not_round_admin" in error_code(refused)
    a.refresh_from_db()
    assert a.status == AgreementStatus.SIGNED_APPLICANT and a.project is None


def test_a_tranche_before_its_milestone_is_accepted(world, deal, sides):
    r, p = deal
    a = active(world, p)
    first, second, _third = a.tranches.all()
    refused = sides["staff"].post(reverse("grants:tranche_request", args=[second.pk]))
    assert refused.status_code == 409 and "tranche_order" in error_code(refused)
    sides["staff"].post(reverse("grants:tranche_request", args=[first.pk]))
    first.refresh_from_db()
    cs.payout_approve(actor=world.admin, payout=first.payout)
    cs.payout_pay(actor=world.admin, payout=first.payout, payment_reference="ICBC-2026-0201")
    page = sides["staff"].get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert 'data-testid="tranche-waits"' in page and reverse("grants:tranche_request", args=[second.pk]) not in page
    refused = sides["staff"].post(reverse("grants:tranche_request", args=[second.pk]))
    assert refused.status_code == 409 and "milestone_not_accepted" in error_code(refused)
    assert 'data-testid="tranche-refusal"' in refused.content.decode()
    second.refresh_from_db()
    assert second.status == TrancheStatus.SCHEDULED and second.payout is None
    # The applicant is not the fund's staff: no payout request of theirs, whatever the tranche.
    refused = sides["applicant"].post(reverse("grants:tranche_request", args=[first.pk]))
    assert refused.status_code == 403
    # A round's staff who may not ask the fund for payouts (the district's administrator) hears the charity's no.
    district = client_for(world.city.users["district_admin"])
    evidence = Evidence.objects.create(agreement=a, milestone=p.milestones.get(n=1), text="评估完成",
                                       submitted_by=world.managers["长者互助队"], status=EvidenceStatus.ACCEPTED, decided_by=world.staff)
    assert evidence.pk
    refused = district.post(reverse("grants:tranche_request", args=[second.pk]))
    assert refused.status_code == 403 and "not_fund_staff" in error_code(refused)
    second.refresh_from_db()
    assert second.payout is None


def test_evidence_is_not_decided_by_its_submitter(world, deal, sides):
    r, p = deal
    a = active(world, p)
    root = get_user_model().objects.get(username="root")  # both sides of this agreement: manages and runs everything
    as_root = client_for(root)
    assert as_root.post(reverse("grants:evidence_new", args=[a.pk]), {
        "milestone": "1", "text": "评估完成", "person_times": "10", "sessions": "1"}).status_code == 302
    evidence = Evidence.objects.get(agreement=a)
    page = as_root.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert 'data-testid="why-not-decide"' in page and reverse("grants:evidence_decide", args=[evidence.pk]) not in page
    refused = as_root.post(reverse("grants:evidence_decide", args=[evidence.pk]), {f"decide-{evidence.pk}-accept": "1"})
    assert refused.status_code == 403 and "four_eyes" in error_code(refused)
    refused = sides["applicant"].post(reverse("grants:evidence_decide", args=[evidence.pk]), {f"decide-{evidence.pk}-accept": "1"})
    assert refused.status_code == 403 and "not_round_staff" in error_code(refused)
    no_reason = sides["staff"].post(reverse("grants:evidence_decide", args=[evidence.pk]), {f"decide-{evidence.pk}-accept": "0"})
    assert no_reason.status_code == 400 and "required" in error_code(no_reason)
    no_choice = sides["staff"].post(reverse("grants:evidence_decide", args=[evidence.pk]), {})
    assert no_choice.status_code == 400 and "decision_required" in error_code(no_choice)
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.PENDING
    rejected = sides["staff"].post(reverse("grants:evidence_decide", args=[evidence.pk]),
                                   {f"decide-{evidence.pk}-accept": "0", f"decide-{evidence.pk}-note": "缺少入户评估记录表"})
    assert rejected.status_code == 302
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.REJECTED and "缺少入户评估记录表" in sides["applicant"].get(
        reverse("grants:agreement", args=[a.pk])).content.decode()
    # Evidence again for a milestone still waiting for review is refused.
    sides["applicant"].post(reverse("grants:evidence_new", args=[a.pk]), {"milestone": "2", "text": "改造完成", "person_times": "0",
                                                                         "sessions": "0"})
    refused = sides["applicant"].post(reverse("grants:evidence_new", args=[a.pk]), {"milestone": "2", "text": "再交一次",
                                                                                   "person_times": "0", "sessions": "0"})
    assert refused.status_code == 409 and "evidence_pending" in error_code(refused)
    bad = sides["applicant"].post(reverse("grants:evidence_new", args=[a.pk]), {"milestone": "3", "text": "", "person_times": "-1",
                                                                               "sessions": "x"})
    assert bad.status_code == 400 and Evidence.objects.filter(agreement=a).count() == 2


def test_outsiders_see_nothing(world, deal, sides):
    r, p = deal
    a = active(world, p)
    tranche = a.tranches.first()
    evidence = Evidence.objects.create(agreement=a, milestone=p.milestones.get(n=1), text="评估完成",
                                       submitted_by=world.managers["长者互助队"])
    for who in ("other_group", "other_worker"):
        c = sides[who]
        assert c.get(reverse("grants:agreement", args=[a.pk])).status_code == 404
        assert c.post(reverse("grants:agreement_sign", args=[a.pk])).status_code == 404
        assert c.post(reverse("grants:evidence_new", args=[a.pk]), {"milestone": "1", "text": "x"}).status_code == 404
        assert c.post(reverse("grants:evidence_decide", args=[evidence.pk]), {f"decide-{evidence.pk}-accept": "1"}).status_code == 404
        assert c.post(reverse("grants:tranche_request", args=[tranche.pk])).status_code == 404
        assert c.post(reverse("grants:agreement_close", args=[a.pk]), {"final_report": "x"}).status_code == 404
        assert c.get(reverse("grants:agreement_new", args=[p.pk])).status_code == 404
        listed = c.get(reverse("grants:agreement_list"))
        assert listed.status_code == 200 and 'data-testid="agreement-row"' not in listed.content.decode()
    assert sides["applicant"].get(reverse("grants:agreement_new", args=[p.pk])).status_code == 404
    assert sides["staff"].get(reverse("grants:agreement_sign", args=[a.pk])).status_code == 405
    assert Client().get(reverse("grants:agreement", args=[a.pk])).status_code == 302
    evidence.refresh_from_db()
    tranche.refresh_from_db()
    assert evidence.status == EvidenceStatus.PENDING and tranche.payout is None


def test_closing_with_more_spent_than_the_award(world, deal, sides):
    r, p = deal
    a = active(world, p)
    close = reverse("grants:agreement_close", args=[a.pk])
    refused = sides["admin"].post(close, {"final_report": "结项", "actual_1": "99999"})
    assert refused.status_code == 400 and "actuals_over_award" in error_code(refused)
    assert "99999" in refused.content.decode()  # what was typed is still there
    refused = sides["staff"].post(close, {"final_report": "结项"})  # the station runs the round; the close is the fund's
    assert refused.status_code == 403 and "not_round_admin" in error_code(refused)
    refused = sides["admin"].post(close, {"final_report": "", "actual_1": "1.234"})
    assert refused.status_code == 400
    first = a.tranches.get(n=1)
    sides["staff"].post(reverse("grants:tranche_request", args=[first.pk]))
    refused = sides["admin"].post(close, {"final_report": "结项"})
    assert refused.status_code == 409 and "tranche_pending" in error_code(refused)
    a.refresh_from_db()
    assert a.status == AgreementStatus.ACTIVE and a.final_report == "" and a.project.status == "active"


def test_drafting_refusals(world, deal, sides):
    r, p = deal
    new = reverse("grants:agreement_new", args=[p.pk])
    bad = sides["staff"].post(new, {**DRAFT, "value_3": "30"})
    assert bad.status_code == 400 and "tranches_not_award" in error_code(bad)
    bad = sides["staff"].post(new, {**DRAFT, "report_1": "2030-01-01"})
    assert bad.status_code == 400
    bad = sides["staff"].post(new, {"mode": "amount", "value_1": "9000", "value_2": "9000", "milestone_2": "9"})
    assert bad.status_code == 400
    assert not Agreement.objects.filter(proposal=p).exists()
    other = funded(world, world.round(PhaseKind.VOTE, title="尚在投票的一轮", budget="30000"))
    page = sides["staff"].get(reverse("grants:agreement_new", args=[other.pk]))
    assert page.status_code == 200 and 'data-testid="phase-problem"' in page.content.decode()
    refused = sides["staff"].post(reverse("grants:agreement_new", args=[other.pk]), DRAFT)
    assert refused.status_code == 409 and "phase_closed" in error_code(refused)
    p.status = ProposalStatus.NOT_FUNDED
    p.save(update_fields=["status"])
    assert sides["staff"].get(new).status_code == 409
    p.status = ProposalStatus.FUNDED
    p.save(update_fields=["status"])
    a = active(world, p)
    assert sides["staff"].get(new)["Location"] == reverse("grants:agreement", args=[a.pk])


def test_budget_changes_through_the_pages(world, deal, sides):
    r, p = deal
    a = active(world, p)
    applicant, admin, staff = sides["applicant"], sides["admin"], sides["staff"]
    new = reverse("grants:budget_change_new", args=[a.pk])
    assert reverse("grants:budget_change_new", args=[a.pk]) in applicant.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert staff.get(new).status_code == 403 and sides["other_group"].get(new).status_code == 404
    form = applicant.get(new)
    assert form.status_code == 200 and 'value="18000.00"' in form.content.decode()
    unbalanced = applicant.post(new, {"amount_1": "12000", "reason": "改造户数减少，增加评估人力"})
    assert unbalanced.status_code == 400 and "budget_not_award" in error_code(unbalanced)
    sent = applicant.post(new, {"amount_1": "12000", "new_category_1": "personnel", "new_item_1": "入户评估社工补贴",
                                "new_amount_1": "6000", "reason": "改造户数减少，增加评估人力"})
    assert sent.status_code == 302
    change = a.budget_changes.get()
    page = applicant.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert 'data-testid="change-withdraw"' in page and 'data-testid="budget-change-link"' not in page
    assert 'data-testid="change-decide-form"' not in staff.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    decide = reverse("grants:budget_change_decide", args=[change.pk])
    refused = staff.post(decide, {f"change-{change.pk}-approve": "1"})  # the station is no round admin
    assert refused.status_code == 403 and "not_round_admin" in error_code(refused)
    closing = admin.post(reverse("grants:agreement_close", args=[a.pk]), {"final_report": "结项"})
    assert closing.status_code == 409 and "budget_change_pending" in error_code(closing)
    no_reason = admin.post(decide, {f"change-{change.pk}-approve": "0"})
    assert no_reason.status_code == 400 and "required" in error_code(no_reason)
    assert 'data-testid="change-decide-form"' in admin.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert admin.post(decide, {f"change-{change.pk}-approve": "1"}).status_code == 302
    change.refresh_from_db()
    assert change.status == "approved" and change.decided_by == world.admin
    page = admin.get(reverse("grants:agreement", args=[a.pk])).content.decode()
    assert page.count('data-testid="budget-line"') == 2 and 'name="actual_2"' in page

    root = client_for(get_user_model().objects.get(username="root"))  # asks, and may not decide on their own request
    assert root.post(new, {"amount_1": "11000", "amount_2": "7000", "reason": "再调整"}).status_code == 302
    mine = a.budget_changes.get(status="pending")
    refused = root.post(reverse("grants:budget_change_decide", args=[mine.pk]), {f"change-{mine.pk}-approve": "1"})
    assert refused.status_code == 403 and "four_eyes" in error_code(refused)
    assert admin.post(reverse("grants:budget_change_withdraw", args=[mine.pk])).status_code == 403
    assert applicant.post(reverse("grants:budget_change_withdraw", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.status == "withdrawn"


GARBAGE = "\x00<script>１２3e9" + "9" * 30


def test_no_route_of_these_pages_answers_500(world, deal, sides):
    """Every route, every side, GET and POST, empty and with garbage in every field the pages name: a 4xx or a
    redirect, never a 500, and nothing written by those who may not."""
    r, p = deal
    a = active(world, p)
    evidence = Evidence.objects.create(agreement=a, milestone=p.milestones.get(n=1), text="评估完成",
                                       submitted_by=world.managers["长者互助队"])
    change = budget_change_request(actor=world.managers["长者互助队"], agreement=a, amounts={1: "17000"},
                                   new_lines=[{"category": "other", "item": "杂项", "amount": "1000"}], reason="调整")
    tranche = a.tranches.get(n=2)
    routes = [reverse("grants:agreement_list"), reverse("grants:agreement_new", args=[p.pk]), reverse("grants:agreement", args=[a.pk]),
              reverse("grants:agreement_sign", args=[a.pk]), reverse("grants:evidence_new", args=[a.pk]),
              reverse("grants:agreement_close", args=[a.pk]), reverse("grants:evidence_decide", args=[evidence.pk]),
              reverse("grants:tranche_request", args=[tranche.pk]), reverse("grants:budget_change_new", args=[a.pk]),
              reverse("grants:budget_change_decide", args=[change.pk]), reverse("grants:budget_change_withdraw", args=[change.pk])]
    names = ["mode", "status", "page", "milestone", "text", "person_times", "sessions", "final_report", "area", "reason",
             *[f"value_{i}" for i in range(1, 7)], *[f"milestone_{i}" for i in range(1, 7)], "report_1", "actual_1", "amount_1",
             "new_category_1", "new_item_1", "new_amount_1", f"decide-{evidence.pk}-accept", f"decide-{evidence.pk}-note",
             f"change-{change.pk}-approve", f"change-{change.pk}-note"]
    garbage = dict.fromkeys(names, GARBAGE)
    walkers = {**sides, "anonymous": Client(), "root": client_for(get_user_model().objects.get(username="root")),
               "district": client_for(world.city.users["district_admin"])}
    for who, c in walkers.items():
        for url in routes:
            for answer in (c.get(url), c.get(url, garbage), c.post(url), c.post(url, garbage)):
                assert answer.status_code < 500, (who, url, answer.status_code)
    evidence.refresh_from_db()
    assert evidence.status == EvidenceStatus.PENDING
