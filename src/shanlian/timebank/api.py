"""The time-bank API: activities, sign-up, check-in with a token, hours approval, balances, redemption.

Thin: every write is one service call, every read one selector. Volunteers appear by their volunteer
number and a masked name (何**), never by resident ID. Hours and credits are strings with one decimal.

Who may do what: a registered volunteer signs up, checks in and out, reads their profile and redeems;
a station's social workers and its agency's managers approve or decline the station's hours and see its
leaderboard. A caller without the role gets a 403; an object outside their stations a 404.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.params import HeaderEx, P

from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.idempotency import KEY_DESCRIPTION, REPLAYED_HEADER, idempotency_key_in, was_replayed
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.core.scoping import Scope
from shanlian.people.selectors import actor_scope

from . import selectors, services
from .models import Activity, CatalogItem, HoursRecord, HoursStatus, Redemption, Shift, Signup, SignupStatus, Volunteer
from .services._access import is_agency

router = Router(tags=["timebank"])



def _h(value: Any) -> str:
    """Hours or credits as a string with one decimal: "2.5"."""
    number = value.value if hasattr(value, "value") else Decimal(value or 0)
    return f"{Decimal(number):.1f}"


# -- schemas ------------------------------------------------------------------------------------------


class VolunteerRef(Schema):
    number: str = Field(..., examples=["ZY202612345678"])
    name_masked: str = Field(..., examples=["何**"])


def volunteer_ref(v: Volunteer) -> dict[str, str]:
    """The API names volunteers masked for every caller (`name_masked` is its contract)."""
    return {"number": v.number, "name_masked": selectors.volunteer_name(scope=None, station_id=v.station_id, name=v.person.real_name)}


class ShiftOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    headcount: int
    free: int = Field(..., description="Places not yet taken by confirmed sign-ups.")


class ActivityOut(Schema):
    id: int
    title: str
    category: str
    category_label: str
    station: str
    community: str
    place: str
    skills: list[str]
    quiz_required: bool
    shifts: list[ShiftOut] = Field(..., description="The shifts still to come.")


class ActivityPage(PageOut):
    results: list[ActivityOut]


class ActivityFilter(PageIn):
    near: bool = Field(False, description="Only activities in your service areas or your station's street with free places "
                                          "(volunteers only).")


class SignupOut(Schema):
    id: int
    shift: int
    activity: str
    status: str = Field(..., description="confirmed, waitlisted or cancelled.")


class TimebankTokenIn(Schema):
    token: str = Field(..., description="The text of the QR code on the organizer's screen.")


class HoursOut(Schema):
    id: int
    volunteer: VolunteerRef
    shift: int
    activity: str
    day: str
    hours: str = Field(..., examples=["2.5"])
    status: str = Field(..., description="pending, needs_agency, approved or declined.")
    late_entry: bool
    decline_reason: str


class AttendanceOut(Schema):
    id: int
    shift: int
    activity: str
    checked_in_at: datetime
    checked_out_at: datetime | None
    hours: HoursOut | None = Field(None, description="At check-out: the hours recorded, if the time covered enough of the shift.")


class ProfileOut(Schema):
    volunteer: VolunteerRef
    station: str
    balance: str = Field(..., description="Credits to spend.", examples=["12.5"])
    approved_hours: str = Field(..., description="Cumulative approved hours (the star level is counted from them).")
    stars: int
    next_star: int | None = Field(..., description="The next star, or null at the top.")
    next_star_needs: str | None = Field(..., description="Approved hours still needed for the next star.")
    next_star_percent: int
    latest: list[HoursOut]


class DeclineIn(Schema):
    reason: str


class RedemptionIn(Schema):
    item: int = Field(..., description="The catalog item's id.")
    quantity: int = 1


class RedemptionBase(Schema):
    id: int
    item: int
    item_name: str
    quantity: int
    credits: str
    status: str


class RedemptionOut(RedemptionBase):
    balance: str = Field(..., description="The volunteer's balance after the redemption.")
    pickup_code: str = Field(..., description="Shown to the station when collecting (POST .../fulfil checks it).")


class LeaderRow(Schema):
    rank: int
    volunteer: VolunteerRef
    approved_hours: str
    stars: int


class LeaderboardOut(Schema):
    station: str
    results: list[LeaderRow]


# -- shaping ------------------------------------------------------------------------------------------


def activity_out(a: Activity) -> dict[str, Any]:
    return {"id": a.pk, "title": a.title, "category": a.category, "category_label": str(a.get_category_display()),
            "station": a.station.name, "community": a.division.name, "place": a.place, "skills": a.skills,
            "quiz_required": a.quiz_required,
            "shifts": [{"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "headcount": s.headcount,
                        "free": max(int(s.free), 0)} for s in getattr(a, "upcoming", [])]}


def hours_out(r: HoursRecord) -> dict[str, Any]:
    return {"id": r.pk, "volunteer": volunteer_ref(r.volunteer), "shift": r.shift_id, "activity": r.shift.activity.title,
            "day": r.day.isoformat(), "hours": _h(r.hours), "status": r.status, "late_entry": r.late_entry,
            "decline_reason": r.decline_reason}


def _hours_fresh(record_id: int) -> HoursRecord:
    return HoursRecord.objects.select_related("volunteer__person", "shift__activity").get(pk=record_id)


def _attendance_out(att: Any, record: HoursRecord | None = None) -> dict[str, Any]:
    return {"id": att.pk, "shift": att.shift_id, "activity": att.shift.activity.title, "checked_in_at": att.checked_in_at,
            "checked_out_at": att.checked_out_at, "hours": hours_out(_hours_fresh(record.pk)) if record is not None else None}


def _scope(request: ApiRequest) -> Scope:
    return actor_scope(request.auth)


def _me(request: ApiRequest) -> Volunteer:
    return selectors.require_volunteer(_scope(request))


def _staff(request: ApiRequest) -> Scope:
    scope = _scope(request)
    if not selectors.is_station_staff(scope):
        raise PermissionDenied("not_station_staff", _("Only the station's social workers and its agency may do this."))
    return scope


# -- activities and sign-up ---------------------------------------------------------------------------


@router.get("/activities", response={200: ActivityPage, **errors(400, 401, 403)}, summary="Published activities to come")
def activities_index(request: ApiRequest, filters: Query[ActivityFilter]) -> Any:
    """Published activities with a shift still to come, newest first, with each future shift's free places.
    `near=true` (volunteers): only those in your service areas or your station's street with a free place."""
    qs = selectors.activities_near(volunteer=_me(request)) if filters.near else selectors.activities_upcoming()
    page = paginate(qs, filters)
    page["results"] = [activity_out(a) for a in page["results"]]
    return page


@router.post("/shifts/{id:shift_id}/signup", response={200: SignupOut, 201: SignupOut, **errors(400, 401, 403, 404, 409)},
             summary="Sign up for a shift")
def shifts_signup(request: ApiRequest, shift_id: int) -> Any:
    """A confirmed place while there is room, else the wait list (`status` says which). Signing up again
    answers 200 with the sign-up already made."""
    volunteer = _me(request)
    shift = Shift.objects.select_related("activity").filter(pk=shift_id, activity__status="published").first()
    if shift is None:
        raise NotFound()
    existed = Signup.objects.filter(shift=shift, volunteer=volunteer).exclude(status=SignupStatus.CANCELLED).exists()
    signup = services.signup_create(actor=request.auth, volunteer=volunteer, shift=shift)
    body = {"id": signup.pk, "shift": shift.pk, "activity": shift.activity.title, "status": signup.status}
    return Status(200 if existed else 201, body)


# -- attendance ---------------------------------------------------------------------------------------


@router.post("/checkin", response={201: AttendanceOut, **errors(400, 401, 403, 409)}, summary="Check in with a QR token")
def attendance_check_in(request: ApiRequest, payload: TimebankTokenIn) -> Any:
    """At server time. The token is the organizer's rotating QR code: an expired code (`qr_expired`) or a forged one
    (`qr_invalid`) is refused, as is a fourth check-in to the same activity on one day (`too_many_checkins`)."""
    volunteer = _me(request)
    att = services.check_in(actor=request.auth, volunteer=volunteer, token=payload.token)
    return Status(201, _attendance_out(att))


@router.post("/checkout", response={200: AttendanceOut, **errors(400, 401, 403, 409)}, summary="Check out with a QR token")
def attendance_check_out(request: ApiRequest, payload: TimebankTokenIn) -> Any:
    """At server time. The covered time, rounded down to the half hour, becomes a pending hours record when it covers
    at least 60% of the shift. Without a check-in first: `not_checked_in`."""
    volunteer = _me(request)
    att, record = services.check_out(actor=request.auth, volunteer=volunteer, token=payload.token)
    return _attendance_out(att, record)


# -- the volunteer's profile --------------------------------------------------------------------------


@router.get("/me", response={200: ProfileOut, **errors(401, 403)}, summary="Your volunteer profile")
def me_profile(request: ApiRequest) -> Any:
    """Your balance, approved hours, star level and progress to the next star, and your latest 10 hour records."""
    p = selectors.volunteer_profile(volunteer=_me(request))
    v = p.volunteer
    for r in p.latest:
        r.volunteer = v
    return {"volunteer": volunteer_ref(v), "station": v.station.name, "balance": _h(p.balance), "approved_hours": _h(p.approved_hours),
            "stars": p.stars, "next_star": p.next_star,
            "next_star_needs": _h(p.next_star_needs) if p.next_star_needs is not None else None,
            "next_star_percent": p.next_star_percent, "latest": [hours_out(r) for r in p.latest]}


# -- hours --------------------------------------------------------------------------------------------


def _record_seen(request: ApiRequest, record_id: int) -> tuple[Scope, HoursRecord]:
    scope = _staff(request)
    record = HoursRecord.objects.select_related("shift__activity__station").filter(pk=record_id).first()
    if record is None or not selectors.sees_station(scope, record.shift.activity.station_id):
        raise NotFound()
    return scope, record


@router.post("/hours/{id:record_id}/approve", response={200: HoursOut, **errors(400, 401, 403, 404, 409)}, summary="Approve hours")
def hours_approve(request: ApiRequest, record_id: int) -> Any:
    """The station's organizer approves: up to 8 h a day the credits are posted now (`approved`); 8-12 h a day and late
    entries wait for the agency (`needs_agency`); more than 12 h is refused (`day_limit_exceeded`). A manager of the agency
    (not the organizer who approved) calling this on a record waiting for the agency gives the agency's approval."""
    scope, record = _record_seen(request, record_id)
    station = record.shift.activity.station
    if record.status == HoursStatus.NEEDS_AGENCY and record.approved_by_id and is_agency(scope, station):
        services.hours_agency_approve(actor=request.auth, record=record)
    else:
        services.hours_approve(actor=request.auth, record=record)
    return hours_out(_hours_fresh(record.pk))


@router.post("/hours/{id:record_id}/decline", response={200: HoursOut, **errors(400, 401, 403, 404, 409)}, summary="Decline hours")
def hours_decline(request: ApiRequest, record_id: int, payload: DeclineIn) -> Any:
    """Declined hours are kept with the reason and who declined them; nothing is deleted."""
    _scope_, record = _record_seen(request, record_id)
    services.hours_decline(actor=request.auth, record=record, reason=payload.reason)
    return hours_out(_hours_fresh(record.pk))


# -- redemption ---------------------------------------------------------------------------------------


def _redemption_fields(r: Redemption) -> dict[str, Any]:
    """`RedemptionBase`'s fields (the item row is read with the redemption)."""
    return {"id": r.pk, "item": r.item_id, "item_name": r.item.name, "quantity": r.quantity, "credits": _h(r.credits),
            "status": r.status}


def _redemption_out(r: Redemption, volunteer: Volunteer) -> dict[str, Any]:
    volunteer.account.refresh_from_db(fields=["balance"])
    return {**_redemption_fields(r), "balance": _h(volunteer.account.balance), "pickup_code": r.pickup_code}


@router.post("/redemptions", response={200: RedemptionOut, 201: RedemptionOut, **errors(400, 401, 403, 409)},
             summary="Redeem credits for a catalog item (idempotent)")
def redemptions_create(
    request: ApiRequest,
    payload: RedemptionIn,
    response: HttpResponse,
    idempotency_key: HeaderEx[str | None, P(alias="Idempotency-Key", description=KEY_DESCRIPTION)] = None,
) -> Any:
    """Spend credits (needs a 1-star volunteer: `star_required`; enough credits: `insufficient_balance`; stock:
    `out_of_stock`). The `Idempotency-Key` header is required: the same key with the same body answers 200 with the first
    redemption and `Idempotent-Replayed: true`; with a different body, 409 `idempotency_mismatch`."""
    volunteer = _me(request)
    idempotency_key = idempotency_key_in(idempotency_key)
    item = CatalogItem.objects.filter(pk=payload.item).first()
    if item is None:
        raise field_error("item", "unknown_item", _("There is no such item."))
    redemption = services.redemption_create(actor=request.auth, volunteer=volunteer, item=item, quantity=payload.quantity,
                                            idempotency_key=idempotency_key)
    existed = was_replayed(redemption)
    redemption = Redemption.objects.select_related("item").get(pk=redemption.pk)
    body = _redemption_out(redemption, volunteer)
    if existed:
        response[REPLAYED_HEADER] = "true"
        return Status(200, body)
    return Status(201, body)


class FulfilOut(RedemptionBase):
    volunteer: str = Field(..., description="The volunteer number.")


class FulfilIn(Schema):
    pickup_code: str = Field(..., max_length=12, description="The 6-digit code on the volunteer's phone.", examples=["482913"])


@router.post("/redemptions/{id:redemption_id}/fulfil", response={200: FulfilOut, **errors(400, 401, 403, 404, 409)},
             summary="Confirm that a redemption was handed over")
def redemptions_fulfil(request: ApiRequest, redemption_id: int, payload: FulfilIn) -> Any:
    """The station (for itself or on behalf of the partner merchant) confirms the volunteer had the service or goods,
    with the pickup code the volunteer shows (`pickup_code_wrong`, 400, when it does not match). Again is quiet; a
    cancelled redemption is `redemption_cancelled` (409). Only station staff (others 403 `not_station_staff`), of the
    item's station (else 404)."""
    scope = _staff(request)
    redemption = Redemption.objects.select_related("item", "volunteer").filter(pk=redemption_id).first()
    if redemption is None or not selectors.sees_station(scope, redemption.item.station_id):
        raise NotFound()
    done = services.redemption_fulfil(actor=request.auth, redemption=redemption, pickup_code=payload.pickup_code)
    return {**_redemption_fields(done), "volunteer": redemption.volunteer.number}


# -- leaderboard --------------------------------------------------------------------------------------


@router.get("/stations/{id:station_id}/leaderboard", response={200: LeaderboardOut, **errors(400, 401, 403, 404)},
            summary="A station's volunteers by approved hours")
def stations_leaderboard(request: ApiRequest, station_id: int, limit: int = 20) -> Any:
    """The station's social workers and its agency's managers: the top volunteers by cumulative approved hours
    (`limit` 1-100), shown by volunteer number and masked name."""
    if not 1 <= limit <= 100:
        raise field_error("limit", "invalid_limit", _("The limit must be between 1 and 100."))
    station = selectors.station_get(scope=_scope(request), station_id=station_id)
    rows = selectors.station_leaderboard(station=station, limit=limit)
    return {"station": station.name, "results": [
        {"rank": i, "volunteer": volunteer_ref(v), "approved_hours": _h(v.approved_hours),
         "stars": services.star_level(v.approved_hours)} for i, v in enumerate(rows, start=1)]}

