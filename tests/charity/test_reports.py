"""Disclosure reports made automatically for campaigns and projects running longer than 6 months:
quarterly for every completed calendar quarter, a final one after the end; frozen; made once."""

from __future__ import annotations

import datetime as dt

import pytest

from shanlian.charity import services as cs
from shanlian.charity.models import DisclosureReport
from shanlian.charity.reports import add_months, completed_quarters, reports_generate, runs_longer_than

from .disclosure_data import SHANGHAI, at, moment


def project(books, city, start, end, title="邻里守望"):
    return cs.project_create(actor=city.users["finance"], fund=books.fund, title=title, purpose="elderly", budget="20000",
                             starts_on=start, ends_on=end)


def reports_of(obj, subject="project"):
    return list(DisclosureReport.objects.filter(subject_type=subject, subject_id=obj.pk).order_by("period_start", "kind")
                .values_list("kind", "period_start", "period_end"))


def test_month_arithmetic():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 8, 31), 6) == dt.date(2026, 2, 28)
    assert runs_longer_than(dt.date(2025, 1, 1), dt.date(2025, 7, 1), 6) is False
    assert runs_longer_than(dt.date(2025, 1, 1), dt.date(2025, 7, 2), 6) is True
    assert completed_quarters(dt.date(2025, 2, 15), dt.date(2026, 1, 31), dt.date(2025, 10, 1)) == [
        (dt.date(2025, 2, 15), dt.date(2025, 3, 31)), (dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
        (dt.date(2025, 7, 1), dt.date(2025, 9, 30))]


def test_exactly_six_months_gets_no_report(books, city):
    p = project(books, city, dt.date(2025, 1, 1), dt.date(2025, 6, 30))  # its last day is Jun 30: exactly 6 months
    reports_generate(today=dt.date(2025, 12, 31))
    assert reports_of(p) == []


def test_longer_than_six_months_is_reported_every_quarter(books, city):
    p = project(books, city, dt.date(2025, 1, 1), dt.date(2025, 7, 1))  # one day longer
    reports_generate(today=dt.date(2025, 7, 1))
    assert reports_of(p) == [("quarterly", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
                             ("quarterly", dt.date(2025, 4, 1), dt.date(2025, 6, 30))]


def test_quarters_are_made_once_each_is_over(books, city):
    p = project(books, city, dt.date(2025, 2, 15), dt.date(2026, 1, 31))
    assert reports_generate(today=dt.date(2025, 3, 31)) >= 0 and reports_of(p) == []  # Q1 not over on its last day
    reports_generate(today=dt.date(2025, 4, 1))
    assert reports_of(p) == [("quarterly", dt.date(2025, 2, 15), dt.date(2025, 3, 31))]
    reports_generate(today=dt.date(2025, 10, 15))
    assert [r[1] for r in reports_of(p)] == [dt.date(2025, 2, 15), dt.date(2025, 4, 1), dt.date(2025, 7, 1)]


def test_final_report_after_the_end(books, city):
    p = project(books, city, dt.date(2024, 6, 1), dt.date(2025, 5, 20))
    reports_generate(today=dt.date(2025, 5, 20))
    assert "final" not in [r[0] for r in reports_of(p)]  # still running on its last day
    reports_generate(today=dt.date(2025, 5, 21))  # the first run after the end: well within 3 months
    kinds = reports_of(p)
    assert ("final", dt.date(2024, 6, 1), dt.date(2025, 5, 20)) in kinds
    # The quarter it ended in is reported when that quarter is over.
    assert ("quarterly", dt.date(2025, 4, 1), dt.date(2025, 5, 20)) not in kinds
    reports_generate(today=dt.date(2025, 7, 1))
    assert ("quarterly", dt.date(2025, 4, 1), dt.date(2025, 5, 20)) in reports_of(p)


def test_running_again_makes_nothing_new(books, city):
    project(books, city, dt.date(2024, 1, 1), dt.date(2025, 3, 31))
    first = reports_generate(today=dt.date(2025, 8, 1))
    assert first > 0
    count = DisclosureReport.objects.count()
    assert reports_generate(today=dt.date(2025, 8, 1)) == 0
    assert DisclosureReport.objects.count() == count


def test_project_report_content_is_frozen(books, city):
    p = project(books, city, dt.date(2025, 1, 1), dt.date(2025, 12, 31), title="长者助餐二期")
    with at(moment(2025, 2, 3)):
        cs.donation_record(actor=city.users["station_worker"], fund=books.fund, project=p, amount="800.00", channel="cash",
                           donor_name="林晓红", point=books.point, received_at=moment(2025, 2, 3))
        payout = cs.payout_request(actor=city.users["station_worker"], fund=books.fund, project=p, title="二月助餐",
                                   payee="北京街长者饭堂", lines=[("餐费", "500.00"), ("餐具", "100.00")])
        cs.payout_pay(actor=city.users["finance"], payout=cs.payout_approve(actor=city.users["finance"], payout=payout),
                      payment_reference="BOC1")
    reports_generate(today=dt.date(2025, 4, 1))
    report = DisclosureReport.objects.get(subject_type="project", subject_id=p.pk)
    c = report.content
    assert c["title"] == "长者助餐二期" and c["budget"] == "20000.00" and c["custodian"] == "广州市越秀区慈善会"
    assert c["income"]["restricted"] == "800.00" and c["spending"]["total"] == "600.00"
    assert c["spending"]["by_line"] == [{"item": "餐具", "amount": "100.00", "lines": 1}, {"item": "餐费", "amount": "500.00", "lines": 1}]
    assert c["balance"] == "200.00" and c["beneficiaries"] is None
    assert "林晓红" not in str(c)
    cs.donation_record(actor=city.users["station_worker"], fund=books.fund, project=p, amount="50.00", channel="cash",
                       donor_name="x", point=books.point)
    reports_generate(today=dt.date(2025, 4, 2))
    report.refresh_from_db()
    assert report.content == c


def test_campaign_reports(books, city):
    finance = city.users["finance"]
    start = dt.datetime(2025, 1, 1, tzinfo=SHANGHAI)
    exactly = cs.campaign_create(actor=finance, slug="six", title="半年劝募", organizer=city.orgs["慈善会"], goal="5000",
                                 starts_at=start, ends_at=dt.datetime(2025, 7, 1, tzinfo=SHANGHAI),
                                 targets=[(books.fund, None)])
    longer = cs.campaign_create(actor=finance, slug="seven", title="社区长者关爱行动", organizer=city.orgs["慈善会"],
                                goal="50000", starts_at=start, ends_at=dt.datetime(2025, 8, 1, tzinfo=SHANGHAI),
                                targets=[(books.fund, books.project)], record_number="53440100MJK123456A25001")
    draft = cs.campaign_create(actor=finance, slug="draft", title="草稿", organizer=city.orgs["慈善会"], goal="5000",
                               starts_at=start, ends_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), targets=[(books.fund, None)])
    for c in (exactly, longer):
        cs.campaign_open(actor=finance, campaign=c)
    pool = cs.match_pool_create(actor=finance, campaign=longer, sponsor_name="善源", ratio="0.5", per_donor_cap="500",
                                per_day_cap="5000", total_cap="5000", deposit="5000")
    assert pool.pk
    with at(moment(2025, 2, 14)):
        cs.donation_record(actor=None, fund=books.fund, project=books.project, campaign=longer, amount="200.00",
                           channel="online", donor_name="王小明", donor_key="u1", received_at=moment(2025, 2, 14),
                           source="pay:fakepay", _skip_access=True)
    reports_generate(today=dt.date(2025, 9, 1))
    assert reports_of(exactly, "campaign") == [] and reports_of(draft, "campaign") == []
    assert set(reports_of(longer, "campaign")) == {
        ("quarterly", dt.date(2025, 1, 1), dt.date(2025, 3, 31)), ("quarterly", dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
        ("final", dt.date(2025, 1, 1), dt.date(2025, 7, 31))}  # Q3 (Jul 1-31) comes once Q3 is over
    q1 = DisclosureReport.objects.get(subject_type="campaign", subject_id=longer.pk, period_start=dt.date(2025, 1, 1),
                                      kind="quarterly").content
    assert q1["record_number"] == "53440100MJK123456A25001" and q1["organizer"] == "广州市越秀区慈善会"
    assert q1["plan"]["goal"] == "50000.00"
    assert q1["results"]["raised"] == "300.00" and q1["results"]["matched"] == "100.00" and q1["results"]["gift_count"] == 1
    assert q1["plan"]["targets"][0]["project"] == "长者饭堂助餐"


@pytest.mark.parametrize("months", [3, 12])
def test_the_threshold_is_a_setting(books, city, settings, months):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_LONG_ACTIVITY_MONTHS": months}
    p = project(books, city, dt.date(2025, 1, 1), dt.date(2025, 8, 31))
    reports_generate(today=dt.date(2025, 10, 1))
    assert bool(reports_of(p)) is (months == 3)
