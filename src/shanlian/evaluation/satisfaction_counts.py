"""Counting satisfaction answers: each survey's tally, a subject's pooled year, the per-question results, and the
rate that marks an evaluation (see `selectors_satisfaction` for how results are counted and who sees them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shanlian.core import crypto
from shanlian.grants.models import ServiceProject
from shanlian.orgs.models import Station

from .models import Survey, SurveyResponse

SCALE = (1, 2, 3, 4, 5)
GOOD = (4, 5)  # satisfied and very satisfied
RATE_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


def min_responses() -> int:
    """Fewer responses than this in a year and the rate does not mark an evaluation (SHANLIAN setting, default 10)."""
    return int(settings.SHANLIAN.get("EVALUATION_SATISFACTION_MIN_RESPONSES", 10))


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# --- counting ------------------------------------------------------------------------------------------------------


def rate_of(good: int, answers: int) -> Decimal | None:
    """good / answers, four places, half up; None without answers."""
    if answers <= 0:
        return None
    return (Decimal(good) / Decimal(answers)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def percent(rate: Decimal | None) -> Decimal | None:
    """A rate as a percentage with one place (0.9134 → 91.3)."""
    return None if rate is None else (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Tally:
    """Answers counted: per question, how many gave each value 1–5 (`counts[q][v - 1]`), and the responses."""

    size: int
    responses: int = 0
    counts: list[list[int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [[0] * len(SCALE) for _ in range(self.size)]

    def add(self, answers: Any) -> None:
        self.responses += 1
        if not isinstance(answers, list):
            return
        for i, value in enumerate(answers[: self.size]):
            if isinstance(value, int) and not isinstance(value, bool) and value in SCALE:
                self.counts[i][value - 1] += 1

    @property
    def answers(self) -> int:
        return sum(sum(row) for row in self.counts)

    @property
    def good(self) -> int:
        return sum(row[v - 1] for row in self.counts for v in GOOD)

    @property
    def score(self) -> int:
        return sum(n * v for row in self.counts for v, n in zip(SCALE, row, strict=True))

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.good, self.answers)

    @property
    def mean(self) -> Decimal | None:
        total = self.answers
        return (Decimal(self.score) / total).quantize(CENT, rounding=ROUND_HALF_UP) if total else None


@dataclass
class Pool:
    """Answers pooled over several surveys (a subject's year): what a rate needs."""

    surveys: int = 0
    responses: int = 0
    answers: int = 0
    good: int = 0

    def merge(self, other: Pool | None) -> None:
        """Another pool's answers added to this one's (a subject over several stations and projects)."""
        if other is not None:
            self.surveys, self.responses = self.surveys + other.surveys, self.responses + other.responses
            self.answers, self.good = self.answers + other.answers, self.good + other.good

    def add(self, tally: Tally) -> None:
        self.surveys += 1
        self.responses += tally.responses
        self.answers += tally.answers
        self.good += tally.good

    @property
    def rate(self) -> Decimal | None:
        return rate_of(self.good, self.answers)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)

    @property
    def enough(self) -> bool:
        """Enough responses for the rate to mark an evaluation."""
        return self.responses >= min_responses()


def tallies(surveys: Iterable[Survey]) -> dict[int, Tally]:
    """Each survey's answers counted, in one query."""
    out = {s.pk: Tally(size=len(s.questions or [])) for s in surveys}
    if out:
        for survey_id, answers in SurveyResponse.objects.filter(survey_id__in=list(out)).values_list("survey_id", "answers"):
            out[survey_id].add(answers)
    return out


def _tallies_of(rows: QuerySet[Survey]) -> dict[int, Tally]:
    """`tallies` over a queryset of any size: the responses are read by a subquery, not a list of ids."""
    out = {pk: Tally(size=len(questions or [])) for pk, questions in rows.values_list("pk", "questions")}
    if out:
        responses = SurveyResponse.objects.filter(survey__in=rows.values("pk")).values_list("survey_id", "answers")
        for survey_id, answers in responses.iterator(chunk_size=2000):
            if survey_id in out:
                out[survey_id].add(answers)
    return out


@dataclass
class QuestionResult:
    n: int
    text: str
    counts: list[int]
    answered: int
    mean: Decimal | None
    rate: Decimal | None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)

    @property
    def shares(self) -> list[Decimal]:
        """Each value's share of the question's answers, in percent with one place."""
        return [(Decimal(100 * n) / self.answered).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if self.answered else Decimal(0)
                for n in self.counts]


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    answers: int
    rate: Decimal | None
    mean: Decimal | None
    questions: list[QuestionResult]

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)

    def chart(self) -> dict[str, Any]:
        """The data of the distribution chart (one bar a question, stacked by value, as shares of its answers)."""
        return {
            "questions": [f"Q{q.n}" for q in self.questions], "texts": [q.text for q in self.questions],
            "counts": [q.counts for q in self.questions], "shares": [[float(s) for s in q.shares] for q in self.questions],
            "labels": [str(label) for label in SCALE_LABELS],
        }


SCALE_LABELS = (_("Very unsatisfied"), _("Unsatisfied"), _("Neutral"), _("Satisfied"), _("Very satisfied"))


def survey_results(survey: Survey) -> SurveyResults:
    """Per question: how many gave each value, the mean and the rate; over all: the responses, the rate and the mean."""
    tally = tallies([survey])[survey.pk]
    questions = []
    for i, text in enumerate(survey.questions or []):
        row = tally.counts[i]
        one = Tally(size=1, counts=[row])
        questions.append(QuestionResult(n=i + 1, text=str(text), counts=list(row), answered=sum(row), mean=one.mean, rate=one.rate))
    return SurveyResults(survey=survey, responses=tally.responses, answers=tally.answers, rate=tally.rate, mean=tally.mean,
                         questions=questions)


def survey_comments(survey: Survey) -> QuerySet[SurveyResponse]:
    """The responses that left a comment, latest first."""
    rows = SurveyResponse.objects.filter(survey=survey).exclude(comment="")
    if not survey.anonymous:
        rows = rows.select_related("person")
    return rows.order_by("-submitted_at", "-id")


def respondent_name(survey: Survey, response: SurveyResponse) -> str:
    """Who answered, as staff may read it: nobody for an anonymous survey, else the masked name (张**)."""
    if survey.anonymous or response.person is None:
        return ""
    return crypto.mask_name(response.person.real_name)


# --- the rate that feeds evaluation --------------------------------------------------------------------------------


def _year_surveys(year: int) -> QuerySet[Survey]:
    first, last = year_bounds(year)
    return Survey.objects.filter(opens_on__gte=first, opens_on__lte=last)


def at_station() -> Any:
    """The station a survey counts for: its own, or its project's (the project's own station, else its fund's)."""
    return Coalesce(F("station_id"), F("project__station_id"), F("project__fund__station_id"))


def station_pools(*, station_ids: Iterable[int] | None, year: int) -> dict[int, Pool]:
    """Each station's answers of the year (its own surveys and its projects'), in two queries; `station_ids` None:
    every station."""
    rows = _year_surveys(year).annotate(at_station=at_station())
    if station_ids is not None:
        rows = rows.filter(at_station__in=sorted(set(station_ids)))
    counted = _tallies_of(rows)
    pools: dict[int, Pool] = {}
    for survey_id, station_id in rows.values_list("pk", "at_station"):
        if station_id is not None and survey_id in counted:
            pools.setdefault(station_id, Pool()).add(counted[survey_id])
    return pools


def project_pools(*, project_ids: Iterable[int], year: int) -> dict[int, Pool]:
    rows = _year_surveys(year).filter(project_id__in=sorted(set(project_ids)))
    counted = _tallies_of(rows)
    pools: dict[int, Pool] = {}
    for survey_id, project_id in rows.values_list("pk", "project_id"):
        pools.setdefault(project_id, Pool()).add(counted[survey_id])
    return pools


def satisfaction_pool(*, station: Station | None = None, project: ServiceProject | None = None, year: int) -> Pool:
    if (station is None) == (project is None):
        raise ValueError("a satisfaction rate is of a station or of a project")
    if station is not None:
        return station_pools(station_ids=[station.pk], year=year).get(station.pk, Pool())
    assert project is not None
    return project_pools(project_ids=[project.pk], year=year).get(project.pk, Pool())


def satisfaction_rate(*, station: Station | None = None, project: ServiceProject | None = None, year: int) -> Decimal | None:
    """The station's (its own surveys and its projects') or the project's satisfaction rate in `year`, as it marks
    an evaluation: None without enough responses (EVALUATION_SATISFACTION_MIN_RESPONSES), then the raters mark it."""
    pool = satisfaction_pool(station=station, project=project, year=year)
    return pool.rate if pool.enough else None


def satisfaction_points(*, leaf: Any, station: Station | None = None, project: ServiceProject | None = None,
                        year: int) -> Decimal | None:
    """The points of a leaf marked from satisfaction surveys (`Indicator.source == "satisfaction"`): its points × the
    subject's rate of the year, two places, half up; None when the rate is not there (`satisfaction_rate`)."""
    source = getattr(leaf, "source", "satisfaction")
    if source != "satisfaction":
        raise ValueError(f"indicator {getattr(leaf, 'code', '?')} is not marked from satisfaction surveys")
    rate = satisfaction_rate(station=station, project=project, year=year)
    if rate is None:
        return None
    return (Decimal(leaf.points) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
