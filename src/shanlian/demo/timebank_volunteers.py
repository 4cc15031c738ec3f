"""The demo's volunteers: the quiz banks (the city's and each station's), the residents who register in the app or
are registered by their station, and the app volunteers' quiz attempts. A mixin of `timebank.TimebankSeeder`, which
sets the attributes below."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from shanlian.orgs.models import Station
from shanlian.people import services as people_services
from shanlian.people.models import Person
from shanlian.places.models import Division
from shanlian.timebank import services as tb
from shanlian.timebank.models import Activity, QuizAttempt, QuizQuestion, Volunteer

from .plan import unique_username
from .timebank_clock import SimulatedClock, _local
from .timebank_data import APP_VOLUNTEERS, AVAILABILITY, CITY_QUESTIONS, QUESTIONS, SKILL_SETS


@dataclass
class Site:
    station: Station
    organizer: Any
    agency: Any  # who approves above 8 h and late entries (not the organizer); None: they wait
    communities: list[Division]
    app: list[Volunteer] = field(default_factory=list)  # volunteers with a login
    paper: list[Volunteer] = field(default_factory=list)  # registered at the station, sign in on paper
    activities: list[Activity] = field(default_factory=list)


class VolunteersDemo:
    # Set, and the helper defined, by TimebankSeeder.
    rng: random.Random
    password: str
    counts: Counter[str]
    users: dict[str, Any]
    admin: Any
    clock: SimulatedClock
    today: dt.date
    sites: dict[str, Site]
    me: Volunteer | None
    usernames: set[str]
    _day_ago: Callable[..., dt.datetime]

    def questions(self) -> None:
        """The city bank, written by the city administrator, then the stations' own questions by their organizers."""
        city_admin = self.users.get("city_admin") or self.admin
        for i, (text, choices, answer) in enumerate(CITY_QUESTIONS):
            self._question(actor=city_admin, station=None, text=text, choices=choices, answer=answer, turn=i)
        for name, site in self.sites.items():
            bank = [
                *QUESTIONS,
                (
                    f"{name}社工站的志愿者服务时长在哪里查询？",
                    ("善联时间银行“我的时长”页面", "只能打电话问社工", "无法查询", "居委会公告栏"),
                    0,
                ),
            ]
            for i, (text, choices, answer) in enumerate(bank):
                self._question(actor=site.organizer, station=site.station, text=text, choices=choices, answer=answer, turn=i)

    def _question(self, *, actor: Any, station: Station | None, text: str, choices: tuple[str, ...], answer: int, turn: int) -> None:
        k = turn % len(choices)  # the right answer is not always the first choice
        tb.quiz_question_create(actor=actor, station=station, text=text, choices=[*choices[k:], *choices[:k]],
                                answer=(answer - k) % len(choices))
        self.counts["timebank_questions"] += 1

    def _register(self, *, actor: Any, person: Person, station: Station, at: dt.datetime, areas: list[Division]) -> Volunteer:
        self.clock.at(at)
        party = self.rng.random() < 0.18
        volunteer = tb.volunteer_register(
            actor=actor,
            person=person,
            station=station,
            skills=list(self.rng.choice(SKILL_SETS)),
            availability=list(self.rng.choice(AVAILABILITY)),
            service_areas=areas,
            party_member=party,
            party_consent=party,
        )
        self.counts["timebank_volunteers"] += 1
        return volunteer

    def _areas(self, person: Person, site: Site) -> list[Division]:
        areas = [person.division] if person.division.parent_id == site.station.street_id else []
        extra = [c for c in site.communities if c not in areas]
        return areas + self.rng.sample(extra, min(len(extra), self.rng.randint(0 if areas else 1, 2)))

    def app_volunteers(self) -> None:
        """The demo login and a few residents who signed up in the app (an account each)."""
        me_user = self.users.get("volunteer")
        site = self.sites.get("北京街道")
        if site is None:
            return
        if me_user is not None:
            person = Person.objects.filter(user=me_user).select_related("division").first()
            if person is not None and not Volunteer.objects.filter(person=person).exists():
                self.me = self._register(
                    actor=me_user,
                    person=person,
                    station=site.station,
                    at=_local(dt.date(self.today.year - 1, 9, 12), "20:15"),
                    areas=self._areas(person, site),
                )
                site.app.append(self.me)
        for name, count in APP_VOLUNTEERS.items():
            site = self.sites.get(name)
            if site is None:
                continue
            people = list(
                Person.objects.filter(
                    division__parent=site.station.street,
                    user__isnull=True,
                    volunteer__isnull=True,
                    birth_year__gte=1960,
                    birth_year__lte=2004,
                )
                .select_related("division")
                .order_by("pk")
            )
            for person in self.rng.sample(people, min(count, len(people))):
                username = self._username(person.real_name)
                self.clock.at(self._day_ago(self.rng.randint(200, 330), f"{self.rng.randint(9, 21)}:{self.rng.choice(['05', '20', '42'])}"))
                user = people_services.account_create(actor=None, person=person, username=username, password=self.password)
                self.counts["timebank_logins"] += 1
                volunteer = self._register(
                    actor=user,
                    person=person,
                    station=site.station,
                    at=timezone.now() + dt.timedelta(minutes=3),
                    areas=self._areas(person, site),
                )
                site.app.append(volunteer)

    def _username(self, name: str) -> str:
        return unique_username(name, self.rng, self.usernames, "volunteer")

    def station_volunteers(self) -> None:
        """Residents registered by the station (many older volunteers sign in on paper)."""
        stations = {s.street_id: s for s in Station.objects.select_related("street__parent")}
        by_name = dict(self.sites)
        people = (
            Person.objects.filter(user__isnull=True, volunteer__isnull=True, birth_year__lte=2006)
            .select_related("division__parent__parent")
            .order_by("pk")
        )
        for person in people:
            street = person.division.parent
            if street is None or street.pk not in stations:
                continue
            district = street.parent.name if street.parent else ""
            site = by_name.get(street.name)
            roll = self.rng.random()
            if site is not None and roll < 0.9:
                station, actor = site.station, site.organizer
            elif district == "越秀区" and "北京街道" in by_name and roll < 0.2:
                site = by_name["北京街道"]
                station, actor = site.station, self.admin
            elif district == "天河区" and "石牌街道" in by_name and roll < 0.2:
                site = by_name["石牌街道"]
                station, actor = site.station, self.admin
            elif roll < 0.09:
                site, station, actor = None, stations[street.pk], self.admin
            else:
                continue
            areas = self._areas(person, site) if site is not None else [person.division]
            volunteer = self._register(
                actor=actor, person=person, station=station, at=self._day_ago(self.rng.randint(30, 700)), areas=areas
            )
            if site is not None:
                site.paper.append(volunteer)

    def quizzes(self) -> None:
        """Every app volunteer sits the quiz at their station: most pass, some fail first and retake."""
        for site in self.sites.values():
            for n, volunteer in enumerate(site.app):
                user = volunteer.person.user
                start = volunteer.registered_at + dt.timedelta(minutes=10)
                outcomes = [True] if n % 3 != 2 else [False, True]
                if n == len(site.app) - 1 and n >= 3:
                    outcomes = [False]  # one still to retake
                for k, passing in enumerate(outcomes):
                    self.clock.at(start + dt.timedelta(days=k * 2))
                    attempt = tb.quiz_start(actor=user, volunteer=volunteer)
                    answers = self._answers(attempt, passing)
                    self.clock.at(start + dt.timedelta(days=k * 2, minutes=self.rng.randint(6, 15)))
                    tb.quiz_submit(actor=user, attempt=attempt, answers=answers)
                    self.counts["timebank_quiz_attempts"] += 1

    def _answers(self, attempt: QuizAttempt, passing: bool) -> dict[str, int]:
        questions = {q.pk: q for q in QuizQuestion.objects.filter(pk__in=attempt.question_ids)}
        wrong = self.rng.randint(0, 1) if passing else self.rng.randint(3, 5)
        answers = {}
        for i, qid in enumerate(attempt.question_ids):
            q = questions[qid]
            answers[str(qid)] = (q.answer + 1) % len(q.choices) if i < wrong else q.answer
        return answers
