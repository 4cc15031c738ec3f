"""Reads behind the volunteer's own pages: their sign-ups, hours, family, the catalog and their
redemptions. Every function takes the volunteer; the views get it from the signed-in user only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import NotFound, ValidationFailed
from shanlian.core.money import fen_sum
from shanlian.orgs.models import Station
from shanlian.places.models import Division, Level

from .models import (
    Activity,
    ActivityStatus,
    Attendance,
    CatalogItem,
    FamilyLink,
    HoursRecord,
    QuizAttempt,
    QuizQuestion,
    Redemption,
    RedemptionStatus,
    ServiceCertificate,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)
from .selectors_manage import volunteer_by_number

UPCOMING_LIMIT = 20


def volunteer_for_user(user: Any) -> Volunteer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Volunteer.objects.select_related("person", "station", "account").filter(person__user=user.pk).first()


def stations_for_registration() -> QuerySet[Station]:
    return Station.objects.select_related("street").order_by("street__path")


def _street_communities(path: str) -> Q:
    return Q(level=Level.COMMUNITY, path__startswith=path)


def station_communities(*, station: Station) -> QuerySet[Division]:
    """The communities a volunteer registering at `station` may choose to serve: those of its street."""
    return Division.objects.filter(_street_communities(station.street.path)).order_by("path")


def registration_communities(*, stations: list[Station]) -> dict[int, list[Division]]:
    """`station_communities` of each of `stations`, by station id, in one query."""
    paths = {s.pk: s.street.path for s in stations}
    q = Q(pk__in=[])
    for path in set(paths.values()):
        q |= _street_communities(path)
    rows = list(Division.objects.filter(q).order_by("path")) if paths else []
    return {pk: [d for d in rows if d.path.startswith(path)] for pk, path in paths.items()}


def home_station(*, person: Any, stations: list[Station]) -> Station | None:
    """The station of the street the person lives in, among `stations`."""
    return next((s for s in stations if person.division.path.startswith(s.street.path)), None)


def family_candidate(*, number: str, real_name: str) -> Volunteer:
    """The volunteer someone adds to their family: both the number and the real name must match the registration."""
    member = volunteer_by_number(number)
    if member is None or member.person.real_name != real_name.strip():
        raise ValidationFailed("volunteer_not_found", _("No volunteer with that number and name."))
    return member


def my_signups(*, volunteer: Volunteer, now: dt.datetime | None = None) -> list[Signup]:
    """Confirmed and wait-listed sign-ups for shifts not yet over, soonest first, each with the wait-list
    position (`place`) of a wait-listed one."""
    now = now or timezone.now()
    ahead = Signup.objects.filter(shift=OuterRef("shift"), status=SignupStatus.WAITLISTED, id__lt=OuterRef("id")).order_by().values(
        "shift").annotate(c=Count("id")).values("c")
    rows = (Signup.objects.filter(volunteer=volunteer, status__in=[SignupStatus.CONFIRMED, SignupStatus.WAITLISTED],
                                  shift__ends_at__gt=now)
            .select_related("shift__activity__station")
            .annotate(ahead=Coalesce(Subquery(ahead, output_field=IntegerField()), Value(0)))
            .order_by("shift__starts_at", "id")[:UPCOMING_LIMIT])
    return list(rows)


def my_shift_states(*, volunteer: Volunteer, shift_ids: list[int]) -> dict[int, Signup]:
    """The volunteer's live sign-up per shift among `shift_ids` (one query)."""
    rows = Signup.objects.filter(volunteer=volunteer, shift_id__in=shift_ids).exclude(status=SignupStatus.CANCELLED)
    return {s.shift_id: s for s in rows}


def activity_for_volunteer(*, activity_id: int) -> Activity:
    activity = (Activity.objects.filter(pk=activity_id, status=ActivityStatus.PUBLISHED)
                .select_related("station", "division", "organization").first())
    if activity is None:
        raise NotFound("activity_not_found")
    return activity


def activity_shifts(*, activity: Activity, now: dt.datetime | None = None) -> list[Shift]:
    """The activity's shifts not yet over, each with `taken`, `waiting` and `free` counts."""
    now = now or timezone.now()
    shifts: list[Shift] = list(Shift.objects.filter(activity=activity, ends_at__gt=now).annotate(
        taken=Count("signups", filter=Q(signups__status=SignupStatus.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=SignupStatus.WAITLISTED)),
    ).order_by("starts_at", "id"))
    for shift in shifts:
        shift.free = shift.headcount - shift.taken  # type: ignore[attr-defined]
    return shifts


def open_attendance(*, volunteer: Volunteer, shift: Shift) -> Attendance | None:
    return Attendance.objects.filter(shift=shift, volunteer=volunteer, checked_out_at__isnull=True).first()


def my_signup(*, volunteer: Volunteer, shift: Shift) -> Signup | None:
    return Signup.objects.filter(shift=shift, volunteer=volunteer).exclude(status=SignupStatus.CANCELLED).first()


def my_hours(*, volunteer: Volunteer) -> QuerySet[HoursRecord]:
    return (HoursRecord.objects.filter(volunteer=volunteer)
            .select_related("shift__activity__station", "approved_by", "agency_approved_by")
            .order_by("-day", "-id"))


def my_hours_totals(*, volunteer: Volunteer) -> dict[str, Any]:
    """Hours by status (fen sums; one query)."""
    rows = HoursRecord.objects.filter(volunteer=volunteer).values("status").annotate(n=Count("id"), fen=fen_sum("hours")).order_by()
    return {r["status"]: {"n": r["n"], "hours": (r["fen"] or 0) / 100} for r in rows}


def quiz_state(*, volunteer: Volunteer) -> dict[str, Any]:
    """Passed attempt (with its certificate code), the open attempt with its questions, attempts used."""
    attempts = list(QuizAttempt.objects.filter(volunteer=volunteer, station=volunteer.station).order_by("started_at", "id"))
    passed = next((a for a in attempts if a.passed), None)
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    questions: list[QuizQuestion] = []
    if open_attempt is not None:
        by_id = QuizQuestion.objects.in_bulk(open_attempt.question_ids)
        questions = [by_id[q] for q in open_attempt.question_ids if q in by_id]
    return {"attempts": attempts, "passed": passed, "open": open_attempt, "questions": questions,
            "last": attempts[-1] if attempts else None}


def catalog_for(*, volunteer: Volunteer) -> list[CatalogItem]:
    """Active items with stock, the volunteer's own station first, each with `mine`: how many the
    volunteer holds (not cancelled), for the per-person limit."""
    mine = Redemption.objects.filter(item=OuterRef("pk"), volunteer=volunteer).exclude(status=RedemptionStatus.CANCELLED).order_by(
    ).values("item").annotate(q=Sum("quantity")).values("q")
    items = (CatalogItem.objects.filter(active=True).select_related("station")
             .annotate(mine=Coalesce(Subquery(mine, output_field=IntegerField()), Value(0)))
             .order_by("name", "id"))
    home = volunteer.station_id
    return sorted(items, key=lambda i: (i.station_id != home, i.station.name, i.name))


def catalog_item(*, item_id: int) -> CatalogItem:
    item = CatalogItem.objects.select_related("station").filter(pk=item_id, active=True).first()
    if item is None:
        raise NotFound("item_not_found")
    return item


def my_redemptions(*, volunteer: Volunteer) -> QuerySet[Redemption]:
    return Redemption.objects.filter(volunteer=volunteer).select_related("item__station").order_by("-created_at", "-id")


def my_family(*, volunteer: Volunteer) -> list[FamilyLink]:
    return list(FamilyLink.objects.filter(volunteer=volunteer).select_related("member__person", "member__account").order_by("id"))


def my_quiz_attempt(*, volunteer: Volunteer, attempt_id: int) -> QuizAttempt:
    attempt = QuizAttempt.objects.filter(pk=attempt_id, volunteer=volunteer).first()
    if attempt is None:
        raise NotFound("attempt_not_found")
    return attempt


def my_certificates(*, volunteer: Volunteer) -> QuerySet[ServiceCertificate]:
    return ServiceCertificate.objects.filter(volunteer=volunteer).order_by("-issued_at", "-id")


def my_certificate(*, volunteer: Volunteer, code: str) -> ServiceCertificate:
    """One of the volunteer's own certificates (another's is not found, as on the PDF page)."""
    cert = (ServiceCertificate.objects.select_related("volunteer__person")
            .filter(volunteer=volunteer, code=code.upper()).first())
    if cert is None:
        raise NotFound("certificate_not_found")
    return cert
