"""The home dashboard's reads: what lies in the actor's area, in a fixed number of queries.

Counts are conditional aggregates and the chart series are grouped in the database; only the
labels (a few dozen divisions at most) and the stations of the area come back as rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shanlian.core.scoping import Scope
from shanlian.orgs.models import Grade, Organization, Station
from shanlian.orgs.selectors import station_list
from shanlian.people.models import Person
from shanlian.places.models import LEVEL_ORDER, Division, Level

GRADES_HIGH_FIRST = [Grade.A5, Grade.A4, Grade.A3, Grade.A2, Grade.A1]


@dataclass(frozen=True)
class AreaDashboard:
    counts: dict[str, int]
    stations: list[Station]
    chart_level: str
    area_chart: dict[str, Any] = field(default_factory=dict)
    grade_chart: list[dict[str, Any]] = field(default_factory=list)


def _organizations_in_area_q(scope: Scope) -> Q:
    """Organizations registered in the area, or running a station in it."""
    if scope.is_superuser:
        return Q()
    running = Station.objects.filter(scope.path_q("street__path", scope.area_paths)).values("agency_id")
    return scope.path_q("division__path", scope.area_paths) | Q(pk__in=running)


def _group_path(path: str, depth: int) -> str | None:
    """'/1/4/17/90/' at depth 2 (street) → '/1/4/17/'; None when the path is shallower."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) <= depth:
        return None
    return "/" + "/".join(parts[: depth + 1]) + "/"


def area_dashboard(*, scope: Scope, today: dt.date | None = None, station_rows: int = 10) -> AreaDashboard:
    """Counts, stations and chart series for an area role (or a superuser). Five queries."""
    today = today or timezone.localdate()
    area_q = scope.path_q("path", scope.area_paths)
    level_counts = Division.objects.filter(area_q).aggregate(
        districts=Count("pk", filter=Q(level=Level.DISTRICT)),
        streets=Count("pk", filter=Q(level=Level.STREET)),
        communities=Count("pk", filter=Q(level=Level.COMMUNITY)),
    )
    # Chart one level below the widest part of the area: districts for a city, streets for a district...
    if level_counts["districts"] > 1:
        chart_level = Level.DISTRICT
    elif level_counts["streets"] > 1:
        chart_level = Level.STREET
    else:
        chart_level = Level.COMMUNITY
    depth = LEVEL_ORDER.index(chart_level)
    groups = list(Division.objects.filter(area_q, level=chart_level).order_by("code").values_list("path", "name"))
    index = {path: i for i, (path, _name) in enumerate(groups)}

    people_series = [0] * len(groups)
    people_total = 0
    per_division = (
        Person.objects.filter(scope.path_q("division__path", scope.people_paths))
        .values("division__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in per_division:
        people_total += row["n"]
        group = _group_path(row["division__path"], depth)
        if group in index:
            people_series[index[group]] += row["n"]

    stations = list(station_list(scope=scope))
    station_series = [0] * len(groups)
    for station in stations:
        group = _group_path(station.street.path, depth)
        if group in index:
            station_series[index[group]] += 1

    grade_rows = (
        Organization.objects.filter(_organizations_in_area_q(scope))
        .values("grade")
        .annotate(total=Count("pk"), current=Count("pk", filter=Q(grade_valid_from__lte=today, grade_valid_until__gt=today)))
        .order_by()
    )
    current_by_grade: dict[str, int] = dict.fromkeys([str(g) for g in GRADES_HIGH_FIRST], 0)
    org_total = 0
    for grade_row in grade_rows:
        org_total += grade_row["total"]
        if grade_row["grade"] in current_by_grade:
            current_by_grade[grade_row["grade"]] += grade_row["current"]
    graded = sum(current_by_grade.values())
    grade_chart: list[dict[str, Any]] = [{"name": g, "value": n} for g, n in current_by_grade.items() if n]
    if org_total - graded:
        grade_chart.append({"name": _("No valid grade"), "value": org_total - graded})

    return AreaDashboard(
        counts={
            "districts": level_counts["districts"],
            "streets": level_counts["streets"],
            "communities": level_counts["communities"],
            "stations": len(stations),
            "people": people_total,
            "organizations": org_total,
        },
        stations=stations[:station_rows],
        chart_level=chart_level,
        area_chart={
            "labels": [name for _path, name in groups],
            "people": people_series,
            "stations": station_series,
        },
        grade_chart=grade_chart,
    )


def personal_card(*, scope: Scope) -> Person | None:
    """The signed-in user's own person record, if they have one (one query, none without)."""
    if scope.person_id is None:
        return None
    return Person.objects.select_related("division", "division__parent").filter(pk=scope.person_id).first()
