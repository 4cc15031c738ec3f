"""The frameworks' data for other systems: the list and one framework's tree (published ones for anyone signed in,
drafts for their region's administrators), and publishing or copying one. Importing a sheet is the page's."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.selectors import actor_scope

from . import api_capacity, api_grading, api_satisfaction, api_supervision, services
from .models import Framework
from .selectors import framework_get, framework_view, frameworks_visible

router = Router(tags=["evaluation"])
for part in (api_grading, api_capacity, api_supervision, api_satisfaction):
    router.add_router("", part.router)


class FrameworkItemOut(Schema):
    id: int
    title: str
    region: str
    kind: str = Field(..., description="grade, brand or station")
    org_kind: str = Field(..., description="The kind of organization a grade framework is for (empty: any).")
    year: int
    version: int
    total: Decimal
    status: str = Field(..., description="draft, published or retired")
    indicators: int


class FrameworkPage(PageOut):
    results: list[FrameworkItemOut]


class LevelOut(Schema):
    level: int
    text: str
    points: Decimal


class IndicatorOut(Schema):
    code: str = Field(..., description="Its place in the tree: 2.3.1")
    level: int
    name: str
    points: Decimal
    kind: str = Field(..., description="normal, bonus or deduction")
    scoring: str = Field(..., description="points, levels or yes_no (leaves); empty for a heading")
    levels: list[LevelOut]
    criteria: str
    evidence_required: bool


class BandOut(Schema):
    grade: str
    minimum: Decimal


class FrameworkOut(FrameworkItemOut):
    bands: list[BandOut]
    indicators_tree: list[IndicatorOut] = Field(..., description="Every indicator, each before those under it.")


class FrameworkFilter(PageIn):
    kind: str | None = Field(None, max_length=10)
    year: int | None = Field(None, ge=2000, le=2100)


class CopyIn(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="The new version's year (default: the same).")


def _item(f: Framework) -> dict[str, Any]:
    return {"id": f.pk, "title": f.title, "region": f.region.name, "kind": f.kind, "org_kind": f.org_kind, "year": f.year,
            "version": f.version, "total": f.total, "status": f.status, "indicators": getattr(f, "indicator_count", 0)}


def _full(request: ApiRequest, framework_id: int) -> dict[str, Any]:
    scope = actor_scope(request.auth)
    view = framework_view(scope, framework_get(scope, framework_id))
    return {**_item(view.framework), "bands": [{"grade": g, "minimum": m} for g, m in view.bands],
            "indicators_tree": [{"code": r.indicator.code, "level": r.indicator.level, "name": r.indicator.name,
                                 "points": r.indicator.points, "kind": r.indicator.kind, "scoring": r.indicator.scoring,
                                 "levels": r.levels, "criteria": r.indicator.criteria,
                                 "evidence_required": r.indicator.evidence_required} for r in view.rows]}


@router.get("/frameworks", response={200: FrameworkPage, **errors(400, 401)}, summary="Indicator frameworks")
def frameworks_index(request: ApiRequest, filters: Query[FrameworkFilter]) -> Any:
    """Published and retired frameworks, and the drafts of the regions the caller administers; newest first."""
    rows = frameworks_visible(actor_scope(request.auth)).order_by("-year", "kind", "org_kind", "-version", "pk")
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.year:
        rows = rows.filter(year=filters.year)
    page = paginate(rows, filters)
    page["results"] = [_item(f) for f in page["results"]]
    return page


@router.get("/frameworks/{id:framework_id}", response={200: FrameworkOut, **errors(401, 404)}, summary="One framework's tree")
def framework_detail(request: ApiRequest, framework_id: int) -> Any:
    return _full(request, framework_id)


@router.post("/frameworks/{id:framework_id}/publish", response={200: FrameworkOut, **errors(401, 403, 404, 409)},
             summary="Publish a draft framework")
def framework_publish(request: ApiRequest, framework_id: int) -> Any:
    """Checked once more, then frozen: assessments are made under it; an earlier published version is retired."""
    found = framework_get(actor_scope(request.auth), framework_id)
    services.framework_publish(actor=request.auth, framework=found)
    return _full(request, framework_id)


@router.post("/frameworks/{id:framework_id}/copy", response={201: FrameworkOut, **errors(400, 401, 403, 404)},
             summary="Start a framework's next version")
def framework_copy(request: ApiRequest, framework_id: int, payload: CopyIn) -> Any:
    found = framework_get(actor_scope(request.auth), framework_id)
    made = services.framework_new_version(actor=request.auth, framework=found, year=payload.year)
    return Status(201, _full(request, made.pk))
