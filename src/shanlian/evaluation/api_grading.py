"""The grade and brand evaluation's data for other systems and a mini-program, under the same scopes as the pages:
calls (the committee's board), an organization's application, marks and submission, an expert's review, the
committee's decision and award; the public notices, objections and certificates (no login); the expert pool."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema, Status

from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.schemas import ApiRequest, errors
from shanlian.orgs.models import Organization, Station
from shanlian.people.selectors import actor_scope
from shanlian.people.selectors_experts import expert_pool, expert_profile, expert_ties
from shanlian.people.services_experts import EXPERT_FIELDS_MAX, expert_profile_save, expert_tie_declare
from shanlian.places.models import Division

from . import selectors_grading as sel
from .access import ADMIN_ROLES, is_framework_admin, require_expert
from .models import RaterKind
from .services import assessments as sa
from .services import decisions as sd
from .services import reviews as sr

router = Router(tags=["evaluation"])
public_router = Router(tags=["evaluation"])


class CallOut(Schema):
    id: int
    title: str
    region: str
    kind: str = Field(..., description="grade or brand")
    year: int
    batch: int | None
    pass_mark: Decimal | None
    opens_on: dt.date
    closes_on: dt.date
    review_until: dt.date
    notice_days: int
    reviewers: int
    status: str
    assessments: int


class CallIn(Schema):
    region_id: int
    kind: str = Field("grade", max_length=8)
    year: int = Field(..., ge=2000, le=2100)
    title: str = Field(..., max_length=128)
    opens_on: dt.date
    closes_on: dt.date
    review_until: dt.date
    reviewers: int = Field(2, ge=1, le=7)
    notice_days: int = Field(7, ge=7, le=30)
    batch: int | None = Field(None, ge=1, le=99)
    pass_mark: Decimal | None = Field(None, ge=0, le=1000)


class CallBoardRowOut(Schema):
    assessment_id: int
    organization: str
    status: str
    self_total: Decimal | None
    expert_total: Decimal | None
    experts_done: int
    experts: int
    site: str
    divergent: int
    grade: str
    named: bool


class CallDetailOut(CallOut):
    board: list[CallBoardRowOut] = Field(..., description="Every assessment (the committee only; empty for others).")


class ExpertsIn(Schema):
    experts: list[int] = Field(..., min_length=1, max_length=sr.EXPERTS_MAX, description="User ids of experts in the pool.")


class ApplyIn(Schema):
    organization_id: int
    station_id: int | None = Field(None, description="A station call: the station the organization runs, to be evaluated.")


class MarkIn(Schema):
    level: int | None = Field(None, description="Level 1–4 (indicators scored by levels).")
    points: str | None = Field(None, max_length=20, description="Points, two places (indicators scored by points).")
    answer: str | None = Field(None, max_length=3, description="yes or no (yes/no indicators).")
    comment: str = Field("", max_length=500)


class MarksIn(Schema):
    marks: dict[int, MarkIn] = Field(..., description="Indicator id → its mark.")


class ReviewIn(MarksIn):
    comment: str = Field("", max_length=2000)


class AssessmentDecisionIn(Schema):
    grade: str = Field("", max_length=2, description="1A–5A or empty (grade calls).")
    named: bool = Field(False, description="Named a brand organization (brand calls).")
    note: str = Field("", max_length=500)


class SiteIn(Schema):
    expert_id: int


class RaterIn(Schema):
    user_id: int
    role: str = Field("site", max_length=12, description="site (an expert); in a station call also supervisor (an expert) "
                                                         "or purchaser (a street officer of the station's street)")


class MarkOut(Schema):
    rater: str = Field(..., description="self, expert, site, purchaser or supervisor")
    points: Decimal
    level: int | None


class LeafOut(Schema):
    indicator_id: int
    code: str
    name: str
    points: Decimal
    scoring: str
    leaf: bool
    evidence_required: bool
    evidence: int
    self_mark: MarkOut | None
    marks: list[MarkOut] = Field(..., description="The other raters' marks the caller may see.")
    mine: MarkOut | None
    mean: Decimal | None
    divergent: bool


class AssessmentOut(Schema):
    id: int
    call_id: int
    organization: str
    station: str | None = Field(None, description="A station call: the station evaluated.")
    framework_id: int
    status: str
    role: str = Field(..., description="What the caller is here: committee, organization or expert.")
    self_total: Decimal
    reviewed_total: Decimal | None
    earned: str
    grade: str
    named: bool
    notice_until: dt.datetime | None
    certificate_no: str
    indicators: list[LeafOut]


class AssessmentItemOut(Schema):
    id: int
    call: str
    organization: str
    station: str | None
    status: str
    grade: str
    named: bool


class ObjectionIn(Schema):
    name: str = Field(..., max_length=32)
    contact: str = Field(..., max_length=20, description="A phone number to be answered on (kept encrypted).")
    text: str = Field(..., max_length=2000)


class NoticeOut(Schema):
    id: int
    organization: str
    call: str
    status: str
    grade: str
    named: bool
    total: Decimal | None
    notice_until: dt.datetime | None
    certificate_no: str


class ExpertOut(Schema):
    user_id: int
    name: str
    fields: list[str]
    title: str
    employer: str
    max_load: int | None
    away: bool
    ties: int


class ProfileIn(Schema):
    fields: list[str] = Field(..., max_length=EXPERT_FIELDS_MAX)
    title: str = Field("", max_length=64)
    employer: str = Field("", max_length=128)
    max_load: int | None = Field(None, ge=1, le=200)
    away_from: dt.date | None = None
    away_until: dt.date | None = None


class TieIn(Schema):
    organization_id: int
    kind: str = Field(..., max_length=16)
    note: str = Field("", max_length=200)
    ended_on: dt.date | None = None


class TieOut(Schema):
    organization_id: int
    organization: str
    kind: str
    note: str
    ended_on: dt.date | None


class ExpertProfileOut(Schema):
    fields: list[str]
    title: str
    employer: str
    max_load: int | None
    away_from: dt.date | None
    away_until: dt.date | None
    ties: list[TieOut]


def _call(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "title": c.title, "region": c.region.name, "kind": c.kind, "year": c.year, "batch": c.batch,
            "pass_mark": c.pass_mark, "opens_on": c.opens_on, "closes_on": c.closes_on, "review_until": c.review_until,
            "notice_days": c.notice_days, "reviewers": c.reviewers, "status": c.status, "assessments": getattr(c, "n", 0)}


def _call_detail(request: ApiRequest, call_id: int) -> dict[str, Any]:
    scope = actor_scope(request.auth)
    c = sel.call_get(scope, call_id)
    board = sel.call_board(c) if is_framework_admin(scope, c.region) else []
    return {**_call(c), "board": [{
        "assessment_id": r.assessment.pk, "organization": r.assessment.organization.name, "status": r.assessment.status,
        "self_total": r.assessment.self_total, "expert_total": r.expert_total, "experts_done": r.experts_done,
        "experts": r.experts, "site": r.site, "divergent": r.divergent, "grade": r.assessment.grade,
        "named": r.assessment.named} for r in board]}


def _mark(r: Any) -> dict[str, Any] | None:
    return None if r is None else {"rater": r.kind, "points": r.points, "level": r.level}


def _assessment(request: ApiRequest, assessment_id: int) -> dict[str, Any]:
    scope = actor_scope(request.auth)
    v = sel.assessment_view(scope, sel.assessment_get(scope, assessment_id))
    a = v.assessment
    own = v.role == "organization"
    return {"id": a.pk, "call_id": a.call_id, "organization": a.organization.name,
            "station": a.station.name if a.station else None, "framework_id": a.framework_id,
            "status": a.status, "role": v.role, "self_total": v.self_total, "reviewed_total": v.reviewed_total,
            "earned": v.earned, "grade": a.grade, "named": a.named, "notice_until": a.notice_until,
            "certificate_no": a.certificate_no, "indicators": [{
                "indicator_id": r.indicator.pk, "code": r.indicator.code, "name": r.indicator.name,
                "points": r.indicator.points, "scoring": r.indicator.scoring, "leaf": r.leaf,
                "evidence_required": r.indicator.evidence_required, "evidence": len(r.evidence),
                "self_mark": _mark(r.self_mark) if (own or v.role != "organization") else None,
                "marks": [_mark(m) for m in r.marks], "mine": _mark(r.mine), "mean": r.mean if r.marks else None,
                "divergent": r.divergent} for r in v.rows]}


def _marks(payload: MarksIn) -> dict[int, dict[str, Any]]:
    return {k: {key: val for key, val in m.dict().items() if val not in (None, "")} for k, m in payload.marks.items()}


@router.get("/calls", response={200: list[CallOut], **errors(401)}, summary="Grade and brand calls")
def calls_index(request: ApiRequest) -> Any:
    """The calls the caller runs, those open to an organization they manage, and those they review in (newest first,
    at most 100)."""
    return [_call(c) for c in sel.calls_visible(actor_scope(request.auth))[:100]]


@router.post("/calls", response={201: CallDetailOut, **errors(400, 401, 403, 404, 409)}, summary="Open a call")
def call_new(request: ApiRequest, payload: CallIn) -> Any:
    region = Division.objects.filter(pk=payload.region_id).first()
    if region is None:
        raise field_error("region_id", "not_found", _("No such region."))
    made = sa.call_create(actor=request.auth, region=region, **payload.dict(exclude={"region_id"}))
    return Status(201, _call_detail(request, made.pk))


@router.get("/calls/{id:call_id}", response={200: CallDetailOut, **errors(401, 404)}, summary="One call (with the committee's board)")
def call_detail(request: ApiRequest, call_id: int) -> Any:
    return _call_detail(request, call_id)


@router.post("/calls/{id:call_id}/assign", response={200: CallDetailOut, **errors(400, 401, 403, 404, 409)},
             summary="Assign experts to the call's submitted assessments")
def call_assign(request: ApiRequest, call_id: int, payload: ExpertsIn) -> Any:
    c = sel.call_get(actor_scope(request.auth), call_id)
    sr.reviewers_assign(actor=request.auth, call=c, experts=list(payload.experts))
    return _call_detail(request, call_id)


@router.post("/calls/{id:call_id}/apply", response={201: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Apply to a call for an organization the caller manages")
def call_apply(request: ApiRequest, call_id: int, payload: ApplyIn) -> Any:
    c = sel.call_get(actor_scope(request.auth), call_id)
    org = Organization.objects.filter(pk=payload.organization_id).first()
    station = Station.objects.filter(pk=payload.station_id).select_related("street").first() if payload.station_id else None
    if org is None or (payload.station_id and station is None):
        raise NotFound()
    made = sa.assessment_apply(actor=request.auth, call=c, organization=org, station=station)
    return Status(201, _assessment(request, made.pk))


@router.get("/assessments", response={200: list[AssessmentItemOut], **errors(401)}, summary="My assessments")
def assessments_index(request: ApiRequest) -> Any:
    """The assessments of the organizations the caller manages, and those the caller reviews."""
    scope = actor_scope(request.auth)
    rows = list(sel.assessments_of(scope)[:200]) + [r.assessment for r in sel.reviews_of(request.auth)[:200]]
    return [{"id": a.pk, "call": a.call.title, "organization": a.organization.name,
             "station": a.station.name if a.station else None, "status": a.status, "grade": a.grade,
             "named": a.named} for a in rows]


@router.get("/assessments/{id:assessment_id}", response={200: AssessmentOut, **errors(401, 404)}, summary="One assessment")
def assessment_detail(request: ApiRequest, assessment_id: int) -> Any:
    return _assessment(request, assessment_id)


@router.put("/assessments/{id:assessment_id}/marks", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
            summary="Save the organization's own marks")
def assessment_marks(request: ApiRequest, assessment_id: int, payload: MarksIn) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    sa.self_rate(actor=request.auth, assessment=a, marks=_marks(payload))
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/submit", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Submit the self-assessment")
def assessment_submit(request: ApiRequest, assessment_id: int) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    sa.assessment_submit(actor=request.auth, assessment=a)
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/review", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Submit the caller's review (every indicator marked)")
def assessment_review(request: ApiRequest, assessment_id: int, payload: ReviewIn) -> Any:
    scope = actor_scope(request.auth)
    v = sel.assessment_view(scope, sel.assessment_get(scope, assessment_id))
    if v.reviewer is None:
        raise NotFound()
    sr.evaluation_review_submit(actor=request.auth, reviewer=v.reviewer, marks=_marks(payload), comment=payload.comment)
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/site", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Name the site inspector")
def assessment_site(request: ApiRequest, assessment_id: int, payload: SiteIn) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    user = get_user_model().objects.filter(pk=payload.expert_id).first()
    if user is None:
        raise field_error("expert_id", "not_an_expert", _("Choose only experts of the pool."))
    sr.rater_name(actor=request.auth, assessment=a, user=user, role=RaterKind.SITE)
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/raters", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Name a rater: a site inspector; a station's supervisor or purchaser's officer")
def assessment_rater(request: ApiRequest, assessment_id: int, payload: RaterIn) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    user = get_user_model().objects.filter(pk=payload.user_id).first()
    if user is None:
        raise field_error("user_id", "no_such_user", _("No such user."))
    sr.rater_name(actor=request.auth, assessment=a, user=user, role=payload.role)
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/decide", response={200: AssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="The committee's decision, put on public notice")
def assessment_decide(request: ApiRequest, assessment_id: int, payload: AssessmentDecisionIn) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    sd.assessment_decide(actor=request.auth, assessment=a, grade=payload.grade, named=payload.named, note=payload.note)
    return _assessment(request, assessment_id)


@router.post("/assessments/{id:assessment_id}/award", response={200: AssessmentOut, **errors(401, 403, 404, 409)},
             summary="Award the grade (or the brand title) after the notice")
def assessment_award(request: ApiRequest, assessment_id: int) -> Any:
    a = sel.assessment_get(actor_scope(request.auth), assessment_id)
    sd.assessment_award(actor=request.auth, assessment=a)
    return _assessment(request, assessment_id)


# --- the expert pool -----------------------------------------------------------------------------------------------

@router.get("/experts", response={200: list[ExpertOut], **errors(401, 403)}, summary="The expert pool")
def experts_index(request: ApiRequest) -> Any:
    scope = actor_scope(request.auth)
    if not (scope.is_superuser or scope.has(*ADMIN_ROLES)):
        raise PermissionDenied("not_pool_keeper", _("Only administrators read the expert pool."))
    return [{**e.__dict__, "fields": list(e.fields)} for e in expert_pool(on=timezone.localdate())]


def _profile(user: Any) -> dict[str, Any]:
    p = expert_profile(user_id=user.pk)
    return {"fields": p.fields if p else [], "title": p.title if p else "", "employer": p.employer if p else "",
            "max_load": p.max_load if p else None, "away_from": p.away_from if p else None,
            "away_until": p.away_until if p else None,
            "ties": [{"organization_id": t.organization_id, "organization": t.organization.name, "kind": t.kind,
                      "note": t.note, "ended_on": t.ended_on} for t in expert_ties(user_id=user.pk)]}


@router.get("/experts/me", response={200: ExpertProfileOut, **errors(401, 403)}, summary="My entry in the expert pool")
def expert_me(request: ApiRequest) -> Any:
    require_expert(request.auth)
    return _profile(request.auth)


@router.put("/experts/me", response={200: ExpertProfileOut, **errors(400, 401, 403)}, summary="Change my entry in the expert pool")
def expert_me_save(request: ApiRequest, payload: ProfileIn) -> Any:
    expert_profile_save(actor=request.auth, user=request.auth, **payload.dict())
    return _profile(request.auth)


@router.post("/experts/me/ties", response={200: ExpertProfileOut, **errors(400, 401, 403, 404)}, summary="Declare a tie to an organization")
def expert_me_tie(request: ApiRequest, payload: TieIn) -> Any:
    org = Organization.objects.filter(pk=payload.organization_id).first()
    if org is None:
        raise NotFound()
    expert_tie_declare(actor=request.auth, user=request.auth, organization=org, kind=payload.kind, note=payload.note,
                       ended_on=payload.ended_on)
    return _profile(request.auth)


# --- public ----------------------------------------------------------------------------------------------------------

def _notice(a: Any) -> dict[str, Any]:
    return {"id": a.pk, "organization": a.organization.name, "call": a.call.title, "status": a.status, "grade": a.grade,
            "named": a.named, "total": a.total, "notice_until": a.notice_until, "certificate_no": a.certificate_no}


@public_router.get("/notices", response={200: list[NoticeOut]}, auth=None, summary="Decisions on notice and awards (public)")
def notices_public(request: ApiRequest) -> Any:
    return [_notice(a) for a in sel.notices_public()[:200]]


@public_router.post("/notices/{id:assessment_id}/objections", response={201: NoticeOut, **errors(400, 404, 409)}, auth=None,
                    summary="Lodge an objection while the notice runs (public)")
def notice_object(request: ApiRequest, assessment_id: int, payload: ObjectionIn) -> Any:
    a = sel.notice_public_get(assessment_id)
    sd.objection_lodge(assessment=a, name=payload.name, contact=payload.contact, text=payload.text)
    return Status(201, _notice(a))


@public_router.get("/certificates/{number}", response={200: NoticeOut, **errors(404)}, auth=None,
                   summary="Check a certificate (public)")
def certificate_check(request: ApiRequest, number: str) -> Any:
    return _notice(sel.certificate_public_get(number[:32]))


router.add_router("", public_router)
