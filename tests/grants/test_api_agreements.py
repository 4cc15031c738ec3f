"""The agreements API: the same journey as the pages (draft, both signatures, evidence, its acceptance by another
person, tranches paid through the charity API's four eyes, the close), and its refusals as JSON with a code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from shanlian.grants.access import is_applicant_for, is_round_staff
from shanlian.grants.models import Agreement, AgreementStatus, Evidence, EvidenceStatus, PhaseKind, ServiceProject
from shanlian.grants.selectors_agreements import agreements_list
from shanlian.people.selectors import actor_scope

from .test_agreements import available, funded

pytestmark = pytest.mark.django_db

API = "/api/grants"
PLAN = {"tranches": [{"percent": 40}, {"percent": 40, "milestone": 1}, {"percent": 20, "milestone": 3}],
        "reporting_dates": ["2026-06-30"]}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def deal(world):
    r = world.round(PhaseKind.AGREEMENTS)
    return r, funded(world, r)


def post(c: Client, path: str, body: dict | None = None):
    return c.post(API + path, body or {}, content_type="application/json")


def test_the_journey(world, deal):
    r, p = deal
    staff, applicant, admin = client_for(world.staff), client_for(world.managers["长者互助队"]), client_for(world.admin)
    made = post(staff, f"/proposals/{p.pk}/agreement", PLAN)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert [t["amount"] for t in body["tranches"]] == ["7200.00", "7200.00", "3600.00"]
    assert [t["milestone"] for t in body["tranches"]] == [None, 1, 3] and body["actions"] == ["redraft"]
    a = body["id"]
    again = post(staff, f"/proposals/{p.pk}/agreement", {"tranches": [{"amount": "9000"}, {"amount": "9000", "milestone": 2}]})
    assert again.status_code == 200 and [t["amount"] for t in again.json()["tranches"]] == ["9000.00", "9000.00"]
    post(staff, f"/proposals/{p.pk}/agreement", PLAN)

    assert applicant.get(f"{API}/agreements/{a}").json()["actions"] == ["budget_change", "sign_applicant"]
    wrong = post(admin, f"/agreements/{a}/sign")
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_applicant"
    assert post(applicant, f"/agreements/{a}/sign").json()["status"] == AgreementStatus.SIGNED_APPLICANT
    signed = post(admin, f"/agreements/{a}/sign").json()
    assert signed["status"] == AgreementStatus.ACTIVE and signed["project_id"] and "close" in signed["actions"]

    first, second, _third = signed["tranches"]
    assert first["may_request"] and not second["may_request"]
    asked = post(staff, f"/tranches/{first['id']}/request")
    assert asked.status_code == 200 and asked.json()["state"] == "requested"
    payout = asked.json()["payout"]["id"]
    own = staff.post(f"/api/charity/payouts/{payout}/approve", {}, content_type="application/json")
    assert own.status_code == 403  # the requester does not approve
    assert admin.post(f"/api/charity/payouts/{payout}/approve", {}, content_type="application/json").status_code == 200
    assert admin.post(f"/api/charity/payouts/{payout}/pay", {"payment_reference": "ICBC-2026-0301"},
                      content_type="application/json").status_code == 200

    early = post(staff, f"/tranches/{second['id']}/request")
    assert early.status_code == 409 and early.json()["code"] == "milestone_not_accepted"
    shown = post(applicant, f"/agreements/{a}/evidence",
                 {"milestone": 1, "text": "完成60户入户评估。", "person_times": 186, "sessions": 12})
    assert shown.status_code == 201 and shown.json()["status"] == "pending"
    evidence = shown.json()["id"]
    by_applicant = post(applicant, f"/evidence/{evidence}/decision", {"accept": True})
    assert by_applicant.status_code == 403
    detail = staff.get(f"{API}/agreements/{a}").json()
    assert detail["milestones"][0]["evidence"][0]["may_decide"]
    decided = post(staff, f"/evidence/{evidence}/decision", {"accept": True})
    assert decided.status_code == 200 and decided.json()["status"] == EvidenceStatus.ACCEPTED

    second_asked = post(staff, f"/tranches/{second['id']}/request").json()
    payout = second_asked["payout"]["id"]
    admin.post(f"/api/charity/payouts/{payout}/approve", {}, content_type="application/json")
    admin.post(f"/api/charity/payouts/{payout}/pay", {"payment_reference": "ICBC-2026-0302"}, content_type="application/json")
    listed = applicant.get(f"{API}/agreements").json()
    assert listed["count"] == 1 and listed["results"][0]["money"] == {"paid": "14400.00", "pending": "0.00", "scheduled": "3600.00"}
    assert [t["state"] for t in applicant.get(f"{API}/agreements/{a}").json()["tranches"]] == ["paid", "paid", "scheduled"]

    before = available(world.fund)
    over = post(admin, f"/agreements/{a}/close", {"final_report": "结项", "actuals": [{"line": 1, "amount": "99999"}]})
    assert over.status_code == 400 and over.json()["code"] == "actuals_over_award"
    twice = post(admin, f"/agreements/{a}/close",
                 {"final_report": "结项", "actuals": [{"line": 1, "amount": "1"}, {"line": 1, "amount": "2"}]})
    assert twice.status_code == 400 and twice.json()["code"] == "duplicate_line"
    by_staff = post(staff, f"/agreements/{a}/close", {"final_report": "结项"})
    assert by_staff.status_code == 403
    closed = post(admin, f"/agreements/{a}/close",
                  {"final_report": "完成60户评估与32户改造。", "actuals": [{"line": 1, "amount": "14000"}]})
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == AgreementStatus.CLOSED and body["lines"][0]["actual"] == "14000.00"
    assert available(world.fund) == before + Decimal("3600.00")


def test_refusals_and_bounds(world, deal):
    r, p = deal
    staff, applicant = client_for(world.staff), client_for(world.managers["长者互助队"])
    outsider = client_for(world.managers["青年志愿者协会"])
    for body, code in [
        ({"tranches": [{"percent": 60}, {"percent": 60, "milestone": 1}]}, "tranches_not_award"),
        ({"tranches": [{"percent": 40, "amount": "7200"}]}, "tranche_amount_or_percent"),
        ({"tranches": [{"percent": 50}, {"amount": "9000", "milestone": 1}]}, "tranches_mixed"),
        ({"tranches": [{"percent": 101}]}, "invalid_request"),
        ({"tranches": [{"amount": "3000"}] * 13}, "invalid_request"),
        ({"tranches": [{"amount": "3000"}] * 7}, "tranches_count"),
        ({"tranches": [{"percent": 100}], "reporting_dates": ["2031-01-01"]}, "reporting_dates"),
        ({"tranches": [{"amount": "9000.001"}, {"amount": "9000", "milestone": 1}]}, "money_precision"),
    ]:
        refused = post(staff, f"/proposals/{p.pk}/agreement", body)
        assert refused.status_code == 400 and refused.json()["code"] == code, (body, refused.json())
    assert not Agreement.objects.filter(proposal=p).exists()
    assert post(applicant, f"/proposals/{p.pk}/agreement", PLAN).status_code == 404
    a = post(staff, f"/proposals/{p.pk}/agreement", PLAN).json()["id"]
    assert outsider.get(f"{API}/agreements/{a}").status_code == 404
    assert post(outsider, f"/agreements/{a}/sign").status_code == 404
    assert outsider.get(f"{API}/agreements").json()["count"] == 0
    assert Client().get(f"{API}/agreements").status_code == 401
    not_yet = post(applicant, f"/agreements/{a}/evidence", {"milestone": 1, "text": "x"})
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "agreement_not_in_force"
    long = post(applicant, f"/agreements/{a}/evidence", {"milestone": 1, "text": "x" * 2001, "person_times": -1})
    assert long.status_code == 400 and set(long.json()["fields"]) == {"text", "person_times"}
    post(applicant, f"/agreements/{a}/sign")
    post(client_for(world.admin), f"/agreements/{a}/sign")
    tranche = Agreement.objects.get(pk=a).tranches.get(n=1)
    assert post(applicant, f"/tranches/{tranche.pk}/request").status_code == 403
    unknown = post(applicant, f"/agreements/{a}/evidence", {"milestone": 9, "text": "x"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_milestone"
    evidence = post(applicant, f"/agreements/{a}/evidence", {"milestone": 1, "text": "评估完成"}).json()["id"]
    no_reason = post(staff, f"/evidence/{evidence}/decision", {"accept": False})
    assert no_reason.status_code == 400
    assert Evidence.objects.get(pk=evidence).status == EvidenceStatus.PENDING
    assert post(staff, f"/evidence/{evidence}/decision", {"accept": "maybe"}).status_code == 400


def test_the_list_holds_the_access_rules(world, deal):
    """Whoever is staff of the round or manages the applicant lists the agreement; nobody else (the list's filter is
    access.is_round_staff and is_applicant_for as a query)."""
    r, p = deal
    post(client_for(world.staff), f"/proposals/{p.pk}/agreement", PLAN)
    other = funded(world, world.round(PhaseKind.AGREEMENTS, title="另一轮", budget="30000"))
    other.applicant = world.groups["青年志愿者协会"]
    other.save(update_fields=["applicant"])
    post(client_for(world.staff), f"/proposals/{other.pk}/agreement", PLAN)
    users = [*world.city.users.values(), *world.managers.values(), *world.experts]
    for user in users:
        scope = actor_scope(user)
        expected = {a.pk for a in Agreement.objects.select_related("proposal__round__fund__division")
                    if is_round_staff(scope, a.proposal.round) or is_applicant_for(scope, a.proposal.applicant_id)}
        assert set(agreements_list(scope=scope).values_list("pk", flat=True)) == expected, user.username


def test_budget_changes_and_the_service_area(world, deal):
    r, p = deal
    staff, applicant, admin = client_for(world.staff), client_for(world.managers["长者互助队"]), client_for(world.admin)
    a = post(staff, f"/proposals/{p.pk}/agreement", PLAN).json()["id"]
    post(applicant, f"/agreements/{a}/sign")
    bad_area = post(admin, f"/agreements/{a}/sign", {"area": "nowhere"})
    assert bad_area.status_code == 400
    signed = post(admin, f"/agreements/{a}/sign", {"area": "elderly"})
    assert signed.status_code == 200, signed.json()
    assert ServiceProject.objects.get(agreement_id=a).area == "elderly"

    body = {"amounts": [{"line": 1, "amount": "12000"}], "reason": "改造户数减少，增加评估人力",
            "new_lines": [{"category": "personnel", "item": "入户评估社工补贴", "amount": "6000"}]}
    assert post(staff, f"/agreements/{a}/budget-changes", body).status_code == 403
    made = post(applicant, f"/agreements/{a}/budget-changes", body)
    assert made.status_code == 201, made.json()
    change = made.json()
    assert change["status"] == "pending" and change["may_withdraw"]
    assert [(x["before"], x["after"]) for x in change["lines"]] == [("18000.00", "12000.00"), (None, "6000.00")]
    twice = post(applicant, f"/agreements/{a}/budget-changes", body)
    assert twice.status_code == 409 and twice.json()["code"] == "budget_change_pending"
    assert post(staff, f"/budget-changes/{change['id']}/decision", {"approve": True}).status_code == 403
    assert post(admin, f"/budget-changes/{change['id']}/decision", {"approve": False}).status_code == 400
    approved = post(admin, f"/budget-changes/{change['id']}/decision", {"approve": True})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    detail = admin.get(f"{API}/agreements/{a}").json()
    assert [line["budget"] for line in detail["lines"]] == ["12000.00", "6000.00"] and len(detail["budget_changes"]) == 1
    unknown = post(applicant, f"/agreements/{a}/budget-changes", {"amounts": [{"line": 9, "amount": "1"}], "reason": "x"})
    assert unknown.status_code == 400
    again = post(applicant, f"/agreements/{a}/budget-changes", {"amounts": [{"line": 1, "amount": "11000"},
                                                                             {"line": 2, "amount": "7000"}], "reason": "再调整"})
    withdrawn = post(applicant, f"/budget-changes/{again.json()['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert post(client_for(world.managers["青年志愿者协会"]), f"/budget-changes/{change['id']}/withdraw").status_code == 404


def test_garbage_never_500(world, deal):
    r, p = deal
    staff, applicant, admin = client_for(world.staff), client_for(world.managers["长者互助队"]), client_for(world.admin)
    a = post(staff, f"/proposals/{p.pk}/agreement", PLAN).json()["id"]
    junk = "\x00" + "9" * 40
    for c in (staff, applicant, admin):
        for path, body in [
            (f"/proposals/{p.pk}/agreement", {"tranches": [{"amount": junk, "milestone": 10**30}], "reporting_dates": [junk]}),
            (f"/proposals/{p.pk}/agreement", {"tranches": "x"}),
            (f"/agreements/{a}/sign", {"area": junk}),
            (f"/agreements/{a}/evidence", {"milestone": junk, "text": junk}),
            (f"/agreements/{a}/close", {"final_report": junk, "actuals": [{"line": 1, "amount": junk}]}),
            (f"/agreements/{a}/budget-changes", {"amounts": [{"line": 1, "amount": "9" * 20}], "reason": "x"}),
            ("/evidence/1/decision", {"accept": junk}),
            ("/tranches/99999999/request", {}),
            ("/budget-changes/99999999/decision", {"approve": True}),
        ]:
            answer = post(c, path, body)
            assert 400 <= answer.status_code < 500, (path, answer.status_code)
        assert c.get(f"{API}/agreements", {"status": junk, "page": "x"}).status_code == 400
