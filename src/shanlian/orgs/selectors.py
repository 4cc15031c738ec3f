"""Reads for organizations and stations, scoped by the acting user.

Organizations are a public registry (民政 publishes it), so any signed-in user reads the directory;
stations and their donation points are visible to staff whose area covers the station's street.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope

from .models import DonationPoint, Organization, Station


def _search_q(query: str) -> Q:
    term = query.strip()
    if not term:
        return Q()
    q = Q(name__icontains=term) | Q(credit_code__iexact=term.upper())
    if term.isascii():
        q |= Q(name_initials__icontains=term.lower()) | Q(name_pinyin__icontains=term.lower().replace(" ", ""))
    return q


def organization_list(*, scope: Scope, query: str = "", kind: str = "") -> QuerySet[Organization]:
    qs = Organization.objects.select_related("division").filter(_search_q(query))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("name", "id")


def organization_get(*, scope: Scope, organization_id: int) -> Organization:
    try:
        return Organization.objects.select_related("division").get(pk=organization_id)
    except Organization.DoesNotExist:
        raise NotFound() from None


def station_list(*, scope: Scope) -> QuerySet[Station]:
    if not scope.is_staff_role:
        return Station.objects.none()
    return (
        Station.objects.select_related("street", "street__parent", "agency")
        .filter(scope.path_q("street__path", scope.area_paths))
        .annotate(donation_point_count=Count("donation_points"))
        .order_by("street__code")
    )


def station_get(*, scope: Scope, station_id: int) -> Station:
    station = station_list(scope=scope).filter(pk=station_id).first()
    if station is None:
        access_denied(user_id=scope.user_id, object_type="orgs.station", object_id=station_id)
        raise NotFound()
    return station


def station_donation_points(*, station: Station) -> QuerySet[DonationPoint]:
    return station.donation_points.order_by("name")


def organization_stations(*, scope: Scope, organization: Organization) -> QuerySet[Station]:
    return station_list(scope=scope).filter(agency=organization)


def stations_public(*, district_id: int | None = None, street_id: int | None = None) -> QuerySet[Station]:
    """Stations as the public finds them (their names, addresses and office phones are public facts), in a district
    or a street, by district and street name."""
    qs = Station.objects.select_related("street__parent", "agency").order_by("street__parent__name", "street__name")
    if street_id is not None:
        qs = qs.filter(street_id=street_id)
    elif district_id is not None:
        qs = qs.filter(street__parent_id=district_id)
    return qs
