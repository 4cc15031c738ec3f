"""The monthly report for other systems, under the same scopes as the page: GET /api/reports/monthly.

`area` is a division's id (the city, a district, a street), "s" and a station's id (s12), or "mine"; empty for the
caller's own area. `view=rows` (the default) answers the area's total and its rows, one level down; `view=tree` the
area with every level below it nested. Figures are keyed "section.column"; money in yuan with two decimals, hours
with one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema

from shanlian.core.schemas import ApiRequest, errors

from .months import month_in
from .selectors import Report, Row, monthly_report, report_scope

router = Router(tags=["reports"])


class ReportColumnOut(Schema):
    key: str = Field(..., description="section.column, the key of each row's figures")
    section: str
    section_title: str
    label: str
    kind: str = Field(..., description="count, money (yuan, 2 decimals) or hours (1 decimal)")


class ReportRowOut(Schema):
    level: str = Field(..., description="city, district, street, station or mine")
    id: int
    name: str
    code: str
    area: str | None = Field(None, description="what to pass as `area` to open this row")
    stations: int
    figures: dict[str, int | Decimal]
    rows: list[ReportRowOut] | None = Field(None, description="the rows below (view=tree only)")


class ReportOut(Schema):
    month: str
    start: dt.date
    end: dt.date = Field(..., description="the first day after the month")
    columns: list[ReportColumnOut]
    area: ReportRowOut
    trail: list[ReportRowOut] = Field(..., description="the areas above this one the caller may open, top first")
    rows: list[ReportRowOut]


class ReportQueryIn(Schema):
    month: str = Field("", max_length=16, description="YYYY-MM; default the last month that has ended")
    area: str = Field("", max_length=16)
    view: Literal["rows", "tree"] = "rows"


def _row(report: Report, row: Row, below: list[ReportRowOut] | None = None) -> ReportRowOut:
    figures = {f"{s.key}.{c.key}": v for (s, c), v in zip(report.columns, report.values(row), strict=True)}
    return ReportRowOut(level=row.kind, id=row.pk, name=row.name, code=row.code, area=row.token, stations=row.stations,
                        figures=figures, rows=below)


def _tree(report: Report) -> list[ReportRowOut]:
    """Every row below the area, each under the row above it."""
    nodes: dict[tuple[str, int], ReportRowOut] = {}
    tops: list[ReportRowOut] = []
    for level, rows in report.levels.items():  # top level first, so a row's parent is placed before it
        for r in rows:
            node = nodes[(level, r.pk)] = _row(report, r, [] if level != "station" else None)
            parent = nodes.get(r.up) if r.up is not None else None
            if parent is not None and parent.rows is not None:
                parent.rows.append(node)
            else:
                tops.append(node)
    return tops


@router.get("/monthly", response={200: ReportOut, **errors(400, 401, 403, 404)}, url_name="reports_monthly")
def monthly(request: ApiRequest, q: Query[ReportQueryIn]) -> ReportOut:
    report_scope(request.auth)
    report = monthly_report(request.auth, month=month_in(q.month), area=q.area)
    columns = [ReportColumnOut(key=f"{s.key}.{c.key}", section=s.key, section_title=str(s.title), label=str(c.label),
                               kind="money" if c.money else "hours" if c.hours else "count") for s, c in report.columns]
    rows = _tree(report) if q.view == "tree" else [_row(report, r) for r in report.rows]
    return ReportOut(month=report.month.strftime("%Y-%m"), start=report.start, end=report.end, columns=columns,
                     area=_row(report, report.area), trail=[_row(report, t) for t in report.trail], rows=rows)
