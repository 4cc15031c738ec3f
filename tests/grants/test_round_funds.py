"""A round over several funds of a street: each fund's share reserved in it, each award paid from one fund (restricted
funds for their purpose first, then the fund nearest the need, then the one with most left), the reservations following
the allocation, the signatures, a change of payer and the close; and the pages and API that show and change it."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from shanlian.charity import services as cs
from shanlian.charity.models import Purpose
from shanlian.core.audit import AuditLog
from shanlian.core.errors import Conflict, PermissionDenied, ValidationFailed
from shanlian.core.money import Money
from shanlian.grants import services as gs
from shanlian.grants.models import Need, NeedSource, PhaseKind, Result, RoundFund, Rule
from shanlian.grants.selectors_results import round_funds
from shanlian.grants.services.agreements import agreement_draft, agreement_sign
from shanlian.ledger.models import HoldStatus

from .. import factories as f
from .conftest import DAY, hold_of, phases_around, proposal, vote

pytestmark = pytest.mark.django_db

PLAN = [{"percent": 100}]


@pytest.fixture
def funds(world):
    """Besides the street's fund (¥100,000): 盐运西 community's fund (¥30,000) and the street's restricted fund for
    elderly care (¥20,000), both in the custody of the same federation; and a fund of another street."""
    city, finance = world.city, world.admin
    make = {"custodian": city.orgs["慈善会"], "opened_on": dt.date(2025, 1, 1)}
    return {
        "盐运西": cs.fund_create(actor=finance, code="yx-ysx", name="盐运西社区慈善基金", division=city.communities["盐运西"],
                              seed="30000.00", **make),
        "长者": cs.fund_create(actor=finance, code="yx-bjj-elder", name="北京街长者关爱专项基金", division=city.streets["北京街"],
                             restricted=True, purpose=Purpose.ELDERLY, seed="20000.00", **make),
        "人民街": cs.fund_create(actor=finance, code="yx-rmj", name="人民街社区慈善基金", division=city.streets["人民街"],
                              seed="10000.00", **make),
    }


def available(fund) -> Decimal:
    fund.account.refresh_from_db()
    return fund.account.balance - fund.account.held


def reserved(round) -> dict[str, Decimal]:
    return {row.name: row.reserved.amount for row in round_funds(round)}


def shared_round(world, funds, open_kind: str = PhaseKind.ALLOCATION, **kw):
    """¥70,000: the street's fund ¥40,000, 盐运西's ¥15,000, the elderly-care fund ¥15,000; greedy by votes."""
    args = {"budget": "70000", "rule": Rule.GREEDY, "shares": [(funds["盐运西"], "15000"), (funds["长者"], "15000")], **kw}
    return world.round(open_kind, **args)


def answering(world, r, p, category: str, community: str) -> None:
    need = Need.objects.create(round=r, text="楼道照明不足，长者夜间出行不便", category=category, source=NeedSource.RESIDENT,
                               community=world.city.communities[community], submitted_by=world.residents[0])
    p.needs.add(need)


@pytest.fixture
def allocated(world, funds, scores):
    """Four proposals, all voted for, ¥51,000 in all. Placed largest first:
    1 (¥20,000, elderly, 都府): more than the elderly fund's ¥15,000; the street's fund is nearest 都府 → street;
    3 (¥14,000, governance, 盐运西): not the elderly fund's purpose; 盐运西's own fund is nearest → 盐运西;
    2 (¥12,000, elderly, 盐运西): the restricted fund first → elderly fund;
    4 (¥5,000, answers no need): the street's fund has the most left → street."""
    r = shared_round(world, funds)
    p = {n: proposal(world, r, n, cost) for n, cost in [(1, "20000"), (2, "12000"), (3, "14000"), (4, "5000")]}
    answering(world, r, p[1], Purpose.ELDERLY, "都府")
    answering(world, r, p[2], Purpose.ELDERLY, "盐运西")
    answering(world, r, p[3], Purpose.GOVERNANCE, "盐运西")
    for chosen in [(1, 2, 3, 4), (1, 2), (3,)]:
        vote(world, r, *(p[n] for n in chosen))
    gs.allocation_run(actor=world.admin, round=r)
    return r, p


def payer_of(p) -> str:
    return Result.objects.select_related("fund").get(proposal=p).fund.name


# --- setting up and opening ---------------------------------------------------------------------------------------

def test_a_round_draws_on_several_funds_each_reserving_its_share(world, funds):
    before = {k: available(f) for k, f in [("street", world.fund), ("盐运西", funds["盐运西"]), ("长者", funds["长者"])]}
    r = shared_round(world, funds, PhaseKind.NEEDS, open=False)
    assert [(rf.fund.name, rf.share) for rf in RoundFund.objects.filter(round=r).select_related("fund").order_by("id")] == [
        ("北京街社区慈善基金", Money("40000")), ("盐运西社区慈善基金", Money("15000")), ("北京街长者关爱专项基金", Money("15000"))]
    assert r.budget == Money("70000") and all(v == 0 for v in reserved(r).values())
    gs.round_open(actor=world.admin, round=r)
    assert reserved(r) == {"北京街社区慈善基金": Decimal("40000.00"), "盐运西社区慈善基金": Decimal("15000.00"),
                           "北京街长者关爱专项基金": Decimal("15000.00")}
    assert available(world.fund) == before["street"] - 40000
    assert available(funds["盐运西"]) == before["盐运西"] - 15000 and available(funds["长者"]) == before["长者"] - 15000
    created = AuditLog.objects.get(action="grants.round.create")
    assert created.after["shares"] == {"yx-bjj": "40000.00", "yx-ysx": "15000.00", "yx-bjj-elder": "15000.00"}


@pytest.mark.parametrize(("shares", "code"), [
    ("盐运西", "invalid_list"),
    ([("人民街", "5000")], "fund_outside_street"),
    ([("盐运西", "5000"), ("盐运西", "5000")], "fund_twice"),
    ([("street", "5000")], "fund_twice"),
    ([("盐运西", "40000"), ("长者", "30000")], "lead_share"),
    ([("盐运西", "-1")], "amount_not_positive"),
    ([("盐运西", "abc")], "invalid_number"),
    ([("盐运西",)], "unknown_fund"),
    ([("盐运西", "1")] * 8, "too_many_funds"),
    ([("盐运西", "4999.99")], "share_below_min_grant"),
])
def test_bad_shares_are_refused_and_nothing_is_made(world, funds, shares, code):
    named = {**funds, "street": world.fund}
    given = shares if isinstance(shares, str) else [tuple(named[x[0]] if i == 0 else x[i] for i in range(len(x))) for x in shares]
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, budget="70000", shares=given)
    assert refused.value.code == code and "shares" in refused.value.fields
    assert not RoundFund.objects.exists()


def test_the_largest_grant_fits_one_fund_and_a_closed_fund_is_refused(world, funds):
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, budget="30000", max_grant="20000", shares=[(funds["盐运西"], "15000")])
    assert refused.value.code == "grant_over_share"
    empty = cs.fund_create(actor=world.admin, code="yx-dufu", name="都府社区慈善基金", division=world.city.communities["都府"],
                           custodian=world.city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1))
    cs.fund_close(actor=world.admin, fund=empty)
    with pytest.raises(ValidationFailed) as refused:
        world.round(open=False, budget="30000", max_grant="15000", shares=[(empty, "5000")])
    assert refused.value.code == "fund_closed"


def test_a_share_a_fund_does_not_have_opens_nothing(world, funds):
    r = world.round(PhaseKind.NEEDS, open=False, budget="80000", shares=[(funds["盐运西"], "35000")])
    before = available(world.fund)
    with pytest.raises(ValidationFailed) as refused:
        gs.round_open(actor=world.admin, round=r)
    assert refused.value.code == "insufficient_balance"
    r.refresh_from_db()
    assert r.status == "draft" and available(world.fund) == before and hold_of(r) is None


def test_a_fund_held_by_another_custodian_needs_an_admin_of_both(world, funds):
    """The 慈善会's finance officer runs the street fund's rounds but holds no say over a fund another federation keeps;
    the district's administrator covers both."""
    city = world.city
    other = f.organization("广州市天河区慈善会", district=city.districts["天河"], kind="association", public_fundraising=True,
                           is_charity_federation=True)
    kept = cs.fund_create(actor=city.users["district_admin"], code="yx-bjj-edu", name="北京街助学专项基金",
                          division=city.streets["北京街"], custodian=other, opened_on=dt.date(2025, 1, 1), seed="20000.00")
    with pytest.raises(PermissionDenied):
        world.round(PhaseKind.NEEDS, open=False, budget="70000", shares=[(kept, "15000")])
    assert not RoundFund.objects.exists()
    r = gs.round_create(actor=city.users["district_admin"], fund=world.fund, title="2026年北京街联合微创投", year=2026,
                        budget="70000", phases=phases_around(timezone.now()), shares=[(kept, "15000")])
    with pytest.raises(PermissionDenied):
        gs.round_open(actor=world.admin, round=r)  # the street fund's custodian alone cannot reserve in the other's
    gs.round_open(actor=city.users["district_admin"], round=r)
    assert reserved(r) == {"北京街社区慈善基金": Decimal("55000.00"), "北京街助学专项基金": Decimal("15000.00")}


def test_only_who_may_reserve_in_every_fund_opens_the_round(world, funds):
    r = shared_round(world, funds, PhaseKind.NEEDS, open=False)
    with pytest.raises(PermissionDenied):
        gs.round_open(actor=world.staff, round=r)


# --- who pays each award, and what each fund holds ----------------------------------------------------------------

def test_each_award_is_paid_from_one_fund_and_each_fund_holds_its_awards(world, funds, allocated):
    r, p = allocated
    assert [payer_of(p[n]) for n in (1, 2, 3, 4)] == [
        "北京街社区慈善基金", "北京街长者关爱专项基金", "盐运西社区慈善基金", "北京街社区慈善基金"]
    assert reserved(r) == {"北京街社区慈善基金": Decimal("25000.00"), "盐运西社区慈善基金": Decimal("14000.00"),
                           "北京街长者关爱专项基金": Decimal("12000.00")}
    rows = {row.name: row for row in round_funds(r)}
    assert rows["北京街社区慈善基金"].awarded == Money("25000") and rows["北京街社区慈善基金"].share == Money("40000")
    assert available(funds["长者"]) == Decimal("8000.00")  # ¥20,000 less its one award; the ¥3,000 left went back


def test_a_winner_no_one_fund_can_pay_is_not_funded_and_says_why(world, funds, scores):
    r = world.round(PhaseKind.ALLOCATION, budget="40000", max_grant="15000", rule=Rule.GREEDY,
                    shares=[(funds["盐运西"], "20000")])
    p = {n: proposal(world, r, n, cost) for n, cost in [(1, "15000"), (2, "15000"), (3, "10000")]}
    for chosen in [(1, 2, 3), (1, 2), (1,)]:
        vote(world, r, *(p[n] for n in chosen))
    gs.allocation_run(actor=world.admin, round=r)
    third = Result.objects.get(proposal=p[3])
    assert not third.funded and third.fund is None and third.reason_code == "no_fund_room"
    assert third.reason_params == {"cost": "10,000.00", "left": "5,000.00"}
    with translation.override("zh-hans"):
        from shanlian.grants.selectors_results import reason_text
        assert "10,000.00" in reason_text(third.reason_code, third.reason_params)
    assert payer_of(p[1]) == "北京街社区慈善基金" and payer_of(p[2]) == "盐运西社区慈善基金"
    assert sum(reserved(r).values()) == Decimal("30000.00")


def test_signing_moves_the_award_out_of_its_own_fund_s_reservation(world, funds, allocated):
    r, p = allocated
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        a = agreement_draft(actor=world.staff, proposal=p[3], tranches=PLAN)
        a = agreement_sign(actor=world.managers["长者互助队"], agreement=a)
        a = agreement_sign(actor=world.admin, agreement=a)
    assert a.project.fund_id == funds["盐运西"].pk and a.project.budget == Money("14000")
    assert reserved(r) == {"北京街社区慈善基金": Decimal("25000.00"), "盐运西社区慈善基金": Decimal("0.00"),
                           "北京街长者关爱专项基金": Decimal("12000.00")}
    assert available(funds["盐运西"]) == Decimal("16000.00")  # ¥30,000 less the award, now the project's
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False), pytest.raises(Conflict) as refused:
        gs.result_payer_set(actor=world.admin, result=Result.objects.get(proposal=p[3]), fund=world.fund)
    assert refused.value.code == "agreement_in_force"


def test_staff_move_an_award_to_another_fund_within_its_rules(world, funds, allocated):
    r, p = allocated
    result = {n: Result.objects.get(proposal=p[n]) for n in p}
    for n, fund, code in [(4, funds["长者"], "fund_purpose"), (1, funds["盐运西"], "no_fund_room"),
                          (2, funds["人民街"], "fund_not_in_round")]:
        with pytest.raises((ValidationFailed, Conflict)) as refused:
            gs.result_payer_set(actor=world.admin, result=result[n], fund=fund)
        assert refused.value.code == code
    with pytest.raises(PermissionDenied):
        gs.result_payer_set(actor=world.staff, result=result[2], fund=world.fund)
    gs.result_payer_set(actor=world.admin, result=result[2], fund=world.fund)
    assert payer_of(p[2]) == "北京街社区慈善基金"
    assert reserved(r) == {"北京街社区慈善基金": Decimal("37000.00"), "盐运西社区慈善基金": Decimal("14000.00"),
                           "北京街长者关爱专项基金": Decimal("0.00")}
    assert available(funds["长者"]) == Decimal("20000.00")
    assert AuditLog.objects.filter(action="grants.result.payer").count() == 1


def test_an_override_pays_from_a_fund_with_room_and_the_close_releases_every_fund(world, funds, allocated):
    r, p = allocated
    result = {n: Result.objects.get(proposal=p[n]) for n in p}
    gs.result_override(actor=world.admin, result=result[4], funded=False, reason="申请方未按时提交资质证明")
    result[4].refresh_from_db()
    assert result[4].fund is None and reserved(r)["北京街社区慈善基金"] == Decimal("20000.00")
    gs.result_override(actor=world.admin, result=result[4], funded=True, reason="补交资质证明后恢复资助")
    assert payer_of(p[4]) == "北京街社区慈善基金" and reserved(r)["北京街社区慈善基金"] == Decimal("25000.00")
    # With 2 and 3 moved to the street's fund, 1 (¥20,000) fits no fund once it has let its place go.
    gs.result_override(actor=world.admin, result=result[1], funded=False, reason="服务对象与去年重复")
    for n in (2, 3):
        gs.result_payer_set(actor=world.admin, result=result[n], fund=world.fund)
    with translation.override("zh-hans"), pytest.raises(Conflict) as refused:
        gs.result_override(actor=world.admin, result=result[1], funded=True, reason="复核后恢复")
    assert refused.value.code == "no_fund_room" and str(refused.value.message) == (
        "本轮没有一个基金还剩 ¥20,000.00 支付项目01（各基金余额：北京街社区慈善基金 ¥9,000.00；盐运西社区慈善基金 ¥15,000.00；"
        "北京街长者关爱专项基金 ¥15,000.00）。")
    reports = r.phases.get(kind=PhaseKind.REPORTS)
    first = hold_of(r)
    assert hold_of(r, funds["盐运西"]) is None and hold_of(r, funds["长者"]) is None  # they pay nothing now
    gs.phase_extend(actor=world.staff, round=r, kind=PhaseKind.REPORTS, closes_at=reports.closes_at + 20 * DAY, reason="项目顺延")
    first.refresh_from_db()
    later = hold_of(r)
    assert first.status == HoldStatus.VOIDED and later.amount == first.amount == Decimal("31000.00")
    assert later.expires_at > first.expires_at
    with time_machine.travel(timezone.now() + 80 * DAY, tick=False):
        gs.round_close(actor=world.admin, round=r)
    assert all(v == 0 for v in reserved(r).values())
    assert available(funds["盐运西"]) == Decimal("30000.00") and available(funds["长者"]) == Decimal("20000.00")


# --- pages and API ------------------------------------------------------------------------------------------------

def _round_post(world, funds, **over) -> dict:
    start = timezone.localtime() + DAY
    data = {"fund": world.fund.pk, "title": "2027年北京街联合微创投", "year": 2027, "budget": "70000", "min_grant": "5000",
            "max_grant": "20000", "has_vote": "on", "rule": "greedy", "expert_weight": "0", "ballot_kind": "approval",
            "min_choices": 1, "max_choices": 5, "points": 0, "reviewers_per_proposal": 3,
            "share_fund_1": funds["盐运西"].pk, "share_amount_1": "15000", "share_fund_2": funds["长者"].pk, "share_amount_2": "15000"}
    for i, kind in enumerate(PhaseKind.values):
        data[f"{kind}_opens"] = (start + i * 10 * DAY).strftime("%Y-%m-%dT%H:%M")
        data[f"{kind}_closes"] = (start + (i + 1) * 10 * DAY).strftime("%Y-%m-%dT%H:%M")
    data.update(over)
    return data


def test_staff_set_up_a_round_over_several_funds_on_the_form(client, world, funds):
    client.force_login(world.admin)
    form = client.get(reverse("grants:staff_round_create")).content.decode()
    assert 'name="share_fund_1"' in form and "盐运西社区慈善基金" in form
    half = client.post(reverse("grants:staff_round_create"), _round_post(world, funds, share_amount_2=""))
    assert half.status_code == 400 and "请同时填写基金及其出资金额，或都不填。" in half.content.decode()
    outside = client.post(reverse("grants:staff_round_create"), _round_post(world, funds, share_fund_2=funds["人民街"].pk))
    assert outside.status_code == 400 and "人民街社区慈善基金不是北京街道的基金。" in outside.content.decode()
    assert not RoundFund.objects.exists()
    done = client.post(reverse("grants:staff_round_create"), _round_post(world, funds))
    assert done.status_code == 302
    r = RoundFund.objects.filter(fund=funds["长者"]).get().round
    assert r.budget == Money("70000") and r.funds.count() == 3
    page = client.get(reverse("grants:staff_round", args=[r.pk])).content.decode()
    assert page.count('data-testid="round-fund"') == 3 and "北京街长者关爱专项基金" in page


def test_the_allocation_tab_public_page_and_api_show_and_change_the_payer(client, world, funds, allocated):
    r, p = allocated
    two = Result.objects.get(proposal=p[2])
    client.force_login(world.admin)
    tab = client.get(reverse("grants:staff_round_allocation", args=[r.pk])).content.decode()
    assert tab.count('data-testid="payer-form"') == 4 and tab.count('data-testid="round-fund"') == 3
    refused = client.post(reverse("grants:staff_result_payer", args=[two.pk]), {f"payer-{two.pk}-fund": funds["盐运西"].pk})
    assert refused.status_code == 409 and "盐运西社区慈善基金只剩 ¥1,000.00，不够支付 ¥12,000.00 的资助。" in refused.content.decode()
    moved = client.post(reverse("grants:staff_result_payer", args=[two.pk]), {f"payer-{two.pk}-fund": world.fund.pk})
    assert moved.status_code == 302 and payer_of(p[2]) == "北京街社区慈善基金"
    bad = client.post(reverse("grants:staff_result_payer", args=[two.pk]), {f"payer-{two.pk}-fund": "abc"})
    assert bad.status_code == 400
    api = client.post(f"/api/grants/manage/results/{two.pk}/payer", data=json.dumps({"fund": "yx-bjj-elder"}),
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["paid_from"] == {"code": "yx-bjj-elder", "name": "北京街长者关爱专项基金"}
    nope = client.post(f"/api/grants/manage/results/{two.pk}/payer", data=json.dumps({"fund": "yx-rmj"}),
                       content_type="application/json")
    assert nope.status_code == 400 and nope.json()["code"] == "fund_not_in_round"
    client.logout()
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        public = client.get(reverse("grants_public:round", args=[r.pk])).content.decode()
        body = client.get(f"/api/grants/rounds/{r.pk}").json()
    assert public.count('data-testid="round-fund"') == 3 and public.count('data-testid="payer"') == 4
    with time_machine.travel(timezone.now() + 10 * DAY, tick=False):
        book = load_workbook(io.BytesIO(client.get(reverse("grants_public:round", args=[r.pk]) + "?format=xlsx").content))
    summary = {row[0].value: row[1].value for row in book.worksheets[0].iter_rows(min_row=2)}
    assert summary["基金"] == "北京街社区慈善基金、盐运西社区慈善基金、北京街长者关爱专项基金"
    assert [c.value for c in book.worksheets[1][2]] == ["北京街社区慈善基金", 40000, 25000, 25000]
    assert [f["name"] for f in body["funds"]] == ["北京街社区慈善基金", "盐运西社区慈善基金", "北京街长者关爱专项基金"]
    assert body["funds"][2] == {"name": "北京街长者关爱专项基金", "share": "15000.00", "awarded": "12000.00", "reserved": "12000.00"}
    assert {row["number"]: row["paid_from"] for row in body["results"]["rows"]}[3] == "盐运西社区慈善基金"
