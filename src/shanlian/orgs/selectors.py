"""Reads for organizations and stations, scoped by the acting user.

Organizations are a public registry (民政 publishes it), so any signed-in user reads the directory;
stations and their donation points are visible to staff whose area covers the station's street.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from shanlian.core.audit import access_denied
from shanlian.core.errors import NotFound
from shanlian.core.scoping import Scope

from .models import DonationPoint, InspectionResult, Organization, StandingKind, StandingRecord, Station


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


@dataclass(frozen=True)
class Standing:
    """An organization's standing on a day, as evaluations read it for eligibility."""

    registered_on: dt.date
    last_inspection: tuple[int, str] | None  # (year inspected, result) of the latest inspection recorded by then
    abnormal_since: dt.date | None  # listed as abnormal that day
    last_penalty: dt.date | None

    def passed_inspection(self, year: int) -> bool:
        """The inspection of `year` (or a later one) passed or basically passed."""
        return self.last_inspection is not None and self.last_inspection[0] >= year \
            and self.last_inspection[1] in (InspectionResult.PASSED, InspectionResult.BASIC)


def organization_standing(*, organization: Organization, on: dt.date) -> Standing:
    rows = list(StandingRecord.objects.filter(organization=organization, on__lte=on).order_by("-on", "-id")
                .values_list("kind", "on", "year", "result", "ended_on"))
    inspections = sorted(((y, r) for k, _on, y, r, _e in rows if k == StandingKind.INSPECTION and y is not None), reverse=True)
    abnormal = [d for k, d, _y, _r, e in rows if k == StandingKind.ABNORMAL and (e is None or e > on)]
    penalties = [d for k, d, _y, _r, _e in rows if k == StandingKind.PENALTY]
    return Standing(registered_on=organization.registered_on, last_inspection=inspections[0] if inspections else None,
                    abnormal_since=min(abnormal) if abnormal else None, last_penalty=max(penalties) if penalties else None)


def organization_standing_records(*, organization: Organization) -> QuerySet[StandingRecord]:
    return StandingRecord.objects.filter(organization=organization).order_by("-on", "-id")
