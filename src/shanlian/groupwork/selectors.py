"""Reads about programmes, always through the acting user's scope (access.py): the station's team sees members' names,
officers above see programmes, sessions and counts without names, anyone else nothing (answered as not found, the look
logged). The per-station counts of a period (`station_counts`) are the one rule the list pages and the monthly report
share."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Station
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope

from . import access
from .access import Sight
from .models import Attendance, Kind, Member, Programme, Session, returns

PEOPLE_CHOICES_MAX = 50


def scope_of(actor: Any) -> Scope:
    return actor_scope(actor)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The month holding `day`: its first day and the first day of the next (exclusive)."""
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


# --- counts: one grouped query for any set of stations ----------------------------------------------------------------

def station_counts(station_ids: Sequence[int], start: dt.date, end: dt.date) -> dict[int, dict[str, dict[str, int]]]:
    """{station_id: {kind: {"programmes", "sessions", "person_times"}}} for sessions held in [start, end): programmes with
    a session in the period, the sessions, their person-times. One grouped query, whatever the number of stations."""
    rows = (Session.objects.filter(programme__station_id__in=list(station_ids), held_on__gte=start, held_on__lt=end)
            .values("programme__station_id", "programme__kind")
            .annotate(programmes=Count("programme_id", distinct=True), sessions=Count("id"), person_times=Sum("person_times"))
            .order_by())
    out: dict[int, dict[str, dict[str, int]]] = defaultdict(dict)
    for r in rows:
        out[r["programme__station_id"]][r["programme__kind"]] = {
            "programmes": r["programmes"], "sessions": r["sessions"], "person_times": int(r["person_times"] or 0)}
    return dict(out)


# --- programmes ------------------------------------------------------------------------------------------------------

def stations_served(actor: Any) -> QuerySet[Station]:
    """The stations where the actor starts programmes: their own (workers, agency managers)."""
    scope = scope_of(actor)
    if scope.is_superuser:
        return Station.objects.select_related("street").order_by("street__code")
    if not access.may_create(scope):
        return Station.objects.none()
    return Station.objects.filter(pk__in=scope.station_ids).select_related("street").order_by("street__code")


def stations_visible(actor: Any) -> QuerySet[Station]:
    scope = scope_of(actor)
    if not access.may_open(scope):
        return Station.objects.none()
    return Station.objects.filter(access.stations_q(scope)).select_related("street").order_by("street__code")


def programmes_visible(actor: Any, *, station_id: int | None = None, kind: str = "", status: str = "",
                       today: dt.date | None = None) -> QuerySet[Programme]:
    """The programmes the actor sees, each with its sessions in all and, this month, its sessions and person-times
    (annotated in the same query: no query per row)."""
    scope = scope_of(actor)
    if not access.may_open(scope):
        raise NotFound()
    start, end = month_bounds(today or timezone.localdate())
    in_month = Q(sessions__held_on__gte=start, sessions__held_on__lt=end)
    qs = (Programme.objects.filter(access.visible_q(scope)).select_related("station", "station__street")
          .annotate(sessions_held=Count("sessions"), month_sessions=Count("sessions", filter=in_month),
                    month_person_times=Sum("sessions__person_times", filter=in_month)))
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-starts_on", "id")


def programme_get(actor: Any, programme_id: int) -> Programme:
    """The programme, if the actor sees it at all; otherwise the look is logged and answered as not found."""
    scope = scope_of(actor)
    found = Programme.objects.select_related("station", "station__street").filter(pk=programme_id).first()
    if found is None or access.sight(scope, found) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="groupwork.programme", object_id=programme_id)
        raise NotFound()
    return found


def session_get(actor: Any, session_id: int) -> Session:
    scope = scope_of(actor)
    found = (Session.objects.select_related("programme", "programme__station", "programme__station__street", "timebank_activity")
             .filter(pk=session_id).first())
    if found is None or access.sight(scope, found.programme) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="groupwork.session", object_id=session_id)
        raise NotFound()
    return found


@dataclass
class ProgrammeView:
    programme: Programme
    names: bool  # the team: members' names shown
    sessions: list[Session]
    members: list[Member]  # empty unless `names`
    member_count: int
    person_times: int
    leaders: list[Any]

    @property
    def sessions_held(self) -> int:
        return len(self.sessions)


def _users() -> QuerySet[Any]:
    return get_user_model().objects.select_related("person").order_by("id")


def programme_view(actor: Any, programme: Programme) -> ProgrammeView:
    """The programme page's data in a fixed number of queries: sessions with their workers, members with attendance
    counts (for the team only), leaders."""
    names = access.names_visible(scope_of(actor), programme)
    sessions = list(programme.sessions.prefetch_related(Prefetch("workers", queryset=_users())).order_by("number"))
    members: list[Member] = []
    if names:
        members = list(programme.members.select_related("person", "person__division")
                       .annotate(sessions_attended=Count("attendance")).order_by("person__real_name", "id"))
        beneficiaries = set(Person.objects.filter(pk__in=[m.person_id for m in members], beneficiary__station_id=programme.station_id)
                            .values_list("pk", flat=True))
        back = returns(members)
        for m in members:
            m.is_beneficiary = m.person_id in beneficiaries  # type: ignore[attr-defined]
            m.returned = m.pk in back  # type: ignore[attr-defined]
    return ProgrammeView(programme=programme, names=names, sessions=sessions, members=members,
                         member_count=sum(m.left_on is None for m in members) if names
                         else programme.members.filter(left_on__isnull=True).count(),
                         person_times=sum(s.person_times for s in sessions), leaders=list(programme.leaders.order_by("id")))


def attendees(actor: Any, session: Session) -> list[Attendance] | None:
    """The members present, for the team; None for officers (they see the counts)."""
    if not access.names_visible(scope_of(actor), session.programme):
        return None
    return list(session.attendance.select_related("person", "member").order_by("person__real_name", "id"))


# --- choices for the forms ---------------------------------------------------------------------------------------------

def members_of(programme: Programme) -> QuerySet[Member]:
    """The members who may be marked present: those who have not left."""
    return programme.members.filter(left_on__isnull=True).select_related("person").order_by("person__real_name", "id")


def member_get(actor: Any, member_id: int) -> Member:
    """A member of a programme the actor sees (else a 404, the look logged)."""
    found = Member.objects.select_related("programme__station__street").filter(pk=member_id).first()
    scope = scope_of(actor)
    if found is None or access.sight(scope, found.programme) is Sight.NONE:
        access_denied(user_id=scope.user_id, object_type="groupwork.member", object_id=member_id)
        raise NotFound()
    return found


def people_to_enrol(programme: Programme, query: str = "") -> QuerySet[Person]:
    """Residents of the station's street not enrolled now (who left may come back; the station's beneficiaries first),
    capped for a phone."""
    qs = (Person.objects.filter(division__path__startswith=programme.station.street.path)
          .exclude(pk__in=programme.members.filter(left_on__isnull=True).values("person_id")).select_related("division"))
    query = query.strip()
    if query:
        qs = qs.filter(Q(real_name__icontains=query) | Q(name_initials__startswith=query.lower())
                       | Q(name_pinyin__startswith=query.lower()))
    return qs.annotate(served=Count("beneficiary", filter=Q(beneficiary__station_id=programme.station_id))).order_by(
        "-served", "real_name", "id")[:PEOPLE_CHOICES_MAX]


def timebank_activities(programme: Programme) -> QuerySet[Any]:
    from shanlian.timebank.models import Activity

    return Activity.objects.filter(station_id=programme.station_id).order_by("-id")[:PEOPLE_CHOICES_MAX]


def timebank_activity_get(activity_id: int) -> Any:
    """A time bank activity to link (the service checks it is the programme's station's)."""
    from shanlian.timebank.models import Activity

    return Activity.objects.filter(pk=activity_id).first()


def enrolable_people(programme: Programme, ids: Sequence[int], *, members_only: bool = False) -> dict[int, Person]:
    """The people among `ids` who live in the station's street (or, `members_only`, who are enrolled), by id."""
    qs = Person.objects.filter(pk__in=list(ids)).select_related("division")
    qs = qs.filter(pk__in=programme.members.values("person_id")) if members_only else qs.filter(
        division__path__startswith=programme.station.street.path)
    return {p.pk: p for p in qs}


def kind_label(kind: str) -> str:
    return str(Kind(kind).label)
