"""The API of the project registry (mounted at /api/grants): the staff's registry, commissioning a project, progress
reports, and the brand list. Who sees which project is the pages' rule (`selectors_projects`): the staff of its area,
fund and station, and its lead organization's managers; anything else is a 404. Every write is one projects service.
(An agreement's budget changes are on the agreements operations.) Photos are sent with the page's form only.

Dates are ISO days; times ISO 8601 in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.charity.models import CommunityFund, Purpose
from shanlian.core.errors import field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.orgs.models import Organization, Station

from . import selectors_projects as sel
from .models import BrandPlan, ProgressReport, ServiceProject
from .services import projects as services

router = Router(tags=["grants"])

Id = Annotated[int, Field(ge=1, le=999_999_999_999_999_999)]
Area = Literal["general", "elderly", "hardship", "children", "disability", "education", "governance", "emergency"]
assert set(Area.__args__) == set(Purpose.values)  # type: ignore[attr-defined]


def local_iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(timezone.get_default_timezone()).isoformat() if value is not None else None


class Ref(Schema):
    id: int
    name: str


class PlanOut(Schema):
    id: int
    year: int
    goals: str
    actions: str
    owner: str
    review_on: dt.date
    status: str
    review_note: str


class ProjectOut(Schema):
    id: int
    title: str
    area: str = Field(..., description="The service area (the station's \"113X\" field), a charity purpose.")
    origin: str = Field(..., description="round, commissioned or contest.")
    status: str
    brand_stage: str = Field(..., description="none, cultivating or brand.")
    lead: Ref
    station: Ref | None
    fund: Ref | None
    agreement_id: int | None
    proposal_id: int | None
    summary: str
    beneficiaries: str
    beneficiary_count: int
    starts_on: dt.date
    ends_on: dt.date
    person_times: int = Field(0, description="Person-times (人次) over its progress reports.")
    sessions: int = Field(0, description="Sessions (场次) over its progress reports.")


class ProjectPage(PageOut):
    results: list[ProjectOut]


class BrandOut(ProjectOut):
    brand_stage_at: str | None
    plans: list[PlanOut]


class BrandPage(PageOut):
    results: list[BrandOut]


class ProjectFilter(PageIn):
    area: Area | None = None
    station_id: Id | None = None
    origin: Literal["round", "commissioned", "contest"] | None = None
    brand_stage: Literal["none", "cultivating", "brand"] | None = None
    status: Literal["active", "closed"] | None = None
    q: str | None = Field(None, max_length=64, description="In the title or the lead organization's name.")


class BrandFilter(PageIn):
    stage: Literal["cultivating", "brand"] | None = None
    area: Area | None = None


class ProjectIn(Schema):
    title: str = Field(..., max_length=64)
    area: Area
    lead_id: Id
    fund_code: str | None = Field(None, max_length=40, description="The fund paying for it (its station is the project's).")
    station_id: Id | None = None
    summary: str = Field(..., max_length=services.SUMMARY_MAX)
    beneficiaries: str = Field(..., max_length=200)
    beneficiary_count: int = Field(..., ge=1, le=services.MAX_BENEFICIARIES)
    starts_on: dt.date
    ends_on: dt.date


class ProgressIn(Schema):
    period_end: dt.date
    text: str = Field(..., max_length=services.REPORT_MAX)
    person_times: int = Field(..., ge=0, le=services.MAX_PERSON_TIMES)
    sessions: int = Field(..., ge=0, le=services.MAX_SESSIONS)
    milestone: int | None = Field(None, ge=1, le=32767, description="The number of the proposal's milestone reached, if any.")


class ProgressOut(Schema):
    id: int
    project_id: int
    period_end: dt.date
    text: str
    person_times: int
    sessions: int
    milestone: int | None
    photos: int
    submitted_at: str | None


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def project_out(p: ServiceProject) -> dict[str, Any]:
    return {
        "id": p.pk, "title": p.title, "area": p.area, "origin": p.origin, "status": p.status, "brand_stage": p.brand_stage,
        "lead": _ref(p.lead), "station": _ref(p.station), "fund": _ref(p.fund), "agreement_id": p.agreement_id,
        "proposal_id": p.proposal_id, "summary": p.summary, "beneficiaries": p.beneficiaries,
        "beneficiary_count": p.beneficiary_count, "starts_on": p.starts_on, "ends_on": p.ends_on,
        "person_times": getattr(p, "person_times", None) or 0, "sessions": getattr(p, "session_count", None) or 0,
    }


def plan_out(plan: BrandPlan) -> dict[str, Any]:
    return {"id": plan.pk, "year": plan.year, "goals": plan.goals, "actions": plan.actions, "owner": plan.owner,
            "review_on": plan.review_on, "status": plan.status, "review_note": plan.review_note}


@router.get("/manage/projects", response={200: ProjectPage, **errors(400, 401, 403)}, summary="The project registry you work with")
def projects_index(request: ApiRequest, filters: Query[ProjectFilter]) -> Any:
    """The projects of the caller's area, fund and station (staff), or of their organization (its managers)."""
    rows = sel.projects_list(actor=request.auth, area=filters.area or "", station_id=filters.station_id, origin=filters.origin or "",
                             brand_stage=filters.brand_stage or "", status=filters.status or "", query=(filters.q or "").strip())
    page = paginate(rows, filters)
    page["results"] = [project_out(p) for p in page["results"]]
    return page


@router.post("/manage/projects", response={201: ProjectOut, **errors(400, 401, 403, 404)}, summary="Register a commissioned project")
def projects_create(request: ApiRequest, payload: ProjectIn) -> Any:
    """A project commissioned directly by a fund's round administrators (name `fund_code`) or a station's staff (name
    `station_id`)."""
    sel.projects_list(actor=request.auth)  # (the registry's door)
    lead = Organization.objects.filter(pk=payload.lead_id).first()
    if lead is None:
        raise field_error("lead_id", "unknown_lead", _("No such organization."))
    fund = None
    if payload.fund_code:
        fund = CommunityFund.objects.select_related("division").filter(code=payload.fund_code).first()
        if fund is None:
            raise field_error("fund_code", "unknown_fund", _("No such fund."))
    station = None
    if payload.station_id is not None:
        station = Station.objects.filter(pk=payload.station_id).first()
        if station is None:
            raise field_error("station_id", "unknown_station", _("No such station."))
    project = services.service_project_register(
        actor=request.auth, title=payload.title, area=payload.area, lead=lead, summary=payload.summary,
        beneficiaries=payload.beneficiaries, beneficiary_count=payload.beneficiary_count, starts_on=payload.starts_on,
        ends_on=payload.ends_on, station=station, fund=fund)
    return Status(201, project_out(sel.project_get(actor=request.auth, service_project_id=project.pk)))


@router.post("/manage/projects/{id:service_project_id}/progress", response={201: ProgressOut, **errors(400, 401, 403, 404, 409)},
             summary="Report a project's progress")
def progress_create(request: ApiRequest, service_project_id: int, payload: ProgressIn) -> Any:
    """The lead organization's managers or the project's staff: what was done up to a day, person-times and sessions,
    and the milestone reached (for a project from a proposal). One report per day reported to."""
    project = sel.project_get(actor=request.auth, service_project_id=service_project_id)
    report: ProgressReport = services.progress_report_submit(
        actor=request.auth, project=project, period_end=payload.period_end, text=payload.text, person_times=payload.person_times,
        sessions=payload.sessions, milestone=payload.milestone)
    return Status(201, {"id": report.pk, "project_id": project.pk, "period_end": report.period_end, "text": report.text,
                        "person_times": report.person_times, "sessions": report.sessions,
                        "milestone": report.milestone.n if report.milestone is not None else None, "photos": 0,
                        "submitted_at": local_iso(report.submitted_at)})


@router.get("/manage/brand", response={200: BrandPage, **errors(400, 401, 403)}, summary="The brand list with its plans")
def brand_index(request: ApiRequest, filters: Query[BrandFilter]) -> Any:
    """Projects being cultivated or already brand projects, as the caller may see them, each with its yearly plans."""
    page = paginate(sel.brand_list(actor=request.auth, stage=filters.stage or "", area=filters.area or ""), filters)
    page["results"] = [{**project_out(p), "brand_stage_at": local_iso(p.brand_stage_at),
                        "plans": [plan_out(plan) for plan in p.brand_plans.all()]} for p in page["results"]]
    return page
