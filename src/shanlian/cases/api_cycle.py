"""The case cycle for other systems, on the cases router under the same scopes as the pages: the case team gets the
case with its texts (each read logged), area officers get it masked, anyone else a 404. Every edit of a case or a plan
sends the version it read (409 `stale` otherwise)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Schema, Status

from shanlian.core.errors import NotFound, field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.orgs.models import Organization

from . import selectors as sel
from . import selectors_cycle as sc
from . import services_cycle as cy
from . import services_records as cr
from .access import Sight
from .api import router
from .models import Case, CaseStatus
from .models.cycle import MINUTES_MAX, PERSON_TIMES_MAX, VISIT_DAYS_MAX


class CaseInstrumentOut(Schema):
    code: str
    name: str
    min_score: int
    max_score: int
    higher_is_better: bool
    items: list[dict[str, Any]]
    bands: list[dict[str, Any]]


class CaseRowOut(Schema):
    id: int
    beneficiary_id: int
    name: str = Field(..., description="Masked for area officers.")
    station_id: int
    owner_id: int
    status: str
    next_step: str
    opened_on: dt.date
    last_home_visit: dt.date | None
    next_home_visit: dt.date | None
    version: int


class CasePage(PageOut):
    results: list[CaseRowOut]


class CaseFilter(PageIn):
    mine: bool = False
    status: str | None = Field(None, max_length=20)


class CaseDueFilter(PageIn):
    on: dt.date | None = None
    mine: bool = False


class CaseGoalOut(Schema):
    id: int
    order: int
    text: str = Field(..., description="Empty for area officers.")
    care_kind: str
    instrument: str | None
    baseline_score: int | None
    target_score: int | None


class CasePlanOut(Schema):
    id: int
    status: str
    version: int
    starts_on: dt.date
    ends_on: dt.date
    home_visit_days: int | None
    summary: str
    return_reason: str
    goals: list[CaseGoalOut]


class CaseAssessmentOut(Schema):
    id: int
    instrument: str
    kind: str
    assessed_on: dt.date
    score: int
    band: str
    answers: dict[str, str] | None = Field(None, description="For the case team only.")


class CaseRecordOut(Schema):
    id: int
    kind: str
    care_kind: str
    served_on: dt.date
    minutes: int
    person_times: int
    worker_id: int
    notes: str = Field(..., description="For the case team only (encrypted at rest).")
    current: bool
    corrects_id: int | None
    correction_reason: str


class CaseGoalResultOut(Schema):
    goal_id: int
    before_score: int | None
    after_score: int | None
    result: str


class CaseReviewOut(Schema):
    id: int
    kind: str
    reviewed_on: dt.date
    summary: str
    goals: list[CaseGoalResultOut]


class CaseReferralOut(Schema):
    id: int
    organization_id: int
    organization: str
    referred_on: dt.date
    status: str
    consent_id: int
    reason: str


class CaseOut(CaseRowOut):
    sight: str
    source: str
    problem: str
    home_visit_days: int | None
    closed_on: dt.date | None
    plan: CasePlanOut | None
    assessments: list[CaseAssessmentOut]
    records: list[CaseRecordOut]
    reviews: list[CaseReviewOut]
    referrals: list[CaseReferralOut]


class CaseOpenIn(Schema):
    beneficiary_id: int = Field(..., ge=1)
    source: str = Field(..., max_length=16)
    problem: str = Field(..., max_length=cy.PROBLEM_MAX)
    opened_on: dt.date | None = None


class CaseUpdateIn(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1)
    source: str | None = Field(None, max_length=16)
    problem: str | None = Field(None, max_length=cy.PROBLEM_MAX)


class CaseVersionIn(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1)


class CaseAssessmentIn(Schema):
    instrument: str = Field(..., max_length=32)
    kind: str = Field(..., max_length=16)
    assessed_on: dt.date | None = None
    answers: dict[str, str] = Field(..., max_length=100)
    notes: str = Field("", max_length=cy.NOTES_MAX)


class CaseGoalIn(Schema):
    text: str = Field(..., max_length=200)
    care_kind: str = Field(..., max_length=16)
    instrument: str | None = Field(None, max_length=32)
    target_score: int | None = Field(None, ge=-1000, le=1000)


class CasePlanIn(Schema):
    version: int | None = Field(None, ge=1, le=2**31 - 1, description="The plan's version you read; none for a first plan.")
    starts_on: dt.date
    ends_on: dt.date
    summary: str = Field("", max_length=cy.NOTES_MAX)
    home_visit_days: int | None = Field(None, ge=1, le=VISIT_DAYS_MAX)
    goals: list[CaseGoalIn] = Field(..., min_length=1, max_length=cy.GOALS_MAX)
    submit: bool = False


class CaseDecisionIn(Schema):
    version: int = Field(..., ge=1, le=2**31 - 1)
    approve: bool
    reason: str = Field("", max_length=cy.REASON_MAX)


class CaseRecordIn(Schema):
    kind: str = Field(..., max_length=16)
    care_kind: str = Field(..., max_length=16)
    served_on: dt.date
    minutes: int = Field(..., ge=1, le=MINUTES_MAX)
    person_times: int = Field(1, ge=1, le=PERSON_TIMES_MAX)
    notes: str = Field("", max_length=cy.NOTES_MAX)


class CaseRecordCorrectIn(CaseRecordIn):
    reason: str = Field(..., max_length=200)


class CaseReviewGoalIn(Schema):
    goal_id: int = Field(..., ge=1)
    result: str | None = Field(None, max_length=16)
    after_score: int | None = Field(None, ge=-1000, le=1000)


class CaseReviewIn(Schema):
    kind: str = Field(..., max_length=16)
    reviewed_on: dt.date | None = None
    summary: str = Field("", max_length=cy.NOTES_MAX)
    goals: list[CaseReviewGoalIn] = Field([], max_length=cy.GOALS_MAX)


class CaseClosureIn(CaseVersionIn):
    summary: str = Field(..., max_length=cy.NOTES_MAX)


class CaseReferralIn(Schema):
    organization_id: int = Field(..., ge=1)
    reason: str = Field(..., max_length=cy.NOTES_MAX)
    referred_on: dt.date | None = None


class CaseReferralStatusIn(Schema):
    status: str = Field(..., max_length=16)
    outcome: str = Field("", max_length=200)


class CaseApprovalsOut(Schema):
    plans: list[dict[str, Any]]
    closures: list[dict[str, Any]]


# --- rows ------------------------------------------------------------------------------------------------------------

def _row(c: Case, scope: Any) -> dict[str, Any]:
    seen = Sight.VALUES if scope.is_station_staff(c.station_id) else Sight.MASKED
    return {"id": c.pk, "beneficiary_id": c.beneficiary_id, "name": sc.beneficiary_name(c, seen), "station_id": c.station_id,
            "owner_id": c.owner_id, "status": c.status, "next_step": str(sc.NEXT_STEP[CaseStatus(c.status)]),
            "opened_on": c.opened_on, "last_home_visit": getattr(c, "last_visit", None), "next_home_visit": sc.next_visit_on(c),
            "version": c.version}


def _detail(request: ApiRequest, case_id: int) -> dict[str, Any]:
    c = sc.case_get(request.auth, case_id)
    f = sc.case_file(request.auth, c)
    show = f.values
    texts = {e.obj.pk: e.text for e in f.timeline if e.kind == "record"}
    plan = None
    if f.plan is not None:
        plan = {"id": f.plan.pk, "status": f.plan.status, "version": f.plan.version, "starts_on": f.plan.starts_on,
                "ends_on": f.plan.ends_on, "home_visit_days": f.plan.home_visit_days,
                "summary": next((e.text for e in f.timeline if e.kind == "plan"), ""), "return_reason": f.plan.return_reason,
                "goals": [{"id": g.pk, "order": g.order, "text": g.text if show else "", "care_kind": g.care_kind,
                           "instrument": g.instrument.code if g.instrument else None, "baseline_score": g.baseline_score,
                           "target_score": g.target_score} for g in f.goals]}
    return {**_row(c, sel.scope_of(request.auth)), "name": f.name, "sight": f.sight.value, "source": c.source, "problem": f.problem,
            "home_visit_days": c.home_visit_days, "closed_on": c.closed_on, "plan": plan,
            "assessments": [{"id": a.pk, "instrument": a.instrument.code, "kind": a.kind, "assessed_on": a.assessed_on,
                             "score": a.score, "band": a.band, "answers": sc.assessment_answers(a) if show else None}
                            for a in f.assessments],
            "records": [{"id": r.pk, "kind": r.kind, "care_kind": r.care_kind, "served_on": r.served_on, "minutes": r.minutes,
                         "person_times": r.person_times, "worker_id": r.worker_id, "notes": texts.get(r.pk, ""), "current": r.current,
                         "corrects_id": r.corrects_id, "correction_reason": r.correction_reason} for r in f.records],
            "reviews": [{"id": r.pk, "kind": r.kind, "reviewed_on": r.reviewed_on,
                         "summary": next((e.text for e in f.timeline if e.kind == "review" and e.obj.pk == r.pk), ""),
                         "goals": [{"goal_id": g.goal_id, "before_score": g.before_score, "after_score": g.after_score,
                                    "result": g.result} for g in r.goals.all()]} for r in f.reviews],
            "referrals": [{"id": r.pk, "organization_id": r.organization_id, "organization": r.organization.name,
                           "referred_on": r.referred_on, "status": r.status, "consent_id": r.consent_id,
                           "reason": next((e.text for e in f.timeline if e.kind == "referral" and e.obj.pk == r.pk), "")}
                          for r in f.referrals]}


def _instrument(code: str | None, field: str = "instrument") -> Any:
    if code is None:
        return None
    found = sc.instruments_active().filter(code=code).first()
    if found is None:
        raise field_error(field, "invalid_choice", NotFound().message)
    return found


# --- operations ------------------------------------------------------------------------------------------------------

@router.get("/instruments", response={200: list[CaseInstrumentOut], **errors(401)}, summary="Assessment instruments (data)")
def instruments(request: ApiRequest) -> Any:
    return [{"code": i.code, "name": i.label, "min_score": i.min_score, "max_score": i.max_score,
             "higher_is_better": i.higher_is_better, "items": i.items, "bands": i.bands} for i in sc.instruments_active()]


@router.get("/cases", response={200: CasePage, **errors(400, 401, 403)}, summary="Cases (the caseload)")
def cases(request: ApiRequest, filters: Query[CaseFilter]) -> Any:
    scope = sel.scope_of(request.auth)
    page = paginate(sc.cases_visible(request.auth, mine=filters.mine, status=filters.status or ""), filters)
    page["results"] = [_row(c, scope) for c in sc.with_rhythm(page["results"])]
    return page


@router.get("/cases/visits-due", response={200: CasePage, **errors(400, 401, 403)}, summary="Home visits due")
def visits_due(request: ApiRequest, filters: Query[CaseDueFilter]) -> Any:
    scope = sel.scope_of(request.auth)
    page = paginate(sc.visits_due(request.auth, filters.on, mine=filters.mine), filters)
    page["results"] = [_row(c, scope) for c in page["results"]]
    return page


@router.post("/cases", response={201: CaseOut, **errors(400, 401, 403, 404, 409)}, summary="Open a case")
def case_create(request: ApiRequest, payload: CaseOpenIn) -> Any:
    b = sel.beneficiary_get(request.auth, payload.beneficiary_id)
    made = cy.case_open(actor=request.auth, beneficiary=b, source=payload.source, problem=payload.problem,
                        opened_on=payload.opened_on)
    return Status(201, _detail(request, made.pk))


@router.get("/cases/{id:case_id}", response={200: CaseOut, **errors(401, 404)}, summary="One case, with its timeline")
def case_detail(request: ApiRequest, case_id: int) -> Any:
    return _detail(request, case_id)


@router.post("/cases/{id:case_id}/update", response={200: CaseOut, **errors(400, 401, 403, 404, 409)}, summary="Correct a case")
def case_update(request: ApiRequest, case_id: int, payload: CaseUpdateIn) -> Any:
    """`version` must be the one read (409 `stale` otherwise)."""
    c = sc.case_get(request.auth, case_id)
    cy.case_update(actor=request.auth, case=c, version=payload.version, source=payload.source, problem=payload.problem)
    return _detail(request, case_id)


@router.post("/cases/{id:case_id}/assessments", response={201: CaseAssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Record an assessment")
def assessment_create(request: ApiRequest, case_id: int, payload: CaseAssessmentIn) -> Any:
    """Every item of the instrument answered with one of its options; the score is computed."""
    c = sc.case_get(request.auth, case_id)
    a = cy.assessment_record(actor=request.auth, case=c, instrument=_instrument(payload.instrument), kind=payload.kind,
                             answers=payload.answers, assessed_on=payload.assessed_on, notes=payload.notes)
    return Status(201, {"id": a.pk, "instrument": a.instrument.code, "kind": a.kind, "assessed_on": a.assessed_on, "score": a.score,
                        "band": a.band, "answers": sc.assessment_answers(a)})


@router.post("/cases/{id:case_id}/plan", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="Write or change the plan (and submit it)")
def plan_write(request: ApiRequest, case_id: int, payload: CasePlanIn) -> Any:
    c = sc.case_get(request.auth, case_id)
    goals = [cy.GoalIn(g.text, g.care_kind, _instrument(g.instrument, "goals"), g.target_score) for g in payload.goals]
    plan = cy.plan_write(actor=request.auth, case=c, goals=goals, starts_on=payload.starts_on, ends_on=payload.ends_on,
                         summary=payload.summary, home_visit_days=payload.home_visit_days, version=payload.version)
    if payload.submit:
        cy.plan_submit(actor=request.auth, plan=plan, version=plan.version)
    return _detail(request, case_id)


@router.post("/plans/{id:case_plan_id}/decide", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="The supervisor approves or returns a plan")
def plan_decide(request: ApiRequest, case_plan_id: int, payload: CaseDecisionIn) -> Any:
    """Not by the worker who submitted it or owns the case (`own_plan`); a return needs a reason."""
    plan = sc.plan_get(request.auth, case_plan_id)
    if payload.approve:
        cy.plan_approve(actor=request.auth, plan=plan, version=payload.version)
    else:
        cy.plan_return(actor=request.auth, plan=plan, version=payload.version, reason=payload.reason)
    return _detail(request, plan.case_id)


@router.post("/cases/{id:case_id}/records", response={201: CaseRecordOut, **errors(400, 401, 403, 404, 409)},
             summary="Record a visit or session")
def record_create(request: ApiRequest, case_id: int, payload: CaseRecordIn) -> Any:
    c = sc.case_get(request.auth, case_id)
    r = cr.record_add(actor=request.auth, case=c, kind=payload.kind, care_kind=payload.care_kind, served_on=payload.served_on,
                      minutes=payload.minutes, person_times=payload.person_times, notes=payload.notes)
    return Status(201, _record(r, payload.notes))


def _record(r: Any, notes: str) -> dict[str, Any]:
    return {"id": r.pk, "kind": r.kind, "care_kind": r.care_kind, "served_on": r.served_on, "minutes": r.minutes,
            "person_times": r.person_times, "worker_id": r.worker_id, "notes": notes.strip(), "current": r.current,
            "corrects_id": r.corrects_id, "correction_reason": r.correction_reason}


@router.post("/records/{id:service_record_id}/correct", response={201: CaseRecordOut, **errors(400, 401, 403, 404, 409)},
             summary="Correct a service record (the earlier one is kept)")
def record_correct(request: ApiRequest, service_record_id: int, payload: CaseRecordCorrectIn) -> Any:
    r = sc.record_get(request.auth, service_record_id)
    made = cr.record_correct(actor=request.auth, record=r, reason=payload.reason, kind=payload.kind, care_kind=payload.care_kind,
                             served_on=payload.served_on, minutes=payload.minutes, person_times=payload.person_times,
                             notes=payload.notes)
    return Status(201, _record(made, payload.notes))


@router.post("/cases/{id:case_id}/reviews", response={201: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="Review against the plan's goals")
def review_create(request: ApiRequest, case_id: int, payload: CaseReviewIn) -> Any:
    c = sc.case_get(request.auth, case_id)
    cr.review_record(actor=request.auth, case=c, kind=payload.kind, reviewed_on=payload.reviewed_on, summary=payload.summary,
                     results={g.goal_id: g.result for g in payload.goals if g.result},
                     after_scores={g.goal_id: g.after_score for g in payload.goals if g.after_score is not None})
    return Status(201, _detail(request, case_id))


@router.post("/cases/{id:case_id}/resume", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="Continue the service after a review")
def case_resume(request: ApiRequest, case_id: int, payload: CaseVersionIn) -> Any:
    cr.case_resume(actor=request.auth, case=sc.case_get(request.auth, case_id), version=payload.version)
    return _detail(request, case_id)


@router.post("/cases/{id:case_id}/closure", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="Ask to close the case")
def closure_request(request: ApiRequest, case_id: int, payload: CaseClosureIn) -> Any:
    cr.closure_request(actor=request.auth, case=sc.case_get(request.auth, case_id), version=payload.version,
                       summary=payload.summary)
    return _detail(request, case_id)


@router.post("/cases/{id:case_id}/closure/decide", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="The supervisor approves or returns a closure")
def closure_decide(request: ApiRequest, case_id: int, payload: CaseDecisionIn) -> Any:
    c = sc.case_get(request.auth, case_id)
    if payload.approve:
        cr.closure_approve(actor=request.auth, case=c, version=payload.version)
    else:
        cr.closure_return(actor=request.auth, case=c, version=payload.version, reason=payload.reason)
    return _detail(request, case_id)


@router.post("/cases/{id:case_id}/referrals", response={201: CaseReferralOut, **errors(400, 401, 403, 404, 409)},
             summary="Refer to another organization (needs the person's consent)")
def referral_create(request: ApiRequest, case_id: int, payload: CaseReferralIn) -> Any:
    """403 `consent_missing`, `consent_expired` or `consent_withdrawn` without a valid referral consent naming it."""
    c = sc.case_get(request.auth, case_id)
    org = Organization.objects.filter(pk=payload.organization_id).first()
    if org is None:
        raise field_error("organization_id", "not_found", NotFound().message)
    r = cr.referral_send(actor=request.auth, case=c, organization=org, reason=payload.reason, referred_on=payload.referred_on)
    return Status(201, {"id": r.pk, "organization_id": org.pk, "organization": org.name, "referred_on": r.referred_on,
                        "status": r.status, "consent_id": r.consent_id, "reason": payload.reason.strip()})


@router.post("/referrals/{id:referral_id}/status", response={200: CaseOut, **errors(400, 401, 403, 404, 409)},
             summary="Record the organization's answer to a referral")
def referral_status(request: ApiRequest, referral_id: int, payload: CaseReferralStatusIn) -> Any:
    r = sc.referral_get(request.auth, referral_id)
    cr.referral_update(actor=request.auth, referral=r, status=payload.status, outcome=payload.outcome)
    return _detail(request, r.case_id)


@router.get("/approvals", response={200: CaseApprovalsOut, **errors(401, 403)}, summary="The supervisor's queue")
def approvals(request: ApiRequest) -> Any:
    plans, closures = sc.approvals(request.auth)
    return {"plans": [{"plan_id": p.pk, "case_id": p.case_id, "version": p.version, "station_id": p.case.station_id,
                       "submitted_at": p.submitted_at.isoformat() if p.submitted_at else None} for p in plans],
            "closures": [{"case_id": c.pk, "version": c.version, "station_id": c.station_id} for c in closures]}
