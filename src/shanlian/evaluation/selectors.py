"""Reading frameworks as the acting user may: published (and retired) ones by anyone signed in (organizations assess
themselves against them), drafts by their region's administrators only; anything else is not found."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope
from shanlian.places.models import Division

from .access import ADMIN_ROLES, is_framework_admin
from .models import Framework, FrameworkStatus, Indicator


def _drafts_q(scope: Scope) -> Q:
    if scope.is_superuser:
        return Q()
    if not scope.has(*ADMIN_ROLES):
        return Q(pk__in=[])
    within = Q(pk__in=[])
    for path in scope.admin_paths:
        within |= Q(region__path__startswith=path)
    return within


def _listed(which: Q) -> QuerySet[Framework]:
    return Framework.objects.filter(which).select_related("region").annotate(indicator_count=Count("indicators"))


def frameworks_visible(scope: Scope) -> QuerySet[Framework]:
    """The public ones, and the drafts the actor administers."""
    if scope.user_id is None:
        return Framework.objects.none()
    return _listed(~Q(status=FrameworkStatus.DRAFT) | _drafts_q(scope))


def frameworks_public() -> QuerySet[Framework]:
    """What anyone may read: published frameworks, and retired ones (assessments made under them stay)."""
    return _listed(~Q(status=FrameworkStatus.DRAFT))


def framework_public_get(framework_id: int) -> Framework:
    found = frameworks_public().filter(pk=framework_id).first()
    if found is None:
        raise NotFound()
    return found


def framework_get(scope: Scope, framework_id: int) -> Framework:
    found = frameworks_visible(scope).filter(pk=framework_id).first()
    if found is None:
        raise NotFound()
    return found


def regions_administered(scope: Scope) -> QuerySet[Division]:
    """The city and districts whose frameworks the actor writes."""
    regions = Division.objects.filter(level__in=("city", "district")).order_by("code")
    if scope.is_superuser:
        return regions
    return regions.filter(pk__in=[d.pk for d in regions if is_framework_admin(scope, d)])


@dataclass
class TreeRow:
    """An indicator as a row of the framework's table, with how deep it sits and how many leaves are under it."""

    indicator: Indicator
    depth: int
    leaf: bool
    levels: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FrameworkView:
    framework: Framework
    rows: list[TreeRow]
    bands: list[tuple[str, Decimal]]
    leaves: int
    bonus: Decimal
    deduction: Decimal
    may_admin: bool


def framework_view(scope: Scope | None, framework: Framework) -> FrameworkView:
    """The framework's tree in reading order (each indicator before those under it), in two queries; `scope` None:
    a reader of the public page."""
    rows = list(Indicator.objects.filter(framework=framework))
    parents = {r.parent_id for r in rows}
    ordered = sorted(rows, key=lambda r: [int(p) for p in r.code.split(".")])
    out = [TreeRow(indicator=r, depth=r.level, leaf=r.pk not in parents, levels=r.levels) for r in ordered]
    first = [r for r in rows if r.level == 1]
    return FrameworkView(
        framework=framework, rows=out, bands=[(b.grade, b.minimum) for b in framework.bands.order_by("-minimum")],
        leaves=sum(1 for r in out if r.leaf),
        bonus=sum((r.points for r in first if r.kind == "bonus"), Decimal(0)),
        deduction=sum((r.points for r in first if r.kind == "deduction"), Decimal(0)),
        may_admin=scope is not None and is_framework_admin(scope, framework.region))
