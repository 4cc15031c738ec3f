"""The monthly report of an area, assembled from the declared sections (core/monthly.py) and scoped by the actor
(access.py): each section counts every station in view with one call, then stations add up to streets, districts
and the city in Python. The queries are the same few whatever the number of stations: the area, the stations in
view, their divisions, and one call per section.

An area is a division (the city, a district, a street) or a station; its rows are its children (districts, streets,
a street's station). Someone whose area is not one division (an agency's manager over several stations, or an
officer with grants in two districts) opens "my area", whose rows are their divisions and stations."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound, PermissionDenied, field_error
from shanlian.core.monthly import Column, Figure, Section, declared_sections
from shanlian.core.scoping import STATION_STAFF_ROLES, Scope
from shanlian.orgs.models import Station
from shanlian.people.selectors import signed_in_scope
from shanlian.places.models import LEVEL_ORDER, Division, Level

from . import access
from .months import next_month

STATION = "station"
MINE = "mine"  # the overview of an actor whose area is not one division
AREA_RE = re.compile(r"(s|d)?([0-9]{1,12})")
LEVELS = (Level.CITY, Level.DISTRICT, Level.STREET, STATION)


def report_scope(actor: Any) -> Scope:
    scope = signed_in_scope(actor)
    if not access.may_open_report(scope):
        raise PermissionDenied("not_report_reader", _("The monthly report is for area officers and stations' staff."))
    return scope


@dataclass
class Row:
    """A station, or a division summing its stations in view; `token` opens it (None: nothing below to open)."""

    kind: str  # a division level, "station" or "mine"
    pk: int
    name: str
    code: str = ""
    parent: str = ""  # the names above it, for the sheets ("越秀区 / 北京街道")
    token: str | None = None
    up: tuple[str, int] | None = None  # the row above it below the area (kind, pk), for the API's tree
    stations: int = 0
    figures: dict[str, Figure] = field(default_factory=dict)  # "section.column" → figure

    def add(self, figures: dict[str, Figure]) -> None:
        for key, value in figures.items():
            self.figures[key] = self.figures.get(key, 0) + value


@dataclass
class Report:
    month: dt.date
    start: dt.date
    end: dt.date  # exclusive
    sections: tuple[Section, ...]
    area: Row  # the area's own row: the total of every station in view
    rows: list[Row]  # its children
    trail: list[Row]  # the way up the actor may open, top first
    levels: dict[str, list[Row]]  # every row below the area, by level (the exports)

    @property
    def columns(self) -> list[tuple[Section, Column]]:
        return [(s, c) for s in self.sections for c in s.columns]

    def values(self, row: Row) -> list[Figure]:
        return [row.figures.get(f"{s.key}.{c.key}", zero(c)) for s, c in self.columns]


def zero(column: Column) -> Figure:
    if column.money:
        return Decimal("0.00")
    if column.hours:
        return Decimal("0.0")
    return 0


def level_label(kind: str) -> Any:
    return {Level.CITY: _("City"), Level.DISTRICT: _("District"), Level.STREET: _("Street"), STATION: _("Station"),
            MINE: _("My area")}[kind]


# -- the area ------------------------------------------------------------------------------------------------------

@dataclass
class Area:
    kind: str  # "division", "station" or "mine"
    division: Division | None = None
    station: Station | None = None


def area_in(scope: Scope, value: str | None) -> Area:
    """The area `value` names ("" for the default, a division's id, "s" and a station's id, or "mine"), if the actor
    may read it; out of scope answers as if it did not exist."""
    value = (value or "").strip()
    if value == "":
        return default_area(scope)
    if value == MINE:
        return Area(MINE)
    match = AREA_RE.fullmatch(value) if len(value) <= 14 else None
    if match is None:
        raise field_error("area", "bad_area", _("Give the area as a division's id, or s and a station's id (s12)."))
    pk = int(match.group(2))
    if match.group(1) == "s":
        station = Station.objects.filter(access.stations_q(scope), pk=pk).select_related("street").first()
        if station is None:
            _denied(scope, "orgs.station", pk, Station.objects.filter(pk=pk).exists())
        return Area("station", station=station)
    division = Division.objects.filter(pk=pk, level__in=[Level.CITY, Level.DISTRICT, Level.STREET]).first()
    if division is None or not access.covers_division(scope, division):
        _denied(scope, "places.division", pk, division is not None)
    return Area("division", division=division)


def _denied(scope: Scope, object_type: str, pk: int, exists: bool) -> Any:
    if exists:
        access_denied(user_id=scope.user_id, object_type=object_type, object_id=pk)
    raise NotFound()


def _roots(scope: Scope) -> tuple[list[Division], list[int]]:
    """The divisions the actor reads whole (the widest ones), and their own stations outside those divisions."""
    if scope.is_superuser:
        return list(Division.objects.filter(level=Level.CITY).order_by("code")), []
    paths = access.officer_paths(scope)
    divisions = list(Division.objects.filter(path__in=paths, level__in=[Level.CITY, Level.DISTRICT, Level.STREET])
                     .order_by("path")) if paths else []
    stations = sorted(scope.station_ids) if scope.has(*STATION_STAFF_ROLES) else []
    return divisions, stations


def default_area(scope: Scope) -> Area:
    divisions, station_ids = _roots(scope)
    if station_ids and divisions:
        inside = set(Station.objects.filter(pk__in=station_ids, street__path__startswith=divisions[0].path)
                     .values_list("pk", flat=True)) if len(divisions) == 1 else set()
        station_ids = [pk for pk in station_ids if pk not in inside]
    if len(divisions) == 1 and not station_ids:
        return Area("division", division=divisions[0])
    if len(station_ids) == 1 and not divisions:
        station = Station.objects.select_related("street").filter(pk=station_ids[0]).first()
        if station is not None:
            return Area("station", station=station)
    return Area(MINE)


# -- the report ----------------------------------------------------------------------------------------------------

@dataclass
class _Station:
    pk: int
    name: str
    street_id: int
    street_path: str


def monthly_report(actor: Any, *, month: dt.date, area: str | None = None,
                   sections: Iterable[Section] | None = None) -> Report:
    scope = report_scope(actor)
    where = area_in(scope, area)
    sections = tuple(declared_sections() if sections is None else sections)
    start, end = month, next_month(month)
    qs = Station.objects.filter(access.stations_q(scope))
    if where.kind == "division":
        assert where.division is not None
        qs = qs.filter(street__path__startswith=where.division.path)
    elif where.kind == "station":
        assert where.station is not None
        qs = qs.filter(pk=where.station.pk)
    stations = [_Station(*row) for row in qs.order_by("street__code", "pk")
                .values_list("pk", "name", "street_id", "street__path")]
    counted: dict[int, dict[str, Figure]] = {s.pk: {} for s in stations}
    ids = [s.pk for s in stations]
    for section in sections:
        found = section.counts(ids, start, end) if ids else {}
        for station_id, figures in found.items():
            if station_id in counted:
                for key, value in figures.items():
                    counted[station_id][f"{section.key}.{key}"] = value
    return _assemble(scope, where, sections, stations, counted, month, start, end)


def _ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _assemble(scope: Scope, where: Area, sections: tuple[Section, ...], stations: list[_Station],
              counted: dict[int, dict[str, Figure]], month: dt.date, start: dt.date, end: dt.date) -> Report:
    wanted: set[int] = set()
    for s in stations:
        wanted.update(_ids(s.street_path))
    if where.kind == "division":
        assert where.division is not None
        wanted.update(_ids(where.division.path))
    divisions = {d.pk: d for d in Division.objects.filter(pk__in=wanted)} if wanted else {}
    covered = {pk for pk, d in divisions.items() if access.covers_division(scope, d)}
    floor = LEVEL_ORDER.index(Level(where.division.level)) if where.kind == "division" and where.division else -1

    def parents(path: str, below: int) -> str:
        return " / ".join(divisions[i].name for i in _ids(path) if i in divisions
                          and LEVEL_ORDER.index(Level(divisions[i].level)) > below)

    rows: dict[tuple[str, int], Row] = {}
    for s in stations:
        figures = counted.get(s.pk, {})
        street_path = s.street_path
        chain = [divisions[i] for i in _ids(street_path) if i in divisions]
        above: tuple[str, int] | None = None
        for d in chain:
            depth = LEVEL_ORDER.index(Level(d.level))
            if d.pk not in covered or depth <= floor:
                continue
            row = rows.setdefault((d.level, d.pk), Row(kind=d.level, pk=d.pk, name=d.name, code=d.code,
                                                       parent=parents(d.path.rsplit("/", 2)[0] + "/", floor),
                                                       token=str(d.pk), up=above))
            row.stations += 1
            row.add(figures)
            above = (d.level, d.pk)
        row = Row(kind=STATION, pk=s.pk, name=s.name, code=divisions[s.street_id].code if s.street_id in divisions else "",
                  parent=parents(street_path, floor), token=f"s{s.pk}", stations=1, up=above)
        row.add(figures)
        rows[(STATION, s.pk)] = row
    total = _area_row(where, divisions)
    for s in stations:
        total.stations += 1
        total.add(counted.get(s.pk, {}))
    levels = {level: sorted((r for (k, _pk), r in rows.items() if k == level), key=lambda r: (r.code, r.pk))
              for level in LEVELS}
    levels = {k: v for k, v in levels.items() if v}
    children = _children(where, rows, stations, divisions, covered)
    return Report(month=month, start=start, end=end, sections=sections, area=total, rows=children,
                  trail=_trail(scope, where, divisions), levels=levels)


def _area_row(where: Area, divisions: dict[int, Division]) -> Row:
    if where.kind == "division" and where.division is not None:
        d = where.division
        return Row(kind=d.level, pk=d.pk, name=d.name, code=d.code, token=str(d.pk))
    if where.kind == "station" and where.station is not None:
        return Row(kind=STATION, pk=where.station.pk, name=where.station.name, code=where.station.street.code,
                   token=f"s{where.station.pk}")
    return Row(kind=MINE, pk=0, name=str(_("My area")), token=MINE)


def _children(where: Area, rows: dict[tuple[str, int], Row], stations: list[_Station], divisions: dict[int, Division],
              covered: set[int]) -> list[Row]:
    """The area's rows: the next level down; for "my area", the widest rows that cover every station once."""
    if where.kind == "station":
        return [rows[(STATION, s.pk)] for s in stations]
    if where.kind == "division" and where.division is not None:
        level = where.division.level
        below = LEVEL_ORDER[LEVEL_ORDER.index(Level(level)) + 1] if level != Level.STREET else STATION
        if below == STATION:
            return [rows[(STATION, s.pk)] for s in stations]
        return sorted((r for (k, pk), r in rows.items() if k == below and divisions[pk].parent_id == where.division.pk),
                      key=lambda r: (r.code, r.pk))
    out: dict[tuple[str, int], Row] = {}
    for s in stations:
        top = next((divisions[i] for i in _ids(s.street_path) if i in covered), None)
        key = (top.level, top.pk) if top is not None else (STATION, s.pk)
        out[key] = rows[key]
    return sorted(out.values(), key=lambda r: (LEVELS.index(r.kind), r.code, r.pk))


def _trail(scope: Scope, where: Area, divisions: dict[int, Division]) -> list[Row]:
    """The areas above this one that the actor may open, top first ("my area" when it is not one division)."""
    out: list[Row] = []
    divs, own = _roots(scope)
    if len(divs) + len(own) > 1 or (not divs and not own):
        out.append(Row(kind=MINE, pk=0, name=str(_("My area")), token=MINE))
    if where.kind == MINE:
        return []
    path = where.division.path if where.division is not None else where.station.street.path if where.station else ""
    for i in _ids(path):
        d = divisions.get(i)
        if d is None or not access.covers_division(scope, d):
            continue
        if where.division is not None and d.pk == where.division.pk:
            break
        out.append(Row(kind=d.level, pk=d.pk, name=d.name, code=d.code, token=str(d.pk)))
    return out
