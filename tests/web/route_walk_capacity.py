"""What the route walk asks about on the capacity pages: objects made through the services, and who may see them.

启明's diagnosis (started by its manager under the city's questionnaire; one respondent answered, one not), an item of
its action plan, a line of the city's advice library, 李伟 assessed as 启明's staff, and a coaching session. A
diagnosis, its plan and its staff's reports are 启明's managers' and its area's administrators' (the city's, 越秀's);
questionnaires are tools read by anyone signed in; a respondent's link is public (the token is the key). The bindings
are made when the walk first reads them (test_route_walk imports this module before it defines `Binding`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from shanlian.demo.evaluation_capacity_data import CAPACITY, COMPETENCY
from shanlian.evaluation.models import Question
from shanlian.evaluation.services import capacity as cs
from shanlian.evaluation.services import competency as ks
from tests.web.lazy import Lazy

QIMING = ("city_admin", "district_admin", "agency_manager")


def _bindings() -> dict[str, Any]:
    from tests.web.test_route_walk import NO_ID, Binding, staff

    return {
        "diagnosis_id": Binding(lambda s, r: s.capacity.diagnosis.pk, staff(*QIMING), NO_ID,
                                "启明's diagnosis: its manager and the city's and 越秀's administrators"),
        "capacity_action_id": Binding(lambda s, r: s.capacity.action.pk, staff(*QIMING), NO_ID, "an item of 启明's action plan"),
        "questionnaire_id": Binding(lambda s, r: s.capacity.questionnaire.pk, None, NO_ID,
                                    "the city's capacity questionnaire: a tool, read by anyone signed in (as published frameworks)"),
        "advice_id": Binding(lambda s, r: s.capacity.advice.pk, staff("city_admin"), NO_ID,
                             "a line of the city's advice library: the city's administrators keep it"),
        "staff_person_id": Binding(lambda s, r: s.capacity.person.pk, staff(*QIMING), NO_ID,
                                   "李伟, assessed as 启明's staff: its manager and its area's administrators read his report"),
        "respondent_token": Binding(lambda s, r: s.capacity.respondent.token, None, "x" * 43,
                                    "a respondent's link, not yet answered: the token is the key (public, no login)"),
    }


# Parameter name → Binding, as in test_route_walk.BINDINGS (and by namespace, by route).
BINDINGS: Mapping[str, Any] = Lazy(_bindings)
BY_NAMESPACE: dict[tuple[str, str], Any] = {}
BY_ROUTE: dict[tuple[str, str], Any] = {}
# Walkers of its own (users it adds in `build`), beside the city's.
WALKERS: tuple[str, ...] = ()


def build(city: Any, users: dict[str, Any]) -> Any:
    """The objects the bindings name (an object with attributes), made through the services; `users` may be added to
    (a walker of its own)."""
    admin, manager = city.users["city_admin"], city.users["agency_manager"]
    questionnaire = cs.questionnaire_create(actor=admin, region=city.city, kind="capacity", title="社会组织组织力评估诊断问卷",
                                            dimensions=CAPACITY)
    competency = cs.questionnaire_create(actor=admin, region=city.city, kind="competency", title="社工核心骨干胜任力评估",
                                         dimensions=[{**d, "questions": d["questions"][:1]} for d in COMPETENCY[:2]])
    advice = cs.advice_add(actor=admin, region=city.city, dimension_code="finance", below="2.5", text="完善财务制度，按项目编制预算")
    today = timezone.localdate()
    diagnosis = cs.diagnosis_start(actor=manager, organization=city.orgs["启明"], questionnaire=questionnaire,
                                   started_on=today - dt.timedelta(days=30),
                                   respondents=[("board", "理事 陈志强"), ("staff", "社工 林晓彤")])
    answered, waiting = diagnosis.respondents.order_by("role", "id")
    items = Question.objects.filter(dimension__questionnaire=questionnaire)
    cs.diagnosis_answer(token=answered.token, levels={q.pk: 2 for q in items})
    action = cs.action_add(actor=manager, diagnosis=diagnosis, dimension_code="finance", text="按项目编制年度预算", owner="财务主管",
                           due_on=today + dt.timedelta(days=60))
    person = city.people["李伟"]
    ks.staff_assess(actor=manager, organization=city.orgs["启明"], person=person, questionnaire=competency,
                    assessed_on=today - dt.timedelta(days=3),
                    levels={q.pk: 3 for q in Question.objects.filter(dimension__questionnaire=competency)})
    ks.coaching_log(actor=manager, organization=city.orgs["启明"], held_on=today - dt.timedelta(days=2), topic="个案记录规范",
                    people=[person])
    return SimpleNamespace(questionnaire=questionnaire, competency=competency, advice=advice, diagnosis=diagnosis, action=action,
                           respondent=waiting, person=person)
