"""Core-staff competency (核心骨干胜任力): a staff member assessed against a competency questionnaire of the region, one
level 1–4 an item, each competency's score the mean of its items; and coaching sessions (报告带教) logged with who
coached whom, when, on what, and the person-times counted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import audit_log
from shanlian.core.errors import Conflict, field_error, lazy_format
from shanlian.core.inputs import Checks, int_in, model_text
from shanlian.orgs.models import Organization
from shanlian.people.models import Person

from ..models import CoachingSession, QuestionnaireKind, StaffAssessment, StaffScore
from ..models import Questionnaire as QuestionnaireModel
from ..selectors_capacity import mean, questionnaire_view, rounded
from ..selectors_competency import may_name_staff
from .capacity import _covers, _not_future, levels_in, require_evaluator

COACHED_MAX = 200
PERSON_TIMES_MAX = 2000


def _require_staff(scope: Any, organization: Organization, person: Any, field: str = "person") -> Person:
    if not isinstance(person, Person) or not may_name_staff(scope, organization, person):
        raise field_error(field, "not_staff", _("Choose one of the organization's people (or someone in your area)."))
    return person


@transaction.atomic
def staff_assess(*, actor: Any, organization: Organization, person: Person, questionnaire: QuestionnaireModel,
                 assessed_on: dt.date, levels: Any, note: str = "") -> StaffAssessment:
    """Assess a staff member of the organization: a level for every item of a competency questionnaire of its region;
    each competency's score (the mean of its items) is kept with the assessment. One assessment of a person under a
    questionnaire a day."""
    scope = require_evaluator(actor, organization)
    if questionnaire.kind != QuestionnaireKind.COMPETENCY:
        raise field_error("questionnaire", "not_competency", _("Choose a competency questionnaire."))
    _covers(questionnaire, organization)
    view = questionnaire_view(None, questionnaire)
    checks = Checks()
    person = checks(_require_staff, scope, organization, person)
    assessed_on = checks(_not_future, assessed_on, "assessed_on")
    given = checks(levels_in, view.questions, levels)
    note = checks(model_text, StaffAssessment, "note", note)
    checks.done()
    scores = {d.code: str(rounded(mean(given[q.pk] for q in qs))) for d, qs in view.dimensions if qs}
    try:
        with transaction.atomic():
            assessment = StaffAssessment.objects.create(person=person, organization=organization, questionnaire=questionnaire,
                                                        assessed_on=assessed_on, assessor=actor, scores=scores, note=note)
    except IntegrityError:
        raise Conflict("already_assessed", lazy_format(_("%(name)s was assessed under this questionnaire on %(day)s already."),
                                                       {"name": person.real_name, "day": assessed_on.isoformat()})) from None
    StaffScore.objects.bulk_create([StaffScore(assessment=assessment, question_id=qid, level=level) for qid, level in given.items()])
    audit_log(actor=actor, action="evaluation.staff.assess", obj=assessment, after={
        "person": person.pk, "organization": organization.pk, "questionnaire": questionnaire.pk,
        "assessed_on": assessed_on.isoformat(), "scores": scores})
    return assessment


@transaction.atomic
def coaching_log(*, actor: Any, organization: Organization, held_on: dt.date, topic: str, people: Any,
                 person_times: Any = None, note: str = "") -> CoachingSession:
    """A coaching session the actor held for the organization's staff: the day, the topic, the people coached (of the
    organization, or of the actor's area) and the person-times (at least one a person coached; more when some came
    to several parts, or people not on record came too)."""
    scope = require_evaluator(actor, organization)
    checks = Checks()
    held_on = checks(_not_future, held_on, "held_on")
    topic = checks(model_text, CoachingSession, "topic", topic, required=True)
    note = checks(model_text, CoachingSession, "note", note)
    coached: list[Person] = []
    if not isinstance(people, list | tuple) or len(people) > COACHED_MAX:
        checks.failed.append(field_error("people", "invalid_people", lazy_format(
            _("Choose at most %(n)s people coached."), {"n": COACHED_MAX})))
    else:
        unique = list({p.pk: p for p in people if isinstance(p, Person)}.values())
        if len(unique) != len(people):
            checks.failed.append(field_error("people", "invalid_people", _("Name each person coached once.")))
        for p in unique:
            if checks(_require_staff, scope, organization, p, "people") is not None:
                coached.append(p)
    least = max(1, len(coached))
    times = checks(int_in, least if person_times in (None, "") else person_times, field="person_times",
                   minimum=least, maximum=PERSON_TIMES_MAX)
    checks.done()
    session = CoachingSession.objects.create(organization=organization, coach=actor, held_on=held_on, topic=topic,
                                             person_times=times, note=note)
    session.people.set(coached)
    audit_log(actor=actor, action="evaluation.coaching.log", obj=session, after={
        "organization": organization.pk, "held_on": held_on.isoformat(), "people": sorted(p.pk for p in coached),
        "person_times": times})
    return session
