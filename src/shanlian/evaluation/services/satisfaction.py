"""Satisfaction surveys (满意度调查): a station's or a service project's staff set one up for its beneficiaries or its
residents, and people answer it on a phone through its link.

A survey has 3 to 10 questions, each answered 1 (very unsatisfied) to 5 (very satisfied), and a comment. An anonymous
survey takes one answer per phone: the page gives the phone a random cookie and the answer keeps only a keyed hash of
it with the survey (`selectors_satisfaction.device_hash`), and its audit row keeps no address, browser or login, so an
answer leads back to nobody. A named survey takes one answer per resident on record, signed in; the subject's own staff
do not answer it. Answers are taken from the day it opens to the day it closes, both included."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.context import current
from shanlian.core.errors import Conflict, PermissionDenied, field_error, lazy_format
from shanlian.core.inputs import Checks, date_window, model_text, text_in
from shanlian.grants.models import ServiceProject
from shanlian.orgs.models import Station
from shanlian.people.selectors import signed_in_scope

from ..models import Audience, Survey, SurveyResponse
from ..satisfaction_counts import SCALE
from ..selectors_satisfaction import answer_refusal, device_hash, may_manage_project, may_manage_station

QUESTIONS_MIN = 3
QUESTIONS_MAX = 10
QUESTION_MAX_LENGTH = 100
DAYS_MAX = 366  # a survey runs at most a year
DEVICE = re.compile(r"[A-Za-z0-9_-]{16,64}")

# The questions a survey starts from (服务态度、及时性、效果、环境与设施、总体满意度), as the station's staff would ask them.
DEFAULT_QUESTIONS: dict[str, tuple[str, ...]] = {
    Audience.BENEFICIARY: (
        "社工的服务态度（热情、耐心、尊重您）",
        "服务的及时性（有需要时能及时得到回应）",
        "服务的效果（服务对您的实际帮助）",
        "服务场所的环境与设施",
        "对隐私的保护（您的个人情况不被随意透露）",
        "对本次服务的总体满意度",
    ),
    Audience.RESIDENT: (
        "社工站工作人员的服务态度",
        "社区活动的内容与形式",
        "对居民需求和意见的回应是否及时",
        "社工站的环境与设施",
        "服务给社区带来的改变",
        "对社工站服务的总体满意度",
    ),
}


SUBJECT_REQUIRED = _("Choose the station or the project the survey is about.")


def default_questions(audience: str) -> list[str]:
    return list(DEFAULT_QUESTIONS.get(audience, DEFAULT_QUESTIONS[Audience.BENEFICIARY]))


def new_device_id() -> str:
    """The random cookie an anonymous answerer's phone keeps (never stored: only its keyed hash with each survey)."""
    return secrets.token_urlsafe(24)


def _questions_in(questions: Any) -> list[str]:
    if not isinstance(questions, list | tuple):
        raise field_error("questions", "invalid_questions", _("Give the questions as a list, one text each."))
    checks = Checks()
    texts = [checks(text_in, q, field="questions", max_length=QUESTION_MAX_LENGTH) for q in questions]
    checks.done()
    texts = [t for t in texts if t]
    if not QUESTIONS_MIN <= len(texts) <= QUESTIONS_MAX:
        raise field_error("questions", "question_count", lazy_format(
            _("Ask from %(min)s to %(max)s questions (this has %(n)s)."), {"min": QUESTIONS_MIN, "max": QUESTIONS_MAX, "n": len(texts)}))
    if len(set(texts)) != len(texts):
        raise field_error("questions", "question_repeated", _("A question is asked twice."))
    return texts


@transaction.atomic
def survey_create(*, actor: Any, title: str, audience: str, anonymous: bool, questions: Any, opens_on: dt.date,
                  closes_on: dt.date, station: Station | None = None, project: ServiceProject | None = None) -> Survey:
    """Set up a survey of a station (its staff, or the area's administrators) or of a service project (its lead
    organization's managers, its station's staff, or the area's administrators); its link's token is made here."""
    scope = signed_in_scope(actor)
    if (station is None) == (project is None):
        raise field_error("subject", "subject_required", SUBJECT_REQUIRED)
    allowed = may_manage_station(scope, station) if station is not None else may_manage_project(scope, project)  # type: ignore[arg-type]
    if not allowed:
        raise PermissionDenied("not_survey_staff", _("Only the station's or the project's staff, or the area's administrators, "
                                                     "survey it."))
    checks = Checks()
    title = checks(model_text, Survey, "title", title, required=True)
    if audience not in Audience.values:
        checks.failed.append(field_error("audience", "invalid_audience", _("Choose who answers: beneficiaries or residents.")))
    if not isinstance(anonymous, bool):
        checks.failed.append(field_error("anonymous", "invalid_choice", _("Say whether the survey is anonymous.")))
    texts = checks(_questions_in, questions)
    for name, day in (("opens_on", opens_on), ("closes_on", closes_on)):
        if not isinstance(day, dt.date):
            checks.failed.append(field_error(name, "invalid_date", _("Enter a date.")))
        else:
            checks(date_window, day, field=name)
    checks.done()
    if closes_on < opens_on:
        raise field_error("closes_on", "dates_reversed", _("The survey closes on or after the day it opens."))
    if (closes_on - opens_on).days >= DAYS_MAX:
        raise field_error("closes_on", "survey_too_long", lazy_format(_("A survey runs at most %(days)s days."), {"days": DAYS_MAX}))
    if closes_on < timezone.localdate():
        raise field_error("closes_on", "closes_in_past", _("The survey would be closed already: choose a later closing day."))
    survey = Survey(title=title, station=station, project=project, audience=audience, anonymous=anonymous, questions=texts,
                    opens_on=opens_on, closes_on=closes_on, token=secrets.token_urlsafe(32), created_by=actor)
    survey.full_clean()
    survey.save()
    audit_log(actor=actor, action="evaluation.survey.create", obj=survey, after={
        "station": station.pk if station is not None else None, "project": project.pk if project is not None else None,
        "audience": audience, "anonymous": anonymous, "questions": len(texts), "opens_on": opens_on.isoformat(),
        "closes_on": closes_on.isoformat()})
    return survey


def answers_in(survey: Survey, answers: Any) -> list[int]:
    """One value 1–5 per question, in order (typed digits are taken; anything else is refused)."""
    size = len(survey.questions or [])
    if not isinstance(answers, list | tuple) or len(answers) != size:
        raise field_error("answers", "answer_count", lazy_format(_("Answer each of the %(n)s questions."), {"n": size}))
    out = []
    for i, value in enumerate(answers, start=1):
        text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) else ""
        if text not in {str(v) for v in SCALE}:
            raise field_error("answers", "answer_out_of_scale", lazy_format(
                _("Question %(n)s: choose from 1 (very unsatisfied) to 5 (very satisfied)."), {"n": i}))
        out.append(int(text))
    return out


def _require_open(survey: Survey) -> None:
    today = timezone.localdate()
    if today < survey.opens_on:
        raise Conflict("survey_not_open", lazy_format(_("This survey opens on %(day)s."), {"day": survey.opens_on.isoformat()}))
    if today > survey.closes_on:
        raise Conflict("survey_closed", lazy_format(_("This survey closed on %(day)s. Thank you all the same."),
                                                    {"day": survey.closes_on.isoformat()}))


@transaction.atomic
def response_submit(*, survey: Survey, answers: Any, comment: Any = "", actor: Any = None, device: Any = "") -> SurveyResponse:
    """Take one answer: an anonymous survey's from a phone known by its random `device` id (the page's cookie, or an
    app's own), a named survey's from the signed-in resident `actor`. A second answer is refused (409)."""
    locked = (Survey.objects.select_for_update(of=("self",))
              .select_related("station__street", "project__fund__division", "project__station__street").get(pk=survey.pk))
    _require_open(locked)
    row = SurveyResponse(survey=locked)
    if locked.anonymous:
        if not isinstance(device, str) or not DEVICE.fullmatch(device):
            raise field_error("device", "device_required", _("Your phone must keep this page's cookie to answer: allow cookies "
                                                             "and open the link again."))
        row.device_hash = device_hash(locked, device)
        taken = SurveyResponse.objects.filter(survey=locked, device_hash=row.device_hash).exists()
    else:
        scope = signed_in_scope(actor)
        refusal = answer_refusal(scope, locked)
        if refusal is not None:
            raise PermissionDenied(*refusal)
        assert scope.person_id is not None  # (answer_refusal: a resident on record)
        row.person_id = scope.person_id
        taken = SurveyResponse.objects.filter(survey=locked, person_id=scope.person_id).exists()
    if taken:
        raise Conflict("already_answered", _("You have answered this survey already. Thank you!"))
    checks = Checks()
    row.answers = checks(answers_in, locked, answers)
    row.comment = checks(model_text, SurveyResponse, "comment", comment, multiline=True) or ""
    checks.done()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same phone or person answering twice at once
        raise Conflict("already_answered", _("You have answered this survey already. Thank you!")) from None
    after = {"survey": locked.pk, "answers": len(row.answers), "comment": bool(row.comment)}
    if locked.anonymous:  # nothing that leads back to the person: no login, address, browser or credential
        meta = current.get()
        token = current.set(replace(meta, ip="", user_agent="", credential=""))
        try:
            audit_log(actor=None, action="evaluation.survey.answer", obj=row, after=after)
        finally:
            current.reset(token)
    else:
        audit_log(actor=actor, action="evaluation.survey.answer", obj=row, after=after)
    return row
