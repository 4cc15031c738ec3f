"""Divisions: public administrative facts, readable by any signed-in caller."""

from typing import Any

from ninja import Field, Query, Router, Schema

from shanlian.core.schemas import ApiRequest, PageIn, PageOut, errors, paginate
from shanlian.people.selectors import actor_scope

from .models import Level
from .selectors import division_ancestors, division_get, division_list

router = Router(tags=["divisions"])


class DivisionRef(Schema):
    id: int
    name: str
    level: Level
    code: str


class DivisionOut(DivisionRef):
    parent_id: int | None


class DivisionDetailOut(DivisionOut):
    ancestors: list[DivisionRef]


class DivisionPage(PageOut):
    results: list[DivisionOut]


class DivisionFilter(PageIn):
    level: Level | None = None
    parent_id: int | None = Field(None, ge=1, le=2**63 - 1)  # a database id: larger overflows SQLite's INTEGER


@router.get("", response={200: DivisionPage, **errors(400, 401)}, summary="List divisions")
def divisions_list(request: ApiRequest, filters: Query[DivisionFilter]) -> Any:
    """City, districts, streets and communities, by division code; filter by level or parent."""
    scope = actor_scope(request.auth)
    qs = division_list(scope=scope, level=filters.level, parent_id=filters.parent_id)
    return paginate(qs, filters)


@router.get("/{id:division_id}", response={200: DivisionDetailOut, **errors(400, 401, 404)}, summary="One division")
def divisions_get(request: ApiRequest, division_id: int) -> Any:
    """A division with the chain of divisions above it, from the city down."""
    division = division_get(scope=actor_scope(request.auth), division_id=division_id)
    above = division_ancestors(division)[:-1]  # the chain ends with the division itself
    return DivisionOut.from_orm(division).model_dump() | {"ancestors": above}
