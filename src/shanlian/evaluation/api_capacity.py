"""The capacity data for other systems and a mini-program, under the same scopes as the pages: diagnoses (with their
dimension scores, the peer median and the change since the previous one) to the organization's managers and its
area's administrators; a respondent's questionnaire and answers by their link's token (no login); the action plan;
questionnaires (anyone signed in reads them, the region's administrators add versions); staff assessments, a person's
trend and coaching sessions. Dates are ISO days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.orgs.models import Organization
from shanlian.people.models import Person
from shanlian.people.selectors import actor_scope
from shanlian.places.models import Division

from . import selectors_capacity as sel
from . import selectors_competency as csel
from .models import ActionItem, CoachingSession, Diagnosis, DiagnosisStatus, Questionnaire, StaffAssessment
from .services import capacity as services
from .services import competency as competency_services

router = Router(tags=["evaluation"])

Id = Annotated[int, Field(ge=1, le=999_999_999_999_999_999)]
Role = Literal["board", "director", "staff"]
Kind = Literal["capacity", "competency"]


class CapacityRef(Schema):
    id: int
    name: str


class QuestionnaireRef(Schema):
    id: int
    title: str
    version: int


class DiagnosisItemOut(Schema):
    id: int
    organization: CapacityRef
    questionnaire: QuestionnaireRef
    started_on: dt.date
    status: str = Field(..., description="open (collecting answers) or closed (reported, scores frozen)")
    closed_at: dt.datetime | None
    scores: dict[str, Decimal] = Field(..., description="Dimension code → score (frozen when closed; empty while open).")
    overall: Decimal | None = Field(None, description="The mean of the dimension scores.")
    respondents: int
    answered: int
    overdue_actions: int


class DiagnosisPage(PageOut):
    results: list[DiagnosisItemOut]


class DiagnosisDimensionOut(Schema):
    code: str
    name: str
    score: Decimal | None = Field(None, description="The mean of its items; an item's, the mean of its respondents.")
    previous: Decimal | None = Field(None, description="Its score in the organization's previous diagnosis.")
    change: Decimal | None = Field(None, description="score − previous.")
    peer_median: Decimal | None
    by_role: dict[str, Decimal | None] = Field(..., description="Each answering role's mean (board, director, staff).")
    spread: Decimal | None = Field(None, description="The distance between the highest and the lowest role's mean.")
    divergent: bool = Field(..., description="The spread reaches CAPACITY_DIVERGENCE (1.0 level by default).")
    weak: bool
    advice: list[str]


class DiagnosisRespondentOut(Schema):
    id: int
    role: str
    label: str
    answered: bool
    link: str | None = Field(None, description="Their answering link (to the organization's managers and administrators, while "
                                               "open and unanswered).")


class DiagnosisActionOut(Schema):
    id: int
    diagnosis_id: int
    dimension_code: str
    text: str
    owner: str
    due_on: dt.date
    status: str = Field(..., description="open, done or dropped")
    overdue: bool
    follow_up: str
    done_on: dt.date | None


class DiagnosisOut(DiagnosisItemOut):
    summary: str
    previous_id: int | None
    peers: int = Field(..., description="Organizations the peer median is taken over (none below CAPACITY_PEERS_MIN).")
    dimensions: list[DiagnosisDimensionOut]
    respondents_list: list[DiagnosisRespondentOut]
    actions: list[DiagnosisActionOut]


class DiagnosisFilter(PageIn):
    status: Literal["open", "closed"] | None = None
    organization_id: Id | None = None


class DiagnosisRespondentIn(Schema):
    role: Role
    label: str = Field(..., max_length=32)


class DiagnosisIn(Schema):
    organization_id: Id
    questionnaire_id: Id
    started_on: dt.date
    respondents: list[DiagnosisRespondentIn] = Field(..., max_length=services.RESPONDENTS_MAX)


class DiagnosisCloseIn(Schema):
    summary: str = Field("", max_length=4000)


class DiagnosisActionIn(Schema):
    dimension_code: str = Field(..., max_length=24)
    text: str = Field(..., max_length=300)
    owner: str = Field(..., max_length=32)
    due_on: dt.date


class DiagnosisFollowUpIn(Schema):
    status: Literal["done", "dropped"]
    follow_up: str = Field(..., max_length=500)
    done_on: dt.date | None = Field(None, description="The day it was done (default today).")


class QuestionnaireItemTextOut(Schema):
    id: int
    text: str
    descriptors: list[str] = Field(..., description="What the item looks like at levels 1 to 4.")


class QuestionnaireDimensionOut(Schema):
    code: str
    name: str
    questions: list[QuestionnaireItemTextOut]


class QuestionnaireItemOut(Schema):
    id: int
    region: str
    kind: str
    title: str
    version: int
    dimensions: int
    questions: int


class QuestionnairePage(PageOut):
    results: list[QuestionnaireItemOut]


class QuestionnaireOut(QuestionnaireItemOut):
    dimensions_list: list[QuestionnaireDimensionOut]


class QuestionnaireFilter(PageIn):
    kind: Kind | None = None


class QuestionnaireQuestionIn(Schema):
    text: str = Field(..., max_length=200)
    descriptors: list[Annotated[str, Field(max_length=services.DESCRIPTOR_MAX)]] = Field(..., max_length=4)


class QuestionnaireDimensionIn(Schema):
    code: str = Field(..., max_length=24)
    name: str = Field(..., max_length=64)
    questions: list[QuestionnaireQuestionIn] = Field(..., max_length=services.QUESTIONS_MAX)


class QuestionnaireIn(Schema):
    region_id: Id
    kind: Kind
    title: str = Field(..., max_length=128)
    dimensions: list[QuestionnaireDimensionIn] = Field(..., max_length=services.DIMENSIONS_MAX)


Levels = dict[Annotated[str, Field(max_length=20)], int]


class DiagnosisAnswerIn(Schema):
    levels: Levels = Field(..., description="Question id → level 1 to 4, for every item.")


class DiagnosisQuestionnaireOut(Schema):
    organization: str
    questionnaire: str
    respondent: str
    role: str
    answered: bool
    closed: bool
    dimensions: list[QuestionnaireDimensionOut]


class DiagnosisAnsweredOut(Schema):
    answered: bool
    submitted_at: dt.datetime


class StaffAssessmentOut(Schema):
    id: int
    person: CapacityRef
    organization: CapacityRef
    questionnaire_id: int
    assessed_on: dt.date
    scores: dict[str, Decimal] = Field(..., description="Competency code → mean level of its items.")
    note: str


class StaffAssessmentPage(PageOut):
    results: list[StaffAssessmentOut]


class StaffAssessmentFilter(PageIn):
    organization_id: Id | None = None


class StaffAssessIn(Schema):
    organization_id: Id
    person_id: Id
    questionnaire_id: Id
    assessed_on: dt.date
    levels: Levels
    note: str = Field("", max_length=500)


class CompetencyLineOut(Schema):
    code: str
    name: str
    scores: list[Decimal | None] = Field(..., description="One a date of `dates`.")


class CompetencyPersonOut(Schema):
    person: CapacityRef
    dates: list[dt.date]
    competencies: list[CompetencyLineOut]
    assessments: list[StaffAssessmentOut]
    coaching_sessions: int


class CoachingSessionOut(Schema):
    id: int
    organization: CapacityRef
    coach: str
    held_on: dt.date
    topic: str
    people: list[CapacityRef]
    person_times: int
    note: str


class CoachingSessionPage(PageOut):
    results: list[CoachingSessionOut]


class CoachingSessionFilter(PageIn):
    organization_id: Id | None = None
    year: int | None = Field(None, ge=2000, le=2100)


class CoachingTotalOut(Schema):
    organization: CapacityRef
    year: int
    sessions: int
    person_times: int


class CoachingSessionIn(Schema):
    organization_id: Id
    held_on: dt.date
    topic: str = Field(..., max_length=128)
    people_ids: list[Id] = Field(default_factory=list, max_length=competency_services.COACHED_MAX)
    person_times: int | None = Field(None, ge=1, le=competency_services.PERSON_TIMES_MAX)
    note: str = Field("", max_length=500)


# --- shaping -----------------------------------------------------------------------------------------------------------

def _scores(raw: Any) -> dict[str, Decimal]:
    return {str(k): v for k, v in ((k, sel.as_decimal(v)) for k, v in (raw or {}).items()) if v is not None}


def _item(d: Diagnosis) -> dict[str, Any]:
    closed = d.status == DiagnosisStatus.CLOSED
    return {"id": d.pk, "organization": {"id": d.organization_id, "name": d.organization.name},
            "questionnaire": {"id": d.questionnaire_id, "title": d.questionnaire.title, "version": d.questionnaire.version},
            "started_on": d.started_on, "status": d.status, "closed_at": d.closed_at, "scores": _scores(d.scores) if closed else {},
            "overall": sel.overall(d.scores) if closed else None, "respondents": getattr(d, "respondent_count", 0),
            "answered": getattr(d, "answered_count", 0), "overdue_actions": getattr(d, "overdue_count", 0)}


def _action(row: Any) -> dict[str, Any]:
    a: ActionItem = row.action if hasattr(row, "action") else row
    overdue = row.overdue if hasattr(row, "overdue") else (a.status == "open" and a.due_on < sel.today())
    return {"id": a.pk, "diagnosis_id": a.diagnosis_id, "dimension_code": a.dimension_code, "text": a.text, "owner": a.owner,
            "due_on": a.due_on, "status": a.status, "overdue": overdue, "follow_up": a.follow_up, "done_on": a.done_on}


def _link(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("evaluation_public:capacity_answer", args=[token]))


def _full(request: ApiRequest, diagnosis_id: int) -> dict[str, Any]:
    scope = sel.require_open(request.auth)
    found = sel.diagnoses_list(scope).filter(pk=diagnosis_id).first() or sel.diagnosis_get(scope, diagnosis_id)
    report = sel.diagnosis_report(scope, found)
    is_open = found.status == DiagnosisStatus.OPEN
    roles = [k for k, _l in report.roles]
    return {**_item(found), "summary": found.summary, "previous_id": found.previous_id, "peers": report.peers.count,
            "overall": report.overall,
            "dimensions": [{"code": r.code, "name": r.name, "score": r.score, "previous": r.previous, "change": r.change,
                            "peer_median": r.peer, "by_role": dict(zip(roles, [v for _l, v in r.by_role], strict=True)),
                            "spread": r.spread, "divergent": r.divergent, "weak": r.weak, "advice": r.advice} for r in report.rows],
            "respondents_list": [{"id": r.respondent.pk, "role": r.respondent.role, "label": r.respondent.label, "answered": r.answered,
                                  "link": _link(request, r.respondent.token) if report.may_manage and is_open and not r.answered else None}
                                 for r in report.respondents],
            "actions": [_action(a) for a in report.actions]}


def _questionnaire(q: Questionnaire, with_dimensions: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q.pk, "region": q.region.name, "kind": q.kind, "title": q.title, "version": q.version,
                           "dimensions": getattr(q, "dimension_count", 0), "questions": getattr(q, "question_count", 0)}
    if with_dimensions:
        view = sel.questionnaire_view(None, q)
        out["dimensions_list"] = _dimensions(view)
    return out


def _dimensions(view: sel.QuestionnaireView) -> list[dict[str, Any]]:
    return [{"code": d.code, "name": d.name, "questions": [{"id": q.pk, "text": q.text, "descriptors": list(q.descriptors or [])}
                                                          for q in qs]} for d, qs in view.dimensions]


def _assessment(a: StaffAssessment) -> dict[str, Any]:
    return {"id": a.pk, "person": {"id": a.person_id, "name": a.person.real_name},
            "organization": {"id": a.organization_id, "name": a.organization.name}, "questionnaire_id": a.questionnaire_id,
            "assessed_on": a.assessed_on, "scores": _scores(a.scores), "note": a.note}


def _coaching(s: CoachingSession) -> dict[str, Any]:
    return {"id": s.pk, "organization": {"id": s.organization_id, "name": s.organization.name},
            "coach": s.coach.first_name or s.coach.get_username(), "held_on": s.held_on, "topic": s.topic,
            "people": [{"id": p.pk, "name": p.real_name} for p in s.people.all()], "person_times": s.person_times, "note": s.note}


def _organization(scope: Any, organization_id: int) -> Organization:
    found = sel.organization_for(scope, organization_id)
    if found is None:
        raise field_error("organization_id", "unknown_organization", _("No such organization among those you evaluate."))
    return found


def _questionnaire_of(questionnaire_id: int) -> Questionnaire:
    found = Questionnaire.objects.select_related("region").filter(pk=questionnaire_id).first()
    if found is None:
        raise field_error("questionnaire_id", "unknown_questionnaire", _("No such questionnaire."))
    return found


# --- diagnoses ---------------------------------------------------------------------------------------------------------

@router.get("/capacity/diagnoses", response={200: DiagnosisPage, **errors(400, 401, 403)}, summary="Capacity diagnoses")
def diagnoses_index(request: ApiRequest, filters: Query[DiagnosisFilter]) -> Any:
    """The diagnoses of the organizations the caller manages, or of the administrators' area; newest first."""
    scope = sel.require_open(request.auth)
    page = paginate(sel.diagnoses_list(scope, status=filters.status or "", organization_id=filters.organization_id), filters)
    page["results"] = [_item(d) for d in page["results"]]
    return page


@router.post("/capacity/diagnoses", response={201: DiagnosisOut, **errors(400, 401, 403, 404, 409)}, summary="Start a diagnosis")
def diagnoses_create(request: ApiRequest, payload: DiagnosisIn) -> Any:
    """Under a capacity questionnaire of the organization's region, with its respondents (each gets a link)."""
    scope = sel.require_open(request.auth)
    made = services.diagnosis_start(actor=request.auth, organization=_organization(scope, payload.organization_id),
                                    questionnaire=_questionnaire_of(payload.questionnaire_id), started_on=payload.started_on,
                                    respondents=[{"role": r.role, "label": r.label} for r in payload.respondents])
    return Status(201, _full(request, made.pk))


@router.get("/capacity/diagnoses/{id:diagnosis_id}", response={200: DiagnosisOut, **errors(401, 403, 404)},
            summary="One diagnosis's report")
def diagnosis_detail(request: ApiRequest, diagnosis_id: int) -> Any:
    """Dimension scores (mean of items; an item = mean of respondents), each role's mean and their divergence, the peer
    median, the change since the previous diagnosis, the library's advice for weak dimensions, respondents and the plan."""
    return _full(request, diagnosis_id)


@router.post("/capacity/diagnoses/{id:diagnosis_id}/respondents", response={201: DiagnosisRespondentOut, **errors(400, 401, 403, 404, 409)},
             summary="Add a respondent")
def respondents_create(request: ApiRequest, diagnosis_id: int, payload: DiagnosisRespondentIn) -> Any:
    found = sel.diagnosis_get(sel.require_open(request.auth), diagnosis_id)
    made = services.respondent_add(actor=request.auth, diagnosis=found, role=payload.role, label=payload.label)
    return Status(201, {"id": made.pk, "role": made.role, "label": made.label, "answered": False, "link": _link(request, made.token)})


@router.post("/capacity/diagnoses/{id:diagnosis_id}/close", response={200: DiagnosisOut, **errors(400, 401, 403, 404, 409)},
             summary="Close and report a diagnosis")
def diagnosis_close(request: ApiRequest, diagnosis_id: int, payload: DiagnosisCloseIn) -> Any:
    """Freezes the dimension scores (peers and the next diagnosis read them); links answer no more."""
    found = sel.diagnosis_get(sel.require_open(request.auth), diagnosis_id)
    services.diagnosis_close(actor=request.auth, diagnosis=found, summary=payload.summary)
    return _full(request, diagnosis_id)


@router.post("/capacity/diagnoses/{id:diagnosis_id}/actions", response={201: DiagnosisActionOut, **errors(400, 401, 403, 404, 409)},
             summary="Add an action to the plan")
def actions_create(request: ApiRequest, diagnosis_id: int, payload: DiagnosisActionIn) -> Any:
    found = sel.diagnosis_get(sel.require_open(request.auth), diagnosis_id)
    made = services.action_add(actor=request.auth, diagnosis=found, dimension_code=payload.dimension_code, text=payload.text,
                               owner=payload.owner, due_on=payload.due_on)
    return Status(201, _action(made))


@router.post("/capacity/actions/{id:capacity_action_id}/follow-up", response={200: DiagnosisActionOut, **errors(400, 401, 403, 404, 409)},
             summary="Follow an action up (done or dropped)")
def action_follow_up(request: ApiRequest, capacity_action_id: int, payload: DiagnosisFollowUpIn) -> Any:
    found = sel.action_get(sel.require_open(request.auth), capacity_action_id)
    done = services.action_follow_up(actor=request.auth, action=found, status=payload.status, follow_up=payload.follow_up,
                                     done_on=payload.done_on)
    return _action(done)


# --- answering by the link's token (public) ------------------------------------------------------------------------------

@router.get("/capacity/answer/{respondent_token}", auth=None, response={200: DiagnosisQuestionnaireOut, **errors(404)},
            summary="A respondent's questionnaire (public, by the link's token)")
def answer_form(request: HttpRequest, respondent_token: str) -> Any:
    r = services.respondent_by_token(respondent_token)
    return {"organization": r.diagnosis.organization.name, "questionnaire": r.diagnosis.questionnaire.title, "respondent": r.label,
            "role": r.role, "answered": r.submitted_at is not None, "closed": r.diagnosis.status != DiagnosisStatus.OPEN,
            "dimensions": _dimensions(sel.questionnaire_view(None, r.diagnosis.questionnaire))}


@router.post("/capacity/answer/{respondent_token}", auth=None, response={201: DiagnosisAnsweredOut, **errors(400, 404, 409)},
             summary="Answer a diagnosis (public, by the link's token)")
def answer_submit(request: HttpRequest, respondent_token: str, payload: DiagnosisAnswerIn) -> Any:
    """Every item at a level 1–4, once: an answered link is refused (409), as is a closed diagnosis."""
    made = services.diagnosis_answer(token=respondent_token, levels=payload.levels)
    return Status(201, {"answered": True, "submitted_at": made.submitted_at})


# --- questionnaires ------------------------------------------------------------------------------------------------------

@router.get("/capacity/questionnaires", response={200: QuestionnairePage, **errors(400, 401)}, summary="Questionnaires")
def questionnaires_index(request: ApiRequest, filters: Query[QuestionnaireFilter]) -> Any:
    rows = sel.questionnaires_visible(actor_scope(request.auth), filters.kind or "").order_by("kind", "region__path", "-version", "-id")
    page = paginate(rows, filters)
    page["results"] = [_questionnaire(q) for q in page["results"]]
    return page


@router.get("/capacity/questionnaires/{id:questionnaire_id}", response={200: QuestionnaireOut, **errors(401, 404)},
            summary="One questionnaire")
def questionnaire_detail(request: ApiRequest, questionnaire_id: int) -> Any:
    return _questionnaire(sel.questionnaire_get(actor_scope(request.auth), questionnaire_id), with_dimensions=True)


@router.post("/capacity/questionnaires", response={201: QuestionnaireOut, **errors(400, 401, 403, 409)},
             summary="Save a questionnaire (its region's next version)")
def questionnaires_create(request: ApiRequest, payload: QuestionnaireIn) -> Any:
    region = Division.objects.filter(pk=payload.region_id).first()
    if region is None:
        raise field_error("region_id", "unknown_region", _("No such region."))
    made = services.questionnaire_create(actor=request.auth, region=region, kind=payload.kind, title=payload.title,
                                         dimensions=[d.model_dump() for d in payload.dimensions])
    return Status(201, _questionnaire(sel.questionnaire_get(actor_scope(request.auth), made.pk), with_dimensions=True))


# --- competency ----------------------------------------------------------------------------------------------------------

@router.get("/competency/assessments", response={200: StaffAssessmentPage, **errors(400, 401, 403)}, summary="Staff assessments")
def assessments_index(request: ApiRequest, filters: Query[StaffAssessmentFilter]) -> Any:
    scope = sel.require_open(request.auth)
    page = paginate(csel.assessments_list(scope, organization_id=filters.organization_id), filters)
    page["results"] = [_assessment(a) for a in page["results"]]
    return page


@router.post("/competency/assessments", response={201: StaffAssessmentOut, **errors(400, 401, 403, 404, 409)},
             summary="Assess a staff member")
def assessments_create(request: ApiRequest, payload: StaffAssessIn) -> Any:
    """A level 1–4 for every item of a competency questionnaire of the organization's region."""
    scope = sel.require_open(request.auth)
    person = Person.objects.filter(pk=payload.person_id).first()
    if person is None:
        raise field_error("person_id", "not_staff", _("Choose one of the organization's people (or someone in your area)."))
    made = competency_services.staff_assess(actor=request.auth, organization=_organization(scope, payload.organization_id),
                                            person=person, questionnaire=_questionnaire_of(payload.questionnaire_id),
                                            assessed_on=payload.assessed_on, levels=payload.levels, note=payload.note)
    return Status(201, _assessment(csel.assessments_visible(scope).get(pk=made.pk)))


@router.get("/competency/people/{id:staff_person_id}", response={200: CompetencyPersonOut, **errors(401, 404)},
            summary="A staff member's competency trend")
def person_detail(request: ApiRequest, staff_person_id: int) -> Any:
    """Their assessments in order and each competency's scores over them (the trend)."""
    report = csel.staff_person_report(actor_scope(request.auth), staff_person_id)
    rows = list(reversed(report.assessments))
    return {"person": {"id": report.person.pk, "name": report.person.real_name}, "dates": [a.assessed_on for a in rows],
            "competencies": [{"code": line.code, "name": line.name, "scores": line.scores} for line in report.lines],
            "assessments": [_assessment(a) for a in rows], "coaching_sessions": len(report.sessions)}


@router.get("/competency/coaching", response={200: CoachingSessionPage, **errors(400, 401, 403)}, summary="Coaching sessions")
def coaching_index(request: ApiRequest, filters: Query[CoachingSessionFilter]) -> Any:
    scope = sel.require_open(request.auth)
    page = paginate(csel.coaching_list(scope, organization_id=filters.organization_id, year=filters.year).prefetch_related("people"),
                    filters)
    page["results"] = [_coaching(s) for s in page["results"]]
    return page


@router.get("/competency/coaching/totals", response={200: list[CoachingTotalOut], **errors(400, 401, 403)},
            summary="Coaching sessions and person-times by organization and year")
def coaching_totals(request: ApiRequest, filters: Query[CoachingSessionFilter]) -> Any:
    scope = sel.require_open(request.auth)
    totals = csel.coaching_totals(scope, organization_id=filters.organization_id, year=filters.year)
    return [{"organization": {"id": t.organization_id, "name": t.organization}, "year": t.year, "sessions": t.sessions,
             "person_times": t.person_times} for t in totals]


@router.post("/competency/coaching", response={201: CoachingSessionOut, **errors(400, 401, 403, 404)}, summary="Log a coaching session")
def coaching_create(request: ApiRequest, payload: CoachingSessionIn) -> Any:
    scope = sel.require_open(request.auth)
    people = list(Person.objects.filter(pk__in=payload.people_ids))
    if len(people) != len(set(payload.people_ids)):
        raise field_error("people_ids", "not_staff", _("Choose one of the organization's people (or someone in your area)."))
    made = competency_services.coaching_log(actor=request.auth, organization=_organization(scope, payload.organization_id),
                                            held_on=payload.held_on, topic=payload.topic, people=people,
                                            person_times=payload.person_times, note=payload.note)
    return Status(201, _coaching(csel.coaching_visible(scope).prefetch_related("people").get(pk=made.pk)))
