"""Capacity diagnosis for tests (no tests here: the other test_capacity_* modules import these). The city's capacity
questionnaire is the demo's (seven dimensions), its competency questionnaire a small one; `answer(...)` answers a
respondent's link with one level for every item, or a level by dimension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from shanlian.demo.evaluation_capacity_data import CAPACITY, COMPETENCY
from shanlian.evaluation.models import Diagnosis, Question, Respondent
from shanlian.evaluation.services import capacity as cs
from shanlian.evaluation.services import competency as ks
from tests import factories as f

TODAY = dt.date(2026, 3, 10)
CODES = [d["code"] for d in CAPACITY]
RESPONDENTS = [("board", "理事 陈志强"), ("director", "主任 何俊杰"), ("staff", "社工 林晓彤"), ("staff", "社工 吴嘉欣")]


def small_competency() -> list[dict[str, Any]]:
    """Three competencies of the demo's, two items each."""
    return [{**d, "questions": d["questions"][:2]} for d in COMPETENCY[:3]]


@dataclass
class Cap:
    city: Any
    admin: Any
    region: Any
    questionnaire: Any
    competency: Any
    org: Any  # 启明 (an agency of 越秀), managed by agency_manager
    manager: Any

    def start(self, org: Any = None, *, actor: Any = None, on: dt.date | None = None, respondents: Any = None) -> Diagnosis:
        return cs.diagnosis_start(
            actor=actor or self.manager, organization=org or self.org, questionnaire=self.questionnaire,
            started_on=on or timezone.localdate(),
            respondents=respondents if respondents is not None else RESPONDENTS)


def questions(q: Any) -> list[Question]:
    return list(Question.objects.filter(dimension__questionnaire=q).select_related("dimension").order_by("dimension__position", "position"))


def levels(q: Any, level: int | dict[str, int] = 3) -> dict[int, int]:
    """Every item at `level`, or at the level of its dimension's code (3 for a code not named)."""
    return {x.pk: (level if isinstance(level, int) else level.get(x.dimension.code, 3)) for x in questions(q)}


def answer(respondent: Respondent, level: int | dict[str, int] = 3) -> Respondent:
    return cs.diagnosis_answer(token=respondent.token, levels=levels(respondent.diagnosis.questionnaire, level))


def reported(cap: Cap, org: Any, level: int | dict[str, int], *, on: dt.date | None = None, actor: Any = None) -> Diagnosis:
    """A diagnosis of `org` answered by all at `level` and closed."""
    d = cap.start(org, actor=actor or cap.admin, on=on)
    for r in d.respondents.all():
        answer(r, level)
    return cs.diagnosis_close(actor=actor or cap.admin, diagnosis=d, summary="")


def peer_org(city: Any, name: str, district: str = "越秀") -> Any:
    return f.organization(f"广州市{district}区{name}社会工作服务中心", district=city.districts[district], is_agency=True)


def capacity(city: Any) -> Cap:
    admin = city.users["city_admin"]
    q = cs.questionnaire_create(actor=admin, region=city.city, kind="capacity", title="社会组织组织力评估诊断问卷", dimensions=CAPACITY)
    k = cs.questionnaire_create(actor=admin, region=city.city, kind="competency", title="社工核心骨干胜任力评估",
                                dimensions=small_competency())
    return Cap(city=city, admin=admin, region=city.city, questionnaire=q, competency=k, org=city.orgs["启明"],
               manager=city.users["agency_manager"])


def assess(cap: Cap, person: Any, on: dt.date, level: int | dict[str, int] = 3, *, actor: Any = None) -> Any:
    return ks.staff_assess(actor=actor or cap.manager, organization=cap.org, person=person, questionnaire=cap.competency,
                           assessed_on=on, levels=levels(cap.competency, level))


__all__ = ["CODES", "TODAY", "Cap", "answer", "assess", "capacity", "levels", "peer_org", "questions", "reported"]
