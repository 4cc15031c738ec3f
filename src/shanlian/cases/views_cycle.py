"""The case cycle's pages, built for a phone on a home visit: my caseload (next steps, visits due), the case page (its
timeline), opening a case, assessing (the form drawn from the instrument), the plan, recording a visit (a draft kept on
the phone until it is saved), correcting a record, reviewing, closing, referring; and the supervisor's approval queue.
Thin: each parses, calls one service or selector, renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, NotFound, PermissionDenied
from shanlian.core.pages import flash_error, paginate, submit

from . import selectors as sel
from . import selectors_cycle as sc
from . import services_cycle as cy
from . import services_records as cr
from .access import Sight
from .forms_cycle import (
    AssessmentForm,
    CaseEditForm,
    CaseOpenForm,
    ClosureForm,
    DecisionForm,
    PlanForm,
    RecordForm,
    ReferralForm,
    ReferralStatusForm,
    ReviewForm,
    VersionForm,
)
from .models import CaseStatus, PlanStatus


def _form(request: HttpRequest, form: Any, title: str, case: Any, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "cases/cycle_form.html", {"form": form, "title": title, "case": case, **extra}, status=status)


def _team_case(request: HttpRequest, case_id: int) -> Any:
    case = sc.case_get(request.user, case_id)
    if sc.access.station_sight(sel.scope_of(request.user), case.station) is not Sight.VALUES:
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change this record."))
    return case


def _done(request: HttpRequest, case: Any, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("cases:case", case_id=case.pk)


@never_cache
@login_required
def caseload(request: HttpRequest) -> HttpResponse:
    scope = sel.scope_of(request.user)
    team = bool(scope.station_ids) or scope.is_superuser
    mine = team and request.GET.get("all") != "1"
    cases = sc.cases_visible(request.user, mine=mine)
    page = paginate(request, cases)
    rows = [(c, sc.beneficiary_name(c, Sight.VALUES if scope.is_station_staff(c.station_id) else Sight.MASKED),
             sc.NEXT_STEP[CaseStatus(c.status)], sc.next_visit_on(c)) for c in sc.with_rhythm(list(page.object_list))]
    due = [(c, sc.beneficiary_name(c, Sight.VALUES if scope.is_station_staff(c.station_id) else Sight.MASKED), sc.next_visit_on(c))
           for c in sc.visits_due(request.user, mine=mine)[:20]]
    return render(request, "cases/caseload.html", {"page_obj": page, "rows": rows, "due": due, "mine": mine, "team": team,
                                                    "supervisor": sc.access.may_supervise(scope)})


@never_cache
@login_required
def case_new(request: HttpRequest, beneficiary_id: int) -> HttpResponse:
    b = sel.beneficiary_get(request.user, beneficiary_id)
    if sel.access.sight(sel.scope_of(request.user), b) is not Sight.VALUES:
        raise PermissionDenied("not_case_team", _("Only the station's social workers and their supervisor change this record."))
    form = CaseOpenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cy.case_open(actor=request.user, beneficiary=b, source=d["source"], problem=d["problem"],
                                                   opened_on=d["opened_on"]))
        if done.value is not None:
            return _done(request, done.value, _("Case opened."))
        status = done.status
    return render(request, "cases/cycle_form.html", {"form": form, "title": _("Open a case for %(name)s") % {"name": b.person.real_name},
                                                      "back_beneficiary": b}, status=status)


@never_cache
@login_required
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    found = sc.case_get(request.user, case_id)
    file = sc.case_file(request.user, found)
    return render(request, "cases/case.html", {"f": file, "c": found, "next_step": sc.NEXT_STEP[CaseStatus(found.status)],
                                                "instruments": list(sc.instruments_active()),
                                                "decision": DecisionForm(initial={"version": file.plan.version}) if file.plan else None})


@never_cache
@login_required
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    form = CaseEditForm(request.POST or None, staff=sc.workers_for(found), initial={
        "version": found.version, "owner": str(found.owner_id), "source": found.source, "problem": sc.crypto.decrypt(found.problem_enc)})
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cy.case_update(actor=request.user, case=found, version=d["version"], owner=d["owner"],
                                                     source=d["source"], problem=d["problem"]))
        if done.value is not None:
            return _done(request, found, _("Case updated."))
        status = done.status
    return _form(request, form, _("Change the case · %(name)s") % {"name": sc.beneficiary_name(found, Sight.VALUES)}, found, status)


@never_cache
@login_required
def assess(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    instrument = sc.instruments_active().filter(code=request.GET.get("instrument", "barthel")[:32]).first()
    if instrument is None:
        raise NotFound()
    initial = {"kind": "baseline" if found.status in (CaseStatus.INTAKE, CaseStatus.ASSESSED) else "review"}
    form = AssessmentForm(request.POST or None, instrument=instrument, initial=initial)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cy.assessment_record(actor=request.user, case=found, instrument=instrument, kind=d["kind"],
                                                           answers=form.answers(), assessed_on=d["assessed_on"], notes=d["notes"]),
                      renamed=lambda k: f"item_{k}" if f"item_{k}" in form.fields else None)
        if done.value is not None:
            return _done(request, found, _("Assessment recorded: %(score)s, %(band)s.") % {
                "score": done.value.score, "band": sc.instruments.band_label(instrument, done.value.band)})
        status = done.status
    return _form(request, form, f"{instrument.label} · {sc.beneficiary_name(found, Sight.VALUES)}", found, status,
                 instrument=instrument)


@never_cache
@login_required
def plan(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    current = found.plan if hasattr(found, "plan") else None
    offered = list(sc.instruments_active())
    initial: dict[str, Any] = {}
    if current is not None:
        initial = {"version": current.version, "starts_on": current.starts_on, "ends_on": current.ends_on,
                   "home_visit_days": current.home_visit_days, "summary": sc.crypto.decrypt(current.summary_enc)}
        for g in current.goals.all():
            initial.update({f"goal_{g.order}_text": g.text, f"goal_{g.order}_care_kind": g.care_kind,
                            f"goal_{g.order}_instrument": g.instrument_id and str(g.instrument_id),
                            f"goal_{g.order}_target": g.target_score})
    form = PlanForm(request.POST or None, instruments_offered=offered, initial=initial)
    status = 200
    if request.method == "POST":
        def write(d: dict[str, Any]) -> Any:
            written = cy.plan_write(actor=request.user, case=found, goals=form.goals(), starts_on=d["starts_on"], ends_on=d["ends_on"],
                                    summary=d["summary"], home_visit_days=d["home_visit_days"], version=d["version"])
            if d["submit_now"]:
                written = cy.plan_submit(actor=request.user, plan=written, version=written.version)
            return written
        done = submit(form, write)
        if done.value is not None:
            return _done(request, found, _("Plan submitted for approval.") if done.value.status == PlanStatus.SUBMITTED
                         else _("Plan saved."))
        status = done.status
    return _form(request, form, _("Service plan · %(name)s") % {"name": sc.beneficiary_name(found, Sight.VALUES)}, found, status,
                 plan_form=True, returned=current.return_reason if current and current.status == PlanStatus.RETURNED else "")


@never_cache
@login_required
def record_new(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    staff, volunteers = sc.record_helpers(found, request.user)
    form = RecordForm(request.POST or None, initial={"kind": "home_visit"}, staff=staff, volunteers=volunteers)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.record_add(actor=request.user, case=found, kind=d["kind"], care_kind=d["care_kind"],
                                                    served_on=d["served_on"], minutes=d["minutes"],
                                                    person_times=d["person_times"], notes=d["notes"],
                                                    co_workers=d.get("co_workers", ()), volunteers=d.get("volunteers", ())))
        if done.value is not None:
            return _done(request, found, _("Visit recorded."))
        status = done.status
    return _form(request, form, _("Record a visit · %(name)s") % {"name": sc.beneficiary_name(found, Sight.VALUES)}, found, status,
                 draft_key=f"cases-record-{found.pk}")


@never_cache
@login_required
def record_correct(request: HttpRequest, service_record_id: int) -> HttpResponse:
    record = sc.record_get(request.user, service_record_id)
    found = _team_case(request, record.case_id)
    initial = {"kind": record.kind, "care_kind": record.care_kind, "served_on": record.served_on, "minutes": record.minutes,
               "person_times": record.person_times, "notes": sc.crypto.decrypt(record.notes_enc),
               "co_workers": [str(u.pk) for u in record.co_workers.all()], "volunteers": [str(p.pk) for p in record.volunteers.all()]}
    staff, volunteers = sc.record_helpers(found, record.worker)
    form = RecordForm(request.POST or None, initial=initial, correcting=True, staff=staff, volunteers=volunteers)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.record_correct(actor=request.user, record=record, reason=d["reason"], kind=d["kind"],
                                                        care_kind=d["care_kind"], served_on=d["served_on"], minutes=d["minutes"],
                                                        person_times=d["person_times"], notes=d["notes"],
                                                        co_workers=d.get("co_workers", ()), volunteers=d.get("volunteers", ())))
        if done.value is not None:
            return _done(request, found, _("Record corrected; the earlier version is kept."))
        status = done.status
    return _form(request, form, _("Correct a service record"), found, status)


@never_cache
@login_required
def review_new(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    goals = list(found.plan.goals.select_related("instrument")) if hasattr(found, "plan") else []
    form = ReviewForm(request.POST or None, goals=goals)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.review_record(actor=request.user, case=found, kind=d["kind"], reviewed_on=d["reviewed_on"],
                                                       summary=d["summary"], results=form.results(),
                                                       after_scores=form.after_scores()))
        if done.value is not None:
            return _done(request, found, _("Review recorded."))
        status = done.status
    return _form(request, form, _("Review against the goals · %(name)s") % {"name": sc.beneficiary_name(found, Sight.VALUES)},
                 found, status)


@never_cache
@login_required
def closure_new(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    form = ClosureForm(request.POST or None, initial={"version": found.version})
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.closure_request(actor=request.user, case=found, version=d["version"], summary=d["summary"]))
        if done.value is not None:
            return _done(request, found, _("Closure submitted for approval."))
        status = done.status
    return _form(request, form, _("Ask to close the case"), found, status)


def _posted(request: HttpRequest, form: Any, found: Any, write: Any, text: str) -> HttpResponse:
    """A one-button action: done, or its refusal flashed on the case page."""
    if not form.is_valid():
        messages.error(request, _("The form was not valid: reload the page."), extra_tags="invalid")
        return redirect("cases:case", case_id=found.pk)
    try:
        write(form.cleaned_data)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash_error(request, exc)
        return redirect("cases:case", case_id=found.pk)
    return _done(request, found, text)


@never_cache
@login_required
@require_POST
def case_resume(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    return _posted(request, VersionForm(request.POST), found,
                   lambda d: cr.case_resume(actor=request.user, case=found, version=d["version"]), _("Service continues."))


@never_cache
@login_required
@require_POST
def plan_decide(request: HttpRequest, case_plan_id: int) -> HttpResponse:
    found = sc.plan_get(request.user, case_plan_id)
    form = DecisionForm(request.POST)

    def write(d: dict[str, Any]) -> Any:
        if d["decision"] == "approve":
            return cy.plan_approve(actor=request.user, plan=found, version=d["version"])
        return cy.plan_return(actor=request.user, plan=found, version=d["version"], reason=d["reason"])
    return _posted(request, form, found.case, write, _("Decision recorded."))


@never_cache
@login_required
@require_POST
def closure_decide(request: HttpRequest, case_id: int) -> HttpResponse:
    found = sc.case_get(request.user, case_id)
    form = DecisionForm(request.POST)

    def write(d: dict[str, Any]) -> Any:
        if d["decision"] == "approve":
            return cr.closure_approve(actor=request.user, case=found, version=d["version"])
        return cr.closure_return(actor=request.user, case=found, version=d["version"], reason=d["reason"])
    return _posted(request, form, found, write, _("Decision recorded."))


@never_cache
@login_required
def referral_new(request: HttpRequest, case_id: int) -> HttpResponse:
    found = _team_case(request, case_id)
    covered = sc.referral_organizations(found)
    form = ReferralForm(request.POST or None, organizations=sc.organizations_for_referral()[:500])
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.referral_send(actor=request.user, case=found, organization=d["organization"],
                                                       reason=d["reason"], referred_on=d["referred_on"]))
        if done.value is not None:
            return _done(request, found, _("Referral sent."))
        status = done.status
    return _form(request, form, _("Refer to another organization"), found, status, covered=covered)


@never_cache
@login_required
def referral(request: HttpRequest, referral_id: int) -> HttpResponse:
    found = sc.referral_get(request.user, referral_id)
    _team_case(request, found.case_id)
    form = ReferralStatusForm(request.POST or None)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: cr.referral_update(actor=request.user, referral=found, status=d["status"],
                                                         outcome=d["outcome"]))
        if done.value is not None:
            return _done(request, found.case, _("Referral updated."))
        status = done.status
    return _form(request, form, _("Referral to %(org)s") % {"org": found.organization.name}, found.case, status)


@never_cache
@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    plans, closures = sc.approvals(request.user)
    return render(request, "cases/approvals.html", {"plans": plans, "closures": closures})
