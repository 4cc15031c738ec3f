"""The supervision data for other systems and a mini-program, under the same scopes as the pages: the calendar's tasks
(listed, read, completed with findings and rectifications), the rectifications (listed, closed), the 1+N supervision
groups and their sessions, and the good-or-better rate (优良率) by district, organization or year.

Who sees which task: its district's administrators (and the city's), its organization's managers, the staff of its
project's station; anything else is a 404. Dates are ISO days; times ISO 8601 in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.orgs.models import Organization

from . import selectors_supervision as sel
from .models import Finding, Rectification, SupervisionGroup, SupervisionSession, SupervisionTask, TaskStatus
from .services import supervision as services
from .services import supervision_groups as group_services

router = Router(tags=["evaluation"])

Id = Annotated[int, Field(ge=1, le=999_999_999_999_999_999)]
Kind = Literal["self_check", "spot_check", "self_assessment"]
PERIOD = r"^[0-9]{4}(-(0[1-9]|1[0-2])|Q[1-4]|H[12])?$"


def local_iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(timezone.get_default_timezone()).isoformat() if value is not None else None


class SupervisionRef(Schema):
    id: int
    name: str


class TaskOut(Schema):
    id: int
    kind: str = Field(..., description="self_check (monthly, per project), spot_check (quarterly sample of a district's "
                                       "projects) or self_assessment (half-yearly, per agency).")
    period: str = Field(..., description="2026-03, 2026Q1 or 2026H1.")
    due_on: dt.date
    status: str = Field(..., description="open or done.")
    overdue: bool = Field(..., description="Open and past its due day.")
    rating: str = Field(..., description="excellent, good, fair or poor once done; empty before.")
    satisfaction: Decimal | None = Field(None, description="A project's check: the project's satisfaction rate (0–1) of the "
                                                           "year when it was done; none while its surveys are too few.")
    note: str
    project: SupervisionRef | None = Field(..., description="The project checked (none for an agency's self-assessment).")
    organization: SupervisionRef
    region: SupervisionRef = Field(..., description="The district.")
    done_at: str | None
    done_by: str | None
    finding_count: int
    open_rectifications: int


class TaskPage(PageOut):
    results: list[TaskOut]


class RectificationOut(Schema):
    id: int
    action: str
    owner: str
    due_on: dt.date
    closed_on: dt.date | None
    closing_note: str
    overdue: bool


class FindingOut(Schema):
    id: int
    text: str
    severity: str = Field(..., description="minor or major.")
    rectifications: list[RectificationOut]


class TaskDetailOut(TaskOut):
    period_first: dt.date
    period_last: dt.date
    findings: list[FindingOut]


class TaskFilter(PageIn):
    status: Literal["open", "overdue", "done", "all"] = Field("open", description="open: soonest due first; done: latest "
                                                                                 "first; all: latest period first.")
    kind: Kind | None = None
    period: str | None = Field(None, max_length=7, pattern=PERIOD, description="A year, a month, a quarter or a half year.")
    region_id: Id | None = None
    organization_id: Id | None = None


class RectificationIn(Schema):
    action: str = Field(..., max_length=300)
    owner: str = Field(..., max_length=32)
    due_on: dt.date


class FindingIn(Schema):
    text: str = Field(..., max_length=500)
    severity: Literal["minor", "major"] = "minor"
    rectification: RectificationIn | None = Field(None, description="Needed for a major finding.")


class CompleteIn(Schema):
    rating: Literal["excellent", "good", "fair", "poor"]
    note: str = Field("", max_length=2000)
    findings: list[FindingIn] = Field(default_factory=list, max_length=services.FINDINGS_MAX,
                                      description="A fair or poor rating names at least one.")


class RectificationItemOut(RectificationOut):
    finding: str
    severity: str
    task_id: int
    task_kind: str
    task_period: str
    subject: str
    organization: SupervisionRef


class RectificationPage(PageOut):
    results: list[RectificationItemOut]


class RectificationFilter(PageIn):
    status: Literal["open", "overdue", "closed", "all"] = "open"


class RectificationCloseIn(Schema):
    note: str = Field(..., max_length=500, description="What was done.")
    closed_on: dt.date | None = Field(None, description="Today if not given.")


class GroupOut(Schema):
    id: int
    name: str
    organization: SupervisionRef
    supervisor: SupervisionRef
    members: list[SupervisionRef]
    started_on: dt.date
    ended_on: dt.date | None
    sessions: int = Field(..., description="Sessions in the year asked for.")
    person_times: int = Field(..., description="Person-times (人次) in the year asked for.")


class GroupPage(PageOut):
    results: list[GroupOut]


class GroupFilter(PageIn):
    year: int | None = Field(None, ge=2000, le=2100, description="This year if not given.")
    organization_id: Id | None = None


class SessionOut(Schema):
    id: int
    held_on: dt.date
    topic: str
    attendees: int = Field(..., description="Person-times.")
    note: str


class YearOut(Schema):
    year: int
    sessions: int
    person_times: int


class GroupDetailOut(GroupOut):
    years: list[YearOut]
    session_list: list[SessionOut] = Field(..., description="The sessions of the year asked for, latest first.")


class GroupIn(Schema):
    organization_id: Id
    name: str = Field(..., max_length=64)
    supervisor_id: Id = Field(..., description="A user working for the agency (its managers, its stations' social workers).")
    member_ids: list[Id] = Field(..., min_length=1, max_length=group_services.MEMBERS_MAX, description="Persons of the agency.")
    started_on: dt.date


class SessionIn(Schema):
    held_on: dt.date
    topic: str = Field(..., max_length=128)
    attendees: int = Field(..., ge=1, le=group_services.ATTENDEES_MAX, description="Person-times.")
    note: str = Field("", max_length=2000)


class RateOut(Schema):
    key: str
    name: str
    total: int = Field(..., description="Checks in the selection.")
    rated: int = Field(..., description="Checks done (each rated).")
    good: int = Field(..., description="Rated good or excellent.")
    overdue: int
    rate: Decimal | None = Field(..., description="good / rated, in percent, one decimal; none when nothing is rated.")


class RatesOut(Schema):
    by: str
    rows: list[RateOut]
    total: RateOut


class RatesFilter(Schema):
    by: Literal["district", "organization", "year"] = "district"
    year: int | None = Field(None, ge=2000, le=2100)
    kind: Kind | None = None
    region_id: Id | None = None
    organization_id: Id | None = None


def _ref(obj: Any, name: str = "name") -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, name)}


def _user_name(user: Any) -> str | None:
    return None if user is None else (user.first_name or user.username)


def task_out(t: SupervisionTask, today: dt.date) -> dict[str, Any]:
    return {"id": t.pk, "kind": t.kind, "period": t.period, "due_on": t.due_on, "status": t.status,
            "overdue": t.status == TaskStatus.OPEN and t.due_on < today, "rating": t.rating,
            "satisfaction": t.satisfaction, "note": t.note,
            "project": _ref(t.project, "title"), "organization": _ref(t.organization), "region": _ref(t.region),
            "done_at": local_iso(t.done_at), "done_by": _user_name(t.done_by),
            "finding_count": getattr(t, "finding_count", 0), "open_rectifications": getattr(t, "open_rectifications", 0)}


def rectification_out(r: Rectification, today: dt.date) -> dict[str, Any]:
    return {"id": r.pk, "action": r.action, "owner": r.owner, "due_on": r.due_on, "closed_on": r.closed_on,
            "closing_note": r.closing_note, "overdue": r.closed_on is None and r.due_on < today}


def _detail(t: SupervisionTask) -> dict[str, Any]:
    today = timezone.localdate()
    found: list[Finding] = sel.task_findings(t)
    period = services.period_of(t)
    return {**task_out(t, today), "finding_count": len(found),
            "open_rectifications": sum(1 for f in found for r in f.rectifications.all() if r.closed_on is None),
            "period_first": period.first, "period_last": period.last,
            "findings": [{"id": f.pk, "text": f.text, "severity": f.severity,
                          "rectifications": [rectification_out(r, today) for r in f.rectifications.all()]} for f in found]}


def rectification_item(r: Rectification, today: dt.date) -> dict[str, Any]:
    t = r.finding.task
    return {**rectification_out(r, today), "finding": r.finding.text, "severity": r.finding.severity, "task_id": t.pk,
            "task_kind": t.kind, "task_period": t.period, "subject": t.project.title if t.project else t.organization.name,
            "organization": _ref(t.organization)}


def group_out(g: SupervisionGroup, members: list[Any]) -> dict[str, Any]:
    return {"id": g.pk, "name": g.name, "organization": _ref(g.organization),
            "supervisor": {"id": g.supervisor_id, "name": _user_name(g.supervisor)},
            "members": [{"id": p.pk, "name": p.real_name} for p in members], "started_on": g.started_on, "ended_on": g.ended_on,
            "sessions": getattr(g, "session_count", 0) or 0, "person_times": getattr(g, "person_times", 0) or 0}


def session_out(s: SupervisionSession) -> dict[str, Any]:
    return {"id": s.pk, "held_on": s.held_on, "topic": s.topic, "attendees": s.attendees, "note": s.note}


def _group_detail(request: ApiRequest, group_id: int, year: int | None = None) -> dict[str, Any]:
    year = year or timezone.localdate().year
    group = sel.groups_list(actor=request.auth, year=year).filter(pk=group_id).first()
    if group is None:
        group = sel.group_get(actor=request.auth, supervision_group_id=group_id)  # (refused, or not found)
    return {**group_out(group, list(group.members.order_by("real_name", "id"))),
            "years": [{"year": y.year, "sessions": y.sessions, "person_times": y.person_times} for y in sel.group_years(group)],
            "session_list": [session_out(s) for s in sel.group_sessions(group, year=year)]}


# --- tasks ---------------------------------------------------------------------------------------------------------

@router.get("/supervision/tasks", response={200: TaskPage, **errors(400, 401, 403)}, summary="Supervision tasks")
def supervision_tasks_index(request: ApiRequest, filters: Query[TaskFilter]) -> Any:
    """The tasks the caller sees (to do by default, soonest due first), each marked overdue when open past its day."""
    rows = sel.tasks_list(actor=request.auth, kind=filters.kind or "", status=filters.status, period=filters.period or "",
                          region_id=filters.region_id, organization_id=filters.organization_id)
    page = paginate(rows, filters)
    today = timezone.localdate()
    page["results"] = [task_out(t, today) for t in page["results"]]
    return page


@router.get("/supervision/tasks/{id:supervision_task_id}", response={200: TaskDetailOut, **errors(401, 403, 404)},
            summary="One supervision task with its findings")
def supervision_task_detail(request: ApiRequest, supervision_task_id: int) -> Any:
    return _detail(sel.task_get(actor=request.auth, supervision_task_id=supervision_task_id))


@router.post("/supervision/tasks/{id:supervision_task_id}/complete", response={200: TaskDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Complete a supervision task")
def supervision_task_complete(request: ApiRequest, supervision_task_id: int, payload: CompleteIn) -> Any:
    """The rating, a note and the findings, each with its rectification (a major finding needs one). A spot-check is
    completed by the district's administrators, the others by the organization's managers; once done, sending it again
    changes nothing."""
    task = sel.task_get(actor=request.auth, supervision_task_id=supervision_task_id)
    findings = [{"text": f.text, "severity": f.severity,
                 "rectification": f.rectification.model_dump() if f.rectification is not None else None} for f in payload.findings]
    services.task_complete(actor=request.auth, task=task, rating=payload.rating, note=payload.note, findings=findings)
    return _detail(sel.task_get(actor=request.auth, supervision_task_id=supervision_task_id))


# --- rectifications ------------------------------------------------------------------------------------------------

@router.get("/supervision/rectifications", response={200: RectificationPage, **errors(400, 401, 403)},
            summary="Rectifications of the checks")
def supervision_rectifications_index(request: ApiRequest, filters: Query[RectificationFilter]) -> Any:
    page = paginate(sel.rectifications_list(actor=request.auth, status=filters.status), filters)
    today = timezone.localdate()
    page["results"] = [rectification_item(r, today) for r in page["results"]]
    return page


@router.post("/supervision/rectifications/{id:rectification_id}/close", response={200: RectificationItemOut, **errors(400, 401, 403, 404)},
             summary="Close a rectification")
def supervision_rectification_close(request: ApiRequest, rectification_id: int, payload: RectificationCloseIn) -> Any:
    """By the organization's managers or the district's administrators, with what was done; closed once."""
    found = sel.rectification_get(actor=request.auth, rectification_id=rectification_id)
    services.rectification_close(actor=request.auth, rectification=found, note=payload.note, closed_on=payload.closed_on)
    again = sel.rectifications_list(actor=request.auth, status="all").filter(pk=found.pk).first()
    return rectification_item(again or found, timezone.localdate())


# --- 1+N supervision groups ----------------------------------------------------------------------------------------

@router.get("/supervision/groups", response={200: GroupPage, **errors(400, 401, 403)}, summary="1+N supervision groups")
def supervision_groups_index(request: ApiRequest, filters: Query[GroupFilter]) -> Any:
    """The groups the caller sees, with their sessions and person-times in the year."""
    rows = sel.groups_list(actor=request.auth, year=filters.year or timezone.localdate().year,
                           organization_id=filters.organization_id).prefetch_related("members")
    page = paginate(rows, filters)
    page["results"] = [group_out(g, sorted(g.members.all(), key=lambda p: (p.real_name, p.pk))) for g in page["results"]]
    return page


@router.post("/supervision/groups", response={201: GroupDetailOut, **errors(400, 401, 403)}, summary="Form a 1+N supervision group")
def supervision_groups_create(request: ApiRequest, payload: GroupIn) -> Any:
    """By the agency's managers or the administrators of where it is registered."""
    sel.require_supervision(request.auth)
    agency = Organization.objects.select_related("division").filter(pk=payload.organization_id).first()
    if agency is None:
        raise field_error("organization_id", "unknown_organization", _("No such organization."))
    group = group_services.supervision_group_create(actor=request.auth, organization=agency, name=payload.name,
                                                    supervisor=payload.supervisor_id, members=payload.member_ids,
                                                    started_on=payload.started_on)
    return Status(201, _group_detail(request, group.pk))


@router.get("/supervision/groups/{id:supervision_group_id}", response={200: GroupDetailOut, **errors(400, 401, 403, 404)},
            summary="One group with its sessions")
def supervision_group_detail(request: ApiRequest, supervision_group_id: int, year: int | None = Query(None, ge=2000, le=2100)) -> Any:
    return _group_detail(request, supervision_group_id, year)


@router.post("/supervision/groups/{id:supervision_group_id}/sessions", response={201: SessionOut, **errors(400, 401, 403, 404, 409)},
             summary="Log a supervision session")
def supervision_session_create(request: ApiRequest, supervision_group_id: int, payload: SessionIn) -> Any:
    """By the group's supervisor or the agency's managers; the same day and topic again is the same session."""
    group = sel.group_get(actor=request.auth, supervision_group_id=supervision_group_id)
    made = group_services.supervision_session_log(actor=request.auth, group=group, held_on=payload.held_on, topic=payload.topic,
                                                  attendees=payload.attendees, note=payload.note)
    return Status(201, session_out(made))


# --- the rate ------------------------------------------------------------------------------------------------------

def _rate(r: sel.RateRow) -> dict[str, Any]:
    return {"key": str(r.key) if r.key is not None else "", "name": r.name, "total": r.total, "rated": r.rated, "good": r.good,
            "overdue": r.overdue, "rate": r.rate}


@router.get("/supervision/rates", response={200: RatesOut, **errors(400, 401, 403)}, summary="The good-or-better rate (优良率)")
def supervision_rates(request: ApiRequest, filters: Query[RatesFilter]) -> Any:
    """The share of rated checks rated good or excellent, by district, organization or year of the period checked, with
    the overdue checks, over the checks the caller sees."""
    rows = sel.rates(actor=request.auth, by=filters.by, year=filters.year, kind=filters.kind or "", region_id=filters.region_id,
                     organization_id=filters.organization_id)
    return {"by": filters.by, "rows": [_rate(r) for r in rows], "total": _rate(sel.rate_total(rows, str(_("Total"))))}
