"""The capacity pages: diagnoses (the list, starting one, the report with its radar chart, respondents, action plan and
PDF), the questionnaires and the advice library; and core-staff competency (assessments, a person's report, coaching
sessions). Thin: each parses, calls one service or selector, renders; a refusal comes back onto its form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, PermissionDenied
from shanlian.core.inputs import id_param
from shanlian.core.pages import flash_error, paginate, submit
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division

from . import capacity_pdf
from . import selectors_capacity as sel
from . import selectors_competency as csel
from .forms_capacity import (
    ActionForm,
    AdviceForm,
    AssessForm,
    ChooseForm,
    CloseForm,
    CoachingForm,
    CompetencyFilterForm,
    DiagnosisFilterForm,
    DiagnosisStartForm,
    FollowUpForm,
    QuestionnaireForm,
    RespondentForm,
    questionnaire_text,
    renamed_level,
)
from .models import Diagnosis, DiagnosisStatus, Dimension, QuestionnaireKind
from .services import capacity as services
from .services import competency as competency_services

NOT_EVALUATOR = gettext_lazy("Only the organization's managers and the civil-affairs administrators of its area do this.")

# --- diagnoses ------------------------------------------------------------------------------------------------------


@never_cache
@login_required
def diagnoses(request: HttpRequest) -> HttpResponse:
    scope = sel.require_open(request.user)
    form = DiagnosisFilterForm(request.GET or None)
    page = paginate(request, sel.diagnoses_list(scope, **form.values()))
    for d in page.object_list:
        d.overall = sel.overall(d.scores) if d.status == DiagnosisStatus.CLOSED else None
    return render(request, "evaluation/capacity/diagnoses.html", {
        "form": form, "page_obj": page, "may_start": sel.organization_choices(scope).exists(),
        "may_admin": bool(sel.regions_administered(scope))})


@never_cache
@login_required
def diagnosis_start(request: HttpRequest) -> HttpResponse:
    scope = sel.require_open(request.user)
    organizations = sel.organization_choices(scope)
    if not organizations.exists():
        raise PermissionDenied("not_evaluator", NOT_EVALUATOR)
    preset = sel.organization_for(scope, id_param(request.GET.get("organization")))
    if preset is None and organizations.count() == 1:
        preset = organizations.first()
    form = DiagnosisStartForm(request.POST or None, organizations=organizations,
                              questionnaires=sel.questionnaire_choices(preset, QuestionnaireKind.CAPACITY),
                              initial={"organization": preset.pk} if preset else None)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.diagnosis_start(
            actor=request.user, organization=d["organization"], questionnaire=d["questionnaire"], started_on=d["started_on"],
            respondents=form.respondents()), renamed={"respondents": "staff"})
        if (made := done.value) is not None:
            messages.success(request, _("Diagnosis started: send each respondent their own link."))
            return redirect("evaluation:capacity_diagnosis", diagnosis_id=made.pk)
        status = done.status
    return render(request, "evaluation/capacity/start.html", {"form": form}, status=status)


def _dimensions(report: sel.DiagnosisReport) -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in report.rows]


def _diagnosis_page(request: HttpRequest, diagnosis: Diagnosis, forms_: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    report = sel.diagnosis_report(scope, diagnosis)
    forms_ = forms_ or {}
    is_open = diagnosis.status == DiagnosisStatus.OPEN
    links = {r.respondent.pk: request.build_absolute_uri(reverse("evaluation_public:capacity_answer",
                                                                 args=[r.respondent.token]))
             for r in report.respondents if report.may_manage and is_open and not r.answered}
    context = {
        "r": report, "d": diagnosis, "links": links, "is_open": is_open,
        "respondent_form": forms_.get("respondent") or (RespondentForm() if report.may_manage and is_open else None),
        "close_form": forms_.get("close") or (CloseForm() if report.may_manage and is_open else None),
        "action_form": forms_.get("action") or (ActionForm(dimensions=_dimensions(report)) if report.may_manage else None),
        "follow_form": forms_.get("follow") or (FollowUpForm() if report.may_manage else None),
        "follow_for": forms_.get("follow_for"),
    }
    return render(request, "evaluation/capacity/diagnosis.html", context, status=status)


@never_cache
@login_required
def diagnosis(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    return _diagnosis_page(request, sel.diagnosis_get(sel.require_open(request.user), diagnosis_id))


@never_cache
@login_required
@require_POST
def respondent_add(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    found = sel.diagnosis_get(sel.require_open(request.user), diagnosis_id)
    form = RespondentForm(request.POST)
    done = submit(form, lambda d: services.respondent_add(actor=request.user, diagnosis=found, role=d["role"], label=d["label"]),
                  renamed={"respondents": "label"})
    if done.ok:
        messages.success(request, _("Respondent added: send them their link."))
        return redirect("evaluation:capacity_diagnosis", diagnosis_id=found.pk)
    return _diagnosis_page(request, found, {"respondent": form}, status=done.status)


@never_cache
@login_required
@require_POST
def diagnosis_close(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    found = sel.diagnosis_get(sel.require_open(request.user), diagnosis_id)
    form = CloseForm(request.POST)
    done = submit(form, lambda d: services.diagnosis_close(actor=request.user, diagnosis=found, summary=d["summary"]))
    if done.ok:
        messages.success(request, _("Diagnosis closed: its scores are frozen in the report."))
        return redirect("evaluation:capacity_diagnosis", diagnosis_id=found.pk)
    return _diagnosis_page(request, found, {"close": form}, status=done.status)


@never_cache
@login_required
@require_POST
def action_add(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    scope = sel.require_open(request.user)
    found = sel.diagnosis_get(scope, diagnosis_id)
    form = ActionForm(request.POST, dimensions=_dimensions(sel.diagnosis_report(scope, found)))
    done = submit(form, lambda d: services.action_add(actor=request.user, diagnosis=found, dimension_code=d["dimension_code"],
                                                      text=d["text"], owner=d["owner"], due_on=d["due_on"]))
    if done.ok:
        messages.success(request, _("Action added to the plan."))
        return redirect(reverse("evaluation:capacity_diagnosis", args=[found.pk]) + "#plan")
    return _diagnosis_page(request, found, {"action": form}, status=done.status)


@never_cache
@login_required
@require_POST
def action_follow_up(request: HttpRequest, capacity_action_id: int) -> HttpResponse:
    action = sel.action_get(sel.require_open(request.user), capacity_action_id)
    form = FollowUpForm(request.POST)
    done = submit(form, lambda d: services.action_follow_up(actor=request.user, action=action, status=d["status"],
                                                            follow_up=d["follow_up"], done_on=d["done_on"]))
    if done.ok:
        messages.success(request, _("Action followed up."))
        return redirect(reverse("evaluation:capacity_diagnosis", args=[action.diagnosis_id]) + "#plan")
    return _diagnosis_page(request, action.diagnosis, {"follow": form, "follow_for": action.pk}, status=done.status)


@never_cache
@login_required
def diagnosis_pdf(request: HttpRequest, diagnosis_id: int) -> HttpResponse:
    scope = sel.require_open(request.user)
    report = sel.diagnosis_report(scope, sel.diagnosis_get(scope, diagnosis_id))
    response = HttpResponse(capacity_pdf.diagnosis_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="diagnosis-{report.diagnosis.pk}.pdf"'
    return response


# --- questionnaires and advice ------------------------------------------------------------------------------------------


@never_cache
@login_required
def questionnaires(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    rows = sel.questionnaires_visible(scope).order_by("kind", "region__path", "-version", "-id")[:200]
    return render(request, "evaluation/capacity/questionnaires.html", {
        "rows": rows, "may_admin": bool(sel.regions_administered(scope)), "may_open": sel.may_open_capacity(scope)})


@never_cache
@login_required
def questionnaire(request: HttpRequest, questionnaire_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    view = sel.questionnaire_view(scope, sel.questionnaire_get(scope, questionnaire_id))
    return render(request, "evaluation/capacity/questionnaire.html", {"v": view, "q": view.questionnaire,
                                                                      "may_open": sel.may_open_capacity(scope)})


def _regions(regions: list[Division]) -> Any:
    return Division.objects.filter(pk__in=[r.pk for r in regions]).order_by("code")


@never_cache
@login_required
def questionnaire_new(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    regions = sel.regions_administered(scope)
    if not regions:
        raise PermissionDenied("not_framework_admin", _("Only the region's civil-affairs administrators manage its frameworks."))
    from_id = id_param(request.GET.get("from"))
    initial: dict[str, Any] = {"region": regions[0].pk}
    if from_id is not None:
        source = sel.questionnaire_view(scope, sel.questionnaire_get(scope, from_id))
        initial.update({"region": source.questionnaire.region_id, "kind": source.questionnaire.kind,
                        "title": source.questionnaire.title, "text": questionnaire_text(source)})
    form = QuestionnaireForm(request.POST or None, regions=_regions(regions), initial=initial)
    status = 200
    if request.method == "POST":
        done = submit(form, lambda d: services.questionnaire_create(
            actor=request.user, region=d["region"], kind=d["kind"], title=d["title"], dimensions=d["text"]),
            renamed={"dimensions": "text"})
        if (made := done.value) is not None:
            messages.success(request, _("Questionnaire saved as version %(n)s.") % {"n": made.version})
            return redirect("evaluation:capacity_questionnaire", questionnaire_id=made.pk)
        status = done.status
    return render(request, "evaluation/capacity/questionnaire_form.html", {"form": form}, status=status)


@never_cache
@login_required
def advice(request: HttpRequest) -> HttpResponse:
    scope = sel.require_open(request.user)
    regions = sel.regions_administered(scope)
    form = None
    status = 200
    if regions:
        form = AdviceForm(request.POST or None, regions=_regions(regions), initial={"region": regions[0].pk})
        if request.method == "POST":
            done = submit(form, lambda d: services.advice_add(actor=request.user, region=d["region"], dimension_code=d["dimension_code"],
                                                              below=d["below"], text=d["text"]))
            if done.ok:
                messages.success(request, _("Advice added to the library."))
                return redirect("evaluation:capacity_advice")
            status = done.status
    elif request.method == "POST":
        raise PermissionDenied("not_framework_admin", _("Only the region's civil-affairs administrators manage its frameworks."))
    rows = list(sel.advice_visible(scope)[:500])
    names = dict(Dimension.objects.filter(questionnaire__kind=QuestionnaireKind.CAPACITY).values_list("code", "name"))
    admin_regions = {r.pk for r in regions}
    return render(request, "evaluation/capacity/advice.html", {
        "rows": [(a, names.get(a.dimension_code, a.dimension_code), a.region_id in admin_regions) for a in rows], "form": form},
        status=status)


@never_cache
@login_required
@require_POST
def advice_delete(request: HttpRequest, advice_id: int) -> HttpResponse:
    found = sel.advice_get(actor_scope(request.user), advice_id)
    try:
        services.advice_remove(actor=request.user, advice=found)
    except DomainError as exc:
        flash_error(request, exc)
    else:
        messages.success(request, _("Advice removed from the library."))
    return redirect("evaluation:capacity_advice")


# --- competency -----------------------------------------------------------------------------------------------------


@never_cache
@login_required
def competency(request: HttpRequest) -> HttpResponse:
    scope = sel.require_open(request.user)
    organizations = sel.organization_choices(scope)
    form = CompetencyFilterForm(request.GET or None, organizations=organizations)
    values = form.values()
    page = paginate(request, csel.assessments_list(scope, organization_id=values.get("organization_id"), query=values.get("query", "")))
    for a in page.object_list:
        a.overall = sel.overall(a.scores)
    return render(request, "evaluation/capacity/competency.html", {
        "form": form, "page_obj": page, "may_assess": organizations.exists()})


def _choose(request: HttpRequest, kind: str | None) -> tuple[Any, ChooseForm, Any, Any]:
    scope = sel.require_open(request.user)
    organizations = sel.organization_choices(scope)
    if not organizations.exists():
        raise PermissionDenied("not_evaluator", NOT_EVALUATOR)
    org = sel.organization_for(scope, id_param(request.GET.get("organization")))
    if org is None and organizations.count() == 1:
        org = organizations.first()
    questionnaires = sel.questionnaire_choices(org, kind) if kind else None
    chosen = None
    if questionnaires is not None:
        qid = id_param(request.GET.get("questionnaire"))
        chosen = (questionnaires.filter(pk=qid).first() if qid is not None else None) or questionnaires.first()
    choose = ChooseForm(initial={"organization": org.pk if org else None, "questionnaire": chosen.pk if chosen else None,
                                 "q": (request.GET.get("q") or "")[:32]},
                        organizations=organizations, questionnaires=questionnaires)
    return scope, choose, org, chosen


def _query(request: HttpRequest) -> str:
    raw = (request.GET.get("q") or "").strip()[:32]
    return "" if "\x00" in raw else raw


@never_cache
@login_required
def assess(request: HttpRequest) -> HttpResponse:
    scope, choose, org, chosen = _choose(request, QuestionnaireKind.COMPETENCY)
    form = view = None
    status = 200
    if org is not None and chosen is not None:
        view = sel.questionnaire_view(None, chosen)
        form = AssessForm(request.POST or None, questions=view.questions, people=csel.staff_choices(scope, org, _query(request)))
        if request.method == "POST":
            done = submit(form, lambda d: competency_services.staff_assess(
                actor=request.user, organization=org, person=d["person"], questionnaire=chosen, assessed_on=d["assessed_on"],
                levels=form.levels(), note=d["note"]), renamed=renamed_level)
            if (made := done.value) is not None:
                messages.success(request, _("Assessment saved."))
                return redirect("evaluation:competency_person", staff_person_id=made.person_id)
            status = done.status
    elif request.method == "POST":
        status = 400
    sections = [(d, [(q, form.field_for(q)) for q in qs]) for d, qs in view.dimensions] if form is not None and view else []
    return render(request, "evaluation/capacity/assess.html", {"choose": choose, "form": form, "sections": sections, "org": org,
                                                               "chosen": chosen}, status=status)


@never_cache
@login_required
def person(request: HttpRequest, staff_person_id: int) -> HttpResponse:
    report = csel.staff_person_report(actor_scope(request.user), staff_person_id)
    return render(request, "evaluation/capacity/person.html", {"p": report})


@never_cache
@login_required
def coaching(request: HttpRequest) -> HttpResponse:
    scope = sel.require_open(request.user)
    organizations = sel.organization_choices(scope)
    form = CompetencyFilterForm(request.GET or None, organizations=organizations)
    values = form.values()
    page = paginate(request, csel.coaching_list(scope, organization_id=values.get("organization_id"), year=values.get("year")))
    totals = csel.coaching_totals(scope, organization_id=values.get("organization_id"), year=values.get("year"))
    return render(request, "evaluation/capacity/coaching.html", {
        "form": form, "page_obj": page, "totals": totals, "may_log": organizations.exists(),
        "all_sessions": sum(t.sessions for t in totals), "all_person_times": sum(t.person_times for t in totals)})


@never_cache
@login_required
def coaching_new(request: HttpRequest) -> HttpResponse:
    scope, choose, org, _chosen = _choose(request, None)
    form = None
    status = 200
    if org is not None:
        form = CoachingForm(request.POST or None, people=csel.staff_choices(scope, org, _query(request)))
        if request.method == "POST":
            done = submit(form, lambda d: competency_services.coaching_log(
                actor=request.user, organization=org, held_on=d["held_on"], topic=d["topic"], people=list(d["people"]),
                person_times=d["person_times"], note=d["note"]))
            if done.ok:
                messages.success(request, _("Coaching session logged."))
                return redirect("evaluation:coaching")
            status = done.status
    elif request.method == "POST":
        status = 400
    return render(request, "evaluation/capacity/coaching_form.html", {"choose": choose, "form": form, "org": org}, status=status)
