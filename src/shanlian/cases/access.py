"""Who sees a beneficiary, and how: one predicate per rule, used by the selectors, the services, the pages and the menu.

- The case team sees values: the social workers of the beneficiary's station and their supervisor, the manager of the
  agency running the station (`Scope.is_station_staff`). Each time values are shown, the read is logged.
- Officers overseeing the station's street (the street officer, the district and city administrators) see the record
  with masked values; a reveal needs a typed reason and is logged (refusals too).
- Anyone else (another station's worker, a finance officer, an expert, a volunteer, a donor, the public) sees nothing:
  the record answers as if it did not exist, and the look is logged.
"""

from __future__ import annotations

from enum import Enum

from django.db.models import Q

from shanlian.core.scoping import STATION_STAFF_ROLES, Role, Scope
from shanlian.orgs.models import Station

from .models import Beneficiary

OFFICER_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN, Role.STREET_OFFICER)
TEXT_ADMINS = (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


class Sight(Enum):
    NONE = "none"
    MASKED = "masked"
    VALUES = "values"


def may_open_cases(scope: Scope) -> bool:
    return scope.is_superuser or scope.has(*STATION_STAFF_ROLES, *OFFICER_ROLES)


def may_register(scope: Scope) -> bool:
    """Registers beneficiaries at one of their own stations."""
    return scope.is_superuser or (scope.has(*STATION_STAFF_ROLES) and bool(scope.station_ids))


def may_keep_texts(scope: Scope) -> bool:
    """Publishes new versions of the consent wording."""
    return scope.is_superuser or scope.has(*TEXT_ADMINS)


def stations_q(scope: Scope, prefix: str = "") -> Q:
    """The stations (at `prefix`, e.g. "station__") whose records an actor sees at all: their own (staff), those of the
    streets in their area (officers)."""
    if scope.is_superuser:
        return Q()
    q = Q(**{f"{prefix}pk__in": []})
    if scope.has(*STATION_STAFF_ROLES):
        q |= Q(**{f"{prefix}pk__in": sorted(scope.station_ids)})
    if scope.has(*OFFICER_ROLES):
        for path in scope.area_paths:
            q |= Q(**{f"{prefix}street__path__startswith": path})
    return q


def visible_q(scope: Scope, prefix: str = "") -> Q:
    """Rows kept by a station (beneficiaries, cases, groups, wishes; at `prefix`, e.g. "beneficiary__") that an actor sees
    at all, masked or not: those of the stations of `stations_q`, as a list of stations the database works out first
    (a filter on the station's street joined to every row would make it read them all)."""
    if scope.is_superuser:
        return Q()
    return Q(**{f"{prefix}station_id__in": Station.objects.filter(stations_q(scope)).values("pk")})


def sight(scope: Scope, beneficiary: Beneficiary) -> Sight:
    return station_sight(scope, beneficiary.station)


def is_case_team(scope: Scope, beneficiary: Beneficiary) -> bool:
    """Writes about the beneficiary: the station's workers and the agency's manager (their supervisor)."""
    return scope.is_station_staff(beneficiary.station_id)


def may_reveal(scope: Scope, beneficiary: Beneficiary) -> bool:
    """Officers who see masked values may reveal one with a reason; the case team sees values already."""
    return sight(scope, beneficiary) is not Sight.NONE


# --- the case cycle -------------------------------------------------------------------------------------------------

def station_sight(scope: Scope, station: Station) -> Sight:
    """How an actor sees what a station keeps about the people it serves (beneficiaries, cases, a group's members)."""
    if scope.is_station_staff(station.pk):
        return Sight.VALUES
    if oversees(scope, station.street.path):
        return Sight.MASKED
    return Sight.NONE


def oversees(scope: Scope, street_path: str) -> bool:
    """An officer whose area holds the street (its street officer, its district's and the city's administrators)."""
    return scope.has(*OFFICER_ROLES) and scope.covers_path(street_path, scope.area_paths)


def is_supervisor(scope: Scope, station: Station) -> bool:
    """The supervisor of a station's cases: a manager of the agency running the station (and the superuser). They approve
    plans and closures, never their own (services refuse `own_plan` / `own_closure`)."""
    return scope.is_superuser or (scope.has(Role.AGENCY_MANAGER) and station.agency_id in scope.organization_ids)


def may_supervise(scope: Scope) -> bool:
    """Opens the approval queue: agency managers (and the superuser)."""
    return scope.is_superuser or scope.has(Role.AGENCY_MANAGER)
