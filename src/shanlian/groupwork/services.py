"""Every write about group and community work: starting a programme, enrolling members, recording a session with who
came, ending a programme. Only the station's team writes (access.writes); every problem of an input is reported at once
and nothing is written on any; the database repeats the invariants (bounds, one attendance per person per session,
person-times = present + headcount)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.cases.models import CareArea
from shanlian.core.audit import access_denied, audit_log
from shanlian.core.errors import Conflict, NotFound, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, int_in, model_text
from shanlian.core.scoping import STATION_STAFF_ROLES, Scope
from shanlian.core.transitions import transition
from shanlian.orgs.models import Station
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope, signed_in_scope

from . import access
from .access import Sight
from .models import (
    HEADCOUNT_MAX,
    MINUTES_MAX,
    MINUTES_MIN,
    SESSIONS_MAX,
    VOLUNTEERS_MAX,
    Attendance,
    GroupType,
    Kind,
    Member,
    Programme,
    Session,
    Status,
    person_times,
    returns,
)

PAST_DAYS = 366  # a session is recorded within a year of the day it was held
LEADERS_MAX = 5
WORKERS_MAX = 10
MEMBERS_MAX = {Kind.GROUP: 30, Kind.COMMUNITY: 500}
ENROL_AT_ONCE_MAX = 100
SUMMARY_MIN = 10
OTHER_STATION_MESSAGE = _("Only the station's own social workers and its agency's managers can be named.")
OUTSIDE_MESSAGE = _("The person does not live in the station's street.")
NOT_MEMBER_MESSAGE = _("Only people who were members of the programme on that day can be marked present (not after they "
                       "left, nor before they came back).")


def _today() -> dt.date:
    return timezone.localdate()


def team_scope(actor: Any, programme: Programme) -> Scope:
    """The station's team writes; officers who see the counts are refused; anyone else is answered as for a programme that
    does not exist, and the look is logged."""
    scope = signed_in_scope(actor)
    seen = access.sight(scope, programme)
    if seen is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="groupwork.programme", object_id=programme.pk)
        raise NotFound()
    if seen is not Sight.VALUES:
        raise PermissionDenied("not_station_team", _("Only the station's social workers and their agency record its group work."))
    return scope


def _locked(programme: Programme) -> Programme:
    return Programme.objects.select_for_update().get(pk=programme.pk)


def _open(programme: Programme) -> None:
    if programme.status == Status.ENDED:
        raise Conflict("programme_ended", _("This programme has ended: nothing more can be recorded on it."))


def _staff_of(checks: Checks, users: Sequence[Any], station: Station, field: str, *, most: int, required: bool = True) -> list[Any]:
    """Leaders and workers present: the station's own staff (a worker of another station is refused)."""
    picked = list({u.pk: u for u in users}.values())
    if required and not picked:
        checks.failed.append(field_error(field, "required", _("Name at least one social worker.")))
    elif len(picked) > most:
        checks.failed.append(field_error(field, "too_many", lazy_format(_("At most %(n)s people."), {"n": most})))
    elif any(not _staff_at(u, station) for u in picked):
        checks.failed.append(field_error(field, "worker_other_station", OTHER_STATION_MESSAGE))
    return picked


def _staff_at(user: Any, station: Station) -> bool:
    """Holds a station role there (a social worker of the station, a manager of its agency); the superuser is not staff."""
    scope = actor_scope(user)
    return scope.has(*STATION_STAFF_ROLES) and station.pk in scope.station_ids


# --- programmes ------------------------------------------------------------------------------------------------------

@transaction.atomic
def programme_create(*, actor: Any, station: Station, kind: str, title: str, care_area: str, planned_sessions: Any,
                     starts_on: dt.date, leaders: Iterable[Any], group_type: str = "", aims: str = "") -> Programme:
    """A group (closed membership, a type, aims) or a community activity (open, counted by headcount) at the actor's own
    station, led by its own workers."""
    scope = signed_in_scope(actor)
    if not access.writes(scope, station.pk):
        raise PermissionDenied("not_station_team", _("Only the station's social workers and their agency record its group work."))
    checks = Checks()
    if kind not in Kind.values:
        checks.failed.append(field_error("kind", "invalid_choice", _("Choose group or community activity.")))
    title = checks(model_text, Programme, "title", title, required=True) or ""
    aims = checks(model_text, Programme, "aims", aims) or ""
    if care_area not in CareArea.values:
        checks.failed.append(field_error("care_area", "invalid_choice", _("Choose the care area.")))
    if kind == Kind.GROUP and group_type not in GroupType.values:
        checks.failed.append(field_error("group_type", "group_type_required", _("Choose the type of group.")))
    if kind == Kind.COMMUNITY and group_type:
        checks.failed.append(field_error("group_type", "group_type_not_for_activity", _("A community activity has no group type.")))
    planned = checks(int_in, planned_sessions, field="planned_sessions", minimum=1, maximum=SESSIONS_MAX)
    if starts_on is None:
        checks.failed.append(field_error("starts_on", "required", _("This field is required.")))
    else:
        checks(date_window, starts_on, field="starts_on")
    picked = _staff_of(checks, list(leaders), station, "leaders", most=LEADERS_MAX)
    checks.done()
    made = Programme(station=station, kind=kind, title=title, care_area=care_area, group_type=group_type if kind == Kind.GROUP else "",
                     aims=aims, planned_sessions=planned, starts_on=starts_on, created_by=actor)
    made.full_clean()
    made.save()
    made.leaders.set(picked)
    audit_log(actor=actor, action="groupwork.programme_create", obj=made, after={
        "station": station.pk, "kind": kind, "title": title, "care_area": care_area, "planned_sessions": planned,
        "leaders": sorted(u.pk for u in picked)})
    return made


@transaction.atomic
def members_enrol(*, actor: Any, programme: Programme, people: Iterable[Person], joined_on: dt.date | None = None) -> list[Member]:
    """Enrol residents of the station's street (a member may be one of its beneficiaries): one current membership a
    person (`already_member`); a person who left is enrolled again from after the day they left (`rejoined_before_left`)."""
    team_scope(actor, programme)
    locked = _locked(programme)
    _open(locked)
    chosen = list(people)
    checks = Checks()
    joined_on = joined_on or _today()
    if joined_on > _today():
        checks.failed.append(field_error("joined_on", "date_in_future", _("This day has not come yet.")))
    if not chosen:
        checks.failed.append(field_error("people", "required", _("Choose at least one person.")))
    if len({p.pk for p in chosen}) != len(chosen):
        checks.failed.append(field_error("people", "duplicate_member", _("The same person is chosen twice.")))
    if len(chosen) > ENROL_AT_ONCE_MAX:
        checks.failed.append(field_error("people", "too_many", lazy_format(_("At most %(n)s people."), {"n": ENROL_AT_ONCE_MAX})))
    street = locked.station.street.path
    if any(not p.division.path.startswith(street) for p in chosen):
        checks.failed.append(field_error("people", "person_outside_station", OUTSIDE_MESSAGE))
    checks.done()
    if Member.objects.filter(programme=locked, person__in=chosen, left_on__isnull=True).exists():
        raise Conflict("already_member", _("This person is already enrolled."),
                       fields={"people": [("already_member", _("This person is already enrolled."))]})
    left = (Member.objects.filter(programme=locked, person__in=chosen, left_on__gte=joined_on).select_related("person")
            .order_by("-left_on").first())
    if left is not None:  # back after leaving: a new period, from the day after the last one ended
        message = lazy_format(_("%(name)s left on %(day)s; enrol them again from the next day."),
                              {"name": left.person.real_name, "day": str(left.left_on)})
        raise Conflict("rejoined_before_left", message, fields={"people": [("rejoined_before_left", message)]})
    most = MEMBERS_MAX[Kind(locked.kind)]
    if locked.members.filter(left_on__isnull=True).count() + len(chosen) > most:
        raise Conflict("members_full", lazy_format(_("A programme of this kind has at most %(n)s members."), {"n": most}))
    made = Member.objects.bulk_create([Member(programme=locked, person=p, joined_on=joined_on, added_by=actor) for p in chosen])
    audit_log(actor=actor, action="groupwork.members_enrol", obj=locked, after={"members": [m.pk for m in made]})
    return made


@transaction.atomic
def member_leave(*, actor: Any, member: Member, left_on: dt.date | None = None) -> Member:
    """A member leaves from a day (today by default, not before joining, not before a session they came to): they stay
    on the record with the sessions they attended, are not marked present after that day and no longer count against
    the programme's size (`already_left`, `date_in_future`, `before_joined`, `attended_after`)."""
    team_scope(actor, member.programme)
    locked = _locked(member.programme)
    _open(locked)
    row = Member.objects.select_for_update().get(pk=member.pk)
    if row.left_on is not None:
        raise Conflict("already_left", _("This member has already left."))
    day = left_on or _today()
    checks = Checks()
    if day > _today():
        checks.failed.append(field_error("left_on", "date_in_future", _("This day has not come yet.")))
    elif day < row.joined_on:
        checks.failed.append(field_error("left_on", "before_joined", _("This day comes before the member joined.")))
    elif row.attendance.filter(session__held_on__gt=day).exists():
        checks.failed.append(field_error("left_on", "attended_after", _("The member came to a session after this day.")))
    checks.done()
    row.left_on = day
    row.save(update_fields=["left_on"])
    audit_log(actor=actor, action="groupwork.member_leave", obj=locked, after={"member": row.pk, "left_on": day.isoformat()})
    return row


# --- sessions --------------------------------------------------------------------------------------------------------

@transaction.atomic
def session_record(*, actor: Any, programme: Programme, held_on: dt.date, starts_at: dt.time, minutes: Any, venue: str,
                   theme: str, workers: Iterable[Any], present: Iterable[Person] = (), headcount: Any = 0, volunteers: Any = 0,
                   content: str = "", timebank_activity: Any = None) -> Session:
    """One session (numbered next) with the members present and, for a community activity, a headcount of others. The first
    session starts a planned programme (planned → running); an ended programme takes no more."""
    team_scope(actor, programme)
    locked = _locked(programme)
    _open(locked)
    checks = Checks()
    today = _today()
    if held_on is None:
        checks.failed.append(field_error("held_on", "required", _("This field is required.")))
    elif held_on > today:
        checks.failed.append(field_error("held_on", "date_in_future", _("A session is recorded once it has been held.")))
    elif held_on < today - dt.timedelta(days=PAST_DAYS):
        checks.failed.append(field_error("held_on", "date_too_old", _("A session is recorded within a year of the day it was held.")))
    if starts_at is None:
        checks.failed.append(field_error("starts_at", "required", _("This field is required.")))
    minutes = checks(int_in, minutes, field="minutes", minimum=MINUTES_MIN, maximum=MINUTES_MAX)
    venue = checks(model_text, Session, "venue", venue, required=True) or ""
    theme = checks(model_text, Session, "theme", theme, required=True) or ""
    content = checks(model_text, Session, "content", content) or ""
    headcount = checks(int_in, headcount if headcount not in (None, "") else 0, field="headcount", minimum=0, maximum=HEADCOUNT_MAX)
    if locked.kind == Kind.GROUP and headcount:
        checks.failed.append(field_error("headcount", "headcount_not_for_group",
                                         _("A group counts its members present; a headcount of others is for community activities.")))
    volunteers = checks(int_in, volunteers if volunteers not in (None, "") else 0, field="volunteers", minimum=0,
                        maximum=VOLUNTEERS_MAX)
    picked = _staff_of(checks, list(workers), locked.station, "workers", most=WORKERS_MAX)
    came = list(present)
    if len({p.pk for p in came}) != len(came):
        checks.failed.append(field_error("present", "duplicate_attendance", _("The same person is marked present twice.")))
    # each person's period the day falls in (`returns`: the days away are in none)
    periods = list(locked.members.filter(person__in=came).order_by("joined_on", "id"))
    back = returns(periods)
    members: dict[int, Member] = {}
    for m in periods:
        if held_on is None or ((m.pk not in back or m.joined_on <= held_on) and (m.left_on is None or m.left_on >= held_on)):
            members.setdefault(m.person_id, m)
    if any(p.pk not in members for p in came):
        checks.failed.append(field_error("present", "not_member", NOT_MEMBER_MESSAGE))
    if timebank_activity is not None and timebank_activity.station_id != locked.station_id:
        checks.failed.append(field_error("timebank_activity", "activity_other_station",
                                         _("Link a time bank activity of the same station.")))
    checks.done()
    if not came and not headcount:
        raise field_error("present", "nobody_present", _("Mark who came, or give the headcount."))
    number = (locked.sessions.aggregate(n=Max("number"))["n"] or 0) + 1
    if number > SESSIONS_MAX:
        raise Conflict("too_many_sessions", lazy_format(_("A programme has at most %(n)s sessions."), {"n": SESSIONS_MAX}))
    made = Session(programme=locked, number=number, held_on=held_on, starts_at=starts_at, minutes=minutes, venue=venue,
                   theme=theme, content=content, present_count=len(came), headcount=headcount,
                   person_times=person_times(len(came), headcount), volunteers=volunteers,
                   timebank_activity=timebank_activity, recorded_by=actor)
    made.full_clean(exclude=["programme"])
    made.save()
    made.workers.set(picked)
    Attendance.objects.bulk_create([Attendance(session=made, member=members[p.pk], person=p) for p in came])
    if locked.status == Status.PLANNED:
        transition(locked, to=Status.RUNNING, allowed_from=[Status.PLANNED], actor=actor, action="groupwork.programme_start")
    audit_log(actor=actor, action="groupwork.session_record", obj=made, after={
        "programme": locked.pk, "number": number, "held_on": held_on.isoformat(), "present": len(came), "headcount": headcount,
        "person_times": made.person_times, "workers": sorted(u.pk for u in picked)})
    return made


# --- ending ----------------------------------------------------------------------------------------------------------

@transaction.atomic
def programme_end(*, actor: Any, programme: Programme, summary: str, ended_on: dt.date | None = None) -> Programme:
    """End with a closing summary (what was achieved against the aims). Ending again returns it as it is."""
    team_scope(actor, programme)
    checks = Checks()
    summary = checks(model_text, Programme, "summary", summary, required=True) or ""
    if summary and len(summary) < SUMMARY_MIN:
        checks.failed.append(field_error("summary", "summary_too_short",
                                         lazy_format(_("Write a summary of at least %(n)s characters."), {"n": SUMMARY_MIN})))
    ended_on = ended_on or _today()
    if ended_on > _today():
        checks.failed.append(field_error("ended_on", "date_in_future", _("This day has not come yet.")))
    last = programme.sessions.aggregate(d=Max("held_on"))["d"]
    if last is not None and ended_on < last:
        checks.failed.append(field_error("ended_on", "dates_reversed", _("A programme ends after its last session.")))
    checks.done()
    return transition(programme, to=Status.ENDED, allowed_from=[Status.PLANNED, Status.RUNNING], actor=actor,
                      action="groupwork.programme_end", changes=lambda p: {"summary": summary, "ended_on": ended_on})
