"""The registry of service projects (社区慈善服务项目) and the brand list (品牌服务项目).

A project enters the registry three ways: a round's agreement coming into force (`project_from_agreement`, called by
`agreement_sign`), a fund or station commissioning it directly (`service_project_register`), or a design contest
choosing it (`contest_winners_register`). Its lead organization's managers and its station's staff report progress
(person-times, sessions, photos). The brand list follows the pilot's rule "成熟一个培育一个": a station (or, for a
project without one, a fund) cultivates a limited number of projects at a time (GRANTS_BRAND_CULTIVATING, one by
default), and takes on the next as one matures into a brand.

Who decides what (a design choice, written once here):
- registering, closing and reporting as staff: the fund's round admins (its custodian's finance officers, the area's
  administrators) and the station's own staff;
- reporting progress: also the lead organization's managers;
- the brand list (adding, promoting to brand, taking off): the area's city or district administrators and the
  fund's custodian, who also judge the projects; not the station, whose own projects they are;
- a brand project's yearly cultivation plan: those deciders and the station's staff, who carry it out.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.charity.models import CommunityFund, Purpose
from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, int_in, model_text, text_in
from shanlian.core.scoping import Role, Scope
from shanlian.core.uploads import sha256_of, stored_name, upload_in
from shanlian.orgs.models import Organization, Station

from ..access import is_applicant_for, require_round_admin, require_round_staff, scope_of
from ..models import (
    Agreement,
    BrandPlan,
    BrandPlanStatus,
    BrandStage,
    GrantRound,
    ProgressPhoto,
    ProgressReport,
    ProjectOrigin,
    ProjectStatus,
    Proposal,
    ProposalStatus,
    Result,
    RoundKind,
    ServiceProject,
)
from .rounds import round_create

SUMMARY_MAX = 2000
REPORT_MAX = 5000
PLAN_TEXT_MAX = 2000
MAX_BENEFICIARIES = 1_000_000
MAX_PERSON_TIMES = 1_000_000
MAX_SESSIONS = 100_000
NAME_MAX = 200  # ProgressPhoto.name
MAX_YEARS = 5
MAX_PHOTOS = 9
PHOTO_TYPES = (".jpg", ".jpeg", ".png")
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def cultivating_at_once() -> int:
    return int(settings.SHANLIAN["GRANTS_BRAND_CULTIVATING"])


# --- who may -----------------------------------------------------------------------------------------------------


def area_path(project: ServiceProject) -> str:
    """The division the project serves: its fund's street or community, else its station's street."""
    if project.fund is not None:
        return project.fund.division.path
    assert project.station is not None
    return project.station.street.path


def is_fund_admin(actor: Any, fund: CommunityFund | None) -> bool:
    if fund is None:
        return False
    try:
        require_round_admin(actor, fund)
    except PermissionDenied:
        return False
    return True


def _station_staff(scope: Scope, project: ServiceProject) -> bool:
    stations = {project.station_id, project.fund.station_id if project.fund is not None else None}
    return any(scope.is_station_staff(s) for s in stations if s is not None)


def may_manage(actor: Any, project: ServiceProject) -> bool:
    """Register, close, and report as staff: the fund's round admins and the station's own staff."""
    scope = scope_of(actor) if getattr(actor, "is_authenticated", False) else None
    return scope is not None and (is_fund_admin(actor, project.fund) or _station_staff(scope, project))


def may_report(actor: Any, project: ServiceProject) -> bool:
    """Progress reports: the lead organization's managers, and the staff who manage the project."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return is_applicant_for(scope_of(actor), project.lead_id) or may_manage(actor, project)


def may_decide_brand(actor: Any, project: ServiceProject) -> bool:
    """The brand list: city and district administrators of the project's area, the fund's custodian finance."""
    if not getattr(actor, "is_authenticated", False):
        return False
    scope = scope_of(actor)
    if scope.is_superuser:
        return True
    if project.fund is not None and scope.has(Role.FEDERATION_FINANCE) and project.fund.custodian_id in scope.organization_ids:
        return True
    return scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN) and scope.covers_path(area_path(project), scope.admin_paths)


def may_plan_brand(actor: Any, project: ServiceProject) -> bool:
    if not getattr(actor, "is_authenticated", False):
        return False
    return may_decide_brand(actor, project) or _station_staff(scope_of(actor), project)


def _require(allowed: bool, code: str, message: Any) -> None:
    if not allowed:
        raise PermissionDenied(code, message)


# --- what is typed -----------------------------------------------------------------------------------------------


def _date_in(value: Any, *, field: str, far: bool = False) -> date:
    """A day (or its ISO form); `far`: a planned day, bounded by its period rather than by next year's end."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise field_error(field, "invalid_date", _("Enter a date, e.g. 2027-03-01."))
    return date_window(value, field=field, latest=date(9999, 12, 31) if far else None)


def _area_in(value: Any) -> str:
    if value not in Purpose.values:
        raise field_error("area", "invalid_area", _("Choose one of the listed service areas."))
    return str(value)


def _locked(project: ServiceProject) -> ServiceProject:
    return (ServiceProject.objects.select_for_update(of=("self",)).select_related("fund__division", "station__street", "agreement")
            .get(pk=project.pk))


# --- entering the registry ---------------------------------------------------------------------------------------


def main_area(proposal: Proposal, fund: CommunityFund) -> str:
    """A funded proposal's service area: a restricted fund's purpose, else the category most of the needs it answers
    fall under (on a tie, the need named first), else general."""
    if fund.restricted:
        return fund.purpose
    categories = list(proposal.needs.order_by("id").values_list("category", flat=True))
    if not categories:
        return Purpose.GENERAL
    counted = Counter(categories)
    top = max(counted.values())
    return next(c for c in categories if counted[c] == top)


def project_from_agreement(*, actor: Any, agreement: Agreement, area: str | None = None) -> ServiceProject:
    """The registry's entry of an agreement that came into force (called by `agreement_sign` once the fund signs):
    lead = the applicant, the round's fund and its station, period and beneficiaries from the proposal. A contest
    winner registered before keeps its entry and gains the agreement. Once per agreement."""
    existing = ServiceProject.objects.filter(agreement=agreement).first()
    if existing is not None:
        return existing
    proposal = agreement.proposal
    round = proposal.round
    fund = round.fund
    chosen = _area_in(area) if area is not None else main_area(proposal, fund)
    contest = ServiceProject.objects.select_for_update().filter(proposal=proposal).first()
    if contest is not None:
        contest.agreement = agreement
        contest.save(update_fields=["agreement"])
        audit_log(actor=actor, action="grants.project.agreement", obj=contest, after={"agreement": agreement.pk})
        return contest
    project = ServiceProject.objects.create(
        title=proposal.title, area=chosen, origin=ProjectOrigin.CONTEST if round.kind == RoundKind.DESIGN_CONTEST else ProjectOrigin.ROUND,
        agreement=agreement, proposal=proposal, lead_id=proposal.applicant_id, station_id=fund.station_id, fund=fund,
        summary=proposal.summary, beneficiaries=proposal.beneficiaries, beneficiary_count=proposal.beneficiary_count,
        starts_on=proposal.starts_on, ends_on=proposal.ends_on, created_by=actor)
    audit_log(actor=actor, action="grants.project.register", obj=project,
              after={"origin": project.origin, "agreement": agreement.pk, "area": chosen})
    return project


def project_close_with_agreement(*, actor: Any, agreement: Agreement) -> None:
    """An agreement's closing closes its registry entry (called by `agreement_close`), with its final report."""
    project = ServiceProject.objects.select_for_update().filter(agreement=agreement).first()
    if project is None or project.status == ProjectStatus.CLOSED:
        return
    project.status, project.closed_at, project.closing_report = ProjectStatus.CLOSED, timezone.now(), agreement.final_report
    project.save(update_fields=["status", "closed_at", "closing_report"])
    audit_log(actor=actor, action="grants.project.close", obj=project, after={"agreement": agreement.pk})


@transaction.atomic
def service_project_register(
    *, actor: Any, title: str, area: str, lead: Organization, summary: str, beneficiaries: str, beneficiary_count: Any,
    starts_on: date | str, ends_on: date | str, station: Station | None = None, fund: CommunityFund | None = None,
) -> ServiceProject:
    """A project commissioned directly (委托实施): by a fund's round admins (the fund's station, if any, is the
    project's) or by a station's own staff."""
    scope = scope_of(actor)
    if fund is None and station is None:
        raise field_error("station", "station_or_fund", _("Name the station or the fund the project belongs to."))
    if fund is not None and station is not None and fund.station_id not in (None, station.pk):
        raise field_error("station", "station_not_funds", _("This fund belongs to another station."))
    station_id = station.pk if station is not None else (fund.station_id if fund is not None else None)
    allowed = is_fund_admin(actor, fund) or (station_id is not None and scope.is_station_staff(station_id))
    _require(allowed, "not_project_staff", _("Only the fund's custodian, the area's administrators or the station's staff "
                                             "may register a project."))
    if fund is not None and fund.status != "open":
        raise field_error("fund", "fund_closed", _("This fund is closed."))
    checks = Checks()
    values: dict[str, Any] = {
        "title": checks(model_text, ServiceProject, "title", title, required=True),
        "area": checks(_area_in, area),
        "summary": checks(text_in, summary, field="summary", max_length=SUMMARY_MAX, required=True, multiline=True),
        "beneficiaries": checks(model_text, ServiceProject, "beneficiaries", beneficiaries, required=True),
        "beneficiary_count": checks(int_in, beneficiary_count, field="beneficiary_count", minimum=1, maximum=MAX_BENEFICIARIES),
    }
    start = checks(_date_in, starts_on, field="starts_on")
    end = checks(_date_in, ends_on, field="ends_on", far=True)
    if start is not None and end is not None:
        if end < start:
            checks.failed.append(field_error("ends_on", "period_reversed", _("The project cannot end before it starts.")))
        elif (end - start).days > 366 * MAX_YEARS:
            checks.failed.append(field_error("ends_on", "period_too_long", lazy_format(
                _("A project runs at most %(years)s years."), {"years": MAX_YEARS})))
    if not isinstance(lead, Organization):
        checks.failed.append(field_error("lead", "invalid_lead", _("Choose the lead organization.")))
    checks.done()
    project = ServiceProject(origin=ProjectOrigin.COMMISSIONED, lead=lead, station_id=station_id, fund=fund, starts_on=start,
                             ends_on=end, created_by=actor, **values)
    project.full_clean(validate_constraints=False)
    project.save()
    audit_log(actor=actor, action="grants.project.register", obj=project, after={
        "origin": project.origin, "area": project.area, "lead": lead.pk, "station": station_id,
        "fund": fund.pk if fund is not None else None})
    return project


@transaction.atomic
def project_close(*, actor: Any, project: ServiceProject, report: str) -> ServiceProject:
    """Close a project that has no agreement (commissioned, or a contest's without one), with its closing report; one
    with an agreement closes with it (`agreement_close`)."""
    locked = _locked(project)
    _require(may_manage(actor, locked), "not_project_staff", _("Only the project's fund or station may close it."))
    text = text_in(report, field="report", max_length=REPORT_MAX, required=True, multiline=True)
    if locked.agreement_id is not None and locked.status != ProjectStatus.CLOSED:
        raise Conflict("closes_with_agreement", _("This project closes with its grant agreement."))
    if locked.status == ProjectStatus.CLOSED:
        return locked
    locked.status, locked.closed_at, locked.closing_report = ProjectStatus.CLOSED, timezone.now(), text
    locked.save(update_fields=["status", "closed_at", "closing_report"])
    audit_log(actor=actor, action="grants.project.close", obj=locked, before={"status": ProjectStatus.ACTIVE},
              after={"status": ProjectStatus.CLOSED})
    return locked


# --- progress ----------------------------------------------------------------------------------------------------


def _photos_in(photos: Any) -> list[UploadedFile]:
    if photos is None:
        return []
    if not isinstance(photos, list | tuple):
        raise field_error("photos", "invalid_photos", _("Expected uploaded photos."))
    if len(photos) > MAX_PHOTOS:
        raise field_error("photos", "too_many_photos", lazy_format(_("At most %(max)s photos a report."), {"max": MAX_PHOTOS}))
    out = []
    for upload in photos:
        upload = upload_in(upload, field="photos")
        head = upload.read(8)
        upload.seek(0)
        if not (upload.name or "").lower().endswith(PHOTO_TYPES) or not head.startswith(PHOTO_MAGIC):
            raise field_error("photos", "photo_type", _("Photos are JPEG or PNG images."))
        out.append(upload)
    return out


@transaction.atomic
def progress_report_submit(*, actor: Any, project: ServiceProject, period_end: date | str, text: str, person_times: Any,
                           sessions: Any, milestone: int | None = None, photos: list[UploadedFile] | None = None) -> ProgressReport:
    """What the project did up to a day: the story, person-times (人次) and sessions (场次) served, the milestone of
    its proposal it reached (if any), and up to nine photos. One report per day reported to."""
    locked = _locked(project)
    _require(may_report(actor, locked), "not_project_reporter", _("Only the lead organization's managers or the project's "
                                                                  "station staff report progress."))
    if locked.status != ProjectStatus.ACTIVE:
        raise Conflict("project_closed", _("This project is closed."))
    checks = Checks()
    day = checks(_date_in, period_end, field="period_end")
    story = checks(text_in, text, field="text", max_length=REPORT_MAX, required=True, multiline=True)
    times = checks(int_in, person_times, field="person_times", minimum=0, maximum=MAX_PERSON_TIMES)
    count = checks(int_in, sessions, field="sessions", minimum=0, maximum=MAX_SESSIONS)
    uploads = checks(_photos_in, photos)
    found = None
    if milestone is not None:
        proposal = locked.proposal
        found = (proposal.milestones.filter(n=milestone).first()
                 if proposal is not None and isinstance(milestone, int) and not isinstance(milestone, bool) else None)
        if found is None:
            checks.failed.append(field_error("milestone", "unknown_milestone", lazy_format(
                _("The project's proposal has no milestone %(n)s."), {"n": str(milestone)[:10]})))
    if day is not None and not locked.starts_on <= day <= min(locked.ends_on, timezone.localdate()):
        checks.failed.append(field_error("period_end", "period_end_outside", _(
            "Report up to a day within the project's period, and not after today.")))
    checks.done()
    if ProgressReport.objects.filter(project=locked, period_end=day).exists():
        raise Conflict("progress_exists", _("There is already a report up to that day."))
    try:
        with transaction.atomic():
            report = ProgressReport.objects.create(project=locked, period_end=day, text=story, person_times=times, sessions=count,
                                                   milestone=found, submitted_by=actor)
    except IntegrityError:
        raise Conflict("progress_exists", _("There is already a report up to that day.")) from None
    for upload in uploads:
        name = stored_name(upload.name, NAME_MAX)
        ProgressPhoto.objects.create(report=report, file=upload, name=name, sha256=sha256_of(upload), uploaded_by=actor)
    audit_log(actor=actor, action="grants.progress.submit", obj=report, after={
        "project": locked.pk, "period_end": day.isoformat(), "person_times": times, "sessions": count,
        "milestone": found.n if found is not None else None, "photos": len(uploads)})
    return report


# --- the brand list ----------------------------------------------------------------------------------------------


def _cultivating_beside(project: ServiceProject) -> list[ServiceProject]:
    rows = ServiceProject.objects.filter(brand_stage=BrandStage.CULTIVATING).exclude(pk=project.pk)
    rows = rows.filter(station_id=project.station_id) if project.station_id is not None else rows.filter(fund_id=project.fund_id)
    return list(rows.order_by("id"))


@transaction.atomic
def brand_list_add(*, actor: Any, project: ServiceProject, reason: str) -> ServiceProject:
    """Put a project on the brand list, to be cultivated (培育): while the station (or fund) has room, by the pilot's
    rule "成熟一个培育一个" (the next is taken on as one matures)."""
    locked = _locked(project)
    _require(may_decide_brand(actor, locked), "not_brand_decider", _("Only the area's administrators or the fund's custodian "
                                                                     "decide the brand list."))
    reason = text_in(reason, field="reason", max_length=200, required=True)
    if locked.brand_stage == BrandStage.CULTIVATING:
        return locked
    if locked.brand_stage == BrandStage.BRAND:
        raise Conflict("already_brand", _("This project is already a brand project."))
    if locked.status != ProjectStatus.ACTIVE:
        raise Conflict("project_closed", _("This project is closed."))
    others = _cultivating_beside(locked)
    if len(others) >= cultivating_at_once():
        raise Conflict("brand_slot_taken", lazy_format(
            _("One project at a time is cultivated here (成熟一个培育一个): %(title)s first matures into a brand or leaves the list."),
            {"title": others[0].title}))
    return _stage(actor, locked, BrandStage.CULTIVATING, reason)


@transaction.atomic
def brand_stage_set(*, actor: Any, project: ServiceProject, stage: str, reason: str) -> ServiceProject:
    """Move a project on the list: a cultivated project matures into a brand project, or a project leaves the list
    ("none"), each with the reason."""
    locked = _locked(project)
    _require(may_decide_brand(actor, locked), "not_brand_decider", _("Only the area's administrators or the fund's custodian "
                                                                     "decide the brand list."))
    if stage not in (BrandStage.BRAND, BrandStage.NONE):
        raise field_error("stage", "invalid_stage", _("A project on the list becomes a brand project or leaves the list."))
    reason = text_in(reason, field="reason", max_length=200, required=True)
    if locked.brand_stage == stage:
        return locked
    if stage == BrandStage.BRAND and locked.brand_stage != BrandStage.CULTIVATING:
        raise Conflict("not_cultivated", _("A project becomes a brand project after it has been cultivated."))
    return _stage(actor, locked, stage, reason)


def _stage(actor: Any, locked: ServiceProject, stage: str, reason: str) -> ServiceProject:
    before = locked.brand_stage
    locked.brand_stage, locked.brand_stage_at = stage, timezone.now()
    locked.save(update_fields=["brand_stage", "brand_stage_at"])
    audit_log(actor=actor, action="grants.brand.stage", obj=locked, before={"brand_stage": before},
              after={"brand_stage": stage, "reason": reason})
    return locked


@transaction.atomic
def brand_plan_save(*, actor: Any, project: ServiceProject, year: Any, goals: str, actions: str, owner: str,
                    review_on: date | str, plan: BrandPlan | None = None) -> BrandPlan:
    """A year's cultivation plan of a project on the brand list, new or changed while it is being carried out."""
    locked = _locked(project)
    _require(may_plan_brand(actor, locked), "not_brand_planner", _("Only the area's administrators, the fund's custodian or "
                                                                   "the station's staff plan a brand project's cultivation."))
    if locked.brand_stage == BrandStage.NONE:
        raise Conflict("not_on_brand_list", _("Only a project on the brand list has a cultivation plan."))
    checks = Checks()
    values: dict[str, Any] = {
        "year": checks(int_in, year, field="year", minimum=2000, maximum=2100),
        "goals": checks(text_in, goals, field="goals", max_length=PLAN_TEXT_MAX, required=True, multiline=True),
        "actions": checks(text_in, actions, field="actions", max_length=PLAN_TEXT_MAX, required=True, multiline=True),
        "owner": checks(model_text, BrandPlan, "owner", owner, required=True),
        "review_on": checks(_date_in, review_on, field="review_on", far=True),
    }
    year, day = values["year"], values["review_on"]
    if year is not None and day is not None and day.year not in (year, year + 1):
        checks.failed.append(field_error("review_on", "review_outside_year", _("The plan is reviewed in its year or early the next.")))
    checks.done()
    if plan is not None:
        target = BrandPlan.objects.select_for_update().get(pk=plan.pk)
        if target.project_id != locked.pk:
            raise field_error("plan", "plan_other_project", _("This plan belongs to another project."))
        if target.status != BrandPlanStatus.ACTIVE:
            raise Conflict("plan_reviewed", _("This plan has been reviewed; it no longer changes."))
    else:
        target = BrandPlan(project=locked)
    if BrandPlan.objects.filter(project=locked, year=values["year"]).exclude(pk=target.pk).exists():
        raise field_error("year", "plan_year_taken", _("The project already has a plan for that year."))
    for name, value in values.items():
        setattr(target, name, value)
    target.saved_by = actor
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError:
        raise field_error("year", "plan_year_taken", _("The project already has a plan for that year.")) from None
    audit_log(actor=actor, action="grants.brand_plan.save", obj=target, after={
        "project": locked.pk, "year": values["year"], "owner": values["owner"], "review_on": values["review_on"].isoformat()})
    return target


@transaction.atomic
def brand_plan_review(*, actor: Any, plan: BrandPlan, met: bool, note: str) -> BrandPlan:
    """On its review date or after, the deciders say whether the plan's goals were met, and how."""
    project = _locked(plan.project)
    _require(may_decide_brand(actor, project), "not_brand_decider", _("Only the area's administrators or the fund's custodian "
                                                                      "decide the brand list."))
    if not isinstance(met, bool):
        raise field_error("met", "invalid_choice", _("Say whether the goals were met."))
    note = model_text(BrandPlan, "review_note", note, field="note", required=True)
    locked = BrandPlan.objects.select_for_update().get(pk=plan.pk)
    to = BrandPlanStatus.MET if met else BrandPlanStatus.NOT_MET
    if locked.status == to:
        return locked
    if locked.status != BrandPlanStatus.ACTIVE:
        raise Conflict("plan_reviewed", _("This plan has been reviewed; it no longer changes."))
    if timezone.localdate() < locked.review_on:
        raise Conflict("review_not_due", lazy_format(_("The plan is reviewed from %(day)s."), {"day": locked.review_on.isoformat()}))
    locked.status, locked.review_note, locked.saved_by = to, note, actor
    locked.save(update_fields=["status", "review_note", "saved_by", "saved_at"])
    audit_log(actor=actor, action="grants.brand_plan.review", obj=locked, after={"status": to, "note": note})
    return locked


# --- the design contest ------------------------------------------------------------------------------------------


@transaction.atomic
def contest_create(*, actor: Any, fund: CommunityFund, title: str, year: int, budget: Any,
                   phases: dict[str, tuple[datetime, datetime]], **settings_: Any) -> GrantRound:
    """A yearly project design contest (项目设计大赛): a round made by `round_create`, with every phase but the
    resident vote, so the experts' score alone decides (the combined rule at weight 1), marked as a contest."""
    if "vote" in phases:
        raise field_error("phases", "contest_has_no_vote", _("A design contest has no resident vote."))
    for name in ("rule", "expert_weight", "ballot_kind", "points", "min_choices", "max_choices", "knapsack"):
        if name in settings_:
            raise field_error(name, "contest_fixed", _("A design contest is decided by the experts' score alone."))
    round = round_create(actor=actor, fund=fund, title=title, year=year, budget=budget, phases=phases, rule="combined",
                         expert_weight="1", **settings_)
    round.kind = RoundKind.DESIGN_CONTEST
    round.save(update_fields=["kind"])
    audit_log(actor=actor, action="grants.round.contest", obj=round, after={"kind": round.kind})
    return round


@transaction.atomic
def contest_winners_register(*, actor: Any, round: GrantRound, area: str | None = None) -> list[ServiceProject]:
    """The contest's winners (its funded proposals, once allocated) enter the registry as "contest" projects; those
    already there stay as they are. Run by the round's staff; again, it returns the same projects."""
    require_round_staff(actor, round)
    locked = GrantRound.objects.select_for_update(of=("self",)).select_related("fund").get(pk=round.pk)
    if locked.kind != RoundKind.DESIGN_CONTEST:
        raise Conflict("not_a_contest", _("Only a design contest's winners are registered so."))
    if area is not None:
        _area_in(area)
    won = list(Result.objects.filter(round=locked, funded=True, proposal__status=ProposalStatus.FUNDED)
               .select_related("proposal").order_by("rank"))
    if not Result.objects.filter(round=locked).exists():
        raise Conflict("no_results", _("The contest has no results yet."))
    have = {p.proposal_id: p for p in ServiceProject.objects.filter(proposal__in=[r.proposal for r in won])}
    out: list[ServiceProject] = []
    made: list[int] = []
    for result in won:
        proposal = result.proposal
        if proposal.pk in have:
            out.append(have[proposal.pk])
            continue
        project = ServiceProject.objects.create(
            title=proposal.title, area=area or main_area(proposal, locked.fund), origin=ProjectOrigin.CONTEST, proposal=proposal,
            lead_id=proposal.applicant_id, station_id=locked.fund.station_id, fund=locked.fund, summary=proposal.summary,
            beneficiaries=proposal.beneficiaries, beneficiary_count=proposal.beneficiary_count, starts_on=proposal.starts_on,
            ends_on=proposal.ends_on, created_by=actor)
        made.append(project.pk)
        out.append(project)
    audit_log(actor=actor, action="grants.contest.register", obj=locked, after={"projects": made})
    return out
