"""Reading the supervision calendar as the acting user may.

Who sees which task: the civil-affairs administrators of its district (and the city's), the managers of the
organization it is about, and the staff of the station its project belongs to (the station's social workers and the
agency running it). Groups of 1+N supervision: the area's administrators, the agency's managers, the supervisor and
the supervisees. Everybody else is refused the pages, and an object out of scope is answered as missing (the look
logged)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.scoping import STATION_STAFF_ROLES, Role, Scope
from shanlian.orgs.models import Organization
from shanlian.people.models import Person, RoleGrant
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import Division, Level

from .access import ADMIN_ROLES, ORG_ROLES, is_framework_admin, is_org_representative
from .models import (
    CheckRating,
    Finding,
    Rectification,
    Reminder,
    SupervisionGroup,
    SupervisionSession,
    SupervisionTask,
    TaskKind,
    TaskStatus,
)

# A period as the filters take it: a year, a month ("2026-03"), a quarter ("2026Q1") or a half ("2026H1").
PERIOD_RE = re.compile(r"[0-9]{4}(?:-(?:0[1-9]|1[0-2])|Q[1-4]|H[12])?")
GOOD = (CheckRating.EXCELLENT, CheckRating.GOOD)
REMINDER_PREFIX = "supervision:"
REMINDERS_SHOWN = 20
OVERDUE_SHOWN = 20
MAX_CHOICES = 500
OPENERS = (*ADMIN_ROLES, *ORG_ROLES, Role.STATION_WORKER)


def may_open_supervision(scope: Scope) -> bool:
    """The supervision pages: area administrators, organizations' managers, stations' social workers."""
    return scope.is_superuser or scope.has(*OPENERS)


def require_supervision(actor: Any) -> Scope:
    scope = signed_in_scope(actor)
    if not may_open_supervision(scope):
        raise PermissionDenied("not_supervision_staff", _("Only administrators, organizations' managers and station staff "
                                                          "open the supervision calendar."))
    return scope


def district_id_of(path: str) -> int | None:
    """The district a division path lies in ("/city/district/street/" → district): None for the city itself."""
    parts = [p for p in path.split("/") if p]
    return int(parts[1]) if len(parts) >= 2 else None


# --- tasks ---------------------------------------------------------------------------------------------------------

def task_scope_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(*ADMIN_ROLES):
        q |= scope.path_q("region__path", scope.admin_paths)
    if scope.has(*ORG_ROLES) and scope.organization_ids:
        q |= Q(organization_id__in=sorted(scope.organization_ids))
    if scope.has(*STATION_STAFF_ROLES) and scope.station_ids:
        ids = sorted(scope.station_ids)
        q |= Q(project__station_id__in=ids) | Q(project__fund__station_id__in=ids)
    return q


def is_task_doer(scope: Scope, task: SupervisionTask) -> bool:
    """A spot-check is done by its district's administrators (or the city's); a self-check and a self-assessment by
    the organization's managers."""
    if task.kind == TaskKind.SPOT_CHECK:
        return is_framework_admin(scope, task.region)
    return is_org_representative(scope, task.organization_id)


def may_rectify(scope: Scope, task: SupervisionTask) -> bool:
    """A rectification is closed by the organization that puts it right, or by the district's administrators."""
    return is_org_representative(scope, task.organization_id) or is_framework_admin(scope, task.region)


def _tasks(scope: Scope) -> QuerySet[SupervisionTask]:
    return (SupervisionTask.objects.filter(task_scope_q(scope))
            .select_related("project", "organization", "region", "done_by"))


def _overdue(today: dt.date) -> Q:
    return Q(status=TaskStatus.OPEN, due_on__lt=today)


def tasks_list(*, actor: Any, kind: str = "", status: str = "", period: str = "", region_id: int | None = None,
               organization_id: int | None = None, today: dt.date | None = None) -> QuerySet[SupervisionTask]:
    """The tasks the actor may see, filtered; `status` open (default order: soonest due first), overdue, done (latest
    done first) or anything else for all (latest period first). Each row knows whether it is overdue and counts its
    findings and its open rectifications."""
    scope = require_supervision(actor)
    today = today or timezone.localdate()
    rows = _tasks(scope)
    if kind in TaskKind.values:
        rows = rows.filter(kind=kind)
    if period and PERIOD_RE.fullmatch(period):
        rows = rows.filter(period__startswith=period)
    if region_id is not None:
        rows = rows.filter(region_id=region_id)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if status == "open":
        rows = rows.filter(status=TaskStatus.OPEN).order_by("due_on", "kind", "id")
    elif status == "overdue":
        rows = rows.filter(_overdue(today)).order_by("due_on", "kind", "id")
    elif status == "done":
        rows = rows.filter(status=TaskStatus.DONE).order_by("-done_at", "-id")
    else:
        rows = rows.order_by("-due_on", "kind", "id")
    return rows.annotate(
        overdue=Case(When(_overdue(today), then=Value(1)), default=Value(0), output_field=IntegerField()),
        finding_count=Count("findings", distinct=True),
        open_rectifications=Count("findings__rectifications", filter=Q(findings__rectifications__closed_on__isnull=True),
                                  distinct=True))


def task_get(*, actor: Any, supervision_task_id: int) -> SupervisionTask:
    scope = require_supervision(actor)
    task = _tasks(scope).filter(pk=supervision_task_id).first()
    if task is None:
        if SupervisionTask.objects.filter(pk=supervision_task_id).exists():
            access_denied(user_id=scope.user_id, object_type="evaluation.supervisiontask", object_id=supervision_task_id)
        raise NotFound()
    return task


def task_findings(task: SupervisionTask) -> list[Finding]:
    """The task's findings, each with its rectifications (two queries)."""
    rects = Prefetch("rectifications", queryset=Rectification.objects.select_related("closed_by").order_by("due_on", "id"))
    return list(Finding.objects.filter(task=task).select_related("created_by").prefetch_related(rects).order_by("id"))


@dataclass
class Calendar:
    open: int
    due_soon: int
    overdue: int
    done_this_year: int


def calendar_counts(*, actor: Any, soon_days: int = 7, today: dt.date | None = None) -> Calendar:
    """The figures above the calendar, in one query."""
    today = today or timezone.localdate()
    scope = require_supervision(actor)
    got = SupervisionTask.objects.filter(task_scope_q(scope)).aggregate(
        open=Count("id", filter=Q(status=TaskStatus.OPEN)),
        due_soon=Count("id", filter=Q(status=TaskStatus.OPEN, due_on__gte=today, due_on__lte=today + dt.timedelta(days=soon_days))),
        overdue=Count("id", filter=_overdue(today)),
        done=Count("id", filter=Q(status=TaskStatus.DONE, done_at__year=today.year)))
    return Calendar(open=got["open"], due_soon=got["due_soon"], overdue=got["overdue"], done_this_year=got["done"])


def reminders_unread(*, user: Any) -> list[Reminder]:
    return list(Reminder.objects.filter(user=user, key__startswith=REMINDER_PREFIX, read_at__isnull=True)
                .order_by("-created_at", "-id")[:REMINDERS_SHOWN])


# --- rectifications ------------------------------------------------------------------------------------------------

RECTIFICATION_STATUSES = ("open", "overdue", "closed", "all")


def rectifications_list(*, actor: Any, status: str = "open", today: dt.date | None = None) -> QuerySet[Rectification]:
    """The rectifications of the tasks the actor sees: open ones soonest due first (`overdue`: past their day), closed
    ones latest first."""
    scope = require_supervision(actor)
    today = today or timezone.localdate()
    rows = (Rectification.objects.filter(finding__task__in=SupervisionTask.objects.filter(task_scope_q(scope)))
            .select_related("finding__task__project", "finding__task__organization", "finding__task__region", "closed_by"))
    if status == "open":
        rows = rows.filter(closed_on__isnull=True).order_by("due_on", "id")
    elif status == "overdue":
        rows = rows.filter(closed_on__isnull=True, due_on__lt=today).order_by("due_on", "id")
    elif status == "closed":
        rows = rows.filter(closed_on__isnull=False).order_by("-closed_on", "-id")
    else:
        rows = rows.order_by("-due_on", "-id")
    return rows.annotate(late=Case(When(closed_on__isnull=True, due_on__lt=today, then=Value(1)), default=Value(0),
                                   output_field=IntegerField()))


def rectification_get(*, actor: Any, rectification_id: int) -> Rectification:
    found = Rectification.objects.select_related("finding__task").filter(pk=rectification_id).first()
    if found is None:
        raise NotFound()
    found.finding.task = task_get(actor=actor, supervision_task_id=found.finding.task_id)
    return found


# --- the good-or-better rate (优良率) ------------------------------------------------------------------------------

@dataclass
class RateRow:
    """One row of the dashboard: a district, an organization or a year, with its checks."""

    key: Any
    name: str
    total: int
    rated: int
    good: int
    overdue: int

    @property
    def rate(self) -> Decimal | None:
        """Checks rated good or excellent, as a share of those rated, in percent (one decimal)."""
        if not self.rated:
            return None
        return (Decimal(self.good) * 100 / self.rated).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


RATE_BY = ("district", "organization", "year")


def _rate_rows(rows: QuerySet[Any], key: str, name: str, today: dt.date) -> list[RateRow]:
    got = rows.annotate(
        n_total=Count("id"), n_rated=Count("id", filter=Q(status=TaskStatus.DONE)),
        n_good=Count("id", filter=Q(status=TaskStatus.DONE, rating__in=GOOD)), n_overdue=Count("id", filter=_overdue(today)))
    return [RateRow(key=r[key], name=str(r[name]), total=r["n_total"], rated=r["n_rated"], good=r["n_good"], overdue=r["n_overdue"])
            for r in got]


def rates(*, actor: Any, by: str, year: int | None = None, kind: str = "", region_id: int | None = None,
          organization_id: int | None = None, today: dt.date | None = None) -> list[RateRow]:
    """The good-or-better rate of the checks the actor sees, by district, organization or year (of the period
    checked), with the overdue ones; one query."""
    scope = require_supervision(actor)
    today = today or timezone.localdate()
    rows = SupervisionTask.objects.filter(task_scope_q(scope))
    if year is not None:
        rows = rows.filter(period__startswith=f"{year:04d}")
    if kind in TaskKind.values:
        rows = rows.filter(kind=kind)
    if region_id is not None:
        rows = rows.filter(region_id=region_id)
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    if by == "district":
        return _rate_rows(rows.values("region_id", "region__name", "region__code").order_by("region__code"),
                          "region_id", "region__name", today)
    if by == "organization":
        return _rate_rows(rows.values("organization_id", "organization__name").order_by("organization__name", "organization_id"),
                          "organization_id", "organization__name", today)
    years = rows.annotate(year=Substr("period", 1, 4)).values("year").order_by("year")
    return _rate_rows(years, "year", "year", today)


def rate_total(rows: list[RateRow], name: str = "") -> RateRow:
    return RateRow(key=None, name=name, total=sum(r.total for r in rows), rated=sum(r.rated for r in rows),
                   good=sum(r.good for r in rows), overdue=sum(r.overdue for r in rows))


def overdue_tasks(*, actor: Any, year: int | None = None, kind: str = "", region_id: int | None = None,
                  organization_id: int | None = None, today: dt.date | None = None) -> list[SupervisionTask]:
    """The longest-overdue checks in the selection (at most OVERDUE_SHOWN)."""
    today = today or timezone.localdate()
    rows = tasks_list(actor=actor, kind=kind, status="overdue", region_id=region_id, organization_id=organization_id, today=today)
    if year is not None:
        rows = rows.filter(period__startswith=f"{year:04d}")
    return list(rows[:OVERDUE_SHOWN])


def rate_years(*, actor: Any) -> list[int]:
    """The years with checks the actor sees, latest first (this year at least)."""
    scope = require_supervision(actor)
    got = (SupervisionTask.objects.filter(task_scope_q(scope)).annotate(year=Substr("period", 1, 4)).values_list("year", flat=True)
           .distinct().order_by("-year"))
    years = {int(y) for y in got if y and y.isdigit()} | {timezone.localdate().year}
    return sorted(years, reverse=True)


def region_in_view(*, actor: Any, region_id: int | None) -> Division | None:
    """A district the dashboard drills into (one the actor sees tasks of), or None."""
    if region_id is None:
        return None
    scope = require_supervision(actor)
    if not SupervisionTask.objects.filter(task_scope_q(scope), region_id=region_id).exists():
        raise NotFound()
    return Division.objects.filter(pk=region_id, level=Level.DISTRICT).first()


def organization_in_view(*, actor: Any, organization_id: int | None) -> Organization | None:
    if organization_id is None:
        return None
    scope = require_supervision(actor)
    if not SupervisionTask.objects.filter(task_scope_q(scope), organization_id=organization_id).exists():
        raise NotFound()
    return Organization.objects.filter(pk=organization_id).first()


# --- 1+N supervision groups ----------------------------------------------------------------------------------------

def staff_user_ids_q(organization_id: int) -> Q:
    """Who works for an agency, as the records say: its managers, and the social workers of the stations it runs (a
    login with a live role there)."""
    return (Q(role__in=ORG_ROLES, organization_id=organization_id) | Q(role=Role.STATION_WORKER, station__agency_id=organization_id))


def agency_staff_users(organization: Organization) -> QuerySet[Any]:
    ids = RoleGrant.objects.filter(staff_user_ids_q(organization.pk), revoked_at__isnull=True, user__is_active=True).values("user_id")
    return get_user_model().objects.filter(pk__in=ids).select_related("person").order_by("first_name", "username", "id")


def agency_staff_people(organization: Organization) -> QuerySet[Person]:
    ids = RoleGrant.objects.filter(staff_user_ids_q(organization.pk), revoked_at__isnull=True, user__is_active=True).values("user_id")
    return Person.objects.filter(user_id__in=ids).order_by("real_name", "id")


def is_group_manager(scope: Scope, organization: Organization) -> bool:
    """A group is formed, changed and ended by the agency's managers, or by the administrators of where it is registered."""
    return is_org_representative(scope, organization.pk) or is_framework_admin(scope, organization.division)


def may_log_session(scope: Scope, group: SupervisionGroup) -> bool:
    return scope.is_superuser or group.supervisor_id == scope.user_id or is_org_representative(scope, group.organization_id)


def group_scope_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    q = Q(supervisor_id=scope.user_id)
    if scope.person_id is not None:
        q |= Q(members__id=scope.person_id)
    if scope.has(*ADMIN_ROLES):
        q |= scope.path_q("organization__division__path", scope.admin_paths)
    if scope.has(*ORG_ROLES) and scope.organization_ids:
        q |= Q(organization_id__in=sorted(scope.organization_ids))
    return q


def _groups(scope: Scope) -> QuerySet[SupervisionGroup]:
    ids = SupervisionGroup.objects.filter(group_scope_q(scope)).values("pk")
    return SupervisionGroup.objects.filter(pk__in=ids).select_related("organization__division", "supervisor__person")


def groups_list(*, actor: Any, year: int, organization_id: int | None = None) -> QuerySet[SupervisionGroup]:
    """The groups the actor sees, each with its members, and its sessions and person-times in `year`."""
    rows = _groups(require_supervision(actor))
    if organization_id is not None:
        rows = rows.filter(organization_id=organization_id)
    held = (SupervisionSession.objects.filter(group=OuterRef("pk"), held_on__year=year).order_by().values("group")
            .annotate(n=Count("id"), pt=Sum("attendees")))
    return rows.annotate(
        member_count=Count("members", distinct=True),
        session_count=Coalesce(Subquery(held.values("n")), 0),
        person_times=Coalesce(Subquery(held.values("pt")), 0),
    ).order_by("organization__name", "name", "id")


def group_get(*, actor: Any, supervision_group_id: int) -> SupervisionGroup:
    scope = require_supervision(actor)
    group = _groups(scope).filter(pk=supervision_group_id).first()
    if group is None:
        if SupervisionGroup.objects.filter(pk=supervision_group_id).exists():
            access_denied(user_id=scope.user_id, object_type="evaluation.supervisiongroup", object_id=supervision_group_id)
        raise NotFound()
    return group


@dataclass
class YearTotal:
    year: int
    sessions: int
    person_times: int


def group_years(group: SupervisionGroup) -> list[YearTotal]:
    """Sessions and person-times of the group by year, latest first."""
    got = (SupervisionSession.objects.filter(group=group).values("held_on__year").annotate(n=Count("id"), pt=Sum("attendees"))
           .order_by("-held_on__year"))
    return [YearTotal(year=r["held_on__year"], sessions=r["n"], person_times=r["pt"] or 0) for r in got]


def group_sessions(group: SupervisionGroup, *, year: int | None = None) -> list[SupervisionSession]:
    rows = SupervisionSession.objects.filter(group=group).select_related("recorded_by")
    if year is not None:
        rows = rows.filter(held_on__year=year)
    return list(rows.order_by("-held_on", "-id")[:400])


def group_agency_choices(actor: Any) -> QuerySet[Organization]:
    """The agencies the actor may form groups for: their own (managers), those registered in their area (administrators)."""
    scope = require_supervision(actor)
    rows = Organization.objects.filter(is_agency=True).select_related("division")
    if not scope.is_superuser:
        q = Q(pk__in=sorted(scope.organization_ids)) if scope.has(*ORG_ROLES) else Q(pk__in=[])
        if scope.has(*ADMIN_ROLES):
            q |= scope.path_q("division__path", scope.admin_paths)
        rows = rows.filter(q)
    ids = list(rows.order_by("name", "id").values_list("pk", flat=True)[:MAX_CHOICES])
    return Organization.objects.filter(pk__in=ids).select_related("division").order_by("name", "id")
