"""The demo city's capacity diagnoses and core-staff competency, written through the evaluation services on the days
they happened (the simulated clock): the city's 组织力评估 questionnaire and competency questionnaire, its advice
library; a dozen organizations diagnosed (five of them twice, a year apart, so the report shows the change; two still
collecting answers), each by three to six respondents whose views sometimes differ, with action plans some done,
some dropped, some overdue; twenty-two core staff of four agencies assessed (half of them twice) and coached.

What the respondents answer is drawn from a seeded random profile of each organization (`evaluation_capacity_data`
says what the questionnaire and the plans say). Each stage finds its own work done and makes nothing the second time."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from shanlian.core import crypto
from shanlian.core.scoping import Role
from shanlian.evaluation.models import (
    Advice,
    CoachingSession,
    Diagnosis,
    Question,
    Questionnaire,
    QuestionnaireKind,
    StaffAssessment,
)
from shanlian.evaluation.services import capacity as cs
from shanlian.evaluation.services import competency as ks
from shanlian.orgs.models import Organization, OrgKind, Station
from shanlian.people import services as people_services
from shanlian.people.models import Person, RoleGrant
from shanlian.places.models import Division, Level

from . import data
from . import evaluation_capacity_data as d
from .plan import _Planner
from .timebank_clock import TZ, SimulatedClock

SEED = 2026_0310
DIAGNOSED = 12
TWICE = 5
STILL_OPEN = 2
NOTES = ("", "", "个案文书规范，小组带领经验尚浅", "社区资源链接能力突出", "建议加强督导反思")


@dataclass
class _Profile:
    """How an organization works, dimension by dimension (a level 1–4, fractional), and where its roles see it apart."""

    base: dict[str, float]
    apart: str  # a dimension the board rates well above the staff ("" for none)


class CapacityDemo:
    def __init__(self, admin: Any, city: Division) -> None:
        self.admin, self.city = admin, city
        self.rng = random.Random(SEED)
        self.clock = SimulatedClock()
        self.made: Counter[str] = Counter()
        self.today = timezone.localdate()
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["agency_manager", "district_admin",
                                                                                         "group_manager"])}
        self.manager = users.get("agency_manager")
        self.district_admin = users.get("district_admin")

    # --- time --------------------------------------------------------------------------------------------------------

    def at(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        self.clock.at(dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ))

    def ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    # --- the tools ------------------------------------------------------------------------------------------------------

    def questionnaires(self) -> tuple[Questionnaire, Questionnaire]:
        found = {q.kind: q for q in Questionnaire.objects.filter(region=self.city).order_by("version")}
        if QuestionnaireKind.CAPACITY not in found:
            self.at(self.ago(420))
            found["capacity"] = cs.questionnaire_create(actor=self.admin, region=self.city, kind=QuestionnaireKind.CAPACITY,
                                                        title=f"{self.city.name}{d.CAPACITY_TITLE}", dimensions=d.CAPACITY)
            self.made["capacity_questionnaires"] += 1
        if QuestionnaireKind.COMPETENCY not in found:
            self.at(self.ago(400))
            found["competency"] = cs.questionnaire_create(actor=self.admin, region=self.city, kind=QuestionnaireKind.COMPETENCY,
                                                          title=f"{self.city.name}{d.COMPETENCY_TITLE}", dimensions=d.COMPETENCY)
            self.made["capacity_questionnaires"] += 1
        return found["capacity"], found["competency"]

    def advice(self) -> None:
        if Advice.objects.filter(region=self.city).exists():
            return
        self.at(self.ago(410))
        for code, below, text in d.ADVICE:
            cs.advice_add(actor=self.admin, region=self.city, dimension_code=code, below=below, text=text)
            self.made["capacity_advice"] += 1

    # --- diagnoses ------------------------------------------------------------------------------------------------------

    def organizations(self) -> list[Organization]:
        """The agency the demo's agency manager runs first, then other agencies, and the district volunteers'
        association the demo's organization manager speaks for."""
        managed = RoleGrant.objects.filter(user=self.manager, role=Role.AGENCY_MANAGER, revoked_at__isnull=True)
        first = list(Organization.objects.filter(pk__in=managed.values("organization_id")).select_related("division")
                     .order_by("pk")[:1]) if self.manager is not None else []
        agencies = list(Organization.objects.filter(is_agency=True, kind=OrgKind.SERVICE_INSTITUTION)
                        .exclude(pk__in=[o.pk for o in first]).select_related("division").order_by("credit_code"))
        self.rng.shuffle(agencies)
        speakers = RoleGrant.objects.filter(role=Role.ORG_MANAGER, revoked_at__isnull=True).values("organization_id")
        association = list(Organization.objects.filter(pk__in=speakers, kind=OrgKind.ASSOCIATION).order_by("pk")[:1])
        return (first + agencies)[: DIAGNOSED - len(association)] + association

    def profile(self) -> _Profile:
        level = self.rng.uniform(1.8, 3.0)
        base = {dim["code"]: min(3.8, max(1.2, level + self.rng.uniform(-0.7, 0.7))) for dim in d.CAPACITY}
        return _Profile(base=base, apart=self.rng.choice(["", "", "hr", "finance", "governance", "culture"]))

    def respondents(self) -> list[tuple[str, str]]:
        names = self.people(self.rng.randint(3, 6))
        board = [("board", f"理事 {names.pop()}") for _ in range(self.rng.choice((1, 1, 2)))]
        director = [("director", f"{self.rng.choice(('总干事', '主任'))} {names.pop()}")]
        staff = [("staff", f"{self.rng.choice(('社工', '项目主管', '督导'))} {n}") for n in names]
        return board + director + staff

    def people(self, n: int) -> list[str]:
        surnames = [s for s, w in data.GUANGDONG_SURNAMES for _ in range(w)]
        out: list[str] = []
        while len(out) < n:
            gender = self.rng.choice("MF")
            name = self.rng.choice(surnames) + self.rng.choice(data.YOUNG_GIVEN_NAMES[gender])
            if name not in out:
                out.append(name)
        return out

    def level(self, profile: _Profile, code: str, role: str) -> int:
        bias = {"board": 0.35, "director": 0.15, "staff": -0.2}[role]
        if code == profile.apart:
            bias += {"board": 1.0, "director": 0.3, "staff": -0.8}[role]
        return max(1, min(4, round(profile.base[code] + bias + self.rng.uniform(-0.6, 0.6))))

    def diagnose(self, org: Organization, questionnaire: Questionnaire, profile: _Profile, started: dt.date, *,
                 close_after: int | None, actor: Any, actions_from: int = 0) -> Diagnosis:
        """One diagnosis: started, answered by its respondents over the next days, closed `close_after` days on (None:
        still open, some links not yet answered), and its plan."""
        self.at(started, 9, 30)
        diagnosis = cs.diagnosis_start(actor=actor, organization=org, questionnaire=questionnaire, started_on=started,
                                       respondents=self.respondents())
        self.made["capacity_diagnoses"] += 1
        items = list(Question.objects.filter(dimension__questionnaire=questionnaire).select_related("dimension"))
        respondents = list(diagnosis.respondents.order_by("id"))
        answering = respondents if close_after is not None else respondents[: max(1, len(respondents) - 2)]
        for n, r in enumerate(answering):
            self.at(started + dt.timedelta(days=min(n // 2 + 1, 7)), 20, 15 + n)
            cs.diagnosis_answer(token=r.token, levels={q.pk: self.level(profile, q.dimension.code, r.role) for q in items})
            self.made["capacity_respondents"] += 1
        if close_after is None:
            return diagnosis
        closed_on = started + dt.timedelta(days=close_after)
        self.at(closed_on, 16)
        summary = d.SUMMARIES[2] if diagnosis.previous_id else self.rng.choice(d.SUMMARIES[:2])
        diagnosis = cs.diagnosis_close(actor=actor, diagnosis=diagnosis, summary=summary)
        self.plan(diagnosis, closed_on, actor, actions_from)
        return diagnosis

    def plan(self, diagnosis: Diagnosis, on: dt.date, actor: Any, follow_until: int) -> None:
        """Actions for the weakest dimensions, and their follow-up up to `follow_until` days ago (0: today)."""
        scores = sorted(((float(v), code) for code, v in diagnosis.scores.items()))
        for score, code in scores[: self.rng.randint(2, 4)]:
            for text, owner in self.rng.sample(d.ACTIONS[code], k=min(len(d.ACTIONS[code]), 1 + int(score < 2.3))):
                self.at(on, 16, 30)
                due = on + dt.timedelta(days=self.rng.choice((60, 90, 120, 180, 240)))
                action = cs.action_add(actor=actor, diagnosis=diagnosis, dimension_code=code, text=text, owner=owner, due_on=due)
                self.made["capacity_actions"] += 1
                fate = self.rng.random()
                last = self.ago(follow_until)
                if due <= last and fate < 0.62:
                    done_on = min(due - dt.timedelta(days=self.rng.randint(0, 20)), last)
                    self.at(done_on, 17)
                    cs.action_follow_up(actor=actor, action=action, status="done", follow_up=self.rng.choice(d.FOLLOW_UPS),
                                        done_on=done_on)
                elif due <= last and fate < 0.72:
                    self.at(due, 17)
                    cs.action_follow_up(actor=actor, action=action, status="dropped", follow_up=self.rng.choice(d.DROP_REASONS))

    def diagnoses(self, questionnaire: Questionnaire, orgs: list[Organization]) -> None:
        if Diagnosis.objects.filter(questionnaire__region=self.city).exists():
            return
        for n, org in enumerate(orgs):
            profile = self.profile()
            if n == 0:
                profile.apart = "hr"  # the demo manager's board and staff see its people work apart
            actor = self.manager if n == 0 and self.manager is not None else self.admin
            if n < TWICE:  # a year apart: last year's plan followed up, this year's shows the change
                self.diagnose(org, questionnaire, profile, self.ago(self.rng.randint(380, 400)), close_after=self.rng.randint(12, 20),
                              actor=actor, actions_from=35)
                for code in profile.base:
                    profile.base[code] = min(3.9, profile.base[code] + self.rng.uniform(0.1, 0.7))
                self.diagnose(org, questionnaire, profile, self.ago(self.rng.randint(28, 34)), close_after=self.rng.randint(10, 14),
                              actor=actor)
            elif n >= len(orgs) - STILL_OPEN:
                self.diagnose(org, questionnaire, profile, self.ago(self.rng.randint(5, 12)), close_after=None, actor=actor)
            else:
                self.diagnose(org, questionnaire, profile, self.ago(self.rng.randint(60, 240)), close_after=self.rng.randint(10, 20),
                              actor=actor)

    # --- competency -----------------------------------------------------------------------------------------------------

    def staff(self, orgs: list[Organization]) -> list[tuple[Organization, Any]]:
        """Twenty-two core staff: eight of the demo manager's agency, the rest of three others; each lives in a community
        of a street one of their agency's stations serves."""
        names = list(d.STAFF)
        out: list[tuple[Organization, Any]] = []
        planner = _Planner(20261205)  # resident IDs and phones that check, as every resident on record has
        taken = set(Person.objects.exclude(resident_id_hash="").values_list("resident_id_hash", flat=True))
        for n, org in enumerate(orgs):
            streets = list(Station.objects.filter(agency=org).values_list("street_id", flat=True))
            communities = list(Division.objects.filter(parent_id__in=streets, level=Level.COMMUNITY).order_by("code")) or \
                list(Division.objects.filter(level=Level.COMMUNITY, path__startswith=org.division.path).order_by("code")[:20])
            for _ in range(8 if n == 0 else 5 if n < 3 else 4):
                if not names or not communities:
                    break
                name, gender = names.pop(0)
                home = self.rng.choice(communities)
                birth = dt.date(self.rng.randint(1985, 1998), self.rng.randint(1, 12), self.rng.randint(1, 28))
                while True:
                    rid = planner.resident_id((home.code[:6],), birth, gender)
                    if crypto.blind_index(rid, purpose="resident_id") not in taken:
                        taken.add(crypto.blind_index(rid, purpose="resident_id"))
                        break
                person = people_services.person_create(actor=None, real_name=name, division=home, gender=gender,
                                                       resident_id=rid, phone=planner.mobile())
                out.append((org, person))
                self.made["competency_staff"] += 1
        return out

    def competency(self, questionnaire: Questionnaire, agencies: list[Organization]) -> None:
        if StaffAssessment.objects.filter(questionnaire__region=self.city).exists():
            return
        items = list(Question.objects.filter(dimension__questionnaire=questionnaire).select_related("dimension"))
        staff = self.staff(agencies)
        for n, (org, person) in enumerate(staff):
            actor = self.manager if org == agencies[0] and self.manager is not None else self.evaluator(org)
            level = self.rng.uniform(1.6, 3.0)
            days = [self.rng.randint(280, 330)] + ([self.rng.randint(20, 60)] if n % 2 == 0 else [])
            for k, ago in enumerate(days):
                lift = 0.5 * k + self.rng.uniform(0, 0.4) * k
                self.at(self.ago(ago), 14)
                ks.staff_assess(actor=actor, organization=org, person=person, questionnaire=questionnaire, assessed_on=self.ago(ago),
                                levels={q.pk: max(1, min(4, round(level + lift + self.rng.uniform(-0.7, 0.7)))) for q in items},
                                note=self.rng.choice(NOTES))
                self.made["competency_assessments"] += 1
        self.coaching(staff, agencies)

    def evaluator(self, org: Organization) -> Any:
        admin = self.district_admin
        if admin is not None and RoleGrant.objects.filter(user=admin, role=Role.DISTRICT_ADMIN, revoked_at__isnull=True,
                                                          division__path__in=_above(org.division)).exists():
            return admin
        return self.admin

    def coaching(self, staff: list[tuple[Organization, Any]], agencies: list[Organization]) -> None:
        if CoachingSession.objects.filter(organization__in=agencies).exists():
            return
        for org in agencies:
            people = [p for o, p in staff if o == org]
            if not people:
                continue
            actor = self.manager if org == agencies[0] and self.manager is not None else self.evaluator(org)
            for n in range(6 if org == agencies[0] else 3):
                day = self.ago(self.rng.randint(10, 420))
                coached = self.rng.sample(people, k=min(len(people), self.rng.randint(2, 6)))
                self.at(day, 15)
                ks.coaching_log(actor=actor, organization=org, held_on=day, topic=self.rng.choice(d.COACHING_TOPICS), people=coached,
                                person_times=len(coached) + self.rng.choice((0, 0, 1, 3)),
                                note="" if n % 3 else "含实习社工旁听")
                self.made["coaching_sessions"] += 1

    def run(self) -> Counter[str]:
        with self.clock.installed():
            capacity, competency = self.questionnaires()
            self.advice()
            orgs = self.organizations()
            self.diagnoses(capacity, orgs)
            self.competency(competency, [o for o in orgs if o.is_agency][:4])
        return self.made


def _above(division: Division) -> list[str]:
    parts = [p for p in division.path.split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def seed_capacity(*, admin: Any, city: Any) -> Counter[str]:
    """What it made, by kind; a second run finds it there and makes nothing."""
    return +CapacityDemo(admin, city).run()
