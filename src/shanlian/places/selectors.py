"""Reads of the division tree. Divisions are public administrative facts: any signed-in user may read them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length

from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope

from .models import Division, Level


def division_list(*, scope: Scope, level: str | None = None, parent_id: int | None = None) -> QuerySet[Division]:
    qs = Division.objects.select_related("parent").order_by("code")
    if level:
        qs = qs.filter(level=level)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    return qs


def division_get(*, scope: Scope, division_id: int) -> Division:
    try:
        return Division.objects.select_related("parent").get(pk=division_id)
    except Division.DoesNotExist:
        raise NotFound() from None


def division_ancestors(division: Division) -> list[Division]:
    """The chain from the city down to `division`, in one query."""
    ids = [int(p) for p in division.path.strip("/").split("/") if p]
    by_id = {d.pk: d for d in Division.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def division_subtree(*, path: str) -> QuerySet[Division]:
    return Division.objects.filter(path__startswith=path)


def streets_in(*, paths: tuple[str, ...]) -> QuerySet[Division]:
    from django.db.models import Q

    q = Q(pk__in=[])
    for p in paths:
        q |= Q(path__startswith=p)
    return Division.objects.filter(q, level=Level.STREET)


def districts_with_stations() -> QuerySet[Division]:
    """Districts that have a station, for the public station finder."""
    return Division.objects.filter(level="district", children__station__isnull=False).distinct().order_by("code")


def streets_with_stations(*, district_id: int) -> QuerySet[Division]:
    return Division.objects.filter(level="street", parent_id=district_id, station__isnull=False).order_by("code")


def places_named(*, query: str, limit: int = 8) -> list[Division]:
    """Districts, streets and communities whose name holds the query (public search: "越秀区" finds the district)."""
    query = (query or "").strip()
    if not query:
        return []
    return list(Division.objects.filter(name__icontains=query).exclude(level="city").select_related("parent")
                .order_by(Length("code"), "code")[:limit])
