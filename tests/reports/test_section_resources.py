"""The resource hub's section, counted against deliveries made through the hub's services (tests/resources' `hub`):
confirmed deliveries by their delivery day, needs, partners, units and money per station."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import time_machine
from django.utils import timezone

from shanlian.reports.months import next_month, previous_month
from shanlian.reports.selectors import monthly_report
from shanlian.resources import services as rs
from shanlian.resources.monthly import counts


def _deliveries(hub):
    u, o, n = hub.users, hub.offers, hub.needs
    this = timezone.localdate().replace(day=1)
    last = previous_month(this)
    with time_machine.travel(dt.datetime.combine(last, dt.time(9), tzinfo=timezone.get_current_timezone()), tick=False):
        # matched on last month's first morning: a delivery is never dated before its match
        made = {(m.offer_id, m.need_id): m for m in rs.matches_commit(actor=u["city_admin"], choices=[
            (o["clinic"].pk, n["bjj_clinic"].pk, 30), (o["tutoring"].pk, n["bjj_tutoring"].pk, 20),
            (o["money"].pk, n["bjj_money"].pk, 200050), (o["clinic"].pk, n["rmj_clinic"].pk, 50)])}

    def match(offer, need):
        return made[(o[offer].pk, n[need].pk)]

    worker, agency = u["station_worker"], u["agency_manager"]
    d = rs.delivery_record(actor=worker, match=match("clinic", "bjj_clinic"), quantity="10", delivered_on=last + dt.timedelta(days=9))
    rs.delivery_confirm(actor=worker, delivery=d)
    rs.delivery_record(actor=worker, match=match("clinic", "bjj_clinic"), quantity="5", delivered_on=last + dt.timedelta(days=11))
    d = rs.delivery_record(actor=u["org_manager"], match=match("money", "bjj_money"), quantity="1000.25",
                           delivered_on=last + dt.timedelta(days=14))
    rs.delivery_confirm(actor=worker, delivery=d)
    end = next_month(last) - dt.timedelta(days=1)  # the month's last day
    d = rs.delivery_record(actor=agency, match=match("clinic", "rmj_clinic"), quantity="20", delivered_on=end)
    rs.delivery_confirm(actor=agency, delivery=d)
    d = rs.delivery_record(actor=worker, match=match("tutoring", "bjj_tutoring"), quantity="8", delivered_on=this)
    rs.delivery_confirm(actor=worker, delivery=d)
    return last, this


def test_confirmed_deliveries_count_in_the_month_they_were_delivered(hub, db):
    last, this = _deliveries(hub)
    s = hub.city.stations
    ids = [x.pk for x in s.values()]
    got = counts(ids, last, this)
    assert got == {
        s["北京街"].pk: {"deliveries": 2, "needs": 2, "partners": 2, "units": 10, "money": Decimal("1000.25")},
        s["人民街"].pk: {"deliveries": 1, "needs": 1, "partners": 1, "units": 20, "money": Decimal("0.00")},
    }
    assert counts(ids, this, next_month(this)) == {
        s["北京街"].pk: {"deliveries": 1, "needs": 1, "partners": 1, "units": 8, "money": Decimal("0.00")}}
    assert counts([s["石牌街"].pk], last, this) == {}


def test_the_report_adds_the_hub_up_to_the_city(hub, db):
    last, _this = _deliveries(hub)
    report = monthly_report(hub.users["city_admin"], month=last)
    f = report.area.figures
    assert (f["resources.deliveries"], f["resources.units"], f["resources.money"]) == (3, 30, Decimal("1000.25"))
    yx = next(r for r in report.rows if r.name == "越秀区")
    assert yx.figures["resources.partners"] == 3  # counted per station: the hospital at both stations
    mine = monthly_report(hub.users["station_worker"], month=last)
    assert mine.area.figures["resources.deliveries"] == 2 and [r.pk for r in mine.rows] == [hub.city.stations["北京街"].pk]
