"""Reads of the time bank: profiles, leaderboards, station figures, activities near a volunteer.

Who sees what: a volunteer sees their own profile; station workers and agency managers see the volunteers,
leaderboard and figures of their stations (an agency manager: every station the agency runs). Anything
outside that is a 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.crypto import mask_name
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.money import fen_sum
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Station

from .models import Activity, ActivityStatus, Category, HoursRecord, HoursStatus, Shift, Signup, SignupStatus, Volunteer
from .permissions import ORGANIZER_ROLES
from .services.volunteers import next_star, star_level

LATEST_RECORDS = 10

# -- scope ---------------------------------------------------------------------------------------------


def is_station_staff(scope: Scope) -> bool:
    """Station workers and agency managers (or a superuser): the people who see stations' volunteers."""
    return scope.is_superuser or scope.has(*ORGANIZER_ROLES)


def sees_station(scope: Scope, station_id: int) -> bool:
    return scope.is_station_staff(station_id)


def volunteer_name(*, scope: Scope | None, station_id: int, name: str) -> str:
    """A volunteer's name as this viewer may see it, on every page that shows one.

    In full for the own staff of the station whose page or record it is (`Scope.is_station_staff`: they work
    with the person, and an attendance sheet of masked names is useless); masked (张**) for everyone else: the
    area's officers reading a station's figures, and the public. `scope=None` is a screen the public sees (the
    QR code on the table, a certificate's verification, the API's `name_masked`). Resident ID and phone are
    not names: they stay masked for everyone, and unmasking them is `people.selectors.person_reveal`'s."""
    if scope is not None and scope.is_station_staff(station_id):
        return name
    return mask_name(name)


def volunteer_of(scope: Scope) -> Volunteer | None:
    """The caller's own volunteer record, if they registered."""
    if scope.person_id is None:
        return None
    return Volunteer.objects.select_related("station", "person", "account").filter(person_id=scope.person_id).first()


def require_volunteer(scope: Scope) -> Volunteer:
    volunteer = volunteer_of(scope)
    if volunteer is None:
        raise PermissionDenied("not_volunteer", _("Register as a volunteer first."))
    return volunteer


def volunteers_visible(scope: Scope) -> QuerySet[Volunteer]:
    """The volunteers the caller may open: their own record, and their stations' volunteers."""
    qs = Volunteer.objects.all()
    if scope.is_superuser:
        return qs
    q = Q(pk__in=[])
    if scope.person_id is not None:
        q |= Q(person_id=scope.person_id)
    if scope.has(*ORGANIZER_ROLES):
        q |= Q(station_id__in=scope.station_ids)
    return qs.filter(q)


def volunteer_get(*, scope: Scope, number: str) -> Volunteer:
    volunteer = volunteers_visible(scope).select_related("station", "person", "account").filter(number=number).first()
    if volunteer is None:
        raise NotFound()
    return volunteer


def station_get(*, scope: Scope, station_id: int) -> Station:
    """A station whose figures the caller sees (its workers, its agency's managers)."""
    if not is_station_staff(scope):
        raise PermissionDenied("not_station_staff", _("Only the station's social workers and its agency see this."))
    station = Station.objects.select_related("street").filter(pk=station_id).first()
    if station is None or not sees_station(scope, station.pk):
        raise NotFound()
    return station


# -- profile -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    volunteer: Volunteer
    balance: Decimal
    approved_hours: Decimal
    stars: int
    next_star: int | None  # the next star to reach, None at the top
    next_star_needs: Decimal | None  # hours still needed for it
    next_star_percent: int  # progress from the last threshold to the next, 0-100 (100 at the top)
    latest: list[HoursRecord] = field(default_factory=list)


def volunteer_profile(*, volunteer: Volunteer) -> Profile:
    """Balance, approved hours, star and progress to the next, the latest 10 hour records: two queries
    (the volunteer with the account, then the records with their shift and activity)."""
    fresh = Volunteer.objects.select_related("account", "person", "station").get(pk=volunteer.pk)
    latest = list(
        HoursRecord.objects.filter(volunteer_id=fresh.pk).select_related("shift__activity").order_by("-id")[:LATEST_RECORDS]
    )
    approved = fresh.approved_hours.value
    stars = star_level(approved)
    upcoming = next_star(approved)
    thresholds = [Decimal(0), *(Decimal(t) for t in _thresholds())]
    if upcoming is None:
        nxt, needs, percent = None, None, 100
    else:
        nxt, needs = upcoming
        low, high = thresholds[nxt - 1], thresholds[nxt]
        percent = int((approved - low) * 100 / (high - low)) if high > low else 100
    return Profile(volunteer=fresh, balance=fresh.account.balance, approved_hours=approved, stars=stars, next_star=nxt,
                   next_star_needs=needs, next_star_percent=max(0, min(percent, 100)), latest=latest)


def _thresholds() -> tuple[int, ...]:
    from shanlian.core.conf import domain_setting

    return tuple(domain_setting("TIMEBANK_STAR_HOURS"))


# -- leaderboard and figures ---------------------------------------------------------------------------


def station_leaderboard(*, station: Station, limit: int = 20) -> list[Volunteer]:
    """The station's volunteers by cumulative approved hours, most first (index (station, approved_hours))."""
    return list(
        Volunteer.objects.filter(station=station, approved_hours__gt=0).select_related("person")
        .order_by("-approved_hours", "-id")[: max(1, min(int(limit), 100))]
    )


@dataclass(frozen=True)
class Figures:
    year: int
    volunteers: int  # registered at the station
    party_members: int  # of them, party members who consented to its record
    serving_volunteers: int  # distinct volunteers with approved hours on the station's activities this year
    person_times: int  # approved hour records (人次)
    hours: Decimal
    by_month: list[dict[str, Any]]  # 12 rows: month, person_times, hours
    by_category: list[dict[str, Any]]  # one row per category with hours: category, label, person_times, hours

    @property
    def party_share(self) -> Decimal:
        """Share of the station's volunteers who are party members, 0-1 to four places."""
        if not self.volunteers:
            return Decimal(0)
        return (Decimal(self.party_members) / Decimal(self.volunteers)).quantize(Decimal("0.0001"))


def station_figures(*, station: Station, year: int) -> Figures:
    """Volunteers, person-times, hours and party-member share of a station for a year, by month and by
    category: four aggregate queries however many records there are."""
    people = Volunteer.objects.filter(station=station).aggregate(
        n=Count("id"), party=Count("id", filter=Q(party_member=True, party_consent_at__isnull=False)))
    approved = HoursRecord.objects.filter(status=HoursStatus.APPROVED, shift__activity__station=station, day__year=year)
    total = approved.aggregate(n=Count("id"), fen=fen_sum("hours"), serving=Count("volunteer", distinct=True))
    months: dict[int, dict[str, Any]] = {row["m"]: dict(row) for row in approved.annotate(m=ExtractMonth("day")).values("m").annotate(
        n=Count("id"), fen=fen_sum("hours")).order_by()}
    by_month = [{"month": m, "person_times": months.get(m, {}).get("n", 0), "hours": _hours(months.get(m, {}).get("fen"))}
                for m in range(1, 13)]
    cats = approved.values("shift__activity__category").annotate(n=Count("id"), fen=fen_sum("hours")).order_by()
    labels = dict(Category.choices)
    by_category = sorted(
        ({"category": row["shift__activity__category"], "label": labels.get(row["shift__activity__category"], ""),
          "person_times": row["n"], "hours": _hours(row["fen"])} for row in cats),
        key=lambda r: (-r["hours"], r["category"]),
    )
    return Figures(year=year, volunteers=people["n"], party_members=people["party"], serving_volunteers=total["serving"] or 0,
                   person_times=total["n"] or 0, hours=_hours(total["fen"]), by_month=by_month, by_category=by_category)


def _hours(fen: Any) -> Decimal:
    return (Decimal(fen or 0) / 100).quantize(Decimal("0.1"))


# -- activities ----------------------------------------------------------------------------------------


def open_shifts(*, now: dt.datetime | None = None) -> QuerySet[Shift]:
    """Future shifts of published activities, each with `taken` (confirmed sign-ups) and `free` places."""
    now = now or timezone.now()
    taken = Signup.objects.filter(shift=OuterRef("pk"), status=SignupStatus.CONFIRMED).order_by().values("shift").annotate(
        c=Count("id")).values("c")
    return (Shift.objects.filter(starts_at__gt=now, activity__status=ActivityStatus.PUBLISHED)
            .annotate(taken=Coalesce(Subquery(taken, output_field=IntegerField()), Value(0)))
            .annotate(free=F("headcount") - F("taken")).order_by("starts_at", "id"))


def activities_upcoming(*, now: dt.datetime | None = None, with_free_places: bool = False) -> QuerySet[Activity]:
    """Published activities with a shift still to come (each with `upcoming`: those shifts, with free places)."""
    shifts = open_shifts(now=now)
    if with_free_places:
        shifts = shifts.filter(taken__lt=F("headcount"))  # type: ignore[misc]  # (an annotation)
    return (Activity.objects.filter(status=ActivityStatus.PUBLISHED)
            .filter(Exists(shifts.filter(activity=OuterRef("pk"))))
            .select_related("station", "division")
            .prefetch_related(Prefetch("shifts", queryset=shifts, to_attr="upcoming"))
            .order_by("-created_at", "-id"))


def activities_near(*, volunteer: Volunteer, now: dt.datetime | None = None) -> QuerySet[Activity]:
    """Published activities with future shifts that have free places, in the volunteer's service areas or in
    their home station's street."""
    paths = [d.path for d in volunteer.service_areas.all()]
    paths.append(Station.objects.select_related("street").get(pk=volunteer.station_id).street.path)
    where = Q(pk__in=[])
    for path in paths:
        where |= Q(division__path__startswith=path)
    return activities_upcoming(now=now, with_free_places=True).filter(where)
