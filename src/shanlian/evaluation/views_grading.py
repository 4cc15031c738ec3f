"""The grade- and brand-assessment pages: calls (the committee's board, an organization's applications), one
assessment (the organization's self-assessment with evidence, an expert's review, the committee's marks, decision,
objections and award), the evidence files, the certificate. Thin: each parses, calls one service or selector."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shanlian.core.errors import DomainError, NotFound, PermissionDenied
from shanlian.core.inputs import id_param
from shanlian.core.pages import flash_error, submit
from shanlian.orgs.models import Organization, Station
from shanlian.people.selectors import actor_scope
from shanlian.people.selectors_experts import expert_pool

from . import selectors_grading as sel
from .access import ORG_ROLES, is_framework_admin, purchaser_officers
from .certificates import certificate_pdf
from .forms_grading import (
    AnswerForm,
    ApplyForm,
    BrandDecisionForm,
    CallForm,
    DecisionForm,
    EvidenceForm,
    ExpertsForm,
    RaterForm,
    RecuseForm,
    ReviewForm,
    StationApplyForm,
    marks_from_post,
)
from .models import Assessment, Evidence, FrameworkKind, Indicator, Objection, RaterKind, result_label
from .permissions import sections_for
from .selectors import regions_administered
from .selectors_dashboard import GRADES, STATION_RESULTS, capacity_trend, dashboard_region, station_results
from .selectors_dashboard import dashboard as sel_dashboard
from .selectors_grading import reminders_for
from .services import assessments as sa
from .services import decisions as sd
from .services import reviews as sr


def _refused(request: HttpRequest, exc: DomainError) -> None:
    """A refusal shown on the next page; who may not act at all is refused outright."""
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    flash_error(request, exc)


def _pool() -> list[Any]:
    return expert_pool(on=timezone.localdate())


def _apply_form(scope: Any, c: Any, data: Any = None) -> Any:
    """What an organization's manager applies with: an organization of theirs in the call's region, or in a station
    call a station their agency runs there; None when they have nothing to apply for."""
    if not scope.has(*ORG_ROLES):
        return None
    if c.kind == FrameworkKind.STATION:
        stations = Station.objects.filter(agency_id__in=scope.organization_ids, street__path__startswith=c.region.path) \
            .select_related("agency").order_by("street__code")
        return StationApplyForm(data, stations=stations, prefix="apply") if stations.exists() else None
    orgs = Organization.objects.filter(pk__in=scope.organization_ids, division__path__startswith=c.region.path)
    return ApplyForm(data, organizations=orgs, prefix="apply") if orgs.exists() else None


# --- calls ---------------------------------------------------------------------------------------------------------

@never_cache
@login_required
def calls(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    regions = regions_administered(scope)
    form = CallForm(regions=regions, prefix="call")
    return _calls_page(request, scope, form)


def _calls_page(request: HttpRequest, scope: Any, form: CallForm, status: int = 200) -> HttpResponse:
    regions = regions_administered(scope)
    return render(request, "evaluation/grading/calls.html", {
        "calls": sel.calls_visible(scope)[:100], "form": form if regions.exists() else None,
        "mine": sel.assessments_of(scope)[:50], "open_calls": sel.open_calls_for(scope),
        "reviews": sel.reviews_of(request.user)}, status=status)


@never_cache
@login_required
@require_POST
def call_new(request: HttpRequest) -> HttpResponse:
    scope = actor_scope(request.user)
    form = CallForm(request.POST, regions=regions_administered(scope), prefix="call")
    done = submit(form, lambda d: sa.call_create(actor=request.user, **{k: v for k, v in d.items() if v is not None}))
    if (call := done.value) is not None:
        return redirect("evaluation:call", call_id=call.pk)
    return _calls_page(request, scope, form, status=done.status)


@never_cache
@login_required
def call(request: HttpRequest, call_id: int) -> HttpResponse:
    return _call_page(request, call_id)


def _call_page(request: HttpRequest, call_id: int, forms_: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    c = sel.call_get(scope, call_id)
    committee = is_framework_admin(scope, c.region)
    forms_ = forms_ or {}
    pool = _pool() if committee else []
    return render(request, "evaluation/grading/call.html", {
        "c": c, "committee": committee, "board": sel.call_board(c) if committee else [],
        "mine": sel.assessments_of(scope).filter(call=c),
        "assign_form": forms_.get("assign") or ExpertsForm(pool=pool, prefix="assign"), "pool": pool,
        "apply_form": forms_.get("apply") or _apply_form(scope, c),
    }, status=status)


@never_cache
@login_required
@require_POST
def call_assign(request: HttpRequest, call_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    c = sel.call_get(scope, call_id)
    form = ExpertsForm(request.POST, pool=_pool(), prefix="assign")
    done = submit(form, lambda d: sr.reviewers_assign(actor=request.user, call=c, experts=form.users()))
    if done.value is not None:
        messages.success(request, _("Experts assigned: %(n)s reviews.") % {"n": len(done.value)})
        return redirect("evaluation:call", call_id=c.pk)
    return _call_page(request, call_id, {"assign": form}, status=done.status)


@never_cache
@login_required
@require_POST
def call_apply(request: HttpRequest, call_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    c = sel.call_get(scope, call_id)
    form = _apply_form(scope, c, request.POST)
    if form is None:
        raise PermissionDenied("not_org_representative", _("Only the organization's managers assess it."))
    done = submit(form, lambda d: sa.assessment_apply(
        actor=request.user, call=c, organization=d["station"].agency if "station" in d else d["organization"],
        station=d.get("station")))
    if (a := done.value) is not None:
        return redirect("evaluation:assessment", assessment_id=a.pk)
    return _call_page(request, call_id, {"apply": form}, status=done.status)


@never_cache
@login_required
@require_POST
def call_close(request: HttpRequest, call_id: int) -> HttpResponse:
    c = sel.call_get(actor_scope(request.user), call_id)
    try:
        sa.call_close(actor=request.user, call=c)
    except DomainError as exc:
        _refused(request, exc)
    return redirect("evaluation:call", call_id=c.pk)


# --- one assessment ------------------------------------------------------------------------------------------------

@never_cache
@login_required
def assessment(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _assessment_page(request, assessment_id)


def _assessment_page(request: HttpRequest, assessment_id: int, forms_: dict[str, Any] | None = None,
                     refusal: DomainError | None = None, status: int = 200) -> HttpResponse:
    scope = actor_scope(request.user)
    a = sel.assessment_get(scope, assessment_id)
    v = sel.assessment_view(scope, a)
    forms_ = forms_ or {}
    brand = a.call.kind == FrameworkKind.BRAND
    decision = forms_.get("decide") or (BrandDecisionForm(prefix="decide") if brand else
                                        DecisionForm(prefix="decide", kind=a.call.kind, initial={"grade": v.earned}))
    bad = {int(k.split(".")[1]) for k in (refusal.fields if refusal else {}) if k.startswith("marks.") and k.split(".")[1].isdigit()}
    for row in v.rows:  # what each mark input shows: what was typed (after a refusal), else the mark on record
        row.input_value = _input_value(row, request.POST if refusal else None, own=v.role == "organization")  # type: ignore[attr-defined]
    return render(request, "evaluation/grading/assessment.html", {
        "v": v, "a": a, "brand": brand, "bad_marks": bad, "refusal": refusal,
        "review_comment": request.POST.get("review-comment", "") if refusal else "",
        "review_form": forms_.get("review") or ReviewForm(prefix="review"),
        "recuse_form": forms_.get("recuse") or RecuseForm(prefix="recuse"),
        "rater_form": forms_.get("rater") or (_rater_form(a, v) if v.role == "committee" else None),
        "grade_label": result_label(a.call.kind, a.grade), "earned_label": result_label(a.call.kind, v.earned),
        "decide_form": decision, "answer_form": AnswerForm(prefix="answer"),
    }, status=status)


def _input_value(row: Any, posted: Any, *, own: bool) -> str:
    if not row.leaf:
        return ""
    if posted is not None:
        return str(posted.get(f"m_{row.indicator.pk}", ""))[:20]
    mark = row.self_mark if own else row.mine
    if mark is None:
        return ""
    if row.indicator.scoring == "levels":
        return str(mark.level or "")
    if row.indicator.scoring == "yes_no":
        return "yes" if mark.points > 0 else "no"
    return f"{mark.points:.2f}"


def _marks_post(request: HttpRequest, assessment_id: int, write: Any, done_message: str) -> HttpResponse:
    scope = actor_scope(request.user)
    a = sel.assessment_get(scope, assessment_id)
    marks = marks_from_post(sa.leaves_of(a.framework), request.POST)
    try:
        write(a, marks)
    except DomainError as exc:
        return _assessment_page(request, assessment_id, refusal=exc, status=exc.status)
    messages.success(request, done_message)
    return redirect("evaluation:assessment", assessment_id=a.pk)


@never_cache
@login_required
@require_POST
def assessment_self(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _marks_post(request, assessment_id, lambda a, marks: sa.self_rate(actor=request.user, assessment=a, marks=marks),
                       _("Your marks are saved."))


@never_cache
@login_required
@require_POST
def assessment_evidence(request: HttpRequest, assessment_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    a = sel.assessment_get(scope, assessment_id)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file for the indicator."))
        return redirect("evaluation:assessment", assessment_id=a.pk)
    indicator = Indicator.objects.filter(pk=form.cleaned_data["indicator"], framework=a.framework).first()
    try:
        if indicator is None:
            raise NotFound("indicator_not_found", _("No such indicator in this framework."))
        sa.evidence_add(actor=request.user, assessment=a, indicator=indicator, upload=form.cleaned_data["file"])
        messages.success(request, _("The file is attached."))
    except DomainError as exc:
        _refused(request, exc)
    return redirect(reverse("evaluation:assessment", args=[a.pk]) + f"#i{form.cleaned_data['indicator']}")


@never_cache
@login_required
@require_POST
def assessment_submit(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _act(request, assessment_id, sa.assessment_submit, _("The self-assessment is submitted."))


def _act(request: HttpRequest, assessment_id: int, service: Any, done: str) -> HttpResponse:
    """A button on the assessment's page: the service run, its refusal shown there."""
    a = sel.assessment_get(actor_scope(request.user), assessment_id)
    try:
        service(actor=request.user, assessment=a)
        messages.success(request, done)
    except DomainError as exc:
        _refused(request, exc)
    return redirect("evaluation:assessment", assessment_id=a.pk)


@never_cache
@login_required
@require_POST
def assessment_review(request: HttpRequest, assessment_id: int) -> HttpResponse:
    def write(a: Assessment, marks: Any) -> Any:
        v = sel.assessment_view(actor_scope(request.user), a)
        if v.reviewer is None:
            raise PermissionDenied("not_your_review", _("Only the expert assigned may do this."))
        return sr.evaluation_review_submit(actor=request.user, reviewer=v.reviewer, marks=marks,
                                           comment=request.POST.get("review-comment", "")[:2001])

    return _marks_post(request, assessment_id, write, _("Your review is submitted."))


@never_cache
@login_required
@require_POST
def assessment_recuse(request: HttpRequest, assessment_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    a = sel.assessment_get(scope, assessment_id)
    v = sel.assessment_view(scope, a)
    form = RecuseForm(request.POST, prefix="recuse")
    if v.reviewer is None:
        raise PermissionDenied("not_your_review", _("Only the expert assigned may do this."))
    reviewer = v.reviewer
    done = submit(form, lambda d: sr.evaluation_recuse(actor=request.user, reviewer=reviewer, reason=d["reason"]))
    if done.value is not None:
        return redirect("evaluation:calls")
    return _assessment_page(request, assessment_id, {"recuse": form}, status=done.status)


def _rater_form(a: Assessment, v: Any, data: Any = None) -> RaterForm:
    roles = [RaterKind.SITE, *sorted(v.outside)] if a.call.kind != FrameworkKind.BRAND else []
    officers = get_user_model().objects.filter(pk__in=purchaser_officers(a.station)) if RaterKind.PURCHASER in v.outside else []
    return RaterForm(data, roles=roles, pool=_pool(), officers=list(officers), prefix="rater")


@never_cache
@login_required
@require_POST
def assessment_rater(request: HttpRequest, assessment_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    a = sel.assessment_get(scope, assessment_id)
    form = _rater_form(a, sel.assessment_view(scope, a), request.POST)
    done = submit(form, lambda d: sr.rater_name(actor=request.user, assessment=a, role=d["role"],
                                                user=get_user_model().objects.get(pk=d["user"])))
    if done.value is not None:
        return redirect("evaluation:assessment", assessment_id=a.pk)
    return _assessment_page(request, assessment_id, {"rater": form}, status=done.status)


@never_cache
@login_required
@require_POST
def assessment_decide(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = sel.assessment_get(actor_scope(request.user), assessment_id)
    brand = a.call.kind == FrameworkKind.BRAND
    form: Any = BrandDecisionForm(request.POST, prefix="decide") if brand else DecisionForm(request.POST, prefix="decide",
                                                                                            kind=a.call.kind)
    done = submit(form, lambda d: sd.assessment_decide(actor=request.user, assessment=a, grade=d.get("grade", ""),
                                                       named=bool(d.get("named")), note=d.get("note") or ""))
    if done.value is not None:
        messages.success(request, _("The decision is on public notice."))
        return redirect("evaluation:assessment", assessment_id=a.pk)
    return _assessment_page(request, assessment_id, {"decide": form}, status=done.status)


@never_cache
@login_required
@require_POST
def assessment_award(request: HttpRequest, assessment_id: int) -> HttpResponse:
    return _act(request, assessment_id, sd.assessment_award, _("The result is written to the organization."))


@never_cache
@login_required
@require_POST
def objection_answer(request: HttpRequest, objection_id: int) -> HttpResponse:
    scope = actor_scope(request.user)
    objection = Objection.objects.select_related("assessment").filter(pk=objection_id).first()
    if objection is None:
        raise NotFound()
    a = sel.assessment_get(scope, objection.assessment_id)
    if not is_framework_admin(scope, a.call.region):
        raise NotFound()
    form = AnswerForm(request.POST, prefix="answer")
    if form.is_valid():
        try:
            sd.objection_answer(actor=request.user, objection=objection, answer=form.cleaned_data["answer"],
                                upheld=form.cleaned_data["upheld"])
        except DomainError as exc:
            _refused(request, exc)
    else:
        messages.error(request, _("Write the answer and say whether the objection is upheld."))
    return redirect("evaluation:assessment", assessment_id=a.pk)


@never_cache
@login_required
def evidence_file(request: HttpRequest, assessment_evidence_id: int) -> FileResponse:
    """A file of the evidence, to those who may open its assessment; never to the public."""
    e = Evidence.objects.filter(pk=assessment_evidence_id).first()
    if e is None:
        raise NotFound()
    sel.assessment_get(actor_scope(request.user), e.assessment_id)
    try:
        handle = e.file.open("rb")
    except FileNotFoundError:
        raise NotFound() from None
    return FileResponse(handle, as_attachment=True, filename=e.name)


@never_cache
@login_required
def assessment_certificate(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = sel.assessment_get(actor_scope(request.user), assessment_id)
    if not a.certificate_no:
        raise NotFound()
    return certificate_pdf(a, request)


@never_cache
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Grades, assessments and brand organizations of an area the actor administers, drilled from the city down."""
    scope = actor_scope(request.user)
    region = dashboard_region(scope, id_param(request.GET.get("region")))
    d = sel_dashboard(region, on=timezone.localdate())
    chart = {"labels": [str(d.row_label(r)) for r in d.rows], "grades": GRADES,
             "series": [[r.by_grade.get(g, 0) for r in d.rows] for g in GRADES]}
    dimensions, capacity = capacity_trend(region)
    return render(request, "evaluation/grading/dashboard.html", {
        "d": d, "chart": chart, "grades": GRADES, "stations": station_results(region),
        "station_results": [result_label(FrameworkKind.STATION, r) for r in STATION_RESULTS],
        "dimensions": dimensions, "capacity": capacity})


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The evaluation home: the sections the actor may open, and their unread reminders."""
    scope = actor_scope(request.user)
    sections = sections_for(scope)
    if not sections:
        raise PermissionDenied("evaluation_not_allowed", _("Evaluation is for administrators, organizations and experts."))
    return render(request, "evaluation/home.html", {"sections": sections, "reminders": reminders_for(request.user)})
