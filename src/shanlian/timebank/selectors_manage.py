"""Reads for the organizer's and the station's pages (/timebank/manage/).

Who sees what: station workers of a station and the managers of the agency running it organize its
activities (the same test as the services' `is_organizer`); street officers and district and city
administrators read the figures of the stations in their area. Anyone else gets a 403; an object of a
station outside the caller's reach is a logged 404, as if it did not exist. Every list is a fixed number
of queries, however many rows it has.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BigIntegerField,
    Count,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.conf import domain_setting
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.money import fen_sum
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division

from .models import (
    Activity,
    Attendance,
    CatalogItem,
    HoursRecord,
    HoursStatus,
    Redemption,
    RedemptionStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)
from .permissions import ORGANIZER_ROLES, READER_ROLES, may_organize, may_read_stations
from .selectors import volunteer_name

LATE_ENTRY_DAYS = 90
LATE_ENTRY_SHIFTS = 200


# -- who -----------------------------------------------------------------------------------------------


def organizer_scope(actor: Any) -> Scope:
    """The caller's scope if they organize activities somewhere (a station worker, an agency manager)."""
    scope = actor_scope(actor)
    if not may_organize(scope):
        raise PermissionDenied("not_organizer", _("Only the station's social workers and its agency's managers manage its activities."))
    return scope


def reader_scope(actor: Any) -> Scope:
    """The caller's scope if they may read stations' time-bank figures (organizers, street, district and city)."""
    scope = actor_scope(actor)
    if not may_read_stations(scope):
        raise PermissionDenied("not_station_reader", _("Only station staff and the area's officers see a station's time bank."))
    return scope


def is_organizer_of(scope: Scope, station_id: int) -> bool:
    return scope.is_station_staff(station_id)


def is_agency_of(scope: Scope, station: Station) -> bool:
    return scope.is_superuser or (scope.has(Role.AGENCY_MANAGER) and station.agency_id in scope.organization_ids)


def stations_managed(scope: Scope) -> QuerySet[Station]:
    qs = Station.objects.select_related("street", "agency").order_by("street__code")
    if scope.is_superuser:
        return qs
    if not scope.has(*ORGANIZER_ROLES):
        return qs.none()
    return qs.filter(pk__in=scope.station_ids)


def stations_readable(scope: Scope) -> QuerySet[Station]:
    """Stations whose figures the caller reads: those they organize, and those in their area (street and up)."""
    qs = Station.objects.select_related("street", "agency").order_by("street__code")
    if scope.is_superuser:
        return qs
    q = Q(pk__in=[])
    if scope.has(*ORGANIZER_ROLES):
        q |= Q(pk__in=scope.station_ids)
    if scope.has(*READER_ROLES):
        q |= scope.path_q("street__path", scope.area_paths)
    return qs.filter(q)


def _missing(scope: Scope, object_type: str, object_id: Any) -> NotFound:
    access_denied(user_id=scope.user_id, object_type=object_type, object_id=object_id)
    return NotFound()


def station_managed_get(*, scope: Scope, station_id: int) -> Station:
    station = stations_managed(scope).filter(pk=station_id).first()
    if station is None:
        raise _missing(scope, "orgs.station", station_id)
    return station


def station_readable_get(*, scope: Scope, station_id: int) -> Station:
    station = stations_readable(scope).filter(pk=station_id).first()
    if station is None:
        raise _missing(scope, "orgs.station", station_id)
    return station


# -- activities ----------------------------------------------------------------------------------------


def _count(model: Any, outer: str, **filters: Any) -> Coalesce:
    rows = model.objects.filter(**{outer: OuterRef("pk")}, **filters).order_by().values(outer).annotate(c=Count("id")).values("c")
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def activities_managed(*, scope: Scope, station_id: int | None = None) -> QuerySet[Activity]:
    """The activities of the caller's stations, newest first, each with its shifts' span and sign-up counts."""
    qs = Activity.objects.filter(station__in=stations_managed(scope))
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    return (qs.select_related("station", "division")
            .annotate(shift_count=_count(Shift, "activity"),
                      first_start=Subquery(Shift.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
                                           .annotate(m=Min("starts_at")).values("m")),
                      last_end=Subquery(Shift.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
                                        .annotate(m=Max("ends_at")).values("m")),
                      confirmed=_count(Signup, "shift__activity", status=SignupStatus.CONFIRMED),
                      waitlisted=_count(Signup, "shift__activity", status=SignupStatus.WAITLISTED),
                      headcount_total=Coalesce(Subquery(Shift.objects.filter(activity=OuterRef("pk")).order_by().values("activity")
                                                        .annotate(s=Sum("headcount")).values("s"), output_field=IntegerField()),
                                               Value(0)))
            .order_by("-created_at", "-id"))


def activity_get(*, scope: Scope, activity_id: int) -> Activity:
    activity = (Activity.objects.filter(station__in=stations_managed(scope), pk=activity_id)
                .select_related("station__street", "station__agency", "division", "created_by").first())
    if activity is None:
        raise _missing(scope, "timebank.activity", activity_id)
    return activity


def activity_shifts(*, activity: Activity) -> list[Shift]:
    """The activity's shifts, each with `active_signups` (confirmed, then the wait list in order) and
    `checkins` (attendances): three queries."""
    signups = (Signup.objects.exclude(status=SignupStatus.CANCELLED).select_related("volunteer__person")
               .order_by("status", "created_at", "id"))
    attendances = Attendance.objects.select_related("volunteer__person").order_by("checked_in_at", "id")
    shifts: list[Shift] = list(activity.shifts.order_by("starts_at", "id").prefetch_related(
        Prefetch("signups", queryset=signups, to_attr="active_signups"),
        Prefetch("attendances", queryset=attendances, to_attr="checkins"),
    ))
    for shift in shifts:
        shift.confirmed = [s for s in shift.active_signups if s.status == SignupStatus.CONFIRMED]  # type: ignore[attr-defined]
        shift.waitlist = [s for s in shift.active_signups if s.status == SignupStatus.WAITLISTED]  # type: ignore[attr-defined]
    return shifts


def shift_get(*, scope: Scope, shift_id: int) -> Shift:
    shift = (Shift.objects.filter(activity__station__in=stations_managed(scope), pk=shift_id)
             .select_related("activity__station", "activity__division").first())
    if shift is None:
        raise _missing(scope, "timebank.shift", shift_id)
    return shift


@dataclass(frozen=True)
class Checkin:
    number: str
    name: str  # masked: the screen lies on a table in public
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None


def shift_checkins(*, shift: Shift) -> list[Checkin]:
    """Who checked in to a shift, latest first, names masked (the screen lies on a table in public)."""
    rows = Attendance.objects.filter(shift=shift).select_related("volunteer__person").order_by("-checked_in_at", "-id")
    return [Checkin(number=a.volunteer.number, name=volunteer_name(scope=None, station_id=shift.activity.station_id,
                                                                   name=a.volunteer.person.real_name),
                    checked_in_at=a.checked_in_at,
                    checked_out_at=a.checked_out_at) for a in rows]


def shift_confirmed_count(*, shift: Shift) -> int:
    return Signup.objects.filter(shift=shift, status=SignupStatus.CONFIRMED).count()


# -- the attendance sheet ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRow:
    shift: Shift
    number: str
    name: str  # as the viewer may see it (`volunteer_name`)
    signup: str  # status label, "" without a sign-up (a late entry)
    first_in: dt.datetime | None
    last_out: dt.datetime | None
    checkins: int
    hours: Decimal | None
    hours_status: str  # label, "" without a record


def attendance_sheet(*, scope: Scope, activity: Activity) -> Iterator[SheetRow]:
    """One row per volunteer and shift who signed up, checked in or has hours: four queries. The station's own
    staff read full names (they take the roll with it)."""
    shifts = {s.pk: s for s in activity.shifts.order_by("starts_at", "id")}
    people: dict[tuple[int, int], Volunteer] = {}
    signups: dict[tuple[int, int], str] = {}
    for s in Signup.objects.filter(shift__activity=activity).exclude(status=SignupStatus.CANCELLED).select_related("volunteer__person"):
        signups[(s.shift_id, s.volunteer_id)] = str(s.get_status_display())
        people[(s.shift_id, s.volunteer_id)] = s.volunteer
    spans: dict[tuple[int, int], list[Attendance]] = {}
    for a in Attendance.objects.filter(shift__activity=activity).select_related("volunteer__person").order_by("checked_in_at", "id"):
        spans.setdefault((a.shift_id, a.volunteer_id), []).append(a)
        people.setdefault((a.shift_id, a.volunteer_id), a.volunteer)
    hours: dict[tuple[int, int], HoursRecord] = {}
    for h in HoursRecord.objects.filter(shift__activity=activity).select_related("volunteer__person").order_by("id"):
        key = (h.shift_id, h.volunteer_id)
        if key not in hours or h.status != HoursStatus.DECLINED:  # the live record wins over a declined one
            hours[key] = h
        people.setdefault(key, h.volunteer)
    order = {pk: n for n, pk in enumerate(shifts)}
    for key in sorted(people, key=lambda k: (order.get(k[0], 0), people[k].number)):
        vol, att, rec = people[key], spans.get(key, []), hours.get(key)
        outs = [a.checked_out_at for a in att if a.checked_out_at is not None]
        name = volunteer_name(scope=scope, station_id=activity.station_id, name=vol.person.real_name)
        yield SheetRow(shift=shifts[key[0]], number=vol.number, name=name, signup=signups.get(key, ""),
                       first_in=att[0].checked_in_at if att else None, last_out=max(outs) if outs else None, checkins=len(att),
                       hours=rec.hours.value if rec else None, hours_status=str(rec.get_status_display()) if rec else "")


# -- hours ---------------------------------------------------------------------------------------------


def hours_queue(*, scope: Scope, station_id: int | None = None) -> QuerySet[HoursRecord]:
    """Hour records of the caller's stations waiting for a decision (the organizer's, then the agency's),
    oldest day first, each with `day_other_fen`: the volunteer's other approved hours that day, in fen."""
    others = (HoursRecord.objects.filter(volunteer=OuterRef("volunteer"), day=OuterRef("day"))
              .filter(Q(status=HoursStatus.APPROVED) | Q(status=HoursStatus.NEEDS_AGENCY, approved_by__isnull=False))
              .exclude(pk=OuterRef("pk")).order_by().values("volunteer").annotate(f=fen_sum("hours")).values("f"))
    qs = HoursRecord.objects.filter(status__in=[HoursStatus.PENDING, HoursStatus.NEEDS_AGENCY],
                                    shift__activity__station__in=stations_managed(scope))
    if station_id is not None:
        qs = qs.filter(shift__activity__station_id=station_id)
    return (qs.select_related("volunteer__person", "shift__activity__station", "recorded_by", "approved_by")
            .annotate(day_other_fen=Coalesce(Subquery(others, output_field=BigIntegerField()), Value(0)))
            .order_by("day", "id"))


@dataclass(frozen=True)
class QueueRow:
    record: HoursRecord
    name: str  # as the viewer may see it (`volunteer_name`)
    day_total: Decimal  # with this record
    needs_agency: bool  # the agency must approve too (8–12 h a day, or a late entry)
    over_limit: bool  # more than the daily maximum: approval will be refused
    waits_for_agency: bool  # the organizer approved; the agency's turn
    agency_may_act: bool  # the caller may give the agency's approval


def queue_rows(*, scope: Scope, records: Any) -> list[QueueRow]:
    limit, hard = Decimal(domain_setting("TIMEBANK_ORGANIZER_DAY_HOURS")), Decimal(domain_setting("TIMEBANK_MAX_DAY_HOURS"))
    rows = []
    for r in records:
        total = Decimal(r.day_other_fen) / 100 + r.hours.value
        waits = r.status == HoursStatus.NEEDS_AGENCY and r.approved_by_id is not None
        rows.append(QueueRow(
            record=r, name=volunteer_name(scope=scope, station_id=r.shift.activity.station_id, name=r.volunteer.person.real_name),
            day_total=total,
            needs_agency=waits or r.late_entry or total > limit, over_limit=total > hard, waits_for_agency=waits,
            agency_may_act=waits and is_agency_of(scope, r.shift.activity.station) and scope.user_id not in (
                r.approved_by_id, r.recorded_by_id),
        ))
    return rows


def hours_records_for(*, scope: Scope, ids: list[int]) -> dict[int, HoursRecord]:
    """The records among `ids` on the caller's stations (one query); the rest are not theirs to see."""
    rows = HoursRecord.objects.filter(pk__in=ids, shift__activity__station__in=stations_managed(scope)).select_related(
        "volunteer__person", "shift__activity__station")
    return {r.pk: r for r in rows}


def shifts_for_late_entry(*, scope: Scope, now: dt.datetime | None = None) -> QuerySet[Shift]:
    """Shifts of the caller's stations that have started, in the last LATE_ENTRY_DAYS days, latest first."""
    now = now or timezone.now()
    return (Shift.objects.filter(activity__station__in=stations_managed(scope), starts_at__lte=now,
                                 starts_at__gte=now - dt.timedelta(days=LATE_ENTRY_DAYS))
            .select_related("activity").order_by("-starts_at", "-id"))


def volunteer_by_number(number: str) -> Volunteer | None:
    """A volunteer by their public number (the number is what the organizer has on paper)."""
    return Volunteer.objects.select_related("person").filter(number=number.strip().upper()).first() if number.strip() else None


def communities_of(stations: QuerySet[Station]) -> QuerySet[Division]:
    """The communities (and the streets themselves) an activity of these stations may be held in."""
    paths = list(stations.values_list("street__path", flat=True))
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return Division.objects.filter(q).order_by("code")


# -- the station page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolunteerRow:
    number: str
    name: str  # as the viewer may see it (`volunteer_name`)
    phone: str  # masked for everyone
    hours: Decimal
    registered_at: dt.datetime


def station_volunteers(*, station: Station) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(station=station).select_related("person").order_by("number")


def volunteer_rows(volunteers: Any, *, scope: Scope, station: Station) -> list[VolunteerRow]:
    """Rows of a station's volunteer list: full names for the station's own staff, 张** for the area's officers;
    phones masked for everyone (139****5678)."""
    return [VolunteerRow(number=v.number, name=volunteer_name(scope=scope, station_id=station.pk, name=v.person.real_name),
                         phone=v.person.phone_masked,
                         hours=v.approved_hours.value, registered_at=v.registered_at) for v in volunteers]


def station_upcoming(*, station: Station, limit: int = 5) -> list[Shift]:
    return list(Shift.objects.filter(activity__station=station, ends_at__gte=timezone.now()).select_related("activity")
                .annotate(taken=_count(Signup, "shift", status=SignupStatus.CONFIRMED)).order_by("starts_at", "id")[:limit])


def station_pending_hours(*, station: Station) -> int:
    return HoursRecord.objects.filter(shift__activity__station=station,
                                      status__in=[HoursStatus.PENDING, HoursStatus.NEEDS_AGENCY]).count()


# -- catalog and redemptions ----------------------------------------------------------------------------


def catalog_managed(*, scope: Scope) -> QuerySet[CatalogItem]:
    """The catalog items of the stations the caller organizes, with `pending`: redemptions waiting to be handed over."""
    pending = Redemption.objects.filter(item=OuterRef("pk"), status=RedemptionStatus.PENDING).order_by().values("item").annotate(
        n=Count("id")).values("n")
    return (CatalogItem.objects.filter(station__in=stations_managed(scope)).select_related("station")
            .annotate(pending=Coalesce(Subquery(pending, output_field=IntegerField()), Value(0)))
            .order_by("station__street__code", "-active", "name", "id"))


def redemptions_pending(*, scope: Scope) -> QuerySet[Redemption]:
    """Redemptions of the caller's stations' items not yet handed over, oldest first."""
    return (Redemption.objects.filter(item__station__in=stations_managed(scope), status=RedemptionStatus.PENDING)
            .select_related("item__station", "volunteer__person").order_by("created_at", "id"))


def redemption_managed_get(*, scope: Scope, redemption_id: int) -> Redemption:
    redemption = (Redemption.objects.filter(pk=redemption_id, item__station__in=stations_managed(scope))
                  .select_related("item__station", "volunteer__person").first())
    if redemption is None:
        raise _missing(scope, "timebank.redemption", redemption_id)
    return redemption
