"""The staff selectors: who sees which fund, gift, payout, attachment and receipt; the money figures
the pages show; and the receipt numbering summary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from shanlian.charity import services as cs
from shanlian.charity.selectors import staff as sel
from shanlian.core.errors import NotFound
from shanlian.core.models import AuditLog
from shanlian.core.money import Money
from shanlian.orgs.models import DonationPoint
from shanlian.people.selectors import actor_scope

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def scope(city, who):
    return actor_scope(city.users[who])


def gift(books, city, amount="100.00", **kw):
    kw.setdefault("channel", "cash")
    kw.setdefault("donor_name", "林晓红")
    kw.setdefault("point", books.point)
    return cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount=amount, **kw)


def payout(books, city, amount="500.00", **kw):
    return cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project,
                             title=kw.pop("title", "长者午餐食材"), payee="粮油店", lines=[("大米", amount)], **kw)


@pytest.mark.parametrize(("who", "codes"), [
    ("station_worker", {"yx-bjj"}), ("street_officer", {"yx-bjj"}), ("agency_manager", {"yx-bjj", "yx-rmj"}),
    ("finance", {"yx-bjj", "yx-rmj"}), ("district_admin", {"yx-bjj", "yx-rmj"}), ("city_admin", {"yx-bjj", "yx-rmj"}),
    ("other_worker", set()), ("volunteer", set()), ("donor", set()), ("nobody", set()),
])
def test_funds_are_scoped_by_role(books, city, who, codes):
    assert {f.code for f in sel.funds_list(scope=scope(city, who))} == codes


def test_a_superuser_sees_every_fund(books, city):
    boss = get_user_model().objects.create_superuser("boss", password="x" * 12)
    assert {f.code for f in sel.funds_list(scope=actor_scope(boss))} == {"yx-bjj", "yx-rmj"}


def test_a_community_fund_is_seen_by_its_streets_station(books, city):
    fund = cs.fund_create(actor=city.users["finance"], code="yx-yyx", name="盐运西社区基金", division=city.communities["盐运西"],
                          custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1))
    assert fund in sel.funds_list(scope=scope(city, "station_worker"))
    assert fund not in sel.funds_list(scope=scope(city, "other_worker"))
    # Its donation points are those of the street's station.
    assert list(sel.donation_point_choices(fund=fund)) == [books.point]


def test_fund_search_and_status(books, city):
    s = scope(city, "finance")
    assert [f.code for f in sel.funds_list(scope=s, query="人民")] == ["yx-rmj"]
    assert [f.code for f in sel.funds_list(scope=s, query="bjj")] == ["yx-bjj"]
    assert list(sel.funds_list(scope=s, status="closed")) == []


def test_fund_get_out_of_scope_is_missing_and_logged(books, city):
    assert sel.fund_get(scope=scope(city, "station_worker"), code="yx-bjj") == books.fund
    with pytest.raises(NotFound):
        sel.fund_get(scope=scope(city, "other_worker"), code="yx-bjj")
    log = AuditLog.objects.filter(action="access.denied").latest("id")
    assert log.object_type == "charity.communityfund" and log.object_id == "yx-bjj"
    assert log.actor_id == city.users["other_worker"].pk
    with pytest.raises(NotFound):
        sel.fund_get(scope=scope(city, "finance"), code="no-such-fund")


def test_fund_money(books, city, django_assert_num_queries):
    gift(books, city, "300.00", project=books.project)
    gift(books, city, "40.00", channel="goods", goods=cs.Goods(item="大米", quantity=Decimal("2"), unit="袋"))
    p = payout(books, city, "500.00")
    cs.payout_approve(actor=books.finance2, payout=p)
    fund = sel.fund_get(scope=scope(city, "finance"), code="yx-bjj")
    with django_assert_num_queries(0):
        money = sel.fund_money(fund)
    # The project's restricted money is drawn first, then the fund's general money.
    assert money.general == Money("10000.00") and money.restricted == Money("300.00")
    assert money.restricted_held == Money("300.00") and money.general_held == Money("200.00")
    assert money.money == Money("10300.00") and money.held == Money("500.00") and money.available == Money("9800.00")
    assert money.goods == Money("40.00")


def test_fund_projects_count_only_paid_payouts(books, city, django_assert_num_queries):
    paid = payout(books, city, "1000.00")
    cs.payout_approve(actor=city.users["finance"], payout=paid)
    cs.payout_pay(actor=city.users["finance"], payout=paid, payment_reference="B1")
    payout(books, city, "700.00", title="待批")
    with django_assert_num_queries(1):
        rows = sel.fund_projects(fund=books.fund)
    assert len(rows) == 1
    row = rows[0]
    assert row.spent == Money("1000.00") and row.budget_left == Money("49000.00") and row.spent_percent == 2


def test_goods_inventory(books, city):
    gift(books, city, "60.00", channel="goods", goods=cs.Goods(item="大米", quantity=Decimal("6"), unit="袋"))
    gift(books, city, "30.00", channel="goods", goods=cs.Goods(item="食用油", quantity=Decimal("1"), unit="桶"))
    cs.goods_give_out(actor=city.users["station_worker"], point=books.point, fund=books.fund, item="大米", quantity="2",
                      recipient="陈阿婆")
    cs.goods_give_out(actor=city.users["station_worker"], point=books.point, fund=books.fund, item="食用油", quantity="1",
                      recipient="李伯")
    lines = sel.fund_goods_inventory(fund=books.fund)
    assert [(g.item, g.quantity, g.unit, g.value) for g in lines] == [("大米", Decimal("4.00"), "袋", Money("40.00"))]
    assert lines[0].key == f"{books.point.pk}:大米"
    assert len(sel.fund_goods_inventory(fund=books.fund, include_empty=True)) == 2


def test_point_choices_leave_out_closed_and_other_streets(books, city):
    closed = DonationPoint.objects.create(station=city.stations["北京街"], name="旧站点", active=False)
    elsewhere = DonationPoint.objects.create(station=city.stations["人民街"], name="人民街站点")
    points = list(sel.donation_point_choices(fund=books.fund))
    assert books.point in points and closed not in points and elsewhere not in points


def test_campaign_and_project_choices(books, city):
    assert list(sel.fund_project_choices(fund=books.fund)) == [books.project]
    assert list(sel.fund_campaign_choices(fund=books.fund)) == [books.campaign]
    assert list(sel.fund_campaign_choices(fund=books.other_fund)) == []


def test_donations_list_filters_by_local_day(books, city):
    late = dt.datetime(2026, 1, 1, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC
    d = gift(books, city, "10.00", received_at=late)
    s = scope(city, "station_worker")
    day = dt.date(2026, 1, 1)
    assert list(sel.donations_list(scope=s, start=day, end=day)) == [d]
    assert list(sel.donations_list(scope=s, start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 2))) == []
    assert d in sel.donations_list(scope=s, channel="cash", fund_code="yx-bjj", receipt="none", status="confirmed")
    assert list(sel.donations_list(scope=scope(city, "other_worker"))) == []
    assert list(sel.donations_list(scope=scope(city, "volunteer"))) == []


def test_donation_get_annotates_the_issued_receipt(books, city):
    d = gift(books, city)
    r = cs.receipt_issue(actor=city.users["finance"], donation=d)
    got = sel.donation_get(scope=scope(city, "station_worker"), donation_id=d.pk)
    assert got.receipt_id == r.pk and got.receipt_number == r.number
    assert sel.donation_by_token(token="") is None
    with pytest.raises(NotFound):
        sel.donation_get(scope=scope(city, "other_worker"), donation_id=d.pk)


def test_donation_by_token(books, city):
    d = gift(books, city, external_id="abc123")
    assert sel.donation_by_token(token="abc123") == d
    assert sel.donation_by_token(token="other") is None


def test_payouts_and_attachments_are_scoped(books, city):
    p = payout(books, city, attachments=[SimpleUploadedFile("q.pdf", b"%PDF", content_type="application/pdf")])
    a = p.attachments.get()
    assert list(sel.payouts_list(scope=scope(city, "finance"), status="requested")) == [p]
    assert list(sel.payouts_list(scope=scope(city, "finance"), status="paid")) == []
    assert list(sel.payouts_list(scope=scope(city, "other_worker"))) == []
    got = sel.payout_get(scope=scope(city, "street_officer"), payout_id=p.pk)
    assert [line.item for line in got.lines.all()] == ["大米"]
    assert sel.payout_attachment_get(scope=scope(city, "station_worker"), payout_id=p.pk, attachment_id=a.pk) == a
    for who in ("other_worker", "volunteer"):
        with pytest.raises(NotFound):
            sel.payout_attachment_get(scope=scope(city, who), payout_id=p.pk, attachment_id=a.pk)
        with pytest.raises(NotFound):
            sel.payout_get(scope=scope(city, who), payout_id=p.pk)


def test_receipts_are_the_issuers_books(books, city):
    finance = city.users["finance"]
    rs = [cs.receipt_issue(actor=finance, donation=gift(books, city, f"{n}.00")) for n in (1, 2, 3)]
    cs.receipt_void(actor=finance, receipt=rs[0], reason="抬头有误")
    assert len(sel.receipts_list(scope=scope(city, "finance"))) == 3
    assert len(sel.receipts_list(scope=scope(city, "finance"), status="voided")) == 1
    assert len(sel.receipts_list(scope=scope(city, "station_worker"))) == 0
    assert sel.receipt_years(scope=scope(city, "finance")) == [rs[0].year]
    # A single receipt is also for whoever may see the gift.
    assert sel.receipt_get(scope=scope(city, "station_worker"), receipt_id=rs[1].pk) == rs[1]
    with pytest.raises(NotFound):
        sel.receipt_get(scope=scope(city, "other_worker"), receipt_id=rs[1].pk)

    [run] = sel.receipt_number_runs(scope=scope(city, "finance"))
    assert (run.first, run.last, run.count, run.voided, run.sequence_last) == (1, 3, 3, 1, 3)
    assert run.gapless and run.missing == 0
    assert sel.receipt_number_runs(scope=scope(city, "station_worker")) == []


def test_a_missing_number_would_show(books, city):
    run = sel.NumberRun(issuer_id=1, issuer_name="x", year=2026, first=1, last=5, count=4, voided=0, sequence_last=5)
    assert not run.gapless and run.missing == 1
    taken = sel.NumberRun(issuer_id=1, issuer_name="x", year=2026, first=1, last=5, count=5, voided=0, sequence_last=6)
    assert not taken.gapless and taken.missing == 1  # a number taken by the sequence without a receipt row


def test_funds_list_query_count_is_flat(books, city, django_assert_num_queries):
    s = scope(city, "finance")
    with django_assert_num_queries(1):
        few = [sel.fund_money(f) for f in sel.funds_list(scope=s)]
    for n in range(3):
        fund = cs.fund_create(actor=city.users["finance"], code=f"yx-n{n}", name=f"基金{n}", division=city.communities["都府"],
                              custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), seed="10")
        cs.project_create(actor=city.users["finance"], fund=fund, title="p", purpose="elderly", budget="10",
                          starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 1, 1))
    s = actor_scope(city.users["finance"])
    with django_assert_num_queries(1):
        many = [sel.fund_money(f) for f in sel.funds_list(scope=s)]
    assert len(many) == len(few) + 3


def test_staff_may_open(city):
    assert sel.staff_may_open(scope(city, "station_worker")) and sel.staff_may_open(scope(city, "finance"))
    assert not sel.staff_may_open(scope(city, "volunteer")) and not sel.staff_may_open(scope(city, "expert"))


def test_signed_yuan():
    from shanlian.charity.templatetags.charity_staff import signed_yuan

    assert signed_yuan(Money("-300")) == "−¥300.00" and signed_yuan(Money("1234.5")) == "+¥1,234.50"
    assert signed_yuan(None) == "" and signed_yuan("12.30") == "+¥12.30"
