"""The volunteer's journey for an app (the WeChat mini-program), beside timebank.api's activities, sign-up, check-in,
profile and redemption: registering at a station, the certification quiz, one activity, one's sign-ups and hours.
Spending and giving credits and certificates are in api_credits.

The same selectors (selectors_volunteer) and services as the volunteer's pages, with their codes and limits. Every
operation acts for the caller's own volunteer record (no volunteer id in any path): another volunteer's sign-up,
redemption, quiz attempt or certificate is a 404. A signed-in user who is not a volunteer gets 403 `not_volunteer`
(registering needs a resident record: 403 `no_person`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from ninja.params import HeaderEx, P

from shanlian.core.conf import domain_setting
from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.idempotency import KEY_DESCRIPTION, REPLAYED_HEADER, idempotency_key_in, was_replayed
from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate

from . import selectors_volunteer as vsel
from . import services
from .api import SignupOut, _h, _me, hours_out, volunteer_ref
from .models import Signup, Skill, Volunteer
from .services.volunteers import AVAILABILITY

router = Router(tags=["volunteer"])


Key = HeaderEx[str | None, P(alias="Idempotency-Key", description=KEY_DESCRIPTION)]
Id = Annotated[int, Field(ge=1, le=10**18)]


def _replay(response: HttpResponse, body: dict[str, Any]) -> Status[dict[str, Any]]:
    response[REPLAYED_HEADER] = "true"
    return Status(200, body)


def _created(row: Any, response: HttpResponse, body: dict[str, Any]) -> Any:
    """201 with the new row, or 200 marked replayed when the service found it under the caller's key."""
    return _replay(response, body) if was_replayed(row) else Status(201, body)


# -- registration ---------------------------------------------------------------------------------------


def _person(request: ApiRequest) -> Any:
    person = getattr(request.auth, "person", None)
    if person is None:
        raise PermissionDenied("no_person", _("Your login has no resident record: sign up as a resident, or ask your station."))
    return person


class CommunityOut(Schema):
    id: int
    name: str


class StationChoiceOut(Schema):
    id: int
    name: str
    street: str
    home: bool = Field(..., description="The station of the street you live in.")
    communities: list[CommunityOut] = Field(..., description="The communities you may choose to serve there.")


class StationChoicePage(PageOut):
    results: list[StationChoiceOut]


@router.get("/registration/stations", response={200: StationChoicePage, **errors(400, 401, 403)},
            summary="Stations to register at")
def registration_stations(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Every station, by street, the one of your own street marked `home`, with the communities of its street."""
    person = _person(request)
    page = paginate(vsel.stations_for_registration(), filters)
    stations = page["results"]
    home = vsel.home_station(person=person, stations=list(vsel.stations_for_registration()))
    communities = vsel.registration_communities(stations=stations)
    page["results"] = [{"id": s.pk, "name": s.name, "street": s.street.name, "home": home is not None and s.pk == home.pk,
                        "communities": [{"id": d.pk, "name": d.name} for d in communities[s.pk]]} for s in stations]
    return page


class RegistrationIn(Schema):
    station: Id
    skills: list[Annotated[str, Field(max_length=32)]] = Field([], max_length=len(Skill.values),
                                                                description="Of: " + ", ".join(Skill.values) + ".")
    availability: list[Annotated[str, Field(max_length=16)]] = Field([], max_length=len(AVAILABILITY),
                                                                      description="Of: " + ", ".join(AVAILABILITY) + ".")
    service_areas: list[Id] = Field([], max_length=100, description="Community ids of the station's street.")
    party_member: bool = False
    party_consent: bool = Field(False, description="Party membership is recorded only with this consent.")


class RegistrationOut(Schema):
    volunteer: dict[str, str] = Field(..., description="The volunteer number and the masked name.")
    station: str
    skills: list[str]
    availability: list[str]
    service_areas: list[int]
    registered_at: dt.datetime


@router.post("/registration", response={200: RegistrationOut, 201: RegistrationOut, **errors(400, 401, 403, 409)},
             summary="Register as a volunteer (idempotent)")
def registration_create(request: ApiRequest, payload: RegistrationIn, response: HttpResponse, idempotency_key: Key = None) -> Any:
    """You register yourself at a station (then take its quiz: POST /quiz/start). Once only: 409 `already_volunteer`.
    The `Idempotency-Key` header is required: the same key with the same answers answers 200 with the registration."""
    person = _person(request)
    key = idempotency_key_in(idempotency_key)
    station = vsel.stations_for_registration().filter(pk=payload.station).first()
    if station is None:
        raise field_error("station", "unknown_station", _("There is no such station."))
    areas = list(vsel.station_communities(station=station).filter(pk__in=payload.service_areas))
    if len(areas) != len(set(payload.service_areas)):
        raise field_error("service_areas", "invalid_service_area", _("Choose communities of the station's street."))
    volunteer = services.volunteer_register(
        actor=request.auth, person=person, station=station, skills=payload.skills, availability=payload.availability,
        service_areas=areas, party_member=payload.party_member, party_consent=payload.party_consent, idempotency_key=key,
    )
    body = {"volunteer": volunteer_ref(volunteer), "station": station.name, "skills": volunteer.skills,
            "availability": volunteer.availability, "service_areas": sorted(d.pk for d in volunteer.service_areas.all()),
            "registered_at": volunteer.registered_at}
    return _created(volunteer, response, body)


# -- the quiz -------------------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: int
    text: str
    choices: list[str] = Field(..., description="Answer with the index of a choice, from 0.")


class OpenAttemptOut(Schema):
    id: int
    started_at: dt.datetime
    questions: list[QuestionOut]


class AttemptOut(Schema):
    id: int
    score: int | None
    passed: bool
    submitted_at: dt.datetime | None


class QuizOut(Schema):
    passed: bool
    certificate_code: str | None = Field(..., description="The quiz certificate's number, once passed.")
    open: OpenAttemptOut | None = Field(..., description="The paper to answer now, if one is started.")
    last: AttemptOut | None
    attempts_used: int
    attempts_left: int
    pass_percent: int


def _quiz(volunteer: Volunteer) -> dict[str, Any]:
    state = vsel.quiz_state(volunteer=volunteer)
    most = domain_setting("TIMEBANK_QUIZ_MAX_ATTEMPTS")
    opened, last, passed = state["open"], state["last"], state["passed"]
    return {
        "passed": passed is not None, "certificate_code": passed.certificate_code if passed is not None else None,
        "open": None if opened is None else {"id": opened.pk, "started_at": opened.started_at, "questions": [
            {"id": q.pk, "text": q.text, "choices": [str(c) for c in q.choices]} for q in state["questions"]]},
        "last": None if last is None else {"id": last.pk, "score": last.score, "passed": last.passed,
                                           "submitted_at": last.submitted_at},
        "attempts_used": len(state["attempts"]), "attempts_left": max(0, most - len(state["attempts"])),
        "pass_percent": domain_setting("TIMEBANK_QUIZ_PASS_PERCENT"),
    }


@router.get("/quiz", response={200: QuizOut, **errors(401, 403)}, summary="Your certification quiz")
def quiz_get(request: ApiRequest) -> Any:
    """Whether you passed, the paper you are answering (questions without their answers), attempts left."""
    return _quiz(_me(request))


@router.post("/quiz/start", response={200: QuizOut, 201: QuizOut, **errors(400, 401, 403, 409)}, summary="Start the quiz")
def quiz_begin(request: ApiRequest, response: HttpResponse) -> Any:
    """Draws a random paper from your station's bank. A paper already started is answered with 200 (starting again is
    safe); `quiz_already_passed` (409), `quiz_attempts_exhausted` and `quiz_bank_empty` (400) as on the quiz page."""
    volunteer = _me(request)
    had = vsel.quiz_state(volunteer=volunteer)["open"]
    services.quiz_start(actor=request.auth, volunteer=volunteer)
    body = _quiz(volunteer)
    return _replay(response, body) if had is not None else Status(201, body)


class AnswersIn(Schema):
    attempt: Id = Field(..., description="The paper's id (GET /quiz: open.id).")
    answers: dict[Annotated[str, Field(max_length=20)], Annotated[int, Field(ge=0, le=99)]] = Field(
        ..., max_length=100, description="Question id → the index of the chosen answer, for every question.")


class VolunteerResultOut(Schema):
    attempt: AttemptOut
    certificate_code: str | None
    attempts_left: int


@router.post("/quiz/answers", response={200: VolunteerResultOut, **errors(400, 401, 403, 404)}, summary="Hand in the quiz")
def quiz_answer(request: ApiRequest, payload: AnswersIn) -> Any:
    """Scores the paper once; sending it again answers with the first score. Every question must be answered
    (`quiz_incomplete`). Another volunteer's paper is a 404."""
    volunteer = _me(request)
    attempt = vsel.my_quiz_attempt(volunteer=volunteer, attempt_id=payload.attempt)
    done = services.quiz_submit(actor=request.auth, attempt=attempt, answers=payload.answers)
    left = _quiz(volunteer)["attempts_left"]
    return {"attempt": {"id": done.pk, "score": done.score, "passed": done.passed, "submitted_at": done.submitted_at},
            "certificate_code": done.certificate_code or None, "attempts_left": left}


# -- one activity, my sign-ups ------------------------------------------------------------------------


class MySignupRef(Schema):
    id: int
    status: str


class ShiftDetailOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    headcount: int
    taken: int
    waiting: int
    free: int
    mine: MySignupRef | None = Field(..., description="Your sign-up for this shift (confirmed or waitlisted).")


class ActivityDetailOut(Schema):
    id: int
    title: str
    category: str
    category_label: str
    description: str
    station: str
    community: str
    place: str
    skills: list[str]
    quiz_required: bool
    certified: bool = Field(..., description="You passed the quiz (some activities need it).")
    shifts: list[ShiftDetailOut] = Field(..., description="The shifts not yet over.")


@router.get("/activities/{id:activity_id}", response={200: ActivityDetailOut, **errors(400, 401, 403, 404)},
            summary="One published activity")
def activity_detail(request: ApiRequest, activity_id: int) -> Any:
    """With every shift not yet over, its places, and your sign-up for it."""
    volunteer = _me(request)
    a = vsel.activity_for_volunteer(activity_id=activity_id)
    shifts = vsel.activity_shifts(activity=a)
    mine = vsel.my_shift_states(volunteer=volunteer, shift_ids=[s.pk for s in shifts])
    return {"id": a.pk, "title": a.title, "category": a.category, "category_label": str(a.get_category_display()),
            "description": a.description, "station": a.station.name, "community": a.division.name, "place": a.place,
            "skills": a.skills, "quiz_required": a.quiz_required, "certified": services.is_certified(volunteer),
            "shifts": [{"id": s.pk, "starts_at": s.starts_at, "ends_at": s.ends_at, "headcount": s.headcount,
                        "taken": s.taken, "waiting": s.waiting, "free": max(int(s.free), 0),  # type: ignore[attr-defined]
                        "mine": {"id": mine[s.pk].pk, "status": mine[s.pk].status} if s.pk in mine else None} for s in shifts]}


class MySignupOut(Schema):
    id: int
    status: str = Field(..., description="confirmed or waitlisted.")
    waitlist_ahead: int = Field(..., description="Wait-listed sign-ups before yours (0 when confirmed).")
    shift: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    activity: int
    activity_title: str
    station: str
    place: str


class MySignupPage(PageOut):
    results: list[MySignupOut]


@router.get("/me/signups", response={200: MySignupPage, **errors(400, 401, 403)}, summary="Your sign-ups to come")
def my_signups(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Confirmed and wait-listed sign-ups for shifts not yet over, soonest first (the next 20)."""
    page = paginate(vsel.my_signups(volunteer=_me(request)), filters)  # type: ignore[arg-type]
    page["results"] = [{"id": s.pk, "status": s.status, "waitlist_ahead": s.ahead if s.status == "waitlisted" else 0,
                        "shift": s.shift_id, "starts_at": s.shift.starts_at, "ends_at": s.shift.ends_at,
                        "activity": s.shift.activity_id, "activity_title": s.shift.activity.title,
                        "station": s.shift.activity.station.name, "place": s.shift.activity.place}
                       for s in page["results"]]
    return page


@router.post("/me/signups/{id:signup_id}/cancel", response={200: SignupOut, **errors(400, 401, 403, 404)},
             summary="Cancel a sign-up")
def my_signup_cancel(request: ApiRequest, signup_id: int) -> Any:
    """Your place goes to the first on the wait list. Cancelling again is quiet; another's sign-up is a 404."""
    volunteer = _me(request)
    mine = Signup.objects.select_related("shift__activity", "volunteer").filter(pk=signup_id, volunteer=volunteer).first()
    if mine is None:
        raise NotFound()
    done = services.signup_cancel(actor=request.auth, signup=mine)
    return {"id": done.pk, "shift": mine.shift_id, "activity": mine.shift.activity.title, "status": done.status}


# -- hours ----------------------------------------------------------------------------------------------


class HoursRecordOut(Schema):
    id: int
    shift: int
    activity: str
    station: str
    day: str
    hours: str = Field(..., examples=["2.5"])
    status: str = Field(..., description="pending, needs_agency, approved or declined.")
    late_entry: bool
    decline_reason: str


class StatusTotal(Schema):
    records: int
    hours: str


class HoursPage(PageOut):
    results: list[HoursRecordOut]
    totals: dict[str, StatusTotal] = Field(..., description="Records and hours by status, over all pages.")


@router.get("/me/hours", response={200: HoursPage, **errors(400, 401, 403)}, summary="Your hours")
def my_hours(request: ApiRequest, filters: Query[PageIn]) -> Any:
    """Every hours record of yours, newest day first, with totals by status. Yours only."""
    volunteer = _me(request)
    page = paginate(vsel.my_hours(volunteer=volunteer), filters)
    page["results"] = [{**{k: v for k, v in hours_out(_with(r, volunteer)).items() if k != "volunteer"},
                        "station": r.shift.activity.station.name} for r in page["results"]]
    page["totals"] = {status: {"records": t["n"], "hours": _h(t["hours"])}
                      for status, t in vsel.my_hours_totals(volunteer=volunteer).items()}
    return page


def _with(record: Any, volunteer: Volunteer) -> Any:
    record.volunteer = volunteer  # (the caller's own: not read again for each row)
    return record
