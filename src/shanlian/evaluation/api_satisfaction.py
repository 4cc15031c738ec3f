"""The satisfaction data for other systems and a mini-program, under the same scopes as the pages.

Staff (signed in): the surveys they read, with each one's responses and rate; one survey; its results (per question:
counts of 1–5, mean, rate) and its comments (names masked on a named survey, none on an anonymous one); setting one
up; the dashboard by district and station. Public (no login, by the survey's token, as its link): the questions, and
answering. An app answering an anonymous survey sends its own random `device` id (16–64 letters, digits, - or _),
kept on the phone: one answer per device. A named survey is answered with the resident's bearer token (POST
/api/auth/token); a signed-in page answers through its form, which carries the page's CSRF protection.

Rates are decimals with four places (0.9134: 91.34% of answers were 4 or 5); means two places."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from shanlian.core.errors import field_error
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.services import token_user

from . import satisfaction_counts as counts
from . import selectors_satisfaction as sel
from .models import Survey
from .services import satisfaction as services
from .services.satisfaction import QUESTIONS_MAX

router = Router(tags=["evaluation"])


# --- schemas ---------------------------------------------------------------------------------------------------------

class SurveyItemOut(Schema):
    id: int
    title: str
    subject: str = Field(..., description="The station's name or the project's title.")
    station_id: int | None
    service_project_id: int | None
    audience: str = Field(..., description="beneficiary or resident")
    anonymous: bool
    opens_on: dt.date
    closes_on: dt.date
    state: str = Field(..., description="upcoming, open or closed")
    responses: int
    rate: Decimal | None = Field(..., description="Share of answers of 4 or 5 (four places); null before any answer.")


class SurveyPage(PageOut):
    results: list[SurveyItemOut]


class SurveyOut(SurveyItemOut):
    questions: list[str]
    link: str = Field(..., description="The public link people answer at (its QR code is on the survey's page).")


class SurveyQuestionOut(Schema):
    n: int
    text: str
    counts: list[int] = Field(..., description="How many answered 1, 2, 3, 4 and 5.")
    mean: Decimal | None
    rate: Decimal | None


class SurveyResultsOut(Schema):
    id: int
    responses: int
    answers: int
    rate: Decimal | None
    mean: Decimal | None
    questions: list[SurveyQuestionOut]


class CommentOut(Schema):
    id: int
    comment: str
    submitted_at: dt.datetime
    respondent: str = Field(..., description="The masked name on a named survey (张**); empty on an anonymous one.")


class CommentPage(PageOut):
    results: list[CommentOut]


class SurveyFilter(PageIn):
    year: int | None = Field(None, ge=2000, le=2100, description="Surveys opening in this year.")
    audience: str | None = Field(None, max_length=12)
    q: str | None = Field(None, max_length=64, description="Part of the title, the station's name or the project's title.")


class SurveyIn(Schema):
    title: str = Field(..., max_length=128)
    audience: str = Field(..., max_length=12, description="beneficiary or resident")
    anonymous: bool = True
    questions: list[str] = Field(..., max_length=QUESTIONS_MAX * 2, description="3 to 10 questions, each answered 1 to 5.")
    opens_on: dt.date
    closes_on: dt.date
    station_id: int | None = Field(None, ge=1, le=10**18, description="The station surveyed, or:")
    service_project_id: int | None = Field(None, ge=1, le=10**18, description="the service project surveyed.")


class DashboardFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Default: this year.")
    district_id: int | None = Field(None, ge=1, le=10**18, description="One district's stations (default: the districts).")


class DashboardRowOut(Schema):
    id: int = Field(..., description="The district's or the station's id.")
    name: str
    stations: int
    surveys: int
    responses: int
    rate: Decimal | None
    last_year_rate: Decimal | None


class DashboardOut(Schema):
    year: int
    district: str | None
    rows: list[DashboardRowOut]
    total: DashboardRowOut


class PublicSurveyOut(Schema):
    title: str
    subject: str
    audience: str
    anonymous: bool
    opens_on: dt.date
    closes_on: dt.date
    state: str = Field(..., description="upcoming, open or closed")
    questions: list[str]
    scale: list[str] = Field(..., description="What 1 to 5 mean, in the reader's language.")


class AnswerIn(Schema):
    answers: list[int] = Field(..., max_length=QUESTIONS_MAX * 2, description="One answer 1–5 per question, in order.")
    comment: str = Field("", max_length=500)
    device: str = Field("", max_length=64, description="An anonymous survey: the app's random id of this phone.")


class AnswerOut(Schema):
    id: int
    submitted_at: dt.datetime


# --- staff -----------------------------------------------------------------------------------------------------------

def _item(s: Survey, tally: counts.Tally | None) -> dict[str, Any]:
    return {"id": s.pk, "title": s.title, "subject": sel.subject_name(s), "station_id": s.station_id,
            "service_project_id": s.project_id, "audience": s.audience, "anonymous": s.anonymous, "opens_on": s.opens_on,
            "closes_on": s.closes_on, "state": sel.survey_state(s), "responses": tally.responses if tally else 0,
            "rate": tally.rate if tally else None}


def _full(request: HttpRequest, s: Survey) -> dict[str, Any]:
    return {**_item(s, counts.tallies([s])[s.pk]), "questions": list(s.questions or []), "link": sel.survey_link(s, request)}


@router.get("/satisfaction/surveys", response={200: SurveyPage, **errors(400, 401, 403)}, summary="Satisfaction surveys")
def surveys_index(request: ApiRequest, filters: Query[SurveyFilter]) -> Any:
    """The surveys the caller reads (its stations', its projects', its area's), newest first, with responses and rate."""
    rows = sel.surveys_list(actor=request.auth, year=filters.year, audience=filters.audience or "", query=(filters.q or "").strip())
    page = paginate(rows, filters)
    counted = counts.tallies(page["results"])
    page["results"] = [_item(s, counted[s.pk]) for s in page["results"]]
    return page


@router.post("/satisfaction/surveys", response={201: SurveyOut, **errors(400, 401, 403, 404)}, summary="Set up a satisfaction survey")
def survey_create(request: ApiRequest, payload: SurveyIn) -> Any:
    """Of a station (its staff, the area's administrators) or of a service project (its lead organization's managers,
    its station's staff, the area's administrators): exactly one of `station_id` and `service_project_id`."""
    if (payload.station_id is None) == (payload.service_project_id is None):
        raise field_error("subject", "subject_required", services.SUBJECT_REQUIRED)
    station = sel.station_get(actor=request.auth, station_id=payload.station_id) if payload.station_id is not None else None
    project = (sel.project_get(actor=request.auth, project_id=payload.service_project_id)
               if payload.service_project_id is not None else None)
    made = services.survey_create(actor=request.auth, title=payload.title, audience=payload.audience, anonymous=payload.anonymous,
                                  questions=payload.questions, opens_on=payload.opens_on, closes_on=payload.closes_on,
                                  station=station, project=project)
    return Status(201, _full(request, sel.survey_get(actor=request.auth, survey_id=made.pk)))


@router.get("/satisfaction/surveys/{id:survey_id}", response={200: SurveyOut, **errors(401, 403, 404)}, summary="One satisfaction survey")
def survey_detail(request: ApiRequest, survey_id: int) -> Any:
    return _full(request, sel.survey_get(actor=request.auth, survey_id=survey_id))


@router.get("/satisfaction/surveys/{id:survey_id}/results", response={200: SurveyResultsOut, **errors(401, 403, 404)},
            summary="A satisfaction survey's results")
def survey_results(request: ApiRequest, survey_id: int) -> Any:
    """Per question: how many answered 1–5, the mean and the rate; over all: the responses, the rate and the mean."""
    results = counts.survey_results(sel.survey_get(actor=request.auth, survey_id=survey_id))
    return {"id": survey_id, "responses": results.responses, "answers": results.answers, "rate": results.rate, "mean": results.mean,
            "questions": [{"n": q.n, "text": q.text, "counts": q.counts, "mean": q.mean, "rate": q.rate} for q in results.questions]}


@router.get("/satisfaction/surveys/{id:survey_id}/comments", response={200: CommentPage, **errors(400, 401, 403, 404)},
            summary="A satisfaction survey's comments")
def survey_comments(request: ApiRequest, survey_id: int, filters: Query[PageIn]) -> Any:
    """Latest first; an anonymous survey's never say who, a named survey's give the masked name."""
    found = sel.survey_get(actor=request.auth, survey_id=survey_id)
    page = paginate(counts.survey_comments(found), filters)
    page["results"] = [{"id": r.pk, "comment": r.comment, "submitted_at": r.submitted_at, "respondent": counts.respondent_name(found, r)}
                       for r in page["results"]]
    return page


def _row(row: sel.DashboardRow) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "stations": row.stations, "surveys": row.pool.surveys, "responses": row.pool.responses,
            "rate": row.pool.rate, "last_year_rate": row.last.rate}


@router.get("/satisfaction/dashboard", response={200: DashboardOut, **errors(400, 401, 403, 404)},
            summary="Satisfaction by district and station")
def dashboard(request: ApiRequest, filters: Query[DashboardFilter]) -> Any:
    """The districts with stations in the caller's scope, or one district's stations: the year's surveys, responses and
    rate (a station's includes its service projects' surveys), and last year's rate."""
    year = filters.year if filters.year is not None else timezone.localdate().year
    board = sel.dashboard(actor=request.auth, year=year, district_id=filters.district_id)
    return {"year": board.year, "district": board.district.name if board.district else None, "rows": [_row(r) for r in board.rows],
            "total": _row(board.total)}


# --- public ----------------------------------------------------------------------------------------------------------

@router.get("/satisfaction/answer/{survey_token}", auth=None, response={200: PublicSurveyOut, **errors(404)},
            summary="A satisfaction survey to answer (public)")
def public_survey(request: HttpRequest, survey_token: str) -> Any:
    s = sel.survey_public_get(survey_token)
    return {"title": s.title, "subject": sel.subject_name(s), "audience": s.audience, "anonymous": s.anonymous, "opens_on": s.opens_on,
            "closes_on": s.closes_on, "state": sel.survey_state(s), "questions": list(s.questions or []),
            "scale": [str(label) for label in counts.SCALE_LABELS]}


def _bearer_user(request: HttpRequest) -> Any:
    """The resident a bearer token signs in (a named survey), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    return token_user(header[7:].strip()) if header.startswith("Bearer ") and len(header) < 200 else None


@router.post("/satisfaction/answer/{survey_token}", auth=None, response={201: AnswerOut, **errors(400, 403, 404, 409)},
             summary="Answer a satisfaction survey (public)")
def public_answer(request: HttpRequest, survey_token: str, payload: AnswerIn) -> Any:
    """One answer per device (anonymous) or per resident (named: with the resident's bearer token); refused before it
    opens and after it closes (409), with a wrong number of answers or one outside 1–5 (400)."""
    s = sel.survey_public_get(survey_token)
    made = services.response_submit(survey=s, answers=payload.answers, comment=payload.comment, device=payload.device,
                                    actor=None if s.anonymous else _bearer_user(request))
    return Status(201, {"id": made.pk, "submitted_at": made.submitted_at})
