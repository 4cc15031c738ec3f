"""Group and community work for other systems, under the same scopes as the pages: the station's team writes and gets
members' names; officers above get programmes, sessions and counts with no names (`names_visible` false, `members` and
`attendees` null); anyone else a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import NotFound, field_error
from shanlian.core.inputs import date_window
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.selectors import station_staff_users

from . import selectors as sel
from . import services
from .forms import worker_name
from .models import HEADCOUNT_MAX, SESSIONS_MAX, VOLUNTEERS_MAX, Kind, Programme, Session

router = Router(tags=["groupwork"])
INVALID_TIME = _("Enter the start time as HH:MM, e.g. 09:30.")


class GroupProgrammeRowOut(Schema):
    id: int
    station_id: int
    station: str
    kind: str = Field(..., description="group or community")
    title: str
    care_area: str
    group_type: str
    status: str = Field(..., description="planned, running or ended")
    planned_sessions: int
    starts_on: dt.date
    ended_on: dt.date | None
    sessions_held: int
    month_sessions: int = Field(..., description="Sessions held this month.")
    month_person_times: int = Field(..., description="Person-times this month.")


class GroupProgrammePage(PageOut):
    results: list[GroupProgrammeRowOut]


class GroupMemberOut(Schema):
    id: int
    person_id: int
    name: str
    joined_on: dt.date
    left_on: dt.date | None = Field(..., description="The day the member left; null while a member.")
    sessions_attended: int
    beneficiary: bool = Field(..., description="A beneficiary of the programme's station.")


class GroupSessionOut(Schema):
    id: int
    programme_id: int
    number: int
    held_on: dt.date
    starts_at: dt.time
    minutes: int
    venue: str
    theme: str
    content: str
    present: int = Field(..., description="Members marked present.")
    headcount: int = Field(..., description="Others who came (community activities).")
    person_times: int = Field(..., description="present + headcount")
    volunteers: int
    timebank_activity_id: int | None
    workers: list[str]
    attendees: list[GroupMemberOut] | None = Field(None, description="For the station's team only.")


class GroupProgrammeOut(GroupProgrammeRowOut):
    aims: str
    summary: str
    leaders: list[str]
    names_visible: bool
    member_count: int
    person_times: int
    sessions: list[GroupSessionOut]
    members: list[GroupMemberOut] | None = Field(None, description="For the station's team only; null for officers.")


class GroupProgrammeFilter(PageIn):
    station_id: int | None = Field(None, ge=1, le=2**31 - 1)
    kind: str | None = Field(None, max_length=16)
    status: str | None = Field(None, max_length=16)


class GroupProgrammeIn(Schema):
    station_id: int = Field(..., ge=1, le=2**31 - 1)
    kind: str = Field(..., max_length=16, description="group or community")
    title: str = Field(..., max_length=64)
    care_area: str = Field(..., max_length=16)
    group_type: str = Field("", max_length=16, description="support, education, growth, therapy, recreation (groups only)")
    aims: str = Field("", max_length=2000)
    planned_sessions: int = Field(..., ge=1, le=SESSIONS_MAX)
    starts_on: dt.date
    leader_ids: list[int] = Field(..., min_length=1, max_length=services.LEADERS_MAX)


class GroupEnrolIn(Schema):
    person_ids: list[int] = Field(..., min_length=1, max_length=services.ENROL_AT_ONCE_MAX)


class GroupSessionIn(Schema):
    held_on: dt.date
    starts_at: str = Field(..., max_length=8, description="HH:MM, e.g. 09:30")
    minutes: int = Field(..., ge=0, le=10_000)
    venue: str = Field(..., max_length=64)
    theme: str = Field(..., max_length=64)
    content: str = Field("", max_length=2000)
    present_person_ids: list[int] = Field([], max_length=services.MEMBERS_MAX[Kind.COMMUNITY])
    headcount: int = Field(0, ge=0, le=HEADCOUNT_MAX * 10)
    worker_ids: list[int] = Field(..., min_length=1, max_length=services.WORKERS_MAX)
    volunteers: int = Field(0, ge=0, le=VOLUNTEERS_MAX * 10)
    timebank_activity_id: int | None = Field(None, ge=1, le=2**31 - 1)


class GroupEndIn(Schema):
    summary: str = Field(..., max_length=2000)


class GroupStationCountsOut(Schema):
    station_id: int
    station: str
    groups: int
    group_sessions: int
    group_person_times: int
    activities: int
    activity_sessions: int
    activity_person_times: int


# --- rows ------------------------------------------------------------------------------------------------------------

def _row(p: Programme) -> dict[str, Any]:
    return {"id": p.pk, "station_id": p.station_id, "station": p.station.name, "kind": p.kind, "title": p.title,
            "care_area": p.care_area, "group_type": p.group_type, "status": p.status, "planned_sessions": p.planned_sessions,
            "starts_on": p.starts_on, "ended_on": p.ended_on, "sessions_held": getattr(p, "sessions_held", 0),
            "month_sessions": getattr(p, "month_sessions", 0), "month_person_times": getattr(p, "month_person_times", 0) or 0}


def _member(m: Any) -> dict[str, Any]:
    return {"id": m.pk, "person_id": m.person_id, "name": m.person.real_name, "joined_on": m.joined_on, "left_on": m.left_on,
            "sessions_attended": getattr(m, "sessions_attended", 0), "beneficiary": getattr(m, "is_beneficiary", False)}


def _session(s: Session, attendees: list[Any] | None = None) -> dict[str, Any]:
    return {"id": s.pk, "programme_id": s.programme_id, "number": s.number, "held_on": s.held_on, "starts_at": s.starts_at,
            "minutes": s.minutes, "venue": s.venue, "theme": s.theme, "content": s.content, "present": s.present_count,
            "headcount": s.headcount, "person_times": s.person_times, "volunteers": s.volunteers,
            "timebank_activity_id": s.timebank_activity_id, "workers": [worker_name(u) for u in s.workers.all()],
            "attendees": None if attendees is None else [
                {"id": a.member_id, "person_id": a.person_id, "name": a.person.real_name, "joined_on": a.member.joined_on,
                 "left_on": a.member.left_on, "sessions_attended": 0, "beneficiary": False} for a in attendees]}


def _detail(request: ApiRequest, programme_id: int) -> dict[str, Any]:
    p = sel.programme_get(request.auth, programme_id)
    v = sel.programme_view(request.auth, p)
    start, end = sel.month_bounds(timezone.localdate())
    month = [s for s in v.sessions if start <= s.held_on < end]
    return {**_row(p), "sessions_held": v.sessions_held, "month_sessions": len(month),
            "month_person_times": sum(s.person_times for s in month), "aims": p.aims, "summary": p.summary,
            "leaders": [worker_name(u) for u in v.leaders], "names_visible": v.names, "member_count": v.member_count,
            "person_times": v.person_times, "sessions": [_session(s) for s in v.sessions],
            "members": [_member(m) for m in v.members] if v.names else None}


def _users(programme_station: Any, ids: list[int], field: str) -> list[Any]:
    found = {u.pk: u for u in station_staff_users(programme_station).filter(pk__in=ids)}
    if len(found) != len(set(ids)):
        raise field_error(field, "worker_other_station", services.OTHER_STATION_MESSAGE)
    return [found[i] for i in dict.fromkeys(ids)]


def _time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise field_error("starts_at", "invalid_time", INVALID_TIME) from None


# --- operations ------------------------------------------------------------------------------------------------------

@router.get("/programmes", response={200: GroupProgrammePage, **errors(400, 401, 404)}, summary="Groups and community activities")
def programmes(request: ApiRequest, filters: Query[GroupProgrammeFilter]) -> Any:
    page = paginate(sel.programmes_visible(request.auth, station_id=filters.station_id, kind=filters.kind or "",
                                           status=filters.status or ""), filters)
    page["results"] = [_row(p) for p in page["results"]]
    return page


@router.post("/programmes", response={201: GroupProgrammeOut, **errors(400, 401, 403, 404)}, summary="Start a group or activity")
def programme_create(request: ApiRequest, payload: GroupProgrammeIn) -> Any:
    station = sel.stations_served(request.auth).filter(pk=payload.station_id).first()
    if station is None:
        raise field_error("station_id", "not_station_team", NotFound().message)
    made = services.programme_create(
        actor=request.auth, station=station, kind=payload.kind, title=payload.title, care_area=payload.care_area,
        group_type=payload.group_type, aims=payload.aims, planned_sessions=payload.planned_sessions, starts_on=payload.starts_on,
        leaders=_users(station, payload.leader_ids, "leader_ids"))
    return Status(201, _detail(request, made.pk))


@router.get("/programmes/{id:programme_id}", response={200: GroupProgrammeOut, **errors(401, 404)}, summary="One programme")
def programme_detail(request: ApiRequest, programme_id: int) -> Any:
    return _detail(request, programme_id)


@router.post("/programmes/{id:programme_id}/members", response={201: GroupProgrammeOut, **errors(400, 401, 403, 404, 409)},
             summary="Enrol members")
def members_enrol(request: ApiRequest, programme_id: int, payload: GroupEnrolIn) -> Any:
    """Enrolled from today. Refused: a person already enrolled (`already_member`), one who left today
    (`rejoined_before_left`: a person who left comes back as a new period, from a later day), a resident of another
    street (`person_outside_station`), more members than the kind allows (`members_full`), an ended programme."""
    p = sel.programme_get(request.auth, programme_id)
    services.team_scope(request.auth, p)
    people = sel.enrolable_people(p, payload.person_ids)
    if len(people) != len(set(payload.person_ids)):
        raise field_error("person_ids", "person_outside_station", services.OUTSIDE_MESSAGE)
    services.members_enrol(actor=request.auth, programme=p, people=[people[i] for i in payload.person_ids])
    return Status(201, _detail(request, programme_id))


@router.post("/programmes/{id:programme_id}/sessions", response={201: GroupSessionOut, **errors(400, 401, 403, 404, 409)},
             summary="Record a session with who came")
def session_create(request: ApiRequest, programme_id: int, payload: GroupSessionIn) -> Any:
    """Person-times = members present + headcount (community activities only). Refused: a day to come (`date_in_future`),
    a non-member present (`not_member`), a person twice (`duplicate_attendance`), minutes out of bounds, an ended
    programme (`programme_ended`), a worker of another station (`worker_other_station`)."""
    p = sel.programme_get(request.auth, programme_id)
    services.team_scope(request.auth, p)
    starts_at = _time(payload.starts_at)
    people = sel.enrolable_people(p, payload.present_person_ids, members_only=True)
    if len(people) != len(set(payload.present_person_ids)):
        raise field_error("present", "not_member", services.NOT_MEMBER_MESSAGE)
    activity = None
    if payload.timebank_activity_id is not None:
        activity = sel.timebank_activity_get(payload.timebank_activity_id)
        if activity is None:
            raise field_error("timebank_activity_id", "not_found", NotFound().message)
    made = services.session_record(
        actor=request.auth, programme=p, held_on=payload.held_on, starts_at=starts_at, minutes=payload.minutes,
        venue=payload.venue, theme=payload.theme, content=payload.content,
        present=[people[i] for i in payload.present_person_ids], headcount=payload.headcount,
        workers=_users(p.station, payload.worker_ids, "worker_ids"), volunteers=payload.volunteers, timebank_activity=activity)
    found = sel.session_get(request.auth, made.pk)
    return Status(201, _session(found, sel.attendees(request.auth, found)))


@router.get("/sessions/{id:session_id}", response={200: GroupSessionOut, **errors(401, 404)}, summary="One session")
def session_detail(request: ApiRequest, session_id: int) -> Any:
    found = sel.session_get(request.auth, session_id)
    return _session(found, sel.attendees(request.auth, found))


@router.post("/programmes/{id:programme_id}/end", response={200: GroupProgrammeOut, **errors(400, 401, 403, 404, 409)},
             summary="End a programme with its closing summary")
def programme_end(request: ApiRequest, programme_id: int, payload: GroupEndIn) -> Any:
    p = sel.programme_get(request.auth, programme_id)
    services.programme_end(actor=request.auth, programme=p, summary=payload.summary)
    return _detail(request, programme_id)


class GroupLeaveIn(Schema):
    left_on: dt.date | None = Field(None, description="The day the member left; today when not given.")


@router.post("/members/{id:group_member_id}/leave", response={200: GroupProgrammeOut, **errors(400, 401, 403, 404, 409)},
             summary="A member leaves the programme")
def member_leave(request: ApiRequest, group_member_id: int, payload: GroupLeaveIn) -> Any:
    """Refused: a day to come (`date_in_future`), before joining (`before_joined`) or before a session the member came to
    (`attended_after`), a member who has left (`already_left`), an ended programme (`programme_ended`)."""
    member = sel.member_get(request.auth, group_member_id)
    services.member_leave(actor=request.auth, member=member, left_on=payload.left_on)
    return _detail(request, member.programme_id)


@router.get("/counts", response={200: list[GroupStationCountsOut], **errors(400, 401)},
            summary="Sessions and person-times per station in a month")
def counts(request: ApiRequest, month: dt.date | None = None) -> Any:
    """`month`: any day of the month (this month by default). The same counts as the monthly report."""
    if month is not None:
        date_window(month, field="month")
    start, end = sel.month_bounds(month or timezone.localdate())
    stations = list(sel.stations_visible(request.auth)[:500])
    found = sel.station_counts([s.pk for s in stations], start, end)
    out = []
    for s in stations:
        g, c = found.get(s.pk, {}).get(Kind.GROUP, {}), found.get(s.pk, {}).get(Kind.COMMUNITY, {})
        out.append({"station_id": s.pk, "station": s.name, "groups": g.get("programmes", 0), "group_sessions": g.get("sessions", 0),
                    "group_person_times": g.get("person_times", 0), "activities": c.get("programmes", 0),
                    "activity_sessions": c.get("sessions", 0), "activity_person_times": c.get("person_times", 0)})
    return out
