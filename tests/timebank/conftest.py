"""A time bank for tests: two volunteers of the 北京街 station (小何 and her mother), a quiz bank,
and an activity with a shift under way and one tomorrow."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from shanlian.core.scoping import Role
from shanlian.timebank import services as ts
from shanlian.timebank.models import QuizQuestion, Shift

from .. import factories as f


@dataclass
class Bank:
    vol: Any
    mum: Any
    vol_user: Any
    mum_user: Any
    organizer: Any
    agency: Any
    activity: Any
    now_shift: Any
    later_shift: Any


def running(shift: Shift, *, started_minutes_ago: int = 60, length_minutes: int = 120) -> Shift:
    """Move a published shift so that it is under way (test setup only; publishing refuses the past)."""
    start = timezone.now() - dt.timedelta(minutes=started_minutes_ago)
    Shift.objects.filter(pk=shift.pk).update(starts_at=start, ends_at=start + dt.timedelta(minutes=length_minutes))
    shift.refresh_from_db()
    return shift


@pytest.fixture
def bank(city) -> Bank:
    station = city.stations["北京街"]
    vol_user = city.users["volunteer"]
    mum_user = f.user_with_role("mum", Role.VOLUNTEER, None, person_in=city.communities["盐运西"], name="何母")
    vol = ts.volunteer_register(actor=vol_user, person=vol_user.person, station=station, skills=["elderly_care"],
                                availability=["sat_am"])
    mum = ts.volunteer_register(actor=mum_user, person=mum_user.person, station=station)
    for i in range(12):
        QuizQuestion.objects.create(station=station, text=f"志愿服务守则第{i + 1}题", choices=["对", "错"], answer=i % 2)
    organizer = city.users["station_worker"]
    soon = timezone.now() + dt.timedelta(hours=1)
    tomorrow = timezone.now() + dt.timedelta(days=1)
    activity = ts.activity_publish(
        actor=organizer, station=station, title="长者饭堂送餐", category="elderly", division=city.communities["盐运西"],
        place="盐运西社区长者饭堂", shifts=[(soon, soon + dt.timedelta(hours=2), 2), (tomorrow, tomorrow + dt.timedelta(hours=3), 1)],
    )
    now_shift, later_shift = activity.shifts.order_by("starts_at")
    return Bank(vol=vol, mum=mum, vol_user=vol_user, mum_user=mum_user, organizer=organizer, agency=city.users["agency_manager"],
                activity=activity, now_shift=now_shift, later_shift=later_shift)
