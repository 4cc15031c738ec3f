"""The evaluation dashboard of an area, drilled from the city to a district: how many organizations hold a valid
grade and which, by child area; the assessments of each year (applied, graded, the mean score); the stations'
evaluation results (by district, then each station); the organizations' capacity by year; every figure from a
handful of grouped queries, whatever the number of organizations and years. Administrators see their own area."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, DecimalField, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, ExtractYear
from django.utils.translation import gettext_lazy as _

from shanlian.core.errors import NotFound, lazy_format
from shanlian.core.scoping import Scope
from shanlian.orgs.models import Grade, Organization
from shanlian.places.models import Division, Level

from .access import is_framework_admin
from .models import Assessment, AssessmentStatus, Diagnosis, DiagnosisStatus, Dimension, FrameworkKind, StationResult, result_label

GRADES = list(reversed(Grade.values))  # 5A first


@dataclass
class AreaRow:
    division: Division | None  # None: registered at the area's own level (e.g. city-registered foundations)
    organizations: int = 0
    by_grade: dict[str, int] = field(default_factory=dict)

    @property
    def graded(self) -> int:
        return sum(self.by_grade.values())

    @property
    def grade_counts(self) -> list[int]:
        return [self.by_grade.get(g, 0) for g in GRADES]

    @property
    def top(self) -> int:
        """4A and 5A: those a brand batch may name."""
        return self.by_grade.get(Grade.A4, 0) + self.by_grade.get(Grade.A5, 0)

    @property
    def graded_share(self) -> Decimal | None:
        return (Decimal(self.graded) / Decimal(self.organizations)).quantize(Decimal("0.001")) if self.organizations else None


@dataclass
class YearRow:
    year: int
    applied: int
    graded: int
    not_graded: int
    mean_total: Decimal | None
    by_grade: dict[str, int]

    @property
    def grade_counts(self) -> list[int]:
        return [self.by_grade.get(g, 0) for g in GRADES]


@dataclass
class Dashboard:
    region: Division
    on: dt.date
    rows: list[AreaRow]
    total: AreaRow
    years: list[YearRow]
    brand_named: int
    parents: list[Division]  # the way up, for the breadcrumb

    def row_label(self, row: AreaRow) -> Any:
        """A row's area; the row of organizations registered at the region's own level is named after the region."""
        if row.division is not None:
            return row.division.name
        return lazy_format(_("Registered with %(area)s itself"), {"area": self.region.name})


def dashboard_region(scope: Scope, region_id: int | None) -> Division:
    """The area asked for, if the actor administers it; by default the widest they administer."""
    if region_id is not None:
        region = Division.objects.filter(pk=region_id, level__in=[Level.CITY, Level.DISTRICT]).first()
        if region is None or not is_framework_admin(scope, region):
            raise NotFound()
        return region
    for region in Division.objects.filter(level__in=[Level.CITY, Level.DISTRICT]).order_by("level", "code"):
        if is_framework_admin(scope, region):  # the city (level "city" sorts before "district")
            return region
    raise NotFound()


def dashboard(region: Division, *, on: dt.date) -> Dashboard:
    children = list(Division.objects.filter(parent=region, level=Level.DISTRICT).order_by("code")) \
        if region.level == Level.CITY else []
    by_path = sorted(((c.path, c) for c in children), key=lambda x: -len(x[0]))

    def child_of(path: str) -> Division | None:
        return next((c for p, c in by_path if path.startswith(p)), None)

    within = Q(division__path__startswith=region.path)
    rows: dict[int | None, AreaRow] = {c.pk: AreaRow(division=c) for c in children}
    rows[None] = AreaRow(division=None)
    for path, n in (Organization.objects.filter(within).values_list("division__path").annotate(n=Count("id")).order_by()):
        rows[getattr(child_of(path), "pk", None)].organizations += n
    valid = Organization.objects.filter(within, grade__gt="", grade_valid_from__lte=on, grade_valid_until__gt=on)
    for path, grade, n in valid.values_list("division__path", "grade").annotate(n=Count("id")).order_by():
        row = rows[getattr(child_of(path), "pk", None)]
        row.by_grade[grade] = row.by_grade.get(grade, 0) + n
    total = AreaRow(division=region, organizations=sum(r.organizations for r in rows.values()))
    for r in rows.values():
        for g, n in r.by_grade.items():
            total.by_grade[g] = total.by_grade.get(g, 0) + n
    grade_calls = Assessment.objects.filter(organization__division__path__startswith=region.path, call__kind=FrameworkKind.GRADE)
    years: dict[int, dict[str, Any]] = defaultdict(lambda: {"applied": 0, "graded": 0, "not_graded": 0, "by_grade": {}})
    scored: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])  # year → [sum of scores, how many]
    for year, status, grade, n, total_sum, scored_n in (
            grade_calls.values_list("call__year", "status", "grade")
            .annotate(n=Count("id"), s=Sum("total"), k=Count("total")).order_by()):
        y = years[year]
        y["applied"] += n
        if status == AssessmentStatus.AWARDED:
            y["graded"] += n
            y["by_grade"][grade] = y["by_grade"].get(grade, 0) + n
        elif status == AssessmentStatus.NOT_GRADED:
            y["not_graded"] += n
        if scored_n:
            scored[year][0] += Decimal(str(total_sum))
            scored[year][1] += scored_n
    year_rows = [YearRow(year=y, mean_total=(scored[y][0] / scored[y][1]).quantize(Decimal("0.1")) if scored[y][1] else None, **v)
                 for y, v in sorted(years.items(), reverse=True)]
    named = Assessment.objects.filter(organization__division__path__startswith=region.path, named=True,
                                      status=AssessmentStatus.AWARDED).order_by().values("organization").distinct().count()
    out_rows = [rows[c.pk] for c in children] + ([rows[None]] if rows[None].organizations else [])
    parents: list[Division] = []
    up = region.parent
    while up is not None:
        parents.insert(0, up)
        up = up.parent
    return Dashboard(region=region, on=on, rows=out_rows, total=total, years=year_rows, brand_named=named, parents=parents)


# --- station evaluation results, city → district → station ----------------------------------------------------------

@dataclass
class StationResultRow:
    """A district's stations (the region is the city), or one station (the region is a district): each station by
    its latest decided evaluation."""

    label: str
    division: Division | None = None  # a district, to drill into
    evaluated: int = 0
    by_result: dict[str, int] = field(default_factory=dict)
    scores: list[Decimal] = field(default_factory=list)
    year: int | None = None  # a station's row: the year of its evaluation
    result: str = ""  # a station's row: its result as it reads ("" not passed)

    @property
    def result_counts(self) -> list[int]:
        return [self.by_result.get(r, 0) for r in STATION_RESULTS]

    @property
    def not_passed(self) -> int:
        return self.evaluated - sum(self.by_result.values())

    @property
    def mean(self) -> Decimal | None:
        return (sum(self.scores, Decimal(0)) / len(self.scores)).quantize(Decimal("0.1")) if self.scores else None


STATION_RESULTS = list(reversed(StationResult.values))  # excellent first
DECIDED = (AssessmentStatus.NOTICE, AssessmentStatus.AWARDED, AssessmentStatus.NOT_GRADED)


def station_results(region: Division) -> list[StationResultRow]:
    """One query: every decided station evaluation of the region, the latest of each station kept."""
    latest: dict[int, tuple[int, str, str, str, Decimal | None]] = {}
    for station_id, name, path, year, grade, total in (
            Assessment.objects.filter(station__street__path__startswith=region.path, call__kind=FrameworkKind.STATION,
                                      status__in=DECIDED)
            .order_by("station_id", "call__year", "id")
            .values_list("station_id", "station__name", "station__street__path", "call__year", "grade", "total")):
        latest[station_id] = (year, name, path, grade, total)
    if region.level == Level.CITY:
        districts = list(Division.objects.filter(parent=region, level=Level.DISTRICT).order_by("code"))
        rows = {d.path: StationResultRow(label=d.name, division=d) for d in districts}
        for _year, _name, path, grade, total in latest.values():
            row = next((r for p, r in rows.items() if path.startswith(p)), None)
            if row is not None:
                _count(row, grade, total)
        return [r for r in rows.values() if r.evaluated]
    out = []
    for year, name, _path, grade, total in sorted(latest.values(), key=lambda v: v[1]):
        row = StationResultRow(label=name, year=year, result=result_label(FrameworkKind.STATION, grade))
        _count(row, grade, total)
        out.append(row)
    return out


def _count(row: StationResultRow, grade: str, total: Decimal | None) -> None:
    row.evaluated += 1
    if grade:
        row.by_result[grade] = row.by_result.get(grade, 0) + 1
    if total is not None:
        row.scores.append(total)


# --- capacity trends by year ----------------------------------------------------------------------------------------

@dataclass
class CapacityYear:
    year: int
    diagnosed: int
    means: list[Decimal | None]  # by dimension, in `dimensions` order


def capacity_trend(region: Division) -> tuple[list[str], list[CapacityYear]]:
    """The region's organizations' reported diagnoses by year: how many, and each dimension's mean score (1–4), in one
    grouped query (each score read from the diagnosis's JSON in the database). Dimensions by their codes (stable
    across questionnaire versions), named as the latest questionnaire names them."""
    names: dict[str, str] = {}
    for code, name in Dimension.objects.order_by("questionnaire_id", "position").values_list("code", "name"):
        names[code] = name
    codes = list(names)
    score = DecimalField(max_digits=6, decimal_places=2)
    means = {f"d{i}": Avg(Cast(KeyTextTransform(code, "scores"), score)) for i, code in enumerate(codes)}
    grouped: Any = (Diagnosis.objects.filter(organization__division__path__startswith=region.path, status=DiagnosisStatus.CLOSED,
                                             closed_at__isnull=False)
                    .annotate(year=ExtractYear("closed_at")).values("year").annotate(n=Count("id"), **means).order_by("year"))
    rows: list[dict[str, Any]] = list(grouped)
    shown = [i for i in range(len(codes)) if any(r[f"d{i}"] is not None for r in rows)]

    def q(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))

    return ([names[codes[i]] for i in shown],
            [CapacityYear(year=r["year"], diagnosed=r["n"], means=[q(r[f"d{i}"]) for i in shown]) for r in rows])
