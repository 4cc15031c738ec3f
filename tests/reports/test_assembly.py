"""The report assembled from declared sections: one call per section for every station in view, sums that agree at
every level, the drill-down, and a query count that does not grow with the stations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shanlian.core.monthly import declared_sections
from shanlian.reports.months import next_month
from shanlian.reports.selectors import MINE, monthly_report
from tests import factories as f

from .conftest import CALLS


def test_the_real_sections_are_declared():
    keys = {s.key for s in declared_sections()}
    assert {"resources", "volunteering", "charity"} <= keys
    for s in declared_sections():
        assert s.columns and len({c.key for c in s.columns}) == len(s.columns)


def test_city_rows_are_districts_and_every_level_adds_up(city, fake, month):
    report = monthly_report(city.users["city_admin"], month=month)
    assert report.area.pk == city.city.pk and report.area.kind == "city"
    assert [r.name for r in report.rows] == ["越秀区", "天河区"]
    assert [s.key for s in report.sections][0] == "fake"
    # one call of the fake section, for all three stations, over the month (end exclusive)
    assert [(tuple(sorted(s.pk for s in city.stations.values())), month, next_month(month))] == CALLS
    assert {r.pk for r in report.levels["station"]} == {s.pk for s in city.stations.values()}
    total = report.values(report.area)
    assert set(report.levels) == {"district", "street", "station"}
    for level, rows in report.levels.items():
        sums = [sum(values) for values in zip(*(report.values(r) for r in rows), strict=True)]
        assert sums == total, level
    assert [sum(values) for values in zip(*(report.values(r) for r in report.rows), strict=True)] == total
    odd = sum(s.pk for s in city.stations.values() if s.pk % 2)
    assert report.area.figures["fake.visits"] == odd
    assert report.area.figures["fake.spent"] == Decimal(odd) * Decimal("1.25")
    assert report.values(report.area)[1] == 0  # "people": declared, never counted


def test_drill_down_city_district_street_station(city, fake, month):
    admin = city.users["city_admin"]
    yx = monthly_report(admin, month=month, area=str(city.districts["越秀"].pk))
    assert [r.name for r in yx.rows] == ["北京街道", "人民街道"] and [t.name for t in yx.trail] == ["广州市"]
    street = monthly_report(admin, month=month, area=yx.rows[0].token)
    assert [r.kind for r in street.rows] == ["station"] and street.rows[0].pk == city.stations["北京街"].pk
    assert [t.name for t in street.trail] == ["广州市", "越秀区"]
    station = monthly_report(admin, month=month, area=street.rows[0].token)
    assert station.area.kind == "station" and [t.name for t in station.trail] == ["广州市", "越秀区", "北京街道"]
    assert station.values(station.area) == street.values(street.area) == street.values(street.rows[0])


def test_the_agency_manager_sees_its_stations_not_their_divisions(city, fake, month):
    report = monthly_report(city.users["agency_manager"], month=month)
    assert report.area.kind == MINE
    assert [r.kind for r in report.rows] == ["station", "station"]
    assert {r.pk for r in report.rows} == {city.stations["北京街"].pk, city.stations["人民街"].pk}
    assert set(report.levels) == {"station"} and report.trail == []
    assert report.area.stations == 2


def test_an_officer_with_two_areas_opens_my_area(city, fake, month):
    from django.contrib.auth import get_user_model

    from shanlian.core.scoping import Role
    from shanlian.people.selectors import actor_scope
    from shanlian.people.services import role_grant

    officer = city.users["street_officer"]
    root = get_user_model().objects.get(username="root")
    role_grant(actor=root, scope=actor_scope(root), user=officer, role=Role.STREET_OFFICER, target=city.streets["石牌街"])
    report = monthly_report(officer, month=month)
    assert report.area.kind == MINE and [r.name for r in report.rows] == ["北京街道", "石牌街道"]
    drilled = monthly_report(officer, month=month, area=report.rows[1].token)
    assert [t.token for t in drilled.trail] == [MINE]


def _add_stations(city, n: int) -> None:
    agency = city.orgs["同心"]
    for i in range(n):
        street = f.division(f"新街道{i}", "street", f"44010690{i:01d}"[:9], city.districts["天河"])
        f.station(street, agency)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("area", ["city", "district"])
def test_query_count_does_not_grow_with_stations(city, fake, login, month, area):
    client = login("city_admin")
    target = city.city if area == "city" else city.districts["天河"]
    url = reverse("reports:monthly") + f"?month={month:%Y-%m}&area={target.pk}"
    api = f"/api/reports/monthly?month={month:%Y-%m}&area={target.pk}&view=tree"
    before, before_api = _queries(client, url), _queries(client, api)
    _add_stations(city, 6)
    after, after_api = _queries(client, url), _queries(client, api)
    assert after == before and after_api == before_api
    assert len(monthly_report(city.users["city_admin"], month=month, area=str(target.pk)).levels["station"]) >= 7


def test_one_call_per_section_whatever_the_stations(city, fake, month):
    _add_stations(city, 4)
    CALLS.clear()
    monthly_report(city.users["city_admin"], month=month)
    assert len(CALLS) == 1 and len(CALLS[0][0]) == 7


def test_no_sections_declared_reads_an_empty_report(city, login, monkeypatch, month):
    monkeypatch.setattr("shanlian.reports.selectors.declared_sections", lambda: ())
    report = monthly_report(city.users["city_admin"], month=month)
    assert report.columns == [] and report.values(report.area) == []
    response = login("city_admin").get(reverse("reports:monthly"))
    assert response.status_code == 200 and b'data-testid="empty"' in response.content


def test_a_month_with_nothing_reads_zeros_of_the_right_kind(city, month):
    report = monthly_report(city.users["city_admin"], month=dt.date(2020, 1, 1))
    for (s, c), v in zip(report.columns, report.values(report.area), strict=True):
        assert v == 0
        assert isinstance(v, Decimal) == (c.money or c.hours), (s.key, c.key)
