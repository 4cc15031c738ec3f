"""Reads of the project registry, the brand list and budget changes, scoped by the acting user.

Who sees which project: the staff of its area (city and district administrators, street officers), its fund's
custodian finance officers, its station's own staff (and the agency running the station), and the managers of its
lead organization. Anything else is answered as missing, and the refused look is logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied
from shanlian.core.money import Money
from shanlian.core.scoping import Role, Scope
from shanlian.orgs.models import Organization, Station
from shanlian.people.selectors import actor_scope

from .access import is_applicant_for, is_round_staff
from .models import (
    Agreement,
    BrandPlan,
    BrandStage,
    BudgetChange,
    LineCategory,
    ProgressPhoto,
    ProgressReport,
    ServiceProject,
)
from .permissions import may_propose, may_run_rounds
from .services.budget import current_lines

MAX_CHOICES = 500


def _capped(rows: QuerySet[Any], *order: str) -> QuerySet[Any]:
    """At most MAX_CHOICES rows, as a queryset a form field can still look a choice up in (not a slice)."""
    ids = list(rows.order_by(*order).values_list("pk", flat=True)[:MAX_CHOICES])
    return rows.model.objects.filter(pk__in=ids).order_by(*order)


def may_open_projects(scope: Scope) -> bool:
    """The registry's pages: round staff, and the managers of organizations (who see their own projects)."""
    return may_run_rounds(scope) or may_propose(scope)


def _require_open(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not may_open_projects(scope):
        raise PermissionDenied("not_project_staff", _("Only staff and the managers of organizations open the project registry."))
    return scope


def project_scope_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER) and scope.station_ids:
        ids = sorted(scope.station_ids)
        q |= Q(station_id__in=ids) | Q(fund__station_id__in=ids)
    for roles, paths in (((Role.STREET_OFFICER,), scope.people_paths), ((Role.CITY_ADMIN, Role.DISTRICT_ADMIN), scope.admin_paths)):
        if scope.has(*roles):
            q |= scope.path_q("fund__division__path", paths) | scope.path_q("station__street__path", paths)
    if scope.has(Role.FEDERATION_FINANCE) and scope.organization_ids:
        q |= Q(fund__custodian_id__in=sorted(scope.organization_ids))
    if scope.has(Role.ORG_MANAGER, Role.AGENCY_MANAGER) and scope.organization_ids:
        q |= Q(lead_id__in=sorted(scope.organization_ids))
    return q


def _projects(scope: Scope) -> QuerySet[ServiceProject]:
    return (ServiceProject.objects.filter(project_scope_q(scope))
            .select_related("lead", "station", "fund__division", "station__street", "agreement"))


def projects_list(*, actor: Any, area: str = "", station_id: int | None = None, origin: str = "", brand_stage: str = "",
                  status: str = "", query: str = "") -> QuerySet[ServiceProject]:
    """The registry as the actor may see it, filtered; each row with its reports' person-times and sessions."""
    scope = _require_open(actor)
    rows = _projects(scope)
    if area:
        rows = rows.filter(area=area)
    if station_id is not None:
        rows = rows.filter(Q(station_id=station_id) | Q(fund__station_id=station_id))
    if origin:
        rows = rows.filter(origin=origin)
    if brand_stage:
        rows = rows.filter(brand_stage=brand_stage)
    if status:
        rows = rows.filter(status=status)
    if query:
        rows = rows.filter(Q(title__icontains=query) | Q(lead__name__icontains=query))
    return rows.annotate(person_times=Sum("progress__person_times"), session_count=Sum("progress__sessions"),
                         report_count=Count("progress")).order_by("-starts_on", "-id")


def project_get(*, actor: Any, service_project_id: int) -> ServiceProject:
    scope = _require_open(actor)
    project = _projects(scope).filter(pk=service_project_id).first()
    if project is None:
        if ServiceProject.objects.filter(pk=service_project_id).exists():
            access_denied(user_id=scope.user_id, object_type="grants.serviceproject", object_id=service_project_id)
        raise NotFound()
    return project


@dataclass
class Totals:
    reports: int = 0
    person_times: int = 0
    sessions: int = 0
    photos: int = 0


def project_progress(project: ServiceProject) -> tuple[list[ProgressReport], Totals]:
    """The project's reports, latest first, with their photos and milestones (three queries), and the totals."""
    reports = list(ProgressReport.objects.filter(project=project).select_related("milestone", "submitted_by")
                   .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.order_by("id"))).order_by("-period_end", "-id"))
    totals = Totals(reports=len(reports), person_times=sum(r.person_times for r in reports), sessions=sum(r.sessions for r in reports),
                    photos=sum(len(r.photos.all()) for r in reports))
    return reports, totals


def photo_get(*, actor: Any, photo_id: int) -> ProgressPhoto:
    """A progress photo, seen by whoever sees its project."""
    photo = ProgressPhoto.objects.select_related("report").filter(pk=photo_id).first()
    if photo is None:
        raise NotFound()
    project_get(actor=actor, service_project_id=photo.report.project_id)
    return photo


def progress_get(*, actor: Any, progress_id: int) -> ProgressReport:
    report = ProgressReport.objects.filter(pk=progress_id).first()
    if report is None:
        raise NotFound()
    project_get(actor=actor, service_project_id=report.project_id)
    return report


def brand_list(*, actor: Any, stage: str = "", area: str = "") -> QuerySet[ServiceProject]:
    """The projects on the brand list the actor may see, each with its plans (latest year first)."""
    rows = _projects(_require_open(actor)).exclude(brand_stage=BrandStage.NONE)
    if stage:
        rows = rows.filter(brand_stage=stage)
    if area:
        rows = rows.filter(area=area)
    plans = Prefetch("brand_plans", queryset=BrandPlan.objects.order_by("-year"))
    return rows.prefetch_related(plans).order_by("brand_stage", "-brand_stage_at", "id")


def plan_get(*, actor: Any, plan_id: int) -> BrandPlan:
    plan = BrandPlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    plan.project = project_get(actor=actor, service_project_id=plan.project_id)
    return plan


# --- commissioning: what the form offers -------------------------------------------------------------------------


def station_choices(actor: Any) -> QuerySet[Station]:
    scope = actor_scope(actor)
    rows = Station.objects.select_related("street")
    if scope.is_superuser:
        return _capped(rows, "street__code").select_related("street")
    q = Q(pk__in=sorted(scope.station_ids)) if scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER) else Q(pk__in=[])
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN):
        q |= scope.path_q("street__path", scope.admin_paths)
    return _capped(rows.filter(q), "street__code").select_related("street")


def fund_choices(actor: Any) -> QuerySet[Any]:
    """Open funds whose round admin the actor is (custodian finance, area administrators) or whose station is theirs."""
    from shanlian.charity.models import CommunityFund

    scope = actor_scope(actor)
    rows = CommunityFund.objects.filter(status="open").select_related("division", "station")
    if scope.is_superuser:
        return _capped(rows, "code").select_related("division", "station")
    q = Q(pk__in=[])
    if scope.has(Role.FEDERATION_FINANCE) and scope.organization_ids:
        q |= Q(custodian_id__in=sorted(scope.organization_ids))
    if scope.has(Role.CITY_ADMIN, Role.DISTRICT_ADMIN):
        q |= scope.path_q("division__path", scope.admin_paths)
    if scope.has(Role.STATION_WORKER, Role.AGENCY_MANAGER) and scope.station_ids:
        q |= Q(station_id__in=sorted(scope.station_ids))
    return _capped(rows.filter(q), "code").select_related("division", "station")


def lead_choices(actor: Any) -> QuerySet[Organization]:
    """Organizations that may lead a commissioned project: those registered in the actor's districts or city (an
    organization is registered at a district), the station's agency, at most 500 by name."""
    scope = actor_scope(actor)
    rows = Organization.objects.all()
    if scope.is_superuser:
        return _capped(rows, "name", "id")
    q = Q(pk__in=sorted(scope.organization_ids)) | Q(stations__in=sorted(scope.station_ids))
    for path in {*scope.admin_paths, *scope.people_paths}:
        # A street's or community's staff: the organizations of its district (the path's first two parts).
        parts = [p for p in path.split("/") if p]
        q |= Q(division__path__startswith="/" + "/".join(parts[:2]) + "/")
    return _capped(rows.filter(q).distinct(), "name", "id")


# --- budgets -----------------------------------------------------------------------------------------------------


@dataclass
class BudgetRow:
    n: int
    category: str
    item: str
    budget: Money
    spent: Money | None
    quantity: str | None = None
    unit: str = ""
    unit_price: Money | None = None

    @property
    def left(self) -> Money | None:
        return None if self.spent is None else self.budget - self.spent

    @property
    def over(self) -> bool:
        return self.spent is not None and self.spent > self.budget


@dataclass
class BudgetView:
    rows: list[BudgetRow] = field(default_factory=list)
    total: Money = field(default_factory=lambda: Money(0))
    spent: Money | None = None
    changes: int = 0  # approved changes behind the budget


def lines_view(lines: list[dict[str, Any]], actuals: dict[str, str] | None = None) -> list[BudgetRow]:
    actuals = actuals or {}
    labels = dict(LineCategory.choices)
    return [BudgetRow(n=int(row["n"]), category=str(labels.get(row["category"], row["category"])), item=row["item"],
                      budget=Money(Decimal(row["amount"])),
                      spent=Money(Decimal(actuals[str(row["n"])])) if str(row["n"]) in actuals else None,
                      quantity=row.get("quantity"), unit=row.get("unit") or "",
                      unit_price=Money(Decimal(row["unit_price"])) if row.get("unit_price") else None) for row in lines]


def budget_vs_actual(agreement: Agreement) -> BudgetView:
    """The agreement's budget as last approved, line by line, beside what was spent (given with the final report)."""
    rows = lines_view(current_lines(agreement), agreement.actuals)
    spent = [r.spent for r in rows if r.spent is not None]
    return BudgetView(rows=rows, total=sum((r.budget for r in rows), Money(0)),
                      spent=sum(spent, Money(0)) if agreement.actuals else None,
                      changes=agreement.budget_changes.filter(status="approved").count())


def budget_changes_of(agreement: Agreement) -> list[BudgetChange]:
    return list(BudgetChange.objects.filter(agreement=agreement).select_related("requested_by", "decided_by").order_by("-number"))


def agreement_for_budget(*, actor: Any, agreement_id: int) -> Agreement:
    """An agreement whose budget the actor may see: its round's staff, its applicant's managers."""
    scope = actor_scope(actor)
    agreement = Agreement.objects.select_related("proposal__round__fund__division", "proposal__applicant").filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound()
    if not (is_round_staff(scope, agreement.proposal.round) or is_applicant_for(scope, agreement.proposal.applicant_id)):
        access_denied(user_id=scope.user_id, object_type="grants.agreement", object_id=agreement_id)
        raise NotFound()
    return agreement


def change_get(*, actor: Any, change_id: int) -> BudgetChange:
    change = BudgetChange.objects.select_related("agreement", "requested_by", "decided_by").filter(pk=change_id).first()
    if change is None:
        raise NotFound()
    change.agreement = agreement_for_budget(actor=actor, agreement_id=change.agreement_id)
    return change
