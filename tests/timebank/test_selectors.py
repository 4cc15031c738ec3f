"""Time-bank reads: profile, leaderboard, station figures, activities near a volunteer, and who sees what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.people.selectors import actor_scope
from shanlian.timebank import selectors as sel
from shanlian.timebank import services as ts
from shanlian.timebank.models import Shift, Volunteer

from .. import factories as f


def approved(bank, city, vol, hours: str, *, days_ago: int = 1, category: str = "elderly"):
    """Approved hours for `vol` on a shift that took place `days_ago` (late entry, then the agency)."""
    soon = timezone.now() + dt.timedelta(hours=1)
    act = ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title="应急值守", category=category,
                              division=city.communities["盐运西"], place="北京街道应急站",
                              shifts=[(soon, soon + dt.timedelta(hours=10), 3)])
    shift = act.shifts.get()
    start = timezone.now() - dt.timedelta(days=days_ago, hours=12)
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(hours=10))
    shift.refresh_from_db()
    record = ts.hours_late_entry(actor=bank.organizer, volunteer=vol, shift=shift, hours=hours, reason="现场签到表为证")
    return ts.hours_agency_approve(actor=bank.agency, record=ts.hours_approve(actor=bank.organizer, record=record))


def test_profile_balance_star_progress_and_latest_in_two_queries(bank, city, settings):
    settings.SHANLIAN = {**settings.SHANLIAN, "TIMEBANK_STAR_HOURS": (4, 10, 600, 1000, 1500)}
    with CaptureQueriesContext(connection) as few:
        empty = sel.volunteer_profile(volunteer=bank.vol)
    assert (empty.balance, empty.stars, empty.next_star, empty.next_star_needs, empty.latest) == (0, 0, 1, Decimal(4), [])
    for day in range(1, 4):
        approved(bank, city, bank.vol, "2.5", days_ago=day)
    with CaptureQueriesContext(connection) as many:
        p = sel.volunteer_profile(volunteer=bank.vol)
    assert len(few) == len(many) == 2
    assert p.balance == Decimal("7.50") and p.approved_hours == Decimal("7.5") and p.stars == 1
    assert (p.next_star, p.next_star_needs, p.next_star_percent) == (2, Decimal("2.5"), 58)  # 3.5 of the 6 from 4 to 10
    assert len(p.latest) == 3 and p.latest[0].shift.activity.title == "应急值守"


def test_profile_latest_is_capped_at_ten(bank, city):
    for day in range(1, 13):
        approved(bank, city, bank.vol, "1", days_ago=day)
    p = sel.volunteer_profile(volunteer=bank.vol)
    assert len(p.latest) == 10 and p.latest[0].pk > p.latest[-1].pk


def test_who_sees_which_volunteer(bank, city):
    own = actor_scope(bank.vol_user)
    assert sel.volunteer_get(scope=own, number=bank.vol.number) == bank.vol
    with pytest.raises(NotFound):
        sel.volunteer_get(scope=own, number=bank.mum.number)
    for staff in ("station_worker", "agency_manager"):
        assert set(sel.volunteers_visible(actor_scope(city.users[staff]))) >= {bank.vol, bank.mum}
    with pytest.raises(NotFound):
        sel.volunteer_get(scope=actor_scope(city.users["other_worker"]), number=bank.vol.number)
    assert not sel.volunteers_visible(actor_scope(city.users["donor"])).exists()
    assert sel.require_volunteer(own) == bank.vol
    with pytest.raises(PermissionDenied):
        sel.require_volunteer(actor_scope(city.users["station_worker"]))


def test_station_get_scope(bank, city):
    station = city.stations["北京街"]
    assert sel.station_get(scope=actor_scope(city.users["station_worker"]), station_id=station.pk) == station
    assert sel.station_get(scope=actor_scope(city.users["agency_manager"]), station_id=station.pk) == station
    with pytest.raises(NotFound):
        sel.station_get(scope=actor_scope(city.users["other_worker"]), station_id=station.pk)
    with pytest.raises(NotFound):
        sel.station_get(scope=actor_scope(city.users["station_worker"]), station_id=999999)
    with pytest.raises(PermissionDenied):
        sel.station_get(scope=actor_scope(bank.vol_user), station_id=station.pk)


def test_leaderboard_by_approved_hours_in_one_query(bank, city):
    approved(bank, city, bank.vol, "3")
    approved(bank, city, bank.mum, "5")
    with CaptureQueriesContext(connection) as q:
        board = sel.station_leaderboard(station=city.stations["北京街"])
        names = [v.person.real_name for v in board]
    assert len(q) == 1 and board == [bank.mum, bank.vol] and names[0] == "何母"
    assert sel.station_leaderboard(station=city.stations["北京街"], limit=1) == [bank.mum]
    assert sel.station_leaderboard(station=city.stations["石牌街"]) == []


def test_station_figures_by_month_and_category(bank, city):
    station = city.stations["北京街"]
    p = f.person("赵党员", city.communities["都府"])
    ts.volunteer_register(actor=bank.organizer, person=p, station=station, party_member=True, party_consent=True)
    a = approved(bank, city, bank.vol, "3", days_ago=1)
    approved(bank, city, bank.mum, "4.5", days_ago=2, category="governance")
    year = a.day.year
    with CaptureQueriesContext(connection) as q:
        fig = sel.station_figures(station=station, year=year)
    assert len(q) == 4
    assert (fig.volunteers, fig.party_members, fig.party_share) == (3, 1, Decimal("0.3333"))
    assert (fig.person_times, fig.hours, fig.serving_volunteers) == (2, Decimal("7.5"), 2)
    assert len(fig.by_month) == 12 and sum(m["person_times"] for m in fig.by_month) == 2
    assert sum(m["hours"] for m in fig.by_month) == Decimal("7.5")
    assert [(c["category"], c["hours"]) for c in fig.by_category] == [("governance", Decimal("4.5")), ("elderly", Decimal("3.0"))]
    empty = sel.station_figures(station=station, year=year - 5)
    assert (empty.person_times, empty.hours, empty.by_category) == (0, Decimal("0.0"), [])
    assert sel.station_figures(station=city.stations["石牌街"], year=year).party_share == 0


def test_activities_near_service_areas_or_street_with_free_places(bank, city):
    near = list(sel.activities_near(volunteer=bank.vol))
    assert near == [bank.activity]
    assert [s.pk for s in near[0].upcoming] == [bank.now_shift.pk, bank.later_shift.pk]
    assert [s.free for s in near[0].upcoming] == [2, 1]
    ts.signup_create(actor=bank.mum_user, volunteer=bank.mum, shift=bank.later_shift)  # the only place
    assert [s.pk for s in sel.activities_near(volunteer=bank.vol).get().upcoming] == [bank.now_shift.pk]
    # 石牌街 is neither the volunteer's street nor a service area, until it is one.
    soon = timezone.now() + dt.timedelta(hours=2)
    far = ts.activity_publish(actor=city.users["other_worker"], station=city.stations["石牌街"], title="东兴义诊", category="elderly",
                              division=city.communities["东兴"], place="东兴社区", shifts=[(soon, soon + dt.timedelta(hours=1), 3)])
    assert far not in sel.activities_near(volunteer=bank.vol)
    bank.vol.service_areas.add(city.streets["石牌街"])
    assert far in sel.activities_near(volunteer=Volunteer.objects.get(pk=bank.vol.pk))
    # Past shifts and full activities drop out.
    Shift.objects.filter(activity=bank.activity).update(starts_at=timezone.now() - dt.timedelta(hours=3),
                                                        ends_at=timezone.now() - dt.timedelta(hours=1))
    assert bank.activity not in sel.activities_near(volunteer=bank.vol)
    assert bank.activity not in sel.activities_upcoming()


def test_activities_upcoming_queries_do_not_grow(bank, city):
    def run() -> int:
        with CaptureQueriesContext(connection) as q:
            rows = list(sel.activities_upcoming())
            _ = [(a.station.name, a.division.name, [s.free for s in a.upcoming]) for a in rows]
        return len(q)

    few = run()
    soon = timezone.now() + dt.timedelta(hours=5)
    for i in range(4):
        ts.activity_publish(actor=bank.organizer, station=city.stations["北京街"], title=f"活动{i}", category="culture",
                            division=city.communities["都府"], place="都府社区",
                            shifts=[(soon + dt.timedelta(days=i), soon + dt.timedelta(days=i, hours=1), 2)] * 2)
    assert run() == few == 2
