"""The time bank's and charity's sections, counted against hours and payouts made through their services (the
`bank` and `books` fixtures of tests/timebank and tests/charity)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from shanlian.charity import services as cs
from shanlian.charity.monthly import counts as charity_counts
from shanlian.reports.months import next_month, previous_month
from shanlian.reports.selectors import monthly_report
from shanlian.timebank import services as ts
from shanlian.timebank.models import HoursRecord, HoursStatus, Shift
from shanlian.timebank.monthly import counts as hours_counts


def _shift_on(bank, city, day: dt.date, title: str, station="北京街"):
    """A past shift (published for later, then moved back, as the time bank's own tests do)."""
    soon = timezone.now() + dt.timedelta(hours=1)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations[station], title=title, category="elderly",
                              division=city.communities["盐运西"], place="盐运西社区长者饭堂",
                              shifts=[(soon, soon + dt.timedelta(hours=4), 3)])
    shift = act.shifts.get()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=4))
    shift.refresh_from_db()
    return shift


def _hours(bank, city, shift, volunteer, hours: str, approve: bool = True):
    record = ts.hours_late_entry(actor=bank.organizer, volunteer=volunteer, shift=shift, hours=hours, reason="签到表补录")
    if approve:
        ts.hours_approve(actor=bank.organizer, record=record)
        record = ts.hours_agency_approve(actor=bank.agency, record=record)
        assert record.status == HoursStatus.APPROVED
    return record


def test_verified_hours_count_on_the_day_served(bank, city):
    this = timezone.localdate().replace(day=1)
    last = previous_month(this)
    a = _shift_on(bank, city, last + dt.timedelta(days=2), "送餐上门")
    b = _shift_on(bank, city, last + dt.timedelta(days=20), "探访独居长者")
    outside = _shift_on(bank, city, previous_month(last) + dt.timedelta(days=27), "上月活动")
    _hours(bank, city, a, bank.vol, "2.5")
    _hours(bank, city, a, bank.mum, "2")
    _hours(bank, city, b, bank.vol, "3.5")
    _hours(bank, city, outside, bank.vol, "1")
    pending = _hours(bank, city, b, bank.mum, "4", approve=False)  # waiting: not verified
    ts.hours_approve(actor=bank.organizer, record=pending)
    assert HoursRecord.objects.get(pk=pending.pk).status == HoursStatus.NEEDS_AGENCY
    station = city.stations["北京街"].pk
    got = hours_counts([s.pk for s in city.stations.values()], last, this)
    assert got == {station: {"activities": 2, "volunteers": 2, "person_times": 3, "hours": Decimal("8.0")}}
    report = monthly_report(city.users["city_admin"], month=last)
    assert report.area.figures["volunteering.hours"] == Decimal("8.0")
    assert report.area.figures["volunteering.person_times"] == 3
    assert hours_counts([station], this, next_month(this)) == {}


def _pay(books, city, fund, project, amount: str):
    p = cs.payout_request(actor=city.users["station_worker" if fund == books.fund else "agency_manager"], fund=fund,
                          project=project, title="长者助餐", payee="北京街长者饭堂", lines=[("餐费补贴", amount)])
    p = cs.payout_approve(actor=city.users["finance"], payout=p)
    return cs.payout_pay(actor=city.users["finance"], payout=p,
                         payment_reference=f"BOC{p.pk:08d}")


def test_money_spent_counts_paid_payouts_of_the_streets_funds(books, city):
    admin = city.users["finance"]
    community_fund = cs.fund_create(actor=admin, code="yx-ysx", name="盐运西社区慈善基金", division=city.communities["盐运西"],
                                    custodian=city.orgs["慈善会"], opened_on=dt.date(2025, 1, 1), seed="3000.00")
    community_project = cs.project_create(actor=admin, fund=community_fund, title="社区长者助浴", purpose="elderly",
                                          budget="8000", starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2027, 12, 31))
    _pay(books, city, books.fund, books.project, "1200.50")
    _pay(books, city, books.fund, books.project, "300")
    _pay(books, city, community_fund, community_project, "99.99")  # a community's fund with no station: its street's
    approved = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=books.project, title="未付",
                                 payee="某店", lines=[("物资", "50")])
    cs.payout_approve(actor=admin, payout=approved)  # approved, not paid: not spent
    this = timezone.localdate().replace(day=1)
    s = city.stations
    got = charity_counts([x.pk for x in s.values()], this, next_month(this))
    assert got == {s["北京街"].pk: {"payouts": 3, "projects": 2, "spent": Decimal("1600.49")}}
    assert charity_counts([x.pk for x in s.values()], previous_month(this), this) == {}
    assert charity_counts([s["人民街"].pk], this, next_month(this)) == {}
    report = monthly_report(city.users["district_admin"], month=this)
    assert report.area.figures["charity.spent"] == Decimal("1600.49")
    assert [r.figures.get("charity.spent", 0) for r in report.rows] == [Decimal("1600.49"), 0]


def test_a_payout_paid_late_at_night_counts_in_shanghai_time(books, city):
    from shanlian.charity.models import Payout

    p = _pay(books, city, books.fund, books.project, "10")
    this = timezone.localdate().replace(day=1)
    # 00:30 on the 1st in Shanghai is still the previous day in UTC: it belongs to this month, not the last
    Payout.objects.filter(pk=p.pk).update(paid_at=timezone.make_aware(dt.datetime.combine(this, dt.time(0, 30))))
    s = city.stations["北京街"].pk
    assert charity_counts([s], this, next_month(this))[s]["spent"] == Decimal("10.00")
    assert charity_counts([s], previous_month(this), this) == {}
