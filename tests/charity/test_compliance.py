"""Compliance of a charity federation: charitable spending against 70% of last year's income (or of the
three-year average) and management cost against its cap; the dashboard and who may see it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.charity import services as cs
from shanlian.charity.selectors import compliance, compliance_federations
from shanlian.core.money import Money
from shanlian.core.scoping import Role
from shanlian.orgs.models import Organization, OrgKind
from shanlian.people.selectors import actor_scope

from .. import factories as f
from .disclosure_data import at, moment


@pytest.fixture
def old_fund(books, city):
    """A fund of the same federation open since 2022, with income in 2022-2024."""
    finance = city.users["finance"]
    fund = cs.fund_create(actor=finance, code="yx-rmj-old", name="人民街老基金", division=city.streets["人民街"],
                          custodian=city.orgs["慈善会"], station=city.stations["人民街"], opened_on=dt.date(2022, 1, 1),
                          fee_rate="0.10")
    project = cs.project_create(actor=finance, fund=fund, title="助学", purpose="education", budget="100000",
                                starts_on=dt.date(2022, 1, 1), ends_on=dt.date(2027, 12, 31))
    for year, amount in ((2022, "1000.00"), (2023, "4000.00"), (2024, "10000.00")):
        when = moment(year, 6, 1)
        with at(when):
            cs.donation_record(actor=city.users["agency_manager"], fund=fund, amount=amount, channel="transfer",
                               donor_name="某公司", received_at=when)
    return fund, project


def spend(city, fund, project, amount, when):
    with at(when):
        p = cs.payout_request(actor=city.users["agency_manager"], fund=fund, project=project, title="助学金", payee="某小学",
                              lines=[("助学金", amount)])
        p = cs.payout_approve(actor=city.users["finance"], payout=p)
        return cs.payout_pay(actor=city.users["finance"], payout=p, payment_reference="BANK")


def fee(city, fund, start, end, when):
    with at(when):
        return cs.fee_charge(actor=city.users["finance"], fund=fund, period_start=start, period_end=end)


def test_meets_the_rule_by_the_three_year_average(city, old_fund):
    fund, project = old_fund
    spend(city, fund, project, "5000.00", moment(2025, 3, 1))
    r = compliance(federation=city.orgs["慈善会"], year=2025, today=dt.date(2025, 6, 30))
    assert r.income_last_year == Money("10000.00")
    assert r.income_by_year == [(2022, Money("1000.00")), (2023, Money("4000.00")), (2024, Money("10000.00"))]
    assert r.income_average == Money("5000.00")
    assert r.required_last_year == Money("7000.00") and r.required_average == Money("3500.00")
    assert r.spending == Money("5000.00") and r.spending_ratio_last_year == Decimal("0.5000")
    assert not r.meets_last_year and r.meets_average and r.met_by == "average" and r.shortfall == Money(0)


def test_short_spending_warns_how_much_is_left_to_spend(city, old_fund):
    fund, project = old_fund
    spend(city, fund, project, "2000.00", moment(2025, 3, 1))
    r = compliance(federation=city.orgs["慈善会"], year=2025, today=dt.date(2025, 9, 1))
    assert r.met_by == "" and r.shortfall == Money("1500.00")  # the easier rule: 3,500 - 2,000
    assert [w.code for w in r.warnings] == ["spending_short"] and r.warnings[0].level == "warning"
    assert "¥1,500.00" in r.warnings[0].message
    over = compliance(federation=city.orgs["慈善会"], year=2025, today=dt.date(2026, 1, 5))
    assert over.year_over and over.warnings[0].level == "danger"


def test_goods_given_out_count_as_spending(books, city):
    cs.donation_record(actor=city.users["station_worker"], fund=books.fund, amount="100.00", channel="goods", donor_name="x",
                       point=books.point, goods=cs.Goods(item="米", quantity=Decimal("10"), unit="袋"))
    cs.goods_give_out(actor=city.users["station_worker"], point=books.point, fund=books.fund, item="米", quantity="3",
                      recipient="陈**")
    from django.utils import timezone

    r = compliance(federation=city.orgs["慈善会"], year=timezone.localdate().year)
    assert r.goods == Money("30.00") and r.spending == Money("30.00")


def test_seed_money_is_not_income(books, city):
    from django.utils import timezone

    year = timezone.localdate().year
    r = compliance(federation=city.orgs["慈善会"], year=year + 1, today=dt.date(year + 1, 1, 2))
    assert r.income_last_year == Money(0)  # 2 × 10,000 start money moved from the federation itself


@pytest.mark.parametrize(("kind", "cap"), [(OrgKind.ASSOCIATION, "0.13"), (OrgKind.FOUNDATION, "0.10")])
def test_management_cost_cap_by_kind(city, old_fund, kind, cap):
    Organization.objects.filter(pk=city.orgs["慈善会"].pk).update(kind=kind)
    fed = Organization.objects.get(pk=city.orgs["慈善会"].pk)
    fund, project = old_fund
    with at(moment(2025, 1, 20)):
        cs.donation_record(actor=city.users["agency_manager"], fund=fund, amount="1200.00", channel="cash", donor_name="x",
                           received_at=moment(2025, 1, 20))
    spend(city, fund, project, "1000.00", moment(2025, 2, 10))
    charged = fee(city, fund, dt.date(2025, 1, 1), dt.date(2025, 1, 31), moment(2025, 2, 15))
    assert charged.amount == Money("120.00")
    r = compliance(federation=fed, year=2025, today=dt.date(2025, 6, 1))
    assert r.fees == Money("120.00") and r.mgmt_cap == Decimal(cap) and r.mgmt_ratio == Decimal("0.1200")
    codes = [w.code for w in r.warnings]
    if kind == OrgKind.ASSOCIATION:
        assert r.mgmt_ok and "mgmt_cost_near_cap" in codes and "mgmt_cost_over_cap" not in codes
    else:
        assert not r.mgmt_ok and "mgmt_cost_over_cap" in codes


def test_settings_change_the_rule(city, old_fund, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "CHARITY_MIN_SPENDING_RATIO": Decimal("0.50")}
    fund, project = old_fund
    spend(city, fund, project, "5000.00", moment(2025, 3, 1))
    r = compliance(federation=city.orgs["慈善会"], year=2025, today=dt.date(2025, 6, 30))
    assert r.required_last_year == Money("5000.00") and r.met_by == "last_year"


# --- who sees what ----------------------------------------------------------------------------------------


def test_federations_in_scope(city, books):
    other = f.organization("广州市天河区慈善会", district=city.districts["天河"], kind=OrgKind.ASSOCIATION, public_fundraising=True,
                           is_charity_federation=True)
    th_admin = f.user_with_role("th_admin", Role.DISTRICT_ADMIN, city.districts["天河"])

    def names(user):
        return {o.name for o in compliance_federations(scope=actor_scope(user))}

    assert names(city.users["finance"]) == {"广州市越秀区慈善会"}
    assert names(city.users["district_admin"]) == {"广州市越秀区慈善会"}
    assert names(th_admin) == {other.name}
    assert names(city.users["city_admin"]) == {"广州市越秀区慈善会", other.name}
    assert names(city.users["station_worker"]) == set()


def test_dashboard_allowed(login, city, books):
    for who in ("finance", "district_admin", "city_admin"):
        r = login(who).get(reverse("compliance:dashboard"), {"year": 2025})
        assert r.status_code == 200, who
        assert "广州市越秀区慈善会" in r.content.decode() and 'data-testid="federation-card"' in r.content.decode()
    r = login("finance").get(reverse("compliance:federation", args=[city.orgs["慈善会"].pk]))
    assert r.status_code == 200 and 'id="sl-gauge-spending"' in r.content.decode()


def test_superuser_sees_compliance(client, city, books):
    from django.contrib.auth import get_user_model

    root = get_user_model().objects.get(username="root")
    client.force_login(root)
    assert client.get(reverse("compliance:dashboard")).status_code == 200
    assert client.get(reverse("compliance:federation", args=[city.orgs["慈善会"].pk])).status_code == 200


def test_dashboard_needs_login(client, city):
    for url in (reverse("compliance:dashboard"), reverse("compliance:federation", args=[city.orgs["慈善会"].pk])):
        r = client.get(url)
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("who", ["station_worker", "agency_manager", "street_officer", "donor", "volunteer", "expert", "nobody"])
def test_other_roles_are_refused(login, city, books, who):
    client = login(who)
    assert client.get(reverse("compliance:dashboard")).status_code == 403
    assert client.get(reverse("compliance:federation", args=[city.orgs["慈善会"].pk])).status_code == 403


def test_out_of_scope_federation_is_missing(client, city, books):
    f.organization("广州市天河区慈善会", district=city.districts["天河"], kind=OrgKind.ASSOCIATION, public_fundraising=True,
                   is_charity_federation=True)
    th_admin = f.user_with_role("th_admin", Role.DISTRICT_ADMIN, city.districts["天河"])
    client.force_login(th_admin)
    assert client.get(reverse("compliance:federation", args=[city.orgs["慈善会"].pk])).status_code == 404
    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert "广州市越秀区慈善会" not in page and "广州市天河区慈善会" in page
    client.force_login(city.users["finance"])
    assert client.get(reverse("compliance:federation", args=[city.orgs["启明"].pk])).status_code == 404  # not a federation
    assert client.get(reverse("compliance:federation", args=[999999])).status_code == 404


def test_bad_year_is_a_clear_error(login, city, books):
    r = login("finance").get(reverse("compliance:dashboard"), {"year": "abc"})
    assert r.status_code == 400 and b"invalid_year" in r.content
    assert login("finance").get(reverse("compliance:dashboard"), {"year": "1850"}).status_code == 400


def test_dashboard_queries_do_not_grow(login, city, books):
    client = login("city_admin")
    client.get(reverse("compliance:dashboard"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("compliance:dashboard"))
    for i in range(4):
        f.organization(f"广州市测试{i}区慈善会", district=city.districts["天河"], kind=OrgKind.ASSOCIATION, public_fundraising=True,
                       is_charity_federation=True)
    with CaptureQueriesContext(connection) as five:
        r = client.get(reverse("compliance:dashboard"))
    assert r.content.decode().count('data-testid="federation-card"') == 5
    assert len(five) == len(one)
