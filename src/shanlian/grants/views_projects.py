"""Staff pages of the project registry: the list, a project with its progress reports, the commissioning form, and
the brand list with its plans (an agreement's budget and its changes are on the agreement's pages). Every read is
a scoped selector (an object out of scope is a logged 404), every write one service, whose DomainError comes back
onto the form with its code."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, NotFound
from shanlian.core.pages import add_domain_error, paginate

from . import selectors_projects as sel
from .forms_projects import (
    BrandPlanForm,
    BrandStageForm,
    CloseForm,
    CommissionForm,
    PlanReviewForm,
    ProgressForm,
    ProjectFilterForm,
)
from .models import BrandStage, ServiceProject
from .services import projects as services


def _milestones(project: ServiceProject) -> list[Any]:
    proposal = project.proposal
    return list(proposal.milestones.order_by("n")) if proposal is not None else []


# --- the registry ------------------------------------------------------------------------------------------------


@never_cache
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    stations = sel.station_choices(request.user)
    form = ProjectFilterForm(request.GET or None, stations=stations)
    page = paginate(request, sel.projects_list(actor=request.user, **form.values()))
    may_commission = bool(sel.fund_choices(request.user)) or bool(stations)
    return render(request, "grants/projects/project_list.html", {"form": form, "page_obj": page, "may_commission": may_commission})


@never_cache
@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    sel.projects_list(actor=request.user)  # (the registry's door: refused for whoever may not open it)
    form = CommissionForm(request.POST or None, leads=sel.lead_choices(request.user), funds=sel.fund_choices(request.user),
                          stations=sel.station_choices(request.user))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = services.service_project_register(
                    actor=request.user, title=data["title"], area=data["area"], lead=data["lead"], summary=data["summary"],
                    beneficiaries=data["beneficiaries"], beneficiary_count=data["beneficiary_count"], starts_on=data["starts_on"],
                    ends_on=data["ends_on"], station=data["station"], fund=data["fund"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Registered: %(title)s.") % {"title": project.title})
                return redirect("grants:project_detail", service_project_id=project.pk)
    return render(request, "grants/projects/project_form.html", {"form": form}, status=status)


def _detail(request: HttpRequest, project: ServiceProject, forms: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    reports, totals = sel.project_progress(project)
    user = request.user
    may_report = services.may_report(user, project) and project.status == "active"
    may_decide = services.may_decide_brand(user, project)
    may_plan = services.may_plan_brand(user, project) and project.brand_stage != BrandStage.NONE
    may_close = services.may_manage(user, project) and project.agreement_id is None and project.status == "active"
    context = {
        "project": project, "reports": reports, "totals": totals,
        "plans": list(project.brand_plans.order_by("-year")),
        "progress_form": forms.get("progress") or (ProgressForm(milestones=_milestones(project)) if may_report else None),
        "brand_form": forms.get("brand") or (BrandStageForm() if may_decide else None),
        "plan_form": forms.get("plan") or (BrandPlanForm() if may_plan else None),
        "close_form": forms.get("close") or (CloseForm() if may_close else None),
    }
    return render(request, "grants/projects/project_detail.html", context, status=status)


@never_cache
@login_required
def project_detail(request: HttpRequest, service_project_id: int) -> HttpResponse:
    return _detail(request, sel.project_get(actor=request.user, service_project_id=service_project_id))


@never_cache
@login_required
def progress_new(request: HttpRequest, service_project_id: int) -> HttpResponse:
    project = sel.project_get(actor=request.user, service_project_id=service_project_id)
    form = ProgressForm(request.POST or None, request.FILES or None, milestones=_milestones(project))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.progress_report_submit(
                    actor=request.user, project=project, period_end=data["period_end"], text=data["text"],
                    person_times=data["person_times"], sessions=data["sessions"], milestone=data.get("milestone"),
                    photos=data["photos"])
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Progress reported up to %(day)s.") % {"day": data["period_end"].isoformat()})
                return redirect("grants:project_detail", service_project_id=project.pk)
    return render(request, "grants/projects/progress_form.html", {"project": project, "form": form}, status=status)


@never_cache
@login_required
def progress_photo(request: HttpRequest, photo_id: int) -> FileResponse:
    photo = sel.photo_get(actor=request.user, photo_id=photo_id)
    try:
        handle = photo.file.open("rb")
    except OSError:
        raise NotFound() from None
    return FileResponse(handle, filename=photo.name, content_type="image/png" if photo.name.lower().endswith(".png") else "image/jpeg")


@never_cache
@login_required
@require_POST
def project_brand(request: HttpRequest, service_project_id: int) -> HttpResponse:
    project = sel.project_get(actor=request.user, service_project_id=service_project_id)
    form = BrandStageForm(request.POST)
    if not form.is_valid():
        return _detail(request, project, {"brand": form}, status=400)
    stage, reason = form.cleaned_data["stage"], form.cleaned_data["reason"]
    try:
        if stage == BrandStage.CULTIVATING:
            services.brand_list_add(actor=request.user, project=project, reason=reason)
        else:
            services.brand_stage_set(actor=request.user, project=project, stage=stage, reason=reason)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, project, {"brand": form}, status=exc.status)
    messages.success(request, _("The brand list is updated."))
    return redirect("grants:project_detail", service_project_id=project.pk)


@never_cache
@login_required
@require_POST
def project_close(request: HttpRequest, service_project_id: int) -> HttpResponse:
    project = sel.project_get(actor=request.user, service_project_id=service_project_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail(request, project, {"close": form}, status=400)
    try:
        services.project_close(actor=request.user, project=project, report=form.cleaned_data["report"])
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, project, {"close": form}, status=exc.status)
    messages.success(request, _("The project is closed."))
    return redirect("grants:project_detail", service_project_id=project.pk)


# --- the brand list ----------------------------------------------------------------------------------------------


@never_cache
@login_required
def brand_list(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage", "")
    stage = stage if stage in (BrandStage.CULTIVATING, BrandStage.BRAND) else ""
    page = paginate(request, sel.brand_list(actor=request.user, stage=stage))
    return render(request, "grants/projects/brand_list.html", {"page_obj": page, "stage": stage,
                                                              "at_once": services.cultivating_at_once()})


@never_cache
@login_required
def brand_plan_new(request: HttpRequest, service_project_id: int) -> HttpResponse:
    project = sel.project_get(actor=request.user, service_project_id=service_project_id)
    form = BrandPlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                plan = services.brand_plan_save(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The cultivation plan is saved."))
                return redirect("grants:brand_plan", plan_id=plan.pk)
    return render(request, "grants/projects/plan_form.html", {"project": project, "form": form}, status=status)


@never_cache
@login_required
def brand_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = sel.plan_get(actor=request.user, plan_id=plan_id)
    project = plan.project
    may_edit = services.may_plan_brand(request.user, project) and plan.status == "active"
    may_review = services.may_decide_brand(request.user, project) and plan.status == "active"
    initial = {"year": plan.year, "goals": plan.goals, "actions": plan.actions, "owner": plan.owner, "review_on": plan.review_on}
    edit = BrandPlanForm(initial=initial, prefix="edit") if may_edit else None
    review = PlanReviewForm(prefix="review") if may_review else None
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action", "")
        try:
            if action == "review":
                review = PlanReviewForm(request.POST, prefix="review")
                if review.is_valid():
                    services.brand_plan_review(actor=request.user, plan=plan, met=review.cleaned_data["met"],
                                               note=review.cleaned_data["note"])
                    messages.success(request, _("The plan is reviewed."))
                    return redirect("grants:brand_plan", plan_id=plan.pk)
            else:
                edit = BrandPlanForm(request.POST, prefix="edit")
                if edit.is_valid():
                    services.brand_plan_save(actor=request.user, project=project, plan=plan, **edit.cleaned_data)
                    messages.success(request, _("The cultivation plan is saved."))
                    return redirect("grants:brand_plan", plan_id=plan.pk)
        except DomainError as exc:
            form = review if action == "review" else edit
            if form is None:
                raise
            add_domain_error(form, exc)
            status = exc.status
    return render(request, "grants/projects/plan_detail.html", {"plan": plan, "project": project, "edit_form": edit,
                                                               "review_form": review}, status=status)
