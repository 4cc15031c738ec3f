"""The supervision pages: the calendar of tasks (the acting user's, filtered; overdue ones marked), a task with its
completion form, findings and rectifications, the rectifications to close, the 1+N supervision groups and their
sessions, and the dashboard of the good-or-better rate (优良率) by district, organization and year. Thin: each parses,
calls one service or selector, and renders; a refusal comes back onto its form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.inputs import id_param
from shanlian.core.pages import paginate, submit
from shanlian.people.selectors import actor_scope

from . import selectors_supervision as sel
from .forms_supervision import (
    RECTIFICATION_TABS,
    TASK_STATUSES,
    AgencyForm,
    CloseForm,
    CompleteForm,
    DashboardForm,
    FindingFormSet,
    GroupEditForm,
    GroupEndForm,
    GroupForm,
    SessionForm,
    TaskFilterForm,
    add_findings_error,
    findings_from,
)
from .models import SupervisionGroup, SupervisionTask, TaskStatus
from .services import supervision as services
from .services import supervision_groups as group_services

# --- the calendar --------------------------------------------------------------------------------------------------


@never_cache
@login_required
def supervision_tasks(request: HttpRequest) -> HttpResponse:
    form = TaskFilterForm(request.GET or None)
    values = form.values()
    page = paginate(request, sel.tasks_list(actor=request.user, **values))
    return render(request, "evaluation/supervision/tasks.html", {
        "form": form, "page_obj": page, "status": values["status"], "tabs": TASK_STATUSES,
        "counts": sel.calendar_counts(actor=request.user), "reminders": sel.reminders_unread(user=request.user),
        "filtered": values["region_id"] is not None or values["organization_id"] is not None})


@never_cache
@login_required
@require_POST
def supervision_reminders_read(request: HttpRequest) -> HttpResponse:
    sel.require_supervision(request.user)
    services.reminders_read(actor=request.user)
    return redirect("evaluation:supervision_tasks")


# --- a task --------------------------------------------------------------------------------------------------------


def _task_page(request: HttpRequest, task: SupervisionTask, *, form: CompleteForm | None = None, findings: Any = None,
               close: dict[int, CloseForm] | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    today = timezone.localdate()
    period = services.period_of(task)
    may_complete = task.status == TaskStatus.OPEN and sel.is_task_doer(scope, task) and today >= period.first
    may_rectify = sel.may_rectify(scope, task)
    found = sel.task_findings(task)
    close = close or {}
    rows = [(f, [(r, close.get(r.pk) or (CloseForm(prefix=f"close{r.pk}") if may_rectify and r.closed_on is None else None))
                 for r in f.rectifications.all()]) for f in found]
    return render(request, "evaluation/supervision/task.html", {
        "task": task, "period": period, "today": today, "findings": rows,
        "overdue": task.status == TaskStatus.OPEN and task.due_on < today,
        "starts_later": task.status == TaskStatus.OPEN and today < period.first,
        "form": form or (CompleteForm() if may_complete else None),
        "findings_formset": findings or (FindingFormSet(prefix="findings") if may_complete else None)}, status=status)


@never_cache
@login_required
def supervision_task(request: HttpRequest, supervision_task_id: int) -> HttpResponse:
    task = sel.task_get(actor=request.user, supervision_task_id=supervision_task_id)
    if request.method != "POST":
        return _task_page(request, task)
    form = CompleteForm(request.POST)
    findings = FindingFormSet(request.POST, prefix="findings")
    if not (form.is_valid() and findings.is_valid()):
        return _task_page(request, task, form=form, findings=findings, status=400)
    given, rows = findings_from(findings)
    try:
        services.task_complete(actor=request.user, task=task, rating=form.cleaned_data["rating"], note=form.cleaned_data["note"],
                               findings=given)
    except DomainError as exc:
        add_findings_error(form, findings, rows, exc)
        return _task_page(request, task, form=form, findings=findings, status=exc.status)
    messages.success(request, _("The check is recorded."))
    return redirect("evaluation:supervision_task", supervision_task_id=task.pk)


@never_cache
@login_required
@require_POST
def supervision_rectification_close(request: HttpRequest, rectification_id: int) -> HttpResponse:
    found = sel.rectification_get(actor=request.user, rectification_id=rectification_id)
    task = found.finding.task
    form = CloseForm(request.POST, prefix=f"close{found.pk}")
    done = submit(form, lambda d: services.rectification_close(actor=request.user, rectification=found, note=d["note"],
                                                                 closed_on=d["closed_on"]))
    if done.ok:
        messages.success(request, _("The rectification is closed."))
        return redirect("evaluation:supervision_task", supervision_task_id=task.pk)
    return _task_page(request, task, close={found.pk: form}, status=done.status)


# --- rectifications ------------------------------------------------------------------------------------------------


@never_cache
@login_required
def supervision_rectifications(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in sel.RECTIFICATION_STATUSES else "open"
    page = paginate(request, sel.rectifications_list(actor=request.user, status=status))
    return render(request, "evaluation/supervision/rectifications.html", {
        "page_obj": page, "status": status, "tabs": list(RECTIFICATION_TABS.items())})


# --- the dashboard -------------------------------------------------------------------------------------------------


@never_cache
@login_required
def supervision_dashboard(request: HttpRequest) -> HttpResponse:
    years = sel.rate_years(actor=request.user)
    form = DashboardForm(request.GET or None, years=years)
    v = form.values()
    region = sel.region_in_view(actor=request.user, region_id=v["region_id"])
    org = sel.organization_in_view(actor=request.user, organization_id=v["organization_id"])
    where = {"kind": v["kind"], "region_id": region.pk if region else None, "organization_id": org.pk if org else None}
    by = "year" if org else ("organization" if region else "district")
    rows = sel.rates(actor=request.user, by=by, year=v["year"], **where)
    trend = sel.rates(actor=request.user, by="year", **where) if by != "year" else rows
    total = sel.rate_total(rows, _("Total"))
    chart = {"names": [r.name for r in rows], "rates": [float(r.rate) if r.rate is not None else None for r in rows],
             "rated": [r.rated for r in rows], "overdue": [r.overdue for r in rows],
             "years": [r.name for r in trend], "trend": [float(r.rate) if r.rate is not None else None for r in trend],
             "labels": {"rate": _("Good or better (%)"), "rated": _("Rated checks"), "overdue": _("Overdue")}}
    return render(request, "evaluation/supervision/dashboard.html", {
        "form": form, "year": v["year"], "kind": v["kind"], "region": region, "org": org, "by": by, "rows": rows, "total": total,
        "trend": trend, "overdue": sel.overdue_tasks(actor=request.user, year=v["year"], **where), "chart": chart,
        "has_chart": any(r.rated for r in rows)})


# --- 1+N supervision groups ----------------------------------------------------------------------------------------


def _year(request: HttpRequest) -> int:
    raw = id_param(request.GET.get("year"))
    today = timezone.localdate()
    return raw if raw is not None and 2000 <= raw <= today.year + 1 else today.year


@never_cache
@login_required
def supervision_groups(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    page = paginate(request, sel.groups_list(actor=request.user, year=year))
    return render(request, "evaluation/supervision/groups.html", {
        "page_obj": page, "year": year, "years": list(range(timezone.localdate().year, timezone.localdate().year - 5, -1)),
        "may_form": sel.group_agency_choices(request.user).exists()})


@never_cache
@login_required
def supervision_group_new(request: HttpRequest) -> HttpResponse:
    agencies = sel.group_agency_choices(request.user)
    if not agencies.exists():
        raise PermissionDenied("not_group_manager", _("A supervision group is formed by the agency's managers or the "
                                                      "administrators of where it is registered."))
    only = agencies.first() if agencies.count() == 1 else None
    pick = AgencyForm(request.GET or None, agencies=agencies)
    agency = only or (pick.cleaned_data["organization"] if pick.is_bound and pick.is_valid() else None)
    if agency is None:
        return render(request, "evaluation/supervision/group_new.html", {"pick": pick, "form": None, "agency": None})
    form = GroupForm(request.POST or None, users=sel.agency_staff_users(agency), people=sel.agency_staff_people(agency))
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: group_services.supervision_group_create(
            actor=request.user, organization=agency, name=d["name"], supervisor=d["supervisor"], members=list(d["members"]),
            started_on=d["started_on"]))
        if (made := done.value) is not None:
            messages.success(request, _("The group %(name)s is formed.") % {"name": made.name})
            return redirect("evaluation:supervision_group", supervision_group_id=made.pk)
        status = done.status
    return render(request, "evaluation/supervision/group_new.html", {"pick": None if only else pick, "form": form, "agency": agency},
                  status=status)


def _supervisees(group: SupervisionGroup) -> Any:
    """Who may be a supervisee of the group: the agency's social workers but its supervisor."""
    return sel.agency_staff_people(group.organization).exclude(user_id=group.supervisor_id)


def _group_page(request: HttpRequest, group: SupervisionGroup, forms: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    forms = forms or {}
    manager = sel.is_group_manager(scope, group.organization) and group.ended_on is None
    may_log = sel.may_log_session(scope, group) and group.ended_on is None
    years = sel.group_years(group)
    year = _year(request)
    return render(request, "evaluation/supervision/group.html", {
        "group": group, "members": list(group.members.order_by("real_name", "id")), "years": years, "year": year,
        "sessions": sel.group_sessions(group, year=year),
        "session_form": forms.get("session") or (SessionForm() if may_log else None),
        "edit_form": forms.get("edit") or (GroupEditForm(people=_supervisees(group), initial={
            "name": group.name, "members": list(group.members.values_list("pk", flat=True))}) if manager else None),
        "end_form": forms.get("end") or (GroupEndForm(initial={"ended_on": timezone.localdate()}) if manager else None)},
        status=status)


@never_cache
@login_required
def supervision_group(request: HttpRequest, supervision_group_id: int) -> HttpResponse:
    group = sel.group_get(actor=request.user, supervision_group_id=supervision_group_id)
    if request.method != "POST":
        return _group_page(request, group)
    form = SessionForm(request.POST)
    done = submit(form, lambda d: group_services.supervision_session_log(
        actor=request.user, group=group, held_on=d["held_on"], topic=d["topic"], attendees=d["attendees"], note=d["note"]))
    if done.ok:
        messages.success(request, _("The session is logged."))
        return redirect("evaluation:supervision_group", supervision_group_id=group.pk)
    return _group_page(request, group, {"session": form}, status=done.status)


@never_cache
@login_required
@require_POST
def supervision_group_edit(request: HttpRequest, supervision_group_id: int) -> HttpResponse:
    group = sel.group_get(actor=request.user, supervision_group_id=supervision_group_id)
    form = GroupEditForm(request.POST, people=_supervisees(group))
    done = submit(form, lambda d: group_services.supervision_group_update(actor=request.user, group=group, name=d["name"],
                                                                          members=list(d["members"])))
    if done.ok:
        messages.success(request, _("The group is updated."))
        return redirect("evaluation:supervision_group", supervision_group_id=group.pk)
    return _group_page(request, group, {"edit": form}, status=done.status)


@never_cache
@login_required
@require_POST
def supervision_group_end(request: HttpRequest, supervision_group_id: int) -> HttpResponse:
    group = sel.group_get(actor=request.user, supervision_group_id=supervision_group_id)
    form = GroupEndForm(request.POST)
    done = submit(form, lambda d: group_services.supervision_group_end(actor=request.user, group=group, ended_on=d["ended_on"]))
    if done.ok:
        messages.success(request, _("The group has ended."))
        return redirect("evaluation:supervision_group", supervision_group_id=group.pk)
    return _group_page(request, group, {"end": form}, status=done.status)

